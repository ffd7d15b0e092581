// tones.ts - what a call sounds like while nobody has answered: the customer's page rings
// (incoming: two short bursts of 440 + 480 Hz every 3 s), the attendant hears the ringback
// (ringing: 425 Hz, 1 s on, 4 s off), both made with WebAudio (lib/audio.ts). A tone stops with
// its phase: answered, declined, ended or cancelled.
import { useEffect } from "react";
import { audioContext, tone } from "@/lib/audio";
import type { CallView } from "./callLogic";

export type TonePattern = {
  /** the bursts of one cycle: start offset and length (s), each with its frequencies (Hz) */
  bursts: { at: number; dur: number; freqs: number[] }[];
  /** one cycle's length (ms) */
  everyMs: number;
};

export const RING: TonePattern = {
  bursts: [
    { at: 0, dur: 0.4, freqs: [440, 480] },
    { at: 0.6, dur: 0.4, freqs: [440, 480] },
  ],
  everyMs: 3000,
};

export const RINGBACK: TonePattern = { bursts: [{ at: 0, dur: 1, freqs: [425] }], everyMs: 5000 };

/** The tone of a call's phase for one side, or null (silence). */
export function toneFor(phase: CallView["phase"]): TonePattern | null {
  if (phase === "incoming") return RING;
  if (phase === "ringing") return RINGBACK;
  return null;
}

/** Plays `p` until the returned function is called (which also cuts a burst in progress). */
export function playTone(p: TonePattern, ac: () => AudioContext | null = audioContext): () => void {
  const c = ac();
  if (!c) return () => {};
  const live = new Set<OscillatorNode>();
  const cycle = () => {
    const t0 = c.currentTime;
    for (const b of p.bursts) {
      for (const f of b.freqs) {
        const osc = tone(c, f, t0 + b.at, b.dur, 0.08);
        live.add(osc);
        osc.onended = () => live.delete(osc);
      }
    }
  };
  cycle();
  const timer = setInterval(cycle, p.everyMs);
  return () => {
    clearInterval(timer);
    for (const osc of live) {
      try {
        osc.stop();
      } catch {
        /* already stopped */
      }
    }
    live.clear();
  };
}

/** Rings or plays the ringback while the call is in a phase that has a tone. */
export function useCallTone(phase: CallView["phase"]) {
  const pattern = toneFor(phase);
  useEffect(() => (pattern ? playTone(pattern) : undefined), [pattern]);
}
