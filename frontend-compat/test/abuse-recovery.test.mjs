// abuse-recovery.test.mjs - recovery that degrades instead of locking a client out (issue 14):
// a /chat client with recovery drops its transport; while it is away more messages are sent to
// its chat than may be replayed (--recovery-max-replay-packets 200): it comes back at once with
// a fresh session (`recovered: false`, under 2 s) and the REST history has every message (nothing
// stored is lost). A client that missed fewer is recovered, with every missed message once and in
// order (the replay is paced). /metrics counts the refusal.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { io } from "socket.io-client";
import { api, backends, connect, emitAck, next, register, startChat, T } from "./lib/chat.mjs";

const MAX_REPLAY = 200;

for (const backend of backends().slice(0, 1)) {
  describe(`abuse: recovery under a flood (${backend.name})`, { timeout: T(60000) }, () => {
    let server;
    const sockets = [];
    before(async () => {
      server = await startChat(backend, ["--recovery-max-replay-packets", String(MAX_REPLAY)]);
    });
    after(async () => {
      for (const s of sockets) s.close();
      await server?.stop();
    });

    async function setup() {
      const a = await register(server);
      const b = await register(server);
      const g = await api(server, "POST", "/v1/api/chats/group", {
        token: a.token,
        body: { name: "flood", memberIds: [b.id] },
      });
      assert.equal(g.status, 201, g.text);
      const { socket: sa } = await connect(server, a.token);
      sockets.push(sa);
      const sb = io(`${server.url}/chat`, {
        forceNew: true,
        transports: ["websocket"],
        auth: { token: b.token },
        reconnectionDelay: 50,
        reconnectionDelayMax: 100,
      });
      sockets.push(sb);
      await next(sb, "ready");
      const first = next(sb, "message:new");
      await emitAck(sa, "message:send", { chatId: g.json.id, body: "before" });
      await first; // b now holds an offset
      return { a, b, sa, sb, chatId: g.json.id };
    }

    async function flood(sa, chatId, n) {
      const acks = [];
      for (let i = 0; i < n; i++) acks.push(emitAck(sa, "message:send", { chatId, body: `m${i}` }, T(30000)));
      const res = await Promise.all(acks);
      for (const r of res) assert.equal(r.ok, true, JSON.stringify(r));
    }

    it("missing more than can be replayed: a fresh session at once, the history complete", async () => {
      const { b, sa, sb, chatId } = await setup();
      const N = MAX_REPLAY * 3;
      sb.io.reconnection(false);
      sb.io.engine.close(); // transport drop
      await flood(sa, chatId, N);
      const t0 = Date.now();
      sb.io.reconnection(true);
      sb.connect();
      await new Promise((resolve) => sb.once("connect", resolve));
      const took = Date.now() - t0;
      assert.equal(sb.recovered, false, "not recovered: a fresh session");
      assert.ok(took < 2000, `back in ${took} ms`);
      // nothing stored is lost: the REST history has every message, in seq order
      const seen = [];
      let before = 0;
      for (;;) {
        const q = before ? `?limit=100&before=${before}` : "?limit=100";
        const h = await api(server, "GET", `/v1/api/chats/${chatId}/messages${q}`, { token: b.token });
        assert.equal(h.status, 200, h.text);
        if (h.json.messages.length === 0) break;
        seen.push(...h.json.messages);
        before = h.json.messages[h.json.messages.length - 1].seq;
        if (h.json.messages.length < 100) break;
      }
      assert.equal(seen.length, N + 1);
      const bodies = new Set(seen.map((m) => m.body));
      for (let i = 0; i < N; i++) assert.ok(bodies.has(`m${i}`), `m${i} stored`);
      const m = await api(server, "GET", "/metrics");
      const refused = Number(/sioc_recovery_refused_total (\d+)/.exec(m.text)[1]);
      assert.ok(refused >= 1, "the refusal is counted");
    });

    it("missing fewer: recovered, every missed message once and in order", async () => {
      const { sa, sb, chatId } = await setup();
      const N = MAX_REPLAY - 20;
      const got = [];
      sb.on("message:new", (msg) => got.push(msg.body));
      sb.io.reconnection(false);
      sb.io.engine.close();
      await flood(sa, chatId, N);
      sb.io.reconnection(true);
      sb.connect();
      await new Promise((resolve) => sb.once("connect", resolve));
      assert.equal(sb.recovered, true, "recovered");
      const deadline = Date.now() + T(5000);
      while (got.length < N && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      assert.deepEqual(got, Array.from({ length: N }, (_, i) => `m${i}`));
    });
  });
}
