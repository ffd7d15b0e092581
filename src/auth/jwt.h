/* jwt.h - the chat service's access tokens: HS256 JWTs issued and verified with libjwt 1.10.
 *
 * libjwt 1.10 checks the signature only when it is given the key, and checks neither the
 * algorithm against the one we expect nor exp, so srv_jwt_verify does both by hand (STACK.md §7):
 * a token is accepted only if its header says HS256, its signature matches `key`, its `typ` claim
 * is "access", its `sub` is a positive user id and `exp` is in the future. Pure: no loop, no I/O.
 */
#ifndef SIOC_SRC_AUTH_JWT_H
#define SIOC_SRC_AUTH_JWT_H

#include <stddef.h>
#include <stdint.h>

/** Longest token srv_jwt_verify looks at; longer input is rejected unparsed. */
#define SRV_JWT_MAX_LEN 2048

/** Why a token was refused (negative), or 0. */
typedef enum en_srv_jwt_status_t {
    SRV_JWT_OK = 0,
    SRV_JWT_MISSING = -1, /* NULL or empty */
    SRV_JWT_INVALID = -2, /* garbage, bad signature, wrong algorithm, missing or ill-typed claims */
    SRV_JWT_EXPIRED = -3, /* well signed but exp <= now */
} srv_jwt_status_t;

/** The claims sioc puts in an access token. */
typedef struct st_srv_jwt_claims_t {
    int64_t user_id; /* `sub`, as a decimal string in the token */
    int64_t iat;     /* seconds since the epoch */
    int64_t exp;     /* seconds since the epoch */
} srv_jwt_claims_t;

/** Returns a newly allocated token (free() it) for `user_id`, issued at `now` and valid for
 * `ttl_s` seconds, signed with `key`; NULL only if libjwt fails. */
char *srv_jwt_issue(const uint8_t *key, size_t key_len, int64_t user_id, int64_t now,
                    int64_t ttl_s);

/** Verifies `token` against `key` at time `now` (seconds). Fills `claims` on SRV_JWT_OK. */
srv_jwt_status_t srv_jwt_verify(const uint8_t *key, size_t key_len, const char *token, int64_t now,
                                srv_jwt_claims_t *claims);

/** The stable code the API reports for a status: "token_missing", "token_invalid",
 * "token_expired" ("ok" for SRV_JWT_OK). */
const char *srv_jwt_status_code(srv_jwt_status_t st);

#endif
