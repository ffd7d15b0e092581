/* realtime.c - the Socket.IO namespace /desk for staff (docs/desk.md).
 *
 * The middleware verifies the staff access token (auth {token}) and reads the user, as REST
 * does (active, attendant or admin), and keeps {userId, role} in socket.data. Rooms say who gets
 * what, on every node through the adapter:
 *   desk:staff         everyone: the queue (services with no attendant) and its events
 *   desk:admins        admins: every service
 *   desk:attendants    attendants (auto-assignment looks for them with fetchSockets)
 *   desk:user:<id>     one staff member: their services, and dropping their sockets
 * An event about a service goes to desk:admins, its attendant's room, desk:staff while it is
 * queued, and to a room given as `also` (the attendant a transfer took it from), in one
 * broadcast so each socket gets it once. A call (call.c) adds desk:call:<service id>, the one
 * socket in it. A role change or a deactivation drops the user's sockets, so a reconnection
 * reads the new role. */
#include "src/desk/internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NSP_NAME "/desk"

struct st_desk_rt_t {
    sio_namespace_t *nsp;
};

static void user_room(char *buf, size_t n, int64_t uid)
{
    snprintf(buf, n, "desk:user:%lld", (long long)uid);
}

static int64_t sock_user(sio_socket_t *sock)
{
    return (int64_t)json_integer_value(json_object_get(sio_socket_data(sock), "userId"));
}

static store_user_role_t sock_role(sio_socket_t *sock)
{
    const char *r = json_string_value(json_object_get(sio_socket_data(sock), "role"));
    return r != NULL && strcmp(r, "admin") == 0 ? STORE_USER_ROLE_ADMIN : STORE_USER_ROLE_AGENT;
}

/* ---- emits ---- */

void desk_notify_about(srv_desk_t *desk, const char *event, const store_service_t *svc,
                       int64_t also, json_t *payload)
{
    char room[48];
    if (desk->rt == NULL) {
        json_decref(payload);
        return;
    }
    sio_broadcast_t *b = sio_broadcast_to(sio_namespace_broadcast(desk->rt->nsp), "desk:admins");
    if (svc->attendant_id > 0) {
        user_room(room, sizeof(room), svc->attendant_id);
        sio_broadcast_to(b, room);
    } else if (svc->status == STORE_SERVICE_OPEN) {
        sio_broadcast_to(b, "desk:staff");
    }
    if (also > 0) {
        user_room(room, sizeof(room), also);
        sio_broadcast_to(b, room);
    }
    sio_broadcast_emit(b, event, json_pack("[o]", payload), NULL, 0);
}

void desk_notify_service(srv_desk_t *desk, const char *event, const store_service_t *svc,
                         int64_t also, json_t *extra)
{
    json_t *p = json_pack("{s:o}", "service", desk_json_service(svc));
    if (extra != NULL) {
        json_object_update(p, extra);
        json_decref(extra);
    }
    desk_notify_about(desk, event, svc, also, p);
}

void desk_rt_drop_user(srv_desk_t *desk, int64_t user_id)
{
    char room[48];
    if (desk->rt == NULL)
        return;
    user_room(room, sizeof(room), user_id);
    sio_broadcast_disconnect_sockets(sio_broadcast_to(sio_namespace_broadcast(desk->rt->nsp), room),
                                     false);
}

typedef struct st_online_job_t {
    desk_online_cb cb;
    void *cbdata;
} online_job_t;

static int cmp_int(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

static void on_fetched(int err, const json_t *sockets, void *cbdata)
{
    online_job_t *job = cbdata;
    if (err != 0 && sockets == NULL) {
        job->cb(NULL, job->cbdata);
        free(job);
        return;
    }
    size_t n = json_array_size(sockets), k = 0, i;
    int64_t *ids = xcalloc(n + 1, sizeof(*ids));
    json_t *s;
    json_array_foreach(sockets, i, s)
    {
        json_int_t uid = json_integer_value(json_object_get(json_object_get(s, "data"), "userId"));
        if (uid > 0)
            ids[k++] = uid;
    }
    qsort(ids, k, sizeof(*ids), cmp_int);
    json_t *out = json_array();
    for (i = 0; i < k; i++)
        if (i == 0 || ids[i] != ids[i - 1])
            json_array_append_new(out, json_integer(ids[i]));
    free(ids);
    job->cb(out, job->cbdata);
    json_decref(out);
    free(job);
}

void desk_rt_online(srv_desk_t *desk, desk_online_cb cb, void *cbdata)
{
    if (desk->rt == NULL) {
        cb(NULL, cbdata);
        return;
    }
    online_job_t *job = xcalloc(1, sizeof(*job));
    job->cb = cb;
    job->cbdata = cbdata;
    sio_broadcast_fetch_sockets(
        sio_broadcast_to(sio_namespace_broadcast(desk->rt->nsp), "desk:attendants"), on_fetched,
        job);
}

/* ---- connection ---- */

typedef struct st_mw_job_t {
    srv_desk_t *desk;
    sio_socket_t *sock; /* referenced */
} mw_job_t;

static void on_mw_user(void *cbdata, int status, const char *code, const char *message,
                       const store_user_t *u)
{
    mw_job_t *job = cbdata;
    UNUSED(message);
    if (status != 0) {
        sio_socket_next(job->sock, "unauthorized", json_pack("{s:s}", "code", code));
    } else {
        sio_socket_set_data(job->sock, json_pack("{s:I,s:s}", "userId", (json_int_t)u->id, "role",
                                                 desk_role_name(u->role)));
        sio_socket_next(job->sock, NULL, NULL);
    }
    sio_socket_unref(job->sock);
    free(job);
}

static void mw_auth(sio_socket_t *sock, void *data)
{
    srv_desk_t *desk = data;
    json_t *tok = json_object_get(sio_socket_auth(sock), "token");
    mw_job_t *job = xcalloc(1, sizeof(*job));
    job->desk = desk;
    job->sock = sio_socket_ref(sock);
    desk_auth_staff(desk, json_is_string(tok) ? json_string_value(tok) : "", on_mw_user, job);
}

static void on_connection(sio_socket_t *sock, void *data)
{
    UNUSED(data);
    int64_t uid = sock_user(sock);
    char room[48];
    if (uid <= 0) {
        sio_socket_disconnect(sock, false);
        return;
    }
    bool admin = sock_role(sock) == STORE_USER_ROLE_ADMIN;
    if (sio_socket_recovered(sock))
        desk_call_socket_recovered(sock);
    user_room(room, sizeof(room), uid);
    sio_socket_join(sock, room);
    sio_socket_join(sock, "desk:staff");
    sio_socket_join(sock, admin ? "desk:admins" : "desk:attendants");
    sio_socket_emit(
        sock, "ready",
        json_pack("[{s:I,s:s}]", "userId", (json_int_t)uid, "role", admin ? "admin" : "attendant"),
        NULL, 0);
}

/* ---- events ---- */

desk_op_t *desk_event_op(srv_desk_t *desk, sio_socket_t *sock, const sio_event_t *ev,
                         const srv_json_field_t *fields, size_t n)
{
    desk_op_t *op = desk_op_for_event(desk, sock, ev->ack_id);
    op->user_id = sock_user(sock);
    op->role = sock_role(sock);
    json_t *arg = json_array_get(ev->args, 0);
    srv_json_error_t err;
    if (arg == NULL) {
        desk_reply_error(op, 400, "invalid_body", "the event needs an object argument");
        return NULL;
    }
    if (srv_json_validate(arg, fields, n, &err) != 0) {
        desk_reply_error(op, err.status, err.code, "%s", err.message);
        return NULL;
    }
    op->body = json_deep_copy(arg);
    op->ids[0] = srv_json_int(arg, "serviceId", 0);
    return op;
}

#define FIELD_SERVICE                                                                              \
    {                                                                                              \
        .name = "serviceId", .type = SRV_JSON_INT, .required = true, .imin = 1, .imax = INT64_MAX  \
    }

static const srv_json_field_t send_fields[] = {
    FIELD_SERVICE,
    {.name = "body",
     .type = SRV_JSON_STRING,
     .max = DESK_MESSAGE_MAX,
     .check = srv_media_check_body},
    {.name = "attachmentIds", .type = SRV_JSON_ID_ARRAY, .max = STORE_MAX_ATTACH},
    {.name = "clientMsgId",
     .type = SRV_JSON_STRING,
     .min = 1,
     .max = DESK_CLIENT_ID_MAX,
     .nullable = true,
     .check = srv_check_ascii_id},
};

static void on_message_send(sio_socket_t *sock, const sio_event_t *ev, void *data)
{
    desk_op_t *op = desk_event_op(data, sock, ev, send_fields, ARRAY_SIZE(send_fields));
    if (op != NULL)
        desk_services_message(op);
}

static const srv_json_field_t typing_fields[] = {
    FIELD_SERVICE,
    {.name = "typing", .type = SRV_JSON_BOOL, .required = true},
};

static void typing_loaded(desk_op_t *op)
{
    srv_desk_t *desk = op->desk;
    bool typing = json_is_true(json_object_get(op->body, "typing"));
    srv_channel_t *ch = desk_channel(desk, op->svc->channel);
    if (op->svc->status == STORE_SERVICE_OPEN && ch != NULL &&
        (ch->ops->caps & SRV_CHANNEL_CAP_TYPING))
        ch->ops->typing(ch, op->svc->customer_id, op->svc->id, typing);
    desk_notify_about(desk, "typing", op->svc, 0,
                      json_pack("{s:I,s:s,s:I,s:b}", "serviceId", (json_int_t)op->svc->id, "from",
                                "attendant", "userId", (json_int_t)op->user_id, "typing", typing));
    desk_reply_json(op, 200, NULL);
}

static void on_typing(sio_socket_t *sock, const sio_event_t *ev, void *data)
{
    desk_op_t *op = desk_event_op(data, sock, ev, typing_fields, ARRAY_SIZE(typing_fields));
    if (op != NULL)
        desk_load_service(op, typing_loaded);
}

static const srv_json_field_t read_fields[] = {
    FIELD_SERVICE,
    {.name = "seq", .type = SRV_JSON_INT, .required = true, .imin = 1, .imax = INT64_MAX},
};

static void on_read_marked(void *cbdata, int status, int64_t seq)
{
    desk_op_t *op = cbdata;
    if (!desk_op_proceed(op, status))
        return;
    if (seq > 0) {
        srv_channel_t *ch = desk_channel(op->desk, op->svc->channel);
        if (ch != NULL && (ch->ops->caps & SRV_CHANNEL_CAP_RECEIPTS))
            ch->ops->receipt(ch, op->svc->customer_id, op->svc->id, seq, STORE_MSG_READ);
        desk_notify_about(op->desk, "message:status", op->svc, 0,
                          json_pack("{s:I,s:s,s:I,s:s}", "serviceId", (json_int_t)op->svc->id,
                                    "direction", "in", "upToSeq", (json_int_t)seq, "state",
                                    "read"));
    }
    desk_reply_json(op, 200, json_pack("{s:I}", "upToSeq", (json_int_t)seq));
}

static void read_loaded(desk_op_t *op)
{
    desk_op_issued(op, store_desk_mark(op->desk->store, op->svc->id, STORE_DESK_IN,
                                       srv_json_int(op->body, "seq", 0), STORE_MSG_READ,
                                       on_read_marked, op));
}

static void on_read(sio_socket_t *sock, const sio_event_t *ev, void *data)
{
    desk_op_t *op = desk_event_op(data, sock, ev, read_fields, ARRAY_SIZE(read_fields));
    if (op != NULL)
        desk_load_service(op, read_loaded);
}

static const struct {
    const char *name;
    sio_event_cb fn;
} events[] = {
    {"message:send", on_message_send},
    {"typing", on_typing},
    {"message:read", on_read},
    {"call:start", desk_on_call_start},
    {"call:signal", desk_on_call_signal},
};

static void on_disconnecting(sio_socket_t *sock, const char *reason, void *data)
{
    UNUSED(reason);
    desk_call_socket_gone(data, sock);
}

sio_namespace_t *desk_rt_namespace(srv_desk_t *desk)
{
    return desk->rt->nsp;
}

desk_rt_t *desk_rt_new(srv_desk_t *desk, sio_server_t *io)
{
    desk_rt_t *rt = xcalloc(1, sizeof(*rt));
    rt->nsp = sio_server_of(io, NSP_NAME);
    sio_namespace_use(rt->nsp, mw_auth, desk);
    sio_namespace_on_connection(rt->nsp, on_connection, desk);
    for (size_t i = 0; i < ARRAY_SIZE(events); i++)
        sio_namespace_on(rt->nsp, events[i].name, events[i].fn, desk);
    sio_namespace_on_disconnecting(rt->nsp, on_disconnecting, desk);
    return rt;
}

void desk_rt_free(srv_desk_t *desk)
{
    desk_rt_t *rt = desk->rt;
    if (rt == NULL)
        return;
    /* the middleware and the connection hook stay (main stops the Socket.IO server first) */
    for (size_t i = 0; i < ARRAY_SIZE(events); i++)
        sio_namespace_on(rt->nsp, events[i].name, NULL, NULL);
    sio_namespace_on_disconnecting(rt->nsp, NULL, NULL);
    free(rt);
    desk->rt = NULL;
}
