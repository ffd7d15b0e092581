/* test_server.c - the server object on a real loop without a listener: config validation,
 * new/free leaving no handle behind, and the timer lists firing in order. */
#include <criterion/criterion.h>
#include <limits.h>
#include <string.h>

#include "engineio/internal.h"
#include "tests/support/leakcheck.h"

static void teardown(void)
{
    sioc_check_leaks();
}

TestSuite(eio_server, .fini = teardown);

static const eio_callbacks_t no_callbacks = {NULL, NULL, NULL, NULL};

Test(eio_server, refuses_invalid_configs)
{
    uv_loop_t loop;
    eio_config_t conf;
    cr_assert_eq(uv_loop_init(&loop), 0);
    eio_config_init(&conf);
    conf.path = "socket.io";
    cr_expect_null(eio_server_new(&loop, &conf, &no_callbacks, NULL));
    eio_config_init(&conf);
    conf.ping_interval_ms = 0;
    cr_expect_null(eio_server_new(&loop, &conf, &no_callbacks, NULL));
    eio_config_init(&conf);
    conf.transports = 0;
    cr_expect_null(eio_server_new(&loop, &conf, &no_callbacks, NULL));
    eio_config_init(&conf);
    conf.max_http_buffer_size = 0;
    cr_expect_null(eio_server_new(&loop, &conf, &no_callbacks, NULL));
    eio_config_init(&conf);
    conf.max_http_buffer_size = (size_t)INT_MAX + 1; /* the decoders return int lengths */
    cr_expect_null(eio_server_new(&loop, &conf, &no_callbacks, NULL));
    cr_expect_eq(uv_loop_close(&loop), 0);
}

Test(eio_server, new_and_free_close_every_handle)
{
    uv_loop_t loop;
    eio_config_t conf;
    cr_assert_eq(uv_loop_init(&loop), 0);
    eio_config_init(&conf);
    eio_server_t *srv = eio_server_new(&loop, &conf, &no_callbacks, NULL);
    cr_assert_not_null(srv);
    cr_expect_eq(eio_server_socket_count(srv), 0);
    eio_server_shutdown(srv);
    eio_server_free(srv);
    eio_server_free(NULL);
    cr_expect_eq(uv_run(&loop, UV_RUN_DEFAULT), 0);
    cr_expect_eq(uv_loop_close(&loop), 0);
}

typedef struct {
    eio_timer_entry_t e;
    int id;
} test_entry_t;

static int fired[8];
static int nfired;

static void on_fire(eio_timer_entry_t *e)
{
    fired[nfired++] = H2O_STRUCT_FROM_MEMBER(test_entry_t, e, e)->id;
}

static void on_closed(uv_handle_t *h)
{
    UNUSED(h);
}

Test(eio_server, timer_lists_fire_in_order_and_unlink)
{
    uv_loop_t loop;
    eio_timer_list_t l;
    test_entry_t a = {.id = 1}, b = {.id = 2}, c = {.id = 3};
    cr_assert_eq(uv_loop_init(&loop), 0);
    eio__timer_list_init(&l, &loop, 20, on_fire);
    eio__timer_link(&l, &a.e);
    eio__timer_link(&l, &b.e);
    eio__timer_link(&l, &c.e);
    eio__timer_unlink(&b.e);
    eio__timer_link(&l, &a.e); /* relinking moves a behind c */
    uv_run(&loop, UV_RUN_DEFAULT);
    cr_assert_eq(nfired, 2);
    cr_expect_eq(fired[0], 3);
    cr_expect_eq(fired[1], 1);
    eio__timer_unlink(&a.e); /* already unlinked: a no-op */
    eio__timer_list_close(&l, on_closed);
    uv_run(&loop, UV_RUN_DEFAULT);
    cr_expect_eq(uv_loop_close(&loop), 0);
}
