// whatsapp.mjs - a WhatsApp Cloud API simulator for the tests (it plays Meta): an HTTP server that
// speaks the Graph API's wire format and a client that signs and POSTs webhooks to sioc.
//
// Server (startMeta): POST /{version}/{phone-number-id}/messages with the bearer check, answering
// {messaging_product, contacts:[{input, wa_id}], messages:[{id:"wamid..."}]}; POST /{version}/
// {phone-number-id}/media (uploads: {id}); GET /{version}/{media-id} ({url, mime_type, sha256,
// file_size, id}) and the media bytes at that URL (bearer again). Errors are Graph API error
// bodies {error:{message, type, code, error_subcode?, fbtrace_id}}; fail(n, status, code) makes the
// next n sends fail (429 / 500 / 400 ...), hold() keeps sends waiting until release(). Every
// accepted send is recorded in `sent` (the parsed body, the wamid, the time). Status updates to
// the same endpoint ({messaging_product, status: "read", message_id[, typing_indicator:
// {type: "text"}]}, Meta's "mark messages as read" and "typing indicators") answer
// {success: true} and are recorded apart: `reads` and `typings` ({wamid, at}); failStatus(n,
// status) fails the next n of them, statusDown = true fails all of them (500) until reset.
//
// Webhooks (the builders and postWebhook): the whatsapp_business_account envelope of Meta's
// "messages" field with one value (contacts + messages, or statuses), signed with the app secret
// (X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body>).
import crypto from "node:crypto";
import http from "node:http";
import { request } from "../lib/http.mjs";

export const PHONE_NUMBER_ID = "106540352242922";
export const WABA_ID = "102290129340398";
export const TOKEN = "EAAJB-test-token-0123456789";
export const APP_SECRET = "app-secret-0123456789abcdef";
export const VERIFY_TOKEN = "verify-me-please";

const rnd = (n = 12) => crypto.randomBytes(n).toString("base64url");
export const wamid = () => `wamid.HBgL${rnd(24)}`;
const trace = () => `A${rnd(10)}`;

function graphError(res, status, code, message, type = "OAuthException") {
  const body = JSON.stringify({ error: { message, type, code, error_data: { messaging_product: "whatsapp", details: message }, fbtrace_id: trace() } });
  const headers = { "content-type": "application/json" };
  if (status === 401) headers["www-authenticate"] = 'OAuth "Facebook Platform" "invalid_token"';
  res.writeHead(status, headers);
  res.end(body);
}

function readBody(req) {
  return new Promise((resolve) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks)));
  });
}

/** The parts of a multipart/form-data body: [{name, filename?, type?, data: Buffer}]. */
function parseMultipart(body, contentType) {
  const m = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(contentType);
  if (!/^multipart\/form-data/i.test(contentType) || !m) return [];
  const sep = Buffer.from(`--${m[1] ?? m[2]}`);
  const parts = [];
  let at = body.indexOf(sep);
  while (at >= 0) {
    const start = at + sep.length;
    if (body.subarray(start, start + 2).toString() === "--") break;
    const next = body.indexOf(sep, start);
    if (next < 0) break;
    const chunk = body.subarray(start + 2, next - 2); // after CRLF, before CRLF--boundary
    const headEnd = chunk.indexOf("\r\n\r\n");
    const head = chunk.subarray(0, headEnd).toString("latin1");
    const disp = /content-disposition:[^\r\n]*?; name="([^"]*)"(?:; filename="([^"]*)")?/i.exec(head);
    const type = /content-type:\s*([^\r\n]+)/i.exec(head)?.[1];
    if (disp) parts.push({ name: disp[1], filename: disp[2], type, data: Buffer.from(chunk.subarray(headEnd + 4)) });
    at = next;
  }
  return parts;
}

/** Starts the simulated Graph API; resolves {url, sent, media, fail, hold, release, close, ...}. */
export async function startMeta({ token = TOKEN, phoneNumberId = PHONE_NUMBER_ID } = {}) {
  const meta = {
    sent: [], // accepted sends: {body, id, at}
    attempts: 0, // every POST to /messages, accepted or not
    failures: [], // queued: {status, code, message}
    held: null, // a promise sends wait on
    media: new Map(), // media id -> {bytes, mime}
    uploads: [], // media ids of accepted uploads
    uploaded: [], // accepted uploads: {id, bytes, mime, type, filename, product}
    uploadAttempts: 0, // every POST to /media
    uploadFailures: [], // queued like failures, for /media
    requests: [], // every request: {method, path, auth}
    reads: [], // accepted read receipts: {wamid, at}
    typings: [], // accepted typing indicators: {wamid, at}
    statusAttempts: 0, // every status update, accepted or not
    statusFailures: [], // queued like failures, for status updates
    statusDown: false, // true: every status update fails with 500
  };
  let releaseHold = null;
  meta.fail = (n, status = 500, code = status === 429 ? 130429 : 131000, message = status === 429 ? "Rate limit hit" : "Something went wrong") => {
    for (let i = 0; i < n; i++) meta.failures.push({ status, code, message });
  };
  meta.failStatus = (n, status = 500, code = status === 429 ? 130429 : 131000, message = status === 429 ? "Rate limit hit" : "Something went wrong") => {
    for (let i = 0; i < n; i++) meta.statusFailures.push({ status, code, message });
  };
  meta.failUpload = (n, status = 500, code = 131000, message = "Something went wrong") => {
    for (let i = 0; i < n; i++) meta.uploadFailures.push({ status, code, message });
  };
  meta.hold = () => {
    meta.held = new Promise((r) => (releaseHold = r));
  };
  meta.release = () => {
    meta.held = null;
    releaseHold?.();
  };
  meta.addMedia = (bytes, mime) => {
    const id = String(1000000000000000 + Math.floor(Math.random() * 1e12));
    meta.media.set(id, { bytes: Buffer.from(bytes), mime });
    return id;
  };
  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url, "http://x");
    const auth = req.headers.authorization ?? "";
    meta.requests.push({ method: req.method, path: url.pathname, auth });
    const body = await readBody(req);
    if (auth !== `Bearer ${token}`) return graphError(res, 401, 190, "Invalid OAuth access token - Cannot parse access token");
    const parts = url.pathname.split("/").filter(Boolean);
    if (parts[0] === "media-bytes" && req.method === "GET") {
      const m = meta.media.get(parts[1]);
      if (!m) return graphError(res, 404, 100, "media not found", "GraphMethodException");
      res.writeHead(200, { "content-type": m.mime, "content-length": m.bytes.length });
      return res.end(m.bytes);
    }
    if (!/^v\d+\.\d+$/.test(parts[0] ?? "")) return graphError(res, 400, 2500, "Unknown path components", "OAuthException");
    if (parts.length === 3 && parts[1] === phoneNumberId && parts[2] === "messages" && req.method === "POST") {
      let update; // a status update (read receipt, typing indicator), not a send
      try {
        update = JSON.parse(body.toString("utf8"));
      } catch {
        update = undefined;
      }
      if (update?.messaging_product === "whatsapp" && update.status !== undefined) {
        meta.statusAttempts++;
        const keys = Object.keys(update).sort().join(",");
        const typing = update.typing_indicator !== undefined;
        if (update.status !== "read" || typeof update.message_id !== "string" || !update.message_id.startsWith("wamid.") ||
            keys !== (typing ? "message_id,messaging_product,status,typing_indicator" : "message_id,messaging_product,status") ||
            (typing && JSON.stringify(update.typing_indicator) !== '{"type":"text"}'))
          return graphError(res, 400, 100, "(#100) Invalid parameter", "OAuthException");
        const f = meta.statusDown ? { status: 500, code: 131000, message: "Something went wrong" } : meta.statusFailures.shift();
        if (f) return graphError(res, f.status, f.code, f.message);
        (typing ? meta.typings : meta.reads).push({ wamid: update.message_id, at: Date.now() });
        res.writeHead(200, { "content-type": "application/json" });
        return res.end(JSON.stringify({ success: true }));
      }
      meta.attempts++;
      if (meta.held) await meta.held;
      let msg;
      try {
        msg = JSON.parse(body.toString("utf8"));
      } catch {
        return graphError(res, 400, 100, "(#100) Invalid JSON", "OAuthException");
      }
      if (msg.messaging_product !== "whatsapp" || typeof msg.to !== "string" || !msg.type)
        return graphError(res, 400, 100, "(#100) Invalid parameter", "OAuthException");
      const f = meta.failures.shift();
      if (f) return graphError(res, f.status, f.code, f.message);
      const id = wamid();
      meta.sent.push({ body: msg, id, at: Date.now() });
      res.writeHead(200, { "content-type": "application/json" });
      return res.end(JSON.stringify({ messaging_product: "whatsapp", contacts: [{ input: msg.to, wa_id: msg.to }], messages: [{ id }] }));
    }
    if (parts.length === 3 && parts[1] === phoneNumberId && parts[2] === "media" && req.method === "POST") {
      meta.uploadAttempts++;
      const f = meta.uploadFailures.shift();
      if (f) return graphError(res, f.status, f.code, f.message);
      // multipart/form-data as Meta takes it: messaging_product, type, file
      const form = parseMultipart(body, req.headers["content-type"] ?? "");
      const file = form.find((p) => p.name === "file" && p.filename !== undefined);
      const product = form.find((p) => p.name === "messaging_product")?.data.toString();
      if (!file || product !== "whatsapp")
        return graphError(res, 400, 100, "(#100) The parameter file and messaging_product=whatsapp are required", "OAuthException");
      const mime = form.find((p) => p.name === "type")?.data.toString() ?? file.type;
      const id = meta.addMedia(file.data, mime);
      meta.uploads.push(id);
      meta.uploaded.push({ id, bytes: file.data, mime, type: file.type, filename: file.filename, product });
      res.writeHead(200, { "content-type": "application/json" });
      return res.end(JSON.stringify({ id }));
    }
    if (parts.length === 2 && req.method === "GET") {
      const m = meta.media.get(parts[1]);
      if (!m) return graphError(res, 400, 100, "(#100) Invalid media id", "GraphMethodException");
      res.writeHead(200, { "content-type": "application/json" });
      return res.end(
        JSON.stringify({
          messaging_product: "whatsapp",
          url: `${meta.url}/media-bytes/${parts[1]}`,
          mime_type: m.mime,
          sha256: crypto.createHash("sha256").update(m.bytes).digest("hex"),
          file_size: String(m.bytes.length),
          id: parts[1],
        }),
      );
    }
    return graphError(res, 400, 100, "Unsupported request", "GraphMethodException");
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  meta.url = `http://127.0.0.1:${server.address().port}`;
  meta.close = () =>
    new Promise((r) => {
      meta.release();
      server.closeAllConnections?.();
      server.close(() => r());
    });
  return meta;
}

/** sioc's options for the simulator. */
export function waArgs(meta, extra = []) {
  return [
    "--whatsapp-phone-number-id", PHONE_NUMBER_ID, "--whatsapp-token", TOKEN, "--whatsapp-app-secret", APP_SECRET,
    "--whatsapp-verify-token", VERIFY_TOKEN, "--whatsapp-graph-url", meta.url, "--whatsapp-api-version", "v21.0",
    ...extra,
  ];
}

/* ---- webhook bodies (Meta's shapes) ---- */

function envelope(value) {
  return {
    object: "whatsapp_business_account",
    entry: [{ id: WABA_ID, changes: [{ value: { messaging_product: "whatsapp", metadata: { display_phone_number: "15550783881", phone_number_id: PHONE_NUMBER_ID }, ...value }, field: "messages" }] }],
  };
}

/** An inbound message webhook: `message` is the type-specific part, e.g. {type:"text", text:{body}}. */
export function inbound({ from, name = "Sheena Nelson", id = wamid(), ...message }) {
  return envelope({
    contacts: [{ profile: { name }, wa_id: from }],
    messages: [{ from, id, timestamp: String(Math.floor(Date.now() / 1000)), ...message }],
  });
}

/** A status webhook of one of sioc's messages. */
export function status({ id, status, recipient, errors, opaque }) {
  const s = { id, status, timestamp: String(Math.floor(Date.now() / 1000)), recipient_id: recipient };
  if (status !== "failed") s.conversation = { id: rnd(8), origin: { type: "service" } };
  if (status !== "failed") s.pricing = { billable: true, pricing_model: "PMP", category: "service" };
  if (errors) s.errors = errors;
  if (opaque) s.biz_opaque_callback_data = opaque;
  return envelope({ statuses: [s] });
}

export function sign(raw, secret = APP_SECRET) {
  return `sha256=${crypto.createHmac("sha256", secret).update(raw).digest("hex")}`;
}

/** POSTs a webhook to sioc as Meta does; `signature` overrides the header (null: none). */
export async function postWebhook(server, body, { signature, secret = APP_SECRET } = {}) {
  const raw = typeof body === "string" ? body : JSON.stringify(body);
  const headers = { "content-type": "application/json", "content-length": Buffer.byteLength(raw), "user-agent": "facebookexternalua" };
  const sig = signature === undefined ? sign(raw, secret) : signature;
  if (sig !== null) headers["x-hub-signature-256"] = sig;
  const r = await request(server.url, { method: "POST", path: "/v1/api/whatsapp/webhook", headers, body: raw });
  let json;
  try {
    json = r.text ? JSON.parse(r.text) : undefined;
  } catch {
    json = undefined;
  }
  return { ...r, json };
}

/** The verification GET Meta makes when the webhook is configured. */
export async function verify(server, { mode = "subscribe", token = VERIFY_TOKEN, challenge = "1158201444" } = {}) {
  const q = new URLSearchParams({ "hub.mode": mode, "hub.verify_token": token, "hub.challenge": challenge });
  return request(server.url, { method: "GET", path: `/v1/api/whatsapp/webhook?${q}` });
}
