/* polling.c - the HTTP long-polling transport.
 *
 * GET is held (h2o lets a handler answer later) until a packet is queued: a ping is one, so an
 * idle session answers every pingInterval. A second GET while one is held is a protocol error
 * that closes the session (reference: "overlap from client"). A shared pool object ties the held
 * request to its socket both ways, so a torn-down connection clears the pointer (and closes the
 * session) and a closed session answers the request with a close packet.
 *
 * POST carries a payload (h2o has buffered the whole body): as the reference, the packets before
 * a malformed one are handled, then the session closes ("parse error"), and the POST is still
 * answered 200 "ok"; a body over maxHttpBufferSize gets 413 (the reference keeps the session).
 * Because h2o 2.2 hands over only complete bodies, a POST overlapping another one cannot be seen.
 *
 * Encodings: v4 payload; v3 string payload, or the v3 XHR binary payload (octet-stream) when the
 * client did not ask for b64 and a binary packet is in the answer; JSONP (`j` on the handshake):
 * the answer is `___eio[N]("<payload as a JSON string>");` and POSTs are form-encoded `d=`. */
#include "engineio/internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MODULE "engineio"

static void on_poll_dispose(void *p)
{
    eio_poll_ref_t *ref = p;
    eio_socket_t *sock = ref->sock;
    if (sock == NULL)
        return;
    ref->sock = NULL;
    sock->poll_req = NULL;
    sock->poll_ref = NULL;
    log_info(MODULE, "socket %s: poll connection closed prematurely", sock->sid);
    eio__socket_close_now(sock, "transport error");
}

/* Takes the held GET off the socket before answering it. */
static h2o_req_t *take_poll(eio_socket_t *sock)
{
    h2o_req_t *req = sock->poll_req;
    if (req == NULL)
        return NULL;
    sock->poll_ref->sock = NULL;
    sock->poll_ref = NULL;
    sock->poll_req = NULL;
    return req;
}

/* The packets of one answer, encoded as the session's client expects: v4 payload, v3 string
 * payload, v3 XHR binary payload (no b64 and a binary packet among them), then wrapped for JSONP
 * when the handshake had `j`. */
typedef struct st_batch_t {
    buf_t body;
    bool binary_framing;
} batch_t;

static void batch_init(eio_socket_t *sock, batch_t *b, const eio_qitem_t *items)
{
    memset(b, 0, sizeof(*b));
    if (sock->protocol == 3 && !sock->b64 && !sock->jsonp)
        for (const eio_qitem_t *it = items; it != NULL; it = it->next)
            if (it->is_binary)
                b->binary_framing = true;
}

static void batch_add(eio_socket_t *sock, batch_t *b, eio_packet_type_t type, const char *data,
                      size_t len, bool is_binary)
{
    if (b->binary_framing)
        eio_payload_v3_append_binary(&b->body, type, data, len, is_binary);
    else if (sock->protocol == 3)
        eio_payload_v3_append(&b->body, type, data, len, is_binary);
    else
        eio_payload_append(&b->body, type, data, len, is_binary);
}

/* Answers the held GET with the batch (taken off the socket first). */
static void batch_send(eio_socket_t *sock, batch_t *b, bool compress, const char *cookie_sid)
{
    h2o_req_t *req = take_poll(sock);
    if (sock->jsonp) {
        /* ___eio[<digits of j>]("<payload>"); */
        char j[32] = "";
        const char *q = eio_socket_query(sock);
        buf_t js = BUF_INIT;
        buf_append_str(&js, "___eio[");
        if (eio_query_get(q, strlen(q), "j", j, sizeof(j)) > 0)
            for (const char *c = j; *c != '\0'; c++)
                if (*c >= '0' && *c <= '9')
                    buf_append_char(&js, *c);
        buf_append_str(&js, "](");
        eio_json_string_append(&js, b->body.base ? b->body.base : "", b->body.len);
        buf_append_str(&js, ");");
        buf_dispose(&b->body);
        b->body = js;
    }
    eio__respond_payload(sock->srv, req, b->body.base ? b->body.base : "", b->body.len, compress,
                         cookie_sid, b->binary_framing);
    buf_dispose(&b->body);
}

void eio__polling_hold(eio_socket_t *sock, h2o_req_t *req)
{
    eio_poll_ref_t *ref = h2o_mem_alloc_shared(&req->pool, sizeof(*ref), on_poll_dispose);
    ref->sock = sock;
    sock->poll_req = req;
    sock->poll_ref = ref;
}

bool eio__polling_flush(eio_socket_t *sock)
{
    if (sock->poll_req == NULL)
        return false;
    bool closing = sock->state == EIO_STATE_CLOSING && sock->send_close;
    if (sock->q_head == NULL && !closing)
        return false;
    if (sock->upgrade != NULL && sock->upgrade->probed)
        return false; /* the client is pausing polling; the queue goes over the WebSocket */
    /* The reference sends what is queued first and the close packet on the next GET:
     * engine.io-client handles a close at once but the messages of the same payload a tick
     * later, so a `41` batched with `1` would be reported as "transport close" instead of
     * "io server disconnect". The close timer bounds the wait for that GET; at shutdown there is
     * no time for another round trip, so both go together. */
    bool close_now = closing && (sock->q_head == NULL || sock->srv->shutting_down);
    batch_t b;
    batch_init(sock, &b, sock->q_head);
    bool handshake = false;
    eio_qitem_t *it = sock->q_head;
    while (it != NULL) {
        eio_qitem_t *next = it->next;
        if (it->type == EIO_PACKET_OPEN)
            handshake = true;
        batch_add(sock, &b, (eio_packet_type_t)it->type, it->data ? it->data->data : "",
                  it->data ? it->data->len : 0, it->is_binary);
        blob_unref(it->data);
        free(it);
        it = next;
    }
    eio__socket_queue_taken(sock);
    if (close_now) {
        batch_add(sock, &b, EIO_PACKET_CLOSE, "", 0, false);
        sock->send_close = false;
    }
    batch_send(sock, &b, true, handshake ? sock->sid : NULL);
    return true;
}

void eio__polling_answer(eio_socket_t *sock, eio_packet_type_t type)
{
    if (sock->poll_req == NULL)
        return;
    batch_t b;
    batch_init(sock, &b, NULL);
    batch_add(sock, &b, type, "", 0, false);
    batch_send(sock, &b, false, NULL);
}

/* Decodes a POST body the way the session's client encodes it. */
static int decode_body(eio_socket_t *sock, h2o_req_t *req, bool binary, eio_payload_t *pl,
                       char **scratch)
{
    const char *body = req->entity.base != NULL ? req->entity.base : "";
    size_t len = req->entity.len;
    /* one packet needs at least one byte, so the body length bounds the count */
    size_t max_packets = len + 1;
    *scratch = NULL;
    if (sock->jsonp) {
        /* form-encoded `d=<payload>` with the client's newlines escaped */
        char *d = xmalloc(len + 1);
        int n = eio_query_get(body, len, "d", d, len + 1);
        if (n < 0) {
            free(d);
            memset(pl, 0, sizeof(*pl));
            return -EBADMSG;
        }
        len = eio_jsonp_unescape(d, (size_t)n);
        body = d;
        *scratch = d;
    }
    if (sock->protocol == 3)
        return binary ? eio_payload_v3_decode_binary(pl, body, len, max_packets)
                      : eio_payload_v3_decode(pl, body, len, max_packets);
    return eio_payload_decode(pl, body, len, max_packets);
}

static void on_post(eio_socket_t *sock, h2o_req_t *req)
{
    eio_server_t *srv = sock->srv;
    if (req->entity.len > srv->conf.max_http_buffer_size) {
        log_warn(MODULE, "socket %s: POST of %zu bytes over maxHttpBufferSize %zu: 413", sock->sid,
                 req->entity.len, srv->conf.max_http_buffer_size);
        eio__respond_plain(srv, req, 413, "");
        return;
    }
    ssize_t ct = h2o_find_header(&req->headers, H2O_TOKEN_CONTENT_TYPE, -1);
    bool binary =
        ct >= 0 && req->headers.entries[ct].value.len >= 24 &&
        strncasecmp(req->headers.entries[ct].value.base, "application/octet-stream", 24) == 0;
    if (binary && sock->protocol == 4) {
        log_info(MODULE, "socket %s: binary POST body on EIO=4: invalid content", sock->sid);
        eio__respond_plain(srv, req, 400, "");
        eio__socket_close_now(sock, "transport error");
        return;
    }
    eio_payload_t pl;
    char *scratch;
    int rc = decode_body(sock, req, binary, &pl, &scratch);
    /* as the reference: the packets before a malformed one are handled, then the session closes
     * with "parse error", and the POST itself is still answered "ok" */
    for (size_t i = 0; i < pl.count && sock->state == EIO_STATE_OPEN; i++)
        eio__socket_on_packet(sock, &pl.pkts[i]);
    eio_payload_dispose(&pl);
    free(scratch);
    if (rc != 0) {
        log_info(MODULE, "socket %s: malformed polling payload (%zu bytes): parse error", sock->sid,
                 req->entity.len);
        eio__socket_close_now(sock, "parse error");
    }
    eio__respond_plain(srv, req, 200, "ok");
}

void eio__polling_on_request(eio_socket_t *sock, h2o_req_t *req)
{
    eio_server_t *srv = sock->srv;
    if (h2o_memis(req->method.base, req->method.len, H2O_STRLIT("GET"))) {
        if (sock->poll_req != NULL) {
            log_info(MODULE, "socket %s: overlapping GET from client: closing", sock->sid);
            eio__respond_plain(srv, req, 400, "");
            eio__socket_close_now(sock, "transport error");
            return;
        }
        eio__polling_hold(sock, req);
        if (sock->upgrade != NULL && sock->upgrade->probed)
            eio__polling_answer(sock, EIO_PACKET_NOOP);
        else
            eio__socket_mark_pending(sock);
        return;
    }
    if (h2o_memis(req->method.base, req->method.len, H2O_STRLIT("POST"))) {
        on_post(sock, req);
        return;
    }
    eio__respond_plain(srv, req, 500, "");
}
