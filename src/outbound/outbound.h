/* outbound.h - the face of src/outbound/: outbound HTTP(S) requests from the loop thread, on
 * libcurl's multi socket interface driven by the libuv loop (curl's multi-uv.c shape): a
 * uv_poll_t per socket curl asks to watch, one uv_timer_t for curl's timeouts, both calling
 * curl_multi_socket_action, then curl_multi_info_read for the finished transfers. Nothing blocks
 * the loop (name resolution runs on curl's resolver thread; tests and Meta's hosts alike).
 *
 * TLS is always verified (peer and host name, the system's CA store); only http and https are
 * spoken, redirects are followed only when a request asks for it (media downloads), and every
 * response is bounded (max_bytes). A request is answered exactly once: its callback runs from the
 * loop, later, never inside srv_outbound_request(); srv_outbound_free() answers those in flight
 * with status 0 and error "cancelled".
 *
 * Depends on base and libcurl only (tests/layering.sh: no other src/ folder). Loop thread only. */
#ifndef SIOC_SRC_OUTBOUND_OUTBOUND_H
#define SIOC_SRC_OUTBOUND_OUTBOUND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

typedef struct st_srv_outbound_t srv_outbound_t;

/** One part of a multipart/form-data body (srv_outbound_req_t.parts): a plain field when
 * `filename` is NULL, else a file part with that name and `type` (NULL: curl's default). */
typedef struct st_srv_outbound_part_t {
    const char *name;
    const char *data;
    size_t len;
    const char *filename;
    const char *type;
} srv_outbound_part_t;

/** One request. Everything is copied by srv_outbound_request(). */
typedef struct st_srv_outbound_req_t {
    const char *method;         /* "GET", "POST" */
    const char *url;            /* http:// or https:// */
    const char *const *headers; /* "Name: value" lines, NULL-terminated (may be NULL) */
    const char *body;           /* request body (may be NULL) */
    size_t body_len;
    unsigned timeout_ms; /* whole transfer; 0: 30 s */
    size_t max_bytes;    /* response body bound; 0: 1 MiB. Larger: status 0, "too large" */
    bool follow;         /* follow up to 3 redirects (http/https only) */
    /* a multipart/form-data POST body instead of `body` (curl_mime, data copied) */
    const srv_outbound_part_t *parts;
    size_t n_parts;
} srv_outbound_req_t;

/** What came back. `status` is the HTTP status, or 0 if no response arrived (then `error` says
 * why: curl's text, "too large", "cancelled"). Borrowed until the callback returns. */
typedef struct st_srv_outbound_res_t {
    int status;
    const char *error; /* "" when status > 0 */
    const char *body;  /* NUL-terminated (a binary body may hold NULs: use len) */
    size_t len;
    const char *content_type; /* "" if none */
    unsigned retry_after_s;   /* Retry-After in seconds, 0 if absent */
} srv_outbound_res_t;

typedef void (*srv_outbound_cb)(void *cbdata, const srv_outbound_res_t *res);

/** A client on `loop` (curl_global_init runs once, on the first call). NULL if curl fails. */
srv_outbound_t *srv_outbound_new(uv_loop_t *loop);
/** Starts a request. Returns 0 (cb runs exactly once, later) or -EINVAL / -ENOMEM (cb never
 * runs). */
int srv_outbound_request(srv_outbound_t *c, const srv_outbound_req_t *req, srv_outbound_cb cb,
                         void *cbdata);
/** Transfers in flight. */
size_t srv_outbound_pending(const srv_outbound_t *c);
/** Cancels what is in flight (each callback runs once with status 0, "cancelled"), closes the
 * handles and frees (the memory goes with the timer's close callback). NULL is a no-op. */
void srv_outbound_free(srv_outbound_t *c);

#endif
