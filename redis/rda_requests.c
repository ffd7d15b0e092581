/* rda_requests.c - answers the requests other nodes publish on socket.io-request#<nsp>#, every
 * type the reference defines (a Node.js requester waits for one answer per subscribed node, so
 * a silent node would make it time out). Answers go to the shared response channel, as the
 * reference does without publishOnSpecificResponseChannel.
 *
 * A broadcast with ack from another node is replayed here as a local broadcast with ack
 * (sio_broadcast_emit_with_ack with SIO_EMIT_LOCAL); the adapter's hook reports the recipient
 * count through a->capture, published at once as BROADCAST_CLIENT_COUNT, and the answers are
 * published as BROADCAST_ACK when the local operation ends (all answered, or a little before the
 * requester's own timeout); that operation always ends (at the latest when the namespace is
 * freed), so its context holds the client and copies of what it needs. */
#include "redis/rda_internal.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* what a late answer needs: where to publish it and for which request */
typedef struct st_reply_ctx_t {
    rda_client_t *client;
    char *channel;
    json_t *request_id;
} reply_ctx_t;

static reply_ctx_t *reply_ctx_new(rda_adapter_t *a, const json_t *req)
{
    reply_ctx_t *r = xmalloc(sizeof(*r));
    r->client = a->client;
    r->channel = xstrdup(a->resp_channel);
    r->request_id = json_deep_copy(json_object_get(req, "requestId"));
    return r;
}

static void reply_ctx_free(reply_ctx_t *r)
{
    free(r->channel);
    json_decref(r->request_id);
    free(r);
}

static void respond(rda_adapter_t *a, const json_t *req, json_t *resp)
{
    json_object_set(resp, "requestId", json_object_get(req, "requestId"));
    rda__publish_json(a->client, a->resp_channel, resp);
}

/* serverSideEmit with ack. The namespace may have no handler, or one that never answers, and
 * sio_local_server_side_dispatch does not say; so the handler's reply function gets an id, not a
 * pointer, and the entries wait in this list (loop thread only) until answered, until
 * RDA_REQUESTS_TIMEOUT_MS (the requester has given up by then) or until their adapter goes. */
typedef struct st_sse_wait_t {
    struct st_sse_wait_t *next;
    uintptr_t id;
    rda_adapter_t *a;
    uint64_t since; /* uv_now */
    json_t *request_id;
} sse_wait_t;

static sse_wait_t *sse_waits;
static uintptr_t sse_next_id = 1;

static void sse_wait_free(sse_wait_t *w)
{
    json_decref(w->request_id);
    free(w);
}

static void sse_prune(uint64_t now, const rda_adapter_t *gone)
{
    sse_wait_t **pp = &sse_waits;
    while (*pp != NULL) {
        sse_wait_t *w = *pp;
        if (w->a == gone || (gone == NULL && now - w->since > RDA_REQUESTS_TIMEOUT_MS)) {
            *pp = w->next;
            sse_wait_free(w);
        } else {
            pp = &w->next;
        }
    }
}

void rda__requests_forget(rda_adapter_t *a)
{
    sse_prune(0, a);
}

/* the handler's answer (its first argument, as the reference) */
static void on_server_side_reply(const json_t *args, void *cbdata)
{
    uintptr_t id = (uintptr_t)cbdata;
    for (sse_wait_t **pp = &sse_waits; *pp != NULL; pp = &(*pp)->next) {
        sse_wait_t *w = *pp;
        if (w->id != id)
            continue;
        *pp = w->next;
        json_t *resp =
            json_pack("{s:i, s:O}", "type", RDA_REQ_SERVER_SIDE_EMIT, "requestId", w->request_id);
        const json_t *first = json_array_get(args, 0);
        if (first != NULL)
            json_object_set(resp, "data", (json_t *)first);
        rda__publish_json(w->a->client, w->a->resp_channel, resp);
        sse_wait_free(w);
        return;
    }
}

static void server_side_emit(rda_adapter_t *a, const json_t *req)
{
    const json_t *data = json_object_get(req, "data");
    uint64_t now = uv_now(sio_server_loop(sio_namespace_server(a->nsp)));
    sse_wait_t *w;
    if (!json_is_array(data) || !json_is_string(json_array_get(data, 0)))
        return;
    if (json_object_get(req, "requestId") == NULL) {
        sio_local_server_side_dispatch(a->nsp, data, NULL, NULL);
        return;
    }
    sse_prune(now, NULL);
    w = xmalloc(sizeof(*w));
    w->id = sse_next_id++;
    w->a = a;
    w->since = now;
    w->request_id = json_deep_copy(json_object_get(req, "requestId"));
    w->next = sse_waits;
    sse_waits = w;
    sio_local_server_side_dispatch(a->nsp, data, on_server_side_reply, (void *)w->id);
}

/* broadcast with ack: the local operation ended; one BROADCAST_ACK per answer */
static void on_local_acks(int err, const json_t *responses, blob_t *const *bins, size_t nbins,
                          void *cbdata)
{
    reply_ctx_t *r = cbdata;
    size_t i;
    json_t *resp;
    UNUSED(err);
    json_array_foreach(responses, i, resp)
    {
        json_t *msg = json_pack("{s:i, s:O, s:O}", "type", RDA_REQ_BROADCAST_ACK, "requestId",
                                r->request_id, "packet", resp);
        buf_t b = BUF_INIT;
        rda_mp_encode(&b, msg, bins, nbins);
        rda_client_publish(r->client, r->channel, b.base, b.len);
        buf_dispose(&b);
        json_decref(msg);
    }
    reply_ctx_free(r);
}

static void remote_broadcast_with_ack(rda_adapter_t *a, const json_t *req, rda_bins_t *bins)
{
    const json_t *packet = json_object_get(req, "packet");
    const json_t *data = json_object_get(packet, "data");
    const char *event = json_string_value(json_array_get(data, 0));
    rda_opts_t opts;
    sio_broadcast_t *b;
    json_t *args;
    size_t count = 0;
    unsigned timeout;
    if (event == NULL || rda_request_id(req) == NULL ||
        rda_opts_read(json_object_get(req, "opts"), &opts) != 0)
        return;
    timeout = opts.o.timeout_ms > 0 ? opts.o.timeout_ms : RDA_REQUESTS_TIMEOUT_MS;
    /* answer a little before the requester gives up, so partial answers still count */
    timeout = timeout > 200 ? timeout - 100 : timeout;
    b = sio_namespace_broadcast(a->nsp);
    for (size_t i = 0; i < opts.o.nrooms; i++)
        sio_broadcast_to(b, opts.o.rooms[i]);
    for (size_t i = 0; i < opts.o.nexcept; i++)
        sio_broadcast_except(b, opts.o.except[i]);
    sio_broadcast_flags(b, SIO_EMIT_LOCAL | (opts.o.flags & ~SIO_EMIT_LOCAL));
    sio_broadcast_timeout(b, timeout);
    args = json_array();
    for (size_t i = 1; i < json_array_size(data); i++)
        json_array_append(args, json_array_get(data, i));
    a->capture = &count;
    if (sio_broadcast_emit_with_ack(b, event, args, bins->v, bins->n, on_local_acks,
                                    reply_ctx_new(a, req)) == 0) {
        respond(a, req,
                json_pack("{s:i, s:I}", "type", RDA_REQ_BROADCAST_CLIENT_COUNT, "clientCount",
                          (json_int_t)count));
    }
    a->capture = NULL;
    rda_opts_dispose(&opts);
}

/* socketsJoin/socketsLeave/disconnectSockets, in the 8.x form (opts) or the older one (sid) */
static void remote_op(rda_adapter_t *a, const json_t *req, int type)
{
    const json_t *opts_json = json_object_get(req, "opts");
    rda_opts_t opts;
    if (opts_json != NULL) {
        size_t n = 0;
        const char **rooms = NULL;
        const json_t *arr = json_object_get(req, "rooms"), *el;
        size_t i;
        if (rda_opts_read(opts_json, &opts) != 0)
            return;
        opts.o.flags |= SIO_EMIT_LOCAL;
        if (type == RDA_REQ_REMOTE_DISCONNECT) {
            sio_local_disconnect_sockets(a->nsp, &opts.o,
                                         json_is_true(json_object_get(req, "close")));
        } else if (json_is_array(arr)) {
            rooms = xmalloc((json_array_size(arr) + 1) * sizeof(*rooms));
            json_array_foreach(arr, i, el)
            {
                if (json_is_string(el))
                    rooms[n++] = json_string_value(el);
            }
            if (type == RDA_REQ_REMOTE_JOIN)
                sio_local_add_sockets(a->nsp, &opts.o, rooms, n);
            else
                sio_local_del_sockets(a->nsp, &opts.o, rooms, n);
            free(rooms);
        }
        rda_opts_dispose(&opts);
        return;
    }
    const char *sid = json_string_value(json_object_get(req, "sid"));
    const char *room = json_string_value(json_object_get(req, "room"));
    sio_socket_t *sock = sid != NULL ? sio_namespace_socket(a->nsp, sid) : NULL;
    if (sock == NULL)
        return;
    if (type == RDA_REQ_REMOTE_JOIN && room != NULL)
        sio_socket_join(sock, room);
    else if (type == RDA_REQ_REMOTE_LEAVE && room != NULL)
        sio_socket_leave(sock, room);
    else if (type == RDA_REQ_REMOTE_DISCONNECT)
        sio_socket_disconnect(sock, json_is_true(json_object_get(req, "close")));
    else
        return;
    respond(a, req, json_object());
}

static void fetch(rda_adapter_t *a, const json_t *req, int type)
{
    rda_opts_t opts;
    json_t *sockets, *ids, *s;
    size_t i;
    if (rda_request_id(req) == NULL)
        return;
    if (type == RDA_REQ_REMOTE_FETCH) {
        if (rda_opts_read(json_object_get(req, "opts"), &opts) != 0)
            return;
    } else { /* the old SOCKETS request: {rooms}, answered with ids */
        json_t *o = json_pack("{s:O?}", "rooms", json_object_get(req, "rooms"));
        int rc = rda_opts_read(o, &opts);
        json_decref(o);
        if (rc != 0)
            return;
    }
    opts.o.flags |= SIO_EMIT_LOCAL;
    sockets = sio_local_fetch_sockets(a->nsp, &opts.o);
    rda_opts_dispose(&opts);
    if (type == RDA_REQ_SOCKETS) {
        ids = json_array();
        json_array_foreach(sockets, i, s) json_array_append(ids, json_object_get(s, "id"));
        json_decref(sockets);
        sockets = ids;
    }
    respond(a, req, json_pack("{s:o}", "sockets", sockets));
}

void rda__on_request(rda_adapter_t *a, const json_t *req, rda_bins_t *bins)
{
    const char *uid = json_string_value(json_object_get(req, "uid"));
    json_int_t type = json_integer_value(json_object_get(req, "type"));
    if (uid != NULL && strcmp(uid, a->uid) == 0)
        return; /* ours: already applied here */
    switch (type) {
    case RDA_REQ_SOCKETS:
    case RDA_REQ_REMOTE_FETCH:
        fetch(a, req, (int)type);
        break;
    case RDA_REQ_ALL_ROOMS:
        if (rda_request_id(req) != NULL)
            respond(a, req, json_pack("{s:o}", "rooms", sio_local_all_rooms(a->nsp)));
        break;
    case RDA_REQ_REMOTE_JOIN:
    case RDA_REQ_REMOTE_LEAVE:
    case RDA_REQ_REMOTE_DISCONNECT:
        remote_op(a, req, (int)type);
        break;
    case RDA_REQ_SERVER_SIDE_EMIT:
        server_side_emit(a, req);
        break;
    case RDA_REQ_BROADCAST:
        remote_broadcast_with_ack(a, req, bins);
        break;
    default:
        break;
    }
}
