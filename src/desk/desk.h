/* desk.h - the face of src/desk/: the support desk. Staff (admins and attendants: users whose
 * role is admin or agent) answer customers who write through a channel (src/channels: the web
 * widget first), one service per conversation from the first customer message to its finish.
 * REST under /v1/api/desk and /v1/api/widget, the Socket.IO namespace /desk for staff (the
 * widget owns /support), the idle timer, ratings, and the dashboard figures (docs/desk.md).
 *
 * Staff sign in with the chat's login (POST /v1/api/auth/login): the desk verifies the same
 * access tokens, with the chat's key, and reads the user's role and active flag on every request
 * and connection, so a role change or a deactivation counts at once.
 *
 * Wiring (src/server/main.c), on the loop thread, after the chat service:
 *   desk = srv_desk_new(loop, &conf, store, io, chat);   NULL: refuse to start (logged)
 *   srv_desk_register_routes(desk, http);                 BEFORE the chat's /v1/api handler
 *   srv_desk_start(desk);                                 first admin, idle timer (after migrate)
 *   ... uv_run ... stop ...
 *   srv_desk_free(desk) before srv_chat_free and store_close.
 *
 * The folder (the rest is private, shared through internal.h):
 *   service.c        creation, teardown, the channel host (customer messages in), first admin,
 *                    idle close, auto-assignment
 *   rest.c           the route table, authentication and roles, in-flight operations, replies
 *   rest_users.c     staff administration, password reset and change, first-admin setup
 *   rest_services.c  services, messages, assign, finish, stats, stats.csv, widget sessions
 *   realtime.c       the namespace /desk and who gets which event
 *   json.c           the API's JSON shapes
 * Below it: src/channels, src/chat (its face: the JWT key, dropping a user's /chat sockets),
 * src/core, src/auth, storage, socketio. */
#ifndef SIOC_SRC_DESK_DESK_H
#define SIOC_SRC_DESK_DESK_H

#include <uv.h>

#include "socketio/socketio.h"
#include "src/chat/chat.h"
#include "src/core/core.h"
#include "src/media/media.h"
#include "storage/desk.h"

typedef struct st_srv_desk_t srv_desk_t;

/** Creates the desk on top of `chat` (whose access tokens staff use). Reads the first-admin
 * password file if --admin-password-file is set (blocking: before uv_run); returns NULL (logged)
 * if it cannot be read or --admin-username is invalid. With `io` (may be NULL) it serves /desk
 * and the widget's /support. Everything passed is borrowed and must outlive the desk. */
srv_desk_t *srv_desk_new(uv_loop_t *loop, const srv_config_t *conf, store_t *store,
                         sio_server_t *io, srv_chat_t *chat);

/** Registers /v1/api/desk and /v1/api/widget on `http`; call it before the chat's
 * srv_chat_register_routes (h2o takes the first matching prefix). Returns 0 or the error. */
int srv_desk_register_routes(srv_desk_t *desk, srv_http_t *http);

/** Starts the asynchronous work: the first admin (from --admin-username and
 * --admin-password-file, or else a one-time setup link in the log) and the idle timer. */
void srv_desk_start(srv_desk_t *desk);

/** The HMAC key of the widget's visitor tokens (borrowed, valid while the desk lives) and its
 * length, for services that accept visitors (the attachment store). */
const uint8_t *srv_desk_visitor_key(const srv_desk_t *desk, size_t *len);
/** The attachment store the channels put inbound media in and send outbound media from
 * (borrowed, outlives the desk; NULL: channels carry text only). */
void srv_desk_set_media(srv_desk_t *desk, srv_media_t *media);

/** Frees the desk (NULL is a no-op): stops its timer, orphans the work in flight (whose storage
 * callbacks then only free). Call before srv_chat_free and store_close. */
void srv_desk_free(srv_desk_t *desk);

#endif
