// chat-auth.test.mjs - accounts and tokens of the chat service (/v1/api/auth/*, /v1/api/users*),
// against the real sioc on every storage backend (SQLite; PostgreSQL when SIOC_TEST_PG is set):
// register, login, refresh rotation and reuse detection, logout, me, users with online state,
// strict body validation, forged / expired / alg-none / wrong-algorithm tokens, and the login
// rate limit (429 + Retry-After).
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import {
  api,
  assertError,
  backends,
  claims,
  connect,
  register,
  signJwt,
  startChat,
  uname,
  NASTY,
  SECRET,
} from "./lib/chat.mjs";
import { startSioc } from "./lib/server.mjs";


for (const backend of backends()) {
  describe(`chat auth (${backend.name})`, () => {
    let server;
    before(async () => {
      server = await startChat(backend);
    });
    after(async () => {
      await server?.stop();
    });

    it("registers, then refuses the same name (case-insensitively) with 409", async () => {
      const name = uname("Reg");
      const r = await api(server, "POST", "/v1/api/auth/register", {
        body: { username: name, password: "s3cret-pass", displayName: "Régine 😀" },
      });
      assert.equal(r.status, 201, r.text);
      assert.equal(r.json.user.username, name);
      assert.equal(r.json.user.displayName, "Régine 😀");
      assert.equal(r.json.tokenType, "Bearer");
      assert.ok(r.json.accessToken.split(".").length === 3);
      assert.ok(r.json.refreshToken.length >= 40);
      assert.equal(r.json.user.passwordHash, undefined);
      assert.equal(r.headers["cache-control"], "no-store");
      const again = await api(server, "POST", "/v1/api/auth/register", {
        body: { username: name.toLowerCase(), password: "another-pass" },
      });
      assertError(assert, again, 409, "username_taken");
    });

    it("validates register bodies strictly", async () => {
      const cases = [
        ["{", 400, "invalid_json"],
        ["", 400, "invalid_json"],
        ["[]", 400, "invalid_body"],
        [{ password: "longenough" }, 400, "missing_field", "username"],
        [{ username: uname() }, 400, "missing_field", "password"],
        [{ username: 5, password: "longenough" }, 400, "invalid_field", "username"],
        [{ username: uname(), password: "short" }, 400, "invalid_field", "password"],
        [{ username: "ab", password: "longenough" }, 400, "invalid_field", "username"],
        [{ username: "x".repeat(33), password: "longenough" }, 400, "field_too_long", "username"],
        [{ username: "bad name", password: "longenough" }, 400, "invalid_field", "username"],
        [{ username: uname(), password: "longenough", admin: true }, 400, "unknown_field", "admin"],
        [{ username: uname(), password: "p".repeat(65) }, 400, "field_too_long", "password"],
        ['{"username":"dup_a","username":"dup_b","password":"longenough"}', 400, "invalid_json"],
      ];
      for (const [body, status, code, field] of cases) {
        const r = await api(server, "POST", "/v1/api/auth/register", { body });
        assertError(assert, r, status, code);
        if (field) assert.match(r.json.error.message, new RegExp(field), r.text);
      }
      const big = await api(server, "POST", "/v1/api/auth/register", {
        body: JSON.stringify({ username: uname(), password: "longenough", displayName: "x".repeat(70000) }),
      });
      assertError(assert, big, 413, "payload_too_large");
    });

    it("refuses SQL metacharacters in user names and stores them verbatim in display names", async () => {
      for (const nasty of NASTY) {
        const r = await api(server, "POST", "/v1/api/auth/register", {
          body: { username: nasty.slice(0, 30), password: "longenough" },
        });
        assert.equal(r.status, 400, r.text);
      }
      for (const nasty of NASTY.filter((s) => !/[\x00-\x1f]/.test(s))) {
        const r = await api(server, "POST", "/v1/api/auth/register", {
          body: { username: uname(), password: "longenough", displayName: nasty },
        });
        assert.equal(r.status, 201, r.text);
        assert.equal(r.json.user.displayName, nasty);
        const me = await api(server, "GET", "/v1/api/users/me", { token: r.json.accessToken });
        assert.equal(me.json.displayName, nasty);
      }
      const login = await api(server, "POST", "/v1/api/auth/login", {
        body: { username: "' OR '1'='1", password: "' OR '1'='1" },
      });
      assertError(assert, login, 401, "invalid_credentials");
    });

    it("logs in with the right password only", async () => {
      const u = await register(server);
      const ok = await api(server, "POST", "/v1/api/auth/login", {
        body: { username: u.user.username.toUpperCase(), password: u.password },
      });
      assert.equal(ok.status, 200, ok.text);
      assert.equal(ok.json.user.id, u.id);
      const bad = await api(server, "POST", "/v1/api/auth/login", {
        body: { username: u.user.username, password: "wrong-password" },
      });
      assertError(assert, bad, 401, "invalid_credentials");
      const unknown = await api(server, "POST", "/v1/api/auth/login", {
        body: { username: uname("ghost"), password: "whatever1" },
      });
      assertError(assert, unknown, 401, "invalid_credentials");
      assert.equal(unknown.json.error.message, bad.json.error.message, "same answer for both");
      const missing = await api(server, "POST", "/v1/api/auth/login", { body: { username: "x" } });
      assertError(assert, missing, 400, "missing_field");
    });

    it("rate-limits repeated failed logins with 429 and Retry-After", async () => {
      const u = await register(server);
      let limited;
      for (let i = 0; i < 8 && !limited; i++) {
        const r = await api(server, "POST", "/v1/api/auth/login", {
          body: { username: u.user.username, password: `wrong-${i}-pass` },
        });
        if (r.status === 429) limited = r;
        else assertError(assert, r, 401, "invalid_credentials");
      }
      assert.ok(limited, "no 429 after 8 failures");
      assertError(assert, limited, 429, "too_many_attempts");
      const ra = Number(limited.headers["retry-after"]);
      assert.ok(ra >= 1 && ra <= 120, `Retry-After ${limited.headers["retry-after"]}`);
      // even the right password is refused while limited
      const right = await api(server, "POST", "/v1/api/auth/login", {
        body: { username: u.user.username, password: u.password },
      });
      assert.equal(right.status, 429);
      // other users are not affected
      const other = await register(server);
      const ok = await api(server, "POST", "/v1/api/auth/login", {
        body: { username: other.user.username, password: other.password },
      });
      assert.equal(ok.status, 200, ok.text);
    });

    it("rotates refresh tokens: a used one is refused and kills its family", async () => {
      const u = await register(server);
      const r1 = await api(server, "POST", "/v1/api/auth/refresh", { body: { refreshToken: u.refreshToken } });
      assert.equal(r1.status, 200, r1.text);
      assert.notEqual(r1.json.refreshToken, u.refreshToken);
      assert.equal(r1.json.user.id, u.id);
      const me = await api(server, "GET", "/v1/api/users/me", { token: r1.json.accessToken });
      assert.equal(me.status, 200);
      const r2 = await api(server, "POST", "/v1/api/auth/refresh", { body: { refreshToken: r1.json.refreshToken } });
      assert.equal(r2.status, 200, r2.text);
      // the first token again: reuse (OAuth 2.0 security BCP), the whole family is revoked
      const reuse = await api(server, "POST", "/v1/api/auth/refresh", { body: { refreshToken: u.refreshToken } });
      assertError(assert, reuse, 401, "refresh_token_reused");
      const after = await api(server, "POST", "/v1/api/auth/refresh", { body: { refreshToken: r2.json.refreshToken } });
      assertError(assert, after, 401, "invalid_refresh_token");
      // another sign-in of the same user is another family: untouched
      const other = await api(server, "POST", "/v1/api/auth/login", { body: { username: u.user.username, password: u.password } });
      assert.equal(other.status, 200, other.text);
      const fresh = await api(server, "POST", "/v1/api/auth/refresh", { body: { refreshToken: other.json.refreshToken } });
      assert.equal(fresh.status, 200, fresh.text);
      const garbage = await api(server, "POST", "/v1/api/auth/refresh", { body: { refreshToken: "nope" } });
      assertError(assert, garbage, 401, "invalid_refresh_token");
      const bad = await api(server, "POST", "/v1/api/auth/refresh", { body: { refreshToken: 42 } });
      assertError(assert, bad, 400, "invalid_field");
    });

    it("logs out one refresh token, or all of them", async () => {
      const u = await register(server);
      const second = await api(server, "POST", "/v1/api/auth/login", {
        body: { username: u.user.username, password: u.password },
      });
      const unauth = await api(server, "POST", "/v1/api/auth/logout", { body: { refreshToken: u.refreshToken } });
      assertError(assert, unauth, 401, "token_missing");
      const out = await api(server, "POST", "/v1/api/auth/logout", {
        token: u.token,
        body: { refreshToken: u.refreshToken },
      });
      assert.equal(out.status, 204, out.text);
      const r = await api(server, "POST", "/v1/api/auth/refresh", { body: { refreshToken: u.refreshToken } });
      assert.equal(r.status, 401);
      const stillOk = await api(server, "POST", "/v1/api/auth/refresh", {
        body: { refreshToken: second.json.refreshToken },
      });
      assert.equal(stillOk.status, 200, stillOk.text);
      const all = await api(server, "POST", "/v1/api/auth/logout", { token: u.token, body: { all: true } });
      assert.equal(all.status, 204);
      const gone = await api(server, "POST", "/v1/api/auth/refresh", {
        body: { refreshToken: stillOk.json.refreshToken },
      });
      assert.equal(gone.status, 401);
      const empty = await api(server, "POST", "/v1/api/auth/logout", { token: u.token });
      assert.equal(empty.status, 204);
    });

    it("refuses missing, forged, expired, alg-none and wrong-algorithm tokens", async () => {
      const u = await register(server);
      const cases = [
        [undefined, "token_missing"],
        ["garbage", "token_invalid"],
        [signJwt(claims(u.id), { secret: "not-the-secret" }), "token_invalid"],
        [signJwt(claims(u.id), { alg: "none" }), "token_invalid"],
        [signJwt(claims(u.id), { alg: "HS512" }), "token_invalid"],
        [signJwt(claims(u.id, { typ: "refresh" })), "token_invalid"],
        [signJwt(claims(u.id, { exp: Math.floor(Date.now() / 1000) - 5 })), "token_expired"],
        [u.token.slice(0, -2) + (u.token.endsWith("AA") ? "BB" : "AA"), "token_invalid"],
      ];
      for (const [token, code] of cases) {
        const r = await api(server, "GET", "/v1/api/users/me", { token });
        assertError(assert, r, 401, code);
        assert.equal(r.headers["www-authenticate"], "Bearer");
      }
      const basic = await api(server, "GET", "/v1/api/users/me", { headers: { authorization: "Basic abc" } });
      assertError(assert, basic, 401, "token_invalid");
      // a token we sign by hand with the right secret is accepted (the format is plain HS256)
      const ok = await api(server, "GET", "/v1/api/users/me", { token: signJwt(claims(u.id)) });
      assert.equal(ok.status, 200, ok.text);
      assert.equal(ok.json.id, u.id);
      // a valid token of a user that does not exist
      const ghost = await api(server, "GET", "/v1/api/users/me", { token: signJwt(claims(999999)) });
      assertError(assert, ghost, 404, "not_found");
    });

    it("lists users with their online state", async () => {
      const a = await register(server);
      const b = await register(server);
      const me = await api(server, "GET", "/v1/api/users/me", { token: a.token });
      assert.equal(me.status, 200);
      assert.equal(me.json.status, "offline");
      const { socket } = await connect(server, b.token);
      try {
        const list = await api(server, "GET", "/v1/api/users?limit=100", { token: a.token });
        assert.equal(list.status, 200, list.text);
        const byId = new Map(list.json.users.map((x) => [x.id, x]));
        assert.equal(byId.get(b.id).status, "online");
        assert.equal(byId.get(b.id).online, true);
        assert.equal(byId.get(a.id).status, "offline");
        const online = await api(server, "GET", "/v1/api/users?online=1&limit=100", { token: a.token });
        assert.ok(online.json.users.every((x) => x.online));
        assert.ok(online.json.users.some((x) => x.id === b.id));
        const one = await api(server, "GET", `/v1/api/users/${b.id}`, { token: a.token });
        assert.equal(one.json.username, b.user.username);
        assert.equal(one.json.online, true);
      } finally {
        socket.close();
      }
      // paging
      const p1 = await api(server, "GET", "/v1/api/users?limit=1", { token: a.token });
      assert.equal(p1.json.users.length, 1);
      assert.equal(typeof p1.json.nextAfter, "number");
      const p2 = await api(server, "GET", `/v1/api/users?limit=1&after=${p1.json.nextAfter}`, { token: a.token });
      assert.ok(p2.json.users[0].id > p1.json.users[0].id);
      for (const q of ["limit=0", "limit=101", "limit=abc", "after=-1", "limit=1e3"]) {
        const r = await api(server, "GET", `/v1/api/users?${q}`, { token: a.token });
        assertError(assert, r, 400, "invalid_query");
      }
      const none = await api(server, "GET", "/v1/api/users/987654321", { token: a.token });
      assertError(assert, none, 404, "not_found");
    });

    it("answers unknown endpoints and methods with JSON errors", async () => {
      const u = await register(server);
      assertError(assert, await api(server, "GET", "/v1/api/nope", { token: u.token }), 404, "not_found");
      assertError(assert, await api(server, "DELETE", "/v1/api/users/me", { token: u.token }), 405, "method_not_allowed");
      assertError(assert, await api(server, "GET", "/v1/api/auth/login"), 405, "method_not_allowed");
    });
  });
}

// The JWT secret: --production refuses to start without one (or with a short one); otherwise a
// random per-process secret is used, with a warning.
for (const backend of backends().slice(0, 1)) {
  describe("chat JWT secret", () => {
    it("--production needs --jwt-secret of at least 32 characters", async () => {
      const store = backend.url();
      try {
        await assert.rejects(startSioc(["--database", store.url, "--production"]), /exited early \(code [1-9]/);
        await assert.rejects(
          startSioc(["--database", store.url, "--production", "--jwt-secret", "short"]),
          /exited early \(code [1-9]/,
        );
        const ok = await startSioc(["--database", store.url, "--production", "--jwt-secret", SECRET]);
        await ok.stop();
      } finally {
        store.cleanup();
      }
    });

    it("without a secret outside production: a random one, and a warning", async () => {
      const store = backend.url();
      try {
        const s1 = await startSioc(["--database", store.url]);
        assert.match(s1.stderr(), /jwt-secret/);
        const u = await register(s1);
        // our test secret does not sign for this server
        const forged = await api(s1, "GET", "/v1/api/users/me", { token: signJwt(claims(u.id)) });
        assert.equal(forged.status, 401);
        assert.equal((await api(s1, "GET", "/v1/api/users/me", { token: u.token })).status, 200);
        await s1.stop();
      } finally {
        store.cleanup();
      }
    });
  });
}
