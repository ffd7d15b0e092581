/* ratelimit.h - a keyed rate limiter for failed logins (GCRA: one "theoretical arrival time"
 * per key). `burst` failures are allowed at once, then one more every `interval_ms`; a key over
 * its limit is refused with the time until it may try again (the Retry-After of the 429).
 *
 * Keys are strings ("user:alice", "ip:127.0.0.1"). At most `max_keys` are tracked; when the table
 * is full, keys whose state has fully decayed are swept, and if none can be dropped new keys share
 * one overflow slot (an attack with many keys then limits itself, the table never grows). Pure:
 * time is passed in. Loop thread only. */
#ifndef SIOC_SRC_AUTH_RATELIMIT_H
#define SIOC_SRC_AUTH_RATELIMIT_H

#include <stddef.h>
#include <stdint.h>

typedef struct st_srv_ratelimit_t srv_ratelimit_t;

/** `burst` >= 1, `interval_ms` >= 1, `max_keys` >= 1. */
srv_ratelimit_t *srv_ratelimit_new(unsigned burst, uint64_t interval_ms, size_t max_keys);
/** NULL is a no-op. */
void srv_ratelimit_free(srv_ratelimit_t *rl);

/** Returns 0 if `key` may try now, else the milliseconds until it may (>= 1). Consumes nothing. */
uint64_t srv_ratelimit_check(srv_ratelimit_t *rl, const char *key, uint64_t now_ms);
/** Records one failure of `key` at `now_ms`. */
void srv_ratelimit_hit(srv_ratelimit_t *rl, const char *key, uint64_t now_ms);
/** Forgets `key` (a successful login). */
void srv_ratelimit_reset(srv_ratelimit_t *rl, const char *key);
/** Number of keys tracked (tests). */
size_t srv_ratelimit_size(const srv_ratelimit_t *rl);

#endif
