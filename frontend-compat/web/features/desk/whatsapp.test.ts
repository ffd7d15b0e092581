// whatsapp.test.ts - the desk's WhatsApp rules (whatsapp.ts): number -> links, the 24-hour window
// and its countdown, delivery errors in words, WhatsApp bodies read back; and the slice's record
// of a refused window and a failed delivery.
import { describe, expect, test } from "vitest";
import reducer, { deliveryFailed, deskFailed, deskQueued, deskRetried } from "./deskSlice";
import { contactOf, deliveryError, failureText, nextWindowTick, parseWaBody, templateErrorText, timeLeft, windowLine, windowState } from "./whatsapp";

const H = 3600 * 1000;
const M = 60 * 1000;

describe("contact links", () => {
  test("an E.164 number becomes tel: and wa.me links", () => {
    expect(contactOf("+15551234567")).toEqual({ number: "+15551234567", tel: "tel:+15551234567", wa: "https://wa.me/15551234567" });
  });
  test("spaces, dashes and brackets are dropped; a missing + is fine", () => {
    expect(contactOf("+49 (30) 1234-5678")?.wa).toBe("https://wa.me/493012345678");
    expect(contactOf("5511987654321")?.tel).toBe("tel:+5511987654321");
  });
  test("no number, or not a number: no links", () => {
    expect(contactOf(null)).toBeNull();
    expect(contactOf(undefined)).toBeNull();
    expect(contactOf("")).toBeNull();
    expect(contactOf("+12")).toBeNull(); // too short
    expect(contactOf("+1234567890123456")).toBeNull(); // over 15 digits
    expect(contactOf("+0123456789")).toBeNull(); // no country code starts with 0
    expect(contactOf("javascript:alert(1)")).toBeNull();
    expect(contactOf("+1555abc4567")).toBeNull();
  });
});

describe("the 24-hour window", () => {
  const now = 1_000_000_000_000;
  const wa = (over: object) => ({ channel: "whatsapp", lastInboundAt: now - H, windowClosesAt: now + 23 * H, ...over });
  test("open with the time left; closed once past; none for other channels", () => {
    expect(windowState(wa({}), now)).toEqual({ kind: "open", leftMs: 23 * H });
    expect(windowState(wa({ windowClosesAt: now }), now)).toEqual({ kind: "closed" });
    expect(windowState(wa({ windowClosesAt: now - 1 }), now)).toEqual({ kind: "closed" });
    expect(windowState(wa({ windowClosesAt: null, lastInboundAt: null }), now)).toEqual({ kind: "closed" });
    expect(windowState({ channel: "widget", windowClosesAt: null }, now)).toEqual({ kind: "none" });
    expect(windowState({ channel: "whatsapp" }, now)).toEqual({ kind: "none" }); // a server without the field
  });
  test("a refusal after the customer's last message closes it; a newer customer message opens it again", () => {
    expect(windowState(wa({}), now, now - 10)).toEqual({ kind: "closed" });
    expect(windowState(wa({ lastInboundAt: now - 5 }), now, now - 10)).toEqual({ kind: "open", leftMs: 23 * H });
  });
  test("the time left in words, rounded down to the minute", () => {
    expect(timeLeft(3 * H + 12 * M + 59_000)).toBe("3 h 12 min");
    expect(timeLeft(5 * H)).toBe("5 h");
    expect(timeLeft(45 * M + 1)).toBe("45 min");
    expect(timeLeft(59_999)).toBe("less than a minute");
    expect(timeLeft(-5)).toBe("less than a minute");
    expect(timeLeft(24 * H)).toBe("24 h");
    expect(windowLine(3 * H + 12 * M)).toBe("WhatsApp window closes in 3 h 12 min");
  });
  test("the line moves on at each whole minute left, and at the close", () => {
    expect(nextWindowTick(3 * H + 12 * M + 30_000)).toBe(30_000);
    expect(nextWindowTick(3 * H)).toBe(60_000);
    expect(nextWindowTick(20_000)).toBe(20_000);
    expect(nextWindowTick(0)).toBe(0);
    // after the tick the text is one minute less
    const left = 2 * H + 5 * M + 10_000;
    expect(timeLeft(left - nextWindowTick(left))).toBe("2 h 5 min");
    expect(timeLeft(left - nextWindowTick(left) - 1)).toBe("2 h 4 min");
  });
});

describe("errors in words", () => {
  test("a delivery error keeps its text and explains Meta's known codes", () => {
    const e = deliveryError("HTTP 400 (#131026) Message undeliverable");
    expect(e.text).toBe("HTTP 400 (#131026) Message undeliverable");
    expect(e.hint).toMatch(/cannot receive/);
    expect(e.closesWindow).toBe(false);
    const w = deliveryError("(#131047) Re-engagement message");
    expect(w.closesWindow).toBe(true);
    expect(w.hint).toMatch(/only a template/);
    expect(deliveryError("HTTP 400 (#131026) (#131026) Message undeliverable").text).toBe("HTTP 400 (#131026) Message undeliverable");
    expect(deliveryError("no answer from the Graph API")).toEqual({ text: "no answer from the Graph API", hint: null, closesWindow: false });
  });
  test("a failed message shows the live error, else the stored one", () => {
    const stored = { code: "delivery_failed", message: "(#131047) Re-engagement message" };
    expect(failureText(undefined, stored)).toBe("(#131047) Re-engagement message");
    expect(failureText("HTTP 400 (#131026) Message undeliverable", stored)).toBe("HTTP 400 (#131026) Message undeliverable");
    expect(failureText(undefined, null)).toBeUndefined();
    expect(failureText(undefined, undefined)).toBeUndefined();
    expect(failureText("", { code: "delivery_failed", message: "" })).toBeUndefined();
  });
  test("a refused template says why", () => {
    expect(templateErrorText("template_not_configured", "x")).toMatch(/No WhatsApp template is configured/);
    expect(templateErrorText("service_finished", "x")).toBe("This service is finished.");
    expect(templateErrorText("other", "fallback")).toBe("fallback");
  });
});

describe("WhatsApp bodies", () => {
  test("media: the caption under the file; the label and the note without it", () => {
    expect(parseWaBody("[image] the broken part", true)).toEqual({ kind: "media", label: "Image", caption: "the broken part", note: null, shown: true });
    expect(parseWaBody("[voice message]", true)).toEqual({ kind: "media", label: "Voice message", caption: "", note: null, shown: true });
    expect(parseWaBody("[document: invoice.pdf] my invoice", false)).toEqual({ kind: "media", label: "Document invoice.pdf", caption: "my invoice", note: null, shown: false });
    expect(parseWaBody("[video] watch\n(the video could not be kept: too large)", false)).toEqual({
      kind: "media", label: "Video", caption: "watch", note: "The video could not be kept: too large", shown: false,
    });
    expect(parseWaBody("[sticker]", true).kind).toBe("media");
  });
  test("a location with a map link", () => {
    const b = parseWaBody("[location] Shop, 1 Main St (38.900000, -77.030000)", false);
    expect(b).toEqual({ kind: "location", label: "Shop, 1 Main St", lat: 38.9, lon: -77.03, map: "https://www.openstreetmap.org/?mlat=38.9&mlon=-77.03#map=17/38.9/-77.03" });
    expect(parseWaBody("[location] (1.500000, 2.500000)", false)).toMatchObject({ kind: "location", label: "1.5, 2.5" });
    expect(parseWaBody("[location] Nowhere (95.000000, 2.000000)", false).kind).toBe("text"); // not a place on earth
  });
  test("shared contacts with their phones", () => {
    expect(parseWaBody("[contact] John Smith +1 (940) 555-1234; Ana", false)).toEqual({
      kind: "contacts",
      contacts: [
        { name: "John Smith", phone: "+1 (940) 555-1234", tel: "tel:+19405551234" },
        { name: "Ana", phone: null, tel: null },
      ],
    });
  });
  test("the template, a reaction, and text as written", () => {
    expect(parseWaBody("[template] hello_world (en_US)", false)).toEqual({ kind: "template", name: "hello_world (en_US)" });
    expect(parseWaBody("[reaction] 👍", false)).toEqual({ kind: "reaction", emoji: "👍" });
    expect(parseWaBody("Does it come in blue?", false)).toEqual({ kind: "text", text: "Does it come in blue?" });
    expect(parseWaBody("[image of my cat]", false)).toEqual({ kind: "text", text: "[image of my cat]" });
    expect(parseWaBody("", false)).toEqual({ kind: "text", text: "" });
  });
});

describe("the slice's WhatsApp records", () => {
  test("a 409 outside_window marks the service's window refused; Retry clears the code", () => {
    let s = reducer(undefined, deskQueued({ clientMsgId: "c1", serviceId: 4, body: "too late", createdAt: 1 }));
    s = reducer(s, deskFailed({ clientMsgId: "c1", error: "Outside WhatsApp's 24-hour window: send a template", code: "outside_window" }));
    expect(s.outbox[0]).toMatchObject({ status: "failed", code: "outside_window" });
    expect(typeof s.windowRefused[4]).toBe("number");
    s = reducer(s, deskRetried("c1"));
    expect(s.outbox[0]!.code).toBeUndefined();
    const other = reducer(reducer(undefined, deskQueued({ clientMsgId: "c2", serviceId: 5, body: "x", createdAt: 1 })), deskFailed({ clientMsgId: "c2", error: "nope", code: "internal" }));
    expect(other.windowRefused[5]).toBeUndefined();
  });
  test("a failed delivery keeps its error by message id; #131047 refuses the window", () => {
    let s = reducer(undefined, deliveryFailed({ serviceId: 4, messageId: 9, error: "HTTP 400 (#131026) Message undeliverable" }));
    expect(s.deliveryErrors[9]).toBe("HTTP 400 (#131026) Message undeliverable");
    expect(s.windowRefused[4]).toBeUndefined();
    s = reducer(s, deliveryFailed({ serviceId: 4, messageId: 10, error: "(#131047) Re-engagement message", closesWindow: true }));
    expect(typeof s.windowRefused[4]).toBe("number");
  });
});
