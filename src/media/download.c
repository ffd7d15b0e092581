/* download.c - files out of the store: GET (and HEAD) /v1/api/attachments/:id and
 * /:id/thumb for those allowed to see them (store_attachment_get_visible: anyone else gets the
 * 404 of an id that does not exist), with
 *   - ETag = the content hash (If-None-Match -> 304), Cache-Control private, no-cache;
 *   - one byte range (206 + Content-Range; 416 + Content-Range: bytes * / size when no byte of
 *     it is in the file; several ranges or a bad header: the whole file, as RFC 9110 allows);
 *   - the content type taken at upload, Content-Disposition inline for images, audio and video,
 *     attachment for the rest, with a safe file name; nosniff and a CSP sandbox, so that no
 *     upload ever runs as a page of this origin.
 * The file is read asynchronously (uv_fs_open/fstat/read on the thread pool) in 64 KiB chunks,
 * one chunk in flight: h2o asks for the next (generator proceed) when the last one is written.
 *
 * Lifetimes: a download (dl_t) is malloc'ed, not in the request's pool, because a uv_fs request
 * can still be running when h2o disposes the request (client gone). The request's pool holds a
 * hook that clears dl->req on dispose; the dl and its buffer (which h2o may still be writing until
 * then) are freed only once the request is disposed and no uv_fs request is in flight. */
#include "src/media/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define READ_CHUNK (64u << 10)

typedef struct st_dl_t {
    h2o_generator_t super; /* first: h2o hands us this pointer */
    srv_media_t *m;        /* NULL once the service is freed */
    uv_loop_t *loop;
    h2o_req_t *req;      /* NULL once h2o disposed the request */
    h2o_linklist_t link; /* in srv_media_t.gets */
    uv_fs_t fs;
    bool busy;    /* fs is in flight */
    bool closing; /* the fd is being closed: the end */
    uv_file fd;   /* -1 if not open */
    int64_t id;
    bool thumb, head;
    char sha[STORE_SHA256_HEX + 1];
    char *type, *name;
    uint64_t off, remaining; /* what is left to send */
    char *buf;
} dl_t;

static void dl_free(dl_t *d)
{
    if (h2o_linklist_is_linked(&d->link))
        h2o_linklist_unlink(&d->link);
    free(d->type);
    free(d->name);
    free(d->buf);
    free(d);
}

static void on_closed(uv_fs_t *fs)
{
    dl_t *d = fs->data;
    uv_fs_req_cleanup(fs);
    dl_free(d);
}

/* Ends a download once nothing is in flight and the request is gone. */
static void dl_maybe_end(dl_t *d)
{
    if (d->busy || d->req != NULL || d->closing)
        return;
    if (d->fd < 0) {
        dl_free(d);
        return;
    }
    d->closing = true;
    d->fs.data = d;
    if (uv_fs_close(d->loop, &d->fs, d->fd, on_closed) != 0)
        dl_free(d);
}

typedef struct st_dl_ref_t {
    dl_t *d;
} dl_ref_t;

static void on_req_dispose(void *p)
{
    dl_t *d = ((dl_ref_t *)p)->d;
    d->req = NULL;
    dl_maybe_end(d);
}

static void on_stop(h2o_generator_t *self, h2o_req_t *req)
{
    UNUSED(self);
    UNUSED(req); /* the dispose hook that follows ends it */
}

static void read_next(dl_t *d);

static void on_read(uv_fs_t *fs)
{
    dl_t *d = fs->data;
    ssize_t n = fs->result;
    uv_fs_req_cleanup(fs);
    d->busy = false;
    if (d->req == NULL) {
        dl_maybe_end(d);
        return;
    }
    if (n <= 0) { /* the file shrank or failed under us: cut the response */
        log_error(MEDIA_LOG, "reading attachment %" PRId64 ": %s", d->id,
                  n < 0 ? uv_strerror((int)n) : "unexpected end of file");
        h2o_send(d->req, NULL, 0, H2O_SEND_STATE_ERROR);
        return;
    }
    h2o_iovec_t iov = h2o_iovec_init(d->buf, (size_t)n);
    d->off += (uint64_t)n;
    d->remaining -= (uint64_t)n;
    h2o_send(d->req, &iov, 1,
             d->remaining == 0 ? H2O_SEND_STATE_FINAL : H2O_SEND_STATE_IN_PROGRESS);
}

static void on_proceed(h2o_generator_t *self, h2o_req_t *req)
{
    UNUSED(req);
    read_next((dl_t *)self);
}

static void read_next(dl_t *d)
{
    size_t n = d->remaining < READ_CHUNK ? (size_t)d->remaining : READ_CHUNK;
    uv_buf_t b = uv_buf_init(d->buf, (unsigned)n);
    d->fs.data = d;
    d->busy = true;
    int rc = uv_fs_read(d->loop, &d->fs, d->fd, &b, 1, (int64_t)d->off, on_read);
    if (rc != 0) {
        d->busy = false;
        h2o_send(d->req, NULL, 0, H2O_SEND_STATE_ERROR);
    }
}

static void add(h2o_req_t *req, const char *name, const char *value)
{
    h2o_add_header_by_str(&req->pool, &req->res.headers, name, strlen(name), 0, NULL, value,
                          strlen(value));
}

static void add_token(h2o_req_t *req, const h2o_token_t *t, const char *value)
{
    size_t n = strlen(value);
    h2o_add_header(&req->pool, &req->res.headers, t, NULL, h2o_strdup(&req->pool, value, n).base,
                   n);
}

/* The answer for an error before the body started: the dl ends with the request. */
static void fail(dl_t *d, int status, const char *code, const char *msg)
{
    srv_http_send_error(d->req, status, "no-store", code, msg);
}

static bool etag_matches(h2o_req_t *req, const char *etag)
{
    ssize_t i = h2o_find_header(&req->headers, H2O_TOKEN_IF_NONE_MATCH, -1);
    if (i < 0)
        return false;
    h2o_iovec_t v = req->headers.entries[i].value;
    size_t n = strlen(etag);
    if (v.len == 1 && v.base[0] == '*')
        return true;
    for (size_t k = 0; k + n <= v.len; k++) /* a list of tags: look for ours */
        if (memcmp(v.base + k, etag, n) == 0)
            return true;
    return false;
}

static void on_stat(uv_fs_t *fs)
{
    dl_t *d = fs->data;
    h2o_req_t *req = d->req;
    uint64_t size = fs->result == 0 ? fs->statbuf.st_size : 0, start = 0, end = 0;
    int res = (int)fs->result;
    char v[128];
    uv_fs_req_cleanup(fs);
    d->busy = false;
    if (req == NULL) {
        dl_maybe_end(d);
        return;
    }
    if (res != 0) {
        fail(d, 500, "internal", "the file cannot be read");
        return;
    }
    int r = 0;
    ssize_t ri = h2o_find_header(&req->headers, H2O_TOKEN_RANGE, -1);
    if (ri >= 0)
        r = srv_media_parse_range(req->headers.entries[ri].value.base,
                                  req->headers.entries[ri].value.len, size, &start, &end);
    add_token(req, H2O_TOKEN_ACCEPT_RANGES, "bytes");
    add(req, "x-content-type-options", "nosniff");
    add(req, "content-security-policy", "default-src 'none'; sandbox");
    if (r == -ERANGE) {
        snprintf(v, sizeof(v), "bytes */%" PRIu64, size);
        add_token(req, H2O_TOKEN_CONTENT_RANGE, v);
        fail(d, 416, "range_not_satisfiable", "the range is outside the file");
        return;
    }
    snprintf(v, sizeof(v), "\"%s%s\"", d->sha, d->thumb ? ".t" : "");
    add_token(req, H2O_TOKEN_ETAG, v);
    add_token(req, H2O_TOKEN_CACHE_CONTROL, "private, no-cache");
    if (strcmp(d->type, "text/plain") == 0)
        add_token(req, H2O_TOKEN_CONTENT_TYPE, "text/plain; charset=utf-8");
    else
        add_token(req, H2O_TOKEN_CONTENT_TYPE, d->type);
    char *cd = srv_media_disposition(d->type, d->name);
    add_token(req, H2O_TOKEN_CONTENT_DISPOSITION, cd);
    free(cd);
    req->res.status = 200;
    req->res.reason = "OK";
    if (r == 1) {
        req->res.status = 206;
        req->res.reason = "Partial Content";
        snprintf(v, sizeof(v), "bytes %" PRIu64 "-%" PRIu64 "/%" PRIu64, start, end, size);
        add_token(req, H2O_TOKEN_CONTENT_RANGE, v);
        d->off = start;
        d->remaining = end - start + 1;
    } else {
        d->off = 0;
        d->remaining = size;
    }
    req->res.content_length = d->remaining;
    h2o_start_response(req, &d->super);
    if (d->head || d->remaining == 0) {
        h2o_send(req, NULL, 0, H2O_SEND_STATE_FINAL);
        return;
    }
    d->buf = xmalloc(READ_CHUNK);
    read_next(d);
}

static void on_open(uv_fs_t *fs)
{
    dl_t *d = fs->data;
    int res = (int)fs->result;
    uv_fs_req_cleanup(fs);
    d->busy = false;
    if (res >= 0)
        d->fd = res;
    if (d->req == NULL) {
        dl_maybe_end(d);
        return;
    }
    if (res < 0) {
        /* the row is there but not the file (deleted by hand?): as if the row were not */
        log_warn(MEDIA_LOG, "attachment %" PRId64 ": %s", d->id, uv_strerror(res));
        fail(d, 404, "not_found", "no such attachment");
        return;
    }
    d->fs.data = d;
    d->busy = true;
    if (uv_fs_fstat(d->loop, &d->fs, d->fd, on_stat) != 0) {
        d->busy = false;
        fail(d, 500, "internal", "the file cannot be read");
    }
}

static void on_att(void *cbdata, int status, const store_attachment_t *a)
{
    dl_t *d = cbdata;
    d->busy = false;
    if (d->req == NULL) {
        dl_maybe_end(d);
        return;
    }
    if (status == -ENOENT || (status == 0 && d->thumb && a->thumb_size == 0)) {
        fail(d, 404, "not_found", "no such attachment");
        return;
    }
    if (status != 0 || d->m == NULL) {
        h2o_add_header(&d->req->pool, &d->req->res.headers, H2O_TOKEN_RETRY_AFTER, NULL,
                       H2O_STRLIT("1"));
        fail(d, 503, "unavailable", "the database cannot be reached");
        return;
    }
    snprintf(d->sha, sizeof(d->sha), "%s", a->sha256);
    d->type = xstrdup(d->thumb ? "image/webp" : a->content_type);
    d->name = xstrdup(a->name);
    char etag[STORE_SHA256_HEX + 8];
    snprintf(etag, sizeof(etag), "\"%s%s\"", d->sha, d->thumb ? ".t" : "");
    if (etag_matches(d->req, etag)) {
        add_token(d->req, H2O_TOKEN_ETAG, etag);
        add_token(d->req, H2O_TOKEN_CACHE_CONTROL, "private, no-cache");
        srv_http_send(d->req, 304, NULL, NULL, NULL, 0);
        return;
    }
    char *path = media_file_path(d->m, d->sha, d->thumb);
    d->fs.data = d;
    d->busy = true;
    int rc = uv_fs_open(d->loop, &d->fs, path, O_RDONLY | O_CLOEXEC, 0, on_open);
    free(path);
    if (rc != 0) {
        d->busy = false;
        fail(d, 500, "internal", "the file cannot be read");
    }
}

void media_download(srv_media_t *m, h2o_req_t *req, const srv_media_owner_t *who, int64_t id,
                    bool thumb)
{
    dl_t *d = xcalloc(1, sizeof(*d));
    d->super.proceed = on_proceed;
    d->super.stop = on_stop;
    d->m = m;
    d->loop = m->loop;
    d->req = req;
    d->fd = -1;
    d->id = id;
    d->thumb = thumb;
    d->head = h2o_memis(req->method.base, req->method.len, H2O_STRLIT("HEAD"));
    dl_ref_t *ref = h2o_mem_alloc_shared(&req->pool, sizeof(*ref), on_req_dispose);
    ref->d = d;
    h2o_linklist_insert(&m->gets, &d->link);
    d->busy = true;
    int rc = store_attachment_get_visible(m->store, id, who->user_id, who->customer_id, on_att, d);
    if (rc != 0) {
        d->busy = false;
        on_att(d, rc == -EINVAL ? -ENOENT : rc, NULL);
    }
}

void media_downloads_cancel(srv_media_t *m)
{
    while (!h2o_linklist_is_empty(&m->gets)) {
        dl_t *d = H2O_STRUCT_FROM_MEMBER(dl_t, link, m->gets.next);
        h2o_linklist_unlink(&d->link);
        d->m = NULL;
    }
}
