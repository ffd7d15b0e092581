// supportState.ts - the widget's state as a pure reducer (tested in supportState.test.ts): the
// messages of the visitor's services (from `history`, then `message:new` and acks, by id), the
// visitor's unacknowledged messages (pending, or failed with Retry; kept in localStorage by the
// page so a reload loses nothing), the latest service, the attendant's typing and the rating
// request of a finished service.
import type { WidgetService } from "@/lib/types";

export interface WidgetMessage {
  id: number;
  serviceId: number;
  seq: number;
  direction: "in" | "out";
  body: string;
  clientMsgId: string | null;
  createdAt: number;
  state: string;
}

export interface PendingMessage {
  clientMsgId: string;
  body: string;
  createdAt: number;
  status: "pending" | "failed";
  error?: string;
}

export interface SupportState {
  connected: boolean;
  loaded: boolean;
  messages: WidgetMessage[];
  pending: PendingMessage[];
  service: WidgetService | null;
  attendantTyping: boolean;
  /** the finished service waiting for the visitor's stars */
  ratingFor: number | null;
  /** the visitor rated (or dismissed): the composer starts a new conversation */
  thanked: boolean;
}

export type SupportAction =
  | { type: "connected"; connected: boolean }
  | { type: "history"; messages: WidgetMessage[]; service: WidgetService | null }
  | { type: "message"; message: WidgetMessage }
  | { type: "queued"; item: PendingMessage }
  | { type: "failed"; clientMsgId: string; error: string }
  | { type: "retried"; clientMsgId: string }
  | { type: "typing"; typing: boolean }
  | { type: "ratingRequest"; serviceId: number }
  | { type: "rated"; service: WidgetService | null }
  | { type: "newConversation" };

export function initialSupport(pending: PendingMessage[] = []): SupportState {
  return { connected: false, loaded: false, messages: [], pending, service: null, attendantTyping: false, ratingFor: null, thanked: false };
}

function insert(list: WidgetMessage[], m: WidgetMessage): WidgetMessage[] {
  const i = list.findIndex((x) => x.id === m.id);
  if (i >= 0) {
    const out = list.slice();
    out[i] = { ...list[i]!, ...m };
    return out;
  }
  const out = [...list, m];
  out.sort((a, b) => a.id - b.id);
  return out;
}

export function supportReducer(s: SupportState, a: SupportAction): SupportState {
  switch (a.type) {
    case "connected":
      return { ...s, connected: a.connected };
    case "history": {
      let messages: WidgetMessage[] = [];
      for (const m of a.messages) messages = insert(messages, m);
      const have = new Set(messages.map((m) => m.clientMsgId));
      const svc = a.service;
      return {
        ...s,
        loaded: true,
        messages,
        pending: s.pending.filter((p) => !have.has(p.clientMsgId)),
        service: svc,
        ratingFor: svc && svc.status === "finished" && svc.ratingPending ? svc.id : null,
      };
    }
    case "message": {
      const m = a.message;
      const service =
        m.direction === "in" && (!s.service || s.service.id !== m.serviceId)
          ? { id: m.serviceId, status: "open" as const, createdAt: m.createdAt, finishedAt: null, rating: null, ratingPending: false }
          : s.service;
      return {
        ...s,
        messages: insert(s.messages, m),
        pending: s.pending.filter((p) => p.clientMsgId !== m.clientMsgId),
        attendantTyping: m.direction === "out" ? false : s.attendantTyping,
        service,
        // writing after the finish opens a new service: the old rating request is over
        ratingFor: m.direction === "in" && s.ratingFor !== null && m.serviceId !== s.ratingFor ? null : s.ratingFor,
        thanked: m.direction === "in" ? false : s.thanked,
      };
    }
    case "queued":
      return s.pending.some((p) => p.clientMsgId === a.item.clientMsgId) ? s : { ...s, pending: [...s.pending, a.item] };
    case "failed":
      return { ...s, pending: s.pending.map((p) => (p.clientMsgId === a.clientMsgId ? { ...p, status: "failed", error: a.error } : p)) };
    case "retried":
      return { ...s, pending: s.pending.map((p) => (p.clientMsgId === a.clientMsgId ? { clientMsgId: p.clientMsgId, body: p.body, createdAt: p.createdAt, status: "pending" } : p)) };
    case "typing":
      return { ...s, attendantTyping: a.typing };
    case "ratingRequest": {
      const service = s.service && s.service.id === a.serviceId ? { ...s.service, status: "finished" as const, ratingPending: true } : s.service;
      return { ...s, ratingFor: a.serviceId, service, attendantTyping: false, thanked: false };
    }
    case "rated":
      return { ...s, ratingFor: null, thanked: true, service: a.service ?? s.service };
    case "newConversation":
      return { ...s, ratingFor: null, thanked: false };
  }
}

/** Where a new service starts in the message list (a divider goes before it). */
export function serviceStarts(messages: WidgetMessage[]): Set<number> {
  const starts = new Set<number>();
  let last: number | null = null;
  for (const m of messages) {
    if (last !== null && m.serviceId !== last) starts.add(m.id);
    last = m.serviceId;
  }
  return starts;
}
