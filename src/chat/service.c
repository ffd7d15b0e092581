/* service.c - creation and teardown of the chat service (chat.h): the JWT secret
 * (configured, or random per process outside production), the login rate limiters, presence, and
 * the web root (src/web: openapi.json, node_modules/swagger-ui-dist).
 *
 * The web root is found without a new option: SIOC_WEB_ROOT if set, else ./src/web when sioc runs
 * from the repository (scripts/run), else ../web from this source file (the build records
 * absolute source paths in __FILE__), which covers test runs from other directories. */
#include "src/chat/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <sodium.h>

static bool is_dir(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static char *find_web_root(void)
{
    const char *env = getenv("SIOC_WEB_ROOT");
    char here[4096], cwd[4096];
    if (env != NULL && *env != '\0')
        return xstrdup(env);
    if (getcwd(cwd, sizeof(cwd)) != NULL) {
        char p[4200];
        snprintf(p, sizeof(p), "%s/src/web", cwd);
        if (is_dir(p))
            return xstrdup(p);
    }
    snprintf(here, sizeof(here), "%s", __FILE__);
    snprintf(cwd, sizeof(cwd), "%s/../web", dirname(here)); /* src/chat/../web */
    return xstrdup(cwd);
}

/* Reads a whole small file (blocking: start-up only). */
static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    buf_t b = BUF_INIT;
    char chunk[8192];
    size_t n;
    if (f == NULL)
        return NULL;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        buf_append(&b, chunk, n);
    fclose(f);
    return buf_steal(&b, len);
}

srv_chat_t *srv_chat_new(uv_loop_t *loop, const srv_config_t *conf, store_t *store,
                         sio_server_t *io, rda_client_t *redis)
{
    srv_chat_t *chat;
    char path[4400];

    if (sodium_init() < 0) {
        log_error("chat", "libsodium failed to initialise");
        return NULL;
    }
    if (conf->jwt_secret == NULL || conf->jwt_secret[0] == '\0') {
        if (conf->production) {
            log_error("chat", "--production needs --jwt-secret (or SIOC_JWT_SECRET): refusing "
                              "to start");
            return NULL;
        }
    } else if (strlen(conf->jwt_secret) < 32) {
        if (conf->production) {
            log_error("chat", "--jwt-secret must be at least 32 characters in production");
            return NULL;
        }
        log_warn("chat", "--jwt-secret is shorter than 32 characters: use a longer one");
    }
    chat = xcalloc(1, sizeof(*chat));
    chat->loop = loop;
    chat->store = store;
    chat->conf = conf;
    if (conf->jwt_secret != NULL && conf->jwt_secret[0] != '\0') {
        size_t n = strlen(conf->jwt_secret);
        if (n > sizeof(chat->jwt_key)) { /* HMAC hashes longer keys anyway: do it ourselves */
            crypto_hash_sha256(chat->jwt_key, (const unsigned char *)conf->jwt_secret, n);
            n = crypto_hash_sha256_BYTES;
        } else {
            memcpy(chat->jwt_key, conf->jwt_secret, n);
        }
        chat->jwt_key_len = n;
    } else {
        randombytes_buf(chat->jwt_key, 32);
        chat->jwt_key_len = 32;
        log_warn("chat", "no --jwt-secret: using a random secret for this process (tokens will "
                         "not survive a restart; --production refuses this)");
    }
    chat->throttle = srv_ratelimit_new(CHAT_THROTTLE_KEYS, redis);
    chat->login_account = (srv_ratelimit_rule_t){conf->login_free_failures, CHAT_THROTTLE_BASE_MS,
                                                 CHAT_THROTTLE_MAX_MS, CHAT_THROTTLE_WINDOW_MS};
    chat->login_address =
        (srv_ratelimit_rule_t){conf->login_address_free_failures, CHAT_THROTTLE_BASE_MS,
                               CHAT_THROTTLE_MAX_MS, CHAT_THROTTLE_WINDOW_MS};
    /* registrations: `register_limit` an hour, then one more each hour */
    chat->registration = (srv_ratelimit_rule_t){conf->register_limit, CHAT_THROTTLE_WINDOW_MS,
                                                CHAT_THROTTLE_WINDOW_MS, CHAT_THROTTLE_WINDOW_MS};
    chat->presence = chat_presence_new();
    chat->sendq = chat_sendq_new();
    if (io != NULL)
        chat->rt = chat_rt_new(chat, io);
    chat->web_root = find_web_root();
    snprintf(path, sizeof(path), "%s/openapi.json", chat->web_root);
    chat->openapi = read_file(path, &chat->openapi_len);
    if (chat->openapi == NULL)
        log_warn("chat", "cannot read %s: /v1/api/openapi.json will answer 404", path);
    return chat;
}

size_t srv_chat_throttle_keys(const srv_chat_t *chat)
{
    return srv_ratelimit_size(chat->throttle);
}

const uint8_t *srv_chat_jwt_key(const srv_chat_t *chat, size_t *len)
{
    *len = chat->jwt_key_len;
    return chat->jwt_key;
}

void srv_chat_disconnect_user(srv_chat_t *chat, int64_t user_id)
{
    char room[40];
    if (chat->nsp == NULL)
        return;
    snprintf(room, sizeof(room), "user:%lld", (long long)user_id); /* notify.c's room name */
    sio_broadcast_disconnect_sockets(sio_broadcast_to(sio_namespace_broadcast(chat->nsp), room),
                                     false);
}

void srv_chat_free(srv_chat_t *chat)
{
    if (chat == NULL)
        return;
    chat_rt_free(chat);
    rest_op_orphan_all(chat);
    chat_sendq_free(chat->sendq);
    srv_ratelimit_free(chat->throttle);
    chat_presence_free(chat->presence);
    free(chat->openapi);
    free(chat->web_root);
    sodium_memzero(chat->jwt_key, sizeof(chat->jwt_key));
    free(chat);
}
