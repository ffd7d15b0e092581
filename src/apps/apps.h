/* apps.h - the face of src/apps/: the small applications sioc runs besides the chat service,
 * each a complete example of the engineio / socketio APIs.
 *
 *   echo.h         `--echo`: the Socket.IO echo app (docs/echo-app.md), twin of
 *                  frontend-compat/reference/sio-echo.mjs
 *   echo_engine.h  the raw Engine.IO echo of `--echo` (every message sent back as it came)
 *   bench.h        `--bench-app`: the benchmark app, twin of tests/bench/node/server.js
 *
 * The apps use engineio and socketio only: they must not include src/core, src/auth, src/chat or
 * src/server (tests/layering.sh). src/server/main.c includes this header only. */
#ifndef SIOC_SRC_APPS_APPS_H
#define SIOC_SRC_APPS_APPS_H

#include "src/apps/bench.h"
#include "src/apps/echo.h"
#include "src/apps/echo_engine.h"

#endif
