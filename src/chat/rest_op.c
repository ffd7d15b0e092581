/* rest_op.c - in-flight REST operations (rest_op_t, see internal.h).
 *
 * Two things can disappear under an op while storage or the thread pool works for it: the h2o
 * request (its pool is disposed if the connection is torn down) and the service (srv_chat_free
 * at shutdown). The first is tracked with a pointer-sized shared allocation in req->pool whose
 * dispose hook clears op->req; the second by the service's list of ops, which srv_chat_free walks
 * to clear op->chat. A callback that finds either gone just frees the op. */
#include "src/chat/internal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

static void on_req_dispose(void *p)
{
    rest_op_t **slot = p;
    if (*slot != NULL) {
        (*slot)->req = NULL;
        (*slot)->req_slot = NULL;
    }
}

rest_op_t *rest_op_new(srv_chat_t *chat, h2o_req_t *req)
{
    rest_op_t *op = xcalloc(1, sizeof(*op));
    op->chat = chat;
    op->req = req;
    op->req_slot = h2o_mem_alloc_shared(&req->pool, sizeof(*op->req_slot), on_req_dispose);
    *op->req_slot = op;
    op->next = chat->ops;
    if (chat->ops != NULL)
        chat->ops->prev = op;
    chat->ops = op;
    return op;
}

bool rest_op_alive(const rest_op_t *op)
{
    return op->chat != NULL && op->req != NULL;
}

bool rest_op_alive_or_free(rest_op_t *op)
{
    if (rest_op_alive(op))
        return true;
    rest_op_free(op);
    return false;
}

bool rest_op_proceed(rest_op_t *op, int status, const char *what)
{
    if (!rest_op_alive_or_free(op))
        return false;
    if (status != 0) {
        rest_op_reply_store_error(op, status, what);
        return false;
    }
    return true;
}

void rest_op_issued(rest_op_t *op, int rc, const char *what)
{
    if (rc != 0)
        rest_op_reply_store_error(op, rc, what);
}

void rest_op_free(rest_op_t *op)
{
    if (op == NULL)
        return;
    if (op->req_slot != NULL)
        *op->req_slot = NULL;
    if (op->chat != NULL) {
        if (op->prev != NULL)
            op->prev->next = op->next;
        else
            op->chat->ops = op->next;
        if (op->next != NULL)
            op->next->prev = op->prev;
    }
    json_decref(op->body);
    json_decref(op->result);
    free(op->ids);
    free(op->text);
    free(op->aux);
    store_chat_free(op->c);
    free(op);
}

void rest_op_orphan_all(srv_chat_t *chat)
{
    rest_op_t *op = chat->ops;
    while (op != NULL) {
        rest_op_t *next = op->next;
        op->chat = NULL;
        op->prev = op->next = NULL;
        op = next;
    }
    chat->ops = NULL;
}

void rest_op_reply_json(rest_op_t *op, int status, json_t *body)
{
    if (op->req != NULL)
        rest_send_json(op->req, status, body);
    else
        json_decref(body);
    rest_op_free(op);
}

void rest_op_reply_error(rest_op_t *op, int status, const char *code, const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (op->req != NULL)
        rest_send_error(op->req, status, code, msg);
    rest_op_free(op);
}

void rest_op_reply_store_error(rest_op_t *op, int status, const char *what)
{
    switch (status) {
    case -ENOENT:
        rest_op_reply_error(op, 404, "not_found", "%s not found", what);
        break;
    case -EEXIST:
        rest_op_reply_error(op, 409, "conflict", "%s already exists", what);
        break;
    case -EPERM:
        rest_op_reply_error(op, 403, "forbidden", "not allowed on this %s", what);
        break;
    case -EMSGSIZE:
        rest_op_reply_error(op, 413, "payload_too_large", "a text is too long");
        break;
    case -EINVAL:
        rest_op_reply_error(op, 400, "invalid_request", "invalid %s", what);
        break;
    case -ESHUTDOWN:
    case -ENOTCONN:
    case -ENOBUFS:
        rest_op_reply_unavailable(op, status);
        break;
    default:
        rest_op_reply_error(op, 500, "internal", "storage failed (%d)", status);
        break;
    }
}

void rest_op_reply_unavailable(rest_op_t *op, int status)
{
    if (op->req != NULL)
        h2o_add_header(&op->req->pool, &op->req->res.headers, H2O_TOKEN_RETRY_AFTER, NULL,
                       H2O_STRLIT(CHAT_RETRY_AFTER_UNAVAILABLE));
    rest_op_reply_error(op, 503, "unavailable", "%s, retry in %s seconds",
                        chat_unavailable_reason(status), CHAT_RETRY_AFTER_UNAVAILABLE);
}

void rest_op_reply_rate_limited(rest_op_t *op, uint64_t wait_ms)
{
    char secs[24];
    uint64_t s = (wait_ms + 999) / 1000;
    if (op->req != NULL) {
        int n = snprintf(secs, sizeof(secs), "%llu", (unsigned long long)(s > 0 ? s : 1));
        h2o_add_header(&op->req->pool, &op->req->res.headers, H2O_TOKEN_RETRY_AFTER, NULL,
                       h2o_strdup(&op->req->pool, secs, (size_t)n).base, (size_t)n);
    }
    rest_op_reply_error(op, 429, "too_many_attempts",
                        "too many failed attempts, retry in %llu seconds",
                        (unsigned long long)(s > 0 ? s : 1));
}
