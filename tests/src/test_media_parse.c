/* test_media_parse.c - the pure parts of the attachment store (src/media/parse.c): the type from
 * the first bytes (and never from a name or a claim), the Range header (RFC 9110 14.1.2 forms,
 * what is ignored, what is unsatisfiable), file names with path tricks, control bytes, bad UTF-8
 * and excess length, Content-Disposition, and the JSON of an attachment. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "src/media/media.h"
#include "tests/support/leakcheck.h"

static void teardown(void)
{
    sioc_check_leaks();
}
TestSuite(media_parse, .fini = teardown);

#define SNIFF(lit) srv_media_sniff((const uint8_t *)(lit), sizeof(lit) - 1)

Test(media_parse, sniffs_types_from_magic_numbers)
{
    cr_expect_str_eq(SNIFF("\x89PNG\r\n\x1a\n\0\0\0\rIHDR"), "image/png");
    cr_expect_str_eq(SNIFF("\xff\xd8\xff\xe0\0\x10JFIF"), "image/jpeg");
    cr_expect_str_eq(SNIFF("GIF89a\x01\0\x01\0"), "image/gif");
    cr_expect_str_eq(SNIFF("RIFF\x24\0\0\0WEBPVP8 "), "image/webp");
    cr_expect_str_eq(SNIFF("%PDF-1.7\n"), "application/pdf");
    cr_expect_str_eq(SNIFF("OggS\0\x02\0\0\0\0OpusHead"), "audio/ogg");
    cr_expect_null(SNIFF("OggS\0\x02\0\0\0\0\x80theora"));
    cr_expect_str_eq(SNIFF("\x1a\x45\xdf\xa3\x9f\x42\x82\x84webm\x86\x86A_OPUS"), "audio/webm");
    cr_expect_str_eq(SNIFF("\x1a\x45\xdf\xa3\x9f\x42\x82\x84webm\x86\x85V_VP8"), "video/webm");
    cr_expect_null(SNIFF("\x1a\x45\xdf\xa3\x9f\x42\x82\x88matroska")); /* not WebM */
    cr_expect_str_eq(SNIFF("\0\0\0\x20"
                           "ftypM4A \0\0\0\0"),
                     "audio/mp4");
    cr_expect_str_eq(SNIFF("\0\0\0\x18"
                           "ftypisom\0\0\0\0"),
                     "video/mp4");
    cr_expect_str_eq(SNIFF("ID3\x03\0\0\0\0\0\0"), "audio/mpeg");
    cr_expect_str_eq(SNIFF("\xff\xfb\x90\x64\0"), "audio/mpeg");
    cr_expect_str_eq(SNIFF("hello\r\n\tw\xc3\xb6rld \xe2\x82\xac\n"), "text/plain");
    cr_expect_str_eq(SNIFF("\xef\xbb\xbfwith a BOM"), "text/plain");
    cr_expect_str_eq(SNIFF("cut in the middle \xe2\x82"), "text/plain"); /* the head's end */
}

Test(media_parse, refuses_what_is_no_known_type)
{
    cr_expect_null(SNIFF("MZ\x90\0\x03\0\0\0\x04\0")); /* a Windows executable */
    cr_expect_null(SNIFF("\x7f"
                         "ELF\x02\x01\x01\0"));           /* ELF */
    cr_expect_null(SNIFF("PK\x03\x04\x14\0"));            /* zip */
    cr_expect_null(SNIFF("text with a \x1b[31m escape")); /* control bytes */
    cr_expect_null(SNIFF("bad utf-8 \xc3\x28 here"));
    cr_expect_null(SNIFF("\xed\xa0\x80")); /* a surrogate */
    cr_expect_null(srv_media_sniff(NULL, 0));
    cr_expect(srv_media_type_known("image/png", 9));
    cr_expect_not(srv_media_type_known("image/svg+xml", 13));
    cr_expect_not(srv_media_type_known("text/html", 9));
}

static int range(const char *v, uint64_t size, uint64_t *a, uint64_t *b)
{
    *a = *b = 12345;
    return srv_media_parse_range(v, strlen(v), size, a, b);
}

Test(media_parse, parses_one_byte_range)
{
    uint64_t a, b;
    cr_expect_eq(range("bytes=0-99", 1000, &a, &b), 1);
    cr_expect(a == 0 && b == 99);
    cr_expect_eq(range("bytes=500-", 1000, &a, &b), 1);
    cr_expect(a == 500 && b == 999);
    cr_expect_eq(range("bytes=-100", 1000, &a, &b), 1);
    cr_expect(a == 900 && b == 999);
    cr_expect_eq(range("bytes=-5000", 1000, &a, &b), 1); /* more than the file: all of it */
    cr_expect(a == 0 && b == 999);
    cr_expect_eq(range("bytes=990-2000", 1000, &a, &b), 1); /* clamped to the end */
    cr_expect(a == 990 && b == 999);
    cr_expect_eq(range(" Bytes=1-1 ", 10, &a, &b), 1);
    cr_expect(a == 1 && b == 1);
}

Test(media_parse, ignores_or_refuses_other_ranges)
{
    uint64_t a, b;
    cr_expect_eq(range("bytes=1000-", 1000, &a, &b), -ERANGE);
    cr_expect_eq(range("bytes=-0", 1000, &a, &b), -ERANGE);
    cr_expect_eq(range("bytes=0-", 0, &a, &b), -ERANGE);
    cr_expect_eq(range("bytes=0-1,5-9", 1000, &a, &b), 0); /* several: the whole file */
    cr_expect_eq(range("bytes=9-1", 1000, &a, &b), 0);
    cr_expect_eq(range("bytes=-", 1000, &a, &b), 0);
    cr_expect_eq(range("items=0-1", 1000, &a, &b), 0);
    cr_expect_eq(range("bytes=a-b", 1000, &a, &b), 0);
    cr_expect_eq(range("bytes=99999999999999999999999-", 1000, &a, &b), 0); /* overflow */
    cr_expect_eq(range("", 1000, &a, &b), 0);
}

static void name_is(const char *raw, size_t len, const char *want)
{
    char *got = srv_media_sanitize_name(raw, len);
    cr_expect_str_eq(got, want, "%s", raw);
    free(got);
}
#define NAME(lit, want) name_is(lit, sizeof(lit) - 1, want)

Test(media_parse, sanitizes_file_names)
{
    NAME("cat.png", "cat.png");
    NAME("../../etc/passwd", "passwd");
    NAME("C:\\Users\\x\\evil.exe", "evil.exe");
    NAME("dir/", "file");
    NAME("..", "file");
    NAME("", "file");
    NAME(".htaccess", "htaccess");
    NAME("  spaced  .pdf.  ", "spaced  .pdf");
    NAME("nul\0in\0it.txt", "nulinit.txt");
    NAME("line\r\nbreak.txt", "linebreak.txt");
    NAME("q\"u:o*t?e<s>|.txt", "q_u_o_t_e_s__.txt");
    NAME("caf\xc3\xa9 \xf0\x9f\x98\x80.png", "caf\xc3\xa9 \xf0\x9f\x98\x80.png");
    NAME("bad\xff\xc3.png", "bad__.png");
    NAME("c1\xc2\x85x.png", "c1__x.png"); /* U+0085 NEL */
}

Test(media_parse, cuts_long_names_keeping_the_extension)
{
    char raw[1200];
    memset(raw, 'x', 1000);
    memcpy(raw + 1000, ".jpeg", 6);
    char *got = srv_media_sanitize_name(raw, strlen(raw));
    cr_expect_eq(strlen(got), STORE_MAX_ATT_NAME);
    cr_expect_str_eq(got + STORE_MAX_ATT_NAME - 5, ".jpeg");
    free(got);
    for (size_t i = 0; i < 600; i += 2) /* two-byte characters: never cut in the middle */
        memcpy(raw + i, "\xc3\xa9", 2);
    raw[600] = '\0';
    got = srv_media_sanitize_name(raw, 600);
    cr_expect_leq(strlen(got), STORE_MAX_ATT_NAME);
    cr_expect_eq(strlen(got) % 2, 0);
    free(got);
}

Test(media_parse, builds_content_disposition)
{
    char *cd = srv_media_disposition("image/png", "cat.png");
    cr_expect_str_eq(cd, "inline; filename=\"cat.png\"; filename*=UTF-8''cat.png");
    free(cd);
    cd = srv_media_disposition("application/pdf", "r\xc3\xa9sum\xc3\xa9 (1);.pdf");
    cr_expect_str_eq(cd, "attachment; filename=\"r_sum_ (1);.pdf\"; "
                         "filename*=UTF-8''r%C3%A9sum%C3%A9%20%281%29%3B.pdf");
    free(cd);
    cd = srv_media_disposition("text/plain", "a.txt");
    cr_expect(strncmp(cd, "attachment;", 11) == 0);
    free(cd);
    cd = srv_media_disposition("audio/webm", "v.webm");
    cr_expect(strncmp(cd, "inline;", 7) == 0);
    free(cd);
}

Test(media_parse, json_of_an_attachment)
{
    store_attachment_t a = {.id = 7,
                            .sha256 = "x",
                            .size = 10,
                            .content_type = "image/png",
                            .name = "p.png",
                            .width = 4,
                            .height = 3,
                            .thumb_size = 99,
                            .message_id = 5};
    json_t *o = srv_media_json(&a);
    char *s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
    cr_expect_str_eq(s, "{\"height\":3,\"id\":7,\"name\":\"p.png\",\"size\":10,\"thumbUrl\":"
                        "\"/v1/api/attachments/7/thumb\",\"type\":\"image/png\",\"url\":"
                        "\"/v1/api/attachments/7\",\"width\":4}");
    free(s);
    json_decref(o);
    store_attachment_list_t l = {&a, 1};
    json_t *arr = srv_media_json_for(&l, 5), *none = srv_media_json_for(&l, 6);
    cr_expect_eq(json_array_size(arr), 1);
    cr_expect_eq(json_array_size(none), 0);
    json_decref(arr);
    json_decref(none);
}
