// beep.ts - a short two-tone notification sound (lib/audio.ts): a customer wrote while the tab
// is hidden or another service is shown.
import { audioContext, tone } from "@/lib/audio";

export function beep() {
  const c = audioContext();
  if (!c) return; /* no audio: the title badge still tells */
  const t0 = c.currentTime;
  for (const [i, f] of [880, 1320].entries()) tone(c, f, t0 + i * 0.12, 0.1);
}
