/* fuzz_eio_ws_frame.c - walks a byte stream as ws_conn.c does: parse a frame header, unmask the
 * payload in a copy, track fragmentation, until the input runs out or is refused. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engineio/codec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *copy = malloc(size + 1);
    memcpy(copy, data, size);
    size_t off = 0, frag_len = 0;
    uint8_t frag_opcode = 0;
    for (;;) {
        eio_ws_frame_info_t fi;
        if (eio_ws_frame_parse(copy + off, size - off, frag_opcode, frag_len, 4096, &fi) != 0)
            break;
        if (size - off - fi.header_len < fi.len)
            break;
        eio_ws_unmask((char *)copy + off + fi.header_len, (size_t)fi.len, fi.mask);
        if ((fi.opcode & 0x8) == 0) {
            if (!fi.fin) {
                if (fi.opcode != EIO_WS_OP_CONT)
                    frag_opcode = fi.opcode;
                frag_len += (size_t)fi.len;
            } else {
                (void)eio_utf8_valid((const char *)copy + off + fi.header_len, (size_t)fi.len);
                frag_opcode = 0;
                frag_len = 0;
            }
        }
        off += fi.header_len + (size_t)fi.len;
    }
    free(copy);
    return 0;
}
