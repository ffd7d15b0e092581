/* test_http_server.c - srv_http_*: path handlers, port 0, listen errors, an attached engine's
 * handshake, and the graceful stop (idle keep-alive connections closed at once, held polls
 * answered, the deadline reported as unclean), each ending with uv_loop_close() == 0.
 *
 * The loop runs on the test thread; a client thread speaks plain blocking HTTP/1.1 over a
 * socket and reports back through a uv_async_t, so that nothing blocks the loop. */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "src/core/http.h"
#include "tests/support/leakcheck.h"

TestSuite(http_server, .fini = sioc_check_leaks, .timeout = 20);

/* --- the client thread --- */

#define MAX_REQS 4

typedef struct st_client_t {
    unsigned port;
    const char *paths[MAX_REQS]; /* sent in order on one keep-alive connection */
    size_t hold_index;           /* this request is sent without waiting for its answer first */
    bool has_hold;
    char responses[MAX_REQS][2048];
    size_t nresp;
    bool got_eof;                  /* the server closed the connection after the last response */
    uint64_t eof_at_ms;            /* when */
    unsigned hold_notify_delay_ms; /* wait this long after sending the held request */
    uv_async_t notify; /* signalled when all answers are read, or the held request was sent */
    uv_async_t done;   /* signalled at the end */
    struct st_fixture_t *f;
    pthread_t thread;
    bool started;
} client_t;

static int connect_to(unsigned port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* Reads one response (headers + Content-Length body) into `out`; false on EOF/error. */
static bool read_response(int fd, char *out, size_t size)
{
    size_t len = 0;
    for (;;) {
        out[len] = '\0';
        char *end = strstr(out, "\r\n\r\n");
        if (end != NULL) {
            const char *cl = strcasestr(out, "content-length:");
            size_t body = cl != NULL && cl < end ? strtoul(cl + 15, NULL, 10) : 0;
            if (len >= (size_t)(end + 4 - out) + body)
                return true;
        }
        if (len + 1 >= size)
            return false;
        ssize_t n = read(fd, out + len, size - 1 - len);
        if (n <= 0)
            return false;
        len += (size_t)n;
    }
}

static void *client_main(void *arg)
{
    client_t *c = arg;
    int fd = connect_to(c->port);
    if (fd >= 0) {
        for (size_t i = 0; i < MAX_REQS && c->paths[i] != NULL; i++) {
            char req[512];
            int n = snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
                             c->paths[i]);
            if (write(fd, req, (size_t)n) != n)
                break;
            if (c->has_hold && i == c->hold_index) {
                usleep(c->hold_notify_delay_ms * 1000); /* let the server read it */
                uv_async_send(&c->notify);
            }
            if (!read_response(fd, c->responses[i], sizeof(c->responses[i])))
                break;
            c->nresp++;
        }
        if (!c->has_hold)
            uv_async_send(&c->notify);
        char b[64];
        ssize_t n;
        do {
            n = read(fd, b, sizeof(b));
        } while (n > 0);
        c->got_eof = n == 0;
        c->eof_at_ms = time_now_ms();
        close(fd);
    }
    uv_async_send(&c->done);
    return NULL;
}

/* --- the server side --- */

typedef struct st_fixture_t {
    uv_loop_t loop;
    srv_http_t *http;
    client_t client, client2;
    bool stop_on_notify;
    int notifies; /* on_notify calls */
    unsigned deadline_ms;
    int stopped;  /* on_stopped calls */
    bool clean;   /* its argument */
    bool in_stop; /* srv_http_stop is running */
    uint64_t stop_at_ms, stopped_at_ms;
    h2o_req_t *held; /* a request the "hold" handler did not answer */
    eio_server_t *eio;
    int eio_opens, eio_closes;
    char close_reason[64];
    int hooks_run;      /* stop hook calls */
    int closes_at_hook; /* eio_closes when the hook ran */
} fixture_t;

static void stop_hook(srv_http_t *http, void *data)
{
    fixture_t *f = data;
    cr_expect_eq(http, f->http);
    cr_expect_eq(f->stopped, 0);
    f->hooks_run++;
    f->closes_at_hook = f->eio_closes;
}

static void on_stopped(srv_http_t *http, bool clean, void *data)
{
    fixture_t *f = data;
    cr_expect(!f->in_stop, "on_stopped ran inside srv_http_stop");
    cr_expect_eq(http, f->http);
    f->stopped++;
    f->clean = clean;
    f->stopped_at_ms = time_now_ms();
    uv_stop(&f->loop); /* h2o's context keeps the loop alive, as in main.c */
}

static void start_stop(fixture_t *f)
{
    f->stop_at_ms = time_now_ms();
    f->in_stop = true;
    cr_expect_eq(srv_http_stop(f->http, f->deadline_ms, on_stopped, f), 0);
    cr_expect_eq(srv_http_stop(f->http, f->deadline_ms, on_stopped, f), -EALREADY);
    f->in_stop = false;
}

static void on_notify(uv_async_t *a)
{
    client_t *c = a->data;
    c->f->notifies++;
    if (c->f->stop_on_notify)
        start_stop(c->f);
}

static void on_done(uv_async_t *a)
{
    client_t *c = a->data;
    uv_close((uv_handle_t *)&c->notify, NULL);
    uv_close((uv_handle_t *)&c->done, NULL);
}

static int on_hello(h2o_req_t *req, void *data)
{
    UNUSED(data);
    if (strstr(req->path.base, "pass") != NULL && req->path.len == strlen("/hello/pass"))
        return -1;
    req->res.status = 200;
    req->res.reason = "OK";
    req->res.content_length = 2;
    h2o_send_inline(req, H2O_STRLIT("hi"));
    return 0;
}

static int on_hold(h2o_req_t *req, void *data)
{
    fixture_t *f = data;
    f->held = req; /* answered later by the test */
    start_stop(f); /* from inside a handler, as a REST "shutdown" route would */
    return 0;
}

static void fixture_init(fixture_t *f)
{
    memset(f, 0, sizeof(*f));
    cr_assert_eq(uv_loop_init(&f->loop), 0);
    f->http = srv_http_new(&f->loop, 1 << 20);
    f->deadline_ms = 2000;
    f->stop_on_notify = true;
}

static void fixture_start_client(fixture_t *f, client_t *c)
{
    uv_async_init(&f->loop, &c->notify, on_notify);
    uv_async_init(&f->loop, &c->done, on_done);
    c->notify.data = c->done.data = c;
    c->f = f;
    c->port = srv_http_port(f->http);
    cr_assert_eq(pthread_create(&c->thread, NULL, client_main, c), 0);
    c->started = true;
}

static void close_walk_cb(uv_handle_t *h, void *arg)
{
    UNUSED(arg);
    if (!uv_is_closing(h))
        uv_close(h, NULL);
}

/* Waits for the client threads (they end at EOF). */
static void join_clients(fixture_t *f)
{
    if (f->client.started)
        pthread_join(f->client.thread, NULL);
    if (f->client2.started)
        pthread_join(f->client2.thread, NULL);
    f->client.started = f->client2.started = false;
}

/* Engines first, then h2o, then the loop, as main.c does. */
static void fixture_dispose(fixture_t *f)
{
    join_clients(f);
    eio_server_free(f->eio);
    srv_http_free(f->http);
    uv_walk(&f->loop, close_walk_cb, NULL);
    uv_run(&f->loop, UV_RUN_DEFAULT);
    cr_assert_eq(uv_loop_close(&f->loop), 0);
}

Test(http_server, handlers_404_and_idle_keepalive_closed_at_stop)
{
    fixture_t f;
    fixture_init(&f);
    cr_assert_eq(srv_http_add_handler(f.http, "/hello", on_hello, &f), 0);
    cr_assert_eq(srv_http_listen(f.http, "127.0.0.1", 0), 0);
    cr_assert_neq(srv_http_port(f.http), 0);
    cr_expect_eq(srv_http_add_handler(f.http, "/late", on_hello, &f), -EBUSY);
    f.client.paths[0] = "/hello";
    f.client.paths[1] = "/hello/x?q=1";
    f.client.paths[2] = "/nothing";
    f.client.paths[3] = "/hello/pass"; /* the handler declines: 404 */
    fixture_start_client(&f, &f.client);
    uv_run(&f.loop, UV_RUN_DEFAULT);
    join_clients(&f);

    cr_assert_eq(f.client.nresp, 4);
    cr_expect(strncmp(f.client.responses[0], "HTTP/1.1 200", 12) == 0, "%s", f.client.responses[0]);
    cr_expect(strstr(f.client.responses[0], "\r\n\r\nhi") != NULL);
    cr_expect(strcasestr(f.client.responses[0], "server: sioc\r\n") != NULL);
    cr_expect(strncmp(f.client.responses[1], "HTTP/1.1 200", 12) == 0);
    cr_expect(strncmp(f.client.responses[2], "HTTP/1.1 404", 12) == 0);
    cr_expect(strncmp(f.client.responses[3], "HTTP/1.1 404", 12) == 0);
    /* the idle keep-alive connection was closed well before the deadline */
    cr_expect_eq(f.stopped, 1);
    cr_expect(f.clean);
    cr_expect(srv_http_stopped_clean(f.http));
    cr_expect(f.client.got_eof);
    cr_expect_lt(f.stopped_at_ms - f.stop_at_ms, 1000);
    cr_expect_eq(srv_http_connection_count(f.http), 0);
    fixture_dispose(&f);
}

Test(http_server, deadline_reports_unclean_then_frees_after_answer)
{
    fixture_t f;
    fixture_init(&f);
    f.deadline_ms = 400;
    cr_assert_eq(srv_http_add_handler(f.http, "/hold", on_hold, &f), 0);
    cr_assert_eq(srv_http_listen(f.http, "127.0.0.1", 0), 0);
    f.client.paths[0] = "/hold";
    f.client.has_hold = true;
    f.client.hold_index = 0;
    f.stop_on_notify = false; /* the handler starts the stop */
    fixture_start_client(&f, &f.client);
    /* runs until the stop ends: the held request keeps its connection past the deadline */
    while (f.stopped == 0)
        uv_run(&f.loop, UV_RUN_ONCE);
    cr_expect(!f.clean);
    cr_expect(!srv_http_stopped_clean(f.http));
    cr_expect_geq(f.stopped_at_ms - f.stop_at_ms, 350);
    cr_assert_eq(srv_http_connection_count(f.http), 1);
    cr_assert_not_null(f.held);
    /* answering lets the connection close (no keep-alive once stopping) */
    f.held->res.status = 200;
    f.held->res.reason = "OK";
    f.held->res.content_length = 4;
    h2o_send_inline(f.held, H2O_STRLIT("late"));
    while (srv_http_connection_count(f.http) > 0)
        uv_run(&f.loop, UV_RUN_ONCE);
    join_clients(&f);
    cr_expect_eq(f.client.nresp, 1);
    cr_expect(strstr(f.client.responses[0], "\r\n\r\nlate") != NULL);
    cr_expect(f.client.got_eof);
    cr_expect_eq(f.stopped, 1);
    fixture_dispose(&f);
}

Test(http_server, listen_errors)
{
    fixture_t f, g;
    fixture_init(&f);
    fixture_init(&g);
    cr_assert_eq(srv_http_listen(f.http, "127.0.0.1", 0), 0);
    cr_expect_eq(srv_http_listen(f.http, "127.0.0.1", 0), -EBUSY);
    cr_expect_eq(srv_http_listen(g.http, "127.0.0.1", srv_http_port(f.http)), UV_EADDRINUSE);
    cr_expect_eq(srv_http_port(g.http), 0);
    fixture_t h;
    fixture_init(&h);
    cr_expect_eq(srv_http_listen(h.http, "not-an-ip", 0), UV_EINVAL);
    srv_http_free(f.http);
    srv_http_free(g.http);
    srv_http_free(h.http);
    uv_run(&f.loop, UV_RUN_DEFAULT);
    uv_run(&g.loop, UV_RUN_DEFAULT);
    uv_run(&h.loop, UV_RUN_DEFAULT);
    cr_expect_eq(uv_loop_close(&f.loop), 0);
    cr_expect_eq(uv_loop_close(&g.loop), 0);
    cr_expect_eq(uv_loop_close(&h.loop), 0);
}

Test(http_server, ipv6_listen)
{
    fixture_t f;
    fixture_init(&f);
    int rc = srv_http_listen(f.http, "::1", 0);
    if (rc == UV_EADDRNOTAVAIL || rc == UV_EAFNOSUPPORT) {
        srv_http_free(f.http);
        uv_run(&f.loop, UV_RUN_DEFAULT);
        cr_skip_test("no IPv6 loopback here");
    }
    cr_assert_eq(rc, 0);
    cr_expect_neq(srv_http_port(f.http), 0);
    srv_http_free(f.http);
    uv_run(&f.loop, UV_RUN_DEFAULT);
    cr_expect_eq(uv_loop_close(&f.loop), 0);
}

Test(http_server, stop_without_connections_is_quick_and_clean)
{
    fixture_t f;
    fixture_init(&f);
    cr_assert_eq(srv_http_listen(f.http, "127.0.0.1", 0), 0);
    start_stop(&f);
    uv_run(&f.loop, UV_RUN_DEFAULT);
    cr_expect_eq(f.stopped, 1);
    cr_expect(f.clean);
    cr_expect_lt(f.stopped_at_ms - f.stop_at_ms, 100);
    fixture_dispose(&f);
}

/* --- with an engine attached --- */

static void eio_on_open(eio_socket_t *sock, void *data)
{
    UNUSED(sock);
    ((fixture_t *)data)->eio_opens++;
}

static void eio_on_message(eio_socket_t *sock, const char *msg, size_t len, bool is_binary,
                           void *data)
{
    UNUSED(sock);
    UNUSED(msg);
    UNUSED(len);
    UNUSED(is_binary);
    UNUSED(data);
}

static void eio_on_close(eio_socket_t *sock, const char *reason, void *data)
{
    UNUSED(sock);
    fixture_t *f = data;
    f->eio_closes++;
    snprintf(f->close_reason, sizeof(f->close_reason), "%s", reason);
}

static const eio_callbacks_t eio_cb = {eio_on_open, eio_on_message, eio_on_close, NULL};

/* The client thread learns the sid from the handshake and sends the held poll itself. */
static char poll_path[128];

Test(http_server, engine_handshake_and_held_poll_answered_at_stop)
{
    fixture_t f;
    fixture_init(&f);
    eio_config_t conf;
    eio_config_init(&conf);
    conf.path = "/engine.io/";
    f.eio = eio_server_new(&f.loop, &conf, &eio_cb, &f);
    cr_assert_not_null(f.eio);
    cr_assert_eq(srv_http_attach_engine(f.http, f.eio), 0);
    cr_assert_eq(srv_http_add_stop_hook(f.http, stop_hook, &f), 0);
    cr_assert_eq(srv_http_listen(f.http, "127.0.0.1", 0), 0);
    cr_expect_eq(srv_http_attach_engine(f.http, f.eio), -EBUSY);

    /* first a handshake alone, to learn the sid */
    f.client.paths[0] = "/engine.io/?EIO=4&transport=polling";
    f.stop_on_notify = false;
    fixture_start_client(&f, &f.client);
    while (f.notifies == 0) /* the loop, not just the thread, saw the first answer */
        uv_run(&f.loop, UV_RUN_ONCE);
    const char *body = strstr(f.client.responses[0], "\r\n\r\n");
    cr_assert_not_null(body);
    cr_assert(strncmp(body + 4, "0{\"sid\":\"", 9) == 0, "%s", f.client.responses[0]);
    char sid[32];
    snprintf(sid, sizeof(sid), "%.20s", body + 13);
    cr_expect_eq(f.eio_opens, 1);
    /* the first client idles on its keep-alive connection; a second one holds a poll */
    snprintf(poll_path, sizeof(poll_path), "/engine.io/?EIO=4&transport=polling&sid=%s", sid);
    client_t *c2 = &f.client2;
    c2->paths[0] = poll_path;
    c2->has_hold = true;
    c2->hold_index = 0;
    c2->hold_notify_delay_ms = 100;
    f.stop_on_notify = true;
    fixture_start_client(&f, c2);
    uv_run(&f.loop, UV_RUN_DEFAULT);
    join_clients(&f);

    cr_expect_eq(f.stopped, 1);
    cr_expect(f.clean);
    cr_expect_eq(c2->nresp, 1);
    cr_expect(strncmp(c2->responses[0], "HTTP/1.1 200", 12) == 0, "[%s] nresp=%zu eof=%d",
              c2->responses[0], c2->nresp, c2->got_eof);
    cr_expect(c2->got_eof);
    cr_expect(f.client.got_eof);
    cr_expect_eq(f.eio_closes, 1);
    cr_expect_str_eq(f.close_reason, "server shutting down");
    cr_expect_eq(f.hooks_run, 1);
    cr_expect_eq(f.closes_at_hook, 0); /* hooks run before the engines shut down */
    fixture_dispose(&f);
}

static int on_root(h2o_req_t *req, void *data)
{
    UNUSED(data);
    req->res.status = 200;
    req->res.reason = "OK";
    req->res.content_length = 4;
    h2o_send_inline(req, H2O_STRLIT("root"));
    return 0;
}

/* h2o takes the first registered path that matches, not the longest: a catch-all "/" must be
 * registered after the specific paths (src/core/http.h says so). */
Test(http_server, first_registered_matching_path_wins)
{
    fixture_t f;
    fixture_init(&f);
    cr_assert_eq(srv_http_add_handler(f.http, "/hello", on_hello, &f), 0);
    cr_assert_eq(srv_http_add_handler(f.http, "/", on_root, &f), 0);
    cr_assert_eq(srv_http_add_handler(f.http, "/late", on_hello, &f), 0);
    cr_assert_eq(srv_http_listen(f.http, "127.0.0.1", 0), 0);
    f.client.paths[0] = "/hello";
    f.client.paths[1] = "/other";
    f.client.paths[2] = "/late";
    fixture_start_client(&f, &f.client);
    uv_run(&f.loop, UV_RUN_DEFAULT);
    join_clients(&f);
    cr_assert_eq(f.client.nresp, 3);
    cr_expect(strstr(f.client.responses[0], "\r\n\r\nhi") != NULL);
    cr_expect(strstr(f.client.responses[1], "\r\n\r\nroot") != NULL);
    cr_expect(strstr(f.client.responses[2], "\r\n\r\nroot") != NULL, "%s", f.client.responses[2]);
    fixture_dispose(&f);
}
