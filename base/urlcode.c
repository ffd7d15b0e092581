/* urlcode.c - the one %-decoder for URL query components (see base.h), shared by the Engine.IO
 * query lookup, the Socket.IO query-to-JSON parser and the REST query reader. It follows
 * application/x-www-form-urlencoded: '+' is a space and %XX (either case) the byte it names. The
 * callers differ only in what a malformed escape means, so that is the one switch: kept as it is
 * (lenient, as URLSearchParams and Node's querystring do) or an error (strict). It writes into a
 * caller buffer of fixed size and stops at the first byte that does not fit, so a caller's limit
 * is checked before any work past it. */
#include "base/base.h"

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

size_t url_decode(char *dst, size_t cap, const char *src, size_t len, bool strict)
{
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        char c = src[i];
        if (strict && c == '\0')
            return URL_DECODE_BAD; /* a raw NUL, like %00: the result must hold none */
        if (c == '+') {
            c = ' ';
        } else if (c == '%') {
            int hi = i + 2 < len ? hex_value(src[i + 1]) : -1;
            int lo = i + 2 < len ? hex_value(src[i + 2]) : -1;
            if (hi >= 0 && lo >= 0) {
                c = (char)(hi * 16 + lo);
                i += 2;
                if (strict && c == '\0')
                    return URL_DECODE_BAD;
            } else if (strict) {
                return URL_DECODE_BAD;
            }
        }
        if (o == cap)
            return cap + 1;
        dst[o++] = c;
    }
    return o;
}
