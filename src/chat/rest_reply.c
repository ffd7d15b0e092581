/* rest_reply.c - the REST API's answers: src/core's srv_http_send / srv_http_send_error (status,
 * Content-Type, Content-Length, the error body {"error":{"code","message"}}) with Cache-Control:
 * no-store (API answers hold tokens and private data), JSON bodies from jansson, and
 * WWW-Authenticate on a 401. */
#include "src/chat/internal.h"

#include <stdlib.h>
#include <string.h>

void rest_send_text(h2o_req_t *req, int status, const char *content_type, const char *body,
                    size_t len)
{
    srv_http_send(req, status, content_type, "no-store", body, len);
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
        srv_http_send_error(req, 500, "no-store", "internal", "could not encode the response");
        return;
    }
    rest_send_text(req, status, SRV_HTTP_JSON, text, strlen(text));
    free(text);
}

void rest_send_error(h2o_req_t *req, int status, const char *code, const char *message)
{
    if (status == 401)
        h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_WWW_AUTHENTICATE, NULL,
                       H2O_STRLIT("Bearer"));
    srv_http_send_error(req, status, "no-store", code, message);
}
