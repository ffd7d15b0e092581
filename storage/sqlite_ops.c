/* sqlite_ops.c - the operations of the SQLite backend, run on its worker thread inside the
 * batch transaction (sqlite_backend.c) with a savepoint of their own: an operation may run
 * several statements and return an error status; its savepoint is then rolled back. Statements
 * are prepared once and cached by the address of their SQL string. Every text goes in as a bound
 * parameter. Results are copied into the request's arena before the next step of the statement,
 * since SQLite's column pointers die then. */
#include "storage/sqlite_be.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define USER_COLS SQLITE_USER_COLS
#define MSG_COLS                                                                                   \
    "id, chat_id, seq, author_id, body, client_msg_id, created_at, edited_at, "                    \
    "deleted_at"
#define CHAT_COLS                                                                                  \
    "c.id, c.kind, c.name, c.topic, c.created_by, c.created_at, c.last_seq, c.last_message_at, "   \
    "(SELECT count(*) FROM memberships x WHERE x.chat_id = c.id), c.private_a, c.private_b"

/* ---- statements ---- */

static sqlite3_stmt *stmt(sqlite_be_t *be, const char *sql)
{
    size_t free_slot = SQLITE_STMT_CACHE;
    for (size_t i = 0; i < SQLITE_STMT_CACHE; i++) {
        if (be->cache[i].sql == sql) {
            sqlite3_reset(be->cache[i].stmt);
            sqlite3_clear_bindings(be->cache[i].stmt);
            return be->cache[i].stmt;
        }
        if (be->cache[i].sql == NULL && free_slot == SQLITE_STMT_CACHE)
            free_slot = i;
    }
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v3(be->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL);
    if (rc != SQLITE_OK) {
        log_error(STORE_LOG, "sqlite: prepare %s: %s", sql, sqlite3_errmsg(be->db));
        return NULL;
    }
    if (free_slot == SQLITE_STMT_CACHE) { /* full: cannot happen with our fixed set of SQL */
        store__sqlite_cache_clear(be);
        free_slot = 0;
    }
    be->cache[free_slot].sql = sql;
    be->cache[free_slot].stmt = st;
    return st;
}

/* Maps a failed step to a status. Constraint failures are expected outcomes, not logged. */
static int step_error(sqlite_be_t *be, int rc)
{
    switch (rc) {
    case SQLITE_CONSTRAINT_UNIQUE:
    case SQLITE_CONSTRAINT_PRIMARYKEY:
        return -EEXIST;
    case SQLITE_CONSTRAINT_FOREIGNKEY:
        return -ENOENT;
    default:
        log_error(STORE_LOG, "sqlite: %s (%d)", sqlite3_errmsg(be->db), rc);
        return -EIO;
    }
}

/* Binds: "i" int64, "s" text (NULL -> SQL NULL), "t" text or NULL. */
static int bind_args(sqlite3_stmt *st, const char *fmt, const int64_t *ints,
                     const char *const *strs)
{
    int ni = 0, ns = 0;
    for (int i = 0; fmt[i] != '\0'; i++) {
        int rc;
        if (fmt[i] == 'i') {
            rc = sqlite3_bind_int64(st, i + 1, ints[ni++]);
        } else {
            const char *s = strs[ns++];
            rc = s == NULL ? sqlite3_bind_null(st, i + 1)
                           : sqlite3_bind_text(st, i + 1, s, -1, SQLITE_STATIC);
        }
        if (rc != SQLITE_OK)
            return rc;
    }
    return SQLITE_OK;
}

/* Prepares and binds a cached statement; NULL on failure (logged). */
static sqlite3_stmt *query(sqlite_be_t *be, const char *sql, const char *fmt, const int64_t *ints,
                           const char *const *strs)
{
    sqlite3_stmt *st = stmt(be, sql);
    if (st != NULL && bind_args(st, fmt, ints, strs) != SQLITE_OK) {
        log_error(STORE_LOG, "sqlite: bind: %s", sqlite3_errmsg(be->db));
        return NULL;
    }
    return st;
}

#define I(...) ((const int64_t[]){__VA_ARGS__})
#define S(...) ((const char *const[]){__VA_ARGS__})

/* Runs a statement that returns no rows (or ignores them). Sets *changes if not NULL. */
static int exec(sqlite_be_t *be, const char *sql, const char *fmt, const int64_t *ints,
                const char *const *strs, int *changes)
{
    sqlite3_stmt *st = query(be, sql, fmt, ints, strs);
    if (st == NULL)
        return -EIO;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        ;
    int status = rc == SQLITE_DONE ? 0 : step_error(be, rc);
    if (changes != NULL)
        *changes = sqlite3_changes(be->db);
    sqlite3_reset(st);
    return status;
}

/* Reads one integer (first column of the first row). Returns 0, -ENOENT if no row, -EIO. */
static int scalar(sqlite_be_t *be, const char *sql, const char *fmt, const int64_t *ints,
                  const char *const *strs, int64_t *out)
{
    sqlite3_stmt *st = query(be, sql, fmt, ints, strs);
    if (st == NULL)
        return -EIO;
    int rc = sqlite3_step(st);
    int status;
    if (rc == SQLITE_ROW) {
        *out = sqlite3_column_int64(st, 0);
        status = 0;
    } else {
        status = rc == SQLITE_DONE ? -ENOENT : step_error(be, rc);
    }
    sqlite3_reset(st);
    return status;
}

/* ---- row readers: copy a row into the arena ---- */

typedef sqlite_row_reader row_reader;

static const char *col_text(store_arena_t *a, sqlite3_stmt *st, int i)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    return store__arena_strndup(a, t != NULL ? (const char *)t : "",
                                t != NULL ? (size_t)sqlite3_column_bytes(st, i) : 0);
}

static void read_user_at(store_arena_t *a, sqlite3_stmt *st, int c, store_user_t *u)
{
    u->id = sqlite3_column_int64(st, c);
    u->username = col_text(a, st, c + 1);
    u->display_name = col_text(a, st, c + 2);
    u->password_hash = col_text(a, st, c + 3);
    u->name_color = col_text(a, st, c + 4);
    u->role = store__user_role_parse((const char *)sqlite3_column_text(st, c + 5));
    u->created_at = sqlite3_column_int64(st, c + 6);
    u->last_seen_at = sqlite3_column_int64(st, c + 7); /* NULL reads as 0 */
    u->active = sqlite3_column_int64(st, c + 8) != 0;
}

static void read_user(store_arena_t *a, sqlite3_stmt *st, void *out)
{
    read_user_at(a, st, 0, out);
}

static void read_message(store_arena_t *a, sqlite3_stmt *st, void *out)
{
    store_message_t *m = out;
    m->id = sqlite3_column_int64(st, 0);
    m->chat_id = sqlite3_column_int64(st, 1);
    m->seq = sqlite3_column_int64(st, 2);
    m->author_id = sqlite3_column_int64(st, 3);
    m->body = col_text(a, st, 4);
    m->client_msg_id = col_text(a, st, 5);
    m->created_at = sqlite3_column_int64(st, 6);
    m->edited_at = sqlite3_column_int64(st, 7);
    m->deleted_at = sqlite3_column_int64(st, 8);
}

static void read_chat(store_arena_t *a, sqlite3_stmt *st, void *out)
{
    store_chat_t *c = out;
    c->id = sqlite3_column_int64(st, 0);
    c->kind = store__chat_kind_parse((const char *)sqlite3_column_text(st, 1));
    c->name = col_text(a, st, 2);
    c->topic = col_text(a, st, 3);
    c->created_by = sqlite3_column_int64(st, 4);
    c->created_at = sqlite3_column_int64(st, 5);
    c->last_seq = sqlite3_column_int64(st, 6);
    c->last_message_at = sqlite3_column_int64(st, 7);
    c->member_count = (size_t)sqlite3_column_int64(st, 8);
    c->private_users[0] = sqlite3_column_int64(st, 9);
    c->private_users[1] = sqlite3_column_int64(st, 10);
}

/* CHAT_COLS followed by role, last_read_seq, unread */
static void read_user_chat(store_arena_t *a, sqlite3_stmt *st, void *out)
{
    store_chat_t *c = out;
    read_chat(a, st, out);
    c->my_role = store__member_role_parse((const char *)sqlite3_column_text(st, 11));
    c->last_read_seq = sqlite3_column_int64(st, 12);
    c->unread = sqlite3_column_int64(st, 13);
}

static void read_member(store_arena_t *a, sqlite3_stmt *st, void *out)
{
    store_member_t *m = out;
    read_user_at(a, st, 0, &m->user);
    m->role = store__member_role_parse((const char *)sqlite3_column_text(st, 9));
    m->joined_at = sqlite3_column_int64(st, 10);
    m->last_read_seq = sqlite3_column_int64(st, 11);
}

static void read_reaction(store_arena_t *a, sqlite3_stmt *st, void *out)
{
    store_reaction_t *r = out;
    r->message_id = sqlite3_column_int64(st, 0);
    r->user_id = sqlite3_column_int64(st, 1);
    r->emoji = col_text(a, st, 2);
    r->created_at = sqlite3_column_int64(st, 3);
}

static void read_member_role(store_arena_t *a, sqlite3_stmt *st, void *out)
{
    UNUSED(a);
    *(store_member_role_t *)out =
        store__member_role_parse((const char *)sqlite3_column_text(st, 0));
}

static void read_token(store_arena_t *a, sqlite3_stmt *st, void *out)
{
    store_token_t *t = out;
    t->token_hash = col_text(a, st, 0);
    t->user_id = sqlite3_column_int64(st, 1);
    t->created_at = sqlite3_column_int64(st, 2);
    t->expires_at = sqlite3_column_int64(st, 3);
    t->revoked = sqlite3_column_int64(st, 4) != 0;
    t->rotated = sqlite3_column_int64(st, 5) != 0;
    t->family = col_text(a, st, 6);
}

/* Reads exactly one row into `out`. Returns 0, -ENOENT if there is none, or an error. */
static int one(sqlite_be_t *be, store_req_t *req, const char *sql, const char *fmt,
               const int64_t *ints, const char *const *strs, row_reader reader, void *out)
{
    sqlite3_stmt *st = query(be, sql, fmt, ints, strs);
    if (st == NULL)
        return -EIO;
    int rc = sqlite3_step(st);
    int status;
    if (rc == SQLITE_ROW) {
        reader(&req->arena, st, out);
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) /* finish RETURNING statements */
            ;
        status = rc == SQLITE_DONE ? 0 : step_error(be, rc);
    } else {
        status = rc == SQLITE_DONE ? -ENOENT : step_error(be, rc);
    }
    sqlite3_reset(st);
    return status;
}

/* Reads every row into an arena array of `size`-byte elements. */
static int many(sqlite_be_t *be, store_req_t *req, const char *sql, const char *fmt,
                const int64_t *ints, const char *const *strs, row_reader reader, size_t size,
                const void **items, size_t *count)
{
    sqlite3_stmt *st = query(be, sql, fmt, ints, strs);
    if (st == NULL)
        return -EIO;
    size_t n = 0, cap = 16;
    char *tmp = xmalloc(cap * size);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (n == cap) {
            cap *= 2;
            tmp = xrealloc(tmp, cap * size);
        }
        memset(tmp + n * size, 0, size);
        reader(&req->arena, st, tmp + n * size);
        n++;
    }
    int status = rc == SQLITE_DONE ? 0 : step_error(be, rc);
    sqlite3_reset(st);
    if (status == 0) {
        char *arr = store__arena_alloc(&req->arena, n * size);
        if (n > 0)
            memcpy(arr, tmp, n * size);
        *items = arr;
        *count = n;
    }
    free(tmp);
    return status;
}

/* ---- operations ---- */

static int user_create(sqlite_be_t *be, store_req_t *r)
{
    static const char sql[] =
        "INSERT INTO users (username, display_name, password_hash, name_color, role, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?) RETURNING " USER_COLS;
    return one(be, r, sql, "sssssi", I((int64_t)time_now_ms()),
               S(r->s[0], r->s[1], r->s[2], r->s[3], store__user_role_name((int)r->a[0])),
               read_user, &r->res.user);
}

static int user_get_by_name(sqlite_be_t *be, store_req_t *r)
{
    static const char sql[] = "SELECT " USER_COLS " FROM users WHERE username = ?";
    return one(be, r, sql, "s", NULL, S(r->s[0]), read_user, &r->res.user);
}

static int user_get(sqlite_be_t *be, store_req_t *r)
{
    static const char sql[] = "SELECT " USER_COLS " FROM users WHERE id = ?";
    return one(be, r, sql, "i", I(r->a[0]), NULL, read_user, &r->res.user);
}

static int user_list(sqlite_be_t *be, store_req_t *r)
{
    static const char sql[] = "SELECT " USER_COLS " FROM users WHERE id > ? ORDER BY id LIMIT ?";
    return many(be, r, sql, "ii", I(r->a[0], r->a[1]), NULL, read_user, sizeof(store_user_t),
                (const void **)&r->res.users.items, &r->res.users.count);
}

static int user_touch(sqlite_be_t *be, store_req_t *r)
{
    static const char sql[] = "UPDATE users SET last_seen_at = ? WHERE id = ?";
    int changes = 0;
    int rc = exec(be, sql, "ii", I((int64_t)time_now_ms(), r->a[0]), NULL, &changes);
    return rc == 0 && changes == 0 ? -ENOENT : rc;
}

static int user_update(sqlite_be_t *be, store_req_t *r)
{
    static const char sql[] =
        "UPDATE users SET display_name = COALESCE(?, display_name),"
        " name_color = COALESCE(?, name_color), password_hash = COALESCE(?, password_hash)"
        " WHERE id = ? RETURNING " USER_COLS;
    return one(be, r, sql, "sssi", I(r->a[0]), S(r->s[0], r->s[1], r->s[2]), read_user,
               &r->res.user);
}

#define TOKEN_COLS "token_hash, user_id, created_at, expires_at, revoked, rotated, family"

static int token_insert(sqlite_be_t *be, store_req_t *r)
{
    static const char sql[] = "INSERT INTO refresh_tokens (token_hash, user_id, created_at,"
                              " expires_at, family) VALUES (?1, ?2, ?3, ?4, ?1)";
    return exec(be, sql, "siii", I(r->a[0], (int64_t)time_now_ms(), r->a[1]), S(r->s[0]), NULL);
}

static int token_get(sqlite_be_t *be, store_req_t *r)
{
    static const char sql[] = "SELECT " TOKEN_COLS " FROM refresh_tokens WHERE token_hash = ?";
    return one(be, r, sql, "s", NULL, S(r->s[0]), read_token, &r->res.token);
}

/* Two statements in the request's savepoint (sqlite_backend.c), so atomic as PostgreSQL's CTE;
 * the single writer thread serialises concurrent rotations. */
static int token_rotate(sqlite_be_t *be, store_req_t *r)
{
    static const char revoke[] = "UPDATE refresh_tokens SET revoked = 1, rotated = 1"
                                 " WHERE token_hash = ? AND revoked = 0 AND expires_at > ?";
    static const char insert[] =
        "INSERT INTO refresh_tokens (token_hash, user_id, created_at, expires_at, family)"
        " SELECT ?, user_id, ?, ?, family FROM refresh_tokens WHERE token_hash = ?"
        " RETURNING " TOKEN_COLS;
    int64_t now = (int64_t)time_now_ms();
    int changes = 0;
    int rc = exec(be, revoke, "si", I(now), S(r->s[0]), &changes);
    if (rc != 0)
        return rc;
    if (changes == 0)
        return -ESTALE;
    return one(be, r, insert, "siis", I(now, r->a[0]), S(r->s[1], r->s[0]), read_token,
               &r->res.token);
}

static int token_revoke_family(sqlite_be_t *be, store_req_t *r)
{
    static const char sql[] = "UPDATE refresh_tokens SET revoked = 1 WHERE family = ?";
    return exec(be, sql, "s", NULL, S(r->s[0]), NULL);
}

static int token_revoke(sqlite_be_t *be, store_req_t *r)
{
    static const char sql[] = "UPDATE refresh_tokens SET revoked = 1 WHERE token_hash = ?";
    int changes = 0;
    int rc = exec(be, sql, "s", NULL, S(r->s[0]), &changes);
    return rc == 0 && changes == 0 ? -ENOENT : rc;
}

static int token_revoke_user(sqlite_be_t *be, store_req_t *r)
{
    static const char sql[] = "UPDATE refresh_tokens SET revoked = 1 WHERE user_id = ?";
    return exec(be, sql, "i", I(r->a[0]), NULL, NULL);
}

static const char chat_by_id_sql[] = "SELECT " CHAT_COLS " FROM chats c WHERE c.id = ?";

static int chat_read(sqlite_be_t *be, store_req_t *r, int64_t id)
{
    return one(be, r, chat_by_id_sql, "i", I(id), NULL, read_chat, &r->res.chat);
}

static int chat_get_op(sqlite_be_t *be, store_req_t *r)
{
    return chat_read(be, r, r->a[0]);
}

static int member_insert(sqlite_be_t *be, int64_t chat, int64_t user, const char *role, int64_t now)
{
    static const char sql[] =
        "INSERT INTO memberships (chat_id, user_id, role, joined_at) VALUES (?, ?, ?, ?)";
    return exec(be, sql, "iisi", I(chat, user, now), S(role), NULL);
}

static int chat_create(sqlite_be_t *be, store_req_t *r)
{
    static const char sql[] = "INSERT INTO chats (kind, name, topic, created_by, created_at)"
                              " VALUES (?, ?, ?, ?, ?) RETURNING id";
    int64_t now = (int64_t)time_now_ms(), id = 0;
    int rc = scalar(be, sql, "sssii", I(r->a[1], now),
                    S(store__chat_kind_name((int)r->a[0]), r->s[0], r->s[1]), &id);
    if (rc == 0)
        rc = member_insert(be, id, r->a[1], "owner", now);
    for (size_t i = 0; rc == 0 && i < r->n_ids; i++)
        rc = member_insert(be, id, r->ids[i], "member", now);
    if (rc == -EEXIST) /* cannot be: members were deduplicated */
        rc = -EIO;
    if (rc == 0)
        rc = chat_read(be, r, id);
    r->res.chat.created = true;
    return rc;
}

static int chat_get_private(sqlite_be_t *be, store_req_t *r)
{
    static const char find[] =
        "SELECT " CHAT_COLS " FROM chats c WHERE c.private_a = ? AND c.private_b = ?";
    static const char ins[] = "INSERT INTO chats (kind, created_by, created_at, private_a,"
                              " private_b) VALUES ('private', ?, ?, ?, ?) RETURNING id";
    int rc = one(be, r, find, "ii", I(r->a[0], r->a[1]), NULL, read_chat, &r->res.chat);
    if (rc != -ENOENT)
        return rc;
    int64_t now = (int64_t)time_now_ms(), id = 0;
    rc = scalar(be, ins, "iiii", I(r->a[2], now, r->a[0], r->a[1]), NULL, &id);
    if (rc == 0)
        rc = member_insert(be, id, r->a[0], "member", now);
    if (rc == 0)
        rc = member_insert(be, id, r->a[1], "member", now);
    if (rc == 0)
        rc = chat_read(be, r, id);
    r->res.chat.created = true;
    return rc;
}

static int chat_list_for_user(sqlite_be_t *be, store_req_t *r)
{
    static const char sql[] =
        "SELECT " CHAT_COLS ", m.role, COALESCE(rp.last_read_seq, 0),"
        " (SELECT count(*) FROM messages g WHERE g.chat_id = c.id"
        "   AND g.seq > COALESCE(rp.last_read_seq, 0) AND g.deleted_at IS NULL"
        "   AND g.author_id IS NOT m.user_id)"
        " FROM memberships m JOIN chats c ON c.id = m.chat_id"
        " LEFT JOIN read_positions rp ON rp.chat_id = m.chat_id AND rp.user_id = m.user_id"
        " WHERE m.user_id = ?"
        " ORDER BY COALESCE(c.last_message_at, c.created_at) DESC, c.id DESC";
    return many(be, r, sql, "i", I(r->a[0]), NULL, read_user_chat, sizeof(store_chat_t),
                (const void **)&r->res.chats.items, &r->res.chats.count);
}

static int chat_list_public(sqlite_be_t *be, store_req_t *r)
{
    static const char sql[] =
        "SELECT " CHAT_COLS " FROM chats c WHERE c.kind = 'public' ORDER BY c.id";
    return many(be, r, sql, "", NULL, NULL, read_chat, sizeof(store_chat_t),
                (const void **)&r->res.chats.items, &r->res.chats.count);
}

/* 0 if chat `chat` exists and may change (it is not private), else -ENOENT or -EPERM. */
static int chat_changeable(sqlite_be_t *be, int64_t chat)
{
    static const char sql[] = "SELECT kind = 'private' FROM chats WHERE id = ?";
    int64_t private = 0;
    int rc = scalar(be, sql, "i", I(chat), NULL, &private);
    return rc == 0 && private ? -EPERM : rc;
}

static int chat_update(sqlite_be_t *be, store_req_t *r)
{
    static const char sql[] = "UPDATE chats SET name = COALESCE(?, name),"
                              " topic = COALESCE(?, topic) WHERE id = ?";
    int rc = chat_changeable(be, r->a[0]);
    if (rc == 0)
        rc = exec(be, sql, "ssi", I(r->a[0]), S(r->s[0], r->s[1]), NULL);
    if (rc == 0)
        rc = chat_read(be, r, r->a[0]);
    return rc;
}

static int chat_delete(sqlite_be_t *be, store_req_t *r)
{
    static const char sql[] = "DELETE FROM chats WHERE id = ?";
    int changes = 0;
    int rc = exec(be, sql, "i", I(r->a[0]), NULL, &changes);
    return rc == 0 && changes == 0 ? -ENOENT : rc;
}

static int member_add(sqlite_be_t *be, store_req_t *r)
{
    int rc = chat_changeable(be, r->a[0]);
    if (rc == 0)
        rc = member_insert(be, r->a[0], r->a[1], store__member_role_name((int)r->a[2]),
                           (int64_t)time_now_ms());
    return rc;
}

static int member_remove(sqlite_be_t *be, store_req_t *r)
{
    static const char del[] = "DELETE FROM memberships WHERE chat_id = ? AND user_id = ?";
    static const char del_rp[] = "DELETE FROM read_positions WHERE chat_id = ? AND user_id = ?";
    int changes = 0;
    int rc = exec(be, del, "ii", I(r->a[0], r->a[1]), NULL, &changes);
    if (rc == 0 && changes == 0)
        rc = -ENOENT;
    if (rc == 0)
        rc = exec(be, del_rp, "ii", I(r->a[0], r->a[1]), NULL, NULL);
    return rc;
}

static int member_role(sqlite_be_t *be, store_req_t *r)
{
    static const char sql[] = "SELECT role FROM memberships WHERE chat_id = ? AND user_id = ?";
    int rc = one(be, r, sql, "ii", I(r->a[0], r->a[1]), NULL, read_member_role, &r->res.role);
    if (rc == -ENOENT) {
        r->res.role = STORE_MEMBER_NONE;
        rc = 0;
    }
    return rc;
}

static int member_list(sqlite_be_t *be, store_req_t *r)
{
    static const char sql[] =
        "SELECT u.id, u.username, u.display_name, '', u.name_color, u.role, u.created_at,"
        " u.last_seen_at, u.active, m.role, m.joined_at, COALESCE(rp.last_read_seq, 0)"
        " FROM memberships m JOIN users u ON u.id = m.user_id"
        " LEFT JOIN read_positions rp ON rp.chat_id = m.chat_id AND rp.user_id = m.user_id"
        " WHERE m.chat_id = ? ORDER BY m.joined_at, u.id";
    return many(be, r, sql, "i", I(r->a[0]), NULL, read_member, sizeof(store_member_t),
                (const void **)&r->res.members.items, &r->res.members.count);
}

static int message_send(sqlite_be_t *be, store_req_t *r)
{
    static const char dup[] =
        "SELECT " MSG_COLS " FROM messages WHERE author_id = ? AND client_msg_id = ?";
    /* no row: no such chat (-ENOENT); 0: not a member (-EPERM) */
    static const char is_member[] = "SELECT EXISTS (SELECT 1 FROM memberships m"
                                    " WHERE m.chat_id = c.id AND m.user_id = ?)"
                                    " FROM chats c WHERE c.id = ?";
    static const char bump[] = "UPDATE chats SET last_seq = last_seq + 1, last_message_at = ?"
                               " WHERE id = ? RETURNING last_seq";
    static const char ins[] = "INSERT INTO messages (chat_id, seq, author_id, body,"
                              " client_msg_id, created_at) VALUES (?, ?, ?, ?, ?, ?)"
                              " RETURNING " MSG_COLS;
    int rc;
    if (r->s[1] != NULL) {
        rc = one(be, r, dup, "is", I(r->a[1]), S(r->s[1]), read_message, &r->res.message);
        if (rc == 0)
            r->res.message.duplicate = true;
        if (rc != -ENOENT)
            return rc;
    }
    int64_t member = 0, now = (int64_t)time_now_ms(), seq = 0;
    rc = scalar(be, is_member, "ii", I(r->a[1], r->a[0]), NULL, &member);
    if (rc == 0 && !member)
        rc = -EPERM;
    if (rc == 0)
        rc = scalar(be, bump, "ii", I(now, r->a[0]), NULL, &seq);
    if (rc == 0) {
        rc = one(be, r, ins, "iiissi", I(r->a[0], seq, r->a[1], now), S(r->s[0], r->s[1]),
                 read_message, &r->res.message);
        if (rc == -EEXIST || rc == -ENOENT) /* seq taken, author gone: not while we are serial */
            rc = -EIO;
    }
    if (rc == 0 && r->n_ids > 0) /* in the op's savepoint: -EACCES rolls the message back */
        rc = store__sqlite_link_chat(be, r->res.message.id, r->a[1], r->ids, r->n_ids);
    return rc;
}

/* Checks that message `id` exists, is not deleted, and was written by `author`. */
static int own_message(sqlite_be_t *be, int64_t id, int64_t author)
{
    static const char sql[] = "SELECT CASE WHEN deleted_at IS NOT NULL THEN -1"
                              " WHEN author_id IS ? THEN 1 ELSE 0 END FROM messages WHERE id = ?";
    int64_t v = 0;
    int rc = scalar(be, sql, "ii", I(author, id), NULL, &v);
    if (rc == 0 && v < 0)
        rc = -ENOENT;
    if (rc == 0 && v == 0)
        rc = -EPERM;
    return rc;
}

static int message_edit(sqlite_be_t *be, store_req_t *r)
{
    static const char sql[] =
        "UPDATE messages SET body = ?, edited_at = ? WHERE id = ? RETURNING " MSG_COLS;
    int rc = own_message(be, r->a[0], r->a[1]);
    if (rc == 0)
        rc = one(be, r, sql, "sii", I((int64_t)time_now_ms(), r->a[0]), S(r->s[0]), read_message,
                 &r->res.message);
    return rc;
}

static int message_delete(sqlite_be_t *be, store_req_t *r)
{
    static const char sql[] =
        "UPDATE messages SET body = '', deleted_at = ? WHERE id = ? RETURNING " MSG_COLS;
    int rc = own_message(be, r->a[0], r->a[1]);
    if (rc == 0)
        rc = one(be, r, sql, "ii", I((int64_t)time_now_ms(), r->a[0]), NULL, read_message,
                 &r->res.message);
    return rc;
}

static int message_get(sqlite_be_t *be, store_req_t *r)
{
    static const char sql[] = "SELECT " MSG_COLS " FROM messages WHERE id = ?";
    return one(be, r, sql, "i", I(r->a[0]), NULL, read_message, &r->res.message);
}

/* Runs a statement returning MSG_COLS rows into r->res.messages. */
static int message_rows(sqlite_be_t *be, store_req_t *r, const char *sql, const char *fmt,
                        const int64_t *ints, const char *const *strs)
{
    return many(be, r, sql, fmt, ints, strs, read_message, sizeof(store_message_t),
                (const void **)&r->res.messages.items, &r->res.messages.count);
}

static int message_before(sqlite_be_t *be, store_req_t *r)
{
    static const char sql[] = "SELECT " MSG_COLS " FROM messages WHERE chat_id = ? AND seq < ?"
                              " ORDER BY seq DESC LIMIT ?";
    int64_t before = r->a[1] == 0 ? INT64_MAX : r->a[1];
    return message_rows(be, r, sql, "iii", I(r->a[0], before, r->a[2]), NULL);
}

static int message_after(sqlite_be_t *be, store_req_t *r)
{
    static const char sql[] = "SELECT " MSG_COLS " FROM messages WHERE chat_id = ? AND seq > ?"
                              " ORDER BY seq LIMIT ?";
    return message_rows(be, r, sql, "iii", I(r->a[0], r->a[1], r->a[2]), NULL);
}

static int message_search(sqlite_be_t *be, store_req_t *r)
{
    static const char sql[] =
        "SELECT m.id, m.chat_id, m.seq, m.author_id, m.body, m.client_msg_id, m.created_at,"
        " m.edited_at, m.deleted_at FROM messages_fts f JOIN messages m ON m.id = f.rowid"
        " JOIN memberships mb ON mb.chat_id = m.chat_id AND mb.user_id = ?"
        " WHERE messages_fts MATCH ? AND m.deleted_at IS NULL ORDER BY m.id DESC LIMIT ?";
    /* FTS5 query: every word as a quoted string, implicitly ANDed. Words hold no quote (see
     * store__search_words), so the query cannot be FTS5 syntax. */
    const char *w = r->s[0];
    size_t n = strlen(w);
    char *q = store__arena_alloc(&r->arena, 3 * n + 3), *o = q;
    *o++ = '"';
    for (; *w != '\0'; w++) {
        if (*w == ' ') {
            memcpy(o, "\" \"", 3);
            o += 3;
        } else {
            *o++ = *w;
        }
    }
    *o++ = '"';
    *o = '\0';
    return message_rows(be, r, sql, "isi", I(r->a[0], r->a[1]), S(q));
}

static int reaction_add(sqlite_be_t *be, store_req_t *r)
{
    static const char live[] = "SELECT 1 FROM messages WHERE id = ? AND deleted_at IS NULL";
    static const char ins[] = "INSERT INTO reactions (message_id, user_id, emoji, created_at)"
                              " VALUES (?, ?, ?, ?)";
    int64_t x = 0;
    int rc = scalar(be, live, "i", I(r->a[0]), NULL, &x);
    if (rc == 0)
        rc = exec(be, ins, "iisi", I(r->a[0], r->a[1], (int64_t)time_now_ms()), S(r->s[0]), NULL);
    return rc;
}

static int reaction_remove(sqlite_be_t *be, store_req_t *r)
{
    static const char sql[] =
        "DELETE FROM reactions WHERE message_id = ? AND user_id = ? AND emoji = ?";
    int changes = 0;
    int rc = exec(be, sql, "iis", I(r->a[0], r->a[1]), S(r->s[0]), &changes);
    return rc == 0 && changes == 0 ? -ENOENT : rc;
}

static int reaction_list(sqlite_be_t *be, store_req_t *r)
{
    static const char sql[] = "SELECT message_id, user_id, emoji, created_at FROM reactions"
                              " WHERE message_id IN (SELECT value FROM json_each(?))"
                              " ORDER BY message_id, created_at, user_id, emoji";
    const char *ids = store__ids_join(&r->arena, r->ids, r->n_ids, '[', ']');
    return many(be, r, sql, "s", NULL, S(ids), read_reaction, sizeof(store_reaction_t),
                (const void **)&r->res.reactions.items, &r->res.reactions.count);
}

static int read_set(sqlite_be_t *be, store_req_t *r)
{
    static const char last[] = "SELECT c.last_seq FROM chats c JOIN memberships m"
                               " ON m.chat_id = c.id AND m.user_id = ? WHERE c.id = ?";
    static const char upsert[] =
        "INSERT INTO read_positions (chat_id, user_id, last_read_seq) VALUES (?, ?, ?)"
        " ON CONFLICT (chat_id, user_id) DO UPDATE"
        " SET last_read_seq = max(last_read_seq, excluded.last_read_seq)"
        " RETURNING last_read_seq";
    int64_t last_seq = 0;
    int rc = scalar(be, last, "ii", I(r->a[1], r->a[0]), NULL, &last_seq);
    if (rc == -ENOENT)
        return -EPERM;
    int64_t seq = r->a[2] < last_seq ? r->a[2] : last_seq;
    if (rc == 0)
        rc = scalar(be, upsert, "iii", I(r->a[0], r->a[1], seq), NULL, &r->res.seq);
    return rc;
}

typedef sqlite_op_fn op_fn;

static const op_fn ops[STORE_OP__COUNT] = {
    [STORE_OP_USER_CREATE] = user_create,
    [STORE_OP_USER_GET_BY_NAME] = user_get_by_name,
    [STORE_OP_USER_GET] = user_get,
    [STORE_OP_USER_LIST] = user_list,
    [STORE_OP_USER_TOUCH] = user_touch,
    [STORE_OP_USER_UPDATE] = user_update,
    [STORE_OP_TOKEN_INSERT] = token_insert,
    [STORE_OP_TOKEN_GET] = token_get,
    [STORE_OP_TOKEN_REVOKE] = token_revoke,
    [STORE_OP_TOKEN_REVOKE_USER] = token_revoke_user,
    [STORE_OP_TOKEN_ROTATE] = token_rotate,
    [STORE_OP_TOKEN_REVOKE_FAMILY] = token_revoke_family,
    [STORE_OP_CHAT_CREATE] = chat_create,
    [STORE_OP_CHAT_GET_PRIVATE] = chat_get_private,
    [STORE_OP_CHAT_GET] = chat_get_op,
    [STORE_OP_CHAT_LIST_FOR_USER] = chat_list_for_user,
    [STORE_OP_CHAT_LIST_PUBLIC] = chat_list_public,
    [STORE_OP_CHAT_UPDATE] = chat_update,
    [STORE_OP_CHAT_DELETE] = chat_delete,
    [STORE_OP_MEMBER_ADD] = member_add,
    [STORE_OP_MEMBER_REMOVE] = member_remove,
    [STORE_OP_MEMBER_ROLE] = member_role,
    [STORE_OP_MEMBER_LIST] = member_list,
    [STORE_OP_MESSAGE_SEND] = message_send,
    [STORE_OP_MESSAGE_EDIT] = message_edit,
    [STORE_OP_MESSAGE_DELETE] = message_delete,
    [STORE_OP_MESSAGE_GET] = message_get,
    [STORE_OP_MESSAGE_BEFORE] = message_before,
    [STORE_OP_MESSAGE_AFTER] = message_after,
    [STORE_OP_MESSAGE_SEARCH] = message_search,
    [STORE_OP_REACTION_ADD] = reaction_add,
    [STORE_OP_REACTION_REMOVE] = reaction_remove,
    [STORE_OP_REACTION_LIST] = reaction_list,
    [STORE_OP_READ_SET] = read_set,
};

int store__sqlite_run(sqlite_be_t *be, store_req_t *req)
{
    op_fn fn = (size_t)req->op < STORE_OP__COUNT ? ops[req->op] : NULL;
    if (fn == NULL && (size_t)req->op < STORE_OP__COUNT)
        fn = store__sqlite_desk_op(req->op);
    if (fn == NULL && (size_t)req->op < STORE_OP__COUNT)
        fn = store__sqlite_media_op(req->op);
    /* on failure partial results may stay: store__complete() hands none to the callback */
    int rc = fn != NULL ? fn(be, req) : -EIO;
    req->status = rc;
    return rc;
}

/* ---- the helpers, for sqlite_desk.c ---- */

int store__sqlite_do(sqlite_be_t *be, const char *sql, const char *fmt, const int64_t *ints,
                     const char *const *strs, int *changes)
{
    return exec(be, sql, fmt, ints, strs, changes);
}

int store__sqlite_scalar(sqlite_be_t *be, const char *sql, const char *fmt, const int64_t *ints,
                         const char *const *strs, int64_t *out)
{
    return scalar(be, sql, fmt, ints, strs, out);
}

int store__sqlite_one(sqlite_be_t *be, store_req_t *req, const char *sql, const char *fmt,
                      const int64_t *ints, const char *const *strs, sqlite_row_reader reader,
                      void *out)
{
    return one(be, req, sql, fmt, ints, strs, reader, out);
}

int store__sqlite_many(sqlite_be_t *be, store_req_t *req, const char *sql, const char *fmt,
                       const int64_t *ints, const char *const *strs, sqlite_row_reader reader,
                       size_t size, const void **items, size_t *count)
{
    return many(be, req, sql, fmt, ints, strs, reader, size, items, count);
}

const char *store__sqlite_col_text(store_arena_t *a, sqlite3_stmt *st, int i)
{
    return col_text(a, st, i);
}

void store__sqlite_read_user(store_arena_t *a, sqlite3_stmt *st, void *out)
{
    read_user(a, st, out);
}
