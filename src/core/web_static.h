/* web_static.h - the web app at `/`: the static export of frontend-compat/web (Next.js
 * `output: "export"`) served from a directory (--web-root).
 *
 * What a browser gets for a GET or HEAD below `/` that no other handler took (the engines,
 * /v1/api and /docs are registered before it, and the first matching path wins in h2o):
 *   - an existing file under the root (`/_next/static/chunks/x.js`, `/favicon.ico`), or for a
 *     page path `/chat` the first of `chat`, `chat.html`, `chat/index.html`;
 *   - else, for a path that looks like a page (no `/_next/` prefix, no dot in its last segment),
 *     the app's `index.html` with 200, so that client-side routes survive a reload (SPA
 *     fallback); an asset that does not exist is a 404, never an HTML page in its place.
 * Hashed assets under `/_next/static/` are cached as immutable for a year; everything else
 * (HTML above all, so a new build is seen at once) revalidates (`no-cache`, with the ETag and
 * Last-Modified of h2o's file sender). Answers are gzip-compressed when the client accepts it:
 * a precompressed `name.gz` next to a file is sent as is, other text is compressed on the fly.
 * Paths with a segment that starts with a dot (`..`, `.env`) are refused, so nothing outside the
 * root or hidden in it is reachable. Loop thread only. */
#ifndef SIOC_SRC_WEB_STATIC_H
#define SIOC_SRC_WEB_STATIC_H

#include "src/core/http.h"

typedef struct st_srv_web_t srv_web_t;

/** Creates the handler for the directory `root` (copied). A root without an index.html is
 * accepted with a warning: `/` then answers 503 with a page that says how to build the app.
 * Never NULL. */
srv_web_t *srv_web_new(const char *root);

/** Registers the catch-all `/` on `http`: call it after every other handler. `web` must outlive
 * `http`'s use of it. Returns srv_http_add_handler's status. */
int srv_web_register(srv_web_t *web, srv_http_t *http);

/** Frees the handler. NULL is a no-op. */
void srv_web_free(srv_web_t *web);

/** The file (under `root`) that answers the request path `path` (`len` bytes, normalized, no
 * query), written into `out` (`outsz` bytes). Returns 1 for a file found as is, 2 for the SPA
 * fallback (`index.html`), 0 for not found, -1 for a refused path. Blocking stat() calls on
 * small local files; exposed for the tests. */
int srv_web_resolve(const char *root, const char *path, size_t len, char *out, size_t outsz);

#endif
