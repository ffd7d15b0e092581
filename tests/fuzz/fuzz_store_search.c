/* fuzz_store_search.c - libFuzzer target for the storage search-query normaliser
 * (store__search_words): any bytes must yield NULL or space-separated words made only of ASCII
 * letters/digits (lowercase) and non-ASCII bytes, never longer than the input; no crash, no
 * leak. Those words are what reaches FTS5 MATCH and plainto_tsquery. */
#include "storage/internal.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size); /* for -Wmissing-prototypes */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *q = xstrndup((const char *)data, size); /* the API takes NUL-terminated text */
    store_arena_t a = {NULL};
    char *w = store__search_words(&a, q);
    if (w != NULL) {
        size_t n = strlen(w);
        if (n == 0 || n > strlen(q) || w[0] == ' ' || w[n - 1] == ' ')
            abort();
        for (size_t i = 0; i < n; i++) {
            unsigned char c = (unsigned char)w[i];
            bool ok = c == ' ' ? w[i + 1] != ' '
                               : (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || c >= 0x80;
            if (!ok)
                abort();
        }
    }
    store__arena_dispose(&a);
    free(q);
    return 0;
}
