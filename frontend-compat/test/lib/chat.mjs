// chat.mjs - helpers for the chat service suites (test/chat-*.test.mjs): the storage backends to
// run every suite against (SQLite in a temporary file, and PostgreSQL when SIOC_TEST_PG is set: a
// fresh database per server, created with psql), a JSON REST client without keep-alive, accounts,
// hand-made JWTs (forged, expired, alg none) signed with node:crypto, and socket.io-client
// connections to the /chat namespace that resolve once the server said `ready`.
import { execFileSync } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { io } from "socket.io-client";
import { request } from "./http.mjs";
import { startSioc, T } from "./server.mjs";

export { T };
export const SECRET = "chat-test-secret-0123456789abcdef0123456789";

/** The storage backends every suite runs against: [{name, url()}]; url() makes a fresh store.
 * None against the Node reference server (SIOC_REFERENCE=1): it has no chat service. */
export function backends() {
  if (process.env.SIOC_REFERENCE === "1") return [];
  const list = [
    {
      name: "sqlite",
      url() {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "sioc-chat-"));
        return {
          url: `sqlite:${dir}/chat.db`,
          mediaDir: `${dir}/media`,
          cleanup: () => fs.rmSync(dir, { recursive: true, force: true }),
        };
      },
    },
  ];
  if (process.env.SIOC_TEST_PG) {
    list.push({
      name: "postgres",
      url() {
        const base = new URL(process.env.SIOC_TEST_PG);
        const db = `chat_${process.pid}_${crypto.randomBytes(4).toString("hex")}`;
        const args = ["-q", "-h", base.hostname, "-p", base.port || "5432", "-U", base.username || "postgres", "-d", "postgres"];
        execFileSync("psql", [...args, "-c", `CREATE DATABASE ${db}`], { stdio: "pipe" });
        const u = new URL(base);
        u.pathname = `/${db}`;
        // attachments need a directory (on SQLite the default one sits next to the database file)
        const mediaDir = fs.mkdtempSync(path.join(os.tmpdir(), "sioc-media-"));
        return {
          url: u.toString(),
          mediaDir,
          cleanup: () => {
            fs.rmSync(mediaDir, { recursive: true, force: true });
            try {
              execFileSync("psql", [...args, "-c", `DROP DATABASE IF EXISTS ${db} WITH (FORCE)`], { stdio: "pipe" });
            } catch {
              /* best effort */
            }
          },
        };
      },
    });
  }
  return list;
}

/** Starts sioc on a fresh store of `backend`; resolves the server plus cleanup. The suites
 * register many accounts from one address: registrations are not limited unless `extra` sets
 * --register-limit (test/abuse-*.test.mjs do). */
export async function startChat(backend, extra = []) {
  const store = backend.url();
  const limit = extra.includes("--register-limit") ? [] : ["--register-limit", "0"];
  const media = store.mediaDir && !extra.includes("--media-dir") ? ["--media-dir", store.mediaDir] : [];
  const server = await startSioc(["--database", store.url, "--jwt-secret", SECRET, ...limit, ...media, ...extra]);
  server.mediaDir = extra.includes("--media-dir") ? extra[extra.indexOf("--media-dir") + 1] : store.mediaDir;
  const stop = server.stop.bind(server);
  server.stop = async () => {
    try {
      await stop();
    } finally {
      store.cleanup();
    }
  };
  return server;
}

/** One HTTP request (http.mjs's request): resolves {status, headers, text, json}. `body` an
 * object (sent as JSON) or a string/Buffer (sent as is). */
export async function api(server, method, p, { token, body, headers = {}, timeout = T(10000), localAddress } = {}) {
  const h = { ...headers };
  let payload;
  if (body !== undefined) {
    payload = typeof body === "string" || Buffer.isBuffer(body) ? body : JSON.stringify(body);
    if (!("content-type" in h)) h["content-type"] = "application/json";
    h["content-length"] = Buffer.byteLength(payload);
  }
  if (token) h.authorization = `Bearer ${token}`;
  const r = await request(server.url, { method, path: p, headers: h, body: payload, timeout, localAddress });
  let json;
  try {
    json = r.text ? JSON.parse(r.text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: r.status, headers: r.headers, text: r.text, json };
}

let counter = 0;
/** A unique user name for this process. */
export function uname(prefix = "u") {
  counter += 1;
  return `${prefix}${process.pid % 10000}_${counter}_${crypto.randomBytes(2).toString("hex")}`;
}

/** The options of one cluster's nodes on the Redis at `url` (none without it): a key of their own
 * (--redis-key), so that suites running side by side on one Redis never hear each other. */
export function redisArgs(url = process.env.SIOC_TEST_REDIS) {
  return url ? ["--redis", url, "--redis-key", uname("sioc-")] : [];
}

/** Registers a user; resolves {user, accessToken, refreshToken, password}. */
export async function register(server, username = uname(), password = "correct-horse-1") {
  const r = await api(server, "POST", "/v1/api/auth/register", { body: { username, password } });
  if (r.status !== 201) throw new Error(`register ${username}: ${r.status} ${r.text}`);
  return { ...r.json, password, token: r.json.accessToken, id: r.json.user.id };
}

function b64url(x) {
  return Buffer.from(typeof x === "string" ? x : JSON.stringify(x)).toString("base64url");
}

/** A JWT signed by hand: alg "HS256" (with `secret`), "HS512", or "none". */
export function signJwt(payload, { secret = SECRET, alg = "HS256" } = {}) {
  const head = b64url({ alg, typ: "JWT" });
  const body = b64url(payload);
  if (alg === "none") return `${head}.${body}.`;
  const h = alg === "HS512" ? "sha512" : "sha256";
  const sig = crypto.createHmac(h, secret).update(`${head}.${body}`).digest("base64url");
  return `${head}.${body}.${sig}`;
}

/** Access-token claims as sioc writes them. */
export function claims(userId, { exp = Math.floor(Date.now() / 1000) + 600, typ = "access" } = {}) {
  return { sub: String(userId), typ, iat: Math.floor(Date.now() / 1000) - 10, exp };
}

/** Connects to /chat; resolves {socket, ready} on `ready`, rejects with the connect_error. */
export function connect(server, token, { transports = ["websocket"], auth, extraHeaders, timeout = T(5000) } = {}) {
  const socket = io(`${server.url}/chat`, {
    forceNew: true,
    reconnection: false,
    transports,
    auth: auth ?? (token ? { token } : {}),
    extraHeaders,
    agent: false,
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.close();
      reject(new Error("no ready in time"));
    }, timeout);
    socket.once("ready", (ready) => {
      clearTimeout(timer);
      resolve({ socket, ready });
    });
    socket.once("connect_error", (err) => {
      clearTimeout(timer);
      socket.close();
      reject(err);
    });
  });
}

/** Emits with an ack; resolves the ack's first argument. */
export function emitAck(socket, event, payload, timeout = T(5000)) {
  return socket.timeout(timeout).emitWithAck(event, payload);
}

/** Resolves the next `event` on `socket` whose payload satisfies `pred`. */
export function next(socket, event, pred = () => true, timeout = T(5000)) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.off(event, on);
      reject(new Error(`no ${event} in time`));
    }, timeout);
    function on(p) {
      if (!pred(p)) return;
      clearTimeout(timer);
      socket.off(event, on);
      resolve(p);
    }
    socket.on(event, on);
  });
}

/** Collects every `event` payload into an array. */
export function collect(socket, event) {
  const out = [];
  socket.on(event, (p) => out.push(p));
  return out;
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Asserts the error shape {"error":{"code","message"}} with `status` and `code`. */
export function assertError(assert, r, status, code) {
  assert.equal(r.status, status, `expected ${status}, got ${r.status}: ${r.text}`);
  assert.ok(r.json && r.json.error, `no error object: ${r.text}`);
  if (code) assert.equal(r.json.error.code, code, r.text);
  assert.equal(typeof r.json.error.message, "string");
  assert.match(r.headers["content-type"] ?? "", /application\/json/);
}

/** SQL metacharacters and other hostile text, for every text field. */
export const NASTY = [
  "'; DROP TABLE users; --",
  "\" OR 1=1 --",
  "Robert'); DROP TABLE messages;--",
  "%_\\\\' \\x00 $1 ?",
  "😀 ünïcödé 漢字 \u202e",
  "<script>alert(1)</script>",
];
