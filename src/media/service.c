/* service.c - the attachment store's life and routes (media.h): the options, the directories,
 * libvips, the keys of the tokens it accepts, and the one handler under /v1/api/attachments
 * that authenticates and dispatches to upload.c and download.c.
 *
 * Who is asking: an `Authorization: Bearer` token that verifies with the chat's key (a user or
 * staff) or with the widget's visitor key (a desk customer). The two keys differ, so neither kind
 * of token passes for the other. */
#include "src/media/internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <vips/vips.h>

#include "src/core/core.h"

/* mkdir -p; blocking (start-up only). */
static int make_dirs(const char *path)
{
    char *p = xstrdup(path);
    int rc = 0;
    for (char *s = p + 1; rc == 0; s++) {
        if (*s == '/' || *s == '\0') {
            char c = *s;
            *s = '\0';
            if (mkdir(p, 0750) != 0 && errno != EEXIST)
                rc = -errno;
            *s = c;
            if (c == '\0')
                break;
        }
    }
    free(p);
    return rc;
}

/* <directory of the SQLite file>/media, or data/media for PostgreSQL and :memory:. */
static char *default_dir(const char *database)
{
    const char *path = strncmp(database, "sqlite:", 7) == 0 ? database + 7 : NULL;
    const char *slash = path != NULL && strcmp(path, ":memory:") != 0 ? strrchr(path, '/') : NULL;
    char *dir;
    if (slash == NULL)
        return xstrdup(path != NULL && strcmp(path, ":memory:") != 0 ? "media" : "data/media");
    size_t n = (size_t)(slash - path);
    dir = xmalloc(n + sizeof("/media"));
    memcpy(dir, path, n);
    memcpy(dir + n, "/media", sizeof("/media"));
    return dir;
}

static char **parse_types(const char *list)
{
    size_t cap = 4, n = 0;
    char **types = xcalloc(cap, sizeof(*types));
    const char *p = list;
    while (*p != '\0') {
        const char *e = p;
        while (*e != '\0' && *e != ',')
            e++;
        const char *a = p, *b = e;
        while (a < b && *a == ' ')
            a++;
        while (b > a && b[-1] == ' ')
            b--;
        if (b > a) {
            if (n + 2 > cap)
                types = xrealloc(types, (cap *= 2) * sizeof(*types));
            types[n] = xmalloc((size_t)(b - a) + 1);
            memcpy(types[n], a, (size_t)(b - a));
            types[n][b - a] = '\0';
            types[++n] = NULL;
        }
        p = *e == ',' ? e + 1 : e;
    }
    return types;
}

static void types_free(char **types)
{
    for (size_t i = 0; types != NULL && types[i] != NULL; i++)
        free(types[i]);
    free(types);
}

bool media_type_allowed(const srv_media_t *m, const char *type)
{
    for (size_t i = 0; m->types[i] != NULL; i++)
        if (strcmp(m->types[i], type) == 0)
            return true;
    return false;
}

static void media_dispose(srv_media_t *m)
{
    if (m->vips_started)
        vips_shutdown(); /* no job uses it any more */
    types_free(m->types);
    free(m->dir);
    free(m->tmp_dir);
    free(m);
}

srv_media_t *srv_media_new(uv_loop_t *loop, const srv_config_t *conf, store_t *store)
{
    srv_media_t *m = xcalloc(1, sizeof(*m));
    int rc;
    m->loop = loop;
    m->store = store;
    m->max_bytes = conf->media_max_bytes;
    m->dir = conf->media_dir != NULL ? xstrdup(conf->media_dir) : default_dir(conf->database);
    size_t n = strlen(m->dir) + sizeof("/tmp");
    m->tmp_dir = xmalloc(n);
    snprintf(m->tmp_dir, n, "%s/tmp", m->dir);
    h2o_linklist_init_anchor(&m->gets);
    m->types = parse_types(conf->media_types != NULL ? conf->media_types : SRV_MEDIA_DEFAULT_TYPES);
    for (size_t i = 0; m->types[i] != NULL; i++) {
        if (!srv_media_type_known(m->types[i], strlen(m->types[i]))) {
            log_error(MEDIA_LOG, "--media-types: %s is not a type sioc recognises in the bytes",
                      m->types[i]);
            media_dispose(m);
            return NULL;
        }
    }
    rc = make_dirs(m->tmp_dir);
    if (rc != 0) {
        log_error(MEDIA_LOG, "--media-dir %s: %s", m->dir, strerror(-rc));
        media_dispose(m);
        return NULL;
    }
    /* libvips: one thread per preview (the thread pool already runs several), no cache (each
     * file is made into a preview once) */
    if (VIPS_INIT("sioc") == 0) {
        vips_concurrency_set(1);
        vips_cache_set_max(0);
        m->vips_started = true;
    } else {
        log_warn(MEDIA_LOG, "libvips did not start (%s): no thumbnails", vips_error_buffer());
        vips_error_clear();
    }
    log_info(MEDIA_LOG, "attachments in %s (up to %zu bytes)", m->dir, m->max_bytes);
    return m;
}

void srv_media_set_keys(srv_media_t *m, const uint8_t *user_key, size_t user_key_len,
                        const uint8_t *visitor_key, size_t visitor_key_len)
{
    m->user_key = user_key;
    m->user_key_len = user_key_len;
    m->visitor_key = visitor_key;
    m->visitor_key_len = visitor_key_len;
}

const char *srv_media_dir(const srv_media_t *m)
{
    return m->dir;
}

size_t srv_media_max_bytes(const srv_media_t *m)
{
    return m->max_bytes;
}

char *media_file_path(const srv_media_t *m, const char *sha256, bool thumb)
{
    size_t n = strlen(m->dir) + strlen(sha256) + 16;
    char *p = xmalloc(n);
    snprintf(p, n, "%s/%.2s/%.2s/%s%s", m->dir, sha256, sha256 + 2, sha256, thumb ? ".thumb" : "");
    return p;
}

char *srv_media_path(const srv_media_t *m, const store_attachment_t *att, bool thumb)
{
    return media_file_path(m, att->sha256, thumb);
}

int media_auth(srv_media_t *m, h2o_req_t *req, srv_media_owner_t *who)
{
    ssize_t i = h2o_find_header(&req->headers, H2O_TOKEN_AUTHORIZATION, -1);
    srv_jwt_status_t st = SRV_JWT_MISSING;
    srv_jwt_claims_t claims;
    int64_t now = (int64_t)time(NULL);
    memset(who, 0, sizeof(*who));
    if (i >= 0 && m->user_key != NULL) {
        h2o_iovec_t v = req->headers.entries[i].value;
        char tok[SRV_JWT_MAX_LEN + 1];
        if (v.len > 7 && strncasecmp(v.base, "Bearer ", 7) == 0 && v.len - 7 <= SRV_JWT_MAX_LEN) {
            memcpy(tok, v.base + 7, v.len - 7);
            tok[v.len - 7] = '\0';
            st = srv_jwt_verify(m->user_key, m->user_key_len, tok, now, &claims);
            if (st == SRV_JWT_OK) {
                who->user_id = claims.user_id;
                return 0;
            }
            if (m->visitor_key != NULL && srv_jwt_verify(m->visitor_key, m->visitor_key_len, tok,
                                                         now, &claims) == SRV_JWT_OK) {
                who->customer_id = claims.user_id;
                return 0;
            }
        } else {
            st = SRV_JWT_INVALID;
        }
    }
    srv_http_send_error(req, 401, "no-store", srv_jwt_status_code(st),
                        st == SRV_JWT_MISSING   ? "an Authorization: Bearer token is required"
                        : st == SRV_JWT_EXPIRED ? "the access token has expired"
                                                : "the access token is not valid");
    return -1;
}

/* Reads "/:id" or "/:id/thumb" after the prefix. */
static bool parse_id_path(const char *p, size_t len, int64_t *id, bool *thumb)
{
    size_t i = 0;
    int64_t v = 0;
    if (len < 2 || p[0] != '/' || p[1] < '1' || p[1] > '9')
        return false;
    for (i = 1; i < len && p[i] >= '0' && p[i] <= '9'; i++) {
        if (v > (INT64_MAX - (p[i] - '0')) / 10)
            return false;
        v = v * 10 + (p[i] - '0');
    }
    *id = v;
    *thumb = false;
    if (i == len || (i + 1 == len && p[i] == '/'))
        return true;
    if ((len - i == 6 || (len - i == 7 && p[len - 1] == '/')) && memcmp(p + i, "/thumb", 6) == 0) {
        *thumb = true;
        return true;
    }
    return false;
}

static int on_req(h2o_req_t *req, void *data)
{
    srv_media_t *m = data;
    const char *path = req->path_normalized.base;
    size_t len = req->path_normalized.len, plen = strlen(SRV_MEDIA_PREFIX);
    srv_media_owner_t who;
    int64_t id = 0;
    bool thumb = false, root = len == plen || (len == plen + 1 && path[plen] == '/');
    bool is_get = h2o_memis(req->method.base, req->method.len, H2O_STRLIT("GET")) ||
                  h2o_memis(req->method.base, req->method.len, H2O_STRLIT("HEAD"));
    bool is_post = h2o_memis(req->method.base, req->method.len, H2O_STRLIT("POST"));
    if (len < plen || (!root && !parse_id_path(path + plen, len - plen, &id, &thumb))) {
        srv_http_send_error(req, 404, NULL, "not_found", "no such route");
        return 0;
    }
    if ((root && !is_post) || (!root && !is_get)) {
        const char *allow = root ? "POST" : "GET, HEAD";
        h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_ALLOW, NULL, allow, strlen(allow));
        srv_http_send_error(req, 405, NULL, "method_not_allowed", "method not allowed here");
        return 0;
    }
    if (media_auth(m, req, &who) != 0)
        return 0;
    if (root)
        media_upload(m, req, &who);
    else
        media_download(m, req, &who, id, thumb);
    return 0;
}

int srv_media_register_routes(srv_media_t *m, srv_http_t *http)
{
    int rc = srv_http_set_body_spill(http, MEDIA_SPILL_BYTES, m->tmp_dir);
    if (rc != 0)
        return rc;
    /* a little over the file limit, so that this handler (not h2o) says how large is allowed */
    return srv_http_add_handler_body(http, SRV_MEDIA_PREFIX, on_req, m, 0, m->max_bytes + 1);
}

bool media_job_done(srv_media_t *m)
{
    m->jobs--;
    if (m->freed && m->jobs == 0) {
        media_dispose(m);
        return true;
    }
    return false;
}

void srv_media_free(srv_media_t *m)
{
    if (m == NULL)
        return;
    media_downloads_cancel(m);
    if (m->jobs > 0) {
        m->freed = true; /* the last job's after_work frees it */
        return;
    }
    media_dispose(m);
}
