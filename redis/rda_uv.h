/* rda_uv.h - attaches a hiredis 0.14 async context to a libuv loop. Replaces
 * <hiredis/adapters/libuv.h>, whose poll callback ignores status < 0 so that a refused
 * connection is never reported (STACK.md section 4): here an error status lets hiredis look at
 * the socket (redisAsyncHandleWrite), which reports the failure to the connect callback. */
#ifndef SIOC_RDA_UV_H
#define SIOC_RDA_UV_H

#include <hiredis/async.h>
#include <uv.h>

/** Returns REDIS_OK, or REDIS_ERR if `ac` is already attached or libuv refused its socket. */
int rda_uv_attach(redisAsyncContext *ac, uv_loop_t *loop);

#endif
