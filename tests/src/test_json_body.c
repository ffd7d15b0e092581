/* test_json_body.c - strict body validation: each error code with the field it names, limits on
 * size, length, type and range, and bad input of every kind. */
#include <criterion/criterion.h>
#include <string.h>

#include "src/core/json_body.h"
#include "tests/support/leakcheck.h"

static json_t *val;

static void teardown(void)
{
    json_decref(val);
    val = NULL;
    sioc_check_leaks();
}
TestSuite(json_body, .fini = teardown);

static const srv_json_field_t fields[] = {
    {.name = "username",
     .type = SRV_JSON_STRING,
     .required = true,
     .min = 3,
     .max = 8,
     .check = srv_check_username},
    {.name = "body", .type = SRV_JSON_STRING, .min = 1, .max = 5, .check = srv_check_text},
    {.name = "limit", .type = SRV_JSON_INT, .imin = 1, .imax = 100},
    {.name = "flag", .type = SRV_JSON_BOOL},
    {.name = "members", .type = SRV_JSON_ID_ARRAY, .max = 3},
    {.name = "topic", .type = SRV_JSON_STRING, .max = 10, .nullable = true},
};
#define NF (sizeof(fields) / sizeof(fields[0]))

static srv_json_error_t err;

static json_t *parse(const char *s)
{
    return srv_json_body_parse(s, strlen(s), 200, fields, NF, &err);
}

static void expect_error(const char *body, int status, const char *code, const char *field)
{
    json_t *v = parse(body);
    cr_expect_null(v, "accepted: %s", body);
    json_decref(v);
    cr_expect_eq(err.status, status, "%s: status %d", body, err.status);
    cr_expect_str_eq(err.code, code, "%s: code %s", body, err.code);
    cr_expect_str_eq(err.field, field, "%s: field %s", body, err.field);
    if (field[0] != '\0')
        cr_expect_not_null(strstr(err.message, field), "message does not name the field: %s",
                           err.message);
}

Test(json_body, accepts_a_good_body)
{
    val = parse("{\"username\":\"al.ice\",\"body\":\"h\xc3\xa9llo\",\"limit\":100,\"flag\":false,"
                "\"members\":[1,2,3],\"topic\":null}");
    cr_assert_not_null(val, "%s", err.message);
    cr_expect_str_eq(srv_json_str(val, "username"), "al.ice");
    cr_expect_eq(srv_json_int(val, "limit", 0), 100);
    cr_expect_eq(srv_json_int(val, "missing", -7), -7);
}

Test(json_body, size_limit_is_413)
{
    char big[300];
    memset(big, ' ', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    big[0] = '{';
    big[sizeof(big) - 2] = '}';
    expect_error(big, 413, "payload_too_large", "");
}

Test(json_body, malformed_json)
{
    expect_error("", 400, "invalid_json", "");
    expect_error("{", 400, "invalid_json", "");
    expect_error("{\"username\":\"abc\",}", 400, "invalid_json", "");
    expect_error("{\"username\":\"abc\"} x", 400, "invalid_json", "");
    expect_error("{\"username\":\"a\\u0000b\"}", 400, "invalid_json", "");
    expect_error("{\"username\":\"\xff\xfe\"}", 400, "invalid_json", "");
    expect_error("{\"username\":\"abc\",\"username\":\"abd\"}", 400, "invalid_json", "");
    /* the message stays printable even when jansson quotes raw bytes */
    cr_expect_null(parse("\xc3\x28\xff"));
    for (const char *c = err.message; *c; c++)
        cr_expect((unsigned char)*c >= 0x20 && (unsigned char)*c < 0x7f);
}

Test(json_body, not_an_object)
{
    expect_error("[]", 400, "invalid_body", "");
    expect_error("\"x\"", 400, "invalid_body", "");
    expect_error("null", 400, "invalid_body", "");
    expect_error("42", 400, "invalid_body", "");
}

Test(json_body, missing_and_unknown_fields)
{
    expect_error("{}", 400, "missing_field", "username");
    expect_error("{\"body\":\"x\"}", 400, "missing_field", "username");
    expect_error("{\"username\":\"abc\",\"admin\":true}", 400, "unknown_field", "admin");
}

Test(json_body, ill_typed_fields)
{
    expect_error("{\"username\":5}", 400, "invalid_field", "username");
    expect_error("{\"username\":null}", 400, "invalid_field", "username");
    expect_error("{\"username\":[\"abc\"]}", 400, "invalid_field", "username");
    expect_error("{\"username\":\"abc\",\"limit\":\"5\"}", 400, "invalid_field", "limit");
    expect_error("{\"username\":\"abc\",\"limit\":5.0}", 400, "invalid_field", "limit");
    expect_error("{\"username\":\"abc\",\"limit\":0}", 400, "invalid_field", "limit");
    expect_error("{\"username\":\"abc\",\"limit\":101}", 400, "invalid_field", "limit");
    expect_error("{\"username\":\"abc\",\"flag\":1}", 400, "invalid_field", "flag");
    expect_error("{\"username\":\"abc\",\"members\":{}}", 400, "invalid_field", "members");
    expect_error("{\"username\":\"abc\",\"members\":[0]}", 400, "invalid_field", "members");
    expect_error("{\"username\":\"abc\",\"members\":[\"1\"]}", 400, "invalid_field", "members");
    expect_error("{\"username\":\"abc\",\"members\":[1,1]}", 400, "invalid_field", "members");
    expect_error("{\"username\":\"abc\",\"body\":null}", 400, "invalid_field", "body");
}

Test(json_body, lengths_and_checks)
{
    expect_error("{\"username\":\"ab\"}", 400, "invalid_field", "username");
    expect_error("{\"username\":\"abcdefghi\"}", 400, "field_too_long", "username");
    expect_error("{\"username\":\"a b c\"}", 400, "invalid_field", "username");
    expect_error("{\"username\":\"x'; DROP TABLE users;--\"}", 400, "field_too_long", "username");
    expect_error("{\"username\":\"x';--\"}", 400, "invalid_field", "username");
    expect_error("{\"username\":\"abc\",\"body\":\"   \"}", 400, "invalid_field", "body");
    expect_error("{\"username\":\"abc\",\"body\":\"a\\u0001\"}", 400, "invalid_field", "body");
    expect_error("{\"username\":\"abc\",\"body\":\"\"}", 400, "invalid_field", "body");
    expect_error("{\"username\":\"abc\",\"members\":[1,2,3,4]}", 400, "field_too_long", "members");
    /* five characters of two bytes each fit a limit of 5 characters */
    val = parse("{\"username\":\"abc\",\"body\":\"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\"}");
    cr_expect_not_null(val, "%s", err.message);
}

Test(json_body, utf8_length)
{
    cr_expect_eq(srv_utf8_length("", 0), 0);
    cr_expect_eq(srv_utf8_length("abc", 3), 3);
    cr_expect_eq(srv_utf8_length("\xf0\x9f\x98\x80x", 5), 2);
}

Test(json_body, validate_parsed_value)
{
    json_t *v = json_pack("{s:s}", "username", "bob");
    cr_expect_eq(srv_json_validate(v, fields, NF, &err), 0);
    json_decref(v);
    v = json_pack("[s]", "bob");
    cr_expect_eq(srv_json_validate(v, fields, NF, &err), -1);
    cr_expect_str_eq(err.code, "invalid_body");
    json_decref(v);
}
