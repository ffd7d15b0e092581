/* sqlite_be.h - state shared by the SQLite backend's thread/queue half (sqlite_backend.c) and its
 * operations (sqlite_ops.c, sqlite_migrate.c). One connection, owned by one worker thread once it
 * started; the loop thread only touches the queues under `mu`. */
#ifndef SIOC_STORAGE_SQLITE_BE_H
#define SIOC_STORAGE_SQLITE_BE_H

#include <pthread.h>
#include <sqlite3.h>

#include "storage/internal.h"

#define SQLITE_STMT_CACHE 128

typedef struct st_sqlite_migrate_job_t {
    char *err; /* caller's buffer */
    size_t errlen;
    int rc;
    bool done; /* under mu; the caller waits on `cond` for it */
} sqlite_migrate_job_t;

typedef struct st_sqlite_be_t {
    store_t *store;
    sqlite3 *db; /* worker thread only (once started) */
    struct {
        const char *sql; /* the static string the statement was prepared from (its key) */
        sqlite3_stmt *stmt;
    } cache[SQLITE_STMT_CACHE]; /* worker thread only */
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cond;            /* wakes the worker; also signals migrate job completion */
    store_req_t *todo, **todo_tail; /* under mu: submitted, not yet taken by the worker */
    store_req_t *done, **done_tail; /* under mu: finished, to complete on the loop */
    sqlite_migrate_job_t *migrate;  /* under mu: a store_migrate_sync() waiting for the worker */
    bool stop;                      /* under mu: exit once `todo` is empty */
    bool exited;                    /* under mu: the worker closed the db and is returning */
    uv_async_t async;               /* worker -> loop: `done` has entries or the worker exited */
} sqlite_be_t;

/** Runs one request on the worker thread inside the current transaction; sets req->status and
 * req->res. Returns req->status. */
int store__sqlite_run(sqlite_be_t *be, store_req_t *req);
/** Runs the pending migrations on the worker thread. Returns 0 or -EIO (message in err). */
int store__sqlite_migrate(sqlite_be_t *be, char *err, size_t errlen);
/** Runs `sql` (no result rows expected). Returns the SQLite result code, logs failures. */
int store__sqlite_exec(sqlite_be_t *be, const char *sql);
/** Drops every cached prepared statement. */
void store__sqlite_cache_clear(sqlite_be_t *be);

/* Statement helpers of sqlite_ops.c, for sqlite_desk.c. `fmt` lists the bound parameters in
 * order: 'i' the next of `ints`, 's' the next of `strs` (NULL binds SQL NULL). Results are copied
 * into the request's arena. Statuses as the operations': 0, -ENOENT (no row), -EEXIST, -EIO. */
typedef void (*sqlite_row_reader)(store_arena_t *a, sqlite3_stmt *st, void *out);
typedef int (*sqlite_op_fn)(sqlite_be_t *be, store_req_t *r);
/** Runs a statement, ignoring rows; sets *changes if not NULL. */
int store__sqlite_do(sqlite_be_t *be, const char *sql, const char *fmt, const int64_t *ints,
                     const char *const *strs, int *changes);
/** The first column of the first row as an integer. */
int store__sqlite_scalar(sqlite_be_t *be, const char *sql, const char *fmt, const int64_t *ints,
                         const char *const *strs, int64_t *out);
/** Exactly one row through `reader` into `out`. */
int store__sqlite_one(sqlite_be_t *be, store_req_t *req, const char *sql, const char *fmt,
                      const int64_t *ints, const char *const *strs, sqlite_row_reader reader,
                      void *out);
/** Every row into an arena array of `size`-byte elements. */
int store__sqlite_many(sqlite_be_t *be, store_req_t *req, const char *sql, const char *fmt,
                       const int64_t *ints, const char *const *strs, sqlite_row_reader reader,
                       size_t size, const void **items, size_t *count);
/** Column i as text in the arena ("" for NULL). */
const char *store__sqlite_col_text(store_arena_t *a, sqlite3_stmt *st, int i);
/* The user columns read by store__sqlite_read_user(). */
#define SQLITE_USER_COLS                                                                           \
    "id, username, display_name, password_hash, name_color, role, created_at, last_seen_at, "      \
    "active"
/** Reads SQLITE_USER_COLS into a store_user_t. */
void store__sqlite_read_user(store_arena_t *a, sqlite3_stmt *st, void *out);
/** The function running a desk op (sqlite_desk.c), NULL if `op` is not one. */
sqlite_op_fn store__sqlite_desk_op(store_op_t op);
/** The function running an attachment op (sqlite_media.c), NULL if `op` is not one. */
sqlite_op_fn store__sqlite_media_op(store_op_t op);
/** Links attachments ids[0..n) to chat message `message_id`, in order; -EACCES if one is not an
 * upload of `author` (the caller's savepoint then rolls everything back). */
int store__sqlite_link_chat(sqlite_be_t *be, int64_t message_id, int64_t author, const int64_t *ids,
                            size_t n);
/** The function running a channel op (sqlite_channel.c), NULL if `op` is not one. */
sqlite_op_fn store__sqlite_channel_op(store_op_t op);

#endif
