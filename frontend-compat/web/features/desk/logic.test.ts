// logic.test.ts - the desk's pure functions and its slice: the inbox order and split, message
// order and states, unread counting (title badge and beep), durations, periods.
import { describe, expect, test } from "vitest";
import type { DeskMessage, Service } from "@/lib/types";
import reducer, { deskDelivered, deskFailed, deskQueued, deskRetried, messageArrived, pageShown, serviceSelected } from "./deskSlice";
import { applyStatus, applyStatusEvent, duration, inInbox, periodOf, sendErrorText, splitInbox, titleWithBadge, totalUnread, upsertDeskMessage, upsertService } from "./logic";

function svc(id: number, over: Partial<Service> = {}): Service {
  return {
    id, channel: "widget", status: "open", attendantId: null, customer: { id, name: `C${id}`, email: "" },
    createdAt: id * 1000, assignedAt: null, firstResponseAt: null, lastActivityAt: id * 1000, finishedAt: null,
    finishedBy: null, finishReason: null, rating: null, ratingComment: "", ratedAt: null, resolutionMs: null, lastSeq: 0, ...over,
  };
}
function msg(id: number, seq: number, over: Partial<DeskMessage> = {}): DeskMessage {
  return { id, serviceId: 1, seq, direction: "in", body: `m${id}`, clientMsgId: null, createdAt: id, state: "sent", ...over };
}

describe("inbox", () => {
  test("upsertService keeps the newest activity first and replaces by id", () => {
    const l: Service[] = [];
    upsertService(l, svc(1));
    upsertService(l, svc(2));
    upsertService(l, svc(1, { lastActivityAt: 5000 }));
    expect(l.map((s) => s.id)).toEqual([1, 2]);
    expect(l).toHaveLength(2);
  });
  test("upsertService keeps the list's lastMessage when an event's service has none", () => {
    const l: Service[] = [svc(1, { lastMessage: { body: "hello", direction: "in" } })];
    upsertService(l, svc(1, { lastActivityAt: 5000, attendantId: 7 }));
    expect(l[0]!.attendantId).toBe(7);
    expect(l[0]!.lastMessage).toEqual({ body: "hello", direction: "in" });
    upsertService(l, svc(1, { lastMessage: { body: "bye", direction: "out" } }));
    expect(l[0]!.lastMessage).toEqual({ body: "bye", direction: "out" });
  });
  test("splitInbox: queue oldest first, mine, others", () => {
    const l = [svc(3), svc(1), svc(2, { attendantId: 7 }), svc(4, { attendantId: 8 })];
    const p = splitInbox(l, 7);
    expect(p.queue.map((s) => s.id)).toEqual([1, 3]);
    expect(p.mine.map((s) => s.id)).toEqual([2]);
    expect(p.others.map((s) => s.id)).toEqual([4]);
  });
  test("inInbox: an attendant keeps the queue and their own; admins every open one", () => {
    expect(inInbox(svc(1), { id: 7, admin: false })).toBe(true);
    expect(inInbox(svc(1, { attendantId: 8 }), { id: 7, admin: false })).toBe(false);
    expect(inInbox(svc(1, { attendantId: 8 }), { id: 7, admin: true })).toBe(true);
    expect(inInbox(svc(1, { attendantId: 7, status: "finished" }), { id: 7, admin: true })).toBe(false);
  });
});

describe("messages", () => {
  test("upsertDeskMessage orders by seq and merges by id", () => {
    const l: DeskMessage[] = [];
    upsertDeskMessage(l, msg(3, 3));
    upsertDeskMessage(l, msg(1, 1));
    upsertDeskMessage(l, msg(2, 2));
    upsertDeskMessage(l, msg(2, 2, { state: "read" }));
    expect(l.map((m) => m.seq)).toEqual([1, 2, 3]);
    expect(l[1]!.state).toBe("read");
  });
  test("applyStatus moves states forward only, for one direction up to a seq", () => {
    const l = [msg(1, 1, { direction: "out" }), msg(2, 2, { direction: "out", state: "read" }), msg(3, 3, { direction: "in" }), msg(4, 4, { direction: "out" })];
    applyStatus(l, "out", 2, "delivered");
    expect(l.map((m) => m.state)).toEqual(["delivered", "read", "sent", "sent"]);
  });
  test("message:status failed marks the one message (by id, else seq) and nothing moves it on", () => {
    const l = [msg(1, 1, { direction: "out" }), msg(2, 2, { direction: "out" }), msg(3, 3, { direction: "out" })];
    applyStatusEvent(l, { serviceId: 1, direction: "out", state: "failed", messageId: 2, seq: 2, error: { code: "delivery_failed", message: "(#131026) x" } });
    expect(l.map((m) => m.state)).toEqual(["sent", "failed", "sent"]);
    applyStatusEvent(l, { serviceId: 1, direction: "out", state: "failed", messageId: 99, seq: 3, error: { code: "delivery_failed", message: "x" } });
    expect(l[2]!.state).toBe("failed");
    applyStatusEvent(l, { serviceId: 1, direction: "out", upToSeq: 3, state: "read" });
    expect(l.map((m) => m.state)).toEqual(["read", "failed", "failed"]);
  });
  test("an outside-window failure says what to do", () => {
    expect(sendErrorText("outside_window", "x")).toBe("Outside WhatsApp's 24-hour window: send a template");
    expect(sendErrorText("other", "fallback")).toBe("fallback");
  });
});

describe("desk slice", () => {
  const start = reducer(undefined, { type: "init" });
  test("a customer message counts as unread unless its service is shown in a visible tab", () => {
    let s = reducer(start, serviceSelected({ id: 1, hidden: false }));
    s = reducer(s, messageArrived({ message: msg(1, 1, { serviceId: 1 }), hidden: false }));
    expect(s.unread[1]).toBeUndefined();
    s = reducer(s, messageArrived({ message: msg(2, 1, { serviceId: 2 }), hidden: false }));
    s = reducer(s, messageArrived({ message: msg(3, 2, { serviceId: 1 }), hidden: true }));
    s = reducer(s, messageArrived({ message: msg(4, 3, { serviceId: 1, direction: "out" }), hidden: true }));
    expect(s.unread).toEqual({ 1: 1, 2: 1 });
    expect(totalUnread(s.unread)).toBe(2);
    expect(titleWithBadge("Desk", totalUnread(s.unread))).toBe("(2) Desk");
    s = reducer(s, pageShown());
    expect(s.unread).toEqual({ 2: 1 });
    s = reducer(s, serviceSelected({ id: 2, hidden: false }));
    expect(totalUnread(s.unread)).toBe(0);
    expect(titleWithBadge("Desk", 0)).toBe("Desk");
    expect(s.preview[1]?.body).toBe("m4");
  });
  test("outbox: queued once, failed, retried, delivered", () => {
    const item = { clientMsgId: "a", serviceId: 1, body: "hi", createdAt: 1 };
    let s = reducer(start, deskQueued(item));
    s = reducer(s, deskQueued(item));
    expect(s.outbox).toHaveLength(1);
    s = reducer(s, deskFailed({ clientMsgId: "a", error: "no" }));
    expect(s.outbox[0]).toMatchObject({ status: "failed", error: "no" });
    s = reducer(s, deskRetried("a"));
    expect(s.outbox[0]!.status).toBe("pending");
    expect(s.outbox[0]!.error).toBeUndefined();
    s = reducer(s, deskDelivered("a"));
    expect(s.outbox).toEqual([]);
  });
});

describe("formatting", () => {
  test("duration in words", () => {
    expect(duration(null)).toBe("—");
    expect(duration(45_000)).toBe("45 s");
    expect(duration(12 * 60_000)).toBe("12 min");
    expect(duration(3 * 3600_000 + 5 * 60_000)).toBe("3 h 5 min");
    expect(duration(2 * 86400_000 + 4 * 3600_000)).toBe("2 d 4 h");
  });
  test("periodOf: local midnights, the To day included", () => {
    const p = periodOf("2026-12-01", "2026-12-03")!;
    expect(p.to - p.from).toBe(3 * 86400_000);
    expect(new Date(p.from).getHours()).toBe(0);
    expect(periodOf("2026-12-04", "2026-12-03")).toBeNull();
    expect(periodOf("", "2026-12-03")).toBeNull();
  });
});
