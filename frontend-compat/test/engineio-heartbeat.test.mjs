// engineio-heartbeat.test.mjs - Engine.IO v4 heartbeats: the server pings every pingInterval,
// the client answers `3`; a client that stops answering is closed after pingTimeout, over
// WebSocket and over polling. The timeout tests run against --ping-interval 300 --ping-timeout
// 200; the tests of a client that answers use a 600 ms timeout (room for a slow sanitizer build)
// and last several times longer than interval + timeout, so they fail if pongs are ignored.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startEcho, T } from "./lib/server.mjs";
import { handshake, poll, post } from "./lib/http.mjs";
import { openWs } from "./lib/ws.mjs";

const INTERVAL = 300;
const TIMEOUT = 200;
const TOLERANT_TIMEOUT = 600;
let srv;
let tolerant;
before(async () => {
  srv = await startEcho(["--ping-interval", String(INTERVAL), "--ping-timeout", String(TIMEOUT)]);
  tolerant = await startEcho([
    "--ping-interval",
    String(INTERVAL),
    "--ping-timeout",
    String(TOLERANT_TIMEOUT),
  ]);
});
after(async () => {
  await srv?.stop();
  await tolerant?.stop();
});

test("websocket: the server pings after pingInterval and keeps a ponging client", async () => {
  const { ws, open } = await openWs(tolerant.url);
  try {
    assert.equal(open.pingInterval, INTERVAL);
    assert.equal(open.pingTimeout, TOLERANT_TIMEOUT);
    const start = Date.now();
    let last = start;
    for (let i = 0; i < 8; i++) {
      const m = await ws.next(T(3000));
      const now = Date.now();
      assert.equal(m, "2");
      assert.ok(now - last >= INTERVAL - 50, `ping ${i} came ${now - last} ms after the previous one`);
      last = now;
      ws.send("3");
    }
    assert.ok(Date.now() - start > INTERVAL + TOLERANT_TIMEOUT);
    // still connected: the echo works after eight intervals
    ws.send("4alive");
    assert.equal(await ws.nextNonPing(T(3000)), "4alive");
  } finally {
    await ws.close();
  }
});

test("websocket: a client that does not pong is closed after pingTimeout", async () => {
  const { ws, open } = await openWs(srv.url);
  const start = Date.now();
  assert.equal(await ws.next(T(3000)), "2");
  const pinged = Date.now();
  await ws.waitClosed(T(5000));
  const closed = Date.now();
  assert.ok(pinged - start >= INTERVAL - 50, `pinged after ${pinged - start} ms`);
  assert.ok(closed - pinged >= TIMEOUT - 50, `closed ${closed - pinged} ms after the ping`);
  const res = await poll(srv.url, open.sid);
  assert.equal(res.status, 400);
  assert.deepEqual(JSON.parse(res.text), { code: 1, message: "Session ID unknown" });
});

test("polling: the held GET receives the ping and a POSTed pong keeps the session", async () => {
  const { sid } = await handshake(tolerant.url);
  const start = Date.now();
  for (let i = 0; i < 6; i++) {
    const get = await poll(tolerant.url, sid, { timeout: T(5000) });
    assert.equal(get.status, 200);
    assert.equal(get.text, "2");
    const p = await post(tolerant.url, sid, "3");
    assert.equal(p.status, 200);
  }
  assert.ok(Date.now() - start > INTERVAL + TOLERANT_TIMEOUT);
  await post(tolerant.url, sid, "4still here");
  const get = await poll(tolerant.url, sid);
  assert.equal(get.text, "4still here");
});

test("polling: no pong closes the session; the held GET gets the close packet", async () => {
  const { sid } = await handshake(tolerant.url);
  const ping = await poll(tolerant.url, sid, { timeout: T(5000) });
  assert.equal(ping.text, "2");
  const pinged = Date.now();
  const held = await poll(tolerant.url, sid, { timeout: T(5000) });
  assert.equal(held.status, 200);
  assert.equal(held.text, "1");
  assert.ok(Date.now() - pinged >= TOLERANT_TIMEOUT - 100, `closed ${Date.now() - pinged} ms after the ping`);
  const after = await poll(tolerant.url, sid);
  assert.equal(after.status, 400);
  assert.deepEqual(JSON.parse(after.text), { code: 1, message: "Session ID unknown" });
});

test("polling: a session nobody polls is closed by the ping timeout", async () => {
  const { sid } = await handshake(srv.url);
  // No GET at all: the ping stays queued and no pong can come. A GET that claims the websocket
  // transport is refused without touching the session: code 3 while it exists, 1 once it is gone.
  const start = Date.now();
  let body;
  do {
    await new Promise((r) => setTimeout(r, 50));
    const res = await poll(srv.url, sid, { query: { transport: "websocket" } });
    assert.equal(res.status, 400);
    body = JSON.parse(res.text);
  } while (body.code === 3 && Date.now() - start < T(5000));
  assert.deepEqual(body, { code: 1, message: "Session ID unknown" });
  assert.ok(Date.now() - start >= INTERVAL + TIMEOUT - 100, `closed after ${Date.now() - start} ms`);
});
