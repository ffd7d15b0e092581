/* media.h - persistence of attachments (schema version 5): the metadata of an uploaded file
 * (its bytes live on disk under the media directory, named by their SHA-256, see
 * src/media/media.h) and the links from chat messages and desk messages to them.
 *
 * Same rules as storage.h: loop thread only, the callback runs exactly once, later, if the call
 * returned 0; arguments are copied; results are the store's until the callback returns.
 *
 * An attachment row is one upload: who uploaded it (a user or a desk customer), the name they
 * gave (already sanitized by the caller), the type taken from the bytes, the size and the hash.
 * Two uploads of the same bytes are two rows naming one file. A row is visible to
 *   - its uploader;
 *   - a user who is a member of a chat holding a non-deleted message that links it;
 *   - an active staff user (role agent or admin) if a desk message links it;
 *   - the customer of the desk service holding a desk message that links it.
 * Everybody else gets -ENOENT, exactly as for an id that does not exist.
 *
 * Links: a chat message gets its attachments in the same transaction that stores it
 * (store_message_send_with() in storage.h); a desk message through store_attachment_link_desk()
 * right after it was stored (idempotent: a retried send with the same client id links again
 * harmlessly). Only the sender's own uploads can be linked (-EACCES otherwise). */
#ifndef SIOC_STORAGE_MEDIA_H
#define SIOC_STORAGE_MEDIA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "storage/storage.h"

#define STORE_MAX_ATT_NAME 255 /* bytes of a file name */
#define STORE_MAX_ATT_TYPE 100 /* bytes of a content type */
#define STORE_MAX_ATTACH   10  /* attachments on one message */
#define STORE_SHA256_HEX   64

/** What carries attachments. */
typedef enum en_store_att_kind_t {
    STORE_ATT_CHAT = 0, /* messages (storage.h) */
    STORE_ATT_DESK,     /* desk_messages (desk.h) */
} store_att_kind_t;

typedef struct st_store_attachment_t {
    int64_t id;
    const char *sha256;           /* 64 lowercase hex digits: the file's name on disk */
    int64_t size;                 /* bytes */
    const char *content_type;     /* from the bytes, e.g. "image/png" */
    const char *name;             /* the sanitized original file name, never empty */
    int64_t uploader_user_id;     /* 0 if a customer uploaded it */
    int64_t uploader_customer_id; /* 0 if a user uploaded it */
    int64_t created_at;           /* ms */
    int width, height;            /* pixels of an image or video, 0 = unknown */
    int64_t thumb_size;           /* bytes of the thumbnail file, 0 = none */
    /* store_attachment_list() only: the message that carries it */
    int64_t message_id;
} store_attachment_t;

typedef struct st_store_attachment_list_t {
    const store_attachment_t *items;
    size_t count;
} store_attachment_list_t;

/** What store_attachment_create() writes; exactly one of the uploader ids is > 0. */
typedef struct st_store_attachment_new_t {
    const char *sha256;       /* required, STORE_SHA256_HEX lowercase hex digits */
    const char *content_type; /* required, 1..STORE_MAX_ATT_TYPE bytes */
    const char *name;         /* required, 1..STORE_MAX_ATT_NAME bytes */
    int64_t size;             /* >= 0 */
    int64_t uploader_user_id;
    int64_t uploader_customer_id;
    int width, height;  /* 0 = unknown */
    int64_t thumb_size; /* 0 = no thumbnail */
} store_attachment_new_t;

typedef void (*store_attachment_cb)(void *cbdata, int status, const store_attachment_t *att);
typedef void (*store_attachments_cb)(void *cbdata, int status, const store_attachment_list_t *list);

/** Stores the metadata of an upload. cb: the new row; -ENOENT if the uploader does not exist. */
int store_attachment_create(store_t *store, const store_attachment_new_t *a, store_attachment_cb cb,
                            void *cbdata);

/** The row `id` if the viewer may see it (rules above): `user_id` > 0 for a user, else
 * `customer_id` > 0 for a desk customer. -ENOENT if none or not visible (the same answer). */
int store_attachment_get_visible(store_t *store, int64_t id, int64_t user_id, int64_t customer_id,
                                 store_attachment_cb cb, void *cbdata);

/** The attachments of up to STORE_MAX_LIST messages of `kind` (message_id set), by message id
 * then their order on the message. Deleted chat messages carry none. */
int store_attachment_list(store_t *store, store_att_kind_t kind, const int64_t *message_ids,
                          size_t n, store_attachments_cb cb, void *cbdata);

/** Links attachments `ids` (1..STORE_MAX_ATTACH distinct ids, in this order) to desk message
 * `message_id`. Every one must be an upload of `user_id` (> 0, a staff reply) or of
 * `customer_id` (> 0, an inbound message): else -EACCES and nothing is linked. Linking an
 * already linked attachment again is a no-op. -ENOENT if no such message. */
int store_attachment_link_desk(store_t *store, int64_t message_id, int64_t user_id,
                               int64_t customer_id, const int64_t *ids, size_t n,
                               store_status_cb cb, void *cbdata);

/** Whether attachments `ids` (1..STORE_MAX_ATTACH distinct) are all uploads of `user_id` (> 0)
 * or of `customer_id` (> 0): 0 or -EACCES. Writes nothing (the check before a desk message is
 * stored, so that a refused one stores no message either). */
int store_attachment_check_owned(store_t *store, int64_t user_id, int64_t customer_id,
                                 const int64_t *ids, size_t n, store_status_cb cb, void *cbdata);

#endif
