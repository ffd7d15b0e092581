/* upload.c - files into the store: POST /v1/api/attachments (the request body) and
 * srv_media_store_file() (a file already on disk), both through one job on libuv's thread pool:
 *
 *   size and type checked (the type from the first bytes, srv_media_sniff) -> nothing written
 *   if refused -> copied into <dir>/tmp/up-XXXXXX in 256 KiB chunks while hashing (SHA-256,
 *   libsodium) -> fsync -> renamed to <dir>/<h0h1>/<h2h3>/<sha256>, or dropped if that file
 *   exists (same bytes stored once) -> for images, the WebP preview with libvips
 *   (vips_thumbnail, shrink-on-load) and the pixel size -> back on the loop: the row
 *   (store_attachment_create) -> 201 with the attachment's JSON, or the store_file callback.
 *
 * The request body stays valid while the job reads it: h2o keeps a request's input buffer until
 * its response is sent and does not read from the socket meanwhile (a client that goes away is
 * noticed only then). Bodies over MEDIA_SPILL_BYTES are in a file mapping, not on the heap. */
#include "src/media/internal.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <vips/vips.h>

#define CHUNK (256u << 10)

typedef struct st_job_t {
    uv_work_t work;
    srv_media_t *m;
    /* input: the body (bytes, len), or a file (src_path) */
    const uint8_t *bytes;
    size_t len;
    char *src_path;
    char *name; /* sanitized */
    srv_media_owner_t owner;
    h2o_req_t *req;         /* an upload: answered when done */
    srv_media_stored_cb cb; /* srv_media_store_file */
    void *cbdata;
    /* output of the worker */
    int status; /* 0, -EFBIG, -ENOTSUP, -ENODATA (empty), -ENOENT, -EIO */
    const char *type;
    char sha[STORE_SHA256_HEX + 1];
    int64_t size;
    int width, height;
    int64_t thumb_size;
} job_t;

static void job_free(job_t *j)
{
    free(j->src_path);
    free(j->name);
    free(j);
}

/* ---- on the worker thread ---- */

static int write_all(int fd, const uint8_t *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -EIO;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static int make_parent_dirs(const char *path)
{
    char *p = xstrdup(path);
    int rc = 0;
    char *last = strrchr(p, '/'), *mid;
    *last = '\0';
    mid = strrchr(p, '/');
    *mid = '\0';
    if (mkdir(p, 0750) != 0 && errno != EEXIST)
        rc = -EIO;
    *mid = '/';
    if (rc == 0 && mkdir(p, 0750) != 0 && errno != EEXIST)
        rc = -EIO;
    free(p);
    return rc;
}

static int temp_file(const srv_media_t *m, char *path, size_t size)
{
    snprintf(path, size, "%s/up-XXXXXX", m->tmp_dir);
    return mkstemp(path);
}

/* The preview of an image file, and its pixel size; failures leave no preview. */
static void make_thumbnail(job_t *j, const char *file)
{
    VipsImage *in = vips_image_new_from_file(file, "access", VIPS_ACCESS_SEQUENTIAL, NULL);
    char *thumb = NULL, tmp[PATH_MAX];
    struct stat st;
    if (in == NULL)
        goto out;
    j->width = vips_image_get_width(in);
    j->height = vips_image_get_height(in);
    g_object_unref(in);
    if ((uint64_t)j->width * (uint64_t)j->height > MEDIA_THUMB_MAX_PIXELS)
        goto out;
    thumb = media_file_path(j->m, j->sha, true);
    if (stat(thumb, &st) == 0) { /* made for an earlier upload of these bytes */
        j->thumb_size = st.st_size;
        goto out;
    }
    VipsImage *out = NULL;
    if (vips_thumbnail(file, &out, MEDIA_THUMB_PX, "height", MEDIA_THUMB_PX, "size", VIPS_SIZE_DOWN,
                       NULL) != 0)
        goto out;
    int fd = temp_file(j->m, tmp, sizeof(tmp));
    if (fd >= 0) {
        close(fd);
        if (vips_webpsave(out, tmp, "Q", 75, "strip", TRUE, NULL) == 0 && rename(tmp, thumb) == 0 &&
            stat(thumb, &st) == 0)
            j->thumb_size = st.st_size;
        else
            unlink(tmp);
    }
    g_object_unref(out);
out:
    if (vips_error_buffer()[0] != '\0') {
        log_debug(MEDIA_LOG, "no preview of %s: %s", j->sha, vips_error_buffer());
        vips_error_clear();
    }
    vips_thread_shutdown();
    free(thumb);
}

static void run_job(uv_work_t *w)
{
    job_t *j = w->data;
    uint8_t head[SRV_MEDIA_SNIFF_BYTES], hash[crypto_hash_sha256_BYTES];
    size_t head_len = 0;
    int src = -1, tmp_fd = -1;
    char tmp[PATH_MAX] = "";
    char *final = NULL;
    crypto_hash_sha256_state hs;
    struct stat st;

    if (j->src_path != NULL) {
        src = open(j->src_path, O_RDONLY | O_CLOEXEC);
        if (src < 0 || fstat(src, &st) != 0 || !S_ISREG(st.st_mode)) {
            j->status = src < 0 && errno == ENOENT ? -ENOENT : -EIO;
            goto out;
        }
        j->size = st.st_size;
        ssize_t n = j->size > 0 ? pread(src, head, sizeof(head), 0) : 0;
        head_len = n > 0 ? (size_t)n : 0;
    } else {
        j->size = (int64_t)j->len;
        head_len = j->len < sizeof(head) ? j->len : sizeof(head);
        if (head_len > 0)
            memcpy(head, j->bytes, head_len);
    }
    /* refused before anything is written */
    if ((uint64_t)j->size > j->m->max_bytes) {
        j->status = -EFBIG;
        goto out;
    }
    if (j->size == 0) {
        j->status = -ENODATA;
        goto out;
    }
    j->type = srv_media_sniff(head, head_len);
    if (j->type == NULL || !media_type_allowed(j->m, j->type)) {
        j->status = -ENOTSUP;
        goto out;
    }

    tmp_fd = temp_file(j->m, tmp, sizeof(tmp));
    if (tmp_fd < 0) {
        log_error(MEDIA_LOG, "%s: %s", tmp, strerror(errno));
        j->status = -EIO;
        tmp[0] = '\0';
        goto out;
    }
    crypto_hash_sha256_init(&hs);
    uint8_t *buf = j->src_path != NULL ? xmalloc(CHUNK) : NULL;
    for (int64_t off = 0; off < j->size && j->status == 0;) {
        size_t n = (size_t)(j->size - off) < CHUNK ? (size_t)(j->size - off) : CHUNK;
        const uint8_t *p = j->bytes + off;
        if (buf != NULL) {
            ssize_t r = read(src, buf, n);
            if (r <= 0) {
                j->status = -EIO;
                break;
            }
            n = (size_t)r;
            p = buf;
        }
        crypto_hash_sha256_update(&hs, p, n);
        if (write_all(tmp_fd, p, n) != 0)
            j->status = -EIO;
        off += (int64_t)n;
    }
    free(buf);
    if (j->status == 0 && fsync(tmp_fd) != 0)
        j->status = -EIO;
    close(tmp_fd);
    if (j->status != 0) {
        log_error(MEDIA_LOG, "writing %s: %s", tmp, strerror(errno));
        goto out;
    }
    crypto_hash_sha256_final(&hs, hash);
    sodium_bin2hex(j->sha, sizeof(j->sha), hash, sizeof(hash));

    final = media_file_path(j->m, j->sha, false);
    if (stat(final, &st) == 0 && st.st_size == j->size) {
        unlink(tmp); /* these bytes are stored already */
    } else if (make_parent_dirs(final) != 0 || rename(tmp, final) != 0) {
        log_error(MEDIA_LOG, "storing %s: %s", final, strerror(errno));
        j->status = -EIO;
        goto out;
    }
    tmp[0] = '\0';
    if (j->m->vips_started && strncmp(j->type, "image/", 6) == 0)
        make_thumbnail(j, final);
out:
    if (tmp[0] != '\0')
        unlink(tmp);
    if (src >= 0)
        close(src);
    if (j->src_path != NULL && j->status != -ENOENT)
        unlink(j->src_path); /* consumed, whatever the outcome */
    free(final);
}

/* ---- back on the loop ---- */

static void answer_error(h2o_req_t *req, const srv_media_t *m, int status)
{
    char msg[128];
    switch (status) {
    case -EFBIG:
        snprintf(msg, sizeof(msg), "the file is larger than %zu bytes", m->max_bytes);
        srv_http_send_error(req, 413, NULL, "payload_too_large", msg);
        break;
    case -ENOTSUP:
        srv_http_send_error(req, 415, NULL, "unsupported_media_type",
                            "the file's content is not of an accepted type");
        break;
    case -ENODATA:
        srv_http_send_error(req, 400, NULL, "empty_file", "the body holds no file");
        break;
    case -ENOTCONN:
    case -ENOBUFS:
    case -ESHUTDOWN:
        h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_RETRY_AFTER, NULL, H2O_STRLIT("1"));
        srv_http_send_error(req, 503, NULL, "unavailable", "the database cannot be reached");
        break;
    default:
        srv_http_send_error(req, 500, NULL, "internal", "the file could not be stored");
        break;
    }
}

static void finish(job_t *j, int status, const store_attachment_t *att)
{
    if (j->req != NULL) {
        if (status == 0) {
            json_t *o = srv_media_json(att);
            char *body = json_dumps(o, JSON_COMPACT);
            srv_http_send(j->req, 201, SRV_HTTP_JSON, "no-store", body, strlen(body));
            free(body);
            json_decref(o);
        } else {
            answer_error(j->req, j->m, status);
        }
    } else if (j->cb != NULL) {
        j->cb(j->cbdata, status, att);
    }
    job_free(j);
}

static void on_created(void *cbdata, int status, const store_attachment_t *att)
{
    job_t *j = cbdata;
    if (status == -ENOENT) /* the uploader is gone */
        status = -EACCES;
    finish(j, status, att);
}

static void after_job(uv_work_t *w, int status)
{
    job_t *j = w->data;
    srv_media_t *m = j->m;
    UNUSED(status);
    if (media_job_done(m) || m->freed) {
        /* the server is stopping: no row, no answer */
        if (j->cb != NULL)
            j->cb(j->cbdata, -ECANCELED, NULL);
        job_free(j);
        return;
    }
    if (j->status != 0) {
        finish(j, j->status, NULL);
        return;
    }
    store_attachment_new_t a = {.sha256 = j->sha,
                                .content_type = j->type,
                                .name = j->name,
                                .size = j->size,
                                .uploader_user_id = j->owner.user_id,
                                .uploader_customer_id = j->owner.customer_id,
                                .width = j->width,
                                .height = j->height,
                                .thumb_size = j->thumb_size};
    int rc = store_attachment_create(m->store, &a, on_created, j);
    if (rc != 0)
        finish(j, rc, NULL);
}

static void queue(srv_media_t *m, job_t *j)
{
    j->work.data = j;
    j->m = m;
    m->jobs++;
    int rc = uv_queue_work(m->loop, &j->work, run_job, after_job);
    assert(rc == 0); /* only fails for a NULL work callback */
    UNUSED(rc);
}

/* The raw value of query parameter `name` %-decoded (NUL bytes kept: the sanitizer drops
 * them), or NULL. */
static char *query_param(h2o_req_t *req, const char *name, size_t *out_len)
{
    if (req->query_at == SIZE_MAX)
        return NULL;
    const char *q = req->path.base + req->query_at + 1, *end = req->path.base + req->path.len;
    size_t nlen = strlen(name);
    while (q < end) {
        const char *amp = memchr(q, '&', (size_t)(end - q));
        const char *e = amp != NULL ? amp : end;
        if ((size_t)(e - q) > nlen && memcmp(q, name, nlen) == 0 && q[nlen] == '=') {
            const char *v = q + nlen + 1;
            size_t len = (size_t)(e - v);
            char *out = xmalloc(len + 1);
            *out_len = url_decode(out, len + 1, v, len, false);
            return out;
        }
        q = amp != NULL ? amp + 1 : end;
    }
    return NULL;
}

void media_upload(srv_media_t *m, h2o_req_t *req, const srv_media_owner_t *who)
{
    size_t nlen = 0;
    char *raw = query_param(req, "name", &nlen);
    const uint8_t *body = (const uint8_t *)req->entity.base;
    size_t len = req->entity.base != NULL ? req->entity.len : 0;
    /* refused at once when the head says so; the job checks again (srv_media_store_file) */
    const char *type = srv_media_sniff(body, len);
    if (len > m->max_bytes || len == 0 || type == NULL || !media_type_allowed(m, type)) {
        free(raw);
        answer_error(req, m, len > m->max_bytes ? -EFBIG : len == 0 ? -ENODATA : -ENOTSUP);
        return;
    }
    job_t *j = xcalloc(1, sizeof(*j));
    j->bytes = body;
    j->len = len;
    j->name = srv_media_sanitize_name(raw != NULL ? raw : "", raw != NULL ? nlen : 0);
    j->owner = *who;
    j->req = req;
    free(raw);
    queue(m, j);
}

int srv_media_store_file(srv_media_t *m, const char *tmp_path, const char *claimed_name,
                         const srv_media_owner_t *owner, srv_media_stored_cb cb, void *cbdata)
{
    if (m == NULL || m->freed || tmp_path == NULL || tmp_path[0] == '\0' || owner == NULL ||
        cb == NULL || owner->user_id < 0 || owner->customer_id < 0 ||
        (owner->user_id > 0) == (owner->customer_id > 0))
        return -EINVAL;
    job_t *j = xcalloc(1, sizeof(*j));
    j->src_path = xstrdup(tmp_path);
    j->name = srv_media_sanitize_name(claimed_name != NULL ? claimed_name : "",
                                      claimed_name != NULL ? strlen(claimed_name) : 0);
    j->owner = *owner;
    j->cb = cb;
    j->cbdata = cbdata;
    queue(m, j);
    return 0;
}
