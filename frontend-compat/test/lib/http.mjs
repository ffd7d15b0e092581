// http.mjs - raw HTTP and Engine.IO polling helpers for the integration suites: node:http requests
// with no keep-alive agent (each request is its own connection, as the tests need to see exactly
// what the server answers), and the Engine.IO v4 / v3 payload encodings written from the
// protocol specification so that the tests do not depend on the parser under test.
import http from "node:http";
import { T } from "./server.mjs";

export const EIO_PATH = "/engine.io/";

/**
 * One HTTP request. Resolves {status, headers, body (Buffer), text} once the whole response has
 * arrived; rejects on a socket error or after `timeout` ms.
 */
export function request(
  base,
  { method = "GET", path = EIO_PATH, query, headers = {}, body, timeout = T(10000), localAddress } = {},
) {
  const u = new URL(path, base);
  if (query) for (const [k, v] of Object.entries(query)) u.searchParams.set(k, v);
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: u.hostname,
        port: u.port,
        method,
        path: u.pathname + u.search,
        headers,
        agent: false,
        localAddress, // undefined: any (tests bind 127.0.0.2 to be another client address)
      },
      (res) => {
        const chunks = [];
        res.on("data", (c) => chunks.push(c));
        res.on("end", () => {
          clearTimeout(timer);
          const b = Buffer.concat(chunks);
          resolve({ status: res.statusCode, headers: res.headers, body: b, text: b.toString("utf8") });
        });
        res.on("error", (e) => {
          clearTimeout(timer);
          reject(e);
        });
      },
    );
    const timer = setTimeout(() => {
      req.destroy(new Error(`HTTP ${method} ${u.pathname + u.search} timed out after ${timeout} ms`));
    }, timeout);
    req.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    if (body !== undefined) req.end(body);
    else req.end();
  });
}

/** Query of an Engine.IO polling request. */
export function pollQuery(sid, extra = {}) {
  const q = { EIO: "4", transport: "polling", ...extra };
  if (sid) q.sid = sid;
  return q;
}

/** Decodes one v4 packet string: {type, data} with data a string or a Buffer for `b`. */
export function decodePacket(s) {
  if (s[0] === "b") return { type: "4", data: Buffer.from(s.slice(1), "base64"), binary: true };
  return { type: s[0], data: s.slice(1) };
}

/** Decodes a v4 polling payload (packets separated by \x1e). */
export function decodePayload(text) {
  return text.split("\x1e").map(decodePacket);
}

/** Encodes packets ({type, data} with data string or Buffer) as a v4 polling payload. */
export function encodePayload(packets) {
  return packets
    .map((p) => (Buffer.isBuffer(p.data) ? "b" + p.data.toString("base64") : p.type + (p.data ?? "")))
    .join("\x1e");
}

/** Decodes a v3 text payload `<length>:<packet>...` (length in UTF-16 code units). */
export function decodePayloadV3(text) {
  const out = [];
  let i = 0;
  while (i < text.length) {
    const colon = text.indexOf(":", i);
    if (colon < 0) throw new Error(`bad v3 payload: ${JSON.stringify(text)}`);
    const len = Number(text.slice(i, colon));
    if (!Number.isInteger(len) || len < 1) throw new Error(`bad v3 length in ${JSON.stringify(text)}`);
    const pkt = text.slice(colon + 1, colon + 1 + len);
    if (pkt[0] === "b") out.push({ type: pkt[1], data: Buffer.from(pkt.slice(2), "base64"), binary: true });
    else out.push({ type: pkt[0], data: pkt.slice(1) });
    i = colon + 1 + len;
  }
  return out;
}

/** Encodes v3 text packets as `<length>:<packet>`. */
export function encodePayloadV3(packets) {
  return packets
    .map((p) => {
      const s = p.type + (p.data ?? "");
      return `${s.length}:${s}`;
    })
    .join("");
}

/** Polling handshake: resolves {sid, open (parsed JSON), res}. Asserts nothing. */
export async function handshake(base, extra = {}, headers = {}) {
  const res = await request(base, { query: pollQuery(null, extra), headers });
  if (res.status !== 200 || res.text[0] !== "0") {
    throw new Error(`handshake failed: ${res.status} ${res.text}`);
  }
  const first = res.text.split("\x1e")[0];
  const open = JSON.parse(first.slice(1));
  return { sid: open.sid, open, res };
}

/** GET on a session: resolves the response (payload in res.text). */
export function poll(base, sid, opts = {}) {
  return request(base, { query: pollQuery(sid, opts.query), headers: opts.headers, timeout: opts.timeout });
}

/** POST packets on a session: resolves the response. */
export function post(base, sid, packets, opts = {}) {
  const body = typeof packets === "string" || Buffer.isBuffer(packets) ? packets : encodePayload(packets);
  return request(base, {
    method: "POST",
    query: pollQuery(sid, opts.query),
    headers: { "Content-Type": "text/plain;charset=UTF-8", ...(opts.headers || {}) },
    body,
    timeout: opts.timeout,
  });
}
