/* fuzz_rda_message.c - libFuzzer target for what the Redis adapter reads from Redis: the input is
 * decoded as a broadcast ([uid, packet, opts]), as a request/response (JSON or msgpack), and as a
 * bare msgpack value; whatever decodes must encode back to msgpack that decodes again. Seeds: the
 * messages captured from the Node adapter (tests/redis/rda_vectors.h). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "redis/rda_codec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    rda_broadcast_t b;
    rda_bins_t bins = {NULL, 0}, bins2 = {NULL, 0};
    rda_opts_t opts;
    json_t *v;
    if (rda_broadcast_decode(data, size, &b) == 0)
        rda_broadcast_dispose(&b);
    v = rda_request_decode(data, size, true, &bins);
    if (v != NULL && rda_opts_read(json_object_get(v, "opts"), &opts) == 0)
        rda_opts_dispose(&opts);
    json_decref(v);
    rda_bins_dispose(&bins);
    v = rda_mp_decode(data, size, &bins);
    if (v != NULL) {
        buf_t out = BUF_INIT;
        json_t *again;
        rda_mp_encode(&out, v, bins.v, bins.n);
        again = rda_mp_decode(out.base, out.len, &bins2);
        /* not always equal: a duplicate key can orphan a binary value, a placeholder-shaped
         * map naming one becomes that binary, whole reals come back as integers */
        if (again == NULL)
            abort();
        json_decref(again);
        buf_dispose(&out);
    }
    json_decref(v);
    rda_bins_dispose(&bins);
    rda_bins_dispose(&bins2);
    return 0;
}
