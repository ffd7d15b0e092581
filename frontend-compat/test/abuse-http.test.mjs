// abuse-http.test.mjs - errors that say what to do (issue 14), against sqlite:
// - an oversized REST body of any size gets the API's JSON 413 `payload_too_large`: just over
//   the API limit (h2o reads it, the API refuses it), 1.5 MB and 50 MB with a Content-Length
//   (h2o refuses them before reading), and a chunked body that grows past the limit;
// - GET /metrics answers the Prometheus text format with every bound, its use and its drops.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import { api, assertError, backends, register, startChat, T } from "./lib/chat.mjs";

/** POSTs `total` bytes to `path`, with a Content-Length or chunked; resolves {status, headers,
 * text} as soon as the server answered, even if it closed the connection while we were still
 * sending (what a server that refuses a body early does). */
function postBig(server, path, total, { chunked = false } = {}) {
  const u = new URL(path, server.url);
  return new Promise((resolve, reject) => {
    const headers = { "content-type": "application/json" };
    if (!chunked) headers["content-length"] = total;
    const req = http.request({ host: u.hostname, port: u.port, method: "POST", path: u.pathname, headers, agent: false });
    let answered = false;
    const timer = setTimeout(() => req.destroy(new Error("no answer in time")), T(30000));
    req.on("response", (res) => {
      answered = true;
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => {
        clearTimeout(timer);
        resolve({ status: res.statusCode, headers: res.headers, text: Buffer.concat(chunks).toString() });
      });
      res.on("error", () => {});
    });
    req.on("error", (e) => {
      if (!answered) {
        clearTimeout(timer);
        reject(e);
      }
    });
    const block = Buffer.alloc(64 * 1024, "a");
    let sent = 0;
    (function pump() {
      while (sent < total && !answered && !req.destroyed) {
        const n = Math.min(block.length, total - sent);
        sent += n;
        if (!req.write(n === block.length ? block : block.subarray(0, n))) {
          req.once("drain", pump);
          return;
        }
      }
      if (sent >= total) req.end();
    })();
  });
}

function assertJson413(r) {
  assert.equal(r.status, 413, r.text);
  assert.match(r.headers["content-type"] ?? "", /application\/json/);
  const body = JSON.parse(r.text);
  assert.equal(body.error.code, "payload_too_large");
  assert.equal(typeof body.error.message, "string");
}

const backend = backends()[0];
describe("abuse: HTTP limits and /metrics", { skip: backend ? false : "no chat backend (reference run)" }, () => {
  let server;
  before(async () => {
    server = await startChat(backend);
  });
  after(async () => {
    await server?.stop();
  });

  it("a body just over the API's limit: JSON 413", async () => {
    const r = await api(server, "POST", "/v1/api/auth/login", { body: "x".repeat(70000) });
    assertError(assert, r, 413, "payload_too_large");
  });

  for (const [name, size, chunked] of [
    ["1.5 MB with a Content-Length", 1.5e6, false],
    ["50 MB with a Content-Length", 50e6, false],
    ["a chunked 3 MB body", 3e6, true],
  ]) {
    it(`${name}: the same JSON 413, never h2o's plain text`, async () => {
      assertJson413(await postBig(server, "/v1/api/auth/register", size, { chunked }));
    });
  }

  it("the server is fine afterwards", async () => {
    const u = await register(server);
    assert.equal((await api(server, "GET", "/v1/api/users/me", { token: u.token })).status, 200);
  });

  it("GET /metrics: Prometheus text with every bound, its use and its drops", async () => {
    const r = await api(server, "GET", "/metrics");
    assert.equal(r.status, 200);
    assert.match(r.headers["content-type"], /^text\/plain; version=0\.0\.4/);
    const values = {};
    for (const line of r.text.split("\n")) {
      if (line === "" || line.startsWith("#")) continue;
      const m = /^(sioc_[a-z_]+) (\d+)$/.exec(line);
      assert.ok(m, `not a sample line: ${line}`);
      values[m[1]] = Number(m[2]);
    }
    for (const name of [
      "send_queue_packets",
      "send_queue_bytes",
      "send_queue_limit_packets",
      "send_queue_limit_bytes",
      "send_queue_overflow_closed_total",
      "recovery_buffer_packets",
      "recovery_buffer_bytes",
      "recovery_buffer_limit_bytes",
      "recovery_dropped_total",
      "recovery_refused_total",
      "store_pending",
      "store_pending_limit",
      "store_refused_total",
      "store_unavailable_total",
      "throttle_keys",
      "process_resident_bytes",
    ])
      assert.ok(`sioc_${name}` in values, `sioc_${name} missing`);
    assert.equal(values.sioc_send_queue_limit_packets, 10000);
    assert.equal(values.sioc_send_queue_limit_bytes, 32 << 20);
    assert.equal(values.sioc_recovery_buffer_limit_bytes, 64 << 20);
    assert.equal(values.sioc_store_pending_limit, 10000);
    assert.ok(values.sioc_process_resident_bytes > 1e6);
    const post = await api(server, "POST", "/metrics", { body: {} });
    assert.equal(post.status, 405);
  });
});
