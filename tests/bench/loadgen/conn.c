/* conn.c - one TCP connection of the load generator.
 *
 * Tens of thousands of connections to one destination exhaust the ephemeral ports of one source
 * address, so each connection binds first to the next of 127.0.0.1..127.0.0.<addrs> with
 * IP_BIND_ADDRESS_NO_PORT (the port is then picked at connect time, per destination, instead of
 * being reserved globally by bind). Reads land in one shared 64 KiB buffer (one thread; a
 * connection only keeps the bytes its parser has not consumed yet), which keeps an idle connection
 * at a few hundred bytes. Writes try uv_try_write first and queue a copy of the rest; libuv
 * refuses try_write while a write is queued, so order holds. */
#include "tests/bench/loadgen/loadgen.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#ifndef IP_BIND_ADDRESS_NO_PORT
#define IP_BIND_ADDRESS_NO_PORT 24
#endif

static char read_buf[65536];

typedef struct st_write_req_t {
    uv_write_t req;
    char data[];
} write_req_t;

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    UNUSED(h);
    UNUSED(suggested);
    *buf = uv_buf_init(read_buf, sizeof(read_buf));
}

static void on_read(uv_stream_t *st, ssize_t nread, const uv_buf_t *buf)
{
    lg_conn_t *c = st->data;
    UNUSED(buf);
    if (nread == 0 || c->closing)
        return;
    if (nread > 0)
        buf_append(&c->rbuf, read_buf, (size_t)nread);
    c->on_read(c, (long)nread);
}

static void on_connected(uv_connect_t *req, int status)
{
    lg_conn_t *c = req->data;
    if (c->closing)
        return;
    if (status == 0) {
        c->connected = true;
        uv_tcp_nodelay(&c->tcp, 1);
        int rc = uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read);
        if (rc != 0)
            status = rc;
    }
    c->on_connect(c, status);
}

static void on_closed(uv_handle_t *h)
{
    lg_conn_t *c = h->data;
    lg.live_conns--;
    if (c->on_close != NULL)
        c->on_close(c);
    buf_dispose(&c->rbuf);
    free(c);
}

lg_conn_t *lg_conn_open(void *data, lg_conn_connect_cb on_connect, lg_conn_read_cb on_read_cb,
                        lg_conn_close_cb on_close, int *err)
{
    lg_conn_t *c = xcalloc(1, sizeof(*c));
    c->data = data;
    c->on_connect = on_connect;
    c->on_read = on_read_cb;
    c->on_close = on_close;
    int rc = uv_tcp_init_ex(lg.loop, &c->tcp, AF_INET);
    if (rc != 0) {
        free(c);
        *err = rc;
        return NULL;
    }
    c->tcp.data = c;
    c->creq.data = c;
    lg.live_conns++;
    uv_os_fd_t fd;
    if (uv_fileno((uv_handle_t *)&c->tcp, &fd) == 0) {
        int one = 1;
        setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one));
    }
    unsigned n = lg.opts.addrs ? lg.opts.addrs : 1;
    struct sockaddr_in src;
    memset(&src, 0, sizeof(src));
    src.sin_family = AF_INET;
    src.sin_addr.s_addr = htonl(0x7f000001u + (lg.next_addr++ % n));
    rc = uv_tcp_bind(&c->tcp, (const struct sockaddr *)&src, 0);
    if (rc == 0)
        rc = uv_tcp_connect(&c->creq, &c->tcp, (const struct sockaddr *)&lg.dest, on_connected);
    if (rc != 0) {
        c->on_close = NULL; /* the caller learns of the failure from *err, not a callback */
        c->closing = true;
        uv_close((uv_handle_t *)&c->tcp, on_closed);
        *err = rc;
        return NULL;
    }
    return c;
}

static void on_written(uv_write_t *req, int status)
{
    UNUSED(status); /* a failed write shows up as a read error / EOF too */
    free(req);
}

int lg_conn_write(lg_conn_t *c, const void *data, size_t len)
{
    if (c->closing || !c->connected)
        return -EPIPE;
    uv_buf_t b = uv_buf_init((char *)data, (unsigned)len);
    int n = uv_try_write((uv_stream_t *)&c->tcp, &b, 1);
    if (n == UV_EAGAIN)
        n = 0;
    if (n < 0)
        return n;
    if ((size_t)n == len)
        return 0;
    size_t rest = len - (size_t)n;
    write_req_t *w = xmalloc(sizeof(*w) + rest);
    memcpy(w->data, (const char *)data + n, rest);
    b = uv_buf_init(w->data, (unsigned)rest);
    int rc = uv_write(&w->req, (uv_stream_t *)&c->tcp, &b, 1, on_written);
    if (rc != 0) {
        free(w);
        return rc;
    }
    return 0;
}

void lg_conn_consume(lg_conn_t *c, size_t n)
{
    if (n >= c->rbuf.len) {
        c->rbuf.len = 0;
        if (c->rbuf.cap > 65536) { /* a big message went by: give the memory back */
            buf_dispose(&c->rbuf);
        } else if (c->rbuf.base != NULL) {
            c->rbuf.base[0] = '\0';
        }
        return;
    }
    memmove(c->rbuf.base, c->rbuf.base + n, c->rbuf.len - n);
    c->rbuf.len -= n;
    c->rbuf.base[c->rbuf.len] = '\0';
}

void lg_conn_close(lg_conn_t *c)
{
    if (c == NULL || c->closing)
        return;
    c->closing = true;
    uv_close((uv_handle_t *)&c->tcp, on_closed);
}
