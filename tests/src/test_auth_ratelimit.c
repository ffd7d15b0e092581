/* test_auth_ratelimit.c - the sign-in throttle: free failures, then delays that double up to the
 * cap; keys are independent (an attacker's (account, address) key never blocks the owner's);
 * the window forgets; reset; the table cap with its shared overflow entry; the asynchronous
 * check answering from the local state without Redis. */
#include <criterion/criterion.h>
#include <stdio.h>

#include "src/auth/ratelimit.h"
#include "base/base.h"
#include "tests/support/leakcheck.h"

static srv_ratelimit_t *rl;
/* 2 failures without delay, then 1 s, 2 s, 4 s, capped at 5 s; forgotten 60 s after the last */
static const srv_ratelimit_rule_t rule = {2, 1000, 5000, 60000};

static void teardown(void)
{
    srv_ratelimit_free(rl);
    rl = NULL;
    sioc_check_leaks();
}
TestSuite(auth_ratelimit, .fini = teardown);

Test(auth_ratelimit, free_failures_then_doubling_delays_up_to_the_cap)
{
    rl = srv_ratelimit_new(100, NULL);
    cr_assert_not_null(rl);
    srv_ratelimit_hit(rl, "lu:a|1.2.3.4", &rule, 10000);
    cr_expect_eq(srv_ratelimit_check(rl, "lu:a|1.2.3.4", 10000), 0, "one failure: no wait");
    srv_ratelimit_hit(rl, "lu:a|1.2.3.4", &rule, 10000);
    cr_expect_eq(srv_ratelimit_check(rl, "lu:a|1.2.3.4", 10000), 1000, "the second: 1 s");
    cr_expect_eq(srv_ratelimit_check(rl, "lu:a|1.2.3.4", 10600), 400);
    cr_expect_eq(srv_ratelimit_check(rl, "lu:a|1.2.3.4", 11000), 0);
    srv_ratelimit_hit(rl, "lu:a|1.2.3.4", &rule, 11000);
    cr_expect_eq(srv_ratelimit_check(rl, "lu:a|1.2.3.4", 11000), 2000);
    srv_ratelimit_hit(rl, "lu:a|1.2.3.4", &rule, 13000);
    cr_expect_eq(srv_ratelimit_check(rl, "lu:a|1.2.3.4", 13000), 4000);
    srv_ratelimit_hit(rl, "lu:a|1.2.3.4", &rule, 17000);
    cr_expect_eq(srv_ratelimit_check(rl, "lu:a|1.2.3.4", 17000), 5000, "capped");
    for (int i = 0; i < 100; i++) /* a huge count stays capped (no shift overflow) */
        srv_ratelimit_hit(rl, "lu:a|1.2.3.4", &rule, 17000);
    cr_expect_eq(srv_ratelimit_check(rl, "lu:a|1.2.3.4", 17000), 5000);
    /* the same account from another address is not affected */
    cr_expect_eq(srv_ratelimit_check(rl, "lu:a|5.6.7.8", 17000), 0);
}

Test(auth_ratelimit, the_window_forgets_and_reset_clears)
{
    rl = srv_ratelimit_new(100, NULL);
    for (int i = 0; i < 3; i++)
        srv_ratelimit_hit(rl, "k", &rule, 0);
    cr_expect_gt(srv_ratelimit_check(rl, "k", 0), 0);
    /* a failure after the window counts as the first again: no wait */
    srv_ratelimit_hit(rl, "k", &rule, 70000);
    cr_expect_eq(srv_ratelimit_check(rl, "k", 70000), 0);
    srv_ratelimit_hit(rl, "k", &rule, 70000);
    cr_expect_gt(srv_ratelimit_check(rl, "k", 70000), 0);
    srv_ratelimit_reset(rl, "k");
    cr_expect_eq(srv_ratelimit_check(rl, "k", 70000), 0);
    cr_expect_eq(srv_ratelimit_size(rl), 0);
    srv_ratelimit_reset(rl, "never-seen");
}

Test(auth_ratelimit, table_is_capped)
{
    char key[32];
    static const srv_ratelimit_rule_t strict = {1, 1000, 1000, 1000};
    rl = srv_ratelimit_new(8, NULL);
    for (int i = 0; i < 100; i++) {
        snprintf(key, sizeof(key), "la:%d", i);
        srv_ratelimit_hit(rl, key, &strict, 1000);
    }
    cr_expect_eq(srv_ratelimit_size(rl), 8);
    /* a key that did not fit shares the overflow entry, which is now blocked */
    cr_expect_gt(srv_ratelimit_check(rl, "la:99", 1000), 0);
    cr_expect_gt(srv_ratelimit_check(rl, "la:new", 1000), 0);
    /* once the old entries are spent, the sweep makes room again */
    srv_ratelimit_hit(rl, "la:later", &strict, 100000);
    cr_expect_eq(srv_ratelimit_size(rl), 1);
    cr_expect_gt(srv_ratelimit_check(rl, "la:later", 100000), 0);
    cr_expect_eq(srv_ratelimit_check(rl, "la:new", 100000), 0);
}

static void on_wait(uint64_t wait_ms, void *cbdata)
{
    *(uint64_t *)cbdata = wait_ms;
}

Test(auth_ratelimit, check_all_answers_the_longest_wait_from_the_local_state)
{
    uint64_t now = time_now_ms(), got = 12345;
    const char *keys[] = {"lu:a|x", "la:x", "ra:x"};
    rl = srv_ratelimit_new(100, NULL);
    srv_ratelimit_check_all(rl, keys, 3, on_wait, &got);
    cr_expect_eq(got, 0);
    for (int i = 0; i < 3; i++) /* 2 s blocked */
        srv_ratelimit_hit(rl, "la:x", &rule, now);
    srv_ratelimit_check_all(rl, keys, 3, on_wait, &got);
    cr_expect(got > 1000 && got <= 2000, "%llu", (unsigned long long)got);
}

Test(auth_ratelimit, bad_parameters)
{
    cr_expect_null(srv_ratelimit_new(0, NULL));
    srv_ratelimit_free(NULL);
}
