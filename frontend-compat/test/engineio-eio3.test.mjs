// engineio-eio3.test.mjs - Engine.IO v3 (EIO=3, socket.io 2.x clients) behind --allow-eio3:
// length-prefixed polling payloads (lengths in UTF-16 code units), `b4`+base64 binary with b64=1,
// the binary payload encoding without it, client-initiated ping answered with pong over polling
// and WebSocket, a v3 session with no EIO parameter at all, the v3 ping timeout, JSONP polling
// (j=N), and the real engine.io-client 3.x (bundled with socket.io-client 2.x) over every transport.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startEcho, T } from "./lib/server.mjs";
import { request, decodePayloadV3, encodePayloadV3 } from "./lib/http.mjs";
import { RawWs, wsUrl } from "./lib/ws.mjs";
import { MessageQueue, bytes } from "./lib/messages.mjs";
import { createRequire } from "node:module";

// engine.io-client 3.x, as bundled with socket.io-client 2.x (the package socket.io-client-v2)
const require = createRequire(import.meta.url);
const EioV3 = require("socket.io-client-v2/node_modules/engine.io-client");

let srv;
let quick;
before(async () => {
  srv = await startEcho(["--allow-eio3"]);
  quick = await startEcho(["--allow-eio3", "--ping-interval", "300", "--ping-timeout", "600"]);
});
after(async () => {
  await srv?.stop();
  await quick?.stop();
});

function q3(extra = {}) {
  return { EIO: "3", transport: "polling", ...extra };
}

async function handshake3(base, extra = {}) {
  const res = await request(base, { query: q3(extra) });
  assert.equal(res.status, 200, res.text);
  const packets = decodePayloadV3(res.text);
  assert.equal(packets[0].type, "0");
  return { res, open: JSON.parse(packets[0].data), packets };
}

test("v3 polling handshake: a length-prefixed open packet", async () => {
  const { res, open, packets } = await handshake3(srv.url);
  assert.match(res.headers["content-type"], /^text\/plain/);
  const body = "0" + JSON.stringify(open);
  assert.equal(res.text, `${body.length}:${body}`);
  assert.equal(packets.length, 1);
  assert.match(open.sid, /^[A-Za-z0-9_-]{20}$/);
  assert.deepEqual(open.upgrades, ["websocket"]);
  assert.equal(open.pingInterval, 25000);
  assert.equal(open.pingTimeout, 20000);
});

test("v3: a request with no EIO parameter opens a v3 session", async () => {
  const res = await request(srv.url, { query: { transport: "polling" } });
  assert.equal(res.status, 200);
  const [open] = decodePayloadV3(res.text);
  assert.equal(open.type, "0");
  assert.match(JSON.parse(open.data).sid, /^[A-Za-z0-9_-]{20}$/);
});

test("v3 polling: client ping is answered with pong; messages are echoed with UTF-16 lengths", async () => {
  const { open } = await handshake3(srv.url, { b64: "1" });
  const sid = open.sid;
  const body = encodePayloadV3([
    { type: "2", data: "" },
    { type: "4", data: "hello" },
    { type: "4", data: "é€😀" },
  ]);
  assert.equal(body, "1:26:4hello5:4é€😀");
  const p = await request(srv.url, { method: "POST", query: q3({ sid, b64: "1" }), body });
  assert.equal(p.status, 200);
  assert.equal(p.text, "ok");
  const g = await request(srv.url, { query: q3({ sid, b64: "1" }) });
  assert.equal(g.status, 200);
  assert.equal(g.text, "1:36:4hello5:4é€😀");
});

test("v3 polling with b64=1: binary travels as b4+base64 both ways", async () => {
  const { open } = await handshake3(srv.url, { b64: "1" });
  const sid = open.sid;
  const bin = Buffer.from([1, 2, 3, 0, 255]);
  const pkt = "b4" + bin.toString("base64");
  const p = await request(srv.url, {
    method: "POST",
    query: q3({ sid, b64: "1" }),
    body: `${pkt.length}:${pkt}`,
  });
  assert.equal(p.status, 200);
  const g = await request(srv.url, { query: q3({ sid, b64: "1" }) });
  assert.equal(g.text, `${pkt.length}:${pkt}`);
  const [echo] = decodePayloadV3(g.text);
  assert.deepEqual(echo.data, bin);
});

test("v3 polling without b64: a binary echo uses the binary payload encoding", async () => {
  const { open } = await handshake3(srv.url);
  const sid = open.sid;
  const p = await request(srv.url, { method: "POST", query: q3({ sid }), body: "6:b4AQID" });
  assert.equal(p.status, 200);
  const g = await request(srv.url, { query: q3({ sid }) });
  assert.equal(g.status, 200);
  assert.equal(g.headers["content-type"], "application/octet-stream");
  // <1 = binary><length digits 4><0xff><type 4><bytes>
  assert.deepEqual(g.body, Buffer.from([1, 4, 0xff, 4, 1, 2, 3]));
});

test("v3 websocket: open, client ping answered with pong, text and binary echoed", async () => {
  const ws = new RawWs(wsUrl(srv.url, { EIO: "3" }));
  try {
    await ws.opened;
    const first = await ws.next();
    assert.equal(first[0], "0");
    const open = JSON.parse(first.slice(1));
    assert.deepEqual(open.upgrades, []);
    ws.send("2");
    assert.equal(await ws.next(), "3");
    ws.send("4hi");
    assert.equal(await ws.next(), "4hi");
    // v3 binary frames carry the packet type as their first byte
    ws.send(Buffer.from([4, 1, 2, 3]));
    assert.deepEqual(await ws.next(), Buffer.from([4, 1, 2, 3]));
  } finally {
    await ws.close();
  }
});

test("v3 upgrade: probe, noop on the held GET, upgrade", async () => {
  const { open } = await handshake3(srv.url, { b64: "1" });
  const sid = open.sid;
  const held = request(srv.url, { query: q3({ sid, b64: "1" }) });
  await new Promise((r) => setTimeout(r, T(30)));
  const ws = new RawWs(wsUrl(srv.url, { EIO: "3", sid }));
  try {
    await ws.opened;
    ws.send("2probe");
    assert.equal(await ws.next(), "3probe");
    const g = await held;
    assert.equal(g.text, "1:6");
    ws.send("5");
    ws.send("4up");
    assert.equal(await ws.next(), "4up");
  } finally {
    await ws.close();
  }
});

test("v3: the server never pings; a client that pings stays, one that does not is closed", async () => {
  const ws = new RawWs(wsUrl(quick.url, { EIO: "3" }));
  await ws.opened;
  assert.equal((await ws.next())[0], "0");
  for (let i = 0; i < 4; i++) {
    ws.send("2");
    assert.equal(await ws.next(), "3"); // a pong, never a server ping
    await new Promise((r) => setTimeout(r, 150)); // the client's own ping period
  }
  const start = Date.now();
  await ws.waitClosed(T(5000));
  assert.ok(Date.now() - start >= 300, `closed ${Date.now() - start} ms after the last ping`);
});

test("v3: a pong from the client is a protocol error", async () => {
  const ws = new RawWs(wsUrl(srv.url, { EIO: "3" }));
  await ws.opened;
  await ws.next();
  ws.send("3");
  await ws.waitClosed();
});

test("v3 JSONP polling (j=N): payloads wrapped in ___eio[N](...), form-encoded POSTs", async () => {
  // socket.io-client 2.x falls back to JSONP (forceJSONP, or no XHR): the GET answer is the
  // JavaScript `___eio[N]("<payload as a JSON string>");` with U+2028/9 escaped, and the POST
  // body is `d=<payload>` form-encoded, with the client's newlines escaped as backslash-n.
  const hs = await request(srv.url, { query: q3({ j: "2" }) });
  assert.equal(hs.status, 200);
  assert.ok(hs.text.startsWith("___eio[2](") && hs.text.endsWith(");"), hs.text);
  const payload = JSON.parse(hs.text.slice("___eio[2](".length, -2));
  const [open] = decodePayloadV3(payload);
  assert.equal(open.type, "0");
  const sid = JSON.parse(open.data).sid;
  const body = "d=" + encodeURIComponent("7:4he\\nllo" + "2:4\u2028");
  const p = await request(srv.url, {
    method: "POST",
    query: q3({ j: "2", sid }),
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body,
  });
  assert.equal(p.status, 200);
  assert.equal(p.text, "ok");
  const g = await request(srv.url, { query: q3({ j: "2", sid }) });
  assert.equal(g.status, 200);
  assert.equal(g.text, '___eio[2]("7:4he\\nllo2:4\\u2028");');
  assert.deepEqual(
    decodePayloadV3(JSON.parse(g.text.slice("___eio[2](".length, -2))).map((x) => x.data),
    ["he\nllo", "\u2028"],
  );
});

for (const transports of [["polling"], ["websocket"], ["polling", "websocket"]]) {
  test(`engine.io-client 3.x with ${JSON.stringify(transports)}: echo, upgrade, client pings`, async () => {
    const socket = new EioV3(quick.url, { path: "/engine.io/", transports });
    const messages = new MessageQueue();
    socket.on("message", (m) => messages.push(m));
    const next = () => messages.next();
    const closed = new Promise((r) => socket.on("close", r));
    try {
      await new Promise((resolve, reject) => {
        socket.on("open", resolve);
        socket.on("error", reject);
      });
      if (transports.length === 2) {
        if (socket.transport.name !== "websocket")
          await new Promise((resolve) => socket.on("upgrade", resolve));
        assert.equal(socket.transport.name, "websocket");
      }
      socket.send("hello v3 é€😀");
      assert.equal(await next(), "hello v3 é€😀");
      socket.send(Buffer.from([1, 2, 3]));
      assert.deepEqual(bytes(await next()), [1, 2, 3]);
      // the quick server closes a v3 client silent for 900 ms: the client's own pings (every
      // pingInterval, answered by pongs) must keep it open across several periods
      let pongs = 0;
      await new Promise((resolve, reject) => {
        socket.on("pong", () => ++pongs === 3 && resolve());
        closed.then(() => reject(new Error("closed")));
      });
      socket.send("still open");
      assert.equal(await next(), "still open");
    } finally {
      socket.close();
      await closed;
    }
  });
}
