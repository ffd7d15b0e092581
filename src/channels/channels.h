/* channels.h - the face of src/channels/: how the support desk (src/desk) reaches customers. A
 * channel is a vtable (srv_channel_ops_t) plus its state: it delivers the desk's outbound
 * messages, typing and rating requests to a customer, and hands what the customer does (a
 * message, a rating, typing, a read receipt) up to the desk through the srv_channel_host_t the
 * desk gives it. The desk stores first and delivers after the commit, so a channel never sees a
 * message that is not durable.
 *
 *   widget.c   the web chat widget: visitor tokens (signed, no account) and the Socket.IO
 *              namespace /support (docs/desk.md). Delivers synchronously (an emit to the
 *              customer's room, all nodes through the adapter).
 *   whatsapp.c the WhatsApp Cloud API (docs/desk.md "WhatsApp"): the signed webhook (stored in
 *              the inbox before it is answered, then processed), sends from the outbox through
 *              src/outbound (libcurl on the loop); wa_wire.c is its wire format without I/O.
 *
 * A channel that delivers through a remote API (WhatsApp, later) sets SRV_CHANNEL_CAP_OUTBOX: the
 * desk then writes an outbox entry in the same transaction as the message (store_outbox_* in
 * storage/desk.h) and the channel drains it with claim (a lease), settle (sent / retry after a
 * backoff / failed): a crash between commit and delivery loses nothing, and the lease keeps two
 * nodes from sending one message twice.
 *
 * A message handed to deliver() carries its attachments (store_desk_msg_t.attachments, the
 * files' bytes through src/media's srv_media_path()).
 *
 * Depends on src/core, src/auth, src/media (their faces), storage and socketio; knows nothing of
 * the desk beyond the host callbacks (tests/layering.sh). Loop thread only. */
#ifndef SIOC_SRC_CHANNELS_CHANNELS_H
#define SIOC_SRC_CHANNELS_CHANNELS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include <uv.h>

#include "socketio/socketio.h"
#include "src/core/core.h"
#include "src/media/media.h"
#include "storage/desk.h"

/* What a channel can do besides delivering text (srv_channel_ops_t.caps). */
/* TYPING: shows the attendant typing (the widget also reports the customer's) */
#define SRV_CHANNEL_CAP_TYPING   0x1u
#define SRV_CHANNEL_CAP_RECEIPTS 0x2u  /* reports delivered / read */
#define SRV_CHANNEL_CAP_RATING   0x4u  /* can ask for and return a 1-5 rating */
#define SRV_CHANNEL_CAP_OUTBOX   0x8u  /* delivers from the persisted outbox (asynchronously) */
#define SRV_CHANNEL_CAP_CALL     0x10u /* WebRTC audio calls signalled through it (call.c) */

typedef struct st_srv_channel_t srv_channel_t;

/* ---- WebRTC audio calls (call.c; docs/desk.md "Calls") ----
 * sioc only signals: the media go peer to peer. An attendant starts a call on /desk; the desk
 * hands the channel SRV_CALL_INCOMING, the channel hands the customer's answer up through
 * srv_channel_host_t.on_call, and the session descriptions and ICE candidates travel both ways
 * as OFFER / ANSWER / ICE until either side (or the server: a disconnect, the service's finish
 * or transfer) sends END. Every signal from a client is parsed by srv_call_parse first. */

typedef enum en_srv_call_kind_t {
    SRV_CALL_NONE = 0, /* srv_call_parse: the kind comes from the event's `type` */
    SRV_CALL_INCOMING, /* desk -> customer: the attendant calls (data: {iceServers}) */
    SRV_CALL_ACCEPT,   /* customer -> desk */
    SRV_CALL_DECLINE,  /* customer -> desk */
    SRV_CALL_OFFER,    /* both ways: data {type, sdp} */
    SRV_CALL_ANSWER,   /* both ways: data {type, sdp} */
    SRV_CALL_ICE,      /* both ways: data {candidate, sdpMid, sdpMLineIndex, usernameFragment}
                          or null (no more candidates) */
    SRV_CALL_END,      /* both ways: data {reason, by} */
} srv_call_kind_t;

#define SRV_CALL_KIND_BIT(k)   (1u << (k))
#define SRV_CALL_SIGNAL_MAX    16384 /* bytes of an SDP, and of a signal's data as JSON */
#define SRV_CALL_CANDIDATE_MAX 1024  /* bytes of an ICE candidate line */
#define SRV_CALL_ID_MAX        64

/** A parsed call event from a client: {serviceId, callId, type?, data?, reason?}. */
typedef struct st_srv_call_msg_t {
    int64_t service_id;
    char call_id[SRV_CALL_ID_MAX + 1];
    srv_call_kind_t kind;
    json_t *data;    /* OFFER / ANSWER / ICE: a fresh copy of the known fields only (owned;
                        json null for the end of ICE candidates), else NULL */
    char reason[16]; /* END: "hangup" (default), "no_answer" or "failed" */
} srv_call_msg_t;

/** Why srv_call_parse refused: HTTP-like status (400, 413) and a protocol error code. */
typedef struct st_srv_call_error_t {
    int status;
    const char *code; /* invalid_body, unknown_field, missing_field, invalid_field,
                         payload_too_large, invalid_signal */
    char message[128];
} srv_call_error_t;

/** Parses a call event's argument. With `fixed` != SRV_CALL_NONE the kind is `fixed` and the
 * object may carry no `type`/`data` (accept, decline, end: only `reason` for END); otherwise
 * `type` ("offer", "answer", "ice", "end") picks it and must be in `allowed`
 * (SRV_CALL_KIND_BIT mask). `serviceId` (a positive integer) and `callId` (1..SRV_CALL_ID_MAX
 * printable ASCII) are required. Returns 0 (dispose `out` with srv_call_msg_dispose) or
 * -EBADMSG / -EMSGSIZE with `err` filled and nothing to dispose. Pure. */
int srv_call_parse(const json_t *arg, srv_call_kind_t fixed, unsigned allowed, srv_call_msg_t *out,
                   srv_call_error_t *err);
void srv_call_msg_dispose(srv_call_msg_t *m);
/** "offer", "answer", "ice", "end", "incoming", "accept", "decline" ("" for NONE). */
const char *srv_call_kind_name(srv_call_kind_t k);
/** A new random call id (22 URL-safe characters) in `out`. */
void srv_call_id_new(char out[SRV_CALL_ID_MAX + 1]);
/** Checks --webrtc-ice-servers: a JSON array (at most 8) of {urls: "stun:..." | [...], username?,
 * credential?}. Returns the parsed array (owned) or NULL with a static reason in *why. */
json_t *srv_call_ice_servers_parse(const char *text, const char **why);

typedef void (*srv_channel_call_done)(void *cbdata, int status);

/** What a channel reports to its host when an operation it handed up completed: `status` 0 or a
 * negative errno as storage/desk.h's; `msg`/`svc` borrowed until return (NULL on error). */
typedef void (*srv_channel_msg_done)(void *cbdata, int status, const store_desk_msg_t *msg,
                                     const store_service_t *svc);
typedef void (*srv_channel_svc_done)(void *cbdata, int status, const store_service_t *svc);

/** The desk's side, called by channels (loop thread). Each callback that takes a `done` calls it
 * exactly once, possibly later. */
typedef struct st_srv_channel_host_t {
    void *data;
    /** A customer message: stored (opening a service if none is open), then announced to the
     * staff; `done` gets the stored message (duplicate set for a retried client id) with its
     * attachments. `attachment_ids` (n of them, at most STORE_MAX_ATTACH; may be NULL if 0) are
     * the customer's uploads (srv_media_store_file with owner.customer_id, or the widget's
     * POST /v1/api/attachments): with at least one, `body` may be "". Another's upload: `done`
     * gets -EACCES and nothing is stored. */
    void (*on_inbound)(void *data, srv_channel_t *ch, int64_t customer_id, const char *body,
                       const char *client_msg_id, const int64_t *attachment_ids,
                       size_t n_attachments, srv_channel_msg_done done, void *cbdata);
    /** A rating of a finished service of the customer's. */
    void (*on_rating)(void *data, srv_channel_t *ch, int64_t customer_id, int64_t service_id,
                      int rating, const char *comment, srv_channel_svc_done done, void *cbdata);
    /** The customer is typing (true) or stopped (false) in their open service. */
    void (*on_typing)(void *data, srv_channel_t *ch, int64_t customer_id, bool typing);
    /** The customer saw the outbound messages of `service_id` up to `seq`. */
    void (*on_read)(void *data, srv_channel_t *ch, int64_t customer_id, int64_t service_id,
                    int64_t seq);
    /** The remote side reported on outbound message `message_id` (seq `seq`, 0 if unknown) of
     * `service_id`: DELIVERED or READ (this one and the earlier ones), or FAILED with `error`
     * (the outbox gave up, or the remote side could not deliver what it had accepted). The desk
     * stores it and tells the staff (message:status). */
    void (*on_status)(void *data, srv_channel_t *ch, int64_t service_id, int64_t message_id,
                      int64_t seq, store_msg_state_t state, const char *error);
    /** The customer answered a call (CAP_CALL): ACCEPT or DECLINE of call `call_id` (the desk
     * checks the service is the customer's and open and that the call rings: else `done` gets
     * -ENOENT), or OFFER / ANSWER / ICE / END of a call the channel knows the customer is in
     * (`signal` the parsed signal, borrowed; END's {reason}). `done` runs exactly once. */
    void (*on_call)(void *data, srv_channel_t *ch, int64_t customer_id, int64_t service_id,
                    const char *call_id, srv_call_kind_t kind, const json_t *signal,
                    srv_channel_call_done done, void *cbdata);
} srv_channel_host_t;

/** What a channel reports of itself for the admin page (describe / set_enabled): `obj` is the
 * channel's entry of GET /v1/api/desk/channels (borrowed), NULL with a negative errno. */
typedef void (*srv_channel_state_done)(void *cbdata, int status, json_t *obj);

/** The vtable of a channel. */
typedef struct st_srv_channel_ops_t {
    const char *name; /* stored in desk_customers.channel / desk_services.channel: "widget" */
    unsigned caps;    /* SRV_CHANNEL_CAP_* */
    /** Delivers a stored outbound (or, for multi-device customers, inbound echo) message of
     * service `svc` to its customer. `msg` and `svc` are borrowed. For a CAP_OUTBOX channel the
     * message is in the outbox already: this only nudges the channel to drain it now. */
    void (*deliver)(srv_channel_t *ch, const store_service_t *svc, const store_desk_msg_t *msg);
    /** Tells the customer an attendant is typing (CAP_TYPING). */
    void (*typing)(srv_channel_t *ch, int64_t customer_id, int64_t service_id, bool typing);
    /** Asks the customer to rate a finished service (CAP_RATING). */
    void (*rating_request)(srv_channel_t *ch, const store_service_t *svc);
    /** The delivery state of the customer's messages changed (CAP_RECEIPTS): the attendant read
     * up to `seq`. */
    void (*receipt)(srv_channel_t *ch, int64_t customer_id, int64_t service_id, int64_t seq,
                    store_msg_state_t state);
    /** Frees the channel (NULL-safe at the call site). */
    void (*free)(srv_channel_t *ch);
    /** The customer-service window (ms after the customer's last message in which free text may
     * be sent; WhatsApp: 24 h), 0 = none. */
    int64_t window_ms;
    /** Optional (NULL: not shown to admins): the channel's state, for the admin page. */
    void (*describe)(srv_channel_t *ch, srv_channel_state_done done, void *cbdata);
    /** Optional: starts (true) or ends (false) the channel's session; `done` gets the state. */
    void (*set_enabled)(srv_channel_t *ch, bool enabled, srv_channel_state_done done, void *cbdata);
    /** CAP_CALL: hands the customer of `service_id` a call event: INCOMING (data {iceServers}),
     * OFFER / ANSWER / ICE (the parsed signal), END (data {reason, by}; `call_id` NULL: whatever
     * call the service has). `data` is borrowed. */
    void (*call)(srv_channel_t *ch, int64_t customer_id, int64_t service_id, const char *call_id,
                 srv_call_kind_t kind, const json_t *data);
} srv_channel_ops_t;

struct st_srv_channel_t {
    const srv_channel_ops_t *ops;
    const srv_channel_host_t *host; /* borrowed, outlives the channel */
    void *impl;                     /* the channel's state */
};

/* ---- the web widget (widget.c) ---- */

/** Visitor tokens live this long (seconds): a returning visitor keeps their history for a week
 * unless the page asks for a new session. */
#define SRV_WIDGET_TOKEN_TTL_S (7 * 86400)

/** Creates the widget channel on io's namespace "/support" (`io` may be NULL: no real time; the
 * REST session endpoint still works). Visitor tokens are HS256 JWTs signed with `key` (the desk
 * derives it from the JWT secret, so staff tokens and visitor tokens never verify as each
 * other). `store`, `host` and `key` are borrowed and outlive the channel. */
srv_channel_t *srv_widget_new(uv_loop_t *loop, store_t *store, sio_server_t *io, const uint8_t *key,
                              size_t key_len, const srv_channel_host_t *host);

/** A new visitor token (free() it) for customer `customer_id`, or NULL. */
char *srv_widget_issue_token(srv_channel_t *widget, int64_t customer_id);

/* ---- WhatsApp Cloud API (whatsapp.c) ---- */

#define SRV_WHATSAPP_WINDOW_MS (24LL * 3600 * 1000) /* Meta's customer-service window */

/** Creates the WhatsApp channel from the --whatsapp-* options: 0 with *out NULL when
 * --whatsapp-phone-number-id is unset (no channel), 0 with the channel, or -EINVAL (logged) when
 * the configuration is incomplete (token, app secret, verify token) or the token file cannot be
 * read (blocking: before uv_run). `conf`, `store` and `host` are borrowed and outlive it. */
int srv_whatsapp_new(uv_loop_t *loop, const srv_config_t *conf, store_t *store,
                     const srv_channel_host_t *host, srv_channel_t **out);
/** Registers the webhook /v1/api/whatsapp/webhook on `http` (before listening). */
int srv_whatsapp_register_routes(srv_channel_t *wa, srv_http_t *http);
/** The attachment store inbound media go into (srv_media_store_file, owned by the customer) and
 * outbound attachments are read from (borrowed, outlives the channel). Without it, inbound media
 * stay a text note and outbound messages send their text only. */
void srv_whatsapp_set_media(srv_channel_t *wa, srv_media_t *media);
/** Starts the work: the webhooks a crash left unprocessed, the outbox drain. */
void srv_whatsapp_start(srv_channel_t *wa);
/** The configured template ("name", and its language in *lang), or NULL if none. */
const char *srv_whatsapp_template(const srv_channel_t *wa, const char **lang);
/** The client id prefix of a template send: the outbox sends the configured template for a
 * message whose client id starts with it, free text otherwise. */
#define SRV_WHATSAPP_TEMPLATE_PREFIX "wa-template:"

/** Frees any channel. NULL is a no-op. */
void srv_channel_free(srv_channel_t *ch);

#endif
