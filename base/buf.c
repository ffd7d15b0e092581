/* buf.c - growable byte buffer (see base.h). Grows by doubling; always NUL-terminated. */
#include "base/base.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void buf_reserve(buf_t *b, size_t extra)
{
    size_t need = b->len + extra + 1;
    if (need <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap *= 2;
    b->base = xrealloc(b->base, cap);
    b->cap = cap;
}

void buf_append(buf_t *b, const void *data, size_t len)
{
    buf_reserve(b, len);
    if (len != 0)
        memcpy(b->base + b->len, data, len);
    b->len += len;
    b->base[b->len] = '\0';
}

void buf_append_str(buf_t *b, const char *s)
{
    buf_append(b, s, strlen(s));
}

void buf_append_char(buf_t *b, char c)
{
    buf_append(b, &c, 1);
}

void buf_printf(buf_t *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n > 0) {
        buf_reserve(b, (size_t)n);
        vsnprintf(b->base + b->len, (size_t)n + 1, fmt, ap2);
        b->len += (size_t)n;
    }
    va_end(ap2);
}

char *buf_steal(buf_t *b, size_t *len)
{
    if (b->base == NULL) {
        buf_reserve(b, 0);
        b->base[0] = '\0';
    }
    char *p = b->base;
    if (len != NULL)
        *len = b->len;
    b->base = NULL;
    b->len = b->cap = 0;
    return p;
}

void buf_dispose(buf_t *b)
{
    free(b->base);
    b->base = NULL;
    b->len = b->cap = 0;
}
