/* engineio.h - Engine.IO v4 (and v3 behind allow_eio3) server on h2o + libuv: handshake,
 * HTTP long-polling and WebSocket transports, upgrade, heartbeats, limits, CORS, compression.
 * Knows nothing of Socket.IO: it hands whole messages and session events to its user through
 * eio_callbacks_t.
 *
 * One eio_server_t per path owns every eio_socket_t it opened (both opaque). The HTTP listener,
 * the h2o context and the accept loop belong to the caller (src/); the engine registers its
 * handler on a host with eio_server_attach(). Loop thread only. Strings passed to callbacks are
 * valid until the callback returns. */
#ifndef SIOC_ENGINEIO_H
#define SIOC_ENGINEIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>
#include <h2o.h>

#include "base/base.h"

typedef struct st_eio_server_t eio_server_t;
typedef struct st_eio_socket_t eio_socket_t;

/** Transports, as a bit set for eio_config_t.transports. */
#define EIO_TRANSPORT_POLLING   0x1u
#define EIO_TRANSPORT_WEBSOCKET 0x2u

/** Engine.IO error codes of the HTTP 400 JSON body `{"code":N,"message":"..."}`. */
typedef enum en_eio_error_code_t {
    EIO_ERR_UNKNOWN_TRANSPORT = 0,            /* "Transport unknown" */
    EIO_ERR_UNKNOWN_SID = 1,                  /* "Session ID unknown" */
    EIO_ERR_BAD_HANDSHAKE_METHOD = 2,         /* "Bad handshake method" */
    EIO_ERR_BAD_REQUEST = 3,                  /* "Bad request" */
    EIO_ERR_FORBIDDEN = 4,                    /* "Forbidden" */
    EIO_ERR_UNSUPPORTED_PROTOCOL_VERSION = 5, /* "Unsupported protocol version" */
} eio_error_code_t;

/** Server options, named as the reference engine.io server names them. eio_config_init() fills
 * the reference defaults. The strings are borrowed and must outlive the server. */
typedef struct st_eio_config_t {
    const char *path;             /* "/socket.io/"; a trailing slash is optional on requests */
    unsigned ping_interval_ms;    /* 25000 */
    unsigned ping_timeout_ms;     /* 20000 */
    unsigned upgrade_timeout_ms;  /* 10000 */
    size_t max_http_buffer_size;  /* 1000000 bytes, announced as maxPayload */
    unsigned transports;          /* EIO_TRANSPORT_POLLING | EIO_TRANSPORT_WEBSOCKET */
    bool allow_upgrades;          /* true */
    bool allow_eio3;              /* false */
    bool http_compression;        /* true: gzip/deflate polling responses >= threshold */
    size_t compression_threshold; /* 1024 bytes */
    /* CORS: NULL (off, the reference default), "*", or a comma-separated list of origins */
    const char *cors_origin;
    bool cors_credentials;            /* false */
    const char *cors_methods;         /* "GET,HEAD,PUT,PATCH,POST,DELETE" as the cors package */
    const char *cors_allowed_headers; /* NULL: reflect Access-Control-Request-Headers */
    /* cookie: NULL (off, the default) or the cookie name ("io"); set on the handshake response */
    const char *cookie_name;
    const char *cookie_path;      /* "/" */
    bool cookie_http_only;        /* true */
    const char *cookie_same_site; /* "Lax"; NULL omits the attribute */
    /* Per-socket send queue bounds (packets waiting in the session's queue, in its polling
     * answer or in its WebSocket's frames, written or not). A send over either bound closes the
     * socket with "transport error" and a warning (the reference's closing of a socket whose
     * buffer overflowed); a volatile send is dropped instead, and a message alone in an empty
     * queue always goes, whatever its size. 0 turns a bound off. */
    size_t max_buffered_packets; /* 10000 */
    size_t max_buffered_bytes;   /* 32 MiB; at most 1 GiB */
} eio_config_t;

/** The largest max_buffered_bytes accepted (1 GiB). */
#define EIO_MAX_BUFFERED_BYTES_LIMIT (1u << 30)

/** What the engine holds now and what its bounds dropped since it started (/metrics). */
typedef struct st_eio_server_stats_t {
    size_t sockets;            /* open sessions */
    size_t queued_packets;     /* over every socket: queued or in flight */
    size_t queued_bytes;       /* their payload bytes (a broadcast shared by N sockets counts N) */
    uint64_t closed_overflow;  /* sockets closed for going over max_buffered_packets/bytes */
    uint64_t volatile_dropped; /* volatile sends dropped (not writable, or over a bound) */
} eio_server_stats_t;

/** Fills `conf` with the reference server's defaults. */
void eio_config_init(eio_config_t *conf);

/** What the engine tells its user. Every callback gets the `data` given to eio_server_new. */
typedef struct st_eio_callbacks_t {
    /** A session was opened (handshake done, open packet queued). */
    void (*on_open)(eio_socket_t *sock, void *data);
    /** A whole message arrived: text (UTF-8) or binary. `msg` is borrowed. */
    void (*on_message)(eio_socket_t *sock, const char *msg, size_t len, bool is_binary, void *data);
    /** The session is closed. Runs once per opened socket, from the loop (never inside a call
     * the user made). `reason` is the reference's name: "transport close", "transport error",
     * "ping timeout", "parse error", "forced close", "server shutting down". The socket is freed
     * after this returns. */
    void (*on_close)(eio_socket_t *sock, const char *reason, void *data);
    /** Optional: the socket's send queue was flushed to the transport. */
    void (*on_drain)(eio_socket_t *sock, void *data);
} eio_callbacks_t;

/** Returns NULL (and logs why) if `conf` is invalid. `conf`, `cb` and `data` are copied or
 * borrowed and must outlive the server. */
eio_server_t *eio_server_new(uv_loop_t *loop, const eio_config_t *conf, const eio_callbacks_t *cb,
                             void *data);
/** Registers the engine's request handler for conf->path on `host`, before h2o_context_init.
 * Returns 0. */
int eio_server_attach(eio_server_t *srv, h2o_globalconf_t *globalconf, h2o_hostconf_t *host);
/** Handles one request whose path was matched by the caller; returns 0 if handled, -1 if the
 * request is not for this server (then the caller tries its next handler). */
int eio_server_handle(eio_server_t *srv, h2o_req_t *req);
/** Starts a graceful stop: every session gets a close packet and is closed (on_close runs for
 * each with reason "server shutting down"); new requests are refused. */
void eio_server_shutdown(eio_server_t *srv);
/** Number of open sessions. */
size_t eio_server_socket_count(const eio_server_t *srv);
/** Fills `st` with the engine's current use and drop counts. */
void eio_server_stats(const eio_server_t *srv, eio_server_stats_t *st);
/** Frees the server; sessions still open are closed without callbacks. NULL is a no-op. */
void eio_server_free(eio_server_t *srv);

/** Flags for eio_socket_send_blob. */
#define EIO_SEND_VOLATILE 0x1u /* drop (return -EAGAIN) if the transport cannot take it now */
#define EIO_SEND_COMPRESS 0x2u /* allow compression (polling responses) */

/** Queues a message; the engine takes a reference on `msg` (the caller keeps its own). Returns
 * 0, -EPIPE if `sock` is closing, -EAGAIN if EIO_SEND_VOLATILE and not writable now, -ENOBUFS
 * if the queue is over max_buffered_packets or max_buffered_bytes (the socket is then closed). */
int eio_socket_send_blob(eio_socket_t *sock, blob_t *msg, bool is_binary, unsigned flags);
/** Copies `len` bytes of `msg` into a blob and queues it, as eio_socket_send_blob. */
int eio_socket_send(eio_socket_t *sock, const char *msg, size_t len, bool is_binary);
/** Starts closing: queued messages are flushed, a close packet is sent, on_close runs later from
 * the loop with `reason` ("forced close" if NULL), never inside this call. */
void eio_socket_close(eio_socket_t *sock, const char *reason);
/** True if a message queued now would be written at once (volatile sends check this). */
bool eio_socket_writable(const eio_socket_t *sock);
/** Packets queued or in flight on `sock` (its queue and its WebSocket), and their bytes in
 * *bytes if not NULL: what a sender pacing itself (a recovery replay) waits to drain. */
size_t eio_socket_queued(const eio_socket_t *sock, size_t *bytes);

/** The session id: 20 URL-safe characters from a CSPRNG. */
const char *eio_socket_id(const eio_socket_t *sock);
/** 3 or 4: the Engine.IO protocol revision of the session. */
int eio_socket_protocol(const eio_socket_t *sock);
/** "polling" or "websocket": the current transport. */
const char *eio_socket_transport(const eio_socket_t *sock);
/** The peer address ("127.0.0.1", "::1"), or "" when unknown. */
const char *eio_socket_remote_address(const eio_socket_t *sock);
/** The raw query string of the handshake request, without the '?' (never NULL). */
const char *eio_socket_query(const eio_socket_t *sock);
/** The handshake URL path with its query ("/socket.io/?EIO=4&transport=polling"). */
const char *eio_socket_url(const eio_socket_t *sock);
/** Handshake headers, lower-case names: `i` from 0; returns false past the last. */
bool eio_socket_header(const eio_socket_t *sock, size_t i, const char **name, const char **value);
/** Value of the handshake header `name` (lower case), or NULL. */
const char *eio_socket_header_find(const eio_socket_t *sock, const char *name);
/** Milliseconds since the Unix epoch of the handshake. */
uint64_t eio_socket_created_ms(const eio_socket_t *sock);
/** True if the handshake came over TLS (always false for now: sioc serves cleartext). */
bool eio_socket_secure(const eio_socket_t *sock);
/** The user's slot, NULL until set. */
void *eio_socket_get_data(const eio_socket_t *sock);
void eio_socket_set_data(eio_socket_t *sock, void *data);
/** The server that owns `sock`. */
eio_server_t *eio_socket_server(const eio_socket_t *sock);

#endif
