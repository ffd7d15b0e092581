/* fuzz_media_parse.c - libFuzzer target for the pure parsers of the attachment store
 * (src/media/parse.c) on the same input: the type sniffer (magic numbers, the WebM/Ogg/MP4
 * refinements, the UTF-8 text check), the Range header against a few file sizes (the answer must
 * lie inside the file), the file name sanitizer (its output must be valid UTF-8 of at most 255
 * bytes with no path separator, control byte or quote) and the Content-Disposition built from it
 * (no byte that could end the header or its quoted string). */
#include <assert.h>
#include <errno.h>
#include <stdint.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "src/media/media.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *type = srv_media_sniff(data, size);
    if (type != NULL)
        assert(srv_media_type_known(type, strlen(type)));

    static const uint64_t sizes[] = {0, 1, 10, 1000, UINT64_MAX};
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        uint64_t a = 0, b = 0;
        int r = srv_media_parse_range((const char *)data, size, sizes[i], &a, &b);
        assert(r == 0 || r == 1 || r == -ERANGE);
        if (r == 1)
            assert(a <= b && b < sizes[i]);
    }

    char *name = srv_media_sanitize_name((const char *)data, size);
    size_t n = strlen(name);
    assert(n > 0 && n <= STORE_MAX_ATT_NAME);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)name[i];
        assert(c >= 0x20 && c != 0x7f && c != '/' && c != '\\' && c != '"');
    }
    assert(name[0] != '.' && name[0] != ' ');
    char *cd = srv_media_disposition(type != NULL ? type : "application/pdf", name);
    const char *q = strchr(cd, '"'), *q2 = q != NULL ? strchr(q + 1, '"') : NULL;
    assert(q != NULL && q2 != NULL && strncmp(q2, "\"; filename*=UTF-8''", 20) == 0);
    for (const char *p = cd; *p != '\0'; p++)
        assert((unsigned char)*p >= 0x20 && (unsigned char)*p < 0x7f);
    free(cd);
    free(name);
    return 0;
}
