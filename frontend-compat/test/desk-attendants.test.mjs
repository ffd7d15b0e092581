// desk-attendants.test.mjs - GET /v1/api/desk/attendants (docs/desk.md): every staff user, also an
// attendant, gets the active staff (whom the desk page offers for Transfer); deactivated ones are
// left out; chat users get 403 not_staff and no token 401.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { register } from "./lib/chat.mjs";
import { api, backends, staff, startDesk } from "./lib/desk.mjs";

for (const backend of backends()) {
  describe(`desk attendants list (${backend.name})`, () => {
    let server;
    before(async () => {
      server = await startDesk(backend);
    });
    after(async () => {
      await server?.stop();
    });

    test("an attendant lists the active staff; deactivated ones and chat users are not in it", async () => {
      const a = await staff(server);
      const b = await staff(server);
      const gone = await staff(server);
      const off = await api(server, "PATCH", `/v1/api/desk/users/${gone.id}`, { token: server.admin.token, body: { active: false } });
      assert.equal(off.status, 200, off.text);
      const r = await api(server, "GET", "/v1/api/desk/attendants", { token: a.token });
      assert.equal(r.status, 200, r.text);
      const ids = r.json.attendants.map((u) => u.id);
      assert.ok(ids.includes(a.id) && ids.includes(b.id), JSON.stringify(ids));
      assert.ok(!ids.includes(gone.id), "a deactivated attendant is not offered");
      const admin = r.json.attendants.find((u) => u.username === server.admin.username);
      assert.equal(admin?.role, "admin");
      assert.equal(r.json.attendants.find((u) => u.id === b.id).role, "attendant");
      assert.equal(r.json.attendants.find((u) => u.id === b.id).displayName, `The ${b.username}`);
      assert.equal(r.json.nextCursor, null);
      const page = await api(server, "GET", "/v1/api/desk/attendants?limit=1", { token: a.token });
      assert.equal(page.status, 200);
      assert.equal(typeof page.json.nextCursor, "number");
      const bad = await api(server, "GET", "/v1/api/desk/attendants?limit=0", { token: a.token });
      assert.equal(bad.status, 400);
      const none = await api(server, "GET", "/v1/api/desk/attendants");
      assert.equal(none.status, 401);
      const user = await register(server);
      const chatUser = await api(server, "GET", "/v1/api/desk/attendants", { token: user.token });
      assert.equal(chatUser.status, 403);
      assert.equal(chatUser.json.error.code, "not_staff");
    });
  });
}
