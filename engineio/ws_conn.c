/* ws_conn.c - a small RFC 6455 server connection on the raw h2o socket that h2o_http1_upgrade
 * hands over, used instead of h2o_upgrade_to_websocket + wslay because wslay allocates two
 * contexts of about 4.3 KB each per connection (measured with massif: 83% of the memory of an
 * idle WebSocket); this one costs about 150 bytes when idle.
 *
 * Reading: frames are parsed in place from the socket's input buffer (client frames must be
 * masked; they are unmasked there). A whole unfragmented message is delivered without a copy;
 * fragments are gathered in a buffer that exists only while a fragmented message is open.
 * Messages over max_http_buffer_size close with 1009, protocol errors with 1002. Ping is answered
 * with pong; a pong still queued is rewritten instead of queueing another, so pings cannot grow the
 * queue. Once nothing is left unread, the socket's input buffer is handed back to h2o so an idle
 * connection holds none.
 *
 * Writing: a frame sent while nothing is queued or in flight goes out at once with one sendmsg
 * of its header and payload (no malloc, no libuv write request, no callback: libuv 1.44 also
 * re-arms the epoll watcher with an epoll_ctl after every completed uv_write, which made a
 * fan-out delivery two syscalls); this is what a broadcast to idle sockets does. Otherwise, or
 * when the kernel buffer is full, frames are queued (a blob payload is referenced, not copied,
 * so a broadcast is shared) and written in batches of iovecs through h2o, one write in flight.
 * Sending never calls back, so it is safe from anywhere, including a message callback.
 *
 * Closing: eio__ws_close() queues a close frame; the TCP connection is closed once the peer's
 * close frame came back after ours was written, or after a short timer, or at EOF/error. The
 * owner's close callback runs exactly once (unless it detached) and never inside one of the
 * owner's calls to this file; the conn is freed right after it. */
#include "engineio/internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>

#define OP_CONT   EIO_WS_OP_CONT
#define OP_TEXT   EIO_WS_OP_TEXT
#define OP_BINARY EIO_WS_OP_BINARY
#define OP_CLOSE  EIO_WS_OP_CLOSE
#define OP_PING   EIO_WS_OP_PING
#define OP_PONG   EIO_WS_OP_PONG

#define MAX_IOVECS          64  /* frames per write: 2 iovecs each */
#define MAX_CONTROL_PAYLOAD 125 /* RFC 6455 5.5 */

/** A queued frame: header (with the optional one-byte prefix) and payload. */
struct st_eio_ws_frame_t {
    eio_ws_frame_t *next;
    blob_t *blob; /* the payload when referenced, else NULL and the payload is inline */
    size_t len;   /* payload bytes (without the prefix) */
    uint8_t hdr_len;
    char hdr[15];
    char inline_data[];
};

static void start_write(eio_ws_t *ws);

/* Frees a list of frames, taking each off the conn's and the server's queued counts. */
static void free_frames(eio_ws_t *ws, eio_ws_frame_t *f)
{
    while (f != NULL) {
        eio_ws_frame_t *next = f->next;
        ws->queued--;
        ws->queued_bytes -= (uint32_t)f->len;
        ws->srv->stats.queued_packets--;
        ws->srv->stats.queued_bytes -= f->len;
        blob_unref(f->blob);
        free(f);
        f = next;
    }
}

/* Ends the connection: closes the TCP socket, tells the owner, frees. */
static void teardown(eio_ws_t *ws, int code)
{
    eio__timer_unlink(&ws->close_timer);
    if (ws->sock != NULL) {
        ws->sock->data = NULL;
        h2o_socket_close(ws->sock);
        ws->sock = NULL;
    }
    free_frames(ws, ws->out_head);
    free_frames(ws, ws->inflight);
    free(ws->frag);
    if (ws->owner != NULL || ws->upgrade != NULL)
        eio__websocket_on_close(ws, code);
    free(ws);
}

void eio__ws_close_timeout(eio_timer_entry_t *e)
{
    eio_ws_t *ws = H2O_STRUCT_FROM_MEMBER(eio_ws_t, close_timer, e);
    teardown(ws, ws->close_code);
}

/* Encodes a frame header (FIN, opcode, length, the optional prefix byte) into hdr[15];
 * returns its length. */
static uint8_t header_encode(char *hdr, int opcode, int prefix, size_t len)
{
    size_t total = len + (prefix >= 0 ? 1 : 0);
    uint8_t n;
    hdr[0] = (char)(0x80 | opcode);
    if (total < 126) {
        hdr[1] = (char)total;
        n = 2;
    } else if (total <= 0xFFFF) {
        hdr[1] = 126;
        hdr[2] = (char)(total >> 8);
        hdr[3] = (char)total;
        n = 4;
    } else {
        hdr[1] = 127;
        for (int i = 0; i < 8; i++)
            hdr[2 + i] = (char)((uint64_t)total >> (56 - 8 * i));
        n = 10;
    }
    if (prefix >= 0)
        hdr[n++] = (char)prefix;
    return n;
}

/* Sets the frame's header and its length. */
static void frame_set_header(eio_ws_frame_t *f, int opcode, int prefix, size_t len)
{
    f->len = len;
    f->hdr_len = header_encode(f->hdr, opcode, prefix, len);
}

/* Appends a filled frame to the send queue. */
static void enqueue(eio_ws_t *ws, eio_ws_frame_t *f)
{
    f->next = NULL;
    *ws->out_tail = f;
    ws->out_tail = &f->next;
    ws->queued++;
    ws->queued_bytes += (uint32_t)f->len;
    ws->srv->stats.queued_packets++;
    ws->srv->stats.queued_bytes += f->len;
}

/* Queues a frame; `room` is the inline capacity to reserve (at least len when blob is NULL). */
static eio_ws_frame_t *queue_frame(eio_ws_t *ws, int opcode, int prefix, blob_t *blob,
                                   const char *data, size_t len, size_t room)
{
    eio_ws_frame_t *f = xmalloc(sizeof(*f) + (blob == NULL ? room : 0));
    f->blob = blob;
    frame_set_header(f, opcode, prefix, len);
    if (blob == NULL && len != 0)
        memcpy(f->inline_data, data, len);
    enqueue(ws, f);
    return f;
}

/* Answers a ping. A pong still queued (not yet written) is rewritten with the new payload
 * instead of queueing another one, as RFC 6455 5.5.3 allows: a peer that pings without reading
 * cannot grow the queue. */
static void queue_pong(eio_ws_t *ws, const char *payload, size_t len)
{
    if (ws->pong != NULL) {
        ws->queued_bytes -= (uint32_t)ws->pong->len;
        ws->srv->stats.queued_bytes -= ws->pong->len;
        frame_set_header(ws->pong, OP_PONG, -1, len);
        ws->queued_bytes += (uint32_t)len;
        ws->srv->stats.queued_bytes += len;
        memcpy(ws->pong->inline_data, payload, len);
        return;
    }
    ws->pong = queue_frame(ws, OP_PONG, -1, NULL, payload, len, MAX_CONTROL_PAYLOAD);
}

/* The fast path of a send (see the top comment): with nothing queued or in flight, the frame
 * goes straight to the kernel with one sendmsg. A short write queues the rest (copied: rare);
 * EAGAIN or an error queues nothing and returns false, so the frame takes the queued path,
 * whose h2o write reports the error. Takes over the ref on `blob` when it returns true. */
static bool write_now(eio_ws_t *ws, int opcode, int prefix, blob_t *blob, const char *data,
                      size_t len)
{
    char hdr[15];
    uint8_t hdr_len;
    int fd;
    ssize_t n;
    if (ws->sock == NULL || ws->writing || ws->out_head != NULL)
        return false;
    fd = ws->fd;
    if (fd < 0)
        return false;
    hdr_len = header_encode(hdr, opcode, prefix, len);
    struct iovec iov[2] = {{hdr, hdr_len}, {(void *)data, len}};
    struct msghdr mh = {.msg_iov = iov, .msg_iovlen = len != 0 ? 2 : 1};
    do
        n = sendmsg(fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
    while (n < 0 && errno == EINTR);
    if (n <= 0)
        return false;
    size_t done = (size_t)n, total = hdr_len + len;
    if (done < total) {
        eio_ws_frame_t *f = xmalloc(sizeof(*f) + (total - done));
        size_t off = 0;
        f->blob = NULL;
        f->hdr_len = 0;
        f->len = total - done;
        if (done < hdr_len) {
            memcpy(f->inline_data, hdr + done, hdr_len - done);
            off = hdr_len - done;
            done = hdr_len;
        }
        if (total > done) /* data may be NULL when len is 0 */
            memcpy(f->inline_data + off, data + (done - hdr_len), total - done);
        enqueue(ws, f);
        start_write(ws);
    }
    blob_unref(blob);
    return true;
}

void eio__ws_send(eio_ws_t *ws, bool is_binary, int prefix, blob_t *blob, const char *data,
                  size_t len)
{
    if (ws->closing) {
        blob_unref(blob);
        return;
    }
    if (blob != NULL) {
        data = blob->data;
        len = blob->len;
    }
    if (write_now(ws, is_binary ? OP_BINARY : OP_TEXT, prefix, blob, data, len))
        return;
    queue_frame(ws, is_binary ? OP_BINARY : OP_TEXT, prefix, blob, data, len, len);
    start_write(ws);
}

void eio__ws_close(eio_ws_t *ws, uint16_t code)
{
    if (ws->closing)
        return;
    ws->closing = true;
    ws->close_code = code;
    char payload[2] = {(char)(code >> 8), (char)code};
    queue_frame(ws, OP_CLOSE, -1, NULL, payload, code != 0 ? sizeof(payload) : 0, sizeof(payload));
    if (ws->sock != NULL) /* else linked when the upgrade completes: teardown needs the socket */
        eio__timer_link(&ws->srv->ws_close_timers, &ws->close_timer);
    start_write(ws);
}

bool eio__ws_writable(const eio_ws_t *ws)
{
    return ws->sock != NULL && !ws->closing && ws->queued == 0;
}

static void on_write_complete(h2o_socket_t *sock, const char *err)
{
    eio_ws_t *ws = sock->data;
    if (ws == NULL)
        return; /* torn down while writing */
    eio_ws_frame_t *done = ws->inflight;
    ws->inflight = NULL;
    ws->writing = false;
    free_frames(ws, done);
    if (err != NULL) {
        teardown(ws, 1006);
        return;
    }
    if (ws->closing && ws->out_head == NULL) {
        ws->close_sent = true;
        if (ws->peer_closed || ws->failed) {
            teardown(ws, ws->close_code);
            return;
        }
    }
    start_write(ws);
}

static void start_write(eio_ws_t *ws)
{
    if (ws->sock == NULL || ws->writing || ws->out_head == NULL)
        return;
    h2o_iovec_t bufs[MAX_IOVECS];
    size_t n = 0;
    eio_ws_frame_t **tail = &ws->inflight;
    while (ws->out_head != NULL && n + 2 <= MAX_IOVECS) {
        eio_ws_frame_t *f = ws->out_head;
        ws->out_head = f->next;
        f->next = NULL;
        if (f == ws->pong)
            ws->pong = NULL; /* in flight: a later ping needs a new pong */
        *tail = f;
        tail = &f->next;
        if (f->hdr_len != 0)
            bufs[n++] = h2o_iovec_init(f->hdr, f->hdr_len);
        if (f->len != 0)
            bufs[n++] = h2o_iovec_init(f->blob != NULL ? f->blob->data : f->inline_data, f->len);
    }
    if (ws->out_head == NULL)
        ws->out_tail = &ws->out_head;
    ws->writing = true;
    h2o_socket_write(ws->sock, bufs, n, on_write_complete);
}

static void fail(eio_ws_t *ws, uint16_t code);

/* A whole message: to the owner, unless closing. Text must be UTF-8 (else 1007). */
static void deliver(eio_ws_t *ws, int opcode, const char *msg, size_t len)
{
    if (ws->closing || (ws->owner == NULL && ws->upgrade == NULL))
        return;
    if (opcode == OP_TEXT && !eio_utf8_valid(msg, len)) {
        fail(ws, 1007);
        return;
    }
    eio__websocket_on_message(ws, msg, len, opcode == OP_BINARY);
}

/* Handles the control frame in place. Returns false if the connection was torn down. */
static bool on_control(eio_ws_t *ws, int opcode, const char *payload, size_t len)
{
    switch (opcode) {
    case OP_PING:
        if (!ws->closing)
            queue_pong(ws, payload, len);
        return true;
    case OP_PONG:
        return true;
    default: /* close */
        ws->peer_closed = true;
        if (!ws->closing) {
            uint16_t code =
                len >= 2 ? (uint16_t)(((uint8_t)payload[0] << 8) | (uint8_t)payload[1]) : 1005;
            eio__ws_close(ws, code == 1005 ? 0 : code); /* echo it, or none */
            ws->close_code = code;
            return true;
        }
        if (ws->close_sent) {
            teardown(ws, ws->close_code);
            return false;
        }
        return true;
    }
}

/* A protocol violation or an oversized message: stop reading, send the close frame, and close
 * the connection once it is written (the peer may keep streaming; nothing more is buffered). */
static void fail(eio_ws_t *ws, uint16_t code)
{
    ws->failed = true;
    h2o_socket_read_stop(ws->sock);
    h2o_buffer_consume(&ws->sock->input, ws->sock->input->size);
    if (!ws->closing)
        eio__ws_close(ws, code); /* else the close frame or the close timer ends it */
}

/* The largest message read (the reference's maxHttpBufferSize), clamped to 32 bits. */
static uint32_t max_msg(const eio_ws_t *ws)
{
    size_t m = ws->srv->conf.max_http_buffer_size;
    return m < UINT32_MAX ? (uint32_t)m : UINT32_MAX;
}

/* Parses and handles the frames in the input buffer. Returns false if torn down. */
static bool process_input(eio_ws_t *ws)
{
    h2o_socket_t *sock = ws->sock;
    for (;;) {
        h2o_buffer_t *in = sock->input;
        eio_ws_frame_info_t fi;
        int rc = eio_ws_frame_parse((const uint8_t *)in->bytes, in->size, ws->frag_opcode,
                                    ws->frag_len, max_msg(ws), &fi);
        if (rc == -EAGAIN)
            return true;
        if (rc != 0) {
            fail(ws, rc == -EMSGSIZE ? 1009 : 1002);
            return true;
        }
        if (in->size - fi.header_len < fi.len)
            return true; /* wait for the rest */
        char *payload = in->bytes + fi.header_len;
        size_t len = (size_t)fi.len;
        eio_ws_unmask(payload, len, fi.mask);
        if ((fi.opcode & 0x8) != 0) {
            if (!on_control(ws, fi.opcode, payload, len))
                return false;
        } else if (fi.fin && fi.opcode != OP_CONT) {
            deliver(ws, fi.opcode, payload, len);
        } else {
            if (fi.opcode != OP_CONT)
                ws->frag_opcode = fi.opcode;
            ws->frag = xrealloc(ws->frag, (size_t)ws->frag_len + len + 1);
            memcpy(ws->frag + ws->frag_len, payload, len);
            ws->frag_len += (uint32_t)len; /* the parser bounds it by max_msg() */
            if (fi.fin) {
                char *msg = ws->frag;
                size_t msg_len = ws->frag_len;
                int op = ws->frag_opcode;
                ws->frag = NULL;
                ws->frag_len = 0;
                ws->frag_opcode = 0;
                deliver(ws, op, msg, msg_len);
                free(msg);
            }
        }
        if (ws->failed)
            return true; /* fail() has dropped the input */
        h2o_buffer_consume(&sock->input, fi.header_len + len);
    }
}

/* Gives h2o's input buffer back when nothing is left in it (see the top comment). */
static void trim_input(h2o_socket_t *sock)
{
    if (sock->input->size != 0 || sock->input->bytes == NULL)
        return;
    h2o_buffer_prototype_t *proto = sock->input->_prototype;
    h2o_buffer_dispose(&sock->input);
    h2o_buffer_init(&sock->input, proto);
}

static void on_read(h2o_socket_t *sock, const char *err)
{
    eio_ws_t *ws = sock->data;
    if (ws == NULL)
        return;
    if (err != NULL) {
        teardown(ws, ws->closing ? ws->close_code : 1006);
        return;
    }
    if (!process_input(ws))
        return;
    start_write(ws);
    trim_input(sock);
}

static void on_upgrade_complete(void *user_data, h2o_socket_t *sock, size_t reqsize)
{
    eio_ws_t *ws = user_data;
    if (sock == NULL) {
        teardown(ws, 1006);
        return;
    }
    ws->sock = sock;
    ws->fd = h2o_socket_get_fd(sock);
    sock->data = ws;
    h2o_buffer_consume(&sock->input, reqsize);
    h2o_socket_read_start(sock, on_read);
    if (ws->closing)
        eio__timer_link(&ws->srv->ws_close_timers, &ws->close_timer);
    if (sock->input->size != 0 && !process_input(ws))
        return;
    start_write(ws);
    trim_input(sock);
}

eio_ws_t *eio__ws_upgrade(h2o_req_t *req, const char *key, eio_server_t *srv)
{
    eio_ws_t *ws = xcalloc(1, sizeof(*ws));
    char accept_key[29];
    ws->out_tail = &ws->out_head;
    ws->srv = srv;
    eio__ws_accept_key(key, accept_key);
    req->res.status = 101;
    req->res.reason = "Switching Protocols";
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_UPGRADE, NULL, H2O_STRLIT("websocket"));
    h2o_add_header_by_str(&req->pool, &req->res.headers, H2O_STRLIT("sec-websocket-accept"), 0,
                          NULL, accept_key, strlen(accept_key));
    h2o_http1_upgrade(req, NULL, 0, on_upgrade_complete, ws);
    return ws;
}
