// media-attachments.test.mjs - the attachment store (POST/GET /v1/api/attachments, docs in
// README "Attachments") against the real sioc on every storage backend: an upload comes back
// byte for byte with the type read from the bytes; limits refuse with the API's JSON 413 / 415
// and leave no file and no row; nobody but the uploader and the members of a chat whose message
// carries it can read it (404 for everyone else, as for an unknown id); file names with path
// tricks are stored and served safely; Range 206 / 416; ETag / 304; the same bytes are stored
// once; images get a WebP thumbnail; messages carry attachments over REST, Socket.IO events and
// history, only one's own uploads, attachments-only bodies allowed.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { api, assertError, backends, connect, emitAck, next, register, startChat } from "./lib/chat.mjs";
import { png, upload } from "./lib/media.mjs";

/** Width and height of a WebP file (RIFF chunk VP8X, VP8 or VP8L, from the WebP container
 * specification). */
function webpSize(b) {
  const kind = b.subarray(12, 16).toString("latin1");
  if (kind === "VP8X") return [1 + b.readUIntLE(24, 3), 1 + b.readUIntLE(27, 3)];
  if (kind === "VP8 ") return [b.readUInt16LE(26) & 0x3fff, b.readUInt16LE(28) & 0x3fff];
  if (kind === "VP8L") {
    const bits = b.readUInt32LE(21);
    return [1 + (bits & 0x3fff), 1 + ((bits >> 14) & 0x3fff)];
  }
  throw new Error(`not a WebP image: ${kind}`);
}

/** Every file under `dir` (recursively), relative paths. */
function files(dir) {
  if (!fs.existsSync(dir)) return [];
  const out = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...files(p).map((f) => path.join(e.name, f)));
    else out.push(e.name);
  }
  return out;
}

for (const backend of backends()) {
  describe(`attachments (${backend.name})`, () => {
    let server, alice, bob, eve;
    const MAX = 200000;
    before(async () => {
      server = await startChat(backend, ["--media-max-bytes", String(MAX)]);
      [alice, bob, eve] = await Promise.all([register(server), register(server), register(server)]);
    });
    after(async () => {
      await server?.stop();
    });
    const get = (who, p, headers = {}) => api(server, "GET", p, { token: who?.token, headers });
    const stored = () => files(server.mediaDir).filter((f) => !f.startsWith("tmp"));

    it("an upload comes back byte for byte, with the type from the bytes", async () => {
      const img = png(80, 40);
      const r = await upload(server, alice, img, { name: "cat.png", type: "text/plain" });
      assert.equal(r.status, 201, r.text);
      assert.equal(r.json.type, "image/png"); // not the client's claim
      assert.equal(r.json.size, img.length);
      assert.equal(r.json.name, "cat.png");
      assert.equal(r.json.url, `/v1/api/attachments/${r.json.id}`);
      assert.equal(r.json.width, 80);
      assert.equal(r.json.height, 40);
      const g = await get(alice, r.json.url);
      assert.equal(g.status, 200);
      assert.equal(g.headers["content-type"], "image/png");
      assert.equal(g.headers["x-content-type-options"], "nosniff");
      assert.match(g.headers["content-disposition"], /^inline; filename="cat.png"/);
      assert.equal(Number(g.headers["content-length"]), img.length);
      const raw = await import("./lib/http.mjs").then((m) =>
        m.request(server.url, { path: r.json.url, headers: { authorization: `Bearer ${alice.token}` } }),
      );
      assert.ok(raw.body.equals(img), "the bytes differ");
    });

    it("a thumbnail is made for images (WebP, at most 320 px)", async () => {
      const r = await upload(server, alice, png(900, 300), { name: "wide.png" });
      assert.equal(r.status, 201, r.text);
      assert.equal(r.json.thumbUrl, `/v1/api/attachments/${r.json.id}/thumb`);
      const { request } = await import("./lib/http.mjs");
      const t = await request(server.url, { path: r.json.thumbUrl, headers: { authorization: `Bearer ${alice.token}` } });
      assert.equal(t.status, 200);
      assert.equal(t.headers["content-type"], "image/webp");
      assert.equal(t.body.subarray(0, 4).toString("latin1"), "RIFF");
      assert.equal(t.body.subarray(8, 12).toString("latin1"), "WEBP");
      const [w, h] = webpSize(t.body);
      assert.ok(w <= 320 && h <= 320 && w > 0, `thumbnail ${w}x${h}`);
      const pdf = await upload(server, alice, Buffer.from("%PDF-1.4\n%\xe2\xe3\n1 0 obj\n<<>>\nendobj\n", "latin1"), { name: "doc.pdf" });
      assert.equal(pdf.status, 201, pdf.text);
      assert.equal(pdf.json.thumbUrl, undefined);
      assertError(assert, await get(alice, `/v1/api/attachments/${pdf.json.id}/thumb`), 404, "not_found");
    });

    it("too large: 413 JSON, and no file, no row", async () => {
      const before = stored();
      const big = Buffer.concat([png(8, 8), Buffer.alloc(MAX)]);
      assertError(assert, await upload(server, alice, big, { name: "big.png", type: "image/png" }), 413, "payload_too_large");
      // far over the limit: refused by the HTTP layer before the body is read, same JSON
      const huge = Buffer.alloc(MAX * 20);
      const r = await upload(server, alice, huge, { name: "huge.bin" });
      assertError(assert, r, 413, "payload_too_large");
      assert.deepEqual(stored(), before);
      assert.deepEqual(files(path.join(server.mediaDir, "tmp")), []);
    });

    it("a type not allowed: 415 JSON (an .exe claiming image/png), nothing kept", async () => {
      const before = stored();
      const exe = Buffer.concat([Buffer.from("MZ\x90\x00\x03\x00\x00\x00\x04\x00", "latin1"), Buffer.alloc(2000)]);
      assertError(assert, await upload(server, alice, exe, { name: "photo.png", type: "image/png" }), 415, "unsupported_media_type");
      const elf = Buffer.concat([Buffer.from("\x7fELF\x02\x01\x01\x00", "latin1"), Buffer.alloc(500)]);
      assertError(assert, await upload(server, alice, elf, { name: "a.txt", type: "text/plain" }), 415, "unsupported_media_type");
      const html = Buffer.from("<html><script>alert(1)</script></html>");
      const h = await upload(server, alice, html, { name: "x.html", type: "text/html" });
      assert.equal(h.status, 201, h.text); // plain text: served as text/plain, nosniff, sandboxed
      assert.equal(h.json.type, "text/plain");
      const g = await get(alice, h.json.url);
      assert.equal(g.headers["content-type"], "text/plain; charset=utf-8");
      assert.match(g.headers["content-disposition"], /^attachment;/);
      assert.match(g.headers["content-security-policy"], /sandbox/);
      assertError(assert, await upload(server, alice, Buffer.alloc(0), { name: "e" }), 400, "empty_file");
      assert.equal(stored().filter((f) => !before.includes(f)).length, 1); // the text file only
      assert.deepEqual(files(path.join(server.mediaDir, "tmp")), []);
    });

    it("without a token: 401; someone else's file: 404, like an unknown id", async () => {
      const r = await upload(server, alice, png(), { name: "mine.png" });
      assert.equal(r.status, 201);
      assertError(assert, await upload(server, null, png()), 401, "token_missing");
      assertError(assert, await get(null, r.json.url), 401, "token_missing");
      assertError(assert, await get(bob, r.json.url), 404, "not_found");
      assertError(assert, await get(bob, `${r.json.url}/thumb`), 404, "not_found");
      assertError(assert, await get(alice, "/v1/api/attachments/987654321"), 404, "not_found");
      const unknown = await get(bob, "/v1/api/attachments/987654321");
      const foreign = await get(bob, r.json.url);
      assert.equal(unknown.text, foreign.text); // no existence leak
      assertError(assert, await get(alice, "/v1/api/attachments/abc"), 404, "not_found");
      assertError(assert, await api(server, "DELETE", r.json.url, { token: alice.token }), 405, "method_not_allowed");
    });

    it("file names with path tricks are stored safely and served with a safe Content-Disposition", async () => {
      const cases = [
        ["../../etc/passwd", "passwd"],
        ["..\\..\\windows\\system32\\cmd.exe", "cmd.exe"],
        ["a\u0000b\r\nSet-Cookie: x=1.png", "abSet-Cookie_ x=1.png"],
        ["\"quoted\";.png", "_quoted_;.png"],
        ["...", "file"],
        ["", "file"],
        ["ünïcødé 😀.png", "ünïcødé 😀.png"],
        ["x".repeat(1000) + ".png", "x".repeat(251) + ".png"],
      ];
      for (const [raw, want] of cases) {
        const r = await upload(server, alice, png(4, 4), { name: raw });
        assert.equal(r.status, 201, `${JSON.stringify(raw)}: ${r.text}`);
        assert.equal(r.json.name, want, JSON.stringify(raw));
        const g = await get(alice, r.json.url);
        const cd = g.headers["content-disposition"];
        assert.match(cd, /^inline; filename="[^"\\\r\n]*"; filename\*=UTF-8''[A-Za-z0-9!#$&+\-.^_`|~%]*$/, cd);
        assert.equal(decodeURIComponent(cd.split("''")[1]), want);
      }
      // nothing outside the media directory
      assert.ok(stored().every((f) => /^[0-9a-f]{2}\/[0-9a-f]{2}\/[0-9a-f]{64}(\.thumb)?$/.test(f)), stored().join());
    });

    it("Range requests: 206 with Content-Range, 416 outside the file, ETag and 304", async () => {
      const body = Buffer.from("ID3\x03\x00\x00\x00\x00\x00\x00" + "0123456789".repeat(100), "latin1");
      const r = await upload(server, alice, body, { name: "voice.mp3" });
      assert.equal(r.status, 201, r.text);
      assert.equal(r.json.type, "audio/mpeg");
      const { request } = await import("./lib/http.mjs");
      const auth = { authorization: `Bearer ${alice.token}` };
      const p = await request(server.url, { path: r.json.url, headers: { ...auth, range: "bytes=10-19" } });
      assert.equal(p.status, 206);
      assert.equal(p.headers["content-range"], `bytes 10-19/${body.length}`);
      assert.equal(p.headers["accept-ranges"], "bytes");
      assert.ok(p.body.equals(body.subarray(10, 20)));
      const tail = await request(server.url, { path: r.json.url, headers: { ...auth, range: "bytes=-5" } });
      assert.equal(tail.status, 206);
      assert.ok(tail.body.equals(body.subarray(body.length - 5)));
      const open = await request(server.url, { path: r.json.url, headers: { ...auth, range: "bytes=1000-" } });
      assert.equal(open.status, 206);
      assert.ok(open.body.equals(body.subarray(1000)));
      const bad = await request(server.url, { path: r.json.url, headers: { ...auth, range: `bytes=${body.length}-` } });
      assert.equal(bad.status, 416);
      assert.equal(bad.headers["content-range"], `bytes */${body.length}`);
      const junk = await request(server.url, { path: r.json.url, headers: { ...auth, range: "bytes=a-b" } });
      assert.equal(junk.status, 200);
      assert.equal(junk.body.length, body.length);
      assert.match(p.headers["content-disposition"], /^inline;/);
      const etag = junk.headers.etag;
      assert.match(etag, /^"[0-9a-f]{64}"$/);
      const nm = await request(server.url, { path: r.json.url, headers: { ...auth, "if-none-match": etag } });
      assert.equal(nm.status, 304);
      assert.equal(nm.body.length, 0);
    });

    it("the same bytes are stored once", async () => {
      const img = png(33, 17);
      const a = await upload(server, alice, img, { name: "a.png" });
      const b = await upload(server, bob, img, { name: "b.png" });
      assert.equal(a.status, 201);
      assert.equal(b.status, 201);
      assert.notEqual(a.json.id, b.json.id);
      const ga = await get(alice, a.json.url), gb = await get(bob, b.json.url);
      assert.equal(ga.headers.etag, gb.headers.etag);
      const sha = ga.headers.etag.slice(1, -1);
      const same = stored().filter((f) => f.endsWith(sha));
      assert.equal(same.length, 1, stored().join());
      assert.equal(gb.headers["content-disposition"].startsWith('inline; filename="b.png"'), true);
    });

    it("messages carry attachments: REST send, message:new, history; only one's own uploads", async () => {
      const g = await api(server, "POST", "/v1/api/chats/group", { token: alice.token, body: { name: "pics", memberIds: [bob.id] } });
      assert.equal(g.status, 201, g.text);
      const chatId = g.json.id ?? g.json.chat?.id;
      const { socket: bs } = await connect(server, bob.token);
      try {
        const up = await upload(server, alice, png(20, 10), { name: "holiday.png" });
        const voice = await upload(server, alice, Buffer.from("OggS\x00\x02" + "\x00".repeat(20) + "OpusHead" + "x".repeat(60), "latin1"), { name: "voice.ogg" });
        assert.equal(voice.status, 201, voice.text);
        assert.equal(voice.json.type, "audio/ogg");
        assertError(assert, await get(bob, up.json.url), 404, "not_found");
        const ev = next(bs, "message:new", (m) => m.chatId === chatId);
        const s = await api(server, "POST", `/v1/api/chats/${chatId}/messages`, {
          token: alice.token,
          body: { attachmentIds: [up.json.id, voice.json.id] },
        });
        assert.equal(s.status, 201, s.text);
        assert.equal(s.json.body, "");
        assert.deepEqual(s.json.attachments.map((a) => a.id), [up.json.id, voice.json.id]);
        assert.equal(s.json.attachments[0].name, "holiday.png");
        assert.equal(s.json.attachments[0].thumbUrl, `/v1/api/attachments/${up.json.id}/thumb`);
        const m = await ev;
        assert.deepEqual(m.attachments, s.json.attachments);
        // now bob (a member) can read it; eve cannot
        assert.equal((await get(bob, up.json.url)).status, 200);
        assert.equal((await get(bob, `${up.json.url}/thumb`)).status, 200);
        assertError(assert, await get(eve, up.json.url), 404, "not_found");
        // history
        const h = await api(server, "GET", `/v1/api/chats/${chatId}/messages`, { token: bob.token });
        assert.equal(h.status, 200);
        assert.deepEqual(h.json.messages[0].attachments, s.json.attachments);
        // over Socket.IO, with a body; bob cannot send alice's upload
        const mine = await upload(server, bob, png(5, 5), { name: "b.png" });
        const ack = await emitAck(bs, "message:send", { chatId, body: "look", attachmentIds: [mine.json.id] });
        assert.equal(ack.ok, true, JSON.stringify(ack));
        assert.equal(ack.message.attachments[0].id, mine.json.id);
        const theirs = await emitAck(bs, "message:send", { chatId, body: "steal", attachmentIds: [up.json.id] });
        assert.equal(theirs.ok, false);
        assert.equal(theirs.error.code, "invalid_attachment");
        const none = await emitAck(bs, "message:send", { chatId, body: "", attachmentIds: [] });
        assert.equal(none.ok, false);
        assert.equal(none.error.code, "invalid_field");
        assertError(assert, await api(server, "POST", `/v1/api/chats/${chatId}/messages`, { token: bob.token, body: { attachmentIds: [up.json.id] } }), 400, "invalid_attachment");
        assertError(assert, await api(server, "POST", `/v1/api/chats/${chatId}/messages`, { token: bob.token, body: { attachmentIds: ["1"] } }), 400, "invalid_field");
        // a deleted message takes its attachments with it (for the others)
        const del = await api(server, "DELETE", `/v1/api/messages/${s.json.id}`, { token: alice.token });
        assert.equal(del.status, 204, del.text);
        assertError(assert, await get(bob, up.json.url), 404, "not_found");
      } finally {
        bs.close();
      }
    });
  });
}
