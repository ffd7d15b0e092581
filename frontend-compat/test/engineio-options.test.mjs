// engineio-options.test.mjs - Engine.IO options seen on the wire: CORS (--cors-origin with one
// origin, "*" and a list), the session cookie (--cookie io), gzip/deflate compression of polling
// responses over the 1024-byte threshold (sioc: up to 1 MiB), --transports restrictions, and the
// response headers the reference always sends (Cache-Control: no-store).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import zlib from "node:zlib";
import { startEcho, REFERENCE } from "./lib/server.mjs";
import { request, pollQuery, handshake, poll, post } from "./lib/http.mjs";
import { RawWs, wsUrl, openWs } from "./lib/ws.mjs";

const servers = {};
before(async () => {
  [
    servers.plain,
    servers.one,
    servers.star,
    servers.list,
    servers.cookie,
    servers.pollingOnly,
    servers.wsOnly,
    servers.creds,
    servers.noUpgrades,
    servers.noCompression,
  ] = await Promise.all([
    startEcho(),
    startEcho(["--cors-origin", "https://example.com"]),
    startEcho(["--cors-origin", "*"]),
    startEcho(["--cors-origin", "https://a.example,https://b.example"]),
    startEcho(["--cookie", "io"]),
    startEcho(["--transports", "polling"]),
    startEcho(["--transports", "websocket"]),
    startEcho(["--cors-origin", "https://example.com", "--cors-credentials"]),
    startEcho(["--no-allow-upgrades"]),
    startEcho(["--no-http-compression"]),
  ]);
});
after(async () => {
  for (const s of Object.values(servers)) await s?.stop();
});

const PREFLIGHT = {
  Origin: "https://example.com",
  "Access-Control-Request-Method": "POST",
  "Access-Control-Request-Headers": "content-type,x-foo",
};

test("CORS off: no Access-Control headers and OPTIONS is a bad handshake method", async () => {
  const get = await request(servers.plain.url, {
    query: pollQuery(),
    headers: { Origin: "https://example.com" },
  });
  assert.equal(get.status, 200);
  assert.equal(get.headers["access-control-allow-origin"], undefined);
  assert.equal(get.headers["access-control-allow-credentials"], undefined);
  const pre = await request(servers.plain.url, { method: "OPTIONS", query: pollQuery(), headers: PREFLIGHT });
  assert.equal(pre.status, 400);
  assert.deepEqual(JSON.parse(pre.text), { code: 2, message: "Bad handshake method" });
});

test("CORS one origin: preflight answers 204 with the cors package's headers", async () => {
  const pre = await request(servers.one.url, { method: "OPTIONS", query: pollQuery(), headers: PREFLIGHT });
  assert.equal(pre.status, 204);
  assert.equal(pre.body.length, 0);
  assert.equal(pre.headers["access-control-allow-origin"], "https://example.com");
  assert.equal(pre.headers["access-control-allow-methods"], "GET,HEAD,PUT,PATCH,POST,DELETE");
  assert.equal(pre.headers["access-control-allow-headers"], "content-type,x-foo");
  assert.equal(pre.headers["vary"], "Origin, Access-Control-Request-Headers");
  assert.equal(pre.headers["access-control-allow-credentials"], undefined);
});

test("CORS one origin: handshake, GET and POST carry Access-Control-Allow-Origin", async () => {
  const headers = { Origin: "https://example.com" };
  const hs = await request(servers.one.url, { query: pollQuery(), headers });
  assert.equal(hs.status, 200);
  assert.equal(hs.headers["access-control-allow-origin"], "https://example.com");
  assert.equal(hs.headers["vary"], "Origin");
  const sid = JSON.parse(hs.text.slice(1)).sid;
  const p = await post(servers.one.url, sid, "4c", { headers });
  assert.equal(p.status, 200);
  assert.equal(p.headers["access-control-allow-origin"], "https://example.com");
  const g = await poll(servers.one.url, sid, { headers });
  assert.equal(g.text, "4c");
  assert.equal(g.headers["access-control-allow-origin"], "https://example.com");
});

test("CORS one origin: errors are still JSON 400 (with the CORS headers)", async () => {
  const res = await request(servers.one.url, {
    query: { EIO: "4", transport: "nope" },
    headers: { Origin: "https://example.com" },
  });
  assert.equal(res.status, 400);
  assert.deepEqual(JSON.parse(res.text), { code: 0, message: "Transport unknown" });
  assert.equal(res.headers["access-control-allow-origin"], "https://example.com");
});

test("CORS one origin: the websocket upgrade answer carries the header too", async () => {
  const ws = new RawWs(wsUrl(servers.one.url), { headers: { Origin: "https://example.com" } });
  const upgrade = new Promise((resolve) => ws.ws.once("upgrade", (res) => resolve(res.headers)));
  try {
    await ws.opened;
    const headers = await upgrade;
    assert.equal(headers["access-control-allow-origin"], "https://example.com");
    assert.equal((await ws.next())[0], "0");
  } finally {
    await ws.close();
  }
});

test("CORS *: preflight and GET answer Access-Control-Allow-Origin: *", async () => {
  const pre = await request(servers.star.url, { method: "OPTIONS", query: pollQuery(), headers: PREFLIGHT });
  assert.equal(pre.status, 204);
  assert.equal(pre.headers["access-control-allow-origin"], "*");
  assert.equal(pre.headers["access-control-allow-methods"], "GET,HEAD,PUT,PATCH,POST,DELETE");
  assert.equal(pre.headers["access-control-allow-headers"], "content-type,x-foo");
  assert.equal(pre.headers["vary"], "Access-Control-Request-Headers");
  const get = await request(servers.star.url, {
    query: pollQuery(),
    headers: { Origin: "https://x.example" },
  });
  assert.equal(get.status, 200);
  assert.equal(get.headers["access-control-allow-origin"], "*");
  assert.equal(get.headers["vary"], undefined);
});

test("CORS list: a listed origin is reflected, another one gets no allow-origin", async () => {
  const ok = await request(servers.list.url, {
    query: pollQuery(),
    headers: { Origin: "https://b.example" },
  });
  assert.equal(ok.status, 200);
  assert.equal(ok.headers["access-control-allow-origin"], "https://b.example");
  assert.match(ok.headers["vary"], /Origin/);
  const other = await request(servers.list.url, {
    query: pollQuery(),
    headers: { Origin: "https://c.example" },
  });
  assert.equal(other.status, 200);
  assert.equal(other.headers["access-control-allow-origin"], undefined);
  const pre = await request(servers.list.url, {
    method: "OPTIONS",
    query: pollQuery(),
    headers: { Origin: "https://a.example", "Access-Control-Request-Method": "GET" },
  });
  assert.equal(pre.status, 204);
  assert.equal(pre.headers["access-control-allow-origin"], "https://a.example");
  // without Access-Control-Request-Headers nothing is reflected, but caches are still told
  assert.equal(pre.headers["access-control-allow-headers"], undefined);
  assert.equal(pre.headers["vary"], "Origin, Access-Control-Request-Headers");
  const preOther = await request(servers.list.url, {
    method: "OPTIONS",
    query: pollQuery(),
    headers: { Origin: "https://c.example", "Access-Control-Request-Method": "GET" },
  });
  assert.equal(preOther.status, 204);
  assert.equal(preOther.headers["access-control-allow-origin"], undefined);
});

test("cookie: the handshake sets io=<sid>; Path=/; HttpOnly; SameSite=Lax", async () => {
  const { sid, res } = await handshake(servers.cookie.url);
  assert.deepEqual(res.headers["set-cookie"], [`io=${sid}; Path=/; HttpOnly; SameSite=Lax`]);
  // only the handshake sets it
  await post(servers.cookie.url, sid, "4k");
  const g = await poll(servers.cookie.url, sid);
  assert.equal(g.text, "4k");
  assert.equal(g.headers["set-cookie"], undefined);
});

test("cookie: off by default", async () => {
  const { res } = await handshake(servers.plain.url);
  assert.equal(res.headers["set-cookie"], undefined);
});

test("polling responses say Cache-Control: no-store", async () => {
  const { sid, res } = await handshake(servers.plain.url);
  assert.equal(res.headers["cache-control"], "no-store");
  await post(servers.plain.url, sid, "4n");
  const g = await poll(servers.plain.url, sid);
  assert.equal(g.headers["cache-control"], "no-store");
});

async function bigPoll(acceptEncoding, size = 2000, server = servers.plain) {
  const { sid } = await handshake(server.url);
  const payload = "4" + "a".repeat(size);
  await post(server.url, sid, payload);
  const headers = acceptEncoding === undefined ? {} : { "Accept-Encoding": acceptEncoding };
  const res = await poll(server.url, sid, { headers });
  assert.equal(res.status, 200);
  return { res, payload };
}

test("compression: gzip for a polling response over 1024 bytes", async () => {
  const { res, payload } = await bigPoll("gzip, deflate");
  assert.equal(res.headers["content-encoding"], "gzip");
  assert.ok(res.body.length < payload.length);
  assert.equal(zlib.gunzipSync(res.body).toString(), payload);
});

test("compression: deflate when only deflate is accepted", async () => {
  const { res, payload } = await bigPoll("deflate");
  assert.equal(res.headers["content-encoding"], "deflate");
  assert.equal(zlib.inflateSync(res.body).toString(), payload);
});

test("compression: gzip;q=0 is honoured", async () => {
  const { res, payload } = await bigPoll("gzip;q=0, deflate");
  assert.equal(res.headers["content-encoding"], "deflate");
  assert.equal(zlib.inflateSync(res.body).toString(), payload);
});

test("compression: none without Accept-Encoding or with an unsupported one", async () => {
  for (const ae of [undefined, "br", "identity"]) {
    const { res, payload } = await bigPoll(ae);
    assert.equal(res.headers["content-encoding"], undefined, `Accept-Encoding: ${ae}`);
    assert.equal(res.text, payload);
  }
});

test("compression: none under the 1024-byte threshold", async () => {
  const { res, payload } = await bigPoll("gzip", 100);
  assert.equal(res.headers["content-encoding"], undefined);
  assert.equal(res.text, payload);
});

test("compression: a polling response over 1 MiB goes out plain (reference: gzip)", async () => {
  const { sid } = await handshake(servers.plain.url);
  const payload = "4" + "a".repeat(600000);
  for (let i = 0; i < 2; i++) assert.equal((await post(servers.plain.url, sid, payload)).status, 200);
  const res = await poll(servers.plain.url, sid, { headers: { "Accept-Encoding": "gzip" } });
  assert.equal(res.status, 200);
  const want = `${payload}\x1e${payload}`;
  // sioc compresses on its event loop, so it bounds the work per answer; the reference
  // compresses anything over the threshold (on Node's thread pool)
  if (REFERENCE) {
    assert.equal(res.headers["content-encoding"], "gzip");
    assert.equal(zlib.gunzipSync(res.body).toString(), want);
  } else {
    assert.equal(res.headers["content-encoding"], undefined);
    assert.equal(res.text, want);
  }
});

test("compression: off with --no-http-compression", async () => {
  const { res, payload } = await bigPoll("gzip, deflate", 2000, servers.noCompression);
  assert.equal(res.headers["content-encoding"], undefined);
  assert.equal(res.text, payload);
});

test("--cors-credentials: Access-Control-Allow-Credentials: true on preflight and requests", async () => {
  const pre = await request(servers.creds.url, { method: "OPTIONS", query: pollQuery(), headers: PREFLIGHT });
  assert.equal(pre.status, 204);
  assert.equal(pre.headers["access-control-allow-origin"], "https://example.com");
  assert.equal(pre.headers["access-control-allow-credentials"], "true");
  const get = await request(servers.creds.url, {
    query: pollQuery(),
    headers: { Origin: "https://example.com" },
  });
  assert.equal(get.headers["access-control-allow-credentials"], "true");
});

test("--no-allow-upgrades: the polling handshake announces no upgrades", async () => {
  const { open } = await handshake(servers.noUpgrades.url);
  assert.deepEqual(open.upgrades, []);
});

test("--transports polling: no upgrades announced and websocket is an unknown transport", async () => {
  const { open } = await handshake(servers.pollingOnly.url);
  assert.deepEqual(open.upgrades, []);
  const res = await request(servers.pollingOnly.url, { query: { EIO: "4", transport: "websocket" } });
  assert.equal(res.status, 400);
  assert.deepEqual(JSON.parse(res.text), { code: 0, message: "Transport unknown" });
  const ws = new RawWs(wsUrl(servers.pollingOnly.url));
  const err = await ws.opened.then(
    () => null,
    (e) => e,
  );
  assert.ok(err, "the upgrade must be refused");
  assert.equal(err.status, 400);
  await ws.waitClosed();
});

test("--transports websocket: polling is an unknown transport, websocket works", async () => {
  const res = await request(servers.wsOnly.url, { query: pollQuery() });
  assert.equal(res.status, 400);
  assert.deepEqual(JSON.parse(res.text), { code: 0, message: "Transport unknown" });
  const { ws, open } = await openWs(servers.wsOnly.url);
  try {
    assert.deepEqual(open.upgrades, []);
    ws.send("4w");
    assert.equal(await ws.nextNonPing(), "4w");
  } finally {
    await ws.close();
  }
});
