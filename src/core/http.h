/* http.h - the HTTP/1.1 front of sioc: one h2o global config with one host, the h2o
 * context on a libuv loop, the TCP listener and the accept loop. Engine.IO servers and plain
 * path handlers (the chat REST API) attach to its host before it starts listening.
 *
 * Lifecycle (loop thread only):
 *   srv_http_new -> srv_http_add_handler / srv_http_attach_engine (any number) -> srv_http_listen
 *   -> ... -> srv_http_stop (graceful; `on_stopped` runs from the loop when done)
 *   -> after uv_run returned: eio_server_free each engine (it detaches from its h2o handler),
 *   srv_http_free (disposes h2o), then close the remaining handles, uv_run, uv_loop_close().
 *
 * Graceful stop: the listener closes, h2o stops keeping connections alive, the stop hooks run,
 * every attached engine gets eio_server_shutdown() (held polls are answered, WebSockets get close
 * frames); after `SRV_HTTP_IDLE_GRACE_MS` the connections still open are shut down for reading,
 * which makes idle keep-alive connections close at once; when none is left (or at the deadline)
 * `on_stopped` runs. The h2o context is only disposed when every connection closed (h2o asserts
 * otherwise). */
#ifndef SIOC_SRC_HTTP_SERVER_H
#define SIOC_SRC_HTTP_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <h2o.h>
#include <uv.h>

#include "engineio/engineio.h"

typedef struct st_srv_http_t srv_http_t;

/** Handles a request under the registered path: returns 0 if it responded (now or later, as h2o
 * handlers do), -1 to let h2o try the next handler (404 if none). */
typedef int (*srv_http_on_req)(h2o_req_t *req, void *data);

/** Runs once when a graceful stop ended. `clean` is false if connections were still open at the
 * deadline (srv_http_free then skips the h2o dispose, and the process should just exit). */
typedef void (*srv_http_on_stopped)(srv_http_t *http, bool clean, void *data);

/** Time after srv_http_stop at which remaining connections are shut down for reading. */
#define SRV_HTTP_IDLE_GRACE_MS 250

/** Creates the server on `loop` (nothing listens yet). `max_request_entity_size` bounds request
 * bodies: h2o answers 413 above it. Never NULL. */
srv_http_t *srv_http_new(uv_loop_t *loop, size_t max_request_entity_size);

/** Registers `cb` for requests whose path is `path` or below it (h2o prefix match on segment
 * boundaries: "/v1/api" matches "/v1/api/x" and "/v1/api?q"). The FIRST registered path that
 * matches wins (h2o does not look for the longest), so register a catch-all "/" (static files)
 * after the engines and the specific routes. Before srv_http_listen only. `path` is copied;
 * `data` is borrowed. Returns 0, -EBUSY if already listening. */
int srv_http_add_handler(srv_http_t *http, const char *path, srv_http_on_req cb, void *data);

/** Flags of srv_http_add_handler_flags. */
#define SRV_HTTP_COMPRESS 0x1u /* gzip the answers (h2o's filter) when the client accepts it */

/** srv_http_add_handler with `flags` (SRV_HTTP_* bits). */
int srv_http_add_handler_flags(srv_http_t *http, const char *path, srv_http_on_req cb, void *data,
                               unsigned flags);

/** srv_http_add_handler_flags with its own body limit `max_body` (bytes): the handlers of other
 * paths keep srv_http_new's limit (a larger body read for this one's sake is answered 413 JSON
 * before their callback). */
int srv_http_add_handler_body(srv_http_t *http, const char *path, srv_http_on_req cb, void *data,
                              unsigned flags, size_t max_body);

/** Makes h2o keep request bodies (any socket input buffer) larger than `threshold` bytes in an
 * unlinked temp file mapping created in `dir` instead of on the heap (h2o's own mechanism;
 * h2o 2.2 has no streaming request bodies). A process-wide h2o setting. Before srv_http_listen.
 * Returns 0, -EBUSY or -ENAMETOOLONG. */
int srv_http_set_body_spill(srv_http_t *http, size_t threshold, const char *dir);

/* ---- answers (reply.c) ---- */

/** The Content-Type of sioc's JSON answers. */
#define SRV_HTTP_JSON "application/json; charset=utf-8"

/** The reason phrase of `status` ("Unknown" for one sioc does not send). */
const char *srv_http_reason(int status);

/** Answers `req`: `status`, Content-Type `type` and Cache-Control `cache` (either NULL: none),
 * and `body` (`len` bytes, copied by h2o) with a Content-Length; a 204 goes without a body. */
void srv_http_send(h2o_req_t *req, int status, const char *type, const char *cache,
                   const char *body, size_t len);

/** Answers the JSON error {"error":{"code","message"}} every failure of the REST API and the web
 * app's handler uses, with Cache-Control `cache` (NULL: none). */
void srv_http_send_error(h2o_req_t *req, int status, const char *cache, const char *code,
                         const char *message);

/** Attaches an engine (eio_server_attach on our host) and remembers it for the graceful stop.
 * Before srv_http_listen only; free `eio` after the stop and before srv_http_free.
 * Returns 0, -EBUSY if already listening, or the engine's error. */
int srv_http_attach_engine(srv_http_t *http, eio_server_t *eio);

/** Answers bodies over `max_request_entity_size` to paths starting with `prefix` with the 413
 * body `json_body` (application/json) instead of h2o's plain text. Before srv_http_listen only.
 * Returns 0 or -EBUSY. */
int srv_http_set_too_large_body(srv_http_t *http, const char *prefix, const char *json_body);

/** Runs at the start of a graceful stop, after the listener closed and before the engines are
 * shut down (e.g. Socket.IO disconnects, Redis unsubscribes, storage flushes). */
typedef void (*srv_http_stop_hook)(srv_http_t *http, void *data);

/** Adds a hook run by srv_http_stop, in the order added. `data` is borrowed. Returns 0. */
int srv_http_add_stop_hook(srv_http_t *http, srv_http_stop_hook hook, void *data);

/** Initialises the h2o context and listens on `host` (an IP literal) and `port` (0: any free
 * port; read it back with srv_http_port). Also ignores SIGPIPE and raises RLIMIT_NOFILE to its
 * hard limit. Returns 0 or a negative errno (UV_EADDRINUSE, UV_EINVAL, ...) after logging why. */
int srv_http_listen(srv_http_t *http, const char *host, unsigned port);

/** The bound port once listening, else 0. */
unsigned srv_http_port(const srv_http_t *http);

/** Number of open client connections (accepted and not yet closed). */
size_t srv_http_connection_count(const srv_http_t *http);

/** The h2o context (valid once listening), e.g. for h2o_now(). */
h2o_context_t *srv_http_context(srv_http_t *http);

/** Starts the graceful stop described at the top; `deadline_ms` bounds the wait for connections
 * (2000 is a good value). `on_stopped` (may be NULL) runs once, from the loop, never inside this
 * call. A second call is a no-op. Returns 0, or -EALREADY if a stop is already under way. */
int srv_http_stop(srv_http_t *http, unsigned deadline_ms, srv_http_on_stopped on_stopped,
                  void *data);

/** True once the stop ended with every connection closed. */
bool srv_http_stopped_clean(const srv_http_t *http);

/** Disposes the h2o context and config (only if no connection is open) and frees the server.
 * Call it after uv_run returned; it runs the loop once (UV_RUN_NOWAIT) so that h2o's closed
 * handles are released before the memory is. NULL is a no-op. */
void srv_http_free(srv_http_t *http);

#endif
