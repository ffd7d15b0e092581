/* bench.c - the benchmark app (see bench.h): three handlers on "/" and nothing else, so
 * that what tests/bench/run measures is the Socket.IO stack itself. Mirrors
 * tests/bench/node/server.js line for line; keep the two in step. */
#include "src/apps/bench.h"

#define BENCH_ROOM "bench"

static void on_connection(sio_socket_t *sock, void *data)
{
    UNUSED(data);
    sio_socket_join(sock, BENCH_ROOM);
}

/* socket.on("echo", (...args) => ack(...args)): an echo without an ack id is dropped, as the
 * reference does (its last argument is then not a function). */
static void on_echo(sio_socket_t *sock, const sio_event_t *ev, void *data)
{
    UNUSED(data);
    if (ev->ack_id >= 0)
        sio_socket_ack(sock, ev->ack_id, json_incref(ev->args), ev->bins, ev->nbins);
}

/* socket.on("broadcast", (payload) => io.to("bench").emit("broadcast", payload)): only the first
 * argument goes on; a missing one is sent as null (JSON.stringify of undefined in an array). */
static void on_broadcast(sio_socket_t *sock, const sio_event_t *ev, void *data)
{
    UNUSED(data);
    json_t *payload = json_array_get(ev->args, 0);
    json_t *args = json_array();
    json_array_append(args, payload != NULL ? payload : json_null());
    sio_broadcast_t *b = sio_namespace_broadcast(sio_socket_namespace(sock));
    sio_broadcast_emit(sio_broadcast_to(b, BENCH_ROOM), "broadcast", args, ev->bins, ev->nbins);
}

int srv_bench_app_attach(sio_server_t *io)
{
    sio_namespace_t *nsp = sio_server_of(io, "/");
    sio_namespace_on_connection(nsp, on_connection, NULL);
    sio_namespace_on(nsp, "echo", on_echo, NULL);
    sio_namespace_on(nsp, "broadcast", on_broadcast, NULL);
    return 0;
}
