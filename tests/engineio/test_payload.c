/* test_payload.c - v4 polling payloads (engineio/payload.c): packets joined by \x1e, binary as
 * b + base64, the examples of the engine.io-protocol README, limits and bad input. */
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

TestSuite(eio_payload, .fini = teardown);

static int decode(const char *s)
{
    return eio_payload_decode(&pl, s, strlen(s), 100);
}

Test(eio_payload, decodes_readme_example)
{
    cr_assert_eq(decode("4hello\x1e"
                        "2\x1e"
                        "4world"),
                 0);
    cr_assert_eq(pl.count, 3);
    cr_expect_eq(pl.pkts[0].type, EIO_PACKET_MESSAGE);
    cr_expect_eq(memcmp(pl.pkts[0].data, "hello", 5), 0);
    cr_expect_eq(pl.pkts[1].type, EIO_PACKET_PING);
    cr_expect_eq(pl.pkts[2].len, 5);
    cr_expect_eq(memcmp(pl.pkts[2].data, "world", 5), 0);
}

Test(eio_payload, decodes_text_and_binary)
{
    cr_assert_eq(decode("4hello\x1e"
                        "bAQIDBA=="),
                 0);
    cr_assert_eq(pl.count, 2);
    cr_expect(pl.pkts[1].is_binary);
    cr_expect_eq(pl.pkts[1].len, 4);
    cr_expect_eq(memcmp(pl.pkts[1].data, "\x01\x02\x03\x04", 4), 0);
}

Test(eio_payload, decodes_single_packet)
{
    cr_assert_eq(decode("1"), 0);
    cr_assert_eq(pl.count, 1);
    cr_expect_eq(pl.pkts[0].type, EIO_PACKET_CLOSE);
}

Test(eio_payload, rejects_bad_payloads_keeping_the_valid_prefix)
{
    static const struct {
        const char *in;
        size_t kept;
    } bad[] = {
        {"", 0},
        {"\x1e", 0},
        {"4a\x1e", 1},
        {"\x1e"
         "4a",
         0},
        {"4a\x1e\x1e"
         "4b",
         1},
        {"4a\x1e"
         "9",
         1},
        {"abc", 0},
        {"4a\x1e"
         "b!!",
         1},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        cr_expect_eq(decode(bad[i].in), -EBADMSG, "payload %zu", i);
        cr_expect_eq(pl.count, bad[i].kept, "payload %zu", i);
        eio_payload_dispose(&pl);
    }
}

Test(eio_payload, enforces_packet_limit)
{
    cr_expect_eq(eio_payload_decode(&pl,
                                    "6\x1e"
                                    "6\x1e"
                                    "6",
                                    5, 2),
                 -EMSGSIZE);
    cr_expect_eq(pl.count, 2);
    eio_payload_dispose(&pl);
    cr_expect_eq(eio_payload_decode(&pl,
                                    "6\x1e"
                                    "6",
                                    3, 2),
                 0);
    cr_expect_eq(pl.count, 2);
}

Test(eio_payload, encodes_with_separators)
{
    eio_payload_append(&out, EIO_PACKET_MESSAGE, "hello", 5, false);
    eio_payload_append(&out, EIO_PACKET_PING, "", 0, false);
    eio_payload_append(&out, EIO_PACKET_MESSAGE, "\x01\x02\x03\x04", 4, true);
    cr_expect_str_eq(out.base, "4hello\x1e"
                               "2\x1e"
                               "bAQIDBA==");
}

Test(eio_payload, round_trips)
{
    eio_payload_append(&out, EIO_PACKET_OPEN, "{\"sid\":\"x\"}", 11, false);
    eio_payload_append(&out, EIO_PACKET_MESSAGE, "\xff\x00", 2, true);
    cr_assert_eq(eio_payload_decode(&pl, out.base, out.len, 10), 0);
    cr_assert_eq(pl.count, 2);
    cr_expect_eq(pl.pkts[0].type, EIO_PACKET_OPEN);
    cr_expect_eq(pl.pkts[1].len, 2);
    cr_expect_eq((unsigned char)pl.pkts[1].data[0], 0xff);
}
