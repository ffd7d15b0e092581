/* router.h - matches a request's method and path against a static route table, and reads
 * query-string parameters. Pure: no h2o types, so it is unit-tested and fuzzed on its own.
 *
 * A pattern is a '/'-separated path; a segment ":name" matches a positive decimal id (no sign, no
 * leading zero, fits int64) and is captured in order. One trailing '/' on the path is ignored. */
#ifndef SIOC_SRC_REST_ROUTER_H
#define SIOC_SRC_REST_ROUTER_H

#include <stddef.h>
#include <stdint.h>

#define SRV_ROUTE_MAX_PARAMS 3

typedef struct st_srv_route_t {
    const char *method;  /* "GET", "POST", "PUT", "DELETE" */
    const char *pattern; /* "/v1/api/chats/:id/messages" */
    int handler;         /* the caller's handler number, returned on a match */
} srv_route_t;

typedef struct st_srv_route_params_t {
    int64_t ids[SRV_ROUTE_MAX_PARAMS]; /* the ":name" segments, in order */
    size_t count;
} srv_route_params_t;

/** Not found (no pattern matches the path) and method not allowed (a pattern matches the path
 * but not with this method). */
#define SRV_ROUTE_NOT_FOUND          (-404)
#define SRV_ROUTE_METHOD_NOT_ALLOWED (-405)

/** Returns the index in `routes` of the first route matching, or SRV_ROUTE_NOT_FOUND, or
 * SRV_ROUTE_METHOD_NOT_ALLOWED. `path` is the decoded path without its query. */
int srv_route_match(const srv_route_t *routes, size_t n, const char *method, size_t method_len,
                    const char *path, size_t path_len, srv_route_params_t *params);

/** Finds parameter `name` in the query string `q` (without '?'), %-decodes it ('+' is a space)
 * into `out` (NUL-terminated). Returns the decoded length, -ENOENT if absent, -EMSGSIZE if it does
 * not fit in `out_size`, -EBADMSG if its %-encoding is bad or it decodes to a NUL byte. */
int srv_query_get(const char *q, size_t q_len, const char *name, char *out, size_t out_size);

/** Parses a whole decimal int64 in `s` (an optional leading '-', digits only, no overflow).
 * Returns 0 or -EINVAL. */
int srv_parse_int64(const char *s, size_t len, int64_t *out);

#endif
