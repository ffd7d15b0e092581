/* test_queue.c - the per-socket send bounds of engineio/socket.c: max_buffered_packets and
 * max_buffered_bytes close the socket ("transport error") and count it, a message alone in an
 * empty queue always goes, volatile sends are dropped and counted, and the server's totals follow
 * the queue. Sockets are polling sessions built by hand on a real server (no listener). */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "engineio/internal.h"
#include "tests/support/leakcheck.h"

static void teardown(void)
{
    sioc_check_leaks();
}

TestSuite(eio_queue, .fini = teardown);

static const eio_callbacks_t no_callbacks = {NULL, NULL, NULL, NULL};
static uv_loop_t loop;
static eio_server_t *srv;

static void start(size_t max_packets, size_t max_bytes)
{
    eio_config_t conf;
    cr_assert_eq(uv_loop_init(&loop), 0);
    eio_config_init(&conf);
    conf.max_buffered_packets = max_packets;
    conf.max_buffered_bytes = max_bytes;
    srv = eio_server_new(&loop, &conf, &no_callbacks, NULL);
    cr_assert_not_null(srv);
}

static void stop(void)
{
    eio_server_free(srv);
    cr_expect_eq(uv_run(&loop, UV_RUN_DEFAULT), 0);
    cr_expect_eq(uv_loop_close(&loop), 0);
}

/* A polling session with no held GET: everything sent waits in its queue. */
static eio_socket_t *new_socket(void)
{
    eio_socket_t *sock = xcalloc(1, sizeof(*sock));
    sock->srv = srv;
    sock->protocol = 4;
    sock->transport = EIO_TRANSPORT_KIND_POLLING;
    sock->state = EIO_STATE_OPEN;
    sock->q_tail = &sock->q_head;
    sock->info = xstrdup("/socket.io/\0\0");
    snprintf(sock->sid, sizeof(sock->sid), "s%p", (void *)sock);
    eio__server_add(srv, sock);
    return sock;
}

static int send_n(eio_socket_t *sock, size_t len, unsigned flags)
{
    char buf[600];
    blob_t *b;
    int rc;
    cr_assert(len <= sizeof(buf));
    memset(buf, 'x', len);
    b = blob_new(buf, len);
    rc = eio_socket_send_blob(sock, b, false, flags);
    blob_unref(b);
    return rc;
}

Test(eio_queue, packet_bound_closes_the_socket_and_counts_it)
{
    eio_server_stats_t st;
    start(3, 0);
    eio_socket_t *sock = new_socket();
    for (int i = 0; i < 3; i++)
        cr_expect_eq(send_n(sock, 10, 0), 0);
    eio_server_stats(srv, &st);
    cr_expect_eq(st.queued_packets, 3);
    cr_expect_eq(st.queued_bytes, 30);
    cr_expect_eq(send_n(sock, 10, 0), -ENOBUFS);
    cr_expect_eq(sock->state, EIO_STATE_CLOSED);
    cr_expect_str_eq(sock->close_reason, "transport error");
    cr_expect_eq(send_n(sock, 10, 0), -EPIPE);
    eio_server_stats(srv, &st);
    cr_expect_eq(st.closed_overflow, 1);
    cr_expect_eq(st.sockets, 1);
    stop();
}

Test(eio_queue, byte_bound_counts_payload_bytes)
{
    size_t bytes;
    start(0, 100);
    eio_socket_t *sock = new_socket();
    cr_expect_eq(send_n(sock, 60, 0), 0);
    cr_expect_eq(send_n(sock, 40, 0), 0); /* exactly at the bound */
    cr_expect_eq(eio_socket_queued(sock, &bytes), 2);
    cr_expect_eq(bytes, 100);
    cr_expect_eq(send_n(sock, 1, 0), -ENOBUFS);
    cr_expect_eq(sock->state, EIO_STATE_CLOSED);
    stop();
}

Test(eio_queue, a_message_alone_goes_whatever_its_size)
{
    start(0, 100);
    eio_socket_t *sock = new_socket();
    cr_expect_eq(send_n(sock, 500, 0), 0);
    cr_expect_eq(sock->state, EIO_STATE_OPEN);
    cr_expect_eq(send_n(sock, 1, 0), -ENOBUFS); /* but nothing after it */
    stop();
}

Test(eio_queue, volatile_sends_are_dropped_and_counted)
{
    eio_server_stats_t st;
    start(2, 0);
    eio_socket_t *sock = new_socket();
    cr_expect_eq(send_n(sock, 5, EIO_SEND_VOLATILE), -EAGAIN); /* no GET held: not writable */
    cr_expect_eq(send_n(sock, 5, 0), 0);
    cr_expect_eq(send_n(sock, 5, EIO_SEND_VOLATILE), -EAGAIN);
    eio_server_stats(srv, &st);
    cr_expect_eq(st.volatile_dropped, 2);
    cr_expect_eq(st.queued_packets, 1);
    cr_expect_eq(sock->state, EIO_STATE_OPEN);
    stop();
}

Test(eio_queue, totals_go_back_to_zero_when_sockets_are_freed)
{
    eio_server_stats_t st;
    start(10, 0);
    eio_socket_t *a = new_socket(), *b = new_socket();
    cr_expect_eq(send_n(a, 7, 0), 0);
    cr_expect_eq(send_n(b, 9, 0), 0);
    eio_server_stats(srv, &st);
    cr_expect_eq(st.queued_bytes, 16);
    eio__server_remove(srv, a);
    eio__socket_free(a);
    eio_server_stats(srv, &st);
    cr_expect_eq(st.queued_packets, 1);
    cr_expect_eq(st.queued_bytes, 9);
    stop();
}

Test(eio_queue, refuses_a_byte_bound_over_the_limit)
{
    eio_config_t conf;
    cr_assert_eq(uv_loop_init(&loop), 0);
    eio_config_init(&conf);
    conf.max_buffered_bytes = (size_t)EIO_MAX_BUFFERED_BYTES_LIMIT + 1;
    cr_expect_null(eio_server_new(&loop, &conf, &no_callbacks, NULL));
    cr_expect_eq(uv_loop_close(&loop), 0);
}
