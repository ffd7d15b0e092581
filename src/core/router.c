/* router.c - route table matching and query-string reading (see router.h).
 *
 * Routes are few (~30), so a linear scan comparing segment by segment is simpler than a trie and
 * fast enough. Matching never allocates. */
#include "src/core/router.h"

#include "base/base.h"

#include <errno.h>
#include <string.h>

int srv_parse_int64(const char *s, size_t len, int64_t *out)
{
    size_t i = 0;
    int neg = 0;
    uint64_t v = 0, limit;

    if (len > 0 && s[0] == '-') {
        neg = 1;
        i = 1;
    }
    if (i == len)
        return -EINVAL;
    limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    for (; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -EINVAL;
        if (v > (limit - (uint64_t)(s[i] - '0')) / 10)
            return -EINVAL;
        v = v * 10 + (uint64_t)(s[i] - '0');
    }
    *out = neg ? (int64_t)(0 - v) : (int64_t)v;
    return 0;
}

/* A positive id: no sign, no leading zero. */
static int parse_id(const char *s, size_t len, int64_t *out)
{
    if (len == 0 || s[0] < '1' || s[0] > '9' || len > 19)
        return -EINVAL;
    return srv_parse_int64(s, len, out) == 0 && *out > 0 ? 0 : -EINVAL;
}

static int match_one(const char *pattern, const char *path, size_t path_len,
                     srv_route_params_t *params)
{
    const char *p = pattern, *s = path, *end = path + path_len;

    params->count = 0;
    while (*p != '\0') {
        const char *pseg, *sseg;
        size_t plen, slen;
        if (*p != '/' || s == end || *s != '/')
            return -1;
        pseg = ++p;
        while (*p != '\0' && *p != '/')
            p++;
        plen = (size_t)(p - pseg);
        sseg = ++s;
        while (s != end && *s != '/')
            s++;
        slen = (size_t)(s - sseg);
        if (plen > 0 && pseg[0] == ':') {
            int64_t id;
            if (params->count == SRV_ROUTE_MAX_PARAMS || parse_id(sseg, slen, &id) != 0)
                return -1;
            params->ids[params->count++] = id;
        } else if (plen != slen || memcmp(pseg, sseg, plen) != 0) {
            return -1;
        }
    }
    return s == end ? 0 : -1;
}

int srv_route_match(const srv_route_t *routes, size_t n, const char *method, size_t method_len,
                    const char *path, size_t path_len, srv_route_params_t *params)
{
    int rc = SRV_ROUTE_NOT_FOUND;
    srv_route_params_t tmp;

    if (path_len > 1 && path[path_len - 1] == '/')
        path_len--;
    for (size_t i = 0; i < n; i++) {
        if (match_one(routes[i].pattern, path, path_len, &tmp) != 0)
            continue;
        if (strlen(routes[i].method) == method_len &&
            memcmp(routes[i].method, method, method_len) == 0) {
            *params = tmp;
            return (int)i;
        }
        rc = SRV_ROUTE_METHOD_NOT_ALLOWED;
    }
    params->count = 0;
    return rc;
}

/* Decodes [s, s+len) into out with a NUL, strictly (a bad escape or %00 is -EBADMSG); returns the
 * length or a negative errno. */
static int decode(const char *s, size_t len, char *out, size_t out_size)
{
    size_t cap = out_size > 0 ? out_size - 1 : 0;
    size_t n = url_decode(out, cap, s, len, true);
    if (n == URL_DECODE_BAD)
        return -EBADMSG;
    if (n > cap || out_size == 0)
        return -EMSGSIZE;
    out[n] = '\0';
    return (int)n;
}

int srv_query_get(const char *q, size_t q_len, const char *name, char *out, size_t out_size)
{
    size_t name_len = strlen(name), i = 0;

    while (q != NULL && i < q_len) {
        size_t start = i, eq, stop;
        while (i < q_len && q[i] != '&')
            i++;
        stop = i++;
        for (eq = start; eq < stop && q[eq] != '='; eq++)
            ;
        if (eq - start == name_len && memcmp(q + start, name, name_len) == 0) {
            if (eq == stop)
                return decode("", 0, out, out_size);
            return decode(q + eq + 1, stop - eq - 1, out, out_size);
        }
    }
    return -ENOENT;
}
