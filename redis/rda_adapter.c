/* rda_adapter.c - the adapter of one namespace (see redis_adapter.h): the sio_adapter_t hooks,
 * what this node publishes, and the requests it waits on.
 *
 * Local work goes to a wrapped in-memory adapter (so rooms, local delivery and connection state
 * recovery behave as on a single node); each hook publishes around it, as the reference
 * RedisAdapter extends the in-memory Adapter. Requests that expect answers (fetchSockets,
 * serverSideEmit with ack, broadcast with ack) are rda_pending_t entries: first PUBSUB NUMSUB of
 * the request channel (the number of nodes, this one included), then the request is published
 * and answers are counted until all came or RDA_REQUESTS_TIMEOUT_MS passed. Incoming messages
 * arrive through rda_client subscriptions; requests go to rda_requests.c. */
#include "redis/rda_internal.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct st_rda_pending_t {
    rda_pending_t *next;
    rda_adapter_t *a;
    int type; /* RDA_REQ_REMOTE_FETCH, RDA_REQ_SERVER_SIDE_EMIT or RDA_REQ_BROADCAST */
    char id[RDA_ID_LEN + 1];
    rda_job_t *job; /* PUBSUB NUMSUB in flight */
    uv_timer_t *timer;
    size_t expected; /* answers awaited once NUMSUB answered */
    size_t received;
    unsigned timeout_ms; /* how long to wait for the answers once published */
    json_t *acc;         /* sockets or responses so far */
    json_t *request;     /* published once NUMSUB answered (fetch, serverSideEmit) */
    sio_fetch_sockets_cb fetch_cb;
    sio_server_side_ack_cb sse_cb;
    void *cbdata;
    uint64_t op; /* broadcast with ack: the operation */
};

/* --- helpers --- */

void rda__random_id(char *out)
{
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    for (size_t i = 0; i < RDA_ID_LEN; i++)
        out[i] = alphabet[randombytes_uniform(sizeof(alphabet) - 1)];
    out[RDA_ID_LEN] = '\0';
}

void rda__publish_json(rda_client_t *c, const char *channel, json_t *v)
{
    char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    if (s != NULL)
        rda_client_publish(c, channel, s, strlen(s));
    free(s);
    json_decref(v);
}

static char *strcat3(const char *a, const char *b, const char *c)
{
    size_t la = strlen(a), lb = strlen(b), lc = strlen(c);
    char *s = xmalloc(la + lb + lc + 1);
    memcpy(s, a, la);
    memcpy(s + la, b, lb);
    memcpy(s + la + lb, c, lc + 1);
    return s;
}

/* The opts of a remote join/leave/disconnect/fetch request: {rooms, except}, no flags. */
static json_t *opts_request_json(const sio_bcast_opts_t *o)
{
    return json_pack("{s:o, s:o}", "rooms", rda_strings_json(o->rooms, o->nrooms), "except",
                     rda_strings_json(o->except, o->nexcept));
}

/* --- pending requests --- */

static void on_timer_closed(uv_handle_t *h)
{
    free(h);
}

static void pending_complete(rda_pending_t *p, int err)
{
    rda_adapter_t *a = p->a;
    for (rda_pending_t **pp = &a->pending; *pp != NULL; pp = &(*pp)->next) {
        if (*pp == p) {
            *pp = p->next;
            break;
        }
    }
    rda_client_cancel(a->client, p->job);
    if (p->timer != NULL) {
        uv_timer_stop(p->timer);
        uv_close((uv_handle_t *)p->timer, on_timer_closed);
    }
    if (p->type == RDA_REQ_REMOTE_FETCH)
        p->fetch_cb(err, p->acc, p->cbdata);
    else if (p->type == RDA_REQ_SERVER_SIDE_EMIT)
        p->sse_cb(err, p->acc, p->cbdata);
    json_decref(p->acc);
    json_decref(p->request);
    free(p);
}

static void on_pending_timeout(uv_timer_t *t)
{
    rda_pending_t *p = t->data;
    if (p->type != RDA_REQ_BROADCAST)
        log_warn(RDA_MOD, "request %s (type %d) on %s: %zu of %zu answers before the timeout",
                 p->id, p->type, sio_namespace_name(p->a->nsp), p->received, p->expected);
    pending_complete(p, -ETIMEDOUT);
}

static rda_pending_t *pending_new(rda_adapter_t *a, int type)
{
    rda_pending_t *p = xcalloc(1, sizeof(*p));
    p->a = a;
    p->type = type;
    rda__random_id(p->id);
    p->acc = json_array();
    p->timeout_ms = RDA_REQUESTS_TIMEOUT_MS;
    p->next = a->pending;
    a->pending = p;
    return p;
}

static void pending_arm(rda_pending_t *p, unsigned timeout_ms)
{
    p->timer = xmalloc(sizeof(*p->timer));
    uv_timer_init(sio_server_loop(sio_namespace_server(p->a->nsp)), p->timer);
    p->timer->data = p;
    uv_timer_start(p->timer, on_pending_timeout, timeout_ms, 0);
}

static rda_pending_t *pending_find(rda_adapter_t *a, const char *id)
{
    for (rda_pending_t *p = a->pending; p != NULL; p = p->next) {
        if (strcmp(p->id, id) == 0)
            return p;
    }
    return NULL;
}

/* NUMSUB answered for a fetch or a serverSideEmit with ack: how many others must answer. */
static void on_numsub(long long count, void *cbdata)
{
    rda_pending_t *p = cbdata;
    rda_adapter_t *a = p->a;
    p->job = NULL;
    if (count <= 1) { /* nobody else (or Redis is down: answer with what this node has) */
        pending_complete(p, 0);
        return;
    }
    p->expected = (size_t)count - 1;
    rda__publish_json(a->client, a->req_channel, p->request);
    p->request = NULL;
    pending_arm(p, p->timeout_ms);
}

static void on_numsub_servers(long long count, void *cbdata)
{
    rda_pending_t *p = cbdata;
    p->job = NULL;
    sio_ack_op_servers(p->a->nsp, p->op, count >= 1 ? (size_t)count : 1);
}

void rda__on_response(rda_adapter_t *a, const json_t *resp, rda_bins_t *bins)
{
    const char *id = rda_request_id(resp);
    rda_pending_t *p = id != NULL ? pending_find(a, id) : NULL;
    json_int_t type = json_integer_value(json_object_get(resp, "type"));
    const json_t *v;
    json_t *el;
    size_t i;
    if (p == NULL || p->expected == 0) /* unknown, or not published yet */
        return;
    switch (p->type) {
    case RDA_REQ_BROADCAST:
        if (type == RDA_REQ_BROADCAST_CLIENT_COUNT) {
            v = json_object_get(resp, "clientCount");
            if (json_is_integer(v) && json_integer_value(v) >= 0)
                sio_ack_op_clients(a->nsp, p->op, (size_t)json_integer_value(v));
        } else if (type == RDA_REQ_BROADCAST_ACK) {
            sio_ack_op_response(a->nsp, p->op, json_object_get(resp, "packet"), bins->v, bins->n);
        }
        return;
    case RDA_REQ_REMOTE_FETCH:
        v = json_object_get(resp, "sockets");
        if (!json_is_array(v))
            return;
        json_array_foreach(v, i, el) json_array_append(p->acc, el);
        break;
    case RDA_REQ_SERVER_SIDE_EMIT:
        v = json_object_get(resp, "data");
        json_array_append_new(p->acc, v != NULL ? json_deep_copy(v) : json_null());
        break;
    default:
        return;
    }
    if (++p->received >= p->expected)
        pending_complete(p, 0);
}

/* --- hooks --- */

static const char *rda_uid(void *self)
{
    rda_adapter_t *a = self;
    return a->uid;
}

static void rda_add_all(void *self, sio_socket_t *sock, const char *const *rooms, size_t n)
{
    rda_adapter_t *a = self;
    a->mem->add_all(a->mem->self, sock, rooms, n);
}

static void rda_del(void *self, sio_socket_t *sock, const char *room)
{
    rda_adapter_t *a = self;
    a->mem->del(a->mem->self, sock, room);
}

static void rda_del_all(void *self, sio_socket_t *sock)
{
    rda_adapter_t *a = self;
    a->mem->del_all(a->mem->self, sock);
}

static void rda_broadcast(void *self, const sio_message_t *msg, const sio_bcast_opts_t *opts)
{
    rda_adapter_t *a = self;
    if (!(opts->flags & SIO_EMIT_LOCAL)) {
        buf_t b = BUF_INIT;
        char *room_channel = NULL;
        rda_broadcast_encode(&b, a->uid, sio_namespace_name(a->nsp), msg, opts);
        if (opts->nrooms == 1)
            room_channel = strcat3(a->channel, opts->rooms[0], "#");
        rda_client_publish(a->client, room_channel != NULL ? room_channel : a->channel, b.base,
                           b.len);
        free(room_channel);
        buf_dispose(&b);
    }
    a->mem->broadcast(a->mem->self, msg, opts);
}

static void rda_broadcast_with_ack(void *self, const sio_message_t *msg,
                                   const sio_bcast_opts_t *opts, uint64_t op)
{
    rda_adapter_t *a = self;
    size_t n;
    if (!(opts->flags & SIO_EMIT_LOCAL)) {
        rda_pending_t *p = pending_new(a, RDA_REQ_BROADCAST);
        unsigned timeout = opts->timeout_ms > 0 ? opts->timeout_ms : RDA_REQUESTS_TIMEOUT_MS;
        json_t *req = json_pack("{s:s, s:s, s:i, s:o, s:o}", "uid", a->uid, "requestId", p->id,
                                "type", RDA_REQ_BROADCAST, "packet",
                                rda_packet_json(sio_namespace_name(a->nsp), msg->data), "opts",
                                rda_opts_json(opts));
        buf_t b = BUF_INIT;
        rda_mp_encode(&b, req, msg->bins, msg->nbins);
        json_decref(req);
        rda_client_publish(a->client, a->req_channel, b.base, b.len);
        buf_dispose(&b);
        p->op = op;
        p->expected = 1; /* answers are matched until the timer drops the entry */
        pending_arm(p, timeout);
        p->job = rda_client_numsub(a->client, a->req_channel, on_numsub_servers, p);
    }
    n = sio_local_broadcast_with_ack(a->nsp, msg, opts, op);
    if (a->capture != NULL)
        *a->capture = n;
    sio_ack_op_clients(a->nsp, op, n);
    if (opts->flags & SIO_EMIT_LOCAL)
        sio_ack_op_servers(a->nsp, op, 1);
}

static void rda_fetch_sockets(void *self, const sio_bcast_opts_t *opts, sio_fetch_sockets_cb cb,
                              void *cbdata)
{
    rda_adapter_t *a = self;
    rda_pending_t *p;
    json_t *local = sio_local_fetch_sockets(a->nsp, opts);
    if (opts->flags & SIO_EMIT_LOCAL) {
        cb(0, local, cbdata);
        json_decref(local);
        return;
    }
    p = pending_new(a, RDA_REQ_REMOTE_FETCH);
    json_decref(p->acc);
    p->acc = local;
    p->fetch_cb = cb;
    p->cbdata = cbdata;
    p->request = json_pack("{s:s, s:s, s:i, s:o}", "uid", a->uid, "requestId", p->id, "type",
                           RDA_REQ_REMOTE_FETCH, "opts", opts_request_json(opts));
    p->job = rda_client_numsub(a->client, a->req_channel, on_numsub, p);
}

/* socketsJoin / socketsLeave / disconnectSockets: applied here, published for the others */
static void publish_remote_op(rda_adapter_t *a, int type, const sio_bcast_opts_t *opts,
                              json_t *extra)
{
    json_t *req =
        json_pack("{s:s, s:i, s:o}", "uid", a->uid, "type", type, "opts", opts_request_json(opts));
    json_object_update(req, extra);
    json_decref(extra);
    rda__publish_json(a->client, a->req_channel, req);
}

static void rda_add_sockets(void *self, const sio_bcast_opts_t *opts, const char *const *rooms,
                            size_t n)
{
    rda_adapter_t *a = self;
    if (!(opts->flags & SIO_EMIT_LOCAL))
        publish_remote_op(a, RDA_REQ_REMOTE_JOIN, opts,
                          json_pack("{s:o}", "rooms", rda_strings_json(rooms, n)));
    sio_local_add_sockets(a->nsp, opts, rooms, n);
}

static void rda_del_sockets(void *self, const sio_bcast_opts_t *opts, const char *const *rooms,
                            size_t n)
{
    rda_adapter_t *a = self;
    if (!(opts->flags & SIO_EMIT_LOCAL))
        publish_remote_op(a, RDA_REQ_REMOTE_LEAVE, opts,
                          json_pack("{s:o}", "rooms", rda_strings_json(rooms, n)));
    sio_local_del_sockets(a->nsp, opts, rooms, n);
}

static void rda_disconnect_sockets(void *self, const sio_bcast_opts_t *opts, bool close)
{
    rda_adapter_t *a = self;
    if (!(opts->flags & SIO_EMIT_LOCAL))
        publish_remote_op(a, RDA_REQ_REMOTE_DISCONNECT, opts, json_pack("{s:b}", "close", close));
    sio_local_disconnect_sockets(a->nsp, opts, close);
}

static void rda_server_side_emit(void *self, const json_t *data, unsigned timeout_ms,
                                 sio_server_side_ack_cb cb, void *cbdata)
{
    rda_adapter_t *a = self;
    rda_pending_t *p;
    if (cb == NULL) {
        rda__publish_json(a->client, a->req_channel,
                          json_pack("{s:s, s:i, s:O}", "uid", a->uid, "type",
                                    RDA_REQ_SERVER_SIDE_EMIT, "data", data));
        return;
    }
    p = pending_new(a, RDA_REQ_SERVER_SIDE_EMIT);
    if (timeout_ms > 0) /* else requestsTimeout, as the reference */
        p->timeout_ms = timeout_ms;
    p->sse_cb = cb;
    p->cbdata = cbdata;
    p->request = json_pack("{s:s, s:s, s:i, s:O}", "uid", a->uid, "requestId", p->id, "type",
                           RDA_REQ_SERVER_SIDE_EMIT, "data", data);
    p->job = rda_client_numsub(a->client, a->req_channel, on_numsub, p);
}

static void rda_persist_session(void *self, const sio_session_t *session)
{
    rda_adapter_t *a = self;
    a->mem->persist_session(a->mem->self, session);
}

static void rda_restore_session(void *self, const char *pid, const char *offset, sio_restore_cb cb,
                                void *cbdata)
{
    rda_adapter_t *a = self;
    a->mem->restore_session(a->mem->self, pid, offset, cb, cbdata);
}

static void rda_dispose(void *self)
{
    rda_adapter_t *a = self;
    while (a->pending != NULL)
        pending_complete(a->pending, -ETIMEDOUT);
    rda__requests_forget(a);
    for (size_t i = 0; i < ARRAY_SIZE(a->subs); i++)
        rda_client_unsubscribe(a->client, a->subs[i]);
    a->mem->dispose(a->mem->self);
    free(a->channel);
    free(a->req_channel);
    free(a->resp_channel);
    free(a->spec_channel);
    free(a);
}

/* --- incoming --- */

static void on_broadcast_message(const char *channel, size_t chlen, const char *payload, size_t len,
                                 void *data)
{
    rda_adapter_t *a = data;
    size_t plen = strlen(a->channel);
    rda_broadcast_t b;
    sio_message_t msg;
    if (chlen < plen || memcmp(channel, a->channel, plen) != 0)
        return;
    if (chlen > plen + 1) { /* socket.io#<nsp>#<room>#: skip rooms nobody here is in */
        char *room = xstrndup(channel + plen, chlen - plen - 1);
        size_t members = sio_local_room_size(a->nsp, room);
        free(room);
        if (members == 0)
            return;
    }
    if (rda_broadcast_decode(payload, len, &b) != 0) {
        log_debug(RDA_MOD, "ignoring a malformed broadcast on %.*s", (int)chlen, channel);
        return;
    }
    if (strcmp(b.uid, a->uid) != 0 && strcmp(b.nsp, sio_namespace_name(a->nsp)) == 0) {
        msg.data = b.data;
        msg.bins = b.bins.v;
        msg.nbins = b.bins.n;
        b.opts.o.flags |= SIO_EMIT_LOCAL;
        a->mem->broadcast(a->mem->self, &msg, &b.opts.o);
    }
    rda_broadcast_dispose(&b);
}

static void on_request_message(const char *channel, size_t chlen, const char *payload, size_t len,
                               void *data)
{
    rda_adapter_t *a = data;
    size_t rlen = strlen(a->resp_channel);
    bool is_response = chlen >= rlen && memcmp(channel, a->resp_channel, rlen) == 0;
    rda_bins_t bins = {NULL, 0};
    json_t *v = rda_request_decode(payload, len, !is_response, &bins);
    if (v == NULL) {
        log_debug(RDA_MOD, "ignoring a malformed message on %.*s", (int)chlen, channel);
    } else if (is_response) {
        rda__on_response(a, v, &bins);
    } else if (chlen == strlen(a->req_channel) && memcmp(channel, a->req_channel, chlen) == 0) {
        rda__on_request(a, v, &bins);
    }
    json_decref(v);
    rda_bins_dispose(&bins);
}

sio_adapter_t *rda_adapter_new(sio_namespace_t *nsp, void *client)
{
    rda_adapter_t *a = xcalloc(1, sizeof(*a));
    const char *name = sio_namespace_name(nsp);
    char *pattern;
    a->nsp = nsp;
    a->client = client;
    a->mem = sio_memory_adapter_new(nsp, NULL);
    rda__random_id(a->uid);
    const char *key = rda_client_key(a->client);
    char prefix[96];
    snprintf(prefix, sizeof(prefix), "%s#", key);
    a->channel = strcat3(prefix, name, "#");
    snprintf(prefix, sizeof(prefix), "%s-request#", key);
    a->req_channel = strcat3(prefix, name, "#");
    snprintf(prefix, sizeof(prefix), "%s-response#", key);
    a->resp_channel = strcat3(prefix, name, "#");
    a->spec_channel = strcat3(a->resp_channel, a->uid, "#");
    pattern = strcat3(a->channel, "*", "");
    a->subs[0] = rda_client_subscribe(a->client, pattern, true, on_broadcast_message, a);
    free(pattern);
    a->subs[1] = rda_client_subscribe(a->client, a->req_channel, false, on_request_message, a);
    a->subs[2] = rda_client_subscribe(a->client, a->resp_channel, false, on_request_message, a);
    a->subs[3] = rda_client_subscribe(a->client, a->spec_channel, false, on_request_message, a);
    a->base.self = a;
    a->base.uid = rda_uid;
    a->base.add_all = rda_add_all;
    a->base.del = rda_del;
    a->base.del_all = rda_del_all;
    a->base.broadcast = rda_broadcast;
    a->base.broadcast_with_ack = rda_broadcast_with_ack;
    a->base.fetch_sockets = rda_fetch_sockets;
    a->base.add_sockets = rda_add_sockets;
    a->base.del_sockets = rda_del_sockets;
    a->base.disconnect_sockets = rda_disconnect_sockets;
    a->base.server_side_emit = rda_server_side_emit;
    a->base.persist_session = rda_persist_session;
    a->base.restore_session = rda_restore_session;
    a->base.dispose = rda_dispose;
    log_debug(RDA_MOD, "namespace %s: adapter uid %s", name, a->uid);
    return &a->base;
}
