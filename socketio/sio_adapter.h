/* sio_adapter.h - the adapter interface of a namespace: rooms, broadcasts and the cluster
 * operations go through an sio_adapter_t (a `void *self` plus hooks, after hiredis's `ev`), one per
 * namespace, built by sio_config_t.adapter. The default is the in-memory adapter of a single node
 * (sio_memory_adapter_new), which also keeps the sessions and packets of connection state
 * recovery.
 *
 * The local work (the room tables of this node, encoding a broadcast once and writing it to the
 * local recipients, answering fetchSockets for local sockets...) is done by the sio_local_*
 * functions below; the in-memory adapter's hooks just call them. A cluster adapter (Redis) keeps
 * the same local tables by calling the same functions, and adds its publishing around them, as
 * the reference ClusterAdapter extends the in-memory Adapter. Operations whose answers come from
 * other nodes complete through callbacks or the sio_ack_op_* reports, from the loop thread. */
#ifndef SIOC_SIO_ADAPTER_H
#define SIOC_SIO_ADAPTER_H

#include "socketio/socketio.h"

/** What a broadcast selects (BroadcastOptions): sockets in any of `rooms` (all sockets when
 * nrooms is 0) and in none of `except`. Strings are borrowed for the call. */
typedef struct st_sio_bcast_opts_t {
    const char *const *rooms;
    size_t nrooms;
    const char *const *except;
    size_t nexcept;
    unsigned flags;      /* SIO_EMIT_VOLATILE, SIO_EMIT_NO_COMPRESS, SIO_EMIT_LOCAL */
    unsigned timeout_ms; /* broadcast with ack only */
} sio_bcast_opts_t;

/** An event to deliver: `data` is [event, ...args] with placeholders naming `bins`. Borrowed. */
typedef struct st_sio_message_t {
    json_t *data;
    blob_t *const *bins;
    size_t nbins;
} sio_message_t;

/** What a disconnecting socket leaves for recovery (persistSession). Borrowed for the call. */
typedef struct st_sio_session_t {
    const char *sid;
    const char *pid;
    const json_t *rooms; /* array of strings */
    const json_t *data;
} sio_session_t;

/** A packet kept for recovery: the encoded EVENT (its offset as the last argument) and its
 * binary attachments. */
typedef struct st_sio_stored_packet_t {
    blob_t *text;
    blob_t *const *bins;
    size_t nbins;
} sio_stored_packet_t;

/** A restored session (restoreSession): the socket gets its id, rooms and data back, then the
 * missed packets, already encoded (within the server's recovery_max_replay_* bounds: beyond
 * them the adapter restores nothing). Borrowed for the callback: the socket takes references
 * on the blobs it still has to write. */
typedef struct st_sio_restored_t {
    sio_session_t session;
    const sio_stored_packet_t *missed;
    size_t nmissed;
} sio_restored_t;
/** `restored` NULL: nothing to restore (unknown pid, expired, offset not found or older than
 * what is kept, or more missed than may be replayed). */
typedef void (*sio_restore_cb)(const sio_restored_t *restored, void *cbdata);

/** The hooks. Each gets `self`. Every hook is required unless marked optional. */
struct st_sio_adapter_t {
    void *self;
    /** The node's id (6 random characters, as the reference's uid). */
    const char *(*uid)(void *self);
    /** socket.join(rooms): sio_local_add_all for a local adapter. */
    void (*add_all)(void *self, sio_socket_t *sock, const char *const *rooms, size_t n);
    void (*del)(void *self, sio_socket_t *sock, const char *room);
    void (*del_all)(void *self, sio_socket_t *sock);
    /** Delivers `msg` to the selected sockets of every node (this one only with SIO_EMIT_LOCAL).
     * The in-memory adapter appends a recovery offset here when recovery is on (not for
     * SIO_EMIT_VOLATILE or SIO_EMIT_NO_STORE). */
    void (*broadcast)(void *self, const sio_message_t *msg, const sio_bcast_opts_t *opts);
    /** Broadcast with ack id `op`: deliver to the selected sockets of every node; report each
     * node's client count with sio_ack_op_clients(), the number of nodes with
     * sio_ack_op_servers(), and each remote answer with sio_ack_op_response() (local answers
     * arrive by themselves once sio_local_broadcast_with_ack registered them). */
    void (*broadcast_with_ack)(void *self, const sio_message_t *msg, const sio_bcast_opts_t *opts,
                               uint64_t op);
    /** fetchSockets: cb runs once with the sockets of every node (sio_local_fetch_sockets for
     * this one). */
    void (*fetch_sockets)(void *self, const sio_bcast_opts_t *opts, sio_fetch_sockets_cb cb,
                          void *cbdata);
    /** socketsJoin / socketsLeave / disconnectSockets on every node. */
    void (*add_sockets)(void *self, const sio_bcast_opts_t *opts, const char *const *rooms,
                        size_t n);
    void (*del_sockets)(void *self, const sio_bcast_opts_t *opts, const char *const *rooms,
                        size_t n);
    void (*disconnect_sockets)(void *self, const sio_bcast_opts_t *opts, bool close);
    /** serverSideEmit of `data` ([event, ...args]) to the other nodes; with cb, it runs once
     * with one answer per other node, or -ETIMEDOUT after timeout_ms. */
    void (*server_side_emit)(void *self, const json_t *data, unsigned timeout_ms,
                             sio_server_side_ack_cb cb, void *cbdata);
    /** Recovery: stores what a disconnecting socket leaves. */
    void (*persist_session)(void *self, const sio_session_t *session);
    /** Recovery: cb runs once (maybe before this returns) with the session or NULL. */
    void (*restore_session)(void *self, const char *pid, const char *offset, sio_restore_cb cb,
                            void *cbdata);
    /** Frees the adapter (namespace freed). */
    void (*dispose)(void *self);
};

/** The default factory (sio_config_t.adapter NULL): rooms in memory, one node, recovery store
 * in memory when the server's recovery option is on. */
sio_adapter_t *sio_memory_adapter_new(sio_namespace_t *nsp, void *data);

/* --- the local work, for adapters --- */

/** The server's options (recovery, max_disconnection_ms...). */
const sio_config_t *sio_namespace_config(const sio_namespace_t *nsp);
/** Adds `sock` to `rooms` in this node's room table (no-op for a disconnected socket). */
void sio_local_add_all(sio_namespace_t *nsp, sio_socket_t *sock, const char *const *rooms,
                       size_t n);
void sio_local_del(sio_namespace_t *nsp, sio_socket_t *sock, const char *room);
void sio_local_del_all(sio_namespace_t *nsp, sio_socket_t *sock);
/** Encodes `msg` once and writes it to the selected local sockets. Returns how many. */
size_t sio_local_broadcast(sio_namespace_t *nsp, const sio_message_t *msg,
                           const sio_bcast_opts_t *opts);
/** As sio_local_broadcast with `msg` already encoded as `text` (an EVENT without ack id; msg->data
 * is still what the outgoing listeners see). */
size_t sio_local_broadcast_encoded(sio_namespace_t *nsp, blob_t *text, const sio_message_t *msg,
                                   const sio_bcast_opts_t *opts);
/** The recovery counters of the namespace, kept by the adapter that stores its packets
 * (sio_server_recovery_stats adds them up; `replaying` is the server's). */
sio_recovery_stats_t *sio_namespace_recovery_stats(sio_namespace_t *nsp);
/** As sio_local_broadcast, with ack id `op`; each recipient's answer will be reported to the
 * operation. Returns the number of recipients. */
size_t sio_local_broadcast_with_ack(sio_namespace_t *nsp, const sio_message_t *msg,
                                    const sio_bcast_opts_t *opts, uint64_t op);
/** A new array of {id, handshake, rooms, data} for the selected local sockets. */
json_t *sio_local_fetch_sockets(sio_namespace_t *nsp, const sio_bcast_opts_t *opts);
void sio_local_add_sockets(sio_namespace_t *nsp, const sio_bcast_opts_t *opts,
                           const char *const *rooms, size_t n);
void sio_local_del_sockets(sio_namespace_t *nsp, const sio_bcast_opts_t *opts,
                           const char *const *rooms, size_t n);
void sio_local_disconnect_sockets(sio_namespace_t *nsp, const sio_bcast_opts_t *opts, bool close);
/** Hands a serverSideEmit that came from another node to the namespace's handler. `reply_fn`
 * (NULL if no answer is expected) gets the answer's arguments (borrowed) once. */
void sio_local_server_side_dispatch(sio_namespace_t *nsp, const json_t *data,
                                    void (*reply_fn)(const json_t *args, void *cbdata),
                                    void *cbdata);
/** Number of sockets in `room` on this node (0 if none). */
size_t sio_local_room_size(const sio_namespace_t *nsp, const char *room);
/** A new sorted array of this node's room names. */
json_t *sio_local_all_rooms(const sio_namespace_t *nsp);

/** Reports, for broadcast-with-ack operation `op`, that one node reached `count` clients. */
void sio_ack_op_clients(sio_namespace_t *nsp, uint64_t op, size_t count);
/** Reports the number of nodes (this one included) that will call sio_ack_op_clients. */
void sio_ack_op_servers(sio_namespace_t *nsp, uint64_t op, size_t count);
/** Reports one client's answer (its first argument, borrowed; NULL for none) and the binary
 * attachments its placeholders name. Ignored once the operation completed or timed out. */
void sio_ack_op_response(sio_namespace_t *nsp, uint64_t op, const json_t *response,
                         blob_t *const *bins, size_t nbins);

#endif
