/* test_payload_v3.c - v3 payloads (engineio/payload_v3.c): `<length>:<packet>` with lengths in
 * UTF-16 code units, `b4` + base64 binary, the XHR binary framing, limits and bad input. */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "engineio/codec.h"
#include "tests/support/leakcheck.h"

static eio_payload_t pl;
static buf_t out = BUF_INIT;

static void teardown(void)
{
    eio_payload_dispose(&pl);
    buf_dispose(&out);
    sioc_check_leaks();
}

TestSuite(eio_payload_v3, .fini = teardown);

static int decode(const char *s)
{
    return eio_payload_v3_decode(&pl, s, strlen(s), 100);
}

Test(eio_payload_v3, decodes_readme_example)
{
    /* "4€" is 2 UTF-16 units but 4 bytes */
    cr_assert_eq(decode("6:4hello2:4\xe2\x82\xac"), 0);
    cr_assert_eq(pl.count, 2);
    cr_expect_eq(pl.pkts[0].len, 5);
    cr_expect_eq(memcmp(pl.pkts[0].data, "hello", 5), 0);
    cr_expect_eq(pl.pkts[1].len, 3);
    cr_expect_eq(memcmp(pl.pkts[1].data, "\xe2\x82\xac", 3), 0);
}

Test(eio_payload_v3, counts_astral_characters_as_two_units)
{
    /* U+1F600 is a surrogate pair in UTF-16 */
    cr_assert_eq(decode("3:4\xf0\x9f\x98\x80"
                        "1:2"),
                 0);
    cr_assert_eq(pl.count, 2);
    cr_expect_eq(pl.pkts[0].len, 4);
    cr_expect_eq(pl.pkts[1].type, EIO_PACKET_PING);
}

Test(eio_payload_v3, decodes_base64_binary)
{
    cr_assert_eq(decode("10:b4AQIDBA=="), 0);
    cr_assert_eq(pl.count, 1);
    cr_expect(pl.pkts[0].is_binary);
    cr_expect_eq(pl.pkts[0].len, 4);
}

Test(eio_payload_v3, rejects_bad_payloads_keeping_the_valid_prefix)
{
    static const struct {
        const char *in;
        size_t kept;
    } bad[] = {
        {"", 0},      {":4a", 0},      {"2:4", 0},           {"2:4ab", 1},
        {"x:4a", 0},  {"2;4a", 0},     {"99999999999:4", 0}, {"1:9", 0},
        {"2:4a1", 1}, {"6:b4AQ!=", 0}, {"1:61:", 1},         {"2:4a:", 1},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        cr_expect_eq(decode(bad[i].in), -EBADMSG, "payload %zu", i);
        cr_expect_eq(pl.count, bad[i].kept, "payload %zu", i);
        eio_payload_dispose(&pl);
    }
}

Test(eio_payload_v3, skips_empty_packets)
{
    cr_assert_eq(decode("0:"), 0);
    cr_expect_eq(pl.count, 0);
    eio_payload_dispose(&pl);
    cr_assert_eq(decode("0:1:6"), 0);
    cr_expect_eq(pl.count, 1);
}

Test(eio_payload_v3, enforces_packet_limit)
{
    cr_expect_eq(eio_payload_v3_decode(&pl, "1:61:61:6", 9, 2), -EMSGSIZE);
    cr_expect_eq(pl.count, 2);
    eio_payload_dispose(&pl);
    cr_expect_eq(eio_payload_v3_decode(&pl, "1:61:6", 6, 2), 0);
}

Test(eio_payload_v3, decodes_xhr_binary_framing)
{
    /* string packet "4hello" (6 bytes), then binary packet type 4 + 01 02 03 */
    const char msg[] = "\x00\x06\xff"
                       "4hello"
                       "\x01\x04\xff"
                       "\x04\x01\x02\x03";
    cr_assert_eq(eio_payload_v3_decode_binary(&pl, msg, sizeof(msg) - 1, 10), 0);
    cr_assert_eq(pl.count, 2);
    cr_expect_not(pl.pkts[0].is_binary);
    cr_expect_eq(pl.pkts[0].len, 5);
    cr_expect(pl.pkts[1].is_binary);
    cr_expect_eq(pl.pkts[1].type, EIO_PACKET_MESSAGE);
    cr_expect_eq(pl.pkts[1].len, 3);
}

static int bad_binary(const char *s, size_t len)
{
    int rc = eio_payload_v3_decode_binary(&pl, s, len, 10);
    cr_expect_eq(pl.count, 0);
    eio_payload_dispose(&pl);
    return rc;
}

Test(eio_payload_v3, rejects_bad_xhr_binary_framing)
{
    cr_expect_eq(bad_binary("", 0), -EBADMSG);
    cr_expect_eq(bad_binary("\x02\x01\xff"
                            "4",
                            4),
                 -EBADMSG);
    cr_expect_eq(bad_binary("\x00\x09\xff"
                            "4",
                            4),
                 -EBADMSG);
    cr_expect_eq(bad_binary("\x00\x01"
                            "4",
                            3),
                 -EBADMSG);
    cr_expect_eq(bad_binary("\x00\x0a\xff"
                            "4",
                            4),
                 -EBADMSG);
    cr_expect_eq(bad_binary("\x00\xff", 2), -EBADMSG);
}

Test(eio_payload_v3, encodes_utf16_lengths)
{
    eio_payload_v3_append(&out, EIO_PACKET_MESSAGE, "hello", 5, false);
    eio_payload_v3_append(&out, EIO_PACKET_MESSAGE, "\xe2\x82\xac", 3, false);
    cr_expect_str_eq(out.base, "6:4hello2:4\xe2\x82\xac");
    buf_dispose(&out);
    eio_payload_v3_append(&out, EIO_PACKET_MESSAGE, "\x01\x02\x03\x04", 4, true);
    cr_expect_str_eq(out.base, "10:b4AQIDBA==");
}

Test(eio_payload_v3, encodes_xhr_binary_framing)
{
    /* as the reference answers a binary echo without b64: <1><4><0xff><type 4><01 02 03> */
    eio_payload_v3_append_binary(&out, EIO_PACKET_MESSAGE, "\x01\x02\x03", 3, true);
    eio_payload_v3_append_binary(&out, EIO_PACKET_MESSAGE, "hello world", 11, false);
    const char want[] = "\x01\x04\xff\x04\x01\x02\x03"
                        "\x00\x01\x02\xff"
                        "4hello world";
    cr_assert_eq(out.len, sizeof(want) - 1);
    cr_expect_eq(memcmp(out.base, want, out.len), 0);
    cr_assert_eq(eio_payload_v3_decode_binary(&pl, out.base, out.len, 10), 0);
    cr_assert_eq(pl.count, 2);
    cr_expect(pl.pkts[0].is_binary);
    cr_expect_eq(pl.pkts[1].len, 11);
}

Test(eio_payload_v3, utf16_length)
{
    cr_expect_eq(eio_utf16_length("", 0), 0);
    cr_expect_eq(eio_utf16_length("abc", 3), 3);
    cr_expect_eq(eio_utf16_length("\xc3\xa9", 2), 1);
    cr_expect_eq(eio_utf16_length("\xf0\x9f\x98\x80", 4), 2);
    cr_expect_eq(eio_utf16_length("\xff\xfe", 2), 2); /* invalid bytes: one U+FFFD each */
    cr_expect_eq(eio_utf16_length("\xe2\x82", 2), 2); /* truncated sequence */
}
