/* sio_hash.c - open-addressing pointer set and string map (see sio_hash.h). Linear probing over
 * a power-of-two table; a delete leaves a tombstone, and a rehash (at 3/4 of the slots used,
 * tombstones included) drops them. Hashes: a multiplicative mix of the pointer bits; FNV-1a for
 * strings (keys are socket ids and room names chosen by applications, not by attackers at scale;
 * a room name from a client is bounded by the message size). */
#include "socketio/sio_hash.h"

#include <stdlib.h>
#include <string.h>

#include "base/base.h"

static uint32_t hash_ptr(const void *p)
{
    uint64_t x = (uint64_t)(uintptr_t)p;
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    return (uint32_t)x;
}

static uint32_t hash_str(const char *s)
{
    uint32_t h = 2166136261u;
    for (; *s != '\0'; s++) {
        h ^= (unsigned char)*s;
        h *= 16777619u;
    }
    return h;
}

/* The count of used slots (members + tombstones) lives in a word just before the table, not
 * in the set: a set is 16 bytes, so a room named by a 20-character socket id fits a 48-byte
 * malloc chunk instead of 64. Only valid while cap != 0. */
static uint32_t *used_of(const sio_ptrset_t *s)
{
    return (uint32_t *)((uintptr_t *)s->slots - 1);
}

static void table_free(void **slots)
{
    free((uintptr_t *)slots - 1);
}

static void ptrset_rehash(sio_ptrset_t *s, uint32_t cap)
{
    void **old = s->slots;
    uint32_t oldcap = s->cap;
    uintptr_t *mem = xcalloc((size_t)cap + 1, sizeof(*mem));
    s->slots = (void **)(mem + 1);
    s->cap = cap;
    s->len = 0;
    *used_of(s) = 0;
    for (uint32_t i = 0; i < oldcap; i++) {
        if (old[i] != NULL && old[i] != SIO_PTRSET_TOMB)
            sio_ptrset_add(s, old[i]);
    }
    if (oldcap != 0)
        table_free(old);
}

/* A set of one member keeps it in `slots` itself, with cap 0: no table (most rooms are a
 * socket's own-id room, of one member). */
#define ONE_MEMBER(s) ((s)->cap == 0 && (s)->len == 1)
#define INLINE_INDEX  (UINT32_MAX - 1)

bool sio_ptrset_add(sio_ptrset_t *s, void *p)
{
    uint32_t i, tomb = UINT32_MAX;
    if (s->cap == 0) {
        void *only = (void *)s->slots;
        if (s->len == 0) {
            s->slots = (void **)p;
            s->len = 1;
            return true;
        }
        if (only == p)
            return false;
        s->slots = NULL;
        s->len = 0;
        ptrset_rehash(s, 4);
        sio_ptrset_add(s, only);
    }
    if ((*used_of(s) + 1) * 4 > s->cap * 3)
        ptrset_rehash(s, (s->len + 1) * 4 > s->cap * 2 ? s->cap * 2 : s->cap);
    for (i = hash_ptr(p) & (s->cap - 1);; i = (i + 1) & (s->cap - 1)) {
        if (s->slots[i] == p)
            return false;
        if (s->slots[i] == SIO_PTRSET_TOMB && tomb == UINT32_MAX)
            tomb = i;
        if (s->slots[i] == NULL)
            break;
    }
    if (tomb != UINT32_MAX) {
        i = tomb;
    } else {
        (*used_of(s))++;
    }
    s->slots[i] = p;
    s->len++;
    return true;
}

static uint32_t ptrset_find(const sio_ptrset_t *s, const void *p)
{
    if (s->cap == 0)
        return ONE_MEMBER(s) && (const void *)s->slots == p ? INLINE_INDEX : UINT32_MAX;
    for (uint32_t i = hash_ptr(p) & (s->cap - 1);; i = (i + 1) & (s->cap - 1)) {
        if (s->slots[i] == p)
            return i;
        if (s->slots[i] == NULL)
            return UINT32_MAX;
    }
}

bool sio_ptrset_del(sio_ptrset_t *s, const void *p)
{
    uint32_t i = ptrset_find(s, p);
    if (i == UINT32_MAX)
        return false;
    if (i == INLINE_INDEX)
        s->slots = NULL;
    else
        s->slots[i] = SIO_PTRSET_TOMB;
    s->len--;
    return true;
}

bool sio_ptrset_has(const sio_ptrset_t *s, const void *p)
{
    return ptrset_find(s, p) != UINT32_MAX;
}

void sio_ptrset_dispose(sio_ptrset_t *s)
{
    if (s->cap != 0)
        table_free(s->slots);
    memset(s, 0, sizeof(*s));
}

void *sio_ptrset_next(const sio_ptrset_t *s, size_t *i)
{
    if (s->cap == 0) {
        if (!ONE_MEMBER(s) || *i != 0)
            return NULL;
        *i = 1;
        return (void *)s->slots;
    }
    for (; *i < s->cap; (*i)++) {
        void *p = s->slots[*i];
        if (p != NULL && p != SIO_PTRSET_TOMB) {
            (*i)++;
            return p;
        }
    }
    return NULL;
}

static void strmap_rehash(sio_strmap_t *m, uint32_t cap)
{
    sio_strmap_entry_t *old = m->slots;
    uint32_t oldcap = m->cap;
    m->slots = xcalloc(cap, sizeof(*m->slots));
    m->cap = cap;
    m->len = m->used = 0;
    for (uint32_t i = 0; i < oldcap; i++) {
        if (old[i].key != NULL && old[i].key != SIO_STRMAP_TOMB)
            sio_strmap_put(m, old[i].key, old[i].value);
    }
    free(old);
}

static uint32_t strmap_find(const sio_strmap_t *m, const char *key)
{
    if (m->cap == 0)
        return UINT32_MAX;
    for (uint32_t i = hash_str(key) & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
        const char *k = m->slots[i].key;
        if (k == NULL)
            return UINT32_MAX;
        if (k != SIO_STRMAP_TOMB && strcmp(k, key) == 0)
            return i;
    }
}

void *sio_strmap_get(const sio_strmap_t *m, const char *key)
{
    uint32_t i = strmap_find(m, key);
    return i == UINT32_MAX ? NULL : m->slots[i].value;
}

void *sio_strmap_put(sio_strmap_t *m, const char *key, void *value)
{
    uint32_t i = strmap_find(m, key), tomb = UINT32_MAX;
    if (i != UINT32_MAX) {
        void *prev = m->slots[i].value;
        m->slots[i].key = key;
        m->slots[i].value = value;
        return prev;
    }
    if ((m->used + 1) * 4 > m->cap * 3)
        strmap_rehash(m, m->cap == 0 ? 4 : (m->len + 1) * 4 > m->cap * 2 ? m->cap * 2 : m->cap);
    for (i = hash_str(key) & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
        if (m->slots[i].key == SIO_STRMAP_TOMB && tomb == UINT32_MAX)
            tomb = i;
        if (m->slots[i].key == NULL)
            break;
    }
    if (tomb != UINT32_MAX)
        i = tomb;
    else
        m->used++;
    m->slots[i].key = key;
    m->slots[i].value = value;
    m->len++;
    return NULL;
}

void *sio_strmap_del(sio_strmap_t *m, const char *key)
{
    uint32_t i = strmap_find(m, key);
    void *v;
    if (i == UINT32_MAX)
        return NULL;
    v = m->slots[i].value;
    m->slots[i].key = SIO_STRMAP_TOMB;
    m->slots[i].value = NULL;
    m->len--;
    return v;
}

void sio_strmap_dispose(sio_strmap_t *m)
{
    free(m->slots);
    memset(m, 0, sizeof(*m));
}

sio_strmap_entry_t *sio_strmap_next(const sio_strmap_t *m, size_t *i)
{
    for (; *i < m->cap; (*i)++) {
        sio_strmap_entry_t *e = &m->slots[*i];
        if (e->key != NULL && e->key != SIO_STRMAP_TOMB) {
            (*i)++;
            return e;
        }
    }
    return NULL;
}
