/* query.c - the query-string lookup h2o lacks (see codec.h), following URLSearchParams: pairs
 * split on '&', key and value split on the first '=', '+' means space, %XX is decoded and an
 * invalid escape is kept as it is; the last occurrence of a key wins (as Object.fromEntries). */
#include "engineio/codec.h"

#include <errno.h>
#include <string.h>

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Decodes s[0..len) into out (which holds cap bytes); returns the length or -EMSGSIZE. */
static int decode_component(const char *s, size_t len, char *out, size_t cap)
{
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (c == '+') {
            c = ' ';
        } else if (c == '%' && i + 2 < len && hex_value(s[i + 1]) >= 0 &&
                   hex_value(s[i + 2]) >= 0) {
            c = (char)(hex_value(s[i + 1]) * 16 + hex_value(s[i + 2]));
            i += 2;
        }
        if (o + 1 >= cap)
            return -EMSGSIZE;
        out[o++] = c;
    }
    if (o >= cap)
        return -EMSGSIZE;
    out[o] = '\0';
    return (int)o;
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
