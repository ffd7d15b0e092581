/* sio_local.c - this node's room table and the local half of every adapter operation
 * (the reference in-memory Adapter's rooms/sids maps and its apply()).
 *
 * A room is a hash set of socket pointers; a socket keeps the array of its rooms. A broadcast
 * collects its recipients first (the union of the target rooms' members, or every connected
 * socket of the namespace, minus the members of the except rooms: never a scan of other
 * namespaces or of rooms not named), takes a reference on each so that an outgoing listener
 * cannot free one under us, then writes the packet encoded once to each. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "socketio/internal.h"

static sio_room_t *room_get_or_create(sio_namespace_t *nsp, const char *name)
{
    sio_room_t *r = sio_strmap_get(&nsp->rooms, name);
    if (r == NULL) {
        size_t n = strlen(name);
        r = xcalloc(1, sizeof(*r) + n + 1);
        memcpy(r->name, name, n + 1);
        sio_strmap_put(&nsp->rooms, r->name, r);
    }
    return r;
}

static void room_drop_if_empty(sio_namespace_t *nsp, sio_room_t *r)
{
    if (r->members.len > 0)
        return;
    sio_strmap_del(&nsp->rooms, r->name);
    sio_ptrset_dispose(&r->members);
    free(r);
}

void sio_local_add_all(sio_namespace_t *nsp, sio_socket_t *sock, const char *const *rooms, size_t n)
{
    if (sock->state == SIO_SOCKET_CLOSED)
        return;
    for (size_t i = 0; i < n; i++) {
        sio_room_t *r = room_get_or_create(nsp, rooms[i]);
        if (!sio_ptrset_add(&r->members, sock))
            continue;
        if (sock->nrooms == sock->caprooms) {
            sock->caprooms = sock->caprooms ? sock->caprooms * 2 : 2;
            sock->rooms = xrealloc(sock->rooms, sock->caprooms * sizeof(*sock->rooms));
        }
        sock->rooms[sock->nrooms++] = r;
    }
}

void sio_local_del(sio_namespace_t *nsp, sio_socket_t *sock, const char *room)
{
    sio_room_t *r = sio_strmap_get(&nsp->rooms, room);
    if (r == NULL || !sio_ptrset_del(&r->members, sock))
        return;
    for (uint32_t i = 0; i < sock->nrooms; i++) {
        if (sock->rooms[i] == r) {
            memmove(&sock->rooms[i], &sock->rooms[i + 1],
                    (sock->nrooms - i - 1) * sizeof(*sock->rooms));
            sock->nrooms--;
            break;
        }
    }
    room_drop_if_empty(nsp, r);
}

void sio_local_del_all(sio_namespace_t *nsp, sio_socket_t *sock)
{
    for (uint32_t i = 0; i < sock->nrooms; i++) {
        sio_room_t *r = sock->rooms[i];
        sio_ptrset_del(&r->members, sock);
        room_drop_if_empty(nsp, r);
    }
    sock->nrooms = 0;
    sock->caprooms = 0;
    free(sock->rooms);
    sock->rooms = NULL;
}

size_t sio_local_room_size(const sio_namespace_t *nsp, const char *room)
{
    sio_room_t *r = sio_strmap_get(&nsp->rooms, room);
    return r != NULL ? r->members.len : 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

json_t *sio__sorted_names_json(const char **names, size_t n)
{
    json_t *arr = json_array();
    qsort(names, n, sizeof(*names), cmp_str);
    for (size_t i = 0; i < n; i++)
        json_array_append_new(arr, json_string(names[i]));
    return arr;
}

json_t *sio_local_all_rooms(const sio_namespace_t *nsp)
{
    const char **names = xmalloc((nsp->rooms.len + 1) * sizeof(*names));
    size_t n = 0, i = 0;
    sio_strmap_entry_t *e;
    json_t *arr;
    while ((e = sio_strmap_next(&nsp->rooms, &i)) != NULL)
        names[n++] = e->key;
    arr = sio__sorted_names_json(names, n);
    free(names);
    return arr;
}

typedef struct st_recipients_t {
    sio_socket_t **v;
    size_t n, cap;
} recipients_t;

static void push(recipients_t *rs, sio_socket_t *s)
{
    if (rs->n == rs->cap) {
        rs->cap = rs->cap ? rs->cap * 2 : 16;
        rs->v = xrealloc(rs->v, rs->cap * sizeof(*rs->v));
    }
    rs->v[rs->n++] = sio_socket_ref(s);
}

static void recipients_dispose(recipients_t *rs)
{
    for (size_t i = 0; i < rs->n; i++)
        sio_socket_unref(rs->v[i]);
    free(rs->v);
}

/* True if `s` counts as a recipient: connected, or (for deliveries) being replayed to, so
 * that what comes during its replay is written after what it missed. */
static bool selectable(const sio_socket_t *s, bool replaying)
{
    return s->state == SIO_SOCKET_CONNECTED || (replaying && s->replay != NULL);
}

/* apply(opts): the connected local sockets selected by rooms/except, each once; with
 * `replaying`, the sockets being replayed to as well. */
static void collect(sio_namespace_t *nsp, const sio_bcast_opts_t *opts, bool replaying,
                    recipients_t *rs)
{
    sio_ptrset_t except = {0}, seen = {0};
    sio_socket_t *s;
    size_t i;

    for (size_t k = 0; k < opts->nexcept; k++) {
        sio_room_t *r = sio_strmap_get(&nsp->rooms, opts->except[k]);
        i = 0;
        while (r != NULL && (s = sio_ptrset_next(&r->members, &i)) != NULL)
            sio_ptrset_add(&except, s);
    }
    if (opts->nrooms > 0) {
        for (size_t k = 0; k < opts->nrooms; k++) {
            sio_room_t *r = sio_strmap_get(&nsp->rooms, opts->rooms[k]);
            i = 0;
            while (r != NULL && (s = sio_ptrset_next(&r->members, &i)) != NULL) {
                if (!selectable(s, replaying) || sio_ptrset_has(&except, s))
                    continue;
                if (opts->nrooms > 1 && !sio_ptrset_add(&seen, s))
                    continue;
                push(rs, s);
            }
        }
    } else {
        sio_strmap_entry_t *e;
        i = 0;
        while ((e = sio_strmap_next(&nsp->sockets, &i)) != NULL) {
            s = e->value;
            if (!sio_ptrset_has(&except, s))
                push(rs, s);
        }
        i = 0;
        while (replaying && (s = sio_ptrset_next(&nsp->io->replaying, &i)) != NULL) {
            if (s->nsp == nsp && !sio_ptrset_has(&except, s))
                push(rs, s);
        }
    }
    sio_ptrset_dispose(&except);
    sio_ptrset_dispose(&seen);
}

/* Writes `text` (encoded from msg) to the selected sockets. With an ack id, only connected
 * sockets are selected (each must answer); otherwise a socket being replayed to gets it after
 * its replay, unless it is volatile. */
static size_t deliver(sio_namespace_t *nsp, blob_t *text, const sio_message_t *msg,
                      const sio_bcast_opts_t *opts, int64_t ack_id)
{
    recipients_t rs = {0};
    bool replaying = ack_id < 0 && !(opts->flags & SIO_EMIT_VOLATILE);
    size_t n;
    collect(nsp, opts, replaying, &rs);
    for (size_t i = 0; i < rs.n; i++) {
        sio_socket_t *s = rs.v[i];
        if (s->replay != NULL) {
            sio__replay_append(s, text, msg->bins, msg->nbins);
            continue;
        }
        if (s->state != SIO_SOCKET_CONNECTED)
            continue; /* disconnected by an outgoing listener meanwhile */
        if (ack_id >= 0)
            sio__socket_add_ack(s, (uint64_t)ack_id, NULL, NULL, 0);
        sio__socket_notify_outgoing(s, msg->data);
        sio__client_write(s->client, text, msg->bins, msg->nbins, opts->flags);
    }
    n = rs.n;
    recipients_dispose(&rs);
    return n;
}

static size_t encode_and_deliver(sio_namespace_t *nsp, const sio_message_t *msg,
                                 const sio_bcast_opts_t *opts, int64_t ack_id)
{
    blob_t *text =
        sio_packet_encode_blob(SIO_PACKET_EVENT, nsp->name, ack_id, msg->data, msg->nbins);
    size_t n;
    if (text == NULL)
        return 0;
    n = deliver(nsp, text, msg, opts, ack_id);
    blob_unref(text);
    return n;
}

size_t sio_local_broadcast(sio_namespace_t *nsp, const sio_message_t *msg,
                           const sio_bcast_opts_t *opts)
{
    return encode_and_deliver(nsp, msg, opts, -1);
}

size_t sio_local_broadcast_encoded(sio_namespace_t *nsp, blob_t *text, const sio_message_t *msg,
                                   const sio_bcast_opts_t *opts)
{
    return deliver(nsp, text, msg, opts, -1);
}

size_t sio_local_broadcast_with_ack(sio_namespace_t *nsp, const sio_message_t *msg,
                                    const sio_bcast_opts_t *opts, uint64_t op)
{
    return encode_and_deliver(nsp, msg, opts, (int64_t)op);
}

json_t *sio_local_fetch_sockets(sio_namespace_t *nsp, const sio_bcast_opts_t *opts)
{
    recipients_t rs = {0};
    json_t *arr = json_array();
    collect(nsp, opts, false, &rs);
    for (size_t i = 0; i < rs.n; i++)
        json_array_append_new(arr, sio__socket_info(rs.v[i]));
    recipients_dispose(&rs);
    return arr;
}

void sio_local_add_sockets(sio_namespace_t *nsp, const sio_bcast_opts_t *opts,
                           const char *const *rooms, size_t n)
{
    recipients_t rs = {0};
    collect(nsp, opts, false, &rs);
    for (size_t i = 0; i < rs.n; i++)
        nsp->adapter->add_all(nsp->adapter->self, rs.v[i], rooms, n);
    recipients_dispose(&rs);
}

void sio_local_del_sockets(sio_namespace_t *nsp, const sio_bcast_opts_t *opts,
                           const char *const *rooms, size_t n)
{
    recipients_t rs = {0};
    collect(nsp, opts, false, &rs);
    for (size_t i = 0; i < rs.n; i++) {
        for (size_t k = 0; k < n; k++)
            nsp->adapter->del(nsp->adapter->self, rs.v[i], rooms[k]);
    }
    recipients_dispose(&rs);
}

void sio_local_disconnect_sockets(sio_namespace_t *nsp, const sio_bcast_opts_t *opts, bool close)
{
    recipients_t rs = {0};
    collect(nsp, opts, false, &rs);
    for (size_t i = 0; i < rs.n; i++)
        sio_socket_disconnect(rs.v[i], close);
    recipients_dispose(&rs);
}
