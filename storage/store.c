/* store.c - the public face of storage (storage.h): checks and copies each call's arguments into
 * a store_req_t, hands it to the backend chosen by the URL, and runs the typed callback when the
 * backend completes it. Keeping validation here means both backends see the same, already
 * checked, input and every error the caller can get synchronously is decided in one place. */
#include "storage/internal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- lifecycle ---- */

int store_open(uv_loop_t *loop, const char *url, store_t **out)
{
    if (loop == NULL || url == NULL || out == NULL)
        return -EINVAL;
    *out = NULL;
    store_t *store = xcalloc(1, sizeof(*store));
    store->loop = loop;
    store->max_pending = STORE_DEFAULT_MAX_PENDING;
    int rc;
    if (strncmp(url, "sqlite:", 7) == 0) {
        store->be = &store__sqlite_backend;
        rc = url[7] == '\0' ? -EINVAL : store__sqlite_open(store, url + 7);
    } else if (strncmp(url, "postgres://", 11) == 0 || strncmp(url, "postgresql://", 13) == 0) {
        store->be = &store__pg_backend;
        rc = store__pg_open(store, url);
    } else {
        rc = -EINVAL;
    }
    if (rc != 0) {
        free(store);
        return rc;
    }
    *out = store;
    return 0;
}

int store_migrate_sync(store_t *store, char *err, size_t errlen)
{
    if (errlen > 0)
        err[0] = '\0';
    if (store == NULL || store->closing)
        return store__err(err, errlen, "store is closed");
    return store->be->migrate_sync(store, err, errlen);
}

const char *store_backend_name(const store_t *store)
{
    return store->be->name;
}

void store_close(store_t *store, store_status_cb cb, void *cbdata)
{
    if (store->closing)
        return;
    store->closing = true;
    store->close_cb = cb;
    store->close_cbdata = cbdata;
    store->be->close(store);
}

void store__backend_closed(store_t *store)
{
    store_status_cb cb = store->close_cb;
    void *cbdata = store->close_cbdata;
    free(store);
    if (cb != NULL)
        cb(cbdata, 0);
}

int store__err(char *err, size_t errlen, const char *fmt, ...)
{
    if (errlen > 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return -EIO;
}

/* ---- requests ---- */

static store_req_t *req_new(store_t *store, store_op_t op, void (*cb)(void), void *cbdata)
{
    store_req_t *req = xcalloc(1, sizeof(*req));
    req->store = store;
    req->op = op;
    req->cb = cb;
    req->cbdata = cbdata;
    return req;
}

static int req_submit(store_req_t *req)
{
    store_t *store = req->store;
    store->pending++;
    store->be->submit(store, req);
    return 0;
}

/* Checks that the store accepts work (not closing, under its pending bound) and the callback is
 * set. */
static int check_call(store_t *store, const void *cb)
{
    if (store == NULL || cb == NULL)
        return -EINVAL;
    if (store->closing)
        return -ESHUTDOWN;
    if (store->max_pending != 0 && store->pending >= store->max_pending) {
        if (store->refused++ % 1000 == 0)
            log_warn(STORE_LOG, "%zu operations waiting: refusing more (%llu refused so far)",
                     store->pending, (unsigned long long)store->refused);
        return -ENOBUFS;
    }
    return 0;
}

void store_set_max_pending(store_t *store, size_t max)
{
    store->max_pending = max;
}

void store_stats(const store_t *store, store_stats_t *st)
{
    st->pending = store->pending;
    st->max_pending = store->max_pending;
    st->refused = store->refused;
    st->unavailable = store->unavailable;
}

/* 0 if `s` is acceptable text: NULL/"" only if !required, at most max bytes. */
static int check_text(const char *s, size_t max, bool required)
{
    if (s == NULL || s[0] == '\0')
        return required ? -EINVAL : 0;
    return strlen(s) > max ? -EMSGSIZE : 0;
}

static size_t clamp_limit(size_t limit)
{
    return limit > STORE_MAX_LIST ? STORE_MAX_LIST : limit;
}

#define CB(f) ((void (*)(void))(f))

void store__complete(store_req_t *req)
{
    store_t *store = req->store;
    int st = req->status;
    bool ok = st == 0;
    void *d = req->cbdata;
    switch (req->op) {
    case STORE_OP_USER_CREATE:
    case STORE_OP_USER_GET_BY_NAME:
    case STORE_OP_USER_GET:
    case STORE_OP_USER_UPDATE:
        ((store_user_cb)req->cb)(d, st, ok ? &req->res.user : NULL);
        break;
    case STORE_OP_USER_LIST:
        ((store_users_cb)req->cb)(d, st, ok ? &req->res.users : NULL);
        break;
    case STORE_OP_TOKEN_GET:
    case STORE_OP_TOKEN_ROTATE:
        ((store_token_cb)req->cb)(d, st, ok ? &req->res.token : NULL);
        break;
    case STORE_OP_CHAT_CREATE:
    case STORE_OP_CHAT_GET_PRIVATE:
    case STORE_OP_CHAT_GET:
    case STORE_OP_CHAT_UPDATE:
        ((store_chat_cb)req->cb)(d, st, ok ? &req->res.chat : NULL);
        break;
    case STORE_OP_CHAT_LIST_FOR_USER:
    case STORE_OP_CHAT_LIST_PUBLIC:
        ((store_chats_cb)req->cb)(d, st, ok ? &req->res.chats : NULL);
        break;
    case STORE_OP_MEMBER_ROLE:
        ((store_role_cb)req->cb)(d, st, ok ? req->res.role : STORE_MEMBER_NONE);
        break;
    case STORE_OP_MEMBER_LIST:
        ((store_members_cb)req->cb)(d, st, ok ? &req->res.members : NULL);
        break;
    case STORE_OP_MESSAGE_SEND:
    case STORE_OP_MESSAGE_EDIT:
    case STORE_OP_MESSAGE_DELETE:
    case STORE_OP_MESSAGE_GET:
        ((store_message_cb)req->cb)(d, st, ok ? &req->res.message : NULL);
        break;
    case STORE_OP_MESSAGE_BEFORE:
    case STORE_OP_MESSAGE_AFTER:
    case STORE_OP_MESSAGE_SEARCH:
        ((store_messages_cb)req->cb)(d, st, ok ? &req->res.messages : NULL);
        break;
    case STORE_OP_REACTION_LIST:
        ((store_reactions_cb)req->cb)(d, st, ok ? &req->res.reactions : NULL);
        break;
    case STORE_OP_READ_SET:
        ((store_seq_cb)req->cb)(d, st, ok ? req->res.seq : 0);
        break;
    case STORE_OP_USER_TOUCH:
    case STORE_OP_TOKEN_INSERT:
    case STORE_OP_TOKEN_REVOKE:
    case STORE_OP_TOKEN_REVOKE_USER:
    case STORE_OP_TOKEN_REVOKE_FAMILY:
    case STORE_OP_CHAT_DELETE:
    case STORE_OP_MEMBER_ADD:
    case STORE_OP_MEMBER_REMOVE:
    case STORE_OP_REACTION_ADD:
    case STORE_OP_REACTION_REMOVE:
        ((store_status_cb)req->cb)(d, st);
        break;
    case STORE_OP_ATT_CREATE:
    case STORE_OP_ATT_GET:
    case STORE_OP_ATT_LIST:
    case STORE_OP_ATT_LINK_DESK:
        store__media_complete(req);
        break;
    default: /* the desk's */
        store__desk_complete(req);
        break;
    }
    if (st == -ENOTCONN)
        store->unavailable++;
    store__arena_dispose(&req->arena);
    free(req);
    store->pending--;
}

/* ---- users ---- */

int store_user_create(store_t *store, const store_user_new_t *u, store_user_cb cb, void *cbdata)
{
    int rc = check_call(store, (const void *)cb);
    if (rc == 0 && u == NULL)
        rc = -EINVAL;
    if (rc == 0 && (u->role < STORE_USER_ROLE_USER || u->role > STORE_USER_ROLE_ADMIN))
        rc = -EINVAL;
    if (rc == 0)
        rc = check_text(u->username, STORE_MAX_USERNAME, true);
    if (rc == 0)
        rc = check_text(u->display_name, STORE_MAX_NAME, false);
    if (rc == 0)
        rc = check_text(u->password_hash, STORE_MAX_HASH, false);
    if (rc == 0)
        rc = check_text(u->name_color, STORE_MAX_NAME, false);
    if (rc != 0)
        return rc;
    store_req_t *req = req_new(store, STORE_OP_USER_CREATE, CB(cb), cbdata);
    req->s[0] = store__arena_strdup(&req->arena, u->username);
    req->s[1] = store__arena_strdup(&req->arena, u->display_name);
    req->s[2] = store__arena_strdup(&req->arena, u->password_hash);
    req->s[3] = store__arena_strdup(&req->arena, u->name_color);
    req->a[0] = u->role;
    return req_submit(req);
}

int store_user_get_by_name(store_t *store, const char *username, store_user_cb cb, void *cbdata)
{
    int rc = check_call(store, (const void *)cb);
    if (rc == 0)
        rc = check_text(username, STORE_MAX_USERNAME, true);
    if (rc != 0)
        return rc;
    store_req_t *req = req_new(store, STORE_OP_USER_GET_BY_NAME, CB(cb), cbdata);
    req->s[0] = store__arena_strdup(&req->arena, username);
    return req_submit(req);
}

/* Calls with integer arguments only. */
static int submit_ints(store_t *store, store_op_t op, void (*cb)(void), void *cbdata, int64_t a0,
                       int64_t a1, int64_t a2)
{
    int rc = check_call(store, (const void *)cb);
    if (rc != 0)
        return rc;
    store_req_t *req = req_new(store, op, cb, cbdata);
    req->a[0] = a0;
    req->a[1] = a1;
    req->a[2] = a2;
    return req_submit(req);
}

int store_user_get(store_t *store, int64_t user_id, store_user_cb cb, void *cbdata)
{
    return submit_ints(store, STORE_OP_USER_GET, CB(cb), cbdata, user_id, 0, 0);
}

int store_user_list(store_t *store, int64_t after_id, size_t limit, store_users_cb cb, void *cbdata)
{
    if (limit == 0)
        return -EINVAL;
    return submit_ints(store, STORE_OP_USER_LIST, CB(cb), cbdata, after_id,
                       (int64_t)clamp_limit(limit), 0);
}

int store_user_update(store_t *store, int64_t user_id, const char *display_name,
                      const char *name_color, const char *password_hash, store_user_cb cb,
                      void *cbdata)
{
    int rc = check_call(store, (const void *)cb);
    if (rc == 0)
        rc = check_text(display_name, STORE_MAX_NAME, false);
    if (rc == 0)
        rc = check_text(name_color, STORE_MAX_NAME, false);
    if (rc == 0)
        rc = check_text(password_hash, STORE_MAX_HASH, false);
    if (rc != 0)
        return rc;
    store_req_t *req = req_new(store, STORE_OP_USER_UPDATE, CB(cb), cbdata);
    req->a[0] = user_id;
    req->s[0] = display_name != NULL ? store__arena_strdup(&req->arena, display_name) : NULL;
    req->s[1] = name_color != NULL ? store__arena_strdup(&req->arena, name_color) : NULL;
    req->s[2] = password_hash != NULL ? store__arena_strdup(&req->arena, password_hash) : NULL;
    return req_submit(req);
}

int store_user_touch(store_t *store, int64_t user_id, store_status_cb cb, void *cbdata)
{
    return submit_ints(store, STORE_OP_USER_TOUCH, CB(cb), cbdata, user_id, 0, 0);
}

/* ---- refresh tokens ---- */

static int submit_text(store_t *store, store_op_t op, void (*cb)(void), void *cbdata, const char *s,
                       size_t max, int64_t a0, int64_t a1, int64_t a2)
{
    int rc = check_call(store, (const void *)cb);
    if (rc == 0)
        rc = check_text(s, max, true);
    if (rc != 0)
        return rc;
    store_req_t *req = req_new(store, op, cb, cbdata);
    req->s[0] = store__arena_strdup(&req->arena, s);
    req->a[0] = a0;
    req->a[1] = a1;
    req->a[2] = a2;
    return req_submit(req);
}

int store_token_insert(store_t *store, const char *token_hash, int64_t user_id, int64_t expires_at,
                       store_status_cb cb, void *cbdata)
{
    return submit_text(store, STORE_OP_TOKEN_INSERT, CB(cb), cbdata, token_hash, STORE_MAX_HASH,
                       user_id, expires_at, 0);
}

int store_token_get(store_t *store, const char *token_hash, store_token_cb cb, void *cbdata)
{
    return submit_text(store, STORE_OP_TOKEN_GET, CB(cb), cbdata, token_hash, STORE_MAX_HASH, 0, 0,
                       0);
}

int store_token_revoke(store_t *store, const char *token_hash, store_status_cb cb, void *cbdata)
{
    return submit_text(store, STORE_OP_TOKEN_REVOKE, CB(cb), cbdata, token_hash, STORE_MAX_HASH, 0,
                       0, 0);
}

int store_token_revoke_user(store_t *store, int64_t user_id, store_status_cb cb, void *cbdata)
{
    return submit_ints(store, STORE_OP_TOKEN_REVOKE_USER, CB(cb), cbdata, user_id, 0, 0);
}

int store_token_rotate(store_t *store, const char *old_hash, const char *new_hash,
                       int64_t expires_at, store_token_cb cb, void *cbdata)
{
    int rc = check_call(store, (const void *)cb);
    if (rc == 0)
        rc = check_text(old_hash, STORE_MAX_HASH, true);
    if (rc == 0)
        rc = check_text(new_hash, STORE_MAX_HASH, true);
    if (rc != 0)
        return rc;
    store_req_t *req = req_new(store, STORE_OP_TOKEN_ROTATE, CB(cb), cbdata);
    req->s[0] = store__arena_strdup(&req->arena, old_hash);
    req->s[1] = store__arena_strdup(&req->arena, new_hash);
    req->a[0] = expires_at;
    return req_submit(req);
}

int store_token_revoke_family(store_t *store, const char *family, store_status_cb cb, void *cbdata)
{
    return submit_text(store, STORE_OP_TOKEN_REVOKE_FAMILY, CB(cb), cbdata, family, STORE_MAX_HASH,
                       0, 0, 0);
}

/* ---- chats and memberships ---- */

int store_chat_create(store_t *store, store_chat_kind_t kind, const char *name, const char *topic,
                      int64_t created_by, const int64_t *member_ids, size_t n_members,
                      store_chat_cb cb, void *cbdata)
{
    int rc = check_call(store, (const void *)cb);
    if (rc == 0 && kind != STORE_CHAT_PUBLIC && kind != STORE_CHAT_GROUP)
        rc = -EINVAL;
    if (rc == 0 && n_members > 0 && member_ids == NULL)
        rc = -EINVAL;
    if (rc == 0 && n_members > STORE_MAX_CHAT_INVITE)
        rc = -EMSGSIZE;
    if (rc == 0)
        rc = check_text(name, STORE_MAX_NAME, true);
    if (rc == 0)
        rc = check_text(topic, STORE_MAX_TOPIC, false);
    if (rc != 0)
        return rc;
    store_req_t *req = req_new(store, STORE_OP_CHAT_CREATE, CB(cb), cbdata);
    req->a[0] = kind;
    req->a[1] = created_by;
    req->s[0] = store__arena_strdup(&req->arena, name);
    req->s[1] = store__arena_strdup(&req->arena, topic);
    /* the members without the creator and without repeats (n is small: quadratic is fine) */
    req->ids = store__arena_alloc(&req->arena, (n_members + 1) * sizeof(int64_t));
    for (size_t i = 0; i < n_members; i++) {
        int64_t id = member_ids[i];
        bool seen = id == created_by;
        for (size_t j = 0; j < req->n_ids && !seen; j++)
            seen = req->ids[j] == id;
        if (!seen)
            req->ids[req->n_ids++] = id;
    }
    return req_submit(req);
}

int store_chat_get_private(store_t *store, int64_t user_a, int64_t user_b, store_chat_cb cb,
                           void *cbdata)
{
    int rc = check_call(store, (const void *)cb);
    if (rc != 0)
        return rc;
    if (user_a == user_b)
        return -EINVAL;
    int64_t lo = user_a < user_b ? user_a : user_b;
    int64_t hi = user_a < user_b ? user_b : user_a;
    return submit_ints(store, STORE_OP_CHAT_GET_PRIVATE, CB(cb), cbdata, lo, hi, user_a);
}

int store_chat_get(store_t *store, int64_t chat_id, store_chat_cb cb, void *cbdata)
{
    return submit_ints(store, STORE_OP_CHAT_GET, CB(cb), cbdata, chat_id, 0, 0);
}

int store_chat_list_for_user(store_t *store, int64_t user_id, store_chats_cb cb, void *cbdata)
{
    return submit_ints(store, STORE_OP_CHAT_LIST_FOR_USER, CB(cb), cbdata, user_id, 0, 0);
}

int store_chat_list_public(store_t *store, store_chats_cb cb, void *cbdata)
{
    return submit_ints(store, STORE_OP_CHAT_LIST_PUBLIC, CB(cb), cbdata, 0, 0, 0);
}

int store_chat_update(store_t *store, int64_t chat_id, const char *name, const char *topic,
                      store_chat_cb cb, void *cbdata)
{
    int rc = check_call(store, (const void *)cb);
    if (rc == 0 && name != NULL)
        rc = check_text(name, STORE_MAX_NAME, true);
    if (rc == 0)
        rc = check_text(topic, STORE_MAX_TOPIC, false);
    if (rc != 0)
        return rc;
    store_req_t *req = req_new(store, STORE_OP_CHAT_UPDATE, CB(cb), cbdata);
    req->a[0] = chat_id;
    req->s[0] = name != NULL ? store__arena_strdup(&req->arena, name) : NULL;
    req->s[1] = topic != NULL ? store__arena_strdup(&req->arena, topic) : NULL;
    return req_submit(req);
}

int store_chat_delete(store_t *store, int64_t chat_id, store_status_cb cb, void *cbdata)
{
    return submit_ints(store, STORE_OP_CHAT_DELETE, CB(cb), cbdata, chat_id, 0, 0);
}

int store_member_add(store_t *store, int64_t chat_id, int64_t user_id, store_member_role_t role,
                     store_status_cb cb, void *cbdata)
{
    if (role != STORE_MEMBER_MEMBER && role != STORE_MEMBER_ADMIN && role != STORE_MEMBER_OWNER)
        return -EINVAL;
    return submit_ints(store, STORE_OP_MEMBER_ADD, CB(cb), cbdata, chat_id, user_id, role);
}

int store_member_remove(store_t *store, int64_t chat_id, int64_t user_id, store_status_cb cb,
                        void *cbdata)
{
    return submit_ints(store, STORE_OP_MEMBER_REMOVE, CB(cb), cbdata, chat_id, user_id, 0);
}

int store_member_role(store_t *store, int64_t chat_id, int64_t user_id, store_role_cb cb,
                      void *cbdata)
{
    return submit_ints(store, STORE_OP_MEMBER_ROLE, CB(cb), cbdata, chat_id, user_id, 0);
}

int store_member_list(store_t *store, int64_t chat_id, store_members_cb cb, void *cbdata)
{
    return submit_ints(store, STORE_OP_MEMBER_LIST, CB(cb), cbdata, chat_id, 0, 0);
}

/* ---- messages ---- */

int store_message_send(store_t *store, int64_t chat_id, int64_t author_id, const char *body,
                       const char *client_msg_id, store_message_cb cb, void *cbdata)
{
    return store_message_send_with(store, chat_id, author_id, body, client_msg_id, NULL, 0, cb,
                                   cbdata);
}

int store_message_send_with(store_t *store, int64_t chat_id, int64_t author_id, const char *body,
                            const char *client_msg_id, const int64_t *attachment_ids, size_t n,
                            store_message_cb cb, void *cbdata)
{
    int rc = check_call(store, (const void *)cb);
    if (rc == 0 && (n > STORE_MAX_ATTACH || (n > 0 && attachment_ids == NULL)))
        rc = -EINVAL;
    if (rc == 0)
        rc = store__check_ids(attachment_ids, n);
    if (rc == 0)
        rc = check_text(body, STORE_MAX_BODY, n == 0);
    if (rc == 0 && body == NULL)
        rc = -EINVAL;
    if (rc == 0)
        rc = check_text(client_msg_id, STORE_MAX_CLIENT_ID, false);
    if (rc != 0)
        return rc;
    store_req_t *req = req_new(store, STORE_OP_MESSAGE_SEND, CB(cb), cbdata);
    req->a[0] = chat_id;
    req->a[1] = author_id;
    req->s[0] = store__arena_strdup(&req->arena, body);
    if (client_msg_id != NULL && client_msg_id[0] != '\0')
        req->s[1] = store__arena_strdup(&req->arena, client_msg_id);
    req->ids = store__arena_alloc(&req->arena, (n + 1) * sizeof(int64_t));
    if (n > 0)
        memcpy(req->ids, attachment_ids, n * sizeof(int64_t));
    req->n_ids = n;
    return req_submit(req);
}

int store_message_edit(store_t *store, int64_t message_id, int64_t author_id, const char *body,
                       store_message_cb cb, void *cbdata)
{
    return submit_text(store, STORE_OP_MESSAGE_EDIT, CB(cb), cbdata, body, STORE_MAX_BODY,
                       message_id, author_id, 0);
}

int store_message_delete(store_t *store, int64_t message_id, int64_t author_id, store_message_cb cb,
                         void *cbdata)
{
    return submit_ints(store, STORE_OP_MESSAGE_DELETE, CB(cb), cbdata, message_id, author_id, 0);
}

int store_message_get(store_t *store, int64_t message_id, store_message_cb cb, void *cbdata)
{
    return submit_ints(store, STORE_OP_MESSAGE_GET, CB(cb), cbdata, message_id, 0, 0);
}

int store_message_list_before(store_t *store, int64_t chat_id, int64_t before_seq, size_t limit,
                              store_messages_cb cb, void *cbdata)
{
    if (limit == 0 || before_seq < 0)
        return -EINVAL;
    return submit_ints(store, STORE_OP_MESSAGE_BEFORE, CB(cb), cbdata, chat_id, before_seq,
                       (int64_t)clamp_limit(limit));
}

int store_message_list_after(store_t *store, int64_t chat_id, int64_t after_seq, size_t limit,
                             store_messages_cb cb, void *cbdata)
{
    if (limit == 0 || after_seq < 0)
        return -EINVAL;
    return submit_ints(store, STORE_OP_MESSAGE_AFTER, CB(cb), cbdata, chat_id, after_seq,
                       (int64_t)clamp_limit(limit));
}

int store_message_search(store_t *store, int64_t user_id, const char *query, size_t limit,
                         store_messages_cb cb, void *cbdata)
{
    int rc = check_call(store, (const void *)cb);
    if (rc == 0 && limit == 0)
        rc = -EINVAL;
    if (rc == 0)
        rc = check_text(query, STORE_MAX_SEARCH, true);
    if (rc != 0)
        return rc;
    store_req_t *req = req_new(store, STORE_OP_MESSAGE_SEARCH, CB(cb), cbdata);
    req->s[0] = store__search_words(&req->arena, query);
    if (req->s[0] == NULL) {
        store__arena_dispose(&req->arena);
        free(req);
        return -EINVAL;
    }
    req->a[0] = user_id;
    req->a[1] = (int64_t)clamp_limit(limit);
    return req_submit(req);
}

/* ---- reactions and read positions ---- */

int store_reaction_add(store_t *store, int64_t message_id, int64_t user_id, const char *emoji,
                       store_status_cb cb, void *cbdata)
{
    return submit_text(store, STORE_OP_REACTION_ADD, CB(cb), cbdata, emoji, STORE_MAX_EMOJI,
                       message_id, user_id, 0);
}

int store_reaction_remove(store_t *store, int64_t message_id, int64_t user_id, const char *emoji,
                          store_status_cb cb, void *cbdata)
{
    return submit_text(store, STORE_OP_REACTION_REMOVE, CB(cb), cbdata, emoji, STORE_MAX_EMOJI,
                       message_id, user_id, 0);
}

int store_reaction_list(store_t *store, const int64_t *message_ids, size_t n, store_reactions_cb cb,
                        void *cbdata)
{
    int rc = check_call(store, (const void *)cb);
    if (rc == 0 && n > 0 && message_ids == NULL)
        rc = -EINVAL;
    if (rc == 0 && n > STORE_MAX_LIST)
        rc = -EMSGSIZE;
    if (rc != 0)
        return rc;
    store_req_t *req = req_new(store, STORE_OP_REACTION_LIST, CB(cb), cbdata);
    req->ids = store__arena_alloc(&req->arena, (n + 1) * sizeof(int64_t));
    if (n > 0)
        memcpy(req->ids, message_ids, n * sizeof(int64_t));
    req->n_ids = n;
    return req_submit(req);
}

int store_read_set(store_t *store, int64_t chat_id, int64_t user_id, int64_t seq, store_seq_cb cb,
                   void *cbdata)
{
    if (seq < 0)
        return -EINVAL;
    return submit_ints(store, STORE_OP_READ_SET, CB(cb), cbdata, chat_id, user_id, seq);
}

/* ---- the request helpers, for store_desk.c ---- */

store_req_t *store__req_new(store_t *store, store_op_t op, void (*cb)(void), void *cbdata)
{
    return req_new(store, op, cb, cbdata);
}

int store__req_submit(store_req_t *req)
{
    return req_submit(req);
}

int store__check_call(store_t *store, const void *cb)
{
    return check_call(store, cb);
}

int store__check_text(const char *s, size_t max, bool required)
{
    return check_text(s, max, required);
}

int store__check_ids(const int64_t *ids, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (ids[i] <= 0)
            return -EINVAL;
        for (size_t j = 0; j < i; j++)
            if (ids[i] == ids[j])
                return -EINVAL;
    }
    return 0;
}

size_t store__clamp_limit(size_t limit)
{
    return clamp_limit(limit);
}
