/* whatsapp.c - the WhatsApp Cloud API channel of the desk (channels.h, docs/desk.md "WhatsApp").
 *
 * Inbound: Meta POSTs webhooks to /v1/api/whatsapp/webhook. The signature (X-Hub-Signature-256,
 * HMAC-SHA256 of the raw body with the app secret, compared in constant time) is checked first
 * (401 signature_missing / 403 signature_invalid), the envelope is checked for shape (400), then
 * the raw body is stored in the inbox under its SHA-256 (a redelivered body is stored once) and
 * only then answered 200; processing follows from the stored copy. A crash between the answer and
 * the end of processing leaves the entry unprocessed, and the next start processes it again
 * (srv_whatsapp_start). Processing is idempotent: a message's wamid is its client id on the desk
 * (store_desk_inbound stores (customer, client id) once), statuses only move states forward.
 * Webhooks are processed one at a time, in the order they were stored (on a node: Meta
 * itself does not promise an order across deliveries), and their events in order. A list reply to
 * our rating list
 * ("rate:<service>:<n>") is a rating; every other message goes to the desk through the host's
 * on_inbound (customers keyed by wa_id, named by their profile name).
 *
 * Outbound: the desk writes an outbox entry with each answer (CAP_OUTBOX); a drain claims due
 * entries one per claim (a lease longer than a request, so two nodes never send one entry; a
 * disabled channel has none claimed) every second or when nudged, in order, as POST
 * {graph}/{version}/{phone-number-id}/messages with the bearer token. Accepted (a wamid came
 * back): the wamid is stored on the message FIRST, then the entry is settled. A crash between the
 * two leaves a claimed entry whose message has a wamid: the next claim sees it (sent_id) and
 * settles without sending. The window left is between Meta's acceptance and our write of the
 * wamid (the answer in flight plus one write); to close most of it, every send carries
 * biz_opaque_callback_data "sioc:<message id>", which Meta echoes in the message's statuses: a
 * status for an unknown wamid with our opaque id stores the wamid, so an entry whose lease ran out
 * after a crash is settled without a resend if the "sent" status arrived meanwhile (the lease,
 * 15 s, is longer than the request timeout, 10 s). 429, 5xx, network errors and Meta's transient
 * codes are retried with exponential backoff (1 s doubling to 5 min, Retry-After honoured) up to
 * 8 attempts; another refusal fails at once. A final failure becomes the message's `failed` state
 * and message:status to the staff, with the error.
 *
 * The outbox has entries of other kinds too (storage/desk.h store_outbox_put), claimed and
 * settled with the same lease, backoff and attempts, in id order with the messages:
 *   rating  written when a service finishes within the window (wa_rating_request), dedupe key
 *           "rating:<service>" (asked once), expiring when the window closes (Meta would refuse
 *           it after); each start writes those of the services finished in the last 15 min
 *           again (a no-op but where a crash came between the finish and the write); sent as the
 * interactive list with biz_opaque_callback_data "sioc-outbox:<entry id>", so a "sent" status for
 * it settles the entry if a crash hid Meta's answer (as the opaque id of messages does). read the
 * attendant read the customer's messages up to a seq (wa_receipt, from the desk's message:read):
 * the newest inbound wamid up to it, dedupe key "read:<wamid>" (Meta marks the earlier ones too),
 * sent as {"status":"read","message_id":...}. typing  the attendant types (wa_typing true; at most
 * one per service per 20 s on this node): the latest inbound wamid with a typing_indicator,
 * expiring after 25 s (Meta shows it at most that long): a claim after the expiry drops it unsent.
 * A final failure of these has no message to mark: it is logged and becomes the channel's
 * lastError. The wamids are looked up in the customer's latest messages (the inbound wamid is
 * the desk message's client id), so any node can write them whichever node stored the webhook.
 *
 * Media. Inbound (image, audio, video, document, sticker): GET /{media-id} for the URL, then the
 * bytes with the token into a private temporary file, then srv_media_store_file (type from the
 * bytes, the configured limits; owner: the customer), and the desk message carries the
 * attachment; a file that cannot be kept (too large, refused type, Meta's error) leaves the text
 * with a note why, so the message still lands. Outbound: a message with attachments is sent as
 * steps of one outbox entry: its text (if any) as a text message, then per attachment an upload
 * (multipart POST /{phone-number-id}/media) and an image / audio / video / document message with
 * the returned media id. The first accepted step's wamid is stored before anything else; after
 * it, a failing step is logged and skipped, never retried from the start (that would resend what
 * Meta already accepted).
 *
 * Lifetimes: every piece of work is a job in a list; srv_channel_free orphans them (their
 * storage and HTTP callbacks then only free), cancels the HTTP requests and closes the timer,
 * whose close callback frees the channel. Loop thread only. */
#include "src/channels/channels.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sodium.h>

#include "src/channels/wa_wire.h"
#include "src/outbound/outbound.h"

#define LOG_MOD        "whatsapp"
#define CHANNEL        "whatsapp"
#define WEBHOOK_PATH   "/v1/api/whatsapp/webhook"
#define DRAIN_EVERY_MS 1000
/* One entry per claim: its lease then covers exactly one request (LEASE_MS > SEND_TIMEOUT_MS),
 * so no lease runs out while its send is in flight and another node can never send it too. A
 * full claim is followed by the next one at once. */
#define DRAIN_BATCH     1
#define LEASE_MS        15000 /* longer than SEND_TIMEOUT_MS: a lease never ends mid-request */
#define SEND_TIMEOUT_MS 10000
#define MAX_ATTEMPTS    8
#define BACKOFF_MIN_MS  1000
#define BACKOFF_MAX_MS  300000
#define MEDIA_MAX_BYTES (16 * 1024 * 1024)
#define OPAQUE_PREFIX   "sioc:"
#define OUTBOX_OPAQUE   "sioc-outbox:" /* + the entry id: a rating list's statuses settle it */
#define TOKEN_MAX       4096
/* Typing: Meta shows the indicator until the answer or for 25 s; one request per service per
 * TYPING_EVERY_MS is plenty, and an entry not sent within TYPING_TTL_MS is dropped (the
 * environment variable SIOC_TEST_WA_TYPING_TTL_MS shortens it, for the tests only). */
#define TYPING_EVERY_MS 20000
#define TYPING_TTL_MS   25000
#define TYPING_SLOTS    64  /* services remembered for the throttle */
#define LOOKBACK_MSGS   100 /* messages searched for the newest inbound wamid */
/* A start asks again for the ratings of the services finished this recently (the entry is
 * written after the finish's commit: a crash between the two would lose it) */
#define RATING_SWEEP_MS (15 * 60 * 1000)

typedef struct st_wa_t wa_t;
typedef struct st_wa_job_t wa_job_t;

struct st_wa_t {
    srv_channel_t ch;
    uv_loop_t *loop;
    store_t *store;
    const srv_config_t *conf;
    srv_outbound_t *http;
    srv_media_t *media; /* the attachment store (NULL: text only) */
    char *auth;         /* "Authorization: Bearer <token>" (wiped on free) */
    char *graph;        /* "{graph}/{version}/" */
    char *messages_url; /* "{graph}/{version}/{phone-number-id}/messages" */
    char *media_url;    /* "{graph}/{version}/{phone-number-id}/media" (uploads) */
    char tpl_name[513];
    char tpl_lang[16];
    uv_timer_t timer; /* the drain; its close callback frees the channel */
    bool draining;    /* a claim or a batch is in flight */
    bool again;       /* nudged while draining: drain once more at the end */
    bool last_failed; /* the latest Graph call failed (a success is then recorded) */
    bool started;
    wa_job_t *jobs;                /* in flight (doubly linked) */
    wa_job_t *queue, **queue_tail; /* stored webhooks waiting to be processed, in order */
    bool processing;               /* one webhook is being processed (the queue's head) */
    int64_t typing_ttl_ms;         /* expiry of a typing entry (TYPING_TTL_MS) */
    struct {
        int64_t service_id, at; /* at: ms of the latest typing entry written */
    } typing[TYPING_SLOTS];     /* the throttle, per node (the attendant's socket is on one) */
};

typedef struct st_wa_item_t {
    store_outbox_item_t it; /* strings owned (one allocation with the item) */
} wa_item_t;

struct st_wa_job_t {
    wa_t *w; /* NULL once orphaned */
    wa_job_t *prev, *next;
    /* a webhook request */
    h2o_req_t *req;
    wa_job_t **req_slot;
    char *body; /* the raw webhook body (owned) */
    /* processing */
    int64_t inbox_id;
    json_t *events; /* array of event objects (owned) */
    size_t idx;
    wa_job_t *queued_next; /* the next stored webhook to process */
    bool retried;          /* a status found its message through the opaque id */
    /* the drain */
    store_outbox_item_t **items; /* owned copies */
    size_t n_items, cur;
    char wamid[WA_ID_MAX + 1];
    char error[STORE_MAX_ERROR + 1];
    int64_t retry_ms;
    /* the current entry's attachments (outbound media), sent as steps: an optional text first
     * (a body an audio or sticker cannot carry as caption), then one media message each */
    struct st_wa_out_att_t *out;
    size_t n_out, step, n_steps;
    bool text_first, accepted; /* accepted: a step got a wamid (stored on the message) */
    /* outbox entries of other kinds (n[0] service, n[1] up to seq, n[2] kind) / media */
    char *url;
    char *payload;
    int64_t n[3];
    char mime[128];
};

static void drain_kick(wa_t *w, uint64_t delay_ms);

/* ---- jobs ---- */

/* One attachment of an outbound message. */
typedef struct st_wa_out_att_t {
    char *path; /* the file in the store */
    char type[STORE_MAX_ATT_TYPE + 1];
    char name[STORE_MAX_ATT_NAME + 1];
    int64_t size;
} wa_out_att_t;

static void out_clear(wa_job_t *j)
{
    for (size_t i = 0; i < j->n_out; i++)
        free(j->out[i].path);
    free(j->out);
    j->out = NULL;
    j->n_out = j->step = j->n_steps = 0;
    j->text_first = j->accepted = false;
}

static wa_job_t *job_new(wa_t *w)
{
    wa_job_t *j = xcalloc(1, sizeof(*j));
    j->w = w;
    j->next = w->jobs;
    if (w->jobs != NULL)
        w->jobs->prev = j;
    w->jobs = j;
    return j;
}

static void job_free(wa_job_t *j)
{
    if (j == NULL)
        return;
    if (j->req_slot != NULL)
        *j->req_slot = NULL;
    if (j->w != NULL) {
        if (j->prev != NULL)
            j->prev->next = j->next;
        else
            j->w->jobs = j->next;
        if (j->next != NULL)
            j->next->prev = j->prev;
    }
    out_clear(j);
    for (size_t i = 0; i < j->n_items; i++)
        free(j->items[i]);
    free(j->items);
    json_decref(j->events);
    free(j->body);
    free(j->url);
    free(j->payload);
    free(j);
}

/* True if the job may go on, else frees it. */
static bool job_alive(wa_job_t *j)
{
    if (j->w != NULL)
        return true;
    job_free(j);
    return false;
}

static wa_t *W(srv_channel_t *ch)
{
    return ch->impl;
}

static void on_state_written(void *cbdata, int status, const store_channel_state_t *st)
{
    UNUSED(cbdata);
    UNUSED(st);
    if (status != 0)
        log_warn(LOG_MOD, "could not record the channel state (%d)", status);
}

static void state_note(wa_t *w, const store_channel_update_t *u)
{
    store_channel_state_set(w->store, CHANNEL, u, on_state_written, NULL);
}

/* Records the outcome of a Graph API call (errors always, a success after a failure or first). */
static void graph_outcome(wa_t *w, const char *error)
{
    store_channel_update_t u = {.enabled = -1};
    if (error != NULL) {
        u.error = error;
        w->last_failed = true;
    } else if (w->last_failed || !w->started) {
        u.ok = true;
        w->last_failed = false;
        w->started = true;
    } else {
        return;
    }
    state_note(w, &u);
}

/* ---- HTTP answers of the webhook ---- */

static void send_json_error(h2o_req_t *req, int status, const char *code, const char *msg)
{
    srv_http_send_error(req, status, "no-store", code, msg);
}

static void on_req_dispose(void *p)
{
    wa_job_t **slot = p;
    if (*slot != NULL) {
        (*slot)->req = NULL;
        (*slot)->req_slot = NULL;
    }
}

/* ---- processing stored webhooks ---- */

static void process_next(wa_job_t *j);

static json_t *event_json(const wa_event_t *ev)
{
    return json_pack("{s:i,s:s,s:s,s:s,s:s,s:s,s:s?,s:s,s:s?,s:I,s:i,s:s?,s:s?,s:I,s:s?}", "kind",
                     (int)ev->kind, "id", ev->id, "from", ev->from, "name", ev->name, "type",
                     ev->type, "body", ev->body, "media", ev->media_id, "mime", ev->mime_type,
                     "filename", ev->filename, "ratingService", (json_int_t)ev->rating_service,
                     "rating", ev->rating, "status", ev->status, "opaque", ev->opaque, "errorCode",
                     (json_int_t)ev->error_code, "errorTitle", ev->error_title);
}

static void collect(const wa_event_t *ev, void *data)
{
    json_array_append_new(data, event_json(ev));
}

static const char *ev_str(json_t *ev, const char *k)
{
    const char *s = json_string_value(json_object_get(ev, k));
    return s != NULL ? s : "";
}

static int64_t ev_int(json_t *ev, const char *k)
{
    return (int64_t)json_integer_value(json_object_get(ev, k));
}

static void media_fetch(wa_job_t *j, int64_t customer_id);

static void process_start(wa_t *w);

static void on_inbox_done(void *cbdata, int status)
{
    wa_job_t *j = cbdata;
    wa_t *w = j->w;
    if (status != 0 && w != NULL)
        log_warn(LOG_MOD, "could not mark webhook %lld processed (%d)", (long long)j->inbox_id,
                 status);
    job_free(j);
    if (w != NULL) {
        w->processing = false;
        process_start(w);
    }
}

static void event_done(wa_job_t *j)
{
    j->idx++;
    j->retried = false;
    process_next(j);
}

static void on_inbound_done(void *cbdata, int status, const store_desk_msg_t *msg,
                            const store_service_t *svc)
{
    wa_job_t *j = cbdata;
    UNUSED(svc);
    if (!job_alive(j))
        return;
    json_t *ev = json_array_get(j->events, j->idx);
    UNUSED(msg);
    if (status != 0)
        log_warn(LOG_MOD, "could not store message %s (%d)", ev_str(ev, "id"), status);
    event_done(j);
}

static void on_rated(void *cbdata, int status, const store_service_t *svc)
{
    wa_job_t *j = cbdata;
    UNUSED(svc);
    if (!job_alive(j))
        return;
    if (status != 0 && status != -EALREADY)
        log_info(LOG_MOD, "rating refused (%d)", status);
    event_done(j);
}

static void on_customer(void *cbdata, int status, const store_customer_t *c)
{
    wa_job_t *j = cbdata;
    if (!job_alive(j))
        return;
    json_t *ev = json_array_get(j->events, j->idx);
    if (status != 0) {
        log_warn(LOG_MOD, "could not store customer %s (%d)", ev_str(ev, "from"), status);
        event_done(j);
        return;
    }
    const srv_channel_host_t *h = j->w->ch.host;
    if (ev_int(ev, "rating") > 0) {
        h->on_rating(h->data, &j->w->ch, c->id, ev_int(ev, "ratingService"),
                     (int)ev_int(ev, "rating"), NULL, on_rated, j);
        return;
    }
    if (j->w->media != NULL && ev_str(ev, "media")[0] != '\0') {
        media_fetch(j, c->id); /* the desk message follows, with the file or a note */
        return;
    }
    h->on_inbound(h->data, &j->w->ch, c->id, ev_str(ev, "body"), ev_str(ev, "id"), NULL, 0,
                  on_inbound_done, j);
}

static void status_find(wa_job_t *j);

static void on_external_recovered(void *cbdata, int status)
{
    wa_job_t *j = cbdata;
    if (!job_alive(j))
        return;
    if (status != 0) {
        event_done(j);
        return;
    }
    status_find(j);
}

static void on_outbox_recovered(void *cbdata, int status)
{
    wa_job_t *j = cbdata;
    if (!job_alive(j))
        return;
    if (status == 0)
        log_info(LOG_MOD, "outbox entry settled from its status (its answer was lost)");
    event_done(j);
}

static void on_status_message(void *cbdata, int status, const store_desk_msg_t *m,
                              const store_service_t *svc)
{
    wa_job_t *j = cbdata;
    if (!job_alive(j))
        return;
    json_t *ev = json_array_get(j->events, j->idx);
    const char *st = ev_str(ev, "status"), *opaque = ev_str(ev, "opaque");
    if (status == -ENOENT && strncmp(opaque, OUTBOX_OPAQUE, strlen(OUTBOX_OPAQUE)) == 0) {
        /* a rating list Meta accepted: its entry is done even if a crash hid the answer (settling
         * a settled one is -ENOENT, nothing happens) */
        int64_t oid = strtoll(opaque + strlen(OUTBOX_OPAQUE), NULL, 10);
        if (oid > 0 &&
            store_outbox_settle(j->w->store, oid, true, NULL, 0, 1, on_outbox_recovered, j) == 0)
            return;
    }
    if (status == -ENOENT && !j->retried && strncmp(opaque, OPAQUE_PREFIX, 5) == 0) {
        /* ours, but its wamid was not stored (a crash right after Meta accepted it) */
        int64_t mid = strtoll(opaque + 5, NULL, 10);
        j->retried = true;
        if (mid > 0 && store_desk_msg_set_external(j->w->store, mid, ev_str(ev, "id"),
                                                   on_external_recovered, j) == 0)
            return;
    }
    if (status == 0 && m->direction == STORE_DESK_OUT) {
        const srv_channel_host_t *h = j->w->ch.host;
        store_msg_state_t state = STORE_MSG_SENT;
        char err[STORE_MAX_ERROR + 1] = "";
        if (strcmp(st, "delivered") == 0)
            state = STORE_MSG_DELIVERED;
        else if (strcmp(st, "read") == 0)
            state = STORE_MSG_READ;
        else if (strcmp(st, "failed") == 0) {
            state = STORE_MSG_FAILED;
            snprintf(err, sizeof(err), "(#%lld) %s", (long long)ev_int(ev, "errorCode"),
                     ev_str(ev, "errorTitle"));
        }
        if (state != STORE_MSG_SENT)
            h->on_status(h->data, &j->w->ch, svc->id, m->id, m->seq, state, err);
    }
    event_done(j);
}

static void status_find(wa_job_t *j)
{
    json_t *ev = json_array_get(j->events, j->idx);
    if (store_desk_msg_find_external(j->w->store, ev_str(ev, "id"), on_status_message, j) != 0)
        event_done(j);
}

static void process_next(wa_job_t *j)
{
    wa_t *w = j->w;
    json_t *ev = json_array_get(j->events, j->idx);
    if (ev == NULL) {
        if (store_inbox_done(w->store, j->inbox_id, on_inbox_done, j) != 0)
            on_inbox_done(j, -EIO);
        return;
    }
    if (ev_int(ev, "kind") == WA_EVENT_STATUS) {
        status_find(j);
        return;
    }
    if (ev_int(ev, "kind") == WA_EVENT_ERROR) { /* shown to admins as the channel's lastError */
        char err[STORE_MAX_ERROR + 1];
        snprintf(err, sizeof(err), "Meta reported (#%lld) %s", (long long)ev_int(ev, "errorCode"),
                 ev_str(ev, "errorTitle"));
        log_warn(LOG_MOD, "%s", err);
        store_channel_update_t u = {.enabled = -1, .error = err};
        state_note(w, &u);
        w->last_failed = true; /* the next accepted call records that it works again */
        event_done(j);
        return;
    }
    if (store_desk_customer_upsert(w->store, CHANNEL, ev_str(ev, "from"), ev_str(ev, "name"), "",
                                   on_customer, j) != 0)
        event_done(j);
}

/* Starts the queue's head unless one is being processed: one webhook at a time, so a node
 * stores a customer's messages in the order their webhooks arrived. */
static void process_start(wa_t *w)
{
    if (w->processing || w->queue == NULL)
        return;
    wa_job_t *j = w->queue;
    w->queue = j->queued_next;
    if (w->queue == NULL)
        w->queue_tail = &w->queue;
    w->processing = true;
    process_next(j);
}

/* Queues stored webhook `inbox_id` for processing (its events parsed now). */
static void process(wa_t *w, int64_t inbox_id, const char *body, size_t len)
{
    wa_job_t *j = job_new(w);
    j->inbox_id = inbox_id;
    j->events = json_array();
    if (wa_webhook_parse(body, len, w->conf->whatsapp_phone_number_id, collect, j->events) < 0)
        log_warn(LOG_MOD, "stored webhook %lld is not an envelope: skipped", (long long)inbox_id);
    *w->queue_tail = j;
    w->queue_tail = &j->queued_next;
    process_start(w);
}

/* ---- the webhook ---- */

static void on_stored(void *cbdata, int status, int64_t id)
{
    wa_job_t *j = cbdata;
    if (j->req != NULL) {
        if (status == 0)
            srv_http_send(j->req, 200, SRV_HTTP_JSON, "no-store", "{\"ok\":true}", 11);
        else /* Meta delivers again later */
            send_json_error(j->req, 503, "unavailable", "the event could not be stored");
    }
    if (!job_alive(j))
        return;
    if (status == 0) {
        store_channel_update_t u = {.enabled = -1, .event = true};
        state_note(j->w, &u);
        if (id > 0)
            process(j->w, id, j->body, strlen(j->body));
    }
    job_free(j);
}

static void count_event(const wa_event_t *ev, void *data)
{
    UNUSED(ev);
    UNUSED(data);
}

static void webhook_post(wa_t *w, h2o_req_t *req)
{
    ssize_t i = h2o_find_header_by_str(&req->headers, H2O_STRLIT("x-hub-signature-256"), -1);
    const char *sig = i >= 0 ? req->headers.entries[i].value.base : NULL;
    size_t sig_len = i >= 0 ? req->headers.entries[i].value.len : 0;
    int rc = wa_signature_check(w->conf->whatsapp_app_secret, req->entity.base, req->entity.len,
                                sig, sig_len);
    if (rc == -ENOENT) {
        send_json_error(req, 401, "signature_missing", "X-Hub-Signature-256 is required");
        return;
    }
    if (rc != 0) {
        send_json_error(req, 403, "signature_invalid",
                        "X-Hub-Signature-256 does not match the body");
        return;
    }
    if (req->entity.len > STORE_MAX_INBOX) {
        send_json_error(req, 413, "payload_too_large", "the webhook body is too large");
        return;
    }
    if (memchr(req->entity.base, '\0', req->entity.len) != NULL ||
        wa_webhook_parse(req->entity.base, req->entity.len, NULL, count_event, NULL) < 0) {
        send_json_error(req, 400, "invalid_body", "not a whatsapp_business_account webhook");
        return;
    }
    unsigned char hash[crypto_hash_sha256_BYTES];
    char key[2 * crypto_hash_sha256_BYTES + 1];
    crypto_hash_sha256(hash, (const unsigned char *)req->entity.base, req->entity.len);
    sodium_bin2hex(key, sizeof(key), hash, sizeof(hash));
    wa_job_t *j = job_new(w);
    j->req = req;
    j->req_slot = h2o_mem_alloc_shared(&req->pool, sizeof(*j->req_slot), on_req_dispose);
    *j->req_slot = j;
    j->body = xstrndup(req->entity.base, req->entity.len);
    rc = store_inbox_put(w->store, CHANNEL, key, j->body, on_stored, j);
    if (rc != 0) {
        send_json_error(req, 503, "unavailable", "the event could not be stored");
        job_free(j);
    }
}

/* The verification's state is written (or not: the challenge is answered anyway, the token was
 * right). */
static void on_verified_written(void *cbdata, int status, const store_channel_state_t *st)
{
    wa_job_t *j = cbdata;
    on_state_written(NULL, status, st);
    if (j->req != NULL)
        srv_http_send(j->req, 200, "text/plain; charset=utf-8", "no-store", j->body,
                      strlen(j->body));
    if (job_alive(j))
        job_free(j);
}

static void webhook_verify(wa_t *w, h2o_req_t *req)
{
    char mode[32], token[256], challenge[256];
    const char *q = req->query_at != SIZE_MAX ? req->path.base + req->query_at + 1 : "";
    size_t qlen = req->query_at != SIZE_MAX ? req->path.len - req->query_at - 1 : 0;
    int nm = srv_query_get(q, qlen, "hub.mode", mode, sizeof(mode));
    int nt = srv_query_get(q, qlen, "hub.verify_token", token, sizeof(token));
    int nc = srv_query_get(q, qlen, "hub.challenge", challenge, sizeof(challenge));
    if (nm < 0 || nt < 0 || nc <= 0 || strcmp(mode, "subscribe") != 0) {
        send_json_error(req, 400, "invalid_query",
                        "hub.mode=subscribe, hub.verify_token and hub.challenge are required");
        return;
    }
    const char *want = w->conf->whatsapp_verify_token;
    size_t wl = strlen(want);
    bool ok = (size_t)nt == wl && sodium_memcmp(token, want, wl) == 0;
    sodium_memzero(token, sizeof(token));
    if (!ok) {
        log_warn(LOG_MOD, "webhook verification with a wrong hub.verify_token");
        send_json_error(req, 403, "verify_token_invalid", "hub.verify_token does not match");
        return;
    }
    log_info(LOG_MOD, "webhook verified");
    /* answered once the state is written, so the admin page read after it says verified */
    wa_job_t *j = job_new(w);
    j->req = req;
    j->req_slot = h2o_mem_alloc_shared(&req->pool, sizeof(*j->req_slot), on_req_dispose);
    *j->req_slot = j;
    j->body = xstrndup(challenge, (size_t)nc);
    store_channel_update_t u = {.enabled = -1, .verified = true};
    if (store_channel_state_set(w->store, CHANNEL, &u, on_verified_written, j) != 0)
        on_verified_written(j, -EIO, NULL);
}

static int on_webhook(h2o_req_t *req, void *data)
{
    wa_t *w = data;
    h2o_iovec_t p = req->path_normalized;
    if (!h2o_memis(p.base, p.len, H2O_STRLIT(WEBHOOK_PATH))) {
        send_json_error(req, 404, "not_found", "no such endpoint");
        return 0;
    }
    if (h2o_memis(req->method.base, req->method.len, H2O_STRLIT("GET")))
        webhook_verify(w, req);
    else if (h2o_memis(req->method.base, req->method.len, H2O_STRLIT("POST")))
        webhook_post(w, req);
    else
        send_json_error(req, 405, "method_not_allowed", "GET (verification) or POST (events)");
    return 0;
}

/* ---- the outbox drain ---- */

/* POSTs j->payload to the messages endpoint; cb runs later exactly once, or -1 (no call). */
static int post_messages(wa_job_t *j, srv_outbound_cb cb)
{
    const char *headers[] = {j->w->auth, "Content-Type: application/json", NULL};
    srv_outbound_req_t req = {.method = "POST",
                              .url = j->w->messages_url,
                              .headers = headers,
                              .body = j->payload,
                              .body_len = strlen(j->payload),
                              .timeout_ms = SEND_TIMEOUT_MS};
    return srv_outbound_request(j->w->http, &req, cb, j);
}

static void drain_next(wa_job_t *j);
static void drain_send_text(wa_job_t *j);
static void drain_send_other(wa_job_t *j);

/* j->payload: the current entry's body as a text message. */
static void text_payload(wa_job_t *j)
{
    const store_outbox_item_t *it = j->items[j->cur];
    char opaque[48];
    snprintf(opaque, sizeof(opaque), OPAQUE_PREFIX "%lld", (long long)it->message_id);
    free(j->payload);
    j->payload = wa_body_text(it->external_id, it->body, opaque);
}
static void on_out_listed(void *cbdata, int status, const store_attachment_list_t *l);

static int64_t backoff_ms(int attempts, unsigned retry_after_s)
{
    int64_t ms = BACKOFF_MIN_MS;
    for (int i = 1; i < attempts && ms < BACKOFF_MAX_MS; i++)
        ms *= 2;
    if (ms > BACKOFF_MAX_MS)
        ms = BACKOFF_MAX_MS;
    if ((int64_t)retry_after_s * 1000 > ms)
        ms = (int64_t)retry_after_s * 1000;
    return ms + (int64_t)randombytes_uniform((uint32_t)(ms / 10 + 1)); /* a little jitter */
}

static void failed_for_good(wa_job_t *j, const store_outbox_item_t *it)
{
    const srv_channel_host_t *h = j->w->ch.host;
    if (it->kind != STORE_OUTBOX_MESSAGE) { /* no message to mark: the log and lastError say it */
        char err[STORE_MAX_ERROR + 1];
        snprintf(err, sizeof(err), "%s of service %lld not sent: %.400s",
                 it->kind == STORE_OUTBOX_RATING ? "rating request"
                 : it->kind == STORE_OUTBOX_READ ? "read receipt"
                                                 : "typing indicator",
                 (long long)it->service_id, j->error);
        log_warn(LOG_MOD, "%s", err);
        store_channel_update_t u = {.enabled = -1, .error = err};
        state_note(j->w, &u);
        return;
    }
    log_warn(LOG_MOD, "message %lld not sent: %s", (long long)it->message_id, j->error);
    h->on_status(h->data, &j->w->ch, it->service_id, it->message_id, 0, STORE_MSG_FAILED, j->error);
}

static void on_settled(void *cbdata, int status)
{
    wa_job_t *j = cbdata;
    if (!job_alive(j))
        return;
    const store_outbox_item_t *it = j->items[j->cur];
    if (status == 0 && j->error[0] != '\0' && (j->retry_ms < 0 || it->attempts >= MAX_ATTEMPTS))
        failed_for_good(j, it);
    else if (status != 0 && status != -ENOENT)
        log_warn(LOG_MOD, "could not settle outbox entry %lld (%d)", (long long)it->id, status);
    j->cur++;
    drain_next(j);
}

static void settle(wa_job_t *j, bool ok)
{
    const store_outbox_item_t *it = j->items[j->cur];
    /* a final refusal: max_attempts = the attempts made, so this settle fails it */
    int max = j->retry_ms < 0 ? it->attempts : MAX_ATTEMPTS;
    int64_t retry = j->retry_ms < 0 ? 0 : j->retry_ms;
    if (store_outbox_settle(j->w->store, it->id, ok, ok ? NULL : j->error, retry, max, on_settled,
                            j) != 0) {
        j->cur++;
        drain_next(j);
    }
}

/* Reads a send's answer into j->wamid / j->error (a transport failure says so). */
static wa_send_result_t job_send_result(wa_job_t *j, const srv_outbound_res_t *res)
{
    store_outbox_kind_t kind = j->items[j->cur]->kind;
    bool status_update = kind == STORE_OUTBOX_READ || kind == STORE_OUTBOX_TYPING;
    wa_send_result_t r =
        status_update
            ? wa_status_result(res->status, res->body, res->len, j->error, sizeof(j->error))
            : wa_send_result(res->status, res->body, res->len, j->wamid, sizeof(j->wamid), j->error,
                             sizeof(j->error));
    if (res->status == 0 && res->error[0] != '\0')
        snprintf(j->error, sizeof(j->error), "no answer from the Graph API: %s", res->error);
    return r;
}

/* The wamid of an accepted send is stored (or could not be: the settle still records the send,
 * so the entry is never sent again). */
static void log_wamid_store(const wa_job_t *j, int status)
{
    if (status != 0)
        log_warn(LOG_MOD, "could not store wamid %s (%d)", j->wamid, status);
}

static void on_wamid_stored(void *cbdata, int status)
{
    wa_job_t *j = cbdata;
    if (!job_alive(j))
        return;
    log_wamid_store(j, status);
    settle(j, true);
}

static void on_sent(void *cbdata, const srv_outbound_res_t *res)
{
    wa_job_t *j = cbdata;
    if (!job_alive(j))
        return;
    const store_outbox_item_t *it = j->items[j->cur];
    wa_send_result_t r = job_send_result(j, res);
    if (r == WA_SEND_OK) { /* a message's wamid first; the other kinds have nothing to store */
        j->error[0] = '\0';
        graph_outcome(j->w, NULL);
        if (it->kind != STORE_OUTBOX_MESSAGE ||
            store_desk_msg_set_external(j->w->store, it->message_id, j->wamid, on_wamid_stored,
                                        j) != 0)
            settle(j, true);
        return;
    }
    graph_outcome(j->w, j->error);
    j->retry_ms = r == WA_SEND_RETRY ? backoff_ms(it->attempts, res->retry_after_s) : -1;
    log_info(LOG_MOD, "%s entry %lld (message %lld, service %lld) attempt %d: %s",
             store_outbox_kind_name(it->kind), (long long)it->id, (long long)it->message_id,
             (long long)it->service_id, it->attempts, j->error);
    settle(j, false);
}

/* ---- outbound media: upload, then a media message per attachment ---- */

static void out_step(wa_job_t *j);

/* The Cloud API's message type for a stored content type: what Meta accepts as image, audio or
 * video, every other file as a document. */
static const char *out_wa_type(const char *ct)
{
    static const char *const image[] = {"image/jpeg", "image/png", NULL};
    static const char *const audio[] = {"audio/ogg", "audio/mpeg", "audio/mp4", "audio/aac", NULL};
    static const char *const video[] = {"video/mp4", "video/3gpp", NULL};
    static const char *const *const lists[] = {image, audio, video};
    static const char *const names[] = {"image", "audio", "video"};
    for (size_t l = 0; l < 3; l++)
        for (const char *const *t = lists[l]; *t != NULL; t++)
            if (strcmp(ct, *t) == 0)
                return names[l];
    return "document";
}

/* A step failed with j->error: before anything was accepted the entry is retried or failed as a
 * text would be; after, the rest is still sent but the accepted part is never sent again. */
static void out_failed(wa_job_t *j, wa_send_result_t r, unsigned retry_after_s)
{
    const store_outbox_item_t *it = j->items[j->cur];
    graph_outcome(j->w, j->error);
    log_info(LOG_MOD, "message %lld step %zu attempt %d: %s", (long long)it->message_id, j->step,
             it->attempts, j->error);
    if (!j->accepted) {
        j->retry_ms = r == WA_SEND_RETRY ? backoff_ms(it->attempts, retry_after_s) : -1;
        settle(j, false);
        return;
    }
    j->error[0] = '\0';
    j->step++;
    out_step(j);
}

static void on_out_external(void *cbdata, int status)
{
    wa_job_t *j = cbdata;
    if (!job_alive(j))
        return;
    log_wamid_store(j, status);
    j->step++;
    out_step(j);
}

static void on_out_sent(void *cbdata, const srv_outbound_res_t *res)
{
    wa_job_t *j = cbdata;
    if (!job_alive(j))
        return;
    const store_outbox_item_t *it = j->items[j->cur];
    wa_send_result_t r = job_send_result(j, res);
    if (r != WA_SEND_OK) {
        out_failed(j, r, res->retry_after_s);
        return;
    }
    j->error[0] = '\0';
    graph_outcome(j->w, NULL);
    if (!j->accepted) { /* the first accepted part: stored before anything else happens */
        j->accepted = true;
        if (store_desk_msg_set_external(j->w->store, it->message_id, j->wamid, on_out_external,
                                        j) == 0)
            return;
    }
    j->step++;
    out_step(j);
}

/* POSTs j->payload as the current step. */
static void out_post(wa_job_t *j)
{
    if (post_messages(j, on_out_sent) != 0) {
        snprintf(j->error, sizeof(j->error), "the request could not be started");
        out_failed(j, WA_SEND_RETRY, 0);
    }
}

static void on_out_uploaded(void *cbdata, const srv_outbound_res_t *res)
{
    wa_job_t *j = cbdata;
    if (!job_alive(j))
        return;
    const store_outbox_item_t *it = j->items[j->cur];
    const wa_out_att_t *a = &j->out[j->step - (j->text_first ? 1 : 0)];
    json_t *root = res->status == 200 ? json_loadb(res->body, res->len, 0, NULL) : NULL;
    const char *media_id = json_string_value(json_object_get(root, "id"));
    if (media_id == NULL || media_id[0] == '\0' || strlen(media_id) > WA_ID_MAX) {
        char wamid[WA_ID_MAX + 1];
        wa_send_result_t r =
            wa_send_result(res->status == 200 ? 500 : res->status, res->body, res->len, wamid,
                           sizeof(wamid), j->error, sizeof(j->error));
        if (res->status == 0 && res->error[0] != '\0')
            snprintf(j->error, sizeof(j->error), "no answer from the Graph API: %s", res->error);
        else if (res->status == 200)
            snprintf(j->error, sizeof(j->error), "the media upload returned no id");
        json_decref(root);
        out_failed(j, r, res->retry_after_s);
        return;
    }
    char opaque[48] = "";
    if (!j->accepted) /* statuses of the first accepted part find the message */
        snprintf(opaque, sizeof(opaque), OPAQUE_PREFIX "%lld", (long long)it->message_id);
    bool first = j->step == 0;
    free(j->payload);
    j->payload = wa_body_media(it->external_id, out_wa_type(a->type), media_id,
                               first ? it->body : NULL, a->name, opaque[0] ? opaque : NULL);
    json_decref(root);
    out_post(j);
}

/* The attachment's bytes, read: POST /{phone-number-id}/media (multipart) with them. */
static void out_upload(wa_job_t *j, const char *data, size_t len)
{
    const wa_out_att_t *a = &j->out[j->step - (j->text_first ? 1 : 0)];
    const char *headers[] = {j->w->auth, NULL};
    srv_outbound_part_t parts[] = {
        {.name = "messaging_product", .data = "whatsapp", .len = 8},
        {.name = "type", .data = a->type, .len = strlen(a->type)},
        {.name = "file", .data = data, .len = len, .filename = a->name, .type = a->type},
    };
    srv_outbound_req_t req = {.method = "POST",
                              .url = j->w->media_url,
                              .headers = headers,
                              .parts = parts,
                              .n_parts = 3,
                              .timeout_ms = 60000};
    if (srv_outbound_request(j->w->http, &req, on_out_uploaded, j) != 0) {
        snprintf(j->error, sizeof(j->error), "the upload could not be started");
        out_failed(j, WA_SEND_RETRY, 0);
    }
}

typedef struct st_out_read_t {
    uv_fs_t fs;
    uv_loop_t *loop;
    wa_job_t *j;
    uv_file fd;
    char *data;
    size_t len;
    int err;
} out_read_t;

static void on_out_read_closed(uv_fs_t *fs)
{
    out_read_t *r = fs->data;
    uv_fs_req_cleanup(fs);
    wa_job_t *j = r->j;
    if (job_alive(j)) {
        if (r->err == 0) {
            out_upload(j, r->data, r->len);
        } else {
            snprintf(j->error, sizeof(j->error), "the attachment could not be read: %s",
                     uv_strerror(r->err));
            out_failed(j, WA_SEND_REJECTED, 0);
        }
    }
    free(r->data);
    free(r);
}

static void out_read_close(out_read_t *r)
{
    r->fs.data = r;
    if (uv_fs_close(r->loop, &r->fs, r->fd, on_out_read_closed) != 0) {
        r->err = r->err != 0 ? r->err : -EIO;
        r->fs.result = 0;
        on_out_read_closed(&r->fs);
    }
}

static void on_out_read(uv_fs_t *fs)
{
    out_read_t *r = fs->data;
    ssize_t rc = fs->result;
    uv_fs_req_cleanup(fs);
    if (rc >= 0 && (size_t)rc != r->len)
        rc = -EIO; /* the stored file is shorter than its row says */
    r->err = rc < 0 ? (int)rc : 0;
    out_read_close(r);
}

static void on_out_opened(uv_fs_t *fs)
{
    out_read_t *r = fs->data;
    int rc = (int)fs->result;
    uv_fs_req_cleanup(fs);
    if (rc < 0) {
        r->err = rc;
        r->fs.result = 0;
        on_out_read_closed(&r->fs);
        return;
    }
    r->fd = rc;
    r->fs.data = r;
    uv_buf_t buf = uv_buf_init(r->data, (unsigned)r->len);
    if (uv_fs_read(r->loop, &r->fs, r->fd, &buf, 1, 0, on_out_read) != 0) {
        r->err = -EIO;
        out_read_close(r);
    }
}

/* The next step of the entry's media, or the settle after the last. */
static void out_step(wa_job_t *j)
{
    if (j->step >= j->n_steps) {
        settle(j, true);
        return;
    }
    if (j->text_first && j->step == 0) {
        text_payload(j);
        out_post(j);
        return;
    }
    const wa_out_att_t *a = &j->out[j->step - (j->text_first ? 1 : 0)];
    out_read_t *r = xcalloc(1, sizeof(*r));
    r->loop = j->w->loop;
    r->j = j;
    r->len = (size_t)a->size;
    r->data = xmalloc(r->len + 1);
    r->fs.data = r;
    if (uv_fs_open(r->loop, &r->fs, a->path, O_RDONLY | O_CLOEXEC, 0, on_out_opened) != 0) {
        r->err = -EIO;
        r->fs.result = 0;
        on_out_read_closed(&r->fs);
    }
}

static void on_out_listed(void *cbdata, int status, const store_attachment_list_t *l)
{
    wa_job_t *j = cbdata;
    if (!job_alive(j))
        return;
    const store_outbox_item_t *it = j->items[j->cur];
    if (status != 0) {
        snprintf(j->error, sizeof(j->error), "the attachments could not be read (%d)", status);
        j->retry_ms = backoff_ms(it->attempts, 0);
        settle(j, false);
        return;
    }
    if (l->count == 0) {
        text_payload(j);
        drain_send_text(j);
        return;
    }
    out_clear(j);
    j->out = xcalloc(l->count, sizeof(*j->out));
    for (size_t i = 0; i < l->count; i++) {
        wa_out_att_t *a = &j->out[j->n_out++];
        a->path = srv_media_path(j->w->media, &l->items[i], false);
        snprintf(a->type, sizeof(a->type), "%s", l->items[i].content_type);
        snprintf(a->name, sizeof(a->name), "%s", l->items[i].name);
        a->size = l->items[i].size;
    }
    const char *first = out_wa_type(j->out[0].type);
    j->text_first = it->body[0] != '\0' && strcmp(first, "audio") == 0;
    j->n_steps = j->n_out + (j->text_first ? 1 : 0);
    out_step(j);
}

static void drain_next(wa_job_t *j)
{
    wa_t *w = j->w;
    if (j->cur >= j->n_items) {
        bool full = j->n_items == DRAIN_BATCH;
        w->draining = false;
        job_free(j);
        if (full || w->again)
            drain_kick(w, 0);
        w->again = false;
        return;
    }
    const store_outbox_item_t *it = j->items[j->cur];
    j->error[0] = '\0';
    j->retry_ms = 0;
    out_clear(j);
    if (it->kind != STORE_OUTBOX_MESSAGE) {
        drain_send_other(j);
        return;
    }
    if (it->sent_id[0] != '\0') { /* accepted by an earlier attempt: never again */
        settle(j, true);
        return;
    }
    if (strncmp(it->client_msg_id, SRV_WHATSAPP_TEMPLATE_PREFIX,
                strlen(SRV_WHATSAPP_TEMPLATE_PREFIX)) == 0 &&
        w->tpl_name[0] != '\0') {
        char opaque[48];
        snprintf(opaque, sizeof(opaque), OPAQUE_PREFIX "%lld", (long long)it->message_id);
        free(j->payload);
        j->payload = wa_body_template(it->external_id, w->tpl_name, w->tpl_lang, opaque);
    } else if (w->media != NULL && store_attachment_list(w->store, STORE_ATT_DESK, &it->message_id,
                                                         1, on_out_listed, j) == 0) {
        return; /* its attachments (if any) decide */
    } else {
        text_payload(j);
    }
    drain_send_text(j);
}

/* POSTs j->payload (a text or template, or an entry of another kind) as the entry's one call. */
static void drain_send_text(wa_job_t *j)
{
    const store_outbox_item_t *it = j->items[j->cur];
    if (post_messages(j, on_sent) != 0) {
        snprintf(j->error, sizeof(j->error), "the request could not be started");
        j->retry_ms = backoff_ms(it->attempts, 0);
        settle(j, false);
    }
}

/* An entry of another kind: the rating list (with the entry's opaque id, so its "sent" status
 * settles it if a crash hid Meta's answer), a read receipt or a typing indicator of the wamid in
 * its payload. */
static void drain_send_other(wa_job_t *j)
{
    const store_outbox_item_t *it = j->items[j->cur];
    free(j->payload);
    if (it->kind == STORE_OUTBOX_RATING) {
        char opaque[48];
        snprintf(opaque, sizeof(opaque), OUTBOX_OPAQUE "%lld", (long long)it->id);
        j->payload = wa_body_rating(it->external_id, it->service_id, opaque);
    } else if (it->kind == STORE_OUTBOX_READ) {
        j->payload = wa_body_read(it->payload);
    } else {
        j->payload = wa_body_typing(it->payload);
    }
    drain_send_text(j);
}

static store_outbox_item_t *item_dup(const store_outbox_item_t *it)
{
    size_t a = strlen(it->channel) + 1, b = strlen(it->external_id) + 1, c = strlen(it->body) + 1,
           d = strlen(it->sent_id) + 1, e = strlen(it->client_msg_id) + 1,
           f = strlen(it->payload) + 1;
    store_outbox_item_t *o = xmalloc(sizeof(*o) + a + b + c + d + e + f);
    char *p = (char *)(o + 1);
    *o = *it;
    o->channel = memcpy(p, it->channel, a);
    o->external_id = memcpy(p += a, it->external_id, b);
    o->body = memcpy(p += b, it->body, c);
    o->sent_id = memcpy(p += c, it->sent_id, d);
    o->client_msg_id = memcpy(p += d, it->client_msg_id, e);
    o->payload = memcpy(p += e, it->payload, f);
    return o;
}

static void on_claimed(void *cbdata, int status, const store_outbox_list_t *l)
{
    wa_job_t *j = cbdata;
    if (!job_alive(j))
        return;
    if (status != 0) {
        j->w->draining = false;
        job_free(j);
        return;
    }
    j->items = xcalloc(l->count + 1, sizeof(*j->items));
    for (size_t i = 0; i < l->count; i++)
        j->items[i] = item_dup(&l->items[i]);
    j->n_items = l->count;
    drain_next(j);
}

static void on_drain_timer(uv_timer_t *t)
{
    wa_t *w = t->data;
    if (w->draining) {
        w->again = true;
        return;
    }
    wa_job_t *j = job_new(w);
    w->draining = true;
    if (store_outbox_claim(w->store, CHANNEL, LEASE_MS, DRAIN_BATCH, on_claimed, j) != 0) {
        w->draining = false;
        job_free(j);
    }
}

static void drain_kick(wa_t *w, uint64_t delay_ms)
{
    if (!uv_is_closing((uv_handle_t *)&w->timer))
        uv_timer_start(&w->timer, on_drain_timer, delay_ms, DRAIN_EVERY_MS);
}

/* ---- outbox entries of other kinds: rating request, read receipt, typing ---- */

static void on_entry_put(void *cbdata, int status, int64_t id)
{
    wa_job_t *j = cbdata;
    if (!job_alive(j))
        return;
    if (status != 0)
        log_warn(LOG_MOD, "could not queue the %s of service %lld (%d)",
                 store_outbox_kind_name((store_outbox_kind_t)j->n[2]), (long long)j->n[0], status);
    else if (id > 0)
        drain_kick(j->w, 0);
    job_free(j);
}

/* Writes the job's entry (kind n[2], service n[0]); the job ends with it. */
static void entry_put(wa_job_t *j, const char *payload, const char *key, int64_t expires_at)
{
    store_outbox_entry_t e = {.channel = CHANNEL,
                              .kind = (store_outbox_kind_t)j->n[2],
                              .service_id = j->n[0],
                              .payload = payload,
                              .dedupe_key = key,
                              .expires_at = expires_at};
    if (store_outbox_put(j->w->store, &e, on_entry_put, j) != 0)
        on_entry_put(j, -EIO, 0);
}

/* The customer's messages, newest first: the newest inbound one of the service (up to seq n[1],
 * 0: any) carries the wamid a read receipt or typing indicator names. */
static void on_recent(void *cbdata, int status, const store_desk_msg_list_t *l)
{
    wa_job_t *j = cbdata;
    if (!job_alive(j))
        return;
    const char *wamid = NULL;
    for (size_t i = 0; status == 0 && i < l->count && wamid == NULL; i++) {
        const store_desk_msg_t *m = &l->items[i];
        if (m->service_id == j->n[0] && m->direction == STORE_DESK_IN &&
            (j->n[1] == 0 || m->seq <= j->n[1]) && m->client_msg_id[0] != '\0')
            wamid = m->client_msg_id;
    }
    if (wamid == NULL) { /* nothing the customer sent to mark */
        job_free(j);
        return;
    }
    if (j->n[2] == STORE_OUTBOX_READ) {
        char key[STORE_MAX_OUTBOX_KEY + 1];
        snprintf(key, sizeof(key), "read:%s", wamid); /* each message is marked once */
        entry_put(j, wamid, key, 0);
    } else {
        entry_put(j, wamid, NULL, (int64_t)time_now_ms() + j->w->typing_ttl_ms);
    }
}

/* A read receipt (up_to > 0) or typing indicator (kind) for the newest inbound message. */
static void entry_for_last_inbound(wa_t *w, store_outbox_kind_t kind, int64_t customer_id,
                                   int64_t service_id, int64_t up_to)
{
    wa_job_t *j = job_new(w);
    j->n[0] = service_id;
    j->n[1] = up_to;
    j->n[2] = kind;
    if (store_desk_customer_messages(w->store, customer_id, 0, LOOKBACK_MSGS, on_recent, j) != 0)
        job_free(j);
}

/* ---- inbound media: into the attachment store ---- */

static void on_tmp_unlinked(uv_fs_t *fs)
{
    uv_fs_req_cleanup(fs);
    free(fs);
}

/* Removes a temporary file we wrote (asynchronously; an error is only left behind). */
static void tmp_unlink(uv_loop_t *loop, const char *path)
{
    uv_fs_t *fs = xmalloc(sizeof(*fs));
    if (uv_fs_unlink(loop, fs, path, on_tmp_unlinked) != 0)
        free(fs);
}

/* The end of an inbound medium's way: the desk message is stored with attachment `att_id`
 * (> 0), or, if the medium could not be kept, with its text and `why` appended, so the webhook
 * still lands and the attendant knows a file was sent. */
static void media_inbound_done(wa_job_t *j, int64_t att_id, const char *why)
{
    json_t *ev = json_array_get(j->events, j->idx);
    const srv_channel_host_t *h = j->w->ch.host;
    char *body = NULL;
    if (why != NULL) {
        log_warn(LOG_MOD, "media of %s not stored: %s", ev_str(ev, "id"), why);
        buf_t b = BUF_INIT;
        buf_printf(&b, "%s\n(the %s could not be kept: %s)", ev_str(ev, "body"), ev_str(ev, "type"),
                   why);
        body = buf_steal(&b, NULL);
    }
    h->on_inbound(h->data, &j->w->ch, j->n[1], body != NULL ? body : ev_str(ev, "body"),
                  ev_str(ev, "id"), att_id > 0 ? &att_id : NULL, att_id > 0 ? 1 : 0,
                  on_inbound_done, j);
    free(body);
}

static void on_media_stored(void *cbdata, int status, const store_attachment_t *att)
{
    wa_job_t *j = cbdata;
    if (!job_alive(j))
        return;
    if (status == 0)
        media_inbound_done(j, att->id, NULL);
    else
        media_inbound_done(j, 0,
                           status == -EFBIG     ? "it is larger than the size limit"
                           : status == -ENOTSUP ? "its file type is not allowed"
                                                : "the attachment store failed");
}

/* The bytes are in the temporary file `path`: the store takes it (and removes it). */
static void media_store(wa_job_t *j, const char *path)
{
    json_t *ev = json_array_get(j->events, j->idx);
    char name[64];
    const char *claimed = ev_str(ev, "filename");
    if (claimed[0] == '\0') {
        snprintf(name, sizeof(name), "whatsapp-%.40s", ev_str(ev, "type"));
        claimed = name;
    }
    srv_media_owner_t who = {.customer_id = j->n[1]};
    if (srv_media_store_file(j->w->media, path, claimed, &who, on_media_stored, j) != 0) {
        tmp_unlink(j->w->loop, path);
        media_inbound_done(j, 0, "the attachment store failed");
    }
}

typedef struct st_media_write_t {
    uv_fs_t fs;
    uv_loop_t *loop;
    wa_job_t *j;
    char *path;
    char *data;
    size_t len;
    uv_file fd;
    int err; /* of the write, reported after the close */
} media_write_t;

static void media_write_end(media_write_t *m, int status)
{
    wa_job_t *j = m->j;
    if (status < 0 || j->w == NULL)
        tmp_unlink(m->loop, m->path);
    if (job_alive(j)) {
        if (status < 0)
            media_inbound_done(j, 0, "it could not be written to disk");
        else
            media_store(j, m->path);
    }
    free(m->path);
    free(m->data);
    free(m);
}

static void on_media_closed(uv_fs_t *fs)
{
    media_write_t *m = fs->data;
    int rc = (int)fs->result;
    uv_fs_req_cleanup(fs);
    media_write_end(m, m->err < 0 ? m->err : rc);
}

/* Closes the file, then ends with m->err (or the close's error). */
static void media_write_close(media_write_t *m)
{
    m->fs.data = m;
    if (uv_fs_close(m->loop, &m->fs, m->fd, on_media_closed) != 0)
        media_write_end(m, m->err < 0 ? m->err : -EIO);
}

static void on_media_written(uv_fs_t *fs)
{
    media_write_t *m = fs->data;
    ssize_t rc = fs->result;
    uv_fs_req_cleanup(fs);
    if (rc >= 0 && (size_t)rc != m->len)
        rc = -EIO; /* a regular file takes it whole, or the disk is full */
    m->err = rc < 0 ? (int)rc : 0;
    media_write_close(m);
}

static void on_media_opened(uv_fs_t *fs)
{
    media_write_t *m = fs->data;
    int rc = (int)fs->result;
    uv_fs_req_cleanup(fs);
    if (rc < 0) {
        media_write_end(m, rc);
        return;
    }
    m->fd = rc;
    m->fs.data = m;
    uv_buf_t buf = uv_buf_init(m->data, (unsigned)m->len);
    if (uv_fs_write(m->loop, &m->fs, m->fd, &buf, 1, 0, on_media_written) != 0) {
        m->err = -EIO;
        media_write_close(m);
    }
}

/* The bytes of the inbound medium, fetched from Meta (borrowed): into a private temporary file
 * under the store's tmp/, then srv_media_store_file (type from the bytes, the limits). */
static void media_fetched(wa_job_t *j, const char *bytes, size_t len)
{
    media_write_t *m = xcalloc(1, sizeof(*m));
    uint8_t rnd[12];
    char hex[sizeof(rnd) * 2 + 1];
    randombytes_buf(rnd, sizeof(rnd));
    sodium_bin2hex(hex, sizeof(hex), rnd, sizeof(rnd));
    buf_t b = BUF_INIT;
    buf_printf(&b, "%s/tmp/wa-%s", srv_media_dir(j->w->media), hex);
    m->path = buf_steal(&b, NULL);
    m->loop = j->w->loop;
    m->j = j;
    m->data = xmalloc(len + 1);
    memcpy(m->data, bytes, len);
    m->len = len;
    m->fs.data = m;
    if (uv_fs_open(m->loop, &m->fs, m->path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600,
                   on_media_opened) != 0) {
        m->j = NULL;
        free(m->path);
        free(m->data);
        free(m);
        media_inbound_done(j, 0, "it could not be written to disk");
    }
}

static void on_media_bytes(void *cbdata, const srv_outbound_res_t *res)
{
    wa_job_t *j = cbdata;
    if (!job_alive(j))
        return;
    if (res->status == 200) {
        media_fetched(j, res->body, res->len);
        return;
    }
    char why[160];
    if (res->status == 0 && strcmp(res->error, "too large") == 0)
        snprintf(why, sizeof(why), "it is larger than %d MiB", MEDIA_MAX_BYTES >> 20);
    else
        snprintf(why, sizeof(why), "Meta's media server answered %d %.100s", res->status,
                 res->error);
    media_inbound_done(j, 0, why);
}

static void on_media_meta(void *cbdata, const srv_outbound_res_t *res)
{
    wa_job_t *j = cbdata;
    if (!job_alive(j))
        return;
    json_t *root = res->status == 200 ? json_loadb(res->body, res->len, 0, NULL) : NULL;
    const char *url = json_string_value(json_object_get(root, "url"));
    const char *headers[] = {j->w->auth, NULL};
    srv_outbound_req_t req = {.method = "GET",
                              .url = url,
                              .headers = headers,
                              .timeout_ms = 60000,
                              .max_bytes = MEDIA_MAX_BYTES,
                              .follow = true};
    if (url == NULL || srv_outbound_request(j->w->http, &req, on_media_bytes, j) != 0) {
        char why[64];
        snprintf(why, sizeof(why), "Meta gave no media URL (HTTP %d)", res->status);
        media_inbound_done(j, 0, why);
    }
    json_decref(root);
}

/* An inbound medium of customer `customer_id` (the processing job's event): GET /{media-id}
 * for its URL, then the bytes with the token, then the attachment store, then the desk. */
static void media_fetch(wa_job_t *j, int64_t customer_id)
{
    json_t *ev = json_array_get(j->events, j->idx);
    const char *media_id = ev_str(ev, "media");
    j->n[1] = customer_id;
    free(j->url);
    size_t n = strlen(j->w->graph) + strlen(media_id) + 1;
    j->url = xmalloc(n);
    snprintf(j->url, n, "%s%s", j->w->graph, media_id);
    const char *headers[] = {j->w->auth, NULL};
    srv_outbound_req_t req = {.method = "GET", .url = j->url, .headers = headers};
    if (strspn(media_id, "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ._-") !=
        strlen(media_id))
        media_inbound_done(j, 0, "its media id is not URL-safe");
    else if (srv_outbound_request(j->w->http, &req, on_media_meta, j) != 0)
        media_inbound_done(j, 0, "the request could not be started");
}

void srv_whatsapp_set_media(srv_channel_t *wa, srv_media_t *media)
{
    W(wa)->media = media;
}

/* ---- the vtable ---- */

static void wa_deliver(srv_channel_t *ch, const store_service_t *svc, const store_desk_msg_t *msg)
{
    if (svc->customer_id > 0 && msg->direction == STORE_DESK_OUT)
        drain_kick(W(ch), 0); /* the entry was written with the message */
}

/* At most one typing entry per service per TYPING_EVERY_MS (true: write one now). */
static bool typing_due(wa_t *w, int64_t service_id, int64_t now)
{
    size_t oldest = 0;
    for (size_t i = 0; i < TYPING_SLOTS; i++) {
        if (w->typing[i].service_id == service_id) {
            if (now - w->typing[i].at < TYPING_EVERY_MS)
                return false;
            w->typing[i].at = now;
            return true;
        }
        if (w->typing[i].at < w->typing[oldest].at)
            oldest = i;
    }
    w->typing[oldest].service_id = service_id;
    w->typing[oldest].at = now;
    return true;
}

static void wa_typing(srv_channel_t *ch, int64_t customer_id, int64_t service_id, bool typing)
{
    wa_t *w = W(ch);
    /* Meta has no "stopped typing": the indicator ends with the answer or after 25 s */
    if (typing && typing_due(w, service_id, (int64_t)time_now_ms()))
        entry_for_last_inbound(w, STORE_OUTBOX_TYPING, customer_id, service_id, 0);
}

static void wa_rating_request(srv_channel_t *ch, const store_service_t *svc)
{
    wa_t *w = W(ch);
    int64_t now = (int64_t)time_now_ms();
    if (svc->customer_external_id == NULL || svc->customer_external_id[0] == '\0')
        return;
    int64_t closes = svc->last_inbound_at + SRV_WHATSAPP_WINDOW_MS;
    if (closes <= now) {
        log_info(LOG_MOD, "service %lld: no rating request outside the 24-hour window",
                 (long long)svc->id);
        return;
    }
    /* once per service (the key), and not after the window closes (Meta would refuse it) */
    wa_job_t *j = job_new(w);
    char key[48];
    snprintf(key, sizeof(key), "rating:%lld", (long long)svc->id);
    j->n[0] = svc->id;
    j->n[2] = STORE_OUTBOX_RATING;
    entry_put(j, NULL, key, closes);
}

static void wa_receipt(srv_channel_t *ch, int64_t customer_id, int64_t service_id, int64_t seq,
                       store_msg_state_t state)
{
    if (state == STORE_MSG_READ && seq > 0)
        entry_for_last_inbound(W(ch), STORE_OUTBOX_READ, customer_id, service_id, seq);
}

static json_t *state_json(const wa_t *w, const store_channel_state_t *st)
{
    bool connected = st->enabled && (st->last_ok_at > 0 || st->last_error_at == 0) &&
                     st->last_ok_at >= st->last_error_at;
    return json_pack(
        "{s:s,s:s,s:b,s:b,s:b,s:b,s:o,s:o,s:o,s:o,s:s,s:o}", "id", CHANNEL, "name", "WhatsApp",
        "configured", 1, "enabled", st->enabled, "connected", connected, "webhookVerified",
        st->verified_at > 0, "lastEventAt",
        st->last_event_at > 0 ? json_integer(st->last_event_at) : json_null(), "lastError",
        st->last_error[0] != '\0' ? json_string(st->last_error) : json_null(), "lastErrorAt",
        st->last_error_at > 0 ? json_integer(st->last_error_at) : json_null(), "lastOkAt",
        st->last_ok_at > 0 ? json_integer(st->last_ok_at) : json_null(), "phoneNumberId",
        w->conf->whatsapp_phone_number_id, "template",
        w->tpl_name[0] != '\0' ? json_string(w->tpl_name) : json_null());
}

typedef struct st_state_job_t {
    wa_t *w;
    srv_channel_state_done done;
    void *cbdata;
} state_job_t;

static void on_state(void *cbdata, int status, const store_channel_state_t *st)
{
    state_job_t *sj = cbdata;
    json_t *obj = status == 0 ? state_json(sj->w, st) : NULL;
    sj->done(sj->cbdata, status, obj);
    json_decref(obj);
    free(sj);
}

static void wa_describe(srv_channel_t *ch, srv_channel_state_done done, void *cbdata)
{
    state_job_t *sj = xcalloc(1, sizeof(*sj));
    *sj = (state_job_t){W(ch), done, cbdata};
    int rc = store_channel_state(W(ch)->store, CHANNEL, on_state, sj);
    if (rc != 0) {
        free(sj);
        done(cbdata, rc, NULL);
    }
}

static void wa_set_enabled(srv_channel_t *ch, bool enabled, srv_channel_state_done done,
                           void *cbdata)
{
    state_job_t *sj = xcalloc(1, sizeof(*sj));
    *sj = (state_job_t){W(ch), done, cbdata};
    store_channel_update_t u = {.enabled = enabled ? 1 : 0};
    int rc = store_channel_state_set(W(ch)->store, CHANNEL, &u, on_state, sj);
    if (rc != 0) {
        free(sj);
        done(cbdata, rc, NULL);
        return;
    }
    log_info(LOG_MOD, "session %s by an admin", enabled ? "started" : "ended");
    if (enabled)
        drain_kick(W(ch), 0);
}

static void on_timer_closed(uv_handle_t *h)
{
    free(h->data);
}

static void wa_free(srv_channel_t *ch)
{
    wa_t *w = W(ch);
    for (wa_job_t *j = w->queue; j != NULL;) { /* never started: no callback will free them */
        wa_job_t *next = j->queued_next;
        job_free(j);
        j = next;
    }
    w->queue = NULL;
    for (wa_job_t *j = w->jobs; j != NULL; j = j->next)
        j->w = NULL;
    w->jobs = NULL;
    srv_outbound_free(w->http); /* the cancelled callbacks find their jobs orphaned */
    sodium_memzero(w->auth, strlen(w->auth));
    free(w->auth);
    free(w->graph);
    free(w->messages_url);
    free(w->media_url);
    uv_timer_stop(&w->timer);
    uv_close((uv_handle_t *)&w->timer, on_timer_closed);
}

static const srv_channel_ops_t wa_ops = {
    .name = CHANNEL,
    .caps = SRV_CHANNEL_CAP_OUTBOX | SRV_CHANNEL_CAP_RECEIPTS | SRV_CHANNEL_CAP_RATING |
            SRV_CHANNEL_CAP_TYPING,
    .deliver = wa_deliver,
    .typing = wa_typing,
    .rating_request = wa_rating_request,
    .receipt = wa_receipt,
    .free = wa_free,
    .window_ms = SRV_WHATSAPP_WINDOW_MS,
    .describe = wa_describe,
    .set_enabled = wa_set_enabled,
};

/* ---- life ---- */

int srv_whatsapp_new(uv_loop_t *loop, const srv_config_t *conf, store_t *store,
                     const srv_channel_host_t *host, srv_channel_t **out)
{
    *out = NULL;
    if (conf->whatsapp_phone_number_id == NULL)
        return 0;
    char *token = conf->whatsapp_token_file != NULL
                      ? srv_read_secret_file(conf->whatsapp_token_file, 1, TOKEN_MAX)
                  : conf->whatsapp_token != NULL ? xstrdup(conf->whatsapp_token)
                                                 : NULL;
    const char *missing = token == NULL                         ? "--whatsapp-token (or its file)"
                          : conf->whatsapp_app_secret == NULL   ? "--whatsapp-app-secret"
                          : conf->whatsapp_verify_token == NULL ? "--whatsapp-verify-token"
                                                                : NULL;
    if (missing != NULL) {
        log_error(LOG_MOD, "--whatsapp-phone-number-id needs %s", missing);
        free(token);
        return -EINVAL;
    }
    for (const char *p = token; *p != '\0'; p++) {
        if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f) {
            log_error(LOG_MOD, "the WhatsApp token must be printable ASCII");
            sodium_memzero(token, strlen(token));
            free(token);
            return -EINVAL;
        }
    }
    wa_t *w = xcalloc(1, sizeof(*w));
    w->http = srv_outbound_new(loop);
    if (w->http == NULL) {
        log_error(LOG_MOD, "libcurl could not start");
        free(token);
        free(w);
        return -EINVAL;
    }
    w->ch.ops = &wa_ops;
    w->ch.host = host;
    w->ch.impl = w;
    w->loop = loop;
    w->store = store;
    w->conf = conf;
    buf_t b = BUF_INIT;
    buf_printf(&b, "Authorization: Bearer %s", token);
    w->auth = buf_steal(&b, NULL);
    sodium_memzero(token, strlen(token));
    free(token);
    const char *g = conf->whatsapp_graph_url;
    size_t gl = strlen(g);
    while (gl > 0 && g[gl - 1] == '/')
        gl--;
    buf_printf(&b, "%.*s/%s/", (int)gl, g, conf->whatsapp_api_version);
    w->graph = buf_steal(&b, NULL);
    buf_printf(&b, "%s%s/messages", w->graph, conf->whatsapp_phone_number_id);
    w->messages_url = buf_steal(&b, NULL);
    buf_printf(&b, "%s%s/media", w->graph, conf->whatsapp_phone_number_id);
    w->media_url = buf_steal(&b, NULL);
    if (conf->whatsapp_template != NULL) {
        const char *colon = strchr(conf->whatsapp_template, ':');
        size_t nl = colon != NULL ? (size_t)(colon - conf->whatsapp_template)
                                  : strlen(conf->whatsapp_template);
        snprintf(w->tpl_name, sizeof(w->tpl_name), "%.*s", (int)nl, conf->whatsapp_template);
        snprintf(w->tpl_lang, sizeof(w->tpl_lang), "%s", colon != NULL ? colon + 1 : "en_US");
    }
    w->typing_ttl_ms = TYPING_TTL_MS;
    const char *ttl = getenv("SIOC_TEST_WA_TYPING_TTL_MS"); /* tests only (docs/desk.md) */
    if (ttl != NULL && atoll(ttl) > 0 && atoll(ttl) < TYPING_TTL_MS) {
        w->typing_ttl_ms = atoll(ttl);
        log_warn(LOG_MOD, "typing indicators expire after %lld ms (SIOC_TEST_WA_TYPING_TTL_MS)",
                 (long long)w->typing_ttl_ms);
    }
    uv_timer_init(loop, &w->timer);
    w->timer.data = w;
    w->queue_tail = &w->queue;
    *out = &w->ch;
    return 0;
}

int srv_whatsapp_register_routes(srv_channel_t *wa, srv_http_t *http)
{
    return srv_http_add_handler(http, "/v1/api/whatsapp", on_webhook, W(wa));
}

static void on_pending(void *cbdata, int status, const store_inbox_list_t *l)
{
    wa_job_t *j = cbdata;
    if (!job_alive(j))
        return;
    if (status == 0 && l->count > 0)
        log_info(LOG_MOD, "processing %zu stored webhook(s) left unprocessed", l->count);
    for (size_t i = 0; status == 0 && i < l->count; i++)
        process(j->w, l->items[i].id, l->items[i].body, strlen(l->items[i].body));
    if (status == 0 && l->count == STORE_MAX_LIST) { /* more: the next page */
        int64_t after = l->items[l->count - 1].id;
        wa_job_t *next = job_new(j->w);
        if (store_inbox_pending(j->w->store, CHANNEL, after, STORE_MAX_LIST, on_pending, next) != 0)
            job_free(next);
    }
    job_free(j);
}

/* The WhatsApp services finished lately: their rating entries are put again, a no-op (the dedupe
 * key) for those that have one, the request for those a crash left without. */
static void on_recently_finished(void *cbdata, int status, const store_service_list_t *l)
{
    wa_job_t *j = cbdata;
    if (!job_alive(j))
        return;
    int64_t since = (int64_t)time_now_ms() - RATING_SWEEP_MS;
    for (size_t i = 0; status == 0 && i < l->count; i++)
        if (l->items[i].finished_at >= since && l->items[i].rating == 0)
            wa_rating_request(&j->w->ch, &l->items[i]);
    job_free(j);
}

void srv_whatsapp_start(srv_channel_t *wa)
{
    wa_t *w = W(wa);
    wa_job_t *j = job_new(w);
    if (store_inbox_pending(w->store, CHANNEL, 0, STORE_MAX_LIST, on_pending, j) != 0)
        job_free(j);
    store_service_filter_t f = {.status = 2, .channel = CHANNEL, .limit = 200}; /* newest first */
    j = job_new(w);
    if (store_desk_service_list(w->store, &f, on_recently_finished, j) != 0)
        job_free(j);
    drain_kick(w, 0);
    log_info(LOG_MOD, "channel on: phone number id %s, %s", w->conf->whatsapp_phone_number_id,
             w->graph);
}

const char *srv_whatsapp_template(const srv_channel_t *wa, const char **lang)
{
    const wa_t *w = wa->impl;
    if (w->tpl_name[0] == '\0')
        return NULL;
    if (lang != NULL)
        *lang = w->tpl_lang;
    return w->tpl_name;
}
