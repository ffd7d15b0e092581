// abuse-auth.test.mjs - the sign-in cannot be turned against its owner (issue 14), on every
// storage backend:
// - an attacker at 127.0.0.2 fails many times for a user name: it gets 401s, then 429s with a
//   growing Retry-After; the owner at 127.0.0.1 signs in at once, and the attacker's
//   (name, address) is still throttled afterwards (the owner's success clears only the owner's);
// - registrations are limited per address (--register-limit), not for other addresses;
// - a refresh token used twice kills its family: the thief's and the victim's tokens both die,
//   and two concurrent uses of one token never both succeed;
// - with --redis, two nodes share the throttle: failures on one node throttle the other.
// Client addresses: test requests bind 127.0.0.2 (the attacker) or 127.0.0.1 (the owner) with
// node:http's localAddress; sioc trusts no forwarding header.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { api, assertError, backends, redisArgs, register, sleep, startChat, T, uname } from "./lib/chat.mjs";

const ATTACKER = "127.0.0.2";
const OWNER = "127.0.0.1";
const REDIS = process.env.SIOC_TEST_REDIS;

const login = (server, username, password, localAddress) =>
  api(server, "POST", "/v1/api/auth/login", { body: { username, password }, localAddress });
const refresh = (server, refreshToken) => api(server, "POST", "/v1/api/auth/refresh", { body: { refreshToken } });

for (const backend of backends()) {
  describe(`abuse: sign-in and tokens (${backend.name})`, () => {
    let server;
    before(async () => {
      server = await startChat(backend, ["--register-limit", "3", "--login-free-failures", "3"]);
    });
    after(async () => {
      await server?.stop();
    });

    it("an attacker failing for a user name never locks the owner out", async () => {
      const owner = await register(server);
      const name = owner.user.username;
      const statuses = [];
      let lastRetry = 0;
      let growing = true;
      for (let i = 0; i < 30; i++) {
        const r = await login(server, name, `wrong-${i}-password`, ATTACKER);
        statuses.push(r.status);
        if (r.status === 429) {
          assertError(assert, r, 429, "too_many_attempts");
          const ra = Number(r.headers["retry-after"]);
          assert.ok(ra >= 1, `Retry-After ${r.headers["retry-after"]}`);
          // the end of the block (Retry-After counts down while it lasts; whole seconds, rounded)
          const end = Date.now() / 1000 + ra;
          if (end < lastRetry - 1) growing = false;
          lastRetry = Math.max(lastRetry, end);
        } else {
          assertError(assert, r, 401, "invalid_credentials");
        }
      }
      assert.deepEqual(statuses.slice(0, 3), [401, 401, 401], "the first failures are free");
      assert.ok(statuses.includes(429), `no 429 in ${statuses}`);
      assert.ok(growing, "the block never ends earlier while the attack goes on");
      // the owner, from an address that did not fail, with the right password: at once
      const t0 = Date.now();
      const ok = await login(server, name, owner.password, OWNER);
      assert.equal(ok.status, 200, ok.text);
      assert.equal(ok.json.user.id, owner.id);
      // no throttle delay (the smallest is 1 s, doubling); only the password hash's own time
      assert.ok(Date.now() - t0 < T(3000), `the owner waited ${Date.now() - t0} ms`);
      // even a wrong password from the owner's address is an ordinary 401, not a 429
      assertError(assert, await login(server, name, "typo-password", OWNER), 401, "invalid_credentials");
      // the attacker's (name, address) is still throttled, even with the right password. The
      // steps above may outlast a short block on a loaded machine: fail on until a block has at
      // least a second left (Retry-After >= 2, rounded up), then try the right password at once.
      let blocked = false;
      for (let i = 0; i < 20 && !blocked; i++) {
        const r = await login(server, name, `wrong-again-${i}`, ATTACKER);
        if (r.status !== 429) continue;
        const ra = Number(r.headers["retry-after"]);
        if (ra >= 2) blocked = true;
        else await sleep(ra * 1000);
      }
      assert.ok(blocked, "the attacker's failures never led to a block of 2 s or more");
      const still = await login(server, name, owner.password, ATTACKER);
      assert.equal(still.status, 429, still.text);
    });

    it("registration is limited per address, not for the others", async () => {
      const from = "127.0.0.3";
      const reg = (username) =>
        api(server, "POST", "/v1/api/auth/register", {
          body: { username, password: "correct-horse-1" },
          localAddress: from,
        });
      for (let i = 0; i < 3; i++) assert.equal((await reg(uname("reg"))).status, 201);
      const refused = await reg(uname("reg"));
      assertError(assert, refused, 429, "too_many_attempts");
      assert.ok(Number(refused.headers["retry-after"]) >= 1);
      const other = await api(server, "POST", "/v1/api/auth/register", {
        body: { username: uname("reg"), password: "correct-horse-1" },
        localAddress: "127.0.0.4",
      });
      assert.equal(other.status, 201, other.text);
    });

    it("a reused refresh token revokes its whole family", async () => {
      const victim = await register(server);
      const stolen = victim.refreshToken;
      // the thief refreshes first: it now holds the live token of the family
      const thief = await refresh(server, stolen);
      assert.equal(thief.status, 200, thief.text);
      // the victim uses the same (now rotated) token: reuse detected
      assertError(assert, await refresh(server, stolen), 401, "refresh_token_reused");
      // the thief's token died with the family
      assertError(assert, await refresh(server, thief.json.refreshToken), 401, "invalid_refresh_token");
      // the victim signs in again: a new family that works
      const again = await login(server, victim.user.username, victim.password, OWNER);
      assert.equal(again.status, 200, again.text);
      assert.equal((await refresh(server, again.json.refreshToken)).status, 200);
    });

    it("two concurrent uses of one refresh token never both succeed", async () => {
      const u = await register(server);
      const [a, b] = await Promise.all([refresh(server, u.refreshToken), refresh(server, u.refreshToken)]);
      const ok = [a, b].filter((r) => r.status === 200);
      assert.ok(ok.length <= 1, `both succeeded: ${a.text} ${b.text}`);
      for (const r of [a, b]) if (r.status !== 200) assert.equal(r.status, 401, r.text);
      // whoever won, the family is dead once the loser's use was seen as reuse
      if (ok.length === 1) {
        const next = await refresh(server, ok[0].json.refreshToken);
        assert.equal(next.status, 401, next.text);
      }
    });
  });
}

describe("abuse: the throttle is shared by the nodes (--redis)", { skip: REDIS ? false : "SIOC_TEST_REDIS is not set" }, () => {
  let a, b;
  const backend = backends().find((x) => x.name === "postgres");
  before(async () => {
    if (!backend) return;
    // two nodes on one PostgreSQL database and one Redis
    const store = backend.url();
    const args = [...redisArgs(REDIS), "--login-free-failures", "2", "--register-limit", "0"];
    const { startSioc } = await import("./lib/server.mjs");
    const { SECRET } = await import("./lib/chat.mjs");
    a = await startSioc(["--database", store.url, "--jwt-secret", SECRET, ...args]);
    b = await startSioc(["--database", store.url, "--jwt-secret", SECRET, ...args]);
    a.cleanup = store.cleanup;
  });
  after(async () => {
    await a?.stop();
    await b?.stop();
    a?.cleanup();
  });

  it("failures on one node throttle the same (name, address) on the other", { skip: backend ? false : "needs SIOC_TEST_PG" }, async () => {
    const owner = await register(a);
    const name = owner.user.username;
    let limited;
    for (let i = 0; i < 10 && !limited; i++) {
      const r = await login(a, name, `wrong-${i}-password`, ATTACKER);
      if (r.status === 429) limited = r;
    }
    assert.ok(limited, "node A never throttled");
    const onB = await login(b, name, "wrong-again-pass", ATTACKER);
    assertError(assert, onB, 429, "too_many_attempts");
    // and the owner still signs in on either node
    assert.equal((await login(b, name, owner.password, OWNER)).status, 200);
    assert.equal((await login(a, name, owner.password, OWNER)).status, 200);
  });
});
