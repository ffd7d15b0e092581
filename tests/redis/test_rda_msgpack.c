/* test_rda_msgpack.c - msgpack <-> JSON: the Node adapter's captured messages decode and encode
 * back to the very same bytes; integers take their smallest form and reals follow notepack.io;
 * every truncation, bad byte, too deep nesting or bad key is refused without a crash or a leak. */
#include <criterion/criterion.h>
#include <string.h>

#include "redis/rda_msgpack.h"
#include "socketio/socketio.h"
#include "tests/redis/rda_vectors.h"
#include "tests/support/leakcheck.h"

static void fini(void)
{
    sioc_check_leaks();
}

TestSuite(rda_msgpack, .fini = fini);

/* Encodes `v` and compares with the expected hex-free byte string. */
static void expect_bytes(const json_t *v, blob_t *const *bins, size_t nbins, const char *want,
                         size_t len)
{
    buf_t b = BUF_INIT;
    rda_mp_encode(&b, v, bins, nbins);
    cr_expect_eq(b.len, len, "length %zu, expected %zu", b.len, len);
    cr_expect(b.len == len && memcmp(b.base, want, len) == 0, "bytes differ");
    buf_dispose(&b);
}

static void roundtrip(const char *bytes, size_t len)
{
    rda_bins_t bins = {NULL, 0};
    json_t *v = rda_mp_decode(bytes, len, &bins);
    cr_assert_not_null(v);
    expect_bytes(v, bins.v, bins.n, bytes, len);
    json_decref(v);
    rda_bins_dispose(&bins);
}

Test(rda_msgpack, node_messages_roundtrip_byte_for_byte)
{
    roundtrip(bcast_hello, bcast_hello_len);
    roundtrip(bcast_room_bin, bcast_room_bin_len);
    roundtrip(bcast_flags, bcast_flags_len);
    roundtrip(req_bwa_q1, req_bwa_q1_len);
    roundtrip(req_bwa_q3, req_bwa_q3_len);
    roundtrip(resp_ack, resp_ack_len);
}

Test(rda_msgpack, decodes_the_node_broadcast)
{
    rda_bins_t bins = {NULL, 0};
    json_t *v = rda_mp_decode(bcast_flags, bcast_flags_len, &bins);
    json_t *want =
        json_loads("[\"cGmEwP\", {\"type\": 2, \"data\": [\"x\", 1099511627776, -70000, "
                   "1.5, \"\xc3\xa9\xe2\x82\xac\"], \"nsp\": \"/\"}, {\"rooms\": [\"a\", "
                   "\"b\"], \"except\": [\"c\"], \"flags\": {\"volatile\": true, "
                   "\"compress\": false}}]",
                   0, NULL);
    cr_assert_not_null(v);
    cr_assert_not_null(want);
    cr_expect(json_equal(v, want));
    cr_expect_eq(bins.n, 0);
    json_decref(v);
    json_decref(want);
}

Test(rda_msgpack, binary_becomes_a_placeholder_and_back)
{
    rda_bins_t bins = {NULL, 0};
    json_t *v = rda_mp_decode(bcast_room_bin, bcast_room_bin_len, &bins);
    json_t *data = json_object_get(json_array_get(v, 1), "data");
    json_t *ph = json_array_get(data, 1);
    cr_assert_not_null(v);
    cr_assert_eq(bins.n, 1);
    cr_expect(json_is_true(json_object_get(ph, "_placeholder")));
    cr_expect_eq(json_integer_value(json_object_get(ph, "num")), 0);
    cr_expect_eq(bins.v[0]->len, 4);
    cr_expect(memcmp(bins.v[0]->data, "\x00\x01\x02\xff", 4) == 0);
    cr_expect_eq(json_integer_value(json_object_get(json_array_get(data, 2), "n")), -1);
    json_decref(v);
    rda_bins_dispose(&bins);
}

static void expect_int(json_int_t n, const char *want, size_t len)
{
    json_t *v = json_integer(n);
    expect_bytes(v, NULL, 0, want, len);
    json_decref(v);
}

Test(rda_msgpack, integers_take_their_smallest_form)
{
    expect_int(0, "\x00", 1);
    expect_int(127, "\x7f", 1);
    expect_int(128, "\xcc\x80", 2);
    expect_int(255, "\xcc\xff", 2);
    expect_int(256, "\xcd\x01\x00", 3);
    expect_int(65536, "\xce\x00\x01\x00\x00", 5);
    expect_int(4294967296LL, "\xcf\x00\x00\x00\x01\x00\x00\x00\x00", 9);
    expect_int(-1, "\xff", 1);
    expect_int(-32, "\xe0", 1);
    expect_int(-33, "\xd0\xdf", 2);
    expect_int(-129, "\xd1\xff\x7f", 3);
    expect_int(-32769, "\xd2\xff\xff\x7f\xff", 5);
    expect_int(-2147483649LL, "\xd3\xff\xff\xff\xff\x7f\xff\xff\xff", 9);
}

Test(rda_msgpack, reals_as_javascript_numbers)
{
    json_t *v = json_real(3.0); /* JavaScript has no 3.0: notepack writes an integer */
    expect_bytes(v, NULL, 0, "\x03", 1);
    json_decref(v);
    v = json_real(-300.0);
    expect_bytes(v, NULL, 0, "\xd1\xfe\xd4", 3);
    json_decref(v);
    v = json_real(0.5);
    expect_bytes(v, NULL, 0, "\xcb\x3f\xe0\x00\x00\x00\x00\x00\x00", 9);
    json_decref(v);
    v = json_real(1e300);
    expect_bytes(v, NULL, 0, "\xcb\x7e\x37\xe4\x3c\x88\x00\x75\x9c", 9);
    json_decref(v);
}

Test(rda_msgpack, strings_binaries_and_containers_by_size)
{
    char s[300];
    json_t *v;
    buf_t b = BUF_INIT;
    blob_t *bin;
    memset(s, 'a', sizeof(s));
    v = json_stringn(s, 31);
    rda_mp_encode(&b, v, NULL, 0);
    cr_expect_eq((unsigned char)b.base[0], 0xbf);
    cr_expect_eq(b.len, 32);
    json_decref(v);
    b.len = 0;
    v = json_stringn(s, 32);
    rda_mp_encode(&b, v, NULL, 0);
    cr_expect(memcmp(b.base, "\xd9\x20", 2) == 0);
    json_decref(v);
    b.len = 0;
    v = json_stringn(s, 256);
    rda_mp_encode(&b, v, NULL, 0);
    cr_expect(memcmp(b.base, "\xda\x01\x00", 3) == 0);
    json_decref(v);
    b.len = 0;
    bin = blob_new(s, 300);
    v = sio_binary_placeholder(0);
    rda_mp_encode(&b, v, &bin, 1);
    cr_expect(memcmp(b.base, "\xc5\x01\x2c", 3) == 0);
    cr_expect_eq(b.len, 303);
    json_decref(v);
    /* a placeholder naming no attachment stays a map */
    b.len = 0;
    v = sio_binary_placeholder(1);
    rda_mp_encode(&b, v, &bin, 1);
    cr_expect_eq((unsigned char)b.base[0], 0x82);
    json_decref(v);
    blob_unref(bin);
    b.len = 0;
    v = json_pack("[n, b, b, {}]", 1, 0);
    rda_mp_encode(&b, v, NULL, 0);
    cr_expect_eq(b.len, 5);
    cr_expect(memcmp(b.base, "\x94\xc0\xc3\xc2\x80", 5) == 0);
    json_decref(v);
    buf_dispose(&b);
}

/* Decodes bad input: must refuse it and leave `bins` as it was. */
static void expect_refused(const char *bytes, size_t len)
{
    rda_bins_t bins = {NULL, 0};
    json_t *v = rda_mp_decode(bytes, len, &bins);
    cr_expect_null(v, "accepted %zu bytes", len);
    cr_expect_eq(bins.n, 0);
    json_decref(v);
    rda_bins_dispose(&bins);
}

Test(rda_msgpack, every_truncation_is_refused)
{
    static const struct {
        const char *b;
        size_t len;
    } vec[] = {
        {bcast_hello, bcast_hello_len}, {bcast_room_bin, bcast_room_bin_len},
        {bcast_flags, bcast_flags_len}, {req_bwa_q1, req_bwa_q1_len},
        {resp_ack, resp_ack_len},
    };
    for (size_t i = 0; i < ARRAY_SIZE(vec); i++) {
        for (size_t n = 0; n < vec[i].len; n++)
            expect_refused(vec[i].b, n);
    }
}

Test(rda_msgpack, bad_bytes_are_refused)
{
    char deep[80];
    expect_refused("\xc1", 1);                 /* never used */
    expect_refused("\x01\x02", 2);             /* trailing bytes */
    expect_refused("\xdb\xff\xff\xff\xff", 5); /* str32 longer than the input */
    expect_refused("\xdd\xff\xff\xff\xff", 5); /* array32 with nothing in it */
    expect_refused("\xc6\x7f\xff\xff\xff", 5); /* bin32 longer than the input */
    expect_refused("\x81\xc4\x01\x61\x01", 5); /* map key is a bin */
    expect_refused("\x81\x90\x01", 3);         /* map key is an array */
    expect_refused("\xa2\xff\xfe", 3);         /* invalid UTF-8 */
    expect_refused("\x92\xc4\x01\x61\xc1", 5); /* a bin then a bad byte: no blob kept */
    memset(deep, 0x91, sizeof(deep));          /* 80 nested arrays */
    deep[sizeof(deep) - 1] = 0x00;
    expect_refused(deep, sizeof(deep));
}

Test(rda_msgpack, odd_but_valid_values)
{
    rda_bins_t bins = {NULL, 0};
    char deep[RDA_MP_MAX_DEPTH + 1];
    json_t *v;
    /* integer keys are named as JavaScript names them; ext (notepack's undefined) is null */
    expect_refused("\x81\xc0\x01", 3); /* but a nil key is refused */
    v = rda_mp_decode("\x82\x01\x02\xff\xd4\x00\x00", 7, &bins);
    cr_assert_not_null(v);
    cr_expect_eq(json_integer_value(json_object_get(v, "1")), 2);
    cr_expect(json_is_null(json_object_get(v, "-1")));
    json_decref(v);
    v = rda_mp_decode("\xca\x3f\xc0\x00\x00", 5, &bins); /* float32 1.5 */
    cr_expect_eq(json_real_value(v), 1.5);
    json_decref(v);
    v = rda_mp_decode("\xcb\x7f\xf8\x00\x00\x00\x00\x00\x00", 9, &bins); /* NaN: null */
    cr_expect(json_is_null(v));
    json_decref(v);
    v = rda_mp_decode("\xcf\xff\xff\xff\xff\xff\xff\xff\xff", 9, &bins); /* > INT64_MAX */
    cr_expect(json_is_real(v));
    json_decref(v);
    memset(deep, 0x91, sizeof(deep)); /* exactly the deepest accepted */
    deep[sizeof(deep) - 1] = 0x00;
    v = rda_mp_decode(deep, sizeof(deep), &bins);
    cr_expect_not_null(v);
    json_decref(v);
    cr_expect_eq(bins.n, 0);
}
