/* store_desk.c - the public face of the desk operations (desk.h): checks and copies each call's
 * arguments into a store_req_t exactly as store.c does for the chat, so both backends see
 * validated input, and runs the typed callbacks of desk requests for store__complete(). The
 * dashboard query lives here too since both backends run the same text. */
#include "storage/internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CB(f) ((void (*)(void))(f))

/* 14 sums per attendant, over the services that overlap [from, to) at all. The WHERE keeps
 * created_at < $2, so "created in the period" is created_at >= $1, and "open at its end" is not
 * finished before $2. */
const char store__desk_stats_sql[] =
    "SELECT COALESCE(s.attendant_id, 0), COALESCE(u.username, ''), COALESCE(u.display_name, ''),"
    " sum(CASE WHEN s.created_at >= $1 THEN 1 ELSE 0 END),"
    " sum(CASE WHEN s.finished_at >= $1 AND s.finished_at < $2 THEN 1 ELSE 0 END),"
    " sum(CASE WHEN s.finished_at IS NULL OR s.finished_at >= $2 THEN 1 ELSE 0 END),"
    " sum(CASE WHEN s.created_at >= $1 AND s.first_response_at IS NOT NULL"
    "   THEN s.first_response_at - s.created_at ELSE 0 END),"
    " sum(CASE WHEN s.created_at >= $1 AND s.first_response_at IS NOT NULL THEN 1 ELSE 0 END),"
    " sum(CASE WHEN s.finished_at >= $1 AND s.finished_at < $2"
    "   THEN s.finished_at - s.created_at ELSE 0 END),"
    " sum(CASE WHEN s.finished_at >= $1 AND s.finished_at < $2 THEN 1 ELSE 0 END),"
    " sum(CASE WHEN s.finished_at >= $1 AND s.finished_at < $2 AND s.rating IS NOT NULL"
    "   THEN s.rating ELSE 0 END),"
    " sum(CASE WHEN s.finished_at >= $1 AND s.finished_at < $2 AND s.rating IS NOT NULL"
    "   THEN 1 ELSE 0 END),"
    " sum(CASE WHEN s.finished_at >= $1 AND s.finished_at < $2 AND s.rating = 1 THEN 1 ELSE 0 END),"
    " sum(CASE WHEN s.finished_at >= $1 AND s.finished_at < $2 AND s.rating = 2 THEN 1 ELSE 0 END),"
    " sum(CASE WHEN s.finished_at >= $1 AND s.finished_at < $2 AND s.rating = 3 THEN 1 ELSE 0 END),"
    " sum(CASE WHEN s.finished_at >= $1 AND s.finished_at < $2 AND s.rating = 4 THEN 1 ELSE 0 END),"
    " sum(CASE WHEN s.finished_at >= $1 AND s.finished_at < $2 AND s.rating = 5 THEN 1 ELSE 0 END)"
    " FROM desk_services s LEFT JOIN users u ON u.id = s.attendant_id"
    " WHERE s.created_at < $2 AND (s.finished_at IS NULL OR s.finished_at >= $1)"
    " GROUP BY COALESCE(s.attendant_id, 0), COALESCE(u.username, ''),"
    " COALESCE(u.display_name, '') ORDER BY 1";

void store__desk_complete(store_req_t *req)
{
    int st = req->status;
    bool ok = st == 0;
    void *d = req->cbdata;
    switch (req->op) {
    case STORE_OP_DESK_CUSTOMER_UPSERT:
    case STORE_OP_DESK_CUSTOMER_GET:
        ((store_customer_cb)req->cb)(d, st, ok ? &req->res.customer : NULL);
        break;
    case STORE_OP_DESK_INBOUND:
    case STORE_OP_DESK_OUTBOUND:
        ((store_desk_msg_cb)req->cb)(d, st, ok ? &req->res.desk.msg : NULL,
                                     ok ? &req->res.desk.svc : NULL);
        break;
    case STORE_OP_DESK_ASSIGN:
    case STORE_OP_DESK_FINISH:
    case STORE_OP_DESK_RATE:
    case STORE_OP_DESK_SERVICE_GET:
        ((store_service_cb)req->cb)(d, st, ok ? &req->res.service : NULL);
        break;
    case STORE_OP_DESK_IDLE_CLOSE:
    case STORE_OP_DESK_SERVICE_LIST:
        ((store_services_cb)req->cb)(d, st, ok ? &req->res.services : NULL);
        break;
    case STORE_OP_DESK_MESSAGES:
    case STORE_OP_DESK_CUSTOMER_MSGS:
        ((store_desk_msgs_cb)req->cb)(d, st, ok ? &req->res.desk_msgs : NULL);
        break;
    case STORE_OP_DESK_STATS:
        ((store_desk_stats_cb)req->cb)(d, st, ok ? &req->res.stats : NULL);
        break;
    case STORE_OP_DESK_USER_SET:
    case STORE_OP_DESK_ADMIN_BOOTSTRAP:
    case STORE_OP_RESET_USE:
        ((store_user_cb)req->cb)(d, st, ok ? &req->res.user : NULL);
        break;
    case STORE_OP_DESK_STAFF_LIST:
        ((store_users_cb)req->cb)(d, st, ok ? &req->res.users : NULL);
        break;
    case STORE_OP_DESK_MARK:
    case STORE_OP_DESK_TOUCH:
    case STORE_OP_DESK_ADMIN_COUNT:
    case STORE_OP_OUTBOX_PUT:
        ((store_count_cb)req->cb)(d, st, ok ? req->res.seq : 0);
        break;
    case STORE_OP_OUTBOX_CLAIM:
        ((store_outbox_cb)req->cb)(d, st, ok ? &req->res.outbox : NULL);
        break;
    case STORE_OP_RESET_CREATE:
    case STORE_OP_OUTBOX_SETTLE:
        ((store_status_cb)req->cb)(d, st);
        break;
    default:
        store__channel_complete(req);
        break;
    }
}

/* ---- helpers ---- */

static store_req_t *ints_req(store_t *store, store_op_t op, void (*cb)(void), void *cbdata,
                             int64_t a0, int64_t a1, int64_t a2, int64_t a3)
{
    store_req_t *req = store__req_new(store, op, cb, cbdata);
    req->a[0] = a0;
    req->a[1] = a1;
    req->a[2] = a2;
    req->a[3] = a3;
    return req;
}

static int submit_ints(store_t *store, store_op_t op, void (*cb)(void), void *cbdata, int64_t a0,
                       int64_t a1, int64_t a2, int64_t a3)
{
    int rc = store__check_call(store, (const void *)cb);
    if (rc != 0)
        return rc;
    return store__req_submit(ints_req(store, op, cb, cbdata, a0, a1, a2, a3));
}

static const char *dup_or_null(store_req_t *req, const char *s)
{
    return s != NULL ? store__arena_strdup(&req->arena, s) : NULL;
}

/* "c<customer id>" or "u<user id>": who a client_msg_id belongs to. */
static const char *sender_key(store_req_t *req, char kind, int64_t id)
{
    char *s = store__arena_alloc(&req->arena, 24);
    snprintf(s, 24, "%c%lld", kind, (long long)id);
    return s;
}

/* ---- customers ---- */

int store_desk_customer_upsert(store_t *store, const char *channel, const char *external_id,
                               const char *name, const char *email, store_customer_cb cb,
                               void *cbdata)
{
    int rc = store__check_call(store, (const void *)cb);
    if (rc == 0)
        rc = store__check_text(channel, STORE_MAX_CHANNEL, true);
    if (rc == 0)
        rc = store__check_text(external_id, STORE_MAX_EXTERNAL, true);
    if (rc == 0)
        rc = store__check_text(name, STORE_MAX_NAME, false);
    if (rc == 0)
        rc = store__check_text(email, STORE_MAX_EMAIL, false);
    if (rc != 0)
        return rc;
    store_req_t *req = store__req_new(store, STORE_OP_DESK_CUSTOMER_UPSERT, CB(cb), cbdata);
    req->s[0] = store__arena_strdup(&req->arena, channel);
    req->s[1] = store__arena_strdup(&req->arena, external_id);
    req->s[2] = store__arena_strdup(&req->arena, name);
    req->s[3] = store__arena_strdup(&req->arena, email);
    return store__req_submit(req);
}

int store_desk_customer_get(store_t *store, int64_t customer_id, store_customer_cb cb, void *cbdata)
{
    return submit_ints(store, STORE_OP_DESK_CUSTOMER_GET, CB(cb), cbdata, customer_id, 0, 0, 0);
}

/* ---- services and messages ---- */

static int submit_message(store_t *store, store_op_t op, store_desk_msg_cb cb, void *cbdata,
                          int64_t a0, int64_t a1, int64_t a2, const char *body,
                          const char *client_msg_id, char kind, int64_t sender)
{
    int rc = store__check_call(store, (const void *)cb);
    if (rc == 0 && body == NULL)
        rc = -EINVAL;
    if (rc == 0) /* "" is fine: a message of attachments only (storage/media.h) */
        rc = store__check_text(body, STORE_MAX_BODY, false);
    if (rc == 0)
        rc = store__check_text(client_msg_id, STORE_MAX_CLIENT_ID, false);
    if (rc != 0)
        return rc;
    store_req_t *req = ints_req(store, op, CB(cb), cbdata, a0, a1, a2, 0);
    req->s[0] = store__arena_strdup(&req->arena, body);
    if (client_msg_id != NULL && client_msg_id[0] != '\0')
        req->s[1] = store__arena_strdup(&req->arena, client_msg_id);
    req->s[2] = sender_key(req, kind, sender);
    return store__req_submit(req);
}

int store_desk_inbound(store_t *store, int64_t customer_id, const char *body,
                       const char *client_msg_id, store_desk_msg_cb cb, void *cbdata)
{
    return submit_message(store, STORE_OP_DESK_INBOUND, cb, cbdata, customer_id, 0, 0, body,
                          client_msg_id, 'c', customer_id);
}

int store_desk_outbound(store_t *store, int64_t service_id, int64_t author_id, const char *body,
                        const char *client_msg_id, bool outbox, store_desk_msg_cb cb, void *cbdata)
{
    if (author_id <= 0)
        return -EINVAL;
    return submit_message(store, STORE_OP_DESK_OUTBOUND, cb, cbdata, service_id, author_id,
                          outbox ? 1 : 0, body, client_msg_id, 'u', author_id);
}

int store_desk_assign(store_t *store, int64_t service_id, int64_t attendant_id,
                      bool only_if_unassigned, store_service_cb cb, void *cbdata)
{
    if (attendant_id <= 0)
        return -EINVAL;
    return submit_ints(store, STORE_OP_DESK_ASSIGN, CB(cb), cbdata, service_id, attendant_id,
                       only_if_unassigned ? 1 : 0, 0);
}

int store_desk_unassign(store_t *store, int64_t service_id, store_service_cb cb, void *cbdata)
{
    return submit_ints(store, STORE_OP_DESK_ASSIGN, CB(cb), cbdata, service_id, 0, 0, 0);
}

int store_desk_finish(store_t *store, int64_t service_id, int64_t by_user, store_service_cb cb,
                      void *cbdata)
{
    if (by_user < 0)
        return -EINVAL;
    return submit_ints(store, STORE_OP_DESK_FINISH, CB(cb), cbdata, service_id, by_user, 0, 0);
}

int store_desk_idle_close(store_t *store, int64_t cutoff_ms, size_t limit, store_services_cb cb,
                          void *cbdata)
{
    if (limit == 0)
        return -EINVAL;
    return submit_ints(store, STORE_OP_DESK_IDLE_CLOSE, CB(cb), cbdata, cutoff_ms,
                       (int64_t)store__clamp_limit(limit), 0, 0);
}

int store_desk_touch(store_t *store, int64_t service_id, store_count_cb cb, void *cbdata)
{
    if (service_id <= 0)
        return -EINVAL;
    return submit_ints(store, STORE_OP_DESK_TOUCH, CB(cb), cbdata, service_id, 0, 0, 0);
}

int store_desk_rate(store_t *store, int64_t service_id, int64_t customer_id, int rating,
                    const char *comment, store_service_cb cb, void *cbdata)
{
    int rc = store__check_call(store, (const void *)cb);
    if (rc == 0 && (rating < 1 || rating > 5))
        rc = -EINVAL;
    if (rc == 0)
        rc = store__check_text(comment, STORE_MAX_COMMENT, false);
    if (rc != 0)
        return rc;
    store_req_t *req =
        ints_req(store, STORE_OP_DESK_RATE, CB(cb), cbdata, service_id, customer_id, rating, 0);
    req->s[0] = dup_or_null(req, comment);
    return store__req_submit(req);
}

int store_desk_service_get(store_t *store, int64_t service_id, store_service_cb cb, void *cbdata)
{
    return submit_ints(store, STORE_OP_DESK_SERVICE_GET, CB(cb), cbdata, service_id, 0, 0, 0);
}

int store_desk_service_list(store_t *store, const store_service_filter_t *f, store_services_cb cb,
                            void *cbdata)
{
    int rc = store__check_call(store, (const void *)cb);
    if (rc == 0 && (f == NULL || f->limit == 0 || f->status < 0 || f->status > 2))
        rc = -EINVAL;
    if (rc == 0)
        rc = store__check_text(f->channel, STORE_MAX_CHANNEL, false);
    if (rc != 0)
        return rc;
    store_req_t *req = store__req_new(store, STORE_OP_DESK_SERVICE_LIST, CB(cb), cbdata);
    int64_t *v = store__arena_alloc(&req->arena, DESK_F__COUNT * sizeof(int64_t));
    v[DESK_F_STATUS] = f->status;
    v[DESK_F_ATTENDANT] = f->attendant_id;
    v[DESK_F_VISIBLE] = f->visible_to;
    v[DESK_F_CUSTOMER] = f->customer_id;
    v[DESK_F_FROM] = f->from;
    v[DESK_F_TO] = f->to;
    v[DESK_F_BEFORE] = f->before_id;
    v[DESK_F_LIMIT] = (int64_t)store__clamp_limit(f->limit);
    req->ids = v;
    req->n_ids = DESK_F__COUNT;
    if (f->channel != NULL && f->channel[0] != '\0')
        req->s[0] = store__arena_strdup(&req->arena, f->channel);
    return store__req_submit(req);
}

int store_desk_messages(store_t *store, int64_t service_id, int64_t after_seq, size_t limit,
                        store_desk_msgs_cb cb, void *cbdata)
{
    if (limit == 0 || after_seq < 0)
        return -EINVAL;
    return submit_ints(store, STORE_OP_DESK_MESSAGES, CB(cb), cbdata, service_id, after_seq,
                       (int64_t)store__clamp_limit(limit), 0);
}

int store_desk_customer_messages(store_t *store, int64_t customer_id, int64_t before_id,
                                 size_t limit, store_desk_msgs_cb cb, void *cbdata)
{
    if (limit == 0 || before_id < 0)
        return -EINVAL;
    return submit_ints(store, STORE_OP_DESK_CUSTOMER_MSGS, CB(cb), cbdata, customer_id,
                       before_id == 0 ? INT64_MAX : before_id, (int64_t)store__clamp_limit(limit),
                       0);
}

int store_desk_mark(store_t *store, int64_t service_id, store_desk_dir_t direction,
                    int64_t upto_seq, store_msg_state_t state, store_count_cb cb, void *cbdata)
{
    if ((direction != STORE_DESK_IN && direction != STORE_DESK_OUT) || upto_seq < 0 ||
        (state != STORE_MSG_DELIVERED && state != STORE_MSG_READ))
        return -EINVAL;
    return submit_ints(store, STORE_OP_DESK_MARK, CB(cb), cbdata, service_id, direction, upto_seq,
                       state);
}

int store_desk_stats(store_t *store, int64_t from, int64_t to, store_desk_stats_cb cb, void *cbdata)
{
    if (from >= to)
        return -EINVAL;
    return submit_ints(store, STORE_OP_DESK_STATS, CB(cb), cbdata, from, to, 0, 0);
}

/* ---- staff ---- */

int store_desk_user_set(store_t *store, int64_t user_id, int role, int active,
                        const char *display_name, store_user_cb cb, void *cbdata)
{
    int rc = store__check_call(store, (const void *)cb);
    if (rc == 0 && (role > STORE_USER_ROLE_ADMIN || active > 1))
        rc = -EINVAL;
    if (rc == 0)
        rc = store__check_text(display_name, STORE_MAX_NAME, false);
    if (rc != 0)
        return rc;
    store_req_t *req = ints_req(store, STORE_OP_DESK_USER_SET, CB(cb), cbdata, user_id,
                                role < 0 ? -1 : role, active < 0 ? -1 : active, 0);
    req->s[0] = dup_or_null(req, display_name);
    return store__req_submit(req);
}

int store_desk_staff_list(store_t *store, int64_t after_id, size_t limit, store_users_cb cb,
                          void *cbdata)
{
    if (limit == 0)
        return -EINVAL;
    return submit_ints(store, STORE_OP_DESK_STAFF_LIST, CB(cb), cbdata, after_id,
                       (int64_t)store__clamp_limit(limit), 0, 0);
}

int store_desk_admin_count(store_t *store, store_count_cb cb, void *cbdata)
{
    return submit_ints(store, STORE_OP_DESK_ADMIN_COUNT, CB(cb), cbdata, 0, 0, 0, 0);
}

int store_desk_admin_bootstrap(store_t *store, const char *username, const char *display_name,
                               const char *password_hash, store_user_cb cb, void *cbdata)
{
    int rc = store__check_call(store, (const void *)cb);
    if (rc == 0)
        rc = store__check_text(username, STORE_MAX_USERNAME, true);
    if (rc == 0)
        rc = store__check_text(display_name, STORE_MAX_NAME, false);
    if (rc == 0)
        rc = store__check_text(password_hash, STORE_MAX_HASH, true);
    if (rc != 0)
        return rc;
    store_req_t *req = store__req_new(store, STORE_OP_DESK_ADMIN_BOOTSTRAP, CB(cb), cbdata);
    req->s[0] = store__arena_strdup(&req->arena, username);
    req->s[1] = store__arena_strdup(&req->arena, display_name);
    req->s[2] = store__arena_strdup(&req->arena, password_hash);
    return store__req_submit(req);
}

int store_reset_create(store_t *store, const char *token_hash, int64_t user_id, int64_t expires_at,
                       store_status_cb cb, void *cbdata)
{
    int rc = store__check_call(store, (const void *)cb);
    if (rc == 0)
        rc = store__check_text(token_hash, STORE_MAX_HASH, true);
    if (rc != 0)
        return rc;
    store_req_t *req =
        ints_req(store, STORE_OP_RESET_CREATE, CB(cb), cbdata, user_id, expires_at, 0, 0);
    req->s[0] = store__arena_strdup(&req->arena, token_hash);
    return store__req_submit(req);
}

int store_reset_use(store_t *store, const char *token_hash, const char *password_hash,
                    store_user_cb cb, void *cbdata)
{
    int rc = store__check_call(store, (const void *)cb);
    if (rc == 0)
        rc = store__check_text(token_hash, STORE_MAX_HASH, true);
    if (rc == 0)
        rc = store__check_text(password_hash, STORE_MAX_HASH, true);
    if (rc != 0)
        return rc;
    store_req_t *req = store__req_new(store, STORE_OP_RESET_USE, CB(cb), cbdata);
    req->s[0] = store__arena_strdup(&req->arena, token_hash);
    req->s[1] = store__arena_strdup(&req->arena, password_hash);
    return store__req_submit(req);
}

/* ---- outbox ---- */

int store_outbox_claim(store_t *store, const char *channel, int64_t lease_ms, size_t limit,
                       store_outbox_cb cb, void *cbdata)
{
    int rc = store__check_call(store, (const void *)cb);
    if (rc == 0 && (limit == 0 || lease_ms <= 0))
        rc = -EINVAL;
    if (rc == 0)
        rc = store__check_text(channel, STORE_MAX_CHANNEL, true);
    if (rc != 0)
        return rc;
    store_req_t *req = ints_req(store, STORE_OP_OUTBOX_CLAIM, CB(cb), cbdata, lease_ms,
                                (int64_t)store__clamp_limit(limit), 0, 0);
    req->s[0] = store__arena_strdup(&req->arena, channel);
    return store__req_submit(req);
}

int store_outbox_put(store_t *store, const store_outbox_entry_t *e, store_count_cb cb, void *cbdata)
{
    int rc = store__check_call(store, (const void *)cb);
    if (rc == 0 && (e == NULL || e->service_id <= 0 || e->expires_at < 0 ||
                    (e->kind != STORE_OUTBOX_RATING && e->kind != STORE_OUTBOX_READ &&
                     e->kind != STORE_OUTBOX_TYPING)))
        rc = -EINVAL;
    if (rc == 0)
        rc = store__check_text(e->channel, STORE_MAX_CHANNEL, true);
    if (rc == 0)
        rc = store__check_text(e->payload, STORE_MAX_OUTBOX_PAYLOAD, false);
    if (rc == 0)
        rc = store__check_text(e->dedupe_key, STORE_MAX_OUTBOX_KEY, false);
    if (rc != 0)
        return rc;
    store_req_t *req =
        ints_req(store, STORE_OP_OUTBOX_PUT, CB(cb), cbdata, e->service_id, e->expires_at, 0, 0);
    req->s[0] = store__arena_strdup(&req->arena, e->channel);
    req->s[1] = store_outbox_kind_name(e->kind); /* static */
    req->s[2] = store__arena_strdup(&req->arena, e->payload);
    if (e->dedupe_key != NULL && e->dedupe_key[0] != '\0')
        req->s[3] = store__arena_strdup(&req->arena, e->dedupe_key);
    return store__req_submit(req);
}

int store_outbox_settle(store_t *store, int64_t outbox_id, bool ok, const char *error,
                        int64_t retry_ms, int max_attempts, store_status_cb cb, void *cbdata)
{
    int rc = store__check_call(store, (const void *)cb);
    if (rc == 0 && (retry_ms < 0 || max_attempts < 1))
        rc = -EINVAL;
    if (rc != 0)
        return rc;
    store_req_t *req = ints_req(store, STORE_OP_OUTBOX_SETTLE, CB(cb), cbdata, outbox_id, ok,
                                retry_ms, max_attempts);
    if (error != NULL) /* cut, on a UTF-8 boundary, rather than refuse: it is a diagnostic */
        req->s[0] =
            store__arena_strndup(&req->arena, error, store__utf8_prefix(error, STORE_MAX_ERROR));
    return store__req_submit(req);
}
