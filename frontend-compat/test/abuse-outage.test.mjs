// abuse-outage.test.mjs - the database and Redis stopped and started during traffic (issue 14).
// Against a private PostgreSQL and Redis (lib/services.mjs; the shared ones stay up for the other
// suites):
// - PostgreSQL stopped (immediate) while a member keeps sending: every send is answered, either
//   ok or refused with `unavailable` (an ack error; REST: 503 with Retry-After), never
//   `internal` / 500; once PostgreSQL is back, sends succeed again by themselves, and the history
//   holds every acknowledged message exactly once.
// - Redis stopped under two nodes: sends go on being stored and acknowledged; when Redis is back
//   the nodes reach each other again (a message from node 1 reaches a member on node 2), and
//   nothing acknowledged is missing from the history.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { api, connect, emitAck, register, sleep, SECRET, T } from "./lib/chat.mjs";
import { startSioc } from "./lib/server.mjs";
import { startPostgres, startRedis } from "./lib/services.mjs";

const skip = process.env.SIOC_REFERENCE === "1" ? "no chat in the reference" : process.env.SIOC_TEST_PG ? false : "needs PostgreSQL (scripts/test)";

async function history(server, token, chatId) {
  const seqs = [];
  let before;
  for (;;) {
    const q = before ? `?limit=100&before=${before}` : "?limit=100";
    const r = await api(server, "GET", `/v1/api/chats/${chatId}/messages${q}`, { token });
    assert.equal(r.status, 200, r.text);
    const page = r.json.messages;
    if (page.length === 0) break;
    for (const m of page) seqs.push({ seq: m.seq, body: m.body });
    before = Math.min(...page.map((m) => m.seq));
    if (before <= 1) break;
  }
  return seqs;
}

/** Sends numbered messages until stop() (one at a time, over the socket and every 5th over REST);
 * records every answer. */
function traffic(server, socket, token, chatId) {
  const answers = { ok: [], unavailable: 0, rest503: 0, retryAfter: true, other: [] };
  let running = true;
  let n = 0;
  const done = (async () => {
    while (running) {
      const body = `t${n++}`;
      if (n % 5 === 0) {
        const r = await api(server, "POST", `/v1/api/chats/${chatId}/messages`, { token, body: { body, clientMsgId: body }, timeout: T(20000) }).catch((e) => ({ status: 0, text: e.message }));
        if (r.status === 201 || r.status === 200) answers.ok.push(body);
        else if (r.status === 503 && r.json?.error?.code === "unavailable") {
          answers.rest503++;
          if (!/^\d+$/.test(r.headers["retry-after"] ?? "")) answers.retryAfter = false;
        } else answers.other.push(`REST ${r.status} ${r.text}`);
      } else {
        const r = await emitAck(socket, "message:send", { chatId, body, clientMsgId: body }, T(20000)).catch((e) => ({ ok: false, error: { code: `no ack: ${e.message}` } }));
        if (r.ok) answers.ok.push(body);
        else if (r.error?.code === "unavailable") answers.unavailable++;
        else answers.other.push(`ack ${JSON.stringify(r)}`);
      }
      await sleep(10);
    }
  })();
  return {
    answers,
    async stop() {
      running = false;
      await done;
    },
  };
}

describe("abuse: PostgreSQL and Redis stopped and started during traffic", { skip, timeout: T(180000) }, () => {
  let pg, redis;
  const servers = [];
  const sockets = [];
  before(async () => {
    pg = await startPostgres();
    redis = await startRedis();
  });
  after(async () => {
    for (const s of sockets) s.close();
    for (const s of servers) await s.stop();
    pg?.destroy();
    redis?.destroy();
  });

  it("PostgreSQL down: 503 / unavailable with Retry-After, never 500; back by itself; nothing acknowledged lost", async () => {
    const server = await startSioc(["--database", pg.url, "--jwt-secret", SECRET, "--register-limit", "0"]);
    servers.push(server);
    const a = await register(server);
    const b = await register(server);
    const g = await api(server, "POST", "/v1/api/chats/group", { token: a.token, body: { name: "outage", memberIds: [b.id] } });
    assert.equal(g.status, 201, g.text);
    const { socket } = await connect(server, a.token, { timeout: T(10000) });
    sockets.push(socket);
    socket.io.reconnection(true);
    const t = traffic(server, socket, a.token, g.json.id);
    await sleep(1000);
    const okBefore = t.answers.ok.length;
    pg.stop();
    await sleep(4000);
    const okDuring = t.answers.ok.length;
    pg.start();
    // sends succeed again without a restart of sioc
    const end = Date.now() + T(30000);
    while (t.answers.ok.length < okDuring + 20 && Date.now() < end) await sleep(100);
    await t.stop();
    const { answers } = t;
    assert.ok(okBefore > 10, `only ${okBefore} sends before the outage`);
    assert.ok(answers.unavailable + answers.rest503 > 0, "no send was refused while PostgreSQL was down");
    assert.ok(answers.ok.length >= okDuring + 20, `sends did not come back: ${answers.ok.length} ok, ${okDuring} by the restart`);
    assert.deepEqual(answers.other, [], "answers other than ok and unavailable (500, internal, no ack)");
    assert.ok(answers.retryAfter, "a 503 without Retry-After");
    console.log(`# outage figures: ${answers.ok.length} ok (${okBefore} before, ${okDuring - okBefore} during), ${answers.unavailable} unavailable acks, ${answers.rest503} REST 503`);
    const stored = await history(server, a.token, g.json.id);
    const bodies = stored.map((m) => m.body);
    for (const body of answers.ok) assert.equal(bodies.filter((x) => x === body).length, 1, `${body} stored ${bodies.filter((x) => x === body).length} times`);
    const seqs = stored.map((m) => m.seq).sort((x, y) => x - y);
    assert.deepEqual(seqs, seqs.map((_, i) => i + 1), "the seqs have a gap");
  });

  it("Redis down under two nodes: sends go on; when it is back the nodes reach each other again", async () => {
    const args = ["--database", pg.url, "--jwt-secret", SECRET, "--register-limit", "0", "--redis", redis.url];
    const n1 = await startSioc(args);
    const n2 = await startSioc(args);
    servers.push(n1, n2);
    const a = await register(n1);
    const b = await register(n1);
    const g = await api(n1, "POST", "/v1/api/chats/group", { token: a.token, body: { name: "redis-outage", memberIds: [b.id] } });
    assert.equal(g.status, 201, g.text);
    const chatId = g.json.id;
    const { socket: sa } = await connect(n1, a.token, { timeout: T(10000) });
    const { socket: sb } = await connect(n2, b.token, { timeout: T(10000) });
    sockets.push(sa, sb);
    const seenByB = new Set();
    sb.on("message:new", (m) => seenByB.add(m.body ?? m.message?.body));
    const first = await emitAck(sa, "message:send", { chatId, body: "across" });
    assert.equal(first.ok, true);
    for (let i = 0; i < 50 && !seenByB.has("across"); i++) await sleep(100);
    assert.ok(seenByB.has("across"), "no delivery across nodes before the outage");

    redis.stop();
    const during = [];
    for (let i = 0; i < 30; i++) {
      const r = await emitAck(sa, "message:send", { chatId, body: `down${i}` }, T(10000));
      assert.equal(r.ok, true, `a send while Redis is down: ${JSON.stringify(r)}`);
      during.push(`down${i}`);
      await sleep(30);
    }
    await redis.start();
    // the adapter reconnects by itself: a message sent now reaches b on the other node
    let back = false;
    for (let i = 0; i < T(100) && !back; i++) {
      const body = `up${i}`;
      const r = await emitAck(sa, "message:send", { chatId, body }, T(10000));
      assert.equal(r.ok, true);
      await sleep(200);
      back = seenByB.has(body);
    }
    assert.ok(back, "the nodes did not reach each other after Redis came back");
    const bodies = (await history(n2, b.token, chatId)).map((m) => m.body);
    for (const body of ["across", ...during]) assert.ok(bodies.includes(body), `${body} missing from the history`);
  });
});
