// messagesApi.test.ts - the history merge rules, the outbox reducer, and the socket-to-cache
// glue: a fake socket emitter's `message:new` lands in the getMessages cache entry.
import { describe, expect, it, vi } from "vitest";
import { makeStore } from "@/lib/store";
import { setApiOrigin } from "@/lib/api";
import { installSocket, type ChatSocket } from "@/lib/socket";
import type { Message } from "@/lib/types";
import { mergeNewest, messagesApi, upsertMessage } from "./messagesApi";
import outbox, { delivered, failed, queued } from "./outboxSlice";

const msg = (seq: number, extra: Partial<Message> = {}): Message => ({
  id: seq, chatId: 1, seq, authorId: 2, body: `m${seq}`, createdAt: seq, deleted: false, ...extra,
});

function fakeSocket() {
  const handlers = new Map<string, Set<(e: unknown) => void>>();
  const s = {
    connected: true, active: true, recovered: false,
    on(ev: string, fn: (e: unknown) => void) { (handlers.get(ev) ?? handlers.set(ev, new Set()).get(ev)!).add(fn); },
    off(ev: string, fn?: (e: unknown) => void) { if (fn) handlers.get(ev)?.delete(fn); else handlers.delete(ev); },
    connect() {}, disconnect() {},
    timeout: () => ({ emitWithAck: vi.fn(async () => ({ ok: true })) }),
    fire(ev: string, e: unknown) { for (const fn of handlers.get(ev) ?? []) fn(e); },
  };
  return s;
}

describe("history", () => {
  it("upsert keeps seq order and replaces by id", () => {
    const l = [msg(1), msg(3)];
    upsertMessage(l, msg(2));
    upsertMessage(l, msg(3, { body: "edited" }));
    expect(l.map((m) => m.seq)).toEqual([1, 2, 3]);
    expect(l[2]!.body).toBe("edited");
  });
  it("merges a newest page by seq, restarting when there is a gap", () => {
    const cur = { messages: [msg(1), msg(2)], nextBefore: null };
    expect(mergeNewest(cur, { messages: [msg(2), msg(3)], nextBefore: 2 }).messages.map((m) => m.seq)).toEqual([1, 2, 3]);
    expect(mergeNewest(cur, { messages: [msg(9)], nextBefore: 9 }).messages.map((m) => m.seq)).toEqual([9]);
  });
});

describe("outbox", () => {
  it("queues once, fails with words, and is emptied on delivery", () => {
    let s = outbox(undefined, queued({ clientMsgId: "a", chatId: 1, body: "x", createdAt: 0 }));
    s = outbox(s, queued({ clientMsgId: "a", chatId: 1, body: "x", createdAt: 0 }));
    expect(s.items).toHaveLength(1);
    s = outbox(s, failed({ clientMsgId: "a", error: "nope" }));
    expect(s.items[0]!.status).toBe("failed");
    expect(outbox(s, delivered("a")).items).toHaveLength(0);
  });
});

describe("socket to cache", () => {
  it("writes message:new into the open chat's history and clears its outbox entry", async () => {
    setApiOrigin("http://app.test");
    vi.stubGlobal("fetch", vi.fn(async () => new Response(JSON.stringify({ messages: [msg(2), msg(1)], nextBefore: null }), { headers: { "content-type": "application/json" } })));
    const sock = fakeSocket();
    installSocket(sock as unknown as ChatSocket);
    const store = makeStore();
    store.dispatch(queued({ clientMsgId: "c1", chatId: 1, body: "m3", createdAt: 0 }));
    const sub = store.dispatch(messagesApi.endpoints.getMessages.initiate(1));
    await sub;
    await new Promise((r) => setTimeout(r, 0));
    sock.fire("message:new", msg(3, { clientMsgId: "c1" }));
    sock.fire("message:new", msg(5, { chatId: 2 }));
    const data = messagesApi.endpoints.getMessages.select(1)(store.getState()).data!;
    expect(data.messages.map((m) => m.seq)).toEqual([1, 2, 3]);
    expect(store.getState().outbox.items).toHaveLength(0);
    sub.unsubscribe();
  });
});
