/* payload_v3.c - Engine.IO v3 polling payloads (EIO=3, socket.io 2.x clients), see codec.h.
 *
 * String payload: `<length>:<packet>` repeated, where length counts UTF-16 code units as
 * JavaScript's String.length does (so `4€` is 2, `4😀` is 3). The decoder walks UTF-8 and stops
 * after that many units, never past the end. Binary packets in a string payload are `b4` +
 * base64. The XHR binary payload (application/octet-stream) is, per packet: a 0 (string) or 1
 * (binary) byte, the byte length as digit bytes 0-9, 0xFF, then the packet (a binary packet
 * starts with its type as a number byte). */
#include "engineio/codec.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* Longest length prefix we accept (digits); 10 digits is already far over any sane limit. */
#define MAX_LENGTH_DIGITS 10

/* Bytes of the UTF-8 sequence starting at `p` (1 for an invalid lead byte or a truncated
 * sequence) and the UTF-16 units it stands for. */
static size_t utf8_step(const unsigned char *p, const unsigned char *end, size_t *units)
{
    size_t n = 1;
    *units = 1;
    if (p[0] < 0x80)
        return 1;
    if ((p[0] & 0xE0) == 0xC0)
        n = 2;
    else if ((p[0] & 0xF0) == 0xE0)
        n = 3;
    else if ((p[0] & 0xF8) == 0xF0)
        n = 4;
    else
        return 1;
    if ((size_t)(end - p) < n)
        return 1;
    for (size_t i = 1; i < n; i++)
        if ((p[i] & 0xC0) != 0x80)
            return 1;
    if (n == 4)
        *units = 2;
    return n;
}

size_t eio_utf16_length(const char *s, size_t len)
{
    if (len == 0)
        return 0;
    const unsigned char *p = (const unsigned char *)s, *end = p + len;
    size_t total = 0;
    while (p < end) {
        size_t units;
        p += utf8_step(p, end, &units);
        total += units;
    }
    return total;
}

/* Reads a packet length: decimal digits encoded from `zero` ('0' in the string payload, byte 0
 * in the binary one), ended by `stop` (':' or 0xFF), which is consumed. Returns 0 or -EBADMSG
 * (no digit, a byte that is not a digit, too many digits, no end). */
static int read_length(const unsigned char **pp, const unsigned char *end, unsigned char zero,
                       unsigned char stop, size_t *want)
{
    const unsigned char *p = *pp;
    size_t n = 0, digits = 0;
    for (; p < end && *p != stop; p++) {
        if (*p < zero || *p > zero + 9 || ++digits > MAX_LENGTH_DIGITS)
            return -EBADMSG;
        n = n * 10 + (size_t)(*p - zero);
    }
    if (digits == 0 || p == end)
        return -EBADMSG;
    *pp = p + 1;
    *want = n;
    return 0;
}

int eio_payload_v3_decode(eio_payload_t *pl, const char *s, size_t len, size_t max_packets)
{
    memset(pl, 0, sizeof(*pl));
    if (len == 0)
        return -EBADMSG; /* before any arithmetic: s may be NULL */
    const unsigned char *p = (const unsigned char *)s, *end = p + len;
    int rc = -EBADMSG;
    while (p < end) {
        size_t want;
        if (read_length(&p, end, '0', ':', &want) != 0)
            goto out;
        if (want == 0)
            continue; /* "0:" is an empty packet, skipped as the reference does */
        const unsigned char *start = p;
        size_t got = 0;
        while (got < want && p < end) {
            size_t units;
            p += utf8_step(p, end, &units);
            got += units;
        }
        if (got != want)
            goto out;
        rc = eio__payload_add(pl, max_packets, (const char *)start, (size_t)(p - start), false, 3);
        if (rc != 0)
            goto out;
        rc = -EBADMSG;
    }
    rc = 0;
out:
    return rc;
}

int eio_payload_v3_decode_binary(eio_payload_t *pl, const char *s, size_t len, size_t max_packets)
{
    memset(pl, 0, sizeof(*pl));
    if (len == 0)
        return -EBADMSG; /* before any arithmetic: s may be NULL */
    const unsigned char *p = (const unsigned char *)s, *end = p + len;
    int rc = -EBADMSG;
    while (p < end) {
        bool is_string = *p == 0;
        if (*p > 1)
            goto out;
        p++;
        size_t want;
        if (read_length(&p, end, 0, 0xFF, &want) != 0 || want == 0)
            goto out;
        if ((size_t)(end - p) < want)
            goto out;
        rc = eio__payload_add(pl, max_packets, (const char *)p, want, !is_string, 3);
        if (rc != 0)
            goto out;
        p += want;
        rc = -EBADMSG;
    }
    rc = 0;
out:
    return rc;
}

void eio_payload_v3_append(buf_t *out, eio_packet_type_t type, const char *data, size_t len,
                           bool is_binary)
{
    buf_t pkt = BUF_INIT;
    eio_packet_encode_text(&pkt, type, data, len, is_binary, 3);
    buf_printf(out, "%zu:", eio_utf16_length(pkt.base, pkt.len));
    buf_append(out, pkt.base, pkt.len);
    buf_dispose(&pkt);
}

void eio_payload_v3_append_binary(buf_t *out, eio_packet_type_t type, const char *data, size_t len,
                                  bool is_binary)
{
    char digits[24];
    int n = snprintf(digits, sizeof(digits), "%zu", len + 1);
    buf_append_char(out, is_binary ? 1 : 0);
    for (int i = 0; i < n; i++)
        buf_append_char(out, (char)(digits[i] - '0'));
    buf_append_char(out, (char)0xFF);
    buf_append_char(out, is_binary ? (char)type : (char)('0' + type));
    buf_append(out, data, len);
}
