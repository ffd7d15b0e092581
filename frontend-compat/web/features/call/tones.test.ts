// tones.test.ts - which phase sounds how, and that a tone repeats on its cycle and stops for good
// (bursts in progress cut), against a fake WebAudio context.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { playTone, RING, RINGBACK, toneFor } from "./tones";

type FakeOsc = { freq: number; startedAt: number; stoppedAt: number | null; cut: boolean; onended: (() => void) | null };

function fakeContext() {
  const oscs: FakeOsc[] = [];
  const param = () => ({ value: 0, setValueAtTime: () => undefined, exponentialRampToValueAtTime: () => undefined });
  const ctx = {
    currentTime: 0,
    destination: {},
    createGain: () => ({ gain: param(), connect: (d: unknown) => d }),
    createOscillator: () => {
      const o: FakeOsc = { freq: 0, startedAt: -1, stoppedAt: null, cut: false, onended: null };
      oscs.push(o);
      const frequency = { set value(v: number) { o.freq = v; }, get value() { return o.freq; } };
      return {
        type: "sine",
        frequency,
        connect: (d: unknown) => d,
        start: (at: number) => { o.startedAt = at; },
        stop: (at?: number) => {
          if (at === undefined) {
            if (o.cut) throw new Error("InvalidStateError");
            o.cut = true;
          } else o.stoppedAt = at;
        },
        set onended(f: (() => void) | null) { o.onended = f; },
      };
    },
  };
  return { ctx: ctx as unknown as AudioContext, oscs };
}

describe("toneFor", () => {
  it("rings the callee, plays the ringback to the caller, and is silent otherwise", () => {
    expect(toneFor("incoming")).toBe(RING);
    expect(toneFor("ringing")).toBe(RINGBACK);
    for (const p of ["idle", "starting", "connecting", "connected", "ended"] as const) expect(toneFor(p)).toBeNull();
  });
});

describe("playTone", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("plays one cycle at once, another each period, and nothing after the stop", () => {
    const { ctx, oscs } = fakeContext();
    const stop = playTone(RING, () => ctx);
    // two bursts of two frequencies
    expect(oscs.map((o) => [o.freq, o.startedAt])).toEqual([[440, 0], [480, 0], [440, 0.6], [480, 0.6]]);
    expect(oscs.every((o) => o.stoppedAt !== null && o.stoppedAt > o.startedAt)).toBe(true);
    vi.advanceTimersByTime(RING.everyMs);
    expect(oscs).toHaveLength(8);
    // the first cycle's bursts ended meanwhile; the second's are cut by the stop
    oscs.slice(0, 4).forEach((o) => o.onended?.());
    stop();
    expect(oscs.slice(0, 4).some((o) => o.cut)).toBe(false);
    expect(oscs.slice(4).every((o) => o.cut)).toBe(true);
    vi.advanceTimersByTime(RING.everyMs * 3);
    expect(oscs).toHaveLength(8);
    expect(() => stop()).not.toThrow();
  });

  it("is silent where there is no audio", () => {
    const stop = playTone(RINGBACK, () => null);
    vi.advanceTimersByTime(RINGBACK.everyMs * 2);
    expect(() => stop()).not.toThrow();
  });
});
