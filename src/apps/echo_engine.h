/* echo_engine.h - the raw Engine.IO echo of `sioc --echo` (docs/echo-app.md): an engine whose
 * every message, text or binary, is sent back to its sender as it came. */
#ifndef SIOC_SRC_ECHO_ENGINE_H
#define SIOC_SRC_ECHO_ENGINE_H

#include <uv.h>

#include "engineio/engineio.h"

/** The path the echo engine is served at in echo mode. */
#define SRV_ECHO_ENGINE_PATH "/engine.io/"

/** Creates the echo engine with `conf` (borrowed, must outlive it; conf->path is where it is
 * served). Returns NULL if the engine refuses the config. Free it with eio_server_free(). */
eio_server_t *srv_echo_engine_new(uv_loop_t *loop, const eio_config_t *conf);

#endif
