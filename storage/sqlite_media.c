/* sqlite_media.c - the attachment operations (media.h) of the SQLite backend, run on its worker
 * thread inside the op's savepoint like sqlite_ops.c: a link that fails its ownership check
 * returns -EACCES and the savepoint takes back whatever the op wrote. */
#include "storage/sqlite_be.h"

#include <errno.h>
#include <string.h>

#define I(...) ((const int64_t[]){__VA_ARGS__})
#define S(...) ((const char *const[]){__VA_ARGS__})

#define ATT_COLS                                                                                   \
    "a.id, a.sha256, a.size, a.content_type, a.name, COALESCE(a.uploader_user_id, 0),"             \
    " COALESCE(a.uploader_customer_id, 0), a.created_at, a.width, a.height, a.thumb_size"

static void read_att(store_arena_t *ar, sqlite3_stmt *st, void *out)
{
    store_attachment_t *a = out;
    a->id = sqlite3_column_int64(st, 0);
    a->sha256 = store__sqlite_col_text(ar, st, 1);
    a->size = sqlite3_column_int64(st, 2);
    a->content_type = store__sqlite_col_text(ar, st, 3);
    a->name = store__sqlite_col_text(ar, st, 4);
    a->uploader_user_id = sqlite3_column_int64(st, 5);
    a->uploader_customer_id = sqlite3_column_int64(st, 6);
    a->created_at = sqlite3_column_int64(st, 7);
    a->width = (int)sqlite3_column_int64(st, 8);
    a->height = (int)sqlite3_column_int64(st, 9);
    a->thumb_size = sqlite3_column_int64(st, 10);
    if (sqlite3_column_count(st) > 11)
        a->message_id = sqlite3_column_int64(st, 11);
}

/* Links each id in order with `sql` (message, position, id, owner): no row means not owned. */
static int link_all(sqlite_be_t *be, const char *sql, int64_t message_id, int64_t owner,
                    const int64_t *ids, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        int changes = 0;
        int rc = store__sqlite_do(be, sql, "iiii", I(message_id, (int64_t)i, ids[i], owner), NULL,
                                  &changes);
        if (rc != 0)
            return rc;
        if (changes == 0)
            return -EACCES;
    }
    return 0;
}

int store__sqlite_link_chat(sqlite_be_t *be, int64_t message_id, int64_t author, const int64_t *ids,
                            size_t n)
{
    static const char sql[] = "INSERT INTO message_attachments (message_id, position,"
                              " attachment_id) SELECT ?, ?, id FROM attachments"
                              " WHERE id = ? AND uploader_user_id = ?";
    return link_all(be, sql, message_id, author, ids, n);
}

static int att_create(sqlite_be_t *be, store_req_t *r)
{
    /* RETURNING cannot carry the "a." prefixes of ATT_COLS: read the row back by rowid */
    static const char ins[] =
        "INSERT INTO attachments (sha256, content_type, name, size, uploader_user_id,"
        " uploader_customer_id, created_at, width, height, thumb_size)"
        " VALUES (?, ?, ?, ?, NULLIF(?, 0), NULLIF(?, 0), ?, ?, ?, ?)";
    static const char get[] = "SELECT " ATT_COLS " FROM attachments a WHERE a.id = ?";
    const int64_t *v = r->ids;
    int rc = store__sqlite_do(be, ins, "sssiiiiiii",
                              I(v[0], v[1], v[2], (int64_t)time_now_ms(), v[3], v[4], v[5]),
                              S(r->s[0], r->s[1], r->s[2]), NULL);
    if (rc != 0)
        return rc;
    return store__sqlite_one(be, r, get, "i", I(sqlite3_last_insert_rowid(be->db)), NULL, read_att,
                             &r->res.att);
}

static int att_get(sqlite_be_t *be, store_req_t *r)
{
    static const char sql[] =
        "SELECT " ATT_COLS " FROM attachments a WHERE a.id = ?1 AND ("
        " (?2 > 0 AND (a.uploader_user_id = ?2"
        "   OR EXISTS (SELECT 1 FROM message_attachments ma"
        "     JOIN messages m ON m.id = ma.message_id AND m.deleted_at IS NULL"
        "     JOIN memberships mb ON mb.chat_id = m.chat_id AND mb.user_id = ?2"
        "     WHERE ma.attachment_id = a.id)"
        "   OR (EXISTS (SELECT 1 FROM desk_message_attachments d WHERE d.attachment_id = a.id)"
        "     AND EXISTS (SELECT 1 FROM users u WHERE u.id = ?2 AND u.active"
        "       AND u.role IN ('agent', 'admin')))))"
        " OR (?3 > 0 AND (a.uploader_customer_id = ?3"
        "   OR EXISTS (SELECT 1 FROM desk_message_attachments d"
        "     JOIN desk_messages dm ON dm.id = d.message_id"
        "     JOIN desk_services s ON s.id = dm.service_id AND s.customer_id = ?3"
        "     WHERE d.attachment_id = a.id))))";
    return store__sqlite_one(be, r, sql, "iii", I(r->a[0], r->a[1], r->a[2]), NULL, read_att,
                             &r->res.att);
}

static int att_list(sqlite_be_t *be, store_req_t *r)
{
    static const char chat[] = "SELECT " ATT_COLS ", ma.message_id FROM message_attachments ma"
                               " JOIN attachments a ON a.id = ma.attachment_id"
                               " JOIN messages m ON m.id = ma.message_id AND m.deleted_at IS NULL"
                               " WHERE ma.message_id IN (SELECT value FROM json_each(?))"
                               " ORDER BY ma.message_id, ma.position";
    static const char desk[] = "SELECT " ATT_COLS ", d.message_id FROM desk_message_attachments d"
                               " JOIN attachments a ON a.id = d.attachment_id"
                               " WHERE d.message_id IN (SELECT value FROM json_each(?))"
                               " ORDER BY d.message_id, d.position";
    const char *ids = store__ids_join(&r->arena, r->ids, r->n_ids, '[', ']');
    return store__sqlite_many(be, r, r->a[0] == STORE_ATT_DESK ? desk : chat, "s", NULL, S(ids),
                              read_att, sizeof(store_attachment_t),
                              (const void **)&r->res.atts.items, &r->res.atts.count);
}

static int att_link_desk(sqlite_be_t *be, store_req_t *r)
{
    static const char exists[] = "SELECT count(*) FROM desk_messages WHERE id = ?";
    static const char by_user[] =
        "INSERT INTO desk_message_attachments (message_id, position, attachment_id)"
        " SELECT ?, ?, id FROM attachments WHERE id = ? AND uploader_user_id = ?"
        " ON CONFLICT DO NOTHING";
    static const char by_customer[] =
        "INSERT INTO desk_message_attachments (message_id, position, attachment_id)"
        " SELECT ?, ?, id FROM attachments WHERE id = ? AND uploader_customer_id = ?"
        " ON CONFLICT DO NOTHING";
    static const char linked[] = "SELECT count(*) FROM desk_message_attachments"
                                 " WHERE message_id = ? AND attachment_id = ?";
    static const char owned[] = "SELECT count(*) FROM attachments WHERE id = ?"
                                " AND (uploader_user_id = ? OR uploader_customer_id = ?)";
    int64_t n = 0;
    int rc = 0;
    if (r->a[0] == 0) { /* store_attachment_check_owned */
        for (size_t i = 0; rc == 0 && i < r->n_ids; i++) {
            rc = store__sqlite_scalar(
                be, owned, "iii",
                I(r->ids[i], r->a[1] > 0 ? r->a[1] : -1, r->a[2] > 0 ? r->a[2] : -1), NULL, &n);
            if (rc == 0 && n == 0)
                rc = -EACCES;
        }
        return rc;
    }
    rc = store__sqlite_scalar(be, exists, "i", I(r->a[0]), NULL, &n);
    if (rc == 0 && n == 0)
        rc = -ENOENT;
    for (size_t i = 0; rc == 0 && i < r->n_ids; i++) {
        int changes = 0;
        int64_t owner = r->a[1] > 0 ? r->a[1] : r->a[2];
        rc = store__sqlite_do(be, r->a[1] > 0 ? by_user : by_customer, "iiii",
                              I(r->a[0], (int64_t)i, r->ids[i], owner), NULL, &changes);
        if (rc == 0 && changes == 0) {
            /* already linked (a retry) is fine; not the sender's is not */
            int64_t have = 0;
            rc = store__sqlite_scalar(be, linked, "ii", I(r->a[0], r->ids[i]), NULL, &have);
            if (rc == 0 && have == 0)
                rc = -EACCES;
        }
    }
    return rc;
}

sqlite_op_fn store__sqlite_media_op(store_op_t op)
{
    switch (op) {
    case STORE_OP_ATT_CREATE:
        return att_create;
    case STORE_OP_ATT_GET:
        return att_get;
    case STORE_OP_ATT_LIST:
        return att_list;
    case STORE_OP_ATT_LINK_DESK:
        return att_link_desk;
    default:
        return NULL;
    }
}
