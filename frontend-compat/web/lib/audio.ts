// audio.ts - the page's one WebAudio context and a sine tone on it: the desk's beep and the
// call's ring tones are made here (no audio files). Browsers allow sound once the page has had a
// user gesture; before that the context stays suspended and the tones are silently skipped.
let ctx: AudioContext | null = null;

/** The shared context (resumed), or null where WebAudio is missing or refused. */
export function audioContext(): AudioContext | null {
  try {
    const AC = window.AudioContext ?? (window as unknown as { webkitAudioContext?: typeof AudioContext }).webkitAudioContext;
    if (!AC) return null;
    ctx ??= new AC();
    if (ctx.state === "suspended") void ctx.resume();
    return ctx;
  } catch {
    return null;
  }
}

/** A sine tone of `freq` Hz from `at` (context time) for `dur` seconds, faded in and out. */
export function tone(c: AudioContext, freq: number, at: number, dur: number, peak = 0.15): OscillatorNode {
  const osc = c.createOscillator();
  const gain = c.createGain();
  osc.type = "sine";
  osc.frequency.value = freq;
  gain.gain.setValueAtTime(0.0001, at);
  gain.gain.exponentialRampToValueAtTime(peak, at + 0.01);
  gain.gain.setValueAtTime(peak, Math.max(at + 0.01, at + dur - 0.01));
  gain.gain.exponentialRampToValueAtTime(0.0001, at + dur);
  osc.connect(gain).connect(c.destination);
  osc.start(at);
  osc.stop(at + dur + 0.01);
  return osc;
}
