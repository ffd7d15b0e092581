// callLogic.ts - the pure side of WebRTC audio calls (docs/desk.md "Calls"), tested in
// callLogic.test.ts: the call's phases and how events move it (a reducer, so the controller's
// state is one value React can read), which events belong to the current call, and the words a
// person sees (status, why it ended, microphone and server errors).
import type { CallEndEvent, CallEndReason } from "@/lib/types";

/** Who this page is in a call: the attendant calls, the customer answers. */
export type CallRole = "caller" | "callee";

export type CallPhase =
  | "idle"
  | "starting" // caller: opening the microphone, call:start in flight
  | "ringing" // caller: the customer's phone rings ("Calling…")
  | "incoming" // callee: the attendant calls ("Incoming call")
  | "connecting" // accepted: offer / answer / ICE under way
  | "connected" // RTCPeerConnection.connectionState === "connected"
  | "ended";

export interface CallView {
  phase: CallPhase;
  serviceId: number | null;
  callId: string | null;
  muted: boolean;
  /** ms: when the peers connected (the elapsed time counts from here) */
  connectedAt: number | null;
  /** ms: when it ended */
  endedAt: number | null;
  /** what ended it, in words (phase "ended") */
  endedText: string | null;
  /** a problem to show (microphone denied, the server refused, the peer unreachable) */
  error: string | null;
}

export const idleCall: CallView = { phase: "idle", serviceId: null, callId: null, muted: false, connectedAt: null, endedAt: null, endedText: null, error: null };

export type CallAction =
  | { type: "start"; serviceId: number }
  | { type: "ringing"; callId: string }
  | { type: "incoming"; serviceId: number; callId: string }
  | { type: "accepted" }
  | { type: "connected"; at: number }
  | { type: "muted"; muted: boolean }
  | { type: "ended"; at: number; text: string; error?: string | null }
  | { type: "failed"; error: string }
  | { type: "dismissed" };

/** True while a call holds the microphone or rings. */
export function isActive(v: CallView): boolean {
  return v.phase !== "idle" && v.phase !== "ended";
}

export function callReducer(v: CallView, a: CallAction): CallView {
  switch (a.type) {
    case "start":
      return isActive(v) ? v : { ...idleCall, phase: "starting", serviceId: a.serviceId };
    case "ringing":
      return v.phase === "starting" ? { ...v, phase: "ringing", callId: a.callId } : v;
    case "incoming":
      // a second call while one is on is refused by the server; a ringing one replaces an ended one
      return isActive(v) ? v : { ...idleCall, phase: "incoming", serviceId: a.serviceId, callId: a.callId };
    case "accepted":
      return v.phase === "ringing" || v.phase === "incoming" ? { ...v, phase: "connecting" } : v;
    case "connected":
      return v.phase === "connecting" ? { ...v, phase: "connected", connectedAt: a.at } : v;
    case "muted":
      return isActive(v) ? { ...v, muted: a.muted } : v;
    case "ended":
      if (!isActive(v)) return v;
      return { ...v, phase: "ended", endedAt: a.at, endedText: a.text, error: a.error ?? null, muted: false };
    case "failed":
      // before any call exists (microphone denied, call:start refused): back to idle, with the error
      return { ...idleCall, serviceId: v.serviceId, error: a.error };
    case "dismissed":
      return isActive(v) ? v : idleCall;
  }
}

/** Whether a server event names the current call: its id, or (callId null: whatever call the
 * service has, e.g. the service was finished) its service. */
export function isThisCall(v: CallView, e: { serviceId: number; callId: string | null }): boolean {
  if (!isActive(v)) return false;
  if (e.callId === null) return e.serviceId === v.serviceId;
  return e.callId === v.callId;
}

/** m:ss (h:mm:ss past an hour) of a duration in ms. */
export function elapsed(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${ss}` : `${m}:${ss}`;
}

const OTHER: Record<CallRole, string> = { caller: "The customer", callee: "The attendant" };

/** Why the call ended, as the person on `role`'s side reads it. */
export function endText(role: CallRole, e: Pick<CallEndEvent, "reason" | "by">, durationMs: number | null): string {
  const mine = (role === "caller" && e.by === "attendant") || (role === "callee" && e.by === "customer");
  const texts: Record<CallEndReason, string> = {
    hangup: mine ? "Call ended" : `${OTHER[role]} hung up`,
    declined: role === "caller" ? "The customer declined the call" : "Call declined",
    no_answer: role === "caller" ? "No answer" : "Missed call",
    failed: "The call could not connect",
    disconnected: mine ? "Call ended: the connection was lost" : `${OTHER[role]} lost the connection`,
    service_finished: "Call ended: the conversation was finished",
    transferred: "Call ended: the conversation was transferred",
  };
  const text = texts[e.reason] ?? "Call ended";
  return durationMs !== null ? `${text} · ${elapsed(durationMs)}` : text;
}

/** getUserMedia's refusals in words. */
export function micErrorText(e: unknown): string {
  const name = e instanceof Error || (typeof e === "object" && e !== null && "name" in e) ? String((e as { name: unknown }).name) : "";
  if (name === "NotAllowedError" || name === "SecurityError") return "Microphone access was denied. Allow the microphone for this site and try again.";
  if (name === "NotFoundError" || name === "OverconstrainedError") return "No microphone was found.";
  if (name === "NotReadableError") return "The microphone is in use by another program.";
  if (name === "NoMedia") return "This browser cannot make audio calls (it needs HTTPS and a microphone).";
  return "The microphone could not be opened.";
}

/** The server's refusals of call events (ack codes) in words. */
export function callErrorText(code: string): string {
  switch (code) {
    case "not_your_service":
      return "Only the service's attendant can call its customer.";
    case "call_in_progress":
      return "This conversation already has a call.";
    case "call_busy":
      return "You are in another call.";
    case "call_unsupported":
      return "This customer cannot be called from the desk.";
    case "service_finished":
      return "The conversation is finished.";
    case "call_not_found":
      return "The call is over.";
    case "call_answered":
      return "The call was answered on another device.";
    case "timeout":
    case "disconnected":
      return "No answer from the server. Check the connection.";
    default:
      return "The call could not be set up.";
  }
}

/** The peer connection gave up (no route between the browsers). */
export const PEER_UNREACHABLE = "The call could not connect: the other side cannot be reached.";
/** How long the caller lets it ring, and how long ICE may take once accepted. */
export const RING_TIMEOUT_MS = 45_000;
export const CONNECT_TIMEOUT_MS = 30_000;
