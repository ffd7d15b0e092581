// whatsapp-nodes.test.mjs - the WhatsApp channel with two sioc nodes on one PostgreSQL (and, with
// SIOC_TEST_REDIS, the Redis adapter between them), both draining the one outbox: Meta's webhook
// deliveries alternate between the nodes (and one goes to both), the attendant on node A
// answers, and every answer reaches the simulator exactly once, even while a send
// hangs and the other node keeps claiming (the lease); a read receipt goes out once; a status
// webhook that arrives at node B moves the message on node A's attendant socket.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { emitAck, next, redisArgs, sleep } from "./lib/chat.mjs";
import { api, backends, desk, staff, startDesk, startNode, T, until } from "./lib/desk.mjs";
import { phone, serviceOf } from "./lib/whatsapp.mjs";
import { inbound, postWebhook, startMeta, status, waArgs, wamid } from "./sim/whatsapp.mjs";

const REDIS = process.env.SIOC_TEST_REDIS;
const pg = backends().find((b) => b.name === "postgres");

describe("whatsapp with two sioc nodes on one PostgreSQL", { skip: pg ? false : "SIOC_TEST_PG is not set" }, () => {
  let meta, a, b, att, dkA;
  before(async () => {
    meta = await startMeta();
    const extra = [...waArgs(meta), ...redisArgs(REDIS)];
    a = await startDesk(pg, extra);
    b = await startNode(a.dbUrl, extra);
    att = await staff(a);
    dkA = await desk(a, att.token);
  });
  after(async () => {
    dkA?.socket.close();
    await b?.stop();
    await a?.stop();
    await meta?.close();
  });

  test("webhooks on either node, answers on node A: each reaches Meta exactly once", async () => {
    const from = phone();
    const ids = [wamid(), wamid(), wamid(), wamid()];
    // deliveries alternate between the nodes; the last one Meta delivers to both
    for (let i = 0; i < ids.length; i++) {
      const body = inbound({ from, id: ids[i], type: "text", text: { body: `question ${i}` } });
      assert.equal((await postWebhook(i % 2 ? b : a, body)).status, 200);
      if (i === ids.length - 1) assert.equal((await postWebhook(i % 2 ? a : b, body)).status, 200);
    }
    const service = await until(async () => {
      const l = await api(a, "GET", "/v1/api/desk/services?channel=whatsapp&status=open&limit=100", { token: att.token });
      const s = l.json.services.find((x) => x.customer.phone === `+${from}`);
      return s && (await serviceOf(a, att.token, s.id)).messages.length === ids.length && s;
    });
    // each node processes what it stored in order, but the nodes run side by side (Meta promises
    // no order across deliveries either): once each, in some order
    const d = await serviceOf(b, att.token, service.id);
    assert.deepEqual(d.messages.map((m) => m.clientMsgId).sort(), [...ids].sort(), "stored once each");
    const newest = d.messages.at(-1).clientMsgId;
    assert.equal((await api(a, "POST", `/v1/api/desk/services/${service.id}/take`, { token: att.token, body: {} })).status, 200);
    const attempts = meta.attempts;
    // the first answer hangs at Meta for 3 s while node B's drain claims every second
    meta.hold();
    const first = await emitAck(dkA.socket, "message:send", { serviceId: service.id, body: "answer 0", clientMsgId: "n-0" });
    assert.equal(first.ok, true, JSON.stringify(first));
    await until(() => meta.attempts === attempts + 1);
    await sleep(3000);
    assert.equal(meta.attempts, attempts + 1, "leased: the other node did not send it too");
    meta.release();
    for (let i = 1; i < 6; i++) {
      const r = i % 2
        ? await api(a, "POST", `/v1/api/desk/services/${service.id}/messages`, { token: att.token, body: { body: `answer ${i}`, clientMsgId: `n-${i}` } })
        : { status: (await emitAck(dkA.socket, "message:send", { serviceId: service.id, body: `answer ${i}`, clientMsgId: `n-${i}` })).ok ? 201 : 500 };
      assert.equal(r.status, 201);
    }
    const mine = () => meta.sent.filter((s) => s.body.to === from).map((s) => s.body.text.body);
    await until(() => mine().length === 6, T(15000));
    await sleep(2500); // both nodes drain every second: a second send would be here by now
    // once each; the order across two nodes draining at once is not promised (a node claims the
    // next entry while the other one's send is in flight)
    assert.deepEqual(mine().sort(), [0, 1, 2, 3, 4, 5].map((i) => `answer ${i}`));
    assert.equal(meta.attempts, attempts + 6);
    const outs = (await serviceOf(b, att.token, service.id)).messages.filter((m) => m.direction === "out");
    assert.equal(outs.length, 6);
    // the attendant on node A reads the conversation: one read receipt, for the newest wamid
    const ack = await emitAck(dkA.socket, "message:read", { serviceId: service.id, seq: ids.length });
    assert.equal(ack.ok, true, JSON.stringify(ack));
    await until(() => meta.reads.some((r) => r.wamid === newest));
    await sleep(1500);
    assert.deepEqual(meta.reads.filter((r) => ids.includes(r.wamid)).map((r) => r.wamid), [newest]);
  });

  test(
    "a status webhook at node B moves the message on node A's attendant socket",
    { skip: REDIS ? false : "SIOC_TEST_REDIS is not set" },
    async () => {
      const from = phone();
      assert.equal((await postWebhook(b, inbound({ from, type: "text", text: { body: "hi" } }))).status, 200);
      const service = await until(async () => {
        const l = await api(a, "GET", "/v1/api/desk/services?channel=whatsapp&status=open&limit=100", { token: att.token });
        return l.json.services.find((x) => x.customer.phone === `+${from}`);
      });
      assert.equal((await api(a, "POST", `/v1/api/desk/services/${service.id}/take`, { token: att.token, body: {} })).status, 200);
      const r = await api(a, "POST", `/v1/api/desk/services/${service.id}/messages`, { token: att.token, body: { body: "on its way" } });
      assert.equal(r.status, 201, r.text);
      const sent = await until(() => meta.sent.find((s) => s.body.to === from));
      const delivered = next(dkA.socket, "message:status", (p) => p.serviceId === service.id && p.state === "delivered");
      assert.equal((await postWebhook(b, status({ id: sent.id, status: "delivered", recipient: from }))).status, 200);
      const st = await delivered;
      assert.equal(st.direction, "out");
      assert.equal(st.upToSeq, r.json.message.seq);
      const read = next(dkA.socket, "message:status", (p) => p.serviceId === service.id && p.state === "read");
      assert.equal((await postWebhook(b, status({ id: sent.id, status: "read", recipient: from }))).status, 200);
      assert.equal((await read).upToSeq, r.json.message.seq);
      assert.equal((await serviceOf(a, att.token, service.id)).messages.at(-1).state, "read");
    },
  );
});
