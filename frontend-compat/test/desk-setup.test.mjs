// desk-setup.test.mjs - how a desk gets its first admin and how new services find an attendant:
// without --admin-username a one-time setup link is printed to the log and creates the admin
// once; --admin-username on a store that already has an admin creates nobody; and with
// --desk-auto-assign new services go round-robin to the attendants online on /desk, each up to
// --desk-capacity open services, the rest waiting in the queue.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { assertError, emitAck, next, SECRET } from "./lib/chat.mjs";
import { startSioc } from "./lib/server.mjs";
import { ADMIN_PASSWORD, api, backends, desk, login, passwordFile, staff, startDesk, support, T, until, visitor } from "./lib/desk.mjs";

for (const backend of backends()) {
  describe(`desk first admin and auto-assignment (${backend.name})`, () => {
    test("a one-time setup link creates the first admin when none is configured", async () => {
      const store = backend.url();
      let server, again;
      try {
        server = await startSioc(["--database", store.url, "--jwt-secret", SECRET]);
        const line = await until(() => server.stderr().match(/\/desk\/setup\?token=([A-Za-z0-9_-]+)/), T(5000));
        const token = line[1];
        assertError(assert, await api(server, "POST", "/v1/api/desk/setup", { body: { token: "wrong", username: "boss", password: "boss-password" } }), 403, "setup_token_invalid");
        const ok = await api(server, "POST", "/v1/api/desk/setup", { body: { token, username: "boss", password: "boss-password", displayName: "The Boss" } });
        assert.equal(ok.status, 201, ok.text);
        assert.equal(ok.json.user.role, "admin");
        assertError(assert, await api(server, "POST", "/v1/api/desk/setup", { body: { token, username: "boss2", password: "boss-password" } }), 403, "setup_token_invalid");
        const l = await login(server, "boss", "boss-password");
        assert.equal(l.status, 200);
        assert.equal((await api(server, "GET", "/v1/api/desk/users", { token: l.json.accessToken })).status, 200);
        await server.stop();
        server = undefined;
        // a restart with --admin-username on a store that has an admin creates nobody
        again = await startSioc(["--database", store.url, "--jwt-secret", SECRET, "--admin-username", "second", "--admin-password-file", passwordFile()]);
        await new Promise((r) => setTimeout(r, 500));
        assertError(assert, await login(again, "second", ADMIN_PASSWORD), 401);
        assert.doesNotMatch(again.stderr(), /desk\/setup\?token=/);
      } finally {
        await server?.stop();
        await again?.stop();
        store.cleanup();
      }
    });

    test("new services go round-robin to online attendants up to their capacity", async () => {
      const server = await startDesk(backend, ["--desk-auto-assign", "--desk-capacity", "1"]);
      try {
        const a = await staff(server);
        const b = await staff(server);
        const da = await desk(server, a.token);
        const db = await desk(server, b.token);
        const got = [];
        for (let i = 0; i < 3; i++) {
          const v = await visitor(server);
          const s = await support(server, v.visitorToken);
          const m = await emitAck(s.socket, "message:send", { body: `question ${i}` });
          s.socket.close();
          got.push(m.message.serviceId);
          if (i < 2) {
            await until(async () => {
              const r = await api(server, "GET", `/v1/api/desk/services/${m.message.serviceId}`, { token: server.admin.token });
              return r.json.service.attendantId !== null;
            }, T(5000));
          } else {
            await new Promise((r) => setTimeout(r, 500));
          }
        }
        const svcs = [];
        for (const sid of got) svcs.push((await api(server, "GET", `/v1/api/desk/services/${sid}`, { token: server.admin.token })).json.service);
        assert.deepEqual(new Set([svcs[0].attendantId, svcs[1].attendantId]), new Set([a.id, b.id]), "one each");
        assert.equal(svcs[2].attendantId, null, "both are at capacity: it waits in the queue");
        // finishing frees a slot; the next new service goes there
        const owner = svcs[0].attendantId === a.id ? a : b;
        assert.equal((await api(server, "POST", `/v1/api/desk/services/${svcs[0].id}/finish`, { token: owner.token })).status, 200);
        const ownerSock = owner === a ? da : db;
        const assigned = next(ownerSock.socket, "service:assigned", (p) => p.service.attendantId === owner.id);
        const v = await visitor(server);
        const s = await support(server, v.visitorToken);
        await emitAck(s.socket, "message:send", { body: "fourth" });
        assert.equal((await assigned).auto, true);
        for (const x of [da, db, s]) x.socket.close();
      } finally {
        await server.stop();
      }
    });
  });
}
