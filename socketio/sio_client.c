/* sio_client.c - one Engine.IO session seen by Socket.IO (the reference's Client): decodes its
 * messages (reassembling binary packets), routes each packet to the socket of its namespace,
 * runs the CONNECT flow (namespace lookup, dynamic namespaces, session restore, middlewares) and
 * closes the sockets when the session ends.
 *
 * Protocol violations close the session as the reference does: a packet that does not decode
 * (or text while attachments are awaited, or an unexpected attachment) closes the Engine.IO
 * connection, and the sockets then see the engine's reason ("forced close" for a close we
 * started); a packet that is valid but out of place (CONNECT to a namespace already joined, an
 * EVENT for a namespace not joined) closes everything at once with "forced server close".
 * EIO3 sessions (socket.io 2.x clients) are connected to "/" on open and carry their CONNECT
 * auth as a query string in the namespace ("/nsp?token=1"). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "socketio/internal.h"

/* The reason the reference ends with after a decoding error: client.onerror() calls
 * conn.close(), and the engine reports "forced close". */
#define DECODE_ERROR_CLOSE_REASON "forced close"

static sio_client_t *client_open(sio_server_t *io, eio_socket_t *conn, int protocol, buf_t *sink)
{
    sio_client_t *c = xcalloc(1, sizeof(*c));
    c->io = io;
    c->conn = conn;
    c->protocol = (uint8_t)protocol;
    c->sink = sink;
    c->next = io->clients;
    if (io->clients != NULL)
        io->clients->prev = c;
    io->clients = c;
    if (conn != NULL)
        eio_socket_set_data(conn, c);
    sio__client_wait_add(c);
    if (c->protocol == 3) /* the 2.x client waits for the server to connect it to "/" */
        sio__client_connect(c, "/", json_incref(io->empty));
    return c;
}

void sio__client_open(sio_server_t *io, eio_socket_t *conn)
{
    client_open(io, conn, eio_socket_protocol(conn), NULL);
}

sio_client_t *sio__client_new_detached(sio_server_t *io, int protocol, buf_t *sink)
{
    return client_open(io, NULL, protocol, sink);
}

int sio__client_write(sio_client_t *c, blob_t *text, blob_t *const *bins, size_t nbins,
                      unsigned flags)
{
    unsigned eflags;
    int rc;
    if (c == NULL || c->closed)
        return -EPIPE;
    if (c->conn == NULL) {
        /* a detached client (unit tests): recorded in its sink, one message a line */
        if (c->sink != NULL) {
            buf_append(c->sink, text->data, text->len);
            buf_append_char(c->sink, '\n');
            for (size_t i = 0; i < nbins; i++)
                buf_printf(c->sink, "<binary %zu>\n", bins[i]->len);
        }
        return 0;
    }
    if ((flags & SIO_EMIT_VOLATILE) && !eio_socket_writable(c->conn))
        return -EAGAIN; /* volatile: discarded */
    eflags = (flags & SIO_EMIT_NO_COMPRESS) ? 0 : EIO_SEND_COMPRESS;
    rc = eio_socket_send_blob(c->conn, text, false, eflags);
    for (size_t i = 0; rc == 0 && i < nbins; i++)
        rc = eio_socket_send_blob(c->conn, bins[i], true, eflags);
    return rc;
}

int sio__client_send_packet(sio_client_t *c, sio_packet_type_t type, const char *nsp,
                            int64_t ack_id, const json_t *data, blob_t *const *bins, size_t nbins,
                            unsigned flags)
{
    blob_t *text;
    int rc;
    if (c == NULL || c->closed)
        return -EPIPE;
    text = sio_packet_encode_blob(type, nsp, ack_id, data, nbins);
    if (text == NULL)
        return -EINVAL;
    rc = sio__client_write(c, text, bins, nbins, flags);
    blob_unref(text);
    return rc;
}

static void client_unlink_socket(sio_client_t *c, sio_socket_t *sock)
{
    for (sio_socket_t **pp = &c->sockets; *pp != NULL; pp = &(*pp)->client_next) {
        if (*pp == sock) {
            *pp = sock->client_next;
            sock->client_next = NULL;
            sock->client = NULL;
            sio_socket_unref(sock);
            return;
        }
    }
}

/* Called by sio_socket.c when a socket leaves its client (closed or refused). */
void sio__client_remove_socket(sio_socket_t *sock)
{
    if (sock->client != NULL)
        client_unlink_socket(sock->client, sock);
}

static void close_sockets(sio_client_t *c, const char *reason)
{
    while (c->sockets != NULL) {
        sio_socket_t *s = c->sockets;
        if (s->state == SIO_SOCKET_CONNECTED)
            sio__socket_onclose(s, reason); /* unlinks it */
        if (c->sockets == s) {
            /* a socket still in its middlewares, restore or replay: they find it detached */
            sio__replay_abort(s);
            client_unlink_socket(c, s);
        }
    }
}

void sio__client_close(sio_client_t *c, const char *reason)
{
    if (c->closed)
        return;
    c->closed = true;
    sio__client_wait_remove(c);
    if (c->conn != NULL)
        eio_socket_close(c->conn, "forced close");
    close_sockets(c, reason);
}

void sio__client_disconnect_all(sio_client_t *c)
{
    sio_socket_t *s;
    while ((s = c->sockets) != NULL && !c->closed) {
        /* disconnect() takes the socket off the list; a pending one is dropped */
        if (s->state == SIO_SOCKET_CONNECTED)
            sio_socket_disconnect(s, false);
        if (c->sockets == s) {
            sio__replay_abort(s);
            client_unlink_socket(c, s);
        }
    }
    sio__client_close(c, "forced server close");
}

/* Frees a binary packet still waiting for its attachments. */
static void drop_pending(sio_client_t *c)
{
    if (c->pending != NULL) {
        sio_packet_dispose(c->pending);
        free(c->pending);
        c->pending = NULL;
    }
}

void sio__client_closed(sio_client_t *c, const char *reason)
{
    sio_server_t *io = c->io;
    c->closed = true;
    sio__client_wait_remove(c);
    close_sockets(c, reason);
    drop_pending(c);
    if (c->prev != NULL)
        c->prev->next = c->next;
    else
        io->clients = c->next;
    if (c->next != NULL)
        c->next->prev = c->prev;
    if (c->conn != NULL)
        eio_socket_set_data(c->conn, NULL);
    free(c);
}

static void on_decode_error(sio_client_t *c, const char *why)
{
    log_debug("socketio", "invalid packet: %s", why);
    drop_pending(c);
    /* further messages are ignored; the sockets close when the engine reports the close */
    c->closed = true;
    sio__client_wait_remove(c);
    if (c->conn != NULL)
        eio_socket_close(c->conn, DECODE_ERROR_CLOSE_REASON);
}

static sio_socket_t *find_socket(sio_client_t *c, const char *nsp)
{
    for (sio_socket_t *s = c->sockets; s != NULL; s = s->client_next) {
        if (s->state == SIO_SOCKET_CONNECTED && strcmp(s->nsp->name, nsp) == 0)
            return s;
    }
    return NULL;
}

static void on_decoded(sio_client_t *c, sio_packet_t *pkt)
{
    const char *name = pkt->nsp;
    json_t *auth = NULL;
    char *path = NULL;
    sio_socket_t *sock;

    if (c->protocol == 3) {
        /* url.parse(nsp, true): the pathname and the query as the auth payload */
        const char *q = strchr(name, '?');
        if (q != NULL) {
            path = xstrndup(name, (size_t)(q - name));
            auth = sio__query_parse(q + 1, strlen(q + 1));
            name = path;
        }
        if (auth == NULL)
            auth = json_incref(c->io->empty);
    } else {
        auth = json_is_object(pkt->data) ? json_incref(pkt->data) : json_incref(c->io->empty);
    }
    sock = find_socket(c, name);
    if (sock == NULL && pkt->type == SIO_PACKET_CONNECT) {
        sio__client_connect(c, name, json_incref(auth));
    } else if (sock != NULL && pkt->type != SIO_PACKET_CONNECT &&
               pkt->type != SIO_PACKET_CONNECT_ERROR) {
        sio_socket_ref(sock);
        sio__socket_onpacket(sock, pkt);
        sio_socket_unref(sock);
    } else {
        log_debug("socketio", "invalid state (packet type %d for %s), closing", (int)pkt->type,
                  name);
        sio__client_close(c, "forced server close");
    }
    json_decref(auth);
    free(path);
}

void sio__client_message(sio_client_t *c, const char *msg, size_t len, bool is_binary)
{
    sio_packet_t pkt;
    int rc;
    if (c->closed)
        return;
    if (c->pending != NULL) {
        if (!is_binary) {
            on_decode_error(c, "got plaintext data when reconstructing a packet");
            return;
        }
        rc = sio_packet_add_attachment(c->pending, msg, len);
        if (rc == -EAGAIN)
            return;
        if (rc != 0) {
            on_decode_error(c, "illegal attachments");
            return;
        }
        pkt = *c->pending;
        free(c->pending);
        c->pending = NULL;
    } else {
        if (is_binary) {
            on_decode_error(c, "got binary data when not reconstructing a packet");
            return;
        }
        rc = sio_packet_decode(&pkt, msg, len, c->io->conf.max_attachments);
        if (rc == -EAGAIN) {
            c->pending = xmalloc(sizeof(*c->pending));
            *c->pending = pkt;
            return;
        }
        if (rc != 0) {
            on_decode_error(c, "malformed packet");
            return;
        }
    }
    on_decoded(c, &pkt);
    sio_packet_dispose(&pkt);
}

/* --- CONNECT flow --- */

static sio_namespace_t *find_namespace(sio_server_t *io, const char *name, const json_t *auth)
{
    sio_namespace_t *nsp = sio_strmap_get(&io->nsps, name);
    if (nsp != NULL)
        return nsp;
    for (sio_namespace_t *p = io->parents; p != NULL; p = p->next) {
        if (p->match(name, auth, p->match_data)) {
            nsp = sio_strmap_get(&io->nsps, name); /* a match callback may have created it */
            return nsp != NULL ? nsp : sio__namespace_new(io, name, p->h);
        }
    }
    return NULL;
}

static void on_restored(const sio_restored_t *r, void *cbdata)
{
    sio_socket_t *sock = cbdata;
    sio_client_t *c = sock->client;

    if (c == NULL || c->closed || sock->state != SIO_SOCKET_PENDING) {
        sio_socket_unref(sock); /* the connection went away meanwhile */
        return;
    }
    if (r != NULL && strlen(r->session.sid) <= 20 && r->session.pid != NULL) {
        size_t i;
        json_t *room;
        strcpy(sock->id, r->session.sid);
        free(sock->pid);
        sock->pid = xstrdup(r->session.pid);
        json_array_foreach(r->session.rooms, i, room)
        {
            const char *name = json_string_value(room);
            if (name != NULL)
                sock->nsp->adapter->add_all(sock->nsp->adapter->self, sock, &name, 1);
        }
        json_decref(sock->data);
        sock->data = r->session.data != NULL ? json_deep_copy(r->session.data) : NULL;
        sock->recovered = true;
        sio__replay_start(sock, r->missed, r->nmissed); /* then sio__namespace_after_restore */
    } else {
        sio__namespace_run_middlewares(sock);
    }
    sio_socket_unref(sock);
}

void sio__client_connect(sio_client_t *c, const char *name, json_t *auth)
{
    sio_server_t *io = c->io;
    sio_namespace_t *nsp = find_namespace(io, name, auth);
    sio_socket_t *sock;
    const char *pid, *offset;

    if (nsp == NULL) {
        json_t *err = json_pack("{ss}", "message", "Invalid namespace");
        log_debug("socketio", "creation of namespace %s was denied", name);
        sio__client_send_packet(c, SIO_PACKET_CONNECT_ERROR, name, -1, err, NULL, 0, 0);
        json_decref(err);
        json_decref(auth);
        return;
    }
    sock = sio__socket_new(nsp, c, auth); /* takes auth; the client's list holds a reference */
    sio_socket_ref(sock);
    pid = json_string_value(json_object_get(sock->auth, "pid"));
    offset = json_string_value(json_object_get(sock->auth, "offset"));
    if (io->conf.recovery && pid != NULL && offset != NULL) {
        sio_socket_ref(sock); /* released by on_restored */
        nsp->adapter->restore_session(nsp->adapter->self, pid, offset, on_restored, sock);
    } else {
        sio__namespace_run_middlewares(sock);
    }
    sio_socket_unref(sock);
}
