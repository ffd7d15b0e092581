// callLogic.test.ts - the call's phases (callReducer), which events belong to the call, and the
// words shown for endings and errors.
import { describe, expect, it } from "vitest";
import { callErrorText, callReducer, elapsed, endText, idleCall, isActive, isThisCall, micErrorText, type CallAction, type CallView } from "./callLogic";

const run = (actions: CallAction[], from: CallView = idleCall) => actions.reduce(callReducer, from);

describe("callReducer", () => {
  it("walks the caller through starting, ringing, connecting, connected, ended", () => {
    let v = run([{ type: "start", serviceId: 4 }]);
    expect(v).toMatchObject({ phase: "starting", serviceId: 4, callId: null });
    v = run([{ type: "ringing", callId: "c1" }, { type: "accepted" }], v);
    expect(v).toMatchObject({ phase: "connecting", callId: "c1" });
    v = run([{ type: "connected", at: 1000 }, { type: "muted", muted: true }], v);
    expect(v).toMatchObject({ phase: "connected", connectedAt: 1000, muted: true });
    expect(isActive(v)).toBe(true);
    v = run([{ type: "ended", at: 5000, text: "Call ended · 0:04" }], v);
    expect(v).toMatchObject({ phase: "ended", endedAt: 5000, endedText: "Call ended · 0:04", muted: false, serviceId: 4 });
    expect(isActive(v)).toBe(false);
    expect(run([{ type: "dismissed" }], v)).toEqual(idleCall);
  });

  it("walks the callee from incoming to connected", () => {
    const v = run([{ type: "incoming", serviceId: 2, callId: "x" }, { type: "accepted" }, { type: "connected", at: 7 }]);
    expect(v).toMatchObject({ phase: "connected", serviceId: 2, callId: "x", connectedAt: 7 });
  });

  it("ignores what does not fit the phase", () => {
    const ringing = run([{ type: "start", serviceId: 1 }, { type: "ringing", callId: "a" }]);
    expect(run([{ type: "start", serviceId: 9 }], ringing)).toBe(ringing); // one call at a time
    expect(run([{ type: "incoming", serviceId: 9, callId: "b" }], ringing)).toBe(ringing);
    expect(run([{ type: "connected", at: 1 }], ringing)).toBe(ringing); // not before the answer
    expect(run([{ type: "ringing", callId: "z" }], idleCall)).toBe(idleCall);
    expect(run([{ type: "muted", muted: true }], idleCall)).toBe(idleCall);
    expect(run([{ type: "ended", at: 1, text: "x" }], idleCall)).toBe(idleCall);
    expect(run([{ type: "dismissed" }], ringing)).toBe(ringing);
  });

  it("a failure before the call exists goes back to idle with the error", () => {
    const v = run([{ type: "start", serviceId: 3 }, { type: "failed", error: "Microphone access was denied." }]);
    expect(v).toMatchObject({ phase: "idle", serviceId: 3, error: "Microphone access was denied." });
    expect(run([{ type: "start", serviceId: 3 }], v)).toMatchObject({ phase: "starting", error: null });
  });

  it("a new incoming call replaces an ended one", () => {
    const ended = run([{ type: "incoming", serviceId: 2, callId: "x" }, { type: "ended", at: 1, text: "Call declined" }]);
    expect(run([{ type: "incoming", serviceId: 2, callId: "y" }], ended)).toMatchObject({ phase: "incoming", callId: "y", endedText: null });
  });
});

describe("isThisCall", () => {
  const v = run([{ type: "incoming", serviceId: 2, callId: "x" }]);
  it("matches by call id, or by service when the server names no call", () => {
    expect(isThisCall(v, { serviceId: 2, callId: "x" })).toBe(true);
    expect(isThisCall(v, { serviceId: 2, callId: "other" })).toBe(false);
    expect(isThisCall(v, { serviceId: 2, callId: null })).toBe(true);
    expect(isThisCall(v, { serviceId: 3, callId: null })).toBe(false);
    expect(isThisCall(idleCall, { serviceId: 2, callId: null })).toBe(false);
  });
});

describe("words", () => {
  it("formats the elapsed time", () => {
    expect(elapsed(0)).toBe("0:00");
    expect(elapsed(65_400)).toBe("1:05");
    expect(elapsed(3_725_000)).toBe("1:02:05");
    expect(elapsed(-5)).toBe("0:00");
  });

  it("says why a call ended, from each side", () => {
    expect(endText("caller", { reason: "hangup", by: "attendant" }, 5000)).toBe("Call ended · 0:05");
    expect(endText("callee", { reason: "hangup", by: "attendant" }, 5000)).toBe("The attendant hung up · 0:05");
    expect(endText("caller", { reason: "hangup", by: "customer" }, null)).toBe("The customer hung up");
    expect(endText("caller", { reason: "declined", by: "customer" }, null)).toBe("The customer declined the call");
    expect(endText("callee", { reason: "no_answer", by: "attendant" }, null)).toBe("Missed call");
    expect(endText("caller", { reason: "disconnected", by: "customer" }, null)).toBe("The customer lost the connection");
    expect(endText("callee", { reason: "service_finished", by: "server" }, 61_000)).toBe("Call ended: the conversation was finished · 1:01");
    expect(endText("caller", { reason: "transferred", by: "server" }, null)).toBe("Call ended: the conversation was transferred");
  });

  it("puts microphone and server refusals in words", () => {
    expect(micErrorText(Object.assign(new Error("x"), { name: "NotAllowedError" }))).toMatch(/denied/);
    expect(micErrorText({ name: "NotFoundError" })).toBe("No microphone was found.");
    expect(micErrorText("weird")).toBe("The microphone could not be opened.");
    expect(callErrorText("not_your_service")).toMatch(/attendant/);
    expect(callErrorText("call_unsupported")).toMatch(/cannot be called/);
    expect(callErrorText("timeout")).toMatch(/No answer from the server/);
    expect(callErrorText("???")).toBe("The call could not be set up.");
  });
});
