// chat-rest.test.mjs - chats and messages over REST (/v1/api/chats*, /v1/api/messages*) against
// the real sioc on every storage backend: public channels (create, list, join, leave), private
// chats (one per pair), groups (create, update, members, roles, delete), history with cursor
// pagination, send / edit / delete, search, and the access rule (nobody reads or writes a chat
// they are not a member of), with bad input everywhere: malformed JSON, missing and ill-typed
// fields, over-long bodies, bad ids, SQL metacharacters in every text field.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { api, assertError, backends, register, startChat, NASTY } from "./lib/chat.mjs";

for (const backend of backends()) {
  describe(`chat REST (${backend.name})`, () => {
    let server, alice, bob, carol;
    before(async () => {
      server = await startChat(backend);
      [alice, bob, carol] = await Promise.all([register(server), register(server), register(server)]);
    });
    after(async () => {
      await server?.stop();
    });

    const call = (who, method, path, body) => api(server, method, path, { token: who.token, body });

    it("every chat endpoint needs a token", async () => {
      for (const [m, p] of [
        ["GET", "/v1/api/chats"],
        ["GET", "/v1/api/chats/public"],
        ["POST", "/v1/api/chats/public"],
        ["GET", "/v1/api/chats/private"],
        ["GET", "/v1/api/chats/group/1"],
        ["GET", "/v1/api/chats/1/messages"],
        ["GET", "/v1/api/messages/search?q=x"],
      ]) {
        assertError(assert, await api(server, m, p), 401, "token_missing");
      }
    });

    it("public channels: create, list, get, join, leave", async () => {
      const c = await call(alice, "POST", "/v1/api/chats/public", { name: "general", topic: "all things" });
      assert.equal(c.status, 201, c.text);
      assert.equal(c.json.type, "public");
      assert.equal(c.json.name, "general");
      assert.equal(c.json.topic, "all things");
      assert.equal(c.json.myRole, "owner");
      const list = await call(bob, "GET", "/v1/api/chats/public");
      assert.equal(list.status, 200);
      const mine = list.json.chats.find((x) => x.id === c.json.id);
      assert.ok(mine, "listed");
      assert.equal(mine.joined, false);
      const get = await call(bob, "GET", `/v1/api/chats/public/${c.json.id}`);
      assert.equal(get.json.joined, false);
      // bob cannot read or write before joining
      assertError(assert, await call(bob, "GET", `/v1/api/chats/${c.json.id}/messages`), 403, "not_a_member");
      assertError(assert, await call(bob, "POST", `/v1/api/chats/${c.json.id}/messages`, { body: "hi" }), 403, "not_a_member");
      const join = await call(bob, "POST", `/v1/api/chats/public/${c.json.id}/join`);
      assert.equal(join.status, 200, join.text);
      assert.equal(join.json.joined, true);
      assert.equal(join.json.memberCount, 2);
      const again = await call(bob, "POST", `/v1/api/chats/public/${c.json.id}/join`);
      assert.equal(again.status, 200, "joining twice is fine");
      const sent = await call(bob, "POST", `/v1/api/chats/${c.json.id}/messages`, { body: "hello all" });
      assert.equal(sent.status, 201, sent.text);
      const mineNow = await call(bob, "GET", "/v1/api/chats");
      assert.ok(mineNow.json.chats.some((x) => x.id === c.json.id));
      const leave = await call(bob, "POST", `/v1/api/chats/public/${c.json.id}/leave`);
      assert.equal(leave.status, 204);
      assertError(assert, await call(bob, "POST", `/v1/api/chats/public/${c.json.id}/leave`), 403, "not_a_member");
      assertError(assert, await call(bob, "GET", `/v1/api/chats/${c.json.id}/messages`), 403, "not_a_member");
      // a group is not a public chat
      const g = await call(alice, "POST", "/v1/api/chats/group", { name: "secret" });
      assertError(assert, await call(bob, "POST", `/v1/api/chats/public/${g.json.id}/join`), 404, "not_found");
      assertError(assert, await call(bob, "GET", `/v1/api/chats/public/${g.json.id}`), 404, "not_found");
      assertError(assert, await call(bob, "POST", "/v1/api/chats/public/99999999/join"), 404, "not_found");
    });

    it("validates chat bodies", async () => {
      const cases = [
        ["POST", "/v1/api/chats/public", "{nope", 400, "invalid_json"],
        ["POST", "/v1/api/chats/public", {}, 400, "missing_field"],
        ["POST", "/v1/api/chats/public", { name: "" }, 400, "invalid_field"],
        ["POST", "/v1/api/chats/public", { name: "   " }, 400, "invalid_field"],
        ["POST", "/v1/api/chats/public", { name: 12 }, 400, "invalid_field"],
        ["POST", "/v1/api/chats/public", { name: "x".repeat(51) }, 400, "field_too_long"],
        ["POST", "/v1/api/chats/public", { name: "ok", topic: "t".repeat(251) }, 400, "field_too_long"],
        ["POST", "/v1/api/chats/public", { name: "ok", owner: 1 }, 400, "unknown_field"],
        ["POST", "/v1/api/chats/private", {}, 400, "missing_field"],
        ["POST", "/v1/api/chats/private", { userId: "2" }, 400, "invalid_field"],
        ["POST", "/v1/api/chats/private", { userId: 0 }, 400, "invalid_field"],
        ["POST", "/v1/api/chats/private", { userId: 1.5 }, 400, "invalid_field"],
        ["POST", "/v1/api/chats/group", { name: "g", memberIds: [1, 1] }, 400, "invalid_field"],
        ["POST", "/v1/api/chats/group", { name: "g", memberIds: "1,2" }, 400, "invalid_field"],
        ["POST", "/v1/api/chats/group", { name: "g", memberIds: Array.from({ length: 101 }, (_, i) => i + 1) }, 400, "field_too_long"],
        ["POST", "/v1/api/chats/public", "x".repeat(70000), 413, "payload_too_large"],
      ];
      for (const [m, p, body, status, code] of cases) {
        assertError(assert, await call(alice, m, p, body), status, code);
      }
      assertError(assert, await call(alice, "POST", "/v1/api/chats/private", { userId: alice.id }), 400, "invalid_field");
      assertError(assert, await call(alice, "POST", "/v1/api/chats/private", { userId: 98765432 }), 404);
      assertError(assert, await call(alice, "POST", "/v1/api/chats/group", { name: "g", memberIds: [98765432] }), 404);
    });

    it("private chats: one per pair, members only", async () => {
      const c1 = await call(alice, "POST", "/v1/api/chats/private", { userId: bob.id });
      assert.equal(c1.status, 201, c1.text);
      assert.equal(c1.json.type, "private");
      assert.equal(c1.json.peerId, bob.id);
      const c2 = await call(bob, "POST", "/v1/api/chats/private", { userId: alice.id });
      assert.equal(c2.status, 200, "the existing chat");
      assert.equal(c2.json.id, c1.json.id);
      const list = await call(bob, "GET", "/v1/api/chats/private");
      assert.ok(list.json.chats.some((x) => x.id === c1.json.id));
      assert.ok(list.json.chats.every((x) => x.type === "private"));
      const get = await call(alice, "GET", `/v1/api/chats/private/${c1.json.id}`);
      assert.equal(get.status, 200);
      assert.deepEqual(get.json.members.map((m) => m.id).sort((a, b) => a - b), [alice.id, bob.id].sort((a, b) => a - b));
      // carol is not a member
      assertError(assert, await call(carol, "GET", `/v1/api/chats/private/${c1.json.id}`), 403, "not_a_member");
      assertError(assert, await call(carol, "GET", `/v1/api/chats/${c1.json.id}/messages`), 403, "not_a_member");
      assertError(assert, await call(carol, "POST", `/v1/api/chats/${c1.json.id}/messages`, { body: "x" }), 403, "not_a_member");
      assertError(assert, await call(carol, "PUT", `/v1/api/chats/private/${c1.json.id}`, { lastReadSeq: 1 }), 403, "not_a_member");
      assertError(assert, await call(carol, "DELETE", `/v1/api/chats/private/${c1.json.id}`), 403, "not_a_member");
      // read position
      const m = await call(alice, "POST", `/v1/api/chats/${c1.json.id}/messages`, { body: "psst" });
      assert.equal(m.status, 201);
      const unread = await call(bob, "GET", "/v1/api/chats");
      assert.equal(unread.json.chats.find((x) => x.id === c1.json.id).unread, 1);
      const read = await call(bob, "PUT", `/v1/api/chats/private/${c1.json.id}`, { lastReadSeq: m.json.seq });
      assert.equal(read.status, 200, read.text);
      assert.equal(read.json.lastReadSeq, m.json.seq);
      const after = await call(bob, "GET", "/v1/api/chats");
      assert.equal(after.json.chats.find((x) => x.id === c1.json.id).unread, 0);
      assertError(assert, await call(bob, "PUT", `/v1/api/chats/private/${c1.json.id}`, {}), 400, "missing_field");
      // a private chat is not a group
      assertError(assert, await call(alice, "GET", `/v1/api/chats/group/${c1.json.id}`), 404, "not_found");
      // delete
      const del = await call(bob, "DELETE", `/v1/api/chats/private/${c1.json.id}`);
      assert.equal(del.status, 204);
      assertError(assert, await call(alice, "GET", `/v1/api/chats/private/${c1.json.id}`), 404, "not_found");
    });

    it("groups: create with members, roles, update, members sub-resource, delete", async () => {
      const g = await call(alice, "POST", "/v1/api/chats/group", { name: "team", topic: "work", memberIds: [bob.id] });
      assert.equal(g.status, 201, g.text);
      assert.equal(g.json.memberCount, 2);
      const id = g.json.id;
      const got = await call(bob, "GET", `/v1/api/chats/group/${id}`);
      assert.equal(got.status, 200);
      assert.equal(got.json.myRole, "member");
      assert.equal(got.json.members.find((m) => m.id === alice.id).memberRole, "owner");
      assertError(assert, await call(carol, "GET", `/v1/api/chats/group/${id}`), 403, "not_a_member");
      // a plain member cannot change the group
      assertError(assert, await call(bob, "PUT", `/v1/api/chats/group/${id}`, { name: "mine" }), 403, "forbidden");
      assertError(assert, await call(bob, "POST", `/v1/api/chats/group/${id}/members`, { userId: carol.id }), 403, "forbidden");
      assertError(assert, await call(bob, "DELETE", `/v1/api/chats/group/${id}`), 403, "forbidden");
      // the owner renames and adds carol through PUT
      const upd = await call(alice, "PUT", `/v1/api/chats/group/${id}`, { name: "team 2", topic: null, addMemberIds: [carol.id] });
      assert.equal(upd.status, 200, upd.text);
      assert.equal(upd.json.name, "team 2");
      assert.equal(upd.json.topic, "");
      assert.equal(upd.json.memberCount, 3);
      assert.ok(upd.json.members.some((m) => m.id === carol.id));
      // members sub-resource
      const members = await call(carol, "GET", `/v1/api/chats/group/${id}/members`);
      assert.equal(members.json.members.length, 3);
      assertError(assert, await call(alice, "POST", `/v1/api/chats/group/${id}/members`, { userId: carol.id }), 409, "already_member");
      assertError(assert, await call(alice, "POST", `/v1/api/chats/group/${id}/members`, { userId: 98765432 }), 404);
      assertError(assert, await call(alice, "POST", `/v1/api/chats/group/${id}/members`, { userId: carol.id, role: "king" }), 400, "invalid_field");
      // bob leaves by himself; carol cannot remove alice
      assert.equal((await call(bob, "DELETE", `/v1/api/chats/group/${id}/members/${bob.id}`)).status, 204);
      assertError(assert, await call(bob, "GET", `/v1/api/chats/group/${id}`), 403, "not_a_member");
      assertError(assert, await call(carol, "DELETE", `/v1/api/chats/group/${id}/members/${alice.id}`), 403, "forbidden");
      const add = await call(alice, "POST", `/v1/api/chats/group/${id}/members`, { userId: bob.id, role: "admin" });
      assert.equal(add.status, 201, add.text);
      assert.equal(add.json.role, "admin");
      // an admin may remove a member, through PUT
      const rm = await call(bob, "PUT", `/v1/api/chats/group/${id}`, { removeMemberIds: [carol.id] });
      assert.equal(rm.status, 200, rm.text);
      assert.ok(!rm.json.members.some((m) => m.id === carol.id));
      assertError(assert, await call(alice, "DELETE", `/v1/api/chats/group/${id}/members/${carol.id}`), 404, "not_found");
      assertError(assert, await call(alice, "PUT", `/v1/api/chats/group/${id}`, {}), 400);
      // read position through PUT works for any member
      const read = await call(bob, "PUT", `/v1/api/chats/group/${id}`, { lastReadSeq: 0 });
      assert.equal(read.status, 200, read.text);
      const groups = await call(bob, "GET", "/v1/api/chats/group");
      assert.ok(groups.json.chats.some((x) => x.id === id));
      assert.ok(groups.json.chats.every((x) => x.type === "group"));
      // only the owner deletes
      assertError(assert, await call(bob, "DELETE", `/v1/api/chats/group/${id}`), 403, "forbidden");
      assert.equal((await call(alice, "DELETE", `/v1/api/chats/group/${id}`)).status, 204);
      assertError(assert, await call(alice, "GET", `/v1/api/chats/group/${id}`), 404, "not_found");
    });

    it("history: newest first, cursor pagination, limits", async () => {
      const g = await call(alice, "POST", "/v1/api/chats/group", { name: "history", memberIds: [bob.id] });
      const id = g.json.id;
      for (let i = 1; i <= 7; i++) {
        const r = await call(i % 2 ? alice : bob, "POST", `/v1/api/chats/${id}/messages`, { body: `message ${i}` });
        assert.equal(r.status, 201, r.text);
        assert.equal(r.json.seq, i);
      }
      const p1 = await call(bob, "GET", `/v1/api/chats/${id}/messages?limit=3`);
      assert.equal(p1.status, 200, p1.text);
      assert.deepEqual(p1.json.messages.map((m) => m.seq), [7, 6, 5]);
      assert.equal(p1.json.nextBefore, 5);
      const p2 = await call(bob, "GET", `/v1/api/chats/${id}/messages?limit=3&before=${p1.json.nextBefore}`);
      assert.deepEqual(p2.json.messages.map((m) => m.seq), [4, 3, 2]);
      const p3 = await call(bob, "GET", `/v1/api/chats/${id}/messages?limit=3&before=${p2.json.nextBefore}`);
      assert.deepEqual(p3.json.messages.map((m) => m.seq), [1]);
      assert.equal(p3.json.nextBefore, null);
      const all = await call(bob, "GET", `/v1/api/chats/${id}/messages`);
      assert.equal(all.json.messages.length, 7);
      assert.equal(all.json.messages[0].body, "message 7");
      assert.deepEqual(all.json.messages[0].reactions, []);
      for (const q of ["limit=0", "limit=101", "before=x", "before=-1", "limit="]) {
        assertError(assert, await call(bob, "GET", `/v1/api/chats/${id}/messages?${q}`), 400, "invalid_query");
      }
      assertError(assert, await call(bob, "GET", "/v1/api/chats/0/messages"), 404);
      assertError(assert, await call(bob, "GET", "/v1/api/chats/abc/messages"), 404);
      assertError(assert, await call(bob, "GET", "/v1/api/chats/99999999/messages"), 404, "not_found");
    });

    it("send, idempotent client ids, edit and delete own messages only", async () => {
      const g = await call(alice, "POST", "/v1/api/chats/group", { name: "edits", memberIds: [bob.id] });
      const id = g.json.id;
      const m1 = await call(alice, "POST", `/v1/api/chats/${id}/messages`, { body: "first", clientMsgId: "c-1" });
      assert.equal(m1.status, 201);
      assert.equal(m1.json.clientMsgId, "c-1");
      const dup = await call(alice, "POST", `/v1/api/chats/${id}/messages`, { body: "first", clientMsgId: "c-1" });
      assert.equal(dup.status, 200, "a retry returns the stored message");
      assert.equal(dup.json.id, m1.json.id);
      const hist = await call(alice, "GET", `/v1/api/chats/${id}/messages`);
      assert.equal(hist.json.messages.length, 1);
      for (const [body, status, code] of [
        [{}, 400, "missing_field"],
        [{ body: "" }, 400, "invalid_field"],
        [{ body: 5 }, 400, "invalid_field"],
        [{ body: "x".repeat(4001) }, 400, "field_too_long"],
        [{ body: "ok", clientMsgId: "has space" }, 400, "invalid_field"],
        [{ body: "ok", clientMsgId: "x".repeat(65) }, 400, "field_too_long"],
        ["[1,2", 400, "invalid_json"],
      ]) {
        assertError(assert, await call(alice, "POST", `/v1/api/chats/${id}/messages`, body), status, code);
      }
      const long = await call(alice, "POST", `/v1/api/chats/${id}/messages`, { body: "é".repeat(4000) });
      assert.equal(long.status, 201, "4000 two-byte characters fit");
      assertError(assert, await call(bob, "PUT", `/v1/api/messages/${m1.json.id}`, { body: "hacked" }), 403, "not_author");
      assertError(assert, await call(carol, "PUT", `/v1/api/messages/${m1.json.id}`, { body: "hacked" }), 403, "not_a_member");
      const ed = await call(alice, "PUT", `/v1/api/messages/${m1.json.id}`, { body: "first (edited)" });
      assert.equal(ed.status, 200, ed.text);
      assert.equal(ed.json.body, "first (edited)");
      assert.equal(typeof ed.json.editedAt, "number");
      assertError(assert, await call(bob, "DELETE", `/v1/api/messages/${m1.json.id}`), 403, "not_author");
      assert.equal((await call(alice, "DELETE", `/v1/api/messages/${m1.json.id}`)).status, 204);
      assertError(assert, await call(alice, "DELETE", `/v1/api/messages/${m1.json.id}`), 404, "not_found");
      const after = await call(alice, "GET", `/v1/api/chats/${id}/messages`);
      const gone = after.json.messages.find((m) => m.id === m1.json.id);
      assert.equal(gone.deleted, true);
      assert.equal(gone.body, "");
      assertError(assert, await call(alice, "PUT", "/v1/api/messages/99999999", { body: "x" }), 404, "not_found");
      // a client id names one message of its author: reusing it in another chat is a conflict
      const g2 = await call(alice, "POST", "/v1/api/chats/group", { name: "edits 2" });
      const reuse = await call(alice, "POST", `/v1/api/chats/${g2.json.id}/messages`, { body: "first", clientMsgId: "c-1" });
      assertError(assert, reuse, 409, "client_msg_id_used");
    });

    it("stores SQL metacharacters verbatim in every text field and finds them", async () => {
      let n = 0;
      for (const nasty of NASTY) {
        n += 1;
        const name = nasty.replace(/[\x00-\x1f]/g, "").slice(0, 50) || "x";
        const g = await call(alice, "POST", "/v1/api/chats/group", { name, topic: nasty });
        assert.equal(g.status, 201, g.text);
        assert.equal(g.json.name, name);
        assert.equal(g.json.topic, nasty);
        const m = await call(alice, "POST", `/v1/api/chats/${g.json.id}/messages`, { body: nasty, clientMsgId: `id'"--${n}` });
        assert.equal(m.status, 201, m.text);
        assert.equal(m.json.body, nasty);
        const h = await call(alice, "GET", `/v1/api/chats/${g.json.id}/messages`);
        assert.equal(h.json.messages[0].body, nasty);
        const e = await call(alice, "PUT", `/v1/api/messages/${m.json.id}`, { body: nasty + " 2" });
        assert.equal(e.json.body, nasty + " 2");
        const s = await call(alice, "GET", `/v1/api/messages/search?q=${encodeURIComponent(nasty)}`);
        assert.ok(s.status === 200 || s.status === 400, s.text);
        const p = await call(alice, "POST", "/v1/api/chats/public", { name, topic: nasty });
        assert.equal(p.status, 201, p.text);
      }
      // the other users still exist and the tables are intact
      const me = await call(bob, "GET", "/v1/api/users/me");
      assert.equal(me.status, 200);
    });

    it("search finds words in my chats only", async () => {
      const g = await call(alice, "POST", "/v1/api/chats/group", { name: "search", memberIds: [bob.id] });
      await call(alice, "POST", `/v1/api/chats/${g.json.id}/messages`, { body: "the quick brown zebrafox jumps" });
      await call(bob, "POST", `/v1/api/chats/${g.json.id}/messages`, { body: "lazy dog, zebrafox!" });
      const s = await call(bob, "GET", "/v1/api/messages/search?q=zebrafox");
      assert.equal(s.status, 200, s.text);
      assert.equal(s.json.messages.length, 2);
      assert.ok(s.json.messages[0].id > s.json.messages[1].id, "newest first");
      const two = await call(bob, "GET", "/v1/api/messages/search?q=ZEBRAFOX+quick");
      assert.equal(two.json.messages.length, 1);
      const other = await call(carol, "GET", "/v1/api/messages/search?q=zebrafox");
      assert.equal(other.status, 200);
      assert.equal(other.json.messages.length, 0, "carol is in none of those chats");
      assertError(assert, await call(bob, "GET", "/v1/api/messages/search"), 400, "invalid_query");
      assertError(assert, await call(bob, "GET", "/v1/api/messages/search?q="), 400, "invalid_query");
      assertError(assert, await call(bob, "GET", `/v1/api/messages/search?q=${"a".repeat(201)}`), 400, "invalid_query");
      assertError(assert, await call(bob, "GET", "/v1/api/messages/search?q=%ff%fe"), 400, "invalid_query");
      assertError(assert, await call(bob, "GET", "/v1/api/messages/search?q=%zz"), 400, "invalid_query");
      assertError(assert, await call(bob, "GET", "/v1/api/messages/search?q=zebrafox&limit=0"), 400, "invalid_query");
    });

    it("a burst of concurrent sends into one chat: no loss, no duplicates, strict order", async () => {
      const g = await call(alice, "POST", "/v1/api/chats/group", { name: "burst", memberIds: [bob.id] });
      const id = g.json.id;
      const N = 60;
      const results = await Promise.all(
        Array.from({ length: N }, (_, i) =>
          call(i % 2 ? bob : alice, "POST", `/v1/api/chats/${id}/messages`, { body: `burst ${i}`, clientMsgId: `b-${i}` }),
        ),
      );
      assert.ok(results.every((r) => r.status === 201), results.map((r) => r.status).join(","));
      const seqs = results.map((r) => r.json.seq).sort((a, b) => a - b);
      assert.deepEqual(seqs, Array.from({ length: N }, (_, i) => i + 1));
      const h = await call(alice, "GET", `/v1/api/chats/${id}/messages?limit=100`);
      assert.equal(h.json.messages.length, N);
      assert.equal(new Set(h.json.messages.map((m) => m.body)).size, N);
    });
  });
}
