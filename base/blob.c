/* blob.c - refcounted immutable byte strings (see base.h). */
#include "base/base.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

blob_t *blob_alloc(size_t len)
{
    blob_t *b = xmalloc(sizeof(*b) + len + 1);
    b->refcnt = 1;
    b->len = len;
    b->data[len] = '\0';
    return b;
}

blob_t *blob_new(const void *data, size_t len)
{
    blob_t *b = blob_alloc(len);
    if (len != 0)
        memcpy(b->data, data, len);
    return b;
}

blob_t *blob_ref(blob_t *b)
{
    assert(b->refcnt > 0);
    b->refcnt++;
    return b;
}

void blob_unref(blob_t *b)
{
    if (b == NULL)
        return;
    assert(b->refcnt > 0);
    if (--b->refcnt == 0)
        free(b);
}
