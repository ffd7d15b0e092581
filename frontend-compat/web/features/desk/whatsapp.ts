// whatsapp.ts - the desk page's WhatsApp rules as pure functions (tested in whatsapp.test.ts):
// the customer's number as tel: / wa.me links; the 24-hour customer-service window (open with the
// time left, or closed: then only the template may go out); the words of a delivery error (the live
// one, else the one stored with the message); and a WhatsApp message body as src/channels/wa_wire.c
// writes it ("[image] caption", "[location] ...", "[contact] ...", "[template] ...") read back into
// the parts the page shows.
import type { DeskMessage } from "@/lib/types";

/** The customer's number as the header's links: tel:+<digits> and https://wa.me/<digits>. */
export interface Contact {
  number: string;
  tel: string;
  wa: string;
}

/** `phone` ("+<wa_id>", E.164; spaces, dots, dashes and brackets tolerated) as links, or null. */
export function contactOf(phone: string | null | undefined): Contact | null {
  if (!phone) return null;
  const digits = phone.trim().replace(/[\s().-]/g, "").replace(/^\+/, "");
  if (!/^[1-9]\d{5,14}$/.test(digits)) return null;
  return { number: `+${digits}`, tel: `tel:+${digits}`, wa: `https://wa.me/${digits}` };
}

/** The window of a service: not a WhatsApp one (none), open with the time left, or closed. */
export type WindowState = { kind: "none" } | { kind: "open"; leftMs: number } | { kind: "closed" };

/**
 * The window at `now`. Closed when windowClosesAt is past (or null: no customer message yet), or
 * when the server refused free text (`refusedAt`, 409 outside_window or Meta's #131047) after the
 * customer's last message: the server's clock is the one that counts.
 */
export function windowState(
  s: { channel: string; windowClosesAt?: number | null; lastInboundAt?: number | null },
  now: number,
  refusedAt?: number,
): WindowState {
  if (s.channel !== "whatsapp" || s.windowClosesAt === undefined) return { kind: "none" };
  if (refusedAt !== undefined && refusedAt > (s.lastInboundAt ?? 0)) return { kind: "closed" };
  if (s.windowClosesAt === null || s.windowClosesAt <= now) return { kind: "closed" };
  return { kind: "open", leftMs: s.windowClosesAt - now };
}

/** The time left, rounded down to the minute: "3 h 12 min", "5 h", "45 min", "less than a minute". */
export function timeLeft(ms: number): string {
  const m = Math.floor(Math.max(0, ms) / 60000);
  if (m < 1) return "less than a minute";
  const h = Math.floor(m / 60);
  if (h === 0) return `${m} min`;
  return m % 60 ? `${h} h ${m % 60} min` : `${h} h`;
}

/** The quiet line above the composer while the window is open. */
export function windowLine(leftMs: number): string {
  return `WhatsApp window closes in ${timeLeft(leftMs)}`;
}

/** Milliseconds until windowLine's text changes (the next whole minute left, or the close). */
export function nextWindowTick(leftMs: number): number {
  return leftMs <= 0 ? 0 : leftMs % 60000 || 60000;
}

/** Under an hour left: the line says it a little louder. */
export const WINDOW_SOON_MS = 3600 * 1000;

const HINTS: Record<string, string> = {
  "131026": "This number cannot receive the message (not on WhatsApp, or an old app).",
  "131047": "More than 24 hours since the customer's last message: only a template can be sent.",
  "131049": "Meta held it back to limit the messages this customer gets.",
  "131051": "WhatsApp does not support this kind of message.",
  "131053": "The file could not be sent through WhatsApp.",
  "132000": "The template's parameters do not match the approved template.",
  "132001": "The template does not exist in this language.",
  "190": "The WhatsApp access token is invalid or expired: tell an admin.",
  "131031": "The WhatsApp business account is locked: tell an admin.",
};

/** The channel's error of a failed message ("HTTP 400 (#131026) Message undeliverable", "(#131047)
 * Re-engagement message") in words: the text itself (a repeated code once), a hint for Meta's known codes, and whether
 * it says the 24-hour window is closed. */
export function deliveryError(text: string): { text: string; hint: string | null; closesWindow: boolean } {
  const code = /\(#(\d+)\)/.exec(text)?.[1];
  // "HTTP 400 (#131026) (#131026) Message undeliverable": sioc's prefix and Meta's own message
  const clean = text.replace(/(\(#\d+\))\s+\1/, "$1");
  return { text: clean, hint: (code && HINTS[code]) || null, closesWindow: code === "131047" };
}

/** The error shown under a failed message: the live one (message:status failed, this page's
 * session) or else the one stored with the message (its `error`, kept across reloads); undefined
 * when neither says why. */
export function failureText(live: string | undefined, stored: DeskMessage["error"]): string | undefined {
  return live || stored?.message || undefined;
}

/** What a refused template send says. */
export function templateErrorText(code: string | undefined, fallback: string): string {
  if (code === "template_not_configured") return "No WhatsApp template is configured (sioc's --whatsapp-template): ask an admin.";
  if (code === "service_finished") return "This service is finished.";
  if (code === "not_your_service") return "This service is no longer yours.";
  if (code === "not_whatsapp") return "Templates are for WhatsApp services only.";
  return fallback;
}

/** A WhatsApp message body read back into what the page shows. */
export type WaBody =
  | { kind: "text"; text: string }
  /** media: its label ("Image", "Voice message", "Document invoice.pdf"), caption, the note when
   * the file could not be kept, and whether the file is shown (then the label is not needed) */
  | { kind: "media"; label: string; caption: string; note: string | null; shown: boolean }
  | { kind: "location"; label: string; lat: number; lon: number; map: string }
  | { kind: "contacts"; contacts: { name: string; phone: string | null; tel: string | null }[] }
  | { kind: "template"; name: string }
  | { kind: "reaction"; emoji: string };

const MEDIA: Record<string, string> = { image: "Image", video: "Video", sticker: "Sticker", audio: "Audio", "voice message": "Voice message", document: "Document" };

/**
 * Reads `body` (a message of a WhatsApp service; `withFiles`: it carries attachments). Media
 * keep their caption; the page shows the label only when the file is not there.
 * Anything that does not parse is text, as written.
 */
export function parseWaBody(body: string, withFiles: boolean): WaBody {
  const media = /^\[(image|video|sticker|audio|voice message|document)(?:: ([^\]\n]*))?\](?: ([^\n]*))?(?:\n\((the \w+ could not be kept: [^\n]*)\))?$/.exec(body);
  if (media) {
    const [, tag = "", file, caption = "", note] = media;
    const label = file ? `${MEDIA[tag]} ${file}` : MEDIA[tag]!;
    return { kind: "media", label, caption, note: note ? sentence(note) : null, shown: withFiles };
  }
  const loc = /^\[location\](?: (.*?))? \((-?\d{1,3}(?:\.\d+)?), (-?\d{1,3}(?:\.\d+)?)\)$/.exec(body);
  if (loc) {
    const lat = Number(loc[2]);
    const lon = Number(loc[3]);
    if (Math.abs(lat) <= 90 && Math.abs(lon) <= 180) {
      const map = `https://www.openstreetmap.org/?mlat=${lat}&mlon=${lon}#map=17/${lat}/${lon}`;
      return { kind: "location", label: loc[1]?.trim() || `${lat}, ${lon}`, lat, lon, map };
    }
  }
  if (body.startsWith("[contact] ")) {
    const contacts = body
      .slice(10)
      .split("; ")
      .map((c) => {
        const m = /^(.*?)\s*(\+?\d[\d\s().-]{4,})$/.exec(c);
        const phone = m ? m[2]!.trim() : null;
        const digits = phone?.replace(/\D/g, "") ?? "";
        return { name: (m ? m[1]! : c).trim() || "Contact", phone, tel: digits.length >= 6 ? `tel:+${digits}` : null };
      });
    return { kind: "contacts", contacts };
  }
  const tpl = /^\[template\] (.+)$/.exec(body);
  if (tpl) return { kind: "template", name: tpl[1]! };
  const reaction = /^\[reaction\] (.*)$/.exec(body);
  if (reaction) return { kind: "reaction", emoji: reaction[1]! };
  return { kind: "text", text: body };
}

function sentence(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
