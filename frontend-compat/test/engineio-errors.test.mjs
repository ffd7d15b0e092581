// engineio-errors.test.mjs - every Engine.IO error answer: the HTTP status and exact JSON body
// {"code":N,"message":"..."} of codes 0-5 on polling requests, the plain-text 400 answer to a bad
// WebSocket upgrade, HTTP 413 for a POST over max-http-buffer-size, query-string edge cases, and
// raw garbage on the connection.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startEcho, T } from "./lib/server.mjs";
import { request, handshake, poll, post, pollQuery, rawExchange } from "./lib/http.mjs";
import { RawWs, wsUrl } from "./lib/ws.mjs";

let srv;
let small;
before(async () => {
  srv = await startEcho();
  small = await startEcho(["--max-http-buffer-size", "1000"]);
});
after(async () => {
  await srv?.stop();
  await small?.stop();
});

const MESSAGES = [
  "Transport unknown",
  "Session ID unknown",
  "Bad handshake method",
  "Bad request",
  "Forbidden",
  "Unsupported protocol version",
];

function assertError(res, code) {
  assert.equal(res.status, code === 4 ? 403 : 400, res.text);
  assert.match(res.headers["content-type"], /^application\/json/);
  assert.deepEqual(JSON.parse(res.text), { code, message: MESSAGES[code] });
  assert.equal(res.text, JSON.stringify({ code, message: MESSAGES[code] }));
}

test("code 0: unknown transport", async () => {
  assertError(await request(srv.url, { query: { EIO: "4", transport: "flashsocket" } }), 0);
});

test("code 0: missing transport", async () => {
  assertError(await request(srv.url, { query: { EIO: "4" } }), 0);
});

test("code 0: unknown transport on a POST with a sid", async () => {
  const { sid } = await handshake(srv.url);
  assertError(
    await request(srv.url, { method: "POST", query: { EIO: "4", transport: "foo", sid }, body: "4x" }),
    0,
  );
});

test("code 1: unknown sid on GET", async () => {
  assertError(await poll(srv.url, "AAAAAAAAAAAAAAAAAAAA"), 1);
});

test("code 1: unknown sid on POST", async () => {
  assertError(await post(srv.url, "AAAAAAAAAAAAAAAAAAAA", "4x"), 1);
});

test("code 1: an sid that looks like an object property is unknown", async () => {
  assertError(await poll(srv.url, "__proto__"), 1);
  assertError(await poll(srv.url, "constructor"), 1);
});

test("code 2: a handshake (no sid) with POST", async () => {
  assertError(await request(srv.url, { method: "POST", query: pollQuery(), body: "4x" }), 2);
});

test("code 2: a handshake with PUT", async () => {
  assertError(await request(srv.url, { method: "PUT", query: pollQuery(), body: "4x" }), 2);
});

test("code 3: a websocket handshake over plain GET (no upgrade)", async () => {
  assertError(await request(srv.url, { query: { EIO: "4", transport: "websocket" } }), 3);
});

test("code 3: a polling GET whose sid belongs to a websocket session", async () => {
  const ws = new RawWs(wsUrl(srv.url));
  try {
    await ws.opened;
    const open = JSON.parse((await ws.next()).slice(1));
    assertError(await poll(srv.url, open.sid), 3);
  } finally {
    await ws.close();
  }
});

test("code 3: a polling GET with EIO=3 on an EIO=4 session", async () => {
  const { sid } = await handshake(srv.url);
  assertError(await request(srv.url, { query: { EIO: "3", transport: "polling", sid } }), 3);
});

test("code 5: EIO=3 without --allow-eio3", async () => {
  assertError(await request(srv.url, { query: { EIO: "3", transport: "polling" } }), 5);
});

test("code 5: missing EIO", async () => {
  assertError(await request(srv.url, { query: { transport: "polling" } }), 5);
});

test("code 5: EIO=5 and a non-numeric EIO", async () => {
  assertError(await request(srv.url, { query: { EIO: "5", transport: "polling" } }), 5);
  assertError(await request(srv.url, { query: { EIO: "abc", transport: "polling" } }), 5);
});

test("the transport check comes before the protocol check", async () => {
  assertError(await request(srv.url, { query: { EIO: "3", transport: "nope" } }), 0);
});

// code 4 (Forbidden) needs an allowRequest hook; the echo app has none, so it cannot be provoked.

test("a websocket upgrade with an unknown sid is refused with a plain-text 400", async () => {
  const ws = new RawWs(wsUrl(srv.url, { sid: "AAAAAAAAAAAAAAAAAAAA" }));
  const err = await ws.opened.then(
    () => null,
    (e) => e,
  );
  assert.ok(err, "the upgrade must fail");
  assert.equal(err.status, 400);
  assert.equal(err.body, "Session ID unknown");
  await ws.close();
});

test("a websocket-first handshake with EIO=3 gets no session without --allow-eio3", async () => {
  // The reference completes the WebSocket handshake and then destroys the connection (it writes
  // its 400 answer onto the upgraded socket); a refused upgrade would do as well. Either way no
  // frame, and no open packet, arrives.
  const ws = new RawWs(wsUrl(srv.url, { EIO: "3" }));
  const opened = await ws.opened.then(
    () => true,
    (e) => e,
  );
  if (opened !== true) assert.equal(opened.status, 400);
  const frame = await ws.next().then(
    (m) => m,
    () => null,
  );
  assert.equal(frame, null);
  await ws.waitClosed();
});

test("a websocket upgrade with an unknown transport is refused", async () => {
  const ws = new RawWs(wsUrl(srv.url, { transport: "foo" }));
  const err = await ws.opened.then(
    () => null,
    (e) => e,
  );
  assert.ok(err);
  assert.equal(err.status, 400);
  assert.equal(err.body, "Transport unknown");
  await ws.close();
});

test("a websocket upgrade whose EIO differs from the session's is refused (Bad request)", async () => {
  const { sid } = await handshake(srv.url);
  const ws = new RawWs(wsUrl(srv.url, { sid, EIO: "3" }));
  const err = await ws.opened.then(
    () => null,
    (e) => e,
  );
  assert.ok(err);
  assert.equal(err.status, 400);
  assert.equal(err.body, "Bad request");
  await ws.close();
});

test("a websocket connection that claims transport=polling gets no session", async () => {
  // The reference accepts the WebSocket handshake and closes it at once (1005); refusing the
  // upgrade would do as well. Either way no frame arrives and the polling session is untouched.
  const { sid } = await handshake(srv.url);
  const ws = new RawWs(wsUrl(srv.url, { sid, transport: "polling" }));
  const opened = await ws.opened.then(
    () => true,
    (e) => e,
  );
  if (opened !== true) assert.equal(opened.status, 400);
  const frame = await ws.next().then(
    (m) => m,
    () => null,
  );
  assert.equal(frame, null);
  await ws.waitClosed();
  assert.equal((await post(srv.url, sid, "4ok")).status, 200);
  assert.equal((await poll(srv.url, sid)).text, "4ok");
});

test("a POST larger than max-http-buffer-size answers 413; the session survives", async () => {
  const { sid, open } = await handshake(small.url);
  assert.equal(open.maxPayload, 1000);
  const res = await post(small.url, sid, "4" + "y".repeat(1500));
  assert.equal(res.status, 413);
  const next = await post(small.url, sid, "4after");
  assert.equal(next.status, 200);
  const get = await poll(small.url, sid);
  assert.equal(get.status, 200);
  assert.equal(get.text, "4after");
});

test("a POST exactly at max-http-buffer-size is accepted", async () => {
  const { sid } = await handshake(small.url);
  const res = await post(small.url, sid, "4" + "z".repeat(999));
  assert.equal(res.status, 200);
  const get = await poll(small.url, sid);
  assert.equal(get.text, "4" + "z".repeat(999));
});

test("an Origin header with a control character is refused with 400", async () => {
  const answer = await rawExchange(
    srv.port,
    "GET /engine.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: x\r\nOrigin: a\x01b\r\nConnection: close\r\n\r\n",
  );
  assert.match(answer, /^HTTP\/1\.1 400 /);
  assert.doesNotMatch(answer, /"sid"/);
});

test("garbage on the connection gets 400 and the server keeps serving", async () => {
  for (const junk of [
    "\x00\x01\x02\r\n\r\n",
    "GET\r\n\r\n",
    "POST /engine.io/?EIO=4 HTTP/1.1\r\nContent-Length: -1\r\n\r\n",
  ]) {
    const answer = await rawExchange(srv.port, junk);
    assert.ok(answer === "" || /^HTTP\/1\.[01] 400 /.test(answer), JSON.stringify(answer));
  }
  const { open } = await handshake(srv.url);
  assert.match(open.sid, /^[A-Za-z0-9_-]{20}$/);
});

// Query-string edge cases, as the reference parses them (URLSearchParams, the last duplicate wins).
for (const [method, path, expected] of [
  ["GET", "/engine.io/?EIO=4&transport=polling&sid=", "open"],
  ["POST", "/engine.io/?EIO=4&transport=polling&sid=", 2],
  ["GET", "/engine.io/?EIO=4&transport=websocket&transport=polling", "open"],
  ["GET", "/engine.io/?EIO=4&EIO=3&transport=polling", 5],
  ["GET", "/engine.io/?eio=4&transport=polling", 5],
  ["GET", "/engine.io/?EIO=04&transport=polling", 5],
  ["GET", "/engine.io/?EIO=4%20&transport=polling", 5],
  ["GET", "/engine.io/?EIO=4&transport=POLLING", 0],
  ["GET", "/engine.io/?EIO=4&transport=polling&transport", 0],
  ["GET", "/engine.io/?EIO=4&transport=polling&sid=%41", 1],
  ["DELETE", "/engine.io/?EIO=4&transport=polling", 2],
]) {
  test(`query edge case: ${method} ${path} -> ${expected === "open" ? "handshake" : `code ${expected}`}`, async () => {
    const res = await request(srv.url, { method, path, body: method === "POST" ? "4x" : undefined });
    if (expected === "open") {
      assert.equal(res.status, 200);
      assert.equal(res.text[0], "0");
      assert.match(JSON.parse(res.text.slice(1)).sid, /^[A-Za-z0-9_-]{20}$/);
    } else {
      assertError(res, expected);
    }
  });
}
