/* test_rest_router.c - route matching (ids, trailing slash, 404 vs 405), query parameters and
 * the Authorization: Bearer reader. */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "src/chat/internal.h"
#include "src/core/router.h"
#include "tests/support/leakcheck.h"

static void teardown(void)
{
    sioc_check_leaks();
}
TestSuite(rest_router, .fini = teardown);

static const srv_route_t routes[] = {
    {"GET", "/v1/api/chats", 1},
    {"GET", "/v1/api/chats/public", 2},
    {"POST", "/v1/api/chats/public", 3},
    {"GET", "/v1/api/chats/private/:id", 4},
    {"DELETE", "/v1/api/chats/private/:id", 5},
    {"GET", "/v1/api/chats/:id/messages", 6},
    {"DELETE", "/v1/api/chats/group/:id/members/:uid", 7},
};

static int match(const char *method, const char *path, srv_route_params_t *p)
{
    return srv_route_match(routes, sizeof(routes) / sizeof(routes[0]), method, strlen(method), path,
                           strlen(path), p);
}

Test(rest_router, exact_and_params)
{
    srv_route_params_t p;
    cr_expect_eq(match("GET", "/v1/api/chats", &p), 0);
    cr_expect_eq(p.count, 0);
    cr_expect_eq(match("GET", "/v1/api/chats/", &p), 0);
    cr_expect_eq(match("POST", "/v1/api/chats/public", &p), 2);
    cr_expect_eq(match("GET", "/v1/api/chats/private/17", &p), 3);
    cr_expect_eq(p.count, 1);
    cr_expect_eq(p.ids[0], 17);
    cr_expect_eq(match("DELETE", "/v1/api/chats/group/3/members/9", &p), 6);
    cr_expect_eq(p.count, 2);
    cr_expect_eq(p.ids[0], 3);
    cr_expect_eq(p.ids[1], 9);
    /* literal segments win by order: "public" is not an id */
    cr_expect_eq(match("GET", "/v1/api/chats/42/messages", &p), 5);
    cr_expect_eq(p.ids[0], 42);
}

Test(rest_router, bad_ids_do_not_match)
{
    srv_route_params_t p;
    cr_expect_eq(match("GET", "/v1/api/chats/private/0", &p), SRV_ROUTE_NOT_FOUND);
    cr_expect_eq(match("GET", "/v1/api/chats/private/-1", &p), SRV_ROUTE_NOT_FOUND);
    cr_expect_eq(match("GET", "/v1/api/chats/private/01", &p), SRV_ROUTE_NOT_FOUND);
    cr_expect_eq(match("GET", "/v1/api/chats/private/1a", &p), SRV_ROUTE_NOT_FOUND);
    cr_expect_eq(match("GET", "/v1/api/chats/private/", &p), SRV_ROUTE_NOT_FOUND);
    cr_expect_eq(match("GET", "/v1/api/chats/private/99999999999999999999", &p),
                 SRV_ROUTE_NOT_FOUND);
    cr_expect_eq(match("GET", "/v1/api/chats/private/9223372036854775807", &p), 3);
    cr_expect_eq(match("GET", "/v1/api/chats/private/9223372036854775808", &p),
                 SRV_ROUTE_NOT_FOUND);
    cr_expect_eq(match("GET", "/v1/api/chats/private/1/", &p), 3);
    cr_expect_eq(match("GET", "/v1/api/chats/private/1//", &p), SRV_ROUTE_NOT_FOUND);
    cr_expect_eq(match("GET", "/v1/api/chatsx", &p), SRV_ROUTE_NOT_FOUND);
    cr_expect_eq(match("GET", "", &p), SRV_ROUTE_NOT_FOUND);
    cr_expect_eq(match("GET", "/", &p), SRV_ROUTE_NOT_FOUND);
}

Test(rest_router, method_not_allowed)
{
    srv_route_params_t p;
    cr_expect_eq(match("PUT", "/v1/api/chats", &p), SRV_ROUTE_METHOD_NOT_ALLOWED);
    cr_expect_eq(match("POST", "/v1/api/chats/private/5", &p), SRV_ROUTE_METHOD_NOT_ALLOWED);
    cr_expect_eq(match("GE", "/v1/api/chats", &p), SRV_ROUTE_METHOD_NOT_ALLOWED);
}

Test(rest_router, query_get)
{
    char out[16];
    const char *q = "before=12&limit=50&q=hello+w%C3%B6rld&empty=&flag&bad=%zz&nul=%00";
    size_t n = strlen(q);
    cr_expect_eq(srv_query_get(q, n, "before", out, sizeof(out)), 2);
    cr_expect_str_eq(out, "12");
    cr_expect_eq(srv_query_get(q, n, "limit", out, sizeof(out)), 2);
    cr_expect_eq(srv_query_get(q, n, "q", out, sizeof(out)), 12);
    cr_expect_str_eq(out, "hello w\xc3\xb6rld");
    cr_expect_eq(srv_query_get(q, n, "empty", out, sizeof(out)), 0);
    cr_expect_eq(srv_query_get(q, n, "flag", out, sizeof(out)), 0);
    cr_expect_eq(srv_query_get(q, n, "missing", out, sizeof(out)), -ENOENT);
    cr_expect_eq(srv_query_get(q, n, "bad", out, sizeof(out)), -EBADMSG);
    cr_expect_eq(srv_query_get(q, n, "nul", out, sizeof(out)), -EBADMSG);
    cr_expect_eq(srv_query_get(q, n, "q", out, 5), -EMSGSIZE);
    cr_expect_eq(srv_query_get("x=%4", 4, "x", out, sizeof(out)), -EBADMSG);
    cr_expect_eq(srv_query_get("x=%", 3, "x", out, sizeof(out)), -EBADMSG);
    cr_expect_eq(srv_query_get(NULL, 0, "x", out, sizeof(out)), -ENOENT);
}

Test(rest_router, parse_int64)
{
    int64_t v;
    cr_expect_eq(srv_parse_int64("0", 1, &v), 0);
    cr_expect_eq(v, 0);
    cr_expect_eq(srv_parse_int64("-9223372036854775808", 20, &v), 0);
    cr_expect_eq(v, INT64_MIN);
    cr_expect_eq(srv_parse_int64("9223372036854775807", 19, &v), 0);
    cr_expect_eq(v, INT64_MAX);
    cr_expect_eq(srv_parse_int64("9223372036854775808", 19, &v), -EINVAL);
    cr_expect_eq(srv_parse_int64("-", 1, &v), -EINVAL);
    cr_expect_eq(srv_parse_int64("", 0, &v), -EINVAL);
    cr_expect_eq(srv_parse_int64("1.5", 3, &v), -EINVAL);
    cr_expect_eq(srv_parse_int64(" 1", 2, &v), -EINVAL);
}

Test(rest_router, bearer_token)
{
    char buf[16];
    const char *v;
    v = rest_bearer_token("Bearer abc.def", 14, buf, sizeof(buf));
    cr_assert_not_null(v);
    cr_expect_str_eq(v, "abc.def");
    v = rest_bearer_token("bearer   tok  ", 14, buf, sizeof(buf));
    cr_assert_not_null(v, "case-insensitive scheme, spaces trimmed");
    cr_expect_str_eq(v, "tok");
    cr_expect_null(rest_bearer_token("Basic abc", 9, buf, sizeof(buf)));
    cr_expect_null(rest_bearer_token("Bearer ", 7, buf, sizeof(buf)));
    cr_expect_null(rest_bearer_token("Bearer", 6, buf, sizeof(buf)));
    cr_expect_null(rest_bearer_token("Bearer 0123456789abcdef", 23, buf, sizeof(buf)),
                   "does not fit");
    cr_expect_null(rest_bearer_token("", 0, buf, sizeof(buf)));
}
