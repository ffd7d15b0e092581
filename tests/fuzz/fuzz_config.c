/* fuzz_config.c - libFuzzer target for the config parsers. The first byte picks the parser:
 *   0: srv_config_parse_file_text on the rest
 *   1: srv_config_set with "name\0value" (every option name is reachable)
 *   2: srv_config_parse_argv with the rest split at NUL bytes
 *   3: srv_config_parse_env with the rest split at NUL bytes
 * Each run starts from the defaults and ends with dispose, so leaks show up under ASan. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "src/core/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size); /* for -Wmissing-prototypes */

/* Splits `len` bytes at NULs into a NULL-terminated vector after `first` (NULL: none). */
static char **split(const char *text, size_t len, const char *first, int *count)
{
    char **v = xcalloc(len + 3, sizeof(*v));
    int n = 0;
    if (first != NULL)
        v[n++] = xstrdup(first);
    const char *p = text, *end = text + len;
    while (p <= end) {
        const char *z = memchr(p, '\0', (size_t)(end - p));
        if (z == NULL)
            z = end;
        v[n++] = xstrndup(p, (size_t)(z - p));
        p = z + 1;
    }
    *count = n;
    return v;
}

static void free_split(char **v, int count)
{
    for (int i = 0; i < count; i++)
        free(v[i]);
    free(v);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    srv_config_t conf;
    char *err = NULL;
    const char *text = (const char *)data + 1;
    size_t len = size - 1;
    srv_config_init(&conf);
    switch (data[0] % 4) {
    case 0:
        srv_config_parse_file_text(&conf, text, len, "fuzz.conf", &err);
        break;
    case 1: {
        int n;
        char **v = split(text, len, NULL, &n);
        srv_config_set(&conf, v[0], n > 1 ? v[1] : "", SRV_CONFIG_ARGV, &err);
        free_split(v, n);
        break;
    }
    case 2: {
        int n;
        char **v = split(text, len, "sioc", &n);
        srv_config_parse_argv(&conf, n, v, &err);
        srv_config_find_file(n, v, NULL);
        free_split(v, n);
        break;
    }
    case 3: {
        int n;
        char **v = split(text, len, NULL, &n);
        srv_config_parse_env(&conf, v, &err);
        free_split(v, n);
        break;
    }
    }
    free(err);
    srv_config_dispose(&conf);
    return 0;
}
