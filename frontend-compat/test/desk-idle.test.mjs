// desk-idle.test.mjs - the idle timer of the support desk (--desk-idle-close, seconds; short here):
// a quiet service is finished with the reason "idle" and the customer asked for a rating, a
// service with traffic stays open, the timer survives a restart (it lives in the database), and
// with two sioc nodes on one PostgreSQL each service is finished exactly once (with
// SIOC_TEST_REDIS the nodes also share events through the Redis adapter, and then every admin
// socket hears of every finish once and every visitor gets one rating request).
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { collect, emitAck, next, redisArgs, sleep } from "./lib/chat.mjs";
import { api, backends, desk, startDesk, startNode, support, T, until, visitor } from "./lib/desk.mjs";

const REDIS = process.env.SIOC_TEST_REDIS;

async function write(server, body = "anyone there?") {
  const v = await visitor(server);
  const s = await support(server, v.visitorToken);
  const r = await emitAck(s.socket, "message:send", { body });
  assert.equal(r.ok, true, JSON.stringify(r));
  return { socket: s.socket, sid: r.message.serviceId, v };
}

async function service(server, token, sid) {
  const r = await api(server, "GET", `/v1/api/desk/services/${sid}`, { token });
  assert.equal(r.status, 200, r.text);
  return r.json.service;
}

for (const backend of backends()) {
  describe(`desk idle close (${backend.name})`, () => {
    let server;
    before(async () => {
      server = await startDesk(backend, ["--desk-idle-close", "1"]);
    });
    after(async () => {
      await server?.stop();
    });

    test("a quiet service is finished once with the reason idle; a busy one stays open", async () => {
      const admin = await desk(server, server.admin.token);
      const finished = collect(admin.socket, "service:finished");
      const quiet = await write(server);
      const busy = await write(server);
      const rating = next(quiet.socket, "rating:request", () => true, T(6000));
      const end = Date.now() + 2500;
      while (Date.now() < end) {
        await sleep(300);
        const r = await emitAck(busy.socket, "message:send", { body: "still here" });
        assert.equal(r.ok, true);
        assert.equal(r.message.serviceId, busy.sid, "the busy service must stay the same");
      }
      const rq = await rating;
      assert.equal(rq.serviceId, quiet.sid);
      assert.equal(rq.reason, "idle");
      const s = await service(server, server.admin.token, quiet.sid);
      assert.equal(s.status, "finished");
      assert.equal(s.finishReason, "idle");
      assert.equal(s.finishedBy, null);
      assert.ok(s.finishedAt - s.lastActivityAt >= 1000, JSON.stringify(s));
      assert.equal((await service(server, server.admin.token, busy.sid)).status, "open");
      await sleep(600);
      assert.equal(finished.filter((p) => p.service.id === quiet.sid).length, 1, "announced once");
      assert.equal(finished.filter((p) => p.service.id === busy.sid).length, 0);
      // the rating of an idle-closed service is accepted; writing again opens a new service
      const ok = await emitAck(quiet.socket, "rating:submit", { serviceId: quiet.sid, rating: 3 });
      assert.equal(ok.ok, true, JSON.stringify(ok));
      const again = await emitAck(quiet.socket, "message:send", { body: "back again" });
      assert.notEqual(again.message.serviceId, quiet.sid);
      for (const x of [admin, quiet, busy]) x.socket.close();
    });

    test("the timer survives a restart", async () => {
      const store = backend.url();
      const first = await startDesk(backend, ["--desk-idle-close", "2"], { url: store.url, cleanup: () => {} });
      let second;
      try {
        const w = await write(first);
        w.socket.close();
        const token = first.admin.token;
        await first.stop();
        await sleep(2200); // due while no node runs
        second = await startNode(store.url, ["--desk-idle-close", "2"]);
        const s = await until(async () => {
          const x = await service(second, token, w.sid);
          return x.status === "finished" ? x : null;
        }, T(5000));
        assert.equal(s.finishReason, "idle");
      } finally {
        await second?.stop();
        store.cleanup();
      }
    });
  });
}

const pg = backends().find((b) => b.name === "postgres");
describe("desk idle close with two sioc nodes on one PostgreSQL", { skip: pg ? false : "SIOC_TEST_PG is not set" }, () => {
  let n1, n2;
  const extra = ["--desk-idle-close", "1", ...redisArgs(REDIS)];
  before(async () => {
    n1 = await startDesk(pg, extra);
    n2 = await startNode(n1.dbUrl, extra);
  });
  after(async () => {
    await n2?.stop();
    await n1?.stop();
  });

  test("each service is finished by exactly one node", async () => {
    const token = n1.admin.token; // one secret: valid on both nodes
    const a1 = await desk(n1, token);
    const a2 = await desk(n2, token);
    const f1 = collect(a1.socket, "service:finished");
    const f2 = collect(a2.socket, "service:finished");
    const ws = [];
    for (let i = 0; i < 8; i++) ws.push(await write(i % 2 ? n2 : n1, `quiet ${i}`));
    const requests = ws.map((w) => collect(w.socket, "rating:request"));
    await until(async () => {
      for (const w of ws) if ((await service(n1, token, w.sid)).status !== "finished") return false;
      return true;
    }, T(8000));
    await sleep(1500); // any second finish would have been announced by now
    const ids = ws.map((w) => w.sid);
    for (const sid of ids) {
      const s = await service(n2, token, sid);
      assert.equal(s.finishReason, "idle");
      if (REDIS) {
        // the adapter carries each node's announcement to the other: once on each socket
        assert.equal(f1.filter((p) => p.service.id === sid).length, 1, `node 1 heard ${sid}`);
        assert.equal(f2.filter((p) => p.service.id === sid).length, 1, `node 2 heard ${sid}`);
      } else {
        // no adapter: each node announces the services it finished itself, so the union is once
        const n = f1.filter((p) => p.service.id === sid).length + f2.filter((p) => p.service.id === sid).length;
        assert.equal(n, 1, `service ${sid} was announced ${n} times`);
      }
    }
    if (REDIS) {
      // a request crossing nodes through Redis may come later than the finish on a loaded
      // machine: wait for each, then make sure none came twice
      await until(() => requests.every((r) => r.length > 0), T(5000)).catch(() => {});
      await sleep(500);
      for (const r of requests) assert.equal(r.length, 1, JSON.stringify(r));
    }
    for (const x of [a1, a2, ...ws]) x.socket.close();
  });

  test(
    "staff on one node hear of a service opened on the other",
    { skip: REDIS ? false : "SIOC_TEST_REDIS is not set" },
    async () => {
      const token = n1.admin.token;
      const a2 = await desk(n2, token);
      const seen = next(a2.socket, "service:new", () => true, T(5000));
      const w = await write(n1, "hello from node 1");
      assert.equal((await seen).service.id, w.sid);
      const out = next(w.socket, "message:new", (m) => m.direction === "out");
      const take = await api(n2, "POST", `/v1/api/desk/services/${w.sid}/take`, { token });
      assert.equal(take.status, 200, take.text);
      const r = await api(n2, "POST", `/v1/api/desk/services/${w.sid}/messages`, { token, body: { body: "answer from node 2" } });
      assert.equal(r.status, 201, r.text);
      assert.equal((await out).body, "answer from node 2", "the customer on node 1 gets node 2's answer");
      for (const x of [a2, w]) x.socket.close();
    },
  );
});
