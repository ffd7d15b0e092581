// whatsapp-channel.test.mjs - the WhatsApp Cloud API channel of the desk against the simulator
// (test/sim/whatsapp.mjs plays Meta), on SQLite and PostgreSQL (docs/desk.md "WhatsApp"): the
// webhook's verification handshake and signatures, every inbound type stored and shown on the
// desk (REST and /desk), a redelivered webhook stored once, the attendant's reply reaching Meta
// with the right body, a 500 then success sending once, statuses moving a message to delivered
// and read (and failed), a final refusal reported to the attendant, the 24-hour window and the
// template, the rating list round trip, the admin's channel state and session switch, and sioc
// killed (SIGKILL) with sends pending sending them after the restart, exactly once.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { emitAck, next, sleep } from "./lib/chat.mjs";
import { api, backends, desk, staff, startDesk, startNode, T, until } from "./lib/desk.mjs";
import { crashSetup, customerWrites, phone, serviceOf, sql } from "./lib/whatsapp.mjs";
import { inbound, postWebhook, sign, startMeta, status, verify, waArgs, wamid } from "./sim/whatsapp.mjs";

for (const backend of backends()) {
  describe(`whatsapp channel (${backend.name})`, () => {
    let meta, server, att, dk;
    before(async () => {
      meta = await startMeta();
      server = await startDesk(backend, waArgs(meta, ["--whatsapp-template", "hello_world:en_US"]));
      att = await staff(server);
      dk = await desk(server, att.token);
    });
    after(async () => {
      dk?.socket.close();
      await server?.stop();
      await meta?.close();
    });

    test("the verification handshake answers the challenge, and 403 on a wrong token", async () => {
      const ok = await verify(server, { challenge: "1158201444" });
      assert.equal(ok.status, 200);
      assert.equal(ok.text, "1158201444");
      assert.match(ok.headers["content-type"], /^text\/plain/);
      const bad = await verify(server, { token: "not-the-token" });
      assert.equal(bad.status, 403);
      assert.equal(JSON.parse(bad.text).error.code, "verify_token_invalid");
      const nomode = await verify(server, { mode: "unsubscribe" });
      assert.equal(nomode.status, 400);
      const ch = await api(server, "GET", "/v1/api/desk/channels", { token: server.admin.token });
      assert.equal(ch.status, 200, ch.text);
      const wa = ch.json.channels.find((c) => c.id === "whatsapp");
      assert.equal(wa.webhookVerified, true);
      assert.equal(wa.enabled, true);
      assert.equal(wa.configured, true);
      const asAttendant = await api(server, "GET", "/v1/api/desk/channels", { token: att.token });
      assert.equal(asAttendant.status, 403);
      assert.equal(asAttendant.json.error.code, "admin_only");
    });

    test("bad and missing signatures are refused and store nothing", async () => {
      const from = phone();
      const body = inbound({ from, type: "text", text: { body: "forged" } });
      const raw = JSON.stringify(body);
      const missing = await postWebhook(server, raw, { signature: null });
      assert.equal(missing.status, 401);
      assert.equal(missing.json.error.code, "signature_missing");
      const wrongSecret = await postWebhook(server, raw, { secret: "another-secret" });
      assert.equal(wrongSecret.status, 403);
      assert.equal(wrongSecret.json.error.code, "signature_invalid");
      const tampered = await postWebhook(server, raw.replace("forged", "forgeD"), { signature: sign(raw) });
      assert.equal(tampered.status, 403);
      const garbage = await postWebhook(server, raw, { signature: "sha256=xyz" });
      assert.equal(garbage.status, 403);
      const notJson = await postWebhook(server, "{not json");
      assert.equal(notJson.status, 400);
      assert.equal(notJson.json.error.code, "invalid_body");
      await sleep(200);
      const l = await api(server, "GET", "/v1/api/desk/services?channel=whatsapp&limit=100", { token: server.admin.token });
      assert.equal(l.json.services.filter((s) => s.customer.phone === `+${from}`).length, 0);
    });

    test("every inbound type is stored and shown on the desk, with the contact's profile name", async () => {
      const from = phone();
      const seen = next(dk.socket, "service:new", (p) => p.service.customer.phone === `+${from}`);
      const { service } = await customerWrites(server, att.token, from, "Does it come in another color?", "Sheena Nelson");
      const sn = await seen;
      assert.equal(sn.service.channel, "whatsapp");
      assert.equal(sn.service.customer.name, "Sheena Nelson");
      assert.equal(typeof service.windowClosesAt, "number");
      assert.ok(service.windowClosesAt > Date.now() + 23 * 3600e3);
      const imageId = meta.addMedia(Buffer.from("\x89PNG fake image bytes"), "image/png");
      const kinds = [
        { type: "image", image: { caption: "the broken part", mime_type: "image/png", sha256: "x", id: imageId }, want: /^\[image\] the broken part(\n\(the \w+ could not be kept: [^\n]+\))?$/ },
        { type: "audio", audio: { mime_type: "audio/ogg; codecs=opus", sha256: "x", id: "2001", voice: true }, want: /^\[voice message\](\n\(the \w+ could not be kept: [^\n]+\))?$/ },
        { type: "video", video: { caption: "watch", mime_type: "video/mp4", sha256: "x", id: "2002" }, want: /^\[video\] watch(\n\(the \w+ could not be kept: [^\n]+\))?$/ },
        { type: "document", document: { caption: "my invoice", filename: "invoice.pdf", mime_type: "application/pdf", sha256: "x", id: "2003" }, want: /^\[document: invoice\.pdf\] my invoice(\n\(the \w+ could not be kept: [^\n]+\))?$/ },
        { type: "sticker", sticker: { mime_type: "image/webp", sha256: "x", id: "2004", animated: false }, want: /^\[sticker\](\n\(the \w+ could not be kept: [^\n]+\))?$/ },
        { type: "location", location: { latitude: 38.9, longitude: -77.03, name: "Shop", address: "1 Main St" }, want: /^\[location\] Shop, 1 Main St \(38\.900000, -77\.030000\)$/ },
        { type: "interactive", interactive: { type: "button_reply", button_reply: { id: "yes-1", title: "Yes please" } }, want: /^Yes please$/ },
        { type: "interactive", interactive: { type: "list_reply", list_reply: { id: "opt-2", title: "Billing", description: "Invoices" } }, want: /^Billing - Invoices$/ },
        { type: "contacts", contacts: [{ name: { formatted_name: "John Smith", first_name: "John" }, phones: [{ phone: "+1 (940) 555-1234", type: "HOME", wa_id: "19405551234" }] }], want: /^\[contact\] John Smith \+1 \(940\) 555-1234$/ },
        { type: "button", button: { payload: "STOP", text: "Stop promotions" }, want: /^Stop promotions$/ },
      ];
      const events = [];
      const onNew = (p) => p.serviceId === service.id && events.push(p);
      dk.socket.on("message:new", onNew);
      try {
        for (const { want, ...m } of kinds) {
          const r = await postWebhook(server, inbound({ from, name: "Sheena Nelson", ...m }));
          assert.equal(r.status, 200, r.text);
        }
        const detail = await until(async () => {
          const d = await serviceOf(server, att.token, service.id);
          return d.messages.length === kinds.length + 1 && d;
        });
        for (let i = 0; i < kinds.length; i++) {
          const m = detail.messages[i + 1];
          assert.equal(m.direction, "in");
          assert.match(m.body, kinds[i].want, `${kinds[i].type}: ${m.body}`);
        }
        assert.deepEqual(detail.messages.map((m) => m.seq), detail.messages.map((_, i) => i + 1));
        await until(() => events.length === kinds.length);
        assert.deepEqual(events.map((e) => e.message.body), detail.messages.slice(1).map((m) => m.body));
        // the image was fetched from Meta with the token (the attachment store's hook)
        await until(() => meta.requests.some((r) => r.path === `/media-bytes/${imageId}`));
        assert.ok(meta.requests.some((r) => r.path === `/v21.0/${imageId}` && r.auth.startsWith("Bearer ")));
      } finally {
        dk.socket.off("message:new", onNew);
      }
    });

    test("a redelivered webhook and a repeated wamid are stored once", async () => {
      const from = phone();
      const id = wamid();
      const body = inbound({ from, id, type: "text", text: { body: "only once" } });
      const raw = JSON.stringify(body);
      for (let i = 0; i < 3; i++) assert.equal((await postWebhook(server, raw)).status, 200);
      // the same message in another delivery (another timestamp, so another body)
      const again = inbound({ from, id, type: "text", text: { body: "only once" } });
      again.entry[0].changes[0].value.messages[0].timestamp = "1";
      assert.equal((await postWebhook(server, again)).status, 200);
      const { service } = await customerWrites(server, att.token, from, "second message");
      const d = await until(async () => {
        const x = await serviceOf(server, att.token, service.id);
        return x.messages.length >= 2 && x;
      });
      await sleep(300);
      const final = await serviceOf(server, att.token, service.id);
      assert.deepEqual(final.messages.map((m) => m.body), ["only once", "second message"]);
      assert.equal(d.messages[0].clientMsgId, id);
    });

    test("the attendant's reply reaches Meta with the right body; statuses move it to delivered and read", async () => {
      const { service, from } = await customerWrites(server, att.token, phone());
      assert.equal((await api(server, "POST", `/v1/api/desk/services/${service.id}/take`, { token: att.token, body: {} })).status, 200);
      const before = meta.sent.length;
      const r = await api(server, "POST", `/v1/api/desk/services/${service.id}/messages`, { token: att.token, body: { body: "Yes, in blue and red.", clientMsgId: "r-1" } });
      assert.equal(r.status, 201, r.text);
      const sent = await until(() => meta.sent.slice(before).find((s) => s.body.to === from));
      assert.deepEqual(
        { ...sent.body, biz_opaque_callback_data: undefined },
        { messaging_product: "whatsapp", recipient_type: "individual", to: from, type: "text", text: { preview_url: false, body: "Yes, in blue and red." }, biz_opaque_callback_data: undefined },
      );
      assert.equal(sent.body.biz_opaque_callback_data, `sioc:${r.json.message.id}`);
      // over /desk too
      const ack = await emitAck(dk.socket, "message:send", { serviceId: service.id, body: "Anything else?", clientMsgId: "r-2" });
      assert.equal(ack.ok, true, JSON.stringify(ack));
      await until(() => meta.sent.some((s) => s.body.to === from && s.body.text?.body === "Anything else?"));
      const mine = meta.sent.filter((s) => s.body.to === from);
      assert.equal(mine.length, 2);
      // statuses
      const delivered = next(dk.socket, "message:status", (p) => p.serviceId === service.id && p.state === "delivered");
      assert.equal((await postWebhook(server, status({ id: mine[0].id, status: "sent", recipient: from }))).status, 200);
      assert.equal((await postWebhook(server, status({ id: mine[0].id, status: "delivered", recipient: from }))).status, 200);
      const d = await delivered;
      assert.equal(d.direction, "out");
      assert.equal(d.upToSeq, r.json.message.seq);
      const read = next(dk.socket, "message:status", (p) => p.serviceId === service.id && p.state === "read");
      assert.equal((await postWebhook(server, status({ id: mine[1].id, status: "read", recipient: from }))).status, 200);
      assert.equal((await read).upToSeq, ack.message.seq);
      const detail = await serviceOf(server, att.token, service.id);
      const outs = detail.messages.filter((m) => m.direction === "out");
      assert.deepEqual(outs.map((m) => m.state), ["read", "read"]);
      // a late "delivered" never moves it back
      await postWebhook(server, status({ id: mine[1].id, status: "delivered", recipient: from }));
      await sleep(200);
      assert.equal((await serviceOf(server, att.token, service.id)).messages.at(-1).state, "read");
    });

    test("a 500 then a success sends once; a 429 is retried too", async () => {
      const { service, from } = await customerWrites(server, att.token, phone());
      await api(server, "POST", `/v1/api/desk/services/${service.id}/take`, { token: att.token, body: {} });
      const attempts = meta.attempts;
      meta.fail(1, 500);
      meta.fail(1, 429);
      const r = await api(server, "POST", `/v1/api/desk/services/${service.id}/messages`, { token: att.token, body: { body: "after a hiccup" } });
      assert.equal(r.status, 201);
      await until(() => meta.sent.some((s) => s.body.to === from), T(15000));
      await sleep(1500);
      assert.equal(meta.sent.filter((s) => s.body.to === from).length, 1);
      assert.equal(meta.attempts - attempts, 3);
      const m = (await serviceOf(server, att.token, service.id)).messages.at(-1);
      assert.equal(m.state, "sent");
    });

    test("a final refusal and a failed status reach the attendant as message:status failed", async () => {
      const { service, from } = await customerWrites(server, att.token, phone());
      await api(server, "POST", `/v1/api/desk/services/${service.id}/take`, { token: att.token, body: {} });
      meta.fail(1, 400, 131026, "(#131026) Message undeliverable");
      const failed = next(dk.socket, "message:status", (p) => p.serviceId === service.id && p.state === "failed");
      const r = await api(server, "POST", `/v1/api/desk/services/${service.id}/messages`, { token: att.token, body: { body: "this one fails" } });
      const f = await failed;
      assert.equal(f.messageId, r.json.message.id);
      assert.equal(f.error.code, "delivery_failed");
      assert.match(f.error.message, /131026/);
      await sleep(1500);
      assert.equal(meta.sent.filter((s) => s.body.to === from).length, 0, "never retried");
      const stored = (await serviceOf(server, att.token, service.id)).messages.at(-1);
      assert.equal(stored.state, "failed");
      assert.deepEqual(stored.error, { code: "delivery_failed", message: f.error.message }, "kept over REST");
      // accepted, then Meta reports it undeliverable
      const ok = await api(server, "POST", `/v1/api/desk/services/${service.id}/messages`, { token: att.token, body: { body: "accepted first" } });
      const sent = await until(() => meta.sent.find((s) => s.body.to === from));
      const later = next(dk.socket, "message:status", (p) => p.serviceId === service.id && p.state === "failed");
      await postWebhook(server, status({ id: sent.id, status: "failed", recipient: from, errors: [{ code: 131047, title: "Re-engagement message", message: "Re-engagement message" }] }));
      const lf = await later;
      assert.equal(lf.messageId, ok.json.message.id);
      assert.match(lf.error.message, /131047/);
      const msgs = (await serviceOf(server, att.token, service.id)).messages;
      const kept = msgs.find((m) => m.id === ok.json.message.id);
      assert.equal(kept.state, "failed");
      assert.deepEqual(kept.error, { code: "delivery_failed", message: lf.error.message }, "kept over REST");
      assert.equal(msgs.find((m) => m.id === r.json.message.id).error.message, f.error.message);
      assert.equal(msgs[0].error, null, "the customer's message has none");
    });

    test("outside the 24-hour window free text is refused with 409 and the template goes out", async () => {
      const { service, from } = await customerWrites(server, att.token, phone());
      await api(server, "POST", `/v1/api/desk/services/${service.id}/take`, { token: att.token, body: {} });
      sql(server, `UPDATE desk_services SET last_inbound_at = last_inbound_at - ${25 * 3600 * 1000} WHERE id = ${service.id}`);
      const s = (await serviceOf(server, att.token, service.id)).service;
      assert.ok(s.windowClosesAt < Date.now());
      const r = await api(server, "POST", `/v1/api/desk/services/${service.id}/messages`, { token: att.token, body: { body: "too late" } });
      assert.equal(r.status, 409);
      assert.equal(r.json.error.code, "outside_window");
      const ack = await emitAck(dk.socket, "message:send", { serviceId: service.id, body: "too late too" });
      assert.equal(ack.ok, false);
      assert.equal(ack.error.code, "outside_window");
      const t = await api(server, "POST", `/v1/api/desk/services/${service.id}/template`, { token: att.token, body: {} });
      assert.equal(t.status, 201, t.text);
      assert.equal(t.json.message.body, "[template] hello_world (en_US)");
      const sent = await until(() => meta.sent.find((x) => x.body.to === from));
      assert.deepEqual(sent.body.template, { name: "hello_world", language: { code: "en_US" } });
      assert.equal(sent.body.type, "template");
      assert.equal(meta.sent.filter((x) => x.body.to === from).length, 1);
      // the customer answers: the window is open again
      await postWebhook(server, inbound({ from, type: "text", text: { body: "hi again" } }));
      await until(async () => (await serviceOf(server, att.token, service.id)).service.windowClosesAt > Date.now());
      const ok = await api(server, "POST", `/v1/api/desk/services/${service.id}/messages`, { token: att.token, body: { body: "welcome back" } });
      assert.equal(ok.status, 201);
    });

    test("the rating request goes out as a list and the reply is stored as the rating", async () => {
      const { service, from } = await customerWrites(server, att.token, phone());
      await api(server, "POST", `/v1/api/desk/services/${service.id}/take`, { token: att.token, body: {} });
      assert.equal((await api(server, "POST", `/v1/api/desk/services/${service.id}/finish`, { token: att.token, body: {} })).status, 200);
      const list = await until(() => meta.sent.find((s) => s.body.to === from && s.body.type === "interactive"));
      assert.equal(list.body.interactive.type, "list");
      const rows = list.body.interactive.action.sections[0].rows;
      assert.equal(rows.length, 5);
      assert.ok(list.body.interactive.action.button.length <= 20);
      for (const row of rows) assert.ok(row.title.length <= 24);
      const four = rows.find((x) => x.title.startsWith("4"));
      const updated = next(dk.socket, "service:updated", (p) => p.service.id === service.id);
      await postWebhook(server, inbound({ from, type: "interactive", context: { from: "15550783881", id: list.id }, interactive: { type: "list_reply", list_reply: { id: four.id, title: four.title } } }));
      const u = await updated;
      assert.equal(u.service.rating, 4);
      // a second reply does not change it, and opens no service
      await postWebhook(server, inbound({ from, type: "interactive", interactive: { type: "list_reply", list_reply: { id: rows[0].id, title: rows[0].title } } }));
      await sleep(300);
      assert.equal((await serviceOf(server, att.token, service.id)).service.rating, 4);
      const l = await api(server, "GET", "/v1/api/desk/services?channel=whatsapp&status=open&limit=100", { token: server.admin.token });
      assert.equal(l.json.services.filter((s) => s.customer.phone === `+${from}`).length, 0);
    });

    test("the admin ends and starts the WhatsApp session: nothing is sent while it is ended", async () => {
      const { service, from } = await customerWrites(server, att.token, phone());
      await api(server, "POST", `/v1/api/desk/services/${service.id}/take`, { token: att.token, body: {} });
      const off = await api(server, "PATCH", "/v1/api/desk/channels/whatsapp", { token: server.admin.token, body: { enabled: false } });
      assert.equal(off.status, 200, off.text);
      assert.equal(off.json.channel.enabled, false);
      assert.equal(off.json.channel.connected, false);
      const byAtt = await api(server, "PATCH", "/v1/api/desk/channels/whatsapp", { token: att.token, body: { enabled: true } });
      assert.equal(byAtt.status, 403);
      const bad = await api(server, "PATCH", "/v1/api/desk/channels/whatsapp", { token: server.admin.token, body: { enabled: "yes" } });
      assert.equal(bad.status, 400);
      await api(server, "POST", `/v1/api/desk/services/${service.id}/messages`, { token: att.token, body: { body: "held back" } });
      // an account-level error Meta reports shows as the channel's lastError
      const errBody = inbound({ from, type: "text", text: { body: "x" } });
      errBody.entry[0].changes[0].value = { messaging_product: "whatsapp", metadata: { phone_number_id: "106540352242922" }, errors: [{ code: 131056, title: "Pair rate limit hit", message: "Pair rate limit hit", error_data: { details: "too many" } }] };
      assert.equal((await postWebhook(server, errBody)).status, 200);
      await until(async () => (await api(server, "GET", "/v1/api/desk/channels", { token: server.admin.token })).json.channels[0].lastError?.includes("131056"));
      // webhooks are still stored while the session is ended
      await postWebhook(server, inbound({ from, type: "text", text: { body: "are you there?" } }));
      await until(async () => (await serviceOf(server, att.token, service.id)).messages.length === 3);
      await sleep(1500);
      assert.equal(meta.sent.filter((s) => s.body.to === from).length, 0);
      const on = await api(server, "PATCH", "/v1/api/desk/channels/whatsapp", { token: server.admin.token, body: { enabled: true } });
      assert.equal(on.json.channel.enabled, true);
      await until(() => meta.sent.some((s) => s.body.to === from));
      const ch = (await api(server, "GET", "/v1/api/desk/channels", { token: server.admin.token })).json.channels[0];
      assert.equal(ch.connected, true);
      assert.equal(typeof ch.lastEventAt, "number");
    });
  });

  describe(`whatsapp channel across a crash (${backend.name})`, () => {
    test("sioc killed with sends pending sends them after the restart, exactly once", async () => {
      const { meta, store, att, from, service } = await crashSetup(backend);
      let server = att.server;
      try {
        // one sent before the crash, three pending (the session ended), one failing with 500s
        await api(server, "POST", `/v1/api/desk/services/${service.id}/messages`, { token: att.token, body: { body: "before" } });
        await until(() => meta.sent.length === 1);
        await api(server, "PATCH", "/v1/api/desk/channels/whatsapp", { token: server.admin.token, body: { enabled: false } });
        for (const b of ["one", "two", "three"])
          assert.equal((await api(server, "POST", `/v1/api/desk/services/${service.id}/messages`, { token: att.token, body: { body: b } })).status, 201);
        const adminToken = server.admin.token; // JWTs: still valid after the restart
        server.proc.kill("SIGKILL");
        await new Promise((r) => server.proc.once("exit", r));
        server = await startNode(store.url, waArgs(meta));
        await sleep(1500);
        assert.equal(meta.sent.length, 1, "still ended after the restart");
        const on = await api(server, "PATCH", "/v1/api/desk/channels/whatsapp", { token: adminToken, body: { enabled: true } });
        assert.equal(on.status, 200, on.text);
        await until(() => meta.sent.length === 4, T(10000));
        await sleep(2500);
        assert.deepEqual(meta.sent.map((s) => s.body.text.body), ["before", "one", "two", "three"]);
        const d = await serviceOf(server, att.token, service.id);
        assert.deepEqual(d.messages.filter((m) => m.direction === "out").map((m) => m.state), ["sent", "sent", "sent", "sent"]);
      } finally {
        await server.stop();
        store.cleanup();
        await meta.close();
      }
    });

    test("a send Meta accepted whose answer was lost to a crash is not sent again", async () => {
      const { meta, store, att, from, service } = await crashSetup(backend);
      let server = att.server;
      try {
        meta.hold(); // Meta takes the send but sioc dies before the answer
        await api(server, "POST", `/v1/api/desk/services/${service.id}/messages`, { token: att.token, body: { body: "exactly once" } });
        await until(() => meta.attempts === 1);
        server.proc.kill("SIGKILL");
        await new Promise((r) => server.proc.once("exit", r));
        meta.release();
        await until(() => meta.sent.length === 1);
        // Meta's "sent" status carries our opaque id: the restarted node learns the wamid from it
        server = await startNode(store.url, waArgs(meta));
        const s = meta.sent[0];
        assert.equal(s.body.biz_opaque_callback_data.startsWith("sioc:"), true);
        assert.equal((await postWebhook(server, status({ id: s.id, status: "sent", recipient: from, opaque: s.body.biz_opaque_callback_data }))).status, 200);
        await sleep(17000); // the crashed node's lease (15 s) runs out: the entry is settled, not resent
        assert.equal(meta.sent.length, 1);
        assert.equal(meta.attempts, 1);
      } finally {
        await server.stop();
        store.cleanup();
        await meta.close();
      }
    });
  });
}
