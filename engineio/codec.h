/* codec.h - the Engine.IO wire codecs, private to engineio/ (and its tests and fuzzers): single
 * packets (v4 and v3), polling payloads (v4: packets joined by \x1e; v3: `<length>:<packet>` with
 * the length in UTF-16 code units, plus the v3 XHR binary framing), base64 for binary packets in
 * polling, and the query-string parser with %-decoding that h2o lacks.
 *
 * Pure functions: no I/O, no globals. A decoded packet borrows its data from the input unless it
 * was base64 (then it owns a decoded copy, released by eio_packet_dispose). Every length a peer
 * controls is checked before it is used; bad input returns -EBADMSG and leaves nothing to free. */
#ifndef SIOC_ENGINEIO_CODEC_H
#define SIOC_ENGINEIO_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/base.h"

typedef enum en_eio_packet_type_t {
    EIO_PACKET_OPEN = 0,
    EIO_PACKET_CLOSE = 1,
    EIO_PACKET_PING = 2,
    EIO_PACKET_PONG = 3,
    EIO_PACKET_MESSAGE = 4,
    EIO_PACKET_UPGRADE = 5,
    EIO_PACKET_NOOP = 6,
} eio_packet_type_t;

/** A decoded packet. `data` is borrowed from the decoder's input, or points into `owned`. */
typedef struct st_eio_packet_t {
    eio_packet_type_t type;
    bool is_binary;   /* binary message (a binary frame, or `b` + base64 in polling) */
    const char *data; /* never NULL after a successful decode; "" when empty */
    size_t len;
    char *owned; /* the base64-decoded bytes, or NULL */
} eio_packet_t;

/** Decodes one packet. `is_binary_frame`: the bytes came in a WebSocket binary frame (v4: the
 * whole frame is a binary message; v3: first byte is the packet type). Otherwise it is text:
 * `<type digit><data>` or `b<base64>` (v4) / `b<type digit><base64>` (v3). Returns 0 or
 * -EBADMSG (unknown type, empty, bad base64). */
int eio_packet_decode(eio_packet_t *pkt, const char *s, size_t len, bool is_binary_frame,
                      int protocol);
/** Frees what a decode allocated; safe after any decode result and on a zeroed packet. */
void eio_packet_dispose(eio_packet_t *pkt);

/** Appends the text form of a packet for polling (or a WebSocket text frame): `<type><data>`,
 * or for binary data `b<base64>` (v4) / `b4<base64>` (v3). */
void eio_packet_encode_text(buf_t *out, eio_packet_type_t type, const char *data, size_t len,
                            bool is_binary, int protocol);

/** A decoded polling payload: an array of packets. */
typedef struct st_eio_payload_t {
    eio_packet_t *pkts;
    size_t count;
    size_t cap;
} eio_payload_t;

/** Decodes a v4 polling payload (text packets separated by \x1e). At most `max_packets` packets.
 * Returns 0, -EBADMSG or -EMSGSIZE (too many packets). On error `pl` keeps the packets decoded
 * before the bad one (the reference delivers them, then closes); eio_payload_dispose it always. */
int eio_payload_decode(eio_payload_t *pl, const char *s, size_t len, size_t max_packets);
/** Decodes a v3 string payload (`<len>:<packet>`, len in UTF-16 code units; `0:` is skipped).
 * Errors as eio_payload_decode. */
int eio_payload_v3_decode(eio_payload_t *pl, const char *s, size_t len, size_t max_packets);
/** Decodes the v3 XHR binary payload (application/octet-stream): per packet a 0 (string) or 1
 * (binary) byte, the length as digit bytes 0-9, 0xFF, then the packet. */
int eio_payload_v3_decode_binary(eio_payload_t *pl, const char *s, size_t len, size_t max_packets);
void eio_payload_dispose(eio_payload_t *pl);
/** For the payload decoders: decodes one packet (eio_packet_decode) of `len` bytes at `s` and
 * appends it to `pl`. Returns 0, -EMSGSIZE past max_packets, or -EBADMSG (then `pl` is
 * unchanged but for its capacity). */
int eio__payload_add(eio_payload_t *pl, size_t max_packets, const char *s, size_t len,
                     bool is_binary_frame, int protocol);

/** Appends one packet to a v4 payload (a \x1e first unless `out` is empty). */
void eio_payload_append(buf_t *out, eio_packet_type_t type, const char *data, size_t len,
                        bool is_binary);
/** Appends one packet to a v3 XHR binary payload (the framing eio_payload_v3_decode_binary
 * reads; a string packet's length counts UTF-8 bytes there). */
void eio_payload_v3_append_binary(buf_t *out, eio_packet_type_t type, const char *data, size_t len,
                                  bool is_binary);
/** Appends one packet to a v3 string payload: `<utf16 length>:<packet>`. */
void eio_payload_v3_append(buf_t *out, eio_packet_type_t type, const char *data, size_t len,
                           bool is_binary);
/** Length in UTF-16 code units of UTF-8 text, as JavaScript's String length counts it (4-byte
 * sequences count 2; an invalid byte counts 1, as the U+FFFD it decodes to). */
size_t eio_utf16_length(const char *s, size_t len);

/** Appends `s` as JSON.stringify(s) writes it, then with U+2028/U+2029 escaped: the JSONP
 * polling answer `___eio[N]("...");`. */
void eio_json_string_append(buf_t *out, const char *s, size_t len);
/** Undoes the JSONP client's newline escaping in a POSTed `d=` value, in place, as the
 * reference does: a backslash then `n` becomes a newline; two backslashes then `n` become one
 * backslash then `n`. Returns the new length. */
size_t eio_jsonp_unescape(char *s, size_t len);
/** True if `s` is valid UTF-8 (no overlong forms, surrogates or code points past U+10FFFF), as
 * WebSocket text frames must be (RFC 6455 8.1). */
bool eio_utf8_valid(const char *s, size_t len);

/** WebSocket opcodes. */
#define EIO_WS_OP_CONT   0x0
#define EIO_WS_OP_TEXT   0x1
#define EIO_WS_OP_BINARY 0x2
#define EIO_WS_OP_CLOSE  0x8
#define EIO_WS_OP_PING   0x9
#define EIO_WS_OP_PONG   0xA

/** A parsed client frame header. */
typedef struct st_eio_ws_frame_info_t {
    bool fin;
    uint8_t opcode;
    uint64_t len;      /* payload bytes */
    size_t header_len; /* bytes before the payload, masking key included */
    uint8_t mask[4];
} eio_ws_frame_info_t;

/** Parses the header of the client frame at `p` (`avail` bytes). `frag_opcode` is the opcode of
 * the fragmented message in progress (0 if none) and `frag_len` its bytes so far. Returns 0 (the
 * payload may still be incomplete: compare header_len + len with avail), -EAGAIN (need more
 * bytes), -EPROTO (close 1002) or -EMSGSIZE (over max_msg: close 1009). */
int eio_ws_frame_parse(const uint8_t *p, size_t avail, uint8_t frag_opcode, size_t frag_len,
                       size_t max_msg, eio_ws_frame_info_t *fi);
/** Unmasks a payload in place. */
void eio_ws_unmask(char *payload, size_t len, const uint8_t mask[4]);

/** Finds `key` in a raw query string (without '?') as URLSearchParams does: pairs split on '&',
 * '+' is a space, %XX decoded (an invalid escape stays literal), the last occurrence wins. Writes
 * the NUL-terminated value into `out`. Returns its length, -ENOENT if absent, -EMSGSIZE if it
 * does not fit in `cap` (including the NUL). */
int eio_query_get(const char *q, size_t qlen, const char *key, char *out, size_t cap);

#endif
