// engineio-client.test.mjs - the unmodified engine.io-client 6.x (from node_modules) against the
// echo server: polling only, WebSocket only, polling then upgrade; text and binary (Buffer,
// ArrayBuffer, typed arrays) both ways; a client that stays connected across several ping
// intervals; payloads over maxPayload; many concurrent clients; the client's close and the
// server's shutdown as the client sees them.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { Socket } from "engine.io-client";
import { startEcho, T } from "./lib/server.mjs";
import { MessageQueue, bytes } from "./lib/messages.mjs";

let srv;
let fastPing;
let small;
before(async () => {
  [srv, fastPing, small] = await Promise.all([
    startEcho(),
    startEcho(["--ping-interval", "200", "--ping-timeout", "1000"]),
    startEcho(["--max-http-buffer-size", "1000"]),
  ]);
});
after(async () => {
  await srv?.stop();
  await fastPing?.stop();
  await small?.stop();
});

/** A client whose messages are queued for `next()`, rejecting on timeout or close. */
function connect(base, opts = {}) {
  const socket = new Socket(base, { path: "/engine.io/", ...opts });
  const messages = new MessageQueue();
  let closed = null;
  socket.on("message", (m) => messages.push(m));
  const closedP = new Promise((resolve) => {
    socket.on("close", (reason, desc) => {
      closed = { reason, desc };
      messages.close(new Error(`closed (${reason})`));
      resolve(closed);
    });
  });
  const opened = new Promise((resolve, reject) => {
    socket.once("open", resolve);
    socket.once("error", reject);
  });
  return {
    socket,
    opened,
    closed: closedP,
    next: (timeout = T(5000)) => messages.next(timeout),
    async close() {
      if (!closed) socket.close();
      return closedP;
    },
  };
}

async function echoRoundTrips(c) {
  c.socket.send("hello");
  assert.equal(await c.next(), "hello");
  // (a text message may not contain \x1e: polling payloads cannot carry it)
  c.socket.send('é€😀 {"json":[1,2]} \n\t');
  assert.equal(await c.next(), 'é€😀 {"json":[1,2]} \n\t');
  c.socket.send(Buffer.from([1, 2, 3, 255]));
  assert.deepEqual(bytes(await c.next()), [1, 2, 3, 255]);
  c.socket.send(new Uint8Array([9, 8, 7]).buffer);
  assert.deepEqual(bytes(await c.next()), [9, 8, 7]);
  c.socket.send(new Uint8Array([0, 0x1e, 5]));
  assert.deepEqual(bytes(await c.next()), [0, 0x1e, 5]);
}

for (const transports of [["polling"], ["websocket"]]) {
  test(`client with transports ${JSON.stringify(transports)}: text and binary echo`, async () => {
    const c = connect(srv.url, { transports, upgrade: false });
    try {
      await c.opened;
      assert.equal(c.socket.transport.name, transports[0]);
      assert.match(c.socket.id, /^[A-Za-z0-9_-]{20}$/);
      await echoRoundTrips(c);
      assert.equal(c.socket.transport.name, transports[0]);
    } finally {
      await c.close();
    }
  });
}

for (const transports of [["polling"], ["websocket"]]) {
  test(`client with transports ${JSON.stringify(transports)}: large text and binary messages`, async () => {
    const c = connect(srv.url, { transports, upgrade: false });
    try {
      await c.opened;
      const text = "t".repeat(600 * 1024);
      c.socket.send(text);
      assert.equal(await c.next(T(10000)), text);
      // 500 KB binary: 667 KB once base64-encoded for polling, under the 1 MB limit
      const bin = Buffer.alloc(500 * 1024);
      for (let i = 0; i < bin.length; i++) bin[i] = (i * 31) & 255;
      c.socket.send(bin);
      const echo = Buffer.from(bytes(await c.next(T(10000))));
      assert.equal(echo.length, bin.length);
      assert.ok(echo.equals(bin));
    } finally {
      await c.close();
    }
  });
}

test("client polling then upgrade: the upgrade event fires and the transport becomes websocket", async () => {
  const c = connect(srv.url, { transports: ["polling", "websocket"] });
  try {
    const upgraded = new Promise((resolve) => c.socket.once("upgrade", resolve));
    await c.opened;
    assert.equal(c.socket.transport.name, "polling");
    const transport = await Promise.race([
      upgraded,
      new Promise((_, reject) => setTimeout(() => reject(new Error("no upgrade")), T(5000))),
    ]);
    assert.equal(transport.name, "websocket");
    assert.equal(c.socket.transport.name, "websocket");
    await echoRoundTrips(c);
  } finally {
    await c.close();
  }
});

test("client sending during the upgrade gets every echo in order", async () => {
  const c = connect(srv.url, { transports: ["polling", "websocket"] });
  try {
    const upgraded = new Promise((resolve) => c.socket.once("upgrade", resolve));
    await c.opened;
    const n = 100;
    for (let i = 0; i < n; i++) c.socket.send(`m${i}`);
    for (let i = 0; i < n; i++) assert.equal(await c.next(), `m${i}`);
    await upgraded;
    for (let i = 0; i < n; i++) c.socket.send(`n${i}`);
    for (let i = 0; i < n; i++) assert.equal(await c.next(), `n${i}`);
  } finally {
    await c.close();
  }
});

for (const transports of [["polling"], ["websocket"]]) {
  test(`a ${transports[0]} client stays connected across several ping intervals`, async () => {
    const c = connect(fastPing.url, { transports });
    try {
      await c.opened;
      let pings = 0;
      await new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`only ${pings} pings`)), T(10000));
        c.socket.on("ping", () => {
          if (++pings === 5) {
            clearTimeout(timer);
            resolve();
          }
        });
        c.closed.then((r) => reject(new Error(`closed: ${r.reason}`)));
      });
      assert.equal(c.socket.readyState, "open");
      c.socket.send("after pings");
      assert.equal(await c.next(), "after pings");
    } finally {
      await c.close();
    }
  });
}

test("a websocket client sending more than maxPayload is closed", async () => {
  const c = connect(small.url, { transports: ["websocket"] });
  await c.opened;
  c.socket.send("z".repeat(2000));
  const { reason } = await c.closed;
  assert.equal(reason, "transport close");
});

test("a polling client sending more than maxPayload sees an error and closes", async () => {
  const c = connect(small.url, { transports: ["polling"] });
  await c.opened;
  c.socket.send("z".repeat(2000));
  const { reason } = await c.closed;
  assert.equal(reason, "transport error");
});

test("200 concurrent clients echo their own messages", async () => {
  const n = 200;
  const clients = Array.from({ length: n }, (_, i) =>
    connect(srv.url, {
      transports: i % 3 === 0 ? ["polling"] : i % 3 === 1 ? ["websocket"] : ["polling", "websocket"],
    }),
  );
  try {
    await Promise.all(clients.map((c) => c.opened));
    await Promise.all(
      clients.map(async (c, i) => {
        for (let k = 0; k < 3; k++) {
          c.socket.send(`client ${i} message ${k}`);
          assert.equal(await c.next(T(15000)), `client ${i} message ${k}`);
        }
        c.socket.send(Buffer.from([i & 255, k255(i)]));
        assert.deepEqual(bytes(await c.next(T(15000))), [i & 255, k255(i)]);
      }),
    );
  } finally {
    await Promise.all(clients.map((c) => c.close()));
  }
});

function k255(i) {
  return (i * 7) & 255;
}

test("the client's close() ends the session with reason forced close", async () => {
  const c = connect(srv.url, { transports: ["websocket"] });
  await c.opened;
  c.socket.close();
  const { reason } = await c.closed;
  assert.equal(reason, "forced close");
});

test("clients see the server's shutdown as a close", async () => {
  const own = await startEcho();
  const a = connect(own.url, { transports: ["polling"], reconnect: false });
  const b = connect(own.url, { transports: ["websocket"] });
  await Promise.all([a.opened, b.opened]);
  await own.stop();
  const [ra, rb] = await Promise.all([a.closed, b.closed]);
  assert.ok(["transport close", "transport error"].includes(ra.reason), ra.reason);
  assert.ok(["transport close", "transport error"].includes(rb.reason), rb.reason);
});
