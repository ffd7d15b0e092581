// clock.test.ts - the server's time from answers' Date headers: a device clock that is right stays
// untouched (the header's whole seconds and the round trip explain small differences), one that is
// off is corrected in either direction, and answers that say nothing change nothing.
import { afterEach, describe, expect, it, vi } from "vitest";
import { noteServerDate, resetServerClock, serverNow, serverOffset } from "./clock";

const at = (iso: string) => Date.parse(iso);

describe("noteServerDate", () => {
  afterEach(() => {
    resetServerClock();
    vi.useRealTimers();
  });

  it("keeps a right clock at offset 0 (the header has whole seconds)", () => {
    const sent = at("2026-12-04T10:00:00.900Z");
    expect(noteServerDate("Fri, 04 Dec 2026 10:00:00 GMT", sent, sent + 80)).toBe(0);
    expect(noteServerDate("Fri, 04 Dec 2026 10:00:01 GMT", sent, sent + 80)).toBe(0);
  });

  it("corrects a device that is two hours ahead, or ten minutes behind", () => {
    const sent = at("2026-12-04T12:00:00.000Z");
    const ahead = noteServerDate("Fri, 04 Dec 2026 10:00:00 GMT", sent, sent + 100);
    expect(Math.abs(ahead + 2 * 3600_000)).toBeLessThanOrEqual(1000);
    vi.useFakeTimers();
    vi.setSystemTime(sent + 100);
    expect(Math.abs(serverNow() - at("2026-12-04T10:00:00.100Z"))).toBeLessThanOrEqual(1000);
    const behind = noteServerDate("Fri, 04 Dec 2026 12:10:00 GMT", sent, sent + 100);
    expect(Math.abs(behind - 10 * 60_000)).toBeLessThanOrEqual(1000);
    expect(serverOffset()).toBe(behind);
  });

  it("ignores answers without a date, with a bad one, or with a long or impossible round trip", () => {
    const sent = at("2026-12-04T12:00:00.000Z");
    noteServerDate("Fri, 04 Dec 2026 11:00:00 GMT", sent, sent + 50);
    const off = serverOffset();
    expect(off).not.toBe(0);
    for (const [d, rtt] of [[null, 50], [undefined, 50], ["yesterday-ish", 50], ["Fri, 04 Dec 2026 12:00:00 GMT", 9000], ["Fri, 04 Dec 2026 12:00:00 GMT", -5]] as const) {
      expect(noteServerDate(d, sent, sent + rtt)).toBe(off);
    }
    // a right answer puts it back
    expect(noteServerDate("Fri, 04 Dec 2026 12:00:00 GMT", sent + 100, sent + 150)).toBe(0);
  });
});
