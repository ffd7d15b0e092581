/* test_ws_frame.c - the WebSocket frame header parser (engineio/ws_frame.c) with the RFC 6455
 * 5.7 examples (masked as a client sends them) and every refusal a server must make. */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "engineio/codec.h"
#include "tests/support/leakcheck.h"

static eio_ws_frame_info_t fi;

static void teardown(void)
{
    sioc_check_leaks();
}

TestSuite(eio_ws_frame, .fini = teardown);

static int parse(const char *p, size_t n)
{
    return eio_ws_frame_parse((const uint8_t *)p, n, 0, 0, 1000000, &fi);
}

Test(eio_ws_frame, parses_and_unmasks_the_rfc_hello)
{
    char f[] = "\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58";
    cr_assert_eq(parse(f, 11), 0);
    cr_expect(fi.fin);
    cr_expect_eq(fi.opcode, EIO_WS_OP_TEXT);
    cr_expect_eq(fi.len, 5);
    cr_expect_eq(fi.header_len, 6);
    eio_ws_unmask(f + fi.header_len, 5, fi.mask);
    cr_expect_eq(memcmp(f + 6, "Hello", 5), 0);
}

Test(eio_ws_frame, parses_extended_lengths)
{
    cr_assert_eq(parse("\x82\xfe\x01\x00"
                       "abcd",
                       8),
                 0);
    cr_expect_eq(fi.opcode, EIO_WS_OP_BINARY);
    cr_expect_eq(fi.len, 256);
    cr_expect_eq(fi.header_len, 8);
    cr_assert_eq(parse("\x82\xff\x00\x00\x00\x00\x00\x01\x00\x00"
                       "abcd",
                       14),
                 0);
    cr_expect_eq(fi.len, 65536);
    cr_expect_eq(fi.header_len, 14);
}

Test(eio_ws_frame, needs_more_bytes)
{
    cr_expect_eq(parse("", 0), -EAGAIN);
    cr_expect_eq(parse("\x81", 1), -EAGAIN);
    cr_expect_eq(parse("\x81\x85\x37\xfa", 4), -EAGAIN); /* masking key cut */
    cr_expect_eq(parse("\x82\xfe\x01", 3), -EAGAIN);
    cr_expect_eq(parse("\x82\xff\x00\x00\x00", 5), -EAGAIN);
}

Test(eio_ws_frame, control_frames)
{
    cr_expect_eq(parse("\x89\x80"
                       "abcd",
                       6),
                 0);
    cr_expect_eq(fi.opcode, EIO_WS_OP_PING);
    cr_expect_eq(parse("\x88\x82"
                       "abcd",
                       6),
                 0);
    cr_expect_eq(fi.opcode, EIO_WS_OP_CLOSE);
    cr_expect_eq(parse("\x09\x80"
                       "abcd",
                       6),
                 -EPROTO); /* fragmented control */
    cr_expect_eq(parse("\x89\xfe\x00\x7e"
                       "abcd",
                       8),
                 -EPROTO); /* over 125 bytes */
    cr_expect_eq(parse("\x8b\x80"
                       "abcd",
                       6),
                 -EPROTO); /* reserved opcode */
}

Test(eio_ws_frame, refuses_what_a_server_must)
{
    cr_expect_eq(parse("\x81\x05"
                       "Hello",
                       7),
                 -EPROTO); /* unmasked */
    cr_expect_eq(parse("\xc1\x80"
                       "abcd",
                       6),
                 -EPROTO); /* RSV1 without extension */
    cr_expect_eq(parse("\x83\x80"
                       "abcd",
                       6),
                 -EPROTO); /* reserved data opcode */
    cr_expect_eq(parse("\x80\x80"
                       "abcd",
                       6),
                 -EPROTO); /* continuation with nothing open */
    /* a new data frame while a fragmented message is open */
    cr_expect_eq(eio_ws_frame_parse((const uint8_t *)"\x81\x80"
                                                     "abcd",
                                    6, EIO_WS_OP_TEXT, 3, 100, &fi),
                 -EPROTO);
    cr_expect_eq(eio_ws_frame_parse((const uint8_t *)"\x80\x80"
                                                     "abcd",
                                    6, EIO_WS_OP_TEXT, 3, 100, &fi),
                 0);
}

Test(eio_ws_frame, enforces_the_message_limit_on_the_header)
{
    const uint8_t f[] = {0x82, 0xfe, 0x00, 0xc8, 'a', 'b', 'c', 'd'}; /* 200 bytes */
    cr_expect_eq(eio_ws_frame_parse(f, sizeof(f), 0, 0, 199, &fi), -EMSGSIZE);
    cr_expect_eq(eio_ws_frame_parse(f, sizeof(f), 0, 0, 200, &fi), 0);
    const uint8_t c[] = {0x80, 0xfe, 0x00, 0xc8, 'a', 'b', 'c', 'd'};
    cr_expect_eq(eio_ws_frame_parse(c, sizeof(c), EIO_WS_OP_TEXT, 100, 299, &fi), -EMSGSIZE);
    cr_expect_eq(eio_ws_frame_parse(c, sizeof(c), EIO_WS_OP_TEXT, 100, 300, &fi), 0);
    const uint8_t huge[] = {0x82, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0};
    cr_expect_eq(eio_ws_frame_parse(huge, sizeof(huge), 0, 0, 1000000, &fi), -EMSGSIZE);
}
