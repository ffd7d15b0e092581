/* fuzz_wa_webhook.c - libFuzzer target for the WhatsApp webhook handling (src/channels/wa_wire.c):
 * the X-Hub-Signature-256 check on the input as header and as body, the envelope parser (every
 * event it reports has a valid id and a body cut to WA_BODY_MAX characters), the send-answer
 * reader and the rating id parser on the same bytes. */
#include <errno.h>
#include <stdint.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "src/channels/wa_wire.h"
#include "src/core/json_body.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_event(const wa_event_t *ev, void *arg)
{
    size_t *n = arg;
    size_t idlen = strlen(ev->id);
    if (ev->kind != WA_EVENT_ERROR && (idlen == 0 || idlen > WA_ID_MAX))
        __builtin_trap(); /* only valid ids are reported */
    size_t blen = strlen(ev->body);
    if (ev->kind == WA_EVENT_MESSAGE &&
        (blen == 0 || srv_utf8_length(ev->body, blen) > WA_BODY_MAX ||
         srv_check_text(ev->body, blen) != NULL))
        __builtin_trap(); /* never empty, the desk's limit, text the desk accepts */
    if (ev->rating != 0 && (ev->rating < 1 || ev->rating > 5 || ev->rating_service <= 0))
        __builtin_trap();
    (*n)++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    char sig[72];
    wa_signature_make("secret", s, size, sig);
    if (wa_signature_check("secret", s, size, sig, strlen(sig)) != 0)
        __builtin_trap(); /* our own signature always verifies */
    int rc = wa_signature_check("secret", "body", 4, s, size);
    if (rc != 0 && rc != -EBADMSG && rc != -EPERM)
        __builtin_trap();
    size_t seen = 0;
    int n = wa_webhook_parse(s, size, size % 2 ? "106540352242922" : NULL, check_event, &seen);
    if (n >= 0 && (size_t)n != seen)
        __builtin_trap(); /* the count is the events reported */
    char id[WA_ID_MAX + 1], err[256];
    (void)wa_send_result(size > 0 ? 200 + data[0] % 400 : 0, s, size, id, sizeof(id), err,
                         sizeof(err));
    if (wa_status_result(size > 0 ? 200 + data[0] % 400 : 0, s, size, err, sizeof(err)) ==
            WA_SEND_OK &&
        err[0] != '\0')
        __builtin_trap(); /* an accepted status update has no error */
    char *z = malloc(size + 1);
    memcpy(z, data, size);
    z[size] = '\0';
    int64_t svc;
    int rating;
    if (wa_rating_parse(z, &svc, &rating) && (rating < 1 || rating > 5 || svc <= 0))
        __builtin_trap();
    free(z);
    return 0;
}
