/* request.c - one HTTP request to the engine: path match, CORS preflight, verification (the
 * reference's verify() and handshake() checks, as a pure function for the tests), then the
 * handshake (polling or WebSocket) or a request for an existing session. */
#include "engineio/internal.h"

#include <errno.h>
#include <string.h>
#include <strings.h>

#define MODULE "engineio"

int eio__verify(const eio_config_t *conf, const eio_req_info_t *ri, const eio_socket_t *sock)
{
    if ((ri->transport & conf->transports) == 0)
        return EIO_ERR_UNKNOWN_TRANSPORT;
    if (ri->origin_invalid)
        return EIO_ERR_BAD_REQUEST;
    if (ri->has_sid) {
        if (sock == NULL)
            return EIO_ERR_UNKNOWN_SID;
        unsigned current = sock->transport == EIO_TRANSPORT_KIND_POLLING ? EIO_TRANSPORT_POLLING
                                                                         : EIO_TRANSPORT_WEBSOCKET;
        if (!ri->upgrade && current != ri->transport)
            return EIO_ERR_BAD_REQUEST;
        if (ri->protocol != sock->protocol)
            return EIO_ERR_BAD_REQUEST;
        /* an upgrade must be a websocket; a websocket session takes no more HTTP requests */
        if (ri->upgrade != (ri->transport == EIO_TRANSPORT_WEBSOCKET))
            return EIO_ERR_BAD_REQUEST;
        return -1;
    }
    if (!ri->is_get)
        return EIO_ERR_BAD_HANDSHAKE_METHOD;
    if (ri->transport == EIO_TRANSPORT_WEBSOCKET && !ri->upgrade)
        return EIO_ERR_BAD_REQUEST;
    if (ri->transport == EIO_TRANSPORT_POLLING && ri->upgrade)
        return EIO_ERR_BAD_REQUEST; /* polling does not handle upgrades */
    if (ri->protocol == 3 && !conf->allow_eio3)
        return EIO_ERR_UNSUPPORTED_PROTOCOL_VERSION;
    return -1;
}

blob_t *eio__open_packet_json(const eio_config_t *conf, const char *sid, int transport)
{
    buf_t b = BUF_INIT;
    bool upgrades = transport == EIO_TRANSPORT_KIND_POLLING && conf->allow_upgrades &&
                    (conf->transports & EIO_TRANSPORT_WEBSOCKET) != 0;
    buf_printf(&b,
               "{\"sid\":\"%s\",\"upgrades\":[%s],\"pingInterval\":%u,\"pingTimeout\":%u,"
               "\"maxPayload\":%zu}",
               sid, upgrades ? "\"websocket\"" : "", conf->ping_interval_ms, conf->ping_timeout_ms,
               conf->max_http_buffer_size);
    blob_t *blob = blob_new(b.base, b.len);
    buf_dispose(&b);
    return blob;
}

static bool path_matches(const eio_server_t *srv, const h2o_req_t *req)
{
    const char *base = srv->conf.path;
    size_t blen = strlen(base);
    if (blen > 1 && base[blen - 1] == '/')
        blen--;
    const char *p = req->path_normalized.base;
    size_t plen = req->path_normalized.len;
    if (plen < blen || memcmp(p, base, blen) != 0)
        return false;
    return plen == blen || blen == 1 || p[blen] == '/';
}

/* The session starts: open packet, on_open, heartbeat. */
static void start_session(eio_server_t *srv, eio_socket_t *sock)
{
    eio__socket_queue(sock, EIO_PACKET_OPEN,
                      eio__open_packet_json(&srv->conf, sock->sid, sock->transport), false);
    eio__socket_schedule_ping(sock);
    sock->opened = true;
    if (srv->cb.on_open != NULL)
        srv->cb.on_open(sock, srv->data);
}

int eio_server_handle(eio_server_t *srv, h2o_req_t *req)
{
    if (!path_matches(srv, req))
        return -1;
    if (srv->shutting_down || srv->freeing) {
        eio__respond_plain(srv, req, 503, "");
        return 0;
    }
    if (srv->conf.cors_origin != NULL &&
        h2o_memis(req->method.base, req->method.len, H2O_STRLIT("OPTIONS"))) {
        eio__respond_preflight(srv, req);
        return 0;
    }
    const char *q = "";
    size_t qlen = 0;
    if (req->query_at != SIZE_MAX) {
        q = req->path.base + req->query_at + 1;
        qlen = req->path.len - req->query_at - 1;
    }
    eio_req_info_t ri;
    memset(&ri, 0, sizeof(ri));
    ri.is_get = h2o_memis(req->method.base, req->method.len, H2O_STRLIT("GET"));
    char transport[16], sid[64], eio[8];
    if (eio_query_get(q, qlen, "transport", transport, sizeof(transport)) >= 0) {
        if (strcmp(transport, "polling") == 0)
            ri.transport = EIO_TRANSPORT_POLLING;
        else if (strcmp(transport, "websocket") == 0)
            ri.transport = EIO_TRANSPORT_WEBSOCKET;
    }
    int sl = eio_query_get(q, qlen, "sid", sid, sizeof(sid));
    ri.has_sid = sl > 0 || sl == -EMSGSIZE;
    if (sl == -EMSGSIZE)
        sid[0] = '\0'; /* too long to be one of ours: unknown */
    ri.protocol = eio_query_get(q, qlen, "EIO", eio, sizeof(eio)) == 1 && eio[0] == '4' ? 4 : 3;
    ssize_t oi = h2o_find_header_by_str(&req->headers, H2O_STRLIT("origin"), -1);
    ri.origin_invalid = oi >= 0 && eio__header_value_invalid(req->headers.entries[oi].value.base,
                                                             req->headers.entries[oi].value.len);
    const char *key = NULL;
    ri.upgrade = h2o_is_websocket_handshake(req, &key) == 0 && key != NULL;

    eio_socket_t *sock = ri.has_sid ? eio__server_find(srv, sid) : NULL;
    int err = eio__verify(&srv->conf, &ri, sock);
    if (err >= 0) {
        log_debug(MODULE, "request refused: %d %s", err, eio__error_message(err));
        if (ri.upgrade && sock != NULL && err == EIO_ERR_BAD_REQUEST)
            log_info(MODULE, "socket %s: bad upgrade request refused", sock->sid);
        if (ri.upgrade)
            eio__respond_upgrade_error(srv, req, (eio_error_code_t)err);
        else
            eio__respond_error(srv, req, (eio_error_code_t)err);
        return 0;
    }
    if (sock != NULL) {
        if (ri.upgrade)
            eio__websocket_accept(srv, sock, req, key, ri.protocol);
        else
            eio__polling_on_request(sock, req);
        return 0;
    }
    if (ri.upgrade) {
        sock = eio__websocket_accept(srv, NULL, req, key, ri.protocol);
        eio__server_add(srv, sock);
        start_session(srv, sock);
        return 0;
    }
    sock = eio__socket_new(srv, req, ri.protocol, EIO_TRANSPORT_KIND_POLLING);
    eio__server_add(srv, sock);
    start_session(srv, sock);
    eio__polling_hold(sock, req);
    eio__socket_flush(sock); /* answers the handshake GET with the open packet at once */
    return 0;
}
