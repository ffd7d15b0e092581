/* test_query.c - the query-string lookup (engineio/query.c), URLSearchParams semantics. */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "engineio/codec.h"
#include "tests/support/leakcheck.h"

static void teardown(void)
{
    sioc_check_leaks();
}

TestSuite(eio_query, .fini = teardown);

static int get(const char *q, const char *key, char *out, size_t cap)
{
    return eio_query_get(q, strlen(q), key, out, cap);
}

Test(eio_query, finds_engine_parameters)
{
    char v[32];
    const char *q = "EIO=4&transport=polling&t=N8hyd6w&sid=abc-_DEF";
    cr_expect_eq(get(q, "EIO", v, sizeof(v)), 1);
    cr_expect_str_eq(v, "4");
    cr_expect_eq(get(q, "transport", v, sizeof(v)), 7);
    cr_expect_str_eq(v, "polling");
    cr_expect_eq(get(q, "sid", v, sizeof(v)), 8);
    cr_expect_str_eq(v, "abc-_DEF");
    cr_expect_eq(get(q, "eio", v, sizeof(v)), -ENOENT);
    cr_expect_eq(get(q, "t=N8hyd6w", v, sizeof(v)), -ENOENT);
}

Test(eio_query, decodes_percent_and_plus)
{
    char v[32];
    cr_expect_eq(get("a=%41%62+c%2B", "a", v, sizeof(v)), 5);
    cr_expect_str_eq(v, "Ab c+");
    cr_expect_eq(get("tr%61nsport=websocket", "transport", v, sizeof(v)), 9);
    cr_expect_str_eq(v, "websocket");
}

Test(eio_query, keeps_invalid_escapes)
{
    char v[32];
    cr_expect_eq(get("a=%zz%4", "a", v, sizeof(v)), 5);
    cr_expect_str_eq(v, "%zz%4");
    cr_expect_eq(get("a=%", "a", v, sizeof(v)), 1);
    cr_expect_str_eq(v, "%");
}

Test(eio_query, last_occurrence_wins_and_empty_values)
{
    char v[32];
    cr_expect_eq(get("sid=1&sid=2", "sid", v, sizeof(v)), 1);
    cr_expect_str_eq(v, "2");
    cr_expect_eq(get("sid=&x=1", "sid", v, sizeof(v)), 0);
    cr_expect_str_eq(v, "");
    cr_expect_eq(get("sid&x=1", "sid", v, sizeof(v)), 0);
    cr_expect_eq(get("&&a=b=c&&", "a", v, sizeof(v)), 3);
    cr_expect_str_eq(v, "b=c");
    cr_expect_eq(get("", "a", v, sizeof(v)), -ENOENT);
}

Test(eio_query, reports_values_too_long)
{
    char v[4];
    cr_expect_eq(get("a=abcd", "a", v, sizeof(v)), -EMSGSIZE);
    cr_expect_eq(get("a=abc", "a", v, sizeof(v)), 3);
    cr_expect_eq(get("a=abc", "a", v, 0), -EMSGSIZE);
}

Test(eio_query, handles_embedded_nul)
{
    char v[8];
    cr_expect_eq(eio_query_get("a=x\0y", 5, "a", v, sizeof(v)), 3);
    cr_expect_eq(v[1], '\0');
}
