"use client";
// CallPanel.tsx - the controls of a call in progress, the same on /desk and /support: the state
// in words ("Calling…", "Connecting…", "Connected") in a live region, the elapsed time once
// connected (ticking each second), `Mute` / `Unmute` and `Hang up`. Dumb: the controller owns
// the call; `useCall` reads its state.
import { useEffect, useState, useSyncExternalStore } from "react";
import type { CallController } from "./callController";
import { elapsed, type CallView } from "./callLogic";
import styles from "./Call.module.css";

/** The controller's state, re-rendered on every change. */
export function useCall(call: CallController): CallView {
  return useSyncExternalStore(call.subscribe, call.getSnapshot, call.getSnapshot);
}

const STATUS: Partial<Record<CallView["phase"], string>> = {
  starting: "Calling…",
  ringing: "Calling…",
  connecting: "Connecting…",
  connected: "Connected",
};

export default function CallPanel({ call, view, label }: { call: CallController; view: CallView; label: string }) {
  const [now, setNow] = useState(() => Date.now());
  const connectedAt = view.connectedAt;
  useEffect(() => {
    if (connectedAt === null) return;
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, [connectedAt]);
  return (
    <section className={styles.panel} data-phase={view.phase} aria-label={label}>
      <span className={styles.status} role="status">{STATUS[view.phase] ?? ""}</span>
      {connectedAt !== null ? (
        <time className={styles.timer} aria-label="Elapsed time" dateTime={`PT${Math.max(0, Math.floor((now - connectedAt) / 1000))}S`}>
          {elapsed(now - connectedAt)}
        </time>
      ) : null}
      <span className={styles.buttons}>
        {view.phase === "connecting" || view.phase === "connected" ? (
          <button type="button" className={styles.button} onClick={() => call.setMuted(!view.muted)}>
            {view.muted ? "Unmute" : "Mute"}
          </button>
        ) : null}
        <button type="button" className={styles.hangup} onClick={() => call.hangUp()}>Hang up</button>
      </span>
    </section>
  );
}
