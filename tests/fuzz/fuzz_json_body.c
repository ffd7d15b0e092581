/* fuzz_json_body.c - libFuzzer target for the strict JSON body validator (src/core/json_body.c)
 * with the field tables the chat API uses most (a string with a check, ints, booleans, id arrays, a
 * nullable string), plus the query-string reader, the router, the bearer-header reader and the
 * JWT verifier on the same input. */
#include <stdint.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "src/auth/jwt.h"
#include "src/chat/internal.h"
#include "src/core/json_body.h"
#include "src/core/router.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const srv_json_field_t fields[] = {
    {.name = "username",
     .type = SRV_JSON_STRING,
     .required = true,
     .min = 3,
     .max = 32,
     .check = srv_check_username},
    {.name = "body", .type = SRV_JSON_STRING, .min = 1, .max = 4000, .check = srv_check_text},
    {.name = "limit", .type = SRV_JSON_INT, .imin = 1, .imax = 100},
    {.name = "flag", .type = SRV_JSON_BOOL},
    {.name = "members", .type = SRV_JSON_ID_ARRAY, .max = 100},
    {.name = "topic", .type = SRV_JSON_STRING, .max = 1000, .nullable = true},
};

static const srv_route_t routes[] = {
    {"GET", "/v1/api/chats/:id/messages", 1},
    {"DELETE", "/v1/api/chats/group/:id/members/:uid", 2},
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    srv_json_error_t err;
    srv_route_params_t params;
    char out[64];
    json_t *v = srv_json_body_parse((const char *)data, size, 65536, fields,
                                    sizeof(fields) / sizeof(fields[0]), &err);
    if (v != NULL) {
        (void)srv_json_str(v, "username");
        json_decref(v);
    } else if (err.message[0] == '\0' || err.code == NULL) {
        __builtin_trap(); /* every refusal explains itself */
    }
    int n = srv_query_get((const char *)data, size, "q", out, sizeof(out));
    if (n >= 0 && ((size_t)n >= sizeof(out) || strlen(out) != (size_t)n))
        __builtin_trap(); /* a value found is NUL-terminated, fits and holds no NUL */
    int idx = srv_route_match(routes, 2, "GET", 3, (const char *)data, size, &params);
    if (idx >= 0 && (idx != 0 || params.count != 1 || params.ids[0] <= 0))
        __builtin_trap(); /* only the GET route can match, with one positive id */
    /* the same bytes as an Authorization value and as a token */
    {
        static const uint8_t key[] = "fuzz-key-fuzz-key-fuzz-key-fuzz!";
        char buf[SRV_JWT_MAX_LEN + 1], *tok = malloc(size + 1);
        srv_jwt_claims_t claims;
        (void)rest_bearer_token((const char *)data, size, buf, sizeof(buf));
        memcpy(tok, data, size);
        tok[size] = '\0';
        (void)srv_jwt_verify(key, sizeof(key) - 1, tok, 1000, &claims);
        free(tok);
    }
    return 0;
}
