/* call.c - WebRTC audio calls between an attendant on /desk and the customer of a service whose
 * channel has SRV_CHANNEL_CAP_CALL (the web widget), signalled over Socket.IO (docs/desk.md
 * "Calls"). sioc relays the session descriptions and ICE candidates; the audio goes peer to
 * peer (STUN/TURN servers from --webrtc-ice-servers are handed to both browsers).
 *
 * State lives in rooms and socket.data, so it holds with several nodes (the Redis adapter):
 * the attendant socket that starts a call joins desk:call:<service id> and keeps {serviceId,
 * callId, customerId, channel} in socket.data.call; on the customer's side the channel does the
 * same with its own room. Signals go to these rooms (exactly the two sockets in the call, on
 * whichever node). Rules:
 *   - call:start: only the service's attendant (admins included: not someone else's), only an
 *     open service, only a channel with CAP_CALL (WhatsApp: 409 call_unsupported), one call per
 *     service (fetchSockets of the room on every node: 409 call_in_progress) and one per socket
 *     (409 call_busy);
 *   - a signal is parsed and rebuilt by srv_call_parse (bounded, shaped) before it is relayed,
 *     and only the socket in the call may send it;
 *   - the customer's accept / decline is checked against the ringing call (its id in the
 *     attendant socket's data, read with fetchSockets);
 *   - the call ends (call:end to both sides, both rooms left) on a hang-up by either side, a
 *     decline, a disconnect of either socket, the service's finish or its transfer;
 *   - a call is activity: the idle sweep (service.c) first touches the services of this node's
 *     calls (desk_call_touch_services), and the end touches the service once more.
 * No note is stored in the service's messages: a message is the customer's or an attendant's
 * words (direction, author, first-response time, delivery to the customer), and a call is
 * neither. */
#include "src/desk/internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CALL_ROOM_PREFIX "desk:call:"

static void call_room(char *buf, size_t n, int64_t service_id)
{
    snprintf(buf, n, CALL_ROOM_PREFIX "%lld", (long long)service_id);
}

static sio_broadcast_t *to_call(srv_desk_t *desk, int64_t service_id)
{
    char room[48];
    call_room(room, sizeof(room), service_id);
    return sio_broadcast_to(sio_namespace_broadcast(desk_rt_namespace(desk)), room);
}

/* socket.data.call of an attendant socket still in the call's room, or NULL. */
static json_t *sock_call(sio_socket_t *sock)
{
    char room[48];
    json_t *c = json_object_get(sio_socket_data(sock), "call");
    if (c == NULL)
        return NULL;
    call_room(room, sizeof(room), json_integer_value(json_object_get(c, "serviceId")));
    return sio_socket_in_room(sock, room) ? c : NULL;
}

/* ---- ending ---- */

static void on_touched(void *cbdata, int status, int64_t n)
{
    desk_op_t *op = cbdata;
    UNUSED(n);
    if (status != 0 && op->desk != NULL)
        log_warn(DESK_LOG, "could not keep a service in a call open (%d)", status);
    if (--op->n[0] == 0)
        op->then(op);
}

/* one call: the end moves the service's activity to now (idle is counted from there) */
static void touch_one(srv_desk_t *desk, int64_t service_id)
{
    desk_op_t *op = desk_op_new(desk);
    op->n[0] = 1;
    op->then = desk_op_free;
    if (store_desk_touch(desk->store, service_id, on_touched, op) != 0)
        desk_op_free(op);
}

/* Ends the call of `service_id` (`call_id` NULL: whichever it has) on both sides. */
static void call_end(srv_desk_t *desk, const char *channel, int64_t customer_id, int64_t service_id,
                     const char *call_id, const char *reason, const char *by)
{
    char room[48];
    if (desk->rt == NULL)
        return;
    json_t *p =
        json_pack("{s:I,s:o,s:s,s:s}", "serviceId", (json_int_t)service_id, "callId",
                  call_id != NULL ? json_string(call_id) : json_null(), "reason", reason, "by", by);
    sio_broadcast_emit(to_call(desk, service_id), "call:end", json_pack("[O]", p), NULL, 0);
    call_room(room, sizeof(room), service_id);
    sio_broadcast_sockets_leave(to_call(desk, service_id), room);
    touch_one(desk, service_id);
    srv_channel_t *ch = desk_channel(desk, channel);
    if (ch != NULL && (ch->ops->caps & SRV_CHANNEL_CAP_CALL)) {
        json_t *d = json_pack("{s:s,s:s}", "reason", reason, "by", by);
        ch->ops->call(ch, customer_id, service_id, call_id, SRV_CALL_END, d);
        json_decref(d);
    }
    json_decref(p);
}

static void on_calls_fetched(int err, const json_t *sockets, void *cbdata)
{
    desk_op_t *op = cbdata;
    const json_t *s;
    size_t i;
    char room[48];
    UNUSED(err);
    op->n[0] = 1; /* held until every touch is issued */
    json_array_foreach(sockets, i, s)
    {
        json_t *c = json_object_get(json_object_get(s, "data"), "call");
        int64_t sid = json_integer_value(json_object_get(c, "serviceId"));
        const json_t *r;
        size_t j;
        bool in_call = false;
        if (sid <= 0 || op->desk == NULL)
            continue;
        call_room(room, sizeof(room), sid);
        json_array_foreach(json_object_get(s, "rooms"), j, r)
        {
            in_call = in_call || strcmp(json_string_value(r), room) == 0;
        }
        if (in_call && store_desk_touch(op->desk->store, sid, on_touched, op) == 0)
            op->n[0]++;
    }
    if (--op->n[0] == 0)
        op->then(op);
}

void desk_call_touch_services(desk_op_t *op)
{
    if (op->desk->rt == NULL) {
        op->then(op);
        return;
    }
    sio_broadcast_t *b = sio_namespace_broadcast(desk_rt_namespace(op->desk));
    sio_broadcast_fetch_sockets(sio_broadcast_flags(b, SIO_EMIT_LOCAL), on_calls_fetched, op);
}

static void on_gone_fetched(int err, const json_t *sockets, void *cbdata)
{
    desk_op_t *op = cbdata;
    UNUSED(err);
    if (op->desk != NULL && json_array_size(sockets) > 0)
        call_end(op->desk, op->text, op->n[1], op->n[0], NULL, op->call_reason, "server");
    desk_op_free(op);
}

void desk_call_service_gone(srv_desk_t *desk, const store_service_t *svc, const char *reason)
{
    srv_channel_t *ch = desk_channel(desk, svc->channel);
    if (desk->rt == NULL || ch == NULL || !(ch->ops->caps & SRV_CHANNEL_CAP_CALL))
        return;
    desk_op_t *op = desk_op_new(desk);
    op->n[0] = svc->id;
    op->n[1] = svc->customer_id;
    op->call_reason = reason;
    snprintf(op->text, sizeof(op->text), "%s", svc->channel);
    sio_broadcast_fetch_sockets(to_call(desk, svc->id), on_gone_fetched, op);
}

void desk_call_socket_gone(srv_desk_t *desk, sio_socket_t *sock)
{
    json_t *c = sock_call(sock);
    if (c != NULL)
        call_end(desk, json_string_value(json_object_get(c, "channel")),
                 json_integer_value(json_object_get(c, "customerId")),
                 json_integer_value(json_object_get(c, "serviceId")),
                 json_string_value(json_object_get(c, "callId")), "disconnected", "attendant");
}

void desk_call_socket_recovered(sio_socket_t *sock)
{
    /* its call ended when it disconnected; connection state recovery brings the room back */
    json_t *rooms = sio_socket_rooms(sock);
    json_t *r;
    size_t i;
    json_array_foreach(rooms, i, r)
    {
        if (strncmp(json_string_value(r), CALL_ROOM_PREFIX, strlen(CALL_ROOM_PREFIX)) == 0)
            sio_socket_leave(sock, json_string_value(r));
    }
    json_decref(rooms);
}

/* ---- call:start ---- */

static void on_start_fetched(int err, const json_t *sockets, void *cbdata)
{
    desk_op_t *op = cbdata;
    char room[48];
    if (!desk_op_proceed(op, 0))
        return;
    if (err != 0 && json_array_size(sockets) == 0) {
        desk_reply_error(op, 503, "unavailable", "the other nodes did not answer");
        return;
    }
    if (json_array_size(sockets) > 0) {
        desk_reply_error(op, 409, "call_in_progress", "this service has a call already");
        return;
    }
    if (!sio_socket_connected(op->sock)) {
        desk_op_free(op);
        return;
    }
    if (sock_call(op->sock) != NULL) { /* two starts from one tab raced */
        desk_reply_error(op, 409, "call_busy", "you are in another call");
        return;
    }
    srv_desk_t *desk = op->desk;
    const store_service_t *svc = op->svc;
    char call_id[SRV_CALL_ID_MAX + 1];
    srv_call_id_new(call_id);
    call_room(room, sizeof(room), svc->id);
    sio_socket_join(op->sock, room);
    json_t *d = json_deep_copy(sio_socket_data(op->sock));
    json_object_set_new(d, "call",
                        json_pack("{s:I,s:s,s:I,s:s}", "serviceId", (json_int_t)svc->id, "callId",
                                  call_id, "customerId", (json_int_t)svc->customer_id, "channel",
                                  svc->channel));
    sio_socket_set_data(op->sock, d);
    json_t *incoming = json_pack("{s:O}", "iceServers", desk->ice_servers);
    srv_channel_t *ch = desk_channel(desk, svc->channel);
    ch->ops->call(ch, svc->customer_id, svc->id, call_id, SRV_CALL_INCOMING, incoming);
    json_decref(incoming);
    desk_reply_json(op, 200,
                    json_pack("{s:I,s:s,s:O}", "serviceId", (json_int_t)svc->id, "callId", call_id,
                              "iceServers", desk->ice_servers));
}

static void start_loaded(desk_op_t *op)
{
    const store_service_t *svc = op->svc;
    srv_channel_t *ch = desk_channel(op->desk, svc->channel);
    if (svc->status != STORE_SERVICE_OPEN) {
        desk_reply_error(op, 409, "service_finished", "the service is finished");
    } else if (svc->attendant_id != op->user_id) {
        desk_reply_error(op, 403, "not_your_service",
                         "only the service's attendant may call its customer");
    } else if (ch == NULL || !(ch->ops->caps & SRV_CHANNEL_CAP_CALL)) {
        desk_reply_error(op, 409, "call_unsupported",
                         "%s customers cannot be called from the desk (use their phone number)",
                         svc->channel);
    } else {
        sio_broadcast_fetch_sockets(to_call(op->desk, svc->id), on_start_fetched, op);
    }
}

static const srv_json_field_t start_fields[] = {
    {.name = "serviceId", .type = SRV_JSON_INT, .required = true, .imin = 1, .imax = INT64_MAX},
};

void desk_on_call_start(sio_socket_t *sock, const sio_event_t *ev, void *data)
{
    desk_op_t *op = desk_event_op(data, sock, ev, start_fields, ARRAY_SIZE(start_fields));
    if (op == NULL)
        return;
    if (sock_call(sock) != NULL) {
        desk_reply_error(op, 409, "call_busy", "you are in another call");
        return;
    }
    desk_load_service(op, start_loaded);
}

/* ---- call:signal (offer, answer, ice, end) from the attendant ---- */

void desk_on_call_signal(sio_socket_t *sock, const sio_event_t *ev, void *data)
{
    srv_desk_t *desk = data;
    desk_op_t *op = desk_op_for_event(desk, sock, ev->ack_id);
    srv_call_msg_t m;
    srv_call_error_t err;
    unsigned allowed = SRV_CALL_KIND_BIT(SRV_CALL_OFFER) | SRV_CALL_KIND_BIT(SRV_CALL_ANSWER) |
                       SRV_CALL_KIND_BIT(SRV_CALL_ICE) | SRV_CALL_KIND_BIT(SRV_CALL_END);
    if (srv_call_parse(json_array_get(ev->args, 0), SRV_CALL_NONE, allowed, &m, &err) != 0) {
        desk_reply_error(op, err.status, err.code, "%s", err.message);
        return;
    }
    json_t *c = sock_call(sock);
    const char *id = json_string_value(json_object_get(c, "callId"));
    if (c == NULL || json_integer_value(json_object_get(c, "serviceId")) != m.service_id ||
        id == NULL || strcmp(id, m.call_id) != 0) {
        srv_call_msg_dispose(&m);
        desk_reply_error(op, 409, "call_not_found", "you are not in this call");
        return;
    }
    const char *channel = json_string_value(json_object_get(c, "channel"));
    int64_t customer = json_integer_value(json_object_get(c, "customerId"));
    if (m.kind == SRV_CALL_END) {
        call_end(desk, channel, customer, m.service_id, m.call_id, m.reason, "attendant");
    } else {
        srv_channel_t *ch = desk_channel(desk, channel);
        if (ch != NULL && (ch->ops->caps & SRV_CHANNEL_CAP_CALL))
            ch->ops->call(ch, customer, m.service_id, m.call_id, m.kind, m.data);
    }
    srv_call_msg_dispose(&m);
    desk_reply_json(op, 200, NULL);
}

/* ---- the customer's side (srv_channel_host_t.on_call) ---- */

static void call_done(desk_op_t *op, int status)
{
    op->call_done(op->done_data, status);
    desk_op_free(op);
}

static void on_ringing(int err, const json_t *sockets, void *cbdata)
{
    desk_op_t *op = cbdata;
    size_t i;
    json_t *s;
    bool rings = false;
    UNUSED(err);
    if (op->desk == NULL) {
        call_done(op, -ESHUTDOWN);
        return;
    }
    json_array_foreach(sockets, i, s)
    {
        json_t *c = json_object_get(json_object_get(s, "data"), "call");
        const char *id = json_string_value(json_object_get(c, "callId"));
        rings = rings || (json_integer_value(json_object_get(c, "serviceId")) == op->n[0] &&
                          id != NULL && strcmp(id, op->text) == 0);
    }
    if (!rings) {
        call_done(op, -ENOENT);
        return;
    }
    if (op->n[2] == SRV_CALL_ACCEPT) {
        json_t *p = json_pack("{s:I,s:s}", "serviceId", (json_int_t)op->n[0], "callId", op->text);
        sio_broadcast_emit(to_call(op->desk, op->n[0]), "call:accepted", json_pack("[o]", p), NULL,
                           0);
    } else {
        call_end(op->desk, op->ch->ops->name, op->n[1], op->n[0], op->text, "declined", "customer");
    }
    call_done(op, 0);
}

static void on_call_service(void *cbdata, int status, const store_service_t *svc)
{
    desk_op_t *op = cbdata;
    if (op->desk == NULL) {
        call_done(op, -ESHUTDOWN);
        return;
    }
    if (status != 0 || svc->customer_id != op->n[1] || svc->status != STORE_SERVICE_OPEN) {
        call_done(op, status == 0 || status == -ENOENT ? -ENOENT : status);
        return;
    }
    sio_broadcast_fetch_sockets(to_call(op->desk, op->n[0]), on_ringing, op);
}

void desk_host_call(void *data, srv_channel_t *ch, int64_t customer_id, int64_t service_id,
                    const char *call_id, srv_call_kind_t kind, const json_t *d,
                    srv_channel_call_done done, void *cbdata)
{
    srv_desk_t *desk = data;
    if (desk->rt == NULL) {
        done(cbdata, -ENOENT);
        return;
    }
    switch (kind) {
    case SRV_CALL_ACCEPT:
    case SRV_CALL_DECLINE: {
        desk_op_t *op = desk_op_new(desk);
        op->ch = ch;
        op->call_done = done;
        op->done_data = cbdata;
        op->n[0] = service_id;
        op->n[1] = customer_id;
        op->n[2] = kind;
        snprintf(op->text, sizeof(op->text), "%s", call_id);
        int rc = store_desk_service_get(desk->store, service_id, on_call_service, op);
        if (rc != 0)
            call_done(op, rc);
        return;
    }
    case SRV_CALL_OFFER:
    case SRV_CALL_ANSWER:
    case SRV_CALL_ICE: {
        json_t *p = json_pack("{s:I,s:s,s:s,s:O}", "serviceId", (json_int_t)service_id, "callId",
                              call_id, "type", srv_call_kind_name(kind), "data", (json_t *)d);
        sio_broadcast_emit(sio_broadcast_flags(to_call(desk, service_id), SIO_EMIT_NO_STORE),
                           "call:signal", json_pack("[o]", p), NULL, 0);
        done(cbdata, 0);
        return;
    }
    case SRV_CALL_END: {
        const char *reason = json_string_value(json_object_get(d, "reason"));
        call_end(desk, ch->ops->name, customer_id, service_id, call_id,
                 reason != NULL ? reason : "hangup", "customer");
        done(cbdata, 0);
        return;
    }
    default:
        done(cbdata, -EINVAL);
        return;
    }
}
