/* pg_backend.c - the PostgreSQL backend's connection pool on the libuv loop.
 *
 * Design: a few connections (PG_POOL_DEFAULT, or SIOC_STORE_PG_POOL), each opened with
 * PQconnectStartParams/PQconnectPoll driven by a uv_poll_t (numeric hosts only: libpq resolves
 * names with blocking DNS), then switched to non-blocking pipeline mode. Each connection has a
 * queue of requests waiting and a FIFO of requests in flight (at most PG_PIPELINE_MAX). A request
 * is one prepared statement (pg_ops.c; PREPAREd lazily, in the same pipeline segment, the first
 * time a connection uses it) followed by a PQpipelineSync, so each request is its own
 * transaction and an error never aborts a neighbour. Results come back in order: everything up
 * to PGRES_PIPELINE_SYNC belongs to the head of the FIFO.
 *
 * Routing: sends are routed by chat id to one connection, so sends to a chat run in the order
 * issued (seqs follow issue order); other requests go to the least loaded ready connection.
 * Requests wait while connections are being made; if none is up or coming, they fail with
 * -ENOTCONN (from the loop, never inside the call). A lost connection fails its in-flight
 * requests with -ENOTCONN (their outcome is unknown: a retried send is idempotent by
 * client_msg_id), moves its
 * queue to other connections, and reconnects with exponential backoff.
 *
 * Closing: once every queue and FIFO is empty and no deferred completion is pending, the
 * connections are finished and every handle closed; the last close callback frees the
 * backend. Loop thread only. */
#include "storage/pg_be.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void conn_start(pg_conn_t *c);
static void conn_fail(pg_conn_t *c, const char *why);
static void conn_pump(pg_conn_t *c);
static void dispatch(pg_be_t *be, store_req_t *req);
static void maybe_finish_close(pg_be_t *be);

/* ---- handles ---- */

static void be_free(pg_be_t *be)
{
    store_t *store = be->store;
    free(be->conns);
    free(be->url);
    free(be);
    store__backend_closed(store);
}

/* One of the backend's handles finished closing; the last one frees the backend. */
static void handle_gone(pg_be_t *be)
{
    if (--be->handles == 0)
        be_free(be);
}

static void on_handle_closed(uv_handle_t *h)
{
    handle_gone(h->data);
}

static void on_poll_closed(uv_handle_t *h)
{
    pg_be_t *be = ((pg_conn_t *)h->data)->be;
    free(h);
    handle_gone(be);
}

static void poll_close(pg_conn_t *c)
{
    if (c->poll == NULL)
        return;
    uv_poll_stop(c->poll);
    uv_close((uv_handle_t *)c->poll, on_poll_closed);
    c->poll = NULL;
    c->events = 0;
}

static void on_poll(uv_poll_t *h, int status, int events);

static int poll_open(pg_conn_t *c)
{
    c->poll = xmalloc(sizeof(*c->poll));
    if (uv_poll_init(c->be->store->loop, c->poll, c->fd) != 0) {
        free(c->poll);
        c->poll = NULL;
        return -1;
    }
    c->poll->data = c;
    c->be->handles++;
    c->events = 0;
    return 0;
}

static void set_events(pg_conn_t *c, int events)
{
    if (c->poll != NULL && events != c->events) {
        c->events = events;
        uv_poll_start(c->poll, events, on_poll);
    }
}

/* ---- completion ---- */

static void on_defer(uv_timer_t *t)
{
    pg_be_t *be = t->data;
    store_req_t *list = be->deferred;
    be->deferred = NULL;
    be->deferred_tail = &be->deferred;
    while (list != NULL) {
        store_req_t *next = list->next;
        store__complete(list);
        list = next;
    }
    maybe_finish_close(be);
}

/* Completes `r` with `status` on a later loop turn (never inside the caller's call). */
static void defer_complete(pg_be_t *be, store_req_t *r, int status)
{
    if (r->pg.res != NULL) {
        PQclear(r->pg.res);
        r->pg.res = NULL;
    }
    r->status = status;
    r->next = NULL;
    *be->deferred_tail = r;
    be->deferred_tail = &r->next;
    uv_timer_start(&be->defer, on_defer, 0, 0);
}

/* The head of the FIFO got its PGRES_PIPELINE_SYNC: run its callback, or queue it again. */
static void finish(pg_conn_t *c, store_req_t *r)
{
    int status = store__pg_result(r, r->pg.res);
    PQclear(r->pg.res);
    memset(&r->pg, 0, sizeof(r->pg));
    if (status == PG_RETRY) {
        memset(&r->res, 0, sizeof(r->res));
        log_debug(STORE_LOG, "postgres: op %d raced, trying again", (int)r->op);
        if (++r->attempts < PG_MAX_ATTEMPTS) {
            dispatch(c->be, r);
            return;
        }
        log_error(STORE_LOG, "postgres: op %d still racing after %d attempts", (int)r->op,
                  r->attempts);
        status = -EIO;
    }
    r->status = status; /* on failure store__complete() hands no partial result on */
    store__complete(r);
}

/* Reads every complete result; returns false if the connection broke. */
static bool drain(pg_conn_t *c)
{
    while (c->inflight != NULL && !PQisBusy(c->pg)) {
        store_req_t *r = c->inflight;
        PGresult *res = PQgetResult(c->pg);
        if (res == NULL) { /* end of one command's results */
            if (r->pg.saw_null)
                break; /* nothing more until more input arrives */
            r->pg.saw_null = true;
            continue;
        }
        r->pg.saw_null = false;
        ExecStatusType st = PQresultStatus(res);
        if (st == PGRES_PIPELINE_SYNC) {
            PQclear(res);
            c->inflight = r->next;
            if (c->inflight == NULL)
                c->inflight_tail = &c->inflight;
            c->n_inflight--;
            r->next = NULL;
            finish(c, r);
            continue;
        }
        if (r->pg.results++ == 0 && r->pg.prepared_here && st != PGRES_COMMAND_OK)
            c->prepared[r->op] = false; /* the PREPARE itself failed */
        /* keep the first error, else the last real result */
        const PGresult *kept = r->pg.res;
        if (kept != NULL &&
            (PQresultStatus(kept) == PGRES_FATAL_ERROR || st == PGRES_PIPELINE_ABORTED)) {
            PQclear(res);
        } else {
            PQclear(r->pg.res);
            r->pg.res = res;
        }
    }
    for (PGnotify *n = PQnotifies(c->pg); n != NULL; n = PQnotifies(c->pg))
        PQfreemem(n);
    return PQstatus(c->pg) != CONNECTION_BAD;
}

/* ---- connections ---- */

static void on_notice(void *arg, const char *msg)
{
    pg_conn_t *c = arg;
    log_debug(STORE_LOG, "postgres: connection %u: %s", c->index, msg);
}

static void on_reconnect(uv_timer_t *t)
{
    pg_conn_t *c = t->data;
    if (!c->be->store->closing && c->state == PGC_DOWN)
        conn_start(c);
}

static void on_connect_timeout(uv_timer_t *t)
{
    pg_conn_t *c = t->data;
    conn_fail(c, "connect timeout");
}

/* Drops the connection: in-flight requests fail, queued ones move, a reconnect is scheduled. */
static void conn_fail(pg_conn_t *c, const char *why)
{
    pg_be_t *be = c->be;
    char msg[256];
    snprintf(msg, sizeof(msg), "%s", why != NULL && why[0] != '\0' ? why : "connection lost");
    msg[strcspn(msg, "\n")] = '\0';
    log_warn(STORE_LOG, "postgres: connection %u: %s", c->index, msg);
    uv_timer_stop(&c->timer);
    poll_close(c);
    if (c->pg != NULL)
        PQfinish(c->pg);
    c->pg = NULL;
    c->fd = -1;
    c->state = PGC_DOWN;
    c->want_write = false;
    memset(c->prepared, 0, sizeof(c->prepared));
    while (c->inflight != NULL) {
        store_req_t *r = c->inflight;
        c->inflight = r->next;
        defer_complete(be, r, -ENOTCONN);
    }
    c->inflight_tail = &c->inflight;
    c->n_inflight = 0;
    store_req_t *q = c->queue;
    c->queue = NULL;
    c->queue_tail = &c->queue;
    c->n_queue = 0;
    while (q != NULL) {
        store_req_t *next = q->next;
        dispatch(be, q);
        q = next;
    }
    if (!be->store->closing) {
        c->backoff_ms = c->backoff_ms == 0 ? PG_BACKOFF_MIN : c->backoff_ms * 2;
        if (c->backoff_ms > PG_BACKOFF_MAX)
            c->backoff_ms = PG_BACKOFF_MAX;
        uv_timer_start(&c->timer, on_reconnect, c->backoff_ms, 0);
    }
    maybe_finish_close(be);
}

static void connect_step(pg_conn_t *c)
{
    PostgresPollingStatusType st = PQconnectPoll(c->pg);
    int fd = PQsocket(c->pg);
    if (st != PGRES_POLLING_FAILED && fd != c->fd) { /* libpq moved to another socket */
        poll_close(c);
        c->fd = fd;
        if (fd < 0 || poll_open(c) != 0) {
            conn_fail(c, "cannot watch the socket");
            return;
        }
    }
    switch (st) {
    case PGRES_POLLING_READING:
        set_events(c, UV_READABLE);
        break;
    case PGRES_POLLING_WRITING:
        set_events(c, UV_WRITABLE);
        break;
    case PGRES_POLLING_OK:
        uv_timer_stop(&c->timer);
        if (PQsetnonblocking(c->pg, 1) != 0 || PQenterPipelineMode(c->pg) != 1) {
            conn_fail(c, PQerrorMessage(c->pg));
            return;
        }
        c->state = PGC_READY;
        c->backoff_ms = 0;
        log_debug(STORE_LOG, "postgres: connection %u ready", c->index);
        set_events(c, UV_READABLE);
        conn_pump(c);
        break;
    default:
        conn_fail(c, PQerrorMessage(c->pg));
        break;
    }
}

static void conn_start(pg_conn_t *c)
{
    const char *kw[4], *val[4];
    store__pg_conninfo(c->be->url, kw, val);
    c->pg = PQconnectStartParams(kw, val, 1);
    if (c->pg == NULL || PQstatus(c->pg) == CONNECTION_BAD) {
        conn_fail(c, c->pg != NULL ? PQerrorMessage(c->pg) : "out of memory");
        return;
    }
    PQsetNoticeProcessor(c->pg, on_notice, c);
    c->state = PGC_CONNECTING;
    c->fd = PQsocket(c->pg);
    if (c->fd < 0 || poll_open(c) != 0) {
        conn_fail(c, "cannot watch the socket");
        return;
    }
    set_events(c, UV_WRITABLE); /* as if PQconnectPoll had said PGRES_POLLING_WRITING */
    uv_timer_start(&c->timer, on_connect_timeout, PG_CONNECT_MS, 0);
}

/* Sends queued requests while the pipeline has room, then flushes. */
static void conn_pump(pg_conn_t *c)
{
    if (c->state != PGC_READY || c->in_io)
        return;
    while (c->queue != NULL && c->n_inflight < PG_PIPELINE_MAX) {
        store_req_t *r = c->queue;
        c->queue = r->next;
        if (c->queue == NULL)
            c->queue_tail = &c->queue;
        c->n_queue--;
        r->next = NULL;
        *c->inflight_tail = r;
        c->inflight_tail = &r->next;
        c->n_inflight++;

        const char *vals[PG_MAX_PARAMS];
        int n = store__pg_params(r, vals);
        char name[32];
        snprintf(name, sizeof(name), "sioc_%d", (int)r->op);
        bool ok = true;
        memset(&r->pg, 0, sizeof(r->pg));
        if (!c->prepared[r->op]) {
            ok = PQsendPrepare(c->pg, name, store__pg_sql(r->op), n, NULL) == 1;
            c->prepared[r->op] = true;
            r->pg.prepared_here = true;
        }
        ok = ok && PQsendQueryPrepared(c->pg, name, n, vals, NULL, NULL, 0) == 1;
        ok = ok && PQpipelineSync(c->pg) == 1;
        if (!ok) {
            conn_fail(c, PQerrorMessage(c->pg));
            return;
        }
    }
    int f = PQflush(c->pg);
    if (f < 0) {
        conn_fail(c, PQerrorMessage(c->pg));
        return;
    }
    c->want_write = f == 1;
    set_events(c, UV_READABLE | (c->want_write ? UV_WRITABLE : 0));
}

static void on_poll(uv_poll_t *h, int status, int events)
{
    pg_conn_t *c = h->data;
    if (c->poll != h)
        return; /* a handle being replaced */
    if (status < 0) {
        /* POLLERR (e.g. an RST after writing to a backend the server killed): libuv has
         * stopped the handle before calling us, so forget the armed events or set_events()
         * would never start it again and the requests in flight would wait forever. */
        c->events = 0;
    }
    if (c->state == PGC_CONNECTING) {
        connect_step(c);
        return;
    }
    if (c->state != PGC_READY)
        return;
    if (status < 0)
        events |= UV_READABLE; /* let libpq find out what happened (it may read first) */
    bool ok = true;
    c->in_io = true;
    if ((events & UV_WRITABLE) && c->want_write) {
        int f = PQflush(c->pg);
        ok = f >= 0;
        c->want_write = f == 1;
    }
    if (ok && (events & UV_READABLE))
        ok = PQconsumeInput(c->pg) == 1 && drain(c);
    c->in_io = false;
    if (!ok) {
        conn_fail(c, PQerrorMessage(c->pg));
        return;
    }
    conn_pump(c);
    maybe_finish_close(c->be);
}

/* ---- routing ---- */

static size_t load(const pg_conn_t *c)
{
    return c->n_queue + c->n_inflight;
}

static void dispatch(pg_be_t *be, store_req_t *r)
{
    pg_conn_t *target = NULL, *pref = NULL;
    if (r->op == STORE_OP_MESSAGE_SEND || r->op == STORE_OP_DESK_INBOUND ||
        r->op == STORE_OP_DESK_OUTBOUND) { /* by chat, customer, service */
        pref = &be->conns[(uint64_t)r->a[0] % be->n_conns];
        if (pref->state != PGC_DOWN)
            target = pref; /* keep the chat's order, even while it (re)connects */
    }
    for (unsigned i = 0; target == NULL && i < be->n_conns; i++) {
        pg_conn_t *c = &be->conns[i];
        if (c->state == PGC_READY)
            target = c;
    }
    if (target != NULL && target->state == PGC_READY && target != pref) {
        for (unsigned i = 0; i < be->n_conns; i++) {
            pg_conn_t *c = &be->conns[i];
            if (c->state == PGC_READY && load(c) < load(target))
                target = c;
        }
    }
    for (unsigned i = 0; target == NULL && i < be->n_conns; i++) {
        pg_conn_t *c = &be->conns[i];
        if (c->state == PGC_CONNECTING)
            target = c;
    }
    if (target == NULL) {
        defer_complete(be, r, -ENOTCONN); /* no connection up or coming */
        return;
    }
    r->next = NULL;
    *target->queue_tail = r;
    target->queue_tail = &r->next;
    target->n_queue++;
    conn_pump(target);
}

/* ---- backend interface ---- */

static void pg_submit(store_t *store, store_req_t *req)
{
    dispatch(store->impl, req);
}

static int pg_migrate_sync(store_t *store, char *err, size_t errlen)
{
    pg_be_t *be = store->impl;
    return store__pg_migrate(be->url, err, errlen);
}

static void maybe_finish_close(pg_be_t *be)
{
    if (!be->store->closing || be->closing_started || be->deferred != NULL)
        return;
    for (unsigned i = 0; i < be->n_conns; i++) {
        pg_conn_t *c = &be->conns[i];
        if (c->in_io || c->n_queue > 0 || c->n_inflight > 0)
            return;
    }
    be->closing_started = true;
    for (unsigned i = 0; i < be->n_conns; i++) {
        pg_conn_t *c = &be->conns[i];
        poll_close(c);
        if (c->pg != NULL)
            PQfinish(c->pg);
        c->pg = NULL;
        c->state = PGC_DOWN;
        uv_timer_stop(&c->timer);
        c->timer.data = be;
        uv_close((uv_handle_t *)&c->timer, on_handle_closed);
    }
    uv_close((uv_handle_t *)&be->defer, on_handle_closed);
}

static void pg_close(store_t *store)
{
    maybe_finish_close(store->impl);
}

/* Accepts only URLs libpq parses whose hosts are numeric addresses or socket directories. */
static int check_url(const char *url)
{
    char *err = NULL;
    PQconninfoOption *opts = PQconninfoParse(url, &err);
    if (opts == NULL) {
        log_error(STORE_LOG, "postgres: bad URL: %s", err != NULL ? err : "out of memory");
        PQfreemem(err);
        return -EINVAL;
    }
    int rc = 0;
    for (PQconninfoOption *o = opts; o->keyword != NULL; o++) {
        if (strcmp(o->keyword, "host") != 0 || o->val == NULL)
            continue;
        char *hosts = xstrdup(o->val), *save = NULL;
        for (char *h = strtok_r(hosts, ",", &save); h != NULL; h = strtok_r(NULL, ",", &save)) {
            unsigned char addr[16];
            if (h[0] != '/' && inet_pton(AF_INET, h, addr) != 1 &&
                inet_pton(AF_INET6, h, addr) != 1) {
                log_error(STORE_LOG,
                          "postgres: host \"%s\" is not a numeric address (libpq would"
                          " resolve it with blocking DNS); use e.g. 127.0.0.1",
                          h);
                rc = -EINVAL;
            }
        }
        free(hosts);
    }
    PQconninfoFree(opts);
    return rc;
}

int store__pg_open(store_t *store, const char *url)
{
    int rc = check_url(url);
    if (rc != 0)
        return rc;
    pg_be_t *be = xcalloc(1, sizeof(*be));
    be->store = store;
    be->url = xstrdup(url);
    be->n_conns = PG_POOL_DEFAULT;
    const char *env = getenv("SIOC_STORE_PG_POOL");
    if (env != NULL && atoi(env) >= 1 && atoi(env) <= 64)
        be->n_conns = (unsigned)atoi(env);
    be->conns = xcalloc(be->n_conns, sizeof(*be->conns));
    be->deferred_tail = &be->deferred;
    uv_timer_init(store->loop, &be->defer);
    be->defer.data = be;
    be->handles = 1;
    store->impl = be;
    for (unsigned i = 0; i < be->n_conns; i++) {
        pg_conn_t *c = &be->conns[i];
        c->be = be;
        c->index = i;
        c->fd = -1;
        c->queue_tail = &c->queue;
        c->inflight_tail = &c->inflight;
        uv_timer_init(store->loop, &c->timer);
        c->timer.data = c;
        be->handles++;
    }
    for (unsigned i = 0; i < be->n_conns; i++)
        conn_start(&be->conns[i]);
    return 0;
}

const store_backend_t store__pg_backend = {
    .name = "postgres",
    .submit = pg_submit,
    .migrate_sync = pg_migrate_sync,
    .close = pg_close,
};
