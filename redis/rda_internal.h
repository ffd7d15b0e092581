/* rda_internal.h - what the files of the Redis adapter share: the adapter of one namespace, and
 * the requester (rda_adapter.c) / responder (rda_requests.c) entry points. */
#ifndef SIOC_RDA_INTERNAL_H
#define SIOC_RDA_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "redis/rda_codec.h"
#include "redis/redis_adapter.h"

#define RDA_MOD    "redis"
#define RDA_ID_LEN 6 /* uid2(6) */

typedef struct st_rda_pending_t rda_pending_t;

typedef struct st_rda_adapter_t {
    sio_adapter_t base;
    sio_namespace_t *nsp;
    rda_client_t *client;
    sio_adapter_t *mem; /* the in-memory adapter: rooms, local delivery, recovery */
    char uid[RDA_ID_LEN + 1];
    char *channel;      /* socket.io#<nsp># (broadcasts; psubscribed with "*") */
    char *req_channel;  /* socket.io-request#<nsp># */
    char *resp_channel; /* socket.io-response#<nsp># */
    char *spec_channel; /* socket.io-response#<nsp>#<uid># */
    rda_sub_t *subs[4];
    rda_pending_t *pending; /* requests this node made that wait for answers */
    size_t *capture; /* set while answering a remote broadcast with ack: the count goes here */
} rda_adapter_t;

/** Fills `out` with RDA_ID_LEN random URL-safe characters and a NUL. */
void rda__random_id(char *out);
/** Publishes `v` (stolen) as JSON on `channel`. */
void rda__publish_json(rda_client_t *c, const char *channel, json_t *v);
/** A request from another node (rda_requests.c). `bins` are the binary values of `req`. */
void rda__on_request(rda_adapter_t *a, const json_t *req, rda_bins_t *bins);
/** Drops what the responder keeps for `a` (the adapter is being disposed). */
void rda__requests_forget(rda_adapter_t *a);
/** A response to a request of this node (rda_adapter.c). */
void rda__on_response(rda_adapter_t *a, const json_t *resp, rda_bins_t *bins);

#endif
