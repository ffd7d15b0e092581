/* chat.h - the live-chat service (what people run sioc for): accounts and JWT auth, chats
 * and messages over REST under /v1/api, the OpenAPI document and Swagger UI, and (with a
 * Socket.IO server) the real-time events of the `/chat` namespace (docs/chat-events.md).
 *
 * Wiring (src/server/main.c), on the loop thread:
 *   store_open(loop, conf.database, &store); store_migrate_sync(store, ...);    before uv_run
 *   io = sio_server_new(...) with sio_config_t.recovery = true;  srv_http_attach_engine(...)
 *   chat = srv_chat_new(loop, &conf, store, io, redis); NULL: refuse to start (logged)
 *   srv_chat_register_routes(chat, http);            before srv_http_listen
 *   ... uv_run ... stop ...
 *   srv_chat_free(chat); store_close(store, cb, ..) and run the loop until cb; sio_server_free.
 *
 * The folder, the face of which this header is (the rest is private, shared through internal.h):
 *   service.c        creation and teardown, the JWT secret, the web root
 *   rest_static.c    the /v1/api and /docs handlers on the HTTP front door, openapi.json
 *   rest_dispatch.c  the route table, bearer authentication, body validation, CORS
 *   rest_op.c        in-flight REST operations (rest_op_t) and their replies; rest_reply.c the raw
 *                    h2o responses
 *   rest_auth.c, rest_chats.c, rest_messages.c   the route handlers
 *   tokens.c         access + refresh token pairs (src/auth's JWTs, refresh hashes in storage)
 *   realtime.c       the Socket.IO namespace /chat: auth middleware, events, presence channels
 *   send.c           the one path of every new message (per-chat order), then message:new
 *   notify.c         events and room moves on /chat; presence.c who is online / away
 *   json.c, fields.c the API's JSON shapes and the request field tables
 * Calls go one way: handlers and realtime.c -> send.c -> notify.c -> socketio; below the folder
 * it uses src/core, src/auth (their faces), storage and socketio. */
#ifndef SIOC_SRC_CHAT_SERVICE_H
#define SIOC_SRC_CHAT_SERVICE_H

#include <h2o.h>
#include <uv.h>

#include "redis/rda_client.h"
#include "socketio/socketio.h"
#include "src/core/core.h"
#include "storage/storage.h"

typedef struct st_srv_chat_t srv_chat_t;

/** Where the REST API lives, and its answer to a body too large for the HTTP server to read
 * (srv_http_set_too_large_body), the same as the API's own 413. */
#define SRV_CHAT_API_PREFIX "/v1/api"
#define SRV_CHAT_TOO_LARGE_JSON                                                                    \
    "{\"error\":{\"code\":\"payload_too_large\",\"message\":\"the body is too large\"}}"

/** Creates the service (`redis` NULL, or the --redis client: the sign-in throttling is then
 * shared by the nodes). Uses conf->jwt_secret, or with conf->production unset a random secret
 * (logged as a warning); returns NULL (logged) if conf->production is set without a jwt_secret
 * (or with one shorter than 32 characters). Reads src/web/openapi.json (blocking: call before
 * uv_run). With `io` (may be NULL: REST only) it serves the real-time events on io's namespace
 * "/chat" (docs/chat-events.md). `conf`, `store` and `io` are borrowed and must outlive the
 * service. */
srv_chat_t *srv_chat_new(uv_loop_t *loop, const srv_config_t *conf, store_t *store,
                         sio_server_t *io, rda_client_t *redis);

/** Registers the handlers of /v1/api (REST + openapi.json) and /docs (Swagger UI) on `http`,
 * before srv_http_listen. Returns 0 or srv_http_add_handler's error. */
int srv_chat_register_routes(srv_chat_t *chat, srv_http_t *http);

/** Handles a request whose path starts with /v1/api; returns 0 if handled (now or later), -1 if
 * the path is not the service's. */
int srv_chat_handle(srv_chat_t *chat, h2o_req_t *req);

/** Keys the sign-in throttle tracks in this process (/metrics). */
size_t srv_chat_throttle_keys(const srv_chat_t *chat);

/** The HMAC key of the access tokens (borrowed, valid while the service lives) and its length,
 * for services that accept the chat's logins (the support desk). */
const uint8_t *srv_chat_jwt_key(const srv_chat_t *chat, size_t *len);

/** Disconnects every /chat socket of `user_id` on every node (a deactivated account); a no-op
 * without Socket.IO. */
void srv_chat_disconnect_user(srv_chat_t *chat, int64_t user_id);

/** Frees the service. NULL is a no-op. Operations in flight (storage, password hashing) finish
 * later without touching the service or their requests, and drop their socket references: so
 * call it before store_close(), run the loop until the store closed, and only then free the
 * Socket.IO server. */
void srv_chat_free(srv_chat_t *chat);

#endif
