/* internal.h - what the files of src/desk/ share: the desk struct, the in-flight operation
 * (desk_op_t: one REST request or one /desk event with an ack, answered the same way), and the
 * functions each file provides. Private to src/desk/ (tests/layering.sh).
 *
 * Life of an operation: rest.c (or realtime.c) authenticates the staff caller, validates the
 * body and makes a desk_op_t, then calls the handler. The handler issues storage calls whose
 * callbacks get the op back; each starts with desk_op_proceed() (the desk, the request or the
 * socket may be gone meanwhile, or the status is an error, which it answers) and the chain ends
 * with exactly one desk_reply_*(), which answers and frees the op. */
#ifndef SIOC_SRC_DESK_INTERNAL_H
#define SIOC_SRC_DESK_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <h2o.h>
#include <jansson.h>
#include <sodium.h>

#include "src/auth/auth.h"
#include "src/channels/channels.h"
#include "src/desk/desk.h"
#include "src/media/media.h"

#define DESK_LOG             "desk"
#define DESK_BODY_MAX        65536 /* bytes of a REST body */
#define DESK_USERNAME_MIN    3
#define DESK_USERNAME_MAX    32
#define DESK_PASSWORD_MIN    8
#define DESK_PASSWORD_MAX    64
#define DESK_DISPLAY_MAX     50
#define DESK_MESSAGE_MAX     4000 /* characters */
#define DESK_CLIENT_ID_MAX   64
#define DESK_NAME_MAX        100
#define DESK_EMAIL_MAX       254
#define DESK_PAGE_DEFAULT    50
#define DESK_PAGE_MAX        100
#define DESK_DETAIL_MESSAGES 1000                 /* messages in GET /desk/services/:id */
#define DESK_RESET_TTL_MS    (24LL * 3600 * 1000) /* password-reset and setup tokens */
#define DESK_STATS_DEFAULT   (7LL * 86400 * 1000) /* period when `from` is absent */
#define DESK_IDLE_BATCH      100                  /* services finished per sweep */
#define DESK_MAX_CHANNELS    4

typedef struct st_desk_op_t desk_op_t;
typedef struct st_desk_rt_t desk_rt_t;

struct st_srv_desk_t {
    uv_loop_t *loop;
    const srv_config_t *conf; /* borrowed */
    store_t *store;           /* borrowed */
    sio_server_t *io;         /* borrowed, NULL: REST only */
    srv_chat_t *chat;         /* borrowed: its key and its /chat sockets */
    const uint8_t *jwt_key;   /* the chat's access-token key (borrowed) */
    size_t jwt_key_len;
    uint8_t visitor_key[32]; /* derived from jwt_key: visitor tokens */
    srv_channel_host_t host; /* what channels call */
    srv_channel_t *channels[DESK_MAX_CHANNELS];
    size_t n_channels;
    srv_channel_t *widget;    /* channels[0] */
    srv_channel_t *whatsapp;  /* channels[1] if --whatsapp-phone-number-id is set, else NULL */
    desk_op_t *ops;           /* in flight (doubly linked) */
    desk_rt_t *rt;            /* the /desk namespace, NULL without Socket.IO */
    uv_timer_t idle_timer;    /* the idle-close sweep */
    bool idle_timer_open;     /* the handle needs closing */
    bool sweeping;            /* a sweep is in flight */
    uint64_t idle_close_ms;   /* --desk-idle-close in ms, 0 = off */
    char *admin_password;     /* read from --admin-password-file (wiped, freed once used) */
    char setup_hash[65];      /* hex SHA-256 of the one-time setup token, "" if none */
    int64_t setup_expires_at; /* ms */
    int64_t rr_last;          /* auto-assign: the attendant picked last (round robin) */
    json_t *ice_servers;      /* --webrtc-ice-servers, parsed (owned; [] by default) */
};

/* ---- rest.c: operations and replies ---- */

struct st_desk_op_t {
    srv_desk_t *desk; /* NULL once srv_desk_free ran: the op is only freed */
    desk_op_t *prev, *next;
    h2o_req_t *req;       /* REST: NULL once h2o disposed the request */
    desk_op_t **req_slot; /* in req->pool; its dispose hook clears op->req */
    sio_socket_t *sock;   /* event: referenced */
    int64_t ack_id;       /* event: -1 if no ack is expected */
    bool is_event;
    int64_t user_id;             /* the staff caller (0 on public routes and channel work) */
    store_user_role_t role;      /* the caller's role */
    int64_t ids[2];              /* the route's :id segments */
    json_t *body;                /* validated body (owned), NULL if none */
    int64_t n[6];                /* handler scratch numbers */
    char text[256];              /* handler scratch text */
    char *secret;                /* handler scratch secret (owned, wiped) */
    store_service_t *svc;        /* the service the op addresses, once loaded (owned copy) */
    void (*then)(desk_op_t *op); /* continuation after desk_load_service */
    bool see_any;                /* desk_load_service: the handler checks access itself */
    /* channel host completions (service.c) */
    srv_channel_t *ch;
    srv_channel_msg_done msg_done;
    srv_channel_svc_done svc_done;
    srv_channel_call_done call_done;
    void *done_data;
    const char *call_reason; /* call.c: why the call ends (static) */
};

desk_op_t *desk_op_new(srv_desk_t *desk);
desk_op_t *desk_op_for_req(srv_desk_t *desk, h2o_req_t *req);
desk_op_t *desk_op_for_event(srv_desk_t *desk, sio_socket_t *sock, int64_t ack_id);
void desk_op_free(desk_op_t *op);
/** The head of a storage callback: false if the op is done with, either orphaned or its
 * request gone (freed) or `status` is an error (answered with desk_reply_store_error); true to
 * go on. A socket op whose socket disconnected goes on (the work is kept, only the ack is not
 * sent). */
bool desk_op_proceed(desk_op_t *op, int status);
/** After issuing a storage call: a call refused at once (`rc` != 0) runs no callback, so this
 * answers the error. */
void desk_op_issued(desk_op_t *op, int rc);
/** Answers (HTTP status + JSON body, or an ack {ok:true, ...body}) and frees the op. `body` is
 * stolen (NULL: 204 / {ok:true}). */
void desk_reply_json(desk_op_t *op, int status, json_t *body);
/** Answers {"error":{"code","message"}} (or an ack {ok:false,error}) and frees the op. */
void desk_reply_error(desk_op_t *op, int status, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/** Maps a storage status to an error answer (the desk's codes, docs/desk.md). */
void desk_reply_store_error(desk_op_t *op, int status);
/** Answers text (CSV) and frees the op; REST only. */
void desk_reply_text(desk_op_t *op, int status, const char *content_type, const char *body,
                     size_t len);
/** True if the caller is an admin. */
bool desk_is_admin(const desk_op_t *op);
/** Loads service op->ids[0] into op->svc, checks the caller may see it (admin: any; attendant:
 * the queue and their own; skipped with op->see_any), then runs `next`; answers 404 / 403
 * not_your_service otherwise. */
void desk_load_service(desk_op_t *op, void (*next)(desk_op_t *op));
/** True if an attendant (or admin) `user_id` with `role` may see `svc`. */
bool desk_may_see(int64_t user_id, store_user_role_t role, const store_service_t *svc);
/** Reads an optional integer query parameter in [min, max] (`dflt` if absent); answers 400
 * invalid_query and returns -1 if it is malformed. REST only. */
int desk_query_int(desk_op_t *op, const char *name, int64_t min, int64_t max, int64_t dflt,
                   int64_t *out);
/** Reads an optional text query parameter into `out` ("" if absent); -1 (answered) if bad. */
int desk_query_str(desk_op_t *op, const char *name, char *out, size_t size);
/** The HTTP handler of /v1/api/desk and /v1/api/widget. */
int desk_rest_handle(h2o_req_t *req, void *data);
/** Verifies an access token and loads its user as a staff caller: cb gets 0 and the user, or an
 * HTTP status with a code and message (401 token_*, 403 not_staff / account_disabled). */
typedef void (*desk_staff_cb)(void *cbdata, int status, const char *code, const char *message,
                              const store_user_t *user);
void desk_auth_staff(srv_desk_t *desk, const char *token, desk_staff_cb cb, void *cbdata);

/* ---- route handlers ---- */

void desk_users_create(desk_op_t *op);
void desk_users_list(desk_op_t *op);
void desk_attendants_list(desk_op_t *op);
void desk_users_get(desk_op_t *op);
void desk_users_update(desk_op_t *op);
void desk_users_reset(desk_op_t *op);
void desk_password_reset_use(desk_op_t *op);
void desk_me(desk_op_t *op);
void desk_me_password(desk_op_t *op);
void desk_setup(desk_op_t *op);
void desk_services_list(desk_op_t *op);
void desk_services_get(desk_op_t *op);
void desk_services_assign(desk_op_t *op);
void desk_services_take(desk_op_t *op);
void desk_services_message(desk_op_t *op);
void desk_services_finish(desk_op_t *op);
void desk_stats(desk_op_t *op);
void desk_stats_csv(desk_op_t *op);
void desk_widget_session(desk_op_t *op);
/** The store's callback of an answer (text or template): delivery, events, 201 (200 for a
 * retried clientMsgId) {message, service, duplicate}. */
void desk_on_answered(void *cbdata, int status, const store_desk_msg_t *m,
                      const store_service_t *svc);
/* the channels of the admin page and WhatsApp's template (rest_channels.c) */
void desk_channels_list(desk_op_t *op);
void desk_channels_update(desk_op_t *op);
void desk_services_template(desk_op_t *op);
/** The channel's customer-service window is closed for `svc` (WhatsApp: 24 h after the
 * customer's last message): free text is refused with 409 outside_window. */
bool desk_window_closed(srv_desk_t *desk, const store_service_t *svc);

/* ---- service.c: the desk's actions, shared by REST, /desk events and timers ---- */

/** The channel named `name`, or NULL. */
srv_channel_t *desk_channel(srv_desk_t *desk, const char *name);
/** After a service was finished (by hand or by the timer): events to staff, rating request to
 * the customer. */
void desk_after_finish(srv_desk_t *desk, const store_service_t *svc);
/** After an outbound message was stored: events to staff, delivery to the customer. */
void desk_after_outbound(srv_desk_t *desk, const store_service_t *svc, const store_desk_msg_t *m);
/** Deactivation: the user's /desk and /chat sockets are dropped on every node, and their open
 * services go back to the queue. */
void desk_user_deactivated(srv_desk_t *desk, int64_t user_id);
/** Hex SHA-256 of a secret token (65 bytes with the NUL). */
void desk_token_hash(const char *token, char out[65]);
/** A new random URL-safe token of 43 characters in out (44 bytes). */
void desk_token_new(char out[44]);

/* ---- realtime.c: /desk ---- */

desk_rt_t *desk_rt_new(srv_desk_t *desk, sio_server_t *io);
void desk_rt_free(srv_desk_t *desk);
/** Emits `event` {service, ...extra} to who may see `svc` (admins, its attendant, and every
 * staff member while it is queued; `also` (0: none) too, e.g. the attendant a transfer took it
 * from). `extra` (may be NULL) is stolen and merged. */
void desk_notify_service(srv_desk_t *desk, const char *event, const store_service_t *svc,
                         int64_t also, json_t *extra);
/** Emits `event` with `payload` (stolen) to the same audience as desk_notify_service. */
void desk_notify_about(srv_desk_t *desk, const char *event, const store_service_t *svc,
                       int64_t also, json_t *payload);
/** The /desk namespace (desk->rt must be set). */
sio_namespace_t *desk_rt_namespace(srv_desk_t *desk);
/** A new op for a /desk event whose first argument passed `fields` (copied into op->body, its
 * serviceId in op->ids[0]), or NULL (the error was acked). */
desk_op_t *desk_event_op(srv_desk_t *desk, sio_socket_t *sock, const sio_event_t *ev,
                         const srv_json_field_t *fields, size_t n);
/** Drops the /desk sockets of `user_id` on every node. */
void desk_rt_drop_user(srv_desk_t *desk, int64_t user_id);
/** Staff ids with a /desk socket on any node, who are attendants or admins (for auto-assign):
 * cb gets a JSON array of user ids (borrowed) or NULL on error. */
typedef void (*desk_online_cb)(const json_t *ids, void *cbdata);
void desk_rt_online(srv_desk_t *desk, desk_online_cb cb, void *cbdata);

/* ---- call.c: WebRTC audio calls ---- */

/** /desk events call:start and call:signal. */
void desk_on_call_start(sio_socket_t *sock, const sio_event_t *ev, void *data);
void desk_on_call_signal(sio_socket_t *sock, const sio_event_t *ev, void *data);
/** srv_channel_host_t.on_call. */
void desk_host_call(void *data, srv_channel_t *ch, int64_t customer_id, int64_t service_id,
                    const char *call_id, srv_call_kind_t kind, const json_t *d,
                    srv_channel_call_done done, void *cbdata);
/** Ends the call `svc` may have (finished: "service_finished", transferred: "transferred"). */
void desk_call_service_gone(srv_desk_t *desk, const store_service_t *svc, const char *reason);
/** A /desk socket is disconnecting: its call ends. */
void desk_call_socket_gone(srv_desk_t *desk, sio_socket_t *sock);
/** A /desk socket came back by connection state recovery: it leaves the room of its old call. */
void desk_call_socket_recovered(sio_socket_t *sock);
/** Moves the last activity of every service in a call held by an attendant socket of this node
 * to now (a call is activity: the idle sweep must not finish it), then runs op->then(op) (the
 * op orphaned if the desk is gone meanwhile). */
void desk_call_touch_services(desk_op_t *op);

/* ---- json.c ---- */

json_t *desk_json_user(const store_user_t *u);
json_t *desk_json_service(const store_service_t *s);
/** A message; "error" is desk_json_delivery_error(m->error) for a failed one with an error,
 * else null. */
json_t *desk_json_message(const store_desk_msg_t *m);
/** {"code": "delivery_failed", "message": message}: why the channel could not deliver an
 * outbound message (the message JSON's "error", message:status failed's "error"). */
json_t *desk_json_delivery_error(const char *message);

/* ---- attach.c: attachments of desk messages ---- */

/** What desk_attach() reports: 0 and the message with its attachments (borrowed), or a
 * negative errno (the message is stored, its attachments are not all linked). */
typedef void (*desk_attached_cb)(void *cbdata, int status, const store_desk_msg_t *m,
                                 const store_service_t *svc);
/** Links `ids` (uploads of `user_id` or of `customer_id`) to the stored `m` and reads them back,
 * then calls `cb` (inside this call when there is nothing to do). */
void desk_attach(srv_desk_t *desk, const store_desk_msg_t *m, const store_service_t *svc,
                 int64_t user_id, int64_t customer_id, const int64_t *ids, size_t n,
                 desk_attached_cb cb, void *cbdata);
/** Sets "attachments" on each message object of `msgs` from `list` (by message id). */
void desk_json_set_attachments(json_t *msgs, const store_attachment_list_t *list);
json_t *desk_json_error(const char *code, const char *message);
/** "attendant" for agent, "admin", "user" for chat users. */
const char *desk_role_name(store_user_role_t r);
/** "admin" / "attendant" to a role; -1 if neither. */
int desk_role_parse(const char *s);

#endif
