/* test_rda_cluster.c - the Redis client and the adapter against a real redis-server that each
 * test starts on a free port (skipped, saying so, if redis-server is not installed):
 * - a refused connection is reported and retried; once Redis is up, and again after it restarts,
 *   the client reconnects and re-subscribes (messages flow again), and PUBSUB NUMSUB answers;
 * - two Socket.IO servers on one loop, each with its own client (two nodes of a cluster):
 *   broadcasts, socketsJoin, fetchSockets and serverSideEmit with ack cross between them.
 * Sockets are the library's detached test clients (socketio/internal.h): what a socket is sent
 * lands in its sink, one packet a line. */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "redis/redis_adapter.h"
#include "socketio/internal.h"
#include "tests/support/leakcheck.h"

static uv_loop_t loop;
static int port;
static pid_t redis_pid = -1;
static char url[64];

static int free_port(void)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(a);
    int fd = socket(AF_INET, SOCK_STREAM, 0), p;
    cr_assert(fd >= 0);
    cr_assert_eq(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    cr_assert_eq(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    p = ntohs(a.sin_port);
    close(fd);
    return p;
}

static bool port_open(void)
{
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    bool ok = connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
    close(fd);
    return ok;
}

static void redis_start(void)
{
    char p[16];
    snprintf(p, sizeof(p), "%d", port);
    redis_pid = fork();
    cr_assert(redis_pid >= 0);
    if (redis_pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL); /* never outlives a crashed test */
        if (freopen("/dev/null", "w", stdout) == NULL)
            _exit(127);
        execlp("redis-server", "redis-server", "--port", p, "--bind", "127.0.0.1", "--save", "",
               "--appendonly", "no", (char *)NULL);
        _exit(127);
    }
    for (int i = 0; i < 200 && !port_open(); i++)
        usleep(10000);
    cr_assert(port_open(), "redis-server did not start on %d", port);
}

static void redis_stop(void)
{
    if (redis_pid > 0) {
        kill(redis_pid, SIGKILL);
        waitpid(redis_pid, NULL, 0);
        redis_pid = -1;
    }
}

static bool have_redis_server(void)
{
    return system("command -v redis-server >/dev/null 2>&1") == 0;
}

static void setup(void)
{
    if (!have_redis_server())
        cr_skip_test("redis-server is not installed");
    cr_assert_eq(uv_loop_init(&loop), 0);
    port = free_port();
    snprintf(url, sizeof(url), "redis://127.0.0.1:%d", port);
}

static void teardown(void)
{
    redis_stop();
    uv_run(&loop, UV_RUN_DEFAULT);
    cr_expect_eq(uv_loop_close(&loop), 0);
    sioc_check_leaks();
}

TestSuite(rda_cluster, .init = setup, .fini = teardown, .timeout = 30);

/* Runs the loop until *flag or `ms` elapsed; returns *flag. */
static bool run_until(const bool *flag, unsigned ms)
{
    uint64_t end = uv_now(&loop) + ms;
    while (!*flag && uv_now(&loop) < end) {
        uv_run(&loop, UV_RUN_NOWAIT);
        usleep(2000);
        uv_update_time(&loop);
    }
    return *flag;
}

static bool until_connected(rda_client_t *c, unsigned ms)
{
    uint64_t end = uv_now(&loop) + ms;
    while (!rda_client_connected(c) && uv_now(&loop) < end) {
        uv_run(&loop, UV_RUN_NOWAIT);
        usleep(2000);
        uv_update_time(&loop);
    }
    return rda_client_connected(c);
}

/* --- the client --- */

typedef struct st_inbox_t {
    bool got;
    char text[64];
} inbox_t;

static void on_message(const char *channel, size_t chlen, const char *payload, size_t len,
                       void *data)
{
    inbox_t *in = data;
    UNUSED(channel);
    UNUSED(chlen);
    snprintf(in->text, sizeof(in->text), "%.*s", (int)len, payload);
    in->got = true;
}

typedef struct st_count_t {
    bool got;
    long long n;
} count_t;

static void on_count(long long n, void *cbdata)
{
    count_t *c = cbdata;
    c->n = n;
    c->got = true;
}

Test(rda_cluster, invalid_urls_are_refused)
{
    char host[64];
    int p;
    cr_expect_null(rda_client_new(&loop, "http://127.0.0.1:1"));
    cr_expect_null(rda_client_new(&loop, "redis://localhost:6379")); /* names would block */
    cr_expect_null(rda_client_new(&loop, "redis://127.0.0.1:0"));
    cr_expect_null(rda_client_new(&loop, "redis://127.0.0.1:70000"));
    cr_expect_null(rda_client_new(&loop, "redis://127.0.0.1:1x"));
    cr_expect_null(rda_client_new(&loop, "redis://127.0.0.1:6379/2"));
    cr_expect_null(rda_client_new(&loop, NULL));
    cr_expect_eq(rda_url_parse("redis://10.0.0.1", host, sizeof(host), &p), 0);
    cr_expect_str_eq(host, "10.0.0.1");
    cr_expect_eq(p, 6379);
}

Test(rda_cluster, refused_then_connects_and_resubscribes_after_a_restart)
{
    inbox_t in = {0};
    count_t cnt = {0};
    bool never = false;
    rda_client_t *c = rda_client_new(&loop, url);
    cr_assert_not_null(c);
    rda_client_subscribe(c, "t", false, on_message, &in);
    run_until(&never, 300); /* refused: reported, retried, not connected */
    cr_expect(!rda_client_connected(c));
    rda_client_numsub(c, "t", on_count, &cnt); /* without a connection: -1, later */
    cr_expect(!cnt.got);
    cr_expect(run_until(&cnt.got, 100));
    cr_expect_eq(cnt.n, -1);

    redis_start();
    cr_assert(until_connected(c, 5000), "no connection once Redis is up");
    cnt.n = 0;
    for (int i = 0; i < 100 && cnt.n != 1; i++) {
        cnt.got = false;
        rda_client_numsub(c, "t", on_count, &cnt);
        cr_assert(run_until(&cnt.got, 2000));
    }
    cr_expect_eq(cnt.n, 1);
    rda_client_publish(c, "t", "one", 3);
    cr_assert(run_until(&in.got, 2000), "no message after the first connection");
    cr_expect_str_eq(in.text, "one");

    redis_stop();
    redis_start();
    cr_assert(until_connected(c, 8000), "no reconnection after the restart");
    /* the SUBSCRIBE goes on the other connection: poll NUMSUB until it shows */
    cnt.n = 0;
    for (int i = 0; i < 100 && cnt.n != 1; i++) {
        cnt.got = false;
        rda_client_numsub(c, "t", on_count, &cnt);
        cr_assert(run_until(&cnt.got, 2000));
    }
    cr_expect_eq(cnt.n, 1, "not subscribed again after the restart");
    in.got = false;
    rda_client_publish(c, "t", "two", 3);
    cr_assert(run_until(&in.got, 2000), "no message after the restart");
    cr_expect_str_eq(in.text, "two");
    rda_client_free(c);
}

Test(rda_cluster, publishes_made_while_down_are_sent_on_reconnect)
{
    inbox_t in = {0};
    bool never = false;
    rda_client_t *c = rda_client_new(&loop, url), *spy;
    cr_assert_not_null(c);
    rda_client_publish(c, "q", "queued", 6); /* Redis is not there yet */
    redis_start();
    spy = rda_client_new(&loop, url);
    rda_client_subscribe(spy, "q", false, on_message, &in);
    cr_assert(until_connected(spy, 5000));
    run_until(&never, 100); /* the spy's SUBSCRIBE goes first */
    cr_assert(until_connected(c, 5000));
    cr_expect(run_until(&in.got, 2000), "the queued message never came");
    cr_expect_str_eq(in.text, "queued");
    rda_client_free(c);
    rda_client_free(spy);
}

Test(rda_cluster, the_queue_while_down_is_bounded_in_bytes_and_drops_the_oldest)
{
    inbox_t in = {0};
    bool never = false;
    rda_client_stats_t st;
    char payload[32];
    rda_client_t *c = rda_client_new(&loop, url), *spy;
    cr_assert_not_null(c);
    rda_client_set_queue_limits(c, 0, 100); /* channel "q" + 30 bytes: 3 fit */
    for (int i = 0; i < 5; i++) {
        snprintf(payload, sizeof(payload), "message %d%021d", i, 0);
        rda_client_publish(c, "q", payload, 30);
    }
    rda_client_stats(c, &st);
    cr_expect_not(st.connected);
    cr_expect_eq(st.queued, 3);
    cr_expect_eq(st.queued_bytes, 93);
    cr_expect_eq(st.dropped, 2);
    redis_start();
    spy = rda_client_new(&loop, url);
    rda_client_subscribe(spy, "q", false, on_message, &in);
    cr_assert(until_connected(spy, 5000));
    run_until(&never, 100);
    cr_assert(until_connected(c, 5000));
    cr_expect(run_until(&in.got, 2000), "the queued messages never came");
    run_until(&never, 100);
    cr_expect(strncmp(in.text, "message 4", 9) == 0, "%s", in.text); /* the newest came last */
    rda_client_stats(c, &st);
    cr_expect_eq(st.queued, 0);
    cr_expect_eq(st.queued_bytes, 0);
    rda_client_free(c);
    rda_client_free(spy);
}

typedef struct st_int_answer_t {
    bool got;
    int status;
    long long value;
} int_answer_t;

static void on_int(int status, long long value, void *cbdata)
{
    int_answer_t *a = cbdata;
    a->got = true;
    a->status = status;
    a->value = value;
}

static int_answer_t command(rda_client_t *c, int argc, const char **argv)
{
    int_answer_t a = {0};
    rda_client_command(c, argc, argv, on_int, &a);
    cr_expect_not(a.got, "answered inside the call");
    cr_assert(run_until(&a.got, 2000), "no answer");
    return a;
}

Test(rda_cluster, commands_answer_integers_and_fail_while_redis_is_down)
{
    const char *incr[] = {"INCR", "sioc:test:n"};
    const char *pexpire[] = {"PEXPIRE", "sioc:test:n", "60000"};
    const char *pttl[] = {"PTTL", "sioc:test:n"};
    const char *set[] = {"SET", "sioc:test:s", "1", "PX", "5000"};
    const char *bad[] = {"INCR"};
    rda_client_t *c = rda_client_new(&loop, url);
    int_answer_t a = command(c, 2, incr);
    cr_expect_eq(a.status, -ENOTCONN);
    redis_start();
    cr_assert(until_connected(c, 5000));
    cr_expect_eq(command(c, 2, incr).value, 1);
    cr_expect_eq(command(c, 2, incr).value, 2);
    cr_expect_eq(command(c, 3, pexpire).value, 1);
    a = command(c, 2, pttl);
    cr_expect_eq(a.status, 0);
    cr_expect(a.value > 50000 && a.value <= 60000, "%lld", a.value);
    cr_expect_eq(command(c, 5, set).status, 0);
    cr_expect_eq(command(c, 1, bad).status, -EIO);
    redis_stop();
    a = command(c, 2, incr);
    cr_expect_eq(a.status, -ENOTCONN);
    rda_client_free(c);
}

/* --- two nodes --- */

typedef struct st_node_t {
    rda_client_t *client;
    sio_server_t *io;
    sio_namespace_t *nsp;
} node_t;

static void on_server_side(sio_namespace_t *nsp, const char *event, const json_t *args,
                           sio_server_reply_t *reply, void *data)
{
    UNUSED(nsp);
    UNUSED(data);
    if (reply != NULL)
        sio_server_reply(reply, json_pack("[s, s, O]", "pong", event, args));
}

static void node_init_keyed(node_t *n, bool handler, const char *key)
{
    sio_config_t sc;
    n->client = rda_client_new(&loop, url);
    cr_assert_not_null(n->client);
    if (key != NULL)
        cr_assert_eq(rda_client_set_key(n->client, key), 0);
    sio_config_init(&sc);
    sc.adapter = rda_adapter_new;
    sc.adapter_data = n->client;
    n->io = sio_server_new(&loop, NULL, &sc);
    cr_assert_not_null(n->io);
    n->nsp = sio_server_of(n->io, "/");
    if (handler)
        sio_namespace_on_server_side(n->nsp, on_server_side, NULL);
}

static void node_init_with(node_t *n, bool handler)
{
    node_init_keyed(n, handler, NULL);
}

static void node_init(node_t *n)
{
    node_init_with(n, true);
}

static void node_free(node_t *n)
{
    sio_server_free(n->io);
    rda_client_free(n->client);
}

static sio_socket_t *connect_socket(node_t *n, buf_t *sink)
{
    sio_client_t *c = sio__client_new_detached(n->io, 4, sink);
    sio__client_connect(c, "/", json_object());
    cr_assert_not_null(c->sockets);
    return c->sockets;
}

/* Waits until `n` nodes are subscribed to `channel`. */
static void wait_subscribers(node_t *a, const char *channel, long long n)
{
    for (int i = 0; i < 500; i++) {
        count_t cnt = {0};
        rda_client_numsub(a->client, channel, on_count, &cnt);
        cr_assert(run_until(&cnt.got, 2000));
        if (cnt.n == n)
            return;
    }
    cr_assert_fail("%s never had %lld subscribers", channel, n);
}

/* Waits until both nodes are subscribed to the request channel of "/". */
static void wait_cluster(node_t *a)
{
    wait_subscribers(a, "socket.io-request#/#", 2);
}

static bool sink_has(const buf_t *sink, const char *text)
{
    return sink->base != NULL && strstr(sink->base, text) != NULL;
}

static bool run_until_sink(const buf_t *sink, const char *text, unsigned ms)
{
    uint64_t end = uv_now(&loop) + ms;
    while (!sink_has(sink, text) && uv_now(&loop) < end) {
        uv_run(&loop, UV_RUN_NOWAIT);
        usleep(2000);
        uv_update_time(&loop);
    }
    return sink_has(sink, text);
}

typedef struct st_answer_t {
    bool got;
    int err;
    json_t *v;
} answer_t;

static void on_fetched(int err, const json_t *sockets, void *cbdata)
{
    answer_t *a = cbdata;
    a->err = err;
    a->v = json_deep_copy(sockets);
    a->got = true;
}

static void on_sse(int err, const json_t *responses, void *cbdata)
{
    on_fetched(err, responses, cbdata);
}

Test(rda_cluster, two_nodes_share_broadcasts_rooms_fetch_and_server_side_emit)
{
    node_t a, b;
    buf_t sink_a = BUF_INIT, sink_b = BUF_INIT;
    sio_socket_t *sa, *sb;
    answer_t ans = {0};
    char *ids;
    redis_start();
    node_init(&a);
    node_init(&b);
    cr_assert(until_connected(a.client, 5000) && until_connected(b.client, 5000));
    wait_cluster(&a);
    sa = connect_socket(&a, &sink_a);
    sb = connect_socket(&b, &sink_b);
    sio_socket_join(sb, "room-b");

    /* a broadcast from A to room-b reaches B's socket, not A's */
    sio_broadcast_emit(sio_broadcast_to(sio_namespace_broadcast(a.nsp), "room-b"), "hi",
                       json_pack("[i, s]", 1, "x"), NULL, 0);
    cr_expect(run_until_sink(&sink_b, "2[\"hi\",1,\"x\"]", 2000), "B got: %s",
              sink_b.base ? sink_b.base : "");
    cr_expect(!sink_has(&sink_a, "\"hi\""));

    /* socketsJoin from A makes B's socket join */
    sio_broadcast_sockets_join(sio_broadcast_to(sio_namespace_broadcast(a.nsp), "room-b"), "j");
    for (int i = 0; i < 500 && !sio_socket_in_room(sb, "j"); i++) {
        uv_run(&loop, UV_RUN_NOWAIT);
        usleep(2000);
    }
    cr_expect(sio_socket_in_room(sb, "j"), "socketsJoin did not reach node B");

    /* fetchSockets from A sees both sockets */
    sio_broadcast_fetch_sockets(sio_namespace_broadcast(a.nsp), on_fetched, &ans);
    cr_assert(run_until(&ans.got, 3000));
    cr_expect_eq(ans.err, 0);
    cr_expect_eq(json_array_size(ans.v), 2);
    ids = json_dumps(ans.v, JSON_COMPACT);
    cr_expect(strstr(ids, sio_socket_id(sa)) != NULL && strstr(ids, sio_socket_id(sb)) != NULL,
              "%s", ids);
    cr_expect(strstr(ids, "\"room-b\"") != NULL, "rooms missing: %s", ids);
    free(ids);
    json_decref(ans.v);

    /* serverSideEmit with ack: B answers A (with its first argument) */
    memset(&ans, 0, sizeof(ans));
    cr_assert_eq(
        sio_namespace_server_side_emit(a.nsp, "ping", json_pack("[i]", 7), 2000, on_sse, &ans), 0);
    cr_assert(run_until(&ans.got, 3000));
    cr_expect_eq(ans.err, 0);
    ids = json_dumps(ans.v, JSON_COMPACT);
    cr_expect_str_eq(ids, "[\"pong\"]");
    free(ids);
    json_decref(ans.v);

    node_free(&a);
    node_free(&b);
    buf_dispose(&sink_a);
    buf_dispose(&sink_b);
}

Test(rda_cluster, a_key_makes_a_cluster_of_its_own_on_one_redis)
{
    node_t a, b, c;
    buf_t sink_a = BUF_INIT, sink_b = BUF_INIT, sink_c = BUF_INIT;
    char long_key[70];
    redis_start();
    node_init_keyed(&a, true, "tenant-1");
    node_init_keyed(&b, true, "tenant-1");
    node_init(&c);
    cr_expect_str_eq(rda_client_key(a.client), "tenant-1");
    cr_expect_str_eq(rda_client_key(c.client), RDA_DEFAULT_KEY);
    /* refused keys leave the key as it was */
    memset(long_key, 'k', 65);
    long_key[65] = '\0';
    const char *bad[] = {"", "a#b", "a*", "a?", "a[b", "a b", "a\tb", "a\x7f", long_key, NULL};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        cr_expect_eq(rda_client_set_key(c.client, bad[i]), -EINVAL, "key %zu accepted", i);
    cr_expect_str_eq(rda_client_key(c.client), RDA_DEFAULT_KEY);
    cr_assert(until_connected(a.client, 5000) && until_connected(b.client, 5000) &&
              until_connected(c.client, 5000));
    wait_subscribers(&a, "tenant-1-request#/#", 2);
    wait_subscribers(&a, "socket.io-request#/#", 1);
    connect_socket(&a, &sink_a);
    connect_socket(&b, &sink_b);
    connect_socket(&c, &sink_c);
    sio_broadcast_emit(sio_namespace_broadcast(a.nsp), "keyed", json_pack("[i]", 1), NULL, 0);
    sio_broadcast_emit(sio_namespace_broadcast(c.nsp), "plain", json_pack("[i]", 2), NULL, 0);
    cr_expect(run_until_sink(&sink_b, "2[\"keyed\",1]", 2000), "B got: %s",
              sink_b.base ? sink_b.base : "");
    cr_expect(!run_until_sink(&sink_c, "keyed", 300), "the default cluster heard the keyed one");
    cr_expect(!sink_has(&sink_a, "plain") && !sink_has(&sink_b, "plain"),
              "the keyed cluster heard the default one");
    node_free(&a);
    node_free(&b);
    node_free(&c);
    buf_dispose(&sink_a);
    buf_dispose(&sink_b);
    buf_dispose(&sink_c);
}

Test(rda_cluster, a_lone_node_answers_at_once_and_nothing_waits_on_a_dead_redis)
{
    node_t a;
    answer_t ans = {0};
    node_init(&a); /* no Redis at all */
    sio_broadcast_fetch_sockets(sio_namespace_broadcast(a.nsp), on_fetched, &ans);
    cr_assert(run_until(&ans.got, 1000));
    cr_expect_eq(ans.err, 0);
    cr_expect_eq(json_array_size(ans.v), 0);
    json_decref(ans.v);
    memset(&ans, 0, sizeof(ans));
    sio_namespace_server_side_emit(a.nsp, "ping", NULL, 1000, on_sse, &ans);
    cr_assert(run_until(&ans.got, 1000));
    cr_expect_eq(ans.err, 0);
    cr_expect_eq(json_array_size(ans.v), 0);
    json_decref(ans.v);
    node_free(&a);
}

Test(rda_cluster, server_side_emit_times_out_when_the_other_node_never_answers)
{
    node_t a, b;
    answer_t ans = {0};
    uint64_t t0;
    redis_start();
    node_init(&a);
    node_init_with(&b, false); /* B has no server-side handler: it cannot answer */
    cr_assert(until_connected(a.client, 5000) && until_connected(b.client, 5000));
    wait_cluster(&a);
    t0 = uv_now(&loop);
    sio_namespace_server_side_emit(a.nsp, "ping", json_pack("[i]", 1), 300, on_sse, &ans);
    cr_assert(run_until(&ans.got, 3000));
    cr_expect_eq(ans.err, -ETIMEDOUT);
    cr_expect_eq(json_array_size(ans.v), 0);
    cr_expect_geq(uv_now(&loop) - t0, 290);
    json_decref(ans.v);
    /* and a serverSideEmit without ack is fine too */
    cr_expect_eq(sio_namespace_server_side_emit(a.nsp, "ping", NULL, 0, NULL, NULL), 0);
    node_free(&a);
    node_free(&b);
}
