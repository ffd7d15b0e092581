/* rest_dispatch.c - the REST API's front door: the route table, then for each request in order:
 * route match (404 / 405), bearer authentication on private routes (401 with code token_missing /
 * token_invalid / token_expired), the body size limit (413), strict body validation against the
 * route's field table (400 naming the field), then the route's handler with a fresh rest_op_t.
 * GET /v1/api/openapi.json serves the OpenAPI document read at start-up. */
#include "src/chat/internal.h"

#include <errno.h>
#include <string.h>
#include <time.h>

#include "src/auth/auth.h"

typedef struct st_route_def_t {
    const char *method;
    const char *pattern;
    void (*fn)(rest_op_t *op);
    bool auth;                      /* needs a valid access token */
    const srv_json_field_t *fields; /* body table, NULL: the body is ignored */
    const size_t *nfields;
    bool body_optional; /* an empty body is taken as {} */
} route_def_t;

#define F(t) chat_fields_##t, &chat_fields_##t##_n
static const route_def_t defs[] = {
    {"POST", "/v1/api/auth/register", rest_auth_register, false, F(register), false},
    {"POST", "/v1/api/auth/login", rest_auth_login, false, F(login), false},
    {"POST", "/v1/api/auth/refresh", rest_auth_refresh, false, F(refresh), false},
    {"POST", "/v1/api/auth/logout", rest_auth_logout, true, F(logout), true},
    {"GET", "/v1/api/users/me", rest_users_me, true, NULL, NULL, false},
    {"PATCH", "/v1/api/users/me", rest_users_update_me, true, F(profile_update), false},
    {"GET", "/v1/api/users", rest_users_list, true, NULL, NULL, false},
    {"GET", "/v1/api/users/:id", rest_users_get, true, NULL, NULL, false},
    {"GET", "/v1/api/chats", rest_chats_mine, true, NULL, NULL, false},
    {"GET", "/v1/api/chats/public", rest_chats_public_list, true, NULL, NULL, false},
    {"POST", "/v1/api/chats/public", rest_chats_public_create, true, F(public_create), false},
    {"GET", "/v1/api/chats/public/:id", rest_chats_public_get, true, NULL, NULL, false},
    {"POST", "/v1/api/chats/public/:id/join", rest_chats_public_join, true, NULL, NULL, false},
    {"POST", "/v1/api/chats/public/:id/leave", rest_chats_public_leave, true, NULL, NULL, false},
    {"GET", "/v1/api/chats/private", rest_chats_private_list, true, NULL, NULL, false},
    {"POST", "/v1/api/chats/private", rest_chats_private_create, true, F(private_create), false},
    {"GET", "/v1/api/chats/private/:id", rest_chats_private_get, true, NULL, NULL, false},
    {"PUT", "/v1/api/chats/private/:id", rest_chats_private_update, true, F(private_update), false},
    {"DELETE", "/v1/api/chats/private/:id", rest_chats_private_delete, true, NULL, NULL, false},
    {"GET", "/v1/api/chats/group", rest_chats_group_list, true, NULL, NULL, false},
    {"POST", "/v1/api/chats/group", rest_chats_group_create, true, F(group_create), false},
    {"GET", "/v1/api/chats/group/:id", rest_chats_group_get, true, NULL, NULL, false},
    {"PUT", "/v1/api/chats/group/:id", rest_chats_group_update, true, F(group_update), false},
    {"DELETE", "/v1/api/chats/group/:id", rest_chats_group_delete, true, NULL, NULL, false},
    {"GET", "/v1/api/chats/group/:id/members", rest_chats_group_members, true, NULL, NULL, false},
    {"POST", "/v1/api/chats/group/:id/members", rest_chats_group_member_add, true, F(member_add),
     false},
    {"DELETE", "/v1/api/chats/group/:id/members/:uid", rest_chats_group_member_remove, true, NULL,
     NULL, false},
    {"GET", "/v1/api/chats/:id/messages", rest_messages_history, true, NULL, NULL, false},
    {"POST", "/v1/api/chats/:id/messages", rest_messages_post, true, F(message_send), false},
    {"GET", "/v1/api/messages/search", rest_messages_search, true, NULL, NULL, false},
    {"PUT", "/v1/api/messages/:id", rest_messages_edit, true, F(message_edit), false},
    {"DELETE", "/v1/api/messages/:id", rest_messages_delete, true, NULL, NULL, false},
};
#undef F

#define NROUTES (sizeof(defs) / sizeof(defs[0]))
static srv_route_t routes[NROUTES];
static bool routes_ready;

static void build_routes(void)
{
    if (routes_ready)
        return;
    for (size_t i = 0; i < NROUTES; i++) {
        routes[i].method = defs[i].method;
        routes[i].pattern = defs[i].pattern;
        routes[i].handler = (int)i;
    }
    routes_ready = true;
}

const char *rest_bearer_token(const char *value, size_t len, char *buf, size_t buf_size)
{
    size_t i = 0;
    if (len < 7 || strncasecmp(value, "Bearer ", 7) != 0)
        return NULL;
    i = 7;
    while (i < len && value[i] == ' ')
        i++;
    while (len > i && value[len - 1] == ' ')
        len--;
    if (len == i || len - i >= buf_size)
        return NULL;
    memcpy(buf, value + i, len - i);
    buf[len - i] = '\0';
    return buf;
}

static int authenticate(srv_chat_t *chat, h2o_req_t *req, int64_t *user_id)
{
    char buf[SRV_JWT_MAX_LEN + 1];
    const char *tok = NULL;
    srv_jwt_claims_t claims;
    srv_jwt_status_t st;
    ssize_t i = h2o_find_header(&req->headers, H2O_TOKEN_AUTHORIZATION, -1);

    if (i >= 0) {
        h2o_iovec_t v = req->headers.entries[i].value;
        tok = rest_bearer_token(v.base, v.len, buf, sizeof(buf));
        st = tok != NULL ? srv_jwt_verify(chat->jwt_key, chat->jwt_key_len, tok,
                                          (int64_t)time(NULL), &claims)
                         : SRV_JWT_INVALID;
    } else {
        st = SRV_JWT_MISSING;
    }
    if (st != SRV_JWT_OK) {
        const char *msg = st == SRV_JWT_MISSING   ? "an access token is required"
                          : st == SRV_JWT_EXPIRED ? "the access token has expired"
                                                  : "the access token is invalid";
        rest_send_error(req, 401, srv_jwt_status_code(st), msg);
        return -1;
    }
    *user_id = claims.user_id;
    return 0;
}

int rest_query_int(rest_op_t *op, const char *name, int64_t min, int64_t max, int64_t dflt,
                   int64_t *out)
{
    h2o_req_t *req = op->req;
    char buf[32];
    int n;
    *out = dflt;
    if (req->query_at == SIZE_MAX)
        return 0;
    n = srv_query_get(req->path.base + req->query_at + 1, req->path.len - req->query_at - 1, name,
                      buf, sizeof(buf));
    if (n == -ENOENT)
        return 0;
    if (n < 0 || srv_parse_int64(buf, (size_t)n, out) != 0 || *out < min || *out > max) {
        rest_op_reply_error(op, 400, "invalid_query",
                            "query parameter '%s' must be an integer between %lld and %lld", name,
                            (long long)min, (long long)max);
        return -1;
    }
    return 0;
}

static void add_header(h2o_req_t *req, const char *name, const char *value, size_t len)
{
    h2o_add_header_by_str(&req->pool, &req->res.headers, name, strlen(name), 0, NULL, value, len);
}

/* CORS as the engine does it (--cors-origin, --cors-credentials): adds the response headers for
 * an allowed Origin, and answers a preflight. Returns true if it answered the request. */
static bool apply_cors(srv_chat_t *chat, h2o_req_t *req)
{
    const char *list = chat->conf->cors_origin;
    ssize_t i;
    h2o_iovec_t origin;
    if (list == NULL || *list == '\0')
        return false;
    i = h2o_find_header_by_str(&req->headers, H2O_STRLIT("origin"), -1);
    if (i < 0)
        return false;
    origin = req->headers.entries[i].value;
    if (strcmp(list, "*") != 0 && !str_list_has(list, origin.base, origin.len))
        return false;
    if (strcmp(list, "*") == 0 && !chat->conf->cors_credentials)
        h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_ACCESS_CONTROL_ALLOW_ORIGIN, NULL,
                       H2O_STRLIT("*"));
    else
        h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_ACCESS_CONTROL_ALLOW_ORIGIN, NULL,
                       origin.base, origin.len);
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_VARY, NULL, H2O_STRLIT("Origin"));
    if (chat->conf->cors_credentials)
        add_header(req, "access-control-allow-credentials", H2O_STRLIT("true"));
    if (h2o_memis(req->method.base, req->method.len, H2O_STRLIT("OPTIONS"))) {
        add_header(req, "access-control-allow-methods",
                   H2O_STRLIT("GET, POST, PUT, PATCH, DELETE"));
        add_header(req, "access-control-allow-headers", H2O_STRLIT("Authorization, Content-Type"));
        add_header(req, "access-control-max-age", H2O_STRLIT("600"));
        rest_send_text(req, 204, NULL, "", 0);
        return true;
    }
    add_header(req, "access-control-expose-headers", H2O_STRLIT("Retry-After"));
    return false;
}

int srv_chat_handle(srv_chat_t *chat, h2o_req_t *req)
{
    h2o_iovec_t path = req->path_normalized;
    srv_route_params_t params;
    const route_def_t *def;
    int64_t user_id = 0;
    json_t *body = NULL;
    rest_op_t *op;
    int idx;

    if (path.len < 7 || memcmp(path.base, "/v1/api", 7) != 0 ||
        (path.len > 7 && path.base[7] != '/'))
        return -1;
    build_routes();
    if (apply_cors(chat, req))
        return 0;
    if (h2o_memis(path.base, path.len, H2O_STRLIT("/v1/api/openapi.json"))) {

        if (!h2o_memis(req->method.base, req->method.len, H2O_STRLIT("GET")) &&
            !h2o_memis(req->method.base, req->method.len, H2O_STRLIT("HEAD"))) {
            rest_send_error(req, 405, "method_not_allowed", "use GET");
        } else if (chat->openapi == NULL) {
            rest_send_error(req, 404, "not_found", "the OpenAPI document is not installed");
        } else {
            rest_send_text(req, 200, "application/json; charset=utf-8", chat->openapi,
                           chat->openapi_len);
        }
        return 0;
    }
    idx = srv_route_match(routes, NROUTES, req->method.base, req->method.len, path.base, path.len,
                          &params);
    if (idx == SRV_ROUTE_NOT_FOUND) {
        rest_send_error(req, 404, "not_found", "no such endpoint");
        return 0;
    }
    if (idx == SRV_ROUTE_METHOD_NOT_ALLOWED) {
        rest_send_error(req, 405, "method_not_allowed", "method not allowed on this endpoint");
        return 0;
    }
    def = &defs[idx];
    if (def->auth && authenticate(chat, req, &user_id) != 0)
        return 0;
    if (req->entity.len > CHAT_MAX_BODY) {
        rest_send_error(req, 413, "payload_too_large", "the body is too large");
        return 0;
    }
    if (def->fields != NULL) {
        srv_json_error_t err;
        if (def->body_optional && req->entity.len == 0) {
            body = json_object();
        } else {
            body = srv_json_body_parse(req->entity.base, req->entity.len, CHAT_MAX_BODY,
                                       def->fields, *def->nfields, &err);
            if (body == NULL) {
                rest_send_error(req, err.status, err.code, err.message);
                return 0;
            }
        }
    }
    op = rest_op_new(chat, req);
    op->user_id = user_id;
    op->params = params;
    op->body = body;
    def->fn(op);
    return 0;
}
