/* sqlite_desk.c - the desk operations (desk.h) of the SQLite backend. Like sqlite_ops.c they run
 * on the single worker thread inside the batch transaction with a savepoint each, so a
 * multi-step operation (look for the open service, open one, bump its seq, insert the message)
 * is atomic and no other writer can interleave: the checks are plain SELECTs followed by the
 * writes. Several processes on one file serialise on BEGIN IMMEDIATE, which keeps the same
 * property across processes. */
#include "storage/sqlite_be.h"

#include <errno.h>
#include <string.h>

#define SVC_COLS                                                                                   \
    "s.id, s.customer_id, s.channel, s.status, s.attendant_id, s.created_at, s.assigned_at,"       \
    " s.first_response_at, s.last_activity_at, s.finished_at, s.finished_by, s.finish_reason,"     \
    " s.rating, s.rating_comment, s.rated_at, s.last_seq, k.name, k.email, s.last_inbound_at,"     \
    " k.external_id"                                                                               \
    " FROM desk_services s JOIN desk_customers k ON k.id = s.customer_id"
/* the newest message, for get and list (SVC_LAST_COLS then SVC_COLS' FROM) */
#define SVC_LAST_COLS                                                                              \
    "(SELECT m.body FROM desk_messages m WHERE m.service_id = s.id AND m.seq = s.last_seq),"       \
    " (SELECT m.direction FROM desk_messages m WHERE m.service_id = s.id AND m.seq = "             \
    "s.last_seq), "
#define DMSG_COLS                                                                                  \
    "id, service_id, seq, direction, author_id, body, client_msg_id, created_at, state, state_at," \
    " state_error"
#define CUST_COLS "id, channel, external_id, name, email, created_at"

#define I(...) ((const int64_t[]){__VA_ARGS__})
#define S(...) ((const char *const[]){__VA_ARGS__})

static int64_t col_int(sqlite3_stmt *st, int i)
{
    return sqlite3_column_int64(st, i);
}

static const char *col_raw(sqlite3_stmt *st, int i)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    return t != NULL ? (const char *)t : "";
}

/* The SVC_COLS of a row from column c on. */
static void read_service_at(store_arena_t *a, sqlite3_stmt *st, int c, store_service_t *s)
{
    s->id = col_int(st, c);
    s->customer_id = col_int(st, c + 1);
    s->channel = store__sqlite_col_text(a, st, c + 2);
    s->status =
        strcmp(col_raw(st, c + 3), "finished") == 0 ? STORE_SERVICE_FINISHED : STORE_SERVICE_OPEN;
    s->attendant_id = col_int(st, c + 4);
    s->created_at = col_int(st, c + 5);
    s->assigned_at = col_int(st, c + 6);
    s->first_response_at = col_int(st, c + 7);
    s->last_activity_at = col_int(st, c + 8);
    s->finished_at = col_int(st, c + 9);
    s->finished_by = col_int(st, c + 10);
    s->finish_reason = store__sqlite_col_text(a, st, c + 11);
    s->rating = (int)col_int(st, c + 12);
    s->rating_comment = store__sqlite_col_text(a, st, c + 13);
    s->rated_at = col_int(st, c + 14);
    s->last_seq = col_int(st, c + 15);
    s->customer_name = store__sqlite_col_text(a, st, c + 16);
    s->customer_email = store__sqlite_col_text(a, st, c + 17);
    s->last_inbound_at = col_int(st, c + 18);
    s->customer_external_id = store__sqlite_col_text(a, st, c + 19);
}

static void read_service(store_arena_t *a, sqlite3_stmt *st, void *out)
{
    store_service_t *s = out;
    read_service_at(a, st, 0, s);
    s->last_body = NULL;
    s->last_direction = STORE_DESK_IN;
}

/* A row of SVC_LAST_COLS then SVC_COLS. */
static void read_service_last(store_arena_t *a, sqlite3_stmt *st, void *out)
{
    store_service_t *s = out;
    bool has = sqlite3_column_type(st, 0) != SQLITE_NULL;
    s->last_body = has ? store__sqlite_col_text(a, st, 0) : NULL;
    s->last_direction = strcmp(col_raw(st, 1), "out") == 0 ? STORE_DESK_OUT : STORE_DESK_IN;
    read_service_at(a, st, 2, s);
}

static void read_dmsg(store_arena_t *a, sqlite3_stmt *st, void *out)
{
    store_desk_msg_t *m = out;
    m->id = col_int(st, 0);
    m->service_id = col_int(st, 1);
    m->seq = col_int(st, 2);
    m->direction = strcmp(col_raw(st, 3), "out") == 0 ? STORE_DESK_OUT : STORE_DESK_IN;
    m->author_id = col_int(st, 4);
    m->body = store__sqlite_col_text(a, st, 5);
    m->client_msg_id = store__sqlite_col_text(a, st, 6);
    m->created_at = col_int(st, 7);
    m->state = store__msg_state_parse(col_raw(st, 8));
    m->state_at = col_int(st, 9);
    m->error = store__sqlite_col_text(a, st, 10);
}

static void read_customer(store_arena_t *a, sqlite3_stmt *st, void *out)
{
    store_customer_t *c = out;
    c->id = col_int(st, 0);
    c->channel = store__sqlite_col_text(a, st, 1);
    c->external_id = store__sqlite_col_text(a, st, 2);
    c->name = store__sqlite_col_text(a, st, 3);
    c->email = store__sqlite_col_text(a, st, 4);
    c->created_at = col_int(st, 5);
}

static void read_stats(store_arena_t *a, sqlite3_stmt *st, void *out)
{
    store_desk_stats_row_t *s = out;
    s->attendant_id = col_int(st, 0);
    s->username = store__sqlite_col_text(a, st, 1);
    s->display_name = store__sqlite_col_text(a, st, 2);
    int64_t *n = &s->opened; /* opened .. ratings[4]: consecutive int64_t fields */
    for (int i = 0; i < 14; i++)
        n[i] = col_int(st, 3 + i);
}

static void read_outbox(store_arena_t *a, sqlite3_stmt *st, void *out)
{
    store_outbox_item_t *o = out;
    o->id = col_int(st, 0);
    o->message_id = col_int(st, 1);
    o->service_id = col_int(st, 2);
    o->customer_id = col_int(st, 3);
    o->channel = store__sqlite_col_text(a, st, 4);
    o->external_id = store__sqlite_col_text(a, st, 5);
    o->body = store__sqlite_col_text(a, st, 6);
    o->attempts = (int)col_int(st, 7);
    o->sent_id = store__sqlite_col_text(a, st, 8);
    o->client_msg_id = store__sqlite_col_text(a, st, 9);
    o->kind = store__outbox_kind_parse(col_raw(st, 10));
    o->payload = store__sqlite_col_text(a, st, 11);
    o->expires_at = col_int(st, 12);
}

static int service_read(sqlite_be_t *be, store_req_t *r, int64_t id, store_service_t *out)
{
    static const char sql[] = "SELECT " SVC_COLS " WHERE s.id = ?";
    return store__sqlite_one(be, r, sql, "i", I(id), NULL, read_service, out);
}

static int user_read(sqlite_be_t *be, store_req_t *r, int64_t id)
{
    static const char sql[] = "SELECT " SQLITE_USER_COLS " FROM users WHERE id = ?";
    return store__sqlite_one(be, r, sql, "i", I(id), NULL, store__sqlite_read_user, &r->res.user);
}

/* ---- customers ---- */

static int customer_upsert(sqlite_be_t *be, store_req_t *r)
{
    static const char sql[] =
        "INSERT INTO desk_customers (channel, external_id, name, email, created_at)"
        " VALUES (?, ?, ?, ?, ?) ON CONFLICT (channel, external_id) DO UPDATE SET"
        " name = CASE WHEN excluded.name <> '' THEN excluded.name ELSE name END,"
        " email = CASE WHEN excluded.email <> '' THEN excluded.email ELSE email END"
        " RETURNING " CUST_COLS;
    return store__sqlite_one(be, r, sql, "ssssi", I((int64_t)time_now_ms()),
                             S(r->s[0], r->s[1], r->s[2], r->s[3]), read_customer,
                             &r->res.customer);
}

static int customer_get(sqlite_be_t *be, store_req_t *r)
{
    static const char sql[] = "SELECT " CUST_COLS " FROM desk_customers WHERE id = ?";
    return store__sqlite_one(be, r, sql, "i", I(r->a[0]), NULL, read_customer, &r->res.customer);
}

/* ---- messages ---- */

/* The stored message of (sender, client id), if any: 0 and res.desk filled, else -ENOENT. */
static int find_duplicate(sqlite_be_t *be, store_req_t *r)
{
    static const char sql[] =
        "SELECT " DMSG_COLS " FROM desk_messages WHERE sender = ? AND client_msg_id = ?";
    if (r->s[1] == NULL)
        return -ENOENT;
    int rc =
        store__sqlite_one(be, r, sql, "ss", NULL, S(r->s[2], r->s[1]), read_dmsg, &r->res.desk.msg);
    if (rc == 0) {
        r->res.desk.msg.duplicate = true;
        rc = service_read(be, r, r->res.desk.msg.service_id, &r->res.desk.svc);
        if (rc == -ENOENT)
            rc = -EIO;
    }
    return rc;
}

/* Takes the next seq of service `sid`, inserts the message, reads the service back. */
static int append(sqlite_be_t *be, store_req_t *r, int64_t sid, const char *dir, int64_t author,
                  int64_t now)
{
    static const char bump[] =
        "UPDATE desk_services SET last_seq = last_seq + 1, last_activity_at = ?,"
        " first_response_at = CASE WHEN ? = 'out' THEN COALESCE(first_response_at, ?)"
        "   ELSE first_response_at END WHERE id = ? RETURNING last_seq";
    static const char ins[] =
        "INSERT INTO desk_messages (service_id, seq, direction, author_id, sender, body,"
        " client_msg_id, created_at, state, state_at)"
        " VALUES (?, ?, ?, NULLIF(?, 0), ?, ?, ?, ?, 'sent', ?) RETURNING " DMSG_COLS;
    int64_t seq = 0;
    int rc = store__sqlite_scalar(be, bump, "isii", I(now, now, sid), S(dir), &seq);
    if (rc == 0)
        rc = store__sqlite_one(be, r, ins, "iisisssii", I(sid, seq, author, now, now),
                               S(dir, r->s[2], r->s[0], r->s[1]), read_dmsg, &r->res.desk.msg);
    if (rc == -EEXIST || rc == -ENOENT) /* seq taken, author gone: not while we are serial */
        rc = -EIO;
    if (rc == 0)
        rc = service_read(be, r, sid, &r->res.desk.svc);
    return rc;
}

static int inbound(sqlite_be_t *be, store_req_t *r)
{
    static const char open_one[] =
        "SELECT id FROM desk_services WHERE customer_id = ? AND status = 'open'";
    static const char create[] =
        "INSERT INTO desk_services (customer_id, channel, status, created_at, last_activity_at)"
        " SELECT id, channel, 'open', ?, ? FROM desk_customers WHERE id = ? RETURNING id";
    int rc = find_duplicate(be, r);
    if (rc != -ENOENT)
        return rc;
    int64_t now = (int64_t)time_now_ms(), sid = 0;
    bool opened = false;
    rc = store__sqlite_scalar(be, open_one, "i", I(r->a[0]), NULL, &sid);
    if (rc == -ENOENT) {
        rc = store__sqlite_scalar(be, create, "iii", I(now, now, r->a[0]), NULL, &sid);
        opened = rc == 0; /* -ENOENT: no such customer */
    }
    if (rc == 0) /* the customer-service window (WhatsApp) runs from the customer's last word */
        rc = store__sqlite_do(be, "UPDATE desk_services SET last_inbound_at = ? WHERE id = ?", "ii",
                              I(now, sid), NULL, NULL);
    if (rc == 0)
        rc = append(be, r, sid, "in", 0, now);
    r->res.desk.svc.opened = opened;
    return rc;
}

/* 0 if service `sid` exists and is open, else -ENOENT or -EALREADY. */
static int service_open(sqlite_be_t *be, int64_t sid)
{
    static const char sql[] = "SELECT status = 'open' FROM desk_services WHERE id = ?";
    int64_t open = 0;
    int rc = store__sqlite_scalar(be, sql, "i", I(sid), NULL, &open);
    return rc == 0 && !open ? -EALREADY : rc;
}

static int outbound(sqlite_be_t *be, store_req_t *r)
{
    static const char outbox[] =
        "INSERT INTO desk_outbox (message_id, service_id, channel, next_attempt_at, created_at)"
        " SELECT ?, id, channel, ?, ? FROM desk_services WHERE id = ?";
    int rc = find_duplicate(be, r);
    if (rc != -ENOENT)
        return rc;
    int64_t now = (int64_t)time_now_ms();
    rc = service_open(be, r->a[0]);
    if (rc == 0)
        rc = append(be, r, r->a[0], "out", r->a[1], now);
    if (rc == 0 && r->a[2])
        rc = store__sqlite_do(be, outbox, "iiii", I(r->res.desk.msg.id, now, now, r->a[0]), NULL,
                              NULL);
    return rc;
}

/* ---- services ---- */

static int assign(sqlite_be_t *be, store_req_t *r)
{
    static const char sql[] = "UPDATE desk_services SET attendant_id = NULLIF(?, 0),"
                              " assigned_at = CASE WHEN ? = 0 THEN assigned_at ELSE ? END"
                              " WHERE id = ?";
    store_service_t *s = &r->res.service;
    int rc = service_read(be, r, r->a[0], s);
    if (rc == 0 && s->status != STORE_SERVICE_OPEN)
        rc = -EALREADY;
    if (rc == 0 && r->a[2] && s->attendant_id != 0)
        rc = -EEXIST;
    int64_t prev = s->attendant_id;
    if (rc == 0)
        rc = store__sqlite_do(be, sql, "iiii", I(r->a[1], r->a[1], (int64_t)time_now_ms(), r->a[0]),
                              NULL, NULL);
    if (rc == 0)
        rc = service_read(be, r, r->a[0], s);
    s->previous_attendant_id = prev;
    return rc;
}

static int finish(sqlite_be_t *be, store_req_t *r)
{
    static const char sql[] =
        "UPDATE desk_services SET status = 'finished', finished_at = ?,"
        " finished_by = NULLIF(?, 0), finish_reason = CASE WHEN ? = 0 THEN 'idle' ELSE 'agent' END"
        " WHERE id = ? AND status = 'open'";
    int changes = 0;
    int rc = store__sqlite_do(be, sql, "iiii", I((int64_t)time_now_ms(), r->a[1], r->a[1], r->a[0]),
                              NULL, &changes);
    if (rc == 0 && changes == 0)
        rc = service_open(be, r->a[0]) == -ENOENT ? -ENOENT : -EALREADY;
    if (rc == 0)
        rc = service_read(be, r, r->a[0], &r->res.service);
    return rc;
}

static int idle_close(sqlite_be_t *be, store_req_t *r)
{
    static const char due[] = "SELECT " SVC_COLS " WHERE s.status = 'open'"
                              " AND s.last_activity_at < ? ORDER BY s.id LIMIT ?";
    static const char upd[] =
        "UPDATE desk_services SET status = 'finished', finished_at = ?, finish_reason = 'idle'"
        " WHERE id IN (SELECT id FROM desk_services WHERE status = 'open'"
        "   AND last_activity_at < ? ORDER BY id LIMIT ?)";
    store_service_list_t *l = &r->res.services;
    int64_t now = (int64_t)time_now_ms();
    int rc = store__sqlite_many(be, r, due, "ii", I(r->a[0], r->a[1]), NULL, read_service,
                                sizeof(store_service_t), (const void **)&l->items, &l->count);
    if (rc == 0 && l->count > 0)
        rc = store__sqlite_do(be, upd, "iii", I(now, r->a[0], r->a[1]), NULL, NULL);
    for (size_t i = 0; rc == 0 && i < l->count; i++) { /* the rows as the UPDATE left them */
        store_service_t *s = (store_service_t *)&l->items[i];
        s->status = STORE_SERVICE_FINISHED;
        s->finished_at = now;
        s->finish_reason = "idle";
    }
    return rc;
}

static int touch(sqlite_be_t *be, store_req_t *r)
{
    static const char sql[] = "UPDATE desk_services SET last_activity_at = max(last_activity_at, ?)"
                              " WHERE id = ? AND status = 'open'";
    int changes = 0;
    int rc = store__sqlite_do(be, sql, "ii", I((int64_t)time_now_ms(), r->a[0]), NULL, &changes);
    r->res.seq = changes;
    return rc;
}

static int rate(sqlite_be_t *be, store_req_t *r)
{
    static const char sql[] =
        "UPDATE desk_services SET rating = ?, rating_comment = ?, rated_at = ? WHERE id = ?";
    store_service_t *s = &r->res.service;
    int rc = service_read(be, r, r->a[0], s);
    if (rc == 0 && s->customer_id != r->a[1])
        rc = -ENOENT;
    if (rc == 0 && s->status == STORE_SERVICE_OPEN)
        rc = -EPERM;
    if (rc == 0 && s->rating != 0)
        rc = -EALREADY;
    if (rc == 0)
        rc = store__sqlite_do(be, sql, "isii", I(r->a[2], (int64_t)time_now_ms(), r->a[0]),
                              S(r->s[0] != NULL ? r->s[0] : ""), NULL);
    if (rc == 0)
        rc = service_read(be, r, r->a[0], s);
    return rc;
}

static int service_get(sqlite_be_t *be, store_req_t *r)
{
    static const char sql[] = "SELECT " SVC_LAST_COLS SVC_COLS " WHERE s.id = ?";
    return store__sqlite_one(be, r, sql, "i", I(r->a[0]), NULL, read_service_last, &r->res.service);
}

static int service_list(sqlite_be_t *be, store_req_t *r)
{
    static const char sql[] =
        "SELECT " SVC_LAST_COLS SVC_COLS
        " WHERE (?1 = 0 OR s.status = CASE ?1 WHEN 1 THEN 'open' ELSE"
        " 'finished' END) AND (?2 = 0 OR (?2 < 0 AND s.attendant_id IS NULL)"
        " OR s.attendant_id = ?2) AND (?3 = 0 OR s.attendant_id = ?3"
        " OR (s.attendant_id IS NULL AND s.status = 'open')) AND (?4 = 0 OR s.customer_id = ?4)"
        " AND (?5 = 0 OR s.created_at >= ?5) AND (?6 = 0 OR s.created_at < ?6)"
        " AND (?7 = 0 OR s.id < ?7) AND (?9 IS NULL OR s.channel = ?9)"
        " ORDER BY s.id DESC LIMIT ?8";
    const int64_t *f = r->ids;
    store_service_list_t *l = &r->res.services;
    return store__sqlite_many(be, r, sql, "iiiiiiiis",
                              I(f[DESK_F_STATUS], f[DESK_F_ATTENDANT], f[DESK_F_VISIBLE],
                                f[DESK_F_CUSTOMER], f[DESK_F_FROM], f[DESK_F_TO], f[DESK_F_BEFORE],
                                f[DESK_F_LIMIT]),
                              S(r->s[0]), read_service_last, sizeof(store_service_t),
                              (const void **)&l->items, &l->count);
}

static int msg_rows(sqlite_be_t *be, store_req_t *r, const char *sql)
{
    store_desk_msg_list_t *l = &r->res.desk_msgs;
    return store__sqlite_many(be, r, sql, "iii", I(r->a[0], r->a[1], r->a[2]), NULL, read_dmsg,
                              sizeof(store_desk_msg_t), (const void **)&l->items, &l->count);
}

static int messages(sqlite_be_t *be, store_req_t *r)
{
    static const char sql[] = "SELECT " DMSG_COLS " FROM desk_messages WHERE service_id = ?"
                              " AND seq > ? ORDER BY seq LIMIT ?";
    return msg_rows(be, r, sql);
}

static int customer_msgs(sqlite_be_t *be, store_req_t *r)
{
    static const char sql[] =
        "SELECT m.id, m.service_id, m.seq, m.direction, m.author_id, m.body, m.client_msg_id,"
        " m.created_at, m.state, m.state_at FROM desk_messages m"
        " JOIN desk_services s ON s.id = m.service_id WHERE s.customer_id = ? AND m.id < ?"
        " ORDER BY m.id DESC LIMIT ?";
    if (r->a[1] == 0)
        r->a[1] = INT64_MAX;
    return msg_rows(be, r, sql);
}

static int mark(sqlite_be_t *be, store_req_t *r)
{
    static const char top[] = "SELECT COALESCE(max(seq), 0) FROM desk_messages"
                              " WHERE service_id = ? AND direction = ? AND seq <= ?"
                              " AND state IN (?, ?)";
    static const char upd[] = "UPDATE desk_messages SET state = ?, state_at = ?"
                              " WHERE service_id = ? AND direction = ? AND seq <= ?"
                              " AND state IN (?, ?)";
    const char *dir = store_desk_dir_name((store_desk_dir_t)r->a[1]);
    const char *to = store_msg_state_name((store_msg_state_t)r->a[3]);
    const char *from2 = r->a[3] == STORE_MSG_READ ? "delivered" : "sent";
    int rc = store__sqlite_scalar(be, top, "isiss", I(r->a[0], r->a[2]), S(dir, "sent", from2),
                                  &r->res.seq);
    if (rc == 0 && r->res.seq > 0)
        rc = store__sqlite_do(be, upd, "siisiss", I((int64_t)time_now_ms(), r->a[0], r->a[2]),
                              S(to, dir, "sent", from2), NULL);
    return rc;
}

static int stats(sqlite_be_t *be, store_req_t *r)
{
    store_desk_stats_t *l = &r->res.stats;
    return store__sqlite_many(be, r, store__desk_stats_sql, "ii", I(r->a[0], r->a[1]), NULL,
                              read_stats, sizeof(store_desk_stats_row_t), (const void **)&l->items,
                              &l->count);
}

/* ---- staff ---- */

static int user_set(sqlite_be_t *be, store_req_t *r)
{
    static const char sql[] =
        "UPDATE users SET role = COALESCE(?, role), active = CASE WHEN ? < 0 THEN active ELSE ?"
        " END, display_name = COALESCE(?, display_name) WHERE id = ?";
    static const char revoke[] = "UPDATE refresh_tokens SET revoked = 1 WHERE user_id = ?";
    const char *role = r->a[1] < 0 ? NULL : store__user_role_name((store_user_role_t)r->a[1]);
    int changes = 0;
    int rc = store__sqlite_do(be, sql, "siisi", I(r->a[2], r->a[2], r->a[0]), S(role, r->s[0]),
                              &changes);
    if (rc == 0 && changes == 0)
        rc = -ENOENT;
    if (rc == 0 && r->a[2] == 0)
        rc = store__sqlite_do(be, revoke, "i", I(r->a[0]), NULL, NULL);
    if (rc == 0)
        rc = user_read(be, r, r->a[0]);
    return rc;
}

static int staff_list(sqlite_be_t *be, store_req_t *r)
{
    static const char sql[] = "SELECT " SQLITE_USER_COLS " FROM users"
                              " WHERE role IN ('agent', 'admin') AND id > ? ORDER BY id LIMIT ?";
    store_user_list_t *l = &r->res.users;
    return store__sqlite_many(be, r, sql, "ii", I(r->a[0], r->a[1]), NULL, store__sqlite_read_user,
                              sizeof(store_user_t), (const void **)&l->items, &l->count);
}

static const char admin_count_sql[] =
    "SELECT count(*) FROM users WHERE role = 'admin' AND active = 1";

static int admin_count(sqlite_be_t *be, store_req_t *r)
{
    return store__sqlite_scalar(be, admin_count_sql, "", NULL, NULL, &r->res.seq);
}

static int admin_bootstrap(sqlite_be_t *be, store_req_t *r)
{
    static const char ins[] =
        "INSERT INTO users (username, display_name, password_hash, role, created_at)"
        " VALUES (?, ?, ?, 'admin', ?) RETURNING id";
    int64_t n = 0, id = 0;
    int rc = store__sqlite_scalar(be, admin_count_sql, "", NULL, NULL, &n);
    if (rc == 0 && n > 0)
        rc = -EEXIST;
    if (rc == 0)
        rc = store__sqlite_scalar(be, ins, "sssi", I((int64_t)time_now_ms()),
                                  S(r->s[0], r->s[1], r->s[2]), &id);
    if (rc == 0)
        rc = user_read(be, r, id);
    return rc;
}

static int reset_create(sqlite_be_t *be, store_req_t *r)
{
    static const char sql[] = "INSERT INTO password_resets (token_hash, user_id, created_at,"
                              " expires_at) VALUES (?, ?, ?, ?)";
    return store__sqlite_do(be, sql, "siii", I(r->a[0], (int64_t)time_now_ms(), r->a[1]),
                            S(r->s[0]), NULL);
}

static int reset_use(sqlite_be_t *be, store_req_t *r)
{
    static const char find[] =
        "SELECT p.user_id FROM password_resets p JOIN users u ON u.id = p.user_id"
        " WHERE p.token_hash = ? AND p.used_at IS NULL AND p.expires_at > ? AND u.active = 1";
    static const char used[] = "UPDATE password_resets SET used_at = ? WHERE token_hash = ?";
    static const char pw[] = "UPDATE users SET password_hash = ? WHERE id = ?";
    static const char revoke[] = "UPDATE refresh_tokens SET revoked = 1 WHERE user_id = ?";
    int64_t now = (int64_t)time_now_ms(), uid = 0;
    int rc = store__sqlite_scalar(be, find, "si", I(now), S(r->s[0]), &uid);
    if (rc == 0)
        rc = store__sqlite_do(be, used, "is", I(now), S(r->s[0]), NULL);
    if (rc == 0)
        rc = store__sqlite_do(be, pw, "si", I(uid), S(r->s[1]), NULL);
    if (rc == 0)
        rc = store__sqlite_do(be, revoke, "i", I(uid), NULL, NULL);
    if (rc == 0)
        rc = user_read(be, r, uid);
    return rc;
}

/* ---- outbox ---- */

static int outbox_claim(sqlite_be_t *be, store_req_t *r)
{
#define DUE                                                                                        \
    " o.channel = ? AND o.status = 'pending' AND o.next_attempt_at <= ?"                           \
    " AND (o.lease_until IS NULL OR o.lease_until <= ?) AND NOT EXISTS (SELECT 1 FROM"             \
    " desk_channels c WHERE c.channel = o.channel AND c.enabled = 0) ORDER BY o.id LIMIT ?"
    /* first the entries whose time has passed: done, never sent (desk.h) */
    static const char expire[] =
        "UPDATE desk_outbox SET status = 'expired', done_at = ?, lease_until = NULL"
        " WHERE channel = ? AND status = 'pending' AND expires_at <= ?"
        " AND (lease_until IS NULL OR lease_until <= ?)";
    static const char sel[] =
        "SELECT o.id, COALESCE(o.message_id, 0), o.service_id, s.customer_id, o.channel,"
        " k.external_id, COALESCE(m.body, ''), o.attempts + 1, COALESCE(m.external_id, ''),"
        " COALESCE(m.client_msg_id, ''), o.kind, o.payload, COALESCE(o.expires_at, 0)"
        " FROM desk_outbox o LEFT JOIN desk_messages m ON m.id = o.message_id"
        " JOIN desk_services s ON s.id = o.service_id"
        " JOIN desk_customers k ON k.id = s.customer_id WHERE" DUE;
    static const char upd[] = "UPDATE desk_outbox SET lease_until = ?, attempts = attempts + 1"
                              " WHERE id IN (SELECT o.id FROM desk_outbox o WHERE" DUE ")";
#undef DUE
    int64_t now = (int64_t)time_now_ms();
    store_outbox_list_t *l = &r->res.outbox;
    int rc = store__sqlite_do(be, expire, "isii", I(now, now, now), S(r->s[0]), NULL);
    if (rc == 0)
        rc = store__sqlite_many(be, r, sel, "siii", I(now, now, r->a[1]), S(r->s[0]), read_outbox,
                                sizeof(store_outbox_item_t), (const void **)&l->items, &l->count);
    if (rc == 0 && l->count > 0)
        rc = store__sqlite_do(be, upd, "isiii", I(now + r->a[0], now, now, r->a[1]), S(r->s[0]),
                              NULL);
    return rc;
}

static int outbox_put(sqlite_be_t *be, store_req_t *r)
{
    static const char sql[] =
        "INSERT INTO desk_outbox (kind, service_id, channel, payload, dedupe_key, next_attempt_at,"
        " expires_at, created_at) VALUES (?, ?, ?, ?, ?, ?, NULLIF(?, 0), ?)"
        " ON CONFLICT (channel, dedupe_key) DO NOTHING";
    int64_t n = 0, now = (int64_t)time_now_ms();
    int changes = 0;
    int rc = store__sqlite_scalar(be, "SELECT count(*) FROM desk_services WHERE id = ?", "i",
                                  I(r->a[0]), NULL, &n);
    if (rc == 0 && n == 0)
        rc = -ENOENT;
    if (rc == 0)
        rc = store__sqlite_do(be, sql, "sisssiii", I(r->a[0], now, r->a[1], now),
                              S(r->s[1], r->s[0], r->s[2], r->s[3]), &changes);
    r->res.seq = rc == 0 && changes > 0 ? (int64_t)sqlite3_last_insert_rowid(be->db) : 0;
    return rc;
}

static int outbox_settle(sqlite_be_t *be, store_req_t *r)
{
    static const char sent[] = "UPDATE desk_outbox SET status = 'sent', done_at = ?,"
                               " lease_until = NULL WHERE id = ? AND status = 'pending'";
    static const char retry[] =
        "UPDATE desk_outbox SET last_error = ?, lease_until = NULL,"
        " status = CASE WHEN attempts >= ? THEN 'failed' ELSE 'pending' END,"
        " done_at = CASE WHEN attempts >= ? THEN ? END, next_attempt_at = ?"
        " WHERE id = ? AND status = 'pending'";
    static const char msg[] =
        "UPDATE desk_messages SET state = 'failed', state_at = ?, state_error = NULLIF(?, '')"
        " WHERE id = (SELECT message_id FROM desk_outbox WHERE id = ? AND status = 'failed')"
        " AND state = 'sent'";
    int64_t now = (int64_t)time_now_ms();
    int changes = 0;
    int rc;
    if (r->a[1])
        rc = store__sqlite_do(be, sent, "ii", I(now, r->a[0]), NULL, &changes);
    else
        rc = store__sqlite_do(be, retry, "siiiii", I(r->a[3], r->a[3], now, now + r->a[2], r->a[0]),
                              S(r->s[0] != NULL ? r->s[0] : ""), &changes);
    if (rc == 0 && changes == 0)
        rc = -ENOENT;
    if (rc == 0)
        rc = store__sqlite_do(be, msg, "isi", I(now, r->a[0]), S(r->s[0]), NULL);
    return rc;
}

/* ---- the channel's ids of messages ---- */

static int msg_external(sqlite_be_t *be, store_req_t *r)
{
    static const char sql[] = "UPDATE desk_messages SET external_id = ? WHERE id = ?";
    int changes = 0;
    int rc = store__sqlite_do(be, sql, "si", I(r->a[0]), S(r->s[0]), &changes);
    return rc == 0 && changes == 0 ? -ENOENT : rc;
}

static int msg_find(sqlite_be_t *be, store_req_t *r)
{
    static const char sql[] = "SELECT " DMSG_COLS " FROM desk_messages WHERE external_id = ?";
    int rc = store__sqlite_one(be, r, sql, "s", NULL, S(r->s[0]), read_dmsg, &r->res.desk.msg);
    if (rc == 0)
        rc = service_read(be, r, r->res.desk.msg.service_id, &r->res.desk.svc);
    return rc;
}

static int msg_fail(sqlite_be_t *be, store_req_t *r)
{
    static const char sql[] =
        "UPDATE desk_messages SET state = 'failed', state_at = ?, state_error = NULLIF(?, '')"
        " WHERE id = ? AND state = 'sent'";
    int changes = 0;
    int rc =
        store__sqlite_do(be, sql, "isi", I((int64_t)time_now_ms(), r->a[0]), S(r->s[0]), &changes);
    r->res.seq = changes;
    return rc;
}

sqlite_op_fn store__sqlite_desk_op(store_op_t op)
{
    switch (op) {
    case STORE_OP_DESK_CUSTOMER_UPSERT:
        return customer_upsert;
    case STORE_OP_DESK_CUSTOMER_GET:
        return customer_get;
    case STORE_OP_DESK_INBOUND:
        return inbound;
    case STORE_OP_DESK_OUTBOUND:
        return outbound;
    case STORE_OP_DESK_ASSIGN:
        return assign;
    case STORE_OP_DESK_FINISH:
        return finish;
    case STORE_OP_DESK_IDLE_CLOSE:
        return idle_close;
    case STORE_OP_DESK_TOUCH:
        return touch;
    case STORE_OP_DESK_RATE:
        return rate;
    case STORE_OP_DESK_SERVICE_GET:
        return service_get;
    case STORE_OP_DESK_SERVICE_LIST:
        return service_list;
    case STORE_OP_DESK_MESSAGES:
        return messages;
    case STORE_OP_DESK_CUSTOMER_MSGS:
        return customer_msgs;
    case STORE_OP_DESK_MARK:
        return mark;
    case STORE_OP_DESK_STATS:
        return stats;
    case STORE_OP_DESK_USER_SET:
        return user_set;
    case STORE_OP_DESK_STAFF_LIST:
        return staff_list;
    case STORE_OP_DESK_ADMIN_COUNT:
        return admin_count;
    case STORE_OP_DESK_ADMIN_BOOTSTRAP:
        return admin_bootstrap;
    case STORE_OP_RESET_CREATE:
        return reset_create;
    case STORE_OP_RESET_USE:
        return reset_use;
    case STORE_OP_OUTBOX_CLAIM:
        return outbox_claim;
    case STORE_OP_OUTBOX_SETTLE:
        return outbox_settle;
    case STORE_OP_OUTBOX_PUT:
        return outbox_put;
    case STORE_OP_DESK_MSG_EXTERNAL:
        return msg_external;
    case STORE_OP_DESK_MSG_FIND:
        return msg_find;
    case STORE_OP_DESK_MSG_FAIL:
        return msg_fail;
    default:
        return store__sqlite_channel_op(op);
    }
}
