/* test_auth_ratelimit.c - the failed-login limiter: burst, Retry-After, decay, reset, table cap. */
#include <criterion/criterion.h>
#include <stdio.h>

#include "src/auth/ratelimit.h"
#include "tests/support/leakcheck.h"

static srv_ratelimit_t *rl;

static void teardown(void)
{
    srv_ratelimit_free(rl);
    rl = NULL;
    sioc_check_leaks();
}
TestSuite(auth_ratelimit, .fini = teardown);

Test(auth_ratelimit, burst_then_wait)
{
    rl = srv_ratelimit_new(3, 1000, 100);
    cr_assert_not_null(rl);
    for (int i = 0; i < 3; i++) {
        cr_expect_eq(srv_ratelimit_check(rl, "user:a", 10000), 0, "attempt %d", i);
        srv_ratelimit_hit(rl, "user:a", 10000);
    }
    /* three failures at t=10000: tat = 13000, allowance 2000: wait 1000 ms */
    cr_expect_eq(srv_ratelimit_check(rl, "user:a", 10000), 1000);
    cr_expect_eq(srv_ratelimit_check(rl, "user:a", 10600), 400);
    cr_expect_eq(srv_ratelimit_check(rl, "user:a", 11000), 0);
    /* other keys are not affected */
    cr_expect_eq(srv_ratelimit_check(rl, "user:b", 10000), 0);
    /* one more failure after the wait: limited again for a full interval */
    srv_ratelimit_hit(rl, "user:a", 11000);
    cr_expect_eq(srv_ratelimit_check(rl, "user:a", 11000), 1000);
}

Test(auth_ratelimit, decays_and_resets)
{
    rl = srv_ratelimit_new(2, 500, 100);
    srv_ratelimit_hit(rl, "k", 0);
    srv_ratelimit_hit(rl, "k", 0);
    cr_expect_gt(srv_ratelimit_check(rl, "k", 0), 0);
    cr_expect_eq(srv_ratelimit_check(rl, "k", 5000), 0);
    srv_ratelimit_hit(rl, "k", 5000);
    srv_ratelimit_hit(rl, "k", 5000);
    cr_expect_gt(srv_ratelimit_check(rl, "k", 5000), 0);
    srv_ratelimit_reset(rl, "k");
    cr_expect_eq(srv_ratelimit_check(rl, "k", 5000), 0);
    cr_expect_eq(srv_ratelimit_size(rl), 0);
    srv_ratelimit_reset(rl, "never-seen");
}

Test(auth_ratelimit, table_is_capped)
{
    char key[32];
    rl = srv_ratelimit_new(1, 1000, 8);
    for (int i = 0; i < 100; i++) {
        snprintf(key, sizeof(key), "ip:%d", i);
        srv_ratelimit_hit(rl, key, 1000);
    }
    cr_expect_eq(srv_ratelimit_size(rl), 8);
    /* a key that did not fit shares the overflow slot, which is now limited */
    cr_expect_gt(srv_ratelimit_check(rl, "ip:99", 1000), 0);
    cr_expect_gt(srv_ratelimit_check(rl, "ip:new", 1000), 0);
    /* once old entries decayed, the sweep makes room again */
    srv_ratelimit_hit(rl, "ip:later", 100000);
    cr_expect_eq(srv_ratelimit_size(rl), 1);
    cr_expect_gt(srv_ratelimit_check(rl, "ip:later", 100000), 0);
    cr_expect_eq(srv_ratelimit_check(rl, "ip:new", 100000), 0);
}

Test(auth_ratelimit, bad_parameters)
{
    cr_expect_null(srv_ratelimit_new(0, 1, 1));
    cr_expect_null(srv_ratelimit_new(1, 0, 1));
    cr_expect_null(srv_ratelimit_new(1, 1, 0));
    srv_ratelimit_free(NULL);
}
