/* internal.h - what the files of the chat service (src/chat/) share: the service
 * struct, the in-flight REST operation (rest_op_t) and the functions each file provides. Private
 * to src/chat/: other folders include chat.h only (tests/layering.sh).
 *
 * Life of a REST request: rest_dispatch.c matches the route, authenticates, validates the body and
 * creates a rest_op_t, then calls the route's handler. A handler issues storage calls whose
 * callbacks get the op back; each callback first checks rest_op_proceed() or
 * rest_op_alive_or_free() (the service or the h2o request may be gone meanwhile), and the chain
 * ends with exactly one rest_op_reply_*() which answers and frees the op. */
#ifndef SIOC_SRC_CHAT_INTERNAL_H
#define SIOC_SRC_CHAT_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <h2o.h>
#include <jansson.h>

#include "src/auth/auth.h"
#include "src/chat/presence.h"
#include "src/chat/chat.h"
#include "src/media/media.h"
#include "storage/media.h"
#include "src/core/core.h"

/* Limits and lifetimes of the API (documented in openapi.json and docs/chat-events.md). */
#define CHAT_MAX_BODY         65536 /* bytes of a REST request body */
#define CHAT_USERNAME_MIN     3
#define CHAT_USERNAME_MAX     32
#define CHAT_PASSWORD_MIN     8
#define CHAT_PASSWORD_MAX     64 /* characters: 4 bytes each fit SRV_PASSWORD_MAX_LEN */
#define CHAT_DISPLAY_NAME_MAX 50 /* characters: 4 bytes each must fit STORE_MAX_NAME */
#define CHAT_NAME_MAX         50
#define CHAT_TOPIC_MAX        250  /* characters: 4 bytes each fit STORE_MAX_TOPIC */
#define CHAT_MESSAGE_MAX      4000 /* characters of a message body */
#define CHAT_CLIENT_ID_MAX    64   /* printable ASCII */
#define CHAT_EMOJI_MAX        16
#define CHAT_SEARCH_MAX       200
#define CHAT_MEMBERS_MAX      100 /* ids in one request */
#define CHAT_PAGE_DEFAULT     50
#define CHAT_PAGE_MAX         100
#define CHAT_ACCESS_TTL_S     900                   /* 15 minutes */
#define CHAT_REFRESH_TTL_MS   (30LL * 86400 * 1000) /* 30 days */
/* Throttling (auth_ratelimit.h): the free failures come from the options; delays double from
 * 1 s to 15 min, and a key is forgotten an hour after its last failure */
#define CHAT_THROTTLE_BASE_MS        1000
#define CHAT_THROTTLE_MAX_MS         (15 * 60 * 1000)
#define CHAT_THROTTLE_WINDOW_MS      (60 * 60 * 1000)
#define CHAT_THROTTLE_KEYS           100000
#define CHAT_RETRY_AFTER_UNAVAILABLE "2" /* seconds, in the Retry-After of a 503 */

typedef struct st_rest_op_t rest_op_t;
typedef struct st_chat_rt_t chat_rt_t;
typedef struct st_chat_sendq_t chat_sendq_t;

struct st_srv_chat_t {
    uv_loop_t *loop;
    store_t *store;           /* borrowed */
    const srv_config_t *conf; /* borrowed */
    uint8_t jwt_key[128];     /* HMAC key */
    size_t jwt_key_len;
    srv_ratelimit_t *throttle; /* sign-in failures and registrations (keys lu:, la:, ra:) */
    srv_ratelimit_rule_t login_account; /* failures per (user name, address) */
    srv_ratelimit_rule_t login_address; /* failures per address */
    srv_ratelimit_rule_t registration;  /* registrations per address (free 0: no limit) */
    rest_op_t *ops;                     /* in-flight REST operations (doubly linked) */
    chat_presence_t *presence;          /* who is connected, away, in which presence channel */
    chat_sendq_t *sendq;                /* per-chat queues of message sends (send.c) */
    chat_rt_t *rt;                      /* the Socket.IO side, NULL without a Socket.IO server */
    sio_namespace_t *nsp;               /* its namespace "/chat" (notify.c emits to it), or NULL */
    char *openapi;                      /* the OpenAPI document, NULL if it could not be read */
    size_t openapi_len;
    char *web_root; /* src/web (absolute), for /docs */
};

/* ---- rest_op.c: in-flight REST operations ---- */

struct st_rest_op_t {
    srv_chat_t *chat;     /* NULL once srv_chat_free ran: the op is only freed */
    h2o_req_t *req;       /* NULL once h2o disposed the request */
    rest_op_t **req_slot; /* in req->pool; its dispose hook clears op->req */
    rest_op_t *prev, *next;
    int64_t user_id; /* the authenticated caller, 0 on public routes */
    srv_route_params_t params;
    json_t *body;    /* validated request body (owned), NULL if none */
    json_t *result;  /* response under construction (owned) */
    char query[256]; /* a copy of a query parameter or of a path-derived string */
    int64_t n[6];    /* handler scratch numbers */
    int64_t *ids;    /* handler scratch id list (owned) */
    size_t nids, idx;
    char *text; /* handler scratch string (owned) */
    char *aux;  /* a second one (owned): the refresh token's family */
    bool flag;
    store_chat_t *c;             /* the chat the route addresses, once loaded (owned copy) */
    store_member_role_t role;    /* the caller's role in it */
    void (*then)(rest_op_t *op); /* continuation after rest_load_chat */
};

rest_op_t *rest_op_new(srv_chat_t *chat, h2o_req_t *req);
/** False if the service or the request is gone: the callback must then rest_op_free() and
 * return. */
bool rest_op_alive(const rest_op_t *op);
/** The head of a callback: true if the op may go on, otherwise frees it (then return at once). */
bool rest_op_alive_or_free(rest_op_t *op);
/** The head of a storage callback: false if the op is done with, either gone (freed, as
 * rest_op_alive_or_free) or `status` is an error (answered with rest_op_reply_store_error(op,
 * status, what)); true to go on. */
bool rest_op_proceed(rest_op_t *op, int status, const char *what);
/** After issuing a storage call for `op`: a call refused at once (`rc` != 0) never runs its
 * callback, so this answers rest_op_reply_store_error(op, rc, what) (freeing the op). */
void rest_op_issued(rest_op_t *op, int rc, const char *what);
void rest_op_free(rest_op_t *op);
/** Answer and free the op. `body` is stolen (may be NULL for 204). */
void rest_op_reply_json(rest_op_t *op, int status, json_t *body);
void rest_op_reply_error(rest_op_t *op, int status, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/** Maps a storage status (-ENOENT, -EEXIST, -EPERM, -EIO, ...) to an error reply; an outage
 * (-ENOTCONN, -ENOBUFS, -ESHUTDOWN) is a 503 `unavailable` with Retry-After, never a 500. */
void rest_op_reply_store_error(rest_op_t *op, int status, const char *what);
/** Replies 503 `unavailable` with Retry-After: CHAT_RETRY_AFTER_UNAVAILABLE; `status` says why
 * (chat_unavailable_reason). */
void rest_op_reply_unavailable(rest_op_t *op, int status);
/** Replies 429 with Retry-After (seconds, rounded up). */
void rest_op_reply_rate_limited(rest_op_t *op, uint64_t wait_ms);
/** Orphans every in-flight op (srv_chat_free). */
void rest_op_orphan_all(srv_chat_t *chat);

/* ---- rest_reply.c: raw h2o responses ---- */

void rest_send_json(h2o_req_t *req, int status, json_t *body);
void rest_send_error(h2o_req_t *req, int status, const char *code, const char *message);
void rest_send_text(h2o_req_t *req, int status, const char *content_type, const char *body,
                    size_t len);

/* ---- rest_dispatch.c ---- */

/** Reads a bearer token from an `Authorization: Bearer` value; returns it (borrowed, in `buf`)
 * or NULL. */
const char *rest_bearer_token(const char *value, size_t len, char *buf, size_t buf_size);

/** Reads an optional integer query parameter in [min, max] (`dflt` if absent) into *out;
 * replies 400 invalid_query (freeing the op) and returns -1 if it is malformed. */
int rest_query_int(rest_op_t *op, const char *name, int64_t min, int64_t max, int64_t dflt,
                   int64_t *out);

/** Loads chat `chat_id` into op->c and the caller's role into op->role, then calls `next`.
 * Replies 404 if there is no such chat or it is not of `kind` (-1: any kind), 403 if the caller's
 * role is below `min_role` (STORE_MEMBER_NONE: anyone). */
void rest_load_chat(rest_op_t *op, int64_t chat_id, int kind, store_member_role_t min_role,
                    void (*next)(rest_op_t *op));

/* ---- route handlers (rest_auth.c, rest_chats.c, rest_messages.c) ---- */

void rest_auth_register(rest_op_t *op);
void rest_auth_login(rest_op_t *op);
void rest_auth_refresh(rest_op_t *op);
void rest_auth_logout(rest_op_t *op);
void rest_users_me(rest_op_t *op);
void rest_users_update_me(rest_op_t *op);
void rest_users_list(rest_op_t *op);
void rest_users_get(rest_op_t *op);

void rest_chats_mine(rest_op_t *op);
void rest_chats_public_list(rest_op_t *op);
void rest_chats_public_create(rest_op_t *op);
void rest_chats_public_get(rest_op_t *op);
void rest_chats_public_join(rest_op_t *op);
void rest_chats_public_leave(rest_op_t *op);
void rest_chats_private_list(rest_op_t *op);
void rest_chats_private_create(rest_op_t *op);
void rest_chats_private_get(rest_op_t *op);
void rest_chats_private_update(rest_op_t *op);
void rest_chats_private_delete(rest_op_t *op);
void rest_chats_group_list(rest_op_t *op);
void rest_chats_group_create(rest_op_t *op);
void rest_chats_group_get(rest_op_t *op);
void rest_chats_group_update(rest_op_t *op);
void rest_chats_group_delete(rest_op_t *op);
void rest_chats_group_members(rest_op_t *op);
void rest_chats_group_member_add(rest_op_t *op);
void rest_chats_group_member_remove(rest_op_t *op);

void rest_messages_history(rest_op_t *op);
void rest_messages_post(rest_op_t *op);
void rest_messages_edit(rest_op_t *op);
void rest_messages_delete(rest_op_t *op);
void rest_messages_search(rest_op_t *op);

/* ---- field tables shared by REST and Socket.IO (fields.c) ---- */

/* Fields that several tables hold alike (here and in realtime.c's event tables). */
#define CHAT_FIELD_ID(nm)                                                                          \
    {                                                                                              \
        .name = nm, .type = SRV_JSON_INT, .required = true, .imin = 1, .imax = INT64_MAX           \
    }
#define CHAT_FIELD_NAME(req)                                                                       \
    {                                                                                              \
        .name = "name", .type = SRV_JSON_STRING, .required = req, .min = 1, .max = CHAT_NAME_MAX,  \
        .check = srv_check_text                                                                    \
    }
#define CHAT_FIELD_TOPIC                                                                           \
    {                                                                                              \
        .name = "topic", .type = SRV_JSON_STRING, .max = CHAT_TOPIC_MAX, .nullable = true          \
    }
#define CHAT_FIELD_MESSAGE_BODY                                                                    \
    {                                                                                              \
        .name = "body", .type = SRV_JSON_STRING, .required = true, .min = 1,                       \
        .max = CHAT_MESSAGE_MAX, .check = srv_check_text                                           \
    }
/* A send's body: optional and possibly empty when attachmentIds are given (srv_media_send_check).
 */
#define CHAT_FIELD_SEND_BODY                                                                       \
    {                                                                                              \
        .name = "body", .type = SRV_JSON_STRING, .min = 0, .max = CHAT_MESSAGE_MAX,                \
        .check = srv_media_check_body                                                              \
    }
#define CHAT_FIELD_ATTACHMENT_IDS                                                                  \
    {                                                                                              \
        .name = "attachmentIds", .type = SRV_JSON_ID_ARRAY, .max = STORE_MAX_ATTACH                \
    }
#define CHAT_FIELD_CLIENT_MSG_ID                                                                   \
    {                                                                                              \
        .name = "clientMsgId", .type = SRV_JSON_STRING, .min = 1, .max = CHAT_CLIENT_ID_MAX,       \
        .nullable = true, .check = srv_check_ascii_id                                              \
    }

extern const srv_json_field_t chat_fields_register[];
extern const size_t chat_fields_register_n;
extern const srv_json_field_t chat_fields_login[];
extern const size_t chat_fields_login_n;
extern const srv_json_field_t chat_fields_refresh[];
extern const size_t chat_fields_refresh_n;
extern const srv_json_field_t chat_fields_logout[];
extern const size_t chat_fields_logout_n;
extern const srv_json_field_t chat_fields_public_create[];
extern const size_t chat_fields_public_create_n;
extern const srv_json_field_t chat_fields_private_create[];
extern const size_t chat_fields_private_create_n;
extern const srv_json_field_t chat_fields_private_update[];
extern const size_t chat_fields_private_update_n;
extern const srv_json_field_t chat_fields_group_create[];
extern const size_t chat_fields_group_create_n;
extern const srv_json_field_t chat_fields_group_update[];
extern const size_t chat_fields_group_update_n;
extern const srv_json_field_t chat_fields_member_add[];
extern const size_t chat_fields_member_add_n;
extern const srv_json_field_t chat_fields_message_send[];
extern const size_t chat_fields_message_send_n;
extern const srv_json_field_t chat_fields_profile_update[];
extern const size_t chat_fields_profile_update_n;
extern const srv_json_field_t chat_fields_message_edit[];
extern const size_t chat_fields_message_edit_n;

/* ---- json.c: storage rows to API JSON ---- */

json_t *chat_json_user(srv_chat_t *chat, const store_user_t *u);
json_t *chat_json_chat(const store_chat_t *c, int64_t viewer_id, bool per_user);
json_t *chat_json_member(srv_chat_t *chat, const store_member_t *m);
json_t *chat_json_message(const store_message_t *m);
/** The reactions of message `message_id` in `list`, grouped: [{emoji, count, userIds}]. */
json_t *chat_json_reactions_group(const store_reaction_list_t *list, int64_t message_id);
/** Why a storage outage status (-ENOTCONN, -ENOBUFS, -ESHUTDOWN) makes a call fail, for the
 * message of an `unavailable` error. */
const char *chat_unavailable_reason(int status);
const char *chat_kind_name(store_chat_kind_t kind);
const char *chat_member_role_name(store_member_role_t role);

/* ---- tokens.c: issuing token pairs ---- */

/** Issues an access token and a refresh token for `user`, stores the refresh token's hash, and
 * replies `status` with {user, accessToken, refreshToken, tokenType, expiresIn} (op->result, if
 * set, is used as the user object). */
void chat_tokens_issue_and_reply(rest_op_t *op, int status, int64_t user_id);
/** Makes a new pair for `user_id` without storing it: the access token in op->text, the refresh
 * token in op->query, its hash in `hash`. Returns 0, or -1 after replying 500 (op freed). */
int chat_tokens_new_pair(rest_op_t *op, int64_t user_id, char hash[65]);
/** Replies `status` with the pair of chat_tokens_new_pair (and op->result as the user). */
void chat_tokens_reply(rest_op_t *op, int status);
/** Hex SHA-256 of a refresh token (65 bytes with the NUL). */
void chat_tokens_hash(const char *token, char out[65]);

/* ---- send.c: every new message goes through here ---- */

/** `status` 0 and the stored message and the JSON array of its attachments (both borrowed), or
 * a negative errno (-EACCES: an attachment is not the author's upload) and NULLs. */
typedef void (*chat_send_cb)(void *cbdata, int status, const store_message_t *m,
                             json_t *attachments);
chat_sendq_t *chat_sendq_new(void);
/** Queued sends not yet issued get -ESHUTDOWN; the one in flight completes later. */
void chat_sendq_free(chat_sendq_t *q);
/** Stores a message after the sends already queued for `chat_id`, calls `cb` (always, exactly
 * once, never inside this call unless the store refuses it at once), then broadcasts
 * `message:new` to the chat's room unless it was a duplicate. The author must be a member (the
 * store answers -EPERM otherwise). */
void chat_send_message(srv_chat_t *chat, int64_t chat_id, int64_t author_id, const char *body,
                       const char *client_id, const int64_t *attachment_ids, size_t n_attachments,
                       chat_send_cb cb, void *cbdata);

/* ---- notify.c: events to the rooms of /chat (no-ops without Socket.IO) ----
 *
 * The bottom of the service's real-time side: REST handlers, send.c and realtime.c all emit
 * through here, and notify.c calls nothing else of the service (realtime -> send -> notify, one
 * way). */

/** Emits `event` with `payload` (borrowed) to `room` of the namespace /chat. */
void chat_notify_room(srv_chat_t *chat, const char *room, const char *event, json_t *payload);
/** Emits `event` with `payload` (borrowed) to every socket of `user_id` (room user:<id>). */
void chat_notify_user(srv_chat_t *chat, int64_t user_id, const char *event, json_t *payload);
/** Emits `event` with `payload` (borrowed) to every socket of the namespace /chat. */
void chat_notify_all(srv_chat_t *chat, const char *event, json_t *payload);
/** As chat_notify_all, for a state (presence) that is not kept for connection recovery. */
void chat_notify_state(srv_chat_t *chat, const char *event, json_t *payload);
/** Emits `event` with `payload` (borrowed) to the room of chat `chat_id` (room chat:<id>). */
void chat_notify_chat(srv_chat_t *chat, int64_t chat_id, const char *event, json_t *payload);
/** Makes every socket of `user_id` join / leave the room of `chat_id`. */
void chat_notify_join(srv_chat_t *chat, int64_t user_id, int64_t chat_id);
void chat_notify_leave(srv_chat_t *chat, int64_t user_id, int64_t chat_id);
/** Makes every socket in the room of `chat_id` leave it (the chat was deleted). */
void chat_notify_close_chat(srv_chat_t *chat, int64_t chat_id);

/* ---- realtime.c: the Socket.IO namespace /chat ---- */

/** Registers the middleware, hooks and events on io's namespace "/chat" and sets chat->nsp. */
chat_rt_t *chat_rt_new(srv_chat_t *chat, sio_server_t *io);
/** Detaches the event handlers and orphans the operations in flight; sets chat->rt and
 * chat->nsp NULL. */
void chat_rt_free(srv_chat_t *chat);

#endif
