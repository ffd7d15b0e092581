// tests/bench/chat-setup.js - what the `chat` scenarios of tests/bench/run need around the load
// generator: a private PostgreSQL (started and stopped by the runner, durable settings), a fresh
// database per run (a new SQLite file, or CREATE DATABASE), the users and group chats made over
// the server's REST API (the same calls for sioc and for the Node reference), the tokens file the
// generator reads, and the check that every acknowledged message was stored.
"use strict";
const { spawnSync } = require("node:child_process");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");

const PGBIN = "/usr/lib/postgresql/15/bin";

function run(cmd, args, options = {}) {
  const r = spawnSync(cmd, args, { stdio: ["ignore", "pipe", "pipe"], encoding: "utf8", ...options });
  return { ok: r.status === 0, out: (r.stdout || "") + (r.stderr || "") };
}

// A private PostgreSQL 15 on `port`, pinned with `pin` (["taskset", "-c", "1"] or []), with the
// durable defaults (fsync, synchronous_commit, full_page_writes on): the chat scenario measures
// messages that are persisted. As root, the cluster belongs to the user postgres (initdb refuses
// root). Returns {port, dataDir, pid, stop()} or throws with the reason.
function startPostgres(port, pin) {
  if (!fs.existsSync(path.join(PGBIN, "initdb"))) throw new Error(`no PostgreSQL 15 in ${PGBIN}`);
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "sioc-bench-pg."));
  const asPg = process.getuid() === 0 ? ["runuser", "-u", "postgres", "--"] : [];
  if (asPg.length) run("chown", ["postgres:postgres", dataDir]);
  const pgRun = (bin, args) => {
    const full = [...pin, ...asPg, path.join(PGBIN, bin), ...args];
    return run(full[0], full.slice(1));
  };
  let r = pgRun("initdb", ["-D", dataDir, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"]);
  if (!r.ok) throw new Error(`initdb failed: ${r.out.trim().split("\n").pop()}`);
  r = pgRun("pg_ctl", ["-D", dataDir, "-l", path.join(dataDir, "server.log"), "-w", "-t", "30", "-o",
    `-p ${port} -k /tmp -c listen_addresses=127.0.0.1 -c max_connections=100`, "start"]);
  if (!r.ok) throw new Error(`pg_ctl start failed: ${r.out.trim().split("\n").pop()}`);
  const pid = Number(fs.readFileSync(path.join(dataDir, "postmaster.pid"), "utf8").split("\n")[0]);
  return {
    port,
    dataDir,
    pid,
    stop() {
      pgRun("pg_ctl", ["-D", dataDir, "-m", "fast", "stop"]);
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

function psql(pg, sql) {
  const r = run("psql", ["-q", "-h", "127.0.0.1", "-p", String(pg.port), "-U", "postgres", "-c", sql]);
  if (!r.ok) throw new Error(`psql ${sql}: ${r.out.trim()}`);
}

let dbSerial = 0;

// A fresh, empty database for one run: {url, drop()}.
function freshDatabase(kind, pg, tmpDir) {
  const n = `${process.pid}_${++dbSerial}`;
  if (kind === "sqlite") {
    const dir = fs.mkdtempSync(path.join(tmpDir, "chat-sqlite."));
    return { url: `sqlite:${path.join(dir, `bench_${n}.db`)}`, drop: () => fs.rmSync(dir, { recursive: true, force: true }) };
  }
  const name = `bench_${n}`;
  psql(pg, `CREATE DATABASE ${name}`);
  return {
    url: `postgres://postgres@127.0.0.1:${pg.port}/${name}`,
    drop: () => { try { psql(pg, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`); } catch { /* the cluster goes at the end */ } },
  };
}

async function api(port, method, url, body, token) {
  const headers = { "content-type": "application/json" };
  if (token) headers.authorization = `Bearer ${token}`;
  const res = await fetch(`http://127.0.0.1:${port}${url}`, { method, headers, body: body ? JSON.stringify(body) : undefined });
  const text = await res.text();
  let json;
  try { json = JSON.parse(text); } catch { json = null; }
  if (!res.ok || json === null) throw new Error(`${method} ${url}: HTTP ${res.status} ${text.slice(0, 200)}`);
  return json;
}

// `chats` group chats of `members` users each (users are registered `conc` at a time: password
// hashing is deliberately slow on both servers). Writes "<chatId> <accessToken>" per user to
// `file`. Returns the chat ids and one member's token per chat (to read lastSeq back).
async function setupChats(port, chats, members, file, conc = 4) {
  const users = new Array(chats * members);
  let next = 0;
  const worker = async () => {
    while (next < users.length) {
      const i = next++;
      const r = await api(port, "POST", "/v1/api/auth/register", { username: `bench_user_${i}`, password: `bench-password-${i}` });
      users[i] = { id: r.user.id, token: r.accessToken };
    }
  };
  await Promise.all(Array.from({ length: conc }, worker));
  const lines = [];
  const chatList = [];
  for (let c = 0; c < chats; c++) {
    const group = users.slice(c * members, (c + 1) * members);
    const chat = await api(port, "POST", "/v1/api/chats/group", { name: `bench-${c}`, memberIds: group.slice(1).map((u) => u.id) }, group[0].token);
    chatList.push({ id: chat.id, token: group[0].token });
    for (const u of group) lines.push(`${chat.id} ${u.token}`);
  }
  fs.writeFileSync(file, lines.join("\n") + "\n");
  return chatList;
}

// Reads each chat's lastSeq (messages stored) back over REST and compares with the acks the
// generator counted: `unstored_acks` (acknowledged, not stored) must be 0; `stored_total` may
// exceed the acks only by sends whose ack had not arrived when the generator stopped.
async function checkStored(port, chatList, ackedByChat) {
  let stored = 0;
  let unstored = 0;
  for (const c of chatList) {
    const chat = await api(port, "GET", `/v1/api/chats/group/${c.id}`, null, c.token);
    stored += chat.lastSeq;
    unstored += Math.max(0, (ackedByChat[c.id] || 0) - chat.lastSeq);
  }
  return { stored_total: stored, unstored_acks: unstored };
}

module.exports = { startPostgres, freshDatabase, setupChats, checkStored };
