/* payload.c - Engine.IO v4 polling payloads (see codec.h): text packets joined by the record
 * separator \x1e, binary ones as `b` + base64. As the reference's decodePayload, the packets
 * before a malformed one are kept (and delivered by the caller) and the error is reported. */
#include "engineio/codec.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define RECORD_SEPARATOR '\x1e'

int eio__payload_add(eio_payload_t *pl, size_t max_packets, const char *s, size_t len,
                     bool is_binary_frame, int protocol)
{
    if (pl->count >= max_packets)
        return -EMSGSIZE;
    if (pl->count == pl->cap) {
        size_t cap = pl->cap ? pl->cap * 2 : 4;
        if (cap > max_packets)
            cap = max_packets;
        pl->pkts = xrealloc(pl->pkts, cap * sizeof(*pl->pkts));
        pl->cap = cap;
    }
    int rc = eio_packet_decode(&pl->pkts[pl->count], s, len, is_binary_frame, protocol);
    if (rc == 0)
        pl->count++;
    return rc;
}

int eio_payload_decode(eio_payload_t *pl, const char *s, size_t len, size_t max_packets)
{
    memset(pl, 0, sizeof(*pl));
    if (len == 0)
        return -EBADMSG; /* before any arithmetic: s may be NULL */
    const char *p = s, *end = s + len;
    int rc = 0;
    for (;;) {
        const char *sep = memchr(p, RECORD_SEPARATOR, (size_t)(end - p));
        const char *stop = sep != NULL ? sep : end;
        rc = eio__payload_add(pl, max_packets, p, (size_t)(stop - p), false, 4);
        if (rc != 0)
            goto out;
        if (sep == NULL)
            break;
        p = sep + 1;
    }
out:
    return rc;
}

void eio_payload_dispose(eio_payload_t *pl)
{
    for (size_t i = 0; i < pl->count; i++)
        eio_packet_dispose(&pl->pkts[i]);
    free(pl->pkts);
    memset(pl, 0, sizeof(*pl));
}

void eio_payload_append(buf_t *out, eio_packet_type_t type, const char *data, size_t len,
                        bool is_binary)
{
    if (out->len != 0)
        buf_append_char(out, RECORD_SEPARATOR);
    eio_packet_encode_text(out, type, data, len, is_binary, 4);
}
