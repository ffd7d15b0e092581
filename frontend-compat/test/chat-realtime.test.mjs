// chat-realtime.test.mjs - the chat service's Socket.IO namespace /chat (docs/chat-events.md)
// driven with the unmodified socket.io-client, against the real sioc on every storage backend:
// handshake authentication (auth {token} or Authorization header; missing / forged / expired /
// alg-none tokens refused with CONNECT_ERROR), rooms, message send with ack-after-commit and
// idempotent retries, edit / delete, reactions, typing, read receipts, presence and presence
// channels, the personal room (every tab), a burst of concurrent sends (no loss, no duplicate,
// strict order), and connection state recovery.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { io } from "socket.io-client";
import {
  api,
  backends,
  claims,
  collect,
  connect,
  emitAck,
  next,
  register,
  signJwt,
  sleep,
  startChat,
  T,
  NASTY,
} from "./lib/chat.mjs";

for (const backend of backends()) {
  describe(`chat real-time (${backend.name})`, () => {
    let server;
    const sockets = [];
    before(async () => {
      server = await startChat(backend);
    });
    after(async () => {
      for (const s of sockets) s.close();
      await server?.stop();
    });
    async function open(user, opts) {
      const c = await connect(server, user.token, opts);
      sockets.push(c.socket);
      return c;
    }
    const call = (who, method, path, body) => api(server, method, path, { token: who.token, body });
    async function groupOf(owner, members, name = "room") {
      const r = await call(owner, "POST", "/v1/api/chats/group", { name, memberIds: members.map((m) => m.id) });
      assert.equal(r.status, 201, r.text);
      return r.json;
    }

    it("refuses connections without a valid token (CONNECT_ERROR with a code)", async () => {
      const u = await register(server);
      const cases = [
        [{}, "token_missing"],
        [{ token: 42 }, "token_missing"],
        [{ token: "garbage" }, "token_invalid"],
        [{ token: signJwt(claims(u.id), { secret: "wrong-secret" }) }, "token_invalid"],
        [{ token: signJwt(claims(u.id), { alg: "none" }) }, "token_invalid"],
        [{ token: signJwt(claims(u.id), { alg: "HS512" }) }, "token_invalid"],
        [{ token: signJwt(claims(u.id, { exp: Math.floor(Date.now() / 1000) - 1 })) }, "token_expired"],
        [{ token: signJwt(claims(987654321)) }, "user_not_found"],
      ];
      for (const [auth, code] of cases) {
        await assert.rejects(connect(server, null, { auth }), (err) => {
          assert.equal(err.message, "unauthorized");
          assert.deepEqual(err.data, { code });
          return true;
        });
      }
      // the header form, over polling and over websocket
      for (const transports of [["polling"], ["websocket"]]) {
        const { socket, ready } = await connect(server, null, {
          auth: {},
          transports,
          extraHeaders: { authorization: `Bearer ${u.token}` },
        });
        assert.equal(ready.userId, u.id);
        socket.close();
        await assert.rejects(
          connect(server, null, { auth: {}, transports, extraHeaders: { authorization: "Bearer nope" } }),
          (err) => err.data?.code === "token_invalid",
        );
      }
    });

    it("joins the rooms of the user's chats and says ready", async () => {
      const a = await register(server);
      const b = await register(server);
      const g = await groupOf(a, [b]);
      const { ready } = await open(a);
      assert.equal(ready.userId, a.id);
      assert.equal(ready.username, a.user.username);
      assert.deepEqual(ready.chatIds, [g.id]);
    });

    it("message:send acks the stored message, then every member's tabs get message:new", async () => {
      const a = await register(server);
      const b = await register(server);
      const g = await groupOf(a, [b]);
      const { socket: sa } = await open(a);
      const { socket: sb1 } = await open(b);
      const { socket: sb2 } = await open(b);
      const got1 = next(sb1, "message:new");
      const got2 = next(sb2, "message:new");
      const echo = next(sa, "message:new");
      const ack = await emitAck(sa, "message:send", { chatId: g.id, body: "hello", clientMsgId: "m-1" });
      assert.equal(ack.ok, true, JSON.stringify(ack));
      assert.equal(ack.duplicate, false);
      assert.equal(ack.message.body, "hello");
      assert.equal(ack.message.seq, 1);
      assert.equal(ack.message.authorId, a.id);
      for (const m of await Promise.all([got1, got2, echo])) assert.deepEqual(m, ack.message);
      // the stored message is in the history
      const h = await call(b, "GET", `/v1/api/chats/${g.id}/messages`);
      assert.equal(h.json.messages[0].id, ack.message.id);
      // a retry with the same client id: same message, no second broadcast
      const seen = collect(sb1, "message:new");
      const again = await emitAck(sa, "message:send", { chatId: g.id, body: "hello", clientMsgId: "m-1" });
      assert.equal(again.ok, true);
      assert.equal(again.duplicate, true);
      assert.equal(again.message.id, ack.message.id);
      await sleep(T(150));
      assert.equal(seen.length, 0);
    });

    it("message:send refuses bad payloads and foreign chats", async () => {
      const a = await register(server);
      const b = await register(server);
      const other = await groupOf(b, [], "not yours");
      const { socket } = await open(a);
      const cases = [
        [undefined, "invalid_body"],
        ["text", "invalid_body"],
        [{}, "missing_field"],
        [{ chatId: other.id }, "missing_field"],
        [{ chatId: "1", body: "x" }, "invalid_field"],
        [{ chatId: other.id, body: "" }, "invalid_field"],
        [{ chatId: other.id, body: "x".repeat(4001) }, "field_too_long"],
        [{ chatId: other.id, body: "x", extra: 1 }, "unknown_field"],
        [{ chatId: other.id, body: "x" }, "not_a_member"],
        [{ chatId: 987654321, body: "x" }, "not_found"],
      ];
      for (const [payload, code] of cases) {
        const ack = await emitAck(socket, "message:send", payload);
        assert.equal(ack.ok, false, JSON.stringify(payload));
        assert.equal(ack.error.code, code, JSON.stringify([payload, ack]));
        assert.equal(typeof ack.error.message, "string");
      }
      const bin = await emitAck(socket, "message:send", { chatId: other.id, body: Buffer.from("x") });
      assert.equal(bin.ok, false);
      // still connected and working
      const g = await groupOf(a, []);
      await emitAck(socket, "chat:join", { chatId: g.id });
      for (const nasty of NASTY) {
        const ok = await emitAck(socket, "message:send", { chatId: g.id, body: nasty });
        assert.equal(ok.ok, true, JSON.stringify(ok));
        assert.equal(ok.message.body, nasty);
      }
    });

    it("edit and delete own messages; others cannot", async () => {
      const a = await register(server);
      const b = await register(server);
      const g = await groupOf(a, [b]);
      const { socket: sa } = await open(a);
      const { socket: sb } = await open(b);
      const sent = await emitAck(sa, "message:send", { chatId: g.id, body: "typo" });
      const edited = next(sb, "message:edited");
      const e = await emitAck(sa, "message:edit", { messageId: sent.message.id, body: "fixed" });
      assert.equal(e.ok, true, JSON.stringify(e));
      assert.equal(e.message.body, "fixed");
      assert.equal((await edited).body, "fixed");
      const nope = await emitAck(sb, "message:edit", { messageId: sent.message.id, body: "mine now" });
      assert.equal(nope.error.code, "not_author");
      const nope2 = await emitAck(sb, "message:delete", { messageId: sent.message.id });
      assert.equal(nope2.error.code, "not_author");
      const deleted = next(sb, "message:deleted");
      const d = await emitAck(sa, "message:delete", { messageId: sent.message.id });
      assert.equal(d.ok, true);
      const dm = await deleted;
      assert.equal(dm.id, sent.message.id);
      assert.equal(dm.deleted, true);
      assert.equal(dm.body, "");
      const twice = await emitAck(sa, "message:delete", { messageId: sent.message.id });
      assert.equal(twice.error.code, "not_found");
      const missing = await emitAck(sa, "message:edit", { messageId: 987654321, body: "x" });
      assert.equal(missing.error.code, "not_found");
      // carol, not a member, cannot touch it
      const c = await register(server);
      const { socket: sc } = await open(c);
      const m2 = await emitAck(sa, "message:send", { chatId: g.id, body: "second" });
      const foreign = await emitAck(sc, "message:edit", { messageId: m2.message.id, body: "x" });
      assert.equal(foreign.error.code, "not_a_member");
    });

    it("reactions: add, refuse the same twice, remove; members see them", async () => {
      const a = await register(server);
      const b = await register(server);
      const g = await groupOf(a, [b]);
      const { socket: sa } = await open(a);
      const { socket: sb } = await open(b);
      const m = await emitAck(sa, "message:send", { chatId: g.id, body: "react to me" });
      const added = next(sa, "reaction:added");
      const r = await emitAck(sb, "reaction:add", { messageId: m.message.id, emoji: "👍" });
      assert.equal(r.ok, true, JSON.stringify(r));
      assert.deepEqual(await added, { messageId: m.message.id, chatId: g.id, userId: b.id, emoji: "👍" });
      const dup = await emitAck(sb, "reaction:add", { messageId: m.message.id, emoji: "👍" });
      assert.equal(dup.error.code, "conflict");
      const h = await call(a, "GET", `/v1/api/chats/${g.id}/messages`);
      assert.deepEqual(h.json.messages[0].reactions, [{ emoji: "👍", count: 1, userIds: [b.id] }]);
      const removed = next(sa, "reaction:removed");
      const rr = await emitAck(sb, "reaction:remove", { messageId: m.message.id, emoji: "👍" });
      assert.equal(rr.ok, true);
      assert.equal((await removed).userId, b.id);
      const again = await emitAck(sb, "reaction:remove", { messageId: m.message.id, emoji: "👍" });
      assert.equal(again.error.code, "not_found");
      const bad = await emitAck(sb, "reaction:add", { messageId: m.message.id, emoji: "x".repeat(17) });
      assert.equal(bad.error.code, "field_too_long");
    });

    it("typing indicators reach the other members, not the typist", async () => {
      const a = await register(server);
      const b = await register(server);
      const c = await register(server);
      const g = await groupOf(a, [b]);
      const { socket: sa } = await open(a);
      const { socket: sb } = await open(b);
      const { socket: sc } = await open(c);
      const own = collect(sa, "typing");
      const outsider = collect(sc, "typing");
      const seen = next(sb, "typing");
      assert.equal((await emitAck(sa, "typing:start", { chatId: g.id })).ok, true);
      assert.deepEqual(await seen, { chatId: g.id, userId: a.id, username: a.user.username, typing: true });
      const stop = next(sb, "typing", (p) => p.typing === false);
      await emitAck(sa, "typing:stop", { chatId: g.id });
      await stop;
      const refused = await emitAck(sc, "typing:start", { chatId: g.id });
      assert.equal(refused.error.code, "not_a_member");
      await sleep(T(100));
      assert.equal(own.length, 0);
      assert.equal(outsider.length, 0);
    });

    it("read receipts", async () => {
      const a = await register(server);
      const b = await register(server);
      const g = await groupOf(a, [b]);
      const { socket: sa } = await open(a);
      const { socket: sb } = await open(b);
      const m = await emitAck(sa, "message:send", { chatId: g.id, body: "read me" });
      const receipt = next(sa, "message:read");
      const r = await emitAck(sb, "message:read", { chatId: g.id, seq: m.message.seq });
      assert.deepEqual(r, { ok: true, chatId: g.id, lastReadSeq: m.message.seq });
      assert.deepEqual(await receipt, { chatId: g.id, userId: b.id, seq: m.message.seq });
      const c = await register(server);
      const { socket: sc } = await open(c);
      const foreign = await emitAck(sc, "message:read", { chatId: g.id, seq: 1 });
      assert.equal(foreign.error.code, "not_a_member");
      const bad = await emitAck(sb, "message:read", { chatId: g.id, seq: -1 });
      assert.equal(bad.error.code, "invalid_field");
    });

    it("chat:join / chat:leave the room of a chat", async () => {
      const a = await register(server);
      const b = await register(server);
      const g = await groupOf(a, [b]);
      const { socket: sa } = await open(a);
      const { socket: sb } = await open(b);
      const left = await emitAck(sb, "chat:leave", { chatId: g.id });
      assert.equal(left.ok, true);
      const seen = collect(sb, "message:new");
      await emitAck(sa, "message:send", { chatId: g.id, body: "while away" });
      await sleep(T(100));
      assert.equal(seen.length, 0, "left the room");
      const joined = await emitAck(sb, "chat:join", { chatId: g.id });
      assert.deepEqual(joined, { ok: true, chatId: g.id });
      const got = next(sb, "message:new");
      await emitAck(sa, "message:send", { chatId: g.id, body: "back" });
      assert.equal((await got).body, "back");
      const c = await register(server);
      const { socket: sc } = await open(c);
      const no = await emitAck(sc, "chat:join", { chatId: g.id });
      assert.equal(no.error.code, "not_a_member");
    });

    it("the personal room: new chats and their messages reach every tab", async () => {
      const a = await register(server);
      const b = await register(server);
      const { socket: b1 } = await open(b);
      const { socket: b2 } = await open(b);
      const created = [next(b1, "chat:created"), next(b2, "chat:created")];
      const r = await call(a, "POST", "/v1/api/chats/private", { userId: b.id });
      assert.equal(r.status, 201);
      for (const p of await Promise.all(created)) {
        assert.equal(p.chat.id, r.json.id);
        assert.equal(p.chat.type, "private");
      }
      const msgs = [next(b1, "message:new"), next(b2, "message:new")];
      const sent = await call(a, "POST", `/v1/api/chats/${r.json.id}/messages`, { body: "dm" });
      assert.equal(sent.status, 201);
      for (const m of await Promise.all(msgs)) assert.equal(m.id, sent.json.id);
      // added to a group later: same
      const g = await groupOf(a, []);
      const added = next(b1, "chat:created", (p) => p.chat.id === g.id);
      assert.equal((await call(a, "POST", `/v1/api/chats/group/${g.id}/members`, { userId: b.id })).status, 201);
      await added;
      const gm = next(b2, "message:new", (m) => m.chatId === g.id);
      await call(a, "POST", `/v1/api/chats/${g.id}/messages`, { body: "welcome" });
      assert.equal((await gm).body, "welcome");
      // removed: chat:removed, and no more messages
      const removed = next(b1, "chat:removed");
      assert.equal((await call(a, "DELETE", `/v1/api/chats/group/${g.id}/members/${b.id}`)).status, 204);
      assert.deepEqual(await removed, { chatId: g.id });
      const after = collect(b1, "message:new");
      await call(a, "POST", `/v1/api/chats/${g.id}/messages`, { body: "secret" });
      await sleep(T(100));
      assert.equal(after.length, 0);
    });

    it("presence: online, away, offline", async () => {
      const a = await register(server);
      const b = await register(server);
      const { socket: sa } = await open(a);
      const online = next(sa, "presence:update", (p) => p.userId === b.id);
      const { socket: sb } = await open(b);
      assert.deepEqual(await online, { userId: b.id, status: "online" });
      const away = next(sa, "presence:update", (p) => p.userId === b.id);
      assert.deepEqual(await emitAck(sb, "presence:set", { status: "away" }), { ok: true, status: "away" });
      assert.deepEqual(await away, { userId: b.id, status: "away" });
      const u = await call(a, "GET", `/v1/api/users/${b.id}`);
      assert.equal(u.json.status, "away");
      const bad = await emitAck(sb, "presence:set", { status: "busy!" });
      assert.equal(bad.ok, false);
      const offline = next(sa, "presence:update", (p) => p.userId === b.id && p.status === "offline");
      sb.close();
      await offline;
      const u2 = await call(a, "GET", `/v1/api/users/${b.id}`);
      assert.equal(u2.json.status, "offline");
      // lastSeenAt is written right after the disconnect (asynchronously)
      let seen = u2.json.lastSeenAt;
      for (let i = 0; i < 100 && !(seen > 0); i++) {
        await sleep(20);
        seen = (await call(a, "GET", `/v1/api/users/${b.id}`)).json.lastSeenAt;
      }
      assert.ok(seen > 0, "lastSeenAt set");

    });

    it("presence channels: join returns the members, members see arrivals and departures", async () => {
      const a = await register(server);
      const b = await register(server);
      const { socket: sa } = await open(a);
      const { socket: sb } = await open(b);
      const { socket: sb2 } = await open(b);
      const first = await emitAck(sa, "presence:join", { channel: "support" });
      assert.equal(first.ok, true);
      assert.deepEqual(first.members.map((m) => m.userId), [a.id]);
      const arrived = next(sa, "presence:member_added");
      const second = await emitAck(sb, "presence:join", { channel: "support" });
      assert.deepEqual(second.members.map((m) => m.userId), [a.id, b.id]);
      assert.deepEqual(await arrived, {
        channel: "support",
        member: { userId: b.id, username: b.user.username, status: "online" },
      });
      // b's second tab: not a new member
      const extra = collect(sa, "presence:member_added");
      const third = await emitAck(sb2, "presence:join", { channel: "support" });
      assert.equal(third.members.length, 2);
      await sleep(T(100));
      assert.equal(extra.length, 0);
      // b leaves with one tab: still there; with the other (a disconnect): gone
      const gone = next(sa, "presence:member_removed");
      assert.equal((await emitAck(sb, "presence:leave", { channel: "support" })).ok, true);
      sb2.close();
      assert.equal((await gone).member.userId, b.id);
      const bad = await emitAck(sa, "presence:join", { channel: "bad channel!" });
      assert.equal(bad.error.code, "invalid_field");
      const notIn = await emitAck(sa, "presence:leave", { channel: "elsewhere" });
      assert.equal(notIn.error.code, "not_found");
      // at most 32 channels per socket (it is in "support" already)
      for (let i = 1; i < 32; i++) assert.equal((await emitAck(sa, "presence:join", { channel: `ch${i}` })).ok, true);
      const tooMany = await emitAck(sa, "presence:join", { channel: "ch32" });
      assert.equal(tooMany.error.code, "too_many_channels");
      assert.equal((await emitAck(sa, "presence:join", { channel: "ch5" })).ok, true, "rejoining is fine");

    });

    it("a burst of concurrent sends into one chat: no loss, no duplicates, strict order", async () => {
      const a = await register(server);
      const b = await register(server);
      const c = await register(server);
      const g = await groupOf(a, [b, c]);
      const { socket: sa } = await open(a);
      const { socket: sb } = await open(b);
      const { socket: sc } = await open(c);
      const N = 100;
      const received = collect(sc, "message:new");
      const acks = await Promise.all(
        Array.from({ length: N }, (_, i) =>
          emitAck(i % 2 ? sb : sa, "message:send", { chatId: g.id, body: `m${i}`, clientMsgId: `burst-${i}` }, T(20000)),
        ),
      );
      assert.ok(acks.every((x) => x.ok), JSON.stringify(acks.find((x) => !x.ok)));
      const seqs = acks.map((x) => x.message.seq).sort((x, y) => x - y);
      assert.deepEqual(seqs, Array.from({ length: N }, (_, i) => i + 1), "every seq once");
      // each sender's messages got seqs in the order that sender sent them
      for (const [s, parity] of [[sa, 0], [sb, 1]]) {
        const mine = acks.filter((_, i) => i % 2 === parity).map((x) => x.message.seq);
        assert.deepEqual(mine, [...mine].sort((x, y) => x - y), "per-sender order");
        void s;
      }
      const deadline = Date.now() + T(10000);
      while (received.length < N && Date.now() < deadline) await sleep(20);
      assert.equal(received.length, N, "no loss");
      assert.deepEqual(received.map((m) => m.seq), Array.from({ length: N }, (_, i) => i + 1), "strict order, no duplicate");
      // retries of the whole burst change nothing
      const retry = await Promise.all(
        acks.slice(0, 10).map((x, i) => emitAck(i % 2 ? sb : sa, "message:send", { chatId: g.id, body: `m${i}`, clientMsgId: `burst-${i}` })),
      );
      assert.ok(retry.every((x) => x.duplicate));
      const h = await call(a, "GET", `/v1/api/chats/${g.id}/messages?limit=100`);
      assert.equal(h.json.messages.length, N);
    });

    it("recovers the connection state after a transport drop", async () => {
      const a = await register(server);
      const b = await register(server);
      const g = await groupOf(a, [b]);
      const { socket: sa } = await open(a);
      const sb = io(`${server.url}/chat`, {
        forceNew: true,
        transports: ["websocket"],
        auth: { token: b.token },
        reconnectionDelay: 50,
        reconnectionDelayMax: 100,
      });
      sockets.push(sb);
      await next(sb, "ready");
      // a broadcast so that the client holds an offset
      const first = next(sb, "message:new");
      await emitAck(sa, "message:send", { chatId: g.id, body: "before" });
      await first;
      const missed = next(sb, "message:new", (m) => m.body === "during");
      sb.io.engine.close(); // transport drop: the client reconnects by itself
      await emitAck(sa, "message:send", { chatId: g.id, body: "during" });
      await new Promise((resolve) => sb.once("connect", resolve));
      assert.equal(sb.recovered, true, "recovered");
      assert.equal((await missed).body, "during");
      const after = next(sb, "message:new", (m) => m.body === "after");
      await emitAck(sa, "message:send", { chatId: g.id, body: "after" });
      await after;
    });
  });
}
