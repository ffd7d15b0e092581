// callController.ts - one page's WebRTC audio call (docs/desk.md "Calls"): the signalling over
// the page's socket (/desk for the attendant, the caller; /support for the customer, the callee),
// the microphone (getUserMedia({audio: true})) and the RTCPeerConnection, with their cleanup.
// The media go peer to peer; sioc only relays offer / answer / ICE. The state is a CallView
// (callLogic.ts) that components read with useSyncExternalStore(subscribe, getSnapshot); the
// remote audio plays through an Audio element of its own, so the call goes on when the
// component that started it is unmounted (the attendant opens another conversation).
//
// The caller opens the microphone first (a refusal is shown and nothing rings), then call:start;
// once the customer accepts (call:accepted) it makes the offer. The callee opens the
// microphone on Accept, then call:accept, and answers the offer. Either side ends it with
// call:signal {type: "end"} (caller) / call:end (callee); the server ends it on a disconnect, the
// service's finish or transfer, and tells both. It rings for RING_TIMEOUT_MS at most, and gives
// up when the peers have not connected CONNECT_TIMEOUT_MS after the answer.
import { AckFailure, emitAckOn } from "@/lib/socket";
import type { CallAcceptedEvent, CallEndEvent, CallIceServer, CallSignalEvent, CallSignalType, CallStarted } from "@/lib/types";
import { CONNECT_TIMEOUT_MS, PEER_UNREACHABLE, RING_TIMEOUT_MS, callErrorText, callReducer, endText, idleCall, isActive, isThisCall, micErrorText, type CallAction, type CallRole, type CallView } from "./callLogic";

/** What the controller needs of a socket.io-client socket. */
export interface CallSocket {
  readonly connected: boolean;
  on(event: string, fn: (p: never) => void): unknown;
  off(event: string, fn?: (...args: never[]) => void): unknown;
  timeout(ms: number): { emitWithAck(event: string, payload: unknown): Promise<unknown> };
}

type Description = { type: "offer" | "answer"; sdp: string };

function description(d: RTCSessionDescription | null): Description {
  if (!d || (d.type !== "offer" && d.type !== "answer")) throw new Error("no local description");
  return { type: d.type, sdp: d.sdp };
}

/** The RTCPeerConnection of a call and the element its remote audio plays in. */
class PeerLink {
  private readonly pc: RTCPeerConnection;
  private readonly audio: HTMLAudioElement;
  private queued: (RTCIceCandidateInit | null)[] = [];

  constructor(iceServers: CallIceServer[], local: MediaStream, onIce: (c: RTCIceCandidateInit | null) => void, onState: (s: RTCPeerConnectionState) => void) {
    this.pc = new RTCPeerConnection({ iceServers });
    for (const t of local.getTracks()) this.pc.addTrack(t, local);
    this.audio = new Audio();
    this.audio.autoplay = true;
    this.pc.onicecandidate = (e) =>
      onIce(e.candidate ? { candidate: e.candidate.candidate, sdpMid: e.candidate.sdpMid, sdpMLineIndex: e.candidate.sdpMLineIndex, usernameFragment: e.candidate.usernameFragment } : null);
    this.pc.onconnectionstatechange = () => onState(this.pc.connectionState);
    this.pc.ontrack = (e) => {
      this.audio.srcObject = e.streams[0] ?? new MediaStream([e.track]);
      void this.audio.play().catch(() => undefined); // autoplay may wait for a gesture: the call still connects
    };
  }

  async offer(): Promise<Description> {
    await this.pc.setLocalDescription(await this.pc.createOffer());
    return description(this.pc.localDescription);
  }

  async answer(offer: Description): Promise<Description> {
    await this.pc.setRemoteDescription(offer);
    await this.flush();
    await this.pc.setLocalDescription(await this.pc.createAnswer());
    return description(this.pc.localDescription);
  }

  async answered(answer: Description) {
    await this.pc.setRemoteDescription(answer);
    await this.flush();
  }

  /** Candidates that arrive before the remote description wait for it. */
  async addIce(c: RTCIceCandidateInit | null) {
    if (!this.pc.remoteDescription) {
      this.queued.push(c);
      return;
    }
    if (c && c.candidate) await this.pc.addIceCandidate(c);
  }

  private async flush() {
    const q = this.queued;
    this.queued = [];
    for (const c of q) if (c && c.candidate) await this.pc.addIceCandidate(c);
  }

  close() {
    this.pc.onicecandidate = null;
    this.pc.onconnectionstatechange = null;
    this.pc.ontrack = null;
    this.pc.close();
    this.audio.pause();
    this.audio.srcObject = null;
  }
}

export class CallController {
  private view: CallView = idleCall;
  private readonly listeners = new Set<() => void>();
  private sock: CallSocket | null = null;
  private peer: PeerLink | null = null;
  private local: MediaStream | null = null;
  private iceServers: CallIceServer[] = [];
  private accepting: string | null = null; // the call id this tab is accepting
  private timer: ReturnType<typeof setTimeout> | null = null;

  constructor(readonly role: CallRole) {}

  readonly subscribe = (fn: () => void) => {
    this.listeners.add(fn);
    return () => {
      this.listeners.delete(fn);
    };
  };

  readonly getSnapshot = () => this.view;

  private dispatch(a: CallAction) {
    const next = callReducer(this.view, a);
    if (next === this.view) return;
    this.view = next;
    for (const fn of this.listeners) fn();
  }

  /** Listens on `sock` (the page's /desk or /support socket); returns the detach function. */
  attach(sock: CallSocket): () => void {
    this.sock = sock;
    const handlers: [string, (p: never) => void][] = [
      ["call:signal", (e: CallSignalEvent) => void this.onSignal(e)],
      ["call:end", (e: CallEndEvent) => this.onEnd(e)],
      ["disconnect", () => this.finish("Call ended: the connection to the server was lost")],
    ];
    if (this.role === "caller") handlers.push(["call:accepted", (e: CallAcceptedEvent) => void this.onAccepted(e)]);
    else {
      handlers.push(["call:incoming", (e: CallStarted) => this.onIncoming(e)]);
      handlers.push(["call:answered", (e: CallAcceptedEvent) => this.onAnswered(e)]);
    }
    for (const [ev, fn] of handlers) sock.on(ev, fn);
    return () => {
      for (const [ev, fn] of handlers) sock.off(ev, fn as (...args: never[]) => void);
      if (this.sock === sock) {
        this.finish("Call ended");
        this.sock = null;
      }
    };
  }

  // ---- the attendant ----

  /** Opens the microphone and rings the customer of `serviceId`. */
  async start(serviceId: number) {
    if (isActive(this.view)) return;
    this.dispatch({ type: "start", serviceId });
    try {
      this.local = await openMic();
    } catch (e) {
      this.dispatch({ type: "failed", error: micErrorText(e) });
      return;
    }
    if (this.view.phase !== "starting") return this.teardown(); // hung up while the browser asked
    let ack: CallStarted;
    try {
      ack = await this.emit<CallStarted>("call:start", { serviceId });
    } catch (e) {
      this.teardown();
      this.dispatch({ type: "failed", error: callErrorText(e instanceof AckFailure ? e.code : "") });
      return;
    }
    if (this.view.phase !== "starting") {
      // hung up while call:start was in flight
      void this.emit("call:signal", { serviceId, callId: ack.callId, type: "end" }).catch(() => undefined);
      return;
    }
    this.iceServers = ack.iceServers;
    this.dispatch({ type: "ringing", callId: ack.callId });
    this.arm(RING_TIMEOUT_MS, () => this.hangUp("no_answer"));
  }

  private async onAccepted(e: CallAcceptedEvent) {
    if (!isThisCall(this.view, e) || this.view.phase !== "ringing") return;
    this.dispatch({ type: "accepted" });
    this.link();
    try {
      const offer = await this.peer!.offer();
      this.signal("offer", offer);
    } catch {
      this.hangUp("failed", PEER_UNREACHABLE);
    }
  }

  // ---- the customer ----

  private onIncoming(e: CallStarted) {
    if (isActive(this.view)) return;
    this.iceServers = e.iceServers;
    this.dispatch({ type: "incoming", serviceId: e.serviceId, callId: e.callId });
  }

  /** Another tab or device of the customer answered: this one stops ringing. */
  private onAnswered(e: CallAcceptedEvent) {
    if (this.view.phase === "incoming" && isThisCall(this.view, e) && this.accepting !== e.callId) this.dispatch({ type: "ended", at: Date.now(), text: "Answered on another device" });
  }

  /** Opens the microphone and answers. */
  async accept() {
    const { serviceId, callId, phase } = this.view;
    if (phase !== "incoming" || serviceId === null || callId === null) return;
    this.accepting = callId;
    try {
      this.local = await openMic();
    } catch (e) {
      this.accepting = null;
      void this.emit("call:decline", { serviceId, callId }).catch(() => undefined);
      this.dispatch({ type: "failed", error: micErrorText(e) });
      return;
    }
    try {
      await this.emit("call:accept", { serviceId, callId });
    } catch (e) {
      this.accepting = null;
      this.teardown();
      this.dispatch({ type: "failed", error: callErrorText(e instanceof AckFailure ? e.code : "") });
      return;
    }
    this.accepting = null;
    if (this.view.phase !== "incoming" || this.view.callId !== callId) {
      this.teardown(); // ended while the accept was in flight
      return;
    }
    this.dispatch({ type: "accepted" });
    this.link(); // the offer follows
  }

  decline() {
    const { serviceId, callId, phase } = this.view;
    if (phase !== "incoming") return;
    void this.emit("call:decline", { serviceId, callId }).catch(() => undefined);
    this.dispatch({ type: "ended", at: Date.now(), text: "Call declined" });
  }

  // ---- both ----

  /** Ends the call from this side. */
  hangUp(reason: "hangup" | "no_answer" | "failed" = "hangup", error: string | null = null) {
    const { serviceId, callId, phase } = this.view;
    if (!isActive(this.view)) return;
    if (this.role === "callee" && phase === "incoming") return this.decline();
    if (callId !== null) {
      const payload = reason === "hangup" ? { serviceId, callId } : { serviceId, callId, reason };
      if (this.role === "caller") void this.emit("call:signal", { ...payload, type: "end" }).catch(() => undefined);
      else void this.emit("call:end", payload).catch(() => undefined);
    }
    const text = reason === "no_answer" ? "No answer" : reason === "failed" ? "The call could not connect" : "Call ended";
    this.finish(this.withDuration(text), error);
  }

  setMuted(muted: boolean) {
    for (const t of this.local?.getAudioTracks() ?? []) t.enabled = !muted;
    this.dispatch({ type: "muted", muted });
  }

  /** Forgets an ended call's text (the page shows the idle state again). */
  dismiss() {
    this.dispatch({ type: "dismissed" });
  }

  private onEnd(e: CallEndEvent) {
    if (!isThisCall(this.view, e)) return;
    this.finish(endText(this.role, e, this.duration()), e.reason === "failed" ? PEER_UNREACHABLE : null);
  }

  private async onSignal(e: CallSignalEvent) {
    if (!isThisCall(this.view, e) || e.callId !== this.view.callId || !this.peer) return;
    const peer = this.peer;
    try {
      if (e.type === "offer" && this.role === "callee" && e.data && "sdp" in e.data) this.signal("answer", await peer.answer(e.data));
      else if (e.type === "answer" && this.role === "caller" && e.data && "sdp" in e.data) await peer.answered(e.data);
      else if (e.type === "ice") await peer.addIce(e.data && "candidate" in e.data ? e.data : null);
    } catch {
      if (this.peer === peer) this.hangUp("failed", PEER_UNREACHABLE);
    }
  }

  private link() {
    this.clearTimer();
    this.peer = new PeerLink(
      this.iceServers,
      this.local!,
      (c) => this.signal("ice", c),
      (s) => {
        if (s === "connected") {
          this.clearTimer();
          this.dispatch({ type: "connected", at: Date.now() });
        } else if (s === "failed") {
          this.hangUp("failed", PEER_UNREACHABLE);
        }
      },
    );
    this.arm(CONNECT_TIMEOUT_MS, () => {
      if (this.view.phase === "connecting") this.hangUp("failed", PEER_UNREACHABLE);
    });
  }

  private signal(type: CallSignalType, data: unknown) {
    const { serviceId, callId } = this.view;
    void this.emit("call:signal", { serviceId, callId, type, data }).catch(() => undefined);
  }

  private emit<R>(event: string, payload: unknown): Promise<R> {
    if (!this.sock) return Promise.reject(new AckFailure("disconnected", "not connected"));
    return emitAckOn<R>(this.sock, event, payload);
  }

  private duration(): number | null {
    return this.view.connectedAt !== null ? Date.now() - this.view.connectedAt : null;
  }

  private withDuration(text: string): string {
    const d = this.duration();
    return d !== null ? endText(this.role, { reason: "hangup", by: this.role === "caller" ? "attendant" : "customer" }, d) : text;
  }

  private finish(text: string, error: string | null = null) {
    if (!isActive(this.view)) return;
    this.teardown();
    this.dispatch({ type: "ended", at: Date.now(), text, error });
  }

  private arm(ms: number, fn: () => void) {
    this.clearTimer();
    this.timer = setTimeout(fn, ms);
  }

  private clearTimer() {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private teardown() {
    this.clearTimer();
    this.peer?.close();
    this.peer = null;
    for (const t of this.local?.getTracks() ?? []) t.stop();
    this.local = null;
  }
}

async function openMic(): Promise<MediaStream> {
  if (typeof navigator === "undefined" || !navigator.mediaDevices?.getUserMedia || typeof RTCPeerConnection === "undefined") {
    throw Object.assign(new Error("no media"), { name: "NoMedia" });
  }
  return navigator.mediaDevices.getUserMedia({ audio: true });
}
