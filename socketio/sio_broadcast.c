/* sio_broadcast.c - the broadcast operator (the reference's BroadcastOperator): a heap object
 * collecting rooms, except rooms, flags and a timeout, consumed by one terminal operation that
 * hands the selection to the namespace's adapter. Also namespace-wide emit and serverSideEmit. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "socketio/internal.h"

#define DEFAULT_ACK_TIMEOUT_MS 5000

struct st_sio_broadcast_t {
    sio_namespace_t *nsp;
    char **rooms, **except;
    size_t nrooms, nexcept;
    unsigned flags;
    unsigned timeout_ms;
};

sio_broadcast_t *sio_namespace_broadcast(sio_namespace_t *nsp)
{
    sio_broadcast_t *b = xcalloc(1, sizeof(*b));
    b->nsp = nsp;
    b->timeout_ms = DEFAULT_ACK_TIMEOUT_MS;
    return b;
}

sio_broadcast_t *sio_socket_broadcast(sio_socket_t *sock)
{
    return sio_broadcast_except(sio_namespace_broadcast(sock->nsp), sock->id);
}

static void append(char ***v, size_t *n, const char *s)
{
    for (size_t i = 0; i < *n; i++) {
        if (strcmp((*v)[i], s) == 0)
            return; /* a Set in the reference */
    }
    *v = xrealloc(*v, (*n + 1) * sizeof(**v));
    (*v)[(*n)++] = xstrdup(s);
}

sio_broadcast_t *sio_broadcast_to(sio_broadcast_t *b, const char *room)
{
    append(&b->rooms, &b->nrooms, room);
    return b;
}

sio_broadcast_t *sio_broadcast_except(sio_broadcast_t *b, const char *room)
{
    append(&b->except, &b->nexcept, room);
    return b;
}

sio_broadcast_t *sio_broadcast_flags(sio_broadcast_t *b, unsigned flags)
{
    b->flags |= flags;
    return b;
}

sio_broadcast_t *sio_broadcast_timeout(sio_broadcast_t *b, unsigned timeout_ms)
{
    b->timeout_ms = timeout_ms;
    return b;
}

void sio_broadcast_free(sio_broadcast_t *b)
{
    if (b == NULL)
        return;
    for (size_t i = 0; i < b->nrooms; i++)
        free(b->rooms[i]);
    for (size_t i = 0; i < b->nexcept; i++)
        free(b->except[i]);
    free(b->rooms);
    free(b->except);
    free(b);
}

static sio_bcast_opts_t opts_of(const sio_broadcast_t *b)
{
    sio_bcast_opts_t o = {(const char *const *)b->rooms,
                          b->nrooms,
                          (const char *const *)b->except,
                          b->nexcept,
                          b->flags,
                          b->timeout_ms};
    return o;
}

int sio_broadcast_emit(sio_broadcast_t *b, const char *event, json_t *args, blob_t *const *bins,
                       size_t nbins)
{
    sio_adapter_t *ad = b->nsp->adapter;
    json_t *data = sio__event_data(event, args, sio_event_reserved);
    sio_bcast_opts_t o = opts_of(b);
    if (data == NULL) {
        sio_broadcast_free(b);
        return -EINVAL;
    }
    sio_message_t msg = {data, bins, nbins};
    ad->broadcast(ad->self, &msg, &o);
    json_decref(data);
    sio_broadcast_free(b);
    return 0;
}

int sio_broadcast_emit_with_ack(sio_broadcast_t *b, const char *event, json_t *args,
                                blob_t *const *bins, size_t nbins, sio_broadcast_ack_cb cb,
                                void *cbdata)
{
    sio_adapter_t *ad = b->nsp->adapter;
    json_t *data = sio__event_data(event, args, sio_event_reserved);
    sio_bcast_opts_t o = opts_of(b);
    uint64_t op;
    if (data == NULL) {
        sio_broadcast_free(b);
        return -EINVAL;
    }
    sio_message_t msg = {data, bins, nbins};
    op = sio__ack_op_start(b->nsp, b->timeout_ms, cb, cbdata);
    ad->broadcast_with_ack(ad->self, &msg, &o, op);
    json_decref(data);
    sio_broadcast_free(b);
    return 0;
}

void sio_broadcast_fetch_sockets(sio_broadcast_t *b, sio_fetch_sockets_cb cb, void *cbdata)
{
    sio_adapter_t *ad = b->nsp->adapter;
    sio_bcast_opts_t o = opts_of(b);
    ad->fetch_sockets(ad->self, &o, cb, cbdata);
    sio_broadcast_free(b);
}

void sio_broadcast_sockets_join(sio_broadcast_t *b, const char *room)
{
    sio_adapter_t *ad = b->nsp->adapter;
    sio_bcast_opts_t o = opts_of(b);
    ad->add_sockets(ad->self, &o, &room, 1);
    sio_broadcast_free(b);
}

void sio_broadcast_sockets_leave(sio_broadcast_t *b, const char *room)
{
    sio_adapter_t *ad = b->nsp->adapter;
    sio_bcast_opts_t o = opts_of(b);
    ad->del_sockets(ad->self, &o, &room, 1);
    sio_broadcast_free(b);
}

void sio_broadcast_disconnect_sockets(sio_broadcast_t *b, bool close)
{
    sio_adapter_t *ad = b->nsp->adapter;
    sio_bcast_opts_t o = opts_of(b);
    ad->disconnect_sockets(ad->self, &o, close);
    sio_broadcast_free(b);
}

int sio_namespace_emit(sio_namespace_t *nsp, const char *event, json_t *args, blob_t *const *bins,
                       size_t nbins)
{
    return sio_broadcast_emit(sio_namespace_broadcast(nsp), event, args, bins, nbins);
}

/* The names serverSideEmit refuses (the reference's Namespace RESERVED_EVENTS). */
static bool server_side_reserved(const char *name)
{
    return strcmp(name, "connect") == 0 || strcmp(name, "connection") == 0 ||
           strcmp(name, "new_namespace") == 0;
}

int sio_namespace_server_side_emit(sio_namespace_t *nsp, const char *event, json_t *args,
                                   unsigned timeout_ms, sio_server_side_ack_cb cb, void *cbdata)
{
    json_t *data = sio__event_data(event, args, server_side_reserved);
    if (data == NULL)
        return -EINVAL;
    nsp->adapter->server_side_emit(nsp->adapter->self, data, timeout_ms, cb, cbdata);
    json_decref(data);
    return 0;
}
