// chat-docs.test.mjs - the API's documentation as sioc serves it: the OpenAPI 3 document at
// /v1/api/openapi.json (well formed, every $ref resolves, every route of the server documented and
// every documented operation answered by the server), and Swagger UI at /docs from
// src/web/node_modules/swagger-ui-dist, pointed at our document, with no way out of its folder.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { api, backends, startChat } from "./lib/chat.mjs";

// Every route the server implements (src/chat/rest_dispatch.c, src/desk/rest.c), as "METHOD /path/{param}".
const ROUTES = [
  "POST /v1/api/auth/register",
  "POST /v1/api/auth/login",
  "POST /v1/api/auth/refresh",
  "POST /v1/api/auth/logout",
  "GET /v1/api/users/me",
  "PATCH /v1/api/users/me",
  "GET /v1/api/users",
  "GET /v1/api/users/{id}",
  "GET /v1/api/chats",
  "GET /v1/api/chats/public",
  "POST /v1/api/chats/public",
  "GET /v1/api/chats/public/{id}",
  "POST /v1/api/chats/public/{id}/join",
  "POST /v1/api/chats/public/{id}/leave",
  "GET /v1/api/chats/private",
  "POST /v1/api/chats/private",
  "GET /v1/api/chats/private/{id}",
  "PUT /v1/api/chats/private/{id}",
  "DELETE /v1/api/chats/private/{id}",
  "GET /v1/api/chats/group",
  "POST /v1/api/chats/group",
  "GET /v1/api/chats/group/{id}",
  "PUT /v1/api/chats/group/{id}",
  "DELETE /v1/api/chats/group/{id}",
  "GET /v1/api/chats/group/{id}/members",
  "POST /v1/api/chats/group/{id}/members",
  "DELETE /v1/api/chats/group/{id}/members/{userId}",
  "GET /v1/api/chats/{id}/messages",
  "POST /v1/api/chats/{id}/messages",
  "GET /v1/api/messages/search",
  "PUT /v1/api/messages/{id}",
  "DELETE /v1/api/messages/{id}",
  "GET /v1/api/openapi.json",
  // attachments (src/media)
  "POST /v1/api/attachments",
  "GET /v1/api/attachments/{id}",
  "GET /v1/api/attachments/{id}/thumb",
  // the support desk (src/desk/rest.c, docs/desk.md)
  "POST /v1/api/desk/users",
  "GET /v1/api/desk/users",
  "GET /v1/api/desk/users/{id}",
  "PATCH /v1/api/desk/users/{id}",
  "POST /v1/api/desk/users/{id}/password-reset",
  "POST /v1/api/desk/password-reset",
  "GET /v1/api/desk/me",
  "GET /v1/api/desk/attendants",
  "POST /v1/api/desk/me/password",
  "POST /v1/api/desk/setup",
  "GET /v1/api/desk/services",
  "GET /v1/api/desk/services/{id}",
  "POST /v1/api/desk/services/{id}/assign",
  "POST /v1/api/desk/services/{id}/take",
  "POST /v1/api/desk/services/{id}/messages",
  "POST /v1/api/desk/services/{id}/finish",
  "GET /v1/api/desk/stats",
  "GET /v1/api/desk/stats.csv",
  "POST /v1/api/widget/sessions",
  // the WhatsApp channel (src/desk/rest_channels.c, src/channels/whatsapp.c)
  "GET /v1/api/desk/channels",
  "PATCH /v1/api/desk/channels/whatsapp",
  "POST /v1/api/desk/services/{id}/template",
  "GET /v1/api/whatsapp/webhook",
  "POST /v1/api/whatsapp/webhook",
];

// documentation does not depend on the storage backend: the first one (none for the reference)
for (const backend of backends().slice(0, 1)) describe("chat API documentation", () => {

  let server, doc;
  before(async () => {
    server = await startChat(backend);
  });
  after(async () => {
    await server?.stop();
  });

  it("serves an OpenAPI 3 document", async () => {
    const r = await api(server, "GET", "/v1/api/openapi.json");
    assert.equal(r.status, 200);
    assert.match(r.headers["content-type"], /application\/json/);
    doc = r.json;
    assert.match(doc.openapi, /^3\.\d+\.\d+$/);
    assert.ok(doc.info.title && doc.info.version);
    assert.equal(doc.components.securitySchemes.bearerAuth.scheme, "bearer");
    const post = await api(server, "POST", "/v1/api/openapi.json");
    assert.equal(post.status, 405);
  });

  it("resolves every $ref and gives every operation an id, responses and JSON errors", () => {
    const walk = (v, visit) => {
      if (Array.isArray(v)) v.forEach((x) => walk(x, visit));
      else if (v && typeof v === "object") {
        visit(v);
        Object.values(v).forEach((x) => walk(x, visit));
      }
    };
    walk(doc, (o) => {
      if (typeof o.$ref === "string") {
        const m = /^#\/components\/schemas\/(.+)$/.exec(o.$ref);
        assert.ok(m && doc.components.schemas[m[1]], `dangling ${o.$ref}`);
      }
    });
    const ids = new Set();
    for (const [p, ops] of Object.entries(doc.paths)) {
      for (const [method, o] of Object.entries(ops)) {
        assert.ok(o.operationId, `${method} ${p}: operationId`);
        assert.ok(!ids.has(o.operationId), `duplicate ${o.operationId}`);
        ids.add(o.operationId);
        assert.ok(Object.keys(o.responses).length > 0);
        for (const seg of p.match(/\{[^}]+\}/g) ?? []) {
          const name = seg.slice(1, -1);
          assert.ok(o.parameters?.some((x) => x.in === "path" && x.name === name), `${method} ${p}: path parameter ${name}`);
        }
        if (o.security === undefined) assert.ok(o.responses["401"], `${method} ${p}: documents 401`);
        for (const [code, res] of Object.entries(o.responses)) {
          if (Number(code) >= 400) assert.equal(res.content["application/json"].schema.$ref, "#/components/schemas/Error");
        }
      }
    }
  });

  it("documents exactly the routes the server implements", async () => {
    const documented = [];
    for (const [p, ops] of Object.entries(doc.paths)) for (const m of Object.keys(ops)) documented.push(`${m.toUpperCase()} ${p}`);
    assert.deepEqual([...documented].sort(), [...ROUTES].sort());
    // and the server answers each one (401 without a token, never 404/405)
    for (const route of ROUTES) {
      const [method, p] = route.split(" ");
      const r = await api(server, method, p.replace(/\{[^}]+\}/g, "1"));
      assert.ok(![404, 405].includes(r.status) || r.json?.error?.code !== "method_not_allowed", `${route}: ${r.status}`);
      assert.notEqual(r.json?.error?.message, "no such endpoint", route);
    }
  });

  it("serves Swagger UI at /docs, pointed at the document", async () => {
    const redirect = await api(server, "GET", "/docs");
    assert.equal(redirect.status, 301);
    assert.match(redirect.headers.location, /\/docs\/$/);
    const index = await api(server, "GET", "/docs/");
    assert.equal(index.status, 200);
    assert.match(index.headers["content-type"], /text\/html/);
    assert.match(index.text, /swagger-ui/);
    const bundle = await api(server, "GET", "/docs/swagger-ui-bundle.js");
    assert.equal(bundle.status, 200);
    assert.match(bundle.headers["content-type"], /javascript/);
    assert.ok(bundle.text.length > 100000);
    const css = await api(server, "GET", "/docs/swagger-ui.css");
    assert.equal(css.status, 200);
    assert.match(css.headers["content-type"], /text\/css/);
    const init = await api(server, "GET", "/docs/swagger-initializer.js");
    assert.equal(init.status, 200);
    assert.match(init.text, /\/v1\/api\/openapi\.json/);
    assert.doesNotMatch(init.text, /petstore/);
    for (const p of ["/docs/nope.js", "/docs/..%2f..%2fpackage.json", "/docs/.hidden.js", "/docs/%2e%2e/openapi.json", "/docs/a/b.js"]) {
      const r = await api(server, "GET", p);
      assert.ok(r.status === 404 || r.status === 400, `${p}: ${r.status}`);
    }
    const post = await api(server, "POST", "/docs/index.html");
    assert.equal(post.status, 405);
  });
});

// CORS on the REST API follows --cors-origin / --cors-credentials, as the engine does.
for (const backend of backends().slice(0, 1)) describe("chat API CORS", () => {
  let server;
  before(async () => {
    server = await startChat(backend, ["--cors-origin", "http://app.example, http://other.example", "--cors-credentials"]);
  });
  after(async () => {
    await server?.stop();
  });

  it("answers preflights and marks responses for allowed origins only", async () => {
    const pre = await api(server, "OPTIONS", "/v1/api/chats", {
      headers: { origin: "http://app.example", "access-control-request-method": "POST" },
    });
    assert.equal(pre.status, 204);
    assert.equal(pre.headers["access-control-allow-origin"], "http://app.example");
    assert.equal(pre.headers["access-control-allow-credentials"], "true");
    assert.match(pre.headers["access-control-allow-methods"], /POST/);
    assert.match(pre.headers["access-control-allow-headers"], /Authorization/);
    const get = await api(server, "GET", "/v1/api/users/me", { headers: { origin: "http://other.example" } });
    assert.equal(get.status, 401);
    assert.equal(get.headers["access-control-allow-origin"], "http://other.example");
    assert.equal(get.headers.vary, "Origin");
    const evil = await api(server, "GET", "/v1/api/users/me", { headers: { origin: "http://evil.example" } });
    assert.equal(evil.headers["access-control-allow-origin"], undefined);
    const evilPre = await api(server, "OPTIONS", "/v1/api/chats", { headers: { origin: "http://evil.example" } });
    assert.equal(evilPre.status, 405);
  });
});
