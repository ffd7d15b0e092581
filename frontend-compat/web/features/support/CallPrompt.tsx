"use client";
// CallPrompt.tsx - the customer's side of an audio call on /support (docs/desk.md "Calls"): when
// the attendant calls, the `Incoming call` alert dialog with `Accept` and `Decline`, and the page
// rings (features/call/tones.ts); once
// accepted the call panel (state, elapsed time, `Mute` / `Unmute`, `Hang up`); afterwards why it
// ended, or what went wrong (microphone denied, the peer unreachable), with `Close`.
import type { CallController } from "@/features/call/callController";
import CallPanel, { useCall } from "@/features/call/CallPanel";
import { useCallTone } from "@/features/call/tones";
import styles from "@/features/call/Call.module.css";

export default function CallPrompt({ call }: { call: CallController }) {
  const view = useCall(call);
  useCallTone(view.phase);
  if (view.phase === "incoming") {
    return (
      <div className={`${styles.incoming} ${styles.ringing}`} role="alertdialog" aria-labelledby="call-incoming" aria-describedby="call-incoming-text">
        <div>
          <h2 id="call-incoming">Incoming call</h2>
          <p id="call-incoming-text">Support is calling you (audio only).</p>
        </div>
        <span className={styles.buttons}>
          <button type="button" className={styles.button} onClick={() => call.decline()}>Decline</button>
          <button type="button" className={styles.accept} onClick={() => void call.accept()}>Accept</button>
        </span>
      </div>
    );
  }
  if (view.phase === "connecting" || view.phase === "connected") {
    return (
      <div className={styles.customer}>
        <CallPanel call={call} view={view} label="Call" />
      </div>
    );
  }
  if (view.error || view.endedText) {
    return (
      <div className={`${styles.panel} ${styles.customer}`}>
        {view.error ? <p role="alert" className={styles.error}>{view.error}</p> : null}
        {view.endedText ? <p role="status" className={styles.note}>{view.endedText}</p> : null}
        <span className={styles.buttons}>
          <button type="button" className={styles.button} onClick={() => call.dismiss()}>Close</button>
        </span>
      </div>
    );
  }
  return null;
}
