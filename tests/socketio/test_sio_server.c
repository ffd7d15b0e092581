/* test_sio_server.c - the Socket.IO server's behaviour at the packet level, on a real loop: the
 * CONNECT flow (auth, refusal, middlewares sync and async, dynamic namespaces, connect timeout),
 * events and acks both ways (binary included), disconnect reasons, protocol violations, the
 * EIO3 (socket.io 2.x) forms, broadcast with ack, and connection state recovery. Messages are
 * fed to detached clients (no Engine.IO session) whose writes land in a buffer, one Socket.IO
 * message a line, so the expectations are the exact wire strings. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "socketio/internal.h"
#include "tests/support/leakcheck.h"

static uv_loop_t loop;
static sio_server_t *io;
static sio_config_t conf;
static buf_t sinks[4];
static json_t *log_; /* what the handlers saw */

static void setup(void)
{
    cr_assert_eq(uv_loop_init(&loop), 0);
    sio_config_init(&conf);
    log_ = json_array();
}

static void start(void)
{
    io = sio_server_new(&loop, NULL, &conf);
    cr_assert_not_null(io);
}

static void teardown(void)
{
    sio_server_free(io);
    cr_expect_eq(uv_run(&loop, UV_RUN_DEFAULT), 0);
    cr_expect_eq(uv_loop_close(&loop), 0);
    for (size_t i = 0; i < ARRAY_SIZE(sinks); i++)
        buf_dispose(&sinks[i]);
    json_decref(log_);
    sioc_check_leaks();
}

TestSuite(sio_server, .init = setup, .fini = teardown);

static sio_client_t *client(int i, int protocol)
{
    return sio__client_new_detached(io, protocol, &sinks[i]);
}

static void feed(sio_client_t *c, const char *msg)
{
    sio__client_message(c, msg, strlen(msg), false);
}

static void feed_bin(sio_client_t *c, const char *data, size_t len)
{
    sio__client_message(c, data, len, true);
}

/* What client i was sent since the last call. */
static char *take(int i)
{
    size_t len;
    if (sinks[i].base == NULL)
        return xstrdup("");
    return buf_steal(&sinks[i], &len);
}

static void expect_sent(int i, const char *want)
{
    char *got = take(i);
    cr_expect_str_eq(got, want);
    free(got);
}

static char *logged(void)
{
    char *s = json_dumps(log_, JSON_COMPACT);
    json_array_clear(log_);
    return s;
}

static void expect_log(const char *want)
{
    char *s = logged();
    cr_expect_str_eq(s, want);
    free(s);
}

static sio_socket_t *socket_of(sio_client_t *c, const char *nsp)
{
    for (sio_socket_t *s = c->sockets; s != NULL; s = s->client_next) {
        if (strcmp(sio_namespace_name(sio_socket_namespace(s)), nsp) == 0 &&
            sio_socket_connected(s))
            return s;
    }
    return NULL;
}

/* --- handlers that log --- */

static void log_connection(sio_socket_t *s, void *data)
{
    UNUSED(data);
    json_array_append_new(log_, json_pack("{s:s,s:O}", "connect",
                                          sio_namespace_name(sio_socket_namespace(s)), "auth",
                                          sio_socket_auth(s)));
}

static void log_event(sio_socket_t *s, const sio_event_t *ev, void *data)
{
    UNUSED(s);
    json_array_append_new(log_, json_pack("{s:s,s:s,s:O,s:I,s:I}", "on", (const char *)data, "name",
                                          ev->name, "args", ev->args, "ack", (json_int_t)ev->ack_id,
                                          "bins", (json_int_t)ev->nbins));
}

static void ack_ok(sio_socket_t *s, const sio_event_t *ev, void *data)
{
    UNUSED(data);
    sio_socket_ack(s, ev->ack_id, json_pack("[s]", "ok"), NULL, 0);
}

static void echo_binary(sio_socket_t *s, const sio_event_t *ev, void *data)
{
    const void *bytes;
    size_t len;
    UNUSED(data);
    cr_assert(sio_binary_get(json_array_get(ev->args, 0), ev->bins, ev->nbins, &bytes, &len));
    cr_expect_eq(len, 3);
    cr_expect_eq(memcmp(bytes, "abc", 3), 0);
    sio_socket_emit(s, "bin-back", json_incref(ev->args), ev->bins, ev->nbins);
}

static void log_disconnecting(sio_socket_t *s, const char *reason, void *data)
{
    json_t *rooms = sio_socket_rooms(s);
    UNUSED(data);
    json_array_append_new(log_, json_pack("{s:s,s:I}", "disconnecting", reason, "rooms",
                                          (json_int_t)json_array_size(rooms)));
    json_decref(rooms);
}

static void log_disconnect(sio_socket_t *s, const char *reason, void *data)
{
    UNUSED(data);
    json_array_append_new(log_, json_pack("{s:s,s:s,s:I}", "disconnect", reason, "nsp",
                                          sio_namespace_name(sio_socket_namespace(s)), "rooms",
                                          (json_int_t)0 + (sio_socket_in_room(s, "r") ? 1 : 0)));
}

/* --- CONNECT --- */

Test(sio_server, connect_replies_with_sid_and_runs_connection)
{
    start();
    sio_namespace_on_connection(sio_server_of(io, "/"), log_connection, NULL);
    sio_client_t *c = client(0, 4);
    feed(c, "0");
    sio_socket_t *s = socket_of(c, "/");
    cr_assert_not_null(s);
    char want[64];
    snprintf(want, sizeof(want), "0{\"sid\":\"%s\"}\n", sio_socket_id(s));
    expect_sent(0, want);
    expect_log("[{\"connect\":\"/\",\"auth\":{}}]");
    cr_expect_not(c->in_wait);
}

Test(sio_server, connect_to_namespace_with_auth)
{
    start();
    sio_namespace_on_connection(sio_server_of(io, "/admin"), log_connection, NULL);
    sio_client_t *c = client(0, 4);
    feed(c, "0/admin,{\"token\":\"abc\"}");
    sio_socket_t *s = socket_of(c, "/admin");
    cr_assert_not_null(s);
    char want[80];
    snprintf(want, sizeof(want), "0/admin,{\"sid\":\"%s\"}\n", sio_socket_id(s));
    expect_sent(0, want);
    expect_log("[{\"connect\":\"/admin\",\"auth\":{\"token\":\"abc\"}}]");
    /* the namespace "/" was never joined: a client may use only other namespaces */
    cr_expect_null(socket_of(c, "/"));
}

Test(sio_server, unknown_namespace_is_refused)
{
    start();
    sio_client_t *c = client(0, 4);
    feed(c, "0/nope,");
    expect_sent(0, "4/nope,{\"message\":\"Invalid namespace\"}\n");
    cr_expect_null(c->sockets);
    cr_expect_not(c->closed);
    cr_expect(c->in_wait); /* still owes a namespace before connectTimeout */
}

static bool match_dyn(const char *name, const json_t *auth, void *data)
{
    UNUSED(auth);
    UNUSED(data);
    return strncmp(name, "/dyn-", 5) == 0;
}

Test(sio_server, dynamic_namespaces_share_the_parent_handlers)
{
    start();
    sio_namespace_t *parent = sio_server_of_dynamic(io, match_dyn, NULL);
    sio_namespace_on_connection(parent, log_connection, NULL);
    sio_namespace_t *re = sio_server_of_regex(io, "^/re-[0-9]+$");
    sio_namespace_on_connection(re, log_connection, NULL);
    cr_expect_null(sio_server_of_regex(io, "(unclosed"));
    sio_client_t *c = client(0, 4);
    feed(c, "0/dyn-a,");
    feed(c, "0/re-12,");
    feed(c, "0/re-x,");
    expect_log("[{\"connect\":\"/dyn-a\",\"auth\":{}},{\"connect\":\"/re-12\",\"auth\":{}}]");
    cr_expect_not_null(socket_of(c, "/dyn-a"));
    cr_expect_not_null(socket_of(c, "/re-12"));
    char *sent = take(0);
    cr_expect(strstr(sent, "4/re-x,{\"message\":\"Invalid namespace\"}\n") != NULL, "%s", sent);
    free(sent);
    /* a second client reuses the child namespace */
    sio_client_t *c2 = client(1, 4);
    feed(c2, "0/dyn-a,");
    cr_expect_eq(sio_socket_namespace(socket_of(c2, "/dyn-a")),
                 sio_socket_namespace(socket_of(c, "/dyn-a")));
}

static void refuse(sio_socket_t *s, void *data)
{
    UNUSED(data);
    const char *t = json_string_value(json_object_get(sio_socket_auth(s), "token"));
    if (t != NULL && strcmp(t, "good") == 0)
        sio_socket_next(s, NULL, NULL);
    else
        sio_socket_next(s, "not authorized", json_pack("{si}", "code", 401));
}

static void count_mw(sio_socket_t *s, void *data)
{
    json_array_append_new(log_, json_string((const char *)data));
    sio_socket_next(s, NULL, NULL);
}

Test(sio_server, middlewares_run_in_order_and_refuse)
{
    start();
    sio_namespace_t *nsp = sio_server_of(io, "/auth");
    sio_namespace_use(nsp, count_mw, "first");
    sio_namespace_use(nsp, refuse, NULL);
    sio_namespace_use(nsp, count_mw, "third");
    sio_namespace_on_connection(nsp, log_connection, NULL);
    sio_client_t *c = client(0, 4);
    feed(c, "0/auth,{\"token\":\"bad\"}");
    expect_sent(0, "4/auth,{\"message\":\"not authorized\",\"data\":{\"code\":401}}\n");
    expect_log("[\"first\"]");
    cr_expect_null(c->sockets);
    feed(c, "0/auth,{\"token\":\"good\"}");
    expect_log("[\"first\",\"third\",{\"connect\":\"/auth\",\"auth\":{\"token\":\"good\"}}]");
    cr_expect_not_null(socket_of(c, "/auth"));
}

static void refuse_plain(sio_socket_t *s, void *data)
{
    UNUSED(data);
    sio_socket_next(s, "nope", NULL);
}

Test(sio_server, refusal_without_data_has_only_message)
{
    start();
    sio_namespace_use(sio_server_of(io, "/"), refuse_plain, NULL);
    sio_client_t *c = client(0, 4);
    feed(c, "0");
    expect_sent(0, "4{\"message\":\"nope\"}\n");
}

typedef struct {
    uv_timer_t t;
    sio_socket_t *s;
} delay_t;

static void on_delay_closed(uv_handle_t *h)
{
    free(h->data);
}

static void on_delay(uv_timer_t *t)
{
    delay_t *d = t->data;
    json_array_append_new(log_, json_string("next"));
    sio_socket_next(d->s, NULL, NULL);
    uv_close((uv_handle_t *)&d->t, on_delay_closed);
}

static void async_mw(sio_socket_t *s, void *data)
{
    UNUSED(data);
    delay_t *d = xcalloc(1, sizeof(*d));
    d->s = s;
    uv_timer_init(&loop, &d->t);
    d->t.data = d;
    uv_timer_start(&d->t, on_delay, 20, 0);
}

Test(sio_server, asynchronous_middleware)
{
    start();
    sio_namespace_t *nsp = sio_server_of(io, "/async");
    sio_namespace_use(nsp, async_mw, NULL);
    sio_namespace_on_connection(nsp, log_connection, NULL);
    sio_client_t *c = client(0, 4);
    feed(c, "0/async,");
    expect_sent(0, "");
    cr_expect_null(socket_of(c, "/async"));
    /* a packet for the namespace before it is connected is a protocol violation: not tested
     * here; the connection completes from the timer */
    uv_run(&loop, UV_RUN_DEFAULT);
    expect_log("[\"next\",{\"connect\":\"/async\",\"auth\":{}}]");
    cr_expect_not_null(socket_of(c, "/async"));
}

Test(sio_server, asynchronous_middleware_after_the_connection_closed)
{
    start();
    sio_namespace_t *nsp = sio_server_of(io, "/async");
    sio_namespace_use(nsp, async_mw, NULL);
    sio_namespace_on_connection(nsp, log_connection, NULL);
    sio_client_t *c = client(0, 4);
    feed(c, "0/async,");
    sio__client_closed(c, "transport close"); /* frees the client */
    uv_run(&loop, UV_RUN_DEFAULT);
    expect_log("[\"next\"]"); /* next() ran, nothing connected, nothing leaked */
    cr_expect_eq(sio_namespace_socket_count(nsp), 0);
}

Test(sio_server, connect_timeout_closes_idle_connections)
{
    conf.connect_timeout_ms = 20;
    start();
    sio_client_t *idle = client(0, 4), *joined = client(1, 4);
    feed(joined, "0");
    uv_run(&loop, UV_RUN_DEFAULT);
    cr_expect(idle->closed);
    cr_expect_not(joined->closed);
}

/* --- events and acks --- */

Test(sio_server, events_reach_catch_all_then_handler)
{
    start();
    sio_namespace_t *nsp = sio_server_of(io, "/");
    sio_namespace_on(nsp, "hello", log_event, "hello");
    sio_namespace_on_any(nsp, log_event, "any");
    sio_client_t *c = client(0, 4);
    feed(c, "0");
    free(take(0));
    feed(c, "2[\"hello\",1,{\"a\":2}]");
    feed(c, "2[\"other\"]");
    feed(c, "2[7,\"x\"]");
    feed(c, "2");
    expect_log("[{\"on\":\"any\",\"name\":\"hello\",\"args\":[1,{\"a\":2}],\"ack\":-1,\"bins\":0},"
               "{\"on\":\"hello\",\"name\":\"hello\",\"args\":[1,{\"a\":2}],\"ack\":-1,\"bins\":0},"
               "{\"on\":\"any\",\"name\":\"other\",\"args\":[],\"ack\":-1,\"bins\":0},"
               "{\"on\":\"any\",\"name\":\"7\",\"args\":[\"x\"],\"ack\":-1,\"bins\":0}]");
    sio_namespace_on(nsp, "hello", NULL, NULL);
    sio_namespace_on_any(nsp, NULL, NULL);
    feed(c, "2[\"hello\"]");
    expect_log("[]");
    expect_sent(0, "");
}

Test(sio_server, client_ack_and_namespaced_events)
{
    start();
    sio_namespace_on(sio_server_of(io, "/admin"), "ask", ack_ok, NULL);
    sio_client_t *c = client(0, 4);
    feed(c, "0/admin,");
    free(take(0));
    feed(c, "2/admin,12[\"ask\"]");
    expect_sent(0, "3/admin,12[\"ok\"]\n");
}

Test(sio_server, binary_event_round_trip)
{
    start();
    sio_namespace_on(sio_server_of(io, "/"), "bin", echo_binary, NULL);
    sio_client_t *c = client(0, 4);
    feed(c, "0");
    free(take(0));
    feed(c, "51-[\"bin\",{\"_placeholder\":true,\"num\":0}]");
    expect_sent(0, "");
    feed_bin(c, "abc", 3);
    expect_sent(0, "51-[\"bin-back\",{\"_placeholder\":true,\"num\":0}]\n<binary 3>\n");
}

static void on_client_answer(sio_socket_t *s, int err, const json_t *args, blob_t *const *bins,
                             size_t nbins, void *cbdata)
{
    UNUSED(s);
    UNUSED(bins);
    json_array_append_new(log_, json_pack("{s:s,s:i,s:O?,s:I}", "ack", (const char *)cbdata, "err",
                                          err, "args", args, "bins", (json_int_t)nbins));
}

Test(sio_server, server_emit_with_ack_and_timeout)
{
    start();
    sio_client_t *c = client(0, 4);
    feed(c, "0");
    free(take(0));
    sio_socket_t *s = socket_of(c, "/");
    cr_assert_eq(
        sio_socket_emit_ex(s, 0, "q", json_pack("[i]", 1), NULL, 0, 0, on_client_answer, "first"),
        0);
    cr_assert_eq(sio_socket_emit_ex(s, 0, "q", NULL, NULL, 0, 20, on_client_answer, "second"), 0);
    expect_sent(0, "20[\"q\",1]\n21[\"q\"]\n");
    feed(c, "30[\"answer\"]");
    feed(c, "30[\"again\"]"); /* already answered: ignored */
    feed(c, "399[]");         /* unknown: ignored */
    expect_log("[{\"ack\":\"first\",\"err\":0,\"args\":[\"answer\"],\"bins\":0}]");
    uv_run(&loop, UV_RUN_DEFAULT);
    expect_log("[{\"ack\":\"second\",\"err\":-110,\"args\":null,\"bins\":0}]");
    cr_expect_eq(sio_socket_emit(s, "connect", NULL, NULL, 0), -EINVAL);
    /* a binary ack */
    cr_assert_eq(sio_socket_emit_ex(s, 0, "q", NULL, NULL, 0, 0, on_client_answer, "bin"), 0);
    feed(c, "62-2[{\"_placeholder\":true,\"num\":0},{\"_placeholder\":true,\"num\":1}]");
    feed_bin(c, "x", 1);
    feed_bin(c, "y", 1);
    expect_log("[{\"ack\":\"bin\",\"err\":0,\"args\":[{\"_placeholder\":true,\"num\":0},{\"_"
               "placeholder\":true,\"num\":1}],\"bins\":2}]");
}

Test(sio_server, pending_acks_fail_when_the_socket_disconnects)
{
    start();
    sio_client_t *c = client(0, 4);
    feed(c, "0");
    sio_socket_t *s = socket_of(c, "/");
    free(take(0)); /* the CONNECT answer */
    cr_assert_eq(sio_socket_emit_ex(s, 0, "q", NULL, NULL, 0, 1000, on_client_answer, "gone"), 0);
    expect_sent(0, "20[\"q\"]\n");
    feed(c, "1");
    expect_log("[{\"ack\":\"gone\",\"err\":-32,\"args\":null,\"bins\":0}]");
}

/* --- disconnection --- */

static void hook_disconnects(sio_namespace_t *nsp)
{
    sio_namespace_on_disconnecting(nsp, log_disconnecting, NULL);
    sio_namespace_on_disconnect(nsp, log_disconnect, NULL);
}

Test(sio_server, disconnect_reasons)
{
    start();
    hook_disconnects(sio_server_of(io, "/"));
    hook_disconnects(sio_server_of(io, "/admin"));
    sio_client_t *c = client(0, 4);
    feed(c, "0");
    sio_socket_join(socket_of(c, "/"), "r");
    feed(c, "1");
    expect_log("[{\"disconnecting\":\"client namespace disconnect\",\"rooms\":2},"
               "{\"disconnect\":\"client namespace disconnect\",\"nsp\":\"/\",\"rooms\":0}]");
    feed(c, "0");
    sio_socket_disconnect(socket_of(c, "/"), false);
    expect_log("[{\"disconnecting\":\"server namespace disconnect\",\"rooms\":1},"
               "{\"disconnect\":\"server namespace disconnect\",\"nsp\":\"/\",\"rooms\":0}]");
    free(take(0));
    feed(c, "0");
    feed(c, "0/admin,");
    free(take(0));
    sio_socket_disconnect(socket_of(c, "/admin"), true);
    char *log = logged();
    cr_expect(strstr(log, "{\"disconnect\":\"server namespace disconnect\",\"nsp\":\"/\"") != NULL,
              "%s", log);
    cr_expect(strstr(log, "{\"disconnect\":\"server namespace disconnect\",\"nsp\":\"/admin\"") !=
                  NULL,
              "%s", log);
    free(log);
    char *sent = take(0);
    cr_expect(strstr(sent, "1\n") != NULL && strstr(sent, "1/admin,\n") != NULL, "%s", sent);
    free(sent);
    cr_expect(c->closed);

    sio_client_t *c2 = client(1, 4);
    feed(c2, "0");
    sio__client_closed(c2, "transport close");
    expect_log("[{\"disconnecting\":\"transport close\",\"rooms\":1},"
               "{\"disconnect\":\"transport close\",\"nsp\":\"/\",\"rooms\":0}]");
}

Test(sio_server, protocol_violations_close_the_connection)
{
    start();
    hook_disconnects(sio_server_of(io, "/"));
    sio_client_t *bad = client(0, 4);
    feed(bad, "0");
    feed(bad, "2[\"unterminated\"");
    cr_expect(bad->closed);
    feed(bad, "2[\"ignored\"]");
    expect_log("[]"); /* the sockets close when the engine reports the close */
    sio__client_closed(bad, "forced close");
    expect_log("[{\"disconnecting\":\"forced close\",\"rooms\":1},"
               "{\"disconnect\":\"forced close\",\"nsp\":\"/\",\"rooms\":0}]");

    sio_client_t *twice = client(1, 4);
    feed(twice, "0");
    feed(twice, "0");
    cr_expect(twice->closed);
    expect_log("[{\"disconnecting\":\"forced server close\",\"rooms\":1},"
               "{\"disconnect\":\"forced server close\",\"nsp\":\"/\",\"rooms\":0}]");

    sio_client_t *elsewhere = client(2, 4);
    feed(elsewhere, "2/admin,[\"x\"]");
    cr_expect(elsewhere->closed);

    sio_client_t *binary = client(3, 4);
    feed_bin(binary, "x", 1);
    cr_expect(binary->closed);
}

Test(sio_server, text_while_awaiting_attachments_closes)
{
    start();
    sio_client_t *c = client(0, 4);
    feed(c, "0");
    feed(c, "51-[\"bin\",{\"_placeholder\":true,\"num\":0}]");
    feed(c, "2[\"x\"]");
    cr_expect(c->closed);
}

/* --- EIO3: socket.io 2.x clients --- */

Test(sio_server, eio3_forms)
{
    start();
    sio_namespace_on_connection(sio_server_of(io, "/"), log_connection, NULL);
    sio_namespace_on_connection(sio_server_of(io, "/admin"), log_connection, NULL);
    sio_namespace_use(sio_server_of(io, "/auth"), refuse, NULL);
    sio_namespace_use(sio_server_of(io, "/plain"), refuse_plain, NULL);
    sio_client_t *c = client(0, 3); /* connected to "/" at once */
    expect_sent(0, "0\n");
    feed(c, "0/admin?token=1&x=y,");
    expect_sent(0, "0/admin,\n");
    expect_log("[{\"connect\":\"/\",\"auth\":{}},"
               "{\"connect\":\"/admin\",\"auth\":{\"token\":\"1\",\"x\":\"y\"}}]");
    cr_expect_str_eq(sio_socket_id(socket_of(c, "/admin")), "/admin#");
    feed(c, "0/auth,");
    expect_sent(0, "4/auth,{\"code\":401}\n");
    feed(c, "0/plain,");
    expect_sent(0, "4/plain,\"nope\"\n");
    feed(c, "0/nope,");
    expect_sent(0, "4/nope,{\"message\":\"Invalid namespace\"}\n");
}

/* --- broadcast with ack --- */

static void on_all_answers(int err, const json_t *responses, blob_t *const *bins, size_t nbins,
                           void *cbdata)
{
    UNUSED(cbdata);
    UNUSED(bins);
    if (nbins > 0)
        json_array_append_new(log_, json_integer((json_int_t)nbins));
    json_array_append_new(log_, json_pack("{s:i,s:O}", "err", err, "responses", responses));
}

Test(sio_server, broadcast_with_ack_collects_one_answer_per_client)
{
    start();
    sio_namespace_t *nsp = sio_server_of(io, "/");
    sio_client_t *a = client(0, 4), *b = client(1, 4);
    feed(a, "0");
    feed(b, "0");
    free(take(0));
    free(take(1));
    cr_assert_eq(sio_broadcast_emit_with_ack(sio_namespace_broadcast(nsp), "q", NULL, NULL, 0,
                                             on_all_answers, NULL),
                 0);
    expect_sent(0, "20[\"q\"]\n");
    expect_sent(1, "20[\"q\"]\n");
    feed(a, "30[\"ra\",\"ignored\"]");
    expect_log("[]");
    feed(b, "30[]");
    expect_log("[{\"err\":0,\"responses\":[\"ra\",null]}]");

    /* a timeout with one answer missing */
    sio_broadcast_emit_with_ack(sio_broadcast_timeout(sio_namespace_broadcast(nsp), 20), "q", NULL,
                                NULL, 0, on_all_answers, NULL);
    feed(b, "31[\"rb\"]");
    uv_run(&loop, UV_RUN_DEFAULT);
    expect_log("[{\"err\":-110,\"responses\":[\"rb\"]}]");
    feed(a, "31[\"late\"]"); /* after completion: ignored */
    expect_log("[]");

    /* nobody selected: completes at once */
    sio_broadcast_emit_with_ack(sio_broadcast_to(sio_namespace_broadcast(nsp), "empty"), "q", NULL,
                                NULL, 0, on_all_answers, NULL);
    expect_log("[{\"err\":0,\"responses\":[]}]");
}

Test(sio_server, broadcast_with_ack_keeps_binary_answers)
{
    start();
    sio_client_t *a = client(0, 4), *b = client(1, 4);
    feed(a, "0");
    feed(b, "0");
    sio_broadcast_emit_with_ack(sio_namespace_broadcast(sio_server_of(io, "/")), "q", NULL, NULL, 0,
                                on_all_answers, NULL);
    feed(a, "61-0[{\"b\":{\"_placeholder\":true,\"num\":0}}]");
    feed_bin(a, "xy", 2);
    feed(b, "62-0[[{\"_placeholder\":true,\"num\":1},{\"_placeholder\":true,\"num\":0}]]");
    feed_bin(b, "1", 1);
    feed_bin(b, "22", 2);
    /* b's placeholders move past a's single attachment */
    expect_log("[3,{\"err\":0,\"responses\":[{\"b\":{\"_placeholder\":true,\"num\":0}},"
               "[{\"_placeholder\":true,\"num\":2},{\"_placeholder\":true,\"num\":1}]]}]");
}

/* --- connection state recovery --- */

Test(sio_server, recovery_restores_id_rooms_data_and_missed_packets)
{
    conf.recovery = true;
    start();
    sio_namespace_t *nsp = sio_server_of(io, "/");
    sio_client_t *c = client(0, 4);
    feed(c, "0");
    sio_socket_t *s = socket_of(c, "/");
    char id[32], pid[32], want[256];
    strcpy(id, sio_socket_id(s));
    strcpy(pid, s->pid);
    snprintf(want, sizeof(want), "0{\"sid\":\"%s\",\"pid\":\"%s\"}\n", id, pid);
    expect_sent(0, want);
    sio_socket_join(s, "r");
    sio_socket_set_data(s, json_pack("{si}", "n", 1));
    sio_broadcast_emit(sio_broadcast_to(sio_namespace_broadcast(nsp), "r"), "a", NULL, NULL, 0);
    char *sent = take(0);
    /* 2["a","<offset>"] */
    cr_assert(strncmp(sent, "2[\"a\",\"", 7) == 0, "%s", sent);
    char offset[32];
    size_t olen = strcspn(sent + 7, "\"");
    memcpy(offset, sent + 7, olen);
    offset[olen] = '\0';
    free(sent);

    sio__client_closed(c, "transport close");
    sio_broadcast_emit(sio_broadcast_to(sio_namespace_broadcast(nsp), "r"), "b", NULL, NULL, 0);
    sio_broadcast_emit(sio_broadcast_to(sio_namespace_broadcast(nsp), "other"), "c", NULL, NULL, 0);
    sio_namespace_emit(nsp, "d", json_pack("[i]", 4), NULL, 0);

    char auth[128];
    sio_client_t *again = client(1, 4);
    snprintf(auth, sizeof(auth), "0{\"pid\":\"%s\",\"offset\":\"%s\"}", pid, offset);
    feed(again, auth);
    sio_socket_t *r = socket_of(again, "/");
    cr_assert_not_null(r);
    cr_expect(sio_socket_recovered(r));
    cr_expect_str_eq(sio_socket_id(r), id);
    cr_expect(sio_socket_in_room(r, "r"));
    cr_expect_eq(json_integer_value(json_object_get(sio_socket_data(r), "n")), 1);
    sent = take(1);
    cr_expect(strncmp(sent, "2[\"b\",\"", 7) == 0, "%s", sent);
    cr_expect(strstr(sent, "\n2[\"d\",4,\"") != NULL, "%s", sent);
    cr_expect(strstr(sent, "[\"c\"") == NULL, "%s", sent);
    snprintf(want, sizeof(want), "\n0{\"sid\":\"%s\",\"pid\":\"%s\"}\n", id, pid);
    cr_expect(strstr(sent, want) != NULL, "%s", sent);
    free(sent);

    /* an unknown offset: a new session */
    sio_client_t *other = client(2, 4);
    snprintf(auth, sizeof(auth), "0{\"pid\":\"%s\",\"offset\":\"nope\"}", pid);
    feed(other, auth);
    cr_expect_not(sio_socket_recovered(socket_of(other, "/")));
    cr_expect_str_neq(sio_socket_id(socket_of(other, "/")), id);

    /* a client namespace disconnect leaves nothing to recover */
    sio_socket_t *o = socket_of(other, "/");
    char opid[32];
    strcpy(opid, o->pid);
    feed(other, "1");
    sio_client_t *third = client(3, 4);
    snprintf(auth, sizeof(auth), "0{\"pid\":\"%s\",\"offset\":\"%s\"}", opid, offset);
    feed(third, auth);
    cr_expect_not(sio_socket_recovered(socket_of(third, "/")));
}

Test(sio_server, recovery_skips_volatile_and_acked_broadcasts)
{
    conf.recovery = true;
    start();
    sio_namespace_t *nsp = sio_server_of(io, "/");
    sio_client_t *c = client(0, 4);
    feed(c, "0");
    free(take(0));
    sio_broadcast_emit(sio_broadcast_flags(sio_namespace_broadcast(nsp), SIO_EMIT_VOLATILE), "v",
                       NULL, NULL, 0);
    sio_broadcast_emit_with_ack(sio_namespace_broadcast(nsp), "k", NULL, NULL, 0, on_all_answers,
                                NULL);
    sio_socket_emit(socket_of(c, "/"), "direct", NULL, NULL, 0);
    char *sent = take(0);
    cr_expect(strncmp(sent, "2[\"v\"]\n2", 8) == 0, "%s", sent);    /* volatile: no offset */
    cr_expect(strstr(sent, "[\"k\"]\n") != NULL, "%s", sent);       /* with ack: no offset */
    cr_expect(strstr(sent, "2[\"direct\",\"") != NULL, "%s", sent); /* socket.emit: offset */
    free(sent);
    feed(c, "30[1]");
    expect_log("[{\"err\":0,\"responses\":[1]}]");
}

/* --- recovery bounds --- */

/* Connects client i to "/" with recovery, receives one broadcast (its offset into `offset`) and
 * drops the transport; `pid` gets the session's private id. */
static void recoverable_session(int i, char *pid, char *offset)
{
    sio_namespace_t *nsp = sio_server_of(io, "/");
    sio_client_t *c = client(i, 4);
    feed(c, "0");
    strcpy(pid, socket_of(c, "/")->pid);
    free(take(i));
    sio_namespace_emit(nsp, "first", NULL, NULL, 0);
    char *sent = take(i);
    cr_assert(strncmp(sent, "2[\"first\",\"", 11) == 0, "%s", sent);
    size_t olen = strcspn(sent + 11, "\"");
    memcpy(offset, sent + 11, olen);
    offset[olen] = '\0';
    free(sent);
    sio__client_closed(c, "transport close");
}

/* Reconnects with (pid, offset) as client i; returns the socket. */
static sio_socket_t *reconnect(int i, const char *pid, const char *offset)
{
    char auth[128];
    sio_client_t *c = client(i, 4);
    snprintf(auth, sizeof(auth), "0{\"pid\":\"%s\",\"offset\":\"%s\"}", pid, offset);
    feed(c, auth);
    return socket_of(c, "/");
}

static void emit_n(int n, unsigned flags)
{
    for (int k = 0; k < n; k++)
        sio_broadcast_emit(
            sio_broadcast_flags(sio_namespace_broadcast(sio_server_of(io, "/")), flags), "m",
            json_pack("[i]", k), NULL, 0);
}

Test(sio_server, recovery_buffer_keeps_at_most_its_byte_bound)
{
    sio_recovery_stats_t st;
    conf.recovery = true;
    conf.recovery_max_bytes = 4000;
    start();
    emit_n(200, 0);
    sio_server_recovery_stats(io, &st);
    cr_expect_gt(st.packets, 0);
    cr_expect_lt(st.packets, 200);
    cr_expect_leq(st.bytes, 4000);
    cr_expect_eq(st.packets + st.dropped, 200);
}

Test(sio_server, recovery_buffer_drops_what_is_older_than_max_disconnection)
{
    sio_recovery_stats_t st;
    conf.recovery = true;
    conf.max_disconnection_ms = 20;
    start();
    emit_n(10, 0);
    usleep(30000);
    uv_update_time(&loop);
    emit_n(1, 0); /* each append ages out the head */
    sio_server_recovery_stats(io, &st);
    cr_expect_eq(st.packets, 1);
    cr_expect_eq(st.dropped, 10);
}

/* A session that misses `missed` broadcasts, with at most 5 to replay, comes back as client 1. */
static sio_socket_t *miss_and_reconnect(int missed)
{
    char pid[32], offset[32];
    conf.recovery = true;
    conf.recovery_max_replay_packets = 5;
    start();
    recoverable_session(0, pid, offset);
    emit_n(missed, 0);
    return reconnect(1, pid, offset);
}

Test(sio_server, recovery_within_the_replay_bounds_replays_everything)
{
    sio_recovery_stats_t st;
    sio_socket_t *s = miss_and_reconnect(5);
    cr_assert_not_null(s);
    cr_expect(sio_socket_recovered(s));
    char *sent = take(1);
    cr_expect(strncmp(sent, "2[\"m\",0,\"", 9) == 0, "%s", sent);
    cr_expect(strstr(sent, "2[\"m\",4,\"") != NULL, "%s", sent);
    cr_expect(strstr(sent, "\n0{\"sid\"") != NULL, "%s", sent); /* CONNECT after the replay */
    free(sent);
    sio_server_recovery_stats(io, &st);
    cr_expect_eq(st.recovered, 1);
    cr_expect_eq(st.refused, 0);
    cr_expect_eq(st.replaying, 0);
}

Test(sio_server, recovery_over_the_replay_count_gives_a_fresh_session_at_once)
{
    sio_recovery_stats_t st;
    sio_socket_t *s = miss_and_reconnect(6);
    cr_assert_not_null(s); /* connected now, not after a replay */
    cr_expect_not(sio_socket_recovered(s));
    char *sent = take(1);
    cr_expect(strncmp(sent, "0{\"sid\":\"", 9) == 0, "%s", sent); /* only the CONNECT */
    cr_expect(strstr(sent, "[\"m\"") == NULL, "%s", sent);
    free(sent);
    sio_server_recovery_stats(io, &st);
    cr_expect_eq(st.refused, 1);
    cr_expect_eq(st.recovered, 0);
}

Test(sio_server, recovery_over_the_replay_bytes_gives_a_fresh_session)
{
    char pid[32], offset[32];
    conf.recovery = true;
    conf.recovery_max_replay_bytes = 300;
    start();
    recoverable_session(0, pid, offset);
    emit_n(20, 0);
    cr_expect_not(sio_socket_recovered(reconnect(1, pid, offset)));
}

Test(sio_server, recovery_from_an_offset_older_than_the_buffer_gives_a_fresh_session)
{
    char pid[32], offset[32];
    sio_recovery_stats_t st;
    conf.recovery = true;
    conf.recovery_max_bytes = 1500;
    conf.recovery_max_replay_packets = 0; /* no count bound: only the dropped packets matter */
    conf.recovery_max_replay_bytes = 0;
    start();
    recoverable_session(0, pid, offset);
    emit_n(50, 0);
    sio_server_recovery_stats(io, &st);
    cr_assert_gt(st.dropped, 0);
    cr_expect_not(sio_socket_recovered(reconnect(1, pid, offset)));
    sio_server_recovery_stats(io, &st);
    cr_expect_eq(st.refused, 1);
}

Test(sio_server, broadcasts_marked_no_store_are_delivered_without_offset_and_not_kept)
{
    char pid[32], offset[32];
    sio_recovery_stats_t st;
    conf.recovery = true;
    start();
    sio_client_t *c = client(0, 4);
    feed(c, "0");
    free(take(0));
    emit_n(1, SIO_EMIT_NO_STORE);
    expect_sent(0, "2[\"m\",0]\n");
    sio_server_recovery_stats(io, &st);
    cr_expect_eq(st.packets, 0);
    recoverable_session(1, pid, offset);
    emit_n(3, SIO_EMIT_NO_STORE);
    sio_socket_t *s = reconnect(2, pid, offset);
    cr_expect(sio_socket_recovered(s));
    char *sent = take(2);
    cr_expect(strstr(sent, "[\"m\"") == NULL, "%s", sent); /* nothing to replay */
    free(sent);
}
