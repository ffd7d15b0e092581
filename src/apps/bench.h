/* bench.h - the benchmark app of `sioc --bench-app` (tests/bench/README.md): the same app as
 * the Node.js reference tests/bench/node/server.js, so that tests/bench/run can measure the two
 * side by side. Built only on the public Socket.IO API (socketio/socketio.h). */
#ifndef SIOC_SRC_BENCH_APP_H
#define SIOC_SRC_BENCH_APP_H

#include "socketio/socketio.h"

/** Registers the bench app on the namespace "/" of `io`:
 *   - every socket joins the room `bench` on connection;
 *   - `echo` is acknowledged with its own arguments (binary attachments included);
 *   - `broadcast` emits its first argument to the room `bench`, the sender included, as the
 *     event `broadcast` (as `io.to("bench").emit("broadcast", payload)`).
 * Returns 0. */
int srv_bench_app_attach(sio_server_t *io);

#endif
