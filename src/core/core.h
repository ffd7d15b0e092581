/* core.h - the face of src/core/: what every service of sioc plugs into, below the services and
 * above the libraries (engineio, socketio, storage, redis).
 *
 *   config.h     the server's options (srv_config_t): one table read by the file, environment and
 *                command-line parsers and by --help
 *   http.h       the HTTP/1.1 front door (srv_http_t): one h2o host, path handlers, engines
 *                attached, graceful stop
 *   router.h     a static REST route table matcher, query-string and integer readers
 *   json_body.h  strict validation of JSON bodies and event payloads against a field table
 *
 * Like h2o's lib/core, core knows no service: it must not include src/auth, src/chat, src/apps
 * or src/server (tests/layering.sh). Files in other folders include this header only, never the
 * single headers above. Loop thread only; nothing here blocks. */
#ifndef SIOC_SRC_CORE_CORE_H
#define SIOC_SRC_CORE_CORE_H

#include "src/core/config.h"
#include "src/core/http.h"
#include "src/core/json_body.h"
#include "src/core/router.h"
#include "src/core/web_static.h"

#endif
