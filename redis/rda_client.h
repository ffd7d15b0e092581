/* rda_client.h - the adapter's Redis client: two hiredis connections on the loop, one for
 * PUBLISH and commands, one for SUBSCRIBE/PSUBSCRIBE. Either reconnects on its own with an
 * exponential backoff (100 ms doubling to 5 s) and logs each state change; the subscriber
 * re-subscribes to every channel and pattern still registered, and publishes made while the
 * publisher is down wait in a bounded queue (RDA_QUEUE_MAX) sent on reconnect. Loop thread
 * only; callbacks run from the loop, never inside the call that registered them. */
#ifndef SIOC_RDA_CLIENT_H
#define SIOC_RDA_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

typedef struct st_rda_client_t rda_client_t;
typedef struct st_rda_sub_t rda_sub_t;
typedef struct st_rda_job_t rda_job_t;

/** Publishes kept while the publisher is disconnected, in count and in bytes (channel +
 * payload): the oldest are dropped (and counted) beyond either. Defaults of
 * rda_client_set_queue_limits. */
#define RDA_QUEUE_MAX       10000
#define RDA_QUEUE_MAX_BYTES (16u << 20)

/** Parses "redis://HOST:PORT" (HOST numeric; port 6379 when absent; a trailing "/db" is
 * refused). Returns 0 or -EINVAL. */
int rda_url_parse(const char *url, char *host, size_t hostlen, int *port);

/** The adapters' channel prefix unless rda_client_set_key says otherwise. */
#define RDA_DEFAULT_KEY "socket.io"

/** Starts connecting to `url`. Returns NULL (after logging why) if the URL is invalid. */
rda_client_t *rda_client_new(uv_loop_t *loop, const char *url);
/** Closes both connections at once (pending callbacks run with an error first). The loop must
 * run afterwards to close the handles. NULL is a no-op. */
void rda_client_free(rda_client_t *c);
/** True while both connections are up. */
bool rda_client_connected(const rda_client_t *c);
/** The channel prefix of the adapters made afterwards (@socket.io/redis-adapter's `key` option,
 * default "socket.io"): only nodes with the same key form a cluster. Copied; set it before the
 * server creates its namespaces. Returns 0 or -EINVAL (empty, longer than 64 bytes, or holding
 * '#', '*', '?', '[', a space or a control character). */
int rda_client_set_key(rda_client_t *c, const char *key);
const char *rda_client_key(const rda_client_t *c);

/** A message on a subscribed channel (or one matching a pattern). Borrowed for the call. */
typedef void (*rda_message_cb)(const char *channel, size_t chlen, const char *payload, size_t len,
                               void *data);
/** Subscribes to `channel` (a glob pattern with PSUBSCRIBE when `pattern`), now and after every
 * reconnect, until rda_client_unsubscribe. */
rda_sub_t *rda_client_subscribe(rda_client_t *c, const char *channel, bool pattern,
                                rda_message_cb cb, void *data);
void rda_client_unsubscribe(rda_client_t *c, rda_sub_t *sub);

/** Sets the bounds of the queue of publishes waiting for the publisher (`max_publishes` 0: the
 * default; `max_bytes` 0: no byte bound). */
void rda_client_set_queue_limits(rda_client_t *c, size_t max_publishes, size_t max_bytes);

/** The client's state and its queue's use (/metrics). */
typedef struct st_rda_client_stats_t {
    bool connected;
    size_t queued, queued_bytes; /* publishes waiting for the publisher, and their bytes */
    uint64_t dropped;            /* publishes dropped by the queue's bounds */
} rda_client_stats_t;
void rda_client_stats(const rda_client_t *c, rda_client_stats_t *st);

/** PUBLISH channel payload (binary-safe), or queued while the publisher is down. */
void rda_client_publish(rda_client_t *c, const char *channel, const void *payload, size_t len);

/** Result of PUBSUB NUMSUB: the subscriber count, or -1 (not connected, error, client freed). */
typedef void (*rda_numsub_cb)(long long count, void *cbdata);
/** Asks PUBSUB NUMSUB `channel`; cb runs once, later. The job can be cancelled (cb then never
 * runs) until it does. */
rda_job_t *rda_client_numsub(rda_client_t *c, const char *channel, rda_numsub_cb cb, void *cbdata);
void rda_client_cancel(rda_client_t *c, rda_job_t *job);

/** Answer of rda_client_command: `status` 0 (then `value` is the integer reply, or 0 for a
 * status or nil reply), -ENOTCONN (Redis down: not sent, or the connection was lost) or -EIO
 * (an error reply). */
typedef void (*rda_int_cb)(int status, long long value, void *cbdata);
/** Sends a command of 1 to 8 NUL-terminated arguments on the publishing connection (copied);
 * cb (NULL: no answer wanted) runs once, later, from the loop. For the application's own keys (rate
 * limits shared by the nodes: INCR, PEXPIRE, PTTL, SET ... PX). */
void rda_client_command(rda_client_t *c, int argc, const char **argv, rda_int_cb cb, void *cbdata);

#endif
