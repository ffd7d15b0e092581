/* sqlite_channel.c - the webhook inbox and the channel state (desk.h) of the SQLite backend, on
 * the worker thread inside the batch transaction like sqlite_desk.c. A redelivered webhook is
 * an INSERT that hits UNIQUE (channel, event_key) and writes nothing; a channel without a row
 * reads as the defaults (enabled, nothing seen). The operations on the channel's ids of desk
 * messages live with the other message operations in sqlite_desk.c. */
#include "storage/sqlite_be.h"

#include <errno.h>
#include <string.h>

#define I(...) ((const int64_t[]){__VA_ARGS__})
#define S(...) ((const char *const[]){__VA_ARGS__})

#define CHAN_COLS                                                                                  \
    "channel, enabled, COALESCE(verified_at, 0), COALESCE(last_event_at, 0),"                      \
    " COALESCE(last_ok_at, 0), last_error, COALESCE(last_error_at, 0)"

static void read_inbox(store_arena_t *a, sqlite3_stmt *st, void *out)
{
    store_inbox_item_t *it = out;
    it->id = sqlite3_column_int64(st, 0);
    it->body = store__sqlite_col_text(a, st, 1);
    it->received_at = sqlite3_column_int64(st, 2);
}

static void read_state(store_arena_t *a, sqlite3_stmt *st, void *out)
{
    store_channel_state_t *c = out;
    c->channel = store__sqlite_col_text(a, st, 0);
    c->enabled = sqlite3_column_int64(st, 1) != 0;
    c->verified_at = sqlite3_column_int64(st, 2);
    c->last_event_at = sqlite3_column_int64(st, 3);
    c->last_ok_at = sqlite3_column_int64(st, 4);
    c->last_error = store__sqlite_col_text(a, st, 5);
    c->last_error_at = sqlite3_column_int64(st, 6);
}

static int inbox_put(sqlite_be_t *be, store_req_t *r)
{
    static const char sql[] = "INSERT INTO desk_inbox (channel, event_key, body, received_at)"
                              " VALUES (?, ?, ?, ?) ON CONFLICT (channel, event_key) DO NOTHING"
                              " RETURNING id";
    int rc = store__sqlite_scalar(be, sql, "sssi", I((int64_t)time_now_ms()),
                                  S(r->s[0], r->s[1], r->s[2]), &r->res.seq);
    if (rc == -ENOENT) { /* stored before: a redelivery */
        r->res.seq = 0;
        rc = 0;
    }
    return rc;
}

static int inbox_done(sqlite_be_t *be, store_req_t *r)
{
    static const char sql[] =
        "UPDATE desk_inbox SET processed_at = ? WHERE id = ? AND processed_at IS NULL";
    return store__sqlite_do(be, sql, "ii", I((int64_t)time_now_ms(), r->a[0]), NULL, NULL);
}

static int inbox_pending(sqlite_be_t *be, store_req_t *r)
{
    static const char sql[] = "SELECT id, body, received_at FROM desk_inbox WHERE channel = ?"
                              " AND processed_at IS NULL AND id > ? ORDER BY id LIMIT ?";
    store_inbox_list_t *l = &r->res.inbox;
    return store__sqlite_many(be, r, sql, "sii", I(r->a[0], r->a[1]), S(r->s[0]), read_inbox,
                              sizeof(store_inbox_item_t), (const void **)&l->items, &l->count);
}

static int state_read(sqlite_be_t *be, store_req_t *r)
{
    static const char sql[] = "SELECT " CHAN_COLS " FROM desk_channels WHERE channel = ?";
    int rc = store__sqlite_one(be, r, sql, "s", NULL, S(r->s[0]), read_state, &r->res.channel);
    if (rc == -ENOENT) {
        memset(&r->res.channel, 0, sizeof(r->res.channel));
        r->res.channel.channel = store__arena_strdup(&r->arena, r->s[0]);
        r->res.channel.enabled = true;
        r->res.channel.last_error = "";
        rc = 0;
    }
    return rc;
}

static int state_set(sqlite_be_t *be, store_req_t *r)
{
    static const char ins[] = "INSERT INTO desk_channels (channel) VALUES (?)"
                              " ON CONFLICT (channel) DO NOTHING";
    static const char upd[] =
        "UPDATE desk_channels SET enabled = CASE WHEN ?1 < 0 THEN enabled ELSE ?1 END,"
        " verified_at = CASE WHEN ?2 THEN ?5 ELSE verified_at END,"
        " last_event_at = CASE WHEN ?3 THEN ?5 ELSE last_event_at END,"
        " last_ok_at = CASE WHEN ?4 THEN ?5 ELSE last_ok_at END,"
        " last_error = COALESCE(?6, last_error),"
        " last_error_at = CASE WHEN ?6 IS NULL THEN last_error_at ELSE ?5 END WHERE channel = ?7";
    int rc = store__sqlite_do(be, ins, "s", NULL, S(r->s[0]), NULL);
    if (rc == 0)
        rc = store__sqlite_do(be, upd, "iiiiiss",
                              I(r->a[0], r->a[1], r->a[2], r->a[3], (int64_t)time_now_ms()),
                              S(r->s[1], r->s[0]), NULL);
    if (rc == 0)
        rc = state_read(be, r);
    return rc;
}

sqlite_op_fn store__sqlite_channel_op(store_op_t op)
{
    switch (op) {
    case STORE_OP_INBOX_PUT:
        return inbox_put;
    case STORE_OP_INBOX_DONE:
        return inbox_done;
    case STORE_OP_INBOX_PENDING:
        return inbox_pending;
    case STORE_OP_CHANNEL_STATE:
        return state_read;
    case STORE_OP_CHANNEL_STATE_SET:
        return state_set;
    default:
        return NULL;
    }
}
