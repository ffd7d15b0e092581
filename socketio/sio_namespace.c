/* sio_namespace.c - namespaces: handler registration, the connection middlewares (possibly
 * asynchronous: each sio_socket_next() resumes the chain), the final connect step, the
 * broadcast-with-ack operations (a pending operation is found by its ack id, so late answers
 * from sockets or other nodes after completion are simply ignored), and serverSideEmit
 * dispatch. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "socketio/internal.h"

sio_namespace_t *sio__namespace_new(sio_server_t *io, const char *name, sio_handlers_t *h)
{
    sio_namespace_t *nsp = xcalloc(1, sizeof(*nsp));
    nsp->io = io;
    nsp->name = xstrdup(name);
    if (h != NULL) {
        nsp->h = h;
    } else {
        nsp->h = xcalloc(1, sizeof(*nsp->h));
        nsp->owns_handlers = true;
    }
    sio_strmap_put(&io->nsps, nsp->name, nsp);
    nsp->next = io->all_nsps;
    io->all_nsps = nsp;
    nsp->adapter = io->conf.adapter != NULL ? io->conf.adapter(nsp, io->conf.adapter_data)
                                            : sio_memory_adapter_new(nsp, NULL);
    return nsp;
}

static void ack_op_complete(sio_ack_op_t *op, int err);

void sio__namespace_free(sio_namespace_t *nsp)
{
    size_t i = 0;
    sio_strmap_entry_t *e;
    while (nsp->ops != NULL)
        ack_op_complete(nsp->ops, -EPIPE);
    if (nsp->adapter != NULL)
        nsp->adapter->dispose(nsp->adapter->self);
    while ((e = sio_strmap_next(&nsp->rooms, &i)) != NULL) {
        sio_room_t *room = e->value;
        sio_ptrset_dispose(&room->members);
        free(room);
    }
    sio_strmap_dispose(&nsp->rooms);
    sio_strmap_dispose(&nsp->sockets);
    if (nsp->owns_handlers) {
        i = 0;
        while ((e = sio_strmap_next(&nsp->h->events, &i)) != NULL)
            free(e->value);
        sio_strmap_dispose(&nsp->h->events);
        free(nsp->h->mws);
        free(nsp->h);
    }
    if (nsp->re != NULL) {
        regfree(nsp->re);
        free(nsp->re);
    }
    free(nsp->name);
    free(nsp);
}

const char *sio_namespace_name(const sio_namespace_t *nsp)
{
    return nsp->name;
}

sio_server_t *sio_namespace_server(const sio_namespace_t *nsp)
{
    return nsp->io;
}

sio_socket_t *sio_namespace_socket(const sio_namespace_t *nsp, const char *id)
{
    return sio_strmap_get(&nsp->sockets, id);
}

size_t sio_namespace_socket_count(const sio_namespace_t *nsp)
{
    return nsp->sockets.len;
}

sio_adapter_t *sio_namespace_adapter(const sio_namespace_t *nsp)
{
    return nsp->adapter;
}

const sio_config_t *sio_namespace_config(const sio_namespace_t *nsp)
{
    return &nsp->io->conf;
}

sio_recovery_stats_t *sio_namespace_recovery_stats(sio_namespace_t *nsp)
{
    return &nsp->rstats;
}

/* --- handlers --- */

void sio_namespace_use(sio_namespace_t *nsp, sio_middleware_cb fn, void *data)
{
    sio_handlers_t *h = nsp->h;
    h->mws = xrealloc(h->mws, (h->nmws + 1) * sizeof(*h->mws));
    h->mws[h->nmws].fn = fn;
    h->mws[h->nmws].data = data;
    h->nmws++;
}

void sio_namespace_on_connection(sio_namespace_t *nsp, sio_connection_cb fn, void *data)
{
    nsp->h->on_connection = fn;
    nsp->h->connection_data = data;
}

void sio_namespace_on(sio_namespace_t *nsp, const char *event, sio_event_cb fn, void *data)
{
    sio_handler_t *prev = sio_strmap_del(&nsp->h->events, event);
    free(prev);
    if (fn != NULL) {
        size_t n = strlen(event);
        sio_handler_t *hd = xmalloc(sizeof(*hd) + n + 1);
        hd->fn = fn;
        hd->data = data;
        memcpy(hd->name, event, n + 1);
        sio_strmap_put(&nsp->h->events, hd->name, hd);
    }
}

void sio_namespace_on_any(sio_namespace_t *nsp, sio_event_cb fn, void *data)
{
    nsp->h->on_any = fn;
    nsp->h->any_data = data;
}

void sio_namespace_on_any_outgoing(sio_namespace_t *nsp, sio_outgoing_cb fn, void *data)
{
    nsp->h->on_any_outgoing = fn;
    nsp->h->any_outgoing_data = data;
}

void sio_namespace_on_disconnecting(sio_namespace_t *nsp, sio_disconnect_cb fn, void *data)
{
    nsp->h->on_disconnecting = fn;
    nsp->h->disconnecting_data = data;
}

void sio_namespace_on_disconnect(sio_namespace_t *nsp, sio_disconnect_cb fn, void *data)
{
    nsp->h->on_disconnect = fn;
    nsp->h->disconnect_data = data;
}

void sio_namespace_on_server_side(sio_namespace_t *nsp, sio_server_event_cb fn, void *data)
{
    nsp->h->on_server_side = fn;
    nsp->h->server_side_data = data;
}

/* --- connecting --- */

/* socket._cleanup() for a socket that is not (or no longer) to be connected. */
static void drop_socket(sio_socket_t *sock)
{
    if (sock->state == SIO_SOCKET_CLOSED)
        return;
    sock->nsp->adapter->del_all(sock->nsp->adapter->self, sock);
    sock->state = SIO_SOCKET_CLOSED;
    sio__client_remove_socket(sock);
}

static bool client_gone(const sio_socket_t *sock)
{
    return sock->client == NULL || sock->client->closed || sock->state != SIO_SOCKET_PENDING;
}

void sio__namespace_do_connect(sio_socket_t *sock)
{
    sio_namespace_t *nsp = sock->nsp;
    sio_client_t *c = sock->client;
    const char *own = sock->id;
    if (client_gone(sock)) {
        drop_socket(sock);
        return;
    }
    sio_socket_ref(sock);
    sock->state = SIO_SOCKET_CONNECTED;
    sio_strmap_put(&nsp->sockets, sock->id, sock);
    nsp->adapter->add_all(nsp->adapter->self, sock, &own, 1);
    if (c->protocol == 3) {
        sio__client_send_packet(c, SIO_PACKET_CONNECT, nsp->name, -1, NULL, NULL, 0, 0);
    } else {
        json_t *d = json_pack("{ss}", "sid", sock->id);
        if (sock->pid != NULL)
            json_object_set_new(d, "pid", json_string(sock->pid));
        sio__client_send_packet(c, SIO_PACKET_CONNECT, nsp->name, -1, d, NULL, 0, 0);
        json_decref(d);
    }
    sio__client_wait_remove(c);
    if (nsp->h->on_connection != NULL)
        nsp->h->on_connection(sock, nsp->h->connection_data);
    sio_socket_unref(sock);
}

void sio__namespace_run_middlewares(sio_socket_t *sock)
{
    sio_handlers_t *h = sock->nsp->h;
    if (client_gone(sock)) {
        drop_socket(sock);
        return;
    }
    if (sock->mw_index < h->nmws) {
        sio_middleware_t mw = h->mws[sock->mw_index];
        sio_socket_ref(sock); /* released by sio_socket_next */
        mw.fn(sock, mw.data);
        return;
    }
    sio__namespace_do_connect(sock);
}

void sio__namespace_after_restore(sio_socket_t *sock)
{
    if (sock->nsp->io->conf.recovery_skip_middlewares)
        sio__namespace_do_connect(sock);
    else
        sio__namespace_run_middlewares(sock);
}

void sio_socket_next(sio_socket_t *sock, const char *err_message, json_t *err_data)
{
    if (err_message == NULL) {
        json_decref(err_data);
        sock->mw_index++;
        sio__namespace_run_middlewares(sock);
    } else if (client_gone(sock)) {
        json_decref(err_data);
        drop_socket(sock);
    } else {
        sio_client_t *c = sock->client;
        json_t *err;
        if (c->protocol == 3) {
            /* socket._error(err.data || err.message) */
            err = err_data != NULL ? err_data : json_string(err_message);
        } else {
            err = json_pack("{ss}", "message", err_message);
            if (err_data != NULL)
                json_object_set_new(err, "data", err_data);
        }
        log_debug("socketio", "middleware error on %s: %s", sock->nsp->name, err_message);
        drop_socket(sock);
        sio__client_send_packet(c, SIO_PACKET_CONNECT_ERROR, sock->nsp->name, -1, err, NULL, 0, 0);
        json_decref(err);
    }
    sio_socket_unref(sock);
}

/* --- broadcast with ack operations --- */

static sio_ack_op_t *find_op(sio_namespace_t *nsp, uint64_t id)
{
    for (sio_ack_op_t *op = nsp->ops; op != NULL; op = op->next) {
        if (op->id == id)
            return op;
    }
    return NULL;
}

static void on_op_timer_closed(uv_handle_t *h)
{
    free(h);
}

static void ack_op_complete(sio_ack_op_t *op, int err)
{
    for (sio_ack_op_t **pp = &op->nsp->ops; *pp != NULL; pp = &(*pp)->next) {
        if (*pp == op) {
            *pp = op->next;
            break;
        }
    }
    if (op->timer != NULL) {
        uv_timer_stop(op->timer);
        uv_close((uv_handle_t *)op->timer, on_op_timer_closed);
    }
    if (op->cb != NULL)
        op->cb(err, op->responses, op->bins, op->nbins, op->cbdata);
    json_decref(op->responses);
    for (size_t i = 0; i < op->nbins; i++)
        blob_unref(op->bins[i]);
    free(op->bins);
    free(op);
}

static void check_op(sio_ack_op_t *op)
{
    if (op->expected_servers != SIZE_MAX && op->servers_answered >= op->expected_servers &&
        json_array_size(op->responses) >= op->expected_clients)
        ack_op_complete(op, 0);
}

static void on_op_timeout(uv_timer_t *t)
{
    sio_ack_op_t *op = t->data;
    log_debug("socketio", "broadcast with ack %llu timed out", (unsigned long long)op->id);
    ack_op_complete(op, -ETIMEDOUT);
}

uint64_t sio__ack_op_start(sio_namespace_t *nsp, unsigned timeout_ms, sio_broadcast_ack_cb cb,
                           void *cbdata)
{
    sio_ack_op_t *op = xcalloc(1, sizeof(*op));
    op->nsp = nsp;
    op->id = nsp->next_ack_id++;
    op->cb = cb;
    op->cbdata = cbdata;
    op->responses = json_array();
    op->expected_servers = SIZE_MAX;
    op->timer = xmalloc(sizeof(*op->timer));
    uv_timer_init(nsp->io->loop, op->timer);
    op->timer->data = op;
    uv_timer_start(op->timer, on_op_timeout, timeout_ms, 0);
    op->next = nsp->ops;
    nsp->ops = op;
    return op->id;
}

void sio_ack_op_clients(sio_namespace_t *nsp, uint64_t id, size_t count)
{
    sio_ack_op_t *op = find_op(nsp, id);
    if (op == NULL)
        return;
    op->expected_clients += count;
    op->servers_answered++;
    check_op(op);
}

void sio_ack_op_servers(sio_namespace_t *nsp, uint64_t id, size_t count)
{
    sio_ack_op_t *op = find_op(nsp, id);
    if (op == NULL)
        return;
    op->expected_servers = count;
    check_op(op);
}

void sio_ack_op_response(sio_namespace_t *nsp, uint64_t id, const json_t *response,
                         blob_t *const *bins, size_t nbins)
{
    sio_ack_op_t *op = find_op(nsp, id);
    json_t *copy;
    if (op == NULL)
        return;
    copy = response != NULL ? json_deep_copy(response) : json_null();
    if (nbins > 0) {
        /* the placeholders of this answer now index the operation's attachment array */
        sio_placeholders_shift(copy, nbins, op->nbins);
        op->bins = xrealloc(op->bins, (op->nbins + nbins) * sizeof(*op->bins));
        for (size_t i = 0; i < nbins; i++)
            op->bins[op->nbins++] = blob_ref(bins[i]);
    }
    json_array_append_new(op->responses, copy);
    check_op(op);
}

/* --- serverSideEmit --- */

struct st_sio_server_reply_t {
    void (*fn)(const json_t *args, void *cbdata);
    void *cbdata;
};

void sio_server_reply(sio_server_reply_t *reply, json_t *args)
{
    if (args == NULL)
        args = json_array();
    reply->fn(args, reply->cbdata);
    json_decref(args);
    free(reply);
}

void sio_local_server_side_dispatch(sio_namespace_t *nsp, const json_t *data,
                                    void (*reply_fn)(const json_t *args, void *cbdata),
                                    void *cbdata)
{
    sio_handlers_t *h = nsp->h;
    const char *event = json_string_value(json_array_get(data, 0));
    sio_server_reply_t *reply = NULL;
    json_t *args;
    if (event == NULL || h->on_server_side == NULL)
        return;
    args = json_array();
    for (size_t i = 1; i < json_array_size(data); i++)
        json_array_append(args, json_array_get(data, i));
    if (reply_fn != NULL) {
        reply = xmalloc(sizeof(*reply));
        reply->fn = reply_fn;
        reply->cbdata = cbdata;
    }
    h->on_server_side(nsp, event, args, reply, h->server_side_data);
    json_decref(args);
}
