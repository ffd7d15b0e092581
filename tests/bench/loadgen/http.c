/* http.c - the load generator's HTTP/1.1 response parser, enough for Engine.IO long-polling and
 * the WebSocket upgrade: status line, the few headers that matter (Content-Length,
 * Transfer-Encoding: chunked, Connection, Upgrade, Sec-WebSocket-Accept), and the body, decoded
 * into an owned buffer. No I/O; the caller feeds everything received so far and learns how many
 * bytes one response used (-EAGAIN until it is whole). */
#include "tests/bench/loadgen/loadgen.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *find_crlf(const char *p, const char *end)
{
    for (; p + 1 < end; p++)
        if (p[0] == '\r' && p[1] == '\n')
            return p;
    return NULL;
}

static bool header_is(const char *name, size_t nlen, const char *want)
{
    return nlen == strlen(want) && strncasecmp(name, want, nlen) == 0;
}

static bool value_has(const char *v, size_t vlen, const char *token)
{
    size_t tl = strlen(token);
    for (size_t i = 0; i + tl <= vlen; i++)
        if (strncasecmp(v + i, token, tl) == 0)
            return true;
    return false;
}

/* Decodes a chunked body starting at p; returns bytes used, -EAGAIN or -EBADMSG. */
static long parse_chunked(const char *p, const char *end, size_t max_len, buf_t *body)
{
    const char *q = p;
    for (;;) {
        const char *eol = find_crlf(q, end);
        if (eol == NULL)
            return (end - q > 32) ? -EBADMSG : -EAGAIN;
        char *stop;
        unsigned long n = strtoul(q, &stop, 16);
        if (stop == q || (stop != eol && *stop != ';'))
            return -EBADMSG;
        if (n > max_len || body->len + n > max_len)
            return -EBADMSG;
        q = eol + 2;
        if (n == 0) { /* trailers (none expected) end with an empty line */
            for (;;) {
                const char *t = find_crlf(q, end);
                if (t == NULL)
                    return -EAGAIN;
                bool empty = t == q;
                q = t + 2;
                if (empty)
                    return (long)(q - p);
            }
        }
        if ((size_t)(end - q) < n + 2)
            return -EAGAIN;
        buf_append(body, q, n);
        q += n;
        if (q[0] != '\r' || q[1] != '\n')
            return -EBADMSG;
        q += 2;
    }
}

long http_resp_parse(const char *p, size_t len, size_t max_len, http_resp_t *r)
{
    const char *end = p + len;
    memset(r, 0, sizeof(*r));
    const char *eol = find_crlf(p, end);
    if (eol == NULL)
        return len > 256 ? -EBADMSG : -EAGAIN;
    if (eol - p < 12 || strncmp(p, "HTTP/1.", 7) != 0 || p[8] != ' ')
        return -EBADMSG;
    r->status = atoi(p + 9);
    if (r->status < 100 || r->status > 599)
        return -EBADMSG;
    long content_length = -1;
    bool chunked = false;
    const char *q = eol + 2;
    for (;;) {
        eol = find_crlf(q, end);
        if (eol == NULL)
            return (size_t)(end - p) > 16384 ? -EBADMSG : -EAGAIN;
        if (eol == q) {
            q += 2;
            break;
        }
        const char *colon = memchr(q, ':', (size_t)(eol - q));
        if (colon == NULL)
            return -EBADMSG;
        size_t nlen = (size_t)(colon - q);
        const char *v = colon + 1;
        while (v < eol && (*v == ' ' || *v == '\t'))
            v++;
        size_t vlen = (size_t)(eol - v);
        if (header_is(q, nlen, "content-length")) {
            content_length = strtol(v, NULL, 10);
            if (content_length < 0)
                return -EBADMSG;
        } else if (header_is(q, nlen, "transfer-encoding")) {
            chunked = value_has(v, vlen, "chunked");
        } else if (header_is(q, nlen, "connection")) {
            r->close = value_has(v, vlen, "close");
        } else if (header_is(q, nlen, "upgrade")) {
            r->upgrade = value_has(v, vlen, "websocket");
        } else if (header_is(q, nlen, "sec-websocket-accept")) {
            r->has_accept = vlen > 0;
        }
        q = eol + 2;
    }
    if (r->status == 101 || r->status == 204 || r->status == 304)
        return (long)(q - p);
    if (chunked) {
        long n = parse_chunked(q, end, max_len, &r->body);
        if (n < 0) {
            http_resp_dispose(r);
            return n;
        }
        return (long)(q - p) + n;
    }
    if (content_length < 0) /* body until EOF: not something Engine.IO servers send */
        return -EBADMSG;
    if ((size_t)content_length > max_len)
        return -EBADMSG;
    if ((size_t)(end - q) < (size_t)content_length)
        return -EAGAIN;
    buf_append(&r->body, q, (size_t)content_length);
    return (long)(q - p) + content_length;
}

void http_resp_dispose(http_resp_t *r)
{
    buf_dispose(&r->body);
}
