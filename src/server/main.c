/* main.c - the sioc program: parse the options (src/core/config.h), start the HTTP front
 * (src/core/http.h), attach the engines and run the loop until SIGINT/SIGTERM, then stop
 * gracefully and free everything so that uv_loop_close() succeeds.
 *
 * Shape: main() -> load_config() -> run(): loop, HTTP server, setup_app() (the application on
 * --path: today an Engine.IO server that only logs; the Socket.IO layer and the chat service
 * plug in there), setup_echo() (--echo: raw Engine.IO echo at /engine.io/), listen, print
 * "sioc listening on http://HOST:PORT", uv_run; a signal calls srv_http_stop(), whose end stops
 * the loop; then teardown() (engines, then HTTP, then the loop). Exit codes: 0 after a signal, 1 on
 * a start-up failure, 2 on invalid options. */
#include <errno.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "socketio/socketio.h"
#include "src/apps/apps.h"
#include "src/chat/chat.h"
#include "src/desk/desk.h"
#include "src/core/core.h"
#include "src/media/media.h"
#include "src/server/metrics.h"
#include "src/server/redis_wiring.h"
#include "storage/storage.h"

#define LOG_MOD "main"

/* How long a graceful stop waits for connections to close. */
#define SHUTDOWN_DEADLINE_MS 2000

extern char **environ;

typedef struct st_app_t {
    srv_config_t conf;
    uv_loop_t loop;
    srv_http_t *http;
    eio_config_t eio_conf; /* options of the engine on conf.path (strings borrow conf) */
    sio_server_t *io;      /* the Socket.IO server on conf.path (owns its engine) */
    store_t *store;        /* --database */
    bool store_closed;
    srv_chat_t *chat;         /* the chat service: /v1/api, /docs, namespace /chat */
    srv_desk_t *desk;         /* the support desk: /v1/api/desk, /v1/api/widget, /desk, /support */
    srv_media_t *media;       /* attachments: /v1/api/attachments */
    srv_web_t *web;           /* the web app at / (chat mode only) */
    srv_echo_app_t *echo_app; /* --echo: the Socket.IO echo app on conf.path */
    rda_client_t *redis;      /* --redis: the Redis client (srv_redis_setup) */
    srv_metrics_t *metrics;   /* --metrics: GET /metrics */
    eio_config_t echo_conf;   /* --echo: the same options at SRV_ECHO_ENGINE_PATH */
    eio_server_t *echo;       /* --echo: the raw Engine.IO echo */
    uv_signal_t sigint, sigterm;
    bool stopping;
    bool stopped_clean;
} app_t;

/* Engine.IO options from the command line; `path` is borrowed. */
static void engine_config(const srv_config_t *conf, const char *path, eio_config_t *out)
{
    eio_config_init(out);
    out->path = path;
    out->ping_interval_ms = conf->ping_interval_ms;
    out->ping_timeout_ms = conf->ping_timeout_ms;
    out->upgrade_timeout_ms = conf->upgrade_timeout_ms;
    out->max_http_buffer_size = conf->max_http_buffer_size;
    out->transports = (conf->transports & SRV_TRANSPORT_POLLING ? EIO_TRANSPORT_POLLING : 0) |
                      (conf->transports & SRV_TRANSPORT_WEBSOCKET ? EIO_TRANSPORT_WEBSOCKET : 0);
    out->allow_upgrades = conf->allow_upgrades;
    out->allow_eio3 = conf->allow_eio3;
    out->http_compression = conf->http_compression;
    out->cors_origin = conf->cors_origin;
    out->cors_credentials = conf->cors_credentials;
    out->cookie_name = conf->cookie;
    out->max_buffered_packets = conf->max_buffered_packets;
    out->max_buffered_bytes = conf->max_buffered_bytes;
}

/* At stop, before the engines shut down: every Socket.IO socket gets its "server shutting down"
 * disconnect while its session can still carry it. */
static void stop_socketio(srv_http_t *http, void *data)
{
    UNUSED(http);
    sio_server_shutdown(((app_t *)data)->io);
}

/* Creates what serves conf.path: the Socket.IO server with, in --echo mode, the echo app, else
 * the storage and the chat service (REST routes and the /chat namespace). Returns 0 or -1 after
 * logging why. */
static int setup_app(app_t *app)
{
    sio_config_t sc;
    char err[256];
    int rc;

    engine_config(&app->conf, app->conf.path, &app->eio_conf);
    sio_config_init(&sc);
    sc.connect_timeout_ms = app->conf.connect_timeout_ms;
    /* the chat namespace wants connection state recovery; the test and bench apps keep the
     * reference's default (off) unless --recovery */
    sc.recovery = app->conf.recovery || !(app->conf.echo || app->conf.bench_app);
    sc.max_disconnection_ms = app->conf.max_disconnection_duration_ms;
    sc.recovery_max_bytes = app->conf.recovery_max_bytes;
    sc.recovery_max_replay_packets = app->conf.recovery_max_replay_packets;
    sc.recovery_max_replay_bytes = app->conf.recovery_max_replay_bytes;
    if (srv_redis_setup(&app->loop, app->conf.redis, app->conf.redis_key,
                        app->conf.redis_queue_max_bytes, &sc, &app->redis) != 0)
        return -1;
    app->io = sio_server_new(&app->loop, &app->eio_conf, &sc);
    if (app->io == NULL || srv_http_attach_engine(app->http, sio_server_engine(app->io)) != 0 ||
        srv_http_add_stop_hook(app->http, stop_socketio, app) != 0)
        return -1;
    if (app->conf.bench_app) /* tests/bench: the reference's defaults, no chat, no database */
        return srv_bench_app_attach(app->io);
    if (app->conf.echo) { /* protocol test mode: no chat service, no database */
        srv_echo_options_t eo = {.extras = app->conf.echo_extras};
        app->echo_app = srv_echo_app_new(app->io, &eo);
        return app->echo_app != NULL ? 0 : -1;
    }
    rc = store_open(&app->loop, app->conf.database, &app->store);

    if (rc != 0) {
        log_error(LOG_MOD, "--database %s: %s", app->conf.database, strerror(-rc));
        return -1;
    }
    if (store_migrate_sync(app->store, err, sizeof(err)) != 0) {
        log_error(LOG_MOD, "--database: migration failed: %s", err);
        return -1;
    }
    store_set_max_pending(app->store, app->conf.store_max_pending);
    /* attachments: their routes first (the chat's "/v1/api" would match them too) */
    app->media = srv_media_new(&app->loop, &app->conf, app->store);
    if (app->media == NULL || srv_media_register_routes(app->media, app->http) != 0)
        return -1;
    app->chat = srv_chat_new(&app->loop, &app->conf, app->store, app->io, app->redis);
    if (app->chat == NULL)
        return -1;
    /* the desk's /v1/api/desk and /v1/api/widget before the chat's /v1/api (first match wins) */
    app->desk = srv_desk_new(&app->loop, &app->conf, app->store, app->io, app->chat);
    if (app->desk == NULL || srv_desk_register_routes(app->desk, app->http) != 0)
        return -1;
    srv_desk_start(app->desk);
    srv_desk_set_media(app->desk, app->media); /* WhatsApp's inbound and outbound media */
    {
        size_t ukl, vkl;
        const uint8_t *uk = srv_chat_jwt_key(app->chat, &ukl);
        const uint8_t *vk = srv_desk_visitor_key(app->desk, &vkl);
        srv_media_set_keys(app->media, uk, ukl, vk, vkl);
    }
    if (srv_chat_register_routes(app->chat, app->http) != 0 ||
        srv_http_set_too_large_body(app->http, SRV_CHAT_API_PREFIX, SRV_CHAT_TOO_LARGE_JSON) != 0)
        return -1;
    if (app->conf.metrics) {
        srv_metrics_sources_t ms = {&app->conf, app->http,  app->io,
                                    app->store, app->redis, app->chat};
        app->metrics = srv_metrics_new(&ms);
        if (srv_metrics_register(app->metrics, app->http) != 0)
            return -1;
    }
    app->web = srv_web_new(app->conf.web_root); /* the catch-all "/": registered last */
    return srv_web_register(app->web, app->http) == 0 ? 0 : -1;
}

/* --echo: the raw Engine.IO echo at /engine.io/ with the same options. */
static int setup_echo(app_t *app)
{
    if (!app->conf.echo)
        return 0;
    engine_config(&app->conf, SRV_ECHO_ENGINE_PATH, &app->echo_conf);
    app->echo = srv_echo_engine_new(&app->loop, &app->echo_conf);
    if (app->echo == NULL)
        return -1;
    return srv_http_attach_engine(app->http, app->echo) == 0 ? 0 : -1;
}

/* --- stop --- */

static void on_http_stopped(srv_http_t *http, bool clean, void *data)
{
    UNUSED(http);
    app_t *app = data;
    app->stopped_clean = clean;
    uv_stop(&app->loop);
}

static void on_signal(uv_signal_t *sig, int signum)
{
    app_t *app = sig->data;
    if (app->stopping) {
        log_info(LOG_MOD, "signal %d: already stopping", signum);
        return;
    }
    app->stopping = true;
    log_info(LOG_MOD, "signal %d: stopping", signum);
    srv_http_stop(app->http, SHUTDOWN_DEADLINE_MS, on_http_stopped, app);
}

static void close_walk_cb(uv_handle_t *handle, void *arg)
{
    UNUSED(arg);
    if (!uv_is_closing(handle))
        uv_close(handle, NULL);
}

/* Frees everything in dependency order: the engines first (eio_server_free detaches them from
 * their h2o handler, which lives in the h2o config), then h2o, then whatever handles remain (the
 * engines' memory goes when libuv has closed theirs), then the loop. */
static void on_store_closed(void *cbdata, int status)
{
    UNUSED(status);
    ((app_t *)cbdata)->store_closed = true;
}

static int teardown(app_t *app)
{
    int rc = 0;
    /* the chat service first (its in-flight storage work is orphaned), then the store (its last
     * callbacks run and drop their socket references), then Socket.IO */
    srv_desk_free(app->desk);
    srv_chat_free(app->chat);
    srv_media_free(app->media);
    if (app->store != NULL) {
        store_close(app->store, on_store_closed, app);
        while (!app->store_closed)
            uv_run(&app->loop, UV_RUN_ONCE);
    }
    srv_echo_app_free(app->echo_app);
    sio_server_free(app->io);
    srv_redis_teardown(app->redis); /* after the adapters, before uv_walk closes hiredis' polls */
    eio_server_free(app->echo);

    srv_http_free(app->http);
    srv_web_free(app->web);
    srv_metrics_free(app->metrics);
    uv_walk(&app->loop, close_walk_cb, NULL);
    uv_run(&app->loop, UV_RUN_DEFAULT);
    int lrc = uv_loop_close(&app->loop);
    if (lrc != 0) {
        log_error(LOG_MOD, "uv_loop_close: %s", uv_strerror(lrc));
        rc = -1;
    }
    return rc;
}

/* --- main --- */

static int run(app_t *app)
{
    int rc = uv_loop_init(&app->loop);
    if (rc != 0) {
        log_error(LOG_MOD, "uv_loop_init: %s", uv_strerror(rc));
        return 1;
    }
    /* the engine accepts bodies up to max-http-buffer-size and answers 413 itself; h2o cuts
     * anything far above that before buffering it all */
    app->http = srv_http_new(&app->loop, app->conf.max_http_buffer_size + 65536);
    uv_signal_init(&app->loop, &app->sigint);
    uv_signal_init(&app->loop, &app->sigterm);
    app->sigint.data = app->sigterm.data = app;
    if (setup_app(app) != 0 || setup_echo(app) != 0 ||
        srv_http_listen(app->http, app->conf.host, app->conf.port) != 0) {
        log_error(LOG_MOD, "start-up failed");
        teardown(app);
        return 1;
    }
    uv_signal_start(&app->sigint, on_signal, SIGINT);
    uv_signal_start(&app->sigterm, on_signal, SIGTERM);
    bool v6 = strchr(app->conf.host, ':') != NULL;
    printf("sioc listening on http://%s%s%s:%u\n", v6 ? "[" : "", app->conf.host, v6 ? "]" : "",
           srv_http_port(app->http));
    fflush(stdout);
    log_info(LOG_MOD, "serving %s%s", app->conf.path,
             app->conf.echo ? " and " SRV_ECHO_ENGINE_PATH " (echo)" : "");

    uv_run(&app->loop, UV_RUN_DEFAULT);

    if (!app->stopped_clean) {
        /* connections outlived the deadline: h2o cannot be disposed under them, so leave the
         * memory to the OS rather than report it as leaked */
        log_warn(LOG_MOD, "exiting with %zu connection(s) still open",
                 srv_http_connection_count(app->http));
        fflush(stderr);
        _exit(0);
    }
    log_info(LOG_MOD, "stopped");
    return teardown(app) == 0 ? 0 : 1;
}

/* Parses the options; returns -1 to continue, else the exit code (help, version, error). */
static int load_config(app_t *app, int argc, char **argv)
{
    char *err = NULL;
    if (srv_config_load(&app->conf, argc, argv, environ, &err) != 0) {
        fprintf(stderr, "sioc: %s\nTry 'sioc --help'.\n", err);
        free(err);
        return 2;
    }
    if (app->conf.help) {
        char *help = srv_config_help("sioc");
        fputs(help, stdout);
        free(help);
        return 0;
    }
    if (app->conf.version) {
        printf("sioc %s\n", SIOC_VERSION);
        return 0;
    }
    return -1;
}

int main(int argc, char **argv)
{
    app_t app;
    memset(&app, 0, sizeof(app));
    int code = load_config(&app, argc, argv);
    if (code < 0) {
        /* The option already took SIOC_LOG_LEVEL into account. */
        log_set_level(app.conf.log_level);
        log_debug(LOG_MOD, "sioc %s starting", SIOC_VERSION);
        if (sodium_init() < 0) {
            log_error(LOG_MOD, "sodium_init failed");
            code = 1;
        } else {
            code = run(&app);
        }
    }
    srv_config_dispose(&app.conf);
    return code;
}
