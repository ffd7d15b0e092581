/* rest.c - the desk's REST front door and its in-flight operations.
 *
 * Each request, in order: route match (404 no such endpoint, 405 method not allowed: there is no
 * DELETE anywhere, nothing of the desk is ever deleted), CORS (the widget is embeddable: the
 * engine's --cors-origin list), the body size limit (413) and strict validation against the
 * route's field table (400 naming the field), then for staff routes the bearer token (401
 * token_missing / token_invalid / token_expired) and the caller's current row (403 not_staff for
 * chat users, 403 account_disabled once deactivated), for admin routes the role (403
 * admin_only), and finally the handler with a fresh desk_op_t.
 *
 * An operation outlives nothing it points to: the h2o request is tracked by a pointer-sized
 * shared allocation in req->pool whose dispose hook clears op->req, an event's socket by a
 * reference, and the desk by its list of ops, which srv_desk_free orphans. A callback that finds
 * its op orphaned or its request gone only frees it. */
#include "src/desk/internal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- operations ---- */

desk_op_t *desk_op_new(srv_desk_t *desk)
{
    desk_op_t *op = xcalloc(1, sizeof(*op));
    op->desk = desk;
    op->ack_id = -1;
    op->next = desk->ops;
    if (desk->ops != NULL)
        desk->ops->prev = op;
    desk->ops = op;
    return op;
}

static void on_req_dispose(void *p)
{
    desk_op_t **slot = p;
    if (*slot != NULL) {
        (*slot)->req = NULL;
        (*slot)->req_slot = NULL;
    }
}

desk_op_t *desk_op_for_req(srv_desk_t *desk, h2o_req_t *req)
{
    desk_op_t *op = desk_op_new(desk);
    op->req = req;
    op->req_slot = h2o_mem_alloc_shared(&req->pool, sizeof(*op->req_slot), on_req_dispose);
    *op->req_slot = op;
    return op;
}

desk_op_t *desk_op_for_event(srv_desk_t *desk, sio_socket_t *sock, int64_t ack_id)
{
    desk_op_t *op = desk_op_new(desk);
    op->is_event = true;
    op->sock = sio_socket_ref(sock);
    op->ack_id = ack_id;
    return op;
}

void desk_op_free(desk_op_t *op)
{
    if (op == NULL)
        return;
    if (op->req_slot != NULL)
        *op->req_slot = NULL;
    if (op->desk != NULL) {
        if (op->prev != NULL)
            op->prev->next = op->next;
        else
            op->desk->ops = op->next;
        if (op->next != NULL)
            op->next->prev = op->prev;
    }
    if (op->sock != NULL)
        sio_socket_unref(op->sock);
    if (op->secret != NULL) {
        sodium_memzero(op->secret, strlen(op->secret));
        free(op->secret);
    }
    json_decref(op->body);
    free(op->svc);
    free(op);
}

static bool op_alive(const desk_op_t *op)
{
    if (op->desk == NULL)
        return false;
    if (op->is_event)
        return true; /* the work goes on even if the socket left; only the ack is skipped */
    return op->req != NULL;
}

bool desk_op_proceed(desk_op_t *op, int status)
{
    if (!op_alive(op)) {
        desk_op_free(op);
        return false;
    }
    if (status != 0) {
        desk_reply_store_error(op, status);
        return false;
    }
    return true;
}

void desk_op_issued(desk_op_t *op, int rc)
{
    if (rc != 0)
        desk_reply_store_error(op, rc);
}

bool desk_is_admin(const desk_op_t *op)
{
    return op->role == STORE_USER_ROLE_ADMIN;
}

/* ---- replies ---- */

/* Every desk answer is private to its caller: no-store. */
static void send_text(h2o_req_t *req, int status, const char *ctype, const char *body, size_t len)
{
    srv_http_send(req, status, ctype, "no-store", body, len);
}

static void send_json(h2o_req_t *req, int status, json_t *body)
{
    char *text = body != NULL ? json_dumps(body, JSON_COMPACT) : NULL;
    json_decref(body);
    if (status == 204 || text == NULL) {
        send_text(req, status == 204 || body == NULL ? 204 : 500, NULL, "", 0);
    } else {
        send_text(req, status, "application/json; charset=utf-8", text, strlen(text));
    }
    free(text);
}

static void send_error(h2o_req_t *req, int status, const char *code, const char *message)
{
    if (status == 401)
        h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_WWW_AUTHENTICATE, NULL,
                       H2O_STRLIT("Bearer"));
    send_json(req, status, desk_json_error(code, message));
}

static void ack(desk_op_t *op, json_t *obj)
{
    if (op->ack_id >= 0 && sio_socket_connected(op->sock))
        sio_socket_ack(op->sock, op->ack_id, json_pack("[o]", obj), NULL, 0);
    else
        json_decref(obj);
}

void desk_reply_json(desk_op_t *op, int status, json_t *body)
{
    if (op->is_event) {
        json_t *o = json_object();
        json_object_set_new(o, "ok", json_true());
        if (body != NULL)
            json_object_update(o, body);
        json_decref(body);
        ack(op, o);
    } else if (op->req != NULL) {
        send_json(op->req, status, body);
    } else {
        json_decref(body);
    }
    desk_op_free(op);
}

void desk_reply_error(desk_op_t *op, int status, const char *code, const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (op->is_event)
        ack(op, json_pack("{s:b,s:{s:s,s:s}}", "ok", 0, "error", "code", code, "message", msg));
    else if (op->req != NULL)
        send_error(op->req, status, code, msg);
    desk_op_free(op);
}

void desk_reply_text(desk_op_t *op, int status, const char *content_type, const char *body,
                     size_t len)
{
    if (op->req != NULL)
        send_text(op->req, status, content_type, body, len);
    desk_op_free(op);
}

void desk_reply_store_error(desk_op_t *op, int status)
{
    switch (status) {
    case -ENOENT:
        desk_reply_error(op, 404, "not_found", "no such resource");
        break;
    case -EEXIST:
        desk_reply_error(op, 409, "conflict", "it exists already");
        break;
    case -EALREADY:
        desk_reply_error(op, 409, "service_finished", "the service is finished");
        break;
    case -EPERM:
        desk_reply_error(op, 403, "forbidden", "not allowed");
        break;
    case -EINVAL:
    case -EMSGSIZE:
        desk_reply_error(op, 400, "invalid_field", "a value is out of range");
        break;
    case -ESHUTDOWN:
        desk_reply_error(op, 503, "unavailable", "the server is shutting down");
        break;
    default:
        desk_reply_error(op, 500, "internal", "storage failed");
        break;
    }
}

/* ---- queries ---- */

static h2o_iovec_t query_of(const desk_op_t *op)
{
    h2o_req_t *req = op->req;
    if (req->query_at == SIZE_MAX)
        return h2o_iovec_init(NULL, 0);
    return h2o_iovec_init(req->path.base + req->query_at + 1, req->path.len - req->query_at - 1);
}

int desk_query_str(desk_op_t *op, const char *name, char *out, size_t size)
{
    h2o_iovec_t q = query_of(op);
    int n = srv_query_get(q.base, q.len, name, out, size);
    if (n == -ENOENT) {
        out[0] = '\0';
        return 0;
    }
    if (n < 0) {
        desk_reply_error(op, 400, "invalid_query", "query parameter %s is malformed", name);
        return -1;
    }
    return 0;
}

int desk_query_int(desk_op_t *op, const char *name, int64_t min, int64_t max, int64_t dflt,
                   int64_t *out)
{
    char buf[32];
    if (desk_query_str(op, name, buf, sizeof(buf)) != 0)
        return -1;
    if (buf[0] == '\0') {
        *out = dflt;
        return 0;
    }
    if (srv_parse_int64(buf, strlen(buf), out) != 0 || *out < min || *out > max) {
        desk_reply_error(op, 400, "invalid_query",
                         "query parameter %s must be an integer in [%lld, %lld]", name,
                         (long long)min, (long long)max);
        return -1;
    }
    return 0;
}

/* ---- services the caller may see ---- */

bool desk_may_see(int64_t user_id, store_user_role_t role, const store_service_t *svc)
{
    if (role == STORE_USER_ROLE_ADMIN)
        return true;
    return svc->attendant_id == user_id ||
           (svc->attendant_id == 0 && svc->status == STORE_SERVICE_OPEN);
}

static void on_service_loaded(void *cbdata, int status, const store_service_t *svc)
{
    desk_op_t *op = cbdata;
    if (status == -ENOENT && op_alive(op)) {
        desk_reply_error(op, 404, "service_not_found", "no such service");
        return;
    }
    if (!desk_op_proceed(op, status))
        return;
    if (!op->see_any && !desk_may_see(op->user_id, op->role, svc)) {
        desk_reply_error(op, 403, "not_your_service", "this service belongs to another attendant");
        return;
    }
    free(op->svc);
    op->svc = store_service_dup(svc);
    op->then(op);
}

void desk_load_service(desk_op_t *op, void (*next)(desk_op_t *op))
{
    op->then = next;
    desk_op_issued(op, store_desk_service_get(op->desk->store, op->ids[0], on_service_loaded, op));
}

/* ---- staff authentication ---- */

typedef struct st_auth_job_t {
    srv_desk_t *desk;
    desk_staff_cb cb;
    void *cbdata;
} auth_job_t;

static void on_staff_user(void *cbdata, int status, const store_user_t *u)
{
    auth_job_t *job = cbdata;
    if (status == -ENOENT)
        job->cb(job->cbdata, 401, "token_invalid", "the account no longer exists", NULL);
    else if (status != 0)
        job->cb(job->cbdata, 503, "unavailable", "the user could not be read", NULL);
    else if (!u->active)
        job->cb(job->cbdata, 403, "account_disabled", "this account is deactivated", NULL);
    else if (u->role != STORE_USER_ROLE_AGENT && u->role != STORE_USER_ROLE_ADMIN)
        job->cb(job->cbdata, 403, "not_staff", "the desk is for attendants and admins", NULL);
    else
        job->cb(job->cbdata, 0, NULL, NULL, u);
    free(job);
}

void desk_auth_staff(srv_desk_t *desk, const char *token, desk_staff_cb cb, void *cbdata)
{
    srv_jwt_claims_t claims;
    srv_jwt_status_t st =
        srv_jwt_verify(desk->jwt_key, desk->jwt_key_len, token, (int64_t)time(NULL), &claims);
    if (st != SRV_JWT_OK) {
        const char *msg = st == SRV_JWT_MISSING   ? "an access token is required"
                          : st == SRV_JWT_EXPIRED ? "the access token has expired"
                                                  : "the access token is invalid";
        cb(cbdata, 401, srv_jwt_status_code(st), msg, NULL);
        return;
    }
    auth_job_t *job = xcalloc(1, sizeof(*job));
    job->desk = desk;
    job->cb = cb;
    job->cbdata = cbdata;
    int rc = store_user_get(desk->store, claims.user_id, on_staff_user, job);
    if (rc != 0) {
        free(job);
        cb(cbdata, 503, "unavailable", "the store refused the lookup", NULL);
    }
}

/* ---- the route table ---- */

typedef enum en_access_t {
    ACCESS_PUBLIC,
    ACCESS_STAFF, /* attendants and admins */
    ACCESS_ADMIN,
} access_t;

#define FIELD_STR(nm, req, lo, hi, chk)                                                            \
    {                                                                                              \
        .name = nm, .type = SRV_JSON_STRING, .required = req, .min = lo, .max = hi, .check = chk   \
    }
#define FIELD_PASSWORD(nm) FIELD_STR(nm, true, DESK_PASSWORD_MIN, DESK_PASSWORD_MAX, NULL)
#define FIELD_ROLE(req)    FIELD_STR("role", req, 5, 9, NULL)
#define FIELD_DISPLAY(req) FIELD_STR("displayName", req, 1, DESK_DISPLAY_MAX, srv_check_text)
#define FIELD_TOKEN(nm)    FIELD_STR(nm, true, 1, 128, srv_check_ascii_id)

static const srv_json_field_t f_user_create[] = {
    FIELD_STR("username", true, DESK_USERNAME_MIN, DESK_USERNAME_MAX, srv_check_username),
    FIELD_PASSWORD("password"),
    FIELD_DISPLAY(false),
    FIELD_ROLE(true),
};
static const srv_json_field_t f_user_update[] = {
    FIELD_ROLE(false),
    {.name = "active", .type = SRV_JSON_BOOL},
    FIELD_DISPLAY(false),
};
static const srv_json_field_t f_reset_use[] = {
    FIELD_TOKEN("token"),
    FIELD_PASSWORD("password"),
};
static const srv_json_field_t f_me_password[] = {
    FIELD_STR("currentPassword", true, 1, DESK_PASSWORD_MAX, NULL),
    FIELD_PASSWORD("newPassword"),
};
static const srv_json_field_t f_setup[] = {
    FIELD_TOKEN("token"),
    FIELD_STR("username", true, DESK_USERNAME_MIN, DESK_USERNAME_MAX, srv_check_username),
    FIELD_PASSWORD("password"),
    FIELD_DISPLAY(false),
};
static const srv_json_field_t f_assign[] = {
    {.name = "attendantId", .type = SRV_JSON_INT, .required = true, .imin = 1, .imax = INT64_MAX},
};
static const srv_json_field_t f_message[] = {
    FIELD_STR("body", false, 0, DESK_MESSAGE_MAX, srv_media_check_body),
    {.name = "attachmentIds", .type = SRV_JSON_ID_ARRAY, .max = STORE_MAX_ATTACH},
    {.name = "clientMsgId",
     .type = SRV_JSON_STRING,
     .min = 1,
     .max = DESK_CLIENT_ID_MAX,
     .nullable = true,
     .check = srv_check_ascii_id},
};
static const srv_json_field_t f_channel[] = {
    {.name = "enabled", .type = SRV_JSON_BOOL, .required = true},
};
static const srv_json_field_t f_template[] = {
    {.name = "clientMsgId",
     .type = SRV_JSON_STRING,
     .min = 1,
     .max = 40,
     .nullable = true,
     .check = srv_check_ascii_id},
};
static const srv_json_field_t f_empty[] = {
    {.name = "-", .type = SRV_JSON_BOOL}, /* no field is accepted: "-" cannot be sent */
};
static const srv_json_field_t f_session[] = {
    {.name = "name",
     .type = SRV_JSON_STRING,
     .min = 1,
     .max = DESK_NAME_MAX,
     .nullable = true,
     .check = srv_check_text},
    {.name = "email",
     .type = SRV_JSON_STRING,
     .min = 3,
     .max = DESK_EMAIL_MAX,
     .nullable = true,
     .check = srv_check_ascii_id},
};

typedef struct st_route_def_t {
    const char *method;
    const char *pattern;
    void (*fn)(desk_op_t *op);
    access_t access;
    const srv_json_field_t *fields; /* NULL: the body is ignored */
    size_t nfields;
    bool body_optional; /* an empty body is taken as {} */
} route_def_t;

#define F(t) f_##t, ARRAY_SIZE(f_##t)
#define D    "/v1/api/desk"
static const route_def_t defs[] = {
    {"POST", D "/users", desk_users_create, ACCESS_ADMIN, F(user_create), false},
    {"GET", D "/users", desk_users_list, ACCESS_ADMIN, NULL, 0, false},
    {"GET", D "/users/:id", desk_users_get, ACCESS_ADMIN, NULL, 0, false},
    {"PATCH", D "/users/:id", desk_users_update, ACCESS_ADMIN, F(user_update), false},
    {"POST", D "/users/:id/password-reset", desk_users_reset, ACCESS_ADMIN, F(empty), true},
    {"POST", D "/password-reset", desk_password_reset_use, ACCESS_PUBLIC, F(reset_use), false},
    {"GET", D "/me", desk_me, ACCESS_STAFF, NULL, 0, false},
    {"GET", D "/attendants", desk_attendants_list, ACCESS_STAFF, NULL, 0, false},
    {"POST", D "/me/password", desk_me_password, ACCESS_STAFF, F(me_password), false},
    {"POST", D "/setup", desk_setup, ACCESS_PUBLIC, F(setup), false},
    {"GET", D "/services", desk_services_list, ACCESS_STAFF, NULL, 0, false},
    {"GET", D "/services/:id", desk_services_get, ACCESS_STAFF, NULL, 0, false},
    {"POST", D "/services/:id/assign", desk_services_assign, ACCESS_STAFF, F(assign), false},
    {"POST", D "/services/:id/take", desk_services_take, ACCESS_STAFF, F(empty), true},
    {"POST", D "/services/:id/messages", desk_services_message, ACCESS_STAFF, F(message), false},
    {"POST", D "/services/:id/finish", desk_services_finish, ACCESS_STAFF, F(empty), true},
    {"GET", D "/stats", desk_stats, ACCESS_ADMIN, NULL, 0, false},
    {"GET", D "/stats.csv", desk_stats_csv, ACCESS_ADMIN, NULL, 0, false},
    {"POST", "/v1/api/widget/sessions", desk_widget_session, ACCESS_PUBLIC, F(session), true},
    /* channels (rest_channels.c) */
    {"GET", D "/channels", desk_channels_list, ACCESS_ADMIN, NULL, 0, false},
    {"PATCH", D "/channels/whatsapp", desk_channels_update, ACCESS_ADMIN, F(channel), false},
    {"POST", D "/services/:id/template", desk_services_template, ACCESS_STAFF, F(template), true},
};
#undef D
#undef F

#define NROUTES ARRAY_SIZE(defs)
static srv_route_t routes[NROUTES];

static void build_routes(void)
{
    if (routes[0].pattern != NULL)
        return;
    for (size_t i = 0; i < NROUTES; i++) {
        routes[i].method = defs[i].method;
        routes[i].pattern = defs[i].pattern;
        routes[i].handler = (int)i;
    }
}

static void add_header(h2o_req_t *req, const char *name, const char *v, size_t len)
{
    h2o_add_header_by_str(&req->pool, &req->res.headers, name, strlen(name), 0, NULL, v, len);
}

/* CORS as the engine does it (--cors-origin, --cors-credentials). Returns true if it answered
 * a preflight. */
static bool apply_cors(srv_desk_t *desk, h2o_req_t *req)
{
    const char *list = desk->conf->cors_origin;
    if (list == NULL || *list == '\0')
        return false;
    ssize_t i = h2o_find_header_by_str(&req->headers, H2O_STRLIT("origin"), -1);
    if (i < 0)
        return false;
    h2o_iovec_t origin = req->headers.entries[i].value;
    bool any = strcmp(list, "*") == 0;
    if (!any && !str_list_has(list, origin.base, origin.len))
        return false;
    if (any && !desk->conf->cors_credentials)
        add_header(req, "access-control-allow-origin", H2O_STRLIT("*"));
    else
        add_header(req, "access-control-allow-origin", origin.base, origin.len);
    add_header(req, "vary", H2O_STRLIT("Origin"));
    if (desk->conf->cors_credentials)
        add_header(req, "access-control-allow-credentials", H2O_STRLIT("true"));
    if (h2o_memis(req->method.base, req->method.len, H2O_STRLIT("OPTIONS"))) {
        add_header(req, "access-control-allow-methods", H2O_STRLIT("GET, POST, PATCH"));
        add_header(req, "access-control-allow-headers", H2O_STRLIT("Authorization, Content-Type"));
        add_header(req, "access-control-max-age", H2O_STRLIT("600"));
        send_text(req, 204, NULL, "", 0);
        return true;
    }
    return false;
}

static const char *bearer(h2o_req_t *req, char *buf, size_t size)
{
    ssize_t i = h2o_find_header(&req->headers, H2O_TOKEN_AUTHORIZATION, -1);
    if (i < 0)
        return "";
    h2o_iovec_t v = req->headers.entries[i].value;
    size_t b = 7, e = v.len;
    if (v.len < 7 || strncasecmp(v.base, "Bearer ", 7) != 0)
        return NULL;
    while (b < e && v.base[b] == ' ')
        b++;
    while (e > b && v.base[e - 1] == ' ')
        e--;
    if (e == b || e - b >= size)
        return NULL;
    memcpy(buf, v.base + b, e - b);
    buf[e - b] = '\0';
    return buf;
}

static void on_caller(void *cbdata, int status, const char *code, const char *message,
                      const store_user_t *u)
{
    desk_op_t *op = cbdata;
    if (!op_alive(op)) {
        desk_op_free(op);
        return;
    }
    if (status != 0) {
        desk_reply_error(op, status, code, "%s", message);
        return;
    }
    op->user_id = u->id;
    op->role = u->role;
    const route_def_t *def = &defs[op->n[5]];
    op->n[5] = 0;
    if (def->access == ACCESS_ADMIN && !desk_is_admin(op)) {
        desk_reply_error(op, 403, "admin_only", "this needs an admin");
        return;
    }
    def->fn(op);
}

int desk_rest_handle(h2o_req_t *req, void *data)
{
    srv_desk_t *desk = data;
    h2o_iovec_t path = req->path_normalized;
    srv_route_params_t params;
    json_t *body = NULL;
    build_routes();
    if (apply_cors(desk, req))
        return 0;
    int idx = srv_route_match(routes, NROUTES, req->method.base, req->method.len, path.base,
                              path.len, &params);
    if (idx == SRV_ROUTE_NOT_FOUND) {
        send_error(req, 404, "not_found", "no such endpoint");
        return 0;
    }
    if (idx == SRV_ROUTE_METHOD_NOT_ALLOWED) {
        send_error(req, 405, "method_not_allowed", "method not allowed on this endpoint");
        return 0;
    }
    const route_def_t *def = &defs[idx];
    if (def->fields != NULL) {
        srv_json_error_t err;
        if (def->body_optional && req->entity.len == 0) {
            body = json_object();
        } else {
            body = srv_json_body_parse(req->entity.base, req->entity.len, DESK_BODY_MAX,
                                       def->fields, def->nfields, &err);
            if (body == NULL) {
                send_error(req, err.status, err.code, err.message);
                return 0;
            }
        }
    }
    desk_op_t *op = desk_op_for_req(desk, req);
    op->body = body;
    op->ids[0] = params.count > 0 ? params.ids[0] : 0;
    op->ids[1] = params.count > 1 ? params.ids[1] : 0;
    if (def->access == ACCESS_PUBLIC) {
        def->fn(op);
        return 0;
    }
    char buf[SRV_JWT_MAX_LEN + 1];
    const char *tok = bearer(req, buf, sizeof(buf));
    op->n[5] = idx; /* the route, for on_caller */
    if (tok == NULL)
        on_caller(op, 401, "token_invalid", "the Authorization header is malformed", NULL);
    else
        desk_auth_staff(desk, tok, on_caller, op);
    return 0;
}
