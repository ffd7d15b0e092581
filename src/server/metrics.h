/* metrics.h - GET /metrics: the Prometheus text exposition (version 0.0.4) of every bound the
 * server keeps and of what it holds and dropped: per-client send queues (engine), recovery
 * buffers (Socket.IO), the storage queue, the Redis publish queue, the sign-in throttle table,
 * open connections and the resident memory. Gauges are current use and the configured bounds;
 * counters (`_total`) count drops and refusals since the start. */
#ifndef SIOC_SRC_METRICS_H
#define SIOC_SRC_METRICS_H

#include "redis/rda_client.h"
#include "socketio/socketio.h"
#include "src/chat/chat.h"
#include "src/core/core.h"
#include "storage/storage.h"

typedef struct st_srv_metrics_t srv_metrics_t;

/** What is reported; any pointer but conf and http may be NULL (not running). All borrowed: they
 * must outlive the endpoint's use (it is only called while the HTTP server serves). */
typedef struct st_srv_metrics_sources_t {
    const srv_config_t *conf;
    srv_http_t *http;
    sio_server_t *io;
    store_t *store;
    rda_client_t *redis;
    srv_chat_t *chat;
} srv_metrics_sources_t;

/** Copies `src`. Never NULL. */
srv_metrics_t *srv_metrics_new(const srv_metrics_sources_t *src);
/** Registers GET /metrics on `http` (before srv_http_listen). Returns 0 or the error. */
int srv_metrics_register(srv_metrics_t *m, srv_http_t *http);
/** Appends the exposition text to `out` (tests and the handler). */
void srv_metrics_render(const srv_metrics_t *m, buf_t *out);
/** NULL is a no-op. */
void srv_metrics_free(srv_metrics_t *m);

#endif
