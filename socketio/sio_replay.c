/* sio_replay.c - writing a recovered socket's missed packets, paced.
 *
 * A restored socket stays PENDING (no CONNECT yet, as the reference sends the missed packets
 * before it) while its replay holds the packets still to write: references on the stored blobs,
 * so the recovery buffer may drop them meanwhile. The replay writes a window at a time: as long
 * as the connection's send queue (eio_socket_queued) is under REPLAY_WINDOW_PACKETS and
 * REPLAY_WINDOW_BYTES; what does not fit waits for one server-wide timer (REPLAY_TICK_MS, armed
 * only while some replay waits) to look again. A replay thus never fills the send queue to its
 * bound, and costs the server what the client reads, not what it missed.
 *
 * Broadcasts that reach the socket meanwhile (it is in its rooms already; sio_local.c selects
 * it) are appended to its replay, so the client sees everything in order. Those are bounded too:
 * a replay whose backlog grows over twice recovery_max_replay_bytes plus the window (a client
 * that reads slower than its rooms talk) closes the connection, as an overflowing send queue
 * would. Once everything went out, the connection carries on (middlewares or CONNECT). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "socketio/internal.h"

#define REPLAY_WINDOW_PACKETS 256
#define REPLAY_WINDOW_BYTES   (256u << 10)
#define REPLAY_TICK_MS        1

typedef struct st_replay_item_t {
    blob_t *text;
    blob_t **bins;
    size_t nbins;
} replay_item_t;

struct st_sio_replay_t {
    replay_item_t *items; /* [next, n) still to write, references held */
    size_t n, cap, next;
    size_t bytes; /* of the items still to write */
};

static size_t item_bytes(const replay_item_t *it)
{
    size_t b = it->text->len;
    for (size_t i = 0; i < it->nbins; i++)
        b += it->bins[i]->len;
    return b;
}

static void push_item(sio_replay_t *r, blob_t *text, blob_t *const *bins, size_t nbins)
{
    replay_item_t *it;
    if (r->n == r->cap) {
        r->cap = r->cap ? r->cap * 2 : 16;
        r->items = xrealloc(r->items, r->cap * sizeof(*r->items));
    }
    it = &r->items[r->n++];
    it->text = blob_ref(text);
    it->nbins = nbins;
    it->bins = nbins ? xmalloc(nbins * sizeof(*it->bins)) : NULL;
    for (size_t i = 0; i < nbins; i++)
        it->bins[i] = blob_ref(bins[i]);
    r->bytes += item_bytes(it);
}

static void item_dispose(replay_item_t *it)
{
    blob_unref(it->text);
    for (size_t i = 0; i < it->nbins; i++)
        blob_unref(it->bins[i]);
    free(it->bins);
}

/* Takes the replay off the socket and the server's set, and frees it. */
static void replay_free(sio_socket_t *sock)
{
    sio_replay_t *r = sock->replay;
    for (size_t i = r->next; i < r->n; i++)
        item_dispose(&r->items[i]);
    free(r->items);
    free(r);
    sock->replay = NULL;
    sio_ptrset_del(&sock->nsp->io->replaying, sock);
}

/* True if the connection can take more of the replay now. */
static bool has_room(const sio_client_t *c)
{
    size_t bytes;
    if (c->conn == NULL)
        return true; /* detached (tests): writes go to a buffer */
    return eio_socket_queued(c->conn, &bytes) < REPLAY_WINDOW_PACKETS &&
           bytes < REPLAY_WINDOW_BYTES;
}

/* Writes what fits. Returns true once everything was written (the replay is then freed and
 * the connection carried on). */
static bool pump(sio_socket_t *sock)
{
    sio_replay_t *r = sock->replay;
    sio_client_t *c = sock->client;
    while (r->next < r->n && has_room(c)) {
        replay_item_t *it = &r->items[r->next++];
        int rc;
        r->bytes -= item_bytes(it);
        rc = sio__client_write(c, it->text, it->bins, it->nbins, 0);
        item_dispose(it);
        if (rc != 0)
            return false; /* the connection is closing: its close will abort the replay */
    }
    if (r->next < r->n)
        return false;
    replay_free(sock);
    sio__namespace_after_restore(sock);
    sio_socket_unref(sock); /* the replay's reference */
    return true;
}

static void on_tick(uv_timer_t *t)
{
    sio_server_t *io = t->data;
    size_t n = 0, i = 0;
    sio_socket_t *s, **socks = xmalloc((io->replaying.len + 1) * sizeof(*socks));
    while ((s = sio_ptrset_next(&io->replaying, &i)) != NULL)
        socks[n++] = sio_socket_ref(s);
    for (i = 0; i < n; i++) {
        if (socks[i]->replay != NULL)
            pump(socks[i]);
        sio_socket_unref(socks[i]);
    }
    free(socks);
    if (io->replaying.len == 0)
        uv_timer_stop(io->replay_timer);
}

void sio__replay_start(sio_socket_t *sock, const sio_stored_packet_t *missed, size_t n)
{
    sio_server_t *io = sock->nsp->io;
    sio_replay_t *r = xcalloc(1, sizeof(*r));
    for (size_t i = 0; i < n; i++)
        push_item(r, missed[i].text, missed[i].bins, missed[i].nbins);
    sock->replay = r;
    sio_ptrset_add(&io->replaying, sio_socket_ref(sock));
    if (pump(sock))
        return;
    if (sock->replay != NULL && !uv_is_active((uv_handle_t *)io->replay_timer))
        uv_timer_start(io->replay_timer, on_tick, REPLAY_TICK_MS, REPLAY_TICK_MS);
}

bool sio__replay_append(sio_socket_t *sock, blob_t *text, blob_t *const *bins, size_t nbins)
{
    sio_replay_t *r = sock->replay;
    size_t max = 2 * sock->nsp->io->conf.recovery_max_replay_bytes + REPLAY_WINDOW_BYTES;
    push_item(r, text, bins, nbins);
    if (r->bytes <= max)
        return true;
    log_warn("socketio",
             "%s: socket %s reads its replay slower than its rooms talk (%zu bytes "
             "waiting): closing",
             sock->nsp->name, sock->id, r->bytes);
    sio__client_close(sock->client, "transport error");
    return false;
}

void sio__replay_abort(sio_socket_t *sock)
{
    if (sock->replay == NULL)
        return;
    replay_free(sock);
    sock->nsp->adapter->del_all(sock->nsp->adapter->self, sock);
    sio_socket_unref(sock);
}

void sio__replay_dispose(sio_server_t *io)
{
    sio_ptrset_dispose(&io->replaying);
    uv_close((uv_handle_t *)io->replay_timer, (uv_close_cb)free);
}
