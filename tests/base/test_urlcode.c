/* test_urlcode.c - url_decode (base/urlcode.c): '+' and %XX in both cases, malformed escapes
 * kept (lenient) or refused (strict), %00, the capacity limit that stops decoding at the first byte
 * that does not fit, and in-place decoding. */
#include <criterion/criterion.h>
#include <string.h>

#include "base/base.h"
#include "tests/support/leakcheck.h"

TestSuite(urlcode, .fini = sioc_check_leaks);

static char out[64];

static size_t dec(const char *s, size_t cap, bool strict)
{
    memset(out, '#', sizeof(out));
    return url_decode(out, cap, s, strlen(s), strict);
}

Test(urlcode, decodes_plus_and_escapes)
{
    cr_expect_eq(dec("a+b%20c%2fd%2Fe", sizeof(out), true), 9);
    cr_expect_arr_eq(out, "a b c/d/e", 9);
    cr_expect_eq(out[9], '#', "no NUL is written");
    cr_expect_eq(dec("%E2%82%AC", sizeof(out), false), 3);
    cr_expect_arr_eq(out, "\xE2\x82\xAC", 3);
    cr_expect_eq(dec("", sizeof(out), true), 0);
}

Test(urlcode, lenient_keeps_malformed_escapes)
{
    cr_expect_eq(dec("%", sizeof(out), false), 1);
    cr_expect_arr_eq(out, "%", 1);
    cr_expect_eq(dec("a%4", sizeof(out), false), 3);
    cr_expect_arr_eq(out, "a%4", 3);
    cr_expect_eq(dec("%zz%41", sizeof(out), false), 4);
    cr_expect_arr_eq(out, "%zzA", 4);
    cr_expect_eq(dec("%%41", sizeof(out), false), 2);
    cr_expect_arr_eq(out, "%A", 2);
    cr_expect_eq(dec("x%00y", sizeof(out), false), 3);
    cr_expect_arr_eq(out, "x\0y", 3);
}

Test(urlcode, strict_refuses_malformed_escapes_and_nul)
{
    cr_expect_eq(dec("%", sizeof(out), true), URL_DECODE_BAD);
    cr_expect_eq(dec("a%4", sizeof(out), true), URL_DECODE_BAD);
    cr_expect_eq(dec("%4g", sizeof(out), true), URL_DECODE_BAD);
    cr_expect_eq(dec("%g4", sizeof(out), true), URL_DECODE_BAD);
    cr_expect_eq(dec("x%00", sizeof(out), true), URL_DECODE_BAD);
}

Test(urlcode, stops_at_capacity)
{
    cr_expect_eq(dec("abcd", 4, true), 4);
    cr_expect_eq(dec("abcde", 4, true), 5);
    cr_expect_eq(out[4], '#', "nothing is written past cap");
    cr_expect_eq(dec("%41%42", 2, true), 2, "the encoded length does not count");
    cr_expect_eq(dec("a", 0, false), 1);
    cr_expect_eq(out[0], '#');
    /* decoding stops at the first byte that does not fit, before a later bad escape */
    cr_expect_eq(dec("abc%zz", 2, true), 3);
    cr_expect_eq(dec("a%zzbc", 2, true), URL_DECODE_BAD);
}

Test(urlcode, strict_refuses_a_raw_nul)
{
    char dst[8];
    static const char raw[] = {'a', '\0', 'b'};
    cr_expect_eq(url_decode(dst, sizeof(dst), raw, sizeof(raw), true), URL_DECODE_BAD);
    cr_expect_eq(url_decode(dst, sizeof(dst), raw, sizeof(raw), false), 3, "lenient copies it");
    cr_expect_eq(dst[1], '\0');
}

Test(urlcode, decodes_in_place)
{
    char s[] = "k%3Dv+w";
    size_t n = url_decode(s, sizeof(s), s, strlen(s), true);
    cr_expect_eq(n, 5);
    cr_expect_arr_eq(s, "k=v w", 5);
}
