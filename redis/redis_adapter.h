/* redis_adapter.h - a Socket.IO adapter over Redis pub/sub, wire-compatible with the Node.js
 * @socket.io/redis-adapter 8.x (the classic RedisAdapter, key prefix "socket.io" unless
 * rda_client_set_key says otherwise): sioc nodes and Node.js nodes on the same Redis with the same
 * key form one cluster. Broadcasts, socketsJoin/Leave,
 * disconnectSockets, fetchSockets, serverSideEmit (with acks) and broadcasts with acks reach
 * every node, and this node answers every request type a Node.js node sends.
 *
 * One rda_client_t (two Redis connections, reconnecting with backoff and re-subscribing) serves
 * every namespace; each namespace gets its adapter from rda_adapter_new, with its own 6-character
 * uid. Rooms, local delivery and connection state recovery are the in-memory adapter's, wrapped.
 *
 * Usage:
 *
 *     rda_client_t *redis = rda_client_new(loop, "redis://127.0.0.1:6379");
 *     sc.adapter = rda_adapter_new;
 *     sc.adapter_data = redis;
 *     io = sio_server_new(loop, &econf, &sc);
 *     ...
 *     sio_server_free(io);       // disposes the adapters first
 *     rda_client_free(redis);    // then the connections; run the loop to close the handles
 */
#ifndef SIOC_REDIS_ADAPTER_H
#define SIOC_REDIS_ADAPTER_H

#include "redis/rda_client.h"
#include "socketio/sio_adapter.h"

/** How long a requester waits for the other nodes' answers (requestsTimeout). */
#define RDA_REQUESTS_TIMEOUT_MS 5000

/** The sio_config_t.adapter factory; `client` (sio_config_t.adapter_data) is an rda_client_t
 * that must outlive the server. */
sio_adapter_t *rda_adapter_new(sio_namespace_t *nsp, void *client);

#endif
