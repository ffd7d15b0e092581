/* sio_adapter_mem.c - the default adapter: one node, rooms in memory (sio_local_*), and the
 * reference SessionAwareAdapter's recovery store when the server's recovery option is on.
 *
 * Recovery: every broadcast that can be recovered (an EVENT without ack, neither volatile nor
 * SIO_EMIT_NO_STORE) gets the namespace's next offset ("<seq in hex>-<node uid>") as its last
 * argument, is encoded once, and is kept, with its rooms/except, in a ring ordered by seq (so the
 * packet after an offset is found by subtraction, not by a scan or a map). The ring is bounded
 * by recovery_max_bytes and by max_disconnection_ms: each append drops the oldest packets beyond
 * either bound (counted in the namespace's rstats), and a timer (every 60 s, unref'd) ages out
 * packets and sessions of an idle namespace. A socket that disconnects for a recoverable reason
 * leaves a session {sid, pid, rooms, data}. Restoring (pid, offset) returns the session and the
 * kept packets after `offset` that its rooms would have received, unless some were dropped
 * already or they are more than recovery_max_replay_packets/bytes: then nothing (a fresh
 * session), which is cheaper for everyone than a replay that cannot end well. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "socketio/internal.h"

typedef struct st_mem_packet_t {
    uint64_t emitted_at; /* ms, uv_now */
    blob_t *text;        /* the encoded EVENT, offset included */
    blob_t **bins;
    size_t nbins;
    size_t bytes; /* what it counts against recovery_max_bytes */
    char **rooms, **except;
    size_t nrooms, nexcept;
} mem_packet_t;

typedef struct st_mem_session_t {
    char *sid;
    json_t *rooms;
    json_t *data;
    uint64_t disconnected_at;
    char pid[];
} mem_session_t;

typedef struct st_mem_adapter_t {
    sio_adapter_t base;
    sio_namespace_t *nsp;
    sio_strmap_t sessions; /* pid -> mem_session_t */
    mem_packet_t **ring;   /* cap slots; the oldest at `first`, `count` of them */
    size_t cap, first, count;
    uint64_t first_seq; /* seq of the oldest kept (the next one to come when count is 0) */
    uint64_t last_seq;  /* seq of the newest ever stored, 0 before the first */
    uv_timer_t *cleanup;
} mem_adapter_t;

#define CLEANUP_INTERVAL_MS 60000

static char **copy_strv(const char *const *v, size_t n)
{
    char **out = n ? xmalloc(n * sizeof(*out)) : NULL;
    for (size_t i = 0; i < n; i++)
        out[i] = xstrdup(v[i]);
    return out;
}

static void free_strv(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

static void packet_free(mem_packet_t *p)
{
    blob_unref(p->text);
    for (size_t i = 0; i < p->nbins; i++)
        blob_unref(p->bins[i]);
    free(p->bins);
    free_strv(p->rooms, p->nrooms);
    free_strv(p->except, p->nexcept);
    free(p);
}

static void session_free(mem_adapter_t *a, mem_session_t *s)
{
    a->nsp->rstats.sessions--;
    free(s->sid);
    json_decref(s->rooms);
    json_decref(s->data);
    free(s);
}

static mem_packet_t *ring_at(const mem_adapter_t *a, size_t i)
{
    return a->ring[(a->first + i) % a->cap];
}

static void ring_push(mem_adapter_t *a, mem_packet_t *p)
{
    if (a->count == a->cap) {
        size_t ncap = a->cap ? a->cap * 2 : 64;
        mem_packet_t **r = xmalloc(ncap * sizeof(*r));
        for (size_t i = 0; i < a->count; i++)
            r[i] = ring_at(a, i);
        free(a->ring);
        a->ring = r;
        a->cap = ncap;
        a->first = 0;
    }
    a->ring[(a->first + a->count) % a->cap] = p;
    a->count++;
    a->nsp->rstats.packets++;
    a->nsp->rstats.bytes += p->bytes;
}

/* Drops the oldest kept packet. */
static void ring_drop_oldest(mem_adapter_t *a)
{
    mem_packet_t *p = a->ring[a->first];
    a->first = (a->first + 1) % a->cap;
    a->count--;
    a->first_seq++;
    a->nsp->rstats.packets--;
    a->nsp->rstats.bytes -= p->bytes;
    packet_free(p);
}

/* Applies the age and the byte bound to the ring (the oldest go first). */
static void ring_trim(mem_adapter_t *a, uint64_t now)
{
    const sio_config_t *conf = &a->nsp->io->conf;
    while (a->count > 0) {
        mem_packet_t *p = a->ring[a->first];
        bool too_old = p->emitted_at + conf->max_disconnection_ms < now;
        bool too_big =
            conf->recovery_max_bytes != 0 && a->nsp->rstats.bytes > conf->recovery_max_bytes;
        if (!too_old && !too_big)
            break;
        ring_drop_oldest(a);
        a->nsp->rstats.dropped++;
    }
}

static const char *mem_uid(void *self)
{
    mem_adapter_t *a = self;
    return a->nsp->io->uid;
}

static void mem_add_all(void *self, sio_socket_t *sock, const char *const *rooms, size_t n)
{
    mem_adapter_t *a = self;
    sio_local_add_all(a->nsp, sock, rooms, n);
}

static void mem_del(void *self, sio_socket_t *sock, const char *room)
{
    mem_adapter_t *a = self;
    sio_local_del(a->nsp, sock, room);
}

static void mem_del_all(void *self, sio_socket_t *sock)
{
    mem_adapter_t *a = self;
    sio_local_del_all(a->nsp, sock);
}

static size_t strv_bytes(const char *const *v, size_t n)
{
    size_t b = n * sizeof(char *);
    for (size_t i = 0; i < n; i++)
        b += strlen(v[i]) + 1;
    return b;
}

static void mem_broadcast(void *self, const sio_message_t *msg, const sio_bcast_opts_t *opts)
{
    mem_adapter_t *a = self;
    sio_server_t *io = a->nsp->io;
    mem_packet_t *p;
    sio_message_t stored;
    char offset[32];
    json_t *data;
    blob_t *text;

    if (!io->conf.recovery || (opts->flags & (SIO_EMIT_VOLATILE | SIO_EMIT_NO_STORE))) {
        sio_local_broadcast(a->nsp, msg, opts);
        return;
    }
    snprintf(offset, sizeof(offset), "%" PRIx64 "-%s", a->last_seq + 1, io->uid);
    data = json_copy(msg->data); /* shallow: the arguments are shared, not modified */
    json_array_append_new(data, json_string(offset));
    text = sio_packet_encode_blob(SIO_PACKET_EVENT, a->nsp->name, -1, data, msg->nbins);
    if (text == NULL) {
        json_decref(data);
        return;
    }
    a->last_seq++;
    p = xcalloc(1, sizeof(*p));
    p->emitted_at = uv_now(io->loop);
    p->text = blob_ref(text);
    p->nbins = msg->nbins;
    p->bins = msg->nbins ? xmalloc(msg->nbins * sizeof(*p->bins)) : NULL;
    p->bytes = sizeof(*p) + text->len + msg->nbins * sizeof(*p->bins);
    for (size_t i = 0; i < msg->nbins; i++) {
        p->bins[i] = blob_ref(msg->bins[i]);
        p->bytes += msg->bins[i]->len;
    }
    p->rooms = copy_strv(opts->rooms, opts->nrooms);
    p->nrooms = opts->nrooms;
    p->except = copy_strv(opts->except, opts->nexcept);
    p->nexcept = opts->nexcept;
    p->bytes += strv_bytes(opts->rooms, opts->nrooms) + strv_bytes(opts->except, opts->nexcept);
    ring_push(a, p);
    ring_trim(a, p->emitted_at);
    stored.data = data;
    stored.bins = msg->bins;
    stored.nbins = msg->nbins;
    sio_local_broadcast_encoded(a->nsp, text, &stored, opts);
    blob_unref(text);
    json_decref(data);
}

static void mem_broadcast_with_ack(void *self, const sio_message_t *msg,
                                   const sio_bcast_opts_t *opts, uint64_t op)
{
    mem_adapter_t *a = self;
    size_t n = sio_local_broadcast_with_ack(a->nsp, msg, opts, op);
    sio_ack_op_clients(a->nsp, op, n);
    sio_ack_op_servers(a->nsp, op, 1);
}

static void mem_fetch_sockets(void *self, const sio_bcast_opts_t *opts, sio_fetch_sockets_cb cb,
                              void *cbdata)
{
    mem_adapter_t *a = self;
    json_t *arr = sio_local_fetch_sockets(a->nsp, opts);
    cb(0, arr, cbdata);
    json_decref(arr);
}

static void mem_add_sockets(void *self, const sio_bcast_opts_t *opts, const char *const *rooms,
                            size_t n)
{
    mem_adapter_t *a = self;
    sio_local_add_sockets(a->nsp, opts, rooms, n);
}

static void mem_del_sockets(void *self, const sio_bcast_opts_t *opts, const char *const *rooms,
                            size_t n)
{
    mem_adapter_t *a = self;
    sio_local_del_sockets(a->nsp, opts, rooms, n);
}

static void mem_disconnect_sockets(void *self, const sio_bcast_opts_t *opts, bool close)
{
    mem_adapter_t *a = self;
    sio_local_disconnect_sockets(a->nsp, opts, close);
}

static void mem_server_side_emit(void *self, const json_t *data, unsigned timeout_ms,
                                 sio_server_side_ack_cb cb, void *cbdata)
{
    UNUSED(self);
    UNUSED(data);
    UNUSED(timeout_ms);
    /* no other node: nobody receives it, and nobody is expected to answer */
    if (cb != NULL) {
        json_t *none = json_array();
        cb(0, none, cbdata);
        json_decref(none);
    }
}

static void mem_persist_session(void *self, const sio_session_t *s)
{
    mem_adapter_t *a = self;
    size_t n = strlen(s->pid);
    mem_session_t *ms = xcalloc(1, sizeof(*ms) + n + 1), *prev;
    memcpy(ms->pid, s->pid, n + 1);
    ms->sid = xstrdup(s->sid);
    ms->rooms = json_deep_copy(s->rooms);
    ms->data = s->data != NULL ? json_deep_copy(s->data) : json_object();
    ms->disconnected_at = uv_now(a->nsp->io->loop);
    a->nsp->rstats.sessions++;
    prev = sio_strmap_put(&a->sessions, ms->pid, ms);
    if (prev != NULL)
        session_free(a, prev);
}

static bool in_list(const json_t *rooms, char *const *v, size_t n)
{
    size_t i;
    json_t *r;
    json_array_foreach(rooms, i, r)
    {
        for (size_t k = 0; k < n; k++) {
            if (strcmp(json_string_value(r), v[k]) == 0)
                return true;
        }
    }
    return false;
}

/* shouldIncludePacket(sessionRooms, opts) */
static bool should_include(const json_t *rooms, const mem_packet_t *p)
{
    bool included = p->nrooms == 0 || in_list(rooms, p->rooms, p->nrooms);
    bool excluded = in_list(rooms, p->except, p->nexcept);
    return included && !excluded;
}

/* Parses an offset of this node ("<hex seq>-<uid>"). Returns false if it is not one. */
static bool parse_offset(const mem_adapter_t *a, const char *offset, uint64_t *seq)
{
    const char *dash = strchr(offset, '-');
    char *end;
    if (dash == NULL || dash == offset || dash - offset > 16 ||
        strcmp(dash + 1, a->nsp->io->uid) != 0)
        return false;
    *seq = strtoull(offset, &end, 16);
    return end == dash;
}

/* The packets after `seq` that `rooms` would have received, into *out (n of them), unless they
 * cannot all be replayed: some were dropped already, or they are over the replay bounds. */
static bool collect_missed(mem_adapter_t *a, uint64_t seq, const json_t *rooms,
                           sio_stored_packet_t **out, size_t *n)
{
    const sio_config_t *conf = &a->nsp->io->conf;
    size_t cap = 0, bytes = 0;
    *out = NULL;
    *n = 0;
    if (seq + 1 < a->first_seq)
        return false; /* the packet right after the offset is gone */
    for (size_t i = (size_t)(seq + 1 - a->first_seq); i < a->count; i++) {
        mem_packet_t *p = ring_at(a, i);
        if (!should_include(rooms, p))
            continue;
        bytes += p->bytes;
        if ((conf->recovery_max_replay_packets != 0 && *n >= conf->recovery_max_replay_packets) ||
            (conf->recovery_max_replay_bytes != 0 && bytes > conf->recovery_max_replay_bytes)) {
            free(*out);
            *out = NULL;
            *n = 0;
            return false;
        }
        if (*n == cap) {
            cap = cap ? cap * 2 : 8;
            *out = xrealloc(*out, cap * sizeof(**out));
        }
        (*out)[*n].text = p->text;
        (*out)[*n].bins = p->bins;
        (*out)[*n].nbins = p->nbins;
        (*n)++;
    }
    return true;
}

static void mem_restore_session(void *self, const char *pid, const char *offset, sio_restore_cb cb,
                                void *cbdata)
{
    mem_adapter_t *a = self;
    mem_session_t *s = sio_strmap_get(&a->sessions, pid);
    sio_restored_t r;
    sio_stored_packet_t *missed;
    size_t n;
    uint64_t seq;

    if (s == NULL) {
        cb(NULL, cbdata);
        return;
    }
    if (s->disconnected_at + a->nsp->io->conf.max_disconnection_ms < uv_now(a->nsp->io->loop)) {
        sio_strmap_del(&a->sessions, pid);
        session_free(a, s);
        cb(NULL, cbdata);
        return;
    }
    if (!parse_offset(a, offset, &seq) || seq > a->last_seq) {
        cb(NULL, cbdata);
        return;
    }
    if (!collect_missed(a, seq, s->rooms, &missed, &n)) {
        a->nsp->rstats.refused++;
        log_info("socketio", "%s: session %s missed more than can be replayed: not recovered",
                 a->nsp->name, s->sid);
        cb(NULL, cbdata);
        return;
    }
    /* the session stays until it expires, as in the reference */
    a->nsp->rstats.recovered++;
    r.session.sid = s->sid;
    r.session.pid = s->pid;
    r.session.rooms = s->rooms;
    r.session.data = s->data;
    r.missed = missed;
    r.nmissed = n;
    cb(&r, cbdata);
    free(missed);
}

static void mem_cleanup(mem_adapter_t *a)
{
    uint64_t now = uv_now(a->nsp->io->loop), max = a->nsp->io->conf.max_disconnection_ms;
    size_t i = 0;
    sio_strmap_entry_t *e;
    while ((e = sio_strmap_next(&a->sessions, &i)) != NULL) {
        mem_session_t *s = e->value;
        if (s->disconnected_at + max < now) {
            sio_strmap_del(&a->sessions, s->pid);
            session_free(a, s);
        }
    }
    ring_trim(a, now);
}

static void on_cleanup_timer(uv_timer_t *t)
{
    mem_cleanup(t->data);
}

static void mem_dispose(void *self)
{
    mem_adapter_t *a = self;
    size_t i = 0;
    sio_strmap_entry_t *e;
    while ((e = sio_strmap_next(&a->sessions, &i)) != NULL)
        session_free(a, e->value);
    sio_strmap_dispose(&a->sessions);
    while (a->count > 0)
        ring_drop_oldest(a);
    free(a->ring);
    if (a->cleanup != NULL) {
        uv_timer_stop(a->cleanup);
        uv_close((uv_handle_t *)a->cleanup, (uv_close_cb)free);
    }
    free(a);
}

sio_adapter_t *sio_memory_adapter_new(sio_namespace_t *nsp, void *data)
{
    mem_adapter_t *a = xcalloc(1, sizeof(*a));
    UNUSED(data);
    a->nsp = nsp;
    a->first_seq = 1;
    a->base.self = a;
    a->base.uid = mem_uid;
    a->base.add_all = mem_add_all;
    a->base.del = mem_del;
    a->base.del_all = mem_del_all;
    a->base.broadcast = mem_broadcast;
    a->base.broadcast_with_ack = mem_broadcast_with_ack;
    a->base.fetch_sockets = mem_fetch_sockets;
    a->base.add_sockets = mem_add_sockets;
    a->base.del_sockets = mem_del_sockets;
    a->base.disconnect_sockets = mem_disconnect_sockets;
    a->base.server_side_emit = mem_server_side_emit;
    a->base.persist_session = mem_persist_session;
    a->base.restore_session = mem_restore_session;
    a->base.dispose = mem_dispose;
    if (nsp->io->conf.recovery) {
        a->cleanup = xmalloc(sizeof(*a->cleanup));
        uv_timer_init(nsp->io->loop, a->cleanup);
        a->cleanup->data = a;
        uv_timer_start(a->cleanup, on_cleanup_timer, CLEANUP_INTERVAL_MS, CLEANUP_INTERVAL_MS);
        uv_unref((uv_handle_t *)a->cleanup);
    }
    return &a->base;
}
