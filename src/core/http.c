/* http_server.c - the h2o + libuv HTTP front (see http_server.h).
 *
 * Design: srv_http_t embeds the h2o global config, context and accept context, the listener and
 * a stop timer. Each accepted connection is a malloc'ed `conn_t` whose first member is the
 * uv_tcp_t handed to h2o (h2o owns handle->data, so we find our struct from the handle address).
 * Connections sit in a list so that the graceful stop can count them and shut them down for
 * reading: an idle HTTP/1 keep-alive connection has no other way out before h2o's 10 s
 * req_timeout, and h2o_context_dispose() asserts while any connection is open.
 *
 * The stop runs in phases driven by one timer: (0) close the listener, request h2o shutdown (no
 * more keep-alive), run the stop hooks, shut every engine down; (1) after SRV_HTTP_IDLE_GRACE_MS,
 * shutdown(SHUT_RD) on each remaining socket (reading ones see EOF and close; writes still flush);
 * (2) at the deadline, give up and report an unclean stop. Whenever the last connection closes
 * during the stop, the stop ends clean. `on_stopped` is always called from a timer, never from
 * srv_http_stop itself.
 *
 * Bodies too large: h2o refuses them before any handler (a Content-Length over the limit at
 * once, a chunked body as it grows over it) in plain text, then closes while the client is still
 * sending, which resets the connection before the client reads the answer. Under the prefixes
 * given to srv_http_set_too_large_body a filter on the host's fallback path turns that answer
 * into the API's JSON and keeps a dup of the socket: once h2o closed its own, we send the FIN
 * and read and discard for a while (lingering close), so the client gets the answer. */
#include "src/core/http.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#define LOG_MOD "http"

typedef struct st_conn_t {
    uv_tcp_t tcp; /* first: the close callback gets its address */
    srv_http_t *http;
    h2o_linklist_t link; /* in srv_http_t.conns */
    int linger_fd;       /* a dup of the socket to linger on once h2o closed it, or -1 */
} conn_t;

/* A socket h2o closed after refusing a body it did not read: we keep reading and discarding
 * for a while (nginx's lingering close), so that the client, still sending, reads the answer
 * instead of a reset. */
typedef struct st_linger_t {
    uv_poll_t poll;
    uv_timer_t timer;
    int fd;
    int open_handles;
    size_t discarded;
    h2o_linklist_t link; /* in srv_http_t.lingers */
} linger_t;

#define LINGER_MS        5000
#define LINGER_MAX_BYTES (256u << 20)

typedef struct st_path_handler_t {
    h2o_handler_t super; /* first: h2o hands us this pointer */
    srv_http_on_req cb;
    void *data;
    size_t max_body; /* bytes; a larger body is answered 413 before `cb` */
} path_handler_t;

typedef struct st_stop_hook_t {
    srv_http_stop_hook fn;
    void *data;
} stop_hook_t;

typedef enum en_stop_phase_t {
    STOP_NONE = 0, /* running (or not yet listening) */
    STOP_DRAIN,    /* waiting for connections to close */
    STOP_SHUT_RD,  /* remaining sockets were shut down for reading */
    STOP_DONE,     /* on_stopped was called */
} stop_phase_t;

struct st_srv_http_t {
    uv_loop_t *loop;
    h2o_globalconf_t globalconf;
    h2o_hostconf_t *host;
    h2o_context_t ctx;
    h2o_accept_ctx_t accept_ctx;
    bool ctx_inited;      /* h2o_context_init was called (srv_http_listen) */
    uv_tcp_t listener;    /* valid if listener_inited */
    bool listener_inited; /* uv_tcp_init done: must be closed */
    unsigned port;        /* bound port, 0 until listening */
    eio_server_t **eios;  /* attached engines (borrowed) */
    size_t eio_count;
    stop_hook_t *hooks; /* srv_http_add_stop_hook, run in order */
    size_t hook_count;
    h2o_linklist_t conns;   /* conn_t.link */
    h2o_linklist_t lingers; /* linger_t.link */
    size_t conn_count;
    size_t default_max_body; /* srv_http_new's limit: every handler's unless it asks for more */
    char *spill_template;    /* srv_http_set_body_spill: h2o's mmap temp file template */
    /* graceful stop */
    uv_timer_t stop_timer; /* initialised in srv_http_new, closed in srv_http_free */
    stop_phase_t phase;
    bool clean;           /* the stop ended with no connection left */
    uint64_t deadline_at; /* uv_now() of the deadline */
    srv_http_on_stopped on_stopped;
    void *on_stopped_data;
};

static void raise_nofile_limit(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= rl.rlim_max)
        return;
    rlim_t old = rl.rlim_cur;
    rl.rlim_cur = rl.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &rl) == 0)
        log_debug(LOG_MOD, "RLIMIT_NOFILE raised from %llu to %llu", (unsigned long long)old,
                  (unsigned long long)rl.rlim_max);
    else
        log_warn(LOG_MOD, "cannot raise RLIMIT_NOFILE: %s", strerror(errno));
}

srv_http_t *srv_http_new(uv_loop_t *loop, size_t max_request_entity_size)
{
    srv_http_t *http = xcalloc(1, sizeof(*http));
    http->loop = loop;
    h2o_config_init(&http->globalconf);
    http->globalconf.server_name = h2o_iovec_init(H2O_STRLIT("sioc"));
    http->globalconf.max_request_entity_size = max_request_entity_size;
    http->default_max_body = max_request_entity_size;
    http->host =
        h2o_config_register_host(&http->globalconf, h2o_iovec_init(H2O_STRLIT("default")), 65535);
    h2o_linklist_init_anchor(&http->conns);
    h2o_linklist_init_anchor(&http->lingers);
    uv_timer_init(loop, &http->stop_timer);
    http->stop_timer.data = http;
    return http;
}

static int on_path_req(h2o_handler_t *self, h2o_req_t *req)
{
    path_handler_t *h = (path_handler_t *)self;
    if (req->entity.base != NULL && req->entity.len > h->max_body) {
        /* h2o read it (another handler allows more): the same 413 as h2o's own */
        srv_http_send_error(req, 413, NULL, "payload_too_large", "the body is too large");
        return 0;
    }
    return h->cb(req, h->data);
}

int srv_http_add_handler_body(srv_http_t *http, const char *path, srv_http_on_req cb, void *data,
                              unsigned flags, size_t max_body)
{
    if (http->ctx_inited)
        return -EBUSY;
    h2o_pathconf_t *pathconf = h2o_config_register_path(http->host, path, 0);
    path_handler_t *h = (path_handler_t *)h2o_create_handler(pathconf, sizeof(*h));
    h->super.on_req = on_path_req;
    h->cb = cb;
    h->data = data;
    h->max_body = max_body;
    if (max_body > http->globalconf.max_request_entity_size)
        http->globalconf.max_request_entity_size = max_body;
    if (flags & SRV_HTTP_COMPRESS) {
        /* level 6 like nginx's gzip_comp_level default; small bodies are not worth a frame */
        h2o_compress_args_t args = {.min_size = 256, .gzip = {.quality = 6}, .brotli = {-1}};
        h2o_compress_register(pathconf, &args);
    }
    return 0;
}

int srv_http_add_handler_flags(srv_http_t *http, const char *path, srv_http_on_req cb, void *data,
                               unsigned flags)
{
    return srv_http_add_handler_body(http, path, cb, data, flags, http->default_max_body);
}

int srv_http_set_body_spill(srv_http_t *http, size_t threshold, const char *dir)
{
    if (http->ctx_inited)
        return -EBUSY;
    free(http->spill_template);
    size_t n = strlen(dir) + sizeof("/h2o.b.XXXXXX");
    if (n > sizeof(h2o_socket_buffer_mmap_settings.fn_template))
        return -ENAMETOOLONG;
    http->spill_template = xmalloc(n);
    snprintf(http->spill_template, n, "%s/h2o.b.XXXXXX", dir);
    /* h2o's one global: every socket buffer that grows past `threshold` moves to an unlinked
     * temp file mapping (lib/common/memory.c h2o_buffer_reserve) */
    h2o_socket_buffer_mmap_settings.threshold = threshold;
    memcpy(h2o_socket_buffer_mmap_settings.fn_template, http->spill_template, n);
    return 0;
}

int srv_http_add_handler(srv_http_t *http, const char *path, srv_http_on_req cb, void *data)
{
    return srv_http_add_handler_flags(http, path, cb, data, 0);
}

int srv_http_attach_engine(srv_http_t *http, eio_server_t *eio)
{
    if (http->ctx_inited)
        return -EBUSY;
    int rc = eio_server_attach(eio, &http->globalconf, http->host);
    if (rc != 0)
        return rc;
    http->eios = xrealloc(http->eios, (http->eio_count + 1) * sizeof(*http->eios));
    http->eios[http->eio_count++] = eio;
    return 0;
}

/* --- h2o's own 413 as JSON --- */

/* h2o answers a body over max_request_entity_size itself, before any handler, in plain text (a
 * Content-Length over it at once, a chunked body as soon as it grows over it), through the
 * host's fallback path: a filter there swaps that answer's body for ours under `prefix`. */
typedef struct st_too_large_filter_t {
    h2o_filter_t super;
    srv_http_t *http;
    char *prefix;
    char *body;
} too_large_filter_t;

typedef struct st_too_large_ostream_t {
    h2o_ostream_t super;
    too_large_filter_t *f;
    bool sent;
} too_large_ostream_t;

static void too_large_send(h2o_ostream_t *self, h2o_req_t *req, h2o_iovec_t *bufs, size_t bufcnt,
                           h2o_send_state_t state)
{
    too_large_ostream_t *o = (too_large_ostream_t *)self;
    h2o_iovec_t b = h2o_iovec_init(o->f->body, strlen(o->f->body));
    UNUSED(bufs);
    if (bufcnt != 0 && !o->sent) {
        o->sent = true;
        h2o_ostream_send_next(self, req, &b, 1, state);
    } else {
        h2o_ostream_send_next(self, req, NULL, 0, state);
    }
}

/* The connection of `req` will be closed with the client still sending: linger on it. */
static void mark_linger(srv_http_t *http, h2o_req_t *req)
{
    h2o_socket_t *sock = req->conn->callbacks->get_socket != NULL
                             ? req->conn->callbacks->get_socket(req->conn)
                             : NULL;
    int fd = sock != NULL ? h2o_socket_get_fd(sock) : -1;
    for (h2o_linklist_t *l = http->conns.next; fd >= 0 && l != &http->conns; l = l->next) {
        conn_t *conn = H2O_STRUCT_FROM_MEMBER(conn_t, link, l);
        uv_os_fd_t cfd;
        if (conn->linger_fd < 0 && uv_fileno((uv_handle_t *)&conn->tcp, &cfd) == 0 && cfd == fd) {
            conn->linger_fd = dup(fd);
            return;
        }
    }
}

static void too_large_setup(h2o_filter_t *self, h2o_req_t *req, h2o_ostream_t **slot)
{
    too_large_filter_t *f = (too_large_filter_t *)self;
    size_t plen = strlen(f->prefix);
    if (req->res.status == 413 && req->input.path.len >= plen &&
        memcmp(req->input.path.base, f->prefix, plen) == 0) {
        ssize_t ct = h2o_find_header(&req->res.headers, H2O_TOKEN_CONTENT_TYPE, -1);
        if (ct >= 0)
            req->res.headers.entries[ct].value =
                h2o_iovec_init(H2O_STRLIT("application/json; charset=utf-8"));
        req->res.content_length = strlen(f->body);
        mark_linger(f->http, req);
        too_large_ostream_t *o = (too_large_ostream_t *)h2o_add_ostream(req, sizeof(*o), slot);
        o->f = f;
        o->sent = false;
        o->super.do_send = too_large_send;
        slot = &o->super.next;
    }
    h2o_setup_next_ostream(req, slot);
}

static void too_large_dispose(h2o_filter_t *self)
{
    too_large_filter_t *f = (too_large_filter_t *)self;
    free(f->prefix);
    free(f->body);
}

int srv_http_set_too_large_body(srv_http_t *http, const char *prefix, const char *json_body)
{
    if (http->ctx_inited)
        return -EBUSY;
    too_large_filter_t *f =
        (too_large_filter_t *)h2o_create_filter(&http->host->fallback_path, sizeof(*f));
    f->http = http;
    f->prefix = xstrdup(prefix);
    f->body = xstrdup(json_body);
    f->super.on_setup_ostream = too_large_setup;
    f->super.dispose = too_large_dispose;
    return 0;
}

int srv_http_add_stop_hook(srv_http_t *http, srv_http_stop_hook hook, void *data)
{
    http->hooks = xrealloc(http->hooks, (http->hook_count + 1) * sizeof(*http->hooks));
    http->hooks[http->hook_count].fn = hook;
    http->hooks[http->hook_count].data = data;
    http->hook_count++;
    return 0;
}

static void on_stop_timer(uv_timer_t *timer);

static void on_linger_handle_closed(uv_handle_t *h)
{
    linger_t *l = h->data;
    if (--l->open_handles == 0)
        free(l);
}

static void linger_end(linger_t *l)
{
    h2o_linklist_unlink(&l->link);
    uv_poll_stop(&l->poll);
    uv_timer_stop(&l->timer);
    uv_close((uv_handle_t *)&l->poll, on_linger_handle_closed);
    uv_close((uv_handle_t *)&l->timer, on_linger_handle_closed);
    close(l->fd); /* after the poll is stopped: libuv forbids closing a polled fd */
}

static void on_linger_readable(uv_poll_t *p, int status, int events)
{
    linger_t *l = p->data;
    char buf[65536];
    ssize_t n = 0;
    UNUSED(events);
    while (status == 0 && l->discarded < LINGER_MAX_BYTES &&
           (n = read(l->fd, buf, sizeof(buf))) > 0)
        l->discarded += (size_t)n;
    if (status != 0 || n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR) ||
        l->discarded >= LINGER_MAX_BYTES)
        linger_end(l);
}

static void on_linger_timeout(uv_timer_t *t)
{
    linger_end(t->data);
}

/* h2o has closed its handle on the socket (its answer is written): send our FIN after it and
 * read what the client still sends, until it closes, LINGER_MS pass or LINGER_MAX_BYTES came. */
static void linger_start(srv_http_t *http, int fd)
{
    linger_t *l = xcalloc(1, sizeof(*l));
    l->fd = fd;
    shutdown(fd, SHUT_WR);
    if (uv_poll_init(http->loop, &l->poll, fd) != 0) {
        close(fd);
        free(l);
        return;
    }
    uv_timer_init(http->loop, &l->timer);
    l->poll.data = l->timer.data = l;
    l->open_handles = 2;
    h2o_linklist_insert(&http->lingers, &l->link);
    uv_poll_start(&l->poll, UV_READABLE | UV_DISCONNECT, on_linger_readable);
    uv_timer_start(&l->timer, on_linger_timeout, LINGER_MS, 0);
}

static void on_conn_close(uv_handle_t *handle)
{
    conn_t *conn = (conn_t *)handle;
    srv_http_t *http = conn->http;
    if (conn->linger_fd >= 0)
        linger_start(http, conn->linger_fd);
    h2o_linklist_unlink(&conn->link);
    http->conn_count--;
    free(conn);
    if (http->conn_count == 0 && (http->phase == STOP_DRAIN || http->phase == STOP_SHUT_RD)) {
        /* end the stop from a timer callback, not from inside h2o's close path */
        uv_timer_start(&http->stop_timer, on_stop_timer, 0, 0);
    }
}

static void on_accept_close(uv_handle_t *handle)
{
    free(handle);
}

static void on_connection(uv_stream_t *listener, int status)
{
    srv_http_t *http = listener->data;
    if (status != 0) {
        log_warn(LOG_MOD, "accept: %s", uv_strerror(status));
        return;
    }
    conn_t *conn = xcalloc(1, sizeof(*conn));
    uv_tcp_init(http->loop, &conn->tcp);
    int rc = uv_accept(listener, (uv_stream_t *)&conn->tcp);
    if (rc != 0) {
        /* e.g. EMFILE: the connection stays in the backlog; retried on the next event */
        log_warn(LOG_MOD, "accept: %s", uv_strerror(rc));
        uv_close((uv_handle_t *)&conn->tcp, on_accept_close);
        return;
    }
    uv_tcp_nodelay(&conn->tcp, 1); /* small Engine.IO frames must not wait for Nagle */
    conn->http = http;
    conn->linger_fd = -1;
    h2o_linklist_insert(&http->conns, &conn->link);
    http->conn_count++;
    h2o_socket_t *sock = h2o_uv_socket_create((uv_stream_t *)&conn->tcp, on_conn_close);
    h2o_accept(&http->accept_ctx, sock);
}

int srv_http_listen(srv_http_t *http, const char *host, unsigned port)
{
    struct sockaddr_storage addr;
    int rc;
    if (http->ctx_inited)
        return -EBUSY;
    signal(SIGPIPE, SIG_IGN); /* libuv does not; a write to a closed peer would kill us */
    raise_nofile_limit();

    if (strchr(host, ':') != NULL)
        rc = uv_ip6_addr(host, (int)port, (struct sockaddr_in6 *)&addr);
    else
        rc = uv_ip4_addr(host, (int)port, (struct sockaddr_in *)&addr);
    if (rc != 0) {
        log_error(LOG_MOD, "invalid listen address %s: %s", host, uv_strerror(rc));
        return rc;
    }
    h2o_context_init(&http->ctx, http->loop, &http->globalconf);
    http->ctx_inited = true;
    http->accept_ctx.ctx = &http->ctx;
    http->accept_ctx.hosts = http->globalconf.hosts;

    uv_tcp_init(http->loop, &http->listener);
    http->listener_inited = true;
    http->listener.data = http;
    /* uv_tcp_bind sets SO_REUSEADDR on Unix, so a restart does not wait for TIME_WAIT */
    rc = uv_tcp_bind(&http->listener, (const struct sockaddr *)&addr, 0);
    if (rc == 0)
        rc = uv_listen((uv_stream_t *)&http->listener, 4096, on_connection);
    if (rc != 0) {
        log_error(LOG_MOD, "cannot listen on %s port %u: %s", host, port, uv_strerror(rc));
        return rc;
    }
    struct sockaddr_storage bound;
    int len = (int)sizeof(bound);
    rc = uv_tcp_getsockname(&http->listener, (struct sockaddr *)&bound, &len);
    if (rc != 0) {
        log_error(LOG_MOD, "getsockname: %s", uv_strerror(rc));
        return rc;
    }
    if (bound.ss_family == AF_INET6)
        http->port = ntohs(((struct sockaddr_in6 *)&bound)->sin6_port);
    else
        http->port = ntohs(((struct sockaddr_in *)&bound)->sin_port);
    return 0;
}

unsigned srv_http_port(const srv_http_t *http)
{
    return http->port;
}

size_t srv_http_connection_count(const srv_http_t *http)
{
    return http->conn_count;
}

h2o_context_t *srv_http_context(srv_http_t *http)
{
    return http->ctx_inited ? &http->ctx : NULL;
}

bool srv_http_stopped_clean(const srv_http_t *http)
{
    return http->phase == STOP_DONE && http->clean;
}

static void finish_stop(srv_http_t *http, bool clean)
{
    http->phase = STOP_DONE;
    http->clean = clean;
    uv_timer_stop(&http->stop_timer);
    if (!clean)
        log_warn(LOG_MOD, "%zu connection(s) still open at the shutdown deadline",
                 http->conn_count);
    if (http->on_stopped != NULL)
        http->on_stopped(http, clean, http->on_stopped_data);
}

static void shut_down_reads(srv_http_t *http)
{
    for (h2o_linklist_t *l = http->conns.next; l != &http->conns; l = l->next) {
        conn_t *conn = H2O_STRUCT_FROM_MEMBER(conn_t, link, l);
        uv_os_fd_t fd;
        if (uv_fileno((uv_handle_t *)&conn->tcp, &fd) == 0)
            shutdown(fd, SHUT_RD); /* the socket's reader sees EOF; pending writes still flush */
    }
}

/* The single timer of the stop: each run moves to the phase that time or the connection count
 * calls for, and re-arms itself for the next one. */
static void on_stop_timer(uv_timer_t *timer)
{
    srv_http_t *http = timer->data;
    uint64_t now = uv_now(http->loop);
    if (http->phase == STOP_DONE || http->phase == STOP_NONE)
        return;
    if (http->conn_count == 0) {
        finish_stop(http, true);
        return;
    }
    if (now >= http->deadline_at) {
        finish_stop(http, false);
        return;
    }
    if (http->phase == STOP_DRAIN) {
        log_debug(LOG_MOD, "shutting down reads of %zu idle connection(s)", http->conn_count);
        http->phase = STOP_SHUT_RD;
        shut_down_reads(http);
    }
    uv_timer_start(&http->stop_timer, on_stop_timer, http->deadline_at - now, 0);
}

int srv_http_stop(srv_http_t *http, unsigned deadline_ms, srv_http_on_stopped on_stopped,
                  void *data)
{
    if (http->phase != STOP_NONE)
        return -EALREADY;
    http->phase = STOP_DRAIN;
    http->on_stopped = on_stopped;
    http->on_stopped_data = data;
    uint64_t now = uv_now(http->loop);
    http->deadline_at = now + deadline_ms;
    log_info(LOG_MOD, "stopping: %zu connection(s) open", http->conn_count);
    if (http->listener_inited && !uv_is_closing((uv_handle_t *)&http->listener))
        uv_close((uv_handle_t *)&http->listener, NULL);
    if (http->ctx_inited)
        h2o_context_request_shutdown(&http->ctx); /* no keep-alive from now on */
    for (size_t i = 0; i < http->hook_count; i++)
        http->hooks[i].fn(http, http->hooks[i].data);
    for (size_t i = 0; i < http->eio_count; i++)
        eio_server_shutdown(http->eios[i]);
    unsigned grace = deadline_ms < SRV_HTTP_IDLE_GRACE_MS ? deadline_ms : SRV_HTTP_IDLE_GRACE_MS;
    if (http->conn_count == 0)
        grace = 1; /* nothing to wait for but the engines' deferred close callbacks */
    uv_timer_start(&http->stop_timer, on_stop_timer, grace, 0);
    return 0;
}

void srv_http_free(srv_http_t *http)
{
    if (http == NULL)
        return;
    if (http->listener_inited && !uv_is_closing((uv_handle_t *)&http->listener))
        uv_close((uv_handle_t *)&http->listener, NULL);
    uv_close((uv_handle_t *)&http->stop_timer, NULL);
    while (!h2o_linklist_is_empty(&http->lingers))
        linger_end(H2O_STRUCT_FROM_MEMBER(linger_t, link, http->lingers.next));
    if (http->conn_count == 0) {
        if (http->ctx_inited) {
            /* h2o_context_request_shutdown links an HTTP/2 GOAWAY timer that would make
             * h2o_context_dispose assert */
            if (h2o_timeout_is_linked(&http->ctx.http2._graceful_shutdown_timeout))
                h2o_timeout_unlink(&http->ctx.http2._graceful_shutdown_timeout);
            h2o_context_dispose(&http->ctx);
        }
        h2o_config_dispose(&http->globalconf);
        /* h2o closed the handles embedded in ctx; let libuv finish with them before free */
        uv_run(http->loop, UV_RUN_NOWAIT);
        free(http->eios);
        free(http->hooks);
        free(http->spill_template);
        free(http);
    } else {
        /* h2o cannot be torn down under open connections; the process is about to exit */
        log_warn(LOG_MOD, "not disposing h2o: %zu connection(s) open", http->conn_count);
        uv_run(http->loop, UV_RUN_NOWAIT);
    }
}
