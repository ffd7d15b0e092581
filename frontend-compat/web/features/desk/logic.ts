// logic.ts - the desk's pure functions (tested in logic.test.ts): keeping a service list and a
// message list in order as events arrive, splitting the inbox into Queue / My services / others,
// the page title badge, durations and message states in words.
import { serverNow } from "@/lib/clock";
import type { DeskMessage, DeskMessageState, DeskStatusEvent, Service } from "@/lib/types";

/** Inserts or replaces `s` (by id) in a newest-activity-first list. An event's service has no
 * lastMessage: the one the list had is kept. */
export function upsertService(list: Service[], s: Service) {
  const i = list.findIndex((x) => x.id === s.id);
  if (i >= 0) {
    const old = list[i]!;
    if (!s.lastMessage && old.lastMessage) s = { ...s, lastMessage: old.lastMessage };
    list.splice(i, 1);
  }
  let at = 0;
  while (at < list.length && list[at]!.lastActivityAt > s.lastActivityAt) at++;
  list.splice(at, 0, s);
}

export function removeService(list: Service[], id: number) {
  const i = list.findIndex((x) => x.id === id);
  if (i >= 0) list.splice(i, 1);
}

/** Whether an open service belongs in the inbox of `me` (admins see every open service). */
export function inInbox(s: Service, me: { id: number; admin: boolean }): boolean {
  return s.status === "open" && (me.admin || s.attendantId === null || s.attendantId === me.id);
}

export interface InboxParts {
  queue: Service[];
  mine: Service[];
  others: Service[];
}

/** The queue (unassigned, oldest waiting first), my services and (admins) the others' ones. */
export function splitInbox(list: Service[], meId: number): InboxParts {
  const queue = list.filter((s) => s.attendantId === null).sort((a, b) => a.createdAt - b.createdAt);
  const mine = list.filter((s) => s.attendantId === meId);
  const others = list.filter((s) => s.attendantId !== null && s.attendantId !== meId);
  return { queue, mine, others };
}

/** Inserts or replaces `m` (by id) keeping seq order: the chat's own upsert. */
export { upsertMessage as upsertDeskMessage } from "@/features/messages/messagesApi";

const STATE_ORDER: Record<DeskMessageState, number> = { failed: -1, sent: 0, delivered: 1, read: 2 };

/** message:status: messages of `direction` up to `upToSeq` reach `state` (never going back; a
 * failed message stays failed, as in the store). */
export function applyStatus(list: DeskMessage[], direction: "in" | "out", upToSeq: number, state: DeskMessageState) {
  for (const m of list) {
    if (m.direction === direction && m.seq <= upToSeq && m.state !== "failed" && STATE_ORDER[state] > STATE_ORDER[m.state]) m.state = state;
  }
}

/** A whole message:status event: states up to a seq, or the one message a channel failed to
 * deliver (by id, else by seq). */
export function applyStatusEvent(list: DeskMessage[], e: DeskStatusEvent) {
  if (e.state !== "failed") return applyStatus(list, e.direction, e.upToSeq, e.state);
  const m = list.find((x) => x.id === e.messageId) ?? list.find((x) => x.direction === "out" && x.seq === e.seq);
  if (m) m.state = "failed";
}

/** "(3) Desk — sioc" when there are unread customer messages. */
export function titleWithBadge(base: string, unread: number): string {
  return unread > 0 ? `(${unread}) ${base}` : base;
}

export function totalUnread(unread: Record<number, number>): number {
  return Object.values(unread).reduce((a, b) => a + b, 0);
}

/** A duration in words a person reads at a glance: "45 s", "12 min", "3 h 5 min", "2 d 4 h". */
export function duration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return "—";
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min`;
  const h = Math.floor(m / 60);
  if (h < 24) return m % 60 ? `${h} h ${m % 60} min` : `${h} h`;
  const d = Math.floor(h / 24);
  return h % 24 ? `${d} d ${h % 24} h` : `${d} d`;
}

/** A time of a message: "10:42" today, else a short date and time. */
export function clock(at: number, now = serverNow()): string {
  const d = new Date(at);
  const today = new Date(now).toDateString() === d.toDateString();
  return today
    ? d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" })
    : d.toLocaleString([], { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" });
}

export function stateText(s: DeskMessageState): string {
  return { sent: "Sent", delivered: "Delivered", read: "Read", failed: "Not delivered" }[s];
}

/** What a failed desk send says (the WhatsApp window is a rule a person has to act on). */
export function sendErrorText(code: string | undefined, fallback: string): string {
  if (code === "outside_window") return "Outside WhatsApp's 24-hour window: send a template";
  if (code === "service_finished") return "This service is finished.";
  if (code === "not_your_service") return "This service is no longer yours.";
  return fallback;
}

/** [from, to) of a date-input pair ("2026-12-01", "2026-12-03"): local midnights, `to` inclusive. */
export function periodOf(fromDate: string, toDate: string): { from: number; to: number } | null {
  const f = new Date(`${fromDate}T00:00:00`);
  const t = new Date(`${toDate}T00:00:00`);
  if (Number.isNaN(f.getTime()) || Number.isNaN(t.getTime())) return null;
  t.setDate(t.getDate() + 1);
  return f < t ? { from: f.getTime(), to: t.getTime() } : null;
}

/** "YYYY-MM-DD" of a local date, for <input type="date">. */
export function dateInput(d: Date): string {
  const p = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
}
