/* socketio.h - Socket.IO v5 server (and v4 for socket.io 2.x clients over Engine.IO v3) on top of
 * the engine (engineio/engineio.h): namespaces, middlewares, events and acknowledgements both
 * ways, rooms and broadcasts through an adapter (sio_adapter.h), connection state recovery, and
 * the cluster operations (fetchSockets, socketsJoin/Leave, disconnectSockets, serverSideEmit).
 * Behaviour and names follow the reference Node.js server (socket.io 4.8). Loop thread only.
 *
 * Ownership: json_t arguments given to an emit are stolen (the call owns them, even on error);
 * json_t and strings handed to callbacks are borrowed until the callback returns. Binary
 * arguments are `{"_placeholder":true,"num":N}` objects in the JSON (sio_binary_placeholder())
 * naming the Nth element of a blob_t array passed alongside; the library takes its own
 * references on those blobs. An sio_socket_t lives while it is connected and while someone holds
 * a reference (sio_socket_ref), so it can be kept across asynchronous work.
 *
 * Usage:
 *
 *     static void on_message(sio_socket_t *s, const sio_event_t *ev, void *data)
 *     {
 *         // echo back with the same arguments, binary included
 *         sio_socket_emit(s, "message-back", json_incref(ev->args), ev->bins, ev->nbins);
 *         if (ev->ack_id >= 0)
 *             sio_socket_ack(s, ev->ack_id, json_pack("[s]", "ok"), NULL, 0);
 *     }
 *     static void on_connection(sio_socket_t *s, void *data)
 *     {
 *         sio_socket_join(s, "lobby");
 *         sio_broadcast_emit(sio_broadcast_to(sio_socket_broadcast(s), "lobby"), "joined",
 *                            json_pack("[s]", sio_socket_id(s)), NULL, 0);
 *     }
 *     static void check_token(sio_socket_t *s, void *data)
 *     {
 *         const char *t = json_string_value(json_object_get(sio_socket_auth(s), "token"));
 *         if (t == NULL)
 *             sio_socket_next(s, "not authorized", json_pack("{si}", "code", 401));
 *         else
 *             sio_socket_next(s, NULL, NULL);
 *     }
 *     ...
 *     sio_config_t sc;
 *     sio_config_init(&sc);
 *     sio_server_t *io = sio_server_new(loop, &eio_conf, &sc);
 *     eio_server_attach(sio_server_engine(io), &globalconf, host);
 *     sio_namespace_t *nsp = sio_server_of(io, "/");
 *     sio_namespace_use(nsp, check_token, NULL);
 *     sio_namespace_on_connection(nsp, on_connection, NULL);
 *     sio_namespace_on(nsp, "message", on_message, NULL);
 */
#ifndef SIOC_SOCKETIO_H
#define SIOC_SOCKETIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include <uv.h>

#include "engineio/engineio.h"
#include "base/base.h"

typedef struct st_sio_server_t sio_server_t;
typedef struct st_sio_namespace_t sio_namespace_t;
typedef struct st_sio_socket_t sio_socket_t;
typedef struct st_sio_broadcast_t sio_broadcast_t;
typedef struct st_sio_adapter_t sio_adapter_t;

/** Builds the adapter of a new namespace (see sio_adapter.h). */
typedef sio_adapter_t *(*sio_adapter_factory_t)(sio_namespace_t *nsp, void *data);

/** Server options, named after the reference server's. sio_config_init() fills the defaults. */
typedef struct st_sio_config_t {
    unsigned connect_timeout_ms;   /* 45000: an Engine.IO session that joins no namespace in time is
                                      closed */
    size_t max_attachments;        /* 10: binary attachments per incoming packet */
    bool recovery;                 /* false: connectionStateRecovery */
    unsigned max_disconnection_ms; /* 120000: how long a disconnected session can be recovered,
                                      and how long a packet is kept for it */
    bool recovery_skip_middlewares; /* true: a recovered socket skips the middlewares */
    /* Recovery bounds. Each namespace keeps its recoverable packets (encoded, with their
     * attachments) for max_disconnection_ms and at most recovery_max_bytes: the oldest are
     * dropped (and counted) beyond. A client that missed more than recovery_max_replay_packets
     * or recovery_max_replay_bytes, or whose offset is older than the oldest packet kept, gets
     * a fresh session at once (`recovered: false`), as after an expiry: it falls back to what
     * the application stores (the chat history). A replay is written paced, a window at a time
     * as the socket's send queue drains, never all at once. */
    size_t recovery_max_bytes;          /* 64 MiB per namespace */
    size_t recovery_max_replay_packets; /* 1000 */
    size_t recovery_max_replay_bytes;   /* 1 MiB */
    sio_adapter_factory_t adapter;      /* NULL: the in-memory adapter (sio_memory_adapter_new) */
    void *adapter_data;                 /* given to `adapter` */
} sio_config_t;

/** Fills `conf` with the reference server's defaults. */
void sio_config_init(sio_config_t *conf);

/** What connection state recovery holds now and what its bounds did, over every namespace
 * (/metrics). */
typedef struct st_sio_recovery_stats_t {
    size_t packets;     /* recoverable packets kept now */
    size_t bytes;       /* their bytes (packet text, attachments, bookkeeping) */
    size_t sessions;    /* disconnected sessions kept now */
    size_t replaying;   /* sockets being replayed to now */
    uint64_t dropped;   /* packets dropped by the byte or the age bound */
    uint64_t recovered; /* sessions restored */
    uint64_t refused;   /* restores refused for missing too much (count, bytes, or too old) */
} sio_recovery_stats_t;

/** Creates the Socket.IO server and the Engine.IO server under it (eio_server_new with `econf`,
 * whose strings must outlive the server). Returns NULL if the engine refused `econf`. */
sio_server_t *sio_server_new(uv_loop_t *loop, const eio_config_t *econf, const sio_config_t *conf);
/** The engine, to register on an h2o host (eio_server_attach) or to route requests to. */
eio_server_t *sio_server_engine(sio_server_t *io);
/** The loop the server runs on. */
uv_loop_t *sio_server_loop(sio_server_t *io);
/** Graceful stop: every connected socket gets the "server shutting down" disconnect, then the
 * engine closes every session (eio_server_shutdown). */
void sio_server_shutdown(sio_server_t *io);
/** Frees the server, its namespaces and the engine; sockets still open are dropped without
 * disconnect callbacks. NULL is a no-op. */
void sio_server_free(sio_server_t *io);
/** Fills `st` (zeros when recovery is off or the adapters keep no recovery state). */
void sio_server_recovery_stats(const sio_server_t *io, sio_recovery_stats_t *st);

/** Returns the namespace `name` ("/" or "/chat"), creating it if needed. */
sio_namespace_t *sio_server_of(sio_server_t *io, const char *name);
/** Decides whether a client may create the namespace `name` (auth is its CONNECT payload). */
typedef bool (*sio_namespace_match_cb)(const char *name, const json_t *auth, void *data);
/** Registers a dynamic namespace: the returned "parent" namespace receives the middlewares and
 * handlers; each name accepted by `match` becomes a child namespace sharing them (as
 * io.of(regex or function)). Parents are tried in registration order. */
sio_namespace_t *sio_server_of_dynamic(sio_server_t *io, sio_namespace_match_cb match, void *data);
/** As sio_server_of_dynamic with a POSIX extended regular expression; NULL if it does not
 * compile. */
sio_namespace_t *sio_server_of_regex(sio_server_t *io, const char *pattern);

/* --- namespaces --- */

/** The namespace's name ("/chat"). */
const char *sio_namespace_name(const sio_namespace_t *nsp);
sio_server_t *sio_namespace_server(const sio_namespace_t *nsp);
/** The connected socket `id` of this namespace on this node, or NULL. */
sio_socket_t *sio_namespace_socket(const sio_namespace_t *nsp, const char *id);
/** Number of connected sockets on this node. */
size_t sio_namespace_socket_count(const sio_namespace_t *nsp);
/** The namespace's adapter. */
sio_adapter_t *sio_namespace_adapter(const sio_namespace_t *nsp);

/** A connection middleware: runs for each socket before it is connected; must end with exactly
 * one sio_socket_next() call, now or later (from a timer, a database answer...). */
typedef void (*sio_middleware_cb)(sio_socket_t *sock, void *data);
/** Runs once a socket is connected. */
typedef void (*sio_connection_cb)(sio_socket_t *sock, void *data);
/** An incoming event. `ev` and what it points to are borrowed until the callback returns. */
typedef struct st_sio_event_t {
    const char *name;    /* the event name (a numeric name is given as its decimal text) */
    json_t *args;        /* the arguments after the name: a JSON array (never NULL) */
    blob_t *const *bins; /* the binary attachments the placeholders in args point to */
    size_t nbins;
    int64_t ack_id; /* >= 0: the client waits for sio_socket_ack(sock, ack_id, ...) */
} sio_event_t;
typedef void (*sio_event_cb)(sio_socket_t *sock, const sio_event_t *ev, void *data);
/** "disconnecting" (rooms still known) and "disconnect" (rooms left) hooks; `reason` as the
 * reference names it ("client namespace disconnect", "server namespace disconnect",
 * "transport close", "transport error", "ping timeout", "parse error", "forced close",
 * "server shutting down", "forced server close"). */
typedef void (*sio_disconnect_cb)(sio_socket_t *sock, const char *reason, void *data);
/** An outgoing event (emit or broadcast) about to be written to `sock`; args without the name. */
typedef void (*sio_outgoing_cb)(sio_socket_t *sock, const char *event, const json_t *args,
                                void *data);

/** Appends a connection middleware (run in registration order). */
void sio_namespace_use(sio_namespace_t *nsp, sio_middleware_cb fn, void *data);
/** Sets the connection handler (one; a later call replaces it). */
void sio_namespace_on_connection(sio_namespace_t *nsp, sio_connection_cb fn, void *data);
/** Sets the handler of the event `event` for every socket of the namespace (one per name; a
 * later call replaces it, fn NULL removes it). */
void sio_namespace_on(sio_namespace_t *nsp, const char *event, sio_event_cb fn, void *data);
/** Sets the catch-all incoming listener, called before the event's own handler (onAny). */
void sio_namespace_on_any(sio_namespace_t *nsp, sio_event_cb fn, void *data);
/** Sets the catch-all outgoing listener (onAnyOutgoing; acks are not included). */
void sio_namespace_on_any_outgoing(sio_namespace_t *nsp, sio_outgoing_cb fn, void *data);
void sio_namespace_on_disconnecting(sio_namespace_t *nsp, sio_disconnect_cb fn, void *data);
void sio_namespace_on_disconnect(sio_namespace_t *nsp, sio_disconnect_cb fn, void *data);

/** A serverSideEmit from another node. `reply` is NULL unless the sender expects an answer: then
 * call it exactly once (now or later) with a JSON array of arguments (stolen). */
typedef struct st_sio_server_reply_t sio_server_reply_t;
typedef void (*sio_server_event_cb)(sio_namespace_t *nsp, const char *event, const json_t *args,
                                    sio_server_reply_t *reply, void *data);
void sio_namespace_on_server_side(sio_namespace_t *nsp, sio_server_event_cb fn, void *data);
/** Answers a serverSideEmit with ack. */
void sio_server_reply(sio_server_reply_t *reply, json_t *args);

/** Emits to every socket of the namespace (all nodes): as sio_broadcast_emit on
 * sio_namespace_broadcast(nsp). Returns 0 or -EINVAL. */
int sio_namespace_emit(sio_namespace_t *nsp, const char *event, json_t *args, blob_t *const *bins,
                       size_t nbins);
/** Completion of serverSideEmit with ack: `err` 0 or -ETIMEDOUT (some nodes did not answer);
 * `responses` is an array with one element per answering node (borrowed). */
typedef void (*sio_server_side_ack_cb)(int err, const json_t *responses, void *cbdata);
/** Sends `event` with `args` (stolen, array or NULL, no binary) to the other nodes' handlers.
 * With `cb`, it runs once every other node answered or after `timeout_ms`. A single node has no
 * peer: cb then runs at once with 0 and an empty array. Returns 0 or -EINVAL (reserved
 * name "connect", "connection", "new_namespace"). */
int sio_namespace_server_side_emit(sio_namespace_t *nsp, const char *event, json_t *args,
                                   unsigned timeout_ms, sio_server_side_ack_cb cb, void *cbdata);

/* --- sockets --- */

/** The socket id (20 URL-safe characters; with EIO3 the Engine.IO sid, prefixed by "/nsp#"
 * outside "/"). */
const char *sio_socket_id(const sio_socket_t *sock);
sio_namespace_t *sio_socket_namespace(const sio_socket_t *sock);
/** The Engine.IO session, or NULL once the socket is disconnected. */
eio_socket_t *sio_socket_conn(const sio_socket_t *sock);
bool sio_socket_connected(const sio_socket_t *sock);
/** True if the socket was restored by connection state recovery. */
bool sio_socket_recovered(const sio_socket_t *sock);
/** The auth payload of the CONNECT packet (an object, `{}` when absent; borrowed). */
const json_t *sio_socket_auth(const sio_socket_t *sock);
/** A new object {headers, time, address, xdomain, secure, issued, url, query, auth}, as the
 * reference's socket.handshake (caller owns it). */
json_t *sio_socket_handshake(const sio_socket_t *sock);
/** socket.data: the JSON value that fetchSockets and recovery carry (borrowed; `{}` until set). */
json_t *sio_socket_data(sio_socket_t *sock);
/** Replaces socket.data (stolen; NULL resets it to `{}`). */
void sio_socket_set_data(sio_socket_t *sock, json_t *data);
/** The application's slot, NULL until set; never read by the library. */
void *sio_socket_get_user(const sio_socket_t *sock);
void sio_socket_set_user(sio_socket_t *sock, void *user);
/** Keeps `sock` allocated (not connected) across asynchronous work; returns it. */
sio_socket_t *sio_socket_ref(sio_socket_t *sock);
/** Drops a reference taken with sio_socket_ref. */
void sio_socket_unref(sio_socket_t *sock);

/** Ends a middleware run: `err_message` NULL lets the socket through (or on to the next
 * middleware); otherwise the client gets CONNECT_ERROR {message, data} (`data` stolen, may be
 * NULL). Call exactly once per middleware invocation. */
void sio_socket_next(sio_socket_t *sock, const char *err_message, json_t *err_data);

/** Flags of emits and broadcasts. */
#define SIO_EMIT_VOLATILE    0x1u /* dropped for a client whose transport is not writable now */
#define SIO_EMIT_NO_COMPRESS 0x2u /* compress(false) */
#define SIO_EMIT_LOCAL       0x4u /* broadcasts: this node only */
#define SIO_EMIT_NO_STORE    0x8u /* not kept for recovery (presence, typing: stale on replay) */

/** Emits `event` with `args` (stolen: a JSON array or NULL) and the binary attachments `bins`
 * referenced by placeholders in args. Returns 0, -EINVAL (reserved event name, bad args) or
 * -EPIPE (disconnected). */
int sio_socket_emit(sio_socket_t *sock, const char *event, json_t *args, blob_t *const *bins,
                    size_t nbins);
/** The answer to an emit with ack: `err` 0, -ETIMEDOUT (no answer within the timeout) or -EPIPE
 * (the socket disconnected first); `args` the client's arguments (an array, borrowed; NULL on
 * error), `bins` their attachments. `sock` may be disconnected. */
typedef void (*sio_ack_cb)(sio_socket_t *sock, int err, const json_t *args, blob_t *const *bins,
                           size_t nbins, void *cbdata);
/** Emits with flags (SIO_EMIT_*) and, if `cb` is not NULL, an acknowledgement: cb runs once,
 * with the client's answer, or with -ETIMEDOUT after `timeout_ms` (0: no timeout), or with
 * -EPIPE when the socket disconnects first. A call that fails does not run cb. */
int sio_socket_emit_ex(sio_socket_t *sock, unsigned flags, const char *event, json_t *args,
                       blob_t *const *bins, size_t nbins, unsigned timeout_ms, sio_ack_cb cb,
                       void *cbdata);
/** Answers the event that carried `ack_id` with `args` (stolen, array or NULL). Returns 0 or
 * -EPIPE. */
int sio_socket_ack(sio_socket_t *sock, int64_t ack_id, json_t *args, blob_t *const *bins,
                   size_t nbins);

/** Joins the room `room` (no-op when disconnected or already in it). */
void sio_socket_join(sio_socket_t *sock, const char *room);
/** Leaves the room `room`. */
void sio_socket_leave(sio_socket_t *sock, const char *room);
/** True if the socket is in `room`. */
bool sio_socket_in_room(const sio_socket_t *sock, const char *room);
/** A new array of the socket's rooms (its own id included), sorted (caller owns it). */
json_t *sio_socket_rooms(const sio_socket_t *sock);
/** Disconnects the socket from its namespace (sends DISCONNECT; reason "server namespace
 * disconnect"); with `close`, every namespace of the connection and the connection itself. */
void sio_socket_disconnect(sio_socket_t *sock, bool close);

/** Returns true and the bytes if `v` is a placeholder naming one of `bins`. */
bool sio_binary_get(const json_t *v, blob_t *const *bins, size_t nbins, const void **data,
                    size_t *len);
/** Returns a new placeholder object for the attachment at index `num`. */
json_t *sio_binary_placeholder(size_t num);

/* --- broadcasts (BroadcastOperator) --- */

/** A new broadcast to the whole namespace. The operator is consumed (freed) by the terminal
 * call (emit, fetch, join, leave, disconnect) or by sio_broadcast_free. */
sio_broadcast_t *sio_namespace_broadcast(sio_namespace_t *nsp);
/** A new broadcast from `sock`: every socket of the namespace but `sock` (socket.broadcast,
 * socket.to(...)). */
sio_broadcast_t *sio_socket_broadcast(sio_socket_t *sock);
/** Restricts to the sockets of `room` (repeatable: the union of the rooms). Returns `b`. */
sio_broadcast_t *sio_broadcast_to(sio_broadcast_t *b, const char *room);
/** Excludes the sockets of `room` (repeatable). Returns `b`. */
sio_broadcast_t *sio_broadcast_except(sio_broadcast_t *b, const char *room);
/** Adds SIO_EMIT_* flags. Returns `b`. */
sio_broadcast_t *sio_broadcast_flags(sio_broadcast_t *b, unsigned flags);
/** Sets the timeout of an emit with ack (default 5000 ms here; the reference requires one).
 * Returns `b`. */
sio_broadcast_t *sio_broadcast_timeout(sio_broadcast_t *b, unsigned timeout_ms);
void sio_broadcast_free(sio_broadcast_t *b);
/** Emits to the selected sockets, encoded once. Frees `b`. Returns 0 or -EINVAL. */
int sio_broadcast_emit(sio_broadcast_t *b, const char *event, json_t *args, blob_t *const *bins,
                       size_t nbins);
/** Completion of a broadcast with ack: `err` 0 or -ETIMEDOUT (some clients did not answer in
 * time); `responses` holds the first argument of each answer received (borrowed), its binary
 * placeholders renumbered to index `bins`, the attachments of all the answers. */
typedef void (*sio_broadcast_ack_cb)(int err, const json_t *responses, blob_t *const *bins,
                                     size_t nbins, void *cbdata);
/** Emits with an ack expected from every selected client; cb runs once, when all answered or at
 * the timeout (before this returns when no client is selected on a single node). Frees `b`.
 * Returns 0 or -EINVAL (then cb does not run). */
int sio_broadcast_emit_with_ack(sio_broadcast_t *b, const char *event, json_t *args,
                                blob_t *const *bins, size_t nbins, sio_broadcast_ack_cb cb,
                                void *cbdata);
/** The answer of fetchSockets: an array of {id, handshake, rooms, data} (borrowed); `err` 0 or
 * -ETIMEDOUT if some node did not answer (the array then holds what arrived). */
typedef void (*sio_fetch_sockets_cb)(int err, const json_t *sockets, void *cbdata);
/** fetchSockets over the selected sockets (all nodes unless SIO_EMIT_LOCAL); cb runs once (from
 * the loop for remote answers, maybe before this returns for a single node). Frees `b`. */
void sio_broadcast_fetch_sockets(sio_broadcast_t *b, sio_fetch_sockets_cb cb, void *cbdata);
/** Makes the selected sockets join `room`. Frees `b`. */
void sio_broadcast_sockets_join(sio_broadcast_t *b, const char *room);
/** Makes the selected sockets leave `room`. Frees `b`. */
void sio_broadcast_sockets_leave(sio_broadcast_t *b, const char *room);
/** Disconnects the selected sockets (`close`: their connections too). Frees `b`. */
void sio_broadcast_disconnect_sockets(sio_broadcast_t *b, bool close);

#endif
