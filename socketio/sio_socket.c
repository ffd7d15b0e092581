/* sio_socket.c - a client's membership of one namespace (the reference's Socket): incoming
 * events and acks, emits with or without ack (and timeout), rooms through the adapter,
 * disconnection with the reference's reasons, recovery's session persistence, the handshake.
 *
 * Lifetime: refcounted (see internal.h). Entry points that call user code hold a reference so a
 * handler may disconnect the socket (or the whole connection) without freeing it under us.
 * Pending acks are a short singly linked list (few at a time); each one with a timeout owns a
 * uv_timer, closed (and freed by its close callback) when the ack completes. */
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "socketio/internal.h"

/* Reasons after which recovery keeps the session (RECOVERABLE_DISCONNECT_REASONS). */
static const char *const recoverable_reasons[] = {
    "transport error", "transport close",      "forced close",
    "ping timeout",    "server shutting down", "forced server close",
};

/* base64id.generateId(): 15 random bytes in URL-safe base64 ('-' and '_'), 20 characters (the
 * same shape as the Engine.IO sid). */
static void generate_id(char out[21])
{
    unsigned char r[15];
    randombytes_buf(r, sizeof(r));
    sodium_bin2base64(out, 21, r, sizeof(r), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

sio_socket_t *sio__socket_new(sio_namespace_t *nsp, sio_client_t *c, json_t *auth)
{
    char gen[21];
    const char *eid = c->conn != NULL ? eio_socket_id(c->conn) : "";
    size_t idlen;
    sio_socket_t *s;
    bool v3 = c->protocol == 3;

    if (v3)
        idlen = strcmp(nsp->name, "/") == 0 ? strlen(eid) : strlen(nsp->name) + 1 + strlen(eid);
    else
        idlen = 20;
    s = xcalloc(1, sizeof(*s) + (idlen > 20 ? idlen : 20) + 1);
    if (!v3) {
        generate_id(gen);
        memcpy(s->id, gen, 21);
    } else if (strcmp(nsp->name, "/") == 0) {
        strcpy(s->id, eid);
    } else {
        sprintf(s->id, "%s#%s", nsp->name, eid);
    }
    if (nsp->io->conf.recovery) {
        generate_id(gen);
        s->pid = xstrdup(gen);
    }
    s->nsp = nsp;
    s->client = c;
    if (!json_is_object(auth)) {
        json_decref(auth);
        auth = json_incref(nsp->io->empty);
    }
    s->auth = auth;
    s->issued = time_now_ms();
    s->refcnt = 1; /* the client's list */
    s->state = SIO_SOCKET_PENDING;
    s->client_next = c->sockets;
    c->sockets = s;
    return s;
}

static void ack_free(sio_pending_ack_t *a);

sio_socket_t *sio_socket_ref(sio_socket_t *sock)
{
    sock->refcnt++;
    return sock;
}

void sio_socket_unref(sio_socket_t *sock)
{
    sio_pending_ack_t *a;
    if (sock == NULL || --sock->refcnt > 0)
        return;
    while ((a = sock->acks) != NULL) { /* none left once disconnected; no callbacks here */
        sock->acks = a->next;
        ack_free(a);
    }
    free(sock->rooms);
    json_decref(sock->auth);
    json_decref(sock->data);
    free(sock->pid);
    free(sock);
}

/* --- accessors --- */

const char *sio_socket_id(const sio_socket_t *sock)
{
    return sock->id;
}

sio_namespace_t *sio_socket_namespace(const sio_socket_t *sock)
{
    return sock->nsp;
}

eio_socket_t *sio_socket_conn(const sio_socket_t *sock)
{
    return sock->client != NULL && !sock->client->closed ? sock->client->conn : NULL;
}

bool sio_socket_connected(const sio_socket_t *sock)
{
    return sock->state == SIO_SOCKET_CONNECTED;
}

bool sio_socket_recovered(const sio_socket_t *sock)
{
    return sock->recovered;
}

const json_t *sio_socket_auth(const sio_socket_t *sock)
{
    return sock->auth;
}

json_t *sio_socket_data(sio_socket_t *sock)
{
    if (sock->data == NULL)
        sock->data = json_object();
    return sock->data;
}

void sio_socket_set_data(sio_socket_t *sock, json_t *data)
{
    json_decref(sock->data);
    sock->data = data;
}

void *sio_socket_get_user(const sio_socket_t *sock)
{
    return sock->user;
}

void sio_socket_set_user(sio_socket_t *sock, void *user)
{
    sock->user = user;
}

/* `new Date() + ""`: "Sat Nov 21 2026 10:00:00 GMT+0000 (Coordinated Universal Time)". */
static json_t *date_string(uint64_t ms)
{
    char buf[128], zone[64];
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    localtime_r(&t, &tm);
    size_t n = strftime(buf, sizeof(buf), "%a %b %d %Y %H:%M:%S GMT%z", &tm);
    if (tm.tm_gmtoff == 0)
        snprintf(zone, sizeof(zone), " (Coordinated Universal Time)");
    else
        snprintf(zone, sizeof(zone), " (%s)", tm.tm_zone != NULL ? tm.tm_zone : "");
    snprintf(buf + n, sizeof(buf) - n, "%s", zone);
    return json_string(buf);
}

/* Node reads header bytes as latin1: each byte is one character (so "caf\xe9" is "café" and
 * UTF-8 bytes are not decoded either). Returns a malloc'ed UTF-8 string. */
static char *latin1_to_utf8(const char *s)
{
    size_t n = strlen(s);
    char *out = xmalloc(2 * n + 1), *o = out;
    for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
        if (*p < 0x80) {
            *o++ = (char)*p;
        } else {
            *o++ = (char)(0xC0 | (*p >> 6));
            *o++ = (char)(0x80 | (*p & 0x3F));
        }
    }
    *o = '\0';
    return out;
}

json_t *sio_socket_handshake(const sio_socket_t *sock)
{
    eio_socket_t *conn = sio_socket_conn(sock);
    json_t *headers = json_object(), *hs;
    const char *name, *value, *q = conn != NULL ? eio_socket_query(conn) : "";
    for (size_t i = 0; conn != NULL && eio_socket_header(conn, i, &name, &value); i++) {
        json_t *prev = json_object_get(headers, name);
        char *text = latin1_to_utf8(value);
        if (json_is_string(prev)) {
            /* Node joins repeated headers with ", " (cookies with "; ") */
            char *joined = NULL;
            if (asprintf(&joined, "%s%s%s", json_string_value(prev),
                         strcmp(name, "cookie") == 0 ? "; " : ", ", text) >= 0) {
                json_object_set_new(headers, name, json_string(joined));
                free(joined);
            }
        } else {
            json_object_set_new(headers, name, json_string(text));
        }
        free(text);
    }
    hs = json_pack("{s:o, s:o, s:s, s:b, s:b, s:I, s:s, s:o, s:O}", "headers", headers, "time",
                   date_string(sock->issued), "address",
                   conn != NULL ? eio_socket_remote_address(conn) : "", "xdomain",
                   json_object_get(headers, "origin") != NULL, "secure",
                   conn != NULL && eio_socket_secure(conn), "issued", (json_int_t)sock->issued,
                   "url", conn != NULL ? eio_socket_url(conn) : "", "query",
                   sio__query_parse(q, strlen(q)), "auth", sock->auth);
    return hs;
}

json_t *sio_socket_rooms(const sio_socket_t *sock)
{
    const char **names = xmalloc((sock->nrooms + 1) * sizeof(*names));
    json_t *arr;
    for (uint32_t i = 0; i < sock->nrooms; i++)
        names[i] = sock->rooms[i]->name;
    arr = sio__sorted_names_json(names, sock->nrooms);
    free(names);
    return arr;
}

bool sio_socket_in_room(const sio_socket_t *sock, const char *room)
{
    for (uint32_t i = 0; i < sock->nrooms; i++) {
        if (strcmp(sock->rooms[i]->name, room) == 0)
            return true;
    }
    return false;
}

json_t *sio__socket_info(const sio_socket_t *sock)
{
    return json_pack("{s:s, s:o, s:o, s:o}", "id", sock->id, "handshake",
                     sio_socket_handshake(sock), "rooms", sio_socket_rooms(sock), "data",
                     sock->data != NULL ? json_deep_copy(sock->data) : json_object());
}

/* --- rooms --- */

void sio_socket_join(sio_socket_t *sock, const char *room)
{
    if (sock->state == SIO_SOCKET_CLOSED)
        return;
    sock->nsp->adapter->add_all(sock->nsp->adapter->self, sock, &room, 1);
}

void sio_socket_leave(sio_socket_t *sock, const char *room)
{
    if (sock->state == SIO_SOCKET_CLOSED)
        return;
    sock->nsp->adapter->del(sock->nsp->adapter->self, sock, room);
}

/* --- emit and acks --- */

json_t *sio__event_data(const char *event, json_t *args, bool (*reserved)(const char *))
{
    json_t *data;
    if (event == NULL || (args != NULL && !json_is_array(args)) || reserved(event)) {
        json_decref(args);
        return NULL;
    }
    data = json_array();
    json_array_append_new(data, json_string(event));
    if (args != NULL) {
        json_array_extend(data, args);
        json_decref(args);
    }
    return data;
}

void sio__socket_notify_outgoing(sio_socket_t *sock, const json_t *data)
{
    sio_handlers_t *h = sock->nsp->h;
    if (h->on_any_outgoing != NULL) {
        json_t *args = json_array();
        for (size_t i = 1; i < json_array_size(data); i++)
            json_array_append(args, json_array_get(data, i));
        h->on_any_outgoing(sock, json_string_value(json_array_get(data, 0)), args,
                           h->any_outgoing_data);
        json_decref(args);
    }
}

static void on_ack_timer_closed(uv_handle_t *h)
{
    free(h);
}

static void ack_free(sio_pending_ack_t *a)
{
    if (a->timer != NULL) {
        uv_timer_stop(a->timer);
        uv_close((uv_handle_t *)a->timer, on_ack_timer_closed);
    }
    free(a);
}

static bool ack_unlink(sio_socket_t *sock, sio_pending_ack_t *a)
{
    for (sio_pending_ack_t **pp = &sock->acks; *pp != NULL; pp = &(*pp)->next) {
        if (*pp == a) {
            *pp = a->next;
            return true;
        }
    }
    return false;
}

static void on_ack_timeout(uv_timer_t *t)
{
    sio_pending_ack_t *a = t->data;
    sio_socket_t *sock = a->sock;
    if (!ack_unlink(sock, a))
        return;
    log_debug("socketio", "event with ack id %llu has timed out", (unsigned long long)a->id);
    sio_socket_ref(sock);
    if (a->cb != NULL)
        a->cb(sock, -ETIMEDOUT, NULL, NULL, 0, a->cbdata);
    ack_free(a);
    sio_socket_unref(sock);
}

void sio__socket_add_ack(sio_socket_t *sock, uint64_t id, sio_ack_cb cb, void *cbdata,
                         unsigned timeout_ms)
{
    sio_pending_ack_t *a = xcalloc(1, sizeof(*a));
    a->sock = sock;
    a->id = id;
    a->cb = cb;
    a->cbdata = cbdata;
    if (cb != NULL && timeout_ms > 0) {
        a->timer = xmalloc(sizeof(*a->timer));
        uv_timer_init(sock->nsp->io->loop, a->timer);
        a->timer->data = a;
        uv_timer_start(a->timer, on_ack_timeout, timeout_ms, 0);
    }
    a->next = sock->acks;
    sock->acks = a;
}

void sio__socket_fail_acks(sio_socket_t *sock)
{
    sio_pending_ack_t *a;
    while ((a = sock->acks) != NULL) {
        sock->acks = a->next;
        if (a->cb != NULL)
            a->cb(sock, -EPIPE, NULL, NULL, 0, a->cbdata);
        ack_free(a);
    }
}

int sio_socket_emit_ex(sio_socket_t *sock, unsigned flags, const char *event, json_t *args,
                       blob_t *const *bins, size_t nbins, unsigned timeout_ms, sio_ack_cb cb,
                       void *cbdata)
{
    sio_namespace_t *nsp = sock->nsp;
    json_t *data = sio__event_data(event, args, sio_event_reserved);
    int64_t id = -1;
    int rc = 0;

    if (data == NULL)
        return -EINVAL;
    if (sock->state != SIO_SOCKET_CONNECTED || sock->client == NULL || sock->client->closed) {
        json_decref(data);
        return -EPIPE;
    }
    if (cb != NULL)
        id = (int64_t)nsp->next_ack_id++;
    if (nsp->io->conf.recovery && cb == NULL) {
        /* as the reference: stored (with an offset) so that it survives a reconnection */
        const char *room = sock->id;
        sio_message_t msg = {data, bins, nbins};
        sio_bcast_opts_t opts = {&room, 1, NULL, 0, flags, 0};
        nsp->adapter->broadcast(nsp->adapter->self, &msg, &opts);
    } else {
        sio__socket_notify_outgoing(sock, data);
        rc = sio__client_send_packet(sock->client, SIO_PACKET_EVENT, nsp->name, id, data, bins,
                                     nbins, flags);
        if (rc == -EAGAIN)
            rc = 0; /* volatile and dropped: not an error */
        if (rc == 0 && cb != NULL)
            sio__socket_add_ack(sock, (uint64_t)id, cb, cbdata, timeout_ms);
    }
    json_decref(data);
    return rc;
}

int sio_socket_emit(sio_socket_t *sock, const char *event, json_t *args, blob_t *const *bins,
                    size_t nbins)
{
    return sio_socket_emit_ex(sock, 0, event, args, bins, nbins, 0, NULL, NULL);
}

int sio_socket_ack(sio_socket_t *sock, int64_t ack_id, json_t *args, blob_t *const *bins,
                   size_t nbins)
{
    int rc;
    if (args != NULL && !json_is_array(args)) {
        json_decref(args);
        return -EINVAL;
    }
    if (args == NULL)
        args = json_array();
    if (sock->state != SIO_SOCKET_CONNECTED || ack_id < 0) {
        json_decref(args);
        return -EPIPE;
    }
    rc = sio__client_send_packet(sock->client, SIO_PACKET_ACK, sock->nsp->name, ack_id, args, bins,
                                 nbins, 0);
    json_decref(args);
    return rc;
}

/* --- incoming packets --- */

static void on_event(sio_socket_t *sock, sio_packet_t *pkt)
{
    sio_handlers_t *h = sock->nsp->h;
    json_t *name_v;
    char numbuf[32];
    const char *name;
    sio_event_t ev;

    if (pkt->data == NULL)
        return; /* "2" alone: the reference dispatches nothing */
    name_v = json_incref(json_array_get(pkt->data, 0));
    json_array_remove(pkt->data, 0);
    if (json_is_string(name_v)) {
        name = json_string_value(name_v);
    } else {
        double d = json_number_value(name_v);
        if (json_is_integer(name_v))
            snprintf(numbuf, sizeof(numbuf), "%lld", (long long)json_integer_value(name_v));
        else
            snprintf(numbuf, sizeof(numbuf), "%.17g", d);
        name = numbuf;
    }
    ev.name = name;
    ev.args = pkt->data;
    ev.bins = pkt->bins;
    ev.nbins = pkt->nbins;
    ev.ack_id = pkt->ack_id;
    if (h->on_any != NULL)
        h->on_any(sock, &ev, h->any_data);
    if (sock->state == SIO_SOCKET_CONNECTED) {
        sio_handler_t *hd = sio_strmap_get(&h->events, name);
        if (hd != NULL)
            hd->fn(sock, &ev, hd->data);
    }
    json_decref(name_v);
}

static void on_ack(sio_socket_t *sock, sio_packet_t *pkt)
{
    sio_pending_ack_t *a;
    for (a = sock->acks; a != NULL; a = a->next) {
        if ((int64_t)a->id == pkt->ack_id)
            break;
    }
    if (a == NULL) {
        log_debug("socketio", "bad ack %lld", (long long)pkt->ack_id);
        return;
    }
    ack_unlink(sock, a);
    if (pkt->data == NULL)
        pkt->data = json_array();
    if (a->cb != NULL)
        a->cb(sock, 0, pkt->data, pkt->bins, pkt->nbins, a->cbdata);
    else
        sio_ack_op_response(sock->nsp, a->id, json_array_get(pkt->data, 0), pkt->bins, pkt->nbins);
    ack_free(a);
}

void sio__socket_onpacket(sio_socket_t *sock, sio_packet_t *pkt)
{
    switch (pkt->type) {
    case SIO_PACKET_EVENT:
    case SIO_PACKET_BINARY_EVENT:
        on_event(sock, pkt);
        break;
    case SIO_PACKET_ACK:
    case SIO_PACKET_BINARY_ACK:
        on_ack(sock, pkt);
        break;
    case SIO_PACKET_DISCONNECT:
        sio__socket_onclose(sock, "client namespace disconnect");
        break;
    default:
        break;
    }
}

/* --- disconnection --- */

void sio__socket_onclose(sio_socket_t *sock, const char *reason)
{
    sio_namespace_t *nsp = sock->nsp;
    sio_handlers_t *h = nsp->h;
    if (sock->state != SIO_SOCKET_CONNECTED)
        return;
    sio_socket_ref(sock);
    if (h->on_disconnecting != NULL)
        h->on_disconnecting(sock, reason, h->disconnecting_data);
    if (nsp->io->conf.recovery && sock->pid != NULL) {
        for (size_t i = 0; i < ARRAY_SIZE(recoverable_reasons); i++) {
            if (strcmp(reason, recoverable_reasons[i]) == 0) {
                json_t *rooms = json_array();
                for (uint32_t r = 0; r < sock->nrooms; r++)
                    json_array_append_new(rooms, json_string(sock->rooms[r]->name));
                sio_session_t s = {sock->id, sock->pid, rooms, sio_socket_data(sock)};
                nsp->adapter->persist_session(nsp->adapter->self, &s);
                json_decref(rooms);
                break;
            }
        }
    }
    /* _cleanup(): leave every room, leave the namespace; no join afterwards */
    nsp->adapter->del_all(nsp->adapter->self, sock);
    sio_strmap_del(&nsp->sockets, sock->id);
    sock->state = SIO_SOCKET_CLOSED;
    sio__client_remove_socket(sock);
    if (h->on_disconnect != NULL)
        h->on_disconnect(sock, reason, h->disconnect_data);
    sio__socket_fail_acks(sock);
    sio_socket_unref(sock);
}

void sio_socket_disconnect(sio_socket_t *sock, bool close)
{
    if (sock->state != SIO_SOCKET_CONNECTED)
        return;
    if (close) {
        sio__client_disconnect_all(sock->client);
        return;
    }
    sio__client_send_packet(sock->client, SIO_PACKET_DISCONNECT, sock->nsp->name, -1, NULL, NULL, 0,
                            0);
    sio__socket_onclose(sock, "server namespace disconnect");
}

/* --- binary helpers --- */

bool sio_binary_get(const json_t *v, blob_t *const *bins, size_t nbins, const void **data,
                    size_t *len)
{
    size_t num;
    if (!sio_placeholder_num(v, &num) || num >= nbins)
        return false;
    *data = bins[num]->data;
    *len = bins[num]->len;
    return true;
}

json_t *sio_binary_placeholder(size_t num)
{
    return sio_placeholder_new(num);
}
