/* redis_wiring.h - `--redis URL`: plugs the Redis adapter (redis/redis_adapter.h) into the
 * Socket.IO server's options, and tears its client down after the server.
 *
 * src/server/ is the program's wiring on top of everything: main.c parses the options, starts
 * the HTTP front door, the engines and the services (src/apps, src/chat) and runs the loop;
 * this file adds the Redis adapter. Nothing includes src/server/ (tests/layering.sh); it
 * includes the other src/ folders through their face headers only. */
#ifndef SIOC_SRV_REDIS_WIRING_H
#define SIOC_SRV_REDIS_WIRING_H

#include <uv.h>

#include "redis/rda_client.h"
#include "socketio/socketio.h"

/** With `url` NULL: nothing (*handle NULL, the in-memory adapter stays). Otherwise starts the
 * Redis client on `loop` (its queue of publishes while Redis is down bounded to `queue_bytes`)
 * and sets sc->adapter/adapter_data; call before sio_server_new. `key` (NULL: "socket.io") is the
 * adapter's channel prefix. Returns 0, or -1 (logged) for an invalid URL or key. */
int srv_redis_setup(uv_loop_t *loop, const char *url, const char *key, size_t queue_bytes,
                    sio_config_t *sc, rda_client_t **handle);
/** Frees the client: after sio_server_free (which disposes the adapters), before closing the
 * loop's remaining handles. NULL is a no-op. */
void srv_redis_teardown(rda_client_t *handle);

#endif
