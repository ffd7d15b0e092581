/* loadgen.h - the benchmark's load generator (sioc_loadgen): a single-threaded libuv client that
 * speaks Engine.IO v4 / Socket.IO v5 itself, over WebSocket (its own minimal RFC 6455 client) and
 * over HTTP long-polling with the upgrade to WebSocket, so that it costs far less CPU than the
 * servers it measures.
 *
 * Layers, one file each:
 *   ws.c       WebSocket codec: upgrade request, frame encode (masked) / decode (no I/O)
 *   http.c     HTTP/1.1 response parser (Content-Length and chunked; no I/O)
 *   conn.c     one TCP connection: connect from a spread of source addresses, reads into a shared
 *              buffer, ordered writes
 *   session.c  one Engine.IO/Socket.IO client session over one or two connections: handshake,
 *              namespace connect, heartbeats, upgrade, close, timeouts
 *   hist.c     latency histogram;  procstat.c  /proc figures of the measured server
 *   mode_*.c   the scenarios (idle, echo, fanout, handshake, chat);  main.c  options and the JSON
 * line
 *
 * Everything runs on one loop thread. Sessions are owned by the modes; a session reports through
 * lg_sess_cbs_t and is freed only once its connections are closed (lg_sess_free defers). */
#ifndef SIOC_LOADGEN_H
#define SIOC_LOADGEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "base/base.h"

/* ---- options and run context ---- */

typedef struct st_lg_opts_t {
    const char *mode;   /* idle | echo | fanout | handshake | chat */
    const char *host;   /* destination address, "127.0.0.1" */
    int port;           /* destination port */
    int pid;            /* server pid for /proc figures; 0: none */
    int db_pid;         /* database server (postmaster) pid: its CPU and its children's; 0: none */
    const char *tokens; /* chat: file of "<chatId> <accessToken>" lines, one per client */
    unsigned clients;   /* sessions to hold (idle, echo, fanout) or in flight (handshake) */
    unsigned addrs;     /* source addresses 127.0.0.1 .. 127.0.0.<addrs> */
    unsigned concurrency; /* connects in progress at most while ramping up */
    double warmup_s;      /* load before the measured window */
    double duration_s;    /* measured window (echo, fanout, handshake) */
    double hold_s;        /* idle: how long to hold the connections once all are up */
    double drain_s;       /* after the window: wait at most this long for outstanding replies */
    double timeout_s;     /* a session that is not connected within this is a failure */
    double rate;          /* echo: emits per second over all clients; 0: closed loop */
    unsigned window;      /* fanout: broadcasts in flight */
    unsigned payload;     /* echo: bytes of filler string in each emit */
    bool polling;         /* sessions start on polling and upgrade (handshake mode) */
    bool verbose;
} lg_opts_t;

/** The run-wide state every file shares (one loop, one thread). */
typedef struct st_lg_t {
    uv_loop_t *loop;
    lg_opts_t opts;
    struct sockaddr_in dest;
    unsigned next_addr;            /* round-robin over the source addresses */
    unsigned live_conns;           /* TCP handles not yet closed */
    struct st_lg_sess_t *sessions; /* every live session (intrusive list), for the timeout sweep */
    uv_timer_t sweep;              /* timeouts of connecting and closing sessions */
    buf_t out;                     /* the JSON result being built */
} lg_t;

extern lg_t lg;

/** Microseconds from an arbitrary origin (monotonic). */
uint64_t lg_now_us(void);
/** Cheap PRNG (xorshift64*) for masks and keys: not for secrets. */
uint64_t lg_rand(void);

/* ---- ws.c: RFC 6455 client codec ---- */

#define WS_OP_CONT  0x0
#define WS_OP_TEXT  0x1
#define WS_OP_BIN   0x2
#define WS_OP_CLOSE 0x8
#define WS_OP_PING  0x9
#define WS_OP_PONG  0xA

typedef struct st_ws_frame_t {
    bool fin;
    int opcode;
    char *payload; /* points into the parsed input (unmasked in place) */
    size_t len;
} ws_frame_t;

/** Appends a masked client frame carrying `len` bytes of `data` to `out`. */
void ws_frame_encode(buf_t *out, int opcode, const void *data, size_t len);
/** The same for the bytes of `prefix` followed by those of `data`, in one frame. */
void ws_frame_encode2(buf_t *out, int opcode, const char *prefix, size_t plen, const void *data,
                      size_t len);
/** Parses one frame at the start of `p`. Returns the bytes it used, -EAGAIN if more input is
 * needed, -EBADMSG if the frame is invalid or longer than `max_len`. */
long ws_frame_parse(char *p, size_t len, size_t max_len, ws_frame_t *f);
/** Appends the upgrade request for `path` (with its query) to `out`. */
void ws_upgrade_request(buf_t *out, const char *host, int port, const char *path);

/* ---- http.c: HTTP/1.1 response parser ---- */

typedef struct st_http_resp_t {
    int status;
    bool close;      /* Connection: close */
    bool upgrade;    /* Upgrade: websocket */
    bool has_accept; /* Sec-WebSocket-Accept present */
    buf_t body;      /* decoded body (owned; http_resp_dispose frees it) */
} http_resp_t;

/** Parses one response at the start of `p` (a 101 has no body). Returns bytes used, -EAGAIN if
 * more input is needed, -EBADMSG if malformed or bigger than `max_len`. On success `r` holds the
 * response; on failure nothing is left to free. */
long http_resp_parse(const char *p, size_t len, size_t max_len, http_resp_t *r);
void http_resp_dispose(http_resp_t *r);

/* ---- conn.c: one TCP connection ---- */

typedef struct st_lg_conn_t lg_conn_t;
typedef void (*lg_conn_connect_cb)(lg_conn_t *c, int status);
/** Data arrived: `c->rbuf` holds every unconsumed byte; the callback consumes with
 * lg_conn_consume. `nread` < 0 is EOF or an error (the connection is then closed by the caller). */
typedef void (*lg_conn_read_cb)(lg_conn_t *c, long nread);
typedef void (*lg_conn_close_cb)(lg_conn_t *c);

struct st_lg_conn_t {
    uv_tcp_t tcp;
    uv_connect_t creq;
    void *data; /* the owning session */
    buf_t rbuf; /* received, not yet consumed */
    bool connected;
    bool closing;
    lg_conn_connect_cb on_connect;
    lg_conn_read_cb on_read;
    lg_conn_close_cb on_close;
};

/** Allocates a connection and starts connecting to lg.dest from the next source address.
 * Returns NULL and sets *err (negative errno) if the socket could not even be created. */
lg_conn_t *lg_conn_open(void *data, lg_conn_connect_cb on_connect, lg_conn_read_cb on_read,
                        lg_conn_close_cb on_close, int *err);
/** Writes in order (what the socket does not take now is copied and queued). Returns 0 or a
 * negative errno. */
int lg_conn_write(lg_conn_t *c, const void *data, size_t len);
/** Drops `n` bytes from the front of c->rbuf. */
void lg_conn_consume(lg_conn_t *c, size_t n);
/** Starts closing; on_close runs from the loop, then the connection is freed. Idempotent. */
void lg_conn_close(lg_conn_t *c);

/* ---- session.c: one Engine.IO v4 + Socket.IO v5 client ---- */

typedef struct st_lg_sess_t lg_sess_t;

typedef struct st_lg_sess_cbs_t {
    /** The namespace "/" is connected (and, for polling, the upgrade to WebSocket is done). */
    void (*on_connected)(lg_sess_t *s);
    /** A Socket.IO packet other than CONNECT arrived, without the Engine.IO type ("2[...]" for
     * an EVENT, "3N[...]" for an ACK): borrowed, writable. */
    void (*on_packet)(lg_sess_t *s, char *pkt, size_t len);
    /** The session is over: `err` is NULL after a close we asked for, else why it failed. The
     * mode may call lg_sess_free from here. */
    void (*on_end)(lg_sess_t *s, const char *err);
} lg_sess_cbs_t;

typedef enum en_lg_sess_state_t {
    SESS_CONNECTING = 0, /* TCP + HTTP handshake + namespace connect */
    SESS_CONNECTED,      /* namespace "/" connected over WebSocket */
    SESS_CLOSING,        /* "41" and a close frame sent; waiting for the server to close */
    SESS_ENDED,          /* on_end ran */
} lg_sess_state_t;

struct st_lg_sess_t {
    const lg_sess_cbs_t *cb;
    void *data;   /* the mode's */
    size_t index; /* the mode's */
    lg_sess_state_t state;
    bool polling;       /* started on polling: upgrade pending until `upgraded` */
    bool upgraded;      /* WebSocket carries the session ("5" sent) */
    bool nsp_connected; /* "40{...}" received */
    bool freed;         /* lg_sess_free called: free once the connections are closed */
    bool in_callback;   /* session.c is inside on_end and frees after it returns */
    int step;           /* polling handshake step (session.c) */
    char sid[48];
    char nsp[32];            /* the namespace ("" for "/") */
    const char *connect_pkt; /* the CONNECT packet without the Engine.IO type: "0", "0/chat,{..}" */
    const char *connect_body; /* the same with it, for a polling POST: "40", "40/chat,{..}" */
    char *connect_owned;      /* what lg_sess_set_namespace allocated */
    char start_err[48];       /* a connection that could not even be created: failed by the sweep */
    lg_conn_t *ws;            /* the WebSocket connection (NULL until opened) */
    lg_conn_t *http;          /* the polling connection (NULL when closed) */
    buf_t frag;               /* a fragmented WebSocket message being reassembled */
    bool ws_open;             /* 101 received */
    uint64_t deadline_us;     /* connect or close deadline (0: none) */
    uint64_t started_us;
    uint64_t closing_us;              /* when lg_sess_close was called */
    struct st_lg_sess_t *prev, *next; /* lg.sessions */
};

/** Starts a session (WebSocket only, or polling then upgrade when `polling`). Callbacks run
 * later, never inside this call. */
lg_sess_t *lg_sess_start(const lg_sess_cbs_t *cb, void *data, size_t index, bool polling);
/** Makes the session connect to namespace `nsp` ("/chat") with the CONNECT payload `auth_json`
 * (`{"token":".."}`, or NULL) instead of "/". Call right after lg_sess_start. Packets of that
 * namespace then reach on_packet with their prefix ("2/chat,[...]"). */
void lg_sess_set_namespace(lg_sess_t *s, const char *nsp, const char *auth_json);
/** Sends one Socket.IO packet ("2[...]", "2N[...]") as an Engine.IO message ("4" + packet).
 * Returns 0, or -EPIPE unless connected. */
int lg_sess_send(lg_sess_t *s, const char *pkt, size_t len);
/** Sends "41" and a close frame, then waits for the server to close (on_end(NULL)); at most 2 s.
 * A session that is not connected ends at once (on_end runs inside this call). */
void lg_sess_close(lg_sess_t *s);
/** Releases the session: closes what is still open without callbacks, frees when closed. */
void lg_sess_free(lg_sess_t *s);
/** Starts the sweep timer that enforces the connect/close deadlines. */
void lg_sess_sweep_start(void);
void lg_sess_sweep_stop(void);

/* ---- hist.c: latency histogram (microseconds, ~1.5% buckets) ---- */

#define HIST_BUCKETS 2560
typedef struct st_lg_hist_t {
    uint64_t count;
    uint64_t max;
    uint64_t sum;
    uint64_t b[HIST_BUCKETS];
} lg_hist_t;

void hist_add(lg_hist_t *h, uint64_t us);
/** The value at quantile `q` (0..1), as the middle of its bucket; 0 if empty. */
uint64_t hist_quantile(const lg_hist_t *h, double q);
/** Appends `"name":{"n":..,"p50":..,"p99":..,"p999":..,"max":..,"mean":..}` (microseconds). */
void hist_json(buf_t *out, const char *name, const lg_hist_t *h);

/* ---- failures: counted per reason ---- */

void lg_fail_count(const char *reason);
unsigned long lg_fail_total(void);
/** Appends `"failures":N,"failure_reasons":{...}`. */
void lg_fail_json(buf_t *out);

/* ---- procstat.c ---- */

typedef struct st_lg_proc_sample_t {
    double server_cpu_s;      /* CPU time of lg.opts.pid's threads (schedstat, ns), -1: unknown */
    double server_cpu_stat_s; /* utime+stime of lg.opts.pid from /proc/<pid>/stat (10 ms ticks) */
    long server_rss_kb;       /* VmRSS, -1 if unknown */
    double db_cpu_s;          /* CPU time of --db-pid and its children, -1: none */
    double core_busy_s;       /* busy time of the core the server is pinned to, -1: not pinned */
    double core_softirq_s;    /* of which softirq */
    double self_cpu_s;        /* this process, user+system */
    uint64_t t_us;            /* lg_now_us() */
} lg_proc_sample_t;

void lg_proc_sample(lg_proc_sample_t *s);
/** Appends `"name":{"wall_s":..,"server_cpu_s":..,"server_cpu_stat_s":..,"loadgen_cpu_s":..}`
 * for the span a..b. */
void lg_proc_span_json(buf_t *out, const char *name, const lg_proc_sample_t *a,
                       const lg_proc_sample_t *b);

/* ---- pool.c: N sessions held open (idle, echo, fanout) ---- */

typedef struct st_lg_pool_t {
    lg_sess_t **sess; /* n slots; NULL once that session ended */
    unsigned n;
    unsigned started;   /* sessions started so far (the ramp) */
    unsigned connected; /* currently connected */
    unsigned failed;    /* sessions that ended with an error (before or after connecting) */
    unsigned dropped;   /* of those, sessions that had been connected */
    bool settled;       /* every session is connected or failed */
    void (*on_packet)(lg_sess_t *s, char *pkt, size_t len); /* the mode's */
    void (*on_start)(lg_sess_t *s); /* the mode's, right after each lg_sess_start (or NULL) */
} lg_pool_t;

extern lg_pool_t lg_pool;

/** Opens `n` WebSocket sessions, at most --concurrency connecting at once, and runs the loop until
 * each is connected or failed (or --timeout more seconds pass). Returns the number connected. */
unsigned lg_pool_open(unsigned n, void (*on_packet)(lg_sess_t *s, char *pkt, size_t len));

/* ---- modes ---- */

/** Each runs the loop to the end of the scenario and appends its fields to lg.out. Returns 0, or
 * non-zero if the scenario could not run at all. */
int mode_idle_run(void);
int mode_echo_run(void);
int mode_fanout_run(void);
int mode_handshake_run(void);
int mode_chat_run(void);

/** `sioc_loadgen selftest` (selftest.c): parser and histogram checks; returns the exit code. */
int lg_selftest(void);

/** Helpers shared by the modes (main.c). */
/** Runs the loop until `*done` or until `seconds` pass (seconds <= 0: no time limit, unless
 * `done` is NULL too: then one non-blocking turn). */
void lg_run_until(const bool *done, double seconds);
/** Runs the loop for `seconds`. */
void lg_run_for(double seconds);
/** Logs progress to stderr when --verbose. */
void lg_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
