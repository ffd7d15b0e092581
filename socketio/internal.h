/* internal.h - the structures shared by the files of socketio/ (private to the module).
 *
 * Object graph: the server owns its namespaces (a registry by name, plus the dynamic parents) and
 * one sio_client_t per Engine.IO session (the eio socket's data slot). A client owns the list of
 * its sio_socket_t, one per namespace joined or being joined. A namespace indexes its connected
 * sockets by id and owns its rooms (name -> set of socket pointers); a socket keeps the array of
 * its rooms, so leaving all rooms costs its own room count. Sockets are refcounted: the client's
 * list holds one reference, a pending middleware or session restore another, applications may
 * take more; a socket is freed at zero. Handlers live in sio_handlers_t, shared by a dynamic
 * parent namespace and its children. */
#ifndef SIOC_SIO_INTERNAL_H
#define SIOC_SIO_INTERNAL_H

#include <regex.h>

#include "socketio/sio_adapter.h"
#include "socketio/sio_hash.h"
#include "socketio/sio_packet.h"
#include "socketio/socketio.h"

typedef struct st_sio_client_t sio_client_t;
typedef struct st_sio_replay_t sio_replay_t;

typedef struct st_sio_handler_t {
    sio_event_cb fn;
    void *data;
    char name[]; /* the key in sio_handlers_t.events */
} sio_handler_t;

typedef struct st_sio_middleware_t {
    sio_middleware_cb fn;
    void *data;
} sio_middleware_t;

typedef struct st_sio_handlers_t {
    sio_strmap_t events; /* name -> sio_handler_t */
    sio_middleware_t *mws;
    size_t nmws;
    sio_connection_cb on_connection;
    void *connection_data;
    sio_event_cb on_any;
    void *any_data;
    sio_outgoing_cb on_any_outgoing;
    void *any_outgoing_data;
    sio_disconnect_cb on_disconnecting;
    void *disconnecting_data;
    sio_disconnect_cb on_disconnect;
    void *disconnect_data;
    sio_server_event_cb on_server_side;
    void *server_side_data;
} sio_handlers_t;

typedef struct st_sio_room_t {
    sio_ptrset_t members; /* sio_socket_t * */
    char name[];
} sio_room_t;

/** A pending broadcast with ack (BroadcastOperator.emit with an ack callback). */
typedef struct st_sio_ack_op_t {
    struct st_sio_ack_op_t *next;
    sio_namespace_t *nsp;
    uint64_t id;
    sio_broadcast_ack_cb cb;
    void *cbdata;
    json_t *responses;
    blob_t **bins; /* attachments of the responses, renumbered */
    size_t nbins;
    size_t expected_clients;
    size_t servers_answered;
    size_t expected_servers; /* SIZE_MAX until the adapter reports it */
    uv_timer_t *timer;
} sio_ack_op_t;

struct st_sio_namespace_t {
    sio_server_t *io;
    char *name;
    sio_handlers_t *h; /* own, or the dynamic parent's */
    bool owns_handlers;
    sio_namespace_match_cb match; /* dynamic parents only */
    void *match_data;
    regex_t *re;            /* sio_server_of_regex parents */
    sio_strmap_t sockets;   /* id -> connected sio_socket_t */
    sio_strmap_t rooms;     /* name -> sio_room_t */
    sio_adapter_t *adapter; /* NULL for dynamic parents */
    uint64_t next_ack_id;   /* the reference's nsp._ids */
    sio_ack_op_t *ops;
    sio_recovery_stats_t rstats; /* kept by the adapter that stores recoverable packets */
    sio_namespace_t *next;       /* the server's list of namespaces, or of parents */
};

enum {
    SIO_SOCKET_PENDING = 0, /* in the middlewares, restoring or replaying (replay set) */
    SIO_SOCKET_CONNECTED,
    SIO_SOCKET_CLOSED,
};

/** An emit waiting for its ack. cb NULL: a recipient of broadcast-with-ack operation `id`. */
typedef struct st_sio_pending_ack_t {
    struct st_sio_pending_ack_t *next;
    sio_socket_t *sock;
    uint64_t id;
    sio_ack_cb cb;
    void *cbdata;
    uv_timer_t *timer; /* NULL: no timeout */
} sio_pending_ack_t;

struct st_sio_socket_t {
    sio_client_t *client; /* NULL once detached from its connection */
    sio_namespace_t *nsp;
    sio_room_t **rooms; /* the rooms this socket is in */
    uint32_t nrooms, caprooms;
    sio_pending_ack_t *acks;
    json_t *auth; /* always an object */
    json_t *data; /* socket.data, NULL means {} */
    void *user;
    char *pid;            /* recovery's private id, NULL when off */
    sio_replay_t *replay; /* while the missed packets are written (sio_replay.c) */
    uint64_t issued;      /* ms since the epoch */
    sio_socket_t *client_next;
    uint32_t refcnt;
    uint16_t mw_index;
    uint8_t state;
    bool recovered;
    char id[];
};

struct st_sio_client_t {
    sio_server_t *io;
    eio_socket_t *conn;
    sio_socket_t *sockets;
    sio_packet_t *pending; /* a binary packet waiting for its attachments */
    sio_client_t *prev, *next;
    uint64_t connect_deadline;           /* uv_now ms; 0 once a namespace is joined */
    sio_client_t *wait_prev, *wait_next; /* the connect-timeout queue */
    buf_t *sink;                         /* detached clients (tests): what was written */
    uint8_t protocol;                    /* 3 or 4: the Engine.IO revision */
    bool closed;
    bool in_wait;
};

struct st_sio_server_t {
    uv_loop_t *loop;
    eio_server_t *eio;
    sio_config_t conf;
    sio_strmap_t nsps;         /* name -> namespace (static and dynamic children) */
    sio_namespace_t *all_nsps; /* every namespace in nsps */
    sio_namespace_t *parents;  /* dynamic parents, in registration order */
    sio_client_t *clients;
    sio_client_t *wait_head, *wait_tail;
    uv_timer_t *connect_timer;
    sio_ptrset_t replaying;   /* sockets with a replay in progress (each holds a reference) */
    uv_timer_t *replay_timer; /* paces them, running only while some exist */
    json_t *empty; /* a shared `{}`: the auth of every socket that sent none (never modified) */
    char uid[8];
};

/* sio_server.c */
void sio__client_wait_add(sio_client_t *c);
void sio__client_wait_remove(sio_client_t *c);

/* sio_client.c */
void sio__client_open(sio_server_t *io, eio_socket_t *conn);
/** A client without an Engine.IO session (unit tests): writes go to c->sink when set (else
 * nowhere), the rest (namespaces, middlewares, rooms, broadcast selection) runs as for a real one.
 * Freed by sio__client_closed(). */
sio_client_t *sio__client_new_detached(sio_server_t *io, int protocol, buf_t *sink);
/** The CONNECT of namespace `name` with `auth` (stolen). */
void sio__client_connect(sio_client_t *c, const char *name, json_t *auth);
void sio__client_message(sio_client_t *c, const char *msg, size_t len, bool is_binary);
void sio__client_closed(sio_client_t *c, const char *reason);
/** Closes the connection from the server side: sockets get `reason` now. */
void sio__client_close(sio_client_t *c, const char *reason);
/** socket.disconnect(true): DISCONNECT to every namespace, then close. */
void sio__client_disconnect_all(sio_client_t *c);
/** Takes a socket off its client's list (drops the list's reference). */
void sio__client_remove_socket(sio_socket_t *sock);
/** Writes an encoded packet (+ attachments) to the connection; honours SIO_EMIT_* flags. */
int sio__client_write(sio_client_t *c, blob_t *text, blob_t *const *bins, size_t nbins,
                      unsigned flags);
int sio__client_send_packet(sio_client_t *c, sio_packet_type_t type, const char *nsp,
                            int64_t ack_id, const json_t *data, blob_t *const *bins, size_t nbins,
                            unsigned flags);

/* sio_namespace.c */
sio_namespace_t *sio__namespace_new(sio_server_t *io, const char *name, sio_handlers_t *h);
void sio__namespace_free(sio_namespace_t *nsp);
/** Runs the middlewares from sock->mw_index (or finishes the connection). */
void sio__namespace_run_middlewares(sio_socket_t *sock);
/** The connection is accepted: track, join own room, CONNECT packet, connection handler. */
void sio__namespace_do_connect(sio_socket_t *sock);
/** Starts a broadcast-with-ack operation; returns its ack id. */
uint64_t sio__ack_op_start(sio_namespace_t *nsp, unsigned timeout_ms, sio_broadcast_ack_cb cb,
                           void *cbdata);

/* sio_socket.c */
sio_socket_t *sio__socket_new(sio_namespace_t *nsp, sio_client_t *c, json_t *auth);
void sio__socket_onpacket(sio_socket_t *sock, sio_packet_t *pkt);
/** _onclose(reason): disconnecting hook, persist, leave rooms, disconnect hook. */
void sio__socket_onclose(sio_socket_t *sock, const char *reason);
/** Drops the pending acks (their callbacks get -EPIPE). */
void sio__socket_fail_acks(sio_socket_t *sock);
/** Registers a pending ack entry. */
void sio__socket_add_ack(sio_socket_t *sock, uint64_t id, sio_ack_cb cb, void *cbdata,
                         unsigned timeout_ms);
/** Calls the namespace's outgoing listener, if any, for `data` ([event, ...args]). */
void sio__socket_notify_outgoing(sio_socket_t *sock, const json_t *data);
/** A new {id, handshake, rooms, data} object. */
json_t *sio__socket_info(const sio_socket_t *sock);
/** Validates the event name (not NULL, not `reserved`) and args (NULL or an array), and builds
 * [event, ...args] (args stolen). NULL on -EINVAL. */
json_t *sio__event_data(const char *event, json_t *args, bool (*reserved)(const char *));

/* sio_replay.c: a recovered socket's missed packets, written paced (see the file) */
/** Starts writing `missed` (references taken) to the restored socket `sock` (still PENDING);
 * once all went out it carries on with the connection (sio__namespace_after_restore), maybe
 * before this returns. */
void sio__replay_start(sio_socket_t *sock, const sio_stored_packet_t *missed, size_t n);
/** Queues a live packet for a socket being replayed to, after what it missed. Returns false if
 * that took it over its bound (the connection is then being closed). */
bool sio__replay_append(sio_socket_t *sock, blob_t *text, blob_t *const *bins, size_t nbins);
/** Drops a replay in progress (the connection went away, the server is freed). */
void sio__replay_abort(sio_socket_t *sock);
/** Closes the pacing timer (server freed). */
void sio__replay_dispose(sio_server_t *io);

/* sio_namespace.c (continued) */
/** After a restore (and its replay): the middlewares, or the connection at once when
 * recovery_skip_middlewares. */
void sio__namespace_after_restore(sio_socket_t *sock);

/* sio_local.c */
/** Sorts `names` in place and returns them as a new JSON array of strings (room lists are
 * reported sorted, so that they do not depend on hash order). */
json_t *sio__sorted_names_json(const char **names, size_t n);

/* sio_query.c */
/** Parses an URL query string (without '?') as Node's querystring.parse: '+' is a space,
 * %XX decoded, repeated keys become arrays. Returns a new object. */
json_t *sio__query_parse(const char *q, size_t len);

#endif
