/* strlist.c - membership in a comma-separated list of names (see base.h), such as the origins of
 * --cors-origin that both the engine and the REST API match a request's Origin against. Items are
 * compared byte for byte after trimming the spaces around them; nothing is allocated. */
#include "base/base.h"

#include <string.h>

bool str_list_has(const char *list, const char *s, size_t len)
{
    const char *p = list;
    while (*p != '\0') {
        const char *comma = strchr(p, ',');
        const char *item = p;
        size_t n = comma != NULL ? (size_t)(comma - p) : strlen(p);
        while (n > 0 && *item == ' ') {
            item++;
            n--;
        }
        while (n > 0 && item[n - 1] == ' ')
            n--;
        if (n == len && memcmp(item, s, len) == 0)
            return true;
        if (comma == NULL)
            break;
        p = comma + 1;
    }
    return false;
}
