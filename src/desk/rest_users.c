/* rest_users.c - staff administration (admins only), the caller's own account, password resets
 * and the first-admin setup. Nothing here deletes: a user leaves by deactivation, which refuses
 * login and refresh (their refresh tokens are revoked in the same transaction), drops their live
 * /desk and /chat sockets on every node and puts their open services back in the queue, while
 * their history stays. An admin cannot deactivate or demote themselves (403 self_lockout), so a
 * desk never loses its last admin by accident. */
#include "src/desk/internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void reply_user(desk_op_t *op, int status, const store_user_t *u)
{
    desk_reply_json(op, status, json_pack("{s:o}", "user", desk_json_user(u)));
}

static void on_user_done(void *cbdata, int status, const store_user_t *u)
{
    desk_op_t *op = cbdata;
    if (status == -ENOENT && op->desk != NULL && (op->req != NULL || op->is_event)) {
        desk_reply_error(op, 404, "user_not_found", "no such user");
        return;
    }
    if (!desk_op_proceed(op, status))
        return;
    reply_user(op, (int)op->n[0] != 0 ? (int)op->n[0] : 200, u);
}

/* ---- create ---- */

static void on_created(void *cbdata, int status, const store_user_t *u)
{
    desk_op_t *op = cbdata;
    if (status == -EEXIST && op->desk != NULL && op->req != NULL) {
        desk_reply_error(op, 409, "username_taken", "this username is taken");
        return;
    }
    if (!desk_op_proceed(op, status))
        return;
    reply_user(op, 201, u);
}

static void on_create_hash(int status, const char *hash, void *cbdata)
{
    desk_op_t *op = cbdata;
    if (!desk_op_proceed(op, status))
        return;
    const char *name = srv_json_str(op->body, "username");
    const char *display = srv_json_str(op->body, "displayName");
    store_user_new_t nu = {.username = name,
                           .display_name = display != NULL ? display : name,
                           .password_hash = hash,
                           .role = (store_user_role_t)op->n[1]};
    desk_op_issued(op, store_user_create(op->desk->store, &nu, on_created, op));
}

void desk_users_create(desk_op_t *op)
{
    int role = desk_role_parse(srv_json_str(op->body, "role"));
    if (role < 0) {
        desk_reply_error(op, 400, "invalid_field", "role must be admin or attendant");
        return;
    }
    op->n[1] = role;
    const char *pw = srv_json_str(op->body, "password");
    desk_op_issued(op, srv_password_hash(op->desk->loop, pw, strlen(pw), on_create_hash, op));
}

/* ---- list, get ---- */

static void on_listed(void *cbdata, int status, const store_user_list_t *l)
{
    desk_op_t *op = cbdata;
    if (!desk_op_proceed(op, status))
        return;
    json_t *arr = json_array();
    for (size_t i = 0; i < l->count; i++)
        json_array_append_new(arr, desk_json_user(&l->items[i]));
    json_t *next = (int64_t)l->count == op->n[0] && l->count > 0
                       ? json_integer(l->items[l->count - 1].id)
                       : json_null();
    desk_reply_json(op, 200, json_pack("{s:o,s:o}", "users", arr, "nextCursor", next));
}

void desk_users_list(desk_op_t *op)
{
    int64_t after, limit;
    if (desk_query_int(op, "cursor", 0, INT64_MAX, 0, &after) != 0 ||
        desk_query_int(op, "limit", 1, DESK_PAGE_MAX, DESK_PAGE_DEFAULT, &limit) != 0)
        return;
    op->n[0] = limit;
    desk_op_issued(op, store_desk_staff_list(op->desk->store, after, (size_t)limit, on_listed, op));
}

/* The active staff, for every staff user: whom an attendant can transfer a service to. Inactive
 * rows are left out of the page; the cursor still follows the store's page. */
static void on_attendants(void *cbdata, int status, const store_user_list_t *l)
{
    desk_op_t *op = cbdata;
    if (!desk_op_proceed(op, status))
        return;
    json_t *arr = json_array();
    for (size_t i = 0; i < l->count; i++)
        if (l->items[i].active)
            json_array_append_new(arr, desk_json_user(&l->items[i]));
    json_t *next = (int64_t)l->count == op->n[0] && l->count > 0
                       ? json_integer(l->items[l->count - 1].id)
                       : json_null();
    desk_reply_json(op, 200, json_pack("{s:o,s:o}", "attendants", arr, "nextCursor", next));
}

void desk_attendants_list(desk_op_t *op)
{
    int64_t after, limit;
    if (desk_query_int(op, "cursor", 0, INT64_MAX, 0, &after) != 0 ||
        desk_query_int(op, "limit", 1, DESK_PAGE_MAX, DESK_PAGE_MAX, &limit) != 0)
        return;
    op->n[0] = limit;
    desk_op_issued(op,
                   store_desk_staff_list(op->desk->store, after, (size_t)limit, on_attendants, op));
}

static void on_got(void *cbdata, int status, const store_user_t *u)
{
    desk_op_t *op = cbdata;
    if (status == 0 && u->role == STORE_USER_ROLE_USER)
        status = -ENOENT; /* chat users are not the desk's */
    on_user_done(op, status, u);
}

void desk_users_get(desk_op_t *op)
{
    desk_op_issued(op, store_user_get(op->desk->store, op->ids[0], on_got, op));
}

/* ---- update: role, active, display name ---- */

static void on_updated(void *cbdata, int status, const store_user_t *u)
{
    desk_op_t *op = cbdata;
    if (status == 0 && op->desk != NULL && op->n[2] == 0)
        desk_user_deactivated(op->desk, u->id);
    else if (status == 0 && op->desk != NULL && op->n[3])
        desk_rt_drop_user(op->desk, u->id); /* they reconnect with the new role */
    on_user_done(op, status, u);
}

static void on_target(void *cbdata, int status, const store_user_t *u)
{
    desk_op_t *op = cbdata;
    if (status == 0 && u->role == STORE_USER_ROLE_USER)
        status = -ENOENT;
    if (status == -ENOENT && op->desk != NULL && op->req != NULL) {
        desk_reply_error(op, 404, "user_not_found", "no such staff user");
        return;
    }
    if (!desk_op_proceed(op, status))
        return;
    int role = (int)op->n[1];
    /* a role change drops the user's /desk sockets so that they reconnect with the new role;
     * their services stay theirs */
    op->n[3] = role >= 0 && role != (int)u->role;
    desk_op_issued(op, store_desk_user_set(op->desk->store, u->id, role, (int)op->n[2],
                                           srv_json_str(op->body, "displayName"), on_updated, op));
}

void desk_users_update(desk_op_t *op)
{
    json_t *b = op->body;
    const char *role_s = srv_json_str(b, "role");
    json_t *active = json_object_get(b, "active");
    int role = -1;
    if (role_s != NULL && (role = desk_role_parse(role_s)) < 0) {
        desk_reply_error(op, 400, "invalid_field", "role must be admin or attendant");
        return;
    }
    if (json_object_size(b) == 0) {
        desk_reply_error(op, 400, "missing_field", "give role, active or displayName");
        return;
    }
    if (op->ids[0] == op->user_id && ((active != NULL && !json_is_true(active)) ||
                                      (role >= 0 && role != STORE_USER_ROLE_ADMIN))) {
        desk_reply_error(op, 403, "self_lockout",
                         "an admin cannot deactivate or demote themselves");
        return;
    }
    op->n[1] = role;
    op->n[2] = active == NULL ? -1 : json_is_true(active) ? 1 : 0;
    desk_op_issued(op, store_user_get(op->desk->store, op->ids[0], on_target, op));
}

/* ---- password reset (admin-issued, one-time, expiring) ---- */

static void on_reset_stored(void *cbdata, int status)
{
    desk_op_t *op = cbdata;
    if (status == -ENOENT && op->desk != NULL && op->req != NULL) {
        desk_reply_error(op, 404, "user_not_found", "no such user");
        return;
    }
    if (!desk_op_proceed(op, status))
        return;
    char url[128];
    snprintf(url, sizeof(url), "/desk/reset?token=%s", op->secret);
    desk_reply_json(op, 201,
                    json_pack("{s:s,s:I,s:s}", "token", op->secret, "expiresAt",
                              (json_int_t)op->n[0], "resetUrl", url));
}

static void on_reset_target(void *cbdata, int status, const store_user_t *u)
{
    desk_op_t *op = cbdata;
    if (status == 0 && (u->role == STORE_USER_ROLE_USER || !u->active))
        status = -ENOENT;
    if (status == -ENOENT && op->desk != NULL && op->req != NULL) {
        desk_reply_error(op, 404, "user_not_found", "no such active staff user");
        return;
    }
    if (!desk_op_proceed(op, status))
        return;
    char token[44], hash[65];
    desk_token_new(token);
    desk_token_hash(token, hash);
    op->secret = xstrdup(token);
    sodium_memzero(token, sizeof(token));
    op->n[0] = (int64_t)time_now_ms() + DESK_RESET_TTL_MS;
    desk_op_issued(op,
                   store_reset_create(op->desk->store, hash, u->id, op->n[0], on_reset_stored, op));
}

void desk_users_reset(desk_op_t *op)
{
    desk_op_issued(op, store_user_get(op->desk->store, op->ids[0], on_reset_target, op));
}

static void on_reset_used(void *cbdata, int status, const store_user_t *u)
{
    desk_op_t *op = cbdata;
    if (status == -ENOENT && op->desk != NULL && op->req != NULL) {
        desk_reply_error(op, 400, "reset_token_invalid",
                         "the reset token is unknown, used or expired");
        return;
    }
    if (!desk_op_proceed(op, status))
        return;
    reply_user(op, 200, u);
}

static void on_reset_hash(int status, const char *hash, void *cbdata)
{
    desk_op_t *op = cbdata;
    if (!desk_op_proceed(op, status))
        return;
    char th[65];
    desk_token_hash(srv_json_str(op->body, "token"), th);
    desk_op_issued(op, store_reset_use(op->desk->store, th, hash, on_reset_used, op));
}

void desk_password_reset_use(desk_op_t *op)
{
    const char *pw = srv_json_str(op->body, "password");
    desk_op_issued(op, srv_password_hash(op->desk->loop, pw, strlen(pw), on_reset_hash, op));
}

/* ---- me ---- */

void desk_me(desk_op_t *op)
{
    op->n[0] = 200;
    desk_op_issued(op, store_user_get(op->desk->store, op->user_id, on_user_done, op));
}

static void on_pw_stored(void *cbdata, int status, const store_user_t *u)
{
    desk_op_t *op = cbdata;
    UNUSED(u);
    if (!desk_op_proceed(op, status))
        return;
    desk_reply_json(op, 204, NULL);
}

static void on_new_hash(int status, const char *hash, void *cbdata)
{
    desk_op_t *op = cbdata;
    if (!desk_op_proceed(op, status))
        return;
    desk_op_issued(
        op, store_user_update(op->desk->store, op->user_id, NULL, NULL, hash, on_pw_stored, op));
}

static void on_pw_checked(int status, void *cbdata)
{
    desk_op_t *op = cbdata;
    if (status == -EACCES && op->desk != NULL && op->req != NULL) {
        desk_reply_error(op, 403, "wrong_password", "the current password is wrong");
        return;
    }
    if (!desk_op_proceed(op, status))
        return;
    const char *pw = srv_json_str(op->body, "newPassword");
    desk_op_issued(op, srv_password_hash(op->desk->loop, pw, strlen(pw), on_new_hash, op));
}

static void on_me_for_pw(void *cbdata, int status, const store_user_t *u)
{
    desk_op_t *op = cbdata;
    if (!desk_op_proceed(op, status))
        return;
    const char *pw = srv_json_str(op->body, "currentPassword");
    desk_op_issued(op, srv_password_verify(op->desk->loop, u->password_hash, pw, strlen(pw),
                                           on_pw_checked, op));
}

void desk_me_password(desk_op_t *op)
{
    desk_op_issued(op, store_user_get(op->desk->store, op->user_id, on_me_for_pw, op));
}

/* ---- first-admin setup (the one-time link printed to the log) ---- */

static void on_setup_done(void *cbdata, int status, const store_user_t *u)
{
    desk_op_t *op = cbdata;
    if (status == -EEXIST && op->desk != NULL && op->req != NULL) {
        desk_reply_error(op, 409, "setup_closed", "the desk has an admin already");
        return;
    }
    if (!desk_op_proceed(op, status))
        return;
    op->desk->setup_hash[0] = '\0'; /* one-time */
    log_info(DESK_LOG, "the first admin %s was created through the setup link", u->username);
    reply_user(op, 201, u);
}

static void on_setup_hash(int status, const char *hash, void *cbdata)
{
    desk_op_t *op = cbdata;
    if (!desk_op_proceed(op, status))
        return;
    const char *name = srv_json_str(op->body, "username");
    const char *display = srv_json_str(op->body, "displayName");
    desk_op_issued(op, store_desk_admin_bootstrap(op->desk->store, name,
                                                  display != NULL ? display : name, hash,
                                                  on_setup_done, op));
}

void desk_setup(desk_op_t *op)
{
    srv_desk_t *desk = op->desk;
    char th[65];
    desk_token_hash(srv_json_str(op->body, "token"), th);
    if (desk->setup_hash[0] == '\0' || (int64_t)time_now_ms() >= desk->setup_expires_at ||
        sodium_memcmp(th, desk->setup_hash, 64) != 0) {
        desk_reply_error(op, 403, "setup_token_invalid",
                         "the setup token is unknown, used or expired");
        return;
    }
    const char *pw = srv_json_str(op->body, "password");
    desk_op_issued(op, srv_password_hash(desk->loop, pw, strlen(pw), on_setup_hash, op));
}
