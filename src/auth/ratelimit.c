/* ratelimit.c - GCRA rate limiter over a chained hash table (see ratelimit.h).
 *
 * GCRA: each key holds tat (theoretical arrival time). A hit sets tat = max(tat, now) + interval.
 * A key is refused while tat - now > (burst - 1) * interval, i.e. burst hits already landed within
 * the window; it may retry after tat - now - (burst - 1) * interval. A key with tat <= now has no
 * state left and is dropped by the sweep. Buckets are indexed by a keyed SipHash (libsodium
 * crypto_shorthash with a random key) so that nobody can aim keys at one chain. */
#include "src/auth/ratelimit.h"

#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "base/base.h"

typedef struct st_rl_entry_t {
    struct st_rl_entry_t *next;
    uint64_t tat; /* ms since the epoch */
    char key[];
} rl_entry_t;

struct st_srv_ratelimit_t {
    unsigned burst;
    uint64_t interval_ms;
    size_t max_keys;
    size_t count;    /* entries in the table (not counting overflow) */
    size_t nbuckets; /* power of 2 */
    rl_entry_t **buckets;
    uint64_t overflow_tat; /* shared by keys that found the table full */
    unsigned char hash_key[crypto_shorthash_KEYBYTES];
};

srv_ratelimit_t *srv_ratelimit_new(unsigned burst, uint64_t interval_ms, size_t max_keys)
{
    srv_ratelimit_t *rl;
    if (burst == 0 || interval_ms == 0 || max_keys == 0)
        return NULL;
    rl = xcalloc(1, sizeof(*rl));
    rl->burst = burst;
    rl->interval_ms = interval_ms;
    rl->max_keys = max_keys;
    rl->nbuckets = 16;
    while (rl->nbuckets < max_keys && rl->nbuckets < (1u << 20))
        rl->nbuckets <<= 1;
    rl->buckets = xcalloc(rl->nbuckets, sizeof(*rl->buckets));
    randombytes_buf(rl->hash_key, sizeof(rl->hash_key));
    return rl;
}

void srv_ratelimit_free(srv_ratelimit_t *rl)
{
    if (rl == NULL)
        return;
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

static void sweep(srv_ratelimit_t *rl, uint64_t now_ms)
{
    for (size_t i = 0; i < rl->nbuckets; i++) {
        rl_entry_t **pp = &rl->buckets[i];
        while (*pp != NULL) {
            if ((*pp)->tat <= now_ms) {
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

static uint64_t wait_for(const srv_ratelimit_t *rl, uint64_t tat, uint64_t now_ms)
{
    uint64_t allowance = (uint64_t)(rl->burst - 1) * rl->interval_ms;
    if (tat <= now_ms || tat - now_ms <= allowance)
        return 0;
    return tat - now_ms - allowance;
}

uint64_t srv_ratelimit_check(srv_ratelimit_t *rl, const char *key, uint64_t now_ms)
{
    rl_entry_t **pp = find(rl, key);
    uint64_t w;
    if (*pp != NULL)
        return wait_for(rl, (*pp)->tat, now_ms);
    w = wait_for(rl, rl->overflow_tat, now_ms);
    /* the overflow slot only applies to keys that could not get their own entry */
    return rl->count >= rl->max_keys ? w : 0;
}

void srv_ratelimit_hit(srv_ratelimit_t *rl, const char *key, uint64_t now_ms)
{
    rl_entry_t **pp = find(rl, key);
    uint64_t *tat;
    if (*pp == NULL) {
        size_t len = strlen(key);
        if (rl->count >= rl->max_keys)
            sweep(rl, now_ms);
        if (rl->count >= rl->max_keys) {
            tat = &rl->overflow_tat;
            goto hit;
        }
        pp = find(rl, key); /* the sweep may have changed the chain */
        *pp = xmalloc(sizeof(rl_entry_t) + len + 1);
        (*pp)->next = NULL;
        (*pp)->tat = 0;
        memcpy((*pp)->key, key, len + 1);
        rl->count++;
    }
    tat = &(*pp)->tat;
hit:
    *tat = (*tat > now_ms ? *tat : now_ms) + rl->interval_ms;
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
}

size_t srv_ratelimit_size(const srv_ratelimit_t *rl)
{
    return rl->count;
}
