/* socket.c - one Engine.IO session: its send queue, heartbeats, packet dispatch, the two ways
 * to close, and the public accessors.
 *
 * Heartbeat (v4): after pingInterval the server queues `2` and waits pingTimeout for `3`; any
 * other packet refreshes that wait once per ping (as the reference). v3 reverses it: the client
 * pings, the server pongs, and pingInterval + pingTimeout without a ping closes the session.
 * The socket's one timer entry moves between the server's timer lists for these phases.
 *
 * Closing: eio_socket_close() marks the socket CLOSING; the idle pass flushes the queue then the
 * close packet (a polling socket waits for its next GET, at most closeTimeout) and then closes.
 * eio__socket_close_now() (timeouts, errors, transport gone) skips the flushing. Either way the
 * socket becomes CLOSED and the idle pass finalises it: the held GET gets a close packet, the
 * WebSocket a close frame, on_close runs and the memory is freed. */
#include "engineio/internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#define MODULE "engineio"

/* --- handshake info ------------------------------------------------------------------------ */

static void info_add(buf_t *b, const char *s, size_t len)
{
    buf_append(b, s, len);
    buf_append_char(b, '\0');
}

/* The peer's address, asked of the socket itself when there is one: h2o's get_peername caches
 * a malloc'd copy in the socket, a 32-byte chunk more for the connection's whole life. */
static bool peer_address(h2o_req_t *req, struct sockaddr_storage *ss)
{
    socklen_t len = sizeof(*ss);
    h2o_socket_t *s = req->conn->callbacks->get_socket != NULL
                          ? req->conn->callbacks->get_socket(req->conn)
                          : NULL;
    int fd = s != NULL ? h2o_socket_get_fd(s) : -1;
    if (fd >= 0)
        return getpeername(fd, (struct sockaddr *)ss, &len) == 0;
    return req->conn->callbacks->get_peername != NULL &&
           req->conn->callbacks->get_peername(req->conn, (struct sockaddr *)ss) != 0;
}

static void copy_request_info(eio_socket_t *sock, h2o_req_t *req)
{
    buf_t b = BUF_INIT;
    info_add(&b, req->path.base, req->path.len);
    const char *q = memchr(req->path.base, '?', req->path.len);
    sock->query_off = q != NULL ? (uint32_t)(q - req->path.base + 1) : (uint32_t)req->path.len;

    struct sockaddr_storage ss;
    char addr[INET6_ADDRSTRLEN] = "";
    memset(&ss, 0, sizeof(ss));
    if (peer_address(req, &ss)) {
        if (ss.ss_family == AF_INET)
            inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, addr, sizeof(addr));
        else if (ss.ss_family == AF_INET6)
            inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, addr, sizeof(addr));
    }
    info_add(&b, addr, strlen(addr));

    bool have_host = false;
    size_t n = 0;
    for (size_t i = 0; i < req->headers.size && n < UINT16_MAX - 1; i++, n++) {
        const h2o_header_t *h = &req->headers.entries[i];
        if (h->name->len == 4 && memcmp(h->name->base, "host", 4) == 0)
            have_host = true;
        info_add(&b, h->name->base, h->name->len);
        info_add(&b, h->value.base, h->value.len);
    }
    if (!have_host && req->input.authority.len != 0) {
        info_add(&b, "host", 4);
        info_add(&b, req->input.authority.base, req->input.authority.len);
        n++;
    }
    sock->header_count = (uint16_t)n;
    /* shrink to fit: this block lives as long as the session */
    size_t len;
    sock->info = buf_steal(&b, &len);
    sock->info = xrealloc(sock->info, len + 1);
}

static void make_sid(eio_server_t *srv, char *out)
{
    unsigned char raw[15];
    do {
        randombytes_buf(raw, sizeof(raw));
        sodium_bin2base64(out, EIO_SID_LEN + 1, raw, sizeof(raw),
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    } while (eio__server_find(srv, out) != NULL);
}

eio_socket_t *eio__socket_new(eio_server_t *srv, h2o_req_t *req, int protocol, int transport)
{
    eio_socket_t *sock = xcalloc(1, sizeof(*sock));
    sock->srv = srv;
    sock->protocol = (uint8_t)protocol;
    sock->transport = (uint8_t)transport;
    sock->state = EIO_STATE_OPEN;
    sock->q_tail = &sock->q_head;
    sock->created_ms = time_now_ms();
    make_sid(srv, sock->sid);
    copy_request_info(sock, req);
    const char *q = eio_socket_query(sock);
    size_t qlen = strlen(q);
    char tmp[8];
    /* as the reference: supportsBinary = !query.b64 (an empty value counts as absent), and JSONP
     * whenever `j` is present */
    int b64 = eio_query_get(q, qlen, "b64", tmp, sizeof(tmp));
    sock->b64 = b64 != -ENOENT && b64 != 0;
    sock->jsonp = transport == EIO_TRANSPORT_KIND_POLLING &&
                  eio_query_get(q, qlen, "j", tmp, sizeof(tmp)) != -ENOENT;
    return sock;
}

void eio__socket_free(eio_socket_t *sock)
{
    eio_qitem_t *it = sock->q_head;
    while (it != NULL) {
        eio_qitem_t *next = it->next;
        blob_unref(it->data);
        free(it);
        it = next;
    }
    eio__socket_queue_taken(sock);
    free(sock->info);
    free(sock);
}

/* --- heartbeats ---------------------------------------------------------------------------- */

void eio__socket_schedule_ping(eio_socket_t *sock)
{
    if (sock->protocol == 3)
        eio__timer_link(&sock->srv->v3_timeout_timers, &sock->hb);
    else
        eio__timer_link(&sock->srv->ping_interval_timers, &sock->hb);
}

void eio__hb_expired(eio_socket_t *sock, int which)
{
    switch (which) {
    case 0: /* ping interval: ping, then wait for the pong */
        if (sock->state != EIO_STATE_OPEN)
            return;
        sock->hb_refreshed = false;
        sock->wait_ping = true;
        eio__socket_queue(sock, EIO_PACKET_PING, NULL, false);
        eio__timer_link(&sock->srv->ping_timeout_timers, &sock->hb);
        break;
    case 1: /* no pong (v4) or no ping (v3) in time */
        log_info(MODULE, "socket %s: ping timeout", sock->sid);
        eio__socket_close_now(sock, "ping timeout");
        break;
    default: /* closing: the client never came back for the close packet */
        eio__socket_close_now(sock, sock->close_reason);
        break;
    }
}

/* --- queue --------------------------------------------------------------------------------- */

/* True if one more packet of `bytes` would take `sock` over one of its send bounds. A message
 * alone in an empty queue always fits, so a big message does not close an idle socket. */
static bool over_bound(const eio_socket_t *sock, size_t bytes)
{
    const eio_config_t *conf = &sock->srv->conf;
    size_t qbytes, queued = eio_socket_queued(sock, &qbytes);
    if (queued == 0)
        return false;
    if (conf->max_buffered_packets != 0 && queued >= conf->max_buffered_packets)
        return true;
    return conf->max_buffered_bytes != 0 && qbytes + bytes > conf->max_buffered_bytes;
}

int eio__socket_queue(eio_socket_t *sock, eio_packet_type_t type, blob_t *data, bool is_binary)
{
    eio_server_t *srv = sock->srv;
    size_t bytes = data != NULL ? data->len : 0;
    if (sock->state != EIO_STATE_OPEN) {
        blob_unref(data);
        return -EPIPE;
    }
    if (over_bound(sock, bytes)) {
        size_t qbytes, queued = eio_socket_queued(sock, &qbytes);
        blob_unref(data);
        log_warn(MODULE,
                 "socket %s: send queue full (%zu packets, %zu bytes; bounds %zu packets, %zu "
                 "bytes): closing",
                 sock->sid, queued, qbytes, srv->conf.max_buffered_packets,
                 srv->conf.max_buffered_bytes);
        srv->stats.closed_overflow++;
        eio__socket_close_now(sock, "transport error");
        return -ENOBUFS;
    }
    /* The WebSocket fast path: with nothing queued, the conn idle and no drain callback to
     * run, the packet is written now (as the reference's sendPacket flushes at once when the
     * transport is writable): no queue item, no idle pass; ws_conn.c sends it with one
     * sendmsg. A fan-out delivery is then one syscall and no allocation. */
    if (sock->ws != NULL && sock->transport == EIO_TRANSPORT_KIND_WEBSOCKET && sock->q_count == 0 &&
        !sock->in_pending && srv->cb.on_drain == NULL && eio__ws_writable(sock->ws)) {
        eio__websocket_send_now(sock, type, data, is_binary);
        return 0;
    }
    eio_qitem_t *it = xmalloc(sizeof(*it));
    it->next = NULL;
    it->data = data;
    it->type = (uint8_t)type;
    it->is_binary = is_binary;
    *sock->q_tail = it;
    sock->q_tail = &it->next;
    sock->q_count++;
    sock->q_bytes += (uint32_t)bytes;
    srv->stats.queued_packets++;
    srv->stats.queued_bytes += bytes;
    eio__socket_mark_pending(sock);
    return 0;
}

void eio__socket_queue_taken(eio_socket_t *sock)
{
    sock->srv->stats.queued_packets -= sock->q_count;
    sock->srv->stats.queued_bytes -= sock->q_bytes;
    sock->q_head = NULL;
    sock->q_tail = &sock->q_head;
    sock->q_count = 0;
    sock->q_bytes = 0;
}

/* --- incoming packets ---------------------------------------------------------------------- */

void eio__socket_on_packet(eio_socket_t *sock, const eio_packet_t *pkt)
{
    eio_server_t *srv = sock->srv;
    if (sock->state != EIO_STATE_OPEN)
        return;
    if (sock->protocol == 4 && sock->wait_ping && !sock->hb_refreshed &&
        pkt->type != EIO_PACKET_PONG) {
        eio__timer_link(&srv->ping_timeout_timers, &sock->hb);
        sock->hb_refreshed = true;
    }
    switch (pkt->type) {
    case EIO_PACKET_PING:
        if (sock->protocol != 3) {
            log_info(MODULE, "socket %s: invalid heartbeat direction", sock->sid);
            eio__socket_close_now(sock, "transport error");
            return;
        }
        eio__timer_link(&srv->v3_timeout_timers, &sock->hb);
        eio__socket_queue(sock, EIO_PACKET_PONG,
                          pkt->len != 0 ? blob_new(pkt->data, pkt->len) : NULL, false);
        break;
    case EIO_PACKET_PONG:
        if (sock->protocol == 3) {
            log_info(MODULE, "socket %s: invalid heartbeat direction", sock->sid);
            eio__socket_close_now(sock, "transport error");
            return;
        }
        sock->wait_ping = false;
        eio__timer_link(&srv->ping_interval_timers, &sock->hb);
        break;
    case EIO_PACKET_MESSAGE:
        /* Pending while its message is handled: a reply to it (an ack) is queued and written
         * by the idle pass after every ready socket was read, not at once by the fast path of
         * eio__socket_queue. Answering inline let the client's next message arrive while the
         * loop was still busy, splitting the reads into more, smaller epoll rounds: echo with
         * 1 KiB payloads cost 30% more CPU per ack. Sends to other sockets (a broadcast) still
         * go out at once. */
        eio__socket_mark_pending(sock);
        if (srv->cb.on_message != NULL)
            srv->cb.on_message(sock, pkt->data, pkt->len, pkt->is_binary, srv->data);
        break;
    case EIO_PACKET_CLOSE:
        /* as the reference's polling onClose: a held GET ends with a noop */
        if (sock->poll_req != NULL)
            eio__polling_answer(sock, EIO_PACKET_NOOP);
        eio__socket_close_now(sock, "transport close");
        break;
    default:
        break;
    }
}

/* --- closing ------------------------------------------------------------------------------- */

void eio__socket_close_now(eio_socket_t *sock, const char *reason)
{
    if (sock->state == EIO_STATE_CLOSED)
        return;
    if (sock->state == EIO_STATE_OPEN || sock->close_reason == NULL)
        sock->close_reason = reason;
    sock->state = EIO_STATE_CLOSED;
    eio__timer_unlink(&sock->hb);
    eio__socket_mark_pending(sock);
}

void eio__socket_flush(eio_socket_t *sock)
{
    eio_server_t *srv = sock->srv;
    size_t before = sock->q_count;
    if (sock->state == EIO_STATE_CLOSED)
        return;
    if (sock->transport == EIO_TRANSPORT_KIND_POLLING)
        eio__polling_flush(sock);
    else
        eio__websocket_flush(sock);
    if (sock->state == EIO_STATE_CLOSING) {
        /* the close packet went out, or nobody will come for it: close now; otherwise the
         * close timer (linked by eio_socket_close) bounds the wait for the next GET */
        if (!sock->send_close || srv->shutting_down)
            eio__socket_close_now(sock, sock->close_reason);
        return;
    }
    if (before != 0 && sock->q_count == 0 && srv->cb.on_drain != NULL)
        srv->cb.on_drain(sock, srv->data);
}

void eio__socket_finalize(eio_socket_t *sock, bool callbacks)
{
    eio_server_t *srv = sock->srv;
    sock->state = EIO_STATE_CLOSED;
    eio__timer_unlink(&sock->hb);
    if (sock->upgrade != NULL)
        eio__upgrade_cancel(sock);
    if (sock->poll_req != NULL)
        eio__polling_answer(sock, EIO_PACKET_CLOSE);
    if (sock->ws != NULL) {
        eio_ws_t *ws = sock->ws;
        sock->ws = NULL;
        eio__websocket_close_conn(ws, sock->send_close);
    }
    eio__server_remove(srv, sock);
    if (callbacks && sock->opened && srv->cb.on_close != NULL)
        srv->cb.on_close(sock, sock->close_reason ? sock->close_reason : "forced close", srv->data);
    eio__socket_free(sock);
}

/* --- public API ---------------------------------------------------------------------------- */

int eio_socket_send_blob(eio_socket_t *sock, blob_t *msg, bool is_binary, unsigned flags)
{
    if (sock->state != EIO_STATE_OPEN)
        return -EPIPE;
    if ((flags & EIO_SEND_VOLATILE) != 0 && !eio_socket_writable(sock)) {
        sock->srv->stats.volatile_dropped++;
        return -EAGAIN;
    }
    return eio__socket_queue(sock, EIO_PACKET_MESSAGE, blob_ref(msg), is_binary);
}

int eio_socket_send(eio_socket_t *sock, const char *msg, size_t len, bool is_binary)
{
    if (sock->state != EIO_STATE_OPEN)
        return -EPIPE;
    return eio__socket_queue(sock, EIO_PACKET_MESSAGE, blob_new(msg, len), is_binary);
}

void eio_socket_close(eio_socket_t *sock, const char *reason)
{
    if (sock->state != EIO_STATE_OPEN)
        return;
    sock->state = EIO_STATE_CLOSING;
    sock->close_reason = reason != NULL ? reason : "forced close";
    sock->send_close = true;
    eio__timer_link(&sock->srv->close_timers, &sock->hb);
    eio__socket_mark_pending(sock);
}

size_t eio_socket_queued(const eio_socket_t *sock, size_t *bytes)
{
    size_t n = sock->q_count, b = sock->q_bytes;
    if (sock->ws != NULL) {
        n += sock->ws->queued;
        b += sock->ws->queued_bytes;
    }
    if (bytes != NULL)
        *bytes = b;
    return n;
}

bool eio_socket_writable(const eio_socket_t *sock)
{
    if (sock->state != EIO_STATE_OPEN || sock->q_count != 0)
        return false;
    if (sock->transport == EIO_TRANSPORT_KIND_POLLING)
        return sock->poll_req != NULL;
    return sock->ws != NULL && eio__ws_writable(sock->ws);
}

const char *eio_socket_id(const eio_socket_t *sock)
{
    return sock->sid;
}

int eio_socket_protocol(const eio_socket_t *sock)
{
    return sock->protocol;
}

const char *eio_socket_transport(const eio_socket_t *sock)
{
    return sock->transport == EIO_TRANSPORT_KIND_POLLING ? "polling" : "websocket";
}

const char *eio_socket_url(const eio_socket_t *sock)
{
    return sock->info;
}

const char *eio_socket_query(const eio_socket_t *sock)
{
    return sock->info + sock->query_off;
}

const char *eio_socket_remote_address(const eio_socket_t *sock)
{
    return sock->info + strlen(sock->info) + 1;
}

/* The first header's name: right after the remote address. */
static const char *first_header(const eio_socket_t *sock)
{
    const char *p = eio_socket_remote_address(sock);
    return p + strlen(p) + 1;
}

/* The value of the header whose name is at `name`; the next name follows that value. */
static const char *header_value(const char *name)
{
    return name + strlen(name) + 1;
}

bool eio_socket_header(const eio_socket_t *sock, size_t i, const char **name, const char **value)
{
    if (i >= sock->header_count)
        return false;
    const char *p = first_header(sock);
    for (size_t j = 0; j < i; j++)
        p = header_value(header_value(p));
    *name = p;
    *value = header_value(p);
    return true;
}

const char *eio_socket_header_find(const eio_socket_t *sock, const char *name)
{
    /* one walk over the block, not eio_socket_header(i) per i (quadratic) */
    const char *p = first_header(sock);
    for (size_t i = 0; i < sock->header_count; i++, p = header_value(header_value(p)))
        if (strcmp(p, name) == 0)
            return header_value(p);
    return NULL;
}

uint64_t eio_socket_created_ms(const eio_socket_t *sock)
{
    return sock->created_ms;
}

bool eio_socket_secure(const eio_socket_t *sock)
{
    UNUSED(sock);
    return false;
}

void *eio_socket_get_data(const eio_socket_t *sock)
{
    return sock->data;
}

void eio_socket_set_data(eio_socket_t *sock, void *data)
{
    sock->data = data;
}

eio_server_t *eio_socket_server(const eio_socket_t *sock)
{
    return sock->srv;
}
