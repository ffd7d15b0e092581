/* pg_ops.c - the operations of the PostgreSQL backend: one prepared statement per operation, so
 * every operation is one round trip and one implicit transaction, pipelined by pg_backend.c.
 * Multi-step logic is written as data-modifying CTEs, which run atomically within the statement:
 *   - message send: `UPDATE chats SET last_seq = last_seq + 1 ... RETURNING last_seq` takes the
 *     chat row's lock, so concurrent sends to one chat (from any connection or process) are
 *     serialised and the seq is gapless (a failing statement rolls its increment back). A send
 *     whose (author, client_msg_id) exists returns the stored row; two concurrent retries of one
 *     id make the later fail on the UNIQUE constraint: it is run again and then finds the row.
 *   - private chat: INSERT ... ON CONFLICT (private_a, private_b) DO NOTHING plus a read of the
 *     existing row; if a concurrent creator committed between our snapshot and our insert, the
 *     statement sees neither, returns no row and is run again.
 * Results come back as text and are copied into the request's arena. Every value is a
 * parameter, cast explicitly since the statements are prepared without parameter types. */
#include "storage/pg_be.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define USER_COLS PG_USER_COLS
#define MSG_COLS                                                                                   \
    "id, chat_id, seq, author_id, body, client_msg_id, created_at, edited_at, deleted_at"
#define CHAT_COLS(c)                                                                               \
    c ".id, " c ".kind, " c ".name, " c ".topic, " c ".created_by, " c ".created_at, " c           \
      ".last_seq, " c ".last_message_at, (SELECT count(*) FROM memberships x WHERE x.chat_id = " c \
      ".id), " c ".private_a, " c ".private_b"
#define TOKEN_COLS "token_hash, user_id, created_at, expires_at, revoked, rotated, family"
/* usernames compare with ASCII case folding only, as SQLite's NOCASE (see schema_pg.c) */
#define FOLD(x) "translate(" x ", 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz')"

static const char *const sqls[STORE_OP__COUNT] = {
    [STORE_OP_USER_CREATE] =
        "INSERT INTO users (username, display_name, password_hash, name_color, role, created_at)"
        " VALUES ($1::text, $2::text, $3::text, $4::text, $5::text, $6::bigint)"
        " RETURNING " USER_COLS,
    [STORE_OP_USER_GET_BY_NAME] =
        "SELECT " USER_COLS " FROM users WHERE " FOLD("username") " = " FOLD("$1::text"),
    [STORE_OP_USER_GET] = "SELECT " USER_COLS " FROM users WHERE id = $1::bigint",
    [STORE_OP_USER_LIST] =
        "SELECT " USER_COLS " FROM users WHERE id > $1::bigint ORDER BY id LIMIT $2::bigint",
    [STORE_OP_USER_TOUCH] =
        "UPDATE users SET last_seen_at = $2::bigint WHERE id = $1::bigint RETURNING 1",
    [STORE_OP_USER_UPDATE] = "UPDATE users SET display_name = COALESCE($2::text, display_name),"
                             " name_color = COALESCE($3::text, name_color),"
                             " password_hash = COALESCE($4::text, password_hash)"
                             " WHERE id = $1::bigint RETURNING " USER_COLS,
    [STORE_OP_TOKEN_INSERT] = "INSERT INTO refresh_tokens (token_hash, user_id, created_at,"
                              " expires_at, family)"
                              " VALUES ($1::text, $2::bigint, $3::bigint, $4::bigint, $1::text)",
    [STORE_OP_TOKEN_GET] = "SELECT " TOKEN_COLS " FROM refresh_tokens WHERE token_hash = $1::text",
    [STORE_OP_TOKEN_ROTATE] =
        "WITH old AS (UPDATE refresh_tokens SET revoked = true, rotated = true"
        "   WHERE token_hash = $1::text AND NOT revoked AND expires_at > $3::bigint"
        "   RETURNING user_id, family)"
        " INSERT INTO refresh_tokens (token_hash, user_id, created_at, expires_at, family)"
        " SELECT $2::text, user_id, $3::bigint, $4::bigint, family FROM old"
        " RETURNING " TOKEN_COLS,
    [STORE_OP_TOKEN_REVOKE_FAMILY] =
        "UPDATE refresh_tokens SET revoked = true WHERE family = $1::text",
    [STORE_OP_TOKEN_REVOKE] =
        "UPDATE refresh_tokens SET revoked = true WHERE token_hash = $1::text RETURNING 1",
    [STORE_OP_TOKEN_REVOKE_USER] =
        "UPDATE refresh_tokens SET revoked = true WHERE user_id = $1::bigint",
    [STORE_OP_CHAT_CREATE] =
        "WITH c AS (INSERT INTO chats (kind, name, topic, created_by, created_at)"
        "   VALUES ($1::text, $2::text, $3::text, $4::bigint, $5::bigint) RETURNING *),"
        " m AS (INSERT INTO memberships (chat_id, user_id, role, joined_at)"
        "   SELECT c.id, $4::bigint, 'owner', $5::bigint FROM c"
        "   UNION ALL SELECT c.id, u, 'member', $5::bigint FROM c, unnest($6::bigint[]) AS u"
        "   RETURNING 1)"
        " SELECT c.id, c.kind, c.name, c.topic, c.created_by, c.created_at, c.last_seq,"
        " c.last_message_at, (SELECT count(*) FROM m), c.private_a, c.private_b FROM c",
    [STORE_OP_CHAT_GET_PRIVATE] =
        "WITH ins AS (INSERT INTO chats (kind, created_by, created_at, private_a, private_b)"
        "   VALUES ('private', $3::bigint, $4::bigint, $1::bigint, $2::bigint)"
        "   ON CONFLICT (private_a, private_b) DO NOTHING RETURNING *),"
        " m AS (INSERT INTO memberships (chat_id, user_id, role, joined_at)"
        "   SELECT ins.id, u, 'member', $4::bigint FROM ins,"
        "   unnest(ARRAY[$1::bigint, $2::bigint]) AS u RETURNING 1)"
        " SELECT ins.id, ins.kind, ins.name, ins.topic, ins.created_by, ins.created_at,"
        " ins.last_seq, ins.last_message_at, (SELECT count(*) FROM m), ins.private_a,"
        " ins.private_b, true FROM ins"
        " UNION ALL SELECT " CHAT_COLS(
            "c") ", false FROM chats c"
                 " WHERE c.private_a = $1::bigint AND c.private_b = $2::bigint",
    [STORE_OP_CHAT_GET] = "SELECT " CHAT_COLS("c") " FROM chats c WHERE c.id = $1::bigint",
    [STORE_OP_CHAT_LIST_FOR_USER] = "SELECT " CHAT_COLS(
        "c") ", m.role, COALESCE(rp.last_read_seq, 0),"
             " (SELECT count(*) FROM messages g WHERE g.chat_id = c.id"
             "   AND g.seq > COALESCE(rp.last_read_seq, 0) AND g.deleted_at IS NULL"
             "   AND g.author_id IS DISTINCT FROM m.user_id)"
             " FROM memberships m JOIN chats c ON c.id = m.chat_id"
             " LEFT JOIN read_positions rp ON rp.chat_id = m.chat_id AND rp.user_id = m.user_id"
             " WHERE m.user_id = $1::bigint"
             " ORDER BY COALESCE(c.last_message_at, c.created_at) DESC, c.id DESC",
    [STORE_OP_CHAT_LIST_PUBLIC] =
        "SELECT " CHAT_COLS("c") " FROM chats c WHERE c.kind = 'public' ORDER BY c.id",
    [STORE_OP_CHAT_UPDATE] = "WITH t AS (SELECT kind FROM chats WHERE id = $1::bigint),"
                             " u AS (UPDATE chats SET name = COALESCE($2::text, name),"
                             "   topic = COALESCE($3::text, topic)"
                             "   WHERE id = $1::bigint AND kind <> 'private' RETURNING *)"
                             " SELECT t.kind, " CHAT_COLS("u") " FROM t LEFT JOIN u ON true",
    [STORE_OP_CHAT_DELETE] = "DELETE FROM chats WHERE id = $1::bigint RETURNING 1",
    [STORE_OP_MEMBER_ADD] =
        "WITH t AS (SELECT kind FROM chats WHERE id = $1::bigint),"
        " i AS (INSERT INTO memberships (chat_id, user_id, role, joined_at)"
        "   SELECT $1::bigint, $2::bigint, $3::text, $4::bigint FROM t WHERE t.kind <> 'private'"
        "   ON CONFLICT DO NOTHING RETURNING 1)"
        " SELECT t.kind, (SELECT count(*) FROM i) FROM t",
    [STORE_OP_MEMBER_REMOVE] =
        "WITH d AS (DELETE FROM memberships WHERE chat_id = $1::bigint AND user_id = $2::bigint"
        "   RETURNING 1),"
        " r AS (DELETE FROM read_positions WHERE chat_id = $1::bigint AND user_id = $2::bigint"
        "   AND EXISTS (SELECT 1 FROM d))"
        " SELECT count(*) FROM d",
    [STORE_OP_MEMBER_ROLE] =
        "SELECT role FROM memberships WHERE chat_id = $1::bigint AND user_id = $2::bigint",
    [STORE_OP_MEMBER_LIST] =
        "SELECT u.id, u.username, u.display_name, '', u.name_color, u.role, u.created_at,"
        " u.last_seen_at, u.active, m.role, m.joined_at, COALESCE(rp.last_read_seq, 0)"
        " FROM memberships m JOIN users u ON u.id = m.user_id"
        " LEFT JOIN read_positions rp ON rp.chat_id = m.chat_id AND rp.user_id = m.user_id"
        " WHERE m.chat_id = $1::bigint ORDER BY m.joined_at, u.id",
    [STORE_OP_MESSAGE_SEND] =
        "WITH dup AS (SELECT " MSG_COLS " FROM messages WHERE $4::text IS NOT NULL"
        "   AND author_id = $2::bigint AND client_msg_id = $4::text),"
        " mem AS (SELECT 1 FROM memberships WHERE chat_id = $1::bigint AND user_id = $2::bigint),"
        /* the attachments (media.h) are all the author's uploads, or nothing is written */
        " own AS (SELECT count(*) = cardinality($6::bigint[]) AS ok FROM attachments"
        "   WHERE id = ANY ($6::bigint[]) AND uploader_user_id = $2::bigint),"
        " bump AS (UPDATE chats SET last_seq = last_seq + 1, last_message_at = $5::bigint"
        "   WHERE id = $1::bigint AND NOT EXISTS (SELECT 1 FROM dup)"
        "   AND EXISTS (SELECT 1 FROM mem) AND (SELECT ok FROM own) RETURNING last_seq),"
        " ins AS (INSERT INTO messages (chat_id, seq, author_id, body, client_msg_id, created_at)"
        "   SELECT $1::bigint, last_seq, $2::bigint, $3::text, $4::text, $5::bigint FROM bump"
        "   RETURNING " MSG_COLS "),"
        " lnk AS (INSERT INTO message_attachments (message_id, attachment_id, position)"
        "   SELECT ins.id, t.aid, t.ord - 1 FROM ins,"
        "   unnest($6::bigint[]) WITH ORDINALITY AS t(aid, ord)),"
        " res AS (SELECT ins.*, false AS duplicate FROM ins"
        "   UNION ALL SELECT dup.*, true FROM dup)"
        " SELECT EXISTS (SELECT 1 FROM chats WHERE id = $1::bigint),"
        " EXISTS (SELECT 1 FROM mem), res.*, (SELECT ok FROM own)"
        " FROM (SELECT 1) one LEFT JOIN res ON true",
    [STORE_OP_MESSAGE_EDIT] =
        "WITH t AS (SELECT author_id, deleted_at FROM messages WHERE id = $1::bigint),"
        " u AS (UPDATE messages SET body = $3::text, edited_at = $4::bigint"
        "   WHERE id = $1::bigint AND author_id = $2::bigint AND deleted_at IS NULL"
        "   RETURNING " MSG_COLS ")"
        " SELECT EXISTS (SELECT 1 FROM t WHERE deleted_at IS NULL),"
        " EXISTS (SELECT 1 FROM t WHERE author_id = $2::bigint), u.*"
        " FROM (SELECT 1) one LEFT JOIN u ON true",
    [STORE_OP_MESSAGE_DELETE] =
        "WITH t AS (SELECT author_id, deleted_at FROM messages WHERE id = $1::bigint),"
        " u AS (UPDATE messages SET body = '', deleted_at = $3::bigint"
        "   WHERE id = $1::bigint AND author_id = $2::bigint AND deleted_at IS NULL"
        "   RETURNING " MSG_COLS ")"
        " SELECT EXISTS (SELECT 1 FROM t WHERE deleted_at IS NULL),"
        " EXISTS (SELECT 1 FROM t WHERE author_id = $2::bigint), u.*"
        " FROM (SELECT 1) one LEFT JOIN u ON true",
    [STORE_OP_MESSAGE_GET] = "SELECT " MSG_COLS " FROM messages WHERE id = $1::bigint",
    [STORE_OP_MESSAGE_BEFORE] = "SELECT " MSG_COLS " FROM messages WHERE chat_id = $1::bigint"
                                " AND seq < $2::bigint ORDER BY seq DESC LIMIT $3::bigint",
    [STORE_OP_MESSAGE_AFTER] = "SELECT " MSG_COLS " FROM messages WHERE chat_id = $1::bigint"
                               " AND seq > $2::bigint ORDER BY seq LIMIT $3::bigint",
    [STORE_OP_MESSAGE_SEARCH] =
        "SELECT m.id, m.chat_id, m.seq, m.author_id, m.body, m.client_msg_id, m.created_at,"
        " m.edited_at, m.deleted_at FROM messages m"
        " JOIN memberships mb ON mb.chat_id = m.chat_id AND mb.user_id = $1::bigint"
        " WHERE m.body_tsv @@ plainto_tsquery('simple', $2::text) AND m.deleted_at IS NULL"
        " ORDER BY m.id DESC LIMIT $3::bigint",
    [STORE_OP_REACTION_ADD] =
        "WITH t AS (SELECT 1 FROM messages WHERE id = $1::bigint AND deleted_at IS NULL),"
        " i AS (INSERT INTO reactions (message_id, user_id, emoji, created_at)"
        "   SELECT $1::bigint, $2::bigint, $3::text, $4::bigint FROM t"
        "   ON CONFLICT DO NOTHING RETURNING 1)"
        " SELECT (SELECT count(*) FROM t), (SELECT count(*) FROM i)",
    [STORE_OP_REACTION_REMOVE] = "DELETE FROM reactions WHERE message_id = $1::bigint"
                                 " AND user_id = $2::bigint AND emoji = $3::text RETURNING 1",
    [STORE_OP_REACTION_LIST] = "SELECT message_id, user_id, emoji, created_at FROM reactions"
                               " WHERE message_id = ANY ($1::bigint[])"
                               " ORDER BY message_id, created_at, user_id, emoji",
    [STORE_OP_READ_SET] =
        "WITH c AS (SELECT c.last_seq FROM chats c JOIN memberships m"
        "   ON m.chat_id = c.id AND m.user_id = $2::bigint WHERE c.id = $1::bigint),"
        " up AS (INSERT INTO read_positions (chat_id, user_id, last_read_seq)"
        "   SELECT $1::bigint, $2::bigint, LEAST($3::bigint, c.last_seq) FROM c"
        "   ON CONFLICT (chat_id, user_id) DO UPDATE"
        "   SET last_read_seq = GREATEST(read_positions.last_read_seq, excluded.last_read_seq)"
        "   RETURNING last_read_seq)"
        " SELECT last_read_seq FROM up",
};

const char *store__pg_sql(store_op_t op)
{
    if ((size_t)op >= STORE_OP__COUNT)
        return NULL;
    if (sqls[op] != NULL)
        return sqls[op];
    return store__pg_desk_sql(op) != NULL ? store__pg_desk_sql(op) : store__pg_media_sql(op);
}

/* ---- parameters ---- */

static const char *num(store_req_t *r, int64_t v)
{
    char *s = store__arena_alloc(&r->arena, 24);
    snprintf(s, 24, "%lld", (long long)v);
    return s;
}

/* '{1,2,3}' */
static const char *id_array(store_req_t *r)
{
    return store__ids_join(&r->arena, r->ids, r->n_ids, '{', '}');
}

int store__pg_params(store_req_t *r, const char *v[PG_MAX_PARAMS])
{
    int64_t now = (int64_t)time_now_ms();
    switch (r->op) {
    case STORE_OP_USER_CREATE:
        v[0] = r->s[0], v[1] = r->s[1], v[2] = r->s[2], v[3] = r->s[3];
        v[4] = store__user_role_name((store_user_role_t)r->a[0]);
        v[5] = num(r, now);
        return 6;
    case STORE_OP_USER_GET_BY_NAME:
    case STORE_OP_TOKEN_GET:
    case STORE_OP_TOKEN_REVOKE:
    case STORE_OP_TOKEN_REVOKE_FAMILY:
        v[0] = r->s[0];
        return 1;
    case STORE_OP_TOKEN_ROTATE:
        v[0] = r->s[0];
        v[1] = r->s[1];
        v[2] = num(r, now);
        v[3] = num(r, r->a[0]);
        return 4;
    case STORE_OP_USER_GET:
    case STORE_OP_TOKEN_REVOKE_USER:
    case STORE_OP_CHAT_GET:
    case STORE_OP_CHAT_LIST_FOR_USER:
    case STORE_OP_CHAT_DELETE:
    case STORE_OP_MEMBER_LIST:
    case STORE_OP_MESSAGE_GET:
        v[0] = num(r, r->a[0]);
        return 1;
    case STORE_OP_USER_LIST:
    case STORE_OP_MEMBER_REMOVE:
    case STORE_OP_MEMBER_ROLE:
        v[0] = num(r, r->a[0]);
        v[1] = num(r, r->a[1]);
        return 2;
    case STORE_OP_USER_UPDATE:
        v[0] = num(r, r->a[0]);
        v[1] = r->s[0], v[2] = r->s[1], v[3] = r->s[2];
        return 4;
    case STORE_OP_USER_TOUCH:
        v[0] = num(r, r->a[0]);
        v[1] = num(r, now);
        return 2;
    case STORE_OP_TOKEN_INSERT:
        v[0] = r->s[0];
        v[1] = num(r, r->a[0]);
        v[2] = num(r, now);
        v[3] = num(r, r->a[1]);
        return 4;
    case STORE_OP_CHAT_CREATE:
        v[0] = store__chat_kind_name((store_chat_kind_t)r->a[0]);
        v[1] = r->s[0];
        v[2] = r->s[1];
        v[3] = num(r, r->a[1]);
        v[4] = num(r, now);
        v[5] = id_array(r);
        return 6;
    case STORE_OP_CHAT_GET_PRIVATE:
        v[0] = num(r, r->a[0]);
        v[1] = num(r, r->a[1]);
        v[2] = num(r, r->a[2]);
        v[3] = num(r, now);
        return 4;
    case STORE_OP_CHAT_LIST_PUBLIC:
        return 0;
    case STORE_OP_CHAT_UPDATE:
        v[0] = num(r, r->a[0]);
        v[1] = r->s[0]; /* NULL: SQL NULL, keep */
        v[2] = r->s[1];
        return 3;
    case STORE_OP_MEMBER_ADD:
        v[0] = num(r, r->a[0]);
        v[1] = num(r, r->a[1]);
        v[2] = store__member_role_name((store_member_role_t)r->a[2]);
        v[3] = num(r, now);
        return 4;
    case STORE_OP_MESSAGE_SEND:
        v[0] = num(r, r->a[0]);
        v[1] = num(r, r->a[1]);
        v[2] = r->s[0];
        v[3] = r->s[1];
        v[4] = num(r, now);
        v[5] = id_array(r);
        return 6;
    case STORE_OP_MESSAGE_EDIT:
    case STORE_OP_REACTION_ADD:
        v[0] = num(r, r->a[0]);
        v[1] = num(r, r->a[1]);
        v[2] = r->s[0];
        v[3] = num(r, now);
        return 4;
    case STORE_OP_MESSAGE_DELETE:
        v[0] = num(r, r->a[0]);
        v[1] = num(r, r->a[1]);
        v[2] = num(r, now);
        return 3;
    case STORE_OP_MESSAGE_BEFORE:
        v[0] = num(r, r->a[0]);
        v[1] = num(r, r->a[1] == 0 ? INT64_MAX : r->a[1]);
        v[2] = num(r, r->a[2]);
        return 3;
    case STORE_OP_MESSAGE_AFTER:
    case STORE_OP_READ_SET:
        v[0] = num(r, r->a[0]);
        v[1] = num(r, r->a[1]);
        v[2] = num(r, r->a[2]);
        return 3;
    case STORE_OP_MESSAGE_SEARCH:
        v[0] = num(r, r->a[0]);
        v[1] = r->s[0];
        v[2] = num(r, r->a[1]);
        return 3;
    case STORE_OP_REACTION_REMOVE:
        v[0] = num(r, r->a[0]);
        v[1] = num(r, r->a[1]);
        v[2] = r->s[0];
        return 3;
    case STORE_OP_REACTION_LIST:
        v[0] = id_array(r);
        return 1;
    default:
        return store__pg_is_media_op(r->op) ? store__pg_media_params(r, v)
                                            : store__pg_desk_params(r, v);
    }
    return 0;
}

/* ---- results ---- */

static int64_t col_int(const PGresult *res, int row, int col)
{
    return PQgetisnull(res, row, col) ? 0 : strtoll(PQgetvalue(res, row, col), NULL, 10);
}

static bool col_bool(const PGresult *res, int row, int col)
{
    return PQgetvalue(res, row, col)[0] == 't';
}

static const char *col_text(store_req_t *r, const PGresult *res, int row, int col)
{
    return store__arena_strndup(&r->arena, PQgetvalue(res, row, col),
                                (size_t)PQgetlength(res, row, col));
}

static void read_user(store_req_t *r, const PGresult *res, int row, int c, store_user_t *u)
{
    u->id = col_int(res, row, c);
    u->username = col_text(r, res, row, c + 1);
    u->display_name = col_text(r, res, row, c + 2);
    u->password_hash = col_text(r, res, row, c + 3);
    u->name_color = col_text(r, res, row, c + 4);
    u->role = store__user_role_parse(PQgetvalue(res, row, c + 5));
    u->created_at = col_int(res, row, c + 6);
    u->last_seen_at = col_int(res, row, c + 7);
    u->active = col_bool(res, row, c + 8);
}

static void read_message(store_req_t *r, const PGresult *res, int row, int c, store_message_t *m)
{
    m->id = col_int(res, row, c);
    m->chat_id = col_int(res, row, c + 1);
    m->seq = col_int(res, row, c + 2);
    m->author_id = col_int(res, row, c + 3);
    m->body = col_text(r, res, row, c + 4);
    m->client_msg_id = col_text(r, res, row, c + 5);
    m->created_at = col_int(res, row, c + 6);
    m->edited_at = col_int(res, row, c + 7);
    m->deleted_at = col_int(res, row, c + 8);
}

static void read_chat(store_req_t *r, const PGresult *res, int row, int c, store_chat_t *ch)
{
    ch->id = col_int(res, row, c);
    ch->kind = store__chat_kind_parse(PQgetvalue(res, row, c + 1));
    ch->name = col_text(r, res, row, c + 2);
    ch->topic = col_text(r, res, row, c + 3);
    ch->created_by = col_int(res, row, c + 4);
    ch->created_at = col_int(res, row, c + 5);
    ch->last_seq = col_int(res, row, c + 6);
    ch->last_message_at = col_int(res, row, c + 7);
    ch->member_count = (size_t)col_int(res, row, c + 8);
    ch->private_users[0] = col_int(res, row, c + 9);
    ch->private_users[1] = col_int(res, row, c + 10);
}

/* Array of n elements of `size` in the arena. */
static void *items(store_req_t *r, int n, size_t size)
{
    return store__arena_alloc(&r->arena, (size_t)n * size);
}

/* Maps a failed statement to a status, or PG_RETRY for races worth another try. */
static int error_status(store_req_t *r, const PGresult *res)
{
    const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
    if (state == NULL)
        state = "";
    if (strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0)
        return PG_RETRY; /* serialization failure, deadlock */
    if (strcmp(state, "23505") == 0) {
        /* a concurrent send of the same client id, or of the same private pair, won */
        if (r->op == STORE_OP_MESSAGE_SEND || r->op == STORE_OP_CHAT_GET_PRIVATE ||
            r->op == STORE_OP_DESK_INBOUND || r->op == STORE_OP_DESK_OUTBOUND)
            return PG_RETRY;
        return -EEXIST;
    }
    if (strcmp(state, "23503") == 0)
        return -ENOENT; /* a referenced user/chat/message does not exist */
    if (strncmp(state, "08", 2) == 0 || strncmp(state, "57", 2) == 0 ||
        strncmp(state, "53", 2) == 0) {
        /* connection exception, operator intervention (a shutdown), insufficient resources:
         * the database is going away or cannot take us, not a failed statement */
        log_warn(STORE_LOG, "postgres: op %d: %s", (int)r->op, PQresultErrorMessage(res));
        return -ENOTCONN;
    }
    log_error(STORE_LOG, "postgres: op %d: %s", (int)r->op, PQresultErrorMessage(res));
    return -EIO;
}

int store__pg_result(store_req_t *r, const PGresult *res)
{
    if (res == NULL)
        return -EIO;
    ExecStatusType st = PQresultStatus(res);
    if (st == PGRES_FATAL_ERROR)
        return error_status(r, res);
    if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) {
        log_error(STORE_LOG, "postgres: op %d: unexpected %s %s", (int)r->op, PQresStatus(st),
                  PQresultErrorMessage(res));
        return -EIO;
    }
    int n = PQntuples(res);
    switch (r->op) {
    case STORE_OP_USER_CREATE:
    case STORE_OP_USER_GET_BY_NAME:
    case STORE_OP_USER_GET:
    case STORE_OP_USER_UPDATE:
        if (n == 0)
            return -ENOENT;
        read_user(r, res, 0, 0, &r->res.user);
        return 0;
    case STORE_OP_USER_LIST: {
        store_user_t *u = items(r, n, sizeof(*u));
        for (int i = 0; i < n; i++)
            read_user(r, res, i, 0, &u[i]);
        r->res.users.items = u;
        r->res.users.count = (size_t)n;
        return 0;
    }
    case STORE_OP_USER_TOUCH:
    case STORE_OP_TOKEN_REVOKE:
    case STORE_OP_CHAT_DELETE:
    case STORE_OP_REACTION_REMOVE:
        return n == 0 ? -ENOENT : 0;
    case STORE_OP_TOKEN_INSERT:
    case STORE_OP_TOKEN_REVOKE_USER:
    case STORE_OP_TOKEN_REVOKE_FAMILY:
        return 0;
    case STORE_OP_TOKEN_GET:
    case STORE_OP_TOKEN_ROTATE:
        if (n == 0)
            return r->op == STORE_OP_TOKEN_ROTATE ? -ESTALE : -ENOENT;
        r->res.token.token_hash = col_text(r, res, 0, 0);
        r->res.token.user_id = col_int(res, 0, 1);
        r->res.token.created_at = col_int(res, 0, 2);
        r->res.token.expires_at = col_int(res, 0, 3);
        r->res.token.revoked = col_bool(res, 0, 4);
        r->res.token.rotated = col_bool(res, 0, 5);
        r->res.token.family = col_text(r, res, 0, 6);
        return 0;
    case STORE_OP_CHAT_CREATE:
        if (n == 0)
            return -EIO;
        read_chat(r, res, 0, 0, &r->res.chat);
        r->res.chat.created = true;
        return 0;
    case STORE_OP_CHAT_GET_PRIVATE:
        if (n == 0)
            return PG_RETRY; /* created concurrently after our snapshot: look again */
        read_chat(r, res, 0, 0, &r->res.chat);
        r->res.chat.created = col_bool(res, 0, 11);
        return 0;
    case STORE_OP_CHAT_GET:
        if (n == 0)
            return -ENOENT;
        read_chat(r, res, 0, 0, &r->res.chat);
        return 0;
    case STORE_OP_CHAT_LIST_FOR_USER:
    case STORE_OP_CHAT_LIST_PUBLIC: {
        store_chat_t *c = items(r, n, sizeof(*c));
        for (int i = 0; i < n; i++) {
            read_chat(r, res, i, 0, &c[i]);
            if (r->op == STORE_OP_CHAT_LIST_FOR_USER) {
                c[i].my_role = store__member_role_parse(PQgetvalue(res, i, 11));
                c[i].last_read_seq = col_int(res, i, 12);
                c[i].unread = col_int(res, i, 13);
            }
        }
        r->res.chats.items = c;
        r->res.chats.count = (size_t)n;
        return 0;
    }
    case STORE_OP_CHAT_UPDATE:
        if (n == 0)
            return -ENOENT;
        if (PQgetisnull(res, 0, 1))
            return strcmp(PQgetvalue(res, 0, 0), "private") == 0 ? -EPERM : -EIO;
        read_chat(r, res, 0, 1, &r->res.chat);
        return 0;
    case STORE_OP_MEMBER_ADD:
        if (n == 0)
            return -ENOENT;
        if (strcmp(PQgetvalue(res, 0, 0), "private") == 0)
            return -EPERM;
        return col_int(res, 0, 1) == 0 ? -EEXIST : 0;
    case STORE_OP_MEMBER_REMOVE:
        return n == 0 || col_int(res, 0, 0) == 0 ? -ENOENT : 0;
    case STORE_OP_MEMBER_ROLE:
        r->res.role = n == 0 ? STORE_MEMBER_NONE : store__member_role_parse(PQgetvalue(res, 0, 0));
        return 0;
    case STORE_OP_MEMBER_LIST: {
        store_member_t *m = items(r, n, sizeof(*m));
        for (int i = 0; i < n; i++) {
            read_user(r, res, i, 0, &m[i].user);
            m[i].role = store__member_role_parse(PQgetvalue(res, i, 9));
            m[i].joined_at = col_int(res, i, 10);
            m[i].last_read_seq = col_int(res, i, 11);
        }
        r->res.members.items = m;
        r->res.members.count = (size_t)n;
        return 0;
    }
    case STORE_OP_MESSAGE_SEND:
    case STORE_OP_MESSAGE_EDIT:
    case STORE_OP_MESSAGE_DELETE:
        if (n == 0)
            return -EIO;
        if (PQgetisnull(res, 0, 2)) {
            if (!col_bool(res, 0, 0))
                return -ENOENT;
            if (!col_bool(res, 0, 1))
                return -EPERM;
            return r->op == STORE_OP_MESSAGE_SEND && !col_bool(res, 0, 12) ? -EACCES : -EIO;
        }
        read_message(r, res, 0, 2, &r->res.message);
        if (r->op == STORE_OP_MESSAGE_SEND)
            r->res.message.duplicate = col_bool(res, 0, 11);
        return 0;
    case STORE_OP_MESSAGE_GET:
        if (n == 0)
            return -ENOENT;
        read_message(r, res, 0, 0, &r->res.message);
        return 0;
    case STORE_OP_MESSAGE_BEFORE:
    case STORE_OP_MESSAGE_AFTER:
    case STORE_OP_MESSAGE_SEARCH: {
        store_message_t *m = items(r, n, sizeof(*m));
        for (int i = 0; i < n; i++)
            read_message(r, res, i, 0, &m[i]);
        r->res.messages.items = m;
        r->res.messages.count = (size_t)n;
        return 0;
    }
    case STORE_OP_REACTION_ADD:
        if (n == 0 || col_int(res, 0, 0) == 0)
            return -ENOENT;
        return col_int(res, 0, 1) == 0 ? -EEXIST : 0;
    case STORE_OP_REACTION_LIST: {
        store_reaction_t *x = items(r, n, sizeof(*x));
        for (int i = 0; i < n; i++) {
            x[i].message_id = col_int(res, i, 0);
            x[i].user_id = col_int(res, i, 1);
            x[i].emoji = col_text(r, res, i, 2);
            x[i].created_at = col_int(res, i, 3);
        }
        r->res.reactions.items = x;
        r->res.reactions.count = (size_t)n;
        return 0;
    }
    case STORE_OP_READ_SET:
        if (n == 0)
            return -EPERM;
        r->res.seq = col_int(res, 0, 0);
        return 0;
    default:
        return store__pg_is_media_op(r->op) ? store__pg_media_result(r, res)
                                            : store__pg_desk_result(r, res);
    }
    return -EIO;
}

/* ---- the helpers, for pg_desk.c ---- */

const char *store__pg_num(store_req_t *r, int64_t v)
{
    return num(r, v);
}

int64_t store__pg_col_int(const PGresult *res, int row, int col)
{
    return col_int(res, row, col);
}

bool store__pg_col_bool(const PGresult *res, int row, int col)
{
    return col_bool(res, row, col);
}

const char *store__pg_col_text(store_req_t *r, const PGresult *res, int row, int col)
{
    return col_text(r, res, row, col);
}

void store__pg_read_user(store_req_t *r, const PGresult *res, int row, int c, store_user_t *u)
{
    read_user(r, res, row, c, u);
}

void store__pg_conninfo(const char *url, const char *kw[4], const char *val[4])
{
    /* defaults first: keywords in the URL (expanded from dbname) override them */
    kw[0] = "fallback_application_name", val[0] = "sioc";
    kw[1] = "gssencmode", val[1] = "disable";
    kw[2] = "dbname", val[2] = url;
    kw[3] = NULL, val[3] = NULL;
}
