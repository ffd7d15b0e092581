/* test_packet.c - the single-packet codec (engineio/packet.c) with the wire strings of the
 * engine.io-protocol README, v4 and v3, and every kind of bad input. */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "engineio/codec.h"
#include "tests/support/leakcheck.h"

static eio_packet_t pkt;
static buf_t out = BUF_INIT;

static void teardown(void)
{
    eio_packet_dispose(&pkt);
    buf_dispose(&out);
    sioc_check_leaks();
}

TestSuite(eio_packet, .fini = teardown);

static int decode_text(const char *s, int protocol)
{
    return eio_packet_decode(&pkt, s, strlen(s), false, protocol);
}

Test(eio_packet, decodes_text_message)
{
    cr_assert_eq(decode_text("4hello", 4), 0);
    cr_expect_eq(pkt.type, EIO_PACKET_MESSAGE);
    cr_expect_not(pkt.is_binary);
    cr_expect_eq(pkt.len, 5);
    cr_expect_eq(memcmp(pkt.data, "hello", 5), 0);
}

Test(eio_packet, decodes_every_type_without_data)
{
    const char *wire[] = {"0", "1", "2", "3", "4", "5", "6"};
    for (int i = 0; i < 7; i++) {
        cr_assert_eq(decode_text(wire[i], 4), 0);
        cr_expect_eq((int)pkt.type, i);
        cr_expect_eq(pkt.len, 0);
        cr_expect_str_eq(pkt.data, "");
    }
}

Test(eio_packet, decodes_probe_ping)
{
    cr_assert_eq(decode_text("2probe", 4), 0);
    cr_expect_eq(pkt.type, EIO_PACKET_PING);
    cr_expect_eq(pkt.len, 5);
    cr_expect_eq(memcmp(pkt.data, "probe", 5), 0);
}

Test(eio_packet, decodes_base64_binary_v4)
{
    cr_assert_eq(decode_text("bAQIDBA==", 4), 0);
    cr_expect_eq(pkt.type, EIO_PACKET_MESSAGE);
    cr_expect(pkt.is_binary);
    cr_assert_eq(pkt.len, 4);
    cr_expect_eq(memcmp(pkt.data, "\x01\x02\x03\x04", 4), 0);
}

Test(eio_packet, decodes_unpadded_base64)
{
    cr_assert_eq(decode_text("bAQIDBA", 4), 0);
    cr_expect_eq(pkt.len, 4);
}

Test(eio_packet, decodes_empty_base64)
{
    cr_assert_eq(decode_text("b", 4), 0);
    cr_expect(pkt.is_binary);
    cr_expect_eq(pkt.len, 0);
}

Test(eio_packet, decodes_base64_binary_v3)
{
    cr_assert_eq(decode_text("b4AQIDBA==", 3), 0);
    cr_expect_eq(pkt.type, EIO_PACKET_MESSAGE);
    cr_expect(pkt.is_binary);
    cr_assert_eq(pkt.len, 4);
    cr_expect_eq(memcmp(pkt.data, "\x01\x02\x03\x04", 4), 0);
}

Test(eio_packet, decodes_binary_frame_v4_as_message)
{
    cr_assert_eq(eio_packet_decode(&pkt, "\x01\x02\x03\x04", 4, true, 4), 0);
    cr_expect_eq(pkt.type, EIO_PACKET_MESSAGE);
    cr_expect(pkt.is_binary);
    cr_expect_eq(pkt.len, 4);
}

Test(eio_packet, decodes_empty_binary_frame_v4)
{
    cr_assert_eq(eio_packet_decode(&pkt, "", 0, true, 4), 0);
    cr_expect(pkt.is_binary);
    cr_expect_eq(pkt.len, 0);
}

Test(eio_packet, decodes_binary_frame_v3_with_type_byte)
{
    cr_assert_eq(eio_packet_decode(&pkt, "\x04\x01\x02\x03", 4, true, 3), 0);
    cr_expect_eq(pkt.type, EIO_PACKET_MESSAGE);
    cr_expect_eq(pkt.len, 3);
    cr_expect_eq(pkt.data[0], 1);
}

Test(eio_packet, rejects_bad_input)
{
    const char *bad[] = {"", "7", "9hello", "x", "bA=Q", "b!!!!", "\x1e", "-1"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        cr_expect_eq(decode_text(bad[i], 4), -EBADMSG, "input %zu", i);
        eio_packet_dispose(&pkt);
    }
    cr_expect_eq(decode_text("b", 3), -EBADMSG);
    cr_expect_eq(decode_text("b9AQ==", 3), -EBADMSG);
    cr_expect_eq(decode_text("b4AQ=!", 3), -EBADMSG);
    cr_expect_eq(eio_packet_decode(&pkt, "", 0, true, 3), -EBADMSG);
    cr_expect_eq(eio_packet_decode(&pkt, "\x07x", 2, true, 3), -EBADMSG);
}

Test(eio_packet, dispose_is_safe_on_a_failed_decode)
{
    cr_assert_eq(decode_text("b%%%", 4), -EBADMSG);
    eio_packet_dispose(&pkt);
    eio_packet_dispose(&pkt);
}

Test(eio_packet, encodes_text_and_binary)
{
    eio_packet_encode_text(&out, EIO_PACKET_MESSAGE, "hello", 5, false, 4);
    cr_expect_str_eq(out.base, "4hello");
    buf_dispose(&out);
    eio_packet_encode_text(&out, EIO_PACKET_MESSAGE, "\x01\x02\x03\x04", 4, true, 4);
    cr_expect_str_eq(out.base, "bAQIDBA==");
    cr_expect_eq(out.len, 9);
    buf_dispose(&out);
    eio_packet_encode_text(&out, EIO_PACKET_MESSAGE, "\x01\x02\x03\x04", 4, true, 3);
    cr_expect_str_eq(out.base, "b4AQIDBA==");
    buf_dispose(&out);
    eio_packet_encode_text(&out, EIO_PACKET_PONG, "probe", 5, false, 4);
    cr_expect_str_eq(out.base, "3probe");
    buf_dispose(&out);
    eio_packet_encode_text(&out, EIO_PACKET_NOOP, "", 0, false, 4);
    cr_expect_str_eq(out.base, "6");
}

Test(eio_packet, binary_round_trips_every_byte)
{
    char all[256];
    for (int i = 0; i < 256; i++)
        all[i] = (char)i;
    eio_packet_encode_text(&out, EIO_PACKET_MESSAGE, all, sizeof(all), true, 4);
    cr_assert_eq(eio_packet_decode(&pkt, out.base, out.len, false, 4), 0);
    cr_assert_eq(pkt.len, 256);
    cr_expect_eq(memcmp(pkt.data, all, 256), 0);
}
