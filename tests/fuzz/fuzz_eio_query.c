/* fuzz_eio_query.c - the query-string lookup with the keys the engine reads, into buffers of
 * several sizes (the value must fit and be NUL-terminated). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engineio/codec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const keys[] = {"EIO", "transport", "sid", "b64", "", "a"};
    char out[64];
    for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
        for (size_t cap = 1; cap <= sizeof(out); cap *= 4) {
            int n = eio_query_get((const char *)data, size, keys[k], out, cap);
            if (n >= 0 && ((size_t)n >= cap || out[n] != '\0'))
                abort();
        }
    }
    return 0;
}
