/* test_util.c - the backend-independent helpers of storage/util.c, tested directly: the search
 * query normaliser (both backends search for exactly the words it yields, so its output is the
 * contract), the id-list literal both backends bind, and the enum names round trip. */
#include <criterion/criterion.h>
#include <stdint.h>
#include <string.h>

#include "storage/internal.h"
#include "tests/support/leakcheck.h"

static void fini(void)
{
    sioc_check_leaks();
}

/* The words of `query` as store__search_words() yields them, "(null)" for none. */
static void expect_words(const char *query, const char *want)
{
    store_arena_t a = {NULL};
    const char *got = store__search_words(&a, query);
    if (want == NULL)
        cr_expect_null(got, "\"%s\" gave \"%s\"", query, got);
    else
        cr_expect(got != NULL && strcmp(got, want) == 0, "\"%s\" gave \"%s\", want \"%s\"", query,
                  got != NULL ? got : "(null)", want);
    store__arena_dispose(&a);
}

Test(store_util, search_words_split_and_lowercase, .fini = fini)
{
    expect_words("fox", "fox");
    expect_words("The Quick  BROWN\tfox", "the quick brown fox");
    expect_words("  a,b;;c--d  ", "a b c d");
    expect_words("route66 v2.0", "route66 v2 0");
    /* non-ASCII bytes belong to words and are kept as they are (no case folding) */
    expect_words("Héllo WÖRLD 日本語", "héllo wÖrld 日本語");
}

Test(store_util, search_words_drop_every_query_syntax, .fini = fini)
{
    expect_words("\" OR 1=1 NEAR( * ) AND NOT:x ^", "or 1 1 near and not x");
    expect_words("'; DROP TABLE users; --", "drop table users");
    expect_words("a&b|!c:*", "a b c");
    expect_words("", NULL);
    expect_words(" \t\r\n", NULL);
    expect_words(" ,;'\"-- ()*^:", NULL);
}

Test(store_util, ids_join, .fini = fini)
{
    store_arena_t a = {NULL};
    int64_t ids[] = {1, -2, INT64_MAX, INT64_MIN};
    cr_expect_str_eq(store__ids_join(&a, ids, 0, '{', '}'), "{}");
    cr_expect_str_eq(store__ids_join(&a, ids, 1, '[', ']'), "[1]");
    cr_expect_str_eq(store__ids_join(&a, ids, 4, '{', '}'),
                     "{1,-2,9223372036854775807,-9223372036854775808}");
    store__arena_dispose(&a);
}

Test(store_util, enum_names_round_trip, .fini = fini)
{
    for (int i = STORE_USER_ROLE_USER; i <= STORE_USER_ROLE_ADMIN; i++)
        cr_expect_eq(store__user_role_parse(store__user_role_name((store_user_role_t)i)), i);
    for (int i = STORE_CHAT_PUBLIC; i <= STORE_CHAT_GROUP; i++)
        cr_expect_eq(store__chat_kind_parse(store__chat_kind_name((store_chat_kind_t)i)), i);
    for (int i = STORE_MEMBER_MEMBER; i <= STORE_MEMBER_OWNER; i++)
        cr_expect_eq(store__member_role_parse(store__member_role_name((store_member_role_t)i)), i);
    cr_expect_str_eq(store__member_role_name(STORE_MEMBER_OWNER), "owner");
    /* unknown text (kept out by the schemas' CHECKs) falls back to the defaults */
    cr_expect_eq(store__user_role_parse("root"), STORE_USER_ROLE_USER);
    cr_expect_eq(store__chat_kind_parse(NULL), STORE_CHAT_GROUP);
    cr_expect_eq(store__member_role_parse(""), STORE_MEMBER_MEMBER);
}
