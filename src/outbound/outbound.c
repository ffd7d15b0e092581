/* outbound.c - libcurl's multi socket interface on the libuv loop (see outbound.h).
 *
 * curl tells us which sockets to watch (on_socket: CURL_POLL_IN/OUT/INOUT/REMOVE) and when to
 * call it back (on_timer: a delay, or -1 to stop); both ends call curl_multi_socket_action, after
 * which check_done() reads the finished transfers with curl_multi_info_read and answers them.
 * A socket's uv_poll_t lives in a sock_t assigned to curl's socket (curl_multi_assign) and is
 * closed, then freed in its close callback, when curl says REMOVE: the fd may be closed by curl
 * right after, so the poll is stopped synchronously first (libuv forbids polling a closed fd).
 *
 * Callbacks never run inside srv_outbound_request (the first socket_action is deferred to the
 * timer, as curl asks for with a 0 ms timeout), so a caller may hold locks or iterate lists. */
#include "src/outbound/outbound.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <curl/curl.h>

#include "base/base.h"

#define LOG_MOD           "outbound"
#define DEFAULT_TIMEOUT   30000
#define DEFAULT_MAX_BYTES (1024 * 1024)

typedef struct st_xfer_t xfer_t;

struct st_srv_outbound_t {
    uv_loop_t *loop;
    CURLM *multi;
    uv_timer_t timer; /* curl's timeout; its close callback frees the client */
    xfer_t *xfers;    /* in flight (doubly linked) */
    size_t n_xfers;
    bool closing;
};

struct st_xfer_t {
    srv_outbound_t *c;
    xfer_t *prev, *next;
    CURL *easy;
    struct curl_slist *headers;
    curl_mime *mime; /* a multipart body (NULL if none) */
    char *body;      /* the request body (owned: curl does not copy POSTFIELDS) */
    buf_t res;       /* the response body */
    size_t max_bytes;
    bool too_large;
    char errbuf[CURL_ERROR_SIZE];
    srv_outbound_cb cb;
    void *cbdata;
};

typedef struct st_sock_t {
    uv_poll_t poll;
    srv_outbound_t *c;
    curl_socket_t fd;
} sock_t;

static void check_done(srv_outbound_t *c);

/* ---- answering ---- */

static void xfer_unlink(xfer_t *x)
{
    srv_outbound_t *c = x->c;
    if (x->prev != NULL)
        x->prev->next = x->next;
    else
        c->xfers = x->next;
    if (x->next != NULL)
        x->next->prev = x->prev;
    c->n_xfers--;
}

static void xfer_free(xfer_t *x)
{
    curl_easy_cleanup(x->easy);
    curl_slist_free_all(x->headers);
    curl_mime_free(x->mime);
    free(x->body);
    buf_dispose(&x->res);
    free(x);
}

/* Answers `x` (removed from the multi and the list first) and frees it. */
static void xfer_finish(xfer_t *x, CURLcode code)
{
    srv_outbound_res_t r = {.error = "", .body = "", .content_type = ""};
    long status = 0;
    char *ctype = NULL;
    curl_off_t retry = 0;
    curl_multi_remove_handle(x->c->multi, x->easy);
    xfer_unlink(x);
    if (x->too_large) {
        r.error = "too large";
    } else if (code != CURLE_OK) {
        r.error = x->errbuf[0] != '\0' ? x->errbuf : curl_easy_strerror(code);
    } else {
        curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &status);
        curl_easy_getinfo(x->easy, CURLINFO_CONTENT_TYPE, &ctype);
        curl_easy_getinfo(x->easy, CURLINFO_RETRY_AFTER, &retry);
        r.status = (int)status;
        r.body = x->res.base != NULL ? x->res.base : "";
        r.len = x->res.len;
        r.content_type = ctype != NULL ? ctype : "";
        r.retry_after_s = retry > 0 && retry < 86400 ? (unsigned)retry : 0;
    }
    x->cb(x->cbdata, &r);
    xfer_free(x);
}

static void check_done(srv_outbound_t *c)
{
    CURLMsg *m;
    int left;
    while ((m = curl_multi_info_read(c->multi, &left)) != NULL) {
        if (m->msg != CURLMSG_DONE)
            continue;
        xfer_t *x = NULL;
        curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&x);
        CURLcode code = m->data.result;
        xfer_finish(x, code); /* m is invalid from here on */
    }
}

/* ---- the loop side ---- */

static void on_poll(uv_poll_t *h, int status, int events)
{
    sock_t *s = h->data;
    int flags = 0;
    int running = 0;
    if (status < 0)
        flags = CURL_CSELECT_ERR; /* libuv stopped the handle: curl learns of the error */
    if (events & UV_READABLE)
        flags |= CURL_CSELECT_IN;
    if (events & UV_WRITABLE)
        flags |= CURL_CSELECT_OUT;
    srv_outbound_t *c = s->c;
    curl_multi_socket_action(c->multi, s->fd, flags, &running);
    check_done(c);
}

static void on_uv_timer(uv_timer_t *t)
{
    srv_outbound_t *c = t->data;
    int running = 0;
    curl_multi_socket_action(c->multi, CURL_SOCKET_TIMEOUT, 0, &running);
    check_done(c);
}

static int on_timer(CURLM *multi, long timeout_ms, void *userp)
{
    srv_outbound_t *c = userp;
    UNUSED(multi);
    if (timeout_ms < 0)
        uv_timer_stop(&c->timer);
    else if (!c->closing) /* 0: as soon as possible, from the loop (never re-entrantly) */
        uv_timer_start(&c->timer, on_uv_timer, (uint64_t)timeout_ms, 0);
    return 0;
}

static void on_sock_closed(uv_handle_t *h)
{
    free(h->data);
}

static int on_socket(CURL *easy, curl_socket_t fd, int what, void *userp, void *socketp)
{
    srv_outbound_t *c = userp;
    sock_t *s = socketp;
    UNUSED(easy);
    if (what == CURL_POLL_REMOVE) {
        if (s != NULL) {
            uv_poll_stop(&s->poll);
            uv_close((uv_handle_t *)&s->poll, on_sock_closed);
            curl_multi_assign(c->multi, fd, NULL);
        }
        return 0;
    }
    if (s == NULL) {
        s = xcalloc(1, sizeof(*s));
        s->c = c;
        s->fd = fd;
        if (uv_poll_init_socket(c->loop, &s->poll, fd) != 0) {
            free(s);
            return -1; /* curl fails the transfer */
        }
        s->poll.data = s;
        curl_multi_assign(c->multi, fd, s);
    }
    int events = 0;
    if (what == CURL_POLL_IN || what == CURL_POLL_INOUT)
        events |= UV_READABLE;
    if (what == CURL_POLL_OUT || what == CURL_POLL_INOUT)
        events |= UV_WRITABLE;
    uv_poll_start(&s->poll, events, on_poll);
    return 0;
}

/* ---- requests ---- */

static size_t on_write(char *data, size_t size, size_t n, void *userp)
{
    xfer_t *x = userp;
    size_t len = size * n;
    if (x->res.len + len > x->max_bytes) {
        x->too_large = true;
        return 0; /* CURLE_WRITE_ERROR: the transfer stops */
    }
    buf_append(&x->res, data, len);
    return len;
}

srv_outbound_t *srv_outbound_new(uv_loop_t *loop)
{
    static bool inited;
    if (!inited) {
        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
            return NULL;
        inited = true;
    }
    srv_outbound_t *c = xcalloc(1, sizeof(*c));
    c->loop = loop;
    c->multi = curl_multi_init();
    if (c->multi == NULL) {
        free(c);
        return NULL;
    }
    uv_timer_init(loop, &c->timer);
    c->timer.data = c;
    curl_multi_setopt(c->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
    curl_multi_setopt(c->multi, CURLMOPT_SOCKETDATA, c);
    curl_multi_setopt(c->multi, CURLMOPT_TIMERFUNCTION, on_timer);
    curl_multi_setopt(c->multi, CURLMOPT_TIMERDATA, c);
    curl_multi_setopt(c->multi, CURLMOPT_MAX_HOST_CONNECTIONS, 8L);
    return c;
}

int srv_outbound_request(srv_outbound_t *c, const srv_outbound_req_t *req, srv_outbound_cb cb,
                         void *cbdata)
{
    if (c == NULL || c->closing || req == NULL || req->url == NULL || req->method == NULL ||
        cb == NULL)
        return -EINVAL;
    if (strncmp(req->url, "https://", 8) != 0 && strncmp(req->url, "http://", 7) != 0)
        return -EINVAL;
    xfer_t *x = xcalloc(1, sizeof(*x));
    x->c = c;
    x->cb = cb;
    x->cbdata = cbdata;
    x->max_bytes = req->max_bytes > 0 ? req->max_bytes : DEFAULT_MAX_BYTES;
    x->easy = curl_easy_init();
    if (x->easy == NULL) {
        free(x);
        return -ENOMEM;
    }
    CURL *e = x->easy;
    curl_easy_setopt(e, CURLOPT_URL, req->url);
    curl_easy_setopt(e, CURLOPT_PRIVATE, x);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, x->errbuf);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_write);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, x);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS,
                     (long)(req->timeout_ms > 0 ? req->timeout_ms : DEFAULT_TIMEOUT));
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
    curl_easy_setopt(e, CURLOPT_USERAGENT, "sioc");
    curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, ""); /* whatever curl decodes */
    if (req->follow) {
        curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 1L);
        curl_easy_setopt(e, CURLOPT_MAXREDIRS, 3L);
        curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    }
    for (const char *const *h = req->headers; h != NULL && *h != NULL; h++)
        x->headers = curl_slist_append(x->headers, *h);
    if (req->n_parts > 0) { /* curl_mime_data copies, so the caller's bytes may go */
        x->mime = curl_mime_init(e);
        for (size_t i = 0; i < req->n_parts; i++) {
            const srv_outbound_part_t *p = &req->parts[i];
            curl_mimepart *mp = curl_mime_addpart(x->mime);
            curl_mime_name(mp, p->name);
            curl_mime_data(mp, p->data, p->len);
            if (p->filename != NULL)
                curl_mime_filename(mp, p->filename);
            if (p->type != NULL)
                curl_mime_type(mp, p->type);
        }
        curl_easy_setopt(e, CURLOPT_MIMEPOST, x->mime);
        x->headers = curl_slist_append(x->headers, "Expect:");
    } else if (strcmp(req->method, "GET") != 0) {
        x->body = xmalloc(req->body_len + 1);
        if (req->body_len > 0)
            memcpy(x->body, req->body, req->body_len);
        x->body[req->body_len] = '\0';
        curl_easy_setopt(e, CURLOPT_POSTFIELDS, x->body);
        curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
        if (strcmp(req->method, "POST") != 0)
            curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, req->method);
        x->headers = curl_slist_append(x->headers, "Expect:"); /* no 100-continue round trip */
    }
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, x->headers);
    x->next = c->xfers;
    if (c->xfers != NULL)
        c->xfers->prev = x;
    c->xfers = x;
    c->n_xfers++;
    if (curl_multi_add_handle(c->multi, e) != CURLM_OK) {
        xfer_unlink(x);
        xfer_free(x);
        return -ENOMEM;
    }
    return 0;
}

size_t srv_outbound_pending(const srv_outbound_t *c)
{
    return c != NULL ? c->n_xfers : 0;
}

static void on_timer_closed(uv_handle_t *h)
{
    free(h->data);
}

void srv_outbound_free(srv_outbound_t *c)
{
    if (c == NULL)
        return;
    c->closing = true;
    while (c->xfers != NULL) {
        xfer_t *x = c->xfers;
        snprintf(x->errbuf, sizeof(x->errbuf), "cancelled");
        xfer_finish(x, CURLE_ABORTED_BY_CALLBACK);
    }
    curl_multi_cleanup(c->multi); /* REMOVEs the sockets left (closed above or here) */
    uv_timer_stop(&c->timer);
    uv_close((uv_handle_t *)&c->timer, on_timer_closed);
}
