// whatsapp-outbox.test.mjs - what the WhatsApp channel sends to Meta besides the attendants'
// answers, all through the persisted outbox (docs/desk.md "WhatsApp", outbox kinds), against the
// simulator on SQLite and PostgreSQL: the rating request after a finish (once, even after a 500,
// once after sioc is SIGKILLed with it pending, and written at the next start if a crash kept
// it from being written), read receipts when the attendant reads the
// conversation (one per newest wamid), typing indicators (at most one per 20 s per service), and
// a typing indicator that could not go out before its expiry, which is never sent.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { emitAck, sleep } from "./lib/chat.mjs";
import { api, backends, desk, staff, startDesk, startNode, T, until } from "./lib/desk.mjs";
import { crashSetup, customerWrites, phone, sql } from "./lib/whatsapp.mjs";
import { startMeta, waArgs, wamid } from "./sim/whatsapp.mjs";

const TYPING_TTL_MS = 2000; // SIOC_TEST_WA_TYPING_TTL_MS: a typing entry's expiry, shortened

const listsTo = (meta, from) => meta.sent.filter((s) => s.body.to === from && s.body.type === "interactive");

for (const backend of backends()) {
  describe(`whatsapp outbox kinds (${backend.name})`, () => {
    let meta, server, att, dk;
    before(async () => {
      meta = await startMeta();
      process.env.SIOC_TEST_WA_TYPING_TTL_MS = String(TYPING_TTL_MS); // read once, at the spawn
      try {
        server = await startDesk(backend, waArgs(meta));
      } finally {
        delete process.env.SIOC_TEST_WA_TYPING_TTL_MS;
      }
      att = await staff(server);
      dk = await desk(server, att.token);
    });
    after(async () => {
      dk?.socket.close();
      await server?.stop();
      await meta?.close();
    });

    async function taken(from, text, id) {
      const w = await customerWrites(server, att.token, from, text, undefined, id);
      assert.equal((await api(server, "POST", `/v1/api/desk/services/${w.service.id}/take`, { token: att.token, body: {} })).status, 200);
      return w;
    }

    test("the rating request arrives once after the finish, even when Meta answers 500 first", async () => {
      const { service, from } = await taken(phone());
      const attempts = meta.attempts;
      meta.fail(1, 500);
      assert.equal((await api(server, "POST", `/v1/api/desk/services/${service.id}/finish`, { token: att.token, body: {} })).status, 200);
      const list = await until(() => listsTo(meta, from)[0], T(10000));
      assert.equal(list.body.interactive.type, "list");
      assert.match(list.body.biz_opaque_callback_data, /^sioc-outbox:\d+$/);
      assert.ok(list.body.interactive.action.sections[0].rows.every((r) => r.id.startsWith(`rate:${service.id}:`)));
      await sleep(2500);
      assert.equal(listsTo(meta, from).length, 1, "sent once");
      assert.equal(meta.attempts - attempts, 2, "the 500, then the accepted one");
      // a finished service is not finished again, and asks nothing more
      assert.equal((await api(server, "POST", `/v1/api/desk/services/${service.id}/finish`, { token: att.token, body: {} })).status, 409);
      await sleep(300);
      assert.equal(listsTo(meta, from).length, 1);
    });

    test("outside the 24-hour window no rating request is written", async () => {
      const { service, from } = await taken(phone());
      sql(server, `UPDATE desk_services SET last_inbound_at = last_inbound_at - ${25 * 3600 * 1000} WHERE id = ${service.id}`);
      assert.equal((await api(server, "POST", `/v1/api/desk/services/${service.id}/finish`, { token: att.token, body: {} })).status, 200);
      await sleep(1500);
      assert.equal(listsTo(meta, from).length, 0);
      assert.equal(sql(server, `SELECT count(*) FROM desk_outbox WHERE kind = 'rating' AND service_id = ${service.id}`, { scalar: true }), "0");
    });

    test("the attendant reading the conversation marks the newest wamid read, once", async () => {
      const from = phone();
      const ids = [wamid(), wamid(), wamid()];
      const { service } = await taken(from, "first", ids[0]);
      await customerWrites(server, att.token, from, "second", undefined, ids[1]);
      const mine = () => meta.reads.filter((r) => ids.includes(r.wamid)).map((r) => r.wamid);
      const ack = await emitAck(dk.socket, "message:read", { serviceId: service.id, seq: 2 });
      assert.equal(ack.ok, true, JSON.stringify(ack));
      assert.equal(ack.upToSeq, 2);
      await until(() => mine().length === 1);
      assert.deepEqual(mine(), [ids[1]], "the newest up to that seq (Meta marks the earlier ones too)");
      // reading again, or less, writes nothing more
      await emitAck(dk.socket, "message:read", { serviceId: service.id, seq: 2 });
      await emitAck(dk.socket, "message:read", { serviceId: service.id, seq: 1 });
      await sleep(1500);
      assert.deepEqual(mine(), [ids[1]]);
      // a new customer message, read: its wamid
      await customerWrites(server, att.token, from, "third", undefined, ids[2]);
      await emitAck(dk.socket, "message:read", { serviceId: service.id, seq: 3 });
      await until(() => mine().length === 2);
      await sleep(500);
      assert.deepEqual(mine(), [ids[1], ids[2]]);
      // receipts are not messages: nothing else went to the customer
      assert.equal(meta.sent.filter((s) => s.body.to === from).length, 0);
    });

    test("typing sends one typing indicator for the last inbound wamid; another within 20 s does not", async () => {
      const from = phone();
      const id = wamid();
      const { service } = await taken(from, "are you there?", id);
      const mine = () => meta.typings.filter((t) => t.wamid === id);
      assert.equal((await emitAck(dk.socket, "typing", { serviceId: service.id, typing: true })).ok, true);
      await until(() => mine().length === 1);
      for (const typing of [false, true, true])
        assert.equal((await emitAck(dk.socket, "typing", { serviceId: service.id, typing })).ok, true);
      await sleep(1500);
      assert.equal(mine().length, 1, "at most one per 20 s per service");
      assert.equal(meta.reads.filter((r) => r.wamid === id).length, 0, "typing is not a read receipt");
    });

    test("a typing indicator that could not go out before its expiry is never sent", async () => {
      const from = phone();
      const id = wamid();
      const { service } = await taken(from, "hello?", id);
      const tries = meta.statusAttempts;
      meta.statusDown = true; // Meta answers 500 until the entry's expiry has passed
      try {
        assert.equal((await emitAck(dk.socket, "typing", { serviceId: service.id, typing: true })).ok, true);
        await until(() => meta.statusAttempts > tries);
        const expired = `SELECT count(*) FROM desk_outbox WHERE kind = 'typing' AND service_id = ${service.id} AND status = 'expired'`;
        await until(() => sql(server, expired, { scalar: true }) === "1", T(TYPING_TTL_MS + 8000), 200);
      } finally {
        meta.statusDown = false;
      }
      await sleep(2500);
      assert.equal(meta.typings.filter((t) => t.wamid === id).length, 0);
      assert.equal(sql(server, `SELECT count(*) FROM desk_outbox WHERE kind = 'typing' AND service_id = ${service.id} AND status = 'pending'`, { scalar: true }), "0");
    });
  });

  describe(`whatsapp outbox kinds across a crash (${backend.name})`, () => {
    test("sioc killed with a rating request pending sends it once after the restart", async () => {
      const { meta, store, att, from, service } = await crashSetup(backend);
      let server = att.server;
      try {
        // the session is ended: the entry waits in the outbox
        await api(server, "PATCH", "/v1/api/desk/channels/whatsapp", { token: server.admin.token, body: { enabled: false } });
        assert.equal((await api(server, "POST", `/v1/api/desk/services/${service.id}/finish`, { token: att.token, body: {} })).status, 200);
        const pending = `SELECT count(*) FROM desk_outbox WHERE kind = 'rating' AND service_id = ${service.id} AND status = 'pending'`;
        await until(() => sql(server, pending, { scalar: true }) === "1");
        const adminToken = server.admin.token;
        server.proc.kill("SIGKILL");
        await new Promise((r) => server.proc.once("exit", r));
        server = await startNode(store.url, waArgs(meta));
        server.dbUrl = store.url;
        await sleep(1000);
        assert.equal(listsTo(meta, from).length, 0, "still ended after the restart");
        assert.equal((await api(server, "PATCH", "/v1/api/desk/channels/whatsapp", { token: adminToken, body: { enabled: true } })).status, 200);
        await until(() => listsTo(meta, from).length === 1, T(10000));
        await sleep(2500);
        assert.equal(listsTo(meta, from).length, 1);
        assert.equal(sql(server, `SELECT status FROM desk_outbox WHERE kind = 'rating' AND service_id = ${service.id}`, { scalar: true }), "sent");
      } finally {
        await server.stop();
        store.cleanup();
        await meta.close();
      }
    });

    test("a rating request a crash kept from being written (after the finish) is written at the next start", async () => {
      const { meta, store, att, from, service } = await crashSetup(backend);
      let server = att.server;
      try {
        await api(server, "PATCH", "/v1/api/desk/channels/whatsapp", { token: server.admin.token, body: { enabled: false } });
        assert.equal((await api(server, "POST", `/v1/api/desk/services/${service.id}/finish`, { token: att.token, body: {} })).status, 200);
        const count = `SELECT count(*) FROM desk_outbox WHERE kind = 'rating' AND service_id = ${service.id}`;
        await until(() => sql(server, count, { scalar: true }) === "1");
        const adminToken = server.admin.token;
        server.proc.kill("SIGKILL");
        await new Promise((r) => server.proc.once("exit", r));
        // what a crash between the finish's commit and the entry's write leaves: no entry
        sql(server, `DELETE FROM desk_outbox WHERE kind = 'rating' AND service_id = ${service.id}`);
        server = await startNode(store.url, waArgs(meta));
        server.dbUrl = store.url;
        await until(() => sql(server, count, { scalar: true }) === "1");
        assert.equal((await api(server, "PATCH", "/v1/api/desk/channels/whatsapp", { token: adminToken, body: { enabled: true } })).status, 200);
        await until(() => listsTo(meta, from).length === 1, T(10000));
        await sleep(2000);
        assert.equal(listsTo(meta, from).length, 1);
      } finally {
        await server.stop();
        store.cleanup();
        await meta.close();
      }
    });
  });
}
