/* rda_client.c - see rda_client.h.
 *
 * Each connection (conn_t) is either up (ac connected), connecting (ac set, not connected) or
 * waiting on its backoff timer (ac NULL). hiredis frees a context itself after a failed connect
 * or a disconnect; both callbacks clear conn->ac and arm the timer, unless the client is being
 * freed. Subscriptions live in the client's list and are replayed on each subscriber connect;
 * every subscribe command shares one callback whose privdata is the client, which dispatches by
 * channel or pattern, so nothing hiredis keeps points at a subscription that may be gone.
 * NUMSUB jobs are heap blocks handed to hiredis (or, when there is no publisher, to a 0 ms
 * timer): each is freed exactly once, by the reply callback (which hiredis also runs with a NULL
 * reply when the context is freed) or by the timer flush. */
#include "redis/rda_client.h"

#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <hiredis/async.h>

#include "redis/rda_uv.h"
#include "base/base.h"

#define MOD            "redis"
#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 5000

typedef struct st_conn_t {
    rda_client_t *c;
    const char *name; /* "pub" or "sub", for the logs */
    redisAsyncContext *ac;
    bool connected;
    bool ever_connected;
    uv_timer_t *timer;
    unsigned backoff_ms;
} conn_t;

struct st_rda_sub_t {
    rda_sub_t *next;
    bool pattern;
    rda_message_cb cb;
    void *data;
    char channel[];
};

struct st_rda_job_t {
    rda_job_t *next;   /* in c->failed only */
    rda_numsub_cb cb;  /* NUMSUB jobs */
    rda_int_cb int_cb; /* rda_client_command jobs (may be NULL: no answer wanted) */
    void *cbdata;
    bool is_command;
    bool cancelled;
};

typedef struct st_queued_t {
    struct st_queued_t *next;
    size_t chlen, len;
    char bytes[]; /* channel then payload */
} queued_t;

struct st_rda_client_t {
    uv_loop_t *loop;
    char host[64];
    int port;
    bool freeing;
    conn_t pub, sub;
    rda_sub_t *subs;
    queued_t *qhead, *qtail;
    size_t qlen, qbytes; /* publishes waiting, their channel + payload bytes */
    size_t max_queue, max_queue_bytes;
    uint64_t qdropped; /* publishes dropped by the bounds */
    rda_job_t *failed; /* NUMSUB jobs without a publisher, answered by flush_timer */
    uv_timer_t *flush_timer;
    char key[65]; /* the adapters' channel prefix */
};

static void conn_start(conn_t *k);

/* --- URL --- */

int rda_url_parse(const char *url, char *host, size_t hostlen, int *port)
{
    const char *p, *colon;
    size_t n;
    char *end;
    long v = 6379;
    struct in_addr a4;
    if (url == NULL || strncmp(url, "redis://", 8) != 0)
        return -EINVAL;
    p = url + 8;
    if (strchr(p, '@') != NULL || strchr(p, '/') != NULL) /* no auth, no database index */
        return -EINVAL;
    colon = strrchr(p, ':');
    n = colon != NULL ? (size_t)(colon - p) : strlen(p);
    if (n == 0 || n >= hostlen)
        return -EINVAL;
    memcpy(host, p, n);
    host[n] = '\0';
    if (inet_pton(AF_INET, host, &a4) != 1) /* hiredis would resolve names with blocking calls */
        return -EINVAL;
    if (colon != NULL) {
        errno = 0;
        v = strtol(colon + 1, &end, 10);
        if (errno != 0 || end == colon + 1 || *end != '\0' || v <= 0 || v > 65535)
            return -EINVAL;
    }
    *port = (int)v;
    return 0;
}

/* --- subscriptions --- */

static void on_sub_reply(redisAsyncContext *ac, void *r, void *priv)
{
    rda_client_t *c = priv;
    redisReply *reply = r;
    const redisReply *kind, *name, *chan, *payload;
    UNUSED(ac);
    if (reply == NULL || reply->type != REDIS_REPLY_ARRAY || reply->elements < 3)
        return;
    kind = reply->element[0];
    if (kind->type != REDIS_REPLY_STRING)
        return;
    if (strcmp(kind->str, "message") == 0) {
        name = chan = reply->element[1];
        payload = reply->element[2];
    } else if (strcmp(kind->str, "pmessage") == 0 && reply->elements >= 4) {
        name = reply->element[1];
        chan = reply->element[2];
        payload = reply->element[3];
    } else {
        return; /* subscribe / unsubscribe confirmations */
    }
    if (name->type != REDIS_REPLY_STRING || chan->type != REDIS_REPLY_STRING ||
        payload->type != REDIS_REPLY_STRING)
        return;
    for (rda_sub_t *s = c->subs; s != NULL; s = s->next) {
        if (s->pattern == (name != chan) && strlen(s->channel) == name->len &&
            memcmp(s->channel, name->str, name->len) == 0) {
            s->cb(chan->str, chan->len, payload->str, payload->len, s->data);
            return;
        }
    }
}

static void send_subscribe(rda_client_t *c, const rda_sub_t *s, bool on)
{
    const char *cmd = s->pattern ? (on ? "PSUBSCRIBE %s" : "PUNSUBSCRIBE %s")
                                 : (on ? "SUBSCRIBE %s" : "UNSUBSCRIBE %s");
    if (c->sub.connected)
        redisAsyncCommand(c->sub.ac, on_sub_reply, c, cmd, s->channel);
}

rda_sub_t *rda_client_subscribe(rda_client_t *c, const char *channel, bool pattern,
                                rda_message_cb cb, void *data)
{
    size_t n = strlen(channel) + 1;
    rda_sub_t *s = xmalloc(sizeof(*s) + n);
    memcpy(s->channel, channel, n);
    s->pattern = pattern;
    s->cb = cb;
    s->data = data;
    s->next = c->subs;
    c->subs = s;
    send_subscribe(c, s, true);
    return s;
}

void rda_client_unsubscribe(rda_client_t *c, rda_sub_t *sub)
{
    for (rda_sub_t **pp = &c->subs; *pp != NULL; pp = &(*pp)->next) {
        if (*pp == sub) {
            *pp = sub->next;
            send_subscribe(c, sub, false);
            free(sub);
            return;
        }
    }
}

/* --- publishing --- */

static void queue_flush(rda_client_t *c)
{
    queued_t *q;
    while (c->pub.connected && (q = c->qhead) != NULL) {
        c->qhead = q->next;
        c->qlen--;
        c->qbytes -= q->chlen + q->len;
        redisAsyncCommand(c->pub.ac, NULL, NULL, "PUBLISH %b %b", q->bytes, q->chlen,
                          q->bytes + q->chlen, q->len);
        free(q);
    }
    if (c->qhead == NULL)
        c->qtail = NULL;
}

void rda_client_publish(rda_client_t *c, const char *channel, const void *payload, size_t len)
{
    size_t chlen = strlen(channel);
    queued_t *q;
    if (c->pub.connected) {
        redisAsyncCommand(c->pub.ac, NULL, NULL, "PUBLISH %b %b", channel, chlen, payload, len);
        return;
    }
    /* drop the oldest beyond either bound (a message alone always waits) */
    while (c->qhead != NULL &&
           (c->qlen >= c->max_queue ||
            (c->max_queue_bytes != 0 && c->qbytes + chlen + len > c->max_queue_bytes))) {
        q = c->qhead;
        c->qhead = q->next;
        c->qlen--;
        c->qbytes -= q->chlen + q->len;
        free(q);
        if (c->qhead == NULL)
            c->qtail = NULL;
        if (c->qdropped++ % 1000 == 0)
            log_warn(MOD,
                     "publisher down: queue full (%zu publishes, %zu bytes), oldest dropped "
                     "(%" PRIu64 " so far)",
                     c->qlen, c->qbytes, c->qdropped);
    }
    q = xmalloc(sizeof(*q) + chlen + len);
    q->next = NULL;
    q->chlen = chlen;
    q->len = len;
    memcpy(q->bytes, channel, chlen);
    if (len > 0)
        memcpy(q->bytes + chlen, payload, len);
    if (c->qtail != NULL)
        c->qtail->next = q;
    else
        c->qhead = q;
    c->qtail = q;
    c->qlen++;
    c->qbytes += chlen + len;
}

void rda_client_set_queue_limits(rda_client_t *c, size_t max_publishes, size_t max_bytes)
{
    c->max_queue = max_publishes != 0 ? max_publishes : RDA_QUEUE_MAX;
    c->max_queue_bytes = max_bytes;
}

void rda_client_stats(const rda_client_t *c, rda_client_stats_t *st)
{
    st->connected = rda_client_connected(c);
    st->queued = c->qlen;
    st->queued_bytes = c->qbytes;
    st->dropped = c->qdropped;
}

/* --- NUMSUB --- */

static void on_numsub_reply(redisAsyncContext *ac, void *r, void *priv)
{
    rda_job_t *job = priv;
    redisReply *reply = r;
    long long n = -1;
    UNUSED(ac);
    if (reply != NULL && reply->type == REDIS_REPLY_ARRAY && reply->elements == 2 &&
        reply->element[1]->type == REDIS_REPLY_INTEGER)
        n = reply->element[1]->integer;
    if (!job->cancelled)
        job->cb(n, job->cbdata);
    free(job);
}

static void on_flush_timer(uv_timer_t *t)
{
    rda_client_t *c = t->data;
    rda_job_t *job;
    while ((job = c->failed) != NULL) {
        c->failed = job->next;
        if (job->cancelled || (job->is_command && job->int_cb == NULL))
            ;
        else if (job->is_command)
            job->int_cb(-ENOTCONN, 0, job->cbdata);
        else
            job->cb(-1, job->cbdata);
        free(job);
    }
}

/* Answers `job` from the flush timer (no publisher, or the command could not be sent). */
static void job_fail_later(rda_client_t *c, rda_job_t *job)
{
    job->next = c->failed;
    c->failed = job;
    uv_timer_start(c->flush_timer, on_flush_timer, 0, 0);
}

rda_job_t *rda_client_numsub(rda_client_t *c, const char *channel, rda_numsub_cb cb, void *cbdata)
{
    rda_job_t *job = xcalloc(1, sizeof(*job));
    job->cb = cb;
    job->cbdata = cbdata;
    if (c->pub.connected &&
        redisAsyncCommand(c->pub.ac, on_numsub_reply, job, "PUBSUB NUMSUB %s", channel) == REDIS_OK)
        return job;
    job_fail_later(c, job);
    return job;
}

static void on_int_reply(redisAsyncContext *ac, void *r, void *priv)
{
    rda_job_t *job = priv;
    redisReply *reply = r;
    UNUSED(ac);
    if (!job->cancelled && job->int_cb != NULL) {
        if (reply == NULL)
            job->int_cb(-ENOTCONN, 0, job->cbdata);
        else if (reply->type == REDIS_REPLY_ERROR)
            job->int_cb(-EIO, 0, job->cbdata);
        else
            job->int_cb(0, reply->type == REDIS_REPLY_INTEGER ? reply->integer : 0, job->cbdata);
    }
    free(job);
}

void rda_client_command(rda_client_t *c, int argc, const char **argv, rda_int_cb cb, void *cbdata)
{
    rda_job_t *job = xcalloc(1, sizeof(*job));
    size_t lens[8];
    job->int_cb = cb;
    job->cbdata = cbdata;
    job->is_command = true;
    assert(argc > 0 && argc <= (int)ARRAY_SIZE(lens));
    for (int i = 0; i < argc; i++)
        lens[i] = strlen(argv[i]);
    if (c->pub.connected &&
        redisAsyncCommandArgv(c->pub.ac, on_int_reply, job, argc, argv, lens) == REDIS_OK)
        return;
    job_fail_later(c, job);
}

void rda_client_cancel(rda_client_t *c, rda_job_t *job)
{
    UNUSED(c);
    if (job != NULL)
        job->cancelled = true;
}

/* --- connections --- */

static void on_retry(uv_timer_t *t)
{
    conn_start(t->data);
}

static void conn_retry(conn_t *k)
{
    k->ac = NULL;
    k->connected = false;
    if (k->c->freeing)
        return;
    log_info(MOD, "%s: reconnecting to %s:%d in %u ms", k->name, k->c->host, k->c->port,
             k->backoff_ms);
    uv_timer_start(k->timer, on_retry, k->backoff_ms, 0);
    k->backoff_ms = k->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : k->backoff_ms * 2;
}

static void on_connect(const redisAsyncContext *ac, int status)
{
    conn_t *k = ac->data;
    rda_client_t *c = k->c;
    if (status != REDIS_OK) {
        log_warn(MOD, "%s: cannot connect to %s:%d: %s", k->name, c->host, c->port, ac->errstr);
        conn_retry(k); /* hiredis frees the context after this callback */
        return;
    }
    k->connected = true;
    k->backoff_ms = BACKOFF_MIN_MS;
    log_info(MOD, "%s: %s %s:%d", k->name, k->ever_connected ? "reconnected to" : "connected to",
             c->host, c->port);
    k->ever_connected = true;
    if (k == &c->sub) {
        for (rda_sub_t *s = c->subs; s != NULL; s = s->next)
            send_subscribe(c, s, true);
    } else {
        queue_flush(c);
    }
}

static void on_disconnect(const redisAsyncContext *ac, int status)
{
    conn_t *k = ac->data;
    if (k->c->freeing)
        return;
    log_warn(MOD, "%s: disconnected from %s:%d%s%s", k->name, k->c->host, k->c->port,
             status != REDIS_OK ? ": " : "", status != REDIS_OK ? ac->errstr : "");
    conn_retry(k);
}

static void conn_start(conn_t *k)
{
    rda_client_t *c = k->c;
    redisAsyncContext *ac = redisAsyncConnect(c->host, c->port);
    if (ac == NULL || ac->err != 0) {
        log_warn(MOD, "%s: cannot connect to %s:%d: %s", k->name, c->host, c->port,
                 ac != NULL ? ac->errstr : "out of memory");
        if (ac != NULL)
            redisAsyncFree(ac);
        conn_retry(k);
        return;
    }
    ac->data = k;
    if (rda_uv_attach(ac, c->loop) != REDIS_OK) {
        log_warn(MOD, "%s: cannot watch the socket", k->name);
        redisAsyncFree(ac);
        conn_retry(k);
        return;
    }
    redisAsyncSetConnectCallback(ac, on_connect);
    redisAsyncSetDisconnectCallback(ac, on_disconnect);
    k->ac = ac;
}

static void conn_init(rda_client_t *c, conn_t *k, const char *name)
{
    k->c = c;
    k->name = name;
    k->backoff_ms = BACKOFF_MIN_MS;
    k->timer = xmalloc(sizeof(*k->timer));
    uv_timer_init(c->loop, k->timer);
    k->timer->data = k;
    conn_start(k);
}

static void on_timer_closed(uv_handle_t *h)
{
    free(h);
}

static void conn_dispose(conn_t *k)
{
    uv_timer_stop(k->timer);
    uv_close((uv_handle_t *)k->timer, on_timer_closed);
    if (k->ac != NULL)
        redisAsyncFree(k->ac); /* runs pending callbacks with NULL replies */
    k->ac = NULL;
    k->connected = false;
}

rda_client_t *rda_client_new(uv_loop_t *loop, const char *url)
{
    rda_client_t *c;
    char host[64];
    int port;
    if (rda_url_parse(url, host, sizeof(host), &port) != 0) {
        log_error(MOD, "invalid Redis URL %s (expected redis://IPV4:PORT)", url ? url : "(null)");
        return NULL;
    }
    c = xcalloc(1, sizeof(*c));
    memcpy(c->key, RDA_DEFAULT_KEY, sizeof(RDA_DEFAULT_KEY));
    c->loop = loop;
    c->max_queue = RDA_QUEUE_MAX;
    c->max_queue_bytes = RDA_QUEUE_MAX_BYTES;
    memcpy(c->host, host, sizeof(host));
    c->port = port;
    c->flush_timer = xmalloc(sizeof(*c->flush_timer));
    uv_timer_init(loop, c->flush_timer);
    c->flush_timer->data = c;
    conn_init(c, &c->pub, "pub");
    conn_init(c, &c->sub, "sub");
    return c;
}

bool rda_client_connected(const rda_client_t *c)
{
    return c->pub.connected && c->sub.connected;
}

int rda_client_set_key(rda_client_t *c, const char *key)
{
    size_t n = key != NULL ? strlen(key) : 0;
    if (n == 0 || n >= sizeof(c->key))
        return -EINVAL;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)key[i];
        if (ch <= ' ' || ch == 0x7f || strchr("#*?[", ch) != NULL)
            return -EINVAL;
    }
    memcpy(c->key, key, n + 1);
    return 0;
}

const char *rda_client_key(const rda_client_t *c)
{
    return c->key;
}

void rda_client_free(rda_client_t *c)
{
    queued_t *q;
    if (c == NULL)
        return;
    c->freeing = true;
    conn_dispose(&c->pub);
    conn_dispose(&c->sub);
    on_flush_timer(c->flush_timer); /* the jobs still waiting fail now */
    uv_timer_stop(c->flush_timer);
    uv_close((uv_handle_t *)c->flush_timer, on_timer_closed);
    while (c->subs != NULL) {
        rda_sub_t *s = c->subs;
        c->subs = s->next;
        free(s);
    }
    while ((q = c->qhead) != NULL) {
        c->qhead = q->next;
        free(q);
    }
    free(c);
}
