/* pg_be.h - state shared by the PostgreSQL backend's connection pool (pg_backend.c), its
 * statements (pg_ops.c) and its blocking migrator (pg_migrate.c). Loop thread only. */
#ifndef SIOC_STORAGE_PG_BE_H
#define SIOC_STORAGE_PG_BE_H

#include <libpq-fe.h>

#include "storage/internal.h"

#define PG_POOL_DEFAULT 4
#define PG_PIPELINE_MAX 64    /* requests in flight per connection */
#define PG_CONNECT_MS   10000 /* connect timeout */
#define PG_BACKOFF_MIN  100   /* ms before reconnecting; doubles up to PG_BACKOFF_MAX */
#define PG_BACKOFF_MAX  5000
#define PG_MAX_ATTEMPTS 4 /* tries of a request that hit a retryable race */
#define PG_MAX_PARAMS   12
#define PG_RETRY        1 /* store__pg_result(): run the request again */

typedef struct st_pg_be_t pg_be_t;

typedef enum en_pg_conn_state_t {
    PGC_DOWN,       /* no connection; the timer may be counting down to a reconnect */
    PGC_CONNECTING, /* PQconnectPoll in progress */
    PGC_READY,      /* pipeline mode, accepting requests */
} pg_conn_state_t;

typedef struct st_pg_conn_t {
    pg_be_t *be;
    unsigned index;
    pg_conn_state_t state;
    PGconn *pg;
    uv_poll_t *poll; /* on PQsocket(pg); malloc'ed, freed by its close callback */
    int fd;
    int events;       /* what poll watches */
    uv_timer_t timer; /* connect timeout, then reconnect backoff */
    unsigned backoff_ms;
    bool in_io;                       /* inside the poll callback: submit() must not send */
    bool want_write;                  /* PQflush left data to send */
    store_req_t *queue, **queue_tail; /* waiting to be sent */
    size_t n_queue;
    store_req_t *inflight, **inflight_tail; /* sent, results pending, in order */
    size_t n_inflight;
    bool prepared[STORE_OP__COUNT]; /* statement of each op prepared on this connection */
} pg_conn_t;

struct st_pg_be_t {
    store_t *store;
    char *url;
    pg_conn_t *conns;
    unsigned n_conns;
    uv_timer_t defer;                       /* completes `deferred` on the next loop turn */
    store_req_t *deferred, **deferred_tail; /* status set, callback due */
    unsigned handles;                       /* open uv handles, for store_close */
    bool closing_started;                   /* handles are being closed */
};

/** The SQL of the statement of `op` (prepared as "sioc_<op>"). */
const char *store__pg_sql(store_op_t op);
/** Fills the text parameters of `req` (strings live in its arena); returns their count. */
int store__pg_params(store_req_t *req, const char *values[PG_MAX_PARAMS]);
/** Turns the result of the statement into req->res; returns the status or PG_RETRY. `res` may
 * be NULL (connection lost). */
int store__pg_result(store_req_t *req, const PGresult *res);
/** Applies the migrations over a blocking connection of its own. 0 or -EIO (message in err). */
int store__pg_migrate(const char *url, char *err, size_t errlen);

/* Shared with pg_desk.c (the desk's statements): the user columns read by store__pg_read_user();
 * a decimal parameter in the request's arena; result columns (NULL integers read 0). */
#define PG_USER_COLS                                                                               \
    "id, username, display_name, password_hash, name_color, role, created_at, last_seen_at, "      \
    "active"
const char *store__pg_num(store_req_t *r, int64_t v);
int64_t store__pg_col_int(const PGresult *res, int row, int col);
bool store__pg_col_bool(const PGresult *res, int row, int col);
const char *store__pg_col_text(store_req_t *r, const PGresult *res, int row, int col);
void store__pg_read_user(store_req_t *r, const PGresult *res, int row, int c, store_user_t *u);
/* The desk's halves of store__pg_sql/params/result (NULL/0/-EIO for other ops). */
const char *store__pg_desk_sql(store_op_t op);
int store__pg_desk_params(store_req_t *req, const char *values[PG_MAX_PARAMS]);
int store__pg_desk_result(store_req_t *req, const PGresult *res);
/* the same for the channel operations (pg_channel.c), reached through the desk's */
const char *store__pg_channel_sql(store_op_t op);
int store__pg_channel_params(store_req_t *req, const char *values[PG_MAX_PARAMS]);
int store__pg_channel_result(store_req_t *req, const PGresult *res);

/* The attachments' halves (pg_media.c; NULL/0/-EIO for other ops). */
const char *store__pg_media_sql(store_op_t op);
int store__pg_media_params(store_req_t *req, const char *values[PG_MAX_PARAMS]);
int store__pg_media_result(store_req_t *req, const PGresult *res);
/** True for the attachment ops (STORE_OP_ATT_*), which pg_media.c runs. */
static inline bool store__pg_is_media_op(store_op_t op)
{
    return op >= STORE_OP_ATT_CREATE && op <= STORE_OP_ATT_LINK_DESK;
}

/** Connection parameters for libpq from a URL: keyword/value arrays (static storage + url). */
void store__pg_conninfo(const char *url, const char *kw[4], const char *val[4]);

#endif
