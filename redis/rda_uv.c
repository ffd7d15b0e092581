/* rda_uv.c - hiredis's ev hooks on a uv_poll_t (see rda_uv.h). The poll handle lives in a heap
 * block that hiredis's cleanup hook closes; it is freed in the close callback, after the context
 * is gone, so a late poll event finds context NULL and does nothing. */
#include "redis/rda_uv.h"

#include <stdlib.h>

#include "base/base.h"

typedef struct st_rda_uv_t {
    redisAsyncContext *ac; /* NULL once hiredis cleaned up */
    uv_poll_t poll;
    int events;
} rda_uv_t;

static void on_poll(uv_poll_t *h, int status, int events)
{
    rda_uv_t *p = h->data;
    if (status < 0) {
        /* POLLERR/POLLHUP (libuv has stopped the handle): let hiredis read the socket error;
         * while connecting this reports it to the connect callback and frees the context */
        if (p->ac != NULL)
            redisAsyncHandleWrite(p->ac);
        return;
    }
    if (p->ac != NULL && (events & UV_READABLE))
        redisAsyncHandleRead(p->ac);
    if (p->ac != NULL && (events & UV_WRITABLE))
        redisAsyncHandleWrite(p->ac);
}

static void update(rda_uv_t *p, int events)
{
    p->events = events;
    if (events != 0)
        uv_poll_start(&p->poll, events, on_poll);
    else
        uv_poll_stop(&p->poll);
}

static void add_read(void *priv)
{
    rda_uv_t *p = priv;
    update(p, p->events | UV_READABLE);
}

static void del_read(void *priv)
{
    rda_uv_t *p = priv;
    update(p, p->events & ~UV_READABLE);
}

static void add_write(void *priv)
{
    rda_uv_t *p = priv;
    update(p, p->events | UV_WRITABLE);
}

static void del_write(void *priv)
{
    rda_uv_t *p = priv;
    update(p, p->events & ~UV_WRITABLE);
}

static void on_poll_closed(uv_handle_t *h)
{
    free(h->data);
}

static void cleanup(void *priv)
{
    rda_uv_t *p = priv;
    p->ac = NULL;
    uv_close((uv_handle_t *)&p->poll, on_poll_closed);
}

int rda_uv_attach(redisAsyncContext *ac, uv_loop_t *loop)
{
    rda_uv_t *p;
    if (ac->ev.data != NULL)
        return REDIS_ERR;
    p = xcalloc(1, sizeof(*p));
    if (uv_poll_init(loop, &p->poll, ac->c.fd) != 0) {
        free(p);
        return REDIS_ERR;
    }
    p->ac = ac;
    p->poll.data = p;
    ac->ev.data = p;
    ac->ev.addRead = add_read;
    ac->ev.delRead = del_read;
    ac->ev.addWrite = add_write;
    ac->ev.delWrite = del_write;
    ac->ev.cleanup = cleanup;
    return REDIS_OK;
}
