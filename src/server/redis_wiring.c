/* redis_wiring.c - see redis_wiring.h. One Redis client serves every namespace. */
#include "src/server/redis_wiring.h"

#include "base/base.h"
#include "redis/redis_adapter.h"

int srv_redis_setup(uv_loop_t *loop, const char *url, const char *key, size_t queue_bytes,
                    sio_config_t *sc, rda_client_t **handle)
{
    rda_client_t *c;
    *handle = NULL;
    if (url == NULL)
        return 0;
    c = rda_client_new(loop, url);
    if (c == NULL)
        return -1;
    if (key != NULL && rda_client_set_key(c, key) != 0) {
        log_error("redis", "invalid --redis-key '%s'", key);
        rda_client_free(c);
        return -1;
    }
    rda_client_set_queue_limits(c, 0, queue_bytes);
    sc->adapter = rda_adapter_new;
    sc->adapter_data = c;
    *handle = c;
    return 0;
}

void srv_redis_teardown(rda_client_t *handle)
{
    rda_client_free(handle);
}
