/* media.h - the face of src/media/: the attachment store of sioc. Files people upload (images,
 * voice notes, documents) and files channels download (WhatsApp media) land here; chat and desk
 * messages then carry them by id (storage/media.h holds the rows and the links).
 *
 *   service.c   creation, options, the routes, who is asking (user or widget visitor tokens)
 *   upload.c    POST /v1/api/attachments and srv_media_store_file(): the worker-thread job
 *               that checks size and type, hashes while it copies into a temp file, renames it
 *               into place by content hash, and makes the thumbnail (libvips)
 *   download.c  GET /v1/api/attachments/:id and /:id/thumb: visibility, ETag/304, Range
 *               (206/416), headers of a safe download, the file read in chunks with uv_fs_read
 *   parse.c     the pure parts: type from the bytes (magic numbers), Range header, file name
 *               sanitizing, Content-Disposition, the JSON of an attachment
 *
 * On disk (--media-dir, default <database directory>/media):
 *   <dir>/<h0h1>/<h2h3>/<sha256>         the file, once per content: same bytes stored once
 *   <dir>/<h0h1>/<h2h3>/<sha256>.thumb   its preview (WebP, at most 320x320), images only
 *   <dir>/tmp/                           uploads being written (renamed into place when done)
 * A refused upload (too large: 413, a type not allowed: 415) is refused before anything is
 * written, so it leaves no file and no row.
 *
 * Request bodies: h2o 2.2 (Debian's) has no streaming request body API (no proceed_req); it
 * reads the body before the handler runs. srv_http_set_body_spill() makes h2o keep bodies over
 * 2 MiB in an unlinked temp file under <dir>/tmp (h2o's own mmap-backed buffers) rather than on
 * the heap, and the job copies that mapping into the media file in 256 KiB chunks while
 * hashing, on a worker thread. Nothing here blocks the loop: file work and thumbnails run in
 * uv_queue_work, downloads read with uv_fs_* (thread pool).
 *
 * Layering: below src/chat, src/channels and src/desk (which include this header for the JSON
 * of attachments and, for channels, srv_media_store_file); above src/core, src/auth, storage.
 * Loop thread only. */
#ifndef SIOC_SRC_MEDIA_MEDIA_H
#define SIOC_SRC_MEDIA_MEDIA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include <uv.h>

#include "src/core/core.h"
#include "storage/media.h"

typedef struct st_srv_media_t srv_media_t;

/** Where the routes live. */
#define SRV_MEDIA_PREFIX "/v1/api/attachments"

/** Who owns an upload: exactly one of the two is > 0. */
typedef struct st_srv_media_owner_t {
    int64_t user_id;     /* a chat user or staff */
    int64_t customer_id; /* a desk customer (widget visitor, WhatsApp contact) */
} srv_media_owner_t;

/** Creates the store from conf->media_dir (NULL: the database's directory + "/media"),
 * conf->media_max_bytes and conf->media_types; creates the directories (blocking: call before
 * uv_run) and starts libvips. Returns NULL (logged) if the directory cannot be made or a type
 * is unknown. `conf` and `store` are borrowed and outlive the service. */
srv_media_t *srv_media_new(uv_loop_t *loop, const srv_config_t *conf, store_t *store);

/** The keys of the tokens the routes accept as `Authorization: Bearer`: the chat's access
 * tokens (`user_key`) and the support widget's visitor tokens (`visitor_key`, may be NULL).
 * Borrowed: they must outlive the service. Until set, every request is answered 401. */
void srv_media_set_keys(srv_media_t *media, const uint8_t *user_key, size_t user_key_len,
                        const uint8_t *visitor_key, size_t visitor_key_len);

/** Registers POST/GET under SRV_MEDIA_PREFIX on `http` (before the chat's "/v1/api": the first
 * match wins) with a body limit of the media size, and makes h2o spill large bodies to
 * <dir>/tmp. Returns 0 or srv_http_add_handler's error. */
int srv_media_register_routes(srv_media_t *media, srv_http_t *http);

/** The directory files are stored in (borrowed). */
const char *srv_media_dir(const srv_media_t *media);
/** The largest file accepted, in bytes. */
size_t srv_media_max_bytes(const srv_media_t *media);

/** What srv_media_store_file() reports: 0 and the stored row (borrowed until return), or
 * -EFBIG (over --media-max-bytes), -ENOTSUP (the bytes are of a type not in --media-types, or
 * of no known type), -ENOENT (no file at tmp_path), -EIO (disk), or a storage status. */
typedef void (*srv_media_stored_cb)(void *cbdata, int status, const store_attachment_t *att);

/** Stores a file that is already on disk (e.g. media a channel downloaded), exactly as an
 * upload: size and type checked (type from the bytes; `claimed_name` is only the name shown,
 * sanitized here, may be NULL), copied into the store by content hash while hashing, thumbnail
 * made, row written for `owner`. `tmp_path` is consumed: it is unlinked once the job has read
 * it, whatever the outcome. Runs on the thread pool; `cb` runs once, later, on the loop thread.
 * Returns 0, or -EINVAL (bad arguments; cb will not run, tmp_path is left alone).
 *
 *   srv_media_owner_t who = {.customer_id = customer->id};
 *   srv_media_store_file(media, "/tmp/wa-123", "photo.jpg", &who, on_stored, ctx);
 *   ... on_stored(ctx, 0, att): store_desk_inbound(...), then
 *       store_attachment_link_desk(store, msg->id, 0, customer->id, &att->id, 1, ...) */
int srv_media_store_file(srv_media_t *media, const char *tmp_path, const char *claimed_name,
                         const srv_media_owner_t *owner, srv_media_stored_cb cb, void *cbdata);

/** The path of the bytes of `att` (or of its thumbnail) under the media directory, malloc'ed
 * (free() it); e.g. for a channel that uploads an attendant's attachment elsewhere. */
char *srv_media_path(const srv_media_t *media, const store_attachment_t *att, bool thumb);

/** Frees the service (NULL is a no-op). Jobs in flight finish on the thread pool and drop their
 * results (their callbacks still run, with -ECANCELED for store_file). */
void srv_media_free(srv_media_t *media);

/* ---- the pure parts (parse.c), also for tests and fuzzing ---- */

/** The content type the bytes `head` (the first `len` bytes of a file, up to
 * SRV_MEDIA_SNIFF_BYTES) show, or NULL if none we know: image/png, image/jpeg, image/gif,
 * image/webp, audio/ogg, audio/webm, audio/mpeg, audio/mp4, video/mp4, video/webm,
 * application/pdf, text/plain (UTF-8 without NUL or other control bytes but tab, CR, LF, FF). */
#define SRV_MEDIA_SNIFF_BYTES 4096
const char *srv_media_sniff(const uint8_t *head, size_t len);

/** True if `type` is one srv_media_sniff() can return. */
bool srv_media_type_known(const char *type, size_t len);

/** A `Range` header value against a file of `size` bytes: returns 0 (serve it whole: no range,
 * or one we ignore such as several ranges or bad syntax, as RFC 9110 allows), 1 with
 * [*start, *end] (inclusive) to serve, or -ERANGE (416: no byte of it is in the file). */
int srv_media_parse_range(const char *value, size_t len, uint64_t size, uint64_t *start,
                          uint64_t *end);

/** A file name safe to store and to show: the last path segment of `raw` (`len` bytes, may hold
 * NUL), without control bytes, quotes, backslashes or the characters Windows refuses, no leading
 * dots or spaces, valid UTF-8 (bad bytes become '_'), at most STORE_MAX_ATT_NAME bytes (cut at a
 * character boundary, the extension kept). "file" if nothing is left. malloc'ed. */
char *srv_media_sanitize_name(const char *raw, size_t len);

/** The Content-Disposition value for a sanitized `name`: `inline` for images, audio and video,
 * `attachment` for everything else, with an ASCII `filename="..."` and the UTF-8
 * `filename*=UTF-8''...` (RFC 6266). malloc'ed. */
char *srv_media_disposition(const char *type, const char *name);

/** The API's JSON of an attachment: {id, name, type, size, url, thumbUrl?, width?, height?}. */
json_t *srv_media_json(const store_attachment_t *att);

/** The JSON array of the attachments of `list` that message `message_id` carries, in order. */
json_t *srv_media_json_for(const store_attachment_list_t *list, int64_t message_id);

/** The rule of every message send (chat, desk, widget) on an object already validated against
 * its field table (`body` an optional string checked with srv_media_check_body, `attachmentIds`
 * an optional id array): a message needs a non-empty body or at least one attachment. Reads up
 * to STORE_MAX_ATTACH ids into `ids` and their count into *n. Returns NULL, or the error code
 * ("missing_field", "invalid_field") with *msg set. */
const char *srv_media_send_check(json_t *obj, int64_t *ids, size_t *n, const char **msg);

/** srv_json_field_t.check of a send's body: "" is fine (attachments), else srv_check_text. */
const char *srv_media_check_body(const char *s, size_t len);

#endif
