// engineio-websocket.test.mjs - the WebSocket transport over a raw `ws` client (WebSocket-first
// sessions): text frames `4...`, binary frames without prefix, ordering, the client's close
// packet, protocol errors, the message size limit, the end of the session on disconnect,
// fragmented frames, control-frame pings (and a ping flood), no permessage-deflate, invalid
// UTF-8, and shutdown.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startEcho, REFERENCE } from "./lib/server.mjs";
import { poll, handshake } from "./lib/http.mjs";
import { RawWs, wsUrl, openWs } from "./lib/ws.mjs";

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

test("a text message is echoed as a text frame", async () => {
  const { ws } = await openWs(srv.url);
  try {
    ws.send("4hello");
    assert.equal(await ws.nextNonPing(), "4hello");
    ws.send("4é€😀");
    assert.equal(await ws.nextNonPing(), "4é€😀");
    ws.send("4");
    assert.equal(await ws.nextNonPing(), "4");
  } finally {
    await ws.close();
  }
});

test("a binary frame is echoed as a binary frame with no prefix", async () => {
  const { ws } = await openWs(srv.url);
  try {
    const bin = Buffer.from([4, 0, 1, 2, 255, 0x1e]);
    ws.send(bin);
    const echo = await ws.nextNonPing();
    assert.ok(Buffer.isBuffer(echo), "binary frame expected");
    assert.deepEqual(echo, bin);
    ws.send(Buffer.alloc(0));
    const empty = await ws.nextNonPing();
    assert.ok(Buffer.isBuffer(empty));
    assert.equal(empty.length, 0);
  } finally {
    await ws.close();
  }
});

test("many messages are echoed in order", async () => {
  const { ws } = await openWs(srv.url);
  try {
    const n = 500;
    for (let i = 0; i < n; i++) ws.send(i % 2 ? `4m${i}` : Buffer.from(`b${i}`));
    for (let i = 0; i < n; i++) {
      const m = await ws.nextNonPing();
      if (i % 2) assert.equal(m, `4m${i}`);
      else assert.deepEqual(m, Buffer.from(`b${i}`));
    }
  } finally {
    await ws.close();
  }
});

test("a large message (900 KB) under the limit is echoed intact", async () => {
  const { ws } = await openWs(srv.url);
  try {
    const big = "4" + "q".repeat(900 * 1024);
    ws.send(big);
    assert.equal(await ws.nextNonPing(), big);
  } finally {
    await ws.close();
  }
});

test("a message larger than max-http-buffer-size closes the connection", async () => {
  const { ws, open } = await openWs(small.url);
  assert.equal(open.maxPayload, 1000);
  ws.send("4" + "y".repeat(2000));
  const info = await ws.waitClosed();
  assert.equal(info.code, 1009);
  const again = await poll(small.url, open.sid);
  assert.equal(again.status, 400);
  assert.deepEqual(JSON.parse(again.text), { code: 1, message: "Session ID unknown" });
});

test("a close packet then the client's close ends the session", async () => {
  // engine.io-client sends `1` and then closes the WebSocket itself (the reference server does
  // not act on `1` over WebSocket, it waits for the close).
  const { ws, open } = await openWs(srv.url);
  ws.send("1");
  await ws.close();
  let res;
  for (let i = 0; i < 50; i++) {
    res = await poll(srv.url, open.sid);
    if (res.status === 400 && JSON.parse(res.text).code === 1) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.deepEqual(JSON.parse(res.text), { code: 1, message: "Session ID unknown" });
});

test("a malformed packet closes the connection", async () => {
  for (const bad of ["9x", "x", ""]) {
    const { ws, open } = await openWs(srv.url);
    ws.send(bad);
    await ws.waitClosed();
    const again = await poll(srv.url, open.sid);
    assert.equal(again.status, 400, `after ${JSON.stringify(bad)}`);
  }
});

test("a ping from the client (wrong heartbeat direction in v4) closes the connection", async () => {
  const { ws } = await openWs(srv.url);
  ws.send("2");
  await ws.waitClosed();
});

test("closing the websocket ends the session", async () => {
  const { ws, open } = await openWs(srv.url);
  await ws.close();
  // the session disappears once the server saw the close: poll until it does
  let res;
  for (let i = 0; i < 50; i++) {
    res = await poll(srv.url, open.sid);
    if (res.status === 400 && JSON.parse(res.text).code === 1) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.deepEqual(JSON.parse(res.text), { code: 1, message: "Session ID unknown" });
});

test("a second websocket with the sid of a websocket session does not disturb the first", async () => {
  const { ws, open } = await openWs(srv.url);
  const second = new RawWs(wsUrl(srv.url, { sid: open.sid }));
  try {
    const opened = await second.opened.then(
      () => true,
      () => false,
    );
    if (opened) {
      second.send("4intruder");
      const frame = await second.next(500).then(
        (m) => m,
        () => null,
      );
      assert.equal(frame, null, "the duplicate websocket must get no echo");
    }
    ws.send("4still");
    assert.equal(await ws.nextNonPing(), "4still");
  } finally {
    await second.close();
    await ws.close();
  }
});

test("a fragmented text message is reassembled and echoed whole", async () => {
  const { ws } = await openWs(srv.url);
  try {
    ws.ws.send("4frag", { fin: false });
    ws.ws.send("men", { fin: false });
    ws.ws.send("ted", { fin: true });
    assert.equal(await ws.nextNonPing(), "4fragmented");
    ws.ws.send(Buffer.from([1, 2]), { binary: true, fin: false });
    ws.ws.send(Buffer.from([3]), { binary: true, fin: true });
    assert.deepEqual(await ws.nextNonPing(), Buffer.from([1, 2, 3]));
  } finally {
    await ws.close();
  }
});

test("a WebSocket ping control frame is answered with a pong carrying the same data", async () => {
  const { ws } = await openWs(srv.url);
  try {
    const pong = new Promise((resolve) => ws.ws.once("pong", (data) => resolve(Buffer.from(data))));
    ws.ws.ping(Buffer.from("hb"));
    assert.deepEqual(await pong, Buffer.from("hb"));
    ws.send("4after ping");
    assert.equal(await ws.nextNonPing(), "4after ping");
  } finally {
    await ws.close();
  }
});

test("a flood of pings is answered, the last pong with the last ping's data", async () => {
  const { ws } = await openWs(srv.url);
  try {
    const pongs = [];
    ws.ws.on("pong", (data) => pongs.push(Buffer.from(data).toString()));
    const n = 5000;
    for (let i = 0; i < n; i++) ws.ws.ping(Buffer.from(`p${i}`));
    ws.send("4after pings"); // echoed after every pong was queued
    assert.equal(await ws.nextNonPing(), "4after pings");
    assert.ok(pongs.length >= 1);
    assert.equal(pongs.at(-1), `p${n - 1}`);
    // sioc rewrites a pong that is still queued (RFC 6455 5.5.3) so that a peer pinging without
    // reading cannot grow its queue; the reference (ws) answers every ping
    if (REFERENCE) assert.equal(pongs.length, n);
    // how many unwritten pongs get replaced depends on how fast the socket drains
    else assert.ok(pongs.length <= n, `${pongs.length} pongs for ${n} pings`);
  } finally {
    await ws.close();
  }
});

test("permessage-deflate is not negotiated (the reference's default)", async () => {
  const ws = new RawWs(wsUrl(srv.url), { perMessageDeflate: true });
  try {
    await ws.opened;
    assert.equal(ws.ws.extensions, "");
    assert.equal((await ws.next())[0], "0");
  } finally {
    await ws.close();
  }
});

test("a text frame with invalid UTF-8 closes the connection with 1007", async () => {
  const { ws, open } = await openWs(srv.url);
  ws.ws.send(Buffer.from([0x34, 0xff, 0xfe]), { binary: false });
  const info = await ws.waitClosed();
  assert.equal(info.code, 1007);
  let res;
  for (let i = 0; i < 50; i++) {
    res = await poll(srv.url, open.sid);
    if (JSON.parse(res.text).code === 1) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.deepEqual(JSON.parse(res.text), { code: 1, message: "Session ID unknown" });
});

test("server shutdown: a held GET gets the close packet, a websocket is closed", async () => {
  const own = await startEcho();
  const { sid } = await handshake(own.url);
  const held = poll(own.url, sid);
  const { ws } = await openWs(own.url);
  ws.send("4before");
  assert.equal(await ws.nextNonPing(), "4before"); // the session is fully open
  await new Promise((r) => setTimeout(r, 30)); // let the GET be held
  await own.stop();
  const res = await held;
  assert.equal(res.status, 200);
  assert.equal(res.text, "1");
  const info = await ws.waitClosed();
  assert.equal(info.code, 1005);
  // sioc sends the close packet `1` before the close frame (every session gets a close packet
  // at shutdown); the reference closes the WebSocket without one
  assert.deepEqual(
    ws.queue.filter((m) => m !== "2"),
    REFERENCE ? [] : ["1"],
  );
});
