/* config.h - the server's options (srv_config_t) and their parsers.
 *
 * Sources, lowest to highest precedence: built-in defaults, a config file (`--config FILE` or
 * SIOC_CONFIG; lines `name = value`, `#` comments), environment variables SIOC_<NAME> (upper case,
 * `_` for `-`), then the command line (`--name value`, `--name=value`, booleans as `--flag`,
 * `--flag=true|false`, `--no-flag`). Every option is described once in a table (config.c) that
 * the parsers, the defaults and the --help text all read, so they cannot disagree.
 *
 * The parsers are pure: they take text, argv or envp and report errors as a malloc'ed message
 * naming the option; only srv_config_load() reads the config file. Strings in srv_config_t are
 * owned by it and freed by srv_config_dispose(). */
#ifndef SIOC_SRC_CONFIG_H
#define SIOC_SRC_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "base/base.h"

/** Transport bits of srv_config_t.transports, equal to EIO_TRANSPORT_* of engineio.h. */
#define SRV_TRANSPORT_POLLING   0x1u
#define SRV_TRANSPORT_WEBSOCKET 0x2u

/** Every option of the server. Strings are owned (NULL means unset). */
typedef struct st_srv_config_t {
    char *host;                             /* listen address, an IP literal: "0.0.0.0" */
    unsigned port;                          /* 3000; 0 means any free port */
    char *path;                             /* Engine.IO path: "/socket.io/" */
    unsigned ping_interval_ms;              /* 25000 */
    unsigned ping_timeout_ms;               /* 20000 */
    unsigned upgrade_timeout_ms;            /* 10000 */
    size_t max_http_buffer_size;            /* 1000000 bytes */
    unsigned connect_timeout_ms;            /* 45000: Socket.IO namespace connect deadline */
    unsigned transports;                    /* SRV_TRANSPORT_* bits: both */
    bool allow_upgrades;                    /* true */
    char *cors_origin;                      /* NULL (CORS off), "*" or comma-separated origins */
    bool cors_credentials;                  /* false */
    char *cookie;                           /* NULL, or the affinity cookie's name ("io") */
    bool http_compression;                  /* true */
    bool allow_eio3;                        /* false */
    bool echo;                              /* false: serve the echo app (docs/echo-app.md) */
    bool echo_extras;                       /* false: extra test namespaces in echo mode */
    bool recovery;                          /* false: connection state recovery */
    unsigned max_disconnection_duration_ms; /* 120000: recovery window */
    size_t recovery_max_bytes;              /* 64 MiB per namespace */
    size_t recovery_max_replay_packets;     /* 1000 */
    size_t recovery_max_replay_bytes;       /* 1 MiB */
    size_t max_buffered_packets;            /* 10000 per client */
    size_t max_buffered_bytes;              /* 32 MiB per client */
    size_t redis_queue_max_bytes;           /* 16 MiB while Redis is down */
    size_t store_max_pending;               /* 10000 database operations waiting */
    unsigned login_free_failures;           /* 5 per (user name, address) */
    unsigned login_address_free_failures;   /* 20 per address */
    unsigned register_limit;                /* 20 registrations per address per hour; 0: none */
    bool metrics;                           /* true: GET /metrics */
    char *database;                         /* "sqlite:data/sioc.db" or "postgres://..." */
    char *redis;                            /* NULL, or "redis://host:port" */
    char *redis_key;                        /* the adapter's channel prefix ("socket.io") */
    char *web_root;                         /* "frontend-compat/web/out": the app at / */
    char *jwt_secret;                       /* NULL */
    bool production;                        /* false */
    bool bench_app;                         /* false */
    unsigned desk_idle_close_s;             /* 1800: finish a service idle this long, 0 = off */
    bool desk_auto_assign;                  /* false: round-robin to online attendants */
    unsigned desk_capacity;                 /* 5: open services per attendant for auto-assign */
    char *admin_username;                   /* NULL: the first admin's name */
    char *admin_password_file;              /* NULL: a file holding the first admin's password */
    /* attachments (src/media) */
    char *media_dir;        /* NULL: <the SQLite database's directory, else "data">/media */
    size_t media_max_bytes; /* 26214400 (25 MiB) per file */
    char *media_types;      /* comma-separated content types accepted (the default list) */
    /* the WhatsApp Cloud API channel of the desk (src/channels/whatsapp.c): on when the phone
     * number id and a token are set */
    char *whatsapp_phone_number_id; /* NULL: no WhatsApp channel */
    char *whatsapp_token;           /* NULL: the Graph API bearer token (or the file's) */
    char *whatsapp_token_file;      /* NULL: a file holding the token */
    char *whatsapp_app_secret;      /* NULL: the app secret (X-Hub-Signature-256 key) */
    char *whatsapp_verify_token;    /* NULL: hub.verify_token of the webhook handshake */
    char *whatsapp_graph_url;       /* "https://graph.facebook.com" */
    char *whatsapp_api_version;     /* "v21.0" */
    char *whatsapp_template;        /* NULL: "name[:lang]" offered outside the 24 h window */
    char *webrtc_ice_servers;       /* NULL: none; desk calls' RTCIceServer JSON array */
    log_level_t log_level;          /* LOG_LEVEL_INFO */
    char *config_file;              /* NULL: the file given by --config / SIOC_CONFIG */
    bool help;                      /* --help was given: print srv_config_help() */
    bool version;                   /* --version was given */
} srv_config_t;

/** The content types --media-types accepts by default. */
#define SRV_MEDIA_DEFAULT_TYPES                                                                    \
    "image/png,image/jpeg,image/gif,image/webp,audio/ogg,audio/webm,audio/mpeg,audio/mp4,"         \
    "video/mp4,video/webm,application/pdf,text/plain"

/** The program's version, printed by --version. */
#define SIOC_VERSION "0.1.0"

/** Where an option's value came from; used in error messages. */
typedef enum en_srv_config_source_t {
    SRV_CONFIG_DEFAULT = 0,
    SRV_CONFIG_FILE,
    SRV_CONFIG_ENV,
    SRV_CONFIG_ARGV,
} srv_config_source_t;

/** Fills `conf` with the defaults. Dispose with srv_config_dispose(). */
void srv_config_init(srv_config_t *conf);
/** Frees the strings of `conf` and zeroes it. */
void srv_config_dispose(srv_config_t *conf);

/** Sets the option `name` (long name without `--`, e.g. "ping-interval") from the text `value`
 * (NUL-terminated). A boolean accepts true|false|yes|no|on|off|1|0. Returns 0, or -EINVAL with
 * `*err` set to a malloc'ed message naming the option (and `src`); `conf` is then unchanged. */
int srv_config_set(srv_config_t *conf, const char *name, const char *value, srv_config_source_t src,
                   char **err);

/** Parses config file text (`len` bytes, need not be NUL-terminated; `filename` is only for
 * messages): one `name = value` per line, blank lines and lines starting with `#` ignored, a lone
 * `name` sets a boolean to true. Returns 0, or -EINVAL with `*err` naming the line and option. */
int srv_config_parse_file_text(srv_config_t *conf, const char *text, size_t len,
                               const char *filename, char **err);

/** Applies every SIOC_<NAME> variable of `envp` (NULL-terminated "NAME=value" strings) that names
 * an option; other SIOC_ variables are ignored. Returns 0 or -EINVAL with `*err`. */
int srv_config_parse_env(srv_config_t *conf, char *const envp[], char **err);

/** Applies the command line (argv[0] is the program name and skipped). Sets conf->help or
 * conf->version for --help / -h / --version. Returns 0 or -EINVAL with `*err`. */
int srv_config_parse_argv(srv_config_t *conf, int argc, char *const argv[], char **err);

/** Returns the config file named by argv (`--config F` / `--config=F`) or else by SIOC_CONFIG in
 * `envp`, or NULL. The string is borrowed from argv/envp. */
const char *srv_config_find_file(int argc, char *const argv[], char *const envp[]);

/** Everything in order: defaults, the config file (read here, the only I/O), env, argv. A
 * --help or --version on the command line stops early with conf->help/version set and returns 0.
 * Returns 0 or -EINVAL with `*err` set. `conf` must be disposed either way. */
int srv_config_load(srv_config_t *conf, int argc, char *const argv[], char *const envp[],
                    char **err);

/** Returns the --help text (malloc'ed): every option with its default and its env variable. */
char *srv_config_help(const char *progname);

/** Reads a secret from the file at `path` (blocking: before uv_run): its bytes without the
 * trailing newlines, if there are `min` to `max` of them; else (or if it cannot be read) NULL.
 * free() the result; the read buffer is wiped. */
char *srv_read_secret_file(const char *path, size_t min, size_t max);

#endif
