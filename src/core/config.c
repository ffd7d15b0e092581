/* config.c - the option table and the pure parsers of srv_config_t (see config.h).
 *
 * Design: `options[]` describes every option once (name, kind, field offset, range, default
 * text, help). Defaults are applied by parsing the default text through the same setter as
 * user input, so the --help text shows exactly what is used. A setter validates into a temporary
 * first and only then stores, so a failed call leaves the config unchanged. Error messages name
 * the option (`--port`), quote the offending value (escaped and truncated) and say where it came
 * from (config file line, environment variable, command line). */
#include "src/core/config.h"

#include <arpa/inet.h>
#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef enum en_opt_kind_t {
    OPT_BOOL,       /* bool */
    OPT_UINT,       /* unsigned, [min, max] */
    OPT_SIZE,       /* size_t, [min, max] */
    OPT_STR,        /* char *, checked by `check` */
    OPT_TRANSPORTS, /* unsigned bit set */
    OPT_LOG_LEVEL,  /* log_level_t */
    OPT_ACTION,     /* --help, --version: command line only, no value */
} opt_kind_t;

/* Returns NULL if `value` is acceptable, else a static description of what is expected. */
typedef const char *(*check_fn)(const char *value);

typedef struct st_opt_t {
    const char *name;            /* long name without "--" */
    opt_kind_t kind;             /* how the value is parsed */
    size_t offset;               /* field in srv_config_t */
    unsigned long long min, max; /* OPT_UINT / OPT_SIZE range */
    check_fn check;              /* OPT_STR validation */
    bool optional;               /* OPT_STR: an empty value unsets it (NULL) */
    const char *def;             /* default as text; NULL: unset */
    const char *metavar;         /* shown in --help: "N", "MS", "ADDR" */
    const char *help;            /* one line for --help */
} opt_t;

#define FIELD(f) offsetof(srv_config_t, f)

static const char *check_host(const char *v);
static const char *check_path(const char *v);
static const char *check_origin(const char *v);
static const char *check_cookie(const char *v);
static const char *check_database(const char *v);
static const char *check_redis(const char *v);
static const char *check_redis_key(const char *v);
static const char *check_nonempty(const char *v);
static const char *check_media_types(const char *v);
static const char *check_digits(const char *v);
static const char *check_http_url(const char *v);
static const char *check_api_version(const char *v);
static const char *check_template(const char *v);

#define MS_MAX 2147483647ULL /* fits a JS setTimeout and an int */

static const opt_t options[] = {
    {"host", OPT_STR, FIELD(host), 0, 0, check_host, false, "0.0.0.0", "ADDR",
     "listen address (an IPv4 or IPv6 literal)"},
    {"port", OPT_UINT, FIELD(port), 0, 65535, NULL, false, "3000", "N",
     "listen port; 0 picks a free port (printed once listening)"},
    {"path", OPT_STR, FIELD(path), 0, 0, check_path, false, "/socket.io/", "PATH",
     "path of the Socket.IO / Engine.IO endpoint"},
    {"ping-interval", OPT_UINT, FIELD(ping_interval_ms), 1, MS_MAX, NULL, false, "25000", "MS",
     "Engine.IO pingInterval in milliseconds"},
    {"ping-timeout", OPT_UINT, FIELD(ping_timeout_ms), 1, MS_MAX, NULL, false, "20000", "MS",
     "Engine.IO pingTimeout in milliseconds"},
    {"upgrade-timeout", OPT_UINT, FIELD(upgrade_timeout_ms), 1, MS_MAX, NULL, false, "10000", "MS",
     "time allowed for a transport upgrade, in milliseconds"},
    {"max-http-buffer-size", OPT_SIZE, FIELD(max_http_buffer_size), 1, 1073741824ULL, NULL, false,
     "1000000", "BYTES", "largest message or polling body accepted (maxPayload)"},
    {"connect-timeout", OPT_UINT, FIELD(connect_timeout_ms), 1, MS_MAX, NULL, false, "45000", "MS",
     "time a client has to join a namespace, in milliseconds"},
    {"transports", OPT_TRANSPORTS, FIELD(transports), 0, 0, NULL, false, "polling,websocket",
     "LIST", "allowed transports: polling, websocket, or both comma-separated"},
    {"allow-upgrades", OPT_BOOL, FIELD(allow_upgrades), 0, 0, NULL, false, "true", NULL,
     "allow upgrading from polling to websocket"},
    {"cors-origin", OPT_STR, FIELD(cors_origin), 0, 0, check_origin, true, NULL, "ORIGINS",
     "CORS allowed origins: \"*\" or a comma-separated list (unset: CORS off)"},
    {"cors-credentials", OPT_BOOL, FIELD(cors_credentials), 0, 0, NULL, false, "false", NULL,
     "send Access-Control-Allow-Credentials"},
    {"cookie", OPT_STR, FIELD(cookie), 0, 0, check_cookie, true, NULL, "NAME",
     "name of the session affinity cookie set on the handshake, e.g. io (unset: none)"},
    {"http-compression", OPT_BOOL, FIELD(http_compression), 0, 0, NULL, false, "true", NULL,
     "compress polling responses (gzip/deflate)"},
    {"allow-eio3", OPT_BOOL, FIELD(allow_eio3), 0, 0, NULL, false, "false", NULL,
     "accept Engine.IO v3 clients (socket.io-client 2.x)"},
    {"echo", OPT_BOOL, FIELD(echo), 0, 0, NULL, false, "false", NULL,
     "serve the echo app for protocol tests (and an Engine.IO echo at /engine.io/)"},
    {"echo-extras", OPT_BOOL, FIELD(echo_extras), 0, 0, NULL, false, "false", NULL,
     "extra test namespaces in echo mode"},
    {"recovery", OPT_BOOL, FIELD(recovery), 0, 0, NULL, false, "false", NULL,
     "enable connection state recovery"},
    {"max-disconnection-duration", OPT_UINT, FIELD(max_disconnection_duration_ms), 0, MS_MAX, NULL,
     false, "120000", "MS", "how long a session can be recovered, in milliseconds"},
    {"recovery-max-bytes", OPT_SIZE, FIELD(recovery_max_bytes), 0, 1ULL << 40, NULL, false,
     "67108864", "BYTES",
     "bytes of recoverable packets kept per namespace (oldest dropped beyond; 0: no bound)"},
    {"recovery-max-replay-packets", OPT_SIZE, FIELD(recovery_max_replay_packets), 0, 1ULL << 32,
     NULL, false, "1000", "N",
     "most missed packets replayed to a recovering client (more: a fresh session; 0: no bound)"},
    {"recovery-max-replay-bytes", OPT_SIZE, FIELD(recovery_max_replay_bytes), 0, 1ULL << 40, NULL,
     false, "1048576", "BYTES", "most missed bytes replayed to a recovering client (0: no bound)"},
    {"max-buffered-packets", OPT_SIZE, FIELD(max_buffered_packets), 0, 1ULL << 32, NULL, false,
     "10000", "N", "packets queued for one client before it is disconnected (0: no bound)"},
    {"max-buffered-bytes", OPT_SIZE, FIELD(max_buffered_bytes), 0, 1073741824ULL, NULL, false,
     "33554432", "BYTES", "bytes queued for one client before it is disconnected (0: no bound)"},
    {"redis-queue-max-bytes", OPT_SIZE, FIELD(redis_queue_max_bytes), 0, 1ULL << 40, NULL, false,
     "16777216", "BYTES", "bytes of publishes kept while Redis is down (oldest dropped beyond)"},
    {"store-max-pending", OPT_SIZE, FIELD(store_max_pending), 0, 1ULL << 32, NULL, false, "10000",
     "N", "database operations waiting at most (more: 503 unavailable; 0: no bound)"},
    {"login-free-failures", OPT_UINT, FIELD(login_free_failures), 1, 1000000, NULL, false, "5", "N",
     "failed sign-ins per (user name, address) before growing delays (429)"},
    {"login-address-free-failures", OPT_UINT, FIELD(login_address_free_failures), 1, 1000000, NULL,
     false, "20", "N", "failed sign-ins per address before growing delays (429)"},
    {"register-limit", OPT_UINT, FIELD(register_limit), 0, 1000000, NULL, false, "20", "N",
     "registrations per address per hour (0: no limit)"},
    {"metrics", OPT_BOOL, FIELD(metrics), 0, 0, NULL, false, "true", NULL,
     "serve GET /metrics (Prometheus text: bounds, use and drops)"},
    {"database", OPT_STR, FIELD(database), 0, 0, check_database, false, "sqlite:data/sioc.db",
     "URL", "storage: sqlite:FILE or postgres://..."},
    {"redis", OPT_STR, FIELD(redis), 0, 0, check_redis, true, NULL, "URL",
     "Redis adapter URL, redis://HOST:PORT (unset: single node)"},
    {"redis-key", OPT_STR, FIELD(redis_key), 0, 0, check_redis_key, false, "socket.io", "KEY",
     "Redis adapter channel prefix (its `key`): nodes with one key are one cluster"},
    {"web-root", OPT_STR, FIELD(web_root), 0, 0, check_nonempty, false, "frontend-compat/web/out",
     "DIR", "directory of the web app's static build, served at /"},
    {"jwt-secret", OPT_STR, FIELD(jwt_secret), 0, 0, check_nonempty, true, NULL, "SECRET",
     "HS256 key of the chat service's tokens"},
    {"production", OPT_BOOL, FIELD(production), 0, 0, NULL, false, "false", NULL,
     "production mode"},
    {"bench-app", OPT_BOOL, FIELD(bench_app), 0, 0, NULL, false, "false", NULL,
     "serve the benchmark app"},
    {"desk-idle-close", OPT_UINT, FIELD(desk_idle_close_s), 0, 30 * 86400, NULL, false, "1800",
     "SECONDS", "support desk: finish a service with no message for this long (0: never)"},
    {"desk-auto-assign", OPT_BOOL, FIELD(desk_auto_assign), 0, 0, NULL, false, "false", NULL,
     "support desk: assign new services round-robin to online attendants"},
    {"desk-capacity", OPT_UINT, FIELD(desk_capacity), 1, 1000, NULL, false, "5", "N",
     "support desk: open services per attendant before auto-assign skips them"},
    {"admin-username", OPT_STR, FIELD(admin_username), 0, 0, check_nonempty, true, NULL, "NAME",
     "support desk: the first admin, created if the store has no admin"},
    {"admin-password-file", OPT_STR, FIELD(admin_password_file), 0, 0, check_nonempty, true, NULL,
     "FILE", "support desk: the file holding the first admin's password"},
    {"media-dir", OPT_STR, FIELD(media_dir), 0, 0, check_nonempty, true, NULL, "DIR",
     "attachments: where files are stored (unset: <database directory>/media)"},
    {"media-max-bytes", OPT_SIZE, FIELD(media_max_bytes), 1, 1ULL << 32, NULL, false, "26214400",
     "BYTES", "attachments: largest file accepted (413 beyond)"},
    {"media-types", OPT_STR, FIELD(media_types), 0, 0, check_media_types, false,
     SRV_MEDIA_DEFAULT_TYPES, "LIST",
     "attachments: content types accepted, comma-separated (415 for others; the type is taken "
     "from the bytes)"},
    {"whatsapp-phone-number-id", OPT_STR, FIELD(whatsapp_phone_number_id), 0, 0, check_digits, true,
     NULL, "ID", "WhatsApp Cloud API: the business phone number id (unset: no WhatsApp channel)"},
    {"whatsapp-token", OPT_STR, FIELD(whatsapp_token), 0, 0, check_nonempty, true, NULL, "TOKEN",
     "WhatsApp Cloud API: the Graph API access token (prefer the file or SIOC_WHATSAPP_TOKEN)"},
    {"whatsapp-token-file", OPT_STR, FIELD(whatsapp_token_file), 0, 0, check_nonempty, true, NULL,
     "FILE", "WhatsApp Cloud API: a file holding the access token"},
    {"whatsapp-app-secret", OPT_STR, FIELD(whatsapp_app_secret), 0, 0, check_nonempty, true, NULL,
     "SECRET", "WhatsApp Cloud API: the app secret that signs webhooks (X-Hub-Signature-256)"},
    {"whatsapp-verify-token", OPT_STR, FIELD(whatsapp_verify_token), 0, 0, check_nonempty, true,
     NULL, "TOKEN", "WhatsApp Cloud API: hub.verify_token expected by the webhook handshake"},
    {"whatsapp-graph-url", OPT_STR, FIELD(whatsapp_graph_url), 0, 0, check_http_url, false,
     "https://graph.facebook.com", "URL", "WhatsApp Cloud API: the Graph API base URL"},
    {"whatsapp-api-version", OPT_STR, FIELD(whatsapp_api_version), 0, 0, check_api_version, false,
     "v21.0", "VERSION", "WhatsApp Cloud API: the Graph API version"},
    {"whatsapp-template", OPT_STR, FIELD(whatsapp_template), 0, 0, check_template, true, NULL,
     "NAME[:LANG]",
     "WhatsApp Cloud API: template offered outside the 24-hour window (lang: en_US)"},
    {"webrtc-ice-servers", OPT_STR, FIELD(webrtc_ice_servers), 0, 0, check_nonempty, true, NULL,
     "JSON",
     "desk calls: STUN/TURN servers for both browsers, a JSON array of {urls, username?, "
     "credential?} (unset: none, host candidates only)"},
    {"log-level", OPT_LOG_LEVEL, FIELD(log_level), 0, 0, NULL, false, "info", "LEVEL",
     "debug, info, warn or error"},
    {"config", OPT_STR, FIELD(config_file), 0, 0, check_nonempty, false, NULL, "FILE",
     "read options from FILE (lines `name = value`, # comments)"},
    {"help", OPT_ACTION, FIELD(help), 0, 0, NULL, false, NULL, NULL, "print this help and exit"},
    {"version", OPT_ACTION, FIELD(version), 0, 0, NULL, false, NULL, NULL,
     "print the version and exit"},
};

/* --- value checks --- */

static const char *check_nonempty(const char *v)
{
    return *v == '\0' ? "a non-empty string" : NULL;
}

/* A comma-separated list of type/subtype items (the media service checks they are known). */
static const char *check_media_types(const char *v)
{
    size_t n = 0;
    for (const char *p = v; *p != '\0'; p++) {
        if (*p == '/')
            n++;
        else if (!(isalnum((unsigned char)*p) || strchr(",.+- ", *p) != NULL))
            return "a comma-separated list of content types such as image/png";
    }
    return n == 0 ? "a comma-separated list of content types such as image/png" : NULL;
}

static const char *check_digits(const char *v)
{
    size_t n = strspn(v, "0123456789");
    return n == 0 || n > 32 || v[n] != '\0' ? "1 to 32 digits" : NULL;
}

static const char *check_http_url(const char *v)
{
    bool ok = strncmp(v, "https://", 8) == 0 || strncmp(v, "http://", 7) == 0;
    for (const char *p = v; ok && *p != '\0'; p++)
        ok = (unsigned char)*p > 0x20 && (unsigned char)*p < 0x7f && *p != '?' && *p != '#';
    return ok && strlen(v) < 200 ? NULL : "an http:// or https:// URL without query";
}

static const char *check_api_version(const char *v)
{
    size_t n = strspn(v + (*v == 'v'), "0123456789.");
    return *v != 'v' || n == 0 || n > 10 || v[1 + n] != '\0' ? "v<number>, e.g. v21.0" : NULL;
}

static const char *check_template(const char *v)
{
    size_t n = strspn(v, "abcdefghijklmnopqrstuvwxyz0123456789_");
    if (n == 0 || n > 512)
        return "a template name (lower case, digits, _), optionally :lang";
    if (v[n] == '\0')
        return NULL;
    size_t l = strspn(v + n + 1, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_");
    return v[n] == ':' && l >= 2 && l <= 10 && v[n + 1 + l] == '\0'
               ? NULL
               : "a template name (lower case, digits, _), optionally :lang";
}

static const char *check_host(const char *v)
{
    unsigned char addr[16];
    if (inet_pton(AF_INET, v, addr) == 1 || inet_pton(AF_INET6, v, addr) == 1)
        return NULL;
    return "an IPv4 or IPv6 address such as 0.0.0.0, 127.0.0.1 or ::";
}

static const char *check_path(const char *v)
{
    static const char *expect = "a path starting with / (no spaces, ? or #)";
    if (v[0] != '/')
        return expect;
    for (const char *p = v; *p != '\0'; p++)
        if ((unsigned char)*p <= 0x20 || *p == 0x7f || *p == '?' || *p == '#')
            return expect;
    return NULL;
}

static bool is_printable(const char *v)
{
    for (const char *p = v; *p != '\0'; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            return false;
    return true;
}

static const char *check_origin(const char *v)
{
    static const char *expect = "\"*\" or a comma-separated list of origins";
    if (!is_printable(v))
        return expect;
    /* every comma-separated item must be non-empty */
    const char *item = v;
    for (const char *p = v;; p++) {
        if (*p == ',' || *p == '\0') {
            const char *a = item, *b = p;
            while (a < b && *a == ' ')
                a++;
            if (a == b)
                return expect;
            if (*p == '\0')
                break;
            item = p + 1;
        }
    }
    return NULL;
}

static const char *check_cookie(const char *v)
{
    /* an RFC 6265 cookie-name is an RFC 7230 token */
    static const char *tchar = "!#$%&'*+-.^_`|~";
    if (*v == '\0')
        return "a cookie name";
    for (const char *p = v; *p != '\0'; p++) {
        unsigned char c = (unsigned char)*p;
        bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                  (c != '\0' && strchr(tchar, c) != NULL);
        if (!ok)
            return "a cookie name (letters, digits and !#$%&'*+-.^_`|~)";
    }
    return NULL;
}

static bool has_prefix(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

static const char *check_database(const char *v)
{
    static const char *expect = "sqlite:FILE, postgres://... or postgresql://...";
    if (!is_printable(v))
        return expect;
    if (has_prefix(v, "sqlite:") && v[7] != '\0')
        return NULL;
    if ((has_prefix(v, "postgres://") && v[11] != '\0') ||
        (has_prefix(v, "postgresql://") && v[13] != '\0'))
        return NULL;
    return expect;
}

static const char *check_redis(const char *v)
{
    if (is_printable(v) && has_prefix(v, "redis://") && v[8] != '\0')
        return NULL;
    return "redis://HOST[:PORT]";
}

/* rda_client_set_key's rule: 1 to 64 bytes, none of them a space, a control or a pattern byte */
static const char *check_redis_key(const char *v)
{
    size_t n = strlen(v);
    if (n > 0 && n <= 64 && is_printable(v) && strpbrk(v, " #*?[") == NULL)
        return NULL;
    return "1 to 64 printable bytes without spaces or any of # * ? [";
}

/* --- messages --- */

/* Appends `v` quoted, with control and non-ASCII bytes escaped, truncated to 60 bytes. */
static void append_quoted(buf_t *b, const char *v)
{
    size_t n = 0;
    buf_append_char(b, '"');
    for (const char *p = v; *p != '\0'; p++, n++) {
        unsigned char c = (unsigned char)*p;
        if (n == 60) {
            buf_append_str(b, "...");
            break;
        }
        if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\')
            buf_printf(b, "\\x%02x", c);
        else
            buf_append_char(b, (char)c);
    }
    buf_append_char(b, '"');
}

/* Builds "SIOC_PING_INTERVAL" from "ping-interval" into `out` (`size` >= 64). */
static void env_name(const opt_t *opt, char *out, size_t size)
{
    size_t n = (size_t)snprintf(out, size, "SIOC_");
    for (const char *p = opt->name; *p != '\0' && n + 1 < size; p++)
        out[n++] = *p == '-' ? '_' : (char)(('a' <= *p && *p <= 'z') ? *p - 32 : *p);
    out[n] = '\0';
}

/* Source context appended to every message about a value: where it came from. */
typedef struct st_origin_t {
    srv_config_source_t src;
    const char *filename; /* SRV_CONFIG_FILE */
    size_t line;          /* SRV_CONFIG_FILE, from 1 */
} origin_t;

static void append_origin(buf_t *b, const opt_t *opt, const origin_t *o)
{
    switch (o->src) {
    case SRV_CONFIG_DEFAULT:
        buf_append_str(b, " (built-in default)");
        break;
    case SRV_CONFIG_FILE:
        buf_printf(b, " (config file %s, line %zu)", o->filename != NULL ? o->filename : "?",
                   o->line);
        break;
    case SRV_CONFIG_ENV:
        if (opt != NULL) {
            char env[64];
            env_name(opt, env, sizeof(env));
            buf_printf(b, " (environment variable %s)", env);
        } else {
            buf_append_str(b, " (environment)");
        }
        break;
    case SRV_CONFIG_ARGV:
        buf_append_str(b, " (command line)");
        break;
    }
}

static int fail(char **err, buf_t *b)
{
    if (err != NULL)
        *err = buf_steal(b, NULL);
    else
        buf_dispose(b);
    return -EINVAL;
}

/* "--NAME: "VALUE" is not EXPECT (ORIGIN)" */
static int fail_value(char **err, const opt_t *opt, const char *value, const char *expect,
                      const origin_t *o)
{
    buf_t b = BUF_INIT;
    buf_printf(&b, "--%s: invalid value ", opt->name);
    append_quoted(&b, value);
    buf_printf(&b, ", expected %s", expect);
    append_origin(&b, opt, o);
    return fail(err, &b);
}

/* --- value parsers --- */

/* Parses a decimal integer in [min, max]: digits only, no sign or spaces. */
static bool parse_uint(const char *v, unsigned long long min, unsigned long long max,
                       unsigned long long *out)
{
    unsigned long long n = 0;
    if (*v == '\0')
        return false;
    for (const char *p = v; *p != '\0'; p++) {
        if (*p < '0' || *p > '9')
            return false;
        unsigned d = (unsigned)(*p - '0');
        if (n > (max - d) / 10)
            return false; /* > max, and this also catches overflow */
        n = n * 10 + d;
    }
    if (n < min)
        return false;
    *out = n;
    return true;
}

static bool parse_bool(const char *v, bool *out)
{
    static const char *yes[] = {"true", "yes", "on", "1"};
    static const char *no[] = {"false", "no", "off", "0"};
    for (size_t i = 0; i < ARRAY_SIZE(yes); i++) {
        if (strcasecmp(v, yes[i]) == 0) {
            *out = true;
            return true;
        }
        if (strcasecmp(v, no[i]) == 0) {
            *out = false;
            return true;
        }
    }
    return false;
}

/* Parses "polling,websocket" (spaces around items allowed) into SRV_TRANSPORT_* bits. Returns
 * false (with `*bad` the offending item, malloc'ed) for an empty list, an empty or unknown item. */
static bool parse_transports(const char *v, unsigned *out, char **bad)
{
    unsigned bits = 0;
    const char *p = v;
    *bad = NULL;
    for (;;) {
        const char *end = strchr(p, ',');
        if (end == NULL)
            end = p + strlen(p);
        const char *a = p, *b = end;
        while (a < b && (*a == ' ' || *a == '\t'))
            a++;
        while (b > a && (b[-1] == ' ' || b[-1] == '\t'))
            b--;
        size_t n = (size_t)(b - a);
        if (n == 7 && memcmp(a, "polling", 7) == 0) {
            bits |= SRV_TRANSPORT_POLLING;
        } else if (n == 9 && memcmp(a, "websocket", 9) == 0) {
            bits |= SRV_TRANSPORT_WEBSOCKET;
        } else {
            *bad = xstrndup(a, n);
            return false;
        }
        if (*end == '\0')
            break;
        p = end + 1;
    }
    *out = bits;
    return true;
}

static const opt_t *find_option(const char *name, size_t len)
{
    for (size_t i = 0; i < ARRAY_SIZE(options); i++)
        if (strlen(options[i].name) == len && memcmp(options[i].name, name, len) == 0)
            return &options[i];
    return NULL;
}

/* Stores `value` into the field of `opt`, validating first. `value` may be NULL only for
 * clearing an optional string (the default of an unset option). */
static int set_option(srv_config_t *conf, const opt_t *opt, const char *value, const origin_t *o,
                      char **err)
{
    char *field = (char *)conf + opt->offset;
    switch (opt->kind) {
    case OPT_BOOL: {
        bool b;
        if (!parse_bool(value, &b))
            return fail_value(err, opt, value, "true or false", o);
        *(bool *)field = b;
        return 0;
    }
    case OPT_UINT:
    case OPT_SIZE: {
        unsigned long long n;
        if (!parse_uint(value, opt->min, opt->max, &n)) {
            char expect[80];
            snprintf(expect, sizeof(expect), "an integer from %llu to %llu", opt->min, opt->max);
            return fail_value(err, opt, value, expect, o);
        }
        if (opt->kind == OPT_UINT)
            *(unsigned *)field = (unsigned)n;
        else
            *(size_t *)field = (size_t)n;
        return 0;
    }
    case OPT_STR: {
        char **slot = (char **)field;
        if (value == NULL || (*value == '\0' && opt->optional)) {
            free(*slot);
            *slot = NULL;
            return 0;
        }
        const char *expect = *value == '\0' ? "a non-empty value" : opt->check(value);
        if (expect != NULL)
            return fail_value(err, opt, value, expect, o);
        free(*slot);
        *slot = xstrdup(value);
        return 0;
    }
    case OPT_TRANSPORTS: {
        unsigned bits;
        char *bad;
        if (!parse_transports(value, &bits, &bad)) {
            buf_t b = BUF_INIT;
            buf_printf(&b, "--%s: unknown transport ", opt->name);
            append_quoted(&b, bad);
            buf_append_str(&b, " in ");
            append_quoted(&b, value);
            buf_append_str(&b, ", expected polling, websocket or polling,websocket");
            append_origin(&b, opt, o);
            free(bad);
            return fail(err, &b);
        }
        *(unsigned *)field = bits;
        return 0;
    }
    case OPT_LOG_LEVEL:
        if (log_level_parse(value, (log_level_t *)field))
            return 0;
        return fail_value(err, opt, value, "debug, info, warn or error", o);
    case OPT_ACTION:
        *(bool *)field = true;
        return 0;
    }
    return -EINVAL;
}

static int fail_option(char **err, const char *fmt, const char *name, size_t len, const origin_t *o)
{
    buf_t b = BUF_INIT;
    char *n = xstrndup(name, len);
    buf_printf(&b, fmt, n);
    free(n);
    append_origin(&b, NULL, o);
    return fail(err, &b);
}

/* --- public API --- */

void srv_config_init(srv_config_t *conf)
{
    origin_t o = {SRV_CONFIG_DEFAULT, NULL, 0};
    memset(conf, 0, sizeof(*conf));
    for (size_t i = 0; i < ARRAY_SIZE(options); i++) {
        if (options[i].kind == OPT_ACTION || options[i].def == NULL)
            continue;
        int rc = set_option(conf, &options[i], options[i].def, &o, NULL);
        assert(rc == 0); /* the table's defaults are valid */
        (void)rc;
    }
}

void srv_config_dispose(srv_config_t *conf)
{
    for (size_t i = 0; i < ARRAY_SIZE(options); i++) {
        if (options[i].kind == OPT_STR) {
            char **slot = (char **)((char *)conf + options[i].offset);
            free(*slot);
        }
    }
    memset(conf, 0, sizeof(*conf));
}

int srv_config_set(srv_config_t *conf, const char *name, const char *value, srv_config_source_t src,
                   char **err)
{
    origin_t o = {src, NULL, 0};
    const opt_t *opt = find_option(name, strlen(name));
    if (opt == NULL || opt->kind == OPT_ACTION)
        return fail_option(err, "unknown option --%s", name, strlen(name), &o);
    return set_option(conf, opt, value, &o, err);
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r';
}

int srv_config_parse_file_text(srv_config_t *conf, const char *text, size_t len,
                               const char *filename, char **err)
{
    origin_t o = {SRV_CONFIG_FILE, filename, 0};
    const char *p = text, *end = text + len;
    int rc = 0;
    while (p < end && rc == 0) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        if (eol == NULL)
            eol = end;
        o.line++;
        const char *a = p, *b = eol;
        p = eol < end ? eol + 1 : end;
        while (a < b && is_space(*a))
            a++;
        while (b > a && is_space(b[-1]))
            b--;
        if (a == b || *a == '#')
            continue;
        if (memchr(a, '\0', (size_t)(b - a)) != NULL) {
            buf_t m = BUF_INIT;
            buf_append_str(&m, "NUL byte in the config file");
            append_origin(&m, NULL, &o);
            rc = fail(err, &m);
            break;
        }
        const char *eq = memchr(a, '=', (size_t)(b - a));
        const char *name_end = eq != NULL ? eq : b;
        while (name_end > a && is_space(name_end[-1]))
            name_end--;
        const opt_t *opt = find_option(a, (size_t)(name_end - a));
        if (opt == NULL || opt->kind == OPT_ACTION || strcmp(opt->name, "config") == 0) {
            const char *fmt = opt == NULL ? "unknown option \"%s\""
                                          : "option --%s is not allowed"
                                            " in a config file";
            rc = fail_option(err, fmt, a, (size_t)(name_end - a), &o);
            break;
        }
        char *value;
        if (eq == NULL) {
            if (opt->kind != OPT_BOOL) {
                rc = fail_option(err, "--%s: missing `= value`", opt->name, strlen(opt->name), &o);
                break;
            }
            value = xstrdup("true");
        } else {
            const char *v = eq + 1;
            while (v < b && is_space(*v))
                v++;
            size_t n = (size_t)(b - v);
            /* one pair of matching quotes around the value is removed */
            if (n >= 2 && (v[0] == '"' || v[0] == '\'') && v[n - 1] == v[0]) {
                v++;
                n -= 2;
            }
            value = xstrndup(v, n);
        }
        rc = set_option(conf, opt, value, &o, err);
        free(value);
    }
    return rc;
}

int srv_config_parse_env(srv_config_t *conf, char *const envp[], char **err)
{
    origin_t o = {SRV_CONFIG_ENV, NULL, 0};
    if (envp == NULL)
        return 0;
    /* In table order, so the outcome does not depend on the order of envp. */
    for (size_t i = 0; i < ARRAY_SIZE(options); i++) {
        const opt_t *opt = &options[i];
        if (opt->kind == OPT_ACTION)
            continue;
        char name[64];
        env_name(opt, name, sizeof(name));
        size_t nlen = strlen(name);
        const char *value = NULL;
        for (char *const *e = envp; *e != NULL; e++)
            if (strncmp(*e, name, nlen) == 0 && (*e)[nlen] == '=')
                value = *e + nlen + 1; /* the last one wins, as getenv's setenv would */
        if (value == NULL)
            continue;
        int rc = set_option(conf, opt, value, &o, err);
        if (rc != 0)
            return rc;
    }
    return 0;
}

int srv_config_parse_argv(srv_config_t *conf, int argc, char *const argv[], char **err)
{
    origin_t o = {SRV_CONFIG_ARGV, NULL, 0};
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (strcmp(arg, "-h") == 0) {
            conf->help = true;
            continue;
        }
        if (strncmp(arg, "--", 2) != 0 || arg[2] == '\0')
            return fail_option(err, "unexpected argument \"%s\" (options start with --)", arg,
                               strlen(arg), &o);
        const char *name = arg + 2;
        const char *eq = strchr(name, '=');
        size_t nlen = eq != NULL ? (size_t)(eq - name) : strlen(name);
        const opt_t *opt = find_option(name, nlen);
        bool negated = false;
        if (opt == NULL && nlen > 3 && strncmp(name, "no-", 3) == 0) {
            opt = find_option(name + 3, nlen - 3);
            if (opt != NULL && opt->kind != OPT_BOOL)
                return fail_option(err, "--%s takes a value; --no- is only for booleans", opt->name,
                                   strlen(opt->name), &o);
            negated = opt != NULL;
        }
        if (opt == NULL)
            return fail_option(err, "unknown option --%s", name, nlen, &o);
        if (negated) {
            if (eq != NULL)
                return fail_option(err, "--no-%s takes no value", opt->name, strlen(opt->name), &o);
            *(bool *)((char *)conf + opt->offset) = false;
            continue;
        }
        const char *value;
        if (opt->kind == OPT_ACTION) {
            if (eq != NULL)
                return fail_option(err, "--%s takes no value", opt->name, strlen(opt->name), &o);
            value = "";
        } else if (eq != NULL) {
            value = eq + 1;
        } else if (opt->kind == OPT_BOOL) {
            value = "true";
        } else if (i + 1 < argc) {
            value = argv[++i];
        } else {
            return fail_option(err, "--%s needs a value", opt->name, strlen(opt->name), &o);
        }
        int rc = set_option(conf, opt, value, &o, err);
        if (rc != 0)
            return rc;
    }
    return 0;
}

const char *srv_config_find_file(int argc, char *const argv[], char *const envp[])
{
    const char *file = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--config") == 0 && i + 1 < argc)
            file = argv[++i];
        else if (strncmp(argv[i], "--config=", 9) == 0)
            file = argv[i] + 9;
        else if (strcmp(argv[i], "--config") != 0 && strncmp(argv[i], "--", 2) == 0 &&
                 strchr(argv[i], '=') == NULL) {
            /* skip the separate value of a valued option so that `--path --config` is a path */
            const opt_t *opt = find_option(argv[i] + 2, strlen(argv[i] + 2));
            if (opt != NULL && opt->kind != OPT_BOOL && opt->kind != OPT_ACTION)
                i++;
        }
    }
    if (file != NULL || envp == NULL)
        return file;
    for (char *const *e = envp; *e != NULL; e++)
        if (strncmp(*e, "SIOC_CONFIG=", 12) == 0)
            file = *e + 12;
    return file;
}

/* Reads a whole file (a config file is small: at most 1 MiB). */
static int read_file(const char *path, char **text, size_t *len, char **err)
{
    buf_t b = BUF_INIT;
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        buf_printf(&b, "--config: cannot open %s: %s", path, strerror(errno));
        return fail(err, &b);
    }
    char chunk[4096];
    for (;;) {
        size_t n = fread(chunk, 1, sizeof(chunk), f);
        if (n == 0)
            break;
        buf_append(&b, chunk, n);
        if (b.len > (1u << 20)) {
            fclose(f);
            buf_dispose(&b);
            buf_printf(&b, "--config: %s is larger than 1 MiB", path);
            return fail(err, &b);
        }
    }
    bool failed = ferror(f) != 0;
    fclose(f);
    if (failed) {
        buf_dispose(&b);
        buf_printf(&b, "--config: cannot read %s", path);
        return fail(err, &b);
    }
    *text = buf_steal(&b, len);
    return 0;
}

int srv_config_load(srv_config_t *conf, int argc, char *const argv[], char *const envp[],
                    char **err)
{
    srv_config_init(conf);
    /* --help and --version win over any other (possibly invalid) argument */
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
            conf->help = true;
        else if (strcmp(argv[i], "--version") == 0)
            conf->version = true;
    }
    if (conf->help || conf->version)
        return 0;
    const char *file = srv_config_find_file(argc, argv, envp);
    if (file != NULL) {
        char *text;
        size_t len;
        int rc = read_file(file, &text, &len, err);
        if (rc != 0)
            return rc;
        rc = srv_config_parse_file_text(conf, text, len, file, err);
        free(text);
        if (rc != 0)
            return rc;
        free(conf->config_file);
        conf->config_file = xstrdup(file);
    }
    int rc = srv_config_parse_env(conf, envp, err);
    if (rc == 0)
        rc = srv_config_parse_argv(conf, argc, argv, err);
    return rc;
}

char *srv_config_help(const char *progname)
{
    buf_t b = BUF_INIT;
    buf_printf(&b,
               "Usage: %s [OPTIONS]\n"
               "sioc %s - a Socket.IO v4 server.\n\n"
               "Options are read, lowest precedence first, from the defaults, the --config file\n"
               "(lines `name = value`), the environment (SIOC_<NAME>) and the command line.\n"
               "Booleans: --flag, --flag=true|false, --no-flag.\n\n",
               progname, SIOC_VERSION);
    for (size_t i = 0; i < ARRAY_SIZE(options); i++) {
        const opt_t *opt = &options[i];
        char left[64];
        if (opt->metavar != NULL)
            snprintf(left, sizeof(left), "--%s %s", opt->name, opt->metavar);
        else if (opt->kind == OPT_BOOL)
            snprintf(left, sizeof(left), "--[no-]%s", opt->name);
        else
            snprintf(left, sizeof(left), "--%s", opt->name);
        buf_printf(&b, "  %-36s %s\n", left, opt->help);
        if (opt->kind == OPT_ACTION)
            continue;
        char env[64];
        env_name(opt, env, sizeof(env));
        buf_printf(&b, "  %-36s default: %s; env: %s\n", "",
                   opt->def != NULL ? opt->def : "(unset)", env);
    }
    return buf_steal(&b, NULL);
}

char *srv_read_secret_file(const char *path, size_t min, size_t max)
{
    char *buf = xmalloc(max + 2), *out = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    ssize_t n = fd >= 0 ? read(fd, buf, max + 1) : -1;
    if (fd >= 0)
        close(fd);
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
        n--;
    if (n >= 0 && (size_t)n >= min && (size_t)n <= max)
        out = xstrndup(buf, (size_t)n);
    explicit_bzero(buf, max + 2);
    free(buf);
    return out;
}
