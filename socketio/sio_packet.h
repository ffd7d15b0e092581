/* sio_packet.h - the Socket.IO v5 packet codec (socket.io-parser 4.x), no I/O.
 *
 * Wire form of one packet: `<type>[<attachments>-][<nsp>,][<ack id>][JSON]`, then, for the binary
 * types, <attachments> binary messages that replace the `{"_placeholder":true,"num":N}` objects of
 * the JSON. The decoder accepts and refuses exactly what socket.io-parser's Decoder accepts and
 * refuses (same payload validation, attachment limit); the encoder writes what its Encoder writes.
 *
 * Binary values stay placeholders in the json_t tree: the attachments travel next to it as an array
 * of refcounted blob_t (see socketio.h), so a decoded packet can be re-emitted without a copy and a
 * broadcast is encoded once. Used by the server (sio_client.c), the tests and the fuzz targets. */
#ifndef SIOC_SIO_PACKET_H
#define SIOC_SIO_PACKET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "base/base.h"

/** The seven packet types, numbered as on the wire. */
typedef enum en_sio_packet_type_t {
    SIO_PACKET_CONNECT = 0,
    SIO_PACKET_DISCONNECT = 1,
    SIO_PACKET_EVENT = 2,
    SIO_PACKET_ACK = 3,
    SIO_PACKET_CONNECT_ERROR = 4,
    SIO_PACKET_BINARY_EVENT = 5,
    SIO_PACKET_BINARY_ACK = 6,
} sio_packet_type_t;

/** The reference decoder's default limit of attachments per packet. */
#define SIO_DEFAULT_MAX_ATTACHMENTS 10
/** Longest ack id we read (digits); ids are JavaScript safe integers (< 2^53). */
#define SIO_MAX_ACK_ID_DIGITS 15

/** A decoded packet. Everything in it is owned by it; sio_packet_dispose() frees it. */
typedef struct st_sio_packet_t {
    sio_packet_type_t type;
    char *nsp;          /* "/" when the packet names none */
    int64_t ack_id;     /* -1 when absent */
    json_t *data;       /* NULL when absent */
    size_t attachments; /* announced by a binary packet, 0 otherwise */
    size_t nbins;       /* attachments received so far */
    blob_t **bins;      /* `attachments` slots, the first `nbins` filled */
} sio_packet_t;

/** Decodes the text message `msg`. Returns 0 (a whole packet), -EAGAIN (a binary packet: feed
 * its attachments with sio_packet_add_attachment) or -EBADMSG (malformed: `pkt` holds nothing).
 * `max_attachments` caps the announced count (SIO_DEFAULT_MAX_ATTACHMENTS). */
int sio_packet_decode(sio_packet_t *pkt, const char *msg, size_t len, size_t max_attachments);
/** Appends one binary message to a packet for which decode returned -EAGAIN. Returns -EAGAIN
 * while more are expected, 0 once the last arrived and every placeholder names one of them,
 * -EBADMSG (and disposes `pkt`) if a placeholder is illegal or no attachment was expected. */
int sio_packet_add_attachment(sio_packet_t *pkt, const void *data, size_t len);
/** Frees what `pkt` holds and resets it; safe on a zeroed or already disposed packet. */
void sio_packet_dispose(sio_packet_t *pkt);

/** True if `name` is a reserved event name (connect, connect_error, disconnect, disconnecting,
 * newListener, removeListener): the decoder refuses an EVENT that carries one, emit refuses it. */
bool sio_event_reserved(const char *name);

/** True if every `{"_placeholder":true,...}` object in `data` has an integer num < nbins. */
bool sio_placeholders_valid(const json_t *data, size_t nbins);
/** Adds `offset` to the num of every placeholder in `data` whose num is below `nbins` (in
 * place), so that attachments can be appended to a larger array. */
void sio_placeholders_shift(json_t *data, size_t nbins, size_t offset);
/** Returns a new placeholder object `{"_placeholder":true,"num":num}`. */
json_t *sio_placeholder_new(size_t num);
/** True if `v` is a placeholder object; stores its num (which may be out of range) in `*num`. */
bool sio_placeholder_num(const json_t *v, size_t *num);

/** Appends the text message of a packet to `out`: EVENT/ACK become BINARY_EVENT/BINARY_ACK
 * when `nbins` > 0. `nsp` NULL or "/" is not written; `ack_id` < 0 is not written; `data` NULL
 * writes no JSON. Returns 0, or -EINVAL if `nsp` contains a comma or `data` cannot be dumped. */
int sio_packet_encode(buf_t *out, sio_packet_type_t type, const char *nsp, int64_t ack_id,
                      const json_t *data, size_t nbins);
/** As sio_packet_encode, into a new blob (refcount 1), or NULL on -EINVAL. */
blob_t *sio_packet_encode_blob(sio_packet_type_t type, const char *nsp, int64_t ack_id,
                               const json_t *data, size_t nbins);
/** Appends the compact JSON text of `v` (any type) to `out`; returns 0 or -EINVAL. */
int sio_json_append(buf_t *out, const json_t *v);

#endif
