/* session.c - one Engine.IO v4 / Socket.IO v5 client session of the load generator.
 *
 * WebSocket only: connect, upgrade (GET ...&transport=websocket), receive the open packet "0{..}",
 * send "40" (CONNECT to "/"), wait for "40{..}": connected.
 *
 * Polling then upgrade, done step by step on one keep-alive HTTP connection so that no long-poll
 * is left pending while probing (a pending GET would be answered by the server's upgrade noop
 * timer, which only adds idle wall time):
 *   1. GET  ?EIO=4&transport=polling            -> "0{"sid":..}"
 *   2. POST ?...&sid=S  body "40"                -> "ok"
 *   3. GET  ?...&sid=S  (Connection: close)      -> "40{..}" (the server closes the connection)
 *   4. WebSocket ?EIO=4&transport=websocket&sid=S, send "2probe", get "3probe", send "5".
 * Connected once both "40{..}" arrived and "5" was sent.
 *
 * Heartbeats: a ping "2" is answered "3" on the transport that carries the session. Closing sends
 * "41" and a close frame and waits for the server to close the TCP connection (so that TIME_WAIT
 * stays on the server's side and the generator's ports are not used up), at most 2 s.
 *
 * Deadlines (connect: --timeout, close: 2 s) are checked by one sweep timer over lg.sessions
 * rather than a timer per session. A session is freed once lg_sess_free was called and its
 * connections are closed. */
#include "tests/bench/loadgen/loadgen.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_MSG       (4u << 20)
#define CLOSE_WAIT_US 2000000u

enum { STEP_HANDSHAKE = 1, STEP_POST_CONNECT, STEP_GET_CONNECT, STEP_DONE };

static buf_t scratch; /* frames being built (one thread) */

static void conn_closed(lg_conn_t *c);

static void maybe_free(lg_sess_t *s)
{
    if (!s->freed || s->in_callback || s->ws != NULL || s->http != NULL)
        return;
    if (s->prev != NULL)
        s->prev->next = s->next;
    else
        lg.sessions = s->next;
    if (s->next != NULL)
        s->next->prev = s->prev;
    buf_dispose(&s->frag);
    free(s->connect_owned);
    free(s);
}

static void end_session(lg_sess_t *s, const char *err)
{
    if (s->state == SESS_ENDED)
        return;
    s->state = SESS_ENDED;
    s->deadline_us = 0;
    lg_conn_close(s->ws);
    lg_conn_close(s->http);
    if (s->cb->on_end != NULL)
        s->cb->on_end(s, err);
}

static void fail(lg_sess_t *s, const char *why)
{
    if (lg.opts.verbose)
        lg_note("session %zu failed: %s", s->index, why);
    end_session(s, why);
}

/* A TCP connect that failed with the libuv error `status`: "connect_ECONNREFUSED", ... */
static void connect_failed(lg_sess_t *s, int status)
{
    char why[64];
    snprintf(why, sizeof(why), "connect_%s", uv_err_name(status));
    fail(s, why);
}

/* Opens one of the session's connections. If even the socket cannot be made (out of
 * descriptors), the failure is reported by the next sweep, so that no callback runs inside
 * lg_sess_start. */
static lg_conn_t *open_conn(lg_sess_t *s, lg_conn_connect_cb on_connect, lg_conn_read_cb on_read)
{
    int err = 0;
    lg_conn_t *c = lg_conn_open(s, on_connect, on_read, conn_closed, &err);
    if (c == NULL) {
        snprintf(s->start_err, sizeof(s->start_err), "socket_%s", uv_err_name(err));
        s->deadline_us = 1;
    }
    return c;
}

static int ws_send(lg_sess_t *s, int opcode, const char *prefix, const char *data, size_t len)
{
    if (s->ws == NULL)
        return -EPIPE;
    scratch.len = 0;
    ws_frame_encode2(&scratch, opcode, prefix, prefix != NULL ? strlen(prefix) : 0, data, len);
    return lg_conn_write(s->ws, scratch.base, scratch.len);
}

static void http_send(lg_sess_t *s, const char *method, const char *body, bool close)
{
    char req[1024];
    int n;
    const char *sidq = s->sid[0] != '\0' ? "&sid=" : "";
    if (body != NULL)
        n = snprintf(req, sizeof(req),
                     "%s /socket.io/?EIO=4&transport=polling%s%s HTTP/1.1\r\nHost: %s:%d\r\n"
                     "Content-Type: text/plain;charset=UTF-8\r\nContent-Length: %zu\r\n%s\r\n%s",
                     method, sidq, s->sid, lg.opts.host, lg.opts.port, strlen(body),
                     close ? "Connection: close\r\n" : "", body);
    else
        n = snprintf(req, sizeof(req),
                     "%s /socket.io/?EIO=4&transport=polling%s%s HTTP/1.1\r\nHost: %s:%d\r\n"
                     "Accept: */*\r\n%s\r\n",
                     method, sidq, s->sid, lg.opts.host, lg.opts.port,
                     close ? "Connection: close\r\n" : "");
    if (n <= 0 || (size_t)n >= sizeof(req) || lg_conn_write(s->http, req, (size_t)n) != 0)
        fail(s, "poll_write");
}

static void check_connected(lg_sess_t *s)
{
    if (s->state != SESS_CONNECTING || !s->nsp_connected || (s->polling && !s->upgraded))
        return;
    s->state = SESS_CONNECTED;
    s->deadline_us = 0;
    if (s->cb->on_connected != NULL)
        s->cb->on_connected(s);
}

/* Extracts "sid":"..." from the open packet's JSON. */
static bool parse_sid(lg_sess_t *s, const char *p, size_t len)
{
    const char *k = memmem(p, len, "\"sid\":\"", 7);
    if (k == NULL)
        return false;
    k += 7;
    const char *e = memchr(k, '"', len - (size_t)(k - p));
    if (e == NULL || (size_t)(e - k) >= sizeof(s->sid) || e == k)
        return false;
    memcpy(s->sid, k, (size_t)(e - k));
    s->sid[e - k] = '\0';
    return true;
}

/* One Engine.IO packet, from either transport. */
static void eio_packet(lg_sess_t *s, char *p, size_t len, bool via_ws)
{
    if (len == 0) {
        fail(s, "empty_packet");
        return;
    }
    switch (p[0]) {
    case '0': /* open */
        if (s->polling) {
            if (!parse_sid(s, p, len))
                fail(s, "bad_open");
            return; /* step 1 completes in http_response */
        }
        if (ws_send(s, WS_OP_TEXT, "4", s->connect_pkt, strlen(s->connect_pkt)) != 0)
            fail(s, "ws_write");
        return;
    case '1':
        if (s->state != SESS_CLOSING)
            fail(s, "eio_close");
        return;
    case '2': /* ping: answer on the transport that carries the session */
        if (via_ws) {
            if (ws_send(s, WS_OP_TEXT, NULL, "3", 1) != 0)
                fail(s, "ws_write");
        } else if (s->http != NULL && s->step == STEP_DONE) {
            http_send(s, "POST", "3", false);
        }
        return;
    case '3':
        if (via_ws && s->polling && !s->upgraded && len == 6 && memcmp(p, "3probe", 6) == 0) {
            if (ws_send(s, WS_OP_TEXT, NULL, "5", 1) != 0) {
                fail(s, "ws_write");
                return;
            }
            s->upgraded = true;
            check_connected(s);
        }
        return;
    case '4': /* message: a Socket.IO packet */
        if (len >= 2 && p[1] == '0') {
            s->nsp_connected = true;
            check_connected(s);
        } else if (len >= 2 && p[1] == '4') {
            fail(s, "connect_error");
        } else if (len >= 2 && p[1] == '1') {
            if (s->state != SESS_CLOSING)
                fail(s, "server_disconnect");
        } else if (s->cb->on_packet != NULL && s->state != SESS_ENDED) {
            s->cb->on_packet(s, p + 1, len - 1);
        }
        return;
    case '6': /* noop */
        return;
    default:
        fail(s, "unknown_packet");
    }
}

/* ---- WebSocket transport ---- */

static void ws_on_connect(lg_conn_t *c, int status)
{
    lg_sess_t *s = c->data;
    if (status != 0) {
        connect_failed(s, status);
        return;
    }
    char path[160];
    if (s->polling)
        snprintf(path, sizeof(path), "/socket.io/?EIO=4&transport=websocket&sid=%s", s->sid);
    else
        snprintf(path, sizeof(path), "/socket.io/?EIO=4&transport=websocket");
    scratch.len = 0;
    ws_upgrade_request(&scratch, lg.opts.host, lg.opts.port, path);
    if (lg_conn_write(c, scratch.base, scratch.len) != 0)
        fail(s, "ws_write");
}

static void ws_frame(lg_sess_t *s, ws_frame_t *f)
{
    switch (f->opcode) {
    case WS_OP_PING:
        if (ws_send(s, WS_OP_PONG, NULL, f->payload, f->len) != 0)
            fail(s, "ws_write");
        return;
    case WS_OP_PONG:
        return;
    case WS_OP_CLOSE:
        if (s->state == SESS_CLOSING)
            return; /* our close was answered: the server closes the TCP connection next */
        ws_send(s, WS_OP_CLOSE, NULL, f->payload, f->len >= 2 ? 2 : 0);
        fail(s, "ws_closed_by_server");
        return;
    case WS_OP_TEXT:
    case WS_OP_BIN:
        if (!f->fin) {
            s->frag.len = 0;
            buf_append_char(&s->frag, f->opcode == WS_OP_TEXT ? 't' : 'b');
            buf_append(&s->frag, f->payload, f->len);
            return;
        }
        if (f->opcode == WS_OP_TEXT)
            eio_packet(s, f->payload, f->len, true);
        return; /* binary attachments are not used by the bench app */
    case WS_OP_CONT:
        if (s->frag.len == 0) {
            fail(s, "ws_bad_continuation");
            return;
        }
        if (s->frag.len + f->len > MAX_MSG) {
            fail(s, "ws_too_big");
            return;
        }
        buf_append(&s->frag, f->payload, f->len);
        if (f->fin) {
            bool text = s->frag.base[0] == 't';
            buf_t msg = s->frag;
            s->frag = (buf_t)BUF_INIT;
            if (text)
                eio_packet(s, msg.base + 1, msg.len - 1, true);
            buf_dispose(&msg);
        }
        return;
    default:
        fail(s, "ws_bad_opcode");
    }
}

static void ws_on_read(lg_conn_t *c, long nread)
{
    lg_sess_t *s = c->data;
    if (nread < 0) {
        if (s->state == SESS_CLOSING)
            end_session(s, NULL);
        else
            fail(s, nread == UV_EOF ? "ws_eof" : "ws_read_error");
        return;
    }
    size_t off = 0;
    if (!s->ws_open) {
        http_resp_t r;
        long n = http_resp_parse(c->rbuf.base, c->rbuf.len, MAX_MSG, &r);
        if (n == -EAGAIN)
            return;
        if (n < 0) {
            fail(s, "ws_bad_response");
            return;
        }
        int status = r.status;
        bool ok = status == 101 && r.upgrade && r.has_accept;
        http_resp_dispose(&r);
        if (!ok) {
            char why[64];
            snprintf(why, sizeof(why), "ws_status_%d", status);
            fail(s, why);
            return;
        }
        s->ws_open = true;
        off = (size_t)n;
        if (s->polling && ws_send(s, WS_OP_TEXT, NULL, "2probe", 6) != 0) {
            fail(s, "ws_write");
            return;
        }
    }
    while (s->state != SESS_ENDED && off < c->rbuf.len) {
        ws_frame_t f;
        long n = ws_frame_parse(c->rbuf.base + off, c->rbuf.len - off, MAX_MSG, &f);
        if (n == -EAGAIN)
            break;
        if (n < 0) {
            fail(s, "ws_bad_frame");
            return;
        }
        off += (size_t)n;
        ws_frame(s, &f);
    }
    if (s->state != SESS_ENDED)
        lg_conn_consume(c, off);
}

/* Opens the WebSocket connection. */
static void ws_start(lg_sess_t *s)
{
    s->ws = open_conn(s, ws_on_connect, ws_on_read);
}

/* ---- polling transport ---- */

static void http_on_connect(lg_conn_t *c, int status)
{
    lg_sess_t *s = c->data;
    if (status != 0) {
        connect_failed(s, status);
        return;
    }
    s->step = STEP_HANDSHAKE;
    http_send(s, "GET", NULL, false);
}

/* Splits a polling payload on the record separator 0x1e. */
static void poll_payload(lg_sess_t *s, char *p, size_t len)
{
    char *end = p + len;
    while (p <= end && s->state != SESS_ENDED) {
        char *sep = memchr(p, 0x1e, (size_t)(end - p));
        char *stop = sep != NULL ? sep : end;
        eio_packet(s, p, (size_t)(stop - p), false);
        if (sep == NULL)
            break;
        p = sep + 1;
    }
}

static void http_response(lg_sess_t *s, http_resp_t *r)
{
    if (r->status != 200) {
        char why[64];
        snprintf(why, sizeof(why), "poll_status_%d", r->status);
        fail(s, why);
        return;
    }
    char *body = r->body.base != NULL ? r->body.base : (char *)"";
    switch (s->step) {
    case STEP_HANDSHAKE:
        poll_payload(s, body, r->body.len);
        if (s->state == SESS_ENDED)
            return;
        if (s->sid[0] == '\0') {
            fail(s, "no_sid");
            return;
        }
        s->step = STEP_POST_CONNECT;
        http_send(s, "POST", s->connect_body, false);
        return;
    case STEP_POST_CONNECT:
        if (r->body.len != 2 || memcmp(body, "ok", 2) != 0) {
            fail(s, "post_not_ok");
            return;
        }
        s->step = STEP_GET_CONNECT;
        http_send(s, "GET", NULL, true);
        return;
    case STEP_GET_CONNECT:
        poll_payload(s, body, r->body.len);
        if (s->state == SESS_ENDED)
            return;
        if (!s->nsp_connected) {
            fail(s, "poll_no_connect");
            return;
        }
        s->step = STEP_DONE;
        ws_start(s); /* the server closes this connection (Connection: close) */
        return;
    default: /* answers to pong POSTs */
        return;
    }
}

static void http_on_read(lg_conn_t *c, long nread)
{
    lg_sess_t *s = c->data;
    if (nread < 0) {
        lg_conn_close(c);
        if (s->step != STEP_DONE && s->state == SESS_CONNECTING)
            fail(s, "poll_eof");
        return;
    }
    size_t off = 0;
    while (s->state != SESS_ENDED && off < c->rbuf.len && !c->closing) {
        http_resp_t r;
        long n = http_resp_parse(c->rbuf.base + off, c->rbuf.len - off, MAX_MSG, &r);
        if (n == -EAGAIN)
            break;
        if (n < 0) {
            fail(s, "poll_bad_response");
            return;
        }
        off += (size_t)n;
        http_response(s, &r);
        http_resp_dispose(&r);
    }
    if (!c->closing)
        lg_conn_consume(c, off);
}

/* ---- lifetime ---- */

static void conn_closed(lg_conn_t *c)
{
    lg_sess_t *s = c->data;
    if (s->ws == c)
        s->ws = NULL;
    if (s->http == c)
        s->http = NULL;
    if (s->state == SESS_CONNECTING && s->ws == NULL && s->http == NULL && s->step != STEP_DONE) {
        s->in_callback = true; /* on_end may call lg_sess_free: free once, below */
        fail(s, "closed");
        s->in_callback = false;
    }
    maybe_free(s);
}

lg_sess_t *lg_sess_start(const lg_sess_cbs_t *cb, void *data, size_t index, bool polling)
{
    lg_sess_t *s = xcalloc(1, sizeof(*s));
    s->cb = cb;
    s->data = data;
    s->index = index;
    s->polling = polling;
    s->connect_pkt = "0";
    s->connect_body = "40";
    s->started_us = lg_now_us();
    s->deadline_us = s->started_us + (uint64_t)(lg.opts.timeout_s * 1e6);
    s->next = lg.sessions;
    if (lg.sessions != NULL)
        lg.sessions->prev = s;
    lg.sessions = s;
    if (polling)
        s->http = open_conn(s, http_on_connect, http_on_read);
    else
        ws_start(s);
    return s;
}

void lg_sess_set_namespace(lg_sess_t *s, const char *nsp, const char *auth_json)
{
    size_t nlen = strlen(nsp);
    if (nlen >= sizeof(s->nsp))
        nlen = sizeof(s->nsp) - 1;
    memcpy(s->nsp, nsp, nlen);
    s->nsp[nlen] = '\0';
    buf_t b = {0};
    buf_printf(&b, "40%s,%s", s->nsp, auth_json != NULL ? auth_json : "");
    s->connect_owned = b.base;
    s->connect_body = b.base;
    s->connect_pkt = b.base + 1; /* over WebSocket, "4" is sent as the frame's prefix */
}

int lg_sess_send(lg_sess_t *s, const char *pkt, size_t len)
{
    if (s->state != SESS_CONNECTED)
        return -EPIPE;
    return ws_send(s, WS_OP_TEXT, "4", pkt, len);
}

void lg_sess_close(lg_sess_t *s)
{
    if (s->state != SESS_CONNECTED) {
        end_session(s, "closed_before_connected");
        return;
    }
    s->state = SESS_CLOSING;
    s->closing_us = lg_now_us();
    s->deadline_us = s->closing_us + CLOSE_WAIT_US;
    scratch.len = 0;
    if (s->nsp[0] != '\0') { /* Socket.IO DISCONNECT of the namespace */
        char pkt[80];
        int n = snprintf(pkt, sizeof(pkt), "41%s,", s->nsp);
        ws_frame_encode(&scratch, WS_OP_TEXT, pkt, (size_t)n);
    } else {
        ws_frame_encode(&scratch, WS_OP_TEXT, "41", 2);
    }
    static const char code[2] = {0x03, (char)0xe8}; /* 1000: normal closure */
    ws_frame_encode(&scratch, WS_OP_CLOSE, code, 2);
    if (lg_conn_write(s->ws, scratch.base, scratch.len) != 0)
        end_session(s, NULL);
}

void lg_sess_free(lg_sess_t *s)
{
    if (s == NULL)
        return;
    s->freed = true;
    s->state = SESS_ENDED;
    lg_conn_close(s->ws);
    lg_conn_close(s->http);
    maybe_free(s);
}

static void on_sweep(uv_timer_t *t)
{
    UNUSED(t);
    uint64_t now = lg_now_us();
    lg_sess_t *next;
    for (lg_sess_t *s = lg.sessions; s != NULL; s = next) {
        next = s->next;
        if (s->deadline_us == 0 || now < s->deadline_us || s->state == SESS_ENDED)
            continue;
        if (s->state == SESS_CLOSING) {
            end_session(s, NULL);
        } else if (s->start_err[0] != '\0') {
            fail(s, s->start_err);
        } else {
            fail(s, s->polling && !s->upgraded ? "timeout_polling" : "timeout");
        }
    }
}

void lg_sess_sweep_start(void)
{
    uv_timer_init(lg.loop, &lg.sweep);
    uv_timer_start(&lg.sweep, on_sweep, 100, 100);
}

void lg_sess_sweep_stop(void)
{
    uv_timer_stop(&lg.sweep);
}
