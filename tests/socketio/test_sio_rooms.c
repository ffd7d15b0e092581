/* test_sio_rooms.c - the in-memory adapter's room bookkeeping and broadcast targeting, through
 * the public API on a real server and loop. Clients are detached ones (no Engine.IO session:
 * their writes are discarded); the recipients of a broadcast are observed with the namespace's
 * outgoing listener, which the library calls once per recipient as the reference does. */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "socketio/internal.h"
#include "tests/support/leakcheck.h"

static uv_loop_t loop;
static sio_server_t *io;
static sio_namespace_t *root;
static json_t *seen; /* ids of the sockets an outgoing event went to, and its args */

static void on_outgoing(sio_socket_t *s, const char *event, const json_t *args, void *data)
{
    UNUSED(data);
    json_array_append_new(
        seen, json_pack("{s:s,s:s,s:O}", "id", sio_socket_id(s), "event", event, "args", args));
}

static void setup_with(bool recovery)
{
    sio_config_t conf;
    cr_assert_eq(uv_loop_init(&loop), 0);
    sio_config_init(&conf);
    conf.recovery = recovery;
    io = sio_server_new(&loop, NULL, &conf);
    cr_assert_not_null(io);
    root = sio_server_of(io, "/");
    sio_namespace_on_any_outgoing(root, on_outgoing, NULL);
    seen = json_array();
}

static void setup(void)
{
    setup_with(false);
}

static void teardown(void)
{
    json_decref(seen);
    sio_server_free(io);
    cr_expect_eq(uv_run(&loop, UV_RUN_DEFAULT), 0);
    cr_expect_eq(uv_loop_close(&loop), 0);
    sioc_check_leaks();
}

TestSuite(sio_rooms, .init = setup, .fini = teardown);

/* A new connected socket on `nsp` (through the real CONNECT flow). */
static sio_socket_t *connect_to(const char *nsp)
{
    sio_client_t *c = sio__client_new_detached(io, 4, NULL);
    sio__client_connect(c, nsp, json_object());
    cr_assert_not_null(c->sockets);
    cr_assert(sio_socket_connected(c->sockets));
    return c->sockets;
}

/* The sorted ids the last broadcast reached; resets `seen`. */
static char *recipients(void)
{
    json_t *ids = json_array(), *e;
    size_t i;
    json_array_foreach(seen, i, e)
    {
        json_array_append(ids, json_object_get(e, "id"));
    }
    /* sort by string */
    for (size_t a = 0; a < json_array_size(ids); a++) {
        for (size_t b = a + 1; b < json_array_size(ids); b++) {
            const char *x = json_string_value(json_array_get(ids, a));
            const char *y = json_string_value(json_array_get(ids, b));
            if (strcmp(x, y) > 0) {
                json_t *t = json_incref(json_array_get(ids, a));
                json_array_set(ids, a, json_array_get(ids, b));
                json_array_set_new(ids, b, t);
            }
        }
    }
    char *s = json_dumps(ids, JSON_COMPACT);
    json_decref(ids);
    json_array_clear(seen);
    return s;
}

static char *ids_of(sio_socket_t **v, size_t n)
{
    json_t *ids = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(ids, json_string(sio_socket_id(v[i])));
    for (size_t a = 0; a < n; a++) {
        for (size_t b = a + 1; b < n; b++) {
            if (strcmp(json_string_value(json_array_get(ids, a)),
                       json_string_value(json_array_get(ids, b))) > 0) {
                json_t *t = json_incref(json_array_get(ids, a));
                json_array_set(ids, a, json_array_get(ids, b));
                json_array_set_new(ids, b, t);
            }
        }
    }
    char *s = json_dumps(ids, JSON_COMPACT);
    json_decref(ids);
    return s;
}

static void expect_recipients(sio_socket_t **want, size_t n)
{
    char *got = recipients(), *exp = ids_of(want, n);
    cr_expect_str_eq(got, exp);
    free(got);
    free(exp);
}

static void expect_rooms(sio_socket_t *s, const char *want)
{
    json_t *r = sio_socket_rooms(s);
    char *got = json_dumps(r, JSON_COMPACT);
    cr_expect_str_eq(got, want);
    free(got);
    json_decref(r);
}

Test(sio_rooms, socket_is_in_its_own_room)
{
    sio_socket_t *a = connect_to("/");
    char want[64];
    cr_expect_eq(strlen(sio_socket_id(a)), 20);
    /* base64id: URL-safe base64 of 15 random bytes, no padding */
    cr_expect_eq(strspn(sio_socket_id(a), "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                          "0123456789-_"),
                 20);
    cr_expect_str_neq(sio_socket_id(a), sio_socket_id(connect_to("/")));
    snprintf(want, sizeof(want), "[\"%s\"]", sio_socket_id(a));
    expect_rooms(a, want);
    cr_expect_eq(sio_local_room_size(root, sio_socket_id(a)), 1);
    cr_expect_eq(sio_namespace_socket(root, sio_socket_id(a)), a);
}

Test(sio_rooms, join_leave_bookkeeping)
{
    sio_socket_t *a = connect_to("/"), *b = connect_to("/");
    sio_socket_join(a, "r1");
    sio_socket_join(a, "r1"); /* idempotent */
    sio_socket_join(a, "r2");
    sio_socket_join(b, "r1");
    cr_expect_eq(sio_local_room_size(root, "r1"), 2);
    cr_expect_eq(sio_local_room_size(root, "r2"), 1);
    cr_expect(sio_socket_in_room(a, "r2"));
    cr_expect_not(sio_socket_in_room(b, "r2"));
    sio_socket_leave(a, "r2");
    sio_socket_leave(a, "nope");
    cr_expect_eq(sio_local_room_size(root, "r2"), 0);
    json_t *all = sio_local_all_rooms(root);
    cr_expect_eq(json_array_size(all), 3); /* r1 + the two own rooms; r2 deleted when empty */
    json_decref(all);
    sio_socket_disconnect(a, false);
    cr_expect_eq(sio_local_room_size(root, "r1"), 1);
    cr_expect_eq(sio_local_room_size(root, sio_socket_id(b)), 1);
    cr_expect_eq(sio_namespace_socket_count(root), 1);
}

Test(sio_rooms, broadcast_to_namespace_and_from_socket)
{
    sio_socket_t *a = connect_to("/"), *b = connect_to("/"), *c = connect_to("/");
    sio_server_of(io, "/custom");
    sio_socket_t *other = connect_to("/custom");
    UNUSED(other);
    cr_assert_eq(sio_namespace_emit(root, "hi", json_pack("[i]", 1), NULL, 0), 0);
    sio_socket_t *all[] = {a, b, c};
    expect_recipients(all, 3);
    cr_assert_eq(sio_broadcast_emit(sio_socket_broadcast(a), "hi", NULL, NULL, 0), 0);
    sio_socket_t *bc[] = {b, c};
    expect_recipients(bc, 2);
}

Test(sio_rooms, broadcast_rooms_union_minus_except)
{
    sio_socket_t *a = connect_to("/"), *b = connect_to("/"), *c = connect_to("/"),
                 *d = connect_to("/");
    sio_socket_join(a, "x");
    sio_socket_join(b, "x");
    sio_socket_join(b, "y");
    sio_socket_join(c, "y");
    sio_socket_join(c, "z");
    sio_socket_join(d, "z");
    /* to x and y: a, b (once), c */
    sio_broadcast_emit(sio_broadcast_to(sio_broadcast_to(sio_namespace_broadcast(root), "x"), "y"),
                       "e", NULL, NULL, 0);
    sio_socket_t *xy[] = {a, b, c};
    expect_recipients(xy, 3);
    cr_expect_eq(json_array_size(seen), 0);
    /* to x, y except z: a, b */
    sio_broadcast_emit(
        sio_broadcast_except(
            sio_broadcast_to(sio_broadcast_to(sio_namespace_broadcast(root), "x"), "y"), "z"),
        "e", NULL, NULL, 0);
    sio_socket_t *xy_z[] = {a, b};
    expect_recipients(xy_z, 2);
    /* everybody except y: a, d */
    sio_broadcast_emit(sio_broadcast_except(sio_namespace_broadcast(root), "y"), "e", NULL, NULL,
                       0);
    sio_socket_t *not_y[] = {a, d};
    expect_recipients(not_y, 2);
    /* from b to z: c, d (b not in z anyway); from c to z: d */
    sio_broadcast_emit(sio_broadcast_to(sio_socket_broadcast(c), "z"), "e", NULL, NULL, 0);
    sio_socket_t *z_but_c[] = {d};
    expect_recipients(z_but_c, 1);
    /* a room nobody is in, and a socket id as a room */
    sio_broadcast_emit(sio_broadcast_to(sio_namespace_broadcast(root), "empty"), "e", NULL, NULL,
                       0);
    expect_recipients(NULL, 0);
    sio_broadcast_emit(sio_broadcast_to(sio_namespace_broadcast(root), sio_socket_id(d)), "e", NULL,
                       NULL, 0);
    sio_socket_t *just_d[] = {d};
    expect_recipients(just_d, 1);
}

Test(sio_rooms, broadcast_args_and_reserved_names)
{
    sio_socket_t *a = connect_to("/");
    UNUSED(a);
    cr_expect_eq(sio_namespace_emit(root, "disconnect", NULL, NULL, 0), -EINVAL);
    cr_expect_eq(sio_namespace_emit(root, "e", json_string("not an array"), NULL, 0), -EINVAL);
    cr_expect_eq(json_array_size(seen), 0);
    cr_assert_eq(sio_namespace_emit(root, "e", json_pack("[si]", "x", 2), NULL, 0), 0);
    char *s = json_dumps(json_object_get(json_array_get(seen, 0), "args"), JSON_COMPACT);
    cr_expect_str_eq(s, "[\"x\",2]");
    free(s);
}

static void count_sse_answer(int err, const json_t *responses, void *cbdata)
{
    cr_expect_eq(err, 0);
    cr_expect_eq(json_array_size(responses), 0); /* no other node to answer */
    (*(int *)cbdata)++;
}

Test(sio_rooms, server_side_emit_names_and_args)
{
    int answered = 0;
    /* the namespace's reserved names, not the socket's: "connection" is refused here only */
    cr_expect_eq(
        sio_namespace_server_side_emit(root, "connect", NULL, 0, count_sse_answer, &answered),
        -EINVAL);
    cr_expect_eq(sio_namespace_server_side_emit(root, "connection", json_array(), 0,
                                                count_sse_answer, &answered),
                 -EINVAL);
    cr_expect_eq(
        sio_namespace_server_side_emit(root, "new_namespace", NULL, 0, count_sse_answer, &answered),
        -EINVAL);
    cr_expect_eq(sio_namespace_server_side_emit(root, "e", json_string("not an array"), 0,
                                                count_sse_answer, &answered),
                 -EINVAL);
    cr_expect_eq(sio_namespace_server_side_emit(root, NULL, NULL, 0, count_sse_answer, &answered),
                 -EINVAL);
    cr_expect_eq(answered, 0);
    cr_expect_eq(sio_namespace_emit(root, "connection", NULL, NULL, 0), 0);
    cr_expect_eq(sio_namespace_server_side_emit(root, "disconnect", json_pack("[i]", 1), 0,
                                                count_sse_answer, &answered),
                 0);
    cr_expect_eq(answered, 1);
}

Test(sio_rooms, sockets_join_leave_disconnect_and_fetch)
{
    sio_socket_t *a = connect_to("/"), *b = connect_to("/"), *c = connect_to("/");
    sio_socket_join(a, "x");
    sio_socket_join(b, "x");
    sio_broadcast_sockets_join(sio_broadcast_to(sio_namespace_broadcast(root), "x"), "joined");
    cr_expect(sio_socket_in_room(a, "joined"));
    cr_expect(sio_socket_in_room(b, "joined"));
    cr_expect_not(sio_socket_in_room(c, "joined"));
    sio_broadcast_sockets_leave(sio_broadcast_except(sio_namespace_broadcast(root), "x"), "joined");
    cr_expect(sio_socket_in_room(a, "joined"));
    sio_broadcast_sockets_leave(sio_namespace_broadcast(root), "x");
    cr_expect_eq(sio_local_room_size(root, "x"), 0);

    sio_socket_set_data(b, json_pack("{si}", "n", 7));
    sio_bcast_opts_t opts = {0};
    const char *room = "joined";
    opts.rooms = &room;
    opts.nrooms = 1;
    json_t *got = sio_local_fetch_sockets(root, &opts);
    cr_expect_eq(json_array_size(got), 2);
    json_t *e;
    size_t i;
    json_array_foreach(got, i, e)
    {
        const char *id = json_string_value(json_object_get(e, "id"));
        cr_expect(strcmp(id, sio_socket_id(a)) == 0 || strcmp(id, sio_socket_id(b)) == 0);
        cr_expect(json_is_object(json_object_get(e, "handshake")));
        cr_expect(json_is_array(json_object_get(e, "rooms")));
        if (strcmp(id, sio_socket_id(b)) == 0)
            cr_expect_eq(json_integer_value(json_object_get(json_object_get(e, "data"), "n")), 7);
    }
    json_decref(got);

    sio_broadcast_disconnect_sockets(sio_broadcast_to(sio_namespace_broadcast(root), "joined"),
                                     false);
    cr_expect_not(sio_socket_connected(c) == false);
    cr_expect_eq(sio_namespace_socket_count(root), 1);
    cr_expect_eq(sio_local_room_size(root, "joined"), 0);
}
