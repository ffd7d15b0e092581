// web-serve.test.mjs - sioc serving the web app at / (--web-root): a directory laid out like a
// Next.js static export, written by the test so that it does not depend on a build: pages by
// name (/chat -> chat.html), the SPA fallback for client routes, 404 JSON for missing assets,
// immutable caching of /_next/static/, no-cache HTML, gzip (precompressed .gz and on the fly),
// hidden files and dot segments refused, GET/HEAD only, and the API paths untouched by the
// catch-all. Also a root with no build (503 page that says what to do), and PATCH
// /v1/api/users/me with its `user:updated` event, which the web app's profile uses.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import zlib from "node:zlib";
import { api, backends, connect, next, register, startChat } from "./lib/chat.mjs";
import { rawExchange, request } from "./lib/http.mjs";

const backend = backends()[0];
const JS = "export const x = 1;\n".repeat(400);
const CSS = "body { color: black; }\n".repeat(200);
// large enough for the on-the-fly compression (bodies under 256 bytes go as they are)
const CHAT_HTML = `<!doctype html><title>chat</title>${"<p>a page of the chat app</p>\n".repeat(40)}`;

function makeRoot() {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "sioc-webroot-"));
  fs.mkdirSync(path.join(root, "_next/static/chunks"), { recursive: true });
  fs.mkdirSync(path.join(root, "desk"));
  fs.writeFileSync(path.join(root, "index.html"), "<!doctype html><title>home</title>");
  fs.writeFileSync(path.join(root, "chat.html"), CHAT_HTML);
  fs.writeFileSync(path.join(root, "desk/index.html"), "<!doctype html><title>desk</title>");
  fs.writeFileSync(path.join(root, "_next/static/chunks/app-1f2e.js"), JS);
  fs.writeFileSync(path.join(root, "_next/static/chunks/app-1f2e.js.gz"), zlib.gzipSync(JS));
  fs.writeFileSync(path.join(root, "style.css"), CSS);
  fs.writeFileSync(path.join(root, ".env"), "SECRET=1");
  return root;
}

describe("web app at / (--web-root)", { skip: backend ? false : "no chat service" }, () => {
  let server, root;
  before(async () => {
    root = makeRoot();
    server = await startChat(backend, ["--web-root", root]);
  });
  after(async () => {
    await server?.stop();
    fs.rmSync(root, { recursive: true, force: true });
  });
  const get = (p, headers = {}) => request(server.url, { path: p, headers });

  it("serves pages by name, with no-cache", async () => {
    for (const [p, title] of [["/", "home"], ["/chat", "chat"], ["/chat?c=42", "chat"], ["/chat/", "chat"], ["/desk", "desk"]]) {
      const r = await get(p);
      assert.equal(r.status, 200, p);
      assert.match(r.text, new RegExp(`<title>${title}</title>`), p);
      assert.match(r.headers["content-type"], /^text\/html/, p);
      assert.equal(r.headers["cache-control"], "no-cache", p);
      assert.equal(r.headers["x-content-type-options"], "nosniff", p);
    }
  });

  it("answers client routes with the app's page so a reload keeps the route", async () => {
    const r = await get("/settings/profile");
    assert.equal(r.status, 200);
    assert.match(r.text, /<title>home<\/title>/);
  });

  it("answers a missing asset with a JSON 404, never with a page", async () => {
    for (const p of ["/_next/static/chunks/gone-00.js", "/favicon.ico", "/_next/data"]) {
      const r = await get(p);
      assert.equal(r.status, 404, p);
      assert.deepEqual(r.json ?? JSON.parse(r.text), { error: { code: "not_found", message: "no such file" } });
    }
  });

  it("caches hashed assets as immutable and sends the precompressed copy", async () => {
    const plain = await get("/_next/static/chunks/app-1f2e.js");
    assert.equal(plain.status, 200);
    assert.equal(plain.text, JS);
    assert.match(plain.headers["content-type"], /javascript/);
    assert.equal(plain.headers["cache-control"], "public, max-age=31536000, immutable");
    assert.ok(plain.headers.etag, "an ETag for revalidation");
    const gz = await get("/_next/static/chunks/app-1f2e.js", { "accept-encoding": "gzip" });
    assert.equal(gz.headers["content-encoding"], "gzip");
    assert.ok(gz.body.length < JS.length / 4, `compressed: ${gz.body.length} bytes`);
    assert.equal(zlib.gunzipSync(gz.body).toString(), JS);
    const again = await get("/_next/static/chunks/app-1f2e.js", { "if-none-match": plain.headers.etag });
    assert.equal(again.status, 304);
    // the precompressed copy has its own ETag, which must revalidate too
    assert.notEqual(gz.headers.etag, plain.headers.etag);
    const gzAgain = await get("/_next/static/chunks/app-1f2e.js", { "accept-encoding": "gzip", "if-none-match": gz.headers.etag });
    assert.equal(gzAgain.status, 304);
  });

  it("compresses other text (CSS, HTML pages) on the fly", async () => {
    const r = await get("/style.css", { "accept-encoding": "gzip" });
    assert.equal(r.status, 200);
    assert.equal(r.headers["content-encoding"], "gzip");
    assert.equal(zlib.gunzipSync(r.body).toString(), CSS);
    const page = await get("/chat", { "accept-encoding": "gzip" });
    assert.equal(page.status, 200);
    assert.equal(page.headers["content-encoding"], "gzip");
    assert.equal(zlib.gunzipSync(page.body).toString(), CHAT_HTML);
  });

  it("refuses hidden files and dot segments", async () => {
    assert.equal((await get("/.env")).status, 404);
    for (const target of ["/../../etc/passwd", "/_next/../.env", "/%2e%2e/%2e%2e/etc/passwd", "/.%65nv"]) {
      const res = await rawExchange(server.port, `GET ${target} HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n`);
      assert.doesNotMatch(res, /SECRET=1|root:x:/, target);
      assert.match(res, /^HTTP\/1\.1 (200|400|404)/, target);
    }
  });

  it("takes GET and HEAD only", async () => {
    const head = await request(server.url, { method: "HEAD", path: "/chat" });
    assert.equal(head.status, 200);
    assert.equal(head.body.length, 0);
    assert.equal(head.headers["content-length"], String(Buffer.byteLength(CHAT_HTML)));
    assert.match(head.headers["content-type"], /^text\/html/);
    const post = await request(server.url, { method: "POST", path: "/chat", body: "x" });
    assert.equal(post.status, 405);
    assert.equal(JSON.parse(post.text).error.code, "method_not_allowed");
  });

  it("leaves the API, Socket.IO and docs paths to their handlers", async () => {
    const r = await api(server, "GET", "/v1/api/users/me");
    assert.equal(r.status, 401);
    const nf = await api(server, "GET", "/v1/api/nope");
    assert.equal(nf.status, 404);
    assert.equal(nf.json.error.code, "not_found");
    const eio = await get("/socket.io/?EIO=4&transport=polling");
    assert.equal(eio.status, 200);
    assert.match(eio.text, /^0\{"sid"/);
  });
});

describe("web root without a build", { skip: backend ? false : "no chat service" }, () => {
  let server, root;
  before(async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), "sioc-webroot-empty-"));
    server = await startChat(backend, ["--web-root", root]);
  });
  after(async () => {
    await server?.stop();
    fs.rmSync(root, { recursive: true, force: true });
  });

  it("answers / with a 503 page that says how to build the app, then serves the build once it exists", async () => {
    const r = await request(server.url, { path: "/" });
    assert.equal(r.status, 503);
    assert.match(r.text, /scripts\/run/);
    fs.writeFileSync(path.join(root, "index.html"), "<!doctype html><title>late</title>");
    const later = await request(server.url, { path: "/chat" });
    assert.equal(later.status, 200);
    assert.match(later.text, /<title>late<\/title>/);
  });
});

describe("PATCH /v1/api/users/me (profile)", { skip: backend ? false : "no chat service" }, () => {
  let server;
  before(async () => {
    server = await startChat(backend);
  });
  after(async () => server?.stop());

  it("changes display name and name colour and tells every socket", async () => {
    const a = await register(server);
    const b = await register(server);
    const { socket } = await connect(server, b.token);
    try {
      const seen = next(socket, "user:updated", (e) => e.user.id === a.id);
      // an empty change answers the profile as it is and tells nobody: the first event seen below
      // is the real change's
      const same = await api(server, "PATCH", "/v1/api/users/me", { token: a.token, body: {} });
      assert.equal(same.status, 200, same.text);
      assert.equal(same.json.id, a.id);
      const r = await api(server, "PATCH", "/v1/api/users/me", { token: a.token, body: { displayName: "Ada Lovelace", nameColor: "#aa3366" } });
      assert.equal(r.status, 200, r.text);
      assert.equal(r.json.displayName, "Ada Lovelace");
      assert.equal(r.json.nameColor, "#aa3366");
      const ev = await seen;
      assert.equal(ev.user.displayName, "Ada Lovelace");
      assert.equal(ev.user.nameColor, "#aa3366");
      const me = await api(server, "GET", "/v1/api/users/me", { token: a.token });
      assert.equal(me.json.displayName, "Ada Lovelace");
      const cleared = await api(server, "PATCH", "/v1/api/users/me", { token: a.token, body: { nameColor: "" } });
      assert.equal(cleared.json.nameColor, "");
      assert.equal(cleared.json.displayName, "Ada Lovelace");
    } finally {
      socket.close();
    }
  });

  it("refuses bad fields with a 400 that names them, and needs a token", async () => {
    const a = await register(server);
    const cases = [
      [{ nameColor: "red" }, "invalid_field"],
      [{ nameColor: "#12345g" }, "invalid_field"],
      [{ displayName: "" }, "invalid_field"],
      [{ displayName: "   " }, "invalid_field"],
      [{ displayName: "a\u0001b" }, "invalid_field"],
      [{ displayName: "x".repeat(51) }, "field_too_long"],
      [{ role: "admin" }, "unknown_field"],
      [{ displayName: 7 }, "invalid_field"],
      ["[1,2]", "invalid_body"],
      ["{", "invalid_json"],
    ];
    for (const [body, code] of cases) {
      const r = await api(server, "PATCH", "/v1/api/users/me", { token: a.token, body });
      assert.equal(r.status, 400, `${JSON.stringify(body)}: ${r.text}`);
      assert.equal(r.json.error.code, code, `${JSON.stringify(body)}: ${r.text}`);
      assert.match(r.json.error.message, /./);
    }
    const anon = await api(server, "PATCH", "/v1/api/users/me", { body: { displayName: "x" } });
    assert.equal(anon.status, 401);
    const me = await api(server, "GET", "/v1/api/users/me", { token: a.token });
    assert.equal(me.json.displayName, a.user.displayName, "nothing changed");
  });
});
