/* sio_hash.h - the two small hash tables of the Socket.IO layer (internal).
 *
 * sio_ptrset_t: an open-addressing set of pointers (8 bytes a slot, linear probing, tombstones),
 * used for the members of a room, so that a broadcast touches only the room's sockets and a join
 * or leave is O(1). sio_strmap_t: an open-addressing map from a NUL-terminated string key to a
 * pointer; the key is borrowed from the value (rooms, sockets and namespaces keep their own name),
 * so an entry costs 16 bytes. Both grow at 3/4 load and shrink never; iteration skips empty slots
 * (order is unspecified). No allocation happens for an empty set or one of a single member
 * (kept in place of the table: a socket's own-id room costs no table). */
#ifndef SIOC_SIO_HASH_H
#define SIOC_SIO_HASH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct st_sio_ptrset_t {
    void **slots; /* NULL: empty slot; SIO_PTRSET_TOMB: deleted; with cap 0 and len 1, the member */
    uint32_t cap; /* power of two, or 0 */
    uint32_t len; /* members; members + tombstones: in a word before the table (sio_hash.c) */
} sio_ptrset_t;

#define SIO_PTRSET_TOMB ((void *)1)

/** Adds `p` (not NULL); returns true if it was not there yet. */
bool sio_ptrset_add(sio_ptrset_t *s, void *p);
/** Removes `p`; returns true if it was there. */
bool sio_ptrset_del(sio_ptrset_t *s, const void *p);
bool sio_ptrset_has(const sio_ptrset_t *s, const void *p);
void sio_ptrset_dispose(sio_ptrset_t *s);
/** Iterates: `*i` starts at 0; returns the next member or NULL at the end. */
void *sio_ptrset_next(const sio_ptrset_t *s, size_t *i);

typedef struct st_sio_strmap_entry_t {
    const char *key; /* NULL: empty; SIO_STRMAP_TOMB: deleted */
    void *value;
} sio_strmap_entry_t;

typedef struct st_sio_strmap_t {
    sio_strmap_entry_t *slots;
    uint32_t cap, len, used;
} sio_strmap_t;

#define SIO_STRMAP_TOMB ((const char *)1)

/** Returns the value stored under `key`, or NULL. */
void *sio_strmap_get(const sio_strmap_t *m, const char *key);
/** Stores `value` under `key` (borrowed: must live while the entry does); replaces and returns
 * the previous value, or NULL. */
void *sio_strmap_put(sio_strmap_t *m, const char *key, void *value);
/** Removes `key`; returns its value or NULL. */
void *sio_strmap_del(sio_strmap_t *m, const char *key);
void sio_strmap_dispose(sio_strmap_t *m);
/** Iterates: `*i` starts at 0; returns the next entry or NULL at the end. */
sio_strmap_entry_t *sio_strmap_next(const sio_strmap_t *m, size_t *i);

#endif
