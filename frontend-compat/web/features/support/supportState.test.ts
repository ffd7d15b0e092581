// supportState.test.ts - the widget's reducer: history after a reload, pending sends and their
// acks, failures and retry, the rating request and a new conversation after the finish.
import { describe, expect, test } from "vitest";
import { initialSupport, serviceStarts, supportReducer as r, type WidgetMessage } from "./supportState";
import { servicesQuery } from "@/features/admin/adminApi";

function m(id: number, over: Partial<WidgetMessage> = {}): WidgetMessage {
  return { id, serviceId: 1, seq: id, direction: "in", body: `b${id}`, clientMsgId: `c${id}`, createdAt: id, state: "sent", ...over };
}

describe("support widget state", () => {
  test("history restores the messages and drops pending ones the server already has", () => {
    let s = initialSupport([{ clientMsgId: "c2", body: "b2", createdAt: 2, status: "pending" }, { clientMsgId: "x", body: "new", createdAt: 3, status: "pending" }]);
    s = r(s, { type: "history", messages: [m(2), m(1)], service: { id: 1, status: "open", createdAt: 1, finishedAt: null, rating: null, ratingPending: false } });
    expect(s.loaded).toBe(true);
    expect(s.messages.map((x) => x.id)).toEqual([1, 2]);
    expect(s.pending.map((p) => p.clientMsgId)).toEqual(["x"]);
    expect(s.ratingFor).toBeNull();
  });
  test("a finished, unrated service in the history asks for the rating again", () => {
    const s = r(initialSupport(), { type: "history", messages: [m(1)], service: { id: 1, status: "finished", createdAt: 1, finishedAt: 2, rating: null, ratingPending: true } });
    expect(s.ratingFor).toBe(1);
  });
  test("send: pending until the message comes back (ack or broadcast, once)", () => {
    let s = r(initialSupport(), { type: "queued", item: { clientMsgId: "c5", body: "b5", createdAt: 5, status: "pending" } });
    s = r(s, { type: "failed", clientMsgId: "c5", error: "It could not be sent." });
    expect(s.pending[0]!.status).toBe("failed");
    s = r(s, { type: "retried", clientMsgId: "c5" });
    expect(s.pending[0]).toEqual({ clientMsgId: "c5", body: "b5", createdAt: 5, status: "pending" });
    s = r(s, { type: "message", message: m(5) });
    s = r(s, { type: "message", message: m(5) });
    expect(s.pending).toEqual([]);
    expect(s.messages).toHaveLength(1);
    expect(s.service?.id).toBe(1);
  });
  test("an answer stops the typing line; the rating request, the rating, a new conversation", () => {
    let s = r(initialSupport(), { type: "message", message: m(1) });
    s = r(s, { type: "typing", typing: true });
    s = r(s, { type: "message", message: m(2, { direction: "out", clientMsgId: null }) });
    expect(s.attendantTyping).toBe(false);
    s = r(s, { type: "ratingRequest", serviceId: 1 });
    expect(s.ratingFor).toBe(1);
    expect(s.service?.status).toBe("finished");
    s = r(s, { type: "rated", service: null });
    expect(s.ratingFor).toBeNull();
    expect(s.thanked).toBe(true);
    s = r(s, { type: "message", message: m(3, { serviceId: 2 }) });
    expect(s.thanked).toBe(false);
    expect(s.service).toMatchObject({ id: 2, status: "open" });
    expect([...serviceStarts(s.messages)]).toEqual([3]);
  });
});

describe("admin service filters", () => {
  test("servicesQuery leaves empty filters out", () => {
    expect(servicesQuery({ status: "", attendantId: "", channel: "" })).toBe("limit=20");
    expect(servicesQuery({ status: "finished", attendantId: "none", from: 5, cursor: 9 }, 10)).toBe("status=finished&attendantId=none&from=5&cursor=9&limit=10");
  });
});
