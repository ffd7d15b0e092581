// rows.ts - what the Messages list draws, derived from the cached history and the outbox: one row
// per message in seq order, then the pending ones; a row starts an author group (name and time
// shown) when the author changes, five minutes passed or the day changed, and carries the day's
// label on the first row of a day. Also "Seen by": each member's read position placed on the
// newest message it covers. Pure functions, unit-tested.
import type { Attachment, Message } from "@/lib/types";
import type { OutboxItem } from "./outboxSlice";

export interface Row {
  key: string;
  authorId: number;
  body: string;
  at: number;
  /** the files it carries (stored or still in the outbox) */
  attachments?: Attachment[];
  /** the stored message; absent for one still in the outbox */
  message?: Message;
  pending?: "sending" | "failed";
  error?: string;
  /** first of an author group: show the name and time */
  first: boolean;
  /** label of the day this row opens ("Today", "Yesterday", a date), else "" */
  day: string;
}

const GROUP_GAP_MS = 5 * 60 * 1000;

function dayKey(t: number) {
  const d = new Date(t);
  return `${d.getFullYear()}-${d.getMonth()}-${d.getDate()}`;
}

/** "Today", "Yesterday" or the date in the person's locale, relative to `now`. */
export function dayLabel(t: number, now = Date.now()): string {
  if (dayKey(t) === dayKey(now)) return "Today";
  if (dayKey(t) === dayKey(now - 86_400_000)) return "Yesterday";
  const d = new Date(t);
  const sameYear = d.getFullYear() === new Date(now).getFullYear();
  return d.toLocaleDateString([], { weekday: "long", month: "long", day: "numeric", ...(sameYear ? {} : { year: "numeric" }) });
}

export function buildRows(messages: Message[], pending: OutboxItem[], meId: number, now = Date.now()): Row[] {
  const rows: Row[] = [];
  const push = (r: Omit<Row, "first" | "day">) => {
    const prev = rows[rows.length - 1];
    const newDay = !prev || dayKey(prev.at) !== dayKey(r.at);
    const first = newDay || prev!.authorId !== r.authorId || r.at - prev!.at > GROUP_GAP_MS || !!prev!.message?.deleted;
    rows.push({ ...r, first, day: newDay ? dayLabel(r.at, now) : "" });
  };
  for (const m of messages)
    push({ key: `m${m.id}`, authorId: m.authorId, body: m.body, at: m.createdAt, message: m, attachments: m.deleted ? undefined : m.attachments });
  for (const o of pending) {
    push({
      key: o.clientMsgId,
      authorId: meId,
      body: o.body,
      at: o.createdAt,
      attachments: o.attachments,
      pending: o.status === "failed" ? "failed" : "sending",
      error: o.error,
    });
  }
  return rows;
}

/** For each message id, the members (other than `meId`) whose read position it is the newest
 * message within, counting only messages by someone else (a reader has always seen their own).
 * `reads` maps user id to last read seq. */
export function seenByMessage(messages: Message[], reads: Record<number, number>, meId: number): Map<number, number[]> {
  const out = new Map<number, number[]>();
  for (const [uid, seq] of Object.entries(reads)) {
    const id = Number(uid);
    if (id === meId || !seq) continue;
    let at = -1;
    for (let i = messages.length - 1; i >= 0; i--) {
      if (messages[i]!.seq <= seq && messages[i]!.authorId !== id) {
        at = i;
        break;
      }
    }
    if (at < 0) continue;
    const mid = messages[at]!.id;
    out.set(mid, [...(out.get(mid) ?? []), id]);
  }
  return out;
}
