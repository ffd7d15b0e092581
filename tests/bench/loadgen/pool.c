/* pool.c - the set of sessions that the idle, echo, fanout and chat modes hold open. Connections
 * ramp up with at most --concurrency handshakes in progress (a burst of tens of thousands of SYNs
 * would overflow the server's accept backlog and measure the kernel, not the server). A session
 * that fails is counted by reason and not retried: a benchmark reports failures, it does not hide
 * them. */
#include "tests/bench/loadgen/loadgen.h"

#include <stdlib.h>

lg_pool_t lg_pool;

static void ramp(void);

static void on_connected(lg_sess_t *s)
{
    s->data = s; /* non-NULL: this session was connected (on_end counts it as dropped) */
    lg_pool.connected++;
    ramp();
}

static void on_packet(lg_sess_t *s, char *pkt, size_t len)
{
    if (lg_pool.on_packet != NULL)
        lg_pool.on_packet(s, pkt, len);
}

static void on_end(lg_sess_t *s, const char *err)
{
    lg_fail_count(err != NULL ? err : "closed");
    lg_pool.failed++;
    lg_pool.sess[s->index] = NULL;
    if (s->data != NULL) { /* marked connected */
        lg_pool.connected--;
        lg_pool.dropped++;
    }
    lg_sess_free(s);
    ramp();
}

static const lg_sess_cbs_t pool_cbs = {
    .on_connected = on_connected,
    .on_packet = on_packet,
    .on_end = on_end,
};

static void ramp(void)
{
    /* every started session is connecting, connected, or failed */
    while (lg_pool.started < lg_pool.n &&
           lg_pool.started - lg_pool.connected - lg_pool.failed < lg.opts.concurrency) {
        unsigned i = lg_pool.started++;
        lg_pool.sess[i] = lg_sess_start(&pool_cbs, NULL, i, false);
        if (lg_pool.on_start != NULL)
            lg_pool.on_start(lg_pool.sess[i]);
    }
    if (lg_pool.started == lg_pool.n && lg_pool.connected + lg_pool.failed >= lg_pool.n)
        lg_pool.settled = true;
}

unsigned lg_pool_open(unsigned n, void (*on_packet_cb)(lg_sess_t *s, char *pkt, size_t len))
{
    lg_pool.sess = xcalloc(n, sizeof(*lg_pool.sess));
    lg_pool.n = n;
    lg_pool.on_packet = on_packet_cb;
    ramp();
    double limit = lg.opts.timeout_s + (double)n / 200.0 + 10; /* generous: ~200 connects/s */
    lg_run_until(&lg_pool.settled, limit);
    return lg_pool.connected;
}
