/* ws_frame.c - the WebSocket frame header parser (RFC 6455 5.2) of ws_conn.c, pure so that it can
 * be unit-tested and fuzzed (see codec.h). A server only accepts masked client frames, no
 * extensions (RSV bits 0), control frames unfragmented and at most 125 bytes, and data frames
 * whose opcode fits the fragmentation state; the message size limit is checked on the header,
 * before any payload is buffered. */
#include "engineio/codec.h"

#include <errno.h>
#include <string.h>

int eio_ws_frame_parse(const uint8_t *p, size_t avail, uint8_t frag_opcode, size_t frag_len,
                       size_t max_msg, eio_ws_frame_info_t *fi)
{
    memset(fi, 0, sizeof(*fi));
    if (avail < 2)
        return -EAGAIN;
    fi->fin = (p[0] & 0x80) != 0;
    fi->opcode = p[0] & 0x0F;
    if ((p[0] & 0x70) != 0 || (p[1] & 0x80) == 0)
        return -EPROTO; /* reserved bits without an extension, or an unmasked client frame */
    uint64_t len = p[1] & 0x7F;
    size_t hdr = 2;
    if (len == 126) {
        if (avail < 4)
            return -EAGAIN;
        len = ((uint64_t)p[2] << 8) | p[3];
        hdr = 4;
    } else if (len == 127) {
        if (avail < 10)
            return -EAGAIN;
        len = 0;
        for (int i = 0; i < 8; i++)
            len = (len << 8) | p[2 + i];
        hdr = 10;
    }
    if ((fi->opcode & 0x8) != 0) {
        if (!fi->fin || len > 125 ||
            (fi->opcode != EIO_WS_OP_CLOSE && fi->opcode != EIO_WS_OP_PING &&
             fi->opcode != EIO_WS_OP_PONG))
            return -EPROTO;
    } else if (fi->opcode > EIO_WS_OP_BINARY ||
               (fi->opcode == EIO_WS_OP_CONT) != (frag_opcode != 0)) {
        return -EPROTO; /* unknown opcode, or a continuation out of sequence */
    } else if (len > max_msg || len > max_msg - (frag_len < max_msg ? frag_len : max_msg)) {
        return -EMSGSIZE;
    }
    if (avail - hdr < 4)
        return -EAGAIN;
    memcpy(fi->mask, p + hdr, 4);
    fi->len = len;
    fi->header_len = hdr + 4;
    return 0;
}

void eio_ws_unmask(char *payload, size_t len, const uint8_t mask[4])
{
    for (size_t i = 0; i < len; i++)
        payload[i] ^= (char)mask[i & 3];
}
