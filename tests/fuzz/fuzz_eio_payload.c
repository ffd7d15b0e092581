/* fuzz_eio_payload.c - the v4 polling payload decoder; a decoded payload must re-encode and
 * decode again to the same packets. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engineio/codec.h"

static bool same_packet(const eio_packet_t *a, const eio_packet_t *b)
{
    return a->type == b->type && a->is_binary == b->is_binary && a->len == b->len &&
           memcmp(a->data, b->data, a->len) == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    eio_payload_t pl;
    if (eio_payload_decode(&pl, (const char *)data, size, 64) == 0 && pl.count != 0) {
        buf_t out = BUF_INIT;
        for (size_t i = 0; i < pl.count; i++)
            eio_payload_append(&out, pl.pkts[i].type, pl.pkts[i].data, pl.pkts[i].len,
                               pl.pkts[i].is_binary);
        eio_payload_t again;
        if (eio_payload_decode(&again, out.base, out.len, 64) != 0 || again.count != pl.count)
            abort();
        for (size_t i = 0; i < pl.count; i++)
            if (!same_packet(&again.pkts[i], &pl.pkts[i]))
                abort();
        eio_payload_dispose(&again);
        buf_dispose(&out);
    }
    eio_payload_dispose(&pl);
    return 0;
}
