/* echo.h - the Socket.IO echo app of `sioc --echo` on the /socket.io/ endpoint
 * (docs/echo-app.md): namespaces "/" and "/custom" with the reference echo behaviour and the
 * test-helper events, plus, with --echo-extras, the dynamic "/dyn-*" namespaces, "/auth-required"
 * (a middleware refusing a missing/bad token) and "/async-mw" (a middleware answering from a
 * timer). Written against socketio/socketio.h only, as any application would be; its Node twin is
 * frontend-compat/reference/sio-echo.mjs. */
#ifndef SIOC_SRC_ECHO_APP_H
#define SIOC_SRC_ECHO_APP_H

#include <stdbool.h>

#include "socketio/socketio.h"

typedef struct st_srv_echo_app_t srv_echo_app_t;

/** Options of the echo app. */
typedef struct st_srv_echo_options_t {
    bool extras; /* --echo-extras: the dynamic, /auth-required and /async-mw namespaces */
} srv_echo_options_t;

/** Registers the echo namespaces and handlers on `io`. Returns the app state (free it with
 * srv_echo_app_free() before sio_server_free()), or NULL if a namespace could not be created. */
srv_echo_app_t *srv_echo_app_new(sio_server_t *io, const srv_echo_options_t *opts);
/** Stops the app's timers and frees its state. NULL is a no-op. */
void srv_echo_app_free(srv_echo_app_t *app);

#endif
