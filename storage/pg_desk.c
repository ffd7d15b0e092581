/* pg_desk.c - the desk operations (desk.h) of the PostgreSQL backend: like pg_ops.c, one
 * prepared statement per operation (one round trip, one transaction), multi-step logic in
 * data-modifying CTEs, and rows as text.
 *   - inbound: the customer's open service is bumped (`UPDATE ... WHERE status = 'open'`, which
 *     takes the service row's lock, so seqs are gapless in commit order), or, if none is open,
 *     one is inserted with ON CONFLICT on the partial unique index "one open service per
 *     customer" DO NOTHING. If a concurrent statement finished the service we saw or opened one
 *     first, neither CTE yields a row and the statement is run again (PG_RETRY) on a fresh
 *     snapshot. A racing duplicate client_msg_id fails on UNIQUE (sender, client_msg_id) and is
 *     run again too, then finds the stored row.
 *   - take/finish/idle close/rate/reset use: conditional UPDATEs. Under READ COMMITTED a second
 *     writer waits for the first one's row lock and re-evaluates its WHERE on the new row
 *     version, so it matches nothing: exactly one winner, whichever node it runs on. The idle
 *     close and the outbox claim pick their rows with FOR UPDATE SKIP LOCKED, so concurrent
 *     sweepers split the work instead of queueing on each other.
 * Results of the single-row operations start with the row's status as seen by the statement's
 * snapshot, which tells "no such row" from "lost the race" when the UPDATE matched nothing. */
#include "storage/pg_be.h"

#include <errno.h>
#include <string.h>

#define SVC(p)                                                                                     \
    p ".id, " p ".customer_id, " p ".channel, " p ".status, " p ".attendant_id, " p                \
      ".created_at, " p ".assigned_at, " p ".first_response_at, " p ".last_activity_at, " p        \
      ".finished_at, " p ".finished_by, " p ".finish_reason, " p ".rating, " p                     \
      ".rating_comment, " p ".rated_at, " p ".last_seq, k.name, k.email, " p ".last_inbound_at,"   \
      " k.external_id"
#define SVC_N 20
/* the newest message of service p, for get and list (read_last) */
#define SVC_LAST(p)                                                                                \
    "(SELECT m.body FROM desk_messages m WHERE m.service_id = " p ".id AND m.seq = " p             \
    ".last_seq), (SELECT m.direction FROM desk_messages m WHERE m.service_id = " p ".id"           \
    " AND m.seq = " p ".last_seq)"
#define DMSG(p)                                                                                    \
    p ".id, " p ".service_id, " p ".seq, " p ".direction, " p ".author_id, " p ".body, " p         \
      ".client_msg_id, " p ".created_at, " p ".state, " p ".state_at, " p ".state_error"
#define DMSG_N    11
#define CUST_COLS "id, channel, external_id, name, email, created_at"
#define KJOIN(p)  " LEFT JOIN desk_customers k ON k.id = " p ".customer_id"
#define DMSG_INS                                                                                   \
    "INSERT INTO desk_messages (service_id, seq, direction, author_id, sender, body,"              \
    " client_msg_id, created_at, state, state_at)"
/* single service results: status as seen, the service (NULL if not written), previous */
#define SVC_RESULT(from) "SELECT o.status, " SVC("u") ", " from KJOIN("u")

static const char *const desk_sqls[STORE_OP__COUNT] = {
    [STORE_OP_DESK_CUSTOMER_UPSERT] =
        "INSERT INTO desk_customers (channel, external_id, name, email, created_at)"
        " VALUES ($1::text, $2::text, $3::text, $4::text, $5::bigint)"
        " ON CONFLICT (channel, external_id) DO UPDATE SET"
        " name = CASE WHEN excluded.name <> '' THEN excluded.name ELSE desk_customers.name END,"
        " email = CASE WHEN excluded.email <> '' THEN excluded.email"
        "   ELSE desk_customers.email END RETURNING " CUST_COLS,
    [STORE_OP_DESK_CUSTOMER_GET] = "SELECT " CUST_COLS " FROM desk_customers WHERE id = $1::bigint",
    [STORE_OP_DESK_INBOUND] = "WITH dup AS (SELECT " DMSG(
        "m") " FROM desk_messages m WHERE $3::text IS NOT NULL"
             "   AND m.sender = $5::text AND m.client_msg_id = $3::text),"
             " cust AS (SELECT id, channel FROM desk_customers WHERE id = $1::bigint),"
             " cur AS (SELECT id FROM desk_services WHERE customer_id = $1::bigint"
             "   AND status = 'open'),"
             " bump AS (UPDATE desk_services SET last_seq = last_seq + 1,"
             "   last_activity_at = $4::bigint, last_inbound_at = $4::bigint"
             "   WHERE id IN (SELECT id FROM cur) AND status = 'open'"
             "   AND NOT EXISTS (SELECT 1 FROM dup) RETURNING *, false AS opened),"
             " opn AS (INSERT INTO desk_services (customer_id, channel, status, created_at,"
             "   last_activity_at, last_seq, last_inbound_at)"
             "   SELECT id, channel, 'open', $4::bigint, $4::bigint, 1, $4::bigint"
             "   FROM cust WHERE NOT EXISTS (SELECT 1 FROM cur) AND NOT EXISTS (SELECT 1 FROM dup)"
             "   ON CONFLICT (customer_id) WHERE status = 'open' DO NOTHING"
             "   RETURNING *, true AS opened),"
             " svc AS (SELECT * FROM bump UNION ALL SELECT * FROM opn),"
             " ins AS (" DMSG_INS " SELECT id, last_seq, 'in', NULL, $5::text, $2::text, $3::text,"
             "   $4::bigint, 'sent', $4::bigint FROM svc RETURNING *),"
             " res AS (SELECT " DMSG(
                 "ins") ", false AS duplicate FROM ins"
                        "   UNION ALL SELECT dup.*, true FROM dup),"
                        " fin AS (SELECT * FROM svc UNION ALL SELECT s.*, false FROM desk_services "
                        "s"
                        "   WHERE s.id = (SELECT service_id FROM dup LIMIT 1))"
                        " SELECT EXISTS (SELECT 1 FROM cust)::text, res.*, " SVC(
                            "u") ", u.opened"
                                 " FROM (SELECT 1) one LEFT JOIN res ON true LEFT JOIN fin u ON "
                                 "true" KJOIN("u"),
    [STORE_OP_DESK_OUTBOUND] = "WITH dup AS (SELECT " DMSG(
        "m") " FROM desk_messages m WHERE $4::text IS NOT NULL"
             "   AND m.sender = $6::text AND m.client_msg_id = $4::text),"
             " bump AS (UPDATE desk_services SET last_seq = last_seq + 1,"
             "   last_activity_at = $5::bigint, first_response_at = COALESCE(first_response_at,"
             "   $5::bigint) WHERE id = $1::bigint AND status = 'open'"
             "   AND NOT EXISTS (SELECT 1 FROM dup) RETURNING *),"
             " ins AS (" DMSG_INS " SELECT id, last_seq, 'out', $2::bigint, $6::text, $3::text,"
             "   $4::text, $5::bigint, 'sent', $5::bigint FROM bump RETURNING *),"
             " ob AS (INSERT INTO desk_outbox (message_id, service_id, channel, next_attempt_at,"
             "   created_at) SELECT ins.id, bump.id, bump.channel, $5::bigint, $5::bigint"
             "   FROM ins, bump"
             "   WHERE $7::boolean RETURNING 1),"
             " res AS (SELECT " DMSG(
                 "ins") ", false AS duplicate FROM ins"
                        "   UNION ALL SELECT dup.*, true FROM dup),"
                        " fin AS (SELECT * FROM bump UNION ALL SELECT s.* FROM desk_services s"
                        "   WHERE s.id = (SELECT service_id FROM dup LIMIT 1))"
                        " SELECT (SELECT status FROM desk_services WHERE id = $1::bigint), "
                        "res.*, " SVC("u") ", false FROM (SELECT 1) one LEFT JOIN res ON true LEFT "
                                           "JOIN fin u ON true" KJOIN("u"),
    /* the FOR UPDATE subquery reads the latest row version under its lock: the true previous
     * attendant, even right after a concurrent transfer */
    [STORE_OP_DESK_ASSIGN] =
        "WITH o AS (SELECT status FROM desk_services WHERE id = $1::bigint),"
        " u AS (UPDATE desk_services s SET attendant_id = NULLIF($2::bigint, 0),"
        "   assigned_at = CASE WHEN $2::bigint = 0 THEN s.assigned_at ELSE $4::bigint END"
        "   FROM (SELECT id, attendant_id AS prev FROM desk_services WHERE id = $1::bigint"
        "   FOR UPDATE) p WHERE s.id = p.id AND s.status = 'open'"
        "   AND (NOT $3::boolean OR s.attendant_id IS NULL) RETURNING s.*, p.prev)" SVC_RESULT(
            "u.prev FROM o LEFT JOIN u ON true"),
    [STORE_OP_DESK_FINISH] =
        "WITH o AS (SELECT status FROM desk_services WHERE id = $1::bigint),"
        " u AS (UPDATE desk_services SET status = 'finished', finished_at = $3::bigint,"
        "   finished_by = NULLIF($2::bigint, 0),"
        "   finish_reason = CASE WHEN $2::bigint = 0 THEN 'idle' ELSE 'agent' END"
        "   WHERE id = $1::bigint AND status = 'open' RETURNING *)" SVC_RESULT(
            "NULL FROM o LEFT JOIN u ON true"),
    [STORE_OP_DESK_IDLE_CLOSE] =
        "WITH u AS (UPDATE desk_services SET status = 'finished', finished_at = $3::bigint,"
        "   finish_reason = 'idle' WHERE id IN (SELECT id FROM desk_services"
        "   WHERE status = 'open' AND last_activity_at < $1::bigint ORDER BY id"
        "   LIMIT $2::bigint FOR UPDATE SKIP LOCKED)"
        "   AND status = 'open' AND last_activity_at < $1::bigint RETURNING *)"
        " SELECT " SVC("u") " FROM u" KJOIN("u") " ORDER BY u.id",
    [STORE_OP_DESK_TOUCH] = "UPDATE desk_services SET last_activity_at ="
                            " GREATEST(last_activity_at, $2::bigint)"
                            " WHERE id = $1::bigint AND status = 'open' RETURNING 1",
    [STORE_OP_DESK_RATE] =
        "WITH o AS (SELECT status FROM desk_services WHERE id = $1::bigint"
        "   AND customer_id = $2::bigint),"
        " u AS (UPDATE desk_services SET rating = $3::bigint,"
        "   rating_comment = COALESCE($4::text, ''), rated_at = $5::bigint"
        "   WHERE id = $1::bigint AND customer_id = $2::bigint AND status = 'finished'"
        "   AND rating IS NULL RETURNING *)" SVC_RESULT("NULL FROM o LEFT JOIN u ON true"),
    [STORE_OP_DESK_SERVICE_GET] = "SELECT u.status, " SVC("u") ", NULL, " SVC_LAST(
        "u") " FROM desk_services u" KJOIN("u") " WHERE u.id = $1::bigint",
    [STORE_OP_DESK_SERVICE_LIST] =
        "SELECT " SVC("s") ", " SVC_LAST("s") " FROM desk_services s" KJOIN(
            "s") " WHERE ($1::int = 0 OR s.status = CASE $1::int WHEN 1 THEN 'open'"
                 " ELSE 'finished' END) AND ($2::bigint = 0 OR ($2::bigint < 0"
                 " AND s.attendant_id IS NULL) OR s.attendant_id = $2::bigint)"
                 " AND ($3::bigint = 0 OR s.attendant_id = $3::bigint"
                 " OR (s.attendant_id IS NULL AND s.status = 'open'))"
                 " AND ($4::bigint = 0 OR s.customer_id = $4::bigint)"
                 " AND ($5::bigint = 0 OR s.created_at >= $5::bigint)"
                 " AND ($6::bigint = 0 OR s.created_at < $6::bigint)"
                 " AND ($7::bigint = 0 OR s.id < $7::bigint)"
                 " AND ($9::text IS NULL OR s.channel = $9::text)"
                 " ORDER BY s.id DESC LIMIT $8::bigint",
    [STORE_OP_DESK_MESSAGES] =
        "SELECT " DMSG("m") " FROM desk_messages m"
                            " WHERE m.service_id = $1::bigint AND m.seq > $2::bigint"
                            " ORDER BY m.seq LIMIT $3::bigint",
    [STORE_OP_DESK_CUSTOMER_MSGS] =
        "SELECT " DMSG("m") " FROM desk_messages m JOIN desk_services s ON s.id = m.service_id"
                            " WHERE s.customer_id = $1::bigint AND m.id < $2::bigint"
                            " ORDER BY m.id DESC LIMIT $3::bigint",
    [STORE_OP_DESK_MARK] =
        "WITH u AS (UPDATE desk_messages SET state = $4::text, state_at = $6::bigint"
        "   WHERE service_id = $1::bigint AND direction = $2::text AND seq <= $3::bigint"
        "   AND state IN ('sent', $5::text) RETURNING seq)"
        " SELECT COALESCE(max(seq), 0) FROM u",
    [STORE_OP_DESK_STATS] = store__desk_stats_sql,
    [STORE_OP_DESK_USER_SET] =
        "WITH u AS (UPDATE users SET role = COALESCE($2::text, role),"
        "   active = CASE WHEN $3::int < 0 THEN active ELSE $3::int = 1 END,"
        "   display_name = COALESCE($4::text, display_name) WHERE id = $1::bigint"
        "   RETURNING " PG_USER_COLS "),"
        " r AS (UPDATE refresh_tokens SET revoked = true WHERE user_id = $1::bigint"
        "   AND $3::int = 0 AND EXISTS (SELECT 1 FROM u))"
        " SELECT * FROM u",
    [STORE_OP_DESK_STAFF_LIST] = "SELECT " PG_USER_COLS " FROM users"
                                 " WHERE role IN ('agent', 'admin') AND id > $1::bigint"
                                 " ORDER BY id LIMIT $2::bigint",
    [STORE_OP_DESK_ADMIN_COUNT] = "SELECT count(*) FROM users WHERE role = 'admin' AND active",
    [STORE_OP_DESK_ADMIN_BOOTSTRAP] =
        "INSERT INTO users (username, display_name, password_hash, role, created_at)"
        " SELECT $1::text, $2::text, $3::text, 'admin', $4::bigint"
        " WHERE NOT EXISTS (SELECT 1 FROM users WHERE role = 'admin' AND active)"
        " RETURNING " PG_USER_COLS,
    [STORE_OP_RESET_CREATE] =
        "INSERT INTO password_resets (token_hash, user_id, created_at, expires_at)"
        " VALUES ($1::text, $2::bigint, $3::bigint, $4::bigint)",
    [STORE_OP_RESET_USE] =
        "WITH p AS (UPDATE password_resets r SET used_at = $3::bigint"
        "   WHERE token_hash = $1::text AND used_at IS NULL AND expires_at > $3::bigint"
        "   AND EXISTS (SELECT 1 FROM users u WHERE u.id = r.user_id AND u.active)"
        "   RETURNING user_id),"
        " u AS (UPDATE users SET password_hash = $2::text WHERE id = (SELECT user_id FROM p)"
        "   RETURNING " PG_USER_COLS "),"
        " t AS (UPDATE refresh_tokens SET revoked = true WHERE user_id = (SELECT user_id FROM p))"
        " SELECT * FROM u",
    /* x expires what is past its time (desk.h), c claims the rest; the two sets are disjoint
     * (a row is never updated twice by one statement) */
    [STORE_OP_OUTBOX_CLAIM] =
        "WITH x AS (UPDATE desk_outbox SET status = 'expired', done_at = $4::bigint,"
        "   lease_until = NULL WHERE id IN (SELECT id FROM desk_outbox WHERE channel = $1::text"
        "   AND status = 'pending' AND expires_at <= $4::bigint AND (lease_until IS NULL"
        "   OR lease_until <= $4::bigint) FOR UPDATE SKIP LOCKED)),"
        " c AS (UPDATE desk_outbox SET lease_until = $4::bigint + $2::bigint,"
        "   attempts = attempts + 1 WHERE id IN (SELECT id FROM desk_outbox"
        "   WHERE channel = $1::text AND status = 'pending' AND next_attempt_at <= $4::bigint"
        "   AND (expires_at IS NULL OR expires_at > $4::bigint)"
        "   AND (lease_until IS NULL OR lease_until <= $4::bigint) AND NOT EXISTS (SELECT 1"
        "   FROM desk_channels c WHERE c.channel = $1::text AND c.enabled = 0) ORDER BY id"
        "   LIMIT $3::bigint FOR UPDATE SKIP LOCKED)"
        "   RETURNING id, message_id, service_id, channel, attempts, kind, payload, expires_at)"
        " SELECT c.id, COALESCE(c.message_id, 0), c.service_id, s.customer_id, c.channel,"
        " k.external_id, COALESCE(m.body, ''), c.attempts, COALESCE(m.external_id, ''),"
        " COALESCE(m.client_msg_id, ''), c.kind, c.payload, COALESCE(c.expires_at, 0)"
        " FROM c LEFT JOIN desk_messages m ON m.id = c.message_id"
        " JOIN desk_services s ON s.id = c.service_id" KJOIN("s") " ORDER BY c.id",
    /* s: the service exists; i: the entry, unless its dedupe key is taken */
    [STORE_OP_OUTBOX_PUT] =
        "WITH s AS (SELECT id FROM desk_services WHERE id = $5::bigint),"
        " i AS (INSERT INTO desk_outbox (kind, service_id, channel, payload, dedupe_key,"
        "   next_attempt_at, expires_at, created_at) SELECT $2::text, s.id, $1::text, $3::text,"
        "   $4::text, $7::bigint, NULLIF($6::bigint, 0), $7::bigint FROM s"
        "   ON CONFLICT (channel, dedupe_key) DO NOTHING RETURNING id)"
        " SELECT (SELECT count(*) FROM s), COALESCE((SELECT id FROM i), 0)",
    [STORE_OP_OUTBOX_SETTLE] =
        "WITH o AS (UPDATE desk_outbox SET status = CASE WHEN $2::boolean THEN 'sent'"
        "   WHEN attempts >= $5::int THEN 'failed' ELSE 'pending' END,"
        "   last_error = CASE WHEN $2::boolean THEN last_error ELSE COALESCE($3::text, '') END,"
        "   lease_until = NULL,"
        "   done_at = CASE WHEN $2::boolean OR attempts >= $5::int THEN $6::bigint END,"
        "   next_attempt_at = CASE WHEN $2::boolean THEN next_attempt_at"
        "   ELSE $6::bigint + $4::bigint END"
        "   WHERE id = $1::bigint AND status = 'pending' RETURNING message_id, status),"
        " m AS (UPDATE desk_messages d SET state = 'failed', state_at = $6::bigint,"
        "   state_error = NULLIF($3::text, '') FROM o"
        "   WHERE d.id = o.message_id AND o.status = 'failed' AND d.state = 'sent')"
        " SELECT count(*) FROM o",
    /* the channel's ids of messages */
    [STORE_OP_DESK_MSG_EXTERNAL] = "UPDATE desk_messages SET external_id = $2::text"
                                   " WHERE id = $1::bigint RETURNING id",
    [STORE_OP_DESK_MSG_FIND] =
        "SELECT " DMSG("m") ", " SVC("u") " FROM desk_messages m"
                                          " JOIN desk_services u ON u.id = m.service_id" KJOIN(
                                              "u") " WHERE m.external_id = $1::text",
    [STORE_OP_DESK_MSG_FAIL] = "WITH f AS (UPDATE desk_messages SET state = 'failed',"
                               " state_at = $2::bigint, state_error = NULLIF($3::text, '')"
                               " WHERE id = $1::bigint AND state = 'sent'"
                               " RETURNING id) SELECT count(*) FROM f",
};

const char *store__pg_desk_sql(store_op_t op)
{
    if ((size_t)op < STORE_OP__COUNT && desk_sqls[op] != NULL)
        return desk_sqls[op];
    return store__pg_channel_sql(op);
}

/* ---- parameters ---- */

int store__pg_desk_params(store_req_t *r, const char *v[PG_MAX_PARAMS])
{
    const char *now = store__pg_num(r, (int64_t)time_now_ms());
#define N(x) store__pg_num(r, (x))
    switch (r->op) {
    case STORE_OP_DESK_CUSTOMER_UPSERT:
        v[0] = r->s[0], v[1] = r->s[1], v[2] = r->s[2], v[3] = r->s[3], v[4] = now;
        return 5;
    case STORE_OP_DESK_CUSTOMER_GET:
    case STORE_OP_DESK_SERVICE_GET:
        v[0] = N(r->a[0]);
        return 1;
    case STORE_OP_DESK_INBOUND:
        v[0] = N(r->a[0]), v[1] = r->s[0], v[2] = r->s[1], v[3] = now, v[4] = r->s[2];
        return 5;
    case STORE_OP_DESK_OUTBOUND:
        v[0] = N(r->a[0]), v[1] = N(r->a[1]), v[2] = r->s[0], v[3] = r->s[1], v[4] = now;
        v[5] = r->s[2], v[6] = r->a[2] ? "true" : "false";
        return 7;
    case STORE_OP_DESK_ASSIGN:
        v[0] = N(r->a[0]), v[1] = N(r->a[1]), v[2] = r->a[2] ? "true" : "false", v[3] = now;
        return 4;
    case STORE_OP_DESK_FINISH:
        v[0] = N(r->a[0]), v[1] = N(r->a[1]), v[2] = now;
        return 3;
    case STORE_OP_DESK_IDLE_CLOSE:
        v[0] = N(r->a[0]), v[1] = N(r->a[1]), v[2] = now;
        return 3;
    case STORE_OP_DESK_TOUCH:
        v[0] = N(r->a[0]), v[1] = now;
        return 2;
    case STORE_OP_DESK_RATE:
        v[0] = N(r->a[0]), v[1] = N(r->a[1]), v[2] = N(r->a[2]), v[3] = r->s[0], v[4] = now;
        return 5;
    case STORE_OP_DESK_SERVICE_LIST:
        for (int i = 0; i < DESK_F__COUNT; i++)
            v[i] = N(r->ids[i]);
        v[DESK_F__COUNT] = r->s[0];
        return DESK_F__COUNT + 1;
    case STORE_OP_DESK_MESSAGES:
    case STORE_OP_DESK_CUSTOMER_MSGS:
        v[0] = N(r->a[0]), v[1] = N(r->a[1]), v[2] = N(r->a[2]);
        return 3;
    case STORE_OP_DESK_MARK:
        v[0] = N(r->a[0]), v[1] = store_desk_dir_name((store_desk_dir_t)r->a[1]);
        v[2] = N(r->a[2]), v[3] = store_msg_state_name((store_msg_state_t)r->a[3]);
        v[4] = r->a[3] == STORE_MSG_READ ? "delivered" : "sent", v[5] = now;
        return 6;
    case STORE_OP_DESK_STATS:
    case STORE_OP_DESK_STAFF_LIST:
        v[0] = N(r->a[0]), v[1] = N(r->a[1]);
        return 2;
    case STORE_OP_DESK_USER_SET:
        v[0] = N(r->a[0]);
        v[1] = r->a[1] < 0 ? NULL : store__user_role_name((store_user_role_t)r->a[1]);
        v[2] = N(r->a[2]), v[3] = r->s[0];
        return 4;
    case STORE_OP_DESK_ADMIN_COUNT:
        return 0;
    case STORE_OP_DESK_ADMIN_BOOTSTRAP:
        v[0] = r->s[0], v[1] = r->s[1], v[2] = r->s[2], v[3] = now;
        return 4;
    case STORE_OP_RESET_CREATE:
        v[0] = r->s[0], v[1] = N(r->a[0]), v[2] = now, v[3] = N(r->a[1]);
        return 4;
    case STORE_OP_RESET_USE:
        v[0] = r->s[0], v[1] = r->s[1], v[2] = now;
        return 3;
    case STORE_OP_OUTBOX_CLAIM:
        v[0] = r->s[0], v[1] = N(r->a[0]), v[2] = N(r->a[1]), v[3] = now;
        return 4;
    case STORE_OP_OUTBOX_PUT:
        v[0] = r->s[0], v[1] = r->s[1], v[2] = r->s[2], v[3] = r->s[3];
        v[4] = N(r->a[0]), v[5] = N(r->a[1]), v[6] = now;
        return 7;
    case STORE_OP_OUTBOX_SETTLE:
        v[0] = N(r->a[0]), v[1] = r->a[1] ? "true" : "false", v[2] = r->s[0];
        v[3] = N(r->a[2]), v[4] = N(r->a[3]), v[5] = now;
        return 6;
    case STORE_OP_DESK_MSG_EXTERNAL:
        v[0] = N(r->a[0]), v[1] = r->s[0];
        return 2;
    case STORE_OP_DESK_MSG_FIND:
        v[0] = r->s[0];
        return 1;
    case STORE_OP_DESK_MSG_FAIL:
        v[0] = N(r->a[0]), v[1] = now, v[2] = r->s[0];
        return 3;
    default:
        return store__pg_channel_params(r, v);
    }
#undef N
}

/* ---- results ---- */

#define INT(row, col)     store__pg_col_int(res, row, col)
#define TEXT(row, col)    store__pg_col_text(r, res, row, col)
#define IS_NULL(row, col) PQgetisnull(res, row, col)

static void read_service(store_req_t *r, const PGresult *res, int row, int c, store_service_t *s)
{
    s->id = INT(row, c);
    s->customer_id = INT(row, c + 1);
    s->channel = TEXT(row, c + 2);
    s->status = strcmp(PQgetvalue(res, row, c + 3), "finished") == 0 ? STORE_SERVICE_FINISHED
                                                                     : STORE_SERVICE_OPEN;
    s->attendant_id = INT(row, c + 4);
    s->created_at = INT(row, c + 5);
    s->assigned_at = INT(row, c + 6);
    s->first_response_at = INT(row, c + 7);
    s->last_activity_at = INT(row, c + 8);
    s->finished_at = INT(row, c + 9);
    s->finished_by = INT(row, c + 10);
    s->finish_reason = TEXT(row, c + 11);
    s->rating = (int)INT(row, c + 12);
    s->rating_comment = TEXT(row, c + 13);
    s->rated_at = INT(row, c + 14);
    s->last_seq = INT(row, c + 15);
    s->customer_name = TEXT(row, c + 16);
    s->customer_email = TEXT(row, c + 17);
    s->last_inbound_at = INT(row, c + 18);
    s->customer_external_id = TEXT(row, c + 19);
    s->last_body = NULL;
    s->last_direction = STORE_DESK_IN;
}

/* The SVC_LAST columns at c. */
static void read_last(store_req_t *r, const PGresult *res, int row, int c, store_service_t *s)
{
    s->last_body = PQgetisnull(res, row, c) ? NULL : TEXT(row, c);
    s->last_direction =
        strcmp(PQgetvalue(res, row, c + 1), "out") == 0 ? STORE_DESK_OUT : STORE_DESK_IN;
}

static void read_dmsg(store_req_t *r, const PGresult *res, int row, int c, store_desk_msg_t *m)
{
    m->id = INT(row, c);
    m->service_id = INT(row, c + 1);
    m->seq = INT(row, c + 2);
    m->direction = strcmp(PQgetvalue(res, row, c + 3), "out") == 0 ? STORE_DESK_OUT : STORE_DESK_IN;
    m->author_id = INT(row, c + 4);
    m->body = TEXT(row, c + 5);
    m->client_msg_id = TEXT(row, c + 6);
    m->created_at = INT(row, c + 7);
    m->state = store__msg_state_parse(PQgetvalue(res, row, c + 8));
    m->state_at = INT(row, c + 9);
    m->error = TEXT(row, c + 10);
}

static void *rows(store_req_t *r, int n, size_t size)
{
    return store__arena_alloc(&r->arena, (size_t)n * size);
}

/* inbound/outbound: flag, message, duplicate, service, opened */
static int message_result(store_req_t *r, const PGresult *res, int n)
{
    if (n == 0)
        return -EIO;
    if (IS_NULL(0, 1)) { /* nothing written, nothing found */
        const char *flag = PQgetvalue(res, 0, 0);
        if (r->op == STORE_OP_DESK_INBOUND)
            return strcmp(flag, "true") == 0 ? PG_RETRY : -ENOENT;
        if (IS_NULL(0, 0))
            return -ENOENT;
        return strcmp(flag, "finished") == 0 ? -EALREADY : PG_RETRY;
    }
    read_dmsg(r, res, 0, 1, &r->res.desk.msg);
    r->res.desk.msg.duplicate = store__pg_col_bool(res, 0, 1 + DMSG_N);
    read_service(r, res, 0, 2 + DMSG_N, &r->res.desk.svc);
    r->res.desk.svc.opened = store__pg_col_bool(res, 0, 2 + DMSG_N + SVC_N);
    return 0;
}

/* assign/finish/rate/get: status as seen, service or NULLs, previous attendant */
static int service_result(store_req_t *r, const PGresult *res, int n)
{
    if (n == 0)
        return -ENOENT;
    if (IS_NULL(0, 1)) {
        bool open = strcmp(PQgetvalue(res, 0, 0), "open") == 0;
        switch (r->op) {
        case STORE_OP_DESK_ASSIGN:
            if (!open)
                return -EALREADY;
            return r->a[2] ? -EEXIST : PG_RETRY; /* taken first / finished meanwhile */
        case STORE_OP_DESK_RATE:
            return open ? -EPERM : -EALREADY;
        default:
            return -EALREADY; /* finish: finished already, or by a concurrent finisher */
        }
    }
    read_service(r, res, 0, 1, &r->res.service);
    r->res.service.previous_attendant_id = INT(0, 1 + SVC_N);
    if (r->op == STORE_OP_DESK_SERVICE_GET)
        read_last(r, res, 0, 2 + SVC_N, &r->res.service);
    return 0;
}

int store__pg_desk_result(store_req_t *r, const PGresult *res)
{
    int n = PQntuples(res);
    switch (r->op) {
    case STORE_OP_DESK_CUSTOMER_UPSERT:
    case STORE_OP_DESK_CUSTOMER_GET: {
        if (n == 0)
            return -ENOENT;
        store_customer_t *c = &r->res.customer;
        c->id = INT(0, 0);
        c->channel = TEXT(0, 1);
        c->external_id = TEXT(0, 2);
        c->name = TEXT(0, 3);
        c->email = TEXT(0, 4);
        c->created_at = INT(0, 5);
        return 0;
    }
    case STORE_OP_DESK_INBOUND:
    case STORE_OP_DESK_OUTBOUND:
        return message_result(r, res, n);
    case STORE_OP_DESK_ASSIGN:
    case STORE_OP_DESK_FINISH:
    case STORE_OP_DESK_RATE:
    case STORE_OP_DESK_SERVICE_GET:
        return service_result(r, res, n);
    case STORE_OP_DESK_IDLE_CLOSE:
    case STORE_OP_DESK_SERVICE_LIST: {
        store_service_t *s = rows(r, n, sizeof(*s));
        for (int i = 0; i < n; i++) {
            read_service(r, res, i, 0, &s[i]);
            if (r->op == STORE_OP_DESK_SERVICE_LIST)
                read_last(r, res, i, SVC_N, &s[i]);
        }
        r->res.services.items = s;
        r->res.services.count = (size_t)n;
        return 0;
    }
    case STORE_OP_DESK_MESSAGES:
    case STORE_OP_DESK_CUSTOMER_MSGS: {
        store_desk_msg_t *m = rows(r, n, sizeof(*m));
        for (int i = 0; i < n; i++)
            read_dmsg(r, res, i, 0, &m[i]);
        r->res.desk_msgs.items = m;
        r->res.desk_msgs.count = (size_t)n;
        return 0;
    }
    case STORE_OP_DESK_MARK:
    case STORE_OP_DESK_ADMIN_COUNT:
        r->res.seq = n > 0 ? INT(0, 0) : 0;
        return 0;
    case STORE_OP_DESK_TOUCH:
        r->res.seq = n;
        return 0;
    case STORE_OP_DESK_STATS: {
        store_desk_stats_row_t *s = rows(r, n, sizeof(*s));
        for (int i = 0; i < n; i++) {
            s[i].attendant_id = INT(i, 0);
            s[i].username = TEXT(i, 1);
            s[i].display_name = TEXT(i, 2);
            int64_t *v = &s[i].opened; /* opened .. ratings[4]: consecutive int64_t fields */
            for (int j = 0; j < 14; j++)
                v[j] = INT(i, 3 + j);
        }
        r->res.stats.items = s;
        r->res.stats.count = (size_t)n;
        return 0;
    }
    case STORE_OP_DESK_USER_SET:
    case STORE_OP_RESET_USE:
        if (n == 0)
            return -ENOENT;
        store__pg_read_user(r, res, 0, 0, &r->res.user);
        return 0;
    case STORE_OP_DESK_ADMIN_BOOTSTRAP:
        if (n == 0)
            return -EEXIST;
        store__pg_read_user(r, res, 0, 0, &r->res.user);
        return 0;
    case STORE_OP_DESK_STAFF_LIST: {
        store_user_t *u = rows(r, n, sizeof(*u));
        for (int i = 0; i < n; i++)
            store__pg_read_user(r, res, i, 0, &u[i]);
        r->res.users.items = u;
        r->res.users.count = (size_t)n;
        return 0;
    }
    case STORE_OP_RESET_CREATE:
        return 0;
    case STORE_OP_OUTBOX_CLAIM: {
        store_outbox_item_t *o = rows(r, n, sizeof(*o));
        for (int i = 0; i < n; i++) {
            o[i].id = INT(i, 0);
            o[i].message_id = INT(i, 1);
            o[i].service_id = INT(i, 2);
            o[i].customer_id = INT(i, 3);
            o[i].channel = TEXT(i, 4);
            o[i].external_id = TEXT(i, 5);
            o[i].body = TEXT(i, 6);
            o[i].attempts = (int)INT(i, 7);
            o[i].sent_id = TEXT(i, 8);
            o[i].client_msg_id = TEXT(i, 9);
            o[i].kind = store__outbox_kind_parse(PQgetvalue(res, i, 10));
            o[i].payload = TEXT(i, 11);
            o[i].expires_at = INT(i, 12);
        }
        r->res.outbox.items = o;
        r->res.outbox.count = (size_t)n;
        return 0;
    }
    case STORE_OP_OUTBOX_SETTLE:
        return n == 0 || INT(0, 0) == 0 ? -ENOENT : 0;
    case STORE_OP_OUTBOX_PUT:
        if (n == 0)
            return -EIO;
        r->res.seq = INT(0, 1);
        return INT(0, 0) == 0 ? -ENOENT : 0;
    case STORE_OP_DESK_MSG_EXTERNAL:
        return n == 0 ? -ENOENT : 0;
    case STORE_OP_DESK_MSG_FIND:
        if (n == 0)
            return -ENOENT;
        read_dmsg(r, res, 0, 0, &r->res.desk.msg);
        read_service(r, res, 0, DMSG_N, &r->res.desk.svc);
        return 0;
    case STORE_OP_DESK_MSG_FAIL:
        r->res.seq = n > 0 ? INT(0, 0) : 0;
        return 0;
    default:
        return store__pg_channel_result(r, res);
    }
}
