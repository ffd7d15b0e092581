// media-desk.test.mjs - attachments on desk messages (docs/desk.md) against the real sioc on
// every storage backend: a widget visitor uploads with their visitor token and sends it over
// /support (attachments-only); the staff get message:new with the attachment and may read it;
// another visitor may not (404); the attendant answers over REST with their own upload, the
// customer receives it and reads it; someone else's upload is refused and stores nothing; the
// service's detail and the widget's history carry the attachments.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { assertError, emitAck, next } from "./lib/chat.mjs";
import { api, backends, desk, staff, startDesk, support, visitor } from "./lib/desk.mjs";
import { png, upload } from "./lib/media.mjs";

for (const backend of backends()) {
  describe(`desk attachments (${backend.name})`, () => {
    let server;
    before(async () => {
      server = await startDesk(backend);
    });
    after(async () => {
      await server?.stop();
    });
    const get = (token, p) => api(server, "GET", p, { token });

    test("visitor and attendant exchange files; only those of the service see them", async () => {
      const att = await staff(server);
      const d = await desk(server, att.token);
      const v = await visitor(server);
      const other = await visitor(server, { name: "Dan", email: "dan@example.com" });
      const sup = await support(server, v.visitorToken);
      const sup2 = await support(server, other.visitorToken);
      try {
        const vt = { token: v.visitorToken };
        const up = await upload(server, vt, png(30, 20), { name: "broken-printer.png" });
        assert.equal(up.status, 201, up.text);
        const theirs = await upload(server, { token: other.visitorToken }, png(8, 8), { name: "dan.png" });
        assert.equal(theirs.status, 201, theirs.text);
        // someone else's upload: refused, nothing stored
        const bad = await emitAck(sup.socket, "message:send", { body: "x", attachmentIds: [theirs.json.id] });
        assert.equal(bad.ok, false);
        assert.equal(bad.error.code, "invalid_attachment");
        const none = await emitAck(sup.socket, "message:send", { body: "" });
        assert.equal(none.ok, false);

        const seen = next(d.socket, "message:new");
        const sent = await emitAck(sup.socket, "message:send", { attachmentIds: [up.json.id], clientMsgId: "m1" });
        assert.equal(sent.ok, true, JSON.stringify(sent));
        assert.equal(sent.message.body, "");
        assert.equal(sent.message.seq, 1); // the refused one took no seq
        assert.deepEqual(sent.message.attachments.map((a) => a.id), [up.json.id]);
        const ev = await seen;
        assert.deepEqual(ev.message.attachments, sent.message.attachments);
        const sid = ev.service.id;
        // staff read it, the other visitor does not
        assert.equal((await get(att.token, up.json.url)).status, 200);
        assertError(assert, await get(other.visitorToken, up.json.url), 404, "not_found");
        // a retry with the same client id: the stored message, with its attachment
        const again = await emitAck(sup.socket, "message:send", { attachmentIds: [up.json.id], clientMsgId: "m1" });
        assert.equal(again.duplicate, true);
        assert.deepEqual(again.message.attachments.map((a) => a.id), [up.json.id]);

        // the attendant answers with a document of their own
        assert.equal((await api(server, "POST", `/v1/api/desk/services/${sid}/take`, { token: att.token })).status, 200);
        const doc = await upload(server, att, Buffer.from("Steps:\n1. unplug it\n2. call us\n"), { name: "steps.txt" });
        assert.equal(doc.status, 201, doc.text);
        assert.equal(doc.json.type, "text/plain");
        assertError(
          assert,
          await api(server, "POST", `/v1/api/desk/services/${sid}/messages`, { token: att.token, body: { body: "no", attachmentIds: [up.json.id] } }),
          400,
          "invalid_attachment",
        );
        const toCustomer = next(sup.socket, "message:new");
        const r = await api(server, "POST", `/v1/api/desk/services/${sid}/messages`, {
          token: att.token,
          body: { body: "Here is what to do", attachmentIds: [doc.json.id] },
        });
        assert.equal(r.status, 201, r.text);
        assert.deepEqual(r.json.message.attachments.map((a) => a.name), ["steps.txt"]);
        const got = await toCustomer;
        assert.deepEqual(got.attachments, r.json.message.attachments); // /support sends the message itself
        const g = await get(v.visitorToken, doc.json.url);
        assert.equal(g.status, 200);
        assert.equal(g.text, "Steps:\n1. unplug it\n2. call us\n");
        assert.match(g.headers["content-disposition"], /^attachment; filename="steps.txt"/);
        assertError(assert, await get(other.visitorToken, doc.json.url), 404, "not_found");

        // the service's detail and the widget's history carry them
        const detail = await get(att.token, `/v1/api/desk/services/${sid}`);
        assert.equal(detail.status, 200, detail.text);
        assert.deepEqual(detail.json.messages.map((m) => m.attachments.map((a) => a.id)), [[up.json.id], [doc.json.id]]);
        const again2 = await support(server, v.visitorToken);
        try {
          assert.deepEqual(again2.history.messages.map((m) => m.attachments.map((a) => a.id)), [[up.json.id], [doc.json.id]]);
        } finally {
          again2.socket.close();
        }
      } finally {
        sup.socket.close();
        sup2.socket.close();
        d.socket.close();
      }
    });
  });
}
