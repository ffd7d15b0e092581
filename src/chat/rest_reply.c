/* rest_reply.c - JSON responses on h2o: status line, Content-Type, Content-Length (h2o_send_inline
 * would otherwise go chunked), Cache-Control: no-store (API answers hold tokens and private data),
 * and the error body {"error":{"code","message"}} every failure of the API uses. */
#include "src/chat/internal.h"

#include <stdlib.h>
#include <string.h>

const char *rest_status_reason(int status)
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

void rest_send_text(h2o_req_t *req, int status, const char *content_type, const char *body,
                    size_t len)
{
    req->res.status = status;
    req->res.reason = rest_status_reason(status);
    if (content_type != NULL)
        h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL, content_type,
                       strlen(content_type));
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CACHE_CONTROL, NULL,
                   H2O_STRLIT("no-store"));
    if (status == 204) {
        h2o_send_inline(req, NULL, 0);
        return;
    }
    req->res.content_length = len;
    h2o_send_inline(req, body, len);
}

void rest_send_json(h2o_req_t *req, int status, json_t *body)
{
    char *text;
    if (body == NULL) {
        rest_send_text(req, status, NULL, "", 0);
        return;
    }
    text = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    if (text == NULL) { /* only on out-of-memory or a string that is not UTF-8: our bug */
        static const char fallback[] =
            "{\"error\":{\"code\":\"internal\",\"message\":\"could not encode the response\"}}";
        rest_send_text(req, 500, "application/json; charset=utf-8", fallback, sizeof(fallback) - 1);
        return;
    }
    rest_send_text(req, status, "application/json; charset=utf-8", text, strlen(text));
    free(text);
}

void rest_send_error(h2o_req_t *req, int status, const char *code, const char *message)
{
    if (status == 401)
        h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_WWW_AUTHENTICATE, NULL,
                       H2O_STRLIT("Bearer"));
    rest_send_json(req, status, chat_json_error(code, message));
}
