/* test_text.c - the codec text helpers (engineio/text.c) and the WebSocket accept key
 * (engineio/ws_accept.c) with the RFC 6455 example values. */
#include <criterion/criterion.h>
#include <string.h>

#include "engineio/internal.h"
#include "tests/support/leakcheck.h"

static buf_t out = BUF_INIT;

static void teardown(void)
{
    buf_dispose(&out);
    sioc_check_leaks();
}

TestSuite(eio_text, .fini = teardown);

Test(eio_text, json_string_as_the_jsonp_answer)
{
    const char payload[] = "7:4he\nllo2:4\xe2\x80\xa8";
    eio_json_string_append(&out, payload, strlen(payload));
    cr_expect_str_eq(out.base, "\"7:4he\\nllo2:4\\u2028\"");
    buf_dispose(&out);
    eio_json_string_append(&out, "a\"b\\c\t\x01\x7f\xc3\xa9\xe2\x80\xa9", 13);
    cr_expect_str_eq(out.base, "\"a\\\"b\\\\c\\t\\u0001\x7f\xc3\xa9\\u2029\"");
    buf_dispose(&out);
    eio_json_string_append(&out, "", 0);
    cr_expect_str_eq(out.base, "\"\"");
}

Test(eio_text, jsonp_unescape)
{
    char a[] = "4he\\nllo";
    cr_expect_eq(eio_jsonp_unescape(a, strlen(a)), 7);
    cr_expect_eq(memcmp(a, "4he\nllo", 7), 0);
    char b[] = "x\\\\ny";
    cr_expect_eq(eio_jsonp_unescape(b, strlen(b)), 4);
    cr_expect_eq(memcmp(b, "x\\ny", 4), 0);
    char c[] = "end\\";
    cr_expect_eq(eio_jsonp_unescape(c, strlen(c)), 4);
    cr_expect_eq(memcmp(c, "end\\", 4), 0); /* a trailing backslash stays */
    char d[] = "\\\\\\n";
    cr_expect_eq(eio_jsonp_unescape(d, strlen(d)), 3);
    cr_expect_eq(memcmp(d, "\\\\n", 3), 0);
}

Test(eio_text, utf8_validation)
{
    cr_expect(eio_utf8_valid("", 0));
    cr_expect(eio_utf8_valid("hello", 5));
    cr_expect(eio_utf8_valid("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 9));
    cr_expect(eio_utf8_valid("\xf4\x8f\xbf\xbf", 4)); /* U+10FFFF */
    cr_expect_not(eio_utf8_valid("4\xff\xfe", 3));
    cr_expect_not(eio_utf8_valid("\xc0\xaf", 2));         /* overlong */
    cr_expect_not(eio_utf8_valid("\xe0\x80\xaf", 3));     /* overlong */
    cr_expect_not(eio_utf8_valid("\xed\xa0\x80", 3));     /* surrogate */
    cr_expect_not(eio_utf8_valid("\xf4\x90\x80\x80", 4)); /* past U+10FFFF */
    cr_expect_not(eio_utf8_valid("\xe2\x82", 2));         /* truncated */
    cr_expect_not(eio_utf8_valid("\x80", 1));
}

Test(eio_text, websocket_accept_key_of_rfc6455)
{
    char key[29];
    eio__ws_accept_key("dGhlIHNhbXBsZSBub25jZQ==", key);
    cr_expect_str_eq(key, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    /* the key is not NUL-terminated in h2o's header buffer: only 24 bytes are read */
    eio__ws_accept_key("x3JJHMbDL1EzLkh9GBhXDw==trailing", key);
    cr_expect_str_eq(key, "HSmrc0sMlYUkAGmm5OPpG2HaGWk=");
}
