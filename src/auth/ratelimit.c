/* auth_ratelimit.c - growing-delay throttling over a chained hash table, mirrored in Redis (see
 * auth_ratelimit.h).
 *
 * An entry holds the failures counted in its window, the time of the last one and the time until
 * which the key is blocked. A failure first forgets a count whose window passed, then counts;
 * from the `free`th on it blocks the key for base << (failures - free), capped. An entry whose
 * window passed and whose block ended has no state left and is dropped by the sweep. Buckets are
 * indexed by a keyed SipHash (libsodium crypto_shorthash with a random key) so that nobody can aim
 * keys at one chain.
 *
 * Redis: a failure is INCR of the count key, PEXPIRE of it, and, when the count INCR returned is
 * past `free`, SET of the block key with the delay as PX. A check asks PTTL of each block key.
 * Each command in flight is an op that names the limiter; srv_ratelimit_free orphans them, so
 * an answer arriving after the free (or the NULL answers hiredis gives at disconnect) only frees
 * its op. */
#include "src/auth/ratelimit.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "base/base.h"

#define REDIS_PREFIX_COUNT "sioc:rl:n:"
#define REDIS_PREFIX_BLOCK "sioc:rl:b:"
#define MAX_CHECK_KEYS     4

typedef struct st_rl_state_t {
    uint64_t failures;
    uint64_t last_ms;       /* last failure */
    uint64_t window_ms;     /* of the rule of that failure */
    uint64_t blocked_until; /* ms since the epoch, 0: not blocked */
} rl_state_t;

typedef struct st_rl_entry_t {
    struct st_rl_entry_t *next;
    rl_state_t state;
    char key[];
} rl_entry_t;

typedef struct st_rl_op_t rl_op_t;

struct st_srv_ratelimit_t {
    size_t max_keys;
    size_t count;    /* entries in the table (not counting overflow) */
    size_t nbuckets; /* power of 2 */
    rl_entry_t **buckets;
    rl_state_t overflow; /* shared by keys that found the table full */
    unsigned char hash_key[crypto_shorthash_KEYBYTES];
    rda_client_t *redis;
    rl_op_t *ops; /* Redis commands in flight */
};

/* A Redis command in flight: a check of n keys, or the INCR of a failure. */
struct st_rl_op_t {
    rl_op_t *prev, *next;
    srv_ratelimit_t *rl; /* NULL once the limiter is freed */
    unsigned waiting;    /* answers still due */
    uint64_t wait_ms;    /* check: the longest wait so far */
    srv_ratelimit_cb cb;
    void *cbdata;
    srv_ratelimit_rule_t rule; /* failure: the rule, to set the block */
    char key[];                /* failure: the key; check: NUL-separated keys */
};

srv_ratelimit_t *srv_ratelimit_new(size_t max_keys, rda_client_t *redis)
{
    srv_ratelimit_t *rl;
    if (max_keys == 0)
        return NULL;
    rl = xcalloc(1, sizeof(*rl));
    rl->max_keys = max_keys;
    rl->nbuckets = 16;
    while (rl->nbuckets < max_keys && rl->nbuckets < (1u << 20))
        rl->nbuckets <<= 1;
    rl->buckets = xcalloc(rl->nbuckets, sizeof(*rl->buckets));
    randombytes_buf(rl->hash_key, sizeof(rl->hash_key));
    rl->redis = redis;
    return rl;
}

void srv_ratelimit_free(srv_ratelimit_t *rl)
{
    if (rl == NULL)
        return;
    for (rl_op_t *op = rl->ops; op != NULL; op = op->next)
        op->rl = NULL;
    for (size_t i = 0; i < rl->nbuckets; i++) {
        rl_entry_t *e = rl->buckets[i];
        while (e != NULL) {
            rl_entry_t *next = e->next;
            free(e);
            e = next;
        }
    }
    free(rl->buckets);
    free(rl);
}

/* --- the local table --- */

static size_t bucket_of(const srv_ratelimit_t *rl, const char *key)
{
    uint64_t h;
    crypto_shorthash((unsigned char *)&h, (const unsigned char *)key, strlen(key), rl->hash_key);
    return (size_t)(h & (rl->nbuckets - 1));
}

static rl_entry_t **find(srv_ratelimit_t *rl, const char *key)
{
    rl_entry_t **pp = &rl->buckets[bucket_of(rl, key)];
    while (*pp != NULL && strcmp((*pp)->key, key) != 0)
        pp = &(*pp)->next;
    return pp;
}

static bool spent(const rl_state_t *e, uint64_t now_ms)
{
    return e->last_ms + e->window_ms <= now_ms && e->blocked_until <= now_ms;
}

static void sweep(srv_ratelimit_t *rl, uint64_t now_ms)
{
    for (size_t i = 0; i < rl->nbuckets; i++) {
        rl_entry_t **pp = &rl->buckets[i];
        while (*pp != NULL) {
            if (spent(&(*pp)->state, now_ms)) {
                rl_entry_t *dead = *pp;
                *pp = dead->next;
                free(dead);
                rl->count--;
            } else {
                pp = &(*pp)->next;
            }
        }
    }
}

static uint64_t entry_wait(const rl_state_t *e, uint64_t now_ms)
{
    return e->blocked_until > now_ms ? e->blocked_until - now_ms : 0;
}

uint64_t srv_ratelimit_check(srv_ratelimit_t *rl, const char *key, uint64_t now_ms)
{
    rl_entry_t **pp = find(rl, key);
    if (*pp != NULL)
        return entry_wait(&(*pp)->state, now_ms);
    /* the overflow entry only applies to keys that could not get their own */
    return rl->count >= rl->max_keys ? entry_wait(&rl->overflow, now_ms) : 0;
}

/* The delay after the `failures`th failure under `rule`: 0 before the `free`th, then base,
 * doubling. */
static uint64_t delay_of(const srv_ratelimit_rule_t *rule, uint64_t failures)
{
    uint64_t excess, d;
    if (failures < rule->free || failures == 0)
        return 0;
    excess = failures - rule->free;
    if (excess >= 32)
        return rule->max_delay_ms;
    d = rule->base_delay_ms << excess;
    return d < rule->max_delay_ms && d >= rule->base_delay_ms ? d : rule->max_delay_ms;
}

static void redis_hit(srv_ratelimit_t *rl, const char *key, const srv_ratelimit_rule_t *rule);

void srv_ratelimit_hit(srv_ratelimit_t *rl, const char *key, const srv_ratelimit_rule_t *rule,
                       uint64_t now_ms)
{
    rl_entry_t **pp = find(rl, key);
    rl_state_t *e;
    uint64_t d;
    if (*pp == NULL) {
        size_t len = strlen(key);
        if (rl->count >= rl->max_keys)
            sweep(rl, now_ms);
        if (rl->count >= rl->max_keys) {
            e = &rl->overflow;
            goto hit;
        }
        pp = find(rl, key); /* the sweep may have changed the chain */
        *pp = xcalloc(1, sizeof(rl_entry_t) + len + 1);
        memcpy((*pp)->key, key, len + 1);
        rl->count++;
    }
    e = &(*pp)->state;
hit:
    if (e->last_ms + e->window_ms <= now_ms)
        e->failures = 0; /* the window passed: a fresh count */
    e->failures++;
    e->last_ms = now_ms;
    e->window_ms = rule->window_ms;
    d = delay_of(rule, e->failures);
    if (d > 0 && now_ms + d > e->blocked_until)
        e->blocked_until = now_ms + d;
    if (rl->redis != NULL && e != &rl->overflow)
        redis_hit(rl, key, rule);
}

void srv_ratelimit_reset(srv_ratelimit_t *rl, const char *key)
{
    rl_entry_t **pp = find(rl, key);
    if (*pp != NULL) {
        rl_entry_t *dead = *pp;
        *pp = dead->next;
        free(dead);
        rl->count--;
    }
    if (rl->redis != NULL) {
        char *n = NULL, *b = NULL;
        if (asprintf(&n, REDIS_PREFIX_COUNT "%s", key) >= 0 &&
            asprintf(&b, REDIS_PREFIX_BLOCK "%s", key) >= 0) {
            const char *argv[] = {"DEL", n, b};
            rda_client_command(rl->redis, 3, argv, NULL, NULL);
        }
        free(n);
        free(b);
    }
}

size_t srv_ratelimit_size(const srv_ratelimit_t *rl)
{
    return rl->count;
}

/* --- Redis --- */

static rl_op_t *op_new(srv_ratelimit_t *rl, size_t keys_len)
{
    rl_op_t *op = xcalloc(1, sizeof(*op) + keys_len);
    op->rl = rl;
    op->next = rl->ops;
    if (rl->ops != NULL)
        rl->ops->prev = op;
    rl->ops = op;
    return op;
}

/* One answer less; frees the op once none is due. */
static void op_answered(rl_op_t *op)
{
    if (--op->waiting > 0)
        return;
    if (op->rl != NULL) {
        if (op->cb != NULL)
            op->cb(op->wait_ms, op->cbdata);
        if (op->prev != NULL)
            op->prev->next = op->next;
        else
            op->rl->ops = op->next;
        if (op->next != NULL)
            op->next->prev = op->prev;
    }
    free(op);
}

static void send3(rda_client_t *c, const char *cmd, const char *prefix, const char *key,
                  const char *arg, rda_int_cb cb, void *cbdata)
{
    char *k = NULL;
    if (asprintf(&k, "%s%s", prefix, key) < 0)
        abort();
    const char *argv[] = {cmd, k, arg};
    rda_client_command(c, arg != NULL ? 3 : 2, argv, cb, cbdata);
    free(k);
}

static void on_incr(int status, long long value, void *cbdata)
{
    rl_op_t *op = cbdata;
    uint64_t d = status == 0 && value > 0 ? delay_of(&op->rule, (uint64_t)value) : 0;
    if (op->rl != NULL && d > 0) {
        char px[24];
        char *k = NULL;
        snprintf(px, sizeof(px), "%" PRIu64, d);
        if (asprintf(&k, REDIS_PREFIX_BLOCK "%s", op->key) >= 0) {
            const char *argv[] = {"SET", k, "1", "PX", px};
            rda_client_command(op->rl->redis, 5, argv, NULL, NULL);
        }
        free(k);
    }
    op_answered(op);
}

static void redis_hit(srv_ratelimit_t *rl, const char *key, const srv_ratelimit_rule_t *rule)
{
    size_t len = strlen(key);
    rl_op_t *op = op_new(rl, len + 1);
    char px[24];
    memcpy(op->key, key, len + 1);
    op->rule = *rule;
    op->waiting = 1;
    send3(rl->redis, "INCR", REDIS_PREFIX_COUNT, key, NULL, on_incr, op);
    snprintf(px, sizeof(px), "%" PRIu64, rule->window_ms);
    send3(rl->redis, "PEXPIRE", REDIS_PREFIX_COUNT, key, px, NULL, NULL);
}

/* A check's answer for one key: PTTL of its block key, or the local state if Redis failed. */
typedef struct st_rl_check_key_t {
    rl_op_t *op;
    char key[];
} rl_check_key_t;

static void on_pttl(int status, long long value, void *cbdata)
{
    rl_check_key_t *ck = cbdata;
    rl_op_t *op = ck->op;
    uint64_t w = 0;
    if (status == 0 && value > 0)
        w = (uint64_t)value;
    else if (status != 0 && op->rl != NULL)
        w = srv_ratelimit_check(op->rl, ck->key, time_now_ms());
    if (w > op->wait_ms)
        op->wait_ms = w;
    free(ck);
    op_answered(op);
}

void srv_ratelimit_check_all(srv_ratelimit_t *rl, const char *const *keys, size_t n,
                             srv_ratelimit_cb cb, void *cbdata)
{
    uint64_t now = time_now_ms(), w = 0;
    rl_op_t *op;
    if (n > MAX_CHECK_KEYS)
        n = MAX_CHECK_KEYS;
    if (rl->redis == NULL || !rda_client_connected(rl->redis) || n == 0) {
        for (size_t i = 0; i < n; i++) {
            uint64_t k = srv_ratelimit_check(rl, keys[i], now);
            w = k > w ? k : w;
        }
        cb(w, cbdata);
        return;
    }
    op = op_new(rl, 0);
    op->cb = cb;
    op->cbdata = cbdata;
    op->waiting = (unsigned)n + 1; /* + 1 until every command is sent */
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(keys[i]);
        rl_check_key_t *ck = xmalloc(sizeof(*ck) + len + 1);
        ck->op = op;
        memcpy(ck->key, keys[i], len + 1);
        send3(rl->redis, "PTTL", REDIS_PREFIX_BLOCK, keys[i], NULL, on_pttl, ck);
    }
    op_answered(op);
}
