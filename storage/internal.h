/* internal.h - what the storage front end (store.c) and its backends (sqlite_*.c, pg_*.c) share:
 * the request object every operation becomes, the backend vtable, and a per-request arena that
 * holds the results handed to callbacks.
 *
 * Flow: a public call validates and copies its arguments into a store_req_t, then hands it to
 * the backend's submit(). The backend fills req->status and req->res (allocating from req->arena,
 * on whatever thread it works on) and, on the loop thread, calls store__complete(req), which runs
 * the callback once and frees the request. store_close() sets `closing`; the backend finishes
 * every request it accepted, releases its handles and calls store__backend_closed(). */
#ifndef SIOC_STORAGE_INTERNAL_H
#define SIOC_STORAGE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "base/base.h"
#include "storage/desk.h"
#include "storage/media.h"
#include "storage/storage.h"

#define STORE_LOG "storage"

/* ---- arena: many small allocations freed at once with the request ---- */
typedef struct st_store_arena_chunk_t store_arena_chunk_t;
typedef struct st_store_arena_t {
    store_arena_chunk_t *head; /* newest chunk first */
} store_arena_t;

void *store__arena_alloc(store_arena_t *a, size_t n);       /* zeroed, 16-byte aligned */
char *store__arena_strdup(store_arena_t *a, const char *s); /* NULL -> "" */
char *store__arena_strndup(store_arena_t *a, const char *s, size_t n);
void store__arena_dispose(store_arena_t *a);

typedef enum en_store_op_t {
    STORE_OP_USER_CREATE,       /* s0 username s1 display s2 hash s3 color, a0 role */
    STORE_OP_USER_GET_BY_NAME,  /* s0 username */
    STORE_OP_USER_GET,          /* a0 user */
    STORE_OP_USER_LIST,         /* a0 after_id, a1 limit */
    STORE_OP_USER_TOUCH,        /* a0 user */
    STORE_OP_USER_UPDATE,       /* a0 user, s0 display or NULL, s1 color or NULL, s2 hash or NULL */
    STORE_OP_TOKEN_INSERT,      /* s0 hash, a0 user, a1 expires_at */
    STORE_OP_TOKEN_GET,         /* s0 hash */
    STORE_OP_TOKEN_REVOKE,      /* s0 hash */
    STORE_OP_TOKEN_REVOKE_USER, /* a0 user */
    STORE_OP_TOKEN_ROTATE,      /* s0 old hash, s1 new hash, a0 expires_at */
    STORE_OP_TOKEN_REVOKE_FAMILY, /* s0 family */
    STORE_OP_CHAT_CREATE,         /* a0 kind, s0 name, s1 topic, a1 creator, ids members */
    STORE_OP_CHAT_GET_PRIVATE,    /* a0 lower user, a1 higher user, a2 the asking user */
    STORE_OP_CHAT_GET,            /* a0 chat */
    STORE_OP_CHAT_LIST_FOR_USER,  /* a0 user */
    STORE_OP_CHAT_LIST_PUBLIC,    /* - */
    STORE_OP_CHAT_UPDATE,         /* a0 chat, s0 name or NULL, s1 topic or NULL */
    STORE_OP_CHAT_DELETE,         /* a0 chat */
    STORE_OP_MEMBER_ADD,          /* a0 chat, a1 user, a2 role */
    STORE_OP_MEMBER_REMOVE,       /* a0 chat, a1 user */
    STORE_OP_MEMBER_ROLE,         /* a0 chat, a1 user */
    STORE_OP_MEMBER_LIST,         /* a0 chat */
    STORE_OP_MESSAGE_SEND, /* a0 chat, a1 author, s0 body, s1 client id or NULL, ids attachments */
    STORE_OP_MESSAGE_EDIT, /* a0 message, a1 author, s0 body */
    STORE_OP_MESSAGE_DELETE,  /* a0 message, a1 author */
    STORE_OP_MESSAGE_GET,     /* a0 message */
    STORE_OP_MESSAGE_BEFORE,  /* a0 chat, a1 before_seq (0 = none), a2 limit */
    STORE_OP_MESSAGE_AFTER,   /* a0 chat, a1 after_seq, a2 limit */
    STORE_OP_MESSAGE_SEARCH,  /* a0 user, s0 normalized words (space separated), a1 limit */
    STORE_OP_REACTION_ADD,    /* a0 message, a1 user, s0 emoji */
    STORE_OP_REACTION_REMOVE, /* a0 message, a1 user, s0 emoji */
    STORE_OP_REACTION_LIST,   /* ids messages */
    STORE_OP_READ_SET,        /* a0 chat, a1 user, a2 seq */
    /* the desk (desk.h; store_desk.c, sqlite_desk.c, pg_desk.c) */
    STORE_OP_DESK_CUSTOMER_UPSERT, /* s0 channel, s1 external id, s2 name, s3 email */
    STORE_OP_DESK_CUSTOMER_GET,    /* a0 customer */
    STORE_OP_DESK_INBOUND,         /* a0 customer, s0 body, s1 client id or NULL, s2 sender */
    STORE_OP_DESK_OUTBOUND, /* a0 service, a1 author, a2 outbox, s0 body, s1 client id, s2 sender */
    STORE_OP_DESK_ASSIGN,   /* a0 service, a1 attendant (0: unassign), a2 only if unassigned */
    STORE_OP_DESK_FINISH,   /* a0 service, a1 by user (0: idle) */
    STORE_OP_DESK_IDLE_CLOSE,      /* a0 cutoff, a1 limit */
    STORE_OP_DESK_TOUCH,           /* a0 service */
    STORE_OP_DESK_RATE,            /* a0 service, a1 customer, a2 rating, s0 comment */
    STORE_OP_DESK_SERVICE_GET,     /* a0 service */
    STORE_OP_DESK_SERVICE_LIST,    /* ids: the filter (DESK_F_*), s0 channel or NULL */
    STORE_OP_DESK_MESSAGES,        /* a0 service, a1 after seq, a2 limit */
    STORE_OP_DESK_CUSTOMER_MSGS,   /* a0 customer, a1 before id (0: none), a2 limit */
    STORE_OP_DESK_MARK,            /* a0 service, a1 direction, a2 upto seq, a3 state */
    STORE_OP_DESK_STATS,           /* a0 from, a1 to */
    STORE_OP_DESK_USER_SET,        /* a0 user, a1 role or -1, a2 active or -1, s0 display or NULL */
    STORE_OP_DESK_STAFF_LIST,      /* a0 after id, a1 limit */
    STORE_OP_DESK_ADMIN_COUNT,     /* - */
    STORE_OP_DESK_ADMIN_BOOTSTRAP, /* s0 username, s1 display, s2 hash */
    STORE_OP_RESET_CREATE,         /* s0 hash, a0 user, a1 expires_at */
    STORE_OP_RESET_USE,            /* s0 hash, s1 new password hash */
    STORE_OP_OUTBOX_CLAIM,         /* s0 channel, a0 lease ms, a1 limit */
    STORE_OP_OUTBOX_SETTLE, /* a0 id, a1 ok, a2 retry ms, a3 max attempts, s0 error or NULL */
    /* s0 channel, s1 kind name, s2 payload, s3 key or NULL, a0 service, a1 expires_at (0: never) */
    STORE_OP_OUTBOX_PUT,
    /* attachments (media.h; store_media.c, sqlite_media.c, pg_media.c) */
    STORE_OP_ATT_CREATE,    /* s0 sha, s1 type, s2 name, ids: size, user, customer, w, h, thumb */
    STORE_OP_ATT_GET,       /* a0 id, a1 user, a2 customer */
    STORE_OP_ATT_LIST,      /* a0 kind, ids messages */
    STORE_OP_ATT_LINK_DESK, /* a0 message, a1 user, a2 customer, ids attachments */
    /* channels with a remote side (desk.h; store_channel.c, sqlite_channel.c, pg_channel.c) */
    STORE_OP_INBOX_PUT,         /* s0 channel, s1 key, s2 body */
    STORE_OP_INBOX_DONE,        /* a0 id */
    STORE_OP_INBOX_PENDING,     /* s0 channel, a0 after id, a1 limit */
    STORE_OP_DESK_MSG_EXTERNAL, /* a0 message, s0 external id */
    STORE_OP_DESK_MSG_FIND,     /* s0 external id */
    STORE_OP_DESK_MSG_FAIL,     /* a0 message, s0 error (or NULL) */
    STORE_OP_CHANNEL_STATE,     /* s0 channel */
    STORE_OP_CHANNEL_STATE_SET, /* s0 channel, a0 enabled (-1 keep), a1 verified, a2 event,
                                   a3 ok, s1 error or NULL */
    STORE_OP__COUNT
} store_op_t;

typedef struct st_store_req_t store_req_t;
struct st_store_req_t {
    store_req_t *next; /* link in whatever queue holds it */
    store_t *store;
    store_op_t op;
    void (*cb)(void); /* the typed callback of `op`, cast back by store__complete() */
    void *cbdata;
    int64_t a[4];     /* integer arguments, see store_op_t */
    const char *s[4]; /* text arguments (in arena), NULL if absent */
    int64_t *ids;     /* id array argument (in arena) */
    size_t n_ids;
    int attempts; /* backend retries (PostgreSQL serialization/unique races) */
    struct {
        void *res;          /* PGresult kept for the callback: the first error, else the last */
        int results;        /* results seen in this request's pipeline segment */
        bool prepared_here; /* the segment starts with the PREPARE of the statement */
        bool saw_null;      /* the last PQgetResult() returned NULL */
    } pg;                   /* PostgreSQL backend bookkeeping, loop thread */
    /* result */
    int status;
    union {
        store_user_t user;
        store_user_list_t users;
        store_token_t token;
        store_chat_t chat;
        store_chat_list_t chats;
        store_member_role_t role;
        store_member_list_t members;
        store_message_t message;
        store_message_list_t messages;
        store_reaction_list_t reactions;
        int64_t seq;
        store_customer_t customer;
        struct {
            store_desk_msg_t msg;
            store_service_t svc;
        } desk; /* inbound, outbound */
        store_service_t service;
        store_service_list_t services;
        store_desk_msg_list_t desk_msgs;
        store_desk_stats_t stats;
        store_outbox_list_t outbox;
        store_attachment_t att;
        store_attachment_list_t atts;
        store_inbox_list_t inbox;
        store_channel_state_t channel;
    } res;
    store_arena_t arena; /* holds the copies of the arguments and the results */
};

typedef struct st_store_backend_t {
    const char *name;
    /* takes `req`; completes it later on the loop thread with store__complete() */
    void (*submit)(store_t *store, store_req_t *req);
    int (*migrate_sync)(store_t *store, char *err, size_t errlen);
    /* store->closing is set: finish accepted requests, free, then store__backend_closed() */
    void (*close)(store_t *store);
} store_backend_t;

struct st_store_t {
    const store_backend_t *be;
    uv_loop_t *loop;
    void *impl;     /* the backend's state */
    bool closing;   /* store_close() was called */
    size_t pending; /* accepted requests not completed yet */
    size_t max_pending;
    uint64_t refused, unavailable; /* store_stats_t */
    store_status_cb close_cb;
    void *close_cbdata;
};

/** Runs the callback of `req` with its status and, only if the status is 0, its result (else
 * NULL / 0, whatever req->res holds), then frees it. Loop thread. */
void store__complete(store_req_t *req);
/* The front end's request helpers (store.c), shared with store_desk.c: a new request for `op`;
 * submitting it (always 0); 0 or -EINVAL/-ESHUTDOWN for the store and callback; 0, -EINVAL
 * (NULL/"" when required) or -EMSGSIZE (over max bytes) for a text; a list limit clamped to
 * STORE_MAX_LIST. */
store_req_t *store__req_new(store_t *store, store_op_t op, void (*cb)(void), void *cbdata);
int store__req_submit(store_req_t *req);
int store__check_call(store_t *store, const void *cb);
int store__check_text(const char *s, size_t max, bool required);
size_t store__clamp_limit(size_t limit);
/** 0 if ids[0..n) are positive and distinct, else -EINVAL. */
int store__check_ids(const int64_t *ids, size_t n);
/** The length of the longest prefix of s of at most max bytes that does not cut a UTF-8
 * sequence (error texts are cut, not refused: they are diagnostics). */
size_t store__utf8_prefix(const char *s, size_t max);
/** Runs the callback of a desk op for store__complete() (which then frees the request). */
void store__desk_complete(store_req_t *req);
/** The same for the channel operations (store_channel.c); called by store__desk_complete. */
void store__channel_complete(store_req_t *req);
/* positions of the service filter in req->ids (STORE_OP_DESK_SERVICE_LIST) */
enum {
    DESK_F_STATUS,
    DESK_F_ATTENDANT,
    DESK_F_VISIBLE,
    DESK_F_CUSTOMER,
    DESK_F_FROM,
    DESK_F_TO,
    DESK_F_BEFORE,
    DESK_F_LIMIT,
    DESK_F__COUNT
};
/** Runs the callback of an attachment op (store_media.c) for store__complete(). */
void store__media_complete(store_req_t *req);
/** Called by the backend once it released everything: runs the close callback, frees store. */
void store__backend_closed(store_t *store);

/** Splits a search query into words (maximal runs of ASCII letters/digits or non-ASCII bytes),
 * lowercased (ASCII), joined by single spaces into the arena. NULL if there is no word. */
char *store__search_words(store_arena_t *a, const char *query);

/* Backends: open returns 0 and sets store->impl, or a negative errno (nothing to free). */
extern const store_backend_t store__sqlite_backend;
extern const store_backend_t store__pg_backend;
int store__sqlite_open(store_t *store, const char *path);
int store__pg_open(store_t *store, const char *url);

/* Names of enum values as stored in the databases, and back. An unknown value (which the
 * schemas' CHECK constraints keep out) maps to the default: user, group, member. */
const char *store__user_role_name(store_user_role_t r);
store_user_role_t store__user_role_parse(const char *s);
const char *store__chat_kind_name(store_chat_kind_t k);
store_chat_kind_t store__chat_kind_parse(const char *s);
const char *store__member_role_name(store_member_role_t r);
store_member_role_t store__member_role_parse(const char *s);

/** "sent" ... "failed" back to the enum (unknown: sent). */
store_msg_state_t store__msg_state_parse(const char *s);
/** "message" ... "typing" back to the enum (unknown: message). */
store_outbox_kind_t store__outbox_kind_parse(const char *s);
/** The dashboard query of both backends: parameters $1 from and $2 to (SQLite binds them by
 * position; PostgreSQL infers bigint from the columns). Rows as store_desk_stats_row_t. */
extern const char store__desk_stats_sql[];

/** Writes ids[0..n) as decimal numbers separated by commas between `open` and `close` into the
 * arena: "{1,2,3}" is a PostgreSQL array literal, "[1,2,3]" a JSON array for SQLite. */
char *store__ids_join(store_arena_t *a, const int64_t *ids, size_t n, char open, char close);

/* Schema migrations: version i+1 is element i; both backends have STORE_SCHEMA_VERSION. */
/* 5: attachments (media), 6: whatsapp, 7: outbox kinds, 8: errors of failed desk messages */
#define STORE_SCHEMA_VERSION 8
typedef struct st_store_migration_t {
    const char *name; /* for messages: "initial schema" */
    const char *sql;  /* one or more statements, run in one transaction */
} store_migration_t;
extern const store_migration_t store__sqlite_migrations[STORE_SCHEMA_VERSION];
extern const store_migration_t store__pg_migrations[STORE_SCHEMA_VERSION];

/** Formats into err (if errlen > 0). Returns -EIO for `return store__err(...)`. */
int store__err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
