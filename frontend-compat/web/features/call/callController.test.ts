// callController.test.ts - the call controller's signalling against a fake socket and fake
// WebRTC globals (node has none): what it emits and when, how it drives the peer connection
// (offer after the accept, answer to the offer, early ICE candidates held until the remote
// description), and its cleanup (tracks stopped, connection closed) on every way out.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { CallController, type CallSocket } from "./callController";

type Handler = (p: unknown) => void;

class FakeSocket implements CallSocket {
  connected = true;
  handlers = new Map<string, Set<Handler>>();
  emitted: { event: string; payload: Record<string, unknown> }[] = [];
  answers: Record<string, unknown> = {};
  on(event: string, fn: (p: never) => void) {
    if (!this.handlers.has(event)) this.handlers.set(event, new Set());
    this.handlers.get(event)!.add(fn as Handler);
  }
  off(event: string, fn?: (...args: never[]) => void) {
    this.handlers.get(event)?.delete(fn as unknown as Handler);
  }
  timeout() {
    return {
      emitWithAck: async (event: string, payload: unknown) => {
        this.emitted.push({ event, payload: payload as Record<string, unknown> });
        return this.answers[event] ?? { ok: true };
      },
    };
  }
  fire(event: string, payload: unknown) {
    for (const fn of this.handlers.get(event) ?? []) fn(payload);
  }
  sent(event: string) {
    return this.emitted.filter((e) => e.event === event).map((e) => e.payload);
  }
}

class FakeTrack {
  enabled = true;
  stopped = false;
  stop() {
    this.stopped = true;
  }
}

class FakeStream {
  tracks = [new FakeTrack()];
  getTracks() {
    return this.tracks;
  }
  getAudioTracks() {
    return this.tracks;
  }
}

class FakePC {
  static last: FakePC | null = null;
  localDescription: { type: string; sdp: string } | null = null;
  remoteDescription: { type: string; sdp: string } | null = null;
  connectionState = "new";
  added: unknown[] = [];
  closed = false;
  onicecandidate: ((e: { candidate: unknown }) => void) | null = null;
  onconnectionstatechange: (() => void) | null = null;
  ontrack: ((e: unknown) => void) | null = null;
  constructor(readonly config: unknown) {
    FakePC.last = this;
  }
  addTrack() {}
  async createOffer() {
    return { type: "offer", sdp: "v=0\r\noffer" };
  }
  async createAnswer() {
    return { type: "answer", sdp: "v=0\r\nanswer" };
  }
  async setLocalDescription(d: { type: string; sdp: string }) {
    this.localDescription = d;
  }
  async setRemoteDescription(d: { type: string; sdp: string }) {
    this.remoteDescription = d;
  }
  async addIceCandidate(c: unknown) {
    this.added.push(c);
  }
  close() {
    this.closed = true;
  }
  state(s: string) {
    this.connectionState = s;
    this.onconnectionstatechange?.();
  }
}

let mic: FakeStream;
let getUserMedia: ReturnType<typeof vi.fn>;
const flush = () => new Promise((r) => setTimeout(r, 0));

beforeEach(() => {
  mic = new FakeStream();
  getUserMedia = vi.fn(async () => mic);
  vi.stubGlobal("navigator", { mediaDevices: { getUserMedia } });
  vi.stubGlobal("RTCPeerConnection", FakePC);
  vi.stubGlobal("MediaStream", FakeStream);
  vi.stubGlobal(
    "Audio",
    class {
      autoplay = false;
      srcObject: unknown = null;
      pause() {}
      play() {
        return Promise.resolve();
      }
    },
  );
  FakePC.last = null;
});

afterEach(() => {
  vi.unstubAllGlobals();
});

const CANDIDATE = { candidate: "candidate:1 1 udp 1 192.0.2.2 5000 typ host", sdpMid: "0", sdpMLineIndex: 0, usernameFragment: "u" };

describe("the attendant's side", () => {
  it("rings, offers once accepted, applies the answer and early ICE, connects, hangs up and cleans up", async () => {
    const s = new FakeSocket();
    s.answers["call:start"] = { ok: true, serviceId: 5, callId: "c1", iceServers: [{ urls: "stun:s" }] };
    const call = new CallController("caller");
    call.attach(s);
    await call.start(5);
    expect(getUserMedia).toHaveBeenCalledWith({ audio: true });
    expect(s.sent("call:start")).toEqual([{ serviceId: 5 }]);
    expect(call.getSnapshot()).toMatchObject({ phase: "ringing", callId: "c1" });
    // another call's events are ignored
    s.fire("call:accepted", { serviceId: 5, callId: "other" });
    expect(call.getSnapshot().phase).toBe("ringing");
    s.fire("call:accepted", { serviceId: 5, callId: "c1" });
    await flush();
    const pc = FakePC.last!;
    expect(pc.config).toEqual({ iceServers: [{ urls: "stun:s" }] });
    expect(s.sent("call:signal")).toEqual([{ serviceId: 5, callId: "c1", type: "offer", data: { type: "offer", sdp: "v=0\r\noffer" } }]);
    // a candidate before the answer waits for it
    s.fire("call:signal", { serviceId: 5, callId: "c1", type: "ice", data: CANDIDATE });
    await flush();
    expect(pc.added).toEqual([]);
    s.fire("call:signal", { serviceId: 5, callId: "c1", type: "answer", data: { type: "answer", sdp: "v=0\r\nanswer" } });
    await flush();
    expect(pc.remoteDescription).toEqual({ type: "answer", sdp: "v=0\r\nanswer" });
    expect(pc.added).toEqual([CANDIDATE]);
    // our candidates go out; the end of them too
    pc.onicecandidate!({ candidate: { ...CANDIDATE, toJSON: () => ({}) } });
    pc.onicecandidate!({ candidate: null });
    await flush();
    expect(s.sent("call:signal").slice(1).map((p) => p.data)).toEqual([CANDIDATE, null]);
    pc.state("connected");
    expect(call.getSnapshot().phase).toBe("connected");
    call.setMuted(true);
    expect(mic.tracks[0]!.enabled).toBe(false);
    expect(call.getSnapshot().muted).toBe(true);
    call.hangUp();
    await flush();
    expect(s.sent("call:signal").at(-1)).toEqual({ serviceId: 5, callId: "c1", type: "end" });
    expect(call.getSnapshot()).toMatchObject({ phase: "ended", endedText: "Call ended · 0:00" });
    expect(pc.closed).toBe(true);
    expect(mic.tracks[0]!.stopped).toBe(true);
  });

  it("a refused microphone rings nobody", async () => {
    getUserMedia.mockRejectedValueOnce(Object.assign(new Error("denied"), { name: "NotAllowedError" }));
    const s = new FakeSocket();
    const call = new CallController("caller");
    call.attach(s);
    await call.start(5);
    expect(s.emitted).toEqual([]);
    expect(call.getSnapshot()).toMatchObject({ phase: "idle", error: expect.stringMatching(/denied/) });
  });

  it("a refused call:start releases the microphone and says why", async () => {
    const s = new FakeSocket();
    s.answers["call:start"] = { ok: false, error: { code: "not_your_service", message: "no" } };
    const call = new CallController("caller");
    call.attach(s);
    await call.start(5);
    expect(mic.tracks[0]!.stopped).toBe(true);
    expect(call.getSnapshot()).toMatchObject({ phase: "idle", error: "Only the service's attendant can call its customer." });
  });

  it("the server's end (a finished service) and a lost socket end the call", async () => {
    const s = new FakeSocket();
    s.answers["call:start"] = { ok: true, serviceId: 5, callId: "c1", iceServers: [] };
    const call = new CallController("caller");
    call.attach(s);
    await call.start(5);
    s.fire("call:end", { serviceId: 5, callId: null, reason: "service_finished", by: "server" });
    expect(call.getSnapshot()).toMatchObject({ phase: "ended", endedText: "Call ended: the conversation was finished" });
    expect(mic.tracks[0]!.stopped).toBe(true);
    mic = new FakeStream();
    getUserMedia.mockResolvedValue(mic);
    await call.start(5);
    expect(call.getSnapshot().phase).toBe("ringing");
    s.fire("disconnect", undefined);
    expect(call.getSnapshot()).toMatchObject({ phase: "ended", endedText: "Call ended: the connection to the server was lost" });
  });
});

describe("the customer's side", () => {
  it("accepts, answers the offer, and hears the attendant hang up", async () => {
    const s = new FakeSocket();
    const call = new CallController("callee");
    const detach = call.attach(s);
    s.fire("call:incoming", { serviceId: 8, callId: "k", iceServers: [] });
    expect(call.getSnapshot()).toMatchObject({ phase: "incoming", serviceId: 8, callId: "k" });
    expect(getUserMedia).not.toHaveBeenCalled();
    const accepting = call.accept();
    // the server tells the customer's other tabs; this tab must not stop ringing for it
    s.fire("call:answered", { serviceId: 8, callId: "k" });
    await accepting;
    expect(s.sent("call:accept")).toEqual([{ serviceId: 8, callId: "k" }]);
    expect(call.getSnapshot().phase).toBe("connecting");
    s.fire("call:signal", { serviceId: 8, callId: "k", type: "offer", data: { type: "offer", sdp: "v=0\r\noffer" } });
    await flush();
    expect(s.sent("call:signal")).toEqual([{ serviceId: 8, callId: "k", type: "answer", data: { type: "answer", sdp: "v=0\r\nanswer" } }]);
    FakePC.last!.state("connected");
    s.fire("call:end", { serviceId: 8, callId: "k", reason: "hangup", by: "attendant" });
    expect(call.getSnapshot()).toMatchObject({ phase: "ended", endedText: "The attendant hung up · 0:00" });
    expect(FakePC.last!.closed).toBe(true);
    call.dismiss();
    expect(call.getSnapshot().phase).toBe("idle");
    detach();
    expect([...s.handlers.values()].every((h) => h.size === 0)).toBe(true);
  });

  it("stops ringing when another tab answers, declines, and turns a refused microphone into a decline", async () => {
    const s = new FakeSocket();
    const call = new CallController("callee");
    call.attach(s);
    s.fire("call:incoming", { serviceId: 8, callId: "a", iceServers: [] });
    s.fire("call:answered", { serviceId: 8, callId: "a" });
    expect(call.getSnapshot()).toMatchObject({ phase: "ended", endedText: "Answered on another device" });
    s.fire("call:incoming", { serviceId: 8, callId: "b", iceServers: [] });
    call.decline();
    expect(s.sent("call:decline")).toEqual([{ serviceId: 8, callId: "b" }]);
    expect(call.getSnapshot().endedText).toBe("Call declined");
    s.fire("call:incoming", { serviceId: 8, callId: "c", iceServers: [] });
    getUserMedia.mockRejectedValueOnce(Object.assign(new Error("denied"), { name: "NotAllowedError" }));
    await call.accept();
    expect(s.sent("call:decline").at(-1)).toEqual({ serviceId: 8, callId: "c" });
    expect(s.sent("call:accept")).toEqual([]);
    expect(call.getSnapshot()).toMatchObject({ phase: "idle", error: expect.stringMatching(/denied/) });
  });
});
