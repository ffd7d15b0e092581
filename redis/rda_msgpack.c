/* rda_msgpack.c - msgpack <-> jansson with Tarantool's msgpuck (header-only; MP_SOURCE here
 * instantiates its tables and out-of-line functions once for the whole program).
 *
 * Decoding first runs mp_check over the whole input (iterative, bounds-checked), so the decoder
 * proper can read without length checks; it recurses at most RDA_MP_MAX_DEPTH levels. Encoding
 * follows notepack.io's choices so that a Node node decodes exactly what it would have sent. */
#define MP_SOURCE 1
#include <msgpuck.h>

#include "redis/rda_msgpack.h"

#include <math.h> /* isfinite (a macro: no libm) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_SAFE_INTEGER 9007199254740992.0 /* 2^53 */

void rda_bins_dispose(rda_bins_t *b)
{
    for (size_t i = 0; i < b->n; i++)
        blob_unref(b->v[i]);
    free(b->v);
    b->v = NULL;
    b->n = 0;
}

/* --- encoding --- */

static void put_int(buf_t *out, int64_t n)
{
    buf_reserve(out, 9);
    if (n >= 0)
        out->len = (size_t)(mp_encode_uint(out->base + out->len, (uint64_t)n) - out->base);
    else
        out->len = (size_t)(mp_encode_int(out->base + out->len, n) - out->base);
}

static void put_double(buf_t *out, double d)
{
    buf_reserve(out, 9);
    out->len = (size_t)(mp_encode_double(out->base + out->len, d) - out->base);
}

static void put_str(buf_t *out, const char *s, size_t len)
{
    buf_reserve(out, 5);
    out->len = (size_t)(mp_encode_strl(out->base + out->len, (uint32_t)len) - out->base);
    buf_append(out, s, len);
}

static void put_bin(buf_t *out, const void *data, size_t len)
{
    buf_reserve(out, 5);
    out->len = (size_t)(mp_encode_binl(out->base + out->len, (uint32_t)len) - out->base);
    buf_append(out, data, len);
}

/* Returns the attachment a placeholder object names, or NULL if `v` is not one. */
static blob_t *placeholder_blob(const json_t *v, blob_t *const *bins, size_t nbins)
{
    const json_t *num = json_object_get(v, "num");
    json_int_t i;
    if (json_object_size(v) != 2 || !json_is_true(json_object_get(v, "_placeholder")) ||
        !json_is_integer(num))
        return NULL;
    i = json_integer_value(num);
    return i >= 0 && (uint64_t)i < nbins ? bins[i] : NULL;
}

void rda_mp_encode(buf_t *out, const json_t *v, blob_t *const *bins, size_t nbins)
{
    switch (json_typeof(v)) {
    case JSON_NULL:
        buf_reserve(out, 1);
        out->len = (size_t)(mp_encode_nil(out->base + out->len) - out->base);
        break;
    case JSON_TRUE:
    case JSON_FALSE:
        buf_reserve(out, 1);
        out->len = (size_t)(mp_encode_bool(out->base + out->len, json_is_true(v)) - out->base);
        break;
    case JSON_INTEGER:
        put_int(out, json_integer_value(v));
        break;
    case JSON_REAL: {
        double d = json_real_value(v);
        if (d > -MAX_SAFE_INTEGER && d < MAX_SAFE_INTEGER && (double)(int64_t)d == d)
            put_int(out, (int64_t)d);
        else
            put_double(out, d);
        break;
    }
    case JSON_STRING:
        put_str(out, json_string_value(v), json_string_length(v));
        break;
    case JSON_ARRAY: {
        size_t n = json_array_size(v);
        buf_reserve(out, 5);
        out->len = (size_t)(mp_encode_array(out->base + out->len, (uint32_t)n) - out->base);
        for (size_t i = 0; i < n; i++)
            rda_mp_encode(out, json_array_get(v, i), bins, nbins);
        break;
    }
    case JSON_OBJECT: {
        blob_t *b = placeholder_blob(v, bins, nbins);
        const char *key;
        const json_t *val;
        if (b != NULL) {
            put_bin(out, b->data, b->len);
            break;
        }
        buf_reserve(out, 5);
        out->len = (size_t)(mp_encode_map(out->base + out->len, (uint32_t)json_object_size(v)) -
                            out->base);
        json_object_foreach((json_t *)v, key, val)
        {
            put_str(out, key, strlen(key));
            rda_mp_encode(out, val, bins, nbins);
        }
        break;
    }
    }
}

/* --- decoding --- */

static json_t *decode_value(const char **p, const char *end, int depth, rda_bins_t *bins);

/* A map key: a string, or an integer written as JavaScript would name the property. */
static json_t *decode_key(const char **p, const char *end)
{
    char num[24];
    const char *s, *q = *p;
    uint32_t len;
    if (q >= end || mp_check(&q, end) != 0)
        return NULL;
    switch (mp_typeof(**p)) {
    case MP_STR:
        s = mp_decode_str(p, &len);
        return json_stringn(s, len);
    case MP_UINT:
        snprintf(num, sizeof(num), "%llu", (unsigned long long)mp_decode_uint(p));
        return json_string(num);
    case MP_INT:
        snprintf(num, sizeof(num), "%lld", (long long)mp_decode_int(p));
        return json_string(num);
    default:
        return NULL;
    }
}

static json_t *decode_map(const char **p, const char *end, int depth, rda_bins_t *bins)
{
    uint32_t n;
    json_t *obj;
    if (mp_check_map(*p, end) > 0)
        return NULL;
    n = mp_decode_map(p);
    if ((uint64_t)n * 2 > (uint64_t)(end - *p))
        return NULL;
    obj = json_object();
    for (uint32_t i = 0; i < n; i++) {
        json_t *key = decode_key(p, end);
        json_t *val = key != NULL ? decode_value(p, end, depth + 1, bins) : NULL;
        if (val == NULL ||
            json_object_setn_new(obj, json_string_value(key), json_string_length(key), val) != 0) {
            json_decref(key);
            json_decref(obj);
            return NULL;
        }
        json_decref(key);
    }
    return obj;
}

static json_t *decode_number(double d)
{
    return isfinite(d) ? json_real(d) : json_null(); /* JSON.stringify writes NaN as null */
}

static json_t *decode_value(const char **p, const char *end, int depth, rda_bins_t *bins)
{
    const char *s, *q = *p;
    uint32_t len;
    enum mp_type type;
    if (depth > RDA_MP_MAX_DEPTH || q >= end)
        return NULL;
    type = mp_typeof(*q);
    if (type != MP_ARRAY && type != MP_MAP && mp_check(&q, end) != 0)
        return NULL; /* a scalar cut short */
    switch (type) {
    case MP_NIL:
        mp_decode_nil(p);
        return json_null();
    case MP_BOOL:
        return json_boolean(mp_decode_bool(p));
    case MP_UINT: {
        uint64_t u = mp_decode_uint(p);
        return u <= INT64_MAX ? json_integer((json_int_t)u) : json_real((double)u);
    }
    case MP_INT:
        return json_integer(mp_decode_int(p));
    case MP_FLOAT:
        return decode_number(mp_decode_float(p));
    case MP_DOUBLE:
        return decode_number(mp_decode_double(p));
    case MP_STR:
        s = mp_decode_str(p, &len);
        return json_stringn(s, len); /* NULL for invalid UTF-8 */
    case MP_BIN:
        s = mp_decode_bin(p, &len);
        bins->v = xrealloc(bins->v, (bins->n + 1) * sizeof(*bins->v));
        bins->v[bins->n] = blob_new(s, len);
        return json_pack("{s:b, s:I}", "_placeholder", 1, "num", (json_int_t)bins->n++);
    case MP_ARRAY: {
        uint32_t n;
        json_t *arr;
        if (mp_check_array(*p, end) > 0)
            return NULL;
        n = mp_decode_array(p);
        if (n > (uint64_t)(end - *p))
            return NULL;
        arr = json_array();
        for (uint32_t i = 0; i < n; i++) {
            json_t *el = decode_value(p, end, depth + 1, bins);
            if (el == NULL) {
                json_decref(arr);
                return NULL;
            }
            json_array_append_new(arr, el);
        }
        return arr;
    }
    case MP_MAP:
        return decode_map(p, end, depth, bins);
    case MP_EXT:
    default:
        if ((unsigned char)**p == 0xc1) /* "never used": mp_check lets it through */
            return NULL;
        mp_next(p); /* notepack's undefined (fixext 1, type 0), dates...: null */
        return json_null();
    }
}

json_t *rda_mp_decode(const void *data, size_t len, rda_bins_t *bins)
{
    const char *p = data, *end = p + len;
    size_t nbins = bins->n;
    json_t *v;
    v = decode_value(&p, end, 0, bins);
    if (v != NULL && p != end) { /* trailing bytes */
        json_decref(v);
        v = NULL;
    }
    if (v == NULL) {
        for (size_t i = nbins; i < bins->n; i++)
            blob_unref(bins->v[i]);
        bins->n = nbins;
        if (nbins == 0) {
            free(bins->v);
            bins->v = NULL;
        }
    }
    return v;
}
