// whatsapp-media.test.mjs - WhatsApp media and the attachment store, against the simulator
// (test/sim/whatsapp.mjs plays Meta), on SQLite and PostgreSQL: an inbound image is fetched from
// Meta, stored (the bytes served back equal) and carried by the desk message (REST and /desk's
// message:new); a file the store refuses leaves the message with a note; an attendant's document
// and image reach Meta's media upload (multipart, the right bytes, type and name) and the media
// messages reference the returned media ids; a 500 on the upload, then success, sends once.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { next, sleep } from "./lib/chat.mjs";
import { api, backends, desk, staff, startDesk, T, until } from "./lib/desk.mjs";
import { png, upload } from "./lib/media.mjs";
import { inbound, postWebhook, startMeta, waArgs } from "./sim/whatsapp.mjs";

let phoneSeq = 0;
const phone = () => `1556${process.pid % 1000}${String(++phoneSeq).padStart(4, "0")}`;
const PDF = Buffer.from("%PDF-1.4\n%\xe2\xe3\n1 0 obj\n<<>>\nendobj\n", "latin1");

async function serviceOf(server, token, sid) {
  const r = await api(server, "GET", `/v1/api/desk/services/${sid}`, { token });
  assert.equal(r.status, 200, r.text);
  return r.json;
}

/** The open WhatsApp service of `from`, once the desk has it. */
function serviceOfPhone(server, token, from) {
  return until(async () => {
    const l = await api(server, "GET", "/v1/api/desk/services?channel=whatsapp&status=open&limit=100", { token });
    return l.json.services.find((s) => s.customer.phone === `+${from}`);
  });
}

/** GET an attachment's bytes as `token`. */
async function bytesOf(server, token, url) {
  const r = await fetch(`${server.url}${url}`, { headers: { authorization: `Bearer ${token}` } });
  return { status: r.status, type: r.headers.get("content-type"), bytes: Buffer.from(await r.arrayBuffer()) };
}

for (const backend of backends()) {
  describe(`whatsapp media (${backend.name})`, () => {
    let meta, server, att, dk;
    before(async () => {
      meta = await startMeta();
      server = await startDesk(backend, waArgs(meta, ["--media-max-bytes", String(256 * 1024)]));
      att = await staff(server);
      dk = await desk(server, att.token);
    });
    after(async () => {
      dk?.socket.close();
      await server?.stop();
      await meta?.close();
    });

    test("an inbound image is stored, served with its bytes, and shown on the desk", async () => {
      const from = phone();
      const img = png(60, 30);
      const mediaId = meta.addMedia(img, "image/png");
      const seen = next(dk.socket, "message:new", (p) => p.message.attachments?.length > 0 && p.service.customer?.phone === `+${from}`);
      const r = await postWebhook(server, inbound({ from, type: "image", image: { caption: "the broken part", mime_type: "image/png", sha256: "x", id: mediaId } }));
      assert.equal(r.status, 200, r.text);
      const ev = await seen;
      assert.equal(ev.message.body, "[image] the broken part");
      const [a] = ev.message.attachments;
      assert.equal(a.type, "image/png");
      assert.equal(a.size, img.length);
      assert.equal(a.width, 60);
      // fetched from Meta with the token: the URL first, then the bytes
      assert.ok(meta.requests.some((q) => q.path === `/v21.0/${mediaId}` && q.auth.startsWith("Bearer ")));
      assert.ok(meta.requests.some((q) => q.path === `/media-bytes/${mediaId}`));
      const service = await serviceOfPhone(server, att.token, from);
      const d = await serviceOf(server, att.token, service.id);
      assert.deepEqual(d.messages.at(-1).attachments.map((x) => x.id), [a.id]);
      const got = await bytesOf(server, att.token, a.url);
      assert.equal(got.status, 200);
      assert.equal(got.type, "image/png");
      assert.ok(got.bytes.equals(img), "the served bytes are the customer's");
      const thumb = await bytesOf(server, att.token, a.thumbUrl);
      assert.equal(thumb.status, 200);
      // a redelivered message (another envelope, same wamid) is stored once, with its one file
      const id = d.messages.at(-1).clientMsgId;
      await postWebhook(server, inbound({ from, id, type: "image", image: { caption: "again", mime_type: "image/png", sha256: "x", id: mediaId } }));
      await sleep(400);
      const d2 = await serviceOf(server, att.token, service.id);
      assert.equal(d2.messages.length, d.messages.length);
      assert.equal(d2.messages.at(-1).attachments.length, 1);
    });

    test("a medium the store refuses leaves the message with a note, and the webhook still lands", async () => {
      const from = phone();
      const big = meta.addMedia(Buffer.concat([png(8, 8), Buffer.alloc(300 * 1024)]), "image/png");
      const exe = meta.addMedia(Buffer.from("MZ\x90\x00\x03\x00\x00\x00 not a document", "latin1"), "application/pdf");
      assert.equal((await postWebhook(server, inbound({ from, type: "image", image: { mime_type: "image/png", sha256: "x", id: big } }))).status, 200);
      assert.equal((await postWebhook(server, inbound({ from, type: "document", document: { filename: "x.pdf", mime_type: "application/pdf", sha256: "x", id: exe } }))).status, 200);
      assert.equal((await postWebhook(server, inbound({ from, type: "video", video: { mime_type: "video/mp4", sha256: "x", id: "9999" } }))).status, 200);
      const service = await serviceOfPhone(server, att.token, from);
      const d = await until(async () => {
        const x = await serviceOf(server, att.token, service.id);
        return x.messages.length === 3 && x;
      });
      assert.match(d.messages[0].body, /^\[image\]\n\(the image could not be kept: it is larger than the size limit\)$/);
      assert.match(d.messages[1].body, /^\[document: x\.pdf\]\n\(the document could not be kept: its file type is not allowed\)$/);
      assert.match(d.messages[2].body, /^\[video\]\n\(the video could not be kept: Meta gave no media URL \(HTTP 400\)\)$/);
      for (const m of d.messages) assert.deepEqual(m.attachments, []);
    });

    test("an attendant's document and image reach Meta's media upload, and the messages use the media ids", async () => {
      const from = phone();
      assert.equal((await postWebhook(server, inbound({ from, type: "text", text: { body: "send me the invoice" } }))).status, 200);
      const service = await serviceOfPhone(server, att.token, from);
      assert.equal((await api(server, "POST", `/v1/api/desk/services/${service.id}/take`, { token: att.token, body: {} })).status, 200);
      const img = png(40, 40);
      const up1 = await upload(server, att, PDF, { name: "invoice 42.pdf" });
      const up2 = await upload(server, att, img, { name: "photo.png" });
      assert.equal(up1.status, 201, up1.text);
      assert.equal(up2.status, 201, up2.text);
      const uploads = meta.uploaded.length;
      const r = await api(server, "POST", `/v1/api/desk/services/${service.id}/messages`, {
        token: att.token,
        body: { body: "Here it is", clientMsgId: "m-1", attachmentIds: [up1.json.id, up2.json.id] },
      });
      assert.equal(r.status, 201, r.text);
      assert.equal(r.json.message.attachments.length, 2);
      const sent = await until(() => {
        const s = meta.sent.filter((x) => x.body.to === from);
        return s.length === 2 && s;
      }, T(10000));
      const ups = meta.uploaded.slice(uploads);
      assert.equal(ups.length, 2);
      assert.ok(ups[0].bytes.equals(PDF), "the document's bytes");
      assert.equal(ups[0].mime, "application/pdf");
      assert.equal(ups[0].filename, "invoice 42.pdf");
      assert.equal(ups[0].product, "whatsapp");
      assert.ok(ups[1].bytes.equals(img), "the image's bytes");
      assert.equal(ups[1].mime, "image/png");
      assert.equal(sent[0].body.type, "document");
      assert.deepEqual(sent[0].body.document, { id: ups[0].id, caption: "Here it is", filename: "invoice 42.pdf" });
      assert.equal(sent[0].body.biz_opaque_callback_data, `sioc:${r.json.message.id}`);
      assert.equal(sent[1].body.type, "image");
      assert.deepEqual(sent[1].body.image, { id: ups[1].id });
      const m = await until(async () => {
        const x = (await serviceOf(server, att.token, service.id)).messages.at(-1);
        return x.state === "sent" && x;
      });
      assert.equal(m.attachments.length, 2);
    });

    test("a 500 on the upload, then success, sends once", async () => {
      const from = phone();
      assert.equal((await postWebhook(server, inbound({ from, type: "text", text: { body: "a photo please" } }))).status, 200);
      const service = await serviceOfPhone(server, att.token, from);
      await api(server, "POST", `/v1/api/desk/services/${service.id}/take`, { token: att.token, body: {} });
      const img = png(20, 10);
      const up = await upload(server, att, img, { name: "shot.png" });
      assert.equal(up.status, 201, up.text);
      const attempts = meta.uploadAttempts;
      meta.failUpload(1, 500);
      const r = await api(server, "POST", `/v1/api/desk/services/${service.id}/messages`, { token: att.token, body: { body: "", attachmentIds: [up.json.id] } });
      assert.equal(r.status, 201, r.text);
      await until(() => meta.sent.some((s) => s.body.to === from), T(15000));
      await sleep(1500);
      const mine = meta.sent.filter((s) => s.body.to === from);
      assert.equal(mine.length, 1);
      assert.equal(meta.uploadAttempts - attempts, 2);
      const last = meta.uploaded.at(-1);
      assert.ok(last.bytes.equals(img));
      assert.deepEqual(mine[0].body.image, { id: last.id });
      const m = (await serviceOf(server, att.token, service.id)).messages.at(-1);
      assert.equal(m.state, "sent");
    });
  });
}
