/* pg_media.c - the attachment operations (media.h) of the PostgreSQL backend: one prepared
 * statement each, like pg_ops.c. The desk link checks ownership of every id and inserts in the
 * same statement, so either all are linked or none (-EACCES). */
#include "storage/pg_be.h"

#include <errno.h>
#include <string.h>

#define ATT_COLS(p)                                                                                \
    p ".id, " p ".sha256, " p ".size, " p ".content_type, " p ".name, COALESCE(" p                 \
      ".uploader_user_id, 0), COALESCE(" p ".uploader_customer_id, 0), " p ".created_at, " p       \
      ".width, " p ".height, " p ".thumb_size"
#define ATT_N 11

static const char *const media_sqls[STORE_OP__COUNT] = {
    [STORE_OP_ATT_CREATE] =
        "INSERT INTO attachments AS a (sha256, content_type, name, size, uploader_user_id,"
        " uploader_customer_id, created_at, width, height, thumb_size)"
        " VALUES ($1::text, $2::text, $3::text, $4::bigint, NULLIF($5::bigint, 0),"
        " NULLIF($6::bigint, 0), $7::bigint, $8::bigint, $9::bigint, $10::bigint)"
        " RETURNING " ATT_COLS("a"),
    [STORE_OP_ATT_GET] = "SELECT " ATT_COLS(
        "a") " FROM attachments a WHERE a.id = $1::bigint AND ("
             " ($2::bigint > 0 AND (a.uploader_user_id = $2::bigint"
             "   OR EXISTS (SELECT 1 FROM message_attachments ma"
             "     JOIN messages m ON m.id = ma.message_id AND m.deleted_at IS NULL"
             "     JOIN memberships mb ON mb.chat_id = m.chat_id AND mb.user_id = $2::bigint"
             "     WHERE ma.attachment_id = a.id)"
             "   OR (EXISTS (SELECT 1 FROM desk_message_attachments d WHERE d.attachment_id = a.id)"
             "     AND EXISTS (SELECT 1 FROM users u WHERE u.id = $2::bigint AND u.active"
             "       AND u.role IN ('agent', 'admin')))))"
             " OR ($3::bigint > 0 AND (a.uploader_customer_id = $3::bigint"
             "   OR EXISTS (SELECT 1 FROM desk_message_attachments d"
             "     JOIN desk_messages dm ON dm.id = d.message_id"
             "     JOIN desk_services s ON s.id = dm.service_id AND s.customer_id = $3::bigint"
             "     WHERE d.attachment_id = a.id))))",
    [STORE_OP_ATT_LIST] = "SELECT " ATT_COLS(
        "a") ", x.message_id FROM ("
             "   SELECT ma.message_id, ma.attachment_id, ma.position FROM message_attachments ma"
             "   JOIN messages m ON m.id = ma.message_id AND m.deleted_at IS NULL"
             "   WHERE $2::integer = 0 AND ma.message_id = ANY ($1::bigint[])"
             "   UNION ALL SELECT d.message_id, d.attachment_id, d.position"
             "   FROM desk_message_attachments d"
             "   WHERE $2::integer = 1 AND d.message_id = ANY ($1::bigint[])) x"
             " JOIN attachments a ON a.id = x.attachment_id ORDER BY x.message_id, x.position",
    [STORE_OP_ATT_LINK_DESK] =
        "WITH msg AS (SELECT id FROM desk_messages WHERE id = $1::bigint),"
        " own AS (SELECT count(*) = cardinality($4::bigint[]) AS ok FROM attachments a"
        "   WHERE a.id = ANY ($4::bigint[]) AND (($2::bigint > 0 AND a.uploader_user_id ="
        "   $2::bigint) OR ($3::bigint > 0 AND a.uploader_customer_id = $3::bigint))),"
        " ins AS (INSERT INTO desk_message_attachments (message_id, attachment_id, position)"
        "   SELECT msg.id, t.aid, t.ord - 1 FROM msg,"
        "   unnest($4::bigint[]) WITH ORDINALITY AS t(aid, ord) WHERE (SELECT ok FROM own)"
        "   ON CONFLICT DO NOTHING RETURNING 1)"
        " SELECT EXISTS (SELECT 1 FROM msg), (SELECT ok FROM own), (SELECT count(*) FROM ins)",
};

const char *store__pg_media_sql(store_op_t op)
{
    return (size_t)op < STORE_OP__COUNT ? media_sqls[op] : NULL;
}

int store__pg_media_params(store_req_t *r, const char *v[PG_MAX_PARAMS])
{
#define N(x) store__pg_num(r, (x))
    switch (r->op) {
    case STORE_OP_ATT_CREATE:
        v[0] = r->s[0], v[1] = r->s[1], v[2] = r->s[2];
        v[3] = N(r->ids[0]), v[4] = N(r->ids[1]), v[5] = N(r->ids[2]);
        v[6] = N((int64_t)time_now_ms());
        v[7] = N(r->ids[3]), v[8] = N(r->ids[4]), v[9] = N(r->ids[5]);
        return 10;
    case STORE_OP_ATT_GET:
        v[0] = N(r->a[0]), v[1] = N(r->a[1]), v[2] = N(r->a[2]);
        return 3;
    case STORE_OP_ATT_LIST:
        v[0] = store__ids_join(&r->arena, r->ids, r->n_ids, '{', '}');
        v[1] = N(r->a[0]);
        return 2;
    case STORE_OP_ATT_LINK_DESK:
        v[0] = N(r->a[0]), v[1] = N(r->a[1]), v[2] = N(r->a[2]);
        v[3] = store__ids_join(&r->arena, r->ids, r->n_ids, '{', '}');
        return 4;
    default:
        return 0;
    }
#undef N
}

static void read_att(store_req_t *r, const PGresult *res, int row, store_attachment_t *a)
{
    a->id = store__pg_col_int(res, row, 0);
    a->sha256 = store__pg_col_text(r, res, row, 1);
    a->size = store__pg_col_int(res, row, 2);
    a->content_type = store__pg_col_text(r, res, row, 3);
    a->name = store__pg_col_text(r, res, row, 4);
    a->uploader_user_id = store__pg_col_int(res, row, 5);
    a->uploader_customer_id = store__pg_col_int(res, row, 6);
    a->created_at = store__pg_col_int(res, row, 7);
    a->width = (int)store__pg_col_int(res, row, 8);
    a->height = (int)store__pg_col_int(res, row, 9);
    a->thumb_size = store__pg_col_int(res, row, 10);
    if (PQnfields(res) > ATT_N)
        a->message_id = store__pg_col_int(res, row, ATT_N);
}

int store__pg_media_result(store_req_t *r, const PGresult *res)
{
    int n = PQntuples(res);
    switch (r->op) {
    case STORE_OP_ATT_CREATE:
    case STORE_OP_ATT_GET:
        if (n == 0)
            return r->op == STORE_OP_ATT_GET ? -ENOENT : -EIO;
        read_att(r, res, 0, &r->res.att);
        return 0;
    case STORE_OP_ATT_LIST: {
        store_attachment_t *items = store__arena_alloc(&r->arena, ((size_t)n + 1) * sizeof(*items));
        for (int i = 0; i < n; i++)
            read_att(r, res, i, &items[i]);
        r->res.atts.items = items;
        r->res.atts.count = (size_t)n;
        return 0;
    }
    case STORE_OP_ATT_LINK_DESK:
        if (n > 0 && r->a[0] == 0) /* store_attachment_check_owned: no message, nothing linked */
            return store__pg_col_bool(res, 0, 1) ? 0 : -EACCES;
        if (n == 0 || !store__pg_col_bool(res, 0, 0))
            return -ENOENT;
        return store__pg_col_bool(res, 0, 1) ? 0 : -EACCES;
    default:
        return -EIO;
    }
}
