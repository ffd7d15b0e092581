/* rda_msgpack.h - msgpack <-> jansson, as notepack.io (the Node adapter's parser) reads and
 * writes it: maps with string keys, integers in their smallest form, other numbers as float64,
 * Buffers as bin, null as nil. Binary values travel in JSON as Socket.IO placeholders
 * ({"_placeholder":true,"num":N}) naming an element of a blob_t array, as everywhere in sioc. */
#ifndef SIOC_RDA_MSGPACK_H
#define SIOC_RDA_MSGPACK_H

#include <stddef.h>
#include <jansson.h>

#include "base/base.h"

/** Deepest nesting accepted when decoding (deeper input is refused, never recursed into). */
#define RDA_MP_MAX_DEPTH 64

/** The binary values found while decoding: `v[i]` is what placeholder num i names. */
typedef struct st_rda_bins_t {
    blob_t **v;
    size_t n;
} rda_bins_t;

/** Drops the references of `b` and resets it. */
void rda_bins_dispose(rda_bins_t *b);

/** Appends the msgpack form of `v` to `out`. A placeholder object naming one of `bins` is
 * written as bin; an integral real within +-2^53 as an integer (JavaScript has one number type);
 * other reals as float64. */
void rda_mp_encode(buf_t *out, const json_t *v, blob_t *const *bins, size_t nbins);

/** Decodes exactly one msgpack value filling all of [data, data+len). Returns a new JSON value,
 * binary values appended to `bins` (as placeholders in the JSON), or NULL (bins unchanged) on
 * malformed or truncated input, trailing bytes, nesting deeper than RDA_MP_MAX_DEPTH or a map
 * key that is not a string or an integer. Ext values (notepack's undefined, dates) become null. */
json_t *rda_mp_decode(const void *data, size_t len, rda_bins_t *bins);

#endif
