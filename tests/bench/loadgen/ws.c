/* ws.c - the load generator's minimal RFC 6455 client codec: the upgrade request, masked client
 * frames, and server frame parsing. No I/O: conn.c/session.c move the bytes.
 *
 * Design: frames are parsed in place (a masked frame from a server, which RFC 6455 forbids but
 * costs nothing to accept, is unmasked in the caller's buffer). The Sec-WebSocket-Accept value is
 * only checked for presence: verifying it needs SHA-1, and the servers under test are not what is
 * being validated here. Masks come from a cheap PRNG (the mask defends proxies, not secrets). */
#include "tests/bench/loadgen/loadgen.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sodium.h>

void ws_frame_encode2(buf_t *out, int opcode, const char *prefix, size_t plen, const void *data,
                      size_t len)
{
    uint8_t hdr[14];
    size_t n = 0;
    size_t total = plen + len;
    hdr[n++] = (uint8_t)(0x80 | (opcode & 0x0f));
    if (total < 126) {
        hdr[n++] = (uint8_t)(0x80 | total);
    } else if (total < 65536) {
        hdr[n++] = 0x80 | 126;
        hdr[n++] = (uint8_t)(total >> 8);
        hdr[n++] = (uint8_t)total;
    } else {
        hdr[n++] = 0x80 | 127;
        for (int i = 7; i >= 0; i--)
            hdr[n++] = (uint8_t)((uint64_t)total >> (8 * i));
    }
    uint32_t m32 = (uint32_t)lg_rand();
    uint8_t mask[4];
    memcpy(mask, &m32, 4);
    memcpy(hdr + n, mask, 4);
    n += 4;
    buf_append(out, hdr, n);
    buf_reserve(out, total);
    uint8_t *dst = (uint8_t *)out->base + out->len;
    for (size_t i = 0; i < plen; i++)
        dst[i] = (uint8_t)prefix[i] ^ mask[i & 3];
    const uint8_t *src = data;
    for (size_t i = 0; i < len; i++)
        dst[plen + i] = src[i] ^ mask[(plen + i) & 3];
    out->len += total;
    out->base[out->len] = '\0';
}

void ws_frame_encode(buf_t *out, int opcode, const void *data, size_t len)
{
    ws_frame_encode2(out, opcode, NULL, 0, data, len);
}

long ws_frame_parse(char *p, size_t len, size_t max_len, ws_frame_t *f)
{
    const uint8_t *u = (const uint8_t *)p;
    if (len < 2)
        return -EAGAIN;
    f->fin = (u[0] & 0x80) != 0;
    f->opcode = u[0] & 0x0f;
    if ((u[0] & 0x70) != 0) /* no extension was negotiated: RSV bits must be 0 */
        return -EBADMSG;
    bool masked = (u[1] & 0x80) != 0;
    uint64_t plen = u[1] & 0x7f;
    size_t off = 2;
    if (plen == 126) {
        if (len < 4)
            return -EAGAIN;
        plen = ((uint64_t)u[2] << 8) | u[3];
        off = 4;
    } else if (plen == 127) {
        if (len < 10)
            return -EAGAIN;
        plen = 0;
        for (int i = 0; i < 8; i++)
            plen = (plen << 8) | u[2 + i];
        off = 10;
    }
    if (plen > max_len)
        return -EBADMSG;
    if (f->opcode >= 0x8 && (plen > 125 || !f->fin)) /* control frames: short and whole */
        return -EBADMSG;
    uint8_t mask[4] = {0, 0, 0, 0};
    if (masked) {
        if (len < off + 4)
            return -EAGAIN;
        memcpy(mask, u + off, 4);
        off += 4;
    }
    if (len - off < plen)
        return -EAGAIN;
    f->payload = p + off;
    f->len = (size_t)plen;
    if (masked)
        for (size_t i = 0; i < f->len; i++)
            f->payload[i] = (char)(f->payload[i] ^ mask[i & 3]);
    return (long)(off + plen);
}

void ws_upgrade_request(buf_t *out, const char *host, int port, const char *path)
{
    uint8_t key[16];
    uint64_t r1 = lg_rand(), r2 = lg_rand();
    memcpy(key, &r1, 8);
    memcpy(key + 8, &r2, 8);
    char key64[32];
    sodium_bin2base64(key64, sizeof(key64), key, sizeof(key), sodium_base64_VARIANT_ORIGINAL);
    buf_printf(out,
               "GET %s HTTP/1.1\r\nHost: %s:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
               "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n",
               path, host, port, key64);
}
