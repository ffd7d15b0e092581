/* sio_adapter_mem.c - the default adapter: one node, rooms in memory (sio_local_*), and the
 * reference SessionAwareAdapter's recovery store when the server's recovery option is on.
 *
 * Recovery: every broadcast that can be recovered (an EVENT without ack, not volatile) gets a
 * fresh offset appended as its last argument and is kept, with its rooms/except, in a FIFO
 * (also indexed by offset) for max_disconnection_ms. A socket that disconnects for a recoverable
 * reason leaves a session {sid, pid, rooms, data}. Restoring (pid, offset) returns the session
 * and every kept packet after `offset` that the session's rooms would have received. A timer
 * (every 60 s, unref'd) drops expired sessions and packets. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "socketio/internal.h"

typedef struct st_mem_packet_t {
    struct st_mem_packet_t *next;
    uint64_t emitted_at; /* ms, uv_now */
    json_t *data;        /* [event, ...args, offset] */
    blob_t **bins;
    size_t nbins;
    char **rooms, **except;
    size_t nrooms, nexcept;
    char offset[24];
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
    sio_strmap_t offsets;  /* offset -> mem_packet_t */
    mem_packet_t *head, *tail;
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
    json_decref(p->data);
    for (size_t i = 0; i < p->nbins; i++)
        blob_unref(p->bins[i]);
    free(p->bins);
    free_strv(p->rooms, p->nrooms);
    free_strv(p->except, p->nexcept);
    free(p);
}

static void session_free(mem_session_t *s)
{
    free(s->sid);
    json_decref(s->rooms);
    json_decref(s->data);
    free(s);
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

static void mem_broadcast(void *self, const sio_message_t *msg, const sio_bcast_opts_t *opts)
{
    mem_adapter_t *a = self;
    sio_server_t *io = a->nsp->io;
    mem_packet_t *p;
    sio_message_t stored;

    if (!io->conf.recovery || (opts->flags & SIO_EMIT_VOLATILE)) {
        sio_local_broadcast(a->nsp, msg, opts);
        return;
    }
    p = xcalloc(1, sizeof(*p));
    snprintf(p->offset, sizeof(p->offset), "%" PRIx64 "-%s", ++io->offset_seq, io->uid);
    p->emitted_at = uv_now(io->loop);
    p->data = json_copy(msg->data); /* shallow: the arguments are shared, not modified */
    json_array_append_new(p->data, json_string(p->offset));
    p->nbins = msg->nbins;
    p->bins = msg->nbins ? xmalloc(msg->nbins * sizeof(*p->bins)) : NULL;
    for (size_t i = 0; i < msg->nbins; i++)
        p->bins[i] = blob_ref(msg->bins[i]);
    p->rooms = copy_strv(opts->rooms, opts->nrooms);
    p->nrooms = opts->nrooms;
    p->except = copy_strv(opts->except, opts->nexcept);
    p->nexcept = opts->nexcept;
    if (a->tail != NULL)
        a->tail->next = p;
    else
        a->head = p;
    a->tail = p;
    sio_strmap_put(&a->offsets, p->offset, p);
    stored.data = p->data;
    stored.bins = msg->bins;
    stored.nbins = msg->nbins;
    sio_local_broadcast(a->nsp, &stored, opts);
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
    prev = sio_strmap_put(&a->sessions, ms->pid, ms);
    if (prev != NULL)
        session_free(prev);
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

static void mem_restore_session(void *self, const char *pid, const char *offset, sio_restore_cb cb,
                                void *cbdata)
{
    mem_adapter_t *a = self;
    mem_session_t *s = sio_strmap_get(&a->sessions, pid);
    mem_packet_t *p;
    sio_restored_t r;
    sio_message_t *missed = NULL;
    size_t n = 0, cap = 0;

    if (s == NULL) {
        cb(NULL, cbdata);
        return;
    }
    if (s->disconnected_at + a->nsp->io->conf.max_disconnection_ms < uv_now(a->nsp->io->loop)) {
        sio_strmap_del(&a->sessions, pid);
        session_free(s);
        cb(NULL, cbdata);
        return;
    }
    p = sio_strmap_get(&a->offsets, offset);
    if (p == NULL) {
        cb(NULL, cbdata);
        return;
    }
    for (p = p->next; p != NULL; p = p->next) {
        if (!should_include(s->rooms, p))
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 8;
            missed = xrealloc(missed, cap * sizeof(*missed));
        }
        missed[n].data = p->data;
        missed[n].bins = p->bins;
        missed[n].nbins = p->nbins;
        n++;
    }
    /* the session stays until it expires, as in the reference */
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
            session_free(s);
        }
    }
    while (a->head != NULL && a->head->emitted_at + max < now) {
        mem_packet_t *p = a->head;
        a->head = p->next;
        if (a->head == NULL)
            a->tail = NULL;
        sio_strmap_del(&a->offsets, p->offset);
        packet_free(p);
    }
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
        session_free(e->value);
    sio_strmap_dispose(&a->sessions);
    sio_strmap_dispose(&a->offsets);
    while (a->head != NULL) {
        mem_packet_t *p = a->head;
        a->head = p->next;
        packet_free(p);
    }
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
