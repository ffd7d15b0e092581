/* test_outbound.c - outbound HTTP on libcurl's multi socket interface and the libuv loop
 * (src/outbound): an answer from a canned local server, a body over the bound, a refused
 * connection, a request cancelled by the free, bad arguments; every loop closes cleanly. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "base/base.h"
#include "src/outbound/outbound.h"
#include "tests/support/leakcheck.h"

static uv_loop_t loop;

static void setup(void)
{
    uv_loop_init(&loop);
}

static void teardown(void)
{
    sioc_check_leaks();
}
TestSuite(outbound, .init = setup, .fini = teardown);

/* ---- a canned server: answers `reply` to every request (NULL: never answers) ---- */

typedef struct st_canned_t {
    uv_tcp_t srv;
    const char *reply;
    uv_tcp_t *conns[4];
    int n;
    int port;
} canned_t;

static void on_alloc(uv_handle_t *h, size_t size, uv_buf_t *buf)
{
    UNUSED(h);
    buf->base = malloc(size);
    buf->len = size;
}

static void on_written(uv_write_t *w, int status)
{
    UNUSED(status);
    free(w);
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
    canned_t *c = s->data;
    free(buf->base);
    if (n > 0 && c->reply != NULL) {
        uv_write_t *w = malloc(sizeof(*w));
        uv_buf_t b = uv_buf_init((char *)c->reply, (unsigned)strlen(c->reply));
        uv_write(w, s, &b, 1, on_written);
        c->reply = NULL; /* once */
    }
}

static void on_conn(uv_stream_t *srv, int status)
{
    canned_t *c = srv->data;
    cr_assert_eq(status, 0);
    uv_tcp_t *t = malloc(sizeof(*t));
    uv_tcp_init(&loop, t);
    t->data = c;
    uv_accept(srv, (uv_stream_t *)t);
    c->conns[c->n++] = t;
    uv_read_start((uv_stream_t *)t, on_alloc, on_read);
}

static void canned_start(canned_t *c, const char *reply)
{
    struct sockaddr_in a;
    uv_ip4_addr("127.0.0.1", 0, &a);
    memset(c, 0, sizeof(*c));
    c->reply = reply;
    uv_tcp_init(&loop, &c->srv);
    c->srv.data = c;
    cr_assert_eq(uv_tcp_bind(&c->srv, (const struct sockaddr *)&a, 0), 0);
    cr_assert_eq(uv_listen((uv_stream_t *)&c->srv, 8, on_conn), 0);
    struct sockaddr_storage ss;
    int len = sizeof(ss);
    uv_tcp_getsockname(&c->srv, (struct sockaddr *)&ss, &len);
    c->port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

static void on_closed_free(uv_handle_t *h)
{
    free(h);
}

static void canned_stop(canned_t *c)
{
    for (int i = 0; i < c->n; i++)
        uv_close((uv_handle_t *)c->conns[i], on_closed_free);
    uv_close((uv_handle_t *)&c->srv, NULL);
}

/* ---- results ---- */

typedef struct st_got_t {
    int calls;
    int status;
    char error[256];
    char body[256];
    size_t len;
    char ctype[64];
    srv_outbound_t *stop; /* free the client from the callback's loop turn */
    canned_t *canned;
} got_t;

static void on_done(void *cbdata, const srv_outbound_res_t *res)
{
    got_t *g = cbdata;
    g->calls++;
    g->status = res->status;
    snprintf(g->error, sizeof(g->error), "%s", res->error);
    snprintf(g->body, sizeof(g->body), "%s", res->body);
    g->len = res->len;
    snprintf(g->ctype, sizeof(g->ctype), "%s", res->content_type);
    if (g->canned != NULL)
        canned_stop(g->canned);
}

static void run_and_close(srv_outbound_t *c)
{
    uv_run(&loop, UV_RUN_DEFAULT);
    srv_outbound_free(c);
    uv_run(&loop, UV_RUN_DEFAULT);
    cr_assert_eq(uv_loop_close(&loop), 0);
}

Test(outbound, gets_an_answer_from_the_loop)
{
    canned_t srv;
    canned_start(&srv, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
                       "11\r\nConnection: close\r\n\r\n{\"ok\":true}");
    char url[64];
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/v21.0/1/messages", srv.port);
    srv_outbound_t *c = srv_outbound_new(&loop);
    cr_assert_not_null(c);
    got_t g = {.canned = &srv};
    const char *h[] = {"Authorization: Bearer t", "Content-Type: application/json", NULL};
    srv_outbound_req_t req = {
        .method = "POST", .url = url, .headers = h, .body = "{}", .body_len = 2};
    cr_assert_eq(srv_outbound_request(c, &req, on_done, &g), 0);
    cr_expect_eq(g.calls, 0, "never inside the call");
    cr_expect_eq(srv_outbound_pending(c), 1);
    run_and_close(c);
    cr_expect_eq(g.calls, 1);
    cr_expect_eq(g.status, 200);
    cr_expect_str_eq(g.body, "{\"ok\":true}");
    cr_expect_str_eq(g.ctype, "application/json");
}

Test(outbound, a_body_over_the_bound_is_an_error)
{
    canned_t srv;
    canned_start(&srv, "HTTP/1.1 200 OK\r\nContent-Length: 20\r\nConnection: close\r\n\r\n"
                       "01234567890123456789");
    char url[64];
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/", srv.port);
    srv_outbound_t *c = srv_outbound_new(&loop);
    got_t g = {.canned = &srv};
    srv_outbound_req_t req = {.method = "GET", .url = url, .max_bytes = 10};
    cr_assert_eq(srv_outbound_request(c, &req, on_done, &g), 0);
    run_and_close(c);
    cr_expect_eq(g.calls, 1);
    cr_expect_eq(g.status, 0);
    cr_expect_str_eq(g.error, "too large");
}

Test(outbound, a_refused_connection_answers_status_0)
{
    canned_t srv;
    canned_start(&srv, NULL);
    int port = srv.port;
    canned_stop(&srv); /* nobody listens there any more */
    uv_run(&loop, UV_RUN_DEFAULT);
    char url[64];
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/", port);
    srv_outbound_t *c = srv_outbound_new(&loop);
    got_t g = {0};
    srv_outbound_req_t req = {.method = "GET", .url = url};
    cr_assert_eq(srv_outbound_request(c, &req, on_done, &g), 0);
    run_and_close(c);
    cr_expect_eq(g.calls, 1);
    cr_expect_eq(g.status, 0);
    cr_expect_neq(g.error[0], '\0');
}

static void on_timer(uv_timer_t *t)
{
    got_t *g = t->data;
    srv_outbound_free(g->stop); /* with the request in flight */
    canned_stop(g->canned);
    uv_close((uv_handle_t *)t, NULL);
}

Test(outbound, free_cancels_what_is_in_flight)
{
    canned_t srv;
    canned_start(&srv, NULL); /* accepts, never answers */
    char url[64];
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/", srv.port);
    srv_outbound_t *c = srv_outbound_new(&loop);
    got_t g = {.stop = c, .canned = &srv};
    srv_outbound_req_t req = {.method = "GET", .url = url};
    cr_assert_eq(srv_outbound_request(c, &req, on_done, &g), 0);
    g.canned = NULL; /* on_done must not stop it twice */
    uv_timer_t t;
    uv_timer_init(&loop, &t);
    got_t ctl = {.stop = c, .canned = &srv};
    t.data = &ctl;
    uv_timer_start(&t, on_timer, 100, 0);
    uv_run(&loop, UV_RUN_DEFAULT);
    cr_expect_eq(g.calls, 1);
    cr_expect_eq(g.status, 0);
    cr_expect_str_eq(g.error, "cancelled");
    cr_assert_eq(uv_loop_close(&loop), 0);
}

Test(outbound, refuses_bad_arguments)
{
    srv_outbound_t *c = srv_outbound_new(&loop);
    got_t g = {0};
    srv_outbound_req_t ftp = {.method = "GET", .url = "ftp://127.0.0.1/"};
    cr_expect_eq(srv_outbound_request(c, &ftp, on_done, &g), -EINVAL);
    srv_outbound_req_t nourl = {.method = "GET"};
    cr_expect_eq(srv_outbound_request(c, &nourl, on_done, &g), -EINVAL);
    cr_expect_eq(srv_outbound_request(NULL, &ftp, on_done, &g), -EINVAL);
    srv_outbound_free(NULL);
    run_and_close(c);
    cr_expect_eq(g.calls, 0);
}
