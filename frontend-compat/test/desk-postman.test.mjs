// desk-postman.test.mjs - runs the Postman collection of the support desk's REST API
// (postman/desk-api.postman_collection.json, v2.1) with newman against the real sioc on every
// storage backend. REST cannot play the customer, so the test first sends one customer message
// through the widget (/support) and hands the collection its service id, with the first admin.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { fileURLToPath } from "node:url";
import newman from "newman";
import { emitAck } from "./lib/chat.mjs";
import { ADMIN_PASSWORD, backends, startDesk, support, visitor } from "./lib/desk.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const COLLECTION = path.join(here, "..", "postman", "desk-api.postman_collection.json");

function run(vars) {
  return new Promise((resolve, reject) => {
    newman.run(
      { collection: COLLECTION, envVar: Object.entries(vars).map(([key, value]) => ({ key, value: String(value) })), reporters: [], timeoutRequest: 10000 },
      (err, summary) => (err ? reject(err) : resolve(summary)),
    );
  });
}

for (const backend of backends()) {
  describe(`desk Postman collection (${backend.name})`, () => {
    let server;
    before(async () => {
      server = await startDesk(backend);
    });
    after(async () => {
      await server?.stop();
    });

    it("passes every assertion of every request", async () => {
      const v = await visitor(server);
      const s = await support(server, v.visitorToken);
      const m = await emitAck(s.socket, "message:send", { body: "Seeded by the test" });
      s.socket.close();
      const summary = await run({ baseUrl: server.url, adminUsername: server.admin.username, adminPassword: ADMIN_PASSWORD, serviceId: m.message.serviceId });
      const failures = summary.run.failures.map((f) => `${f.source?.name ?? "?"}: ${f.error?.test ?? ""} ${f.error?.message ?? f.error}`);
      assert.deepEqual(failures, []);
      const st = summary.run.stats;
      assert.equal(st.requests.failed, 0);
      assert.ok(st.requests.total >= 30, `requests: ${st.requests.total}`);
      assert.ok(st.assertions.total >= 60, `assertions: ${st.assertions.total}`);
      assert.equal(st.assertions.failed, 0);
    });
  });
}
