/* test_auth_jwt.c - access tokens: round trip, expiry, forged signatures, alg "none", other
 * algorithms, tampered claims, garbage. */
#include <criterion/criterion.h>
#include <string.h>
#include <stdlib.h>
#include <jwt.h>
#include <sodium.h>

#include "src/auth/jwt.h"
#include "tests/support/leakcheck.h"

static const uint8_t key[] = "0123456789abcdef0123456789abcdef";
#define KEYLEN (sizeof(key) - 1)

static void teardown(void)
{
    sioc_check_leaks();
}
TestSuite(auth_jwt, .fini = teardown);

/* Builds a token with arbitrary claims/alg, for the forgery tests. */
static char *make_token(jwt_alg_t alg, const uint8_t *k, size_t klen, const char *sub,
                        const char *typ, long exp)
{
    jwt_t *j;
    char *tok;
    cr_assert_eq(jwt_new(&j), 0);
    if (sub != NULL)
        jwt_add_grant(j, "sub", sub);
    if (typ != NULL)
        jwt_add_grant(j, "typ", typ);
    if (exp != 0)
        jwt_add_grant_int(j, "exp", exp);
    cr_assert_eq(jwt_set_alg(j, alg, k, (int)klen), 0);
    tok = jwt_encode_str(j);
    jwt_free(j);
    cr_assert_not_null(tok);
    return tok;
}

Test(auth_jwt, round_trip)
{
    srv_jwt_claims_t c;
    char *tok = srv_jwt_issue(key, KEYLEN, 42, 1000, 900);
    cr_assert_not_null(tok);
    cr_assert_eq(srv_jwt_verify(key, KEYLEN, tok, 1000, &c), SRV_JWT_OK);
    cr_expect_eq(c.user_id, 42);
    cr_expect_eq(c.iat, 1000);
    cr_expect_eq(c.exp, 1900);
    free(tok);
}

Test(auth_jwt, expired_at_and_after_exp)
{
    srv_jwt_claims_t c;
    char *tok = srv_jwt_issue(key, KEYLEN, 7, 1000, 60);
    cr_expect_eq(srv_jwt_verify(key, KEYLEN, tok, 1059, &c), SRV_JWT_OK);
    cr_expect_eq(srv_jwt_verify(key, KEYLEN, tok, 1060, &c), SRV_JWT_EXPIRED);
    cr_expect_eq(srv_jwt_verify(key, KEYLEN, tok, 99999, &c), SRV_JWT_EXPIRED);
    cr_expect_eq(c.user_id, 0);
    cr_expect_str_eq(srv_jwt_status_code(SRV_JWT_EXPIRED), "token_expired");
    free(tok);
}

Test(auth_jwt, wrong_key_is_invalid)
{
    srv_jwt_claims_t c;
    static const uint8_t other[] = "another-secret-another-secret-xx";
    char *tok = srv_jwt_issue(other, sizeof(other) - 1, 1, 1000, 60);
    cr_expect_eq(srv_jwt_verify(key, KEYLEN, tok, 1000, &c), SRV_JWT_INVALID);
    free(tok);
}

Test(auth_jwt, alg_none_is_invalid)
{
    srv_jwt_claims_t c;
    char *tok = make_token(JWT_ALG_NONE, NULL, 0, "1", "access", 5000);
    cr_expect_eq(srv_jwt_verify(key, KEYLEN, tok, 1000, &c), SRV_JWT_INVALID);
    free(tok);
}

Test(auth_jwt, hand_made_alg_none_with_signature_stripped_is_invalid)
{
    srv_jwt_claims_t c;
    /* {"alg":"none","typ":"JWT"}.{"sub":"1","typ":"access","exp":99999999999}. */
    const char *tok = "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0."
                      "eyJzdWIiOiIxIiwidHlwIjoiYWNjZXNzIiwiZXhwIjo5OTk5OTk5OTk5OX0.";
    cr_expect_eq(srv_jwt_verify(key, KEYLEN, tok, 1000, &c), SRV_JWT_INVALID);
}

Test(auth_jwt, other_hmac_algorithm_with_our_key_is_invalid)
{
    srv_jwt_claims_t c;
    char *tok = make_token(JWT_ALG_HS512, key, KEYLEN, "1", "access", 5000);
    cr_expect_eq(srv_jwt_verify(key, KEYLEN, tok, 1000, &c), SRV_JWT_INVALID);
    free(tok);
}

Test(auth_jwt, claims_must_be_ours)
{
    srv_jwt_claims_t c;
    char *no_typ = make_token(JWT_ALG_HS256, key, KEYLEN, "1", NULL, 5000);
    char *refresh = make_token(JWT_ALG_HS256, key, KEYLEN, "1", "refresh", 5000);
    char *no_exp = make_token(JWT_ALG_HS256, key, KEYLEN, "1", "access", 0);
    char *bad_sub = make_token(JWT_ALG_HS256, key, KEYLEN, "01", "access", 5000);
    char *neg_sub = make_token(JWT_ALG_HS256, key, KEYLEN, "-3", "access", 5000);
    char *no_sub = make_token(JWT_ALG_HS256, key, KEYLEN, NULL, "access", 5000);
    char *good = make_token(JWT_ALG_HS256, key, KEYLEN, "12", "access", 5000);
    cr_expect_eq(srv_jwt_verify(key, KEYLEN, no_typ, 1000, &c), SRV_JWT_INVALID);
    cr_expect_eq(srv_jwt_verify(key, KEYLEN, refresh, 1000, &c), SRV_JWT_INVALID);
    cr_expect_eq(srv_jwt_verify(key, KEYLEN, no_exp, 1000, &c), SRV_JWT_INVALID);
    cr_expect_eq(srv_jwt_verify(key, KEYLEN, bad_sub, 1000, &c), SRV_JWT_INVALID);
    cr_expect_eq(srv_jwt_verify(key, KEYLEN, neg_sub, 1000, &c), SRV_JWT_INVALID);
    cr_expect_eq(srv_jwt_verify(key, KEYLEN, no_sub, 1000, &c), SRV_JWT_INVALID);
    cr_expect_eq(srv_jwt_verify(key, KEYLEN, good, 1000, &c), SRV_JWT_OK);
    cr_expect_eq(c.user_id, 12);
    free(no_typ);
    free(refresh);
    free(no_exp);
    free(bad_sub);
    free(neg_sub);
    free(no_sub);
    free(good);
}

Test(auth_jwt, tampered_payload_is_invalid)
{
    srv_jwt_claims_t c;
    char *tok = srv_jwt_issue(key, KEYLEN, 5, 1000, 60);
    char *dot = strchr(tok, '.');
    cr_assert_not_null(dot);
    /* flip one character of the payload */
    dot[3] = dot[3] == 'A' ? 'B' : 'A';
    cr_expect_eq(srv_jwt_verify(key, KEYLEN, tok, 1000, &c), SRV_JWT_INVALID);
    free(tok);
}

Test(auth_jwt, garbage_and_missing)
{
    srv_jwt_claims_t c;
    char big[SRV_JWT_MAX_LEN + 10];
    memset(big, 'a', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    cr_expect_eq(srv_jwt_verify(key, KEYLEN, NULL, 1000, &c), SRV_JWT_MISSING);
    cr_expect_eq(srv_jwt_verify(key, KEYLEN, "", 1000, &c), SRV_JWT_MISSING);
    cr_expect_eq(srv_jwt_verify(key, KEYLEN, "abc", 1000, &c), SRV_JWT_INVALID);
    cr_expect_eq(srv_jwt_verify(key, KEYLEN, "a.b.c", 1000, &c), SRV_JWT_INVALID);
    cr_expect_eq(srv_jwt_verify(key, KEYLEN, "...", 1000, &c), SRV_JWT_INVALID);
    cr_expect_eq(srv_jwt_verify(key, KEYLEN, big, 1000, &c), SRV_JWT_INVALID);
    /* no key never means "accept" */
    char *tok = srv_jwt_issue(key, KEYLEN, 5, 1000, 60);
    cr_expect_eq(srv_jwt_verify(NULL, 0, tok, 1000, &c), SRV_JWT_INVALID);
    free(tok);
    cr_expect_null(srv_jwt_issue(key, KEYLEN, 0, 1000, 60));
}
