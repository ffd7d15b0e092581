/* storage.h - persistence of the chat service: users, refresh tokens, chats, memberships,
 * messages (with per-chat sequence numbers), reactions, read positions and full-text search.
 * Knows nothing of Engine.IO / Socket.IO / Redis.
 *
 * One asynchronous interface, two backends chosen by URL at store_open():
 *   "sqlite:PATH"            embedded SQLite on one worker thread (WAL, group commit)
 *   "sqlite::memory:"        a private in-memory SQLite database (tests)
 *   "postgres://user:pass@host:port/db" (or "postgresql://")  PostgreSQL through libpq,
 *                            non-blocking on the loop, a pool of connections (numeric hosts only:
 *                            libpq resolves names with blocking DNS)
 *
 * Threading: every function is called on the loop thread. Every operation takes a completion
 * callback and `cbdata`. If the call returns 0 the callback runs exactly once, later, on the loop
 * thread (never inside the call); if the call returns a negative errno the callback never runs.
 *
 * Ownership: strings and ids passed in are copied before the call returns. Results handed to a
 * callback (structs, lists, strings) are owned by the store and valid only until the callback
 * returns: copy what you keep (store_message_dup() etc. help).
 *
 * Status codes (negative errno) seen by callbacks:
 *   0          success
 *   -ENOENT    the row addressed does not exist (user, chat, message, token, membership...)
 *   -EEXIST    a uniqueness rule refused the write (username, membership, reaction, token)
 *   -EPERM     not allowed by the data: not a member of the chat, not the author of the message,
 *              members added to a private chat
 *   -EACCES    an attachment named is not the sender's own upload (storage/media.h)
 *   -ESTALE    store_token_rotate(): the token is no longer valid (revoked, rotated, expired)
 *   -ENOTCONN  the database cannot be reached now: no connection is up or coming, or the
 *              connection was lost with the request in flight (a write's outcome is then
 *              unknown; retrying is safe where the call is idempotent). A 503 for a client.
 *   -EIO       the database failed (details logged once, module "storage")
 * Calls themselves return 0, -EINVAL (bad arguments: NULL/empty required text, bad enum, limit
 * 0), -EMSGSIZE (a text over its STORE_MAX_* limit), -ENOBUFS (store_set_max_pending()
 * operations are waiting already: the database does not keep up; retry later) or -ESHUTDOWN
 * (store_close() was called).
 *
 * Times are milliseconds since the Unix epoch (UTC), set by the store when the row is written;
 * 0 means "never" / "not set". Ids are positive 64-bit integers. Texts are UTF-8 without NUL and
 * are always sent to the database as parameters, so any character is stored as given. */
#ifndef SIOC_STORAGE_H
#define SIOC_STORAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

typedef struct st_store_t store_t;

/* Limits on texts (bytes), checked by the calls (-EMSGSIZE). */
#define STORE_MAX_USERNAME    64
#define STORE_MAX_NAME        200 /* display names, chat names, name colors */
#define STORE_MAX_TOPIC       1000
#define STORE_MAX_HASH        512 /* password hashes, refresh token hashes */
#define STORE_MAX_BODY        65536
#define STORE_MAX_CLIENT_ID   128 /* client_msg_id */
#define STORE_MAX_EMOJI       64
#define STORE_MAX_SEARCH      1000
#define STORE_MAX_LIST        1000 /* largest `limit` of a list call; larger values are clamped */
#define STORE_MAX_CHAT_INVITE 1000 /* initial members passed to store_chat_create() */

typedef enum en_store_user_role_t {
    STORE_USER_ROLE_USER = 0, /* 'user' */
    STORE_USER_ROLE_AGENT,    /* 'agent' */
    STORE_USER_ROLE_ADMIN,    /* 'admin' */
} store_user_role_t;

typedef enum en_store_chat_kind_t {
    STORE_CHAT_PUBLIC = 0, /* 'public': listed by store_chat_list_public(), anyone may join */
    STORE_CHAT_PRIVATE,    /* 'private': exactly two users, one per pair, no owner */
    STORE_CHAT_GROUP,      /* 'group': invitation only */
} store_chat_kind_t;

typedef enum en_store_member_role_t {
    STORE_MEMBER_NONE = 0, /* not a member (only ever a result, never stored) */
    STORE_MEMBER_MEMBER,   /* 'member' */
    STORE_MEMBER_ADMIN,    /* 'admin' */
    STORE_MEMBER_OWNER,    /* 'owner' */
} store_member_role_t;

/** A user. Case-insensitive unique username (ASCII letters fold; other characters compare
 * exactly). */
typedef struct st_store_user_t {
    int64_t id;
    const char *username;      /* as created (case kept) */
    const char *display_name;  /* never NULL ("" if none) */
    const char *password_hash; /* never NULL ("" if none), e.g. an argon2id PHC string */
    const char *name_color;    /* never NULL ("" if none), e.g. "#aa3366" */
    store_user_role_t role;
    int64_t created_at;   /* ms */
    int64_t last_seen_at; /* ms, 0 = never */
    bool active;          /* false once deactivated (desk.h): login and refresh are refused */
} store_user_t;

typedef struct st_store_user_list_t {
    const store_user_t *items;
    size_t count;
} store_user_list_t;

/** What store_user_create() writes. Strings are copied; NULL display_name/password_hash/
 * name_color are stored as "". */
typedef struct st_store_user_new_t {
    const char *username; /* required, 1..STORE_MAX_USERNAME bytes */
    const char *display_name;
    const char *password_hash;
    const char *name_color;
    store_user_role_t role;
} store_user_new_t;

/** A refresh token, stored by hash only (the caller hashes the token it hands out). Tokens
 * issued by rotation from one login form a family (the OAuth 2.0 security BCP's refresh token
 * family): a rotated token presented again reveals a theft, and the whole family is revoked. */
typedef struct st_store_token_t {
    const char *token_hash;
    int64_t user_id;
    int64_t created_at; /* ms */
    int64_t expires_at; /* ms */
    bool revoked;
    bool rotated;       /* revoked by store_token_rotate (not by a logout) */
    const char *family; /* the hash of the family's first token */
} store_token_t;

/** A chat. The fields after `last_seq` depend on the call that produced it (see each call);
 * unset ones are 0. */
typedef struct st_store_chat_t {
    int64_t id;
    store_chat_kind_t kind;
    const char *name;        /* never NULL; "" for private chats */
    const char *topic;       /* never NULL ("" if none) */
    int64_t created_by;      /* user id (private chats: who asked first); 0 if the user is gone */
    int64_t created_at;      /* ms */
    int64_t last_seq;        /* seq of the newest message, 0 if none */
    int64_t last_message_at; /* ms, created_at of message last_seq, 0 if none */
    size_t member_count;
    int64_t private_users[2]; /* private chats: the two user ids, lower first; else 0, 0 */
    /* per-user fields, filled by store_chat_list_for_user() only: */
    store_member_role_t my_role;
    int64_t last_read_seq; /* the user's read position (0 = nothing read) */
    int64_t unread;        /* messages with seq > last_read_seq, not deleted, not by the user */
    /* filled by store_chat_create() / store_chat_get_private(): true if this call created it */
    bool created;
} store_chat_t;

typedef struct st_store_chat_list_t {
    const store_chat_t *items;
    size_t count;
} store_chat_list_t;

/** A member of a chat, with the user's public profile (password_hash is "" here). */
typedef struct st_store_member_t {
    store_user_t user;
    store_member_role_t role;
    int64_t joined_at;     /* ms */
    int64_t last_read_seq; /* 0 = nothing read */
} store_member_t;

typedef struct st_store_member_list_t {
    const store_member_t *items;
    size_t count;
} store_member_list_t;

/** A message. seq numbers each chat's messages 1, 2, 3... without gaps, in commit order. */
typedef struct st_store_message_t {
    int64_t id; /* global id */
    int64_t chat_id;
    int64_t seq;
    int64_t author_id;         /* 0 if the author was deleted */
    const char *body;          /* "" once deleted */
    const char *client_msg_id; /* never NULL ("" if the sender gave none) */
    int64_t created_at;        /* ms */
    int64_t edited_at;         /* ms, 0 = never edited */
    int64_t deleted_at;        /* ms, 0 = not deleted */
    /* store_message_send() only: true if (author, client_msg_id) was already stored and this is
     * that earlier message (nothing was written) */
    bool duplicate;
} store_message_t;

typedef struct st_store_message_list_t {
    const store_message_t *items;
    size_t count;
} store_message_list_t;

typedef struct st_store_reaction_t {
    int64_t message_id;
    int64_t user_id;
    const char *emoji;
    int64_t created_at; /* ms */
} store_reaction_t;

typedef struct st_store_reaction_list_t {
    const store_reaction_t *items;
    size_t count;
} store_reaction_list_t;

/* Completion callbacks. On status != 0 the pointer results are NULL and numbers 0. */
typedef void (*store_status_cb)(void *cbdata, int status);
typedef void (*store_user_cb)(void *cbdata, int status, const store_user_t *user);
typedef void (*store_users_cb)(void *cbdata, int status, const store_user_list_t *users);
typedef void (*store_token_cb)(void *cbdata, int status, const store_token_t *token);
typedef void (*store_chat_cb)(void *cbdata, int status, const store_chat_t *chat);
typedef void (*store_chats_cb)(void *cbdata, int status, const store_chat_list_t *chats);
typedef void (*store_role_cb)(void *cbdata, int status, store_member_role_t role);
typedef void (*store_members_cb)(void *cbdata, int status, const store_member_list_t *members);
typedef void (*store_message_cb)(void *cbdata, int status, const store_message_t *msg);
typedef void (*store_messages_cb)(void *cbdata, int status, const store_message_list_t *msgs);
typedef void (*store_reactions_cb)(void *cbdata, int status, const store_reaction_list_t *list);
typedef void (*store_seq_cb)(void *cbdata, int status, int64_t seq);

/* ---- lifecycle ---------------------------------------------------------------------------- */

/** Creates a store for `url` on `loop` and sets *out. Returns 0, or -EINVAL (unknown scheme,
 * malformed URL), -EIO (SQLite cannot open/create the file or its parent directory; logged).
 * Does not block on the network: PostgreSQL connections are opened asynchronously, operations
 * issued meanwhile wait in a queue; while no connection can be made they fail with -EIO. */
int store_open(uv_loop_t *loop, const char *url, store_t **out);

/** Operations accepted and not completed at most (STORE_DEFAULT_MAX_PENDING; 0: no bound):
 * beyond, calls return -ENOBUFS at once instead of queueing without end while the database is
 * slow or away. */
#define STORE_DEFAULT_MAX_PENDING 10000
void store_set_max_pending(store_t *store, size_t max);

/** The store's queue and outage counters (/metrics). */
typedef struct st_store_stats_t {
    size_t pending;       /* operations accepted and not completed */
    size_t max_pending;   /* the bound */
    uint64_t refused;     /* calls refused with -ENOBUFS */
    uint64_t unavailable; /* operations completed with -ENOTCONN */
} store_stats_t;
void store_stats(const store_t *store, store_stats_t *st);

/** Brings the schema to the latest version, blocking (call before uv_run, or from a thread
 * that is not the loop's). Versions already in schema_migrations are skipped; each pending
 * version runs in its own transaction, so a failing one changes nothing and stops the rest.
 * Returns 0, or -EIO with a message in err (if errlen > 0). Safe to run concurrently from
 * several processes (PostgreSQL: advisory lock; SQLite: BEGIN IMMEDIATE). */
int store_migrate_sync(store_t *store, char *err, size_t errlen);

/** The schema version this build migrates to. */
int store_schema_version(void);

/** "sqlite" or "postgres". */
const char *store_backend_name(const store_t *store);

/** Stops accepting operations (they return -ESHUTDOWN), lets every accepted one complete (their
 * callbacks run), closes connections, threads and handles, frees the store, then runs `cb` (may
 * be NULL) from the loop. Afterwards the store holds no handle on the loop, so uv_loop_close()
 * returns 0 once the loop ran. May be called from inside a store callback. Call once. */
void store_close(store_t *store, store_status_cb cb, void *cbdata);

/* ---- users -------------------------------------------------------------------------------- */

/** Creates a user. cb: the new user; -EEXIST if the username is taken (case-insensitively). */
int store_user_create(store_t *store, const store_user_new_t *u, store_user_cb cb, void *cbdata);
/** Looks a user up by username, case-insensitively. -ENOENT if none. */
int store_user_get_by_name(store_t *store, const char *username, store_user_cb cb, void *cbdata);
/** Looks a user up by id. -ENOENT if none. */
int store_user_get(store_t *store, int64_t user_id, store_user_cb cb, void *cbdata);
/** Lists users with id > after_id in id order, at most `limit` (keyset paging: pass the last id
 * seen). */
int store_user_list(store_t *store, int64_t after_id, size_t limit, store_users_cb cb,
                    void *cbdata);
/** Changes a user's profile: each of display_name, name_color, password_hash that is not NULL
 * is stored (limits as in store_user_create). cb: the updated user; -ENOENT if none. */
int store_user_update(store_t *store, int64_t user_id, const char *display_name,
                      const char *name_color, const char *password_hash, store_user_cb cb,
                      void *cbdata);
/** Sets last_seen_at to now. -ENOENT if no such user. */
int store_user_touch(store_t *store, int64_t user_id, store_status_cb cb, void *cbdata);

/* ---- refresh tokens ----------------------------------------------------------------------- */

/** Stores a token hash for a user, the first of a new family. -EEXIST if the hash is already
 * stored, -ENOENT if no user. */
int store_token_insert(store_t *store, const char *token_hash, int64_t user_id, int64_t expires_at,
                       store_status_cb cb, void *cbdata);
/** Looks a token up by hash, whatever its state (the caller checks revoked/expires_at).
 * -ENOENT if unknown. */
int store_token_get(store_t *store, const char *token_hash, store_token_cb cb, void *cbdata);
/** Marks a token revoked (idempotent). -ENOENT if unknown. */
int store_token_revoke(store_t *store, const char *token_hash, store_status_cb cb, void *cbdata);
/** Revokes every token of a user (logout everywhere). 0 even if there were none. */
int store_token_revoke_user(store_t *store, int64_t user_id, store_status_cb cb, void *cbdata);
/** Rotation, atomically: marks `old_hash` revoked and rotated if it is still valid (not revoked,
 * not expired) and stores `new_hash` in its family for its user. Of concurrent rotations of one
 * token exactly one succeeds. cb: the new token; -ESTALE if `old_hash` was not valid (unknown
 * included): the caller treats that as reuse. */
int store_token_rotate(store_t *store, const char *old_hash, const char *new_hash,
                       int64_t expires_at, store_token_cb cb, void *cbdata);
/** Revokes every token of the family `family` (reuse detected). 0 even if there were none. */
int store_token_revoke_family(store_t *store, const char *family, store_status_cb cb, void *cbdata);

/* ---- chats and memberships ---------------------------------------------------------------- */

/** Creates a public or group chat (kind PRIVATE: -EINVAL, use store_chat_get_private). The
 * creator becomes its owner; `member_ids` (n_members of them, may repeat the creator or
 * themselves, which is ignored) become members. cb: the chat (created = true, member_count set);
 * -ENOENT if the creator or a member does not exist. */
int store_chat_create(store_t *store, store_chat_kind_t kind, const char *name, const char *topic,
                      int64_t created_by, const int64_t *member_ids, size_t n_members,
                      store_chat_cb cb, void *cbdata);
/** Returns THE private chat of two distinct users, creating it (both as members) if needed;
 * `created` tells which. Idempotent and race-free: concurrent calls for a pair, in either order,
 * yield one chat. -EINVAL if a == b, -ENOENT if a user does not exist. */
int store_chat_get_private(store_t *store, int64_t user_a, int64_t user_b, store_chat_cb cb,
                           void *cbdata);
/** Gets a chat (last_seq, last_message_at, member_count set). -ENOENT if none. */
int store_chat_get(store_t *store, int64_t chat_id, store_chat_cb cb, void *cbdata);
/** The chats `user_id` is a member of, with my_role, last_read_seq and unread set, most recent
 * activity (last message, else creation) first. */
int store_chat_list_for_user(store_t *store, int64_t user_id, store_chats_cb cb, void *cbdata);
/** Every public chat, by id. */
int store_chat_list_public(store_t *store, store_chats_cb cb, void *cbdata);
/** Changes a chat's name and/or topic (NULL leaves a field as it is). cb: the updated chat;
 * -ENOENT if none, -EPERM for a private chat. No permission check: the caller checks roles. */
int store_chat_update(store_t *store, int64_t chat_id, const char *name, const char *topic,
                      store_chat_cb cb, void *cbdata);
/** Deletes a chat with its memberships, messages, reactions and read positions. -ENOENT if
 * none. */
int store_chat_delete(store_t *store, int64_t chat_id, store_status_cb cb, void *cbdata);
/** Adds a member with a role (not NONE). -EEXIST if already a member, -ENOENT if the chat or
 * the user does not exist, -EPERM for a private chat. */
int store_member_add(store_t *store, int64_t chat_id, int64_t user_id, store_member_role_t role,
                     store_status_cb cb, void *cbdata);
/** Removes a member (and their read position). -ENOENT if not a member. */
int store_member_remove(store_t *store, int64_t chat_id, int64_t user_id, store_status_cb cb,
                        void *cbdata);
/** cb: the user's role in the chat, STORE_MEMBER_NONE (status 0) if not a member or no chat. */
int store_member_role(store_t *store, int64_t chat_id, int64_t user_id, store_role_cb cb,
                      void *cbdata);
/** The members of a chat with their profiles, by join time. Empty list if no such chat. */
int store_member_list(store_t *store, int64_t chat_id, store_members_cb cb, void *cbdata);

/* ---- messages ----------------------------------------------------------------------------- */

/** Stores a message from a member: in one transaction, seq = the chat's last seq + 1 (no gap,
 * no duplicate, even under concurrent sends). Idempotent on (author, client_msg_id): if that
 * pair is already stored, cb gets the stored message with duplicate = true and nothing is
 * written. `client_msg_id` may be NULL or "" (no idempotency). cb runs only after the commit.
 * Sends to one chat issued in some order get seqs in that order. -ENOENT if no such chat, -EPERM
 * if the author is not a member. */
int store_message_send(store_t *store, int64_t chat_id, int64_t author_id, const char *body,
                       const char *client_msg_id, store_message_cb cb, void *cbdata);
/** store_message_send() with attachments (storage/media.h): `attachment_ids` (n of them, at most
 * STORE_MAX_ATTACH, distinct) are linked to the new message in the same transaction, in this
 * order. Each must be an upload of the author: else -EACCES and nothing is written. With n > 0
 * the body may be "" (an attachments-only message). A duplicate links nothing new. */
int store_message_send_with(store_t *store, int64_t chat_id, int64_t author_id, const char *body,
                            const char *client_msg_id, const int64_t *attachment_ids, size_t n,
                            store_message_cb cb, void *cbdata);
/** Replaces the body of one's own message and sets edited_at. cb: the updated message; -ENOENT
 * if no such message or deleted, -EPERM if `author_id` is not its author. */
int store_message_edit(store_t *store, int64_t message_id, int64_t author_id, const char *body,
                       store_message_cb cb, void *cbdata);
/** Soft-deletes one's own message: sets deleted_at, clears the body (seq stays taken). cb: the
 * deleted message; -ENOENT if no such message or already deleted, -EPERM if not its author. */
int store_message_delete(store_t *store, int64_t message_id, int64_t author_id, store_message_cb cb,
                         void *cbdata);
/** Gets one message by id. -ENOENT if none. */
int store_message_get(store_t *store, int64_t message_id, store_message_cb cb, void *cbdata);
/** History: up to `limit` messages of a chat with seq < before_seq (0: from the newest), newest
 * first, deleted ones included (body ""). */
int store_message_list_before(store_t *store, int64_t chat_id, int64_t before_seq, size_t limit,
                              store_messages_cb cb, void *cbdata);
/** Catch-up: up to `limit` messages with seq > after_seq, oldest first, deleted included. */
int store_message_list_after(store_t *store, int64_t chat_id, int64_t after_seq, size_t limit,
                             store_messages_cb cb, void *cbdata);
/** Full-text search: up to `limit` non-deleted messages, newest first, in chats `user_id` is a
 * member of (public chats included only if they joined), whose body contains every word of
 * `query` (whole words, case-insensitive; punctuation separates words and is ignored). -EINVAL
 * (from the call) if the query has no word. */
int store_message_search(store_t *store, int64_t user_id, const char *query, size_t limit,
                         store_messages_cb cb, void *cbdata);

/* ---- reactions and read positions --------------------------------------------------------- */

/** Adds a reaction. -EEXIST if that user already reacted so, -ENOENT if no such message or user
 * (or it is deleted). No membership check: the caller checks. */
int store_reaction_add(store_t *store, int64_t message_id, int64_t user_id, const char *emoji,
                       store_status_cb cb, void *cbdata);
/** Removes a reaction. -ENOENT if there was none. */
int store_reaction_remove(store_t *store, int64_t message_id, int64_t user_id, const char *emoji,
                          store_status_cb cb, void *cbdata);
/** The reactions of up to STORE_MAX_LIST messages, by message id then time. */
int store_reaction_list(store_t *store, const int64_t *message_ids, size_t n, store_reactions_cb cb,
                        void *cbdata);
/** Moves a member's read position forward to `seq` (clamped to the chat's last seq); never
 * backwards. cb: the position now stored. -EPERM if not a member. */
int store_read_set(store_t *store, int64_t chat_id, int64_t user_id, int64_t seq, store_seq_cb cb,
                   void *cbdata);

/* ---- copies of results, for keeping beyond a callback ------------------------------------ */

/** Deep copies; free with the matching _free (NULL is a no-op). */
store_message_t *store_message_dup(const store_message_t *m);
void store_message_free(store_message_t *m);
store_user_t *store_user_dup(const store_user_t *u);
void store_user_free(store_user_t *u);
store_chat_t *store_chat_dup(const store_chat_t *c);
void store_chat_free(store_chat_t *c);

#endif
