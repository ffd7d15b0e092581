// chat-postman.test.mjs - runs the Postman collection of the chat REST API
// (postman/chat-api.postman_collection.json, v2.1) with newman against the real sioc on every
// storage backend, and fails on any failed assertion of its test scripts (so the collection is
// counted with the other suites and cannot rot).
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { fileURLToPath } from "node:url";
import newman from "newman";
import { backends, startChat } from "./lib/chat.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const COLLECTION = path.join(here, "..", "postman", "chat-api.postman_collection.json");

function run(baseUrl) {
  return new Promise((resolve, reject) => {
    newman.run(
      { collection: COLLECTION, envVar: [{ key: "baseUrl", value: baseUrl }], reporters: [], timeoutRequest: 10000 },
      (err, summary) => (err ? reject(err) : resolve(summary)),
    );
  });
}

for (const backend of backends()) {
  describe(`chat Postman collection (${backend.name})`, () => {
    let server;
    before(async () => {
      server = await startChat(backend);
    });
    after(async () => {
      await server?.stop();
    });

    it("passes every assertion of every request", async () => {
      const summary = await run(server.url);
      const failures = summary.run.failures.map(
        (f) => `${f.source?.name ?? "?"}: ${f.error?.test ?? ""} ${f.error?.message ?? f.error}`,
      );
      assert.deepEqual(failures, []);
      const s = summary.run.stats;
      assert.equal(s.requests.failed, 0);
      assert.ok(s.requests.total >= 50, `requests: ${s.requests.total}`);
      assert.ok(s.assertions.total >= 100, `assertions: ${s.assertions.total}`);
      assert.equal(s.assertions.failed, 0);
    });
  });
}
