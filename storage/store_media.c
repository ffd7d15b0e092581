/* store_media.c - the public face of the attachment operations (media.h): checks and copies
 * each call's arguments into a store_req_t as store.c does, and runs their typed callbacks for
 * store__complete(). */
#include "storage/internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define CB(f) ((void (*)(void))(f))

void store__media_complete(store_req_t *req)
{
    int st = req->status;
    bool ok = st == 0;
    void *d = req->cbdata;
    switch (req->op) {
    case STORE_OP_ATT_CREATE:
    case STORE_OP_ATT_GET:
        ((store_attachment_cb)req->cb)(d, st, ok ? &req->res.att : NULL);
        break;
    case STORE_OP_ATT_LIST:
        ((store_attachments_cb)req->cb)(d, st, ok ? &req->res.atts : NULL);
        break;
    case STORE_OP_ATT_LINK_DESK:
        ((store_status_cb)req->cb)(d, st);
        break;
    default:
        break;
    }
}

static bool is_sha256_hex(const char *s)
{
    if (s == NULL || strlen(s) != STORE_SHA256_HEX)
        return false;
    for (size_t i = 0; i < STORE_SHA256_HEX; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return false;
    return true;
}

/* Copies n ids into the request (an array of n + 1, so that n = 0 is a valid pointer). */
static void copy_ids(store_req_t *req, const int64_t *ids, size_t n)
{
    req->ids = store__arena_alloc(&req->arena, (n + 1) * sizeof(int64_t));
    if (n > 0)
        memcpy(req->ids, ids, n * sizeof(int64_t));
    req->n_ids = n;
}

int store_attachment_create(store_t *store, const store_attachment_new_t *a, store_attachment_cb cb,
                            void *cbdata)
{
    int rc = store__check_call(store, (const void *)cb);
    if (rc == 0 &&
        (a == NULL || !is_sha256_hex(a->sha256) || a->size < 0 || a->width < 0 || a->height < 0 ||
         a->thumb_size < 0 || (a->uploader_user_id > 0) == (a->uploader_customer_id > 0) ||
         a->uploader_user_id < 0 || a->uploader_customer_id < 0))
        rc = -EINVAL;
    if (rc == 0)
        rc = store__check_text(a->content_type, STORE_MAX_ATT_TYPE, true);
    if (rc == 0)
        rc = store__check_text(a->name, STORE_MAX_ATT_NAME, true);
    if (rc != 0)
        return rc;
    store_req_t *req = store__req_new(store, STORE_OP_ATT_CREATE, CB(cb), cbdata);
    req->s[0] = store__arena_strdup(&req->arena, a->sha256);
    req->s[1] = store__arena_strdup(&req->arena, a->content_type);
    req->s[2] = store__arena_strdup(&req->arena, a->name);
    const int64_t v[6] = {a->size,  a->uploader_user_id, a->uploader_customer_id,
                          a->width, a->height,           a->thumb_size};
    copy_ids(req, v, 6);
    return store__req_submit(req);
}

int store_attachment_get_visible(store_t *store, int64_t id, int64_t user_id, int64_t customer_id,
                                 store_attachment_cb cb, void *cbdata)
{
    int rc = store__check_call(store, (const void *)cb);
    if (rc == 0 && (user_id < 0 || customer_id < 0 || (user_id == 0 && customer_id == 0)))
        rc = -EINVAL;
    if (rc != 0)
        return rc;
    store_req_t *req = store__req_new(store, STORE_OP_ATT_GET, CB(cb), cbdata);
    req->a[0] = id;
    req->a[1] = user_id;
    req->a[2] = user_id > 0 ? 0 : customer_id;
    return store__req_submit(req);
}

int store_attachment_list(store_t *store, store_att_kind_t kind, const int64_t *message_ids,
                          size_t n, store_attachments_cb cb, void *cbdata)
{
    int rc = store__check_call(store, (const void *)cb);
    if (rc == 0 &&
        ((kind != STORE_ATT_CHAT && kind != STORE_ATT_DESK) || (n > 0 && message_ids == NULL)))
        rc = -EINVAL;
    if (rc == 0 && n > STORE_MAX_LIST)
        rc = -EMSGSIZE;
    if (rc != 0)
        return rc;
    store_req_t *req = store__req_new(store, STORE_OP_ATT_LIST, CB(cb), cbdata);
    req->a[0] = (int64_t)kind;
    copy_ids(req, message_ids, n);
    return store__req_submit(req);
}

/* The desk link; message_id 0 only checks ownership (store_attachment_check_owned). */
static int link_desk(store_t *store, int64_t message_id, int64_t user_id, int64_t customer_id,
                     const int64_t *ids, size_t n, store_status_cb cb, void *cbdata)
{
    int rc = store__check_call(store, (const void *)cb);
    if (rc == 0 && (n == 0 || n > STORE_MAX_ATTACH || ids == NULL || user_id < 0 ||
                    customer_id < 0 || (user_id > 0) == (customer_id > 0)))
        rc = -EINVAL;
    if (rc == 0)
        rc = store__check_ids(ids, n);
    if (rc != 0)
        return rc;
    store_req_t *req = store__req_new(store, STORE_OP_ATT_LINK_DESK, CB(cb), cbdata);
    req->a[0] = message_id;
    req->a[1] = user_id;
    req->a[2] = customer_id;
    copy_ids(req, ids, n);
    return store__req_submit(req);
}

int store_attachment_link_desk(store_t *store, int64_t message_id, int64_t user_id,
                               int64_t customer_id, const int64_t *ids, size_t n,
                               store_status_cb cb, void *cbdata)
{
    if (message_id <= 0)
        return -EINVAL;
    return link_desk(store, message_id, user_id, customer_id, ids, n, cb, cbdata);
}

int store_attachment_check_owned(store_t *store, int64_t user_id, int64_t customer_id,
                                 const int64_t *ids, size_t n, store_status_cb cb, void *cbdata)
{
    return link_desk(store, 0, user_id, customer_id, ids, n, cb, cbdata);
}
