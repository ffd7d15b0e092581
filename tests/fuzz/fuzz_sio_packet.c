/* fuzz_sio_packet.c - libFuzzer target: one text message through the Socket.IO packet decoder,
 * then (if it decoded) through the encoder and back, which must give the same packet. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "socketio/sio_packet.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size); /* for -Wmissing-prototypes */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sio_packet_t p, q;
    int rc = sio_packet_decode(&p, (const char *)data, size, SIO_DEFAULT_MAX_ATTACHMENTS);
    if (rc == 0 && strchr(p.nsp, ',') == NULL) {
        buf_t b = BUF_INIT;
        /* abort(), not assert(): the default build type defines NDEBUG */
        if (sio_packet_encode(&b, p.type, p.nsp, p.ack_id, p.data, 0) != 0)
            abort();
        if (sio_packet_decode(&q, b.base, b.len, SIO_DEFAULT_MAX_ATTACHMENTS) != 0)
            abort();
        if (q.type != p.type || q.ack_id != p.ack_id || strcmp(q.nsp, p.nsp) != 0 ||
            (q.data == NULL) != (p.data == NULL) || (q.data != NULL && !json_equal(q.data, p.data)))
            abort();
        sio_packet_dispose(&q);
        buf_dispose(&b);
    }
    sio_packet_dispose(&p); /* safe whatever decode returned */
    return 0;
}
