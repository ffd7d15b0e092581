/* store_channel.c - the public face of the operations of channels with a remote side (desk.h:
 * the webhook inbox, the channel's ids of outbound messages, the channel state the admin page
 * shows): checks and copies the arguments as store_desk.c does, and runs their callbacks. */
#include "storage/internal.h"

#include <errno.h>
#include <string.h>

#define CB(f) ((void (*)(void))(f))

void store__channel_complete(store_req_t *req)
{
    int st = req->status;
    bool ok = st == 0;
    void *d = req->cbdata;
    switch (req->op) {
    case STORE_OP_INBOX_PUT:
    case STORE_OP_DESK_MSG_FAIL:
        ((store_count_cb)req->cb)(d, st, ok ? req->res.seq : 0);
        break;
    case STORE_OP_INBOX_DONE:
    case STORE_OP_DESK_MSG_EXTERNAL:
        ((store_status_cb)req->cb)(d, st);
        break;
    case STORE_OP_INBOX_PENDING:
        ((store_inbox_cb)req->cb)(d, st, ok ? &req->res.inbox : NULL);
        break;
    case STORE_OP_DESK_MSG_FIND:
        ((store_desk_msg_cb)req->cb)(d, st, ok ? &req->res.desk.msg : NULL,
                                     ok ? &req->res.desk.svc : NULL);
        break;
    case STORE_OP_CHANNEL_STATE:
    case STORE_OP_CHANNEL_STATE_SET:
        ((store_channel_state_cb)req->cb)(d, st, ok ? &req->res.channel : NULL);
        break;
    default:
        break;
    }
}

static store_req_t *new_req(store_t *store, store_op_t op, void (*cb)(void), void *cbdata)
{
    return store__req_new(store, op, cb, cbdata);
}

int store_inbox_put(store_t *store, const char *channel, const char *key, const char *body,
                    store_count_cb cb, void *cbdata)
{
    int rc = store__check_call(store, (const void *)cb);
    if (rc == 0)
        rc = store__check_text(channel, STORE_MAX_CHANNEL, true);
    if (rc == 0)
        rc = store__check_text(key, STORE_MAX_EXTERNAL, true);
    if (rc == 0 && (body == NULL || strlen(body) > STORE_MAX_INBOX))
        rc = -EMSGSIZE;
    if (rc != 0)
        return rc;
    store_req_t *req = new_req(store, STORE_OP_INBOX_PUT, CB(cb), cbdata);
    req->s[0] = store__arena_strdup(&req->arena, channel);
    req->s[1] = store__arena_strdup(&req->arena, key);
    req->s[2] = store__arena_strdup(&req->arena, body);
    return store__req_submit(req);
}

int store_inbox_done(store_t *store, int64_t id, store_status_cb cb, void *cbdata)
{
    int rc = store__check_call(store, (const void *)cb);
    if (rc != 0)
        return rc;
    store_req_t *req = new_req(store, STORE_OP_INBOX_DONE, CB(cb), cbdata);
    req->a[0] = id;
    return store__req_submit(req);
}

int store_inbox_pending(store_t *store, const char *channel, int64_t after_id, size_t limit,
                        store_inbox_cb cb, void *cbdata)
{
    int rc = store__check_call(store, (const void *)cb);
    if (rc == 0 && (limit == 0 || after_id < 0))
        rc = -EINVAL;
    if (rc == 0)
        rc = store__check_text(channel, STORE_MAX_CHANNEL, true);
    if (rc != 0)
        return rc;
    store_req_t *req = new_req(store, STORE_OP_INBOX_PENDING, CB(cb), cbdata);
    req->s[0] = store__arena_strdup(&req->arena, channel);
    req->a[0] = after_id;
    req->a[1] = (int64_t)store__clamp_limit(limit);
    return store__req_submit(req);
}

int store_desk_msg_set_external(store_t *store, int64_t message_id, const char *external_id,
                                store_status_cb cb, void *cbdata)
{
    int rc = store__check_call(store, (const void *)cb);
    if (rc == 0)
        rc = store__check_text(external_id, STORE_MAX_EXTERNAL, true);
    if (rc != 0)
        return rc;
    store_req_t *req = new_req(store, STORE_OP_DESK_MSG_EXTERNAL, CB(cb), cbdata);
    req->a[0] = message_id;
    req->s[0] = store__arena_strdup(&req->arena, external_id);
    return store__req_submit(req);
}

int store_desk_msg_find_external(store_t *store, const char *external_id, store_desk_msg_cb cb,
                                 void *cbdata)
{
    int rc = store__check_call(store, (const void *)cb);
    if (rc == 0)
        rc = store__check_text(external_id, STORE_MAX_EXTERNAL, true);
    if (rc != 0)
        return rc;
    store_req_t *req = new_req(store, STORE_OP_DESK_MSG_FIND, CB(cb), cbdata);
    req->s[0] = store__arena_strdup(&req->arena, external_id);
    return store__req_submit(req);
}

int store_desk_msg_fail(store_t *store, int64_t message_id, const char *error, store_count_cb cb,
                        void *cbdata)
{
    int rc = store__check_call(store, (const void *)cb);
    if (rc != 0)
        return rc;
    store_req_t *req = new_req(store, STORE_OP_DESK_MSG_FAIL, CB(cb), cbdata);
    req->a[0] = message_id;
    if (error != NULL) /* cut, on a UTF-8 boundary, like the outbox's errors */
        req->s[0] =
            store__arena_strndup(&req->arena, error, store__utf8_prefix(error, STORE_MAX_ERROR));
    return store__req_submit(req);
}

int store_channel_state(store_t *store, const char *channel, store_channel_state_cb cb,
                        void *cbdata)
{
    int rc = store__check_call(store, (const void *)cb);
    if (rc == 0)
        rc = store__check_text(channel, STORE_MAX_CHANNEL, true);
    if (rc != 0)
        return rc;
    store_req_t *req = new_req(store, STORE_OP_CHANNEL_STATE, CB(cb), cbdata);
    req->s[0] = store__arena_strdup(&req->arena, channel);
    return store__req_submit(req);
}

int store_channel_state_set(store_t *store, const char *channel, const store_channel_update_t *u,
                            store_channel_state_cb cb, void *cbdata)
{
    int rc = store__check_call(store, (const void *)cb);
    if (rc == 0 && (u == NULL || u->enabled < -1 || u->enabled > 1))
        rc = -EINVAL;
    if (rc == 0)
        rc = store__check_text(channel, STORE_MAX_CHANNEL, true);
    if (rc != 0)
        return rc;
    store_req_t *req = new_req(store, STORE_OP_CHANNEL_STATE_SET, CB(cb), cbdata);
    req->s[0] = store__arena_strdup(&req->arena, channel);
    req->a[0] = u->enabled;
    req->a[1] = u->verified;
    req->a[2] = u->event;
    req->a[3] = u->ok;
    if (u->error != NULL)
        req->s[1] = store__arena_strndup(&req->arena, u->error,
                                         store__utf8_prefix(u->error, STORE_MAX_ERROR));
    return store__req_submit(req);
}
