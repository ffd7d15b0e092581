// desk.mjs - helpers for the support desk suites (test/desk-*.test.mjs): a sioc with a first
// admin (--admin-username / --admin-password-file), staff accounts made through the admin API
// and logged in through the chat's login, visitors with widget sessions, and socket.io-client
// connections to /desk (resolve on `ready`) and /support (resolve on `history`).
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { io } from "socket.io-client";
import { api, backends, SECRET, T, uname } from "./chat.mjs";
import { startSioc } from "./server.mjs";

export { api, backends, T, uname };
export const ADMIN_PASSWORD = "admin-password-1";

/** Writes the first admin's password file; returns its path. */
export function passwordFile(pw = ADMIN_PASSWORD) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "sioc-desk-"));
  const f = path.join(dir, "admin.pw");
  fs.writeFileSync(f, `${pw}\n`, { mode: 0o600 });
  return f;
}

/** Logs in through the chat's login; resolves {token, refreshToken, user} or the raw reply. */
export async function login(server, username, password) {
  return api(server, "POST", "/v1/api/auth/login", { body: { username, password } });
}

/** Logs in, retrying while the first admin is being created (its hash runs at start-up). */
export async function loginRetry(server, username, password, tries = 50) {
  for (let i = 0; i < tries; i++) {
    const r = await login(server, username, password);
    if (r.status === 200) return r.json.accessToken;
    await new Promise((res) => setTimeout(res, 100));
  }
  throw new Error(`cannot log in as ${username}`);
}

/** Starts sioc on a fresh store of `backend` (or on `store` = {url, cleanup} if given) with a
 * first admin; resolves the server with server.admin = {username, token} and server.dbUrl. */
export async function startDesk(backend, extra = [], store = backend.url()) {
  const username = uname("admin");
  const server = await startSioc([
    "--database", store.url, "--jwt-secret", SECRET,
    "--admin-username", username, "--admin-password-file", passwordFile(),
    ...(store.mediaDir ? ["--media-dir", store.mediaDir] : []), ...extra,
  ]);
  const stop = server.stop.bind(server);
  server.stop = async () => {
    try {
      await stop();
    } finally {
      store.cleanup();
    }
  };
  server.dbUrl = store.url;
  server.admin = { username, token: await loginRetry(server, username, ADMIN_PASSWORD) };
  return server;
}

/** Starts another node on the same database URL (e.g. a second sioc on one PostgreSQL). */
export async function startNode(url, extra = []) {
  return startSioc(["--database", url, "--jwt-secret", SECRET, ...extra]);
}

/** Creates a staff user through the admin API and logs them in: {id, username, password, token}. */
export async function staff(server, role = "attendant", adminToken = server.admin.token) {
  const username = uname(role === "admin" ? "adm" : "att");
  const password = "attendant-pw-1";
  const r = await api(server, "POST", "/v1/api/desk/users", {
    token: adminToken,
    body: { username, password, displayName: `The ${username}`, role },
  });
  if (r.status !== 201) throw new Error(`create ${username}: ${r.status} ${r.text}`);
  const l = await login(server, username, password);
  if (l.status !== 200) throw new Error(`login ${username}: ${l.status} ${l.text}`);
  return { id: r.json.user.id, username, password, token: l.json.accessToken, user: r.json.user };
}

/** A widget session: {visitorToken, customer}. */
export async function visitor(server, body = { name: "Carla Customer", email: "carla@example.com" }) {
  const r = await api(server, "POST", "/v1/api/widget/sessions", { body });
  if (r.status !== 201) throw new Error(`session: ${r.status} ${r.text}`);
  return r.json;
}

function open(server, nsp, auth, first, timeout) {
  const socket = io(`${server.url}${nsp}`, { forceNew: true, reconnection: false, transports: ["websocket"], auth, agent: false });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.close();
      reject(new Error(`no ${first} on ${nsp} in time`));
    }, timeout);
    socket.once(first, (payload) => {
      clearTimeout(timer);
      resolve({ socket, payload });
    });
    socket.once("connect_error", (err) => {
      clearTimeout(timer);
      socket.close();
      reject(err);
    });
  });
}

/** Connects a visitor to /support; resolves {socket, history}. */
export async function support(server, visitorToken, timeout = T(5000)) {
  const { socket, payload } = await open(server, "/support", { visitorToken }, "history", timeout);
  return { socket, history: payload };
}

/** Connects staff to /desk; resolves {socket, ready}. */
export async function desk(server, token, timeout = T(5000)) {
  const { socket, payload } = await open(server, "/desk", { token }, "ready", timeout);
  return { socket, ready: payload };
}

/** Waits until `fn` resolves truthy (polling); resolves its value. */
export async function until(fn, timeout = T(5000), every = 50) {
  const end = Date.now() + timeout;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, every));
  }
}
