/* rest_auth.c - accounts and tokens: register (throttled per address), login (throttled),
 * refresh (rotating, with reuse detection), logout, and the user endpoints (me, list with
 * online state, one user).
 *
 * Passwords are hashed and checked with argon2id on the thread pool (auth_password.c). An
 * unknown user costs the same argon2 work as a wrong password (dummy hash) and gets the same
 * answer, so the API does not tell which user names exist.
 *
 * Throttling (auth_ratelimit.c, per the OWASP authentication guidance): failed logins count per
 * (user name, address) and per address, each with a few free failures then delays that double
 * (429 with Retry-After); a success clears the (user name, address) key. Nothing counts per
 * account alone, so failures from one address never refuse the owner signing in from another:
 * the account cannot be locked by someone else. Registrations count per address.
 *
 * Refresh tokens rotate within a family (OAuth 2.0 security BCP): using one revokes it and
 * issues the next of its family, atomically (store_token_rotate: of two concurrent uses one
 * wins). A rotated token presented again, or a lost race, is reuse: the whole family is revoked
 * (401 refresh_token_reused), so a thief and the victim both have to sign in again. A token
 * revoked by a logout is only refused. */
#include "src/chat/internal.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include "src/auth/auth.h"

/* ---- register ---- */

static char *throttle_key(const char *prefix, const char *name, h2o_req_t *req);

static void on_user_created(void *cbdata, int status, const store_user_t *user)
{
    rest_op_t *op = cbdata;
    if (!rest_op_alive_or_free(op))
        return;
    if (status == -EEXIST) {
        rest_op_reply_error(op, 409, "username_taken", "the username is already taken");
        return;
    }
    if (status != 0) {
        rest_op_reply_store_error(op, status, "user");
        return;
    }
    op->result = chat_json_user(op->chat, user);
    chat_tokens_issue_and_reply(op, 201, user->id);
}

static void on_register_hashed(int status, const char *hash, void *cbdata)
{
    rest_op_t *op = cbdata;
    store_user_new_t u;
    int rc;
    if (!rest_op_alive_or_free(op))
        return;
    if (status != 0) {
        rest_op_reply_error(op, 500, "internal", "could not hash the password");
        return;
    }
    memset(&u, 0, sizeof(u));
    u.username = srv_json_str(op->body, "username");
    u.display_name = srv_json_str(op->body, "displayName");
    if (u.display_name == NULL)
        u.display_name = u.username;
    u.password_hash = hash;
    u.role = STORE_USER_ROLE_USER;
    rc = store_user_create(op->chat->store, &u, on_user_created, op);
    rest_op_issued(op, rc, "user");
}

static void on_register_lookup(void *cbdata, int status, const store_user_t *user)
{
    rest_op_t *op = cbdata;
    const char *pw;
    int rc;
    UNUSED(user);
    if (!rest_op_alive_or_free(op))
        return;
    if (status == 0) {
        rest_op_reply_error(op, 409, "username_taken", "the username is already taken");
        return;
    }
    if (status != -ENOENT) {
        rest_op_reply_store_error(op, status, "user");
        return;
    }
    pw = srv_json_str(op->body, "password");
    rc = srv_password_hash(op->chat->loop, pw, strlen(pw), on_register_hashed, op);
    if (rc != 0)
        rest_op_reply_error(op, 500, "internal", "could not queue the password hashing");
}

/* After a throttle check: false if the op is gone (freed) or throttled (answered 429). */
static bool throttle_passed(rest_op_t *op, uint64_t wait_ms)
{
    if (!rest_op_alive_or_free(op))
        return false;
    if (wait_ms > 0) {
        rest_op_reply_rate_limited(op, wait_ms);
        return false;
    }
    return true;
}

static void on_register_checked(uint64_t wait_ms, void *cbdata)
{
    rest_op_t *op = cbdata;
    int rc;
    if (!throttle_passed(op, wait_ms))
        return;
    /* every attempt counts (a 409 tells whether a name exists, so probing is limited too) */
    if (op->text != NULL)
        srv_ratelimit_hit(op->chat->throttle, op->text, &op->chat->registration, time_now_ms());
    rc = store_user_get_by_name(op->chat->store, srv_json_str(op->body, "username"),
                                on_register_lookup, op);
    rest_op_issued(op, rc, "user");
}

void rest_auth_register(rest_op_t *op)
{
    const char *key;
    if (op->chat->registration.free == 0) { /* --register-limit 0: no limit */
        on_register_checked(0, op);
        return;
    }
    op->text = throttle_key("ra:", NULL, op->req);
    key = op->text;
    srv_ratelimit_check_all(op->chat->throttle, &key, 1, on_register_checked, op);
}

/* ---- login ---- */

static void peer_address(h2o_req_t *req, char *out, size_t size)
{
    struct sockaddr_storage ss;
    socklen_t len;
    snprintf(out, size, "unknown");
    if (req->conn == NULL || req->conn->callbacks->get_peername == NULL)
        return;
    len = req->conn->callbacks->get_peername(req->conn, (struct sockaddr *)&ss);
    if (len == 0)
        return;
    if (ss.ss_family == AF_INET)
        inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, out, (socklen_t)size);
    else if (ss.ss_family == AF_INET6)
        inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, out, (socklen_t)size);
}

/* A throttle key: `prefix`, the user name folded to lower case (user names compare
 * case-insensitively) if not NULL and a '|', then the peer address. Malloc'ed. */
static char *throttle_key(const char *prefix, const char *name, h2o_req_t *req)
{
    char addr[INET6_ADDRSTRLEN + 4];
    buf_t b = BUF_INIT;
    size_t len;
    peer_address(req, addr, sizeof(addr));
    buf_append_str(&b, prefix);
    for (const char *p = name; p != NULL && *p != '\0'; p++)
        buf_append_char(&b, (char)tolower((unsigned char)*p));
    if (name != NULL)
        buf_append_char(&b, '|');
    buf_append_str(&b, addr);
    return buf_steal(&b, &len);
}

/* op->text: the (user name, address) key; op->query: the address key. */
static void login_failed(rest_op_t *op)
{
    uint64_t now = time_now_ms();
    srv_ratelimit_hit(op->chat->throttle, op->text, &op->chat->login_account, now);
    srv_ratelimit_hit(op->chat->throttle, op->query, &op->chat->login_address, now);
    rest_op_reply_error(op, 401, "invalid_credentials", "wrong username or password");
}

static void on_login_verified(int status, void *cbdata)
{
    rest_op_t *op = cbdata;
    if (!rest_op_alive_or_free(op))
        return;
    if (status != 0 || op->result == NULL) {
        login_failed(op);
        return;
    }
    srv_ratelimit_reset(op->chat->throttle, op->text);
    if (op->flag) {
        rest_op_reply_error(op, 403, "account_disabled", "this account is deactivated");
        return;
    }
    chat_tokens_issue_and_reply(op, 200, op->n[0]);
}

static void on_login_lookup(void *cbdata, int status, const store_user_t *user)
{
    rest_op_t *op = cbdata;
    const char *pw;
    int rc;
    if (!rest_op_alive_or_free(op))
        return;
    if (status != 0 && status != -ENOENT) {
        rest_op_reply_store_error(op, status, "user");
        return;
    }
    pw = srv_json_str(op->body, "password");
    if (status == 0) {
        op->n[0] = user->id;
        op->result = chat_json_user(op->chat, user);
        op->flag = !user->active; /* deactivated (the desk): told only after the password */
    }
    /* unknown user: check against the dummy hash so both failures cost the same */
    rc = srv_password_verify(
        op->chat->loop, status == 0 && user->password_hash[0] != '\0' ? user->password_hash : NULL,
        pw, strlen(pw), on_login_verified, op);
    if (rc != 0)
        rest_op_reply_error(op, 500, "internal", "could not queue the password check");
}

static void on_login_checked(uint64_t wait_ms, void *cbdata)
{
    rest_op_t *op = cbdata;
    const char *name;
    int rc;
    if (!throttle_passed(op, wait_ms))
        return;
    name = srv_json_str(op->body, "username");
    rc = store_user_get_by_name(op->chat->store, name, on_login_lookup, op);
    if (rc == -EMSGSIZE || rc == -EINVAL) { /* cannot exist: same answer as a wrong password */
        on_login_lookup(op, -ENOENT, NULL);
        return;
    }
    rest_op_issued(op, rc, "user");
}

void rest_auth_login(rest_op_t *op)
{
    char *addr_key = throttle_key("la:", NULL, op->req);
    const char *keys[2];
    op->text = throttle_key("lu:", srv_json_str(op->body, "username"), op->req);
    snprintf(op->query, sizeof(op->query), "%s", addr_key);
    free(addr_key);
    keys[0] = op->text;
    keys[1] = op->query;
    srv_ratelimit_check_all(op->chat->throttle, keys, 2, on_login_checked, op);
}

/* ---- refresh ---- */

static void on_family_revoked(void *cbdata, int status)
{
    rest_op_t *op = cbdata;
    if (!rest_op_proceed(op, status, "token"))
        return;
    log_warn("chat", "refresh token reused for user %lld: its family is revoked",
             (long long)op->n[0]);
    rest_op_reply_error(op, 401, "refresh_token_reused",
                        "the refresh token was already used: every session of its sign-in ended");
}

/* Reuse: a rotated token came back. The family (op->aux) dies. */
static void revoke_family(rest_op_t *op)
{
    int rc = store_token_revoke_family(op->chat->store, op->aux, on_family_revoked, op);
    rest_op_issued(op, rc, "token");
}

static void on_refresh_user(void *cbdata, int status, const store_user_t *user)
{
    rest_op_t *op = cbdata;
    if (!rest_op_alive_or_free(op))
        return;
    if (status == -ENOENT) {
        rest_op_reply_error(op, 401, "invalid_refresh_token", "the refresh token is not valid");
        return;
    }
    if (status != 0) {
        rest_op_reply_store_error(op, status, "user");
        return;
    }
    op->result = chat_json_user(op->chat, user);
    chat_tokens_reply(op, 200);
}

static void on_refresh_rotated(void *cbdata, int status, const store_token_t *tok)
{
    rest_op_t *op = cbdata;
    int rc;
    if (!rest_op_alive_or_free(op))
        return;
    if (status == -ESTALE) { /* another use of the same token won the race: reuse */
        revoke_family(op);
        return;
    }
    if (status != 0) {
        rest_op_reply_store_error(op, status, "token");
        return;
    }
    rc = store_user_get(op->chat->store, tok->user_id, on_refresh_user, op);
    rest_op_issued(op, rc, "user");
}

static void on_refresh_token(void *cbdata, int status, const store_token_t *tok)
{
    rest_op_t *op = cbdata;
    char hash[65];
    int rc;
    if (!rest_op_alive_or_free(op))
        return;
    if (status == -ENOENT) {
        rest_op_reply_error(op, 401, "invalid_refresh_token", "the refresh token is not valid");
        return;
    }
    if (status != 0) {
        rest_op_reply_store_error(op, status, "token");
        return;
    }
    op->n[0] = tok->user_id;
    op->aux = xstrdup(tok->family);
    if (tok->revoked && tok->rotated) {
        revoke_family(op);
        return;
    }
    if (tok->revoked) {
        rest_op_reply_error(op, 401, "invalid_refresh_token", "the refresh token was revoked");
        return;
    }
    if (tok->expires_at <= (int64_t)time_now_ms()) {
        rest_op_reply_error(op, 401, "refresh_token_expired", "the refresh token has expired");
        return;
    }
    if (chat_tokens_new_pair(op, tok->user_id, hash) != 0)
        return;
    rc = store_token_rotate(op->chat->store, tok->token_hash, hash,
                            (int64_t)time_now_ms() + CHAT_REFRESH_TTL_MS, on_refresh_rotated, op);
    rest_op_issued(op, rc, "token");
}

void rest_auth_refresh(rest_op_t *op)
{
    char hash[65];
    int rc;
    chat_tokens_hash(srv_json_str(op->body, "refreshToken"), hash);
    rc = store_token_get(op->chat->store, hash, on_refresh_token, op);
    rest_op_issued(op, rc, "token");
}

/* ---- logout ---- */

static void on_logout_done(void *cbdata, int status)
{
    rest_op_t *op = cbdata;
    if (!rest_op_alive_or_free(op))
        return;
    if (status != 0 && status != -ENOENT) {
        rest_op_reply_store_error(op, status, "token");
        return;
    }
    rest_op_reply_json(op, 204, NULL);
}

static void on_logout_token(void *cbdata, int status, const store_token_t *tok)
{
    rest_op_t *op = cbdata;
    int rc;
    if (!rest_op_alive_or_free(op))
        return;
    /* someone else's or an unknown token: nothing to do, and nothing to reveal */
    if (status != 0 || tok->user_id != op->user_id) {
        on_logout_done(op, status == -ENOENT ? 0 : status);
        return;
    }
    rc = store_token_revoke(op->chat->store, tok->token_hash, on_logout_done, op);
    rest_op_issued(op, rc, "token");
}

void rest_auth_logout(rest_op_t *op)
{
    const char *tok = srv_json_str(op->body, "refreshToken");
    json_t *all = json_object_get(op->body, "all");
    int rc = 0;
    if (json_is_true(all)) {
        rc = store_token_revoke_user(op->chat->store, op->user_id, on_logout_done, op);
    } else if (tok != NULL) {
        char hash[65];
        chat_tokens_hash(tok, hash);
        rc = store_token_get(op->chat->store, hash, on_logout_token, op);
    } else {
        rest_op_reply_json(op, 204, NULL);
        return;
    }
    rest_op_issued(op, rc, "token");
}

/* ---- users ---- */

static void on_user(void *cbdata, int status, const store_user_t *user)
{
    rest_op_t *op = cbdata;
    if (!rest_op_proceed(op, status, "user"))
        return;
    rest_op_reply_json(op, 200, chat_json_user(op->chat, user));
}

void rest_users_me(rest_op_t *op)
{
    int rc = store_user_get(op->chat->store, op->user_id, on_user, op);
    rest_op_issued(op, rc, "user");
}

/* The profile was stored: answer, and tell every connected client (their lists show the name and
 * its colour). */
static void on_profile_updated(void *cbdata, int status, const store_user_t *user)
{
    rest_op_t *op = cbdata;
    json_t *u, *ev;
    if (!rest_op_proceed(op, status, "user"))
        return;
    u = chat_json_user(op->chat, user);
    ev = json_pack("{s:O}", "user", u);
    chat_notify_all(op->chat, "user:updated", ev);
    json_decref(ev);
    rest_op_reply_json(op, 200, u);
}

void rest_users_update_me(rest_op_t *op)
{
    const char *name = srv_json_str(op->body, "displayName");
    const char *color = srv_json_str(op->body, "nameColor");
    int rc;
    if (name == NULL && color == NULL) /* nothing to change: the profile as it is, no event */
        rc = store_user_get(op->chat->store, op->user_id, on_user, op);
    else
        rc = store_user_update(op->chat->store, op->user_id, name, color, NULL, on_profile_updated,
                               op);
    rest_op_issued(op, rc, "user");
}

void rest_users_get(rest_op_t *op)
{
    int rc = store_user_get(op->chat->store, op->params.ids[0], on_user, op);
    rest_op_issued(op, rc, "user");
}

static void on_users(void *cbdata, int status, const store_user_list_t *users)
{
    rest_op_t *op = cbdata;
    json_t *arr, *res;
    if (!rest_op_proceed(op, status, "user"))
        return;
    arr = json_array();
    for (size_t i = 0; i < users->count; i++) {
        const char *st = chat_presence_status(op->chat->presence, users->items[i].id);
        if (op->flag && strcmp(st, "offline") == 0)
            continue;
        json_array_append_new(arr, chat_json_user(op->chat, &users->items[i]));
    }
    res = json_pack("{s:o}", "users", arr);
    json_object_set_new(res, "nextAfter",
                        users->count == (size_t)op->n[1] && users->count > 0
                            ? json_integer(users->items[users->count - 1].id)
                            : json_null());
    rest_op_reply_json(op, 200, res);
}

void rest_users_list(rest_op_t *op)
{
    int64_t after, limit, online;
    int rc;
    if (rest_query_int(op, "after", 0, INT64_MAX, 0, &after) != 0 ||
        rest_query_int(op, "limit", 1, CHAT_PAGE_MAX, CHAT_PAGE_DEFAULT, &limit) != 0 ||
        rest_query_int(op, "online", 0, 1, 0, &online) != 0)
        return;
    op->n[1] = limit;
    op->flag = online != 0;
    rc = store_user_list(op->chat->store, after, (size_t)limit, on_users, op);
    rest_op_issued(op, rc, "user");
}
