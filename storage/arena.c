/* arena.c - the per-request arena (see internal.h): results of an operation are built from many
 * small allocations (rows, strings) that all die together after the callback, so they come from
 * chunks that are freed at once. Used by one thread at a time (the backend's, then the loop's). */
#include "storage/internal.h"

#include <stdlib.h>
#include <string.h>

#define CHUNK_MIN 2048

struct st_store_arena_chunk_t {
    store_arena_chunk_t *next;
    size_t used; /* bytes of data[] handed out */
    size_t cap;  /* bytes in data[] */
    _Alignas(16) unsigned char data[];
};

void *store__arena_alloc(store_arena_t *a, size_t n)
{
    n = (n + 15) & ~(size_t)15;
    if (n == 0)
        n = 16;
    store_arena_chunk_t *c = a->head;
    if (c == NULL || c->cap - c->used < n) {
        size_t cap = n > CHUNK_MIN ? n : CHUNK_MIN;
        c = xmalloc(sizeof(*c) + cap);
        c->used = 0;
        c->cap = cap;
        c->next = a->head;
        a->head = c;
    }
    void *p = c->data + c->used;
    c->used += n;
    memset(p, 0, n);
    return p;
}

char *store__arena_strndup(store_arena_t *a, const char *s, size_t n)
{
    char *p = store__arena_alloc(a, n + 1);
    if (n != 0)
        memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *store__arena_strdup(store_arena_t *a, const char *s)
{
    if (s == NULL)
        s = "";
    return store__arena_strndup(a, s, strlen(s));
}

void store__arena_dispose(store_arena_t *a)
{
    store_arena_chunk_t *c = a->head;
    while (c != NULL) {
        store_arena_chunk_t *next = c->next;
        free(c);
        c = next;
    }
    a->head = NULL;
}
