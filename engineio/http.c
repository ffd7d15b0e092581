/* http.c - the engine's HTTP responses: the reference's JSON error bodies, plain answers ("ok"),
 * polling payloads (gzip/deflate through zlib above the threshold when the client accepts it),
 * and the headers the `cors` package would add (Access-Control-*, Vary) plus the handshake
 * cookie. Bodies are built in the request pool, so nothing outlives the request. */
#include "engineio/internal.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <zlib.h>

static const char *const error_messages[] = {
    "Transport unknown", "Session ID unknown", "Bad handshake method",
    "Bad request",       "Forbidden",          "Unsupported protocol version",
};

const char *eio__error_message(eio_error_code_t code)
{
    if ((unsigned)code >= ARRAY_SIZE(error_messages))
        return "Bad request";
    return error_messages[code];
}

static void add_header(h2o_req_t *req, const char *name, const char *value, size_t len)
{
    h2o_add_header_by_str(&req->pool, &req->res.headers, name, strlen(name), 0, NULL, value, len);
}

static void send_body(h2o_req_t *req, const char *body, size_t len)
{
    req->res.content_length = len;
    h2o_send_inline(req, body, len);
}

void eio__respond_error(eio_server_t *srv, h2o_req_t *req, eio_error_code_t code)
{
    char body[96];
    int n = snprintf(body, sizeof(body), "{\"code\":%d,\"message\":\"%s\"}", (int)code,
                     eio__error_message(code));
    req->res.status = code == EIO_ERR_FORBIDDEN ? 403 : 400;
    req->res.reason = code == EIO_ERR_FORBIDDEN ? "Forbidden" : "Bad Request";
    eio__add_cors_headers(srv, req);
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL,
                   H2O_STRLIT("application/json"));
    send_body(req, body, (size_t)n);
}

void eio__respond_upgrade_error(eio_server_t *srv, h2o_req_t *req, eio_error_code_t code)
{
    const char *msg = eio__error_message(code);
    UNUSED(srv);
    req->res.status = 400;
    req->res.reason = "Bad Request";
    req->http1_is_persistent = 0; /* Connection: close, as the reference's abortUpgrade */
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL,
                   H2O_STRLIT("text/html"));
    send_body(req, msg, strlen(msg));
}

void eio__respond_plain(eio_server_t *srv, h2o_req_t *req, int status, const char *body)
{
    req->res.status = status;
    req->res.reason = status == 200   ? "OK"
                      : status == 413 ? "Payload Too Large"
                      : status == 503 ? "Service Unavailable"
                      : status == 500 ? "Internal Server Error"
                                      : "Bad Request";
    eio__add_cors_headers(srv, req);
    if (body[0] != '\0')
        h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL,
                       H2O_STRLIT("text/html"));
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CACHE_CONTROL, NULL,
                   H2O_STRLIT("no-store"));
    send_body(req, body, strlen(body));
}

bool eio__header_value_invalid(const char *v, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)v[i];
        if ((c < 32 && c != '\t') || c == 127)
            return true;
    }
    return false;
}

/* Reads the q value of one Accept-Encoding element ("gzip;q=0.5"): 0 means refused. */
static bool element_accepted(const char *params, size_t len)
{
    const char *q = memmem(params, len, "q=", 2);
    if (q == NULL)
        return true;
    q += 2;
    const char *end = params + len;
    /* any digit other than 0 before the end means q > 0 */
    for (; q < end && (*q == '0' || *q == '.'); q++)
        ;
    return q < end && *q >= '1' && *q <= '9';
}

const char *eio__pick_encoding(const char *v, size_t len)
{
    bool gzip = false, deflate = false;
    const char *p = v, *end = v + len;
    while (p < end) {
        const char *comma = memchr(p, ',', (size_t)(end - p));
        const char *stop = comma != NULL ? comma : end;
        while (p < stop && (*p == ' ' || *p == '\t'))
            p++;
        const char *semi = NULL;
        for (const char *c = p; c < stop; c++) {
            if (*c == ';') {
                semi = c;
                break;
            }
        }
        const char *tok_end = semi != NULL ? semi : stop;
        while (tok_end > p && (tok_end[-1] == ' ' || tok_end[-1] == '\t'))
            tok_end--;
        size_t tl = (size_t)(tok_end - p);
        bool ok = semi == NULL || element_accepted(semi, (size_t)(stop - semi));
        if (tl == 4 && strncasecmp(p, "gzip", 4) == 0)
            gzip = ok;
        else if (tl == 7 && strncasecmp(p, "deflate", 7) == 0)
            deflate = ok;
        else if (tl == 1 && *p == '*' && ok)
            gzip = true;
        p = comma != NULL ? comma + 1 : end;
    }
    return gzip ? "gzip" : deflate ? "deflate" : NULL;
}

const char *eio__cors_allow_origin(const char *conf_origin, const char *origin, size_t origin_len,
                                   bool *vary)
{
    *vary = false;
    if (conf_origin == NULL)
        return NULL;
    if (strcmp(conf_origin, "*") == 0)
        return "*";
    *vary = true;
    if (origin == NULL)
        return NULL;
    /* the caller copies it: it points into the request */
    return str_list_has(conf_origin, origin, origin_len) ? origin : NULL;
}

/* Access-Control-Allow-Origin (+ Vary) and -Credentials, common to both kinds of answers. */
static void add_origin_headers(eio_server_t *srv, h2o_req_t *req)
{
    ssize_t i = h2o_find_header_by_str(&req->headers, H2O_STRLIT("origin"), -1);
    const char *origin = i >= 0 ? req->headers.entries[i].value.base : NULL;
    size_t origin_len = i >= 0 ? req->headers.entries[i].value.len : 0;
    bool vary;
    const char *allow = eio__cors_allow_origin(srv->conf.cors_origin, origin, origin_len, &vary);
    if (allow != NULL)
        add_header(req, "access-control-allow-origin", allow,
                   allow == origin ? origin_len : strlen(allow));
    if (vary)
        h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_VARY, NULL, H2O_STRLIT("Origin"));
    if (srv->conf.cors_credentials)
        add_header(req, "access-control-allow-credentials", H2O_STRLIT("true"));
}

void eio__add_cors_headers(eio_server_t *srv, h2o_req_t *req)
{
    if (srv->conf.cors_origin == NULL)
        return;
    add_origin_headers(srv, req);
}

void eio__respond_preflight(eio_server_t *srv, h2o_req_t *req)
{
    add_origin_headers(srv, req);
    const char *methods =
        srv->conf.cors_methods ? srv->conf.cors_methods : "GET,HEAD,PUT,PATCH,POST,DELETE";
    add_header(req, "access-control-allow-methods", methods, strlen(methods));
    if (srv->conf.cors_allowed_headers != NULL) {
        add_header(req, "access-control-allow-headers", srv->conf.cors_allowed_headers,
                   strlen(srv->conf.cors_allowed_headers));
    } else {
        /* as the cors package: reflect the request's list, and tell caches so either way */
        ssize_t i =
            h2o_find_header_by_str(&req->headers, H2O_STRLIT("access-control-request-headers"), -1);
        h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_VARY, NULL,
                       H2O_STRLIT("Access-Control-Request-Headers"));
        if (i >= 0 && req->headers.entries[i].value.len != 0)
            add_header(req, "access-control-allow-headers", req->headers.entries[i].value.base,
                       req->headers.entries[i].value.len);
    }
    req->res.status = 204;
    req->res.reason = "No Content";
    req->res.content_length = 0;
    h2o_send_inline(req, "", 0);
}

void eio__add_cookie_header(eio_server_t *srv, h2o_req_t *req, const char *sid)
{
    if (srv->conf.cookie_name == NULL)
        return;
    /* built in the pool: the name, path and SameSite come from the configuration, any length */
    buf_t b = BUF_INIT;
    buf_printf(&b, "%s=%s; Path=%s%s%s%s", srv->conf.cookie_name, sid,
               srv->conf.cookie_path ? srv->conf.cookie_path : "/",
               srv->conf.cookie_http_only ? "; HttpOnly" : "",
               srv->conf.cookie_same_site ? "; SameSite=" : "",
               srv->conf.cookie_same_site ? srv->conf.cookie_same_site : "");
    h2o_iovec_t v = h2o_strdup(&req->pool, b.base, b.len);
    buf_dispose(&b);
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_SET_COOKIE, NULL, v.base, v.len);
}

/* Compression runs on the loop thread: bigger answers go out plain (compression is optional
 * for the client) so that one answer stalls the loop for about 10 ms at most. */
#define COMPRESS_MAX_BYTES (1024 * 1024)

/* Compresses into the pool; returns false (send it plain) if too big or on any zlib failure. */
static bool compress_body(h2o_req_t *req, const char *encoding, const char *body, size_t len,
                          h2o_iovec_t *out)
{
    if (len > COMPRESS_MAX_BYTES)
        return false;
    z_stream z;
    memset(&z, 0, sizeof(z));
    int bits = strcmp(encoding, "gzip") == 0 ? 15 + 16 : 15;
    if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, bits, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return false;
    size_t cap = deflateBound(&z, (uLong)len) + 32;
    char *dst = h2o_mem_alloc_pool(&req->pool, cap);
    z.next_in = (Bytef *)body;
    z.avail_in = (uInt)len;
    z.next_out = (Bytef *)dst;
    z.avail_out = (uInt)cap;
    int rc = deflate(&z, Z_FINISH);
    size_t n = z.total_out;
    deflateEnd(&z);
    if (rc != Z_STREAM_END)
        return false;
    *out = h2o_iovec_init(dst, n);
    return true;
}

void eio__respond_payload(eio_server_t *srv, h2o_req_t *req, const char *body, size_t len,
                          bool compress, const char *set_cookie_sid, bool binary)
{
    h2o_iovec_t out = {NULL, 0};
    req->res.status = 200;
    req->res.reason = "OK";
    eio__add_cors_headers(srv, req);
    if (binary)
        h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL,
                       H2O_STRLIT("application/octet-stream"));
    else
        h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL,
                       H2O_STRLIT("text/plain; charset=UTF-8"));
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CACHE_CONTROL, NULL,
                   H2O_STRLIT("no-store"));
    if (set_cookie_sid != NULL)
        eio__add_cookie_header(srv, req, set_cookie_sid);
    if (compress && srv->conf.http_compression && len >= srv->conf.compression_threshold) {
        ssize_t i = h2o_find_header(&req->headers, H2O_TOKEN_ACCEPT_ENCODING, -1);
        const char *enc = i >= 0 ? eio__pick_encoding(req->headers.entries[i].value.base,
                                                      req->headers.entries[i].value.len)
                                 : NULL;
        h2o_iovec_t z;
        if (enc != NULL && compress_body(req, enc, body, len, &z)) {
            h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_ENCODING, NULL, enc,
                           strlen(enc));
            out = z;
        }
    }
    if (out.base == NULL)
        out = h2o_strdup(&req->pool, body, len);
    req->res.content_length = out.len;
    static h2o_generator_t generator = {NULL, NULL};
    h2o_start_response(req, &generator);
    h2o_send(req, &out, 1, H2O_SEND_STATE_FINAL);
}
