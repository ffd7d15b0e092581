/* fuzz_sio_binary.c - libFuzzer target: a binary packet header followed by attachments. The
 * input is split on the byte 0xFF: the first part is the text message, each further part one
 * binary attachment. Checks that reassembly never accepts a placeholder naming a missing
 * attachment and never leaks. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "socketio/sio_packet.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size); /* for -Wmissing-prototypes */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *end = data + size;
    const uint8_t *sep = memchr(data, 0xFF, size);
    const uint8_t *p = sep != NULL ? sep : end;
    sio_packet_t pkt;
    int rc = sio_packet_decode(&pkt, (const char *)data, (size_t)(p - data), 4);
    while (p != end) {
        const uint8_t *start = p + 1;
        const uint8_t *next = memchr(start, 0xFF, (size_t)(end - start));
        if (next == NULL)
            next = end;
        if (rc == -EAGAIN || rc == 0)
            rc = sio_packet_add_attachment(&pkt, start, (size_t)(next - start));
        /* abort(), not assert(): the default build type defines NDEBUG */
        if (rc == 0 &&
            (pkt.nbins != pkt.attachments || !sio_placeholders_valid(pkt.data, pkt.nbins)))
            abort();
        p = next;
    }
    sio_packet_dispose(&pkt);
    return 0;
}
