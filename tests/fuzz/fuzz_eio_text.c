/* fuzz_eio_text.c - the JSONP helpers and the UTF-8 validator: the JSON escaping of any bytes must
 * produce printable output without raw control characters, and unescaping never grows. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engineio/codec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    buf_t out = BUF_INIT;
    eio_json_string_append(&out, (const char *)data, size);
    for (size_t i = 0; i < out.len; i++)
        if ((unsigned char)out.base[i] < 0x20)
            abort();
    buf_dispose(&out);
    char *copy = malloc(size + 1);
    memcpy(copy, data, size);
    if (eio_jsonp_unescape(copy, size) > size)
        abort();
    free(copy);
    (void)eio_utf8_valid((const char *)data, size);
    return 0;
}
