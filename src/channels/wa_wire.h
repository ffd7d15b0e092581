/* wa_wire.h - the WhatsApp Cloud API's wire format, without I/O (wa_wire.c), private to
 * src/channels: the webhook signature (X-Hub-Signature-256), the webhook envelope turned into
 * events (inbound messages of every type with the contact's profile name, statuses with their
 * error), the bodies of the send calls (text, template, media, the rating list, read receipts
 * and typing indicators) and the reading of their answers (the wamid, or an error that is retried
 * or final). Fuzzed by tests/fuzz/fuzz_wa_webhook.c, unit-tested by tests/src/test_wa_wire.c. */
#ifndef SIOC_SRC_CHANNELS_WA_WIRE_H
#define SIOC_SRC_CHANNELS_WA_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#define WA_BODY_MAX      4000 /* characters of a desk message made from an inbound one */
#define WA_ID_MAX        200  /* wamid, wa_id, media id */
#define WA_RATING_PREFIX "rate:"

/** Checks `header` (the X-Hub-Signature-256 value, NULL if absent) against the HMAC-SHA256 of the
 * raw body with `secret`, in constant time. 0 ok, -ENOENT no header, -EBADMSG malformed,
 * -EPERM mismatch. */
int wa_signature_check(const char *secret, const void *body, size_t len, const char *header,
                       size_t header_len);
/** "sha256=" + hex HMAC-SHA256 of body (72 bytes with the NUL): what Meta sends. */
void wa_signature_make(const char *secret, const void *body, size_t len, char out[72]);

typedef enum en_wa_event_kind_t {
    WA_EVENT_MESSAGE = 1, /* a customer message */
    WA_EVENT_STATUS,      /* sent / delivered / read / failed of one of ours */
    WA_EVENT_ERROR,       /* an app- or account-level error Meta reports (value.errors) */
} wa_event_kind_t;

/** One event of a webhook. Strings are borrowed from the parsed JSON (valid during the callback)
 * or from the struct's own buffers. */
typedef struct st_wa_event_t {
    wa_event_kind_t kind;
    const char *id;                 /* the wamid */
    const char *from;               /* MESSAGE: the customer's wa_id; STATUS: recipient_id */
    const char *name;               /* MESSAGE: the contact's profile name ("" if none) */
    const char *type;               /* MESSAGE: text, image, audio, ... (as sent) */
    char body[WA_BODY_MAX * 4 + 1]; /* MESSAGE: what the desk shows (UTF-8, cut to WA_BODY_MAX) */
    const char *media_id;           /* MESSAGE: image/audio/video/document/sticker, else NULL */
    const char *mime_type;          /* MESSAGE: of the media ("" if none) */
    const char *filename;           /* MESSAGE: a document's file name ("" if none) */
    int64_t rating_service;         /* MESSAGE: a list reply to our rating list: the service */
    int rating;                     /* ... and the rating 1..5 (0: not a rating reply) */
    const char *status;             /* STATUS: sent, delivered, read, failed */
    const char *opaque;             /* STATUS: biz_opaque_callback_data ("" if none) */
    int64_t error_code;             /* STATUS failed, ERROR: errors[0].code */
    const char *error_title;        /* STATUS failed, ERROR: errors[0].title or message ("") */
    int64_t timestamp;              /* seconds, 0 if absent */
} wa_event_t;

typedef void (*wa_event_cb)(const wa_event_t *ev, void *data);

/** Parses a webhook body: the whatsapp_business_account envelope (entry[].changes[] with field
 * "messages"), calling `cb` for each message and status in order; malformed items are skipped.
 * `phone_number_id` (may be NULL) skips changes of another number. Returns the number of events,
 * or -EBADMSG if the body is not JSON or not such an envelope. */
int wa_webhook_parse(const char *body, size_t len, const char *phone_number_id, wa_event_cb cb,
                     void *data);

/** The body of a send call (free() it): a text message to `to`, with `opaque` as
 * biz_opaque_callback_data (echoed in its statuses). */
char *wa_body_text(const char *to, const char *text, const char *opaque);
/** A template message (`lang` NULL: en_US). */
char *wa_body_template(const char *to, const char *name, const char *lang, const char *opaque);
/** A media message (`type` image, audio, video, document or sticker) of a medium uploaded with
 * POST /{phone-number-id}/media (`media_id`); caption (image, video, document) and filename
 * (document) may be NULL. For the attachment store's outbound messages. */
char *wa_body_media(const char *to, const char *type, const char *media_id, const char *caption,
                    const char *filename, const char *opaque);
/** The rating request after a finished service: an interactive list of 1..5 whose row ids are
 * "rate:<service id>:<n>" (`opaque` as in wa_body_text, may be NULL). */
char *wa_body_rating(const char *to, int64_t service_id, const char *opaque);

/** Marks the customer's message `wamid` (and the earlier ones) read: the blue ticks
 * ({"messaging_product":"whatsapp","status":"read","message_id":...}, Meta's "mark messages as
 * read"). */
char *wa_body_read(const char *wamid);
/** The same with a typing indicator (Meta shows it until the answer, at most 25 s). */
char *wa_body_typing(const char *wamid);

/** What a send call's answer means. */
typedef enum en_wa_send_result_t {
    WA_SEND_OK = 0,   /* accepted: wamid set */
    WA_SEND_RETRY,    /* 429, 5xx, network, Meta's throttling and transient codes */
    WA_SEND_REJECTED, /* a final refusal (4xx): retrying cannot help */
} wa_send_result_t;

/** Reads an answer (`status` 0: no response; `body` the response). Fills `wamid` on OK, else a
 * one-line `error` ("HTTP 400 (#131047) Re-engagement message"). */
wa_send_result_t wa_send_result(int status, const char *body, size_t len, char *wamid,
                                size_t wamid_size, char *error, size_t error_size);

/** Reads the answer of a status update (read, typing): OK on a 2xx with {"success": true}, else
 * as wa_send_result. */
wa_send_result_t wa_status_result(int status, const char *body, size_t len, char *error,
                                  size_t error_size);

/** Parses "rate:<service>:<n>" (a list reply id); false if it is not one. */
bool wa_rating_parse(const char *id, int64_t *service_id, int *rating);

#endif
