/* packet.c - one Engine.IO packet, decoded and encoded (see codec.h).
 *
 * Text form: a type digit 0-6 then the data (`4hello`). A binary message travels as a WebSocket
 * binary frame (v4: the bytes alone; v3: a type byte first) or, in polling, as `b` + base64 (v4)
 * or `b4` + base64 (v3). base64 goes through libsodium, accepting padded and unpadded input as
 * Node's Buffer.from(s, "base64") does for well-formed strings. */
#include "engineio/codec.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

static int base64_decode(eio_packet_t *pkt, const char *s, size_t len)
{
    size_t cap = len / 4 * 3 + 3, out_len = 0;
    const char *end = NULL;
    char *bin = xmalloc(cap + 1);
    if (sodium_base642bin((unsigned char *)bin, cap, s, len, NULL, &out_len, &end,
                          sodium_base64_VARIANT_ORIGINAL) != 0 ||
        end != s + len) {
        if (sodium_base642bin((unsigned char *)bin, cap, s, len, NULL, &out_len, &end,
                              sodium_base64_VARIANT_ORIGINAL_NO_PADDING) != 0 ||
            end != s + len) {
            free(bin);
            return -EBADMSG;
        }
    }
    bin[out_len] = '\0';
    pkt->owned = bin;
    pkt->data = bin;
    pkt->len = out_len;
    return 0;
}

int eio_packet_decode(eio_packet_t *pkt, const char *s, size_t len, bool is_binary_frame,
                      int protocol)
{
    memset(pkt, 0, sizeof(*pkt));
    pkt->data = "";
    if (is_binary_frame) {
        if (protocol == 3) {
            /* v3 binary frame: type byte (0-6, as a number) then the data */
            if (len == 0 || (unsigned char)s[0] > EIO_PACKET_NOOP)
                return -EBADMSG;
            pkt->type = (eio_packet_type_t)s[0];
            s++;
            len--;
        } else {
            pkt->type = EIO_PACKET_MESSAGE;
        }
        pkt->is_binary = true;
        pkt->data = len != 0 ? s : "";
        pkt->len = len;
        return 0;
    }
    if (len == 0)
        return -EBADMSG;
    if (s[0] == 'b') {
        s++;
        len--;
        if (protocol == 3) {
            if (len == 0 || s[0] < '0' || s[0] > '6')
                return -EBADMSG;
            pkt->type = (eio_packet_type_t)(s[0] - '0');
            s++;
            len--;
        } else {
            pkt->type = EIO_PACKET_MESSAGE;
        }
        pkt->is_binary = true;
        return base64_decode(pkt, s, len);
    }
    if (s[0] < '0' || s[0] > '6')
        return -EBADMSG;
    pkt->type = (eio_packet_type_t)(s[0] - '0');
    pkt->data = len > 1 ? s + 1 : "";
    pkt->len = len - 1;
    return 0;
}

void eio_packet_dispose(eio_packet_t *pkt)
{
    free(pkt->owned);
    pkt->owned = NULL;
    pkt->data = "";
    pkt->len = 0;
}

void eio_packet_encode_text(buf_t *out, eio_packet_type_t type, const char *data, size_t len,
                            bool is_binary, int protocol)
{
    if (!is_binary) {
        buf_append_char(out, (char)('0' + type));
        buf_append(out, data, len);
        return;
    }
    buf_append_char(out, 'b');
    if (protocol == 3)
        buf_append_char(out, (char)('0' + type));
    size_t b64_len = sodium_base64_ENCODED_LEN(len, sodium_base64_VARIANT_ORIGINAL);
    buf_reserve(out, b64_len);
    sodium_bin2base64(out->base + out->len, b64_len, (const unsigned char *)data, len,
                      sodium_base64_VARIANT_ORIGINAL);
    out->len += b64_len - 1; /* the encoder wrote a NUL, which buf keeps after len */
}
