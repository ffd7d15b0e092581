/* test_rda_codec.c - the adapter's message codecs against the Node adapter's captured bytes:
 * broadcasts decode to the right uid/packet/opts and our encoder writes the very same bytes;
 * requests and responses (JSON and msgpack) decode; messages of the wrong shape are refused. */
#include <criterion/criterion.h>
#include <string.h>

#include "redis/rda_codec.h"
#include "tests/redis/rda_vectors.h"
#include "tests/support/leakcheck.h"

static void fini(void)
{
    sioc_check_leaks();
}

TestSuite(rda_codec, .fini = fini);

static json_t *J(const char *text)
{
    json_t *v = json_loads(text, JSON_DECODE_ANY, NULL);
    cr_assert_not_null(v, "bad test JSON %s", text);
    return v;
}

static void expect_json(const json_t *got, const char *want_text)
{
    json_t *want = J(want_text);
    char *s = json_dumps(got, JSON_COMPACT | JSON_ENCODE_ANY);
    cr_expect(json_equal(got, want), "got %s, expected %s", s, want_text);
    free(s);
    json_decref(want);
}

Test(rda_codec, decodes_a_node_broadcast)
{
    rda_broadcast_t b;
    cr_assert_eq(rda_broadcast_decode(bcast_hello, bcast_hello_len, &b), 0);
    cr_expect_str_eq(b.uid, "cGmEwP");
    cr_expect_str_eq(b.nsp, "/");
    expect_json(b.data, "[\"hello\", 1, \"two\", {\"three\": [3.5, null, true]}]");
    cr_expect_eq(b.opts.o.nrooms, 0);
    cr_expect_eq(b.opts.o.nexcept, 0);
    cr_expect_eq(b.opts.o.flags, 0);
    rda_broadcast_dispose(&b);

    cr_assert_eq(rda_broadcast_decode(bcast_flags, bcast_flags_len, &b), 0);
    cr_assert_eq(b.opts.o.nrooms, 2);
    cr_expect_str_eq(b.opts.o.rooms[0], "a");
    cr_expect_str_eq(b.opts.o.rooms[1], "b");
    cr_assert_eq(b.opts.o.nexcept, 1);
    cr_expect_str_eq(b.opts.o.except[0], "c");
    cr_expect_eq(b.opts.o.flags, SIO_EMIT_VOLATILE | SIO_EMIT_NO_COMPRESS);
    rda_broadcast_dispose(&b);

    cr_assert_eq(rda_broadcast_decode(bcast_room_bin, bcast_room_bin_len, &b), 0);
    cr_assert_eq(b.bins.n, 1);
    cr_expect(memcmp(b.bins.v[0]->data, "\x00\x01\x02\xff", 4) == 0);
    expect_json(b.data, "[\"bin\", {\"_placeholder\": true, \"num\": 0}, {\"n\": -1}]");
    cr_assert_eq(b.opts.o.nrooms, 1);
    cr_expect_str_eq(b.opts.o.rooms[0], "room1");
    rda_broadcast_dispose(&b);
}

/* Encodes a broadcast as this node would and compares with what Node wrote. */
static void expect_broadcast_bytes(const char *data_text, blob_t *const *bins, size_t nbins,
                                   const sio_bcast_opts_t *opts, const char *want, size_t len)
{
    json_t *data = J(data_text);
    sio_message_t msg = {data, bins, nbins};
    buf_t b = BUF_INIT;
    rda_broadcast_encode(&b, "cGmEwP", "/", &msg, opts);
    cr_expect_eq(b.len, len);
    cr_expect(b.len == len && memcmp(b.base, want, len) == 0,
              "bytes differ from the Node adapter's");
    buf_dispose(&b);
    json_decref(data);
}

Test(rda_codec, encodes_broadcasts_as_the_node_adapter)
{
    sio_bcast_opts_t none = {0};
    const char *ab[] = {"a", "b"}, *c[] = {"c"}, *room1[] = {"room1"};
    sio_bcast_opts_t flags = {ab, 2, c, 1, SIO_EMIT_VOLATILE | SIO_EMIT_NO_COMPRESS, 0};
    sio_bcast_opts_t one = {room1, 1, NULL, 0, 0, 0};
    blob_t *bin = blob_new("\x00\x01\x02\xff", 4);
    expect_broadcast_bytes("[\"hello\", 1, \"two\", {\"three\": [3.5, null, true]}]", NULL, 0,
                           &none, bcast_hello, bcast_hello_len);
    expect_broadcast_bytes("[\"x\", 1099511627776, -70000, 1.5, \"\xc3\xa9\xe2\x82\xac\"]", NULL, 0,
                           &flags, bcast_flags, bcast_flags_len);
    expect_broadcast_bytes("[\"bin\", {\"_placeholder\": true, \"num\": 0}, {\"n\": -1}]", &bin, 1,
                           &one, bcast_room_bin, bcast_room_bin_len);
    blob_unref(bin);
}

Test(rda_codec, decodes_node_requests)
{
    rda_bins_t bins = {NULL, 0};
    rda_opts_t opts;
    json_t *r = rda_request_decode(req_sse, req_sse_len, true, &bins);
    expect_json(r, "{\"uid\":\"cGmEwP\",\"type\":6,\"data\":[\"ss-hello\",1,\"two\"]}");
    json_decref(r);

    r = rda_request_decode(req_join, req_join_len, true, &bins);
    cr_expect_eq(json_integer_value(json_object_get(r, "type")), RDA_REQ_REMOTE_JOIN);
    cr_assert_eq(rda_opts_read(json_object_get(r, "opts"), &opts), 0);
    cr_assert_eq(opts.o.nrooms, 1);
    cr_expect_str_eq(opts.o.rooms[0], "room1");
    rda_opts_dispose(&opts);
    json_decref(r);

    r = rda_request_decode(req_disconnect, req_disconnect_len, true, &bins);
    cr_expect(json_is_true(json_object_get(r, "close")));
    cr_assert_eq(rda_opts_read(json_object_get(r, "opts"), &opts), 0);
    cr_expect_eq(opts.o.nrooms, 0);
    cr_assert_eq(opts.o.nexcept, 1);
    cr_expect_str_eq(opts.o.except[0], "room1");
    rda_opts_dispose(&opts);
    json_decref(r);

    /* broadcast with ack: msgpack, with the timeout among the flags */
    r = rda_request_decode(req_bwa_q1, req_bwa_q1_len, true, &bins);
    cr_assert_not_null(r);
    cr_expect_eq(json_integer_value(json_object_get(r, "type")), RDA_REQ_BROADCAST);
    cr_expect_str_eq(rda_request_id(r), "ql-iCv");
    expect_json(json_object_get(r, "packet"),
                "{\"type\":2,\"data\":[\"ask\",\"q1\"],\"nsp\":\"/\"}");
    cr_assert_eq(rda_opts_read(json_object_get(r, "opts"), &opts), 0);
    cr_expect_eq(opts.o.timeout_ms, 300);
    rda_opts_dispose(&opts);
    json_decref(r);
    cr_expect_eq(bins.n, 0);
    rda_bins_dispose(&bins);
}

Test(rda_codec, decodes_node_responses)
{
    rda_bins_t bins = {NULL, 0};
    json_t *r = rda_request_decode(resp_count, resp_count_len, false, &bins);
    expect_json(r, "{\"type\":8,\"requestId\":\"req003\",\"clientCount\":1}");
    json_decref(r);
    r = rda_request_decode(resp_all_rooms, resp_all_rooms_len, false, &bins);
    cr_expect_str_eq(rda_request_id(r), "req002");
    cr_expect_eq(json_array_size(json_object_get(r, "rooms")), 2);
    json_decref(r);
    r = rda_request_decode(resp_fetch, resp_fetch_len, false, &bins);
    cr_expect_str_eq(rda_request_id(r), "req001");
    json_t *s = json_array_get(json_object_get(r, "sockets"), 0);
    expect_json(json_object_get(s, "data"), "{\"user\":\"ann\",\"n\":1}");
    cr_expect(json_is_object(json_object_get(s, "handshake")));
    json_decref(r);
    /* a client's ack with a Buffer: msgpack, the bin becomes attachment 0 */
    r = rda_request_decode(resp_ack, resp_ack_len, false, &bins);
    expect_json(r,
                "{\"type\":9,\"requestId\":\"req003\",\"packet\":{\"bin\":{\"_placeholder\":true,"
                "\"num\":0},\"q\":\"q3\"}}");
    cr_assert_eq(bins.n, 1);
    cr_expect(memcmp(bins.v[0]->data, "\x09\x08\x07", 3) == 0);
    /* and this node's BROADCAST_ACK is the same bytes */
    buf_t b = BUF_INIT;
    rda_mp_encode(&b, r, bins.v, bins.n);
    cr_expect(b.len == resp_ack_len && memcmp(b.base, resp_ack, b.len) == 0);
    buf_dispose(&b);
    json_decref(r);
    rda_bins_dispose(&bins);
}

static void expect_bad_broadcast(const char *json_text)
{
    json_t *v = J(json_text);
    buf_t b = BUF_INIT;
    rda_broadcast_t out;
    rda_mp_encode(&b, v, NULL, 0);
    cr_expect_neq(rda_broadcast_decode(b.base, b.len, &out), 0, "accepted %s", json_text);
    buf_dispose(&b);
    json_decref(v);
}

Test(rda_codec, refuses_broadcasts_of_the_wrong_shape)
{
    rda_broadcast_t out;
    expect_bad_broadcast("{}");
    expect_bad_broadcast("[]");
    expect_bad_broadcast("[\"uid\"]");
    expect_bad_broadcast("[1, {\"type\":2,\"data\":[\"e\"]}, {}]");
    expect_bad_broadcast("[\"uid\", {\"type\":3,\"data\":[\"e\"]}, {}]");
    expect_bad_broadcast("[\"uid\", {\"type\":\"2\",\"data\":[\"e\"]}, {}]");
    expect_bad_broadcast("[\"uid\", {\"type\":2,\"data\":[]}, {}]");
    expect_bad_broadcast("[\"uid\", {\"type\":2,\"data\":\"e\"}, {}]");
    expect_bad_broadcast("[\"uid\", {\"type\":2,\"data\":[\"e\"],\"nsp\":7}, {}]");
    expect_bad_broadcast("[\"uid\", {\"type\":2,\"data\":[\"e\"]}, [1]]");
    expect_bad_broadcast("[\"uid\", [2, [\"e\"]], {}]");
    cr_expect_neq(rda_broadcast_decode("", 0, &out), 0);
    cr_expect_neq(rda_broadcast_decode("{\"a\":1}", 7, &out), 0);
}

Test(rda_codec, lenient_where_node_is)
{
    rda_broadcast_t b;
    json_t *v = J("[\"uid\", {\"type\":2,\"data\":[\"e\", 1]}, {\"rooms\":[\"r\", 5, null], "
                  "\"except\": \"x\", \"flags\": {\"timeout\": 1500, \"local\": true}}]");
    buf_t buf = BUF_INIT;
    rda_mp_encode(&buf, v, NULL, 0);
    cr_assert_eq(rda_broadcast_decode(buf.base, buf.len, &b), 0);
    cr_expect_str_eq(b.nsp, "/"); /* Node: a packet without nsp is "/" */
    cr_assert_eq(b.opts.o.nrooms, 1);
    cr_expect_str_eq(b.opts.o.rooms[0], "r");
    cr_expect_eq(b.opts.o.nexcept, 0);
    cr_expect_eq(b.opts.o.flags, SIO_EMIT_LOCAL);
    cr_expect_eq(b.opts.o.timeout_ms, 1500);
    rda_broadcast_dispose(&b);
    buf_dispose(&buf);
    json_decref(v);
}

Test(rda_codec, refuses_bad_requests)
{
    rda_bins_t bins = {NULL, 0};
    static const char *bad[] = {
        "{", "{\"type\":\"1\"}", "{\"uid\":\"x\"}", "{}x", "\x91\x01", "\xc1", ""};
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
        cr_expect_null(rda_request_decode(bad[i], strlen(bad[i]), true, &bins), "accepted %s",
                       bad[i]);
    /* a response needs no type */
    json_t *r = rda_request_decode("{\"requestId\":\"a\"}", 17, false, &bins);
    cr_expect_not_null(r);
    json_decref(r);
    cr_expect_null(rda_request_decode("[1]", 3, false, &bins));
    rda_bins_dispose(&bins);
}
