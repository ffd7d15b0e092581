/* rest_static.c - Swagger UI at /docs: the files of swagger-ui-dist (npm, in src/web/node_modules)
 * sent with h2o's own file sender (h2o_file_send), except swagger-initializer.js, which we answer
 * ourselves so the UI opens our document (/v1/api/openapi.json) instead of the petstore demo.
 * /docs redirects to /docs/ so the page's relative asset URLs resolve.
 *
 * Only plain file names directly in the dist folder are served (letters, digits, '.', '-', '_',
 * no leading dot), so no request can reach outside it. */
#include "src/chat/internal.h"

#include <stdio.h>
#include <string.h>

#include "src/core/core.h"

static const char initializer_js[] =
    "window.onload = function () {\n"
    "  window.ui = SwaggerUIBundle({\n"
    "    url: '/v1/api/openapi.json',\n"
    "    dom_id: '#swagger-ui',\n"
    "    deepLinking: true,\n"
    "    persistAuthorization: true,\n"
    "    presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],\n"
    "    plugins: [SwaggerUIBundle.plugins.DownloadUrl],\n"
    "    layout: 'StandaloneLayout'\n"
    "  });\n"
    "};\n";

static const struct {
    const char *ext, *type;
} mime_types[] = {
    {".html", "text/html; charset=utf-8"}, {".js", "application/javascript; charset=utf-8"},
    {".css", "text/css; charset=utf-8"},   {".png", "image/png"},
    {".map", "application/json"},          {".json", "application/json"},
    {".txt", "text/plain; charset=utf-8"},
};

static const char *mime_of(const char *name, size_t len)
{
    for (size_t i = 0; i < ARRAY_SIZE(mime_types); i++) {
        size_t el = strlen(mime_types[i].ext);
        if (len > el && memcmp(name + len - el, mime_types[i].ext, el) == 0)
            return mime_types[i].type;
    }
    return NULL;
}

static bool plain_name(const char *s, size_t len)
{
    if (len == 0 || len > 128 || s[0] == '.')
        return false;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '-' || c == '_'))
            return false;
    }
    return true;
}

static int on_docs_req(h2o_req_t *req, void *data)
{
    srv_chat_t *chat = data;
    h2o_iovec_t p = req->path_normalized;
    const char *name, *mime;
    size_t len;
    char file[4400];

    if (h2o_memis(p.base, p.len, H2O_STRLIT("/docs"))) {
        h2o_send_redirect(req, 301, "Moved Permanently", H2O_STRLIT("/docs/"));
        return 0;
    }
    if (p.len < 6 || memcmp(p.base, "/docs/", 6) != 0)
        return -1;
    if (!h2o_memis(req->method.base, req->method.len, H2O_STRLIT("GET")) &&
        !h2o_memis(req->method.base, req->method.len, H2O_STRLIT("HEAD"))) {
        rest_send_error(req, 405, "method_not_allowed", "use GET");
        return 0;
    }
    name = p.base + 6;
    len = p.len - 6;
    if (len == 0) {
        name = "index.html";
        len = strlen(name);
    }
    if (len == strlen("swagger-initializer.js") &&
        memcmp(name, "swagger-initializer.js", len) == 0) {
        rest_send_text(req, 200, "application/javascript; charset=utf-8", initializer_js,
                       sizeof(initializer_js) - 1);
        return 0;
    }
    mime = mime_of(name, len);
    if (!plain_name(name, len) || mime == NULL) {
        rest_send_error(req, 404, "not_found", "no such file");
        return 0;
    }
    snprintf(file, sizeof(file), "%s/node_modules/swagger-ui-dist/%.*s", chat->web_root, (int)len,
             name);
    if (h2o_file_send(req, 200, "OK", file, h2o_iovec_init(mime, strlen(mime)), 0) != 0)
        rest_send_error(req, 404, "not_found", "no such file (is src/web installed?)");
    return 0;
}

static int on_api_req(h2o_req_t *req, void *data)
{
    return srv_chat_handle(data, req);
}

int srv_chat_register_routes(srv_chat_t *chat, srv_http_t *http)
{
    int rc = srv_http_add_handler(http, "/v1/api", on_api_req, chat);
    if (rc == 0)
        rc = srv_http_add_handler(http, "/docs", on_docs_req, chat);
    return rc;
}
