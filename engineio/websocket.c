/* websocket.c - the WebSocket transport of a session and the upgrade from polling, on the
 * connections of ws_conn.c.
 *
 * Frames: a text frame is one text packet (`4hello`); a binary frame is a binary message (v4) or
 * a type byte then data (v3). The packet type goes out as a one-byte prefix in the frame header
 * buffer and a queued blob is referenced as the payload, so a broadcast is never copied per
 * socket.
 *
 * Each conn points to its session (ws->owner) or to the upgrade it probes (ws->upgrade); both
 * NULL means detached: its frames are ignored and its end is not reported.
 *
 * Upgrade: a WebSocket with a sid is a probe: `2probe` is answered `3probe` and the held GET gets
 * `6` so the client's poll ends; `5` switches the session to this conn (any later GET/POST for
 * the sid then fails verify with 400). A probe that does not finish within upgradeTimeout is
 * closed; a second WebSocket for a sid already upgrading or upgraded is closed at once. */
#include "engineio/internal.h"

#include <stdlib.h>
#include <string.h>

#define MODULE "engineio"

/* Queues one packet on `ws`; takes over the ref on `blob` (or copies data/len if NULL). */
static void send_packet(eio_ws_t *ws, int protocol, eio_packet_type_t type, blob_t *blob,
                        const char *data, size_t len, bool is_binary)
{
    int prefix;
    if (is_binary)
        prefix = protocol == 3 ? (int)type : -1;
    else
        prefix = '0' + (int)type;
    eio__ws_send(ws, is_binary, prefix, blob, data, len);
}

void eio__websocket_flush(eio_socket_t *sock)
{
    eio_ws_t *ws = sock->ws;
    if (ws == NULL)
        return;
    eio_qitem_t *it = sock->q_head;
    while (it != NULL) {
        eio_qitem_t *next = it->next;
        send_packet(ws, sock->protocol, (eio_packet_type_t)it->type, it->data, NULL, 0,
                    it->is_binary);
        free(it);
        it = next;
    }
    eio__socket_queue_taken(sock);
    /* eio_socket_close: the reference sends no close packet over a WebSocket, just the close
     * frame (no status). At server shutdown sioc sends `1` first (the issue asks for a close
     * packet on every session): send_close stays set and finalize writes it before the frame. */
    if (sock->state == EIO_STATE_CLOSING && sock->send_close && !sock->srv->shutting_down)
        sock->send_close = false;
}

void eio__websocket_send_now(eio_socket_t *sock, eio_packet_type_t type, blob_t *data,
                             bool is_binary)
{
    send_packet(sock->ws, sock->protocol, type, data, NULL, 0, is_binary);
}

void eio__websocket_close_conn(eio_ws_t *ws, bool send_close)
{
    ws->owner = NULL;
    ws->upgrade = NULL;
    if (send_close)
        eio__ws_send(ws, false, '0' + EIO_PACKET_CLOSE, NULL, "", 0);
    eio__ws_close(ws, 0);
}

static void free_upgrade(eio_socket_t *sock)
{
    eio_upgrade_t *up = sock->upgrade;
    eio__timer_unlink(&up->timeout);
    free(up);
    sock->upgrade = NULL;
}

void eio__upgrade_cancel(eio_socket_t *sock)
{
    eio_ws_t *ws = sock->upgrade->ws;
    free_upgrade(sock);
    eio__websocket_close_conn(ws, false);
    if (sock->state == EIO_STATE_OPEN)
        eio__socket_mark_pending(sock); /* polling resumes: flush what waited */
}

/* The upgrade completes: the session moves to the probe's conn. */
static void complete_upgrade(eio_socket_t *sock, eio_ws_t *ws)
{
    free_upgrade(sock);
    ws->upgrade = NULL;
    ws->owner = sock;
    sock->transport = EIO_TRANSPORT_KIND_WEBSOCKET;
    sock->ws = ws;
    sock->upgraded = true;
    if (sock->poll_req != NULL)
        eio__polling_answer(sock, EIO_PACKET_NOOP);
    eio__socket_mark_pending(sock);
}

static void on_probe_packet(eio_socket_t *sock, eio_ws_t *ws, const eio_packet_t *pkt)
{
    if (pkt->type == EIO_PACKET_PING && pkt->len == 5 && memcmp(pkt->data, "probe", 5) == 0) {
        /* as the reference, every probe is answered, except while the last answer is still
         * unwritten: a peer that probes without reading cannot grow the queue */
        if (ws->upgrade->probed && !eio__ws_writable(ws))
            return;
        send_packet(ws, sock->protocol, EIO_PACKET_PONG, NULL, "probe", 5, false);
        ws->upgrade->probed = true;
        if (sock->poll_req != NULL)
            eio__polling_answer(sock, EIO_PACKET_NOOP);
        return;
    }
    if (pkt->type == EIO_PACKET_UPGRADE && sock->state != EIO_STATE_CLOSED) {
        complete_upgrade(sock, ws);
        return;
    }
    log_info(MODULE, "socket %s: unexpected packet %d during upgrade: closing the probe", sock->sid,
             (int)pkt->type);
    eio__upgrade_cancel(sock);
}

void eio__websocket_on_message(eio_ws_t *ws, const char *msg, size_t len, bool is_binary)
{
    eio_socket_t *sock = ws->owner != NULL ? ws->owner : ws->upgrade->sock;
    eio_packet_t pkt;
    if (eio_packet_decode(&pkt, msg, len, is_binary, sock->protocol) != 0) {
        log_info(MODULE, "socket %s: invalid WebSocket frame (%zu bytes): parse error", sock->sid,
                 len);
        if (ws->upgrade != NULL)
            eio__upgrade_cancel(sock);
        else
            eio__socket_close_now(sock, "parse error");
        return;
    }
    if (ws->upgrade != NULL)
        on_probe_packet(sock, ws, &pkt);
    else
        eio__socket_on_packet(sock, &pkt);
    eio_packet_dispose(&pkt);
}

void eio__websocket_on_close(eio_ws_t *ws, int code)
{
    if (ws->upgrade != NULL) {
        eio_socket_t *sock = ws->upgrade->sock;
        free_upgrade(sock);
        if (sock->state == EIO_STATE_OPEN)
            eio__socket_mark_pending(sock);
        return;
    }
    eio_socket_t *sock = ws->owner;
    const char *reason = "transport close";
    if (code == 1009) {
        reason = "transport error";
        log_warn(MODULE, "socket %s: WebSocket message over maxHttpBufferSize (%zu): closed",
                 sock->sid, sock->srv->conf.max_http_buffer_size);
    } else if (code == 1002 || code == 1007) {
        reason = "transport error";
        log_info(MODULE, "socket %s: WebSocket protocol error (%d): closed", sock->sid, code);
    }
    sock->ws = NULL;
    eio__socket_close_now(sock, reason);
}

eio_socket_t *eio__websocket_accept(eio_server_t *srv, eio_socket_t *sock, h2o_req_t *req,
                                    const char *key, int protocol)
{
    bool fresh = sock == NULL;
    if (fresh) {
        sock = eio__socket_new(srv, req, protocol, EIO_TRANSPORT_KIND_WEBSOCKET);
        eio__add_cookie_header(srv, req, sock->sid);
    }
    eio__add_cors_headers(srv, req); /* the cors middleware runs on upgrades too */
    eio_ws_t *ws = eio__ws_upgrade(req, key, srv);
    if (fresh) {
        ws->owner = sock;
        sock->ws = ws;
        return sock;
    }
    if (sock->upgrade != NULL || sock->upgraded || sock->state != EIO_STATE_OPEN ||
        sock->transport != EIO_TRANSPORT_KIND_POLLING) {
        log_info(MODULE, "socket %s: second WebSocket for the session: closed", sock->sid);
        eio__ws_close(ws, 0);
        return NULL;
    }
    eio_upgrade_t *up = xcalloc(1, sizeof(*up));
    up->sock = sock;
    up->ws = ws;
    ws->upgrade = up;
    sock->upgrade = up;
    eio__timer_link(&srv->upgrade_timers, &up->timeout);
    return NULL;
}
