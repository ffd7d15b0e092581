// desk-flow.test.mjs - the support desk end to end against the real sioc, on SQLite and
// PostgreSQL (docs/desk.md): a visitor writes through the widget (/support), the service opens in
// the queue and the staff hear of it (/desk), two attendants race to take it (one wins, the
// other gets 409), the winner answers, transfers, the other finishes, the rating request and the
// rating arrive; a customer writing after the finish opens a new service and a reload gives the
// history back. Then the access rules: attendants see the queue and their own services only and
// no admin endpoint, chat users none; deactivation drops the user's sockets and refuses login
// and refresh while the history stays; password resets are one-time; there is no delete path;
// and bad input gets a 4xx JSON error on every endpoint.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { assertError, connect, emitAck, next, register, sleep } from "./lib/chat.mjs";
import { api, backends, desk, login, staff, startDesk, support, T, until, visitor } from "./lib/desk.mjs";

for (const backend of backends()) {
  describe(`support desk flow (${backend.name})`, () => {
    let server;
    before(async () => {
      server = await startDesk(backend);
    });
    after(async () => {
      await server?.stop();
    });

    test("a visitor writes, two attendants race, one answers, transfers, the other finishes, the rating arrives", async () => {
      const a = await staff(server);
      const b = await staff(server);
      const da = await desk(server, a.token);
      const db = await desk(server, b.token);
      const dadmin = await desk(server, server.admin.token);
      assert.equal(da.ready.role, "attendant");
      assert.equal(dadmin.ready.role, "admin");
      const v = await visitor(server);
      assert.equal(typeof v.visitorToken, "string");
      assert.equal(v.customer.name, "Carla Customer");
      const sup = await support(server, v.visitorToken);
      assert.deepEqual(sup.history.messages, []);
      assert.equal(sup.history.service, null);
      try {
        const seenA = next(da.socket, "service:new");
        const seenB = next(db.socket, "service:new");
        const seenAdmin = next(dadmin.socket, "service:new");
        const first = await emitAck(sup.socket, "message:send", { body: "Hello, my printer is on fire", clientMsgId: "c-1" });
        assert.equal(first.ok, true, JSON.stringify(first));
        assert.equal(first.message.seq, 1);
        assert.equal(first.message.direction, "in");
        const [na, nb, nadm] = await Promise.all([seenA, seenB, seenAdmin]);
        const sid = na.service.id;
        assert.equal(nb.service.id, sid);
        assert.equal(nadm.service.id, sid);
        assert.equal(na.service.status, "open");
        assert.equal(na.service.attendantId, null);
        assert.equal(na.service.customer.name, "Carla Customer");
        assert.equal(first.message.serviceId, sid);
        const again = await emitAck(sup.socket, "message:send", { body: "Hello (retried)", clientMsgId: "c-1" });
        assert.equal(again.ok, true);
        assert.equal(again.duplicate, true);
        assert.equal(again.message.id, first.message.id);

        // the queue is visible to both attendants
        for (const s of [a, b]) {
          const q = await api(server, "GET", "/v1/api/desk/services?status=open&attendantId=none", { token: s.token });
          assert.equal(q.status, 200, q.text);
          assert.deepEqual(q.json.services.map((x) => x.id), [sid]);
          // the inbox's preview: the newest message (the retried send was stored once)
          assert.deepEqual(q.json.services[0].lastMessage, { body: "Hello, my printer is on fire", direction: "in" });
        }

        // two attendants race to take it: exactly one wins
        const race = await Promise.all([
          api(server, "POST", `/v1/api/desk/services/${sid}/take`, { token: a.token }),
          api(server, "POST", `/v1/api/desk/services/${sid}/assign`, { token: b.token, body: { attendantId: b.id } }),
        ]);
        const statuses = race.map((r) => r.status).sort();
        assert.deepEqual(statuses, [200, 409], race.map((r) => r.text).join(" | "));
        const lost = race.find((r) => r.status === 409);
        assertError(assert, lost, 409, "already_assigned");
        const winIdx = race.findIndex((r) => r.status === 200);
        const [winner, loser] = winIdx === 0 ? [a, b] : [b, a];
        const [dWinner, dLoser] = winIdx === 0 ? [da, db] : [db, da];
        assert.equal(race[winIdx].json.service.attendantId, winner.id);

        // the winner answers; the customer gets it; a retried clientMsgId is not a second message
        const toCustomer = next(sup.socket, "message:new", (p) => p.direction === "out");
        const ans = await api(server, "POST", `/v1/api/desk/services/${sid}/messages`, {
          token: winner.token,
          body: { body: "Unplug it, please.", clientMsgId: "a-1" },
        });
        assert.equal(ans.status, 201, ans.text);
        assert.equal(ans.json.message.seq, 2);
        assert.equal(ans.json.message.authorId, winner.id);
        const got = await toCustomer;
        assert.equal(got.body, "Unplug it, please.");
        assert.equal(got.id, ans.json.message.id);
        const ans2 = await api(server, "POST", `/v1/api/desk/services/${sid}/messages`, {
          token: winner.token,
          body: { body: "Unplug it, please.", clientMsgId: "a-1" },
        });
        assert.equal(ans2.status, 200);
        assert.equal(ans2.json.duplicate, true);
        assert.equal(ans2.json.message.id, ans.json.message.id);

        // the loser may neither answer nor read it now
        assertError(assert, await api(server, "POST", `/v1/api/desk/services/${sid}/messages`, { token: loser.token, body: { body: "me too" } }), 403, "not_your_service");
        assertError(assert, await api(server, "GET", `/v1/api/desk/services/${sid}`, { token: loser.token }), 403, "not_your_service");
        assertError(assert, await api(server, "POST", `/v1/api/desk/services/${sid}/finish`, { token: loser.token }), 403, "not_your_service");

        // the customer's message reaches the attendant live, typing too
        const live = next(dWinner.socket, "message:new", (p) => p.message.direction === "in");
        const ack2 = await emitAck(sup.socket, "message:send", { body: "Done. Now what?" });
        assert.equal(ack2.ok, true);
        assert.equal((await live).message.body, "Done. Now what?");
        const typing = next(dWinner.socket, "typing", (p) => p.from === "customer");
        sup.socket.emit("typing", { typing: true });
        assert.equal((await typing).serviceId, sid);
        const typingOut = next(sup.socket, "typing", (p) => p.from === "attendant");
        const tAck = await emitAck(dWinner.socket, "typing", { serviceId: sid, typing: true });
        assert.equal(tAck.ok, true);
        assert.equal((await typingOut).typing, true);

        // transfer to the other attendant: both hear of it
        const assignedLoser = next(dLoser.socket, "service:assigned", (p) => p.service.id === sid);
        const assignedWinner = next(dWinner.socket, "service:assigned", (p) => p.service.id === sid);
        const tr = await api(server, "POST", `/v1/api/desk/services/${sid}/assign`, { token: winner.token, body: { attendantId: loser.id } });
        assert.equal(tr.status, 200, tr.text);
        assert.equal(tr.json.service.attendantId, loser.id);
        assert.equal((await assignedLoser).previousAttendantId, winner.id);
        await assignedWinner;
        // the previous attendant lost it
        assertError(assert, await api(server, "POST", `/v1/api/desk/services/${sid}/messages`, { token: winner.token, body: { body: "x" } }), 403, "not_your_service");

        // the new attendant answers over the socket and finishes
        const sockAns = await emitAck(dLoser.socket, "message:send", { serviceId: sid, body: "I take over from here." });
        assert.equal(sockAns.ok, true, JSON.stringify(sockAns));
        assert.equal(sockAns.message.seq, 4);
        const ratingReq = next(sup.socket, "rating:request");
        const finishedEv = next(dadmin.socket, "service:finished", (p) => p.service.id === sid);
        const fin = await api(server, "POST", `/v1/api/desk/services/${sid}/finish`, { token: loser.token });
        assert.equal(fin.status, 200, fin.text);
        assert.equal(fin.json.service.status, "finished");
        assert.equal(fin.json.service.finishReason, "agent");
        assert.equal(fin.json.service.finishedBy, loser.id);
        assert.equal((await finishedEv).service.status, "finished");
        assert.equal((await ratingReq).serviceId, sid);
        assertError(assert, await api(server, "POST", `/v1/api/desk/services/${sid}/finish`, { token: loser.token }), 409, "service_finished");
        assertError(assert, await api(server, "POST", `/v1/api/desk/services/${sid}/messages`, { token: loser.token, body: { body: "late" } }), 409, "service_finished");

        // the rating is stored on the service
        const rated = next(dadmin.socket, "service:updated", (p) => p.service.id === sid);
        const rAck = await emitAck(sup.socket, "rating:submit", { serviceId: sid, rating: 5, comment: "Fast and kind" });
        assert.equal(rAck.ok, true, JSON.stringify(rAck));
        assert.equal((await rated).service.rating, 5);
        const rAgain = await emitAck(sup.socket, "rating:submit", { serviceId: sid, rating: 1 });
        assert.equal(rAgain.ok, false);
        assert.equal(rAgain.error.code, "already_rated");
        const badRating = await emitAck(sup.socket, "rating:submit", { serviceId: sid, rating: 9 });
        assert.equal(badRating.ok, false);
        assert.equal(badRating.error.code, "invalid_field");

        // the admin sees every message of the service, both directions, with authors
        const detail = await api(server, "GET", `/v1/api/desk/services/${sid}`, { token: server.admin.token });
        assert.equal(detail.status, 200, detail.text);
        assert.equal(detail.json.service.rating, 5);
        assert.equal(detail.json.service.ratingComment, "Fast and kind");
        assert.deepEqual(detail.json.messages.map((m) => [m.seq, m.direction, m.authorId]), [
          [1, "in", null],
          [2, "out", winner.id],
          [3, "in", null],
          [4, "out", loser.id],
        ]);

        // writing after the finish opens a new service
        const newSvc = next(dadmin.socket, "service:new");
        const after1 = await emitAck(sup.socket, "message:send", { body: "One more question" });
        assert.equal(after1.ok, true);
        const ns = await newSvc;
        assert.notEqual(ns.service.id, sid);
        assert.equal(after1.message.serviceId, ns.service.id);
        assert.equal(after1.message.seq, 1);

        // a reload gets the history of both services back
        sup.socket.close();
        const again2 = await support(server, v.visitorToken);
        try {
          assert.deepEqual(again2.history.messages.map((m) => m.body), [
            "Hello, my printer is on fire",
            "Unplug it, please.",
            "Done. Now what?",
            "I take over from here.",
            "One more question",
          ]);
          assert.equal(again2.history.service.id, ns.service.id);
          assert.equal(again2.history.service.status, "open");
        } finally {
          again2.socket.close();
        }
      } finally {
        for (const s of [da, db, dadmin, sup]) s.socket.close();
      }
    });

    test("attendants see the queue and their own services only, and no admin endpoint", async () => {
      const a = await staff(server);
      const b = await staff(server);
      const mk = async () => {
        const v = await visitor(server);
        const s = await support(server, v.visitorToken);
        const r = await emitAck(s.socket, "message:send", { body: "help" });
        s.socket.close();
        return r.message.serviceId;
      };
      const mine = await mk();
      const theirs = await mk();
      assert.equal((await api(server, "POST", `/v1/api/desk/services/${mine}/take`, { token: a.token })).status, 200);
      assert.equal((await api(server, "POST", `/v1/api/desk/services/${theirs}/take`, { token: b.token })).status, 200);
      assertError(assert, await api(server, "GET", `/v1/api/desk/services/${theirs}`, { token: a.token }), 403, "not_your_service");
      const list = await api(server, "GET", "/v1/api/desk/services", { token: a.token });
      assert.equal(list.status, 200);
      const ids = list.json.services.map((s) => s.id);
      assert.ok(ids.includes(mine));
      assert.ok(!ids.includes(theirs), "another attendant's service is listed");
      for (const s of list.json.services) assert.ok(s.attendantId === a.id || s.attendantId === null, JSON.stringify(s));
      assertError(assert, await api(server, "GET", `/v1/api/desk/services?attendantId=${b.id}`, { token: a.token }), 403, "not_your_service");
      // an attendant cannot move another's service, and taking it is a lost race
      assertError(assert, await api(server, "POST", `/v1/api/desk/services/${theirs}/assign`, { token: a.token, body: { attendantId: b.id } }), 403, "not_your_service");
      assertError(assert, await api(server, "POST", `/v1/api/desk/services/${theirs}/assign`, { token: a.token, body: { attendantId: a.id } }), 409, "already_assigned");
      assertError(assert, await api(server, "POST", `/v1/api/desk/services/${theirs}/take`, { token: a.token }), 409, "already_assigned");
      // nor give a queued service to someone else
      const queued = await mk();
      assertError(assert, await api(server, "POST", `/v1/api/desk/services/${queued}/assign`, { token: a.token, body: { attendantId: b.id } }), 403, "not_your_service");
      assertError(assert, await api(server, "POST", `/v1/api/desk/services/${queued}/assign`, { token: server.admin.token, body: { attendantId: 999999 } }), 400, "invalid_attendant");
      const admin = server.admin.token;
      const adminOnly = [
        ["GET", "/v1/api/desk/users"],
        ["POST", "/v1/api/desk/users", { username: "sneaky", password: "sneaky-pass", role: "admin" }],
        ["GET", `/v1/api/desk/users/${b.id}`],
        ["PATCH", `/v1/api/desk/users/${b.id}`, { active: false }],
        ["PATCH", `/v1/api/desk/users/${a.id}`, { role: "admin" }],
        ["POST", `/v1/api/desk/users/${b.id}/password-reset`],
        ["GET", "/v1/api/desk/stats"],
        ["GET", "/v1/api/desk/stats.csv"],
      ];
      for (const [m, p, body] of adminOnly) assertError(assert, await api(server, m, p, { token: a.token, body }), 403, "admin_only");
      // a chat user is not staff; no token is 401
      const chatUser = await register(server);
      assertError(assert, await api(server, "GET", "/v1/api/desk/services", { token: chatUser.token }), 403, "not_staff");
      await assert.rejects(desk(server, chatUser.token), /unauthorized/);
      assertError(assert, await api(server, "GET", "/v1/api/desk/services"), 401, "token_missing");
      assertError(assert, await api(server, "GET", "/v1/api/desk/services", { token: "garbage" }), 401, "token_invalid");
      await assert.rejects(desk(server, "garbage"), /unauthorized/);
      await assert.rejects(support(server, "garbage"), /unauthorized/);
      await assert.rejects(support(server, a.token), /unauthorized/, "a staff token is not a visitor token");
      await assert.rejects(desk(server, (await visitor(server)).visitorToken), /unauthorized/, "a visitor token is not a staff token");
      // the admin sees both
      const all = await api(server, "GET", "/v1/api/desk/services?status=open", { token: admin });
      assert.ok(all.json.services.some((s) => s.id === theirs) && all.json.services.some((s) => s.id === mine));
    });

    test("deactivation drops the user's sockets, refuses login and refresh, and keeps the history", async () => {
      const a = await staff(server);
      const v = await visitor(server);
      const s = await support(server, v.visitorToken);
      const first = await emitAck(s.socket, "message:send", { body: "hi" });
      const sid = first.message.serviceId;
      await api(server, "POST", `/v1/api/desk/services/${sid}/take`, { token: a.token });
      await api(server, "POST", `/v1/api/desk/services/${sid}/messages`, { token: a.token, body: { body: "hello from a" } });
      const la = await login(server, a.username, a.password);
      const d = await desk(server, a.token);
      const c = await connect(server, a.token);
      const dropped = Promise.all([
        new Promise((r) => d.socket.once("disconnect", r)),
        new Promise((r) => c.socket.once("disconnect", r)),
      ]);
      const admin = await desk(server, server.admin.token);
      const backToQueue = next(admin.socket, "service:assigned", (p) => p.service.id === sid && p.service.attendantId === null);
      const off = await api(server, "PATCH", `/v1/api/desk/users/${a.id}`, { token: server.admin.token, body: { active: false } });
      assert.equal(off.status, 200, off.text);
      assert.equal(off.json.user.active, false);
      await dropped;
      await backToQueue;
      assertError(assert, await login(server, a.username, a.password), 403, "account_disabled");
      const rf = await api(server, "POST", "/v1/api/auth/refresh", { body: { refreshToken: la.json.refreshToken } });
      assert.equal(rf.status, 401, rf.text);
      assertError(assert, await api(server, "GET", "/v1/api/desk/services", { token: a.token }), 403, "account_disabled");
      await assert.rejects(desk(server, a.token), /unauthorized/);
      await assert.rejects(connect(server, a.token), /unauthorized/, "/chat refuses them too");
      // the history stays, authorship included
      const detail = await api(server, "GET", `/v1/api/desk/services/${sid}`, { token: server.admin.token });
      assert.equal(detail.json.messages[1].authorId, a.id);
      assert.equal(detail.json.service.attendantId, null);
      const users = await api(server, "GET", "/v1/api/desk/users?limit=100", { token: server.admin.token });
      assert.ok(users.json.users.some((u) => u.id === a.id && u.active === false));
      // reactivated, they log in again
      assert.equal((await api(server, "PATCH", `/v1/api/desk/users/${a.id}`, { token: server.admin.token, body: { active: true } })).status, 200);
      assert.equal((await login(server, a.username, a.password)).status, 200);
      // an admin cannot lock themselves out
      const me = await api(server, "GET", "/v1/api/desk/me", { token: server.admin.token });
      assertError(assert, await api(server, "PATCH", `/v1/api/desk/users/${me.json.user.id}`, { token: server.admin.token, body: { active: false } }), 403, "self_lockout");
      assertError(assert, await api(server, "PATCH", `/v1/api/desk/users/${me.json.user.id}`, { token: server.admin.token, body: { role: "attendant" } }), 403, "self_lockout");
      for (const x of [s, admin]) x.socket.close();
    });

    test("roles change, passwords reset once, users change their own password", async () => {
      const a = await staff(server);
      const up = await api(server, "PATCH", `/v1/api/desk/users/${a.id}`, { token: server.admin.token, body: { role: "admin", displayName: "Promoted" } });
      assert.equal(up.status, 200, up.text);
      assert.equal(up.json.user.role, "admin");
      assert.equal(up.json.user.displayName, "Promoted");
      assert.equal((await api(server, "GET", "/v1/api/desk/stats", { token: a.token })).status, 200, "the role counts at once");
      const reset = await api(server, "POST", `/v1/api/desk/users/${a.id}/password-reset`, { token: server.admin.token });
      assert.equal(reset.status, 201, reset.text);
      assert.match(reset.json.resetUrl, /^\/desk\/reset\?token=/);
      assert.ok(reset.json.expiresAt > Date.now());
      const use = await api(server, "POST", "/v1/api/desk/password-reset", { body: { token: reset.json.token, password: "brand-new-pw" } });
      assert.equal(use.status, 200, use.text);
      assert.equal((await login(server, a.username, "brand-new-pw")).status, 200);
      assertError(assert, await login(server, a.username, a.password), 401);
      assertError(assert, await api(server, "POST", "/v1/api/desk/password-reset", { body: { token: reset.json.token, password: "again-new-pw" } }), 400, "reset_token_invalid");
      const tok = (await login(server, a.username, "brand-new-pw")).json.accessToken;
      assertError(assert, await api(server, "POST", "/v1/api/desk/me/password", { token: tok, body: { currentPassword: "wrong-one", newPassword: "third-password" } }), 403, "wrong_password");
      const ch = await api(server, "POST", "/v1/api/desk/me/password", { token: tok, body: { currentPassword: "brand-new-pw", newPassword: "third-password" } });
      assert.equal(ch.status, 204, ch.text);
      assert.equal((await login(server, a.username, "third-password")).status, 200);
      const dup = await api(server, "POST", "/v1/api/desk/users", { token: server.admin.token, body: { username: a.username, password: "whatever-1", role: "attendant" } });
      assertError(assert, dup, 409, "username_taken");
    });

    test("no delete path exists", async () => {
      const paths = [
        "/v1/api/desk/users",
        "/v1/api/desk/users/1",
        "/v1/api/desk/users/1/password-reset",
        "/v1/api/desk/password-reset",
        "/v1/api/desk/me",
        "/v1/api/desk/me/password",
        "/v1/api/desk/setup",
        "/v1/api/desk/services",
        "/v1/api/desk/services/1",
        "/v1/api/desk/services/1/assign",
        "/v1/api/desk/services/1/take",
        "/v1/api/desk/services/1/messages",
        "/v1/api/desk/services/1/messages/1",
        "/v1/api/desk/services/1/finish",
        "/v1/api/desk/stats",
        "/v1/api/desk/stats.csv",
        "/v1/api/desk/customers/1",
        "/v1/api/widget/sessions",
        "/v1/api/widget/sessions/1",
      ];
      for (const p of paths) {
        for (const token of [server.admin.token, undefined]) {
          const r = await api(server, "DELETE", p, { token });
          assert.ok(r.status === 404 || r.status === 405, `DELETE ${p}: ${r.status}`);
          assert.ok(r.json?.error?.code, `DELETE ${p}: ${r.text}`);
        }
      }
    });

    test("bad input gets a 4xx JSON error on every endpoint", async () => {
      const t = server.admin.token;
      const cases = [
        ["POST", "/v1/api/desk/users", "{not json", 400, "invalid_json"],
        ["POST", "/v1/api/desk/users", { username: "ok_name", password: "long-enough", role: "boss" }, 400, "invalid_field"],
        ["POST", "/v1/api/desk/users", { username: "ok_name", password: "short", role: "attendant" }, 400],
        ["POST", "/v1/api/desk/users", { username: "a b", password: "long-enough", role: "attendant" }, 400],
        ["POST", "/v1/api/desk/users", { username: "ok_name", password: "long-enough", role: "attendant", extra: 1 }, 400, "unknown_field"],
        ["POST", "/v1/api/desk/users", [], 400, "invalid_body"],
        ["GET", "/v1/api/desk/users?limit=0", undefined, 400, "invalid_query"],
        ["GET", "/v1/api/desk/users?cursor=x", undefined, 400, "invalid_query"],
        ["GET", "/v1/api/desk/users/999999", undefined, 404, "user_not_found"],
        ["PATCH", "/v1/api/desk/users/999999", { active: true }, 404, "user_not_found"],
        ["PATCH", "/v1/api/desk/users/1", {}, 400, "missing_field"],
        ["PATCH", "/v1/api/desk/users/1", { active: "no" }, 400, "invalid_field"],
        ["PATCH", "/v1/api/desk/users/1", { role: "root" }, 400, "invalid_field"],
        ["POST", "/v1/api/desk/users/999999/password-reset", undefined, 404, "user_not_found"],
        ["POST", "/v1/api/desk/users/1/password-reset", { x: 1 }, 400, "unknown_field"],
        ["POST", "/v1/api/desk/password-reset", { token: "nope", password: "long-enough" }, 400, "reset_token_invalid"],
        ["POST", "/v1/api/desk/password-reset", { token: "nope" }, 400, "missing_field"],
        ["POST", "/v1/api/desk/me/password", { currentPassword: "x" }, 400, "missing_field"],
        ["POST", "/v1/api/desk/setup", { token: "nope", username: "boss", password: "long-enough" }, 403, "setup_token_invalid"],
        ["GET", "/v1/api/desk/services?status=closed", undefined, 400, "invalid_query"],
        ["GET", "/v1/api/desk/services?attendantId=-3", undefined, 400, "invalid_query"],
        ["GET", "/v1/api/desk/services?from=5&to=4", undefined, 400, "invalid_query"],
        ["GET", "/v1/api/desk/services?cursor=abc", undefined, 400, "invalid_query"],
        ["GET", "/v1/api/desk/services?limit=1000", undefined, 400, "invalid_query"],
        ["GET", "/v1/api/desk/services/999999", undefined, 404, "service_not_found"],
        ["GET", "/v1/api/desk/services/abc", undefined, 404, "not_found"],
        ["POST", "/v1/api/desk/services/999999/assign", { attendantId: 1 }, 404, "service_not_found"],
        ["POST", "/v1/api/desk/services/1/assign", { attendantId: "1" }, 400, "invalid_field"],
        ["POST", "/v1/api/desk/services/1/assign", {}, 400, "missing_field"],
        ["POST", "/v1/api/desk/services/999999/take", undefined, 404, "service_not_found"],
        ["POST", "/v1/api/desk/services/999999/messages", { body: "x" }, 404, "service_not_found"],
        ["POST", "/v1/api/desk/services/1/messages", { body: "" }, 400],
        ["POST", "/v1/api/desk/services/1/messages", { body: "x".repeat(4001) }, 400, "field_too_long"],
        ["POST", "/v1/api/desk/services/1/messages", { body: "x", clientMsgId: "has space" }, 400, "invalid_field"],
        ["POST", "/v1/api/desk/services/999999/finish", undefined, 404, "service_not_found"],
        ["GET", "/v1/api/desk/stats?from=10&to=5", undefined, 400, "invalid_query"],
        ["GET", "/v1/api/desk/stats?from=x", undefined, 400, "invalid_query"],
        ["GET", "/v1/api/desk/stats.csv?to=-1", undefined, 400, "invalid_query"],
        ["POST", "/v1/api/widget/sessions", { name: 5 }, 400, "invalid_field"],
        ["POST", "/v1/api/widget/sessions", { phone: "1" }, 400, "unknown_field"],
        ["POST", "/v1/api/widget/sessions", "[1,", 400, "invalid_json"],
        ["POST", "/v1/api/desk/users", "x".repeat(70000), 413],
      ];
      for (const [m, p, body, status, code] of cases) {
        const r = await api(server, m, p, { token: t, body });
        assertError(assert, r, status, code);
      }
      // the socket events validate too
      const v = await visitor(server, {});
      const s = await support(server, v.visitorToken);
      const d = await desk(server, t);
      try {
        for (const [sock, ev, arg, code] of [
          [s.socket, "message:send", {}, "missing_field"],
          [s.socket, "message:send", { body: 7 }, "invalid_field"],
          [s.socket, "message:send", "text", "invalid_body"],
          [s.socket, "rating:submit", { serviceId: 999999, rating: 3 }, "service_not_found"],
          [d.socket, "message:send", { serviceId: 999999, body: "x" }, "service_not_found"],
          [d.socket, "message:send", { serviceId: "1", body: "x" }, "invalid_field"],
          [d.socket, "typing", { serviceId: 1 }, "missing_field"],
          [d.socket, "message:read", { serviceId: 1, seq: 0 }, "invalid_field"],
        ]) {
          const r = await emitAck(sock, ev, arg);
          assert.equal(r.ok, false, `${ev} ${JSON.stringify(arg)}`);
          assert.equal(r.error.code, code, `${ev} ${JSON.stringify(arg)}: ${JSON.stringify(r)}`);
        }
      } finally {
        s.socket.close();
        d.socket.close();
      }
    });
  });
}
