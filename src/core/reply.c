/* reply.c - the small complete answers of sioc's handlers (see http.h): status line and reason,
 * Content-Type, Cache-Control and Content-Length (h2o_send_inline would otherwise go chunked),
 * and the one JSON error body {"error":{"code","message"}} that the REST API (src/chat) and the
 * web app's handler (web_static.c) both answer failures with. */
#include "src/core/http.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

const char *srv_http_reason(int status)
{
    switch (status) {
    case 200:
        return "OK";
    case 201:
        return "Created";
    case 204:
        return "No Content";
    case 301:
        return "Moved Permanently";
    case 304:
        return "Not Modified";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 409:
        return "Conflict";
    case 413:
        return "Payload Too Large";
    case 415:
        return "Unsupported Media Type";
    case 416:
        return "Range Not Satisfiable";
    case 429:
        return "Too Many Requests";
    case 500:
        return "Internal Server Error";
    case 503:
        return "Service Unavailable";
    default:
        return "Unknown";
    }
}

void srv_http_send(h2o_req_t *req, int status, const char *type, const char *cache,
                   const char *body, size_t len)
{
    req->res.status = status;
    req->res.reason = srv_http_reason(status);
    if (type != NULL)
        h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL, type,
                       strlen(type));
    if (cache != NULL)
        h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CACHE_CONTROL, NULL, cache,
                       strlen(cache));
    if (status == 204) {
        h2o_send_inline(req, NULL, 0);
        return;
    }
    req->res.content_length = len;
    h2o_send_inline(req, body, len);
}

void srv_http_send_error(h2o_req_t *req, int status, const char *cache, const char *code,
                         const char *message)
{
    static const char fallback[] =
        "{\"error\":{\"code\":\"internal\",\"message\":\"could not encode the response\"}}";
    json_t *o = json_pack("{s:{s:s,s:s}}", "error", "code", code, "message", message);
    char *text = o != NULL ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    if (text == NULL) { /* only on out-of-memory or a string that is not UTF-8: our bug */
        srv_http_send(req, 500, SRV_HTTP_JSON, cache, fallback, sizeof(fallback) - 1);
        return;
    }
    srv_http_send(req, status, SRV_HTTP_JSON, cache, text, strlen(text));
    free(text);
}
