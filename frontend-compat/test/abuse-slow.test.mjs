// abuse-slow.test.mjs - a slow consumer per transport (issue 14): a /chat member that stops
// reading (WebSocket: its TCP socket paused; polling: it never polls again) while its chat is
// flooded. Its send queue is bounded in bytes (--max-buffered-bytes): the server closes that one
// client (counted in /metrics as sioc_send_queue_overflow_closed_total) instead of growing, the
// server's RSS stays bounded, and the sender and the other members go on with every message.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import WebSocket from "ws";
import { api, backends, connect, emitAck, register, startChat, T } from "./lib/chat.mjs";
import fs from "node:fs";
import { request, pollQuery, decodePayload } from "./lib/http.mjs";
import { SANITIZED } from "./lib/server.mjs";

const BOUND = 256 * 1024;
const BODY = "y".repeat(3900);
const SIO = "/socket.io/";

function rssKiB(pid) {
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"));
  return Number(m[1]);
}

// long-polling on the chat's engine (/socket.io/)
const poll = (server, sid) => request(server.url, { path: SIO, query: pollQuery(sid) });
const post = (server, sid, body) =>
  request(server.url, { method: "POST", path: SIO, query: pollQuery(sid), headers: { "content-type": "text/plain;charset=UTF-8" }, body });

async function metric(server, name) {
  const r = await api(server, "GET", "/metrics");
  const line = r.text.split("\n").find((l) => l.startsWith(`${name} `));
  assert.ok(line, `no ${name} in /metrics`);
  return Number(line.split(" ")[1]);
}

for (const backend of backends().slice(0, 1)) {
  describe(`abuse: slow consumers (${backend.name})`, { timeout: T(120000) }, () => {
    let server;
    const closers = [];
    before(async () => {
      server = await startChat(backend, ["--max-buffered-bytes", String(BOUND)]);
    });
    after(async () => {
      for (const c of closers) c();
      await server?.stop();
    });

    // a group of a (the sender), b (the slow one) and c (a reader that keeps up)
    async function setup() {
      const [a, b, c] = [await register(server), await register(server), await register(server)];
      const g = await api(server, "POST", "/v1/api/chats/group", { token: a.token, body: { name: "slow", memberIds: [b.id, c.id] } });
      assert.equal(g.status, 201, g.text);
      const { socket: sa } = await connect(server, a.token);
      const { socket: sc } = await connect(server, c.token);
      closers.push(() => sa.close(), () => sc.close());
      let seenByC = 0;
      sc.on("message:new", () => seenByC++);
      return { a, b, sa, chatId: g.json.id, seenByC: () => seenByC };
    }

    // sends n messages of 3,900 characters, 32 waiting for their ack at a time; all must be ok
    async function flood(sa, chatId, n) {
      let sent = 0;
      async function lane() {
        while (sent < n) {
          sent++;
          const r = await emitAck(sa, "message:send", { chatId, body: BODY }, T(30000));
          assert.equal(r.ok, true, JSON.stringify(r));
        }
      }
      await Promise.all(Array.from({ length: 32 }, lane));
    }

    async function waitFor(fn, what, ms = T(20000)) {
      const end = Date.now() + ms;
      while (Date.now() < end) {
        if (await fn()) return;
        await new Promise((r) => setTimeout(r, 50));
      }
      assert.fail(`timed out waiting for ${what}`);
    }

    it("WebSocket: a member that stops reading is closed at the byte bound; the others get everything", async () => {
      const { b, sa, chatId, seenByC } = await setup();
      const closedBefore = await metric(server, "sioc_send_queue_overflow_closed_total");
      const ws = new WebSocket(`${server.url.replace("http", "ws")}${SIO}?EIO=4&transport=websocket`, { perMessageDeflate: false });
      closers.push(() => ws.terminate());
      const frames = [];
      ws.on("message", (d) => frames.push(String(d)));
      await new Promise((res, rej) => {
        ws.once("open", res);
        ws.once("error", rej);
      });
      ws.send(`40/chat,${JSON.stringify({ token: b.token })}`);
      await waitFor(() => frames.some((f) => f.startsWith('42/chat,["ready"')), "b's ready");
      let closed = false;
      ws.on("close", () => (closed = true));
      ws._socket.pause(); // b reads nothing more: the kernel buffers fill, then sioc's queue
      const base = rssKiB(server.proc.pid);
      const N = 4000; // 15.6 MB for b: well past the kernel's buffers and the 256 KiB bound
      await flood(sa, chatId, N);
      await waitFor(async () => (await metric(server, "sioc_send_queue_overflow_closed_total")) > closedBefore, "the overflow close");
      const grown = rssKiB(server.proc.pid) - base;
      // (not under AddressSanitizer: its quarantine keeps up to 256 MiB of freed memory resident)
      if (!SANITIZED) assert.ok(grown < 64 * 1024, `RSS grew by ${grown} KiB for one slow member`);
      await waitFor(() => seenByC() === N, `c's ${N} messages`);
      ws._socket.resume(); // what was in the kernel's buffers, then the close
      await waitFor(() => closed, "b's connection closed");
      const received = frames.filter((f) => f.startsWith('42/chat,["message:new"')).length;
      assert.ok(received < N, `b got ${received} of ${N}: it was never cut off`);
      // the history over REST has everything for b
      const h = await api(server, "GET", `/v1/api/chats/${chatId}/messages?limit=1`, { token: b.token });
      assert.equal(h.status, 200, h.text);
      assert.equal(h.json.messages[0].seq, N);
    });

    it("polling: a member that never polls again is closed at the byte bound", async () => {
      const { b, sa, chatId, seenByC } = await setup();
      const closedBefore = await metric(server, "sioc_send_queue_overflow_closed_total");
      const hs = await poll(server, null);
      assert.equal(hs.status, 200, hs.text);
      const { sid } = JSON.parse(hs.text.slice(1));
      const pr = await post(server, sid, `40/chat,${JSON.stringify({ token: b.token })}`);
      assert.equal(pr.status, 200, pr.text);
      const got = await poll(server, sid);
      assert.match(got.text, /40\/chat,/);
      const N = 400; // 1.6 MB queued for b, its bound 256 KiB
      await flood(sa, chatId, N);
      await waitFor(async () => (await metric(server, "sioc_send_queue_overflow_closed_total")) > closedBefore, "the overflow close");
      await waitFor(() => seenByC() === N, `c's ${N} messages`);
      const after = await poll(server, sid);
      // the session is gone: the client gets the protocol's error (or the close packet it missed)
      if (after.status === 200) assert.ok(decodePayload(after.text).some((p) => p.type === "1"), after.text);
      else assert.equal(after.status, 400, after.text);
    });
  });
}
