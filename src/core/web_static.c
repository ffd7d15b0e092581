/* web_static.c - the web app at `/` (web_static.h): path resolution, cache headers and the
 * file send.
 *
 * Files go out through h2o's own file sender (h2o_file_send: ETag, Last-Modified, conditional
 * requests, ranges, sendfile-like chunks), the way h2o's file handler serves them; like that
 * handler it opens and stats on the loop thread, which for a few hundred small files of a local
 * build stays in the page cache. The MIME type comes from h2o's default map. */
#include "src/core/web_static.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/base.h"

#define LOG_MOD "web"

struct st_srv_web_t {
    char *root;             /* the directory, without a trailing slash */
    bool built;             /* root/index.html exists (checked again while false) */
    h2o_mimemap_t *mimemap; /* h2o's defaults (a shared ref) */
};

static const char not_built_html[] =
    "<!doctype html><html lang=\"en\"><meta charset=\"utf-8\"><title>sioc</title>"
    "<body style=\"font-family:system-ui,sans-serif;max-width:40rem;margin:4rem auto;"
    "padding:0 1rem;line-height:1.5\"><h1>The web app is not built</h1>"
    "<p>sioc serves the chat app from its <code>--web-root</code> directory, which has no "
    "<code>index.html</code>. Run <code>scripts/run</code> (it builds "
    "<code>frontend-compat/web</code> when needed) or pass <code>--web-root DIR</code>.</p>"
    "<p>The REST API is at <a href=\"/docs/\">/docs/</a>.</p></body></html>\n";

static bool is_file(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

/* A path we never serve: a segment starting with '.', a NUL or a backslash, or absurd length. */
static bool refused(const char *path, size_t len)
{
    if (len == 0 || path[0] != '/' || len > 1024)
        return true;
    for (size_t i = 0; i < len; i++) {
        if (path[i] == '\0' || path[i] == '\\')
            return true;
        if (path[i] == '/' && i + 1 < len && path[i + 1] == '.')
            return true;
    }
    return false;
}

/* True for paths that name an asset rather than a page: under /_next/, or a dot in the last
 * segment (`/favicon.ico`, `/chat.txt`). Those are never answered with the app's page. */
static bool looks_like_asset(const char *path, size_t len)
{
    const char *last = path;
    if (len >= 7 && memcmp(path, "/_next/", 7) == 0)
        return true;
    for (size_t i = 0; i < len; i++)
        if (path[i] == '/')
            last = path + i + 1;
    return memchr(last, '.', (size_t)(path + len - last)) != NULL;
}

static bool try_file(const char *root, const char *path, size_t len, const char *suffix, char *out,
                     size_t outsz)
{
    int n = snprintf(out, outsz, "%s%.*s%s", root, (int)len, path, suffix);
    return n > 0 && (size_t)n < outsz && is_file(out);
}

int srv_web_resolve(const char *root, const char *path, size_t len, char *out, size_t outsz)
{
    if (refused(path, len))
        return -1;
    if (path[len - 1] == '/') { /* "/chat/" is the page "/chat"; "/" is "/index.html" */
        if (len > 1)
            len--;
        if (try_file(root, path, len, len == 1 ? "index.html" : "/index.html", out, outsz) ||
            (len > 1 && try_file(root, path, len, ".html", out, outsz)))
            return 1;
    } else if (try_file(root, path, len, "", out, outsz) ||
               try_file(root, path, len, ".html", out, outsz) ||
               try_file(root, path, len, "/index.html", out, outsz)) {
        return 1;
    }
    if (looks_like_asset(path, len))
        return 0;
    return try_file(root, "/index.html", 11, "", out, outsz) ? 2 : 0;
}

static void add_header(h2o_req_t *req, const char *name, const char *value)
{
    h2o_add_header_by_str(&req->pool, &req->res.headers, name, strlen(name), 0, NULL, value,
                          strlen(value));
}

static void send_small(h2o_req_t *req, int status, const char *reason, const char *type,
                       const char *body, size_t len)
{
    req->res.status = status;
    req->res.reason = reason;
    req->res.content_length = len;
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL, type, strlen(type));
    add_header(req, "cache-control", "no-cache");
    h2o_send_inline(req, body, len);
}

static void send_json_error(h2o_req_t *req, int status, const char *reason, const char *code,
                            const char *message)
{
    char *body = h2o_mem_alloc_pool(&req->pool, 256);
    int n = snprintf(body, 256, "{\"error\":{\"code\":\"%s\",\"message\":\"%s\"}}", code, message);
    send_small(req, status, reason, "application/json", body, (size_t)n);
}

static h2o_iovec_t mime_of(srv_web_t *web, const char *file)
{
    const char *dot = strrchr(file, '.'), *slash = strrchr(file, '/');
    h2o_mimemap_type_t *t = NULL;
    if (dot != NULL && (slash == NULL || dot > slash))
        t = h2o_mimemap_get_type_by_extension(web->mimemap,
                                              h2o_iovec_init(dot + 1, strlen(dot + 1)));
    if (t == NULL || t->type != H2O_MIMEMAP_TYPE_MIMETYPE)
        t = h2o_mimemap_get_default_type(web->mimemap);
    return t->data.mimetype;
}

/* The validator h2o's file sender writes: "<mtime>-<size>" in hex. */
static void etag_of(const struct stat *st, char *out, size_t outsz)
{
    snprintf(out, outsz, "\"%08x-%zx\"", (unsigned)st->st_mtime, (size_t)st->st_size);
}

/* True if `inm` (an If-None-Match value: "*" or a list of tags, weak or strong) holds `tag`. */
static bool tag_listed(h2o_iovec_t inm, const char *tag)
{
    size_t tl = strlen(tag);
    if (h2o_memis(inm.base, inm.len, H2O_STRLIT("*")))
        return true;
    for (size_t i = 0; i + tl <= inm.len; i++)
        if (memcmp(inm.base + i, tag, tl) == 0)
            return true;
    return false;
}

/* Answers what h2o_file_send does not: 304 for a matching If-None-Match (the file's own tag or
 * that of its precompressed copy, whichever the client was sent), and HEAD, which h2o_file_send
 * would answer with the body. Returns true if it answered. */
static bool answer_without_body(srv_web_t *web, h2o_req_t *req, const char *file)
{
    struct stat st, gz;
    char tag[64], gztag[64], gzname[4410];
    bool head = h2o_memis(req->method.base, req->method.len, H2O_STRLIT("HEAD"));
    ssize_t i = h2o_find_header(&req->headers, H2O_TOKEN_IF_NONE_MATCH, -1);

    if (stat(file, &st) != 0)
        return false;
    etag_of(&st, tag, sizeof(tag));
    snprintf(gzname, sizeof(gzname), "%s.gz", file);
    if (stat(gzname, &gz) == 0)
        etag_of(&gz, gztag, sizeof(gztag));
    else
        gztag[0] = '\0';
    if (i != -1 && (tag_listed(req->headers.entries[i].value, tag) ||
                    (gztag[0] != '\0' && tag_listed(req->headers.entries[i].value, gztag)))) {
        req->res.status = 304;
        req->res.reason = "Not Modified";
        h2o_send_inline(req, "", 0);
        return true;
    }
    if (!head)
        return false;
    h2o_iovec_t mime = mime_of(web, file);
    req->res.status = 200;
    req->res.reason = "OK";
    req->res.content_length = (size_t)st.st_size;
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL, mime.base,
                   mime.len);
    add_header(req, "etag", tag);
    h2o_send_inline(req, "", 0);
    return true;
}

static int on_web_req(h2o_req_t *req, void *data)
{
    srv_web_t *web = data;
    h2o_iovec_t p = req->path_normalized;
    char file[4400];
    int found;
    bool immutable;

    if (!h2o_memis(req->method.base, req->method.len, H2O_STRLIT("GET")) &&
        !h2o_memis(req->method.base, req->method.len, H2O_STRLIT("HEAD"))) {
        add_header(req, "allow", "GET, HEAD");
        send_json_error(req, 405, "Method Not Allowed", "method_not_allowed", "use GET");
        return 0;
    }
    if (!web->built) { /* built after we started? */
        char index[4400];
        snprintf(index, sizeof(index), "%s/index.html", web->root);
        web->built = is_file(index);
    }
    if (!web->built && !looks_like_asset(p.base, p.len)) {
        send_small(req, 503, "Service Unavailable", "text/html; charset=utf-8", not_built_html,
                   sizeof(not_built_html) - 1);
        return 0;
    }
    found = srv_web_resolve(web->root, p.base, p.len, file, sizeof(file));
    if (found <= 0) {
        send_json_error(req, 404, "Not Found", "not_found", "no such file");
        return 0;
    }
    immutable = p.len > 14 && memcmp(p.base, "/_next/static/", 14) == 0 && found == 1;
    add_header(req, "cache-control",
               immutable ? "public, max-age=31536000, immutable" : "no-cache");
    add_header(req, "x-content-type-options", "nosniff");
    add_header(req, "referrer-policy", "same-origin");
    if (answer_without_body(web, req, file))
        return 0;
    if (h2o_file_send(req, 200, "OK", file, mime_of(web, file), H2O_FILE_FLAG_SEND_COMPRESSED) != 0)
        send_json_error(req, 404, "Not Found", "not_found", "no such file");
    return 0;
}

srv_web_t *srv_web_new(const char *root)
{
    srv_web_t *web = xcalloc(1, sizeof(*web));
    size_t n = strlen(root);
    char index[4400];

    while (n > 1 && root[n - 1] == '/')
        n--;
    web->root = xstrndup(root, n);
    snprintf(index, sizeof(index), "%s/index.html", web->root);
    web->built = is_file(index);
    if (!web->built)
        log_warn(LOG_MOD,
                 "--web-root %s has no index.html: / answers 503 until the web app is "
                 "built (scripts/run builds it)",
                 web->root);
    web->mimemap = h2o_mimemap_create();
    return web;
}

int srv_web_register(srv_web_t *web, srv_http_t *http)
{
    return srv_http_add_handler_flags(http, "/", on_web_req, web, SRV_HTTP_COMPRESS);
}

void srv_web_free(srv_web_t *web)
{
    if (web == NULL)
        return;
    h2o_mem_release_shared(web->mimemap);
    free(web->root);
    free(web);
}
