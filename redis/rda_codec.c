/* rda_codec.c - see rda_codec.h. Everything taken from the wire is type-checked before use:
 * a message of the wrong shape is refused as a whole (-EINVAL / NULL), never half-applied. */
#include "redis/rda_codec.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const char **read_strings(const json_t *arr, size_t *n)
{
    const char **v;
    size_t i, k = 0;
    json_t *el;
    *n = 0;
    if (!json_is_array(arr) || json_array_size(arr) == 0)
        return NULL;
    v = xmalloc(json_array_size(arr) * sizeof(*v));
    json_array_foreach(arr, i, el)
    {
        if (json_is_string(el))
            v[k++] = json_string_value(el);
    }
    *n = k;
    return v;
}

int rda_opts_read(const json_t *opts, rda_opts_t *out)
{
    const json_t *flags, *t;
    memset(out, 0, sizeof(*out));
    if (opts == NULL || json_is_null(opts))
        return 0;
    if (!json_is_object(opts))
        return -EINVAL;
    out->rooms = read_strings(json_object_get(opts, "rooms"), &out->o.nrooms);
    out->except = read_strings(json_object_get(opts, "except"), &out->o.nexcept);
    out->o.rooms = out->rooms;
    out->o.except = out->except;
    flags = json_object_get(opts, "flags");
    if (json_is_object(flags)) {
        if (json_is_true(json_object_get(flags, "volatile")))
            out->o.flags |= SIO_EMIT_VOLATILE;
        if (json_is_false(json_object_get(flags, "compress")))
            out->o.flags |= SIO_EMIT_NO_COMPRESS;
        if (json_is_true(json_object_get(flags, "local")))
            out->o.flags |= SIO_EMIT_LOCAL;
        if (json_is_true(json_object_get(flags, "noStore")))
            out->o.flags |= SIO_EMIT_NO_STORE;
        t = json_object_get(flags, "timeout");
        if (json_is_number(t) && json_number_value(t) > 0 && json_number_value(t) < 86400000.0)
            out->o.timeout_ms = (unsigned)json_number_value(t);
    }
    return 0;
}

void rda_opts_dispose(rda_opts_t *o)
{
    free(o->rooms);
    free(o->except);
    memset(o, 0, sizeof(*o));
}

json_t *rda_strings_json(const char *const *v, size_t n)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(arr, json_string(v[i]));
    return arr;
}

json_t *rda_opts_json(const sio_bcast_opts_t *opts)
{
    json_t *flags = json_object();
    if (opts->flags & SIO_EMIT_VOLATILE)
        json_object_set_new(flags, "volatile", json_true());
    if (opts->flags & SIO_EMIT_NO_COMPRESS)
        json_object_set_new(flags, "compress", json_false());
    if (opts->flags & SIO_EMIT_LOCAL)
        json_object_set_new(flags, "local", json_true());
    /* sioc's own flag (a Node.js node ignores it and keeps the packet for recovery) */
    if (opts->flags & SIO_EMIT_NO_STORE)
        json_object_set_new(flags, "noStore", json_true());
    if (opts->timeout_ms > 0)
        json_object_set_new(flags, "timeout", json_integer(opts->timeout_ms));
    return json_pack("{s:o, s:o, s:o}", "rooms", rda_strings_json(opts->rooms, opts->nrooms),
                     "except", rda_strings_json(opts->except, opts->nexcept), "flags", flags);
}

json_t *rda_packet_json(const char *nsp, const json_t *data)
{
    return json_pack("{s:i, s:O, s:s}", "type", 2, "data", data, "nsp", nsp);
}

int rda_broadcast_decode(const void *p, size_t len, rda_broadcast_t *out)
{
    const json_t *packet, *type, *nsp;
    memset(out, 0, sizeof(*out));
    out->root = rda_mp_decode(p, len, &out->bins);
    if (out->root == NULL)
        return -EINVAL;
    packet = json_array_get(out->root, 1);
    type = json_object_get(packet, "type");
    nsp = json_object_get(packet, "nsp");
    out->uid = json_string_value(json_array_get(out->root, 0));
    out->data = json_object_get(packet, "data");
    if (!json_is_array(out->root) || json_array_size(out->root) < 2 || out->uid == NULL ||
        !json_is_integer(type) ||
        (json_integer_value(type) != 2 && json_integer_value(type) != 5) ||
        !json_is_array(out->data) || json_array_size(out->data) == 0 ||
        (nsp != NULL && !json_is_string(nsp)) ||
        rda_opts_read(json_array_get(out->root, 2), &out->opts) != 0) {
        rda_broadcast_dispose(out);
        return -EINVAL;
    }
    out->nsp = nsp != NULL ? json_string_value(nsp) : "/";
    return 0;
}

void rda_broadcast_dispose(rda_broadcast_t *b)
{
    rda_opts_dispose(&b->opts);
    rda_bins_dispose(&b->bins);
    json_decref(b->root);
    memset(b, 0, sizeof(*b));
}

void rda_broadcast_encode(buf_t *out, const char *uid, const char *nsp, const sio_message_t *msg,
                          const sio_bcast_opts_t *opts)
{
    json_t *v = json_pack("[s, o, o]", uid, rda_packet_json(nsp, msg->data), rda_opts_json(opts));
    rda_mp_encode(out, v, msg->bins, msg->nbins);
    json_decref(v);
}

json_t *rda_request_decode(const void *p, size_t len, bool need_type, rda_bins_t *bins)
{
    json_t *v;
    if (len > 0 && *(const char *)p == '{')
        v = json_loadb(p, len, JSON_DECODE_ANY, NULL);
    else
        v = rda_mp_decode(p, len, bins);
    if (v != NULL &&
        (!json_is_object(v) || (need_type && !json_is_integer(json_object_get(v, "type"))))) {
        json_decref(v);
        v = NULL;
    }
    return v;
}

const char *rda_request_id(const json_t *req)
{
    return json_string_value(json_object_get(req, "requestId"));
}
