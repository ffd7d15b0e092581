/* fuzz_sio_client.c - libFuzzer target: a sequence of Socket.IO messages fed to one connection
 * of a real server (namespaces "/", "/a" with a middleware, dynamic "/d-*", recovery on), with
 * handlers that echo, ack, join rooms, broadcast and disconnect. The input is split on the byte
 * 0xFF; a chunk starting with 'B' is a binary message (the rest of the chunk), any other a text
 * message. Checks that no sequence crashes, leaks or leaves a handle open. */
#include <stdint.h>
#include <string.h>

#include "socketio/internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size); /* for -Wmissing-prototypes */

static void on_any(sio_socket_t *s, const sio_event_t *ev, void *d)
{
    UNUSED(d);
    if (strcmp(ev->name, "join") == 0 && json_is_string(json_array_get(ev->args, 0)))
        sio_socket_join(s, json_string_value(json_array_get(ev->args, 0)));
    else if (strcmp(ev->name, "bye") == 0)
        sio_socket_disconnect(s, json_is_true(json_array_get(ev->args, 0)));
    else if (strcmp(ev->name, "all") == 0)
        sio_broadcast_emit(sio_broadcast_to(sio_socket_broadcast(s), "r"), "x",
                           json_incref(ev->args), ev->bins, ev->nbins);
    else
        sio_socket_emit(s, "back", json_incref(ev->args), ev->bins, ev->nbins);
    if (ev->ack_id >= 0)
        sio_socket_ack(s, ev->ack_id, json_incref(ev->args), ev->bins, ev->nbins);
}

static void on_ack(sio_socket_t *s, int err, const json_t *args, blob_t *const *bins, size_t nbins,
                   void *cbdata)
{
    UNUSED(s);
    UNUSED(err);
    UNUSED(args);
    UNUSED(bins);
    UNUSED(nbins);
    UNUSED(cbdata);
}

static void on_connection(sio_socket_t *s, void *d)
{
    UNUSED(d);
    sio_socket_emit_ex(s, 0, "hello", NULL, NULL, 0, 0, on_ack, NULL);
}

static void mw(sio_socket_t *s, void *d)
{
    UNUSED(d);
    if (json_object_get(sio_socket_auth(s), "no") != NULL)
        sio_socket_next(s, "refused", json_pack("{si}", "code", 1));
    else
        sio_socket_next(s, NULL, NULL);
}

static bool match(const char *name, const json_t *auth, void *d)
{
    UNUSED(auth);
    UNUSED(d);
    return strncmp(name, "/d-", 3) == 0;
}

static void setup(sio_namespace_t *nsp)
{
    sio_namespace_on_any(nsp, on_any, NULL);
    sio_namespace_on_connection(nsp, on_connection, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uv_loop_t loop;
    sio_config_t conf;
    buf_t sink = BUF_INIT;
    const uint8_t *p = data, *end = data + size;

    uv_loop_init(&loop);
    sio_config_init(&conf);
    conf.recovery = true;
    sio_server_t *io = sio_server_new(&loop, NULL, &conf);
    setup(sio_server_of(io, "/"));
    setup(sio_server_of(io, "/a"));
    sio_namespace_use(sio_server_of(io, "/a"), mw, NULL);
    setup(sio_server_of_dynamic(io, match, NULL));
    sio_client_t *c = sio__client_new_detached(io, size > 0 && data[0] == '3' ? 3 : 4, &sink);
    while (p <= end) {
        const uint8_t *next = memchr(p, 0xFF, (size_t)(end - p));
        if (next == NULL)
            next = end;
        if (next > p && *p == 'B')
            sio__client_message(c, (const char *)p + 1, (size_t)(next - p - 1), true);
        else
            sio__client_message(c, (const char *)p, (size_t)(next - p), false);
        if (sink.len > (1u << 20))
            buf_dispose(&sink);
        p = next + 1;
    }
    sio__client_closed(c, "transport close");
    sio_server_free(io);
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_loop_close(&loop);
    buf_dispose(&sink);
    return 0;
}
