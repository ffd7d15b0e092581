/* pg_channel.c - the webhook inbox and the channel state (desk.h) of the PostgreSQL backend: one
 * statement each, as pg_desk.c. A redelivered webhook is ON CONFLICT DO NOTHING (no row back:
 * id 0); the state is an upsert, and a channel without a row reads as the defaults. */
#include "storage/pg_be.h"

#include <errno.h>
#include <string.h>

#define CHAN_COLS                                                                                  \
    "channel, enabled, COALESCE(verified_at, 0), COALESCE(last_event_at, 0),"                      \
    " COALESCE(last_ok_at, 0), last_error, COALESCE(last_error_at, 0)"

static const char *const chan_sqls[STORE_OP__COUNT] = {
    [STORE_OP_INBOX_PUT] = "INSERT INTO desk_inbox (channel, event_key, body, received_at)"
                           " VALUES ($1::text, $2::text, $3::text, $4::bigint)"
                           " ON CONFLICT (channel, event_key) DO NOTHING RETURNING id",
    [STORE_OP_INBOX_DONE] = "UPDATE desk_inbox SET processed_at = $2::bigint"
                            " WHERE id = $1::bigint AND processed_at IS NULL",
    [STORE_OP_INBOX_PENDING] = "SELECT id, body, received_at FROM desk_inbox"
                               " WHERE channel = $1::text AND processed_at IS NULL"
                               " AND id > $2::bigint ORDER BY id LIMIT $3::bigint",
    [STORE_OP_CHANNEL_STATE] = "SELECT " CHAN_COLS " FROM desk_channels WHERE channel = $1::text",
    [STORE_OP_CHANNEL_STATE_SET] =
        "INSERT INTO desk_channels AS d (channel, enabled, verified_at, last_event_at, last_ok_at,"
        " last_error, last_error_at) VALUES ($1::text, CASE WHEN $2::bigint < 0 THEN 1"
        " ELSE $2::bigint END, CASE WHEN $3::boolean THEN $7::bigint END,"
        " CASE WHEN $4::boolean THEN $7::bigint END, CASE WHEN $5::boolean THEN $7::bigint END,"
        " COALESCE($6::text, ''), CASE WHEN $6::text IS NOT NULL THEN $7::bigint END)"
        " ON CONFLICT (channel) DO UPDATE SET"
        " enabled = CASE WHEN $2::bigint < 0 THEN d.enabled ELSE $2::bigint END,"
        " verified_at = CASE WHEN $3::boolean THEN $7::bigint ELSE d.verified_at END,"
        " last_event_at = CASE WHEN $4::boolean THEN $7::bigint ELSE d.last_event_at END,"
        " last_ok_at = CASE WHEN $5::boolean THEN $7::bigint ELSE d.last_ok_at END,"
        " last_error = COALESCE($6::text, d.last_error),"
        " last_error_at = CASE WHEN $6::text IS NULL THEN d.last_error_at ELSE $7::bigint END"
        " RETURNING " CHAN_COLS,
};

const char *store__pg_channel_sql(store_op_t op)
{
    return (size_t)op < STORE_OP__COUNT ? chan_sqls[op] : NULL;
}

int store__pg_channel_params(store_req_t *r, const char *v[PG_MAX_PARAMS])
{
    const char *now = store__pg_num(r, (int64_t)time_now_ms());
    switch (r->op) {
    case STORE_OP_INBOX_PUT:
        v[0] = r->s[0], v[1] = r->s[1], v[2] = r->s[2], v[3] = now;
        return 4;
    case STORE_OP_INBOX_DONE:
        v[0] = store__pg_num(r, r->a[0]), v[1] = now;
        return 2;
    case STORE_OP_INBOX_PENDING:
        v[0] = r->s[0], v[1] = store__pg_num(r, r->a[0]), v[2] = store__pg_num(r, r->a[1]);
        return 3;
    case STORE_OP_CHANNEL_STATE:
        v[0] = r->s[0];
        return 1;
    case STORE_OP_CHANNEL_STATE_SET:
        v[0] = r->s[0], v[1] = store__pg_num(r, r->a[0]);
        v[2] = r->a[1] ? "true" : "false", v[3] = r->a[2] ? "true" : "false";
        v[4] = r->a[3] ? "true" : "false", v[5] = r->s[1], v[6] = now;
        return 7;
    default:
        return 0;
    }
}

int store__pg_channel_result(store_req_t *r, const PGresult *res)
{
    int n = PQntuples(res);
    switch (r->op) {
    case STORE_OP_INBOX_PUT:
        r->res.seq = n > 0 ? store__pg_col_int(res, 0, 0) : 0;
        return 0;
    case STORE_OP_INBOX_DONE:
        return 0;
    case STORE_OP_INBOX_PENDING: {
        store_inbox_item_t *it = store__arena_alloc(&r->arena, (size_t)n * sizeof(*it));
        for (int i = 0; i < n; i++) {
            it[i].id = store__pg_col_int(res, i, 0);
            it[i].body = store__pg_col_text(r, res, i, 1);
            it[i].received_at = store__pg_col_int(res, i, 2);
        }
        r->res.inbox.items = it;
        r->res.inbox.count = (size_t)n;
        return 0;
    }
    case STORE_OP_CHANNEL_STATE:
    case STORE_OP_CHANNEL_STATE_SET: {
        store_channel_state_t *c = &r->res.channel;
        memset(c, 0, sizeof(*c));
        if (n == 0) { /* never written: the defaults */
            c->channel = store__arena_strdup(&r->arena, r->s[0]);
            c->enabled = true;
            c->last_error = "";
            return 0;
        }
        c->channel = store__pg_col_text(r, res, 0, 0);
        c->enabled = store__pg_col_int(res, 0, 1) != 0;
        c->verified_at = store__pg_col_int(res, 0, 2);
        c->last_event_at = store__pg_col_int(res, 0, 3);
        c->last_ok_at = store__pg_col_int(res, 0, 4);
        c->last_error = store__pg_col_text(r, res, 0, 5);
        c->last_error_at = store__pg_col_int(res, 0, 6);
        return 0;
    }
    default:
        return -EIO;
    }
}
