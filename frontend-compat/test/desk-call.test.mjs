// desk-call.test.mjs - the signalling of WebRTC audio calls between an attendant on /desk and a
// widget customer on /support (docs/desk.md "Calls"), with socket.io-client against the real
// sioc: start, ring, accept, offer / answer / ICE both ways, hang-up; the rules (only the
// service's attendant, only open widget services: WhatsApp is refused, one call per service and
// per tab, bounded and shaped signals, only the sockets in the call may signal); and the ends:
// decline, either side's disconnect, the service's finish or transfer; a call keeps its service
// from the idle close. With SIOC_TEST_PG and SIOC_TEST_REDIS, calls between two nodes. The browsers' side is desk-call-web.test.mjs.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { collect, emitAck, next, redisArgs, sleep } from "./lib/chat.mjs";
import { api, backends, desk, staff, startDesk, startNode, support, T, until, visitor } from "./lib/desk.mjs";
import { inbound, postWebhook, startMeta, waArgs } from "./sim/whatsapp.mjs";
import { io } from "socket.io-client";

const REDIS = process.env.SIOC_TEST_REDIS;
const SDP = "v=0\r\no=- 4611731400430051336 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\n";
const CANDIDATE = { candidate: "candidate:1 1 udp 2122260223 192.168.1.2 54321 typ host", sdpMid: "0", sdpMLineIndex: 0, usernameFragment: "abcd" };

function expectError(r, code) {
  assert.equal(r.ok, false, JSON.stringify(r));
  assert.equal(r.error.code, code, JSON.stringify(r));
  assert.equal(typeof r.error.message, "string");
}

/** A customer who wrote, and an attendant (on `deskServer`) who took the service. */
async function taken(server, deskServer = server, supportServer = server) {
  const att = await staff(server);
  const dk = await desk(deskServer, att.token);
  const v = await visitor(server);
  const sup = await support(supportServer, v.visitorToken);
  const opened = next(dk.socket, "service:new");
  const sent = await emitAck(sup.socket, "message:send", { body: "Can you call me?" });
  assert.equal(sent.ok, true, JSON.stringify(sent));
  const sid = (await opened).service.id;
  const t = await api(server, "POST", `/v1/api/desk/services/${sid}/take`, { token: att.token });
  assert.equal(t.status, 200, t.text);
  return { att, dk, v, sup, sid, close: () => [dk.socket, sup.socket].forEach((s) => s.close()) };
}

/** Starts a call and has the customer accept it; resolves the call id. */
async function ringAndAccept({ dk, sup, sid }) {
  const incoming = next(sup.socket, "call:incoming");
  const started = await emitAck(dk.socket, "call:start", { serviceId: sid });
  assert.equal(started.ok, true, JSON.stringify(started));
  assert.equal(started.serviceId, sid);
  assert.match(started.callId, /^[A-Za-z0-9_-]{22}$/);
  assert.deepEqual(started.iceServers, []);
  const inc = await incoming;
  assert.deepEqual(inc, { serviceId: sid, callId: started.callId, iceServers: [] });
  const accepted = next(dk.socket, "call:accepted");
  const acc = await emitAck(sup.socket, "call:accept", { serviceId: sid, callId: started.callId });
  assert.equal(acc.ok, true, JSON.stringify(acc));
  assert.deepEqual(await accepted, { serviceId: sid, callId: started.callId });
  return started.callId;
}

/** Offer, answer and ICE both ways; each side gets exactly what the other sent. */
async function exchange({ dk, sup, sid }, callId) {
  const offerIn = next(sup.socket, "call:signal", (p) => p.type === "offer");
  assert.equal((await emitAck(dk.socket, "call:signal", { serviceId: sid, callId, type: "offer", data: { type: "offer", sdp: SDP } })).ok, true);
  assert.deepEqual(await offerIn, { serviceId: sid, callId, type: "offer", data: { type: "offer", sdp: SDP } });
  const answerIn = next(dk.socket, "call:signal", (p) => p.type === "answer");
  assert.equal((await emitAck(sup.socket, "call:signal", { serviceId: sid, callId, type: "answer", data: { type: "answer", sdp: SDP } })).ok, true);
  assert.deepEqual(await answerIn, { serviceId: sid, callId, type: "answer", data: { type: "answer", sdp: SDP } });
  const iceIn = next(sup.socket, "call:signal", (p) => p.type === "ice");
  assert.equal((await emitAck(dk.socket, "call:signal", { serviceId: sid, callId, type: "ice", data: CANDIDATE })).ok, true);
  assert.deepEqual((await iceIn).data, CANDIDATE);
  const iceBack = next(dk.socket, "call:signal", (p) => p.type === "ice");
  assert.equal((await emitAck(sup.socket, "call:signal", { serviceId: sid, callId, type: "ice", data: null })).ok, true);
  assert.equal((await iceBack).data, null);
}

for (const backend of backends()) {
  describe(`desk calls (${backend.name})`, () => {
    let server, meta;
    before(async () => {
      meta = await startMeta();
      server = await startDesk(backend, waArgs(meta));
    });
    after(async () => {
      await server?.stop();
      await meta?.close();
    });

    test("a call rings, is accepted, signals both ways and ends when the attendant hangs up", async () => {
      const c = await taken(server);
      try {
        // a second tab of the customer rings too, and stops once the first answers
        const tab2 = await support(server, c.v.visitorToken);
        const ring2 = next(tab2.socket, "call:incoming");
        const answered2 = next(tab2.socket, "call:answered");
        const callId = await ringAndAccept(c);
        assert.equal((await ring2).callId, callId);
        assert.equal((await answered2).callId, callId);
        // the other tab may not join or signal in this call
        expectError(await emitAck(tab2.socket, "call:accept", { serviceId: c.sid, callId }), "call_answered");
        expectError(await emitAck(tab2.socket, "call:signal", { serviceId: c.sid, callId, type: "ice", data: null }), "call_not_found");
        const tab2Signals = collect(tab2.socket, "call:signal");
        await exchange(c, callId);
        assert.equal(tab2Signals.length, 0, "signals go to the tab in the call only");
        // the attendant hangs up: both sides hear it, with who ended it
        const endC = next(c.sup.socket, "call:end");
        const endTab2 = next(tab2.socket, "call:end");
        const endD = next(c.dk.socket, "call:end");
        assert.equal((await emitAck(c.dk.socket, "call:signal", { serviceId: c.sid, callId, type: "end" })).ok, true);
        for (const e of [await endC, await endTab2, await endD]) assert.deepEqual(e, { serviceId: c.sid, callId, reason: "hangup", by: "attendant" });
        // the call is over: nobody may signal in it, and a new one may start
        expectError(await emitAck(c.dk.socket, "call:signal", { serviceId: c.sid, callId, type: "ice", data: null }), "call_not_found");
        await until(async () => (await emitAck(c.sup.socket, "call:signal", { serviceId: c.sid, callId, type: "ice", data: null })).error?.code === "call_not_found");
        const inc = next(c.sup.socket, "call:incoming");
        const again = await emitAck(c.dk.socket, "call:start", { serviceId: c.sid });
        assert.equal(again.ok, true, JSON.stringify(again));
        assert.notEqual(again.callId, callId);
        assert.equal((await inc).callId, again.callId);
        // the customer hangs up the next one
        const acc = await emitAck(c.sup.socket, "call:accept", { serviceId: c.sid, callId: again.callId });
        assert.equal(acc.ok, true, JSON.stringify(acc));
        const endByCustomer = next(c.dk.socket, "call:end");
        assert.equal((await emitAck(c.sup.socket, "call:end", { serviceId: c.sid, callId: again.callId })).ok, true);
        assert.deepEqual(await endByCustomer, { serviceId: c.sid, callId: again.callId, reason: "hangup", by: "customer" });
        tab2.socket.close();
      } finally {
        c.close();
      }
    });

    test("the customer declines: the attendant hears it", async () => {
      const c = await taken(server);
      try {
        const incoming = next(c.sup.socket, "call:incoming");
        const started = await emitAck(c.dk.socket, "call:start", { serviceId: c.sid });
        assert.equal(started.ok, true);
        await incoming;
        expectError(await emitAck(c.sup.socket, "call:decline", { serviceId: c.sid, callId: "not-the-call" }), "call_not_found");
        const end = next(c.dk.socket, "call:end");
        const endC = next(c.sup.socket, "call:end");
        assert.equal((await emitAck(c.sup.socket, "call:decline", { serviceId: c.sid, callId: started.callId })).ok, true);
        assert.deepEqual(await end, { serviceId: c.sid, callId: started.callId, reason: "declined", by: "customer" });
        assert.equal((await endC).reason, "declined");
        // a declined call cannot be accepted any more
        expectError(await emitAck(c.sup.socket, "call:accept", { serviceId: c.sid, callId: started.callId }), "call_not_found");
      } finally {
        c.close();
      }
    });

    test("only the service's attendant may call, only open widget services, one call at a time", async () => {
      const c = await taken(server);
      const other = await staff(server);
      const dOther = await desk(server, other.token);
      const dAdmin = await desk(server, server.admin.token);
      const tab2 = await desk(server, c.att.token);
      try {
        expectError(await emitAck(dOther.socket, "call:start", { serviceId: c.sid }), "not_your_service");
        expectError(await emitAck(dAdmin.socket, "call:start", { serviceId: c.sid }), "not_your_service");
        expectError(await emitAck(c.dk.socket, "call:start", { serviceId: 999999 }), "service_not_found");
        expectError(await emitAck(c.dk.socket, "call:start", {}), "missing_field");
        expectError(await emitAck(c.dk.socket, "call:start", { serviceId: "1" }), "invalid_field");
        // a queued service has no attendant to call from
        const v2 = await visitor(server);
        const s2 = await support(server, v2.visitorToken);
        const opened = next(dOther.socket, "service:new");
        await emitAck(s2.socket, "message:send", { body: "queued" });
        const queued = (await opened).service.id;
        expectError(await emitAck(dOther.socket, "call:start", { serviceId: queued }), "not_your_service");
        s2.socket.close();
        // one call per service, and one per tab
        const started = await emitAck(c.dk.socket, "call:start", { serviceId: c.sid });
        assert.equal(started.ok, true, JSON.stringify(started));
        expectError(await emitAck(tab2.socket, "call:start", { serviceId: c.sid }), "call_in_progress");
        expectError(await emitAck(c.dk.socket, "call:start", { serviceId: c.sid }), "call_busy");
        // a tab that did not start it may not signal in it
        expectError(await emitAck(tab2.socket, "call:signal", { serviceId: c.sid, callId: started.callId, type: "end" }), "call_not_found");
        // the customer may not signal before accepting
        expectError(await emitAck(c.sup.socket, "call:signal", { serviceId: c.sid, callId: started.callId, type: "ice", data: null }), "call_not_found");
        expectError(await emitAck(c.sup.socket, "call:accept", { serviceId: c.sid, callId: "x".repeat(22) }), "call_not_found");
        // another customer may not answer this call
        const v3 = await visitor(server);
        const s3 = await support(server, v3.visitorToken);
        expectError(await emitAck(s3.socket, "call:accept", { serviceId: c.sid, callId: started.callId }), "call_not_found");
        s3.socket.close();
        assert.equal((await emitAck(c.dk.socket, "call:signal", { serviceId: c.sid, callId: started.callId, type: "end", reason: "no_answer" })).ok, true);
        // a finished service: no call
        const f = await api(server, "POST", `/v1/api/desk/services/${c.sid}/finish`, { token: c.att.token });
        assert.equal(f.status, 200, f.text);
        expectError(await emitAck(c.dk.socket, "call:start", { serviceId: c.sid }), "service_finished");
      } finally {
        c.close();
        for (const s of [dOther, dAdmin, tab2]) s.socket.close();
      }
    });

    test("a WhatsApp service has no in-app call", async () => {
      const att = await staff(server);
      const dk = await desk(server, att.token);
      try {
        const from = `4917${Math.floor(Math.random() * 1e9)}`;
        const r = await postWebhook(server, inbound({ from, type: "text", text: { body: "call me" } }));
        assert.equal(r.status, 200, r.text);
        const svc = await until(async () => {
          const l = await api(server, "GET", "/v1/api/desk/services?channel=whatsapp&status=open&limit=100", { token: att.token });
          return l.json.services.find((s) => s.customer.phone === `+${from}`);
        });
        assert.equal((await api(server, "POST", `/v1/api/desk/services/${svc.id}/take`, { token: att.token })).status, 200);
        const refused = await emitAck(dk.socket, "call:start", { serviceId: svc.id });
        expectError(refused, "call_unsupported");
        assert.match(refused.error.message, /whatsapp/);
      } finally {
        dk.socket.close();
      }
    });

    test("bad and oversized signals get an ack error, never a crash", async () => {
      const c = await taken(server);
      try {
        const callId = await ringAndAccept(c);
        const base = { serviceId: c.sid, callId };
        const bad = [
          [undefined, "invalid_body"],
          ["a string", "invalid_body"],
          [{ ...base, type: "offer", data: { type: "offer", sdp: "v=0\r\n" + "a".repeat(17000) } }, "payload_too_large"],
          [{ ...base, type: "ice", data: { ...CANDIDATE, candidate: "c".repeat(2000) } }, "payload_too_large"],
          [{ ...base, type: "offer", data: { type: "answer", sdp: SDP } }, "invalid_signal"],
          [{ ...base, type: "offer", data: { type: "offer", sdp: "not an sdp" } }, "invalid_signal"],
          [{ ...base, type: "offer", data: { type: "offer", sdp: SDP, extra: 1 } }, "invalid_signal"],
          [{ ...base, type: "offer", data: "v=0" }, "invalid_signal"],
          [{ ...base, type: "offer" }, "missing_field"],
          [{ ...base, type: "ice", data: { candidate: 5 } }, "invalid_signal"],
          [{ ...base, type: "ice", data: { ...CANDIDATE, sdpMLineIndex: -1 } }, "invalid_signal"],
          [{ ...base, type: "ice", data: { ...CANDIDATE, candidate: "a\u0000b" } }, "invalid_signal"],
          [{ ...base, type: "dance", data: null }, "invalid_field"],
          [{ ...base, type: "end", reason: "because" }, "invalid_field"],
          [{ ...base, type: "end", data: { x: 1 } }, "invalid_signal"],
          [{ ...base, type: "ice", data: null, reason: "hangup" }, "unknown_field"],
          [{ ...base, type: "ice", data: null, extra: true }, "unknown_field"],
          [{ serviceId: c.sid, type: "ice", data: null }, "missing_field"],
          [{ ...base, callId: "" }, "invalid_field"],
          [{ ...base, callId: "x".repeat(65), type: "end" }, "invalid_field"],
          [{ ...base, serviceId: -1, type: "end" }, "invalid_field"],
        ];
        for (const [arg, code] of bad) {
          expectError(await emitAck(c.dk.socket, "call:signal", arg), code);
          if (arg?.type !== "end") expectError(await emitAck(c.sup.socket, "call:signal", arg), code);
        }
        expectError(await emitAck(c.sup.socket, "call:end", { ...base, reason: "because" }), "invalid_field");
        expectError(await emitAck(c.sup.socket, "call:end", { ...base, data: null }), "unknown_field");
        // the customer may not send "end" as a signal (it has call:end), nor accept twice
        expectError(await emitAck(c.sup.socket, "call:signal", { ...base, type: "end" }), "invalid_field");
        expectError(await emitAck(c.sup.socket, "call:accept", base), "call_busy");
        expectError(await emitAck(c.sup.socket, "call:accept", { ...base, extra: 1 }), "unknown_field");
        // the call survived all that
        await exchange(c, callId);
      } finally {
        c.close();
      }
    });

    test("the call ends when either side disconnects, or the service is finished or transferred", async () => {
      // the customer's tab closes
      let c = await taken(server);
      try {
        const callId = await ringAndAccept(c);
        const end = next(c.dk.socket, "call:end");
        c.sup.socket.close();
        assert.deepEqual(await end, { serviceId: c.sid, callId, reason: "disconnected", by: "customer" });
      } finally {
        c.close();
      }
      // the attendant's tab closes, ringing or not
      c = await taken(server);
      try {
        const started = await emitAck(c.dk.socket, "call:start", { serviceId: c.sid });
        assert.equal(started.ok, true);
        const end = next(c.sup.socket, "call:end");
        c.dk.socket.close();
        assert.deepEqual(await end, { serviceId: c.sid, callId: started.callId, reason: "disconnected", by: "attendant" });
      } finally {
        c.close();
      }
      // finished
      c = await taken(server);
      try {
        const callId = await ringAndAccept(c);
        const endD = next(c.dk.socket, "call:end");
        const endC = next(c.sup.socket, "call:end");
        const f = await api(server, "POST", `/v1/api/desk/services/${c.sid}/finish`, { token: c.att.token });
        assert.equal(f.status, 200, f.text);
        for (const e of [await endD, await endC]) {
          assert.equal(e.reason, "service_finished");
          assert.equal(e.by, "server");
        }
        expectError(await emitAck(c.dk.socket, "call:signal", { serviceId: c.sid, callId, type: "end" }), "call_not_found");
      } finally {
        c.close();
      }
      // transferred
      c = await taken(server);
      const b = await staff(server);
      try {
        await ringAndAccept(c);
        const endD = next(c.dk.socket, "call:end");
        const endC = next(c.sup.socket, "call:end");
        const t = await api(server, "POST", `/v1/api/desk/services/${c.sid}/assign`, { token: c.att.token, body: { attendantId: b.id } });
        assert.equal(t.status, 200, t.text);
        for (const e of [await endD, await endC]) assert.equal(e.reason, "transferred");
        // the new attendant may call now; the old one may not
        const db = await desk(server, b.token);
        expectError(await emitAck(c.dk.socket, "call:start", { serviceId: c.sid }), "not_your_service");
        assert.equal((await emitAck(db.socket, "call:start", { serviceId: c.sid })).ok, true);
        db.socket.close();
      } finally {
        c.close();
      }
    });
  });
}

test("a bad --webrtc-ice-servers refuses to start, naming the option", async () => {
  const store = backends()[0].url();
  try {
    for (const bad of ["not json", '[{"urls":"http://example.org"}]', '[{"urls":"turn:t.example.org"}]']) {
      await assert.rejects(startDesk(backends()[0], ["--webrtc-ice-servers", bad], { ...store, cleanup: () => {} }), (e) => {
        assert.match(e.message, /--webrtc-ice-servers must be/);
        return true;
      });
    }
  } finally {
    store.cleanup();
  }
});

async function serviceOf(server, token, sid) {
  const r = await api(server, "GET", `/v1/api/desk/services/${sid}`, { token });
  assert.equal(r.status, 200, r.text);
  return r.json.service;
}

/** With --desk-idle-close 1 on every node: a quiet service (no call) is finished while the one in
 * a call stays open; after the hang-up it is finished for idleness too. */
async function callKeepsServiceOpen(caller, other = caller) {
  const c = await taken(caller, caller, other);
  const quiet = await taken(caller, caller, other);
  const admin = caller.admin.token; // one secret: valid on both nodes
  try {
    const callId = await ringAndAccept(c);
    await until(async () => (await serviceOf(caller, admin, quiet.sid)).status === "finished", T(6000));
    const ends = collect(c.dk.socket, "call:end");
    await sleep(T(2500)); // more than twice the idle time, no message in between
    const s = await serviceOf(caller, admin, c.sid);
    assert.equal(s.status, "open", `the service in a call was finished: ${JSON.stringify(s)}`);
    assert.equal(ends.length, 0, "the call goes on");
    assert.ok(Date.now() - s.lastActivityAt < T(2000), `last activity ${Date.now() - s.lastActivityAt} ms ago`);
    const end = next(c.sup.socket, "call:end");
    assert.equal((await emitAck(c.dk.socket, "call:signal", { serviceId: c.sid, callId, type: "end" })).ok, true);
    assert.equal((await end).reason, "hangup");
    const rating = next(c.sup.socket, "rating:request", () => true, T(6000));
    const hungUp = Date.now();
    assert.equal((await rating).reason, "idle");
    const done = await serviceOf(other, admin, c.sid);
    assert.equal(done.finishReason, "idle");
    assert.ok(done.finishedAt - done.lastActivityAt >= 1000, JSON.stringify(done));
    assert.ok(done.lastActivityAt >= hungUp - 1000, "the activity moved with the call, up to its end");
  } finally {
    c.close();
    quiet.close();
  }
}

describe("desk calls and the idle close", () => {
  for (const backend of backends()) {
    test(`a call keeps its service open; the idle time counts from its end (${backend.name})`, async () => {
      const server = await startDesk(backend, ["--desk-idle-close", "1"]);
      try {
        await callKeepsServiceOpen(server);
      } finally {
        await server.stop();
      }
    });
  }
  test("two nodes sweeping: the node without the call leaves it open (PostgreSQL + Redis)", { skip: pgBackend() && REDIS ? false : "SIOC_TEST_PG and SIOC_TEST_REDIS are not set" }, async () => {
    const extra = [...redisArgs(REDIS), "--desk-idle-close", "1"];
    const n1 = await startDesk(pgBackend(), extra);
    const n2 = await startNode(n1.dbUrl, extra);
    try {
      await callKeepsServiceOpen(n1, n2);
    } finally {
      await n2.stop();
      await n1.stop();
    }
  });
});

function pgBackend() {
  return backends().find((b) => b.name === "postgres");
}

/** A socket that reconnects (and so may be recovered), resolved once `first` arrives. */
function reconnecting(server, nsp, auth, first) {
  const socket = io(`${server.url}${nsp}`, { forceNew: true, transports: ["websocket"], auth, reconnectionDelay: 100, reconnectionDelayMax: 200 });
  return next(socket, first).then(() => socket);
}

describe("desk calls with connection state recovery", () => {
  let server;
  before(async () => {
    server = await startDesk(backends()[0], ["--recovery"]);
  });
  after(async () => {
    await server?.stop();
  });

  test("a socket recovered after a transport drop is out of its old call and may call or answer again", async () => {
    const att = await staff(server);
    const dk = { socket: await reconnecting(server, "/desk", { token: att.token }, "ready") };
    const v = await visitor(server);
    const sup = { socket: await reconnecting(server, "/support", { visitorToken: v.visitorToken }, "history") };
    try {
      const opened = next(dk.socket, "service:new");
      assert.equal((await emitAck(sup.socket, "message:send", { body: "hi" })).ok, true);
      const sid = (await opened).service.id;
      assert.equal((await api(server, "POST", `/v1/api/desk/services/${sid}/take`, { token: att.token })).status, 200);
      const c = { dk, sup, sid };
      // the customer's transport drops: the call ends; the recovered socket may accept a new one
      let callId = await ringAndAccept(c);
      let end = next(dk.socket, "call:end");
      let back = next(sup.socket, "connect");
      sup.socket.io.engine.close();
      assert.equal((await end).reason, "disconnected");
      await back;
      assert.equal(sup.socket.recovered, true, "the customer's socket was recovered");
      callId = await ringAndAccept(c);
      // the attendant's transport drops: the call ends; the recovered socket may call again
      end = next(sup.socket, "call:end", (e) => e.callId === callId);
      back = next(dk.socket, "connect");
      dk.socket.io.engine.close();
      assert.equal((await end).reason, "disconnected");
      await back;
      assert.equal(dk.socket.recovered, true, "the attendant's socket was recovered");
      await until(async () => {
        const again = await emitAck(dk.socket, "call:start", { serviceId: sid });
        return again.ok || again.error.code !== "call_in_progress" ? again : null;
      }).then((again) => assert.equal(again.ok, true, JSON.stringify(again)));
    } finally {
      dk.socket.close();
      sup.socket.close();
    }
  });
});

const pg = backends().find((b) => b.name === "postgres");
describe("desk calls across two nodes (PostgreSQL + Redis)", { skip: pg && REDIS ? false : "SIOC_TEST_PG and SIOC_TEST_REDIS are not set" }, () => {
  let n1, n2;
  before(async () => {
    const extra = [...redisArgs(REDIS), "--webrtc-ice-servers", '[{"urls":"stun:stun.example.org:3478"}]'];
    n1 = await startDesk(pg, extra);
    n2 = await startNode(n1.dbUrl, extra);
  });
  after(async () => {
    await n2?.stop();
    await n1?.stop();
  });

  test("the attendant on one node calls the customer on the other", async () => {
    const c = await taken(n1, n1, n2);
    try {
      const incoming = next(c.sup.socket, "call:incoming");
      const started = await emitAck(c.dk.socket, "call:start", { serviceId: c.sid });
      assert.equal(started.ok, true, JSON.stringify(started));
      assert.deepEqual(started.iceServers, [{ urls: "stun:stun.example.org:3478" }]);
      assert.deepEqual((await incoming).iceServers, started.iceServers);
      // the second node sees the call ringing on the first (one call per service)
      const tab2 = await desk(n2, c.att.token);
      expectError(await emitAck(tab2.socket, "call:start", { serviceId: c.sid }), "call_in_progress");
      tab2.socket.close();
      const accepted = next(c.dk.socket, "call:accepted");
      assert.equal((await emitAck(c.sup.socket, "call:accept", { serviceId: c.sid, callId: started.callId })).ok, true);
      await accepted;
      await exchange(c, started.callId);
      const end = next(c.sup.socket, "call:end");
      c.dk.socket.close();
      assert.equal((await end).reason, "disconnected");
    } finally {
      c.close();
    }
  });
});
