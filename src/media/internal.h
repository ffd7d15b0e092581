/* internal.h - what the files of src/media/ share: the service's state and the handlers. */
#ifndef SIOC_SRC_MEDIA_INTERNAL_H
#define SIOC_SRC_MEDIA_INTERNAL_H

#include "src/media/media.h"

#include <h2o.h>

#include "src/auth/auth.h"

#define MEDIA_LOG "media"

/* Bodies over this are kept by h2o in a temp file mapping, not on the heap. */
#define MEDIA_SPILL_BYTES (2u << 20)
/* The preview's longest side, in pixels. */
#define MEDIA_THUMB_PX 320
/* Images with more pixels than this get no preview (decompression bombs). */
#define MEDIA_THUMB_MAX_PIXELS (100u * 1000 * 1000)

struct st_srv_media_t {
    uv_loop_t *loop;
    store_t *store;
    char *dir;     /* the media directory */
    char *tmp_dir; /* dir + "/tmp" */
    size_t max_bytes;
    char **types; /* allowed content types, NULL-terminated */
    const uint8_t *user_key, *visitor_key;
    size_t user_key_len, visitor_key_len;
    int jobs;            /* uv_queue_work jobs in flight */
    bool freed;          /* srv_media_free ran while jobs were in flight */
    bool vips_started;   /* vips_init succeeded: thumbnails on */
    h2o_linklist_t gets; /* downloads in flight (dl_t.link) */
};

/** Who is asking, from `Authorization: Bearer`: 0 and *who set, or answers 401 and returns -1. */
int media_auth(srv_media_t *m, h2o_req_t *req, srv_media_owner_t *who);

/** True if `type` is in --media-types. */
bool media_type_allowed(const srv_media_t *m, const char *type);

/** The path of the file of `sha256` (or of its thumbnail), malloc'ed. */
char *media_file_path(const srv_media_t *m, const char *sha256, bool thumb);

/** POST /v1/api/attachments (upload.c). */
void media_upload(srv_media_t *m, h2o_req_t *req, const srv_media_owner_t *who);
/** GET|HEAD /v1/api/attachments/:id[/thumb] (download.c). */
void media_download(srv_media_t *m, h2o_req_t *req, const srv_media_owner_t *who, int64_t id,
                    bool thumb);
/** Stops the downloads in flight at free (download.c). */
void media_downloads_cancel(srv_media_t *m);
/** Called by a job's after_work: frees the service if it was freed meanwhile and this was the
 * last job (service.c). Returns true if it freed it. */
bool media_job_done(srv_media_t *m);

#endif
