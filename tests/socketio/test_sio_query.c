/* test_sio_query.c - query strings as handshake.query / EIO3 auth (Node querystring.parse). */
#include <criterion/criterion.h>
#include <string.h>

#include "socketio/internal.h"
#include "tests/support/leakcheck.h"

static json_t *q;

static void teardown(void)
{
    json_decref(q);
    sioc_check_leaks();
}

TestSuite(sio_query, .fini = teardown);

static char *dump(const json_t *v)
{
    return json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS);
}

static void expect_query(const char *in, const char *want)
{
    json_decref(q);
    q = sio__query_parse(in, strlen(in));
    char *s = dump(q);
    cr_expect_str_eq(s, want, "query %s", in);
    free(s);
}

Test(sio_query, parses_engine_query)
{
    expect_query("EIO=4&transport=polling&t=OfX1a2b",
                 "{\"EIO\":\"4\",\"t\":\"OfX1a2b\",\"transport\":\"polling\"}");
}

Test(sio_query, decodes_and_repeats)
{
    expect_query("a=1&a=2&a=3&b=x+y%20z&c",
                 "{\"a\":[\"1\",\"2\",\"3\"],\"b\":\"x y z\",\"c\":\"\"}");
    expect_query("k%3D=v%26w", "{\"k=\":\"v&w\"}");
    expect_query("token=%C3%A9", "{\"token\":\"\xc3\xa9\"}");
}

Test(sio_query, tolerates_bad_input)
{
    expect_query("", "{}");
    expect_query("&&&", "{}");
    expect_query("=x", "{\"\":\"x\"}");
    expect_query("a=%", "{\"a\":\"%\"}");
    expect_query("a=%4", "{\"a\":\"%4\"}");
    expect_query("a=%zz", "{\"a\":\"%zz\"}");
    expect_query("a=%00b", "{\"a\":\"\xef\xbf\xbd"
                           "b\"}");
    expect_query("a=%ff%fe", "{\"a\":\"\xef\xbf\xbd\xef\xbf\xbd\"}");
    expect_query("a=b=c", "{\"a\":\"b=c\"}");
}
