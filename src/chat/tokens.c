/* chat_tokens.c - token pairs: a short-lived HS256 access token (auth_jwt.c) and a long-lived
 * opaque refresh token (32 random bytes, base64url). Only the SHA-256 of a refresh token is
 * stored, so a database leak does not leak usable tokens; refresh rotates it within its family
 * (rest_auth.c). */
#include "src/chat/internal.h"

#include <errno.h>
#include <time.h>
#include <sodium.h>

#include "src/auth/auth.h"

void chat_tokens_hash(const char *token, char out[65])
{
    unsigned char digest[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(digest, (const unsigned char *)token, strlen(token));
    sodium_bin2hex(out, 65, digest, sizeof(digest));
}

void chat_tokens_reply(rest_op_t *op, int status)
{
    json_t *res = json_pack("{s:s,s:s,s:s,s:i}", "accessToken", op->text, "refreshToken", op->query,
                            "tokenType", "Bearer", "expiresIn", CHAT_ACCESS_TTL_S);
    if (op->result != NULL)
        json_object_set(res, "user", op->result);
    rest_op_reply_json(op, status, res);
}

static void on_token_stored(void *cbdata, int status)
{
    rest_op_t *op = cbdata;
    if (!rest_op_proceed(op, status, "token"))
        return;
    chat_tokens_reply(op, (int)op->n[5]);
}

int chat_tokens_new_pair(rest_op_t *op, int64_t user_id, char hash[65])
{
    unsigned char raw[32];
    int64_t now = (int64_t)time(NULL);

    free(op->text);
    op->text =
        srv_jwt_issue(op->chat->jwt_key, op->chat->jwt_key_len, user_id, now, CHAT_ACCESS_TTL_S);
    if (op->text == NULL) {
        rest_op_reply_error(op, 500, "internal", "could not issue a token");
        return -1;
    }
    randombytes_buf(raw, sizeof(raw));
    sodium_bin2base64(op->query, sizeof(op->query), raw, sizeof(raw),
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    chat_tokens_hash(op->query, hash);
    return 0;
}

void chat_tokens_issue_and_reply(rest_op_t *op, int status, int64_t user_id)
{
    char hash[65];
    int rc;
    if (chat_tokens_new_pair(op, user_id, hash) != 0)
        return;
    op->n[5] = status;
    rc = store_token_insert(op->chat->store, hash, user_id,
                            (int64_t)time_now_ms() + CHAT_REFRESH_TTL_MS, on_token_stored, op);
    rest_op_issued(op, rc, "token");
}
