/* test_base_names.c - the name helpers of base/: log_level_parse (the one table of level names
 * that SIOC_LOG_LEVEL and --log-level both read) and str_list_has (the comma-separated origin
 * list of --cors-origin): exact items, spaces around items, prefixes and empty items. */
#include <criterion/criterion.h>
#include <string.h>

#include "base/base.h"
#include "tests/support/leakcheck.h"

TestSuite(base_names, .fini = sioc_check_leaks);

Test(base_names, log_level_parse_reads_every_name)
{
    static const char *names[] = {"debug", "info", "warn", "error"};
    static const log_level_t levels[] = {LOG_LEVEL_DEBUG, LOG_LEVEL_INFO, LOG_LEVEL_WARN,
                                         LOG_LEVEL_ERROR};
    for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
        log_level_t l = LOG_LEVEL_ERROR + 1;
        cr_expect(log_level_parse(names[i], &l), "%s", names[i]);
        cr_expect_eq(l, levels[i], "%s", names[i]);
    }
}

Test(base_names, log_level_parse_refuses_others_and_keeps_the_value)
{
    static const char *bad[] = {"", "INFO", "warning", "debug ", "err"};
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        log_level_t l = LOG_LEVEL_WARN;
        cr_expect(!log_level_parse(bad[i], &l), "'%s'", bad[i]);
        cr_expect_eq(l, LOG_LEVEL_WARN, "'%s' must leave the level as it was", bad[i]);
    }
}

static bool has(const char *list, const char *s)
{
    return str_list_has(list, s, strlen(s));
}

Test(base_names, str_list_has_matches_whole_trimmed_items)
{
    const char *list = "http://a.example, https://b.example:8080 ,http://c";
    cr_expect(has(list, "http://a.example"));
    cr_expect(has(list, "https://b.example:8080"));
    cr_expect(has(list, "http://c"));
    cr_expect(!has(list, "http://a.exampl"), "a prefix of an item is no item");
    cr_expect(!has(list, "http://a.example.evil"), "an item extended is no item");
    cr_expect(!has(list, " http://a.example"), "the item is compared trimmed");
    cr_expect(!has(list, "http"));
    cr_expect(!has(list, ""), "no empty item in this list");
    cr_expect(has("one", "one"));
    cr_expect(!has("", "one"));
    cr_expect(has("a,,b", ""), "an empty item matches the empty string");
    cr_expect(str_list_has("xy,z", "xyz", 2), "only `len` bytes of s count");
}
