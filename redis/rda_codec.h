/* rda_codec.h - the messages of @socket.io/redis-adapter 8.x (PROTOCOL.md): broadcasts
 * (msgpack [uid, packet, opts]) and the requests/responses between nodes (JSON, or msgpack when
 * the body does not start with '{'). Pure functions, no I/O, so they are unit-tested with bytes
 * captured from the Node adapter and fuzzed. */
#ifndef SIOC_RDA_CODEC_H
#define SIOC_RDA_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>

#include "redis/rda_msgpack.h"
#include "socketio/sio_adapter.h"

/** Request types (the reference's RequestType). */
enum {
    RDA_REQ_SOCKETS = 0,
    RDA_REQ_ALL_ROOMS = 1,
    RDA_REQ_REMOTE_JOIN = 2,
    RDA_REQ_REMOTE_LEAVE = 3,
    RDA_REQ_REMOTE_DISCONNECT = 4,
    RDA_REQ_REMOTE_FETCH = 5,
    RDA_REQ_SERVER_SIDE_EMIT = 6,
    RDA_REQ_BROADCAST = 7,
    RDA_REQ_BROADCAST_CLIENT_COUNT = 8,
    RDA_REQ_BROADCAST_ACK = 9,
};

/** BroadcastOptions read from a message: the string arrays point into the JSON they were read
 * from (valid while it lives); `o` is ready for the sio_local_* functions. */
typedef struct st_rda_opts_t {
    const char **rooms;
    const char **except;
    sio_bcast_opts_t o;
} rda_opts_t;

/** Reads {rooms: [...], except: [...], flags: {volatile, compress, local, timeout}} (every
 * field optional; non-string rooms are skipped). Returns 0, or -EINVAL if `opts` is present but
 * not an object. */
int rda_opts_read(const json_t *opts, rda_opts_t *out);
void rda_opts_dispose(rda_opts_t *o);
/** A new JSON array of the `n` strings of `v`. */
json_t *rda_strings_json(const char *const *v, size_t n);
/** A new {rooms, except, flags} object for `opts`. */
json_t *rda_opts_json(const sio_bcast_opts_t *opts);

/** A broadcast read from the wire. */
typedef struct st_rda_broadcast_t {
    json_t *root;    /* the decoded [uid, packet, opts] */
    const char *uid; /* in root */
    const char *nsp; /* in root; "/" when the packet has none */
    json_t *data;    /* [event, ...args] in root, binary as placeholders into bins */
    rda_bins_t bins;
    rda_opts_t opts;
} rda_broadcast_t;

/** Decodes a broadcast. Returns 0, or -EINVAL (nothing to dispose) for anything that is not
 * [string uid, {type: 2 or 5, data: non-empty array, nsp?: string}, opts?]. */
int rda_broadcast_decode(const void *p, size_t len, rda_broadcast_t *out);
void rda_broadcast_dispose(rda_broadcast_t *b);
/** Appends the msgpack [uid, {type: 2, data, nsp}, opts] of a broadcast. */
void rda_broadcast_encode(buf_t *out, const char *uid, const char *nsp, const sio_message_t *msg,
                          const sio_bcast_opts_t *opts);

/** The packet map {type: 2, data, nsp} (data borrowed into a new object). */
json_t *rda_packet_json(const char *nsp, const json_t *data);

/** Decodes a request or response body: JSON when it starts with '{', msgpack otherwise. Returns
 * a new object (binary values as placeholders into `bins`), or NULL if the body is malformed, not
 * an object, or has no integer `type` where `need_type`. */
json_t *rda_request_decode(const void *p, size_t len, bool need_type, rda_bins_t *bins);

/** The request id of a request/response: a string, or NULL. */
const char *rda_request_id(const json_t *req);

#endif
