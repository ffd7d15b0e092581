/* internal.h - the engine's private structures and the calls between its files.
 *
 * Layout: server.c (config, lifecycle, sid table, the idle pass), request.c (routing, verify,
 * handshake), http.c (error bodies, CORS, cookie, compression), socket.c (send queue,
 * heartbeats, packet dispatch, close, accessors), polling.c (held GET, POST), websocket.c (the
 * WebSocket transport and the upgrade), ws_conn.c (RFC 6455 framing on the raw h2o socket),
 * ws_accept.c (the upgrade's accept key), timer.c (fixed-duration timer lists), and the pure codecs
 * (codec.h).
 *
 * Memory per idle socket is kept small: no per-socket uv handles (timers are entries in
 * server-wide lists of one duration each, so a link is O(1) and costs 32 bytes), the handshake
 * request is copied into one compact block, queued messages are refcounted blobs, and an idle
 * WebSocket holds no buffer.
 *
 * Re-entrancy: a send or a close from the user only queues and marks the socket pending; the
 * server's idle pass (uv_idle, started only while something is pending) flushes queues to the
 * transports and finalises closed sockets (on_close, free), so no callback ever runs inside a
 * call the user made. */
#ifndef SIOC_ENGINEIO_INTERNAL_H
#define SIOC_ENGINEIO_INTERNAL_H

#include <h2o.h>
#include <h2o/http1.h>
#include <h2o/websocket.h>

#include "engineio/codec.h"
#include "engineio/engineio.h"

#define EIO_SID_LEN 20

/** One entry of a timer list (see timer.c). */
typedef struct st_eio_timer_entry_t {
    h2o_linklist_t link; /* in a list's entries, ordered by due */
    uint64_t due;        /* uv_now() ms */
} eio_timer_entry_t;

typedef struct st_eio_timer_list_t eio_timer_list_t;
typedef void (*eio_timer_cb)(eio_timer_entry_t *entry);

/** A uv timer plus the entries that all wait the same duration: appending keeps them sorted. */
struct st_eio_timer_list_t {
    uv_timer_t timer;
    uint64_t duration; /* ms */
    h2o_linklist_t entries;
    eio_timer_cb cb;
    void *owner; /* the server */
};

void eio__timer_list_init(eio_timer_list_t *l, uv_loop_t *loop, uint64_t duration, eio_timer_cb cb);
/** (Re)links `e` to expire `l->duration` from now. */
void eio__timer_link(eio_timer_list_t *l, eio_timer_entry_t *e);
void eio__timer_unlink(eio_timer_entry_t *e);
/** Starts uv_close on the list's timer; `close_cb` gets the timer handle. */
void eio__timer_list_close(eio_timer_list_t *l, uv_close_cb close_cb);

enum {
    EIO_TRANSPORT_KIND_POLLING = 0,
    EIO_TRANSPORT_KIND_WEBSOCKET = 1,
};

enum {
    EIO_STATE_OPEN = 0, /* open */
    EIO_STATE_CLOSING,  /* eio_socket_close: flushing, then the close packet */
    EIO_STATE_CLOSED,   /* finalize pending: on_close and free in the idle pass */
};

/** A queued packet. `data` is NULL for packets without data. */
typedef struct st_eio_qitem_t {
    struct st_eio_qitem_t *next;
    blob_t *data;
    uint8_t type; /* eio_packet_type_t */
    bool is_binary;
} eio_qitem_t;

/** Back pointer from a held GET's pool to its socket, NULLed when either side goes away. */
typedef struct st_eio_poll_ref_t {
    eio_socket_t *sock;
} eio_poll_ref_t;

typedef struct st_eio_ws_t eio_ws_t;
typedef struct st_eio_ws_frame_t eio_ws_frame_t;

/** A WebSocket trying to take over a polling session (probe), allocated only while upgrading. */
typedef struct st_eio_upgrade_t {
    eio_socket_t *sock;
    eio_ws_t *ws;
    eio_timer_entry_t timeout; /* srv->upgrade_timers */
    bool probed;               /* 2probe seen, 3probe sent */
} eio_upgrade_t;

/** One WebSocket connection (ws_conn.c). Owned by ws_conn.c: freed after on_close. */
struct st_eio_ws_t {
    h2o_socket_t *sock;     /* NULL until the 101 is written, and after teardown */
    eio_socket_t *owner;    /* the session using it; NULL when detached (no callbacks) */
    eio_upgrade_t *upgrade; /* set while this conn is a probe */
    eio_ws_frame_t *out_head, **out_tail; /* queued frames */
    eio_ws_frame_t *inflight;             /* frames of the write in flight */
    eio_ws_frame_t *pong;                 /* a queued pong not yet in flight, or NULL */
    char *frag;                           /* a fragmented message being gathered, or NULL */
    eio_server_t *srv;                    /* its close timers, its limits, its totals */
    eio_timer_entry_t close_timer;
    /* 32-bit counts keep the struct at 120 bytes, a 128-byte malloc chunk (was 144) */
    uint32_t queued;       /* frames queued or in flight */
    uint32_t queued_bytes; /* their payload bytes (the send bound is below 4 GiB) */
    uint32_t frag_len;     /* <= the server's max_http_buffer_size */
    int fd; /* the socket's fd once sock is set: the send fast path needs no lookup */
    uint16_t close_code;
    uint8_t frag_opcode; /* 0 when no fragmented message is open */
    bool writing;
    bool closing;     /* our close frame is queued */
    bool close_sent;  /* ... and written */
    bool peer_closed; /* the peer's close frame arrived */
    bool failed;      /* protocol error: close without waiting for the peer */
};

struct st_eio_socket_t {
    eio_server_t *srv;
    h2o_linklist_t link;         /* srv->sockets */
    h2o_linklist_t pending_link; /* srv->pending while a flush or finalize is due */
    eio_socket_t *hash_next;     /* srv->buckets chain */
    eio_timer_entry_t hb;        /* ping interval, ping timeout or close timeout */
    eio_qitem_t *q_head, **q_tail;
    h2o_req_t *poll_req; /* the held GET */
    eio_poll_ref_t *poll_ref;
    eio_ws_t *ws; /* the current WebSocket (transport websocket) */
    eio_upgrade_t *upgrade;
    const char *close_reason; /* static string */
    char *info;               /* url\0remote\0{name\0value\0}* */
    /* 32-bit sizes keep the struct at 200 bytes, a 208-byte malloc chunk */
    uint32_t q_bytes; /* payload bytes in q_head (the send bound is below 4 GiB) */
    uint32_t q_count;
    uint64_t created_ms;
    void *data;
    uint16_t header_count;
    uint32_t query_off; /* offset of the query in info (after the ?), or of the url NUL */
    char sid[EIO_SID_LEN + 1];
    uint8_t protocol;  /* 3 or 4 */
    uint8_t transport; /* EIO_TRANSPORT_KIND_* */
    uint8_t state;     /* EIO_STATE_* */
    bool hb_refreshed; /* v4: the ping timeout was refreshed once by a non-pong packet */
    bool in_pending;
    bool opened; /* on_open ran: on_close is owed */
    bool upgraded;
    bool send_close; /* the close packet is still to be sent */
    bool b64;        /* v3: the client asked for base64 (b64=1) */
    bool jsonp;      /* the handshake had `j`: JSONP polling */
    bool wait_ping;  /* v4: a ping was sent, waiting for the pong */
};

/** The h2o handler registered by eio_server_attach. */
typedef struct st_eio_handler_t {
    h2o_handler_t super;
    eio_server_t *srv; /* NULL once the server is freed */
} eio_handler_t;

struct st_eio_server_t {
    uv_loop_t *loop;
    eio_config_t conf;
    eio_callbacks_t cb;
    void *data;
    h2o_linklist_t sockets;
    h2o_linklist_t pending;
    eio_socket_t **buckets;
    size_t nbuckets;
    size_t count;
    uv_idle_t idle;
    bool shutting_down;
    bool freeing;
    int handles_open; /* uv handles not yet closed, the server is freed at 0 */
    eio_timer_list_t ping_interval_timers;
    eio_timer_list_t ping_timeout_timers;
    eio_timer_list_t v3_timeout_timers; /* pingInterval + pingTimeout */
    eio_timer_list_t upgrade_timers;
    eio_timer_list_t close_timers;
    eio_timer_list_t ws_close_timers; /* WebSocket close handshakes */
    eio_handler_t *handler;
    eio_server_stats_t stats; /* queued_* kept up to date by socket.c and ws_conn.c */
};

/** What verify() looks at in a request, parsed by request.c. */
typedef struct st_eio_req_info_t {
    bool is_get;
    bool upgrade;       /* a WebSocket handshake (Upgrade: websocket with a key) */
    unsigned transport; /* EIO_TRANSPORT_* of the transport parameter, 0 if unknown */
    bool has_sid;       /* a non-empty sid parameter */
    int protocol;       /* 4 if EIO=4, else 3 (the reference's computeProtocolRevision) */
    bool origin_invalid;
} eio_req_info_t;

/** The reference's verify() + handshake() checks. `sock` is the session named by the sid (NULL
 * if unknown). Returns -1 if the request may proceed, else the eio_error_code_t to answer. */
int eio__verify(const eio_config_t *conf, const eio_req_info_t *ri, const eio_socket_t *sock);
/** Builds the open packet's JSON for a new session on `transport` (EIO_TRANSPORT_KIND_*). */
blob_t *eio__open_packet_json(const eio_config_t *conf, const char *sid, int transport);

/* server.c */
/** The open (not CLOSED) session with this sid, or NULL. */
eio_socket_t *eio__server_find(eio_server_t *srv, const char *sid);
void eio__server_add(eio_server_t *srv, eio_socket_t *sock);
void eio__server_remove(eio_server_t *srv, eio_socket_t *sock);
/** Puts `sock` on the pending list so the idle pass flushes or finalises it. */
void eio__socket_mark_pending(eio_socket_t *sock);

/* http.c */
/** Answers `req` with HTTP 400 (403 for FORBIDDEN) and the reference's JSON error body. */
void eio__respond_error(eio_server_t *srv, h2o_req_t *req, eio_error_code_t code);
/** Answers with a status and a small text body (content-type text/html, as the reference). */
void eio__respond_plain(eio_server_t *srv, h2o_req_t *req, int status, const char *body);
/** Adds the CORS headers of a simple (non-preflight) request, if CORS is on. */
void eio__add_cors_headers(eio_server_t *srv, h2o_req_t *req);
/** Answers an OPTIONS preflight as the cors package does (204). */
void eio__respond_preflight(eio_server_t *srv, h2o_req_t *req);
/** Sends a polling payload (200, text/plain, or octet-stream if `binary`), compressed when
 * allowed; with the handshake cookie when `set_cookie_sid` is set. */
void eio__respond_payload(eio_server_t *srv, h2o_req_t *req, const char *body, size_t len,
                          bool compress, const char *set_cookie_sid, bool binary);
/** Adds the handshake's Set-Cookie (`<cookie_name>=<sid>; Path=...`) if the cookie is on. */
void eio__add_cookie_header(eio_server_t *srv, h2o_req_t *req, const char *sid);
/** Refuses a WebSocket upgrade as the reference's abortUpgrade: 400, Connection: close,
 * text/html, the bare message as the body. */
void eio__respond_upgrade_error(eio_server_t *srv, h2o_req_t *req, eio_error_code_t code);
/** The JSON message of an error code. */
const char *eio__error_message(eio_error_code_t code);
/** True if the header value has a character Node refuses in a header (checkInvalidHeaderChar). */
bool eio__header_value_invalid(const char *v, size_t len);
/** Picks "gzip", "deflate" or NULL from an Accept-Encoding value (q=0 excludes). */
const char *eio__pick_encoding(const char *v, size_t len);
/** Returns the value of Access-Control-Allow-Origin for `origin` under `conf_origin` (NULL: no
 * header), and whether Vary: Origin is due. */
const char *eio__cors_allow_origin(const char *conf_origin, const char *origin, size_t origin_len,
                                   bool *vary);

/* socket.c */
eio_socket_t *eio__socket_new(eio_server_t *srv, h2o_req_t *req, int protocol, int transport);
void eio__socket_free(eio_socket_t *sock);
/** Queues a packet (takes the ref on `data`, which may be NULL). Returns 0, -EPIPE or -ENOBUFS. */
int eio__socket_queue(eio_socket_t *sock, eio_packet_type_t type, blob_t *data, bool is_binary);
/** The transport took every queued item (freed or handed on): resets the queue and its counts. */
void eio__socket_queue_taken(eio_socket_t *sock);
/** Handles one decoded packet from the current transport. */
void eio__socket_on_packet(eio_socket_t *sock, const eio_packet_t *pkt);
/** Closes at once (transport gone, timeout, error): no more flushing; on_close from the loop. */
void eio__socket_close_now(eio_socket_t *sock, const char *reason);
/** Flushes the queue to the transport if it can take it; finalises a closed socket. */
void eio__socket_flush(eio_socket_t *sock);
/** on_close + free; called from the idle pass only. */
void eio__socket_finalize(eio_socket_t *sock, bool callbacks);
void eio__socket_schedule_ping(eio_socket_t *sock);
void eio__hb_expired(eio_socket_t *sock, int which);

/* polling.c */
/** Handles GET/POST for an existing polling socket. */
void eio__polling_on_request(eio_socket_t *sock, h2o_req_t *req);
/** Sends the queue (and a close packet if due) on the held GET, if any. Returns true if sent. */
bool eio__polling_flush(eio_socket_t *sock);
/** Answers the held GET (if any) with `type` alone (noop or close). */
void eio__polling_answer(eio_socket_t *sock, eio_packet_type_t type);
/** Holds a GET for the handshake response (the open packet is queued, so it answers at once). */
void eio__polling_hold(eio_socket_t *sock, h2o_req_t *req);

/* websocket.c */
/** Upgrades `req` (key from h2o_is_websocket_handshake). `sock` NULL: a new session over
 * WebSocket is created (returns it); else a probe for an existing polling session. */
eio_socket_t *eio__websocket_accept(eio_server_t *srv, eio_socket_t *sock, h2o_req_t *req,
                                    const char *key, int protocol);
/** Sends the queue to the socket's WebSocket (and the close packet if due). */
void eio__websocket_flush(eio_socket_t *sock);
/** Writes one packet on the socket's WebSocket now (the caller checked it is idle); takes over
 * the ref on `data`. */
void eio__websocket_send_now(eio_socket_t *sock, eio_packet_type_t type, blob_t *data,
                             bool is_binary);
/** Detaches `ws` from its socket and closes it (a close packet first if `send_close`). */
void eio__websocket_close_conn(eio_ws_t *ws, bool send_close);
/** Cancels an upgrade in progress (timeout, socket closed). */
void eio__upgrade_cancel(eio_socket_t *sock);
/** From ws_conn.c: a whole message arrived on `ws`. */
void eio__websocket_on_message(eio_ws_t *ws, const char *msg, size_t len, bool is_binary);
/** From ws_conn.c: `ws` is gone (code: 1000 normal, 1002 protocol error, 1006 abnormal, 1009
 * message too big, or the peer's code); it is freed when this returns. */
void eio__websocket_on_close(eio_ws_t *ws, int code);

/* ws_conn.c */
/** Answers `req` with 101 and takes over its socket. Returns the conn (sending may start now;
 * frames wait for the 101 to be written). Messages over srv's max_http_buffer_size close it with
 * 1009. */
eio_ws_t *eio__ws_upgrade(h2o_req_t *req, const char *key, eio_server_t *srv);
/** Queues a data frame: the optional one-byte `prefix` (-1 for none) then the payload, taken
 * from `blob` (the ref is taken over) or copied from data/len. Dropped once closing. */
void eio__ws_send(eio_ws_t *ws, bool is_binary, int prefix, blob_t *blob, const char *data,
                  size_t len);
/** Starts the close handshake with `code`; the owner's on_close follows later. */
void eio__ws_close(eio_ws_t *ws, uint16_t code);
/** True if a frame queued now would be written at once. */
bool eio__ws_writable(const eio_ws_t *ws);
/** The callback of srv->ws_close_timers. */
void eio__ws_close_timeout(eio_timer_entry_t *e);

/* ws_accept.c */
/** Length of a Sec-WebSocket-Key: base64 of 16 bytes. */
#define EIO_WS_KEY_LEN 24
/** Sec-WebSocket-Accept for a client key of exactly EIO_WS_KEY_LEN characters (as
 * h2o_is_websocket_handshake checked; not NUL-terminated): base64(SHA-1(key + GUID)) and a NUL. */
void eio__ws_accept_key(const char *client_key, char out[29]);

#endif
