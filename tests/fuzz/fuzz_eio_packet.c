/* fuzz_eio_packet.c - eio_packet_decode on text and binary frames, v4 and v3, then re-encodes
 * what was decoded as text (polling) and decodes that again: it must give back the same packet,
 * and nothing may crash, leak or read out of bounds. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engineio/codec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    for (int protocol = 3; protocol <= 4; protocol++) {
        for (int binary = 0; binary <= 1; binary++) {
            eio_packet_t p;
            if (eio_packet_decode(&p, (const char *)data, size, binary, protocol) == 0) {
                buf_t out = BUF_INIT;
                eio_packet_encode_text(&out, p.type, p.data, p.len, p.is_binary, protocol);
                eio_packet_t again;
                if (eio_packet_decode(&again, out.base, out.len, false, protocol) != 0 ||
                    again.type != p.type || again.is_binary != p.is_binary || again.len != p.len ||
                    memcmp(again.data, p.data, p.len) != 0)
                    abort();
                eio_packet_dispose(&again);
                buf_dispose(&out);
            }
            eio_packet_dispose(&p);
        }
    }
    return 0;
}
