/* test_auth_password.c - argon2id hashing and verification on the thread pool: the callbacks run
 * on the loop, a right password matches, a wrong one and an unknown user (dummy hash) do not. */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>
#include <sodium.h>

#include "src/auth/password.h"
#include "tests/support/leakcheck.h"

static uv_loop_t loop;
static char stored[256];
static int hash_status = 1, verify_status[3] = {1, 1, 1};
static uv_thread_t loop_thread;

static void setup(void)
{
    cr_assert_geq(sodium_init(), 0);
    cr_assert_eq(uv_loop_init(&loop), 0);
    loop_thread = uv_thread_self();
}
static void teardown(void)
{
    cr_expect_eq(uv_loop_close(&loop), 0);
    sioc_check_leaks();
}
TestSuite(auth_password, .init = setup, .fini = teardown, .timeout = 30);

static void on_hash(int status, const char *hash, void *cbdata)
{
    cr_expect_eq(cbdata, &hash_status);
    cr_expect(uv_thread_equal(&loop_thread, &(uv_thread_t){uv_thread_self()}));
    hash_status = status;
    if (hash != NULL)
        snprintf(stored, sizeof(stored), "%s", hash);
}

static void on_verify(int status, void *cbdata)
{
    *(int *)cbdata = status;
}

Test(auth_password, hash_then_verify)
{
    const char pw[] = "correct horse battery staple";
    cr_assert_eq(srv_password_hash(&loop, pw, strlen(pw), on_hash, &hash_status), 0);
    cr_expect_eq(hash_status, 1, "the callback never runs inside the call");
    uv_run(&loop, UV_RUN_DEFAULT);
    cr_assert_eq(hash_status, 0);
    cr_expect_eq(strncmp(stored, "$argon2id$", 10), 0, "%s", stored);

    cr_assert_eq(srv_password_verify(&loop, stored, pw, strlen(pw), on_verify, &verify_status[0]),
                 0);
    cr_assert_eq(srv_password_verify(&loop, stored, "wrong", 5, on_verify, &verify_status[1]), 0);
    cr_assert_eq(srv_password_verify(&loop, NULL, pw, strlen(pw), on_verify, &verify_status[2]), 0);
    uv_run(&loop, UV_RUN_DEFAULT);
    cr_expect_eq(verify_status[0], 0);
    cr_expect_eq(verify_status[1], -EACCES);
    cr_expect_eq(verify_status[2], -EACCES);
}

Test(auth_password, refuses_bad_arguments_without_callback)
{
    char big[SRV_PASSWORD_MAX_LEN + 1];
    memset(big, 'x', sizeof(big));
    cr_expect_eq(srv_password_hash(&loop, big, sizeof(big), on_hash, NULL), -EINVAL);
    cr_expect_eq(srv_password_hash(&loop, NULL, 0, on_hash, NULL), -EINVAL);
    cr_expect_eq(srv_password_verify(&loop, "x", big, sizeof(big), on_verify, NULL), -EINVAL);
    uv_run(&loop, UV_RUN_DEFAULT);
    cr_expect_eq(hash_status, 1);
}

Test(auth_password, garbage_hash_does_not_match)
{
    cr_assert_eq(
        srv_password_verify(&loop, "not-a-phc-string", "pw", 2, on_verify, &verify_status[0]), 0);
    uv_run(&loop, UV_RUN_DEFAULT);
    cr_expect_eq(verify_status[0], -EACCES);
}
