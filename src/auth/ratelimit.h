/* auth_ratelimit.h - throttling of failed sign-ins and of registrations, per key, with growing
 * delays instead of locks (the OWASP authentication guidance): a key ("lu:<user>|<address>",
 * "la:<address>", "ra:<address>") may fail `free` times without waiting; the `free`th failure
 * and each one after it block it for a delay that doubles from `base_delay_ms` up to
 * `max_delay_ms`; a key is forgotten `window_ms`
 * after its last failure. Keys never name an account alone, so nobody can lock someone else out:
 * the owner signing in from an address that did not fail is never refused.
 *
 * State lives in this process (a table of at most `max_keys` entries; when it is full, entries
 * past their window are swept, and if none can go, new keys share one overflow entry, so an
 * attack with many keys limits itself and the table never grows), and, with a Redis client,
 * in Redis as well so that every node sees the same limits: `sioc:rl:n:<key>` counts the
 * failures (INCR + PEXPIRE window) and `sioc:rl:b:<key>` exists while the key is blocked
 * (SET PX delay; PTTL is the wait). While Redis is down the local state answers, so Redis going
 * away never blocks sign-ins. Loop thread only. */
#ifndef SIOC_SRC_AUTH_RATELIMIT_H
#define SIOC_SRC_AUTH_RATELIMIT_H

#include <stddef.h>
#include <stdint.h>

#include "redis/rda_client.h"

typedef struct st_srv_ratelimit_t srv_ratelimit_t;

/** How a kind of key is throttled. */
typedef struct st_srv_ratelimit_rule_t {
    unsigned free;          /* failures before the first delay (>= 1) */
    uint64_t base_delay_ms; /* the first delay; it doubles with each further failure */
    uint64_t max_delay_ms;  /* the longest delay */
    uint64_t window_ms;     /* the key is forgotten this long after its last failure */
} srv_ratelimit_rule_t;

/** `max_keys` >= 1; `redis` may be NULL (this process only) and must outlive the limiter.
 * Returns NULL if max_keys is 0. */
srv_ratelimit_t *srv_ratelimit_new(size_t max_keys, rda_client_t *redis);
/** Answers still owed by Redis are dropped (their callbacks never run). NULL is a no-op. */
void srv_ratelimit_free(srv_ratelimit_t *rl);

/** The local state: 0 if `key` may try at `now_ms`, else the milliseconds to wait (>= 1). */
uint64_t srv_ratelimit_check(srv_ratelimit_t *rl, const char *key, uint64_t now_ms);
/** Records one failure of `key` at `now_ms` under `rule` (locally, and in Redis if there is one).
 */
void srv_ratelimit_hit(srv_ratelimit_t *rl, const char *key, const srv_ratelimit_rule_t *rule,
                       uint64_t now_ms);
/** Forgets `key` (a successful sign-in), locally and in Redis. */
void srv_ratelimit_reset(srv_ratelimit_t *rl, const char *key);
/** Number of keys tracked locally (tests, /metrics). */
size_t srv_ratelimit_size(const srv_ratelimit_t *rl);

/** The wait of the longest-blocked of `keys`, 0 if none is. */
typedef void (*srv_ratelimit_cb)(uint64_t wait_ms, void *cbdata);
/** Checks `n` keys (n <= 4; copied): with Redis connected, cb runs later with what Redis says
 * (the local answer for keys Redis could not answer); otherwise before this returns, from the
 * local state. */
void srv_ratelimit_check_all(srv_ratelimit_t *rl, const char *const *keys, size_t n,
                             srv_ratelimit_cb cb, void *cbdata);

#endif
