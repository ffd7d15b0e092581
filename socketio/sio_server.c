/* sio_server.c - the Socket.IO server: creates the engine with its callbacks, keeps the
 * namespace registry (static names and dynamic parents), the connect timeout, shutdown and free.
 *
 * connectTimeout: every new Engine.IO session must join a namespace within connect_timeout_ms.
 * The timeout is the same for all, so the waiting clients form a FIFO queue ordered by deadline
 * and one uv_timer armed for the head serves them all (no timer per client). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "socketio/internal.h"

static void on_eio_open(eio_socket_t *sock, void *data)
{
    sio__client_open(data, sock);
}

static void on_eio_message(eio_socket_t *sock, const char *msg, size_t len, bool is_binary,
                           void *data)
{
    sio_client_t *c = eio_socket_get_data(sock);
    UNUSED(data);
    if (c != NULL)
        sio__client_message(c, msg, len, is_binary);
}

static void on_eio_close(eio_socket_t *sock, const char *reason, void *data)
{
    sio_client_t *c = eio_socket_get_data(sock);
    UNUSED(data);
    if (c != NULL)
        sio__client_closed(c, reason);
}

static const eio_callbacks_t eio_callbacks = {
    .on_open = on_eio_open,
    .on_message = on_eio_message,
    .on_close = on_eio_close,
    .on_drain = NULL,
};

void sio_config_init(sio_config_t *conf)
{
    memset(conf, 0, sizeof(*conf));
    conf->connect_timeout_ms = 45000;
    conf->max_attachments = SIO_DEFAULT_MAX_ATTACHMENTS;
    conf->recovery = false;
    conf->max_disconnection_ms = 120000;
    conf->recovery_skip_middlewares = true;
    conf->recovery_max_bytes = 64u << 20;
    conf->recovery_max_replay_packets = 1000;
    conf->recovery_max_replay_bytes = 1u << 20;
}

sio_server_t *sio_server_new(uv_loop_t *loop, const eio_config_t *econf, const sio_config_t *conf)
{
    sio_server_t *io = xcalloc(1, sizeof(*io));
    static const char alphabet[] = "0123456789abcdefghijklmnopqrstuvwxyz";
    io->loop = loop;
    io->conf = *conf;
    io->empty = json_object();
    if (io->conf.max_attachments == 0)
        io->conf.max_attachments = SIO_DEFAULT_MAX_ATTACHMENTS;
    io->connect_timer = xmalloc(sizeof(*io->connect_timer));
    uv_timer_init(loop, io->connect_timer);
    io->connect_timer->data = io;
    io->replay_timer = xmalloc(sizeof(*io->replay_timer));
    uv_timer_init(loop, io->replay_timer);
    io->replay_timer->data = io;
    /* the node id, as the reference's 6 random characters (used by cluster adapters) */
    uint64_t r = uv_hrtime() ^ (uint64_t)(uintptr_t)io ^ time_now_ms() * 2654435761u;
    for (int i = 0; i < 6; i++) {
        io->uid[i] = alphabet[r % 36];
        r /= 36;
    }
    sio__namespace_new(io, "/", NULL); /* the main namespace always exists (io.sockets) */
    io->eio = econf != NULL ? eio_server_new(loop, econf, &eio_callbacks, io) : NULL;
    if (econf != NULL && io->eio == NULL) {
        sio_server_free(io);
        return NULL;
    }
    return io;
}

eio_server_t *sio_server_engine(sio_server_t *io)
{
    return io->eio;
}

uv_loop_t *sio_server_loop(sio_server_t *io)
{
    return io->loop;
}

sio_namespace_t *sio_server_of(sio_server_t *io, const char *name)
{
    sio_namespace_t *nsp;
    char *fixed = NULL;
    if (name[0] != '/') {
        /* io.of("chat") is "/chat" in the reference */
        fixed = xmalloc(strlen(name) + 2);
        fixed[0] = '/';
        strcpy(fixed + 1, name);
        name = fixed;
    }
    nsp = sio_strmap_get(&io->nsps, name);
    if (nsp == NULL)
        nsp = sio__namespace_new(io, name, NULL);
    free(fixed);
    return nsp;
}

sio_namespace_t *sio_server_of_dynamic(sio_server_t *io, sio_namespace_match_cb match, void *data)
{
    sio_namespace_t *parent = xcalloc(1, sizeof(*parent)), **tail;
    parent->io = io;
    parent->name = xstrdup("(dynamic)");
    parent->h = xcalloc(1, sizeof(*parent->h));
    parent->owns_handlers = true;
    parent->match = match;
    parent->match_data = data;
    for (tail = &io->parents; *tail != NULL; tail = &(*tail)->next)
        ;
    *tail = parent;
    return parent;
}

static bool match_regex(const char *name, const json_t *auth, void *data)
{
    UNUSED(auth);
    return regexec((const regex_t *)data, name, 0, NULL, 0) == 0;
}

sio_namespace_t *sio_server_of_regex(sio_server_t *io, const char *pattern)
{
    regex_t *re = xmalloc(sizeof(*re));
    sio_namespace_t *parent;
    if (regcomp(re, pattern, REG_EXTENDED | REG_NOSUB) != 0) {
        free(re);
        return NULL;
    }
    parent = sio_server_of_dynamic(io, match_regex, re);
    parent->re = re;
    return parent;
}

/* --- connect timeout --- */

static void arm_connect_timer(sio_server_t *io);

static void on_connect_timer(uv_timer_t *t)
{
    sio_server_t *io = t->data;
    uint64_t now = uv_now(io->loop);
    while (io->wait_head != NULL && io->wait_head->connect_deadline <= now) {
        sio_client_t *c = io->wait_head;
        sio__client_wait_remove(c);
        log_debug("socketio", "no namespace joined within %u ms, closing the connection",
                  io->conf.connect_timeout_ms);
        sio__client_close(c, "forced server close");
    }
    arm_connect_timer(io);
}

static void arm_connect_timer(sio_server_t *io)
{
    if (io->wait_head == NULL) {
        uv_timer_stop(io->connect_timer);
        return;
    }
    if (uv_is_active((uv_handle_t *)io->connect_timer))
        return;
    uint64_t now = uv_now(io->loop), due = io->wait_head->connect_deadline;
    uv_timer_start(io->connect_timer, on_connect_timer, due > now ? due - now : 0, 0);
}

void sio__client_wait_add(sio_client_t *c)
{
    sio_server_t *io = c->io;
    c->connect_deadline = uv_now(io->loop) + io->conf.connect_timeout_ms;
    c->wait_prev = io->wait_tail;
    c->wait_next = NULL;
    if (io->wait_tail != NULL)
        io->wait_tail->wait_next = c;
    else
        io->wait_head = c;
    io->wait_tail = c;
    c->in_wait = true;
    arm_connect_timer(io);
}

void sio__client_wait_remove(sio_client_t *c)
{
    sio_server_t *io = c->io;
    if (!c->in_wait)
        return;
    if (c->wait_prev != NULL)
        c->wait_prev->wait_next = c->wait_next;
    else
        io->wait_head = c->wait_next;
    if (c->wait_next != NULL)
        c->wait_next->wait_prev = c->wait_prev;
    else
        io->wait_tail = c->wait_prev;
    c->wait_prev = c->wait_next = NULL;
    c->in_wait = false;
    if (io->wait_head == NULL)
        uv_timer_stop(io->connect_timer);
}

/* --- shutdown and free --- */

void sio_server_shutdown(sio_server_t *io)
{
    for (sio_namespace_t *nsp = io->all_nsps; nsp != NULL; nsp = nsp->next) {
        size_t n = 0, i = 0;
        sio_socket_t **socks = xmalloc((nsp->sockets.len + 1) * sizeof(*socks));
        sio_strmap_entry_t *e;
        while ((e = sio_strmap_next(&nsp->sockets, &i)) != NULL)
            socks[n++] = sio_socket_ref(e->value);
        for (i = 0; i < n; i++) {
            sio__socket_onclose(socks[i], "server shutting down");
            sio_socket_unref(socks[i]);
        }
        free(socks);
    }
    if (io->eio != NULL)
        eio_server_shutdown(io->eio);
}

void sio_server_free(sio_server_t *io)
{
    if (io == NULL)
        return;
    /* drop the clients without disconnect callbacks: the engine frees its sessions silently */
    while (io->clients != NULL) {
        sio_client_t *c = io->clients;
        c->closed = true;
        while (c->sockets != NULL) {
            sio_socket_t *s = c->sockets;
            c->sockets = s->client_next;
            s->client_next = NULL;
            s->client = NULL;
            sio__replay_abort(s);
            if (s->state == SIO_SOCKET_CONNECTED) {
                sio_local_del_all(s->nsp, s);
                sio_strmap_del(&s->nsp->sockets, s->id);
            }
            s->state = SIO_SOCKET_CLOSED;
            sio__socket_fail_acks(s);
            sio_socket_unref(s);
        }
        if (c->pending != NULL) {
            sio_packet_dispose(c->pending);
            free(c->pending);
        }
        io->clients = c->next;
        if (c->conn != NULL)
            eio_socket_set_data(c->conn, NULL);
        free(c);
    }
    io->wait_head = io->wait_tail = NULL;
    eio_server_free(io->eio);
    while (io->all_nsps != NULL) {
        sio_namespace_t *nsp = io->all_nsps;
        io->all_nsps = nsp->next;
        sio__namespace_free(nsp);
    }
    while (io->parents != NULL) {
        sio_namespace_t *p = io->parents;
        io->parents = p->next;
        sio__namespace_free(p);
    }
    sio_strmap_dispose(&io->nsps);
    json_decref(io->empty);
    uv_close((uv_handle_t *)io->connect_timer, (uv_close_cb)free);
    sio__replay_dispose(io);
    free(io);
}

void sio_server_recovery_stats(const sio_server_t *io, sio_recovery_stats_t *st)
{
    memset(st, 0, sizeof(*st));
    for (const sio_namespace_t *nsp = io->all_nsps; nsp != NULL; nsp = nsp->next) {
        st->packets += nsp->rstats.packets;
        st->bytes += nsp->rstats.bytes;
        st->sessions += nsp->rstats.sessions;
        st->dropped += nsp->rstats.dropped;
        st->recovered += nsp->rstats.recovered;
        st->refused += nsp->rstats.refused;
    }
    st->replaying = io->replaying.len;
}
