/* desk.h - persistence of the support desk (storage.h's second face): customers reached through a
 * channel (the web widget, later WhatsApp), services (one conversation from the first customer
 * message to its finish), their messages in both directions, ratings, staff administration
 * (role, active flag, one-time password-reset tokens, the first admin), the figures of the
 * dashboard, and the outbox a channel that delivers asynchronously (WhatsApp) drains.
 *
 * Same rules as storage.h: loop thread only; a call that returns 0 runs its callback exactly
 * once, later; results are owned by the store and valid during the callback only; statuses are
 * those of storage.h plus
 *   -EALREADY  the service is finished (assign, answer, finish) or already rated (rate)
 *   -EEXIST    take (assign with only_if_unassigned) lost: the service has an attendant
 *
 * Guarantees, as for chat messages: a message is reported only after its commit (no loss); a
 * message whose (sender, client_msg_id) is stored comes back with duplicate = true and nothing
 * is written (no duplicate; the sender is the customer for inbound messages, the staff user for
 * outbound ones); each service numbers its messages 1, 2, 3... without gaps in commit order.
 * At most one service per customer is open (a unique partial index): a customer message with
 * none open opens one (`opened`), even under concurrent sends from several nodes. Finishing
 * (by hand or by the idle timer) is a conditional UPDATE ... WHERE status = 'open', so of two
 * concurrent finishers (two nodes) exactly one gets the row. Nothing in the desk is ever
 * deleted: there is no delete call. */
#ifndef SIOC_STORAGE_DESK_H
#define SIOC_STORAGE_DESK_H

#include "storage/storage.h"

#define STORE_MAX_CHANNEL  32  /* channel names: "widget", "whatsapp" */
#define STORE_MAX_EXTERNAL 200 /* a customer's id on its channel (visitor id, phone number) */
#define STORE_MAX_EMAIL    320
#define STORE_MAX_COMMENT  2000 /* rating comments */
#define STORE_MAX_ERROR    500  /* outbox error texts (longer ones are cut) */

typedef enum en_store_service_status_t {
    STORE_SERVICE_OPEN = 0, /* 'open' (queued when attendant_id is 0, else assigned) */
    STORE_SERVICE_FINISHED, /* 'finished' */
} store_service_status_t;

typedef enum en_store_desk_dir_t {
    STORE_DESK_IN = 0, /* 'in': customer -> desk */
    STORE_DESK_OUT,    /* 'out': desk -> customer */
} store_desk_dir_t;

/** Delivery state of a message; it only moves forward (sent < delivered < read; failed only
 * from sent). */
typedef enum en_store_msg_state_t {
    STORE_MSG_SENT = 0,  /* 'sent': stored */
    STORE_MSG_DELIVERED, /* 'delivered': handed to the other side */
    STORE_MSG_READ,      /* 'read': the other side saw it */
    STORE_MSG_FAILED,    /* 'failed': the channel gave up (outbox) */
} store_msg_state_t;

typedef struct st_store_customer_t {
    int64_t id;
    const char *channel;     /* "widget" ... */
    const char *external_id; /* unique per channel */
    const char *name;        /* never NULL ("" if none) */
    const char *email;       /* never NULL */
    int64_t created_at;
} store_customer_t;

typedef struct st_store_service_t {
    int64_t id;
    int64_t customer_id;
    const char *channel;
    store_service_status_t status;
    int64_t attendant_id;       /* 0 = in the queue */
    int64_t created_at;         /* ms: the first customer message */
    int64_t assigned_at;        /* ms of the latest assignment, 0 = never */
    int64_t first_response_at;  /* ms: the first outbound message, 0 = none yet */
    int64_t last_activity_at;   /* ms: the latest message either way (the idle timer's clock) */
    int64_t finished_at;        /* ms, 0 = open */
    int64_t finished_by;        /* staff user, 0 = the idle timer (or open) */
    const char *finish_reason;  /* "" (open), "agent" or "idle" */
    int rating;                 /* 1..5, 0 = not rated */
    const char *rating_comment; /* never NULL */
    int64_t rated_at;
    int64_t last_seq;                 /* seq of the newest message */
    const char *customer_name;        /* the customer's, never NULL */
    const char *customer_email;       /* never NULL */
    const char *customer_external_id; /* the customer's id on the channel (a WhatsApp wa_id) */
    int64_t last_inbound_at;          /* ms of the customer's latest message in it, 0 = none */
    /* the newest message (the inbox's preview), read by store_desk_service_get / _list only:
     * NULL in the results of writes (and when the service has no message) */
    const char *last_body;
    store_desk_dir_t last_direction;
    /* set by store_desk_inbound(): this message opened the service */
    bool opened;
    /* set by store_desk_assign(): who had it before (0 = the queue) */
    int64_t previous_attendant_id;
} store_service_t;

typedef struct st_store_service_list_t {
    const store_service_t *items;
    size_t count;
} store_service_list_t;

typedef struct st_store_desk_msg_t {
    int64_t id;
    int64_t service_id;
    int64_t seq;
    store_desk_dir_t direction;
    int64_t author_id; /* staff user of an outbound message; 0 for inbound */
    const char *body;
    const char *client_msg_id; /* never NULL ("" if none) */
    int64_t created_at;
    store_msg_state_t state;
    int64_t state_at;  /* ms of the latest state change (created_at while sent) */
    const char *error; /* failed: why, as the channel said (never NULL, "" if none) */
    bool duplicate;    /* inbound/outbound only: this is the earlier stored message */
    /* its files (storage/media.h), filled in by the desk service from store_attachment_list()
     * before it hands the message on (JSON, channels' deliver); the store leaves them 0, and
     * store_desk_msg_dup() does not copy them */
    const struct st_store_attachment_t *attachments;
    size_t attachment_count;
} store_desk_msg_t;

typedef struct st_store_desk_msg_list_t {
    const store_desk_msg_t *items;
    size_t count;
} store_desk_msg_list_t;

/** Filter of store_desk_service_list(). Zero means "any" for every field. */
typedef struct st_store_service_filter_t {
    int status;           /* 0 any, 1 open, 2 finished */
    int64_t attendant_id; /* >0: assigned to that user; -1: unassigned (the queue) */
    int64_t visible_to;   /* >0: only the queue (open, unassigned) and services of that user */
    int64_t customer_id;  /* >0: of that customer */
    const char *channel;  /* NULL/"": any */
    int64_t from, to;     /* created_at in [from, to) when set */
    int64_t before_id;    /* cursor: ids < before_id (newest first) */
    size_t limit;         /* 1..STORE_MAX_LIST */
} store_service_filter_t;

/** One group of the dashboard: the services of one attendant (0 = never assigned). Sums are
 * returned with their counts so totals can be added up exactly; averages are sum / n. Over the
 * period [from, to): `opened` services created in it, `finished` finished in it, `open` open at
 * its end (created before `to`, not finished before `to`); first response over the services
 * created in the period that got one; resolution (finished_at - created_at) and ratings over the
 * services finished in the period. */
typedef struct st_store_desk_stats_row_t {
    int64_t attendant_id;
    const char *username;     /* "" for 0 */
    const char *display_name; /* "" for 0 */
    int64_t opened, finished, open;
    int64_t first_response_ms, first_response_n;
    int64_t resolution_ms, resolution_n;
    int64_t rating_sum, rating_n;
    int64_t ratings[5]; /* count of 1, 2, 3, 4, 5 */
} store_desk_stats_row_t;

typedef struct st_store_desk_stats_t {
    const store_desk_stats_row_t *items; /* by attendant id, 0 first */
    size_t count;
} store_desk_stats_t;

/** What an outbox entry delivers (desk_outbox.kind, schema version 7). */
typedef enum en_store_outbox_kind_t {
    STORE_OUTBOX_MESSAGE = 0, /* 'message': a desk message, written with it (store_desk_outbound) */
    STORE_OUTBOX_RATING,      /* 'rating': the rating request of a finished service */
    STORE_OUTBOX_READ,        /* 'read': the customer's messages were read (a read receipt) */
    STORE_OUTBOX_TYPING,      /* 'typing': an attendant is typing */
} store_outbox_kind_t;

#define STORE_MAX_OUTBOX_PAYLOAD 1024 /* bytes of an entry's payload */
#define STORE_MAX_OUTBOX_KEY     256  /* bytes of an entry's dedupe key */

/** An outbox entry claimed for delivery, with what the channel needs to send it. Every kind has
 * a service (and through it a customer and their address); only MESSAGE entries have a message.
 * Strings are never NULL. */
typedef struct st_store_outbox_item_t {
    int64_t id;
    store_outbox_kind_t kind;
    int64_t message_id; /* MESSAGE: the message; 0 for the other kinds */
    int64_t service_id;
    int64_t customer_id;
    const char *channel;
    const char *external_id; /* the customer's address on the channel */
    const char *body;        /* MESSAGE: the message's body; "" for the other kinds */
    const char *payload;     /* other kinds: what store_outbox_put stored ("" for MESSAGE) */
    int64_t expires_at;      /* ms; 0 = never. A claim never returns an entry past it (see there) */
    int attempts;            /* including this one */
    /* MESSAGE: the message's id on the channel if an earlier attempt stored one (the remote side
     * accepted it: settle, never send again), else "" */
    const char *sent_id;
    const char *client_msg_id; /* MESSAGE: the message's client id ("" if none) */
} store_outbox_item_t;

/** A new entry of a kind other than MESSAGE (store_outbox_put). */
typedef struct st_store_outbox_entry_t {
    const char *channel;      /* the channel that drains it */
    store_outbox_kind_t kind; /* RATING, READ or TYPING */
    int64_t service_id;       /* the service it is about (its customer is the addressee) */
    const char *payload;      /* what the channel needs (a WhatsApp wamid); NULL: "" */
    /* NULL: none. Else at most one entry per (channel, dedupe_key) is ever written, whatever
     * its state: "rating:<service>" asks once, "read:<wamid>" marks a message read once, even
     * when several nodes put it at the same time */
    const char *dedupe_key;
    /* ms since the epoch, 0 = never: an entry not sent by then is never sent (a typing
     * indicator is meaningless after a restart 30 s later; a rating request after the window) */
    int64_t expires_at;
} store_outbox_entry_t;

typedef struct st_store_outbox_list_t {
    const store_outbox_item_t *items;
    size_t count;
} store_outbox_list_t;

typedef void (*store_customer_cb)(void *cbdata, int status, const store_customer_t *c);
typedef void (*store_service_cb)(void *cbdata, int status, const store_service_t *s);
typedef void (*store_services_cb)(void *cbdata, int status, const store_service_list_t *l);
/** msg and svc: the message and its service (after the write). */
typedef void (*store_desk_msg_cb)(void *cbdata, int status, const store_desk_msg_t *msg,
                                  const store_service_t *svc);
typedef void (*store_desk_msgs_cb)(void *cbdata, int status, const store_desk_msg_list_t *l);
typedef void (*store_desk_stats_cb)(void *cbdata, int status, const store_desk_stats_t *st);
typedef void (*store_outbox_cb)(void *cbdata, int status, const store_outbox_list_t *l);
typedef void (*store_count_cb)(void *cbdata, int status, int64_t n);

/* ---- customers ---------------------------------------------------------------------------- */

/** Gets or creates the customer (channel, external_id); a non-empty name/email given replaces
 * the stored one. cb: the customer. */
int store_desk_customer_upsert(store_t *store, const char *channel, const char *external_id,
                               const char *name, const char *email, store_customer_cb cb,
                               void *cbdata);
/** -ENOENT if none. */
int store_desk_customer_get(store_t *store, int64_t customer_id, store_customer_cb cb,
                            void *cbdata);

/* ---- services and messages ---------------------------------------------------------------- */

/** Stores a customer message in the customer's open service, opening one (queued) if none is
 * open; svc->opened tells. -ENOENT if no such customer. */
int store_desk_inbound(store_t *store, int64_t customer_id, const char *body,
                       const char *client_msg_id, store_desk_msg_cb cb, void *cbdata);
/** Stores a staff message in an open service; sets first_response_at if unset. With `outbox`
 * an outbox entry (pending, due now) is written in the same transaction. No permission check
 * (the caller checks the assignee). -ENOENT no service, -EALREADY finished. */
int store_desk_outbound(store_t *store, int64_t service_id, int64_t author_id, const char *body,
                        const char *client_msg_id, bool outbox, store_desk_msg_cb cb, void *cbdata);
/** Assigns an open service to `attendant_id` (take or transfer). With only_if_unassigned the
 * write happens only if the service is in the queue: of concurrent takers exactly one wins, the
 * others get -EEXIST. svc->previous_attendant_id is who had it. -ENOENT (no such service or
 * user; the caller checks the attendant is active staff), -EALREADY. */
int store_desk_assign(store_t *store, int64_t service_id, int64_t attendant_id,
                      bool only_if_unassigned, store_service_cb cb, void *cbdata);
/** Puts an open service back in the queue (attendant deactivated, or by hand). */
int store_desk_unassign(store_t *store, int64_t service_id, store_service_cb cb, void *cbdata);
/** Finishes an open service: by a staff user (`by_user` > 0, reason "agent") or, with by_user
 * 0, reason "idle". -ENOENT, -EALREADY if it is finished already (by anyone). */
int store_desk_finish(store_t *store, int64_t service_id, int64_t by_user, store_service_cb cb,
                      void *cbdata);
/** Finishes (reason "idle") up to `limit` open services whose last activity is before
 * `cutoff_ms`. cb: those this call finished; concurrent callers never finish the same one. */
int store_desk_idle_close(store_t *store, int64_t cutoff_ms, size_t limit, store_services_cb cb,
                          void *cbdata);
/** Moves the last activity of an open service to now (a call in progress is activity, so the
 * idle sweep leaves the service open). cb: 1 if it was touched, 0 if it is finished or unknown. */
int store_desk_touch(store_t *store, int64_t service_id, store_count_cb cb, void *cbdata);
/** Stores the customer's rating (1..5, comment may be NULL) of a finished service of theirs.
 * -ENOENT (no such service of that customer), -EPERM (still open), -EALREADY (rated). */
int store_desk_rate(store_t *store, int64_t service_id, int64_t customer_id, int rating,
                    const char *comment, store_service_cb cb, void *cbdata);
/** -ENOENT if none. */
int store_desk_service_get(store_t *store, int64_t service_id, store_service_cb cb, void *cbdata);
/** Services matching `f`, newest first. */
int store_desk_service_list(store_t *store, const store_service_filter_t *f, store_services_cb cb,
                            void *cbdata);
/** Messages of a service with seq > after_seq, oldest first, at most limit. */
int store_desk_messages(store_t *store, int64_t service_id, int64_t after_seq, size_t limit,
                        store_desk_msgs_cb cb, void *cbdata);
/** A customer's messages over all their services with id < before_id (0: from the newest),
 * newest first, at most limit (the widget's history after a reload). */
int store_desk_customer_messages(store_t *store, int64_t customer_id, int64_t before_id,
                                 size_t limit, store_desk_msgs_cb cb, void *cbdata);
/** Moves the state of the messages of `service_id` in `direction` with seq <= upto_seq forward
 * to `state` (DELIVERED or READ); never backwards. cb: the highest seq changed (0: none). */
int store_desk_mark(store_t *store, int64_t service_id, store_desk_dir_t direction,
                    int64_t upto_seq, store_msg_state_t state, store_count_cb cb, void *cbdata);

/** The dashboard figures of [from, to) (ms, from < to). */
int store_desk_stats(store_t *store, int64_t from, int64_t to, store_desk_stats_cb cb,
                     void *cbdata);

/* ---- staff -------------------------------------------------------------------------------- */

/** Changes a user's role (role < 0 keeps it), active flag (active < 0 keeps it) and display
 * name (NULL keeps it). Deactivating also revokes every refresh token of the user. cb: the
 * user; -ENOENT if none. */
int store_desk_user_set(store_t *store, int64_t user_id, int role, int active,
                        const char *display_name, store_user_cb cb, void *cbdata);
/** Staff users (role agent or admin) with id > after_id, by id. */
int store_desk_staff_list(store_t *store, int64_t after_id, size_t limit, store_users_cb cb,
                          void *cbdata);
/** Counts active admins. */
int store_desk_admin_count(store_t *store, store_count_cb cb, void *cbdata);
/** Creates an admin only if the store has no active admin (the first admin). -EEXIST if there
 * is one or the username is taken. */
int store_desk_admin_bootstrap(store_t *store, const char *username, const char *display_name,
                               const char *password_hash, store_user_cb cb, void *cbdata);
/** Stores a one-time password-reset token (by hash) for a user. -ENOENT no user. */
int store_reset_create(store_t *store, const char *token_hash, int64_t user_id, int64_t expires_at,
                       store_status_cb cb, void *cbdata);
/** Uses a reset token: if it is unused, unexpired and its user active, marks it used, stores
 * the new password hash and revokes the user's refresh tokens, atomically. cb: the user;
 * -ENOENT otherwise (unknown, used, expired: one answer, nothing to probe). */
int store_reset_use(store_t *store, const char *token_hash, const char *password_hash,
                    store_user_cb cb, void *cbdata);

/* ---- outbox (channels that deliver asynchronously) ---------------------------------------- */

/** Writes an entry of `e->kind` (not MESSAGE: those are written with their message), pending
 * and due now. cb: the new entry's id, or 0 if an entry with its dedupe key exists (nothing is
 * written). -EINVAL (kind, service id, sizes), -ENOENT no such service. */
int store_outbox_put(store_t *store, const store_outbox_entry_t *e, store_count_cb cb,
                     void *cbdata);
/** Claims up to `limit` pending entries of `channel` that are due and not leased, leasing them
 * for lease_ms (a claimer that dies lets the lease run out; another claims them again) and
 * counting the attempt. Concurrent claimers (nodes) never get the same entry. Entries of every
 * kind come in id order. First, in the same transaction, every pending unleased entry of
 * `channel` whose expires_at has passed becomes 'expired' (done, never sent, never returned):
 * an expired entry is settled without sending by construction. An entry claimed before its
 * expiry is returned and may be sent a little after it (its send was in flight). */
int store_outbox_claim(store_t *store, const char *channel, int64_t lease_ms, size_t limit,
                       store_outbox_cb cb, void *cbdata);
/** Settles a claimed entry. ok: sent (the message stays `sent`: the remote side accepted it,
 * its receipts move it on; an entry of a disabled channel (store_channel_state_set) is never
 * claimed). Else the error is kept and the entry is due again after retry_ms (exponential
 * backoff is the caller's: pass it), or, once `attempts` reached max_attempts, failed for good
 * (a MESSAGE entry's message becomes failed, with the error as its error; the other kinds have
 * none to mark). */
int store_outbox_settle(store_t *store, int64_t outbox_id, bool ok, const char *error,
                        int64_t retry_ms, int max_attempts, store_status_cb cb, void *cbdata);

/* ---- channels with a remote side (WhatsApp): inbox, external ids, state ------------------ */

#define STORE_MAX_INBOX (256 * 1024) /* bytes of one stored webhook body */

/** A stored webhook body not processed yet. */
typedef struct st_store_inbox_item_t {
    int64_t id;
    const char *body;
    int64_t received_at;
} store_inbox_item_t;

typedef struct st_store_inbox_list_t {
    const store_inbox_item_t *items;
    size_t count;
} store_inbox_list_t;

/** What the admin page shows of a channel (one row per channel; defaults when never written:
 * enabled, nothing seen). Times in ms, 0 = never. */
typedef struct st_store_channel_state_t {
    const char *channel;
    bool enabled;          /* false: the session is ended, nothing is claimed from the outbox */
    int64_t verified_at;   /* the latest successful webhook handshake */
    int64_t last_event_at; /* the latest webhook stored */
    int64_t last_ok_at;    /* the latest call the remote API accepted */
    const char *last_error;
    int64_t last_error_at;
} store_channel_state_t;

/** A change of the state: each field left at its "keep" value is not written. */
typedef struct st_store_channel_update_t {
    int enabled;   /* -1 keep, 0, 1 */
    bool verified; /* verified_at = now */
    bool event;    /* last_event_at = now */
    bool ok;       /* last_ok_at = now */
    const char
        *error; /* NULL keep; else last_error (cut to STORE_MAX_ERROR), last_error_at = now */
} store_channel_update_t;

typedef void (*store_inbox_cb)(void *cbdata, int status, const store_inbox_list_t *l);
typedef void (*store_channel_state_cb)(void *cbdata, int status, const store_channel_state_t *st);

/** Stores a received webhook body of `channel` under `key` (e.g. the hex SHA-256 of the body)
 * unless that key is stored: cb gets the new id, or 0 if it was there (a redelivery). */
int store_inbox_put(store_t *store, const char *channel, const char *key, const char *body,
                    store_count_cb cb, void *cbdata);
/** Marks an inbox entry processed. */
int store_inbox_done(store_t *store, int64_t id, store_status_cb cb, void *cbdata);
/** Unprocessed entries of `channel` with id > after_id, oldest first (what a restart finds). */
int store_inbox_pending(store_t *store, const char *channel, int64_t after_id, size_t limit,
                        store_inbox_cb cb, void *cbdata);
/** Records the id the channel gave an outbound message (a WhatsApp wamid). -ENOENT no message,
 * -EEXIST the id belongs to another message. */
int store_desk_msg_set_external(store_t *store, int64_t message_id, const char *external_id,
                                store_status_cb cb, void *cbdata);
/** The message with that channel id, and its service. -ENOENT if none. */
int store_desk_msg_find_external(store_t *store, const char *external_id, store_desk_msg_cb cb,
                                 void *cbdata);
/** The channel reported an accepted message undeliverable: a message still `sent` becomes
 * failed, keeping `error` (NULL: none; cut to STORE_MAX_ERROR) as its error. cb: 1 if it
 * changed, 0 if not (already delivered, read or failed). */
int store_desk_msg_fail(store_t *store, int64_t message_id, const char *error, store_count_cb cb,
                        void *cbdata);
/** The state of `channel`. */
int store_channel_state(store_t *store, const char *channel, store_channel_state_cb cb,
                        void *cbdata);
/** Changes the state of `channel`; cb gets the state after the write. */
int store_channel_state_set(store_t *store, const char *channel, const store_channel_update_t *u,
                            store_channel_state_cb cb, void *cbdata);

/** Deep copies of desk results, freed with free() (one allocation each). */
store_service_t *store_service_dup(const store_service_t *s);
store_desk_msg_t *store_desk_msg_dup(const store_desk_msg_t *m);

/** Names as stored and as put on the wire: "open"/"finished", "in"/"out",
 * "sent"/"delivered"/"read"/"failed". */
const char *store_service_status_name(store_service_status_t s);
const char *store_desk_dir_name(store_desk_dir_t d);
const char *store_msg_state_name(store_msg_state_t s);
/** "message", "rating", "read", "typing" (desk_outbox.kind). */
const char *store_outbox_kind_name(store_outbox_kind_t k);

#endif
