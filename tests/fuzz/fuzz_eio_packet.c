/* fuzz_eio_packet.c - eio_packet_decode on text and binary frames, v4 and v3, then re-encodes
 * what was decoded: nothing may crash, leak or read out of bounds. */
#include <stdint.h>

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
                buf_dispose(&out);
            }
            eio_packet_dispose(&p);
        }
    }
    return 0;
}
