// rows.test.ts - the Messages list's rows: author groups, day labels, pending rows after the
// stored ones, and where each member's "Seen by" lands.
import { describe, expect, it } from "vitest";
import type { Message } from "@/lib/types";
import { buildRows, dayLabel, seenByMessage } from "./rows";

const NOW = new Date(2026, 11, 3, 15, 0).getTime();
const MIN = 60_000;
function msg(id: number, seq: number, authorId: number, at: number, extra: Partial<Message> = {}): Message {
  return { id, chatId: 1, seq, authorId, body: `m${id}`, createdAt: at, deleted: false, ...extra };
}

describe("buildRows", () => {
  it("groups consecutive messages of one author and opens a group on a new author, a gap or a deletion", () => {
    const rows = buildRows(
      [
        msg(1, 1, 7, NOW - 30 * MIN),
        msg(2, 2, 7, NOW - 29 * MIN),
        msg(3, 3, 8, NOW - 28 * MIN),
        msg(4, 4, 8, NOW - 10 * MIN),
        msg(5, 5, 8, NOW - 9 * MIN, { deleted: true, body: "" }),
        msg(6, 6, 8, NOW - 8 * MIN),
      ],
      [],
      7,
      NOW,
    );
    expect(rows.map((r) => r.first)).toEqual([true, false, true, true, false, true]);
    expect(rows.map((r) => r.day)).toEqual(["Today", "", "", "", "", ""]);
  });

  it("labels each new day and puts pending messages last, as the person's own", () => {
    const yesterday = NOW - 24 * 60 * MIN;
    const rows = buildRows(
      [msg(1, 1, 8, yesterday), msg(2, 2, 8, NOW - MIN)],
      [
        { clientMsgId: "a", chatId: 1, body: "hi", createdAt: NOW, status: "pending" },
        { clientMsgId: "b", chatId: 1, body: "no", createdAt: NOW, status: "failed", error: "too long" },
      ],
      7,
      NOW,
    );
    expect(rows.map((r) => r.day)).toEqual(["Yesterday", "Today", "", ""]);
    expect(rows.map((r) => [r.key, r.authorId, r.pending])).toEqual([
      ["m1", 8, undefined],
      ["m2", 8, undefined],
      ["a", 7, "sending"],
      ["b", 7, "failed"],
    ]);
    expect(rows[2]!.first).toBe(true);
    expect(rows[3]!.first).toBe(false);
    expect(rows[3]!.error).toBe("too long");
  });
});

describe("dayLabel", () => {
  it("names today and yesterday, and dates older days", () => {
    expect(dayLabel(NOW - MIN, NOW)).toBe("Today");
    expect(dayLabel(NOW - 20 * 60 * MIN, NOW)).toBe("Yesterday");
    const old = dayLabel(new Date(2026, 0, 5).getTime(), NOW);
    expect(old).not.toMatch(/Today|Yesterday/);
    expect(old).toMatch(/5/);
    expect(dayLabel(new Date(2024, 0, 5).getTime(), NOW)).toMatch(/2024/);
  });
});

describe("seenByMessage", () => {
  const list = [msg(10, 1, 7, NOW), msg(11, 2, 8, NOW), msg(12, 4, 7, NOW)];
  it("puts each reader on the newest message their position covers, never the person themself", () => {
    const seen = seenByMessage(list, { 7: 4, 8: 2, 9: 3, 5: 0 }, 7);
    expect([...seen.entries()].sort()).toEqual([[10, [8]], [11, [9]]]);
  });
  it("skips a reader's own messages: they have seen those", () => {
    const seen = seenByMessage(list, { 8: 4 }, 7);
    expect([...seen.entries()]).toEqual([[12, [8]]]);
    expect(seenByMessage([msg(11, 2, 8, NOW)], { 8: 2 }, 7).size).toBe(0);
  });
  it("ignores readers behind the loaded history", () => {
    const seen = seenByMessage(list.slice(1), { 9: 1 }, 7);
    expect(seen.size).toBe(0);
  });
});
