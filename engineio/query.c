/* query.c - the query-string lookup h2o lacks (see codec.h), following URLSearchParams: pairs
 * split on '&', key and value split on the first '=', '+' means space, %XX is decoded and an
 * invalid escape is kept as it is (url_decode in base); the last occurrence of a key wins (as
 * Object.fromEntries). */
#include "engineio/codec.h"
#include "base/base.h"

#include <errno.h>
#include <string.h>

/* Decodes s[0..len) into out (which holds cap bytes) with a NUL; returns the length or
 * -EMSGSIZE. */
static int decode_component(const char *s, size_t len, char *out, size_t cap)
{
    size_t n;
    if (cap == 0)
        return -EMSGSIZE;
    n = url_decode(out, cap - 1, s, len, false);
    if (n > cap - 1)
        return -EMSGSIZE;
    out[n] = '\0';
    return (int)n;
}

/* True if the encoded key s[0..len) decodes to `key`. */
static bool key_matches(const char *s, size_t len, const char *key)
{
    char tmp[64];
    int n = decode_component(s, len, tmp, sizeof(tmp));
    return n >= 0 && (size_t)n == strlen(key) && memcmp(tmp, key, (size_t)n) == 0;
}

int eio_query_get(const char *q, size_t qlen, const char *key, char *out, size_t cap)
{
    const char *found = NULL;
    size_t found_len = 0;
    if (cap == 0)
        return -EMSGSIZE;
    if (qlen == 0)
        return -ENOENT; /* before any arithmetic: q may be NULL */
    const char *p = q, *end = q + qlen;
    while (p < end) {
        const char *amp = memchr(p, '&', (size_t)(end - p));
        const char *stop = amp != NULL ? amp : end;
        if (stop > p) {
            const char *eq = memchr(p, '=', (size_t)(stop - p));
            const char *kend = eq != NULL ? eq : stop;
            if (key_matches(p, (size_t)(kend - p), key)) {
                found = eq != NULL ? eq + 1 : stop;
                found_len = (size_t)(stop - found);
            }
        }
        p = amp != NULL ? amp + 1 : end;
    }
    if (found == NULL)
        return -ENOENT;
    return decode_component(found, found_len, out, cap);
}
