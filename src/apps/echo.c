/* echo.c - the Socket.IO echo app (see echo.h and docs/echo-app.md), a handler per
 * test-helper event, registered on every echo namespace. Mirrors the Node reference
 * (frontend-compat/reference/sio-echo.mjs) event by event: argument lists are spread as its
 * asList() does, flags as its broadcast operator chain, errors as `err.message`.
 *
 * State: the ring of the last 100 disconnections (what `last-disconnects` answers), and the
 * timers of /async-mw middlewares still running (so that freeing the app can end them). A
 * socket's rooms at `disconnecting` are kept in its user slot until `disconnect`. Asynchronous
 * answers (acks of broadcast-with-ack, emit-with-ack, fetch-sockets) hold a reference on the
 * asking socket until they are sent. */
#include "src/apps/echo.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MOD                "echo"
#define LAST_DISCONNECTS   100
#define DEFAULT_TIMEOUT_MS 5000
#define ASYNC_MW_DELAY_MS  50
#define TIMEOUT_MESSAGE    "operation has timed out"

typedef struct st_mw_timer_t {
    uv_timer_t timer;
    sio_socket_t *sock;
    srv_echo_app_t *app;
    struct st_mw_timer_t *prev, *next;
} mw_timer_t;

struct st_srv_echo_app_t {
    sio_server_t *io;
    json_t *last_disconnects; /* [{id, reason, rooms}], oldest first */
    mw_timer_t *timers;
};

/* An answer owed to `sock` for the event that carried `ack_id`. */
typedef struct st_pending_reply_t {
    sio_socket_t *sock;
    int64_t ack_id;
} pending_reply_t;

static pending_reply_t *reply_new(sio_socket_t *sock, int64_t ack_id)
{
    pending_reply_t *r = xmalloc(sizeof(*r));
    r->sock = sio_socket_ref(sock);
    r->ack_id = ack_id;
    return r;
}

static void reply_send(pending_reply_t *r, json_t *args)
{
    if (r->ack_id >= 0)
        sio_socket_ack(r->sock, r->ack_id, args, NULL, 0);
    else
        json_decref(args);
    sio_socket_unref(r->sock);
    free(r);
}

/* Answers the client's ack (if it asked for one) with the single argument `v` (stolen). */
static void ack1(sio_socket_t *s, const sio_event_t *ev, json_t *v)
{
    json_t *args = json_array();
    json_array_append_new(args, v != NULL ? v : json_null());
    if (ev->ack_id >= 0)
        sio_socket_ack(s, ev->ack_id, args, NULL, 0);
    else
        json_decref(args);
}

/* JavaScript truthiness of a JSON value (absent is falsy). */
static bool truthy(const json_t *v)
{
    switch (v != NULL ? json_typeof(v) : JSON_NULL) {
    case JSON_TRUE:
    case JSON_OBJECT:
    case JSON_ARRAY:
        return true;
    case JSON_STRING:
        return json_string_length(v) > 0;
    case JSON_INTEGER:
        return json_integer_value(v) != 0;
    case JSON_REAL:
        return json_real_value(v) != 0.0 && json_real_value(v) == json_real_value(v);
    default:
        return false;
    }
}

/* asList(v): absent/null -> [], an array -> itself, anything else -> [v]. New reference. */
static json_t *as_list(json_t *v)
{
    if (v == NULL || json_is_null(v))
        return json_array();
    if (json_is_array(v))
        return json_incref(v);
    json_t *a = json_array();
    json_array_append(a, v);
    return a;
}

static json_t *arg(const sio_event_t *ev, size_t i)
{
    return json_array_get(ev->args, i);
}

/* --- the echo --- */

static void on_message(sio_socket_t *s, const sio_event_t *ev, void *data)
{
    UNUSED(data);
    sio_socket_emit(s, "message-back", json_incref(ev->args), ev->bins, ev->nbins);
}

static void on_message_with_ack(sio_socket_t *s, const sio_event_t *ev, void *data)
{
    UNUSED(data);
    if (ev->ack_id >= 0)
        sio_socket_ack(s, ev->ack_id, json_incref(ev->args), ev->bins, ev->nbins);
}

/* --- rooms --- */

static void join_or_leave(sio_socket_t *s, json_t *rooms, bool join)
{
    json_t *list = as_list(rooms), *r;
    size_t i;
    json_array_foreach(list, i, r)
    {
        if (!json_is_string(r))
            continue;
        if (join)
            sio_socket_join(s, json_string_value(r));
        else
            sio_socket_leave(s, json_string_value(r));
    }
    json_decref(list);
}

static void on_join(sio_socket_t *s, const sio_event_t *ev, void *data)
{
    UNUSED(data);
    join_or_leave(s, arg(ev, 0), true);
    ack1(s, ev, sio_socket_rooms(s));
}

static void on_leave(sio_socket_t *s, const sio_event_t *ev, void *data)
{
    UNUSED(data);
    if (json_is_string(arg(ev, 0)))
        sio_socket_leave(s, json_string_value(arg(ev, 0)));
    ack1(s, ev, sio_socket_rooms(s));
}

static void on_rooms(sio_socket_t *s, const sio_event_t *ev, void *data)
{
    UNUSED(data);
    ack1(s, ev, sio_socket_rooms(s));
}

/* --- broadcasts --- */

/* The operator of `broadcast` / `broadcast-with-ack`: the namespace with includeSelf, else
 * socket.broadcast; then to(rooms), except(except). */
static sio_broadcast_t *operator_of(sio_socket_t *s, json_t *o)
{
    sio_broadcast_t *b = truthy(json_object_get(o, "includeSelf"))
                             ? sio_namespace_broadcast(sio_socket_namespace(s))
                             : sio_socket_broadcast(s);
    json_t *list, *r;
    size_t i;
    list = as_list(json_object_get(o, "rooms"));
    json_array_foreach(list, i, r)
    {
        if (json_is_string(r))
            sio_broadcast_to(b, json_string_value(r));
    }
    json_decref(list);
    list = as_list(json_object_get(o, "except"));
    json_array_foreach(list, i, r)
    {
        if (json_is_string(r))
            sio_broadcast_except(b, json_string_value(r));
    }
    json_decref(list);
    return b;
}

static unsigned timeout_of(json_t *o)
{
    json_t *t = json_object_get(o, "timeout");
    double ms;
    if (t == NULL || json_is_null(t) || !json_is_number(t))
        return DEFAULT_TIMEOUT_MS;
    ms = json_number_value(t);
    if (ms < 1)
        return 1; /* setTimeout(fn, 0) still runs later */
    return ms > 3600000 ? 3600000 : (unsigned)ms;
}

static void on_broadcast(sio_socket_t *s, const sio_event_t *ev, void *data)
{
    json_t *o = arg(ev, 0), *c;
    const char *event = json_string_value(json_object_get(o, "event"));
    UNUSED(data);
    if (json_is_object(o) && event != NULL) {
        sio_broadcast_t *b = operator_of(s, o);
        unsigned flags = 0;
        if (truthy(json_object_get(o, "volatile")))
            flags |= SIO_EMIT_VOLATILE;
        if (truthy(json_object_get(o, "local")))
            flags |= SIO_EMIT_LOCAL;
        c = json_object_get(o, "compress");
        if (c != NULL && !truthy(c))
            flags |= SIO_EMIT_NO_COMPRESS;
        sio_broadcast_flags(b, flags);
        if (sio_broadcast_emit(b, event, as_list(json_object_get(o, "args")), ev->bins,
                               ev->nbins) != 0)
            log_debug(MOD, "broadcast of %s refused", event);
    }
    ack1(s, ev, json_true());
}

/* Answers the asking socket with `{err, <key>: value}` (value stolen) once the answers of an
 * emit or a broadcast with ack are in; the answers may hold binary: their attachments go along. */
static void reply_with_answers(pending_reply_t *r, int err, const char *key, json_t *value,
                               blob_t *const *bins, size_t nbins)
{
    json_t *res = json_pack("{s:o, s:o}", "err",
                            err != 0 ? json_string(TIMEOUT_MESSAGE) : json_null(), key, value);
    if (r->ack_id >= 0) {
        sio_socket_ack(r->sock, r->ack_id, json_pack("[o]", res), bins, nbins);
        r->ack_id = -1;
    } else {
        json_decref(res);
    }
    reply_send(r, NULL);
}

static void on_broadcast_acked(int err, const json_t *responses, blob_t *const *bins, size_t nbins,
                               void *cbdata)
{
    reply_with_answers(cbdata, err, "responses", json_incref((json_t *)responses), bins, nbins);
}

static void on_broadcast_with_ack(sio_socket_t *s, const sio_event_t *ev, void *data)
{
    json_t *o = arg(ev, 0);
    const char *event = json_string_value(json_object_get(o, "event"));
    pending_reply_t *r;
    UNUSED(data);
    if (!json_is_object(o) || event == NULL)
        return;
    sio_broadcast_t *b = sio_broadcast_timeout(operator_of(s, o), timeout_of(o));
    r = reply_new(s, ev->ack_id);
    if (sio_broadcast_emit_with_ack(b, event, as_list(json_object_get(o, "args")), ev->bins,
                                    ev->nbins, on_broadcast_acked, r) != 0)
        reply_send(r, json_pack("[{s:s,s:[]}]", "err", "invalid event", "responses"));
}

static void on_emit_acked(sio_socket_t *sock, int err, const json_t *args, blob_t *const *bins,
                          size_t nbins, void *cbdata)
{
    UNUSED(sock);
    reply_with_answers(cbdata, err, "response",
                       args != NULL ? json_incref((json_t *)args) : json_array(), bins, nbins);
}

static void on_emit_with_ack(sio_socket_t *s, const sio_event_t *ev, void *data)
{
    json_t *o = arg(ev, 0);
    const char *event = json_string_value(json_object_get(o, "event"));
    pending_reply_t *r;
    UNUSED(data);
    if (!json_is_object(o) || event == NULL)
        return;
    r = reply_new(s, ev->ack_id);
    if (sio_socket_emit_ex(s, 0, event, as_list(json_object_get(o, "args")), ev->bins, ev->nbins,
                           timeout_of(o), on_emit_acked, r) != 0)
        reply_send(r, NULL);
}

static void on_disconnect_me(sio_socket_t *s, const sio_event_t *ev, void *data)
{
    UNUSED(data);
    sio_socket_disconnect(s, truthy(arg(ev, 0)));
}

/* --- server API helpers --- */

/* target(o): the namespace, or nsp.in(o.rooms). */
static sio_broadcast_t *target_of(sio_socket_t *s, json_t *o)
{
    sio_broadcast_t *b = sio_namespace_broadcast(sio_socket_namespace(s));
    json_t *rooms = json_object_get(o, "rooms");
    if (truthy(rooms)) {
        json_t *list = as_list(rooms), *r;
        size_t i;
        json_array_foreach(list, i, r)
        {
            if (json_is_string(r))
                sio_broadcast_to(b, json_string_value(r));
        }
        json_decref(list);
    }
    return b;
}

static int cmp_by_id(const void *a, const void *b)
{
    const char *x = json_string_value(json_object_get(*(json_t *const *)a, "id"));
    const char *y = json_string_value(json_object_get(*(json_t *const *)b, "id"));
    return strcmp(x != NULL ? x : "", y != NULL ? y : "");
}

static void on_fetched(int err, const json_t *sockets, void *cbdata)
{
    size_t n = json_array_size(sockets);
    json_t **v = xmalloc((n + 1) * sizeof(*v)), *list = json_array();
    UNUSED(err);
    for (size_t i = 0; i < n; i++) {
        json_t *s = json_array_get(sockets, i);
        v[i] = json_pack("{s:O, s:O, s:O}", "id", json_object_get(s, "id"), "rooms",
                         json_object_get(s, "rooms"), "data", json_object_get(s, "data"));
    }
    qsort(v, n, sizeof(*v), cmp_by_id);
    for (size_t i = 0; i < n; i++) {
        if (v[i] != NULL)
            json_array_append_new(list, v[i]);
    }
    free(v);
    reply_send(cbdata, json_pack("[o]", list));
}

static void on_fetch_sockets(sio_socket_t *s, const sio_event_t *ev, void *data)
{
    UNUSED(data);
    sio_broadcast_fetch_sockets(target_of(s, arg(ev, 0)), on_fetched, reply_new(s, ev->ack_id));
}

static void sockets_join_or_leave(sio_socket_t *s, const sio_event_t *ev, const char *key,
                                  bool join)
{
    json_t *o = arg(ev, 0), *list = as_list(json_object_get(o, key)), *r;
    size_t i;
    json_array_foreach(list, i, r)
    {
        if (!json_is_string(r))
            continue;
        if (join)
            sio_broadcast_sockets_join(target_of(s, o), json_string_value(r));
        else
            sio_broadcast_sockets_leave(target_of(s, o), json_string_value(r));
    }
    json_decref(list);
    ack1(s, ev, json_true());
}

static void on_sockets_join(sio_socket_t *s, const sio_event_t *ev, void *data)
{
    UNUSED(data);
    sockets_join_or_leave(s, ev, "join", true);
}

static void on_sockets_leave(sio_socket_t *s, const sio_event_t *ev, void *data)
{
    UNUSED(data);
    sockets_join_or_leave(s, ev, "leave", false);
}

static void on_disconnect_sockets(sio_socket_t *s, const sio_event_t *ev, void *data)
{
    json_t *o = arg(ev, 0);
    UNUSED(data);
    sio_broadcast_disconnect_sockets(target_of(s, o), truthy(json_object_get(o, "close")));
}

static void on_set_data(sio_socket_t *s, const sio_event_t *ev, void *data)
{
    json_t *v = arg(ev, 0);
    UNUSED(data);
    sio_socket_set_data(s, v != NULL ? json_deep_copy(v) : NULL);
    ack1(s, ev, json_true());
}

static void on_handshake(sio_socket_t *s, const sio_event_t *ev, void *data)
{
    UNUSED(data);
    ack1(s, ev, sio_socket_handshake(s));
}

static void on_server_side_emit(sio_socket_t *s, const sio_event_t *ev, void *data)
{
    const char *event = json_string_value(arg(ev, 0));
    UNUSED(data);
    if (event != NULL)
        sio_namespace_server_side_emit(sio_socket_namespace(s), event, as_list(arg(ev, 1)), 0, NULL,
                                       NULL);
}

static void on_last_disconnects(sio_socket_t *s, const sio_event_t *ev, void *data)
{
    srv_echo_app_t *app = data;
    ack1(s, ev, json_deep_copy(app->last_disconnects));
}

/* --- lifecycle of each socket --- */

static void on_disconnecting(sio_socket_t *s, const char *reason, void *data)
{
    UNUSED(reason);
    UNUSED(data);
    json_decref(sio_socket_get_user(s));
    sio_socket_set_user(s, sio_socket_rooms(s));
}

static void on_disconnect(sio_socket_t *s, const char *reason, void *data)
{
    srv_echo_app_t *app = data;
    json_t *rooms = sio_socket_get_user(s);
    sio_socket_set_user(s, NULL);
    json_array_append_new(app->last_disconnects,
                          json_pack("{s:s, s:s, s:o}", "id", sio_socket_id(s), "reason", reason,
                                    "rooms", rooms != NULL ? rooms : json_array()));
    while (json_array_size(app->last_disconnects) > LAST_DISCONNECTS)
        json_array_remove(app->last_disconnects, 0);
}

static void on_connection(sio_socket_t *s, void *data)
{
    UNUSED(data);
    sio_socket_emit(s, "auth", json_pack("[O]", sio_socket_auth(s)), NULL, 0);
}

/* A serverSideEmit from another node of the cluster (--redis): re-emitted to this node's sockets
 * of the namespace as `server-side` (nsp, event, ...args) and, when the sender waits for an ack,
 * answered with "ack:<event>" (as frontend-compat/reference/redis-node.mjs does). */
static void on_server_side_event(sio_namespace_t *nsp, const char *event, const json_t *args,
                                 sio_server_reply_t *reply, void *data)
{
    json_t *out = json_pack("[s, s]", sio_namespace_name(nsp), event);
    char answer[256];
    UNUSED(data);
    json_array_extend(out, (json_t *)args);
    sio_broadcast_emit(sio_broadcast_flags(sio_namespace_broadcast(nsp), SIO_EMIT_LOCAL),
                       "server-side", out, NULL, 0);
    if (reply != NULL) {
        snprintf(answer, sizeof(answer), "ack:%s", event);
        sio_server_reply(reply, json_pack("[s]", answer));
    }
}

static void register_echo(srv_echo_app_t *app, sio_namespace_t *nsp)
{
    static const struct {
        const char *name;
        sio_event_cb fn;
    } events[] = {
        {"message", on_message},
        {"message-with-ack", on_message_with_ack},
        {"join", on_join},
        {"leave", on_leave},
        {"rooms", on_rooms},
        {"broadcast", on_broadcast},
        {"broadcast-with-ack", on_broadcast_with_ack},
        {"emit-with-ack", on_emit_with_ack},
        {"disconnect-me", on_disconnect_me},
        {"fetch-sockets", on_fetch_sockets},
        {"sockets-join", on_sockets_join},
        {"sockets-leave", on_sockets_leave},
        {"disconnect-sockets", on_disconnect_sockets},
        {"set-data", on_set_data},
        {"handshake", on_handshake},
        {"server-side-emit", on_server_side_emit},
        {"last-disconnects", on_last_disconnects},
    };
    for (size_t i = 0; i < ARRAY_SIZE(events); i++)
        sio_namespace_on(nsp, events[i].name, events[i].fn, app);
    sio_namespace_on_connection(nsp, on_connection, app);
    sio_namespace_on_disconnecting(nsp, on_disconnecting, app);
    sio_namespace_on_disconnect(nsp, on_disconnect, app);
    sio_namespace_on_server_side(nsp, on_server_side_event, app);
}

/* --- --echo-extras middlewares --- */

static void require_token(sio_socket_t *s, void *data)
{
    const char *token = json_string_value(json_object_get(sio_socket_auth(s), "token"));
    UNUSED(data);
    if (token != NULL && strcmp(token, "good") == 0)
        sio_socket_next(s, NULL, NULL);
    else
        sio_socket_next(s, "not authorized", json_pack("{si}", "code", 401));
}

static void on_mw_timer_closed(uv_handle_t *h)
{
    free(h->data);
}

static void mw_timer_end(mw_timer_t *t, const char *err)
{
    srv_echo_app_t *app = t->app;
    sio_socket_t *sock = t->sock;
    if (t->prev != NULL)
        t->prev->next = t->next;
    else
        app->timers = t->next;
    if (t->next != NULL)
        t->next->prev = t->prev;
    t->timer.data = t;
    uv_close((uv_handle_t *)&t->timer, on_mw_timer_closed);
    sio_socket_next(sock, err, NULL);
}

static void on_mw_timer(uv_timer_t *timer)
{
    mw_timer_end(timer->data, NULL);
}

static void delayed_accept(sio_socket_t *s, void *data)
{
    srv_echo_app_t *app = data;
    mw_timer_t *t = xcalloc(1, sizeof(*t));
    t->sock = s;
    t->app = app;
    t->next = app->timers;
    if (app->timers != NULL)
        app->timers->prev = t;
    app->timers = t;
    uv_timer_init(sio_server_loop(app->io), &t->timer);
    t->timer.data = t;
    uv_timer_start(&t->timer, on_mw_timer, ASYNC_MW_DELAY_MS, 0);
}

srv_echo_app_t *srv_echo_app_new(sio_server_t *io, const srv_echo_options_t *opts)
{
    srv_echo_app_t *app = xcalloc(1, sizeof(*app));
    app->io = io;
    app->last_disconnects = json_array();
    register_echo(app, sio_server_of(io, "/"));
    register_echo(app, sio_server_of(io, "/custom"));
    if (opts != NULL && opts->extras) {
        sio_namespace_t *dyn = sio_server_of_regex(io, "^/dyn-[a-z0-9]+$");
        sio_namespace_t *auth = sio_server_of(io, "/auth-required");
        sio_namespace_t *async_mw = sio_server_of(io, "/async-mw");
        if (dyn == NULL) {
            srv_echo_app_free(app);
            return NULL;
        }
        register_echo(app, dyn);
        sio_namespace_use(auth, require_token, app);
        register_echo(app, auth);
        sio_namespace_use(async_mw, delayed_accept, app);
        register_echo(app, async_mw);
    }
    return app;
}

void srv_echo_app_free(srv_echo_app_t *app)
{
    if (app == NULL)
        return;
    while (app->timers != NULL) {
        uv_timer_stop(&app->timers->timer);
        mw_timer_end(app->timers, "server shutting down");
    }
    json_decref(app->last_disconnects);
    free(app);
}
