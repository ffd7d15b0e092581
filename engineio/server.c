/* server.c - the engine's entry points: configuration, the h2o handler, request verification
 * (in the reference's order, so every error code matches engine.io 6.x's verify() and
 * handshake()), the handshake, the sid table and the idle pass.
 *
 * Verification order (server.ts): transport known and enabled (else 0), Origin header without
 * forbidden characters (else 3), then with a sid: known (else 1), same transport unless it is an
 * upgrade (else 3), same protocol (else 3); without a sid: GET only (else 2), a websocket
 * handshake only as an Upgrade (else 3), and EIO=4, or EIO=3 when allowEIO3 (anything else is
 * revision 3, refused with 5 unless allowed).
 *
 * The idle pass: uv_idle runs only while sockets are pending; it flushes queues to transports
 * and finalises closed sockets, so no transport write or on_close ever happens inside a user's
 * call. The sid table is a chained hash table that doubles when full. */
#include "engineio/internal.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#define MODULE "engineio"

/* Waiting for a polling client to fetch its close packet, as the reference's closeTimeout. */
#define CLOSE_TIMEOUT_MS 30000
/* Waiting for the peer's WebSocket close frame after ours. */
#define WS_CLOSE_TIMEOUT_MS 2000

void eio_config_init(eio_config_t *conf)
{
    memset(conf, 0, sizeof(*conf));
    conf->path = "/socket.io/";
    conf->ping_interval_ms = 25000;
    conf->ping_timeout_ms = 20000;
    conf->upgrade_timeout_ms = 10000;
    conf->max_http_buffer_size = 1000000;
    conf->transports = EIO_TRANSPORT_POLLING | EIO_TRANSPORT_WEBSOCKET;
    conf->allow_upgrades = true;
    conf->allow_eio3 = false;
    conf->http_compression = true;
    conf->compression_threshold = 1024;
    conf->cors_origin = NULL;
    conf->cors_credentials = false;
    conf->cors_methods = "GET,HEAD,PUT,PATCH,POST,DELETE";
    conf->cors_allowed_headers = NULL;
    conf->cookie_name = NULL;
    conf->cookie_path = "/";
    conf->cookie_http_only = true;
    conf->cookie_same_site = "Lax";
    conf->max_buffered_packets = 10000;
    conf->max_buffered_bytes = 32u << 20;
}

/* --- sid table ----------------------------------------------------------------------------- */

static size_t sid_hash(const char *sid)
{
    size_t h = 14695981039346656037u;
    for (; *sid != '\0'; sid++)
        h = (h ^ (unsigned char)*sid) * 1099511628211u;
    return h;
}

static eio_socket_t *find_any(eio_server_t *srv, const char *sid)
{
    for (eio_socket_t *s = srv->buckets[sid_hash(sid) & (srv->nbuckets - 1)]; s != NULL;
         s = s->hash_next)
        if (strcmp(s->sid, sid) == 0)
            return s;
    return NULL;
}

eio_socket_t *eio__server_find(eio_server_t *srv, const char *sid)
{
    eio_socket_t *s = find_any(srv, sid);
    return s != NULL && s->state != EIO_STATE_CLOSED ? s : NULL;
}

static void grow_table(eio_server_t *srv)
{
    size_t n = srv->nbuckets * 2;
    eio_socket_t **b = xcalloc(n, sizeof(*b));
    for (size_t i = 0; i < srv->nbuckets; i++) {
        eio_socket_t *s = srv->buckets[i];
        while (s != NULL) {
            eio_socket_t *next = s->hash_next;
            size_t k = sid_hash(s->sid) & (n - 1);
            s->hash_next = b[k];
            b[k] = s;
            s = next;
        }
    }
    free(srv->buckets);
    srv->buckets = b;
    srv->nbuckets = n;
}

void eio__server_add(eio_server_t *srv, eio_socket_t *sock)
{
    if (srv->count >= srv->nbuckets)
        grow_table(srv);
    size_t k = sid_hash(sock->sid) & (srv->nbuckets - 1);
    sock->hash_next = srv->buckets[k];
    srv->buckets[k] = sock;
    h2o_linklist_insert(&srv->sockets, &sock->link);
    srv->count++;
}

void eio__server_remove(eio_server_t *srv, eio_socket_t *sock)
{
    eio_socket_t **pp = &srv->buckets[sid_hash(sock->sid) & (srv->nbuckets - 1)];
    while (*pp != NULL && *pp != sock)
        pp = &(*pp)->hash_next;
    if (*pp == sock) {
        *pp = sock->hash_next;
        srv->count--;
    }
    if (h2o_linklist_is_linked(&sock->link))
        h2o_linklist_unlink(&sock->link);
    if (h2o_linklist_is_linked(&sock->pending_link))
        h2o_linklist_unlink(&sock->pending_link);
    sock->in_pending = false;
}

/* --- idle pass ----------------------------------------------------------------------------- */

static void on_idle(uv_idle_t *h)
{
    eio_server_t *srv = h->data;
    /* a snapshot: what gets marked while this runs waits for the next iteration, so one pass
     * is bounded and a socket waiting for its 101 to be written does not spin here */
    h2o_linklist_t batch;
    h2o_linklist_init_anchor(&batch);
    h2o_linklist_insert_list(&batch, &srv->pending);
    while (!h2o_linklist_is_empty(&batch)) {
        eio_socket_t *sock = H2O_STRUCT_FROM_MEMBER(eio_socket_t, pending_link, batch.next);
        h2o_linklist_unlink(&sock->pending_link);
        sock->in_pending = false;
        if (sock->state == EIO_STATE_CLOSED)
            eio__socket_finalize(sock, true);
        else
            eio__socket_flush(sock);
    }
    if (h2o_linklist_is_empty(&srv->pending))
        uv_idle_stop(&srv->idle);
}

void eio__socket_mark_pending(eio_socket_t *sock)
{
    eio_server_t *srv = sock->srv;
    if (sock->in_pending || srv->freeing)
        return;
    sock->in_pending = true;
    h2o_linklist_insert(&srv->pending, &sock->pending_link);
    uv_idle_start(&srv->idle, on_idle); /* a no-op while it is active */
}

/* --- timers -------------------------------------------------------------------------------- */

static void on_ping_interval(eio_timer_entry_t *e)
{
    eio__hb_expired(H2O_STRUCT_FROM_MEMBER(eio_socket_t, hb, e), 0);
}

static void on_ping_timeout(eio_timer_entry_t *e)
{
    eio__hb_expired(H2O_STRUCT_FROM_MEMBER(eio_socket_t, hb, e), 1);
}

static void on_close_timeout(eio_timer_entry_t *e)
{
    eio__hb_expired(H2O_STRUCT_FROM_MEMBER(eio_socket_t, hb, e), 2);
}

static void on_upgrade_timeout(eio_timer_entry_t *e)
{
    eio_upgrade_t *up = H2O_STRUCT_FROM_MEMBER(eio_upgrade_t, timeout, e);
    log_info(MODULE, "socket %s: upgrade timeout", up->sock->sid);
    eio__upgrade_cancel(up->sock);
}

/* --- lifecycle ----------------------------------------------------------------------------- */

/* Inits one of the server's timer lists and counts its handle (see on_handle_closed). */
static void init_timers(eio_server_t *srv, eio_timer_list_t *l, uint64_t duration, eio_timer_cb cb)
{
    eio__timer_list_init(l, srv->loop, duration, cb);
    l->owner = srv;
    srv->handles_open++;
}

eio_server_t *eio_server_new(uv_loop_t *loop, const eio_config_t *conf, const eio_callbacks_t *cb,
                             void *data)
{
    if (conf->path == NULL || conf->path[0] != '/') {
        log_error(MODULE, "invalid path: must start with '/'");
        return NULL;
    }
    if (conf->ping_interval_ms == 0 || conf->ping_timeout_ms == 0 ||
        conf->upgrade_timeout_ms == 0) {
        log_error(MODULE, "invalid options: pingInterval, pingTimeout, upgradeTimeout must be > 0");
        return NULL;
    }
    if (conf->max_http_buffer_size == 0 || conf->max_http_buffer_size > INT_MAX ||
        (conf->transports & (EIO_TRANSPORT_POLLING | EIO_TRANSPORT_WEBSOCKET)) == 0) {
        /* the decoders return lengths as int */
        log_error(MODULE,
                  "invalid options: maxHttpBufferSize (1..INT_MAX) and transports must be set");
        return NULL;
    }
    if (conf->max_buffered_bytes > EIO_MAX_BUFFERED_BYTES_LIMIT) {
        /* the queued byte counts are 32-bit: a queue holds at most the bound plus one message */
        log_error(MODULE, "invalid options: max_buffered_bytes over %u",
                  EIO_MAX_BUFFERED_BYTES_LIMIT);
        return NULL;
    }
    if (sodium_init() < 0) {
        log_error(MODULE, "libsodium failed to initialise");
        return NULL;
    }
    eio_server_t *srv = xcalloc(1, sizeof(*srv));
    srv->loop = loop;
    srv->conf = *conf;
    srv->cb = *cb;
    srv->data = data;
    h2o_linklist_init_anchor(&srv->sockets);
    h2o_linklist_init_anchor(&srv->pending);
    srv->nbuckets = 64;
    srv->buckets = xcalloc(srv->nbuckets, sizeof(*srv->buckets));
    uv_idle_init(loop, &srv->idle);
    srv->idle.data = srv;
    srv->handles_open = 1; /* the idle handle; init_timers counts each list */
    init_timers(srv, &srv->ping_interval_timers, conf->ping_interval_ms, on_ping_interval);
    init_timers(srv, &srv->ping_timeout_timers, conf->ping_timeout_ms, on_ping_timeout);
    init_timers(srv, &srv->v3_timeout_timers,
                (uint64_t)conf->ping_interval_ms + conf->ping_timeout_ms, on_ping_timeout);
    init_timers(srv, &srv->upgrade_timers, conf->upgrade_timeout_ms, on_upgrade_timeout);
    init_timers(srv, &srv->close_timers, CLOSE_TIMEOUT_MS, on_close_timeout);
    init_timers(srv, &srv->ws_close_timers, WS_CLOSE_TIMEOUT_MS, eio__ws_close_timeout);
    return srv;
}

static int on_req(h2o_handler_t *self, h2o_req_t *req)
{
    eio_handler_t *h = (eio_handler_t *)self;
    if (h->srv == NULL)
        return -1;
    return eio_server_handle(h->srv, req);
}

int eio_server_attach(eio_server_t *srv, h2o_globalconf_t *globalconf, h2o_hostconf_t *host)
{
    UNUSED(globalconf);
    size_t len = strlen(srv->conf.path);
    char *path = xstrdup(srv->conf.path);
    if (len > 1 && path[len - 1] == '/')
        path[len - 1] = '\0';
    h2o_pathconf_t *pc = h2o_config_register_path(host, path, 0);
    free(path);
    eio_handler_t *h = (eio_handler_t *)h2o_create_handler(pc, sizeof(*h));
    h->super.on_req = on_req;
    h->srv = srv;
    srv->handler = h;
    return 0;
}

void eio_server_shutdown(eio_server_t *srv)
{
    srv->shutting_down = true;
    for (h2o_linklist_t *l = srv->sockets.next; l != &srv->sockets; l = l->next) {
        eio_socket_t *sock = H2O_STRUCT_FROM_MEMBER(eio_socket_t, link, l);
        if (sock->state == EIO_STATE_OPEN)
            eio_socket_close(sock, "server shutting down");
        else
            eio__socket_mark_pending(sock);
    }
}

size_t eio_server_socket_count(const eio_server_t *srv)
{
    return srv->count;
}

void eio_server_stats(const eio_server_t *srv, eio_server_stats_t *st)
{
    *st = srv->stats;
    st->sockets = srv->count;
}

static void on_handle_closed(uv_handle_t *h)
{
    eio_server_t *srv = h->type == UV_IDLE ? h->data : ((eio_timer_list_t *)h->data)->owner;
    if (--srv->handles_open == 0) {
        free(srv->buckets);
        free(srv);
    }
}

void eio_server_free(eio_server_t *srv)
{
    if (srv == NULL)
        return;
    srv->freeing = true;
    if (srv->handler != NULL)
        srv->handler->srv = NULL;
    while (!h2o_linklist_is_empty(&srv->sockets)) {
        eio_socket_t *sock = H2O_STRUCT_FROM_MEMBER(eio_socket_t, link, srv->sockets.next);
        eio__socket_finalize(sock, false);
    }
    /* the memory goes when libuv has closed every handle (the caller runs the loop once more) */
    uv_close((uv_handle_t *)&srv->idle, on_handle_closed);
    eio__timer_list_close(&srv->ping_interval_timers, on_handle_closed);
    eio__timer_list_close(&srv->ping_timeout_timers, on_handle_closed);
    eio__timer_list_close(&srv->v3_timeout_timers, on_handle_closed);
    eio__timer_list_close(&srv->upgrade_timers, on_handle_closed);
    eio__timer_list_close(&srv->close_timers, on_handle_closed);
    eio__timer_list_close(&srv->ws_close_timers, on_handle_closed);
}
