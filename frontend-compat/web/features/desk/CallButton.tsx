"use client";
// CallButton.tsx - the audio call of the conversation header on /desk (docs/desk.md "Calls"):
// `Start audio call` on an open web-widget service the attendant holds; while it rings
// "Calling…" with `Hang up` and the ringback tone, then the call panel (elapsed time, `Mute` / `Unmute`, `Hang up`).
// Why a call ended and what went wrong (microphone denied, the server refused, the peer
// unreachable) are shown in words. The call belongs to the page (one controller on the desk's
// socket), not to this header: opening another conversation keeps it, and its panel then names
// the conversation it is with.
import { useEffect } from "react";
import type { Service } from "@/lib/types";
import { CallController, type CallSocket } from "@/features/call/callController";
import { isActive } from "@/features/call/callLogic";
import CallPanel, { useCall } from "@/features/call/CallPanel";
import { useCallTone } from "@/features/call/tones";
import { getDeskSocket } from "./deskSocket";
import styles from "@/features/call/Call.module.css";

const deskCall = new CallController("caller");
let attachedTo: unknown = null;

/** Listens on the current /desk socket (a new one after a logout and login). */
function useDeskCall() {
  useEffect(() => {
    const s = getDeskSocket();
    if (attachedTo !== s) {
      attachedTo = s;
      deskCall.attach(s as unknown as CallSocket);
    }
  }, []);
  return useCall(deskCall);
}

export default function CallButton({ service, meId }: { service: Service; meId: number }) {
  const view = useDeskCall();
  useCallTone(view.phase);
  const callable = service.channel === "widget" && service.status === "open" && service.attendantId === meId;
  const here = view.serviceId === service.id;
  if (isActive(view)) {
    return (
      <div className={styles.wrap}>
        <CallPanel call={deskCall} view={view} label={here ? "Call" : `Call with conversation #${view.serviceId}`} />
      </div>
    );
  }
  if (!callable && !(here && (view.error || view.endedText))) return null;
  return (
    <div className={styles.wrap}>
      {callable ? (
        <button type="button" className={styles.start} onClick={() => void deskCall.start(service.id)}>
          Start audio call
        </button>
      ) : null}
      {here && view.error ? <p role="alert" className={styles.error}>{view.error}</p> : null}
      {here && !view.error && view.endedText ? <p role="status" className={styles.note}>{view.endedText}</p> : null}
    </div>
  );
}
