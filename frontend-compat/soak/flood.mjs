// soak/flood.mjs - the flood soak of issue 14: one public channel with SOAK_MEMBERS members, each
// connected to /chat over WebSocket, and SOAK_SENDERS of them sending at the highest rate the
// server sustains (a closed loop: each sender keeps SOAK_WINDOW sends waiting for their ack) for
// SOAK_SECONDS. sioc runs with tight bounds (--recovery-max-bytes, --max-buffered-bytes); its RSS
// is sampled every second from /proc. One more member drops its transport at the start (a
// recoverable session) and comes back after the flood, having missed every message: it must be
// back within 2 s, told `recovered: false` (more than can be replayed), and the REST history must
// hold every acknowledged message.
//
// The run fails (exit 1) when a send is refused or lost (acks != the channel's lastSeq), when
// the returning client is not back in 2 s, or when the RSS does not level off: the peak of the
// last quarter of the run may exceed the peak of the second quarter by at most 10 % + 16 MiB,
// and no sample may exceed the baseline plus the configured bounds (SOAK_BOUND_MIB).
// Prints one JSON line with every figure (and writes it to SOAK_OUT if set).
//
// Environment: SIOC_BIN (default build/sioc), SOAK_SECONDS (600), SOAK_MEMBERS (1000),
// SOAK_SENDERS (4), SOAK_WINDOW (16), SOAK_BODY (200 characters per message), SOAK_RECOVERY_MIB
// (16, --recovery-max-bytes), SOAK_BUFFERED_MIB (4, --max-buffered-bytes), SOAK_BOUND_MIB (160),
// SIOC_TEST_PG (use PostgreSQL instead of SQLite), SOAK_OUT.
import fs from "node:fs";
import { io } from "socket.io-client";
import { api, backends, connect, emitAck, register, sleep, startChat } from "../test/lib/chat.mjs";

const env = (k, d) => (process.env[k] ? Number(process.env[k]) : d);
const SECONDS = env("SOAK_SECONDS", 600);
const MEMBERS = env("SOAK_MEMBERS", 1000);
const SENDERS = Math.min(env("SOAK_SENDERS", 4), MEMBERS);
const WINDOW = env("SOAK_WINDOW", 16);
const BODY = "x".repeat(env("SOAK_BODY", 200));
const RECOVERY_MAX = env("SOAK_RECOVERY_MIB", 16) << 20;
const BUFFERED_MAX = env("SOAK_BUFFERED_MIB", 4) << 20;
// what the bounds allow on top of the baseline: the recovery buffer, the send queues of slow
// members (bounded each, but the flood's are short), the allocator's slack
const BOUND_MIB = env("SOAK_BOUND_MIB", 160);

function rssKiB(pid) {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

async function pool(n, limit, fn) {
  const out = new Array(n);
  let next = 0;
  async function worker() {
    while (next < n) {
      const i = next++;
      out[i] = await fn(i);
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, n) }, worker));
  return out;
}

const backend = process.env.SIOC_TEST_PG ? backends().find((b) => b.name === "postgres") : backends()[0];
const server = await startChat(backend, [
  "--recovery-max-bytes", String(RECOVERY_MAX),
  "--max-buffered-bytes", String(BUFFERED_MAX),
  "--max-disconnection-duration", String((SECONDS + 120) * 1000),
]);
const pid = server.proc.pid;
const result = { members: MEMBERS, senders: SENDERS, window: WINDOW, seconds: SECONDS, bodyBytes: BODY.length, backend: backend.name };
let failed = [];
const sockets = [];
try {
  const t0 = Date.now();
  const users = await pool(MEMBERS + 1, 8, () => register(server));
  const owner = users[0];
  const ch = await api(server, "POST", "/v1/api/chats/public", { token: owner.token, body: { name: `soak${process.pid}` } });
  if (ch.status !== 201) throw new Error(`channel: ${ch.status} ${ch.text}`);
  const chatId = ch.json.id;
  await pool(MEMBERS, 16, async (i) => {
    if (i === 0) return;
    const r = await api(server, "POST", `/v1/api/chats/public/${chatId}/join`, { token: users[i].token });
    if (r.status >= 300) throw new Error(`join: ${r.status} ${r.text}`);
  });
  const late = users[MEMBERS]; // the member who drops and comes back
  const j = await api(server, "POST", `/v1/api/chats/public/${chatId}/join`, { token: late.token });
  if (j.status >= 300) throw new Error(`join: ${j.status} ${j.text}`);
  let delivered = 0;
  await pool(MEMBERS, 32, async (i) => {
    const { socket } = await connect(server, users[i].token);
    socket.on("message:new", () => delivered++);
    sockets[i] = socket;
  });
  result.setupSeconds = (Date.now() - t0) / 1000;

  // the late member: a recoverable session (it holds an offset once a message reached it), then
  // its transport is cut and it does not reconnect until the flood is over
  const lateSock = io(`${server.url}/chat`, { forceNew: true, transports: ["websocket"], auth: { token: late.token }, reconnection: false });
  await new Promise((res, rej) => {
    lateSock.once("ready", res);
    lateSock.once("connect_error", rej);
  });
  const firstSeen = new Promise((res) => lateSock.once("message:new", res));
  await emitAck(sockets[0], "message:send", { chatId, body: "before the flood" });
  await firstSeen;
  lateSock.io.engine.close(); // a network blip: the server keeps the session for recovery

  const baseline = rssKiB(pid);
  const samples = [];
  const sampler = setInterval(() => samples.push(rssKiB(pid)), 1000);
  let acked = 1; // "before the flood"
  let refused = 0;
  const errors = {};
  const deadline = Date.now() + SECONDS * 1000;
  async function sender(s) {
    let n = 0;
    async function lane() {
      while (Date.now() < deadline) {
        const r = await emitAck(sockets[s], "message:send", { chatId, body: BODY, clientMsgId: `s${s}-${n++}` }, 60000).catch((e) => ({ ok: false, error: { code: e.message } }));
        if (r.ok) acked++;
        else {
          refused++;
          errors[r.error?.code] = (errors[r.error?.code] || 0) + 1;
        }
      }
    }
    await Promise.all(Array.from({ length: WINDOW }, lane));
  }
  const fStart = Date.now();
  await Promise.all(Array.from({ length: SENDERS }, (_, s) => sender(s)));
  const fSeconds = (Date.now() - fStart) / 1000;
  clearInterval(sampler);
  await sleep(1000); // deliveries still in flight
  result.acked = acked;
  result.refused = refused;
  result.errors = errors;
  result.msgsPerSecond = Math.round((acked - 1) / fSeconds);
  result.deliveriesPerSecond = Math.round(delivered / fSeconds);
  result.deliveries = delivered;
  result.rssBaselineMiB = +(baseline / 1024).toFixed(1);
  result.rssPeakMiB = +(Math.max(...samples) / 1024).toFixed(1);
  result.rssLastMiB = +(samples[samples.length - 1] / 1024).toFixed(1);
  const q = Math.max(1, Math.floor(samples.length / 4));
  const peak2 = Math.max(...samples.slice(q, 2 * q));
  const peak4 = Math.max(...samples.slice(samples.length - q));
  result.rssPeakSecondQuarterMiB = +(peak2 / 1024).toFixed(1);
  result.rssPeakLastQuarterMiB = +(peak4 / 1024).toFixed(1);
  result.rssEveryTenSecondsMiB = samples.filter((_, i) => i % 10 === 0).map((k) => +(k / 1024).toFixed(1));
  if (refused > 0) failed.push(`${refused} sends refused: ${JSON.stringify(errors)}`);
  if (peak4 > peak2 * 1.1 + 16 * 1024) failed.push("RSS did not level off");
  if (Math.max(...samples) > baseline + BOUND_MIB * 1024) failed.push(`RSS over the baseline + ${BOUND_MIB} MiB`);

  // the late member comes back
  const back0 = Date.now();
  lateSock.connect();
  await new Promise((res, rej) => {
    const t = setTimeout(() => rej(new Error("the late member is not back in 10 s")), 10000);
    lateSock.once("connect", () => {
      clearTimeout(t);
      res();
    });
  });
  result.missed = acked - 1;
  result.backInMs = Date.now() - back0;
  result.recovered = lateSock.recovered;
  if (result.backInMs > 2000) failed.push(`the late member took ${result.backInMs} ms`);
  if (lateSock.recovered) failed.push("a replay of everything was attempted (recovered: true)");
  const info = await api(server, "GET", `/v1/api/chats/public/${chatId}`, { token: late.token });
  result.lastSeq = info.json?.lastSeq;
  if (result.lastSeq !== acked) failed.push(`stored ${result.lastSeq}, acknowledged ${acked}`);
  lateSock.close();
  const metrics = await api(server, "GET", "/metrics");
  result.metrics = Object.fromEntries(
    metrics.text
      .split("\n")
      .filter((l) => /^sioc_(recovery|send_queue|store)\w* /.test(l))
      .map((l) => l.split(" "))
      .map(([k, v]) => [k, Number(v)]),
  );
  const m = result.metrics;
  if (!(m.sioc_recovery_buffer_bytes <= m.sioc_recovery_buffer_limit_bytes)) failed.push("the recovery buffer is over its bound");
  // a flood that outgrew the buffer must have dropped its oldest entries, counted
  if (result.acked * BODY.length > RECOVERY_MAX && !(m.sioc_recovery_dropped_total > 0)) failed.push("no recovery drop counted");
} catch (e) {
  failed.push(`error: ${e.stack || e}`);
} finally {
  for (const s of sockets) s?.close();
  await server.stop().catch((e) => failed.push(`stop: ${e.message}`));
}
result.failed = failed;
const line = JSON.stringify(result);
console.log(line);
if (process.env.SOAK_OUT) fs.writeFileSync(process.env.SOAK_OUT, line + "\n");
process.exit(failed.length ? 1 : 0);
