/* sio_query.c - URL query strings to JSON objects, as Node's querystring.parse (what the
 * reference exposes as handshake.query, and as the auth of EIO3 CONNECT packets): pairs split
 * on '&', key and value split on the first '=', '+' is a space, %XX is decoded (an invalid escape
 * is kept as is), a repeated key becomes an array of its values. Invalid UTF-8 after decoding is
 * replaced by U+FFFD so that jansson accepts the string. */
#include <stdlib.h>
#include <string.h>

#include "socketio/internal.h"

/* Appends the decoding of s[0..n) (lenient: a bad escape stays as it is) to out. */
static void decode_component(buf_t *out, const char *s, size_t n)
{
    buf_reserve(out, n); /* decoding never lengthens */
    out->len += url_decode(out->base + out->len, n, s, n, false);
    out->base[out->len] = '\0';
}

/* Length of the valid UTF-8 sequence at s (1..4), or 0 if invalid. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
    size_t len;
    uint32_t cp;
    if (s[0] < 0x80)
        return s[0] == 0 ? 0 : 1;
    if ((s[0] & 0xE0) == 0xC0) {
        len = 2;
        cp = s[0] & 0x1F;
    } else if ((s[0] & 0xF0) == 0xE0) {
        len = 3;
        cp = s[0] & 0x0F;
    } else if ((s[0] & 0xF8) == 0xF0) {
        len = 4;
        cp = s[0] & 0x07;
    } else {
        return 0;
    }
    if (len > n)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = cp << 6 | (s[i] & 0x3F);
    }
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
        cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return len;
}

static json_t *utf8_string(const char *s, size_t n)
{
    buf_t b = BUF_INIT;
    json_t *v;
    for (size_t i = 0; i < n;) {
        size_t k = utf8_seq((const unsigned char *)s + i, n - i);
        if (k == 0) {
            buf_append(&b, "\xEF\xBF\xBD", 3);
            i++;
        } else {
            buf_append(&b, s + i, k);
            i += k;
        }
    }
    v = json_stringn(b.base != NULL ? b.base : "", b.len);
    buf_dispose(&b);
    return v;
}

json_t *sio__query_parse(const char *q, size_t len)
{
    json_t *obj = json_object();
    const char *p = q, *end = q + len;
    while (p < end) {
        const char *amp = memchr(p, '&', (size_t)(end - p));
        const char *pair_end = amp != NULL ? amp : end;
        const char *eq = memchr(p, '=', (size_t)(pair_end - p));
        buf_t k = BUF_INIT, v = BUF_INIT;
        if (pair_end > p) {
            json_t *key, *val, *prev;
            decode_component(&k, p, (size_t)((eq != NULL ? eq : pair_end) - p));
            if (eq != NULL)
                decode_component(&v, eq + 1, (size_t)(pair_end - eq - 1));
            key = utf8_string(k.base != NULL ? k.base : "", k.len);
            val = utf8_string(v.base != NULL ? v.base : "", v.len);
            prev = json_object_get(obj, json_string_value(key));
            if (prev == NULL) {
                json_object_set_new(obj, json_string_value(key), val);
            } else if (json_is_array(prev)) {
                json_array_append_new(prev, val);
            } else {
                json_object_set_new(obj, json_string_value(key), json_pack("[Oo]", prev, val));
            }
            json_decref(key);
        }
        buf_dispose(&k);
        buf_dispose(&v);
        p = pair_end + 1;
    }
    return obj;
}
