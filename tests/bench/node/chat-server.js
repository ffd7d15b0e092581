// The Node.js reference for the `chat` scenarios of tests/bench/run: the message path of sioc's
// chat service (docs/chat-events.md), written the way an Express + socket.io developer would, so
// that the two can be measured doing the same work:
//   - REST (plain node:http, JSON bodies, `Authorization: Bearer`): register, create a group
//     chat, read a group chat (its lastSeq counts the stored messages);
//   - Socket.IO namespace `/chat` (socket.io 4.8): a middleware checks the HS256 access token
//     (jsonwebtoken) and loads the user; on connection the socket joins `user:<id>` and
//     `chat:<id>` of each of the user's chats, then gets `ready`; `message:send` is validated,
//     stored in one transaction (duplicate check by (author, clientMsgId), membership check,
//     chats.last_seq + 1, insert), acknowledged after the commit, then emitted to the chat's room
//     as `message:new`. Sends to one chat go through a per-chat promise chain, so their seqs,
//     acks and broadcasts follow the order of arrival; different chats run concurrently.
//   - Storage: SQLite with better-sqlite3 (synchronous; WAL, synchronous=FULL, foreign keys on,
//     one transaction per message) or PostgreSQL with node-postgres (a Pool of 4 connections,
//     sioc's pool size; durable server defaults; named prepared statements; a send is one
//     statement, sioc's, so it is one round trip and its own transaction). The schema mirrors
//     sioc's tables on this path (storage/schema_*.c), full-text index included, so the
//     database does the same work per message.
//   - Connection state recovery is on (2 minutes), as on sioc's `/chat`: broadcasts carry an
//     offset and a client that reconnects in time gets what it missed.
// Usage: node chat-server.js --port P --database sqlite:/path/file.db|postgres://user@host:port/db
//        [--host H]. Creates the schema (idempotent), prints
//        `ready port=P pid=N bufferutil=yes|no database=sqlite|postgres` once listening; closes
//        the database and exits 0 on SIGTERM/SIGINT.
"use strict";
const crypto = require("node:crypto");
const { createServer } = require("node:http");
const { promisify } = require("node:util");
const jwt = require("jsonwebtoken");
const { Server } = require("socket.io");

const scrypt = promisify(crypto.scrypt);

const ACCESS_TTL_S = 900;
const REFRESH_TTL_MS = 30 * 86400 * 1000;
const MAX_BODY = 65536; // bytes of a REST request body
const PG_POOL_SIZE = 4; // sioc's PG_POOL_DEFAULT

function arg(name, dflt) {
  const i = process.argv.indexOf(name);
  return i > 0 && i + 1 < process.argv.length ? process.argv[i + 1] : dflt;
}

// ---- schema (storage/schema_sqlite.c and schema_pg.c: the tables this path uses) ----

const SQLITE_SCHEMA = `
CREATE TABLE IF NOT EXISTS users (
  id INTEGER PRIMARY KEY,
  username TEXT NOT NULL COLLATE NOCASE UNIQUE,
  display_name TEXT NOT NULL DEFAULT '',
  password_hash TEXT NOT NULL DEFAULT '',
  name_color TEXT NOT NULL DEFAULT '',
  role TEXT NOT NULL DEFAULT 'user' CHECK (role IN ('user', 'agent', 'admin')),
  created_at INTEGER NOT NULL,
  last_seen_at INTEGER);
CREATE TABLE IF NOT EXISTS refresh_tokens (
  token_hash TEXT PRIMARY KEY,
  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  revoked INTEGER NOT NULL DEFAULT 0);
CREATE INDEX IF NOT EXISTS refresh_tokens_user ON refresh_tokens(user_id);
CREATE TABLE IF NOT EXISTS chats (
  id INTEGER PRIMARY KEY,
  kind TEXT NOT NULL CHECK (kind IN ('public', 'private', 'group')),
  name TEXT NOT NULL DEFAULT '',
  topic TEXT NOT NULL DEFAULT '',
  created_by INTEGER REFERENCES users(id) ON DELETE SET NULL,
  created_at INTEGER NOT NULL,
  last_seq INTEGER NOT NULL DEFAULT 0,
  last_message_at INTEGER,
  private_a INTEGER REFERENCES users(id) ON DELETE CASCADE,
  private_b INTEGER REFERENCES users(id) ON DELETE CASCADE,
  CHECK ((kind = 'private') = (private_a IS NOT NULL AND private_b IS NOT NULL
    AND private_a < private_b)),
  UNIQUE (private_a, private_b));
CREATE INDEX IF NOT EXISTS chats_kind ON chats(kind);
CREATE TABLE IF NOT EXISTS memberships (
  chat_id INTEGER NOT NULL REFERENCES chats(id) ON DELETE CASCADE,
  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  role TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'member')),
  joined_at INTEGER NOT NULL,
  PRIMARY KEY (chat_id, user_id));
CREATE INDEX IF NOT EXISTS memberships_user ON memberships(user_id);
CREATE TABLE IF NOT EXISTS messages (
  id INTEGER PRIMARY KEY,
  chat_id INTEGER NOT NULL REFERENCES chats(id) ON DELETE CASCADE,
  seq INTEGER NOT NULL,
  author_id INTEGER REFERENCES users(id) ON DELETE SET NULL,
  body TEXT NOT NULL,
  client_msg_id TEXT,
  created_at INTEGER NOT NULL,
  edited_at INTEGER,
  deleted_at INTEGER,
  UNIQUE (chat_id, seq),
  UNIQUE (author_id, client_msg_id));
CREATE VIRTUAL TABLE IF NOT EXISTS messages_fts USING fts5(body, content='messages',
  content_rowid='id', tokenize='unicode61 remove_diacritics 0');
CREATE TRIGGER IF NOT EXISTS messages_fts_ai AFTER INSERT ON messages BEGIN
  INSERT INTO messages_fts(rowid, body) VALUES (new.id, new.body); END;
CREATE TRIGGER IF NOT EXISTS messages_fts_ad AFTER DELETE ON messages BEGIN
  INSERT INTO messages_fts(messages_fts, rowid, body) VALUES ('delete', old.id, old.body); END;
CREATE TRIGGER IF NOT EXISTS messages_fts_au AFTER UPDATE OF body ON messages BEGIN
  INSERT INTO messages_fts(messages_fts, rowid, body) VALUES ('delete', old.id, old.body);
  INSERT INTO messages_fts(rowid, body) VALUES (new.id, new.body); END;
`;

// usernames are unique under ASCII case folding, as SQLite's NOCASE
const FOLD = (x) => `translate(${x}, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz')`;

const PG_SCHEMA = `
CREATE TABLE IF NOT EXISTS users (
  id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
  username TEXT NOT NULL,
  display_name TEXT NOT NULL DEFAULT '',
  password_hash TEXT NOT NULL DEFAULT '',
  name_color TEXT NOT NULL DEFAULT '',
  role TEXT NOT NULL DEFAULT 'user' CHECK (role IN ('user', 'agent', 'admin')),
  created_at BIGINT NOT NULL,
  last_seen_at BIGINT);
CREATE UNIQUE INDEX IF NOT EXISTS users_username_key ON users (${FOLD("username")});
CREATE TABLE IF NOT EXISTS refresh_tokens (
  token_hash TEXT PRIMARY KEY,
  user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  created_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL,
  revoked BOOLEAN NOT NULL DEFAULT false);
CREATE INDEX IF NOT EXISTS refresh_tokens_user ON refresh_tokens(user_id);
CREATE TABLE IF NOT EXISTS chats (
  id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
  kind TEXT NOT NULL CHECK (kind IN ('public', 'private', 'group')),
  name TEXT NOT NULL DEFAULT '',
  topic TEXT NOT NULL DEFAULT '',
  created_by BIGINT REFERENCES users(id) ON DELETE SET NULL,
  created_at BIGINT NOT NULL,
  last_seq BIGINT NOT NULL DEFAULT 0,
  last_message_at BIGINT,
  private_a BIGINT REFERENCES users(id) ON DELETE CASCADE,
  private_b BIGINT REFERENCES users(id) ON DELETE CASCADE,
  CHECK ((kind = 'private') = (private_a IS NOT NULL AND private_b IS NOT NULL
    AND private_a < private_b)),
  UNIQUE (private_a, private_b));
CREATE INDEX IF NOT EXISTS chats_kind ON chats(kind);
CREATE TABLE IF NOT EXISTS memberships (
  chat_id BIGINT NOT NULL REFERENCES chats(id) ON DELETE CASCADE,
  user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  role TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'member')),
  joined_at BIGINT NOT NULL,
  PRIMARY KEY (chat_id, user_id));
CREATE INDEX IF NOT EXISTS memberships_user ON memberships(user_id);
CREATE TABLE IF NOT EXISTS messages (
  id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
  chat_id BIGINT NOT NULL REFERENCES chats(id) ON DELETE CASCADE,
  seq BIGINT NOT NULL,
  author_id BIGINT REFERENCES users(id) ON DELETE SET NULL,
  body TEXT NOT NULL,
  client_msg_id TEXT,
  created_at BIGINT NOT NULL,
  edited_at BIGINT,
  deleted_at BIGINT,
  body_tsv tsvector GENERATED ALWAYS AS (to_tsvector('simple', body)) STORED,
  UNIQUE (chat_id, seq),
  UNIQUE (author_id, client_msg_id));
CREATE INDEX IF NOT EXISTS messages_body_tsv ON messages USING GIN (body_tsv);
`;

// ---- statements (the same on both databases but for the username lookup) ----

const USER_COLS = "id, username, display_name, name_color, role, created_at, last_seen_at";
const MSG_COLS = "id, chat_id, seq, author_id, body, client_msg_id, created_at, edited_at, deleted_at";
const CHAT_COLS = "c.id, c.kind, c.name, c.topic, c.created_by, c.created_at, c.last_seq," +
  " c.last_message_at, (SELECT count(*) FROM memberships x WHERE x.chat_id = c.id) AS member_count";

// Written with $n placeholders in order (SQLite gets them as `?`).
const SQL = {
  userById: `SELECT ${USER_COLS} FROM users WHERE id = $1`,
  userInsert: "INSERT INTO users (username, display_name, password_hash, created_at)" +
    ` VALUES ($1, $2, $3, $4) RETURNING ${USER_COLS}`,
  tokenInsert: "INSERT INTO refresh_tokens (token_hash, user_id, created_at, expires_at)" +
    " VALUES ($1, $2, $3, $4)",
  chatInsert: "INSERT INTO chats (kind, name, topic, created_by, created_at)" +
    " VALUES ('group', $1, $2, $3, $4) RETURNING id",
  memberInsert: "INSERT INTO memberships (chat_id, user_id, role, joined_at) VALUES ($1, $2, $3, $4)",
  chatById: `SELECT ${CHAT_COLS} FROM chats c WHERE c.id = $1`,
  memberRole: "SELECT role FROM memberships WHERE chat_id = $1 AND user_id = $2",
  chatIdsOf: "SELECT chat_id FROM memberships WHERE user_id = $1 ORDER BY chat_id",
  msgByClientId: `SELECT ${MSG_COLS} FROM messages WHERE author_id = $1 AND client_msg_id = $2`,
  // one row if the chat exists; member is NULL if the author is not in it
  chatAccess: "SELECT m.user_id AS member FROM chats c" +
    " LEFT JOIN memberships m ON m.chat_id = c.id AND m.user_id = $1 WHERE c.id = $2",
  chatBump: "UPDATE chats SET last_seq = last_seq + 1, last_message_at = $1 WHERE id = $2" +
    " RETURNING last_seq",
  msgInsert: "INSERT INTO messages (chat_id, seq, author_id, body, client_msg_id, created_at)" +
    ` VALUES ($1, $2, $3, $4, $5, $6) RETURNING ${MSG_COLS}`,
};

// One statement per send, as sioc's storage/pg_ops.c does (one round trip, its own
// transaction): the duplicate check, the membership check, the seq bump and the insert. Written
// as a node-postgres user would with BEGIN..COMMIT it takes 6 round trips and more CPU on both
// sides; the benchmark compares the servers, so the database does the same work for each.
const PG_SEND = "WITH dup AS (SELECT " + MSG_COLS + " FROM messages WHERE $4::text IS NOT NULL" +
  "   AND author_id = $2::bigint AND client_msg_id = $4::text)," +
  " mem AS (SELECT 1 FROM memberships WHERE chat_id = $1::bigint AND user_id = $2::bigint)," +
  " bump AS (UPDATE chats SET last_seq = last_seq + 1, last_message_at = $5::bigint" +
  "   WHERE id = $1::bigint AND NOT EXISTS (SELECT 1 FROM dup)" +
  "   AND EXISTS (SELECT 1 FROM mem) RETURNING last_seq)," +
  " ins AS (INSERT INTO messages (chat_id, seq, author_id, body, client_msg_id, created_at)" +
  "   SELECT $1::bigint, last_seq, $2::bigint, $3::text, $4::text, $5::bigint FROM bump" +
  "   RETURNING " + MSG_COLS + ")," +
  " res AS (SELECT ins.*, false AS duplicate FROM ins UNION ALL SELECT dup.*, true FROM dup)" +
  " SELECT EXISTS (SELECT 1 FROM chats WHERE id = $1::bigint) AS chat_exists," +
  " EXISTS (SELECT 1 FROM mem) AS is_member, res.* FROM (SELECT 1) one LEFT JOIN res ON true";

const SQL_USER_BY_NAME = {
  sqlite: `SELECT ${USER_COLS} FROM users WHERE username = $1`, // the column is NOCASE
  postgres: `SELECT ${USER_COLS} FROM users WHERE ${FOLD("username")} = ${FOLD("$1")}`,
};

// ---- SQLite (better-sqlite3: synchronous, one connection) ----
// Both backends return the same object: async methods giving rows with the tables' column names;
// sendMessage gives {message, duplicate} or {error: "not_found" | "not_a_member"}.

function openSqlite(file) {
  const Database = require("better-sqlite3");
  const db = new Database(file);
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = FULL");
  db.pragma("foreign_keys = ON");
  db.exec(SQLITE_SCHEMA);
  const st = {};
  for (const [name, sql] of Object.entries({ ...SQL, userByName: SQL_USER_BY_NAME.sqlite }))
    st[name] = db.prepare(sql.replace(/\$\d+/g, "?"));
  const one = (name, params) => st[name].get(...params);
  const run = (name, params) => st[name].run(...params);

  const send = db.transaction((chatId, authorId, body, clientMsgId, now) => {
    const dup = clientMsgId !== null ? one("msgByClientId", [authorId, clientMsgId]) : undefined;
    if (dup) return { message: dup, duplicate: true };
    const access = one("chatAccess", [authorId, chatId]);
    if (!access) return { error: "not_found" };
    if (access.member === null) return { error: "not_a_member" };
    const { last_seq: seq } = one("chatBump", [now, chatId]);
    return { message: one("msgInsert", [chatId, seq, authorId, body, clientMsgId, now]), duplicate: false };
  });
  const createGroup = db.transaction((name, topic, ownerId, memberIds, now) => {
    const { id } = one("chatInsert", [name, topic, ownerId, now]);
    run("memberInsert", [id, ownerId, "owner", now]);
    for (const uid of memberIds) run("memberInsert", [id, uid, "member", now]);
    return one("chatById", [id]);
  });

  return {
    kind: "sqlite",
    async userByName(name) { return one("userByName", [name]); },
    async userById(id) { return one("userById", [id]); },
    async createUser(username, displayName, hash, now) { return one("userInsert", [username, displayName, hash, now]); },
    async insertToken(hash, userId, now, expiresAt) { run("tokenInsert", [hash, userId, now, expiresAt]); },
    async createGroup(...a) { return createGroup(...a); },
    async chatById(id) { return one("chatById", [id]); },
    async memberRole(chatId, userId) { return one("memberRole", [chatId, userId])?.role; },
    async chatIdsOf(userId) { return st.chatIdsOf.all(userId).map((r) => r.chat_id); },
    async sendMessage(...a) { return send(...a); },
    async close() { db.close(); },
  };
}

// ---- PostgreSQL (node-postgres: a Pool, named prepared statements) ----

async function openPostgres(url) {
  const pg = require("pg");
  // ids, seqs, times and counts are BIGINT: well within Number's exact range here
  pg.types.setTypeParser(pg.types.builtins.INT8, (v) => parseInt(v, 10));
  const pool = new pg.Pool({ connectionString: url, max: PG_POOL_SIZE });
  const texts = { ...SQL, userByName: SQL_USER_BY_NAME.postgres };
  texts.msgSend = PG_SEND;
  const one = async (client, name, values) => (await client.query({ name, text: texts[name], values })).rows[0];

  // Runs fn(client) between BEGIN and COMMIT on a pooled connection.
  async function transaction(fn) {
    const client = await pool.connect();
    let broken;
    try {
      await client.query("BEGIN");
      const result = await fn(client);
      await client.query("COMMIT");
      return result;
    } catch (err) {
      await client.query("ROLLBACK").catch((e) => { broken = e; });
      throw err;
    } finally {
      client.release(broken);
    }
  }

  async function send(chatId, authorId, body, clientMsgId, now) {
    const r = await one(pool, "msgSend", [chatId, authorId, body, clientMsgId, now]);
    if (r.id !== null) return { message: r, duplicate: r.duplicate };
    if (!r.chat_exists) return { error: "not_found" };
    return { error: "not_a_member" };
  }

  await pool.query(PG_SCHEMA);
  return {
    kind: "postgres",
    userByName: (name) => one(pool, "userByName", [name]),
    userById: (id) => one(pool, "userById", [id]),
    createUser: (username, displayName, hash, now) => one(pool, "userInsert", [username, displayName, hash, now]),
    insertToken: (hash, userId, now, expiresAt) => one(pool, "tokenInsert", [hash, userId, now, expiresAt]),
    createGroup: (name, topic, ownerId, memberIds, now) => transaction(async (client) => {
      const { id } = await one(client, "chatInsert", [name, topic, ownerId, now]);
      await one(client, "memberInsert", [id, ownerId, "owner", now]);
      for (const uid of memberIds) await one(client, "memberInsert", [id, uid, "member", now]);
      return one(client, "chatById", [id]);
    }),
    chatById: (id) => one(pool, "chatById", [id]),
    memberRole: async (chatId, userId) => (await one(pool, "memberRole", [chatId, userId]))?.role,
    chatIdsOf: async (userId) =>
      (await pool.query({ name: "chatIdsOf", text: texts.chatIdsOf, values: [userId] })).rows.map((r) => r.chat_id),
    // Two sends of one clientMsgId to different chats may race: the loser hits the UNIQUE
    // constraint, and its second try finds the winner's row.
    async sendMessage(...a) {
      try {
        return await send(...a);
      } catch (err) {
        if (err.code !== "23505") throw err;
        return send(...a);
      }
    },
    close: () => pool.end(),
  };
}

function isUniqueViolation(err) {
  return err.code === "23505" || err.code === "SQLITE_CONSTRAINT_UNIQUE";
}

function isForeignKeyViolation(err) {
  return err.code === "23503" || err.code === "SQLITE_CONSTRAINT_FOREIGNKEY";
}

// ---- JSON shapes (src/chat/json.c) ----

function userJson(u) {
  return { id: u.id, username: u.username, displayName: u.display_name, nameColor: u.name_color,
    role: u.role, createdAt: u.created_at, lastSeenAt: u.last_seen_at ?? 0, status: "offline", online: false };
}

function chatJson(c, myRole) {
  return { id: c.id, type: c.kind, name: c.name, topic: c.topic, createdBy: c.created_by ?? 0,
    createdAt: c.created_at, lastSeq: c.last_seq, lastMessageAt: c.last_message_at ?? 0,
    memberCount: c.member_count, myRole };
}

function messageJson(m) {
  return { id: m.id, chatId: m.chat_id, seq: m.seq, authorId: m.author_id, body: m.body,
    createdAt: m.created_at, deleted: m.deleted_at !== null, clientMsgId: m.client_msg_id,
    editedAt: m.edited_at, deletedAt: m.deleted_at, reactions: [] };
}

// ---- validation (src/core/json_body.c: the same rules and error codes as sioc) ----

// A field error: {code, message}.
const fieldError = (code, message) => ({ code, message });

function checkText(s) {
  if (/[\x00-\x08\x0b-\x1f\x7f]/.test(s)) return "must not hold control characters"; // \t, \n pass
  return /^[ \n\t]*$/.test(s) ? "must not be blank" : null;
}

function checkUsername(s) {
  return /^[A-Za-z0-9_.-]*$/.test(s) ? null : "must hold only letters, digits, '_', '.' and '-'";
}

function checkAsciiId(s) {
  return /^[\x21-\x7e]*$/.test(s) ? null : "must hold only printable ASCII characters";
}


function checkField(name, f, v) {
  if (v === null) {
    return f.nullable && !f.required ? null : fieldError("invalid_field", `field '${name}' must not be null`);
  }
  if (f.type === "string") {
    if (typeof v !== "string") return fieldError("invalid_field", `field '${name}' must be a string`);
    // characters as sioc counts them (code points); the UTF-16 length decides it but near the limits
    const n = v.length > f.max || v.length < 2 * f.min ? [...v].length : v.length;
    if (n > f.max) return fieldError("field_too_long", `field '${name}' must be at most ${f.max} characters`);
    if (n < f.min) return fieldError("invalid_field", `field '${name}' must be at least ${f.min} characters`);
    const why = f.check ? f.check(v) : null;
    return why ? fieldError("invalid_field", `field '${name}' ${why}`) : null;
  }
  if (f.type === "id") {
    if (!Number.isInteger(v)) return fieldError("invalid_field", `field '${name}' must be an integer`);
    return Number.isSafeInteger(v) && v >= 1 ? null
      : fieldError("invalid_field", `field '${name}' must be between 1 and 9223372036854775807`);
  }
  // an array of distinct ids
  if (!Array.isArray(v)) return fieldError("invalid_field", `field '${name}' must be an array of ids`);
  if (v.length > f.max) return fieldError("field_too_long", `field '${name}' must have at most ${f.max} elements`);
  if (!v.every((x) => Number.isSafeInteger(x) && x >= 1)) {
    return fieldError("invalid_field", `field '${name}' must hold positive integer ids`);
  }
  return new Set(v).size === v.length ? null : fieldError("invalid_field", `field '${name}' must not repeat an id`);
}

// Returns null if `value` is an object whose fields fit the table, else the first {code, message}.
function validate(value, fields) {
  if (typeof value !== "object" || value === null || Array.isArray(value) || Buffer.isBuffer(value)) {
    return fieldError("invalid_body", "the payload must be a JSON object");
  }
  for (const [name, v] of Object.entries(value)) {
    const f = Object.hasOwn(fields, name) ? fields[name] : null;
    if (!f) return fieldError("unknown_field", `unknown field '${name.slice(0, 47)}'`);
    const err = checkField(name, f, v);
    if (err) return err;
  }
  for (const [name, f] of Object.entries(fields)) {
    if (f.required && !Object.hasOwn(value, name)) return fieldError("missing_field", `missing field '${name}'`);
  }
  return null;
}

const F_REGISTER = {
  username: { type: "string", required: true, min: 3, max: 32, check: checkUsername },
  password: { type: "string", required: true, min: 8, max: 64 },
  displayName: { type: "string", min: 1, max: 50, check: checkText },
};
const F_GROUP_CREATE = {
  name: { type: "string", required: true, min: 1, max: 50, check: checkText },
  topic: { type: "string", min: 0, max: 250, nullable: true },
  memberIds: { type: "ids", max: 100 },
};
const F_SEND = {
  chatId: { type: "id", required: true },
  body: { type: "string", required: true, min: 1, max: 4000, check: checkText },
  clientMsgId: { type: "string", min: 1, max: 64, nullable: true, check: checkAsciiId },
};

// ---- tokens (src/auth/jwt.c, src/chat/tokens.c) ----

const jwtSecret = crypto.randomBytes(32); // made at start: tokens die with the process

function issueAccessToken(userId) {
  return jwt.sign({ sub: String(userId), typ: "access" }, jwtSecret, { algorithm: "HS256", expiresIn: ACCESS_TTL_S });
}

// Returns {userId} or {code: "token_missing" | "token_invalid" | "token_expired"}.
function verifyAccessToken(token) {
  if (typeof token !== "string" || token === "") return { code: "token_missing" };
  let claims;
  try {
    claims = jwt.verify(token, jwtSecret, { algorithms: ["HS256"] });
  } catch (err) {
    return { code: err.name === "TokenExpiredError" ? "token_expired" : "token_invalid" };
  }
  if (claims.typ !== "access" || typeof claims.exp !== "number" || !/^[1-9][0-9]{0,15}$/.test(claims.sub)) {
    return { code: "token_invalid" };
  }
  return { userId: Number(claims.sub) };
}

// The token of an `Authorization: Bearer <token>` header; null if the header is not of that form.
function bearerToken(header) {
  const m = /^Bearer +(.*?) *$/i.exec(header);
  return m && m[1] !== "" ? m[1] : null;
}

async function hashPassword(password) {
  const salt = crypto.randomBytes(16);
  const key = await scrypt(password, salt, 32);
  return `scrypt$${salt.toString("base64")}$${key.toString("base64")}`;
}

// An access token and a stored (hashed) refresh token for a user: the body of register.
async function tokenPair(db, user) {
  const refreshToken = crypto.randomBytes(32).toString("base64url");
  const now = Date.now();
  await db.insertToken(crypto.createHash("sha256").update(refreshToken).digest("hex"), user.id, now, now + REFRESH_TTL_MS);
  return { accessToken: issueAccessToken(user.id), refreshToken, tokenType: "Bearer", expiresIn: ACCESS_TTL_S, user: userJson(user) };
}

// ---- REST ----

class HttpError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

function readJson(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    req.on("data", (chunk) => {
      size += chunk.length;
      if (size <= MAX_BODY) chunks.push(chunk);
    });
    req.on("error", reject);
    req.on("end", () => {
      if (size > MAX_BODY) return reject(new HttpError(413, "payload_too_large", `the body must be at most ${MAX_BODY} bytes`));
      try {
        resolve(JSON.parse(Buffer.concat(chunks).toString("utf8")));
      } catch {
        reject(new HttpError(400, "invalid_json", "the body must be a JSON object"));
      }
    });
  });
}

async function validBody(req, fields) {
  const body = await readJson(req);
  const err = validate(body, fields);
  if (err) throw new HttpError(400, err.code, err.message);
  return body;
}

function authenticate(req) {
  const header = req.headers.authorization;
  const r = verifyAccessToken(header === undefined ? "" : bearerToken(header) ?? "-");
  if (r.code) {
    const what = { token_missing: "an access token is required", token_expired: "the access token has expired" };
    throw new HttpError(401, r.code, what[r.code] ?? "the access token is invalid");
  }
  return r.userId;
}

async function register(db, req) {
  const body = await validBody(req, F_REGISTER);
  if (await db.userByName(body.username)) throw new HttpError(409, "username_taken", "the username is already taken");
  const hash = await hashPassword(body.password);
  let user;
  try {
    user = await db.createUser(body.username, body.displayName ?? body.username, hash, Date.now());
  } catch (err) {
    if (isUniqueViolation(err)) throw new HttpError(409, "username_taken", "the username is already taken");
    throw err;
  }
  return [201, await tokenPair(db, user)];
}

async function createGroup(db, req) {
  const userId = authenticate(req);
  const body = await validBody(req, F_GROUP_CREATE);
  const memberIds = (body.memberIds ?? []).filter((id) => id !== userId);
  try {
    const chat = await db.createGroup(body.name, body.topic ?? "", userId, memberIds, Date.now());
    return [201, chatJson(chat, "owner")];
  } catch (err) {
    if (isForeignKeyViolation(err)) throw new HttpError(404, "user_not_found", "a member does not exist");
    throw err;
  }
}

async function getGroup(db, req, id) {
  const userId = authenticate(req);
  const chat = await db.chatById(id);
  if (!chat || chat.kind !== "group") throw new HttpError(404, "not_found", "chat not found");
  const role = await db.memberRole(id, userId);
  if (!role) throw new HttpError(403, "not_a_member", "you are not a member of this chat");
  return [200, chatJson(chat, role)];
}

// Dispatches a request; the answer is [status, body].
function route(db, req) {
  const path = req.url.split("?")[0];
  if (req.method === "POST" && path === "/v1/api/auth/register") return register(db, req);
  if (req.method === "POST" && path === "/v1/api/chats/group") return createGroup(db, req);
  const m = /^\/v1\/api\/chats\/group\/([1-9][0-9]{0,15})$/.exec(path);
  if (req.method === "GET" && m) return getGroup(db, req, Number(m[1]));
  throw new HttpError(404, "not_found", "no such route");
}

async function handleRequest(db, req, res) {
  let status, body;
  try {
    [status, body] = await route(db, req);
  } catch (err) {
    if (!(err instanceof HttpError)) console.error("chat-server:", err);
    status = err instanceof HttpError ? err.status : 500;
    body = { error: { code: err instanceof HttpError ? err.code : "internal", message: err.message } };
  }
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

// ---- Socket.IO: namespace /chat (src/chat/realtime.c, src/chat/send.c) ----

function unauthorized(code) {
  const err = new Error("unauthorized");
  err.data = { code };
  return err;
}

// The middleware: a valid access token (auth.token, else an Authorization header) of an
// existing user; socket.data = {userId, username}.
async function authSocket(db, socket) {
  const { auth, headers } = socket.handshake;
  let token = typeof auth?.token === "string" ? auth.token : undefined;
  if (token === undefined && headers.authorization !== undefined) {
    token = bearerToken(headers.authorization);
    if (token === null) throw unauthorized("token_invalid");
  }
  const r = verifyAccessToken(token);
  if (r.code) throw unauthorized(r.code);
  let user;
  try {
    user = await db.userById(r.userId);
  } catch (err) {
    console.error("chat-server:", err);
    throw unauthorized("unavailable");
  }
  if (!user) throw unauthorized("user_not_found");
  socket.data = { userId: user.id, username: user.username };
}

const errorAck = (code, message) => ({ ok: false, error: { code, message } });

// Runs `task` after every earlier task of the same chat (and removes the chain when it ends), so
// that sends to one chat are stored, acknowledged and broadcast in the order they arrived.
function serialize(chains, chatId, task) {
  const tail = (chains.get(chatId) ?? Promise.resolve()).then(task).catch((err) => console.error("chat-server:", err));
  chains.set(chatId, tail);
  tail.then(() => {
    if (chains.get(chatId) === tail) chains.delete(chatId);
  });
}

// message:send: validate, then (in the chat's order) store, ack, broadcast.
function onMessageSend(db, nsp, chains, socket, args) {
  const ack = typeof args[args.length - 1] === "function" ? args.pop() : () => {};
  const err = validate(args[0], F_SEND);
  if (err) return ack(errorAck(err.code, err.message));
  const { chatId, body } = args[0];
  const clientMsgId = args[0].clientMsgId ?? null;
  serialize(chains, chatId, async () => {
    let r;
    try {
      r = await db.sendMessage(chatId, socket.data.userId, body, clientMsgId, Date.now());
    } catch (e) {
      console.error("chat-server:", e);
      return ack(errorAck("internal", "storage failed"));
    }
    if (r.error === "not_found") return ack(errorAck("not_found", "chat not found"));
    if (r.error === "not_a_member") return ack(errorAck("not_a_member", "you are not a member of this chat"));
    // client ids are unique per author across chats: a retry must name the same chat
    if (r.message.chat_id !== chatId) {
      return ack(errorAck("client_msg_id_used", "clientMsgId was already used for a message in another chat"));
    }
    const message = messageJson(r.message);
    ack({ message, duplicate: r.duplicate, ok: true });
    if (!r.duplicate) nsp.to(`chat:${chatId}`).emit("message:new", message);
  });
}

async function onConnection(db, nsp, chains, socket) {
  const { userId, username } = socket.data;
  socket.on("message:send", (...args) => onMessageSend(db, nsp, chains, socket, args));
  socket.join(`user:${userId}`);
  let chatIds;
  try {
    chatIds = await db.chatIdsOf(userId);
  } catch (err) {
    console.error("chat-server:", err);
    return;
  }
  if (!socket.connected) return;
  socket.join(chatIds.map((id) => `chat:${id}`));
  socket.emit("ready", { userId, username, chatIds });
}

// ---- main ----

function openDatabase(url) {
  if (url.startsWith("sqlite:")) return openSqlite(url.slice("sqlite:".length));
  if (/^postgres(ql)?:\/\//.test(url)) return openPostgres(url);
  throw new Error(`--database: expected sqlite:PATH or postgres://..., got ${url}`);
}

async function main() {
  const port = Number(arg("--port", "3000"));
  const host = arg("--host", undefined);
  const db = await openDatabase(arg("--database", ""));
  const httpServer = createServer((req, res) => handleRequest(db, req, res));
  const io = new Server(httpServer, { connectionStateRecovery: { maxDisconnectionDuration: 2 * 60 * 1000 } });
  const nsp = io.of("/chat");
  const chains = new Map(); // chat id -> the tail of its sends
  nsp.use((socket, next) => authSocket(db, socket).then(() => next(), next));
  nsp.on("connection", (socket) => onConnection(db, nsp, chains, socket));

  let bufferutil = "no";
  try {
    require("bufferutil");
    bufferutil = "yes";
  } catch {
    // optional: ws falls back to JavaScript masking
  }
  httpServer.listen(port, host, () => {
    console.log(`ready port=${httpServer.address().port} pid=${process.pid} bufferutil=${bufferutil} database=${db.kind}`);
  });
  let closing = false;
  const stop = () => {
    if (closing) return;
    closing = true;
    io.close();
    db.close().then(() => process.exit(0), (err) => {
      console.error("chat-server: closing the database:", err);
      process.exit(1);
    });
  };
  for (const sig of ["SIGTERM", "SIGINT"]) process.on(sig, stop);
}

main().catch((err) => {
  console.error("chat-server:", err.message);
  process.exit(1);
});
