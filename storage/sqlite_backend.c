/* sqlite_backend.c - the SQLite backend's machinery: opening the file, the worker thread, the
 * job queues and the hand-back of results to the loop.
 *
 * Design: exactly one thread ever uses the connection (after open), so every write is serial:
 * that alone makes per-chat sequence numbers gapless and strictly ordered, and a FIFO job queue
 * keeps the order in which the loop issued operations. The worker takes everything queued (up
 * to BATCH_MAX) and runs it as ONE transaction with a SAVEPOINT per request (group commit): a
 * failing request rolls back only its own savepoint, and the callbacks of the whole batch run
 * only after COMMIT returned, so nothing is acknowledged before it is durable (WAL,
 * synchronous=FULL). Results go to a `done` list and a uv_async_t wakes the loop, which runs the
 * callbacks. store_close() queues a stop: the worker drains `todo`, closes the db and exits; the
 * loop joins it (already returning, so the join does not block), closes the async handle and
 * frees everything. */
#include "storage/sqlite_be.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define BATCH_MAX    256
#define BUSY_TIMEOUT 5000 /* ms another process may hold the write lock before we give up */

static void on_async(uv_async_t *h);

/* Creates the parent directories of `path` (mkdir -p of its dirname). */
static int make_parent_dirs(const char *path)
{
    char *dir = xstrdup(path);
    char *slash = strrchr(dir, '/');
    int rc = 0;
    if (slash != NULL && slash != dir) {
        *slash = '\0';
        for (char *p = dir + 1; rc == 0; p++) {
            if (*p != '/' && *p != '\0')
                continue;
            char c = *p;
            *p = '\0';
            if (mkdir(dir, 0755) != 0 && errno != EEXIST)
                rc = -errno;
            *p = c;
            if (c == '\0')
                break;
        }
    }
    free(dir);
    return rc;
}

int store__sqlite_exec(sqlite_be_t *be, const char *sql)
{
    char *msg = NULL;
    int rc = sqlite3_exec(be->db, sql, NULL, NULL, &msg);
    if (rc != SQLITE_OK)
        log_error(STORE_LOG, "sqlite: %s: %s", sql, msg != NULL ? msg : sqlite3_errstr(rc));
    sqlite3_free(msg);
    return rc;
}

void store__sqlite_cache_clear(sqlite_be_t *be)
{
    for (size_t i = 0; i < SQLITE_STMT_CACHE; i++) {
        sqlite3_finalize(be->cache[i].stmt);
        be->cache[i].stmt = NULL;
        be->cache[i].sql = NULL;
    }
}

/* Runs a batch of requests as one transaction (see the file comment). */
static void run_batch(sqlite_be_t *be, store_req_t *batch)
{
    bool tx = store__sqlite_exec(be, "BEGIN IMMEDIATE") == SQLITE_OK;
    bool lost = !tx; /* the transaction is gone: every result of the batch is void */
    for (store_req_t *r = batch; r != NULL && !lost; r = r->next) {
        if (store__sqlite_exec(be, "SAVEPOINT req") != SQLITE_OK) {
            lost = true;
            break;
        }
        if (store__sqlite_run(be, r) != 0 && !sqlite3_get_autocommit(be->db))
            store__sqlite_exec(be, "ROLLBACK TO req");
        if (sqlite3_get_autocommit(be->db) || store__sqlite_exec(be, "RELEASE req") != SQLITE_OK)
            lost = true; /* SQLite rolled the whole transaction back (I/O error, full disk) */
    }
    if (!lost && store__sqlite_exec(be, "COMMIT") != SQLITE_OK)
        lost = true;
    if (lost) {
        if (!sqlite3_get_autocommit(be->db))
            store__sqlite_exec(be, "ROLLBACK");
        for (store_req_t *r = batch; r != NULL; r = r->next) {
            /* results may point into the arena: keep them, only the status says "failed" */
            r->status = -EIO;
        }
    }
}

static void *worker_main(void *arg)
{
    sqlite_be_t *be = arg;
    pthread_mutex_lock(&be->mu);
    for (;;) {
        while (be->todo == NULL && be->migrate == NULL && !be->stop)
            pthread_cond_wait(&be->cond, &be->mu);
        if (be->migrate != NULL) {
            sqlite_migrate_job_t *job = be->migrate;
            pthread_mutex_unlock(&be->mu);
            job->rc = store__sqlite_migrate(be, job->err, job->errlen);
            pthread_mutex_lock(&be->mu);
            job->done = true;
            be->migrate = NULL;
            pthread_cond_broadcast(&be->cond);
            continue;
        }
        if (be->todo == NULL)
            break; /* stop, and nothing left */
        store_req_t *batch = be->todo, **end = &be->todo;
        size_t n = 0;
        while (*end != NULL && n < BATCH_MAX) {
            end = &(*end)->next;
            n++;
        }
        be->todo = *end;
        if (be->todo == NULL)
            be->todo_tail = &be->todo;
        *end = NULL;
        pthread_mutex_unlock(&be->mu);

        run_batch(be, batch);

        pthread_mutex_lock(&be->mu);
        *be->done_tail = batch;
        be->done_tail = end;
        uv_async_send(&be->async);
    }
    pthread_mutex_unlock(&be->mu);
    store__sqlite_cache_clear(be);
    if (sqlite3_close(be->db) != SQLITE_OK)
        log_error(STORE_LOG, "sqlite: close: %s", sqlite3_errmsg(be->db));
    be->db = NULL;
    pthread_mutex_lock(&be->mu);
    be->exited = true;
    uv_async_send(&be->async);
    pthread_mutex_unlock(&be->mu);
    return NULL;
}

int store__sqlite_open(store_t *store, const char *path)
{
    bool memory = strcmp(path, ":memory:") == 0;
    if (!memory) {
        int rc = make_parent_dirs(path);
        if (rc != 0) {
            log_error(STORE_LOG, "sqlite: cannot create the directory of %s: %s", path,
                      strerror(-rc));
            return -EIO;
        }
    }
    sqlite_be_t *be = xcalloc(1, sizeof(*be));
    be->store = store;
    be->todo_tail = &be->todo;
    be->done_tail = &be->done;
    int rc = sqlite3_open_v2(
        path, &be->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        log_error(STORE_LOG, "sqlite: cannot open %s: %s", path,
                  be->db != NULL ? sqlite3_errmsg(be->db) : sqlite3_errstr(rc));
        goto fail;
    }
    sqlite3_extended_result_codes(be->db, 1);
    sqlite3_busy_timeout(be->db, BUSY_TIMEOUT);
    if (store__sqlite_exec(be, "PRAGMA foreign_keys = ON") != SQLITE_OK ||
        (!memory && store__sqlite_exec(be, "PRAGMA journal_mode = WAL") != SQLITE_OK) ||
        store__sqlite_exec(be, "PRAGMA synchronous = FULL") != SQLITE_OK)
        goto fail;
    if (uv_async_init(store->loop, &be->async, on_async) != 0)
        goto fail;
    be->async.data = be;
    pthread_mutex_init(&be->mu, NULL);
    pthread_cond_init(&be->cond, NULL);
    if (pthread_create(&be->thread, NULL, worker_main, be) != 0) {
        /* cannot happen in practice; the async handle must still be closed on the loop */
        log_error(STORE_LOG, "sqlite: cannot start the worker thread");
        abort();
    }
    store->impl = be;
    return 0;
fail:
    sqlite3_close(be->db);
    free(be);
    return -EIO;
}

static void sqlite_submit(store_t *store, store_req_t *req)
{
    sqlite_be_t *be = store->impl;
    req->next = NULL;
    pthread_mutex_lock(&be->mu);
    *be->todo_tail = req;
    be->todo_tail = &req->next;
    pthread_cond_signal(&be->cond);
    pthread_mutex_unlock(&be->mu);
}

static int sqlite_migrate_sync(store_t *store, char *err, size_t errlen)
{
    sqlite_be_t *be = store->impl;
    sqlite_migrate_job_t job = {err, errlen, 0, false};
    pthread_mutex_lock(&be->mu);
    while (be->migrate != NULL) /* another thread migrating: wait for our turn */
        pthread_cond_wait(&be->cond, &be->mu);
    be->migrate = &job;
    pthread_cond_broadcast(&be->cond);
    while (!job.done)
        pthread_cond_wait(&be->cond, &be->mu);
    pthread_mutex_unlock(&be->mu);
    return job.rc;
}

static void on_async_closed(uv_handle_t *h)
{
    sqlite_be_t *be = h->data;
    store_t *store = be->store;
    pthread_mutex_destroy(&be->mu);
    pthread_cond_destroy(&be->cond);
    free(be);
    store__backend_closed(store);
}

static void on_async(uv_async_t *h)
{
    sqlite_be_t *be = h->data;
    pthread_mutex_lock(&be->mu);
    store_req_t *list = be->done;
    be->done = NULL;
    be->done_tail = &be->done;
    bool exited = be->exited;
    pthread_mutex_unlock(&be->mu);
    while (list != NULL) {
        store_req_t *next = list->next;
        store__complete(list);
        list = next;
    }
    if (exited && !uv_is_closing((uv_handle_t *)&be->async)) {
        /* the worker flushed `done` before setting `exited`, so nothing is left behind */
        pthread_join(be->thread, NULL);
        uv_close((uv_handle_t *)&be->async, on_async_closed);
    }
}

static void sqlite_close(store_t *store)
{
    sqlite_be_t *be = store->impl;
    pthread_mutex_lock(&be->mu);
    be->stop = true;
    pthread_cond_signal(&be->cond);
    pthread_mutex_unlock(&be->mu);
}

const store_backend_t store__sqlite_backend = {
    .name = "sqlite",
    .submit = sqlite_submit,
    .migrate_sync = sqlite_migrate_sync,
    .close = sqlite_close,
};
