// engineio-handshake.test.mjs - Engine.IO v4 handshake over raw HTTP and raw WebSocket: the open
// packet's exact keys and values, the sid format, the upgrades list per transport, and the
// options reflected in it.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startEcho } from "./lib/server.mjs";
import { request, pollQuery, handshake } from "./lib/http.mjs";
import { openWs } from "./lib/ws.mjs";

let srv;
let custom;
before(async () => {
  srv = await startEcho();
  custom = await startEcho([
    "--ping-interval",
    "1234",
    "--ping-timeout",
    "567",
    "--max-http-buffer-size",
    "4321",
  ]);
});
after(async () => {
  await srv?.stop();
  await custom?.stop();
});

test("polling handshake answers 200 with an open packet holding exactly the five keys", async () => {
  const res = await request(srv.url, { query: pollQuery() });
  assert.equal(res.status, 200);
  assert.match(res.headers["content-type"], /^text\/plain/);
  assert.equal(res.text[0], "0");
  const open = JSON.parse(res.text.slice(1));
  assert.deepEqual(Object.keys(open).sort(), [
    "maxPayload",
    "pingInterval",
    "pingTimeout",
    "sid",
    "upgrades",
  ]);
  assert.deepEqual(open.upgrades, ["websocket"]);
  assert.equal(open.pingInterval, 25000);
  assert.equal(open.pingTimeout, 20000);
  assert.equal(open.maxPayload, 1000000);
});

test("the sid is 20 URL-safe characters and unique per session", async () => {
  const sids = new Set();
  for (let i = 0; i < 20; i++) {
    const { sid } = await handshake(srv.url);
    assert.match(sid, /^[A-Za-z0-9_-]{20}$/);
    sids.add(sid);
  }
  assert.equal(sids.size, 20);
});

test("the handshake response carries only the open packet", async () => {
  const res = await request(srv.url, { query: pollQuery() });
  assert.equal(res.text.includes("\x1e"), false);
});

test("options are announced in the open packet", async () => {
  const { open } = await handshake(custom.url);
  assert.equal(open.pingInterval, 1234);
  assert.equal(open.pingTimeout, 567);
  assert.equal(open.maxPayload, 4321);
});

test("websocket-first handshake sends the open packet with an empty upgrades list", async () => {
  const { ws, open } = await openWs(srv.url);
  try {
    assert.deepEqual(Object.keys(open).sort(), [
      "maxPayload",
      "pingInterval",
      "pingTimeout",
      "sid",
      "upgrades",
    ]);
    assert.deepEqual(open.upgrades, []);
    assert.match(open.sid, /^[A-Za-z0-9_-]{20}$/);
    assert.equal(open.pingInterval, 25000);
    assert.equal(open.pingTimeout, 20000);
    assert.equal(open.maxPayload, 1000000);
  } finally {
    await ws.close();
  }
});

test("extra query parameters (t cache buster, custom ones) are accepted", async () => {
  const res = await request(srv.url, { query: pollQuery(null, { t: "PmZ7tq1", foo: "bar" }) });
  assert.equal(res.status, 200);
  assert.equal(res.text[0], "0");
});
