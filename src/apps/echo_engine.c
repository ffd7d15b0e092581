/* echo_engine.c - the raw Engine.IO echo (see echo_engine.h). Stateless: the callbacks only send
 * each message back with eio_socket_send (which copies it), so nothing is kept per socket. */
#include "src/apps/echo_engine.h"

#include <errno.h>

#define LOG_MOD "echo"

static void on_open(eio_socket_t *sock, void *data)
{
    UNUSED(data);
    log_debug(LOG_MOD, "open %s (EIO=%d, %s)", eio_socket_id(sock), eio_socket_protocol(sock),
              eio_socket_transport(sock));
}

static void on_message(eio_socket_t *sock, const char *msg, size_t len, bool is_binary, void *data)
{
    UNUSED(data);
    int rc = eio_socket_send(sock, msg, len, is_binary);
    if (rc != 0 && rc != -EPIPE)
        log_debug(LOG_MOD, "%s: echo of %zu bytes failed: %d", eio_socket_id(sock), len, rc);
}

static void on_close(eio_socket_t *sock, const char *reason, void *data)
{
    UNUSED(data);
    log_debug(LOG_MOD, "close %s: %s", eio_socket_id(sock), reason);
}

static const eio_callbacks_t callbacks = {
    .on_open = on_open,
    .on_message = on_message,
    .on_close = on_close,
    .on_drain = NULL,
};

eio_server_t *srv_echo_engine_new(uv_loop_t *loop, const eio_config_t *conf)
{
    return eio_server_new(loop, conf, &callbacks, NULL);
}
