/* widget.c - the web chat widget channel (channels.h): visitor tokens and the Socket.IO
 * namespace /support (docs/desk.md).
 *
 * A visitor token is an HS256 JWT (src/auth) whose `sub` is the customer id, signed with the key
 * the desk derived for visitors, so it is worthless as a staff token and the reverse. The
 * middleware verifies it and keeps the customer id in socket.data ({customerId}), which the
 * Redis adapter's fetchSockets and recovery carry. Every socket of a customer joins the room
 * customer:<id>, so the visitor's tabs and devices (on any node) get the same events. After the
 * connection the socket gets `history`: its newest messages over all its services, oldest
 * first, the latest service and whether a rating is pending, which is what a reloaded page needs.
 *
 * Calls (SRV_CHANNEL_CAP_CALL, docs/desk.md "Calls"): call:incoming and call:end go to the
 * customer's room (every tab rings, every tab stops); the tab that accepts (the desk checked the
 * call rings) joins the room call:<service id> and keeps {serviceId, callId} in socket.data.call,
 * and only a socket in that room may send call:signal / call:end for it; signals from the desk go
 * to that room only. call:answered tells the other tabs to stop ringing. A disconnect of the
 * socket in the call ends it. A second accept is refused while a socket of any node is in the
 * room (fetchSockets).
 *
 * In-flight work keeps a socket reference and sits in a list; widget_free orphans it (the
 * callbacks then only free). Loop thread only. */
#include "src/channels/channels.h"
#include "src/media/media.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sodium.h>

#include "src/auth/auth.h"
#include "src/core/core.h"

#define LOG_MOD       "widget"
#define HISTORY_LIMIT 100
#define BODY_MAX      4000 /* characters, as the chat's messages */
#define CLIENT_ID_MAX 64
#define COMMENT_MAX   1000 /* characters (4 bytes each fit STORE_MAX_COMMENT) */
#define NSP_NAME      "/support"

typedef struct st_widget_t widget_t;
typedef struct st_wop_t wop_t;

struct st_widget_t {
    srv_channel_t ch;
    uv_loop_t *loop;
    store_t *store;
    sio_namespace_t *nsp; /* NULL without Socket.IO */
    uint8_t key[64];
    size_t key_len;
    wop_t *ops; /* in flight (doubly linked) */
};

struct st_wop_t {
    widget_t *w; /* NULL once orphaned */
    wop_t *prev, *next;
    sio_socket_t *sock; /* referenced */
    int64_t ack_id;
    int64_t customer_id;
    json_t *history;     /* the messages, while the service is looked up */
    srv_call_msg_t call; /* call:accept, while the desk checks it */
};

static wop_t *wop_new(widget_t *w, sio_socket_t *sock, int64_t ack_id)
{
    wop_t *op = xcalloc(1, sizeof(*op));
    op->w = w;
    op->sock = sio_socket_ref(sock);
    op->ack_id = ack_id;
    op->next = w->ops;
    if (w->ops != NULL)
        w->ops->prev = op;
    w->ops = op;
    return op;
}

static void wop_free(wop_t *op)
{
    if (op->w != NULL) {
        if (op->prev != NULL)
            op->prev->next = op->next;
        else
            op->w->ops = op->next;
        if (op->next != NULL)
            op->next->prev = op->prev;
    }
    json_decref(op->history);
    srv_call_msg_dispose(&op->call);
    sio_socket_unref(op->sock);
    free(op);
}

/* True if the op may go on, else frees it. */
static bool wop_alive(wop_t *op)
{
    if (op->w != NULL)
        return true;
    wop_free(op);
    return false;
}

static widget_t *W(srv_channel_t *ch)
{
    return ch->impl;
}

static void room_of(char *buf, size_t n, int64_t customer_id)
{
    snprintf(buf, n, "customer:%lld", (long long)customer_id);
}

static void call_room(char *buf, size_t n, int64_t service_id);

static int64_t sock_customer(sio_socket_t *sock)
{
    return (int64_t)json_integer_value(json_object_get(sio_socket_data(sock), "customerId"));
}

/* ---- JSON shapes (the same as the desk's for the fields a customer may see) ---- */

static json_t *msg_json(const store_desk_msg_t *m)
{
    store_attachment_list_t list = {m->attachments, m->attachment_count};
    json_t *o =
        json_pack("{s:I,s:I,s:I,s:s,s:s,s:s?,s:I,s:s}", "id", (json_int_t)m->id, "serviceId",
                  (json_int_t)m->service_id, "seq", (json_int_t)m->seq, "direction",
                  store_desk_dir_name(m->direction), "body", m->body, "clientMsgId",
                  m->client_msg_id[0] != '\0' ? m->client_msg_id : NULL, "createdAt",
                  (json_int_t)m->created_at, "state", store_msg_state_name(m->state));
    if (o != NULL)
        json_object_set_new(o, "attachments", srv_media_json_for(&list, m->id));
    return o;
}

static json_t *svc_json(const store_service_t *s)
{
    return json_pack("{s:I,s:s,s:I,s:I,s:o,s:o}", "id", (json_int_t)s->id, "status",
                     store_service_status_name(s->status), "createdAt", (json_int_t)s->created_at,
                     "finishedAt", (json_int_t)s->finished_at, "rating",
                     s->rating > 0 ? json_integer(s->rating) : json_null(), "ratingPending",
                     json_boolean(s->status == STORE_SERVICE_FINISHED && s->rating == 0));
}

static void emit_room(widget_t *w, int64_t customer_id, const char *event, json_t *payload)
{
    char room[40];
    if (w->nsp == NULL) {
        json_decref(payload);
        return;
    }
    room_of(room, sizeof(room), customer_id);
    sio_broadcast_emit(sio_broadcast_to(sio_namespace_broadcast(w->nsp), room), event,
                       json_pack("[o]", payload), NULL, 0);
}

/* ---- acks ---- */

static void ack(sio_socket_t *sock, int64_t ack_id, json_t *obj)
{
    if (ack_id >= 0 && sio_socket_connected(sock))
        sio_socket_ack(sock, ack_id, json_pack("[o]", obj), NULL, 0);
    else
        json_decref(obj);
}

static void ack_err(sio_socket_t *sock, int64_t ack_id, const char *code, const char *msg)
{
    ack(sock, ack_id,
        json_pack("{s:b,s:{s:s,s:s}}", "ok", 0, "error", "code", code, "message", msg));
}

static void ack_status(sio_socket_t *sock, int64_t ack_id, int status)
{
    switch (status) {
    case -ENOENT:
        ack_err(sock, ack_id, "service_not_found", "no such service of yours");
        break;
    case -EPERM:
        ack_err(sock, ack_id, "service_open", "the service is not finished yet");
        break;
    case -EALREADY:
        ack_err(sock, ack_id, "already_rated", "this service was rated already");
        break;
    case -EACCES:
        ack_err(sock, ack_id, "invalid_attachment", "attachmentIds must name your own uploads");
        break;
    case -ESHUTDOWN:
        ack_err(sock, ack_id, "unavailable", "the server is shutting down");
        break;
    default:
        ack_err(sock, ack_id, "internal", "storage failed");
        break;
    }
}

/* Validates the first argument of `ev` against `fields`; acks the error and returns NULL. */
static json_t *event_arg(sio_socket_t *sock, const sio_event_t *ev, const srv_json_field_t *fields,
                         size_t n)
{
    json_t *arg = json_array_get(ev->args, 0);
    srv_json_error_t err;
    if (arg == NULL) {
        ack_err(sock, ev->ack_id, "invalid_body", "the event needs an object argument");
        return NULL;
    }
    if (srv_json_validate(arg, fields, n, &err) != 0) {
        ack_err(sock, ev->ack_id, err.code, err.message);
        return NULL;
    }
    return arg;
}

/* ---- connection ---- */

static void mw_auth(sio_socket_t *sock, void *data)
{
    widget_t *w = data;
    json_t *tok = json_object_get(sio_socket_auth(sock), "visitorToken");
    srv_jwt_claims_t claims;
    srv_jwt_status_t st = SRV_JWT_MISSING;
    if (json_is_string(tok))
        st = srv_jwt_verify(w->key, w->key_len, json_string_value(tok), (int64_t)time(NULL),
                            &claims);
    if (st != SRV_JWT_OK) {
        sio_socket_next(sock, "unauthorized",
                        json_pack("{s:s}", "code",
                                  st == SRV_JWT_MISSING   ? "visitor_token_missing"
                                  : st == SRV_JWT_EXPIRED ? "visitor_token_expired"
                                                          : "visitor_token_invalid"));
        return;
    }
    sio_socket_set_data(sock, json_pack("{s:I}", "customerId", (json_int_t)claims.user_id));
    sio_socket_next(sock, NULL, NULL);
}

static void on_history_service(void *cbdata, int status, const store_service_list_t *l)
{
    wop_t *op = cbdata;
    if (!wop_alive(op))
        return;
    if (status == 0 && sio_socket_connected(op->sock)) {
        json_t *svc = l->count > 0 ? svc_json(&l->items[0]) : json_null();
        sio_socket_emit(op->sock, "history",
                        json_pack("[{s:O,s:o}]", "messages", op->history, "service", svc), NULL, 0);
    }
    wop_free(op);
}

static void on_history_attachments(void *cbdata, int status, const store_attachment_list_t *list)
{
    wop_t *op = cbdata;
    json_t *m;
    size_t i;
    if (!wop_alive(op))
        return;
    json_array_foreach(op->history, i, m)
    {
        int64_t id = json_integer_value(json_object_get(m, "id"));
        json_object_set_new(m, "attachments", srv_media_json_for(status == 0 ? list : NULL, id));
    }
    store_service_filter_t f = {.customer_id = op->customer_id, .limit = 1};
    if (store_desk_service_list(op->w->store, &f, on_history_service, op) != 0)
        wop_free(op);
}

static void on_history_messages(void *cbdata, int status, const store_desk_msg_list_t *l)
{
    wop_t *op = cbdata;
    if (!wop_alive(op))
        return;
    if (status != 0) {
        wop_free(op);
        return;
    }
    op->history = json_array();
    int64_t ids[HISTORY_LIMIT];
    size_t n = 0;
    for (size_t i = l->count; i > 0; i--) { /* newest first from the store: oldest first here */
        json_array_append_new(op->history, msg_json(&l->items[i - 1]));
        if (n < HISTORY_LIMIT)
            ids[n++] = l->items[i - 1].id;
    }
    if (store_attachment_list(op->w->store, STORE_ATT_DESK, ids, n, on_history_attachments, op) !=
        0)
        wop_free(op);
}

static void on_connection(sio_socket_t *sock, void *data)
{
    widget_t *w = data;
    int64_t cid = sock_customer(sock);
    char room[40];
    if (cid <= 0) {
        sio_socket_disconnect(sock, false);
        return;
    }
    room_of(room, sizeof(room), cid);
    sio_socket_join(sock, room);
    json_t *c = json_object_get(sio_socket_data(sock), "call");
    if (sio_socket_recovered(sock) && c != NULL) { /* its call ended when it disconnected */
        call_room(room, sizeof(room), json_integer_value(json_object_get(c, "serviceId")));
        sio_socket_leave(sock, room);
    }
    wop_t *op = wop_new(w, sock, -1);
    op->customer_id = cid;
    if (store_desk_customer_messages(w->store, cid, 0, HISTORY_LIMIT, on_history_messages, op) != 0)
        wop_free(op);
}

/* ---- events from the customer ---- */

static const srv_json_field_t send_fields[] = {
    {.name = "body",
     .type = SRV_JSON_STRING,
     .min = 0,
     .max = BODY_MAX,
     .check = srv_media_check_body},
    {.name = "attachmentIds", .type = SRV_JSON_ID_ARRAY, .max = STORE_MAX_ATTACH},
    {.name = "clientMsgId",
     .type = SRV_JSON_STRING,
     .min = 1,
     .max = CLIENT_ID_MAX,
     .nullable = true,
     .check = srv_check_ascii_id},
};

static void on_sent(void *cbdata, int status, const store_desk_msg_t *msg,
                    const store_service_t *svc)
{
    wop_t *op = cbdata;
    UNUSED(svc);
    if (!wop_alive(op))
        return;
    if (status != 0)
        ack_status(op->sock, op->ack_id, status);
    else
        ack(op->sock, op->ack_id,
            json_pack("{s:b,s:o,s:b}", "ok", 1, "message", msg_json(msg), "duplicate",
                      msg->duplicate));
    wop_free(op);
}

static void on_message_send(sio_socket_t *sock, const sio_event_t *ev, void *data)
{
    widget_t *w = data;
    json_t *arg = event_arg(sock, ev, send_fields, ARRAY_SIZE(send_fields));
    if (arg == NULL)
        return;
    int64_t ids[STORE_MAX_ATTACH];
    size_t n;
    const char *msg, *code = srv_media_send_check(arg, ids, &n, &msg);
    if (code != NULL) {
        ack_err(sock, ev->ack_id, code, msg);
        return;
    }
    const char *body = srv_json_str(arg, "body");
    wop_t *op = wop_new(w, sock, ev->ack_id);
    const srv_channel_host_t *h = w->ch.host;
    h->on_inbound(h->data, &w->ch, sock_customer(sock), body != NULL ? body : "",
                  srv_json_str(arg, "clientMsgId"), ids, n, on_sent, op);
}

static const srv_json_field_t rating_fields[] = {
    {.name = "serviceId", .type = SRV_JSON_INT, .required = true, .imin = 1, .imax = INT64_MAX},
    {.name = "rating", .type = SRV_JSON_INT, .required = true, .imin = 1, .imax = 5},
    {.name = "comment", .type = SRV_JSON_STRING, .max = COMMENT_MAX, .nullable = true},
};

static void on_rated(void *cbdata, int status, const store_service_t *svc)
{
    wop_t *op = cbdata;
    if (!wop_alive(op))
        return;
    if (status != 0)
        ack_status(op->sock, op->ack_id, status);
    else
        ack(op->sock, op->ack_id, json_pack("{s:b,s:o}", "ok", 1, "service", svc_json(svc)));
    wop_free(op);
}

static void on_rating_submit(sio_socket_t *sock, const sio_event_t *ev, void *data)
{
    widget_t *w = data;
    json_t *arg = event_arg(sock, ev, rating_fields, ARRAY_SIZE(rating_fields));
    if (arg == NULL)
        return;
    wop_t *op = wop_new(w, sock, ev->ack_id);
    const srv_channel_host_t *h = w->ch.host;
    h->on_rating(h->data, &w->ch, sock_customer(sock), srv_json_int(arg, "serviceId", 0),
                 (int)srv_json_int(arg, "rating", 0), srv_json_str(arg, "comment"), on_rated, op);
}

static const srv_json_field_t typing_fields[] = {
    {.name = "typing", .type = SRV_JSON_BOOL, .required = true},
};

static void on_typing(sio_socket_t *sock, const sio_event_t *ev, void *data)
{
    widget_t *w = data;
    json_t *arg = event_arg(sock, ev, typing_fields, ARRAY_SIZE(typing_fields));
    if (arg == NULL)
        return;
    const srv_channel_host_t *h = w->ch.host;
    h->on_typing(h->data, &w->ch, sock_customer(sock),
                 json_is_true(json_object_get(arg, "typing")));
}

static const srv_json_field_t read_fields[] = {
    {.name = "serviceId", .type = SRV_JSON_INT, .required = true, .imin = 1, .imax = INT64_MAX},
    {.name = "seq", .type = SRV_JSON_INT, .required = true, .imin = 1, .imax = INT64_MAX},
};

static void on_read(sio_socket_t *sock, const sio_event_t *ev, void *data)
{
    widget_t *w = data;
    json_t *arg = event_arg(sock, ev, read_fields, ARRAY_SIZE(read_fields));
    if (arg == NULL)
        return;
    const srv_channel_host_t *h = w->ch.host;
    h->on_read(h->data, &w->ch, sock_customer(sock), srv_json_int(arg, "serviceId", 0),
               srv_json_int(arg, "seq", 0));
}

/* ---- calls ---- */

static void call_room(char *buf, size_t n, int64_t service_id)
{
    snprintf(buf, n, "call:%lld", (long long)service_id);
}

static void emit_to(widget_t *w, const char *room, const char *event, json_t *payload,
                    unsigned flags)
{
    if (w->nsp == NULL) {
        json_decref(payload);
        return;
    }
    sio_broadcast_t *b = sio_broadcast_to(sio_namespace_broadcast(w->nsp), room);
    sio_broadcast_emit(sio_broadcast_flags(b, flags), event, json_pack("[o]", payload), NULL, 0);
}

/* The call id of the call `sock` is in for `service_id` (it accepted it and is still in the
 * room), or NULL. */
static const char *sock_call(sio_socket_t *sock, int64_t service_id)
{
    char room[40];
    json_t *c = json_object_get(sio_socket_data(sock), "call");
    call_room(room, sizeof(room), service_id);
    if (!sio_socket_in_room(sock, room) ||
        json_integer_value(json_object_get(c, "serviceId")) != service_id)
        return NULL;
    return json_string_value(json_object_get(c, "callId"));
}

static bool sock_in_call(sio_socket_t *sock, const srv_call_msg_t *m)
{
    const char *id = sock_call(sock, m->service_id);
    return id != NULL && strcmp(id, m->call_id) == 0;
}

/* Parses a call event of the customer's; acks the error and returns false. */
static bool call_arg(sio_socket_t *sock, const sio_event_t *ev, srv_call_kind_t fixed,
                     srv_call_msg_t *m)
{
    srv_call_error_t err;
    unsigned allowed = SRV_CALL_KIND_BIT(SRV_CALL_OFFER) | SRV_CALL_KIND_BIT(SRV_CALL_ANSWER) |
                       SRV_CALL_KIND_BIT(SRV_CALL_ICE);
    if (srv_call_parse(json_array_get(ev->args, 0), fixed, allowed, m, &err) == 0)
        return true;
    ack_err(sock, ev->ack_id, err.code, err.message);
    return false;
}

static void ack_call(sio_socket_t *sock, int64_t ack_id, int status)
{
    if (status == 0)
        ack(sock, ack_id, json_pack("{s:b}", "ok", 1));
    else if (status == -ENOENT)
        ack_err(sock, ack_id, "call_not_found", "no such call for your service");
    else if (status == -EALREADY)
        ack_err(sock, ack_id, "call_answered", "the call was answered on another device");
    else if (status == -EBUSY)
        ack_err(sock, ack_id, "call_busy", "this tab is in another call");
    else
        ack_status(sock, ack_id, status);
}

static void on_call_done(void *cbdata, int status)
{
    wop_t *op = cbdata;
    if (!wop_alive(op))
        return;
    ack_call(op->sock, op->ack_id, status);
    wop_free(op);
}

static void call_ignored(void *cbdata, int status)
{
    UNUSED(cbdata);
    UNUSED(status);
}

static void on_accepted(void *cbdata, int status)
{
    wop_t *op = cbdata;
    char room[40];
    if (!wop_alive(op))
        return;
    if (status == 0 && sio_socket_connected(op->sock)) {
        call_room(room, sizeof(room), op->call.service_id);
        sio_socket_join(op->sock, room);
        json_t *d = json_deep_copy(sio_socket_data(op->sock));
        json_object_set_new(d, "call",
                            json_pack("{s:I,s:s}", "serviceId", (json_int_t)op->call.service_id,
                                      "callId", op->call.call_id));
        sio_socket_set_data(op->sock, d);
        /* the other tabs stop ringing (this one has the ack) */
        char croom[40];
        room_of(croom, sizeof(croom), op->customer_id);
        sio_broadcast_emit(sio_broadcast_to(sio_socket_broadcast(op->sock), croom), "call:answered",
                           json_pack("[{s:I,s:s}]", "serviceId", (json_int_t)op->call.service_id,
                                     "callId", op->call.call_id),
                           NULL, 0);
    }
    ack_call(op->sock, op->ack_id, status);
    wop_free(op);
}

static void on_accept_fetched(int err, const json_t *sockets, void *cbdata)
{
    wop_t *op = cbdata;
    if (!wop_alive(op))
        return;
    if (err != 0 && json_array_size(sockets) == 0) {
        ack_call(op->sock, op->ack_id, -EIO);
        wop_free(op);
        return;
    }
    if (json_array_size(sockets) > 0) { /* another tab or device has it */
        ack_call(op->sock, op->ack_id, -EALREADY);
        wop_free(op);
        return;
    }
    const srv_channel_host_t *h = op->w->ch.host;
    h->on_call(h->data, &op->w->ch, op->customer_id, op->call.service_id, op->call.call_id,
               SRV_CALL_ACCEPT, NULL, on_accepted, op);
}

static void on_call_accept(sio_socket_t *sock, const sio_event_t *ev, void *data)
{
    widget_t *w = data;
    char room[40];
    srv_call_msg_t m;
    if (!call_arg(sock, ev, SRV_CALL_ACCEPT, &m))
        return;
    json_t *c = json_object_get(sio_socket_data(sock), "call");
    if (c != NULL && sock_call(sock, json_integer_value(json_object_get(c, "serviceId"))) != NULL) {
        ack_call(sock, ev->ack_id, -EBUSY);
        return;
    }
    wop_t *op = wop_new(w, sock, ev->ack_id);
    op->customer_id = sock_customer(sock);
    op->call = m;
    call_room(room, sizeof(room), m.service_id);
    sio_broadcast_fetch_sockets(sio_broadcast_to(sio_namespace_broadcast(w->nsp), room),
                                on_accept_fetched, op);
}

static void on_call_decline(sio_socket_t *sock, const sio_event_t *ev, void *data)
{
    widget_t *w = data;
    srv_call_msg_t m;
    if (!call_arg(sock, ev, SRV_CALL_DECLINE, &m))
        return;
    wop_t *op = wop_new(w, sock, ev->ack_id);
    const srv_channel_host_t *h = w->ch.host;
    h->on_call(h->data, &w->ch, sock_customer(sock), m.service_id, m.call_id, SRV_CALL_DECLINE,
               NULL, on_call_done, op);
}

/* call:signal and call:end: only from the socket in the call. */
static void call_relay(widget_t *w, sio_socket_t *sock, const sio_event_t *ev,
                       srv_call_kind_t fixed)
{
    srv_call_msg_t m;
    if (!call_arg(sock, ev, fixed, &m))
        return;
    if (!sock_in_call(sock, &m)) {
        srv_call_msg_dispose(&m);
        ack_call(sock, ev->ack_id, -ENOENT);
        return;
    }
    json_t *data = m.kind == SRV_CALL_END ? json_pack("{s:s}", "reason", m.reason) : m.data;
    wop_t *op = wop_new(w, sock, ev->ack_id);
    const srv_channel_host_t *h = w->ch.host;
    h->on_call(h->data, &w->ch, sock_customer(sock), m.service_id, m.call_id, m.kind, data,
               on_call_done, op);
    if (m.kind == SRV_CALL_END)
        json_decref(data);
    srv_call_msg_dispose(&m);
}

static void on_call_signal(sio_socket_t *sock, const sio_event_t *ev, void *data)
{
    call_relay(data, sock, ev, SRV_CALL_NONE);
}

static void on_call_end(sio_socket_t *sock, const sio_event_t *ev, void *data)
{
    call_relay(data, sock, ev, SRV_CALL_END);
}

/* The socket in a call went away: the call ends. */
static void on_disconnecting(sio_socket_t *sock, const char *reason, void *data)
{
    widget_t *w = data;
    UNUSED(reason);
    json_t *c = json_object_get(sio_socket_data(sock), "call");
    int64_t sid = json_integer_value(json_object_get(c, "serviceId"));
    const char *call_id = c != NULL ? sock_call(sock, sid) : NULL;
    if (call_id == NULL)
        return;
    json_t *d = json_pack("{s:s}", "reason", "disconnected");
    const srv_channel_host_t *h = w->ch.host;
    h->on_call(h->data, &w->ch, sock_customer(sock), sid, call_id, SRV_CALL_END, d, call_ignored,
               NULL);
    json_decref(d);
}

/* ---- the vtable ---- */

static void widget_deliver(srv_channel_t *ch, const store_service_t *svc,
                           const store_desk_msg_t *msg)
{
    emit_room(W(ch), svc->customer_id, "message:new", msg_json(msg));
}

static void widget_typing(srv_channel_t *ch, int64_t customer_id, int64_t service_id, bool typing)
{
    emit_room(W(ch), customer_id, "typing",
              json_pack("{s:I,s:s,s:b}", "serviceId", (json_int_t)service_id, "from", "attendant",
                        "typing", typing));
}

static void widget_rating_request(srv_channel_t *ch, const store_service_t *svc)
{
    emit_room(
        W(ch), svc->customer_id, "rating:request",
        json_pack("{s:I,s:s}", "serviceId", (json_int_t)svc->id, "reason", svc->finish_reason));
}

static void widget_receipt(srv_channel_t *ch, int64_t customer_id, int64_t service_id, int64_t seq,
                           store_msg_state_t state)
{
    emit_room(W(ch), customer_id, "message:status",
              json_pack("{s:I,s:s,s:I,s:s}", "serviceId", (json_int_t)service_id, "direction", "in",
                        "upToSeq", (json_int_t)seq, "state", store_msg_state_name(state)));
}

static void widget_call(srv_channel_t *ch, int64_t customer_id, int64_t service_id,
                        const char *call_id, srv_call_kind_t kind, const json_t *data)
{
    widget_t *w = W(ch);
    char room[40];
    json_t *p = json_pack("{s:I,s:s?}", "serviceId", (json_int_t)service_id, "callId", call_id);
    call_room(room, sizeof(room), service_id);
    switch (kind) {
    case SRV_CALL_INCOMING:
        json_object_update(p, (json_t *)data);
        emit_room(w, customer_id, "call:incoming", p);
        break;
    case SRV_CALL_OFFER:
    case SRV_CALL_ANSWER:
    case SRV_CALL_ICE:
        json_object_set_new(p, "type", json_string(srv_call_kind_name(kind)));
        json_object_set(p, "data", (json_t *)data);
        emit_to(w, room, "call:signal", p, SIO_EMIT_NO_STORE);
        break;
    case SRV_CALL_END:
        if (call_id == NULL)
            json_object_set_new(p, "callId", json_null());
        json_object_update(p, (json_t *)data);
        emit_room(w, customer_id, "call:end", p);
        if (w->nsp != NULL)
            sio_broadcast_sockets_leave(sio_broadcast_to(sio_namespace_broadcast(w->nsp), room),
                                        room);
        break;
    default:
        json_decref(p);
        break;
    }
}

static const struct {
    const char *name;
    sio_event_cb fn;
} call_events[] = {
    {"call:accept", on_call_accept},
    {"call:decline", on_call_decline},
    {"call:signal", on_call_signal},
    {"call:end", on_call_end},
};

static void widget_free(srv_channel_t *ch)
{
    widget_t *w = W(ch);
    for (wop_t *op = w->ops; op != NULL; op = op->next)
        op->w = NULL;
    if (w->nsp != NULL) { /* the middleware and connection hook stay: main stops io first */
        sio_namespace_on(w->nsp, "message:send", NULL, NULL);
        sio_namespace_on(w->nsp, "rating:submit", NULL, NULL);
        sio_namespace_on(w->nsp, "typing", NULL, NULL);
        sio_namespace_on(w->nsp, "message:read", NULL, NULL);
        for (size_t i = 0; i < ARRAY_SIZE(call_events); i++)
            sio_namespace_on(w->nsp, call_events[i].name, NULL, NULL);
        sio_namespace_on_disconnecting(w->nsp, NULL, NULL);
    }
    sodium_memzero(w->key, sizeof(w->key));
    free(w);
}

static const srv_channel_ops_t widget_ops = {
    .name = "widget",
    .caps = SRV_CHANNEL_CAP_TYPING | SRV_CHANNEL_CAP_RECEIPTS | SRV_CHANNEL_CAP_RATING |
            SRV_CHANNEL_CAP_CALL,
    .deliver = widget_deliver,
    .typing = widget_typing,
    .rating_request = widget_rating_request,
    .receipt = widget_receipt,
    .free = widget_free,
    .call = widget_call,
};

srv_channel_t *srv_widget_new(uv_loop_t *loop, store_t *store, sio_server_t *io, const uint8_t *key,
                              size_t key_len, const srv_channel_host_t *host)
{
    if (key_len == 0 || key_len > sizeof(((widget_t *)0)->key))
        return NULL;
    widget_t *w = xcalloc(1, sizeof(*w));
    w->ch.ops = &widget_ops;
    w->ch.host = host;
    w->ch.impl = w;
    w->loop = loop;
    w->store = store;
    memcpy(w->key, key, key_len);
    w->key_len = key_len;
    if (io != NULL) {
        w->nsp = sio_server_of(io, NSP_NAME);
        sio_namespace_use(w->nsp, mw_auth, w);
        sio_namespace_on_connection(w->nsp, on_connection, w);
        sio_namespace_on(w->nsp, "message:send", on_message_send, w);
        sio_namespace_on(w->nsp, "rating:submit", on_rating_submit, w);
        sio_namespace_on(w->nsp, "typing", on_typing, w);
        sio_namespace_on(w->nsp, "message:read", on_read, w);
        for (size_t i = 0; i < ARRAY_SIZE(call_events); i++)
            sio_namespace_on(w->nsp, call_events[i].name, call_events[i].fn, w);
        sio_namespace_on_disconnecting(w->nsp, on_disconnecting, w);
    }
    return &w->ch;
}

char *srv_widget_issue_token(srv_channel_t *widget, int64_t customer_id)
{
    widget_t *w = W(widget);
    return srv_jwt_issue(w->key, w->key_len, customer_id, (int64_t)time(NULL),
                         SRV_WIDGET_TOKEN_TTL_S);
}

void srv_channel_free(srv_channel_t *ch)
{
    if (ch != NULL)
        ch->ops->free(ch);
}
