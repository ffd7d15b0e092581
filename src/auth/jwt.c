/* jwt.c - HS256 access tokens with libjwt 1.10 (see jwt.h for the checks it makes).
 *
 * Claims: sub (user id, decimal string as RFC 7519 wants a string), iat, exp, typ="access". A
 * refresh token is not a JWT (it is an opaque random string kept server side), so the typ claim
 * only guards against tokens minted for some other purpose with the same secret. */
#include "src/auth/jwt.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jwt.h>

char *srv_jwt_issue(const uint8_t *key, size_t key_len, int64_t user_id, int64_t now, int64_t ttl_s)
{
    jwt_t *j = NULL;
    char *tok = NULL;
    char sub[24];

    if (key == NULL || key_len == 0 || key_len > INT32_MAX || user_id <= 0)
        return NULL;
    if (jwt_new(&j) != 0)
        return NULL;
    snprintf(sub, sizeof(sub), "%" PRId64, user_id);
    if (jwt_add_grant(j, "sub", sub) != 0 || jwt_add_grant(j, "typ", "access") != 0 ||
        jwt_add_grant_int(j, "iat", (long)now) != 0 ||
        jwt_add_grant_int(j, "exp", (long)(now + ttl_s)) != 0 ||
        jwt_set_alg(j, JWT_ALG_HS256, key, (int)key_len) != 0)
        goto out;
    tok = jwt_encode_str(j);
out:
    jwt_free(j);
    return tok;
}

/* Parses a canonical positive decimal (no sign, no leading zero, fits int64). */
static int64_t parse_user_id(const char *s)
{
    int64_t v = 0;
    if (s == NULL || *s < '1' || *s > '9')
        return -1;
    for (; *s != '\0'; s++) {
        if (*s < '0' || *s > '9' || v > (INT64_MAX - 9) / 10)
            return -1;
        v = v * 10 + (*s - '0');
    }
    return v;
}

srv_jwt_status_t srv_jwt_verify(const uint8_t *key, size_t key_len, const char *token, int64_t now,
                                srv_jwt_claims_t *claims)
{
    jwt_t *j = NULL;
    srv_jwt_status_t st = SRV_JWT_INVALID;
    const char *typ;
    long exp, iat;
    int64_t uid;

    memset(claims, 0, sizeof(*claims));
    if (token == NULL || *token == '\0')
        return SRV_JWT_MISSING;
    /* Never call jwt_decode without a key: it would then accept anything, alg "none" included. */
    if (key == NULL || key_len == 0 || key_len > INT32_MAX)
        return SRV_JWT_INVALID;
    if (strnlen(token, SRV_JWT_MAX_LEN + 1) > SRV_JWT_MAX_LEN)
        return SRV_JWT_INVALID;
    if (jwt_decode(&j, token, key, (int)key_len) != 0 || j == NULL)
        goto out;
    if (jwt_get_alg(j) != JWT_ALG_HS256)
        goto out;
    typ = jwt_get_grant(j, "typ");
    if (typ == NULL || strcmp(typ, "access") != 0)
        goto out;
    uid = parse_user_id(jwt_get_grant(j, "sub"));
    if (uid <= 0)
        goto out;
    errno = 0;
    exp = jwt_get_grant_int(j, "exp");
    if (errno == ENOENT || exp <= 0) /* a non-integer exp reads as 0 */
        goto out;
    errno = 0;
    iat = jwt_get_grant_int(j, "iat");
    if (errno == ENOENT)
        iat = 0;
    if ((int64_t)exp <= now) {
        st = SRV_JWT_EXPIRED;
        goto out;
    }
    claims->user_id = uid;
    claims->iat = iat;
    claims->exp = exp;
    st = SRV_JWT_OK;
out:
    if (j != NULL)
        jwt_free(j);
    return st;
}

const char *srv_jwt_status_code(srv_jwt_status_t st)
{
    switch (st) {
    case SRV_JWT_OK:
        return "ok";
    case SRV_JWT_MISSING:
        return "token_missing";
    case SRV_JWT_EXPIRED:
        return "token_expired";
    case SRV_JWT_INVALID:
    default:
        return "token_invalid";
    }
}
