/* mode_echo.c - `echo`: --clients sessions emit `echo` with an ack id and a timestamp,
 *   2<id>["echo",{"t":<us>,"p":"<filler>"}]   ->   3<id>[{"t":<us>,"p":"<filler>"}]
 * either in a closed loop (each client waits for its ack before the next emit) or at a fixed
 * --rate over all clients (a 1 ms timer sends what is due; the generator never waits for the
 * server then, so a stalled server shows up as latency, not as a lower rate). The server echoes
 * the timestamp back, so latency needs no per-ack state. Warmup, then a measured window (server
 * CPU, acks, latency histogram), then a drain; lost acks are emits never acknowledged. */
#include "tests/bench/loadgen/loadgen.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static lg_hist_t hist;
static bool measuring, sending;
static uint64_t sent, acked, bad_acks;
static uint64_t *next_id; /* per client */
static char *filler;
static uv_timer_t rate_timer;
static uint64_t rate_t0, rate_sent;
static unsigned rr; /* round robin over clients */
static bool drained;

static void emit(lg_sess_t *s, uint64_t t_us)
{
    char head[96];
    uint64_t id = next_id[s->index]++;
    int n = snprintf(head, sizeof(head), "2%llu[\"echo\",{\"t\":%llu,\"p\":\"",
                     (unsigned long long)id, (unsigned long long)t_us);
    static buf_t pkt;
    pkt.len = 0;
    buf_append(&pkt, head, (size_t)n);
    buf_append_str(&pkt, filler);
    buf_append_str(&pkt, "\"}]");
    if (lg_sess_send(s, pkt.base, pkt.len) == 0)
        sent++;
}

/* An ack must carry the emit's own arguments back: the timestamp, then "p" with the filler whole;
 * in the closed loop its id must be the one emit outstanding on that client. Anything else is
 * counted in bad_acks (and not as an ack). */
static void on_packet(lg_sess_t *s, char *pkt, size_t len)
{
    if (len < 2 || pkt[0] != '3')
        return;
    char *end = pkt + len;
    char *after_id;
    uint64_t id = strtoull(pkt + 1, &after_id, 10);
    char *t = memmem(pkt, len, "[{\"t\":", 6);
    char *p = t != NULL ? memmem(t, (size_t)(end - t), "\"p\":\"", 5) : NULL;
    size_t plen = lg.opts.payload;
    bool ok = after_id == t && p != NULL && (size_t)(end - (p + 5)) == plen + 3 &&
              memcmp(p + 5 + plen, "\"}]", 3) == 0 &&
              (lg.opts.rate > 0 || id + 1 == next_id[s->index]);
    for (size_t i = 0; ok && i < plen; i++)
        ok = p[5 + i] == 'x';
    if (!ok) {
        bad_acks++;
        return;
    }
    uint64_t ts = strtoull(t + 6, NULL, 10);
    uint64_t now = lg_now_us();
    acked++;
    if (measuring)
        hist_add(&hist, now > ts ? now - ts : 0);
    if (sending && lg.opts.rate <= 0)
        emit(s, now);
    if (!sending && acked >= sent)
        drained = true;
}

static void on_rate_tick(uv_timer_t *t)
{
    UNUSED(t);
    if (!sending)
        return;
    uint64_t now = lg_now_us();
    uint64_t due = (uint64_t)((double)(now - rate_t0) * lg.opts.rate / 1e6);
    unsigned n = lg_pool.n;
    while (rate_sent < due) {
        lg_sess_t *s = NULL;
        for (unsigned k = 0; k < n && s == NULL; k++) {
            lg_sess_t *c = lg_pool.sess[rr++ % n];
            if (c != NULL && c->state == SESS_CONNECTED)
                s = c;
        }
        if (s == NULL)
            return;
        emit(s, now);
        rate_sent++;
    }
}

int mode_echo_run(void)
{
    lg_opts_t *o = &lg.opts;
    next_id = xcalloc(o->clients, sizeof(*next_id));
    filler = xmalloc(o->payload + 1);
    memset(filler, 'x', o->payload);
    filler[o->payload] = '\0';
    unsigned ok = lg_pool_open(o->clients, on_packet);
    lg_note("echo: %u/%u connected", ok, o->clients);
    sending = true;
    if (o->rate > 0) {
        rate_t0 = lg_now_us();
        uv_timer_init(lg.loop, &rate_timer);
        uv_timer_start(&rate_timer, on_rate_tick, 1, 1);
    } else {
        for (unsigned i = 0; i < lg_pool.n; i++)
            if (lg_pool.sess[i] != NULL && lg_pool.sess[i]->state == SESS_CONNECTED)
                emit(lg_pool.sess[i], lg_now_us());
    }
    lg_run_for(o->warmup_s);
    lg_proc_sample_t a, b;
    uint64_t acked0 = acked, sent0 = sent;
    measuring = true;
    lg_proc_sample(&a);
    lg_run_for(o->duration_s);
    lg_proc_sample(&b);
    measuring = false;
    uint64_t acks = acked - acked0, sends = sent - sent0;
    sending = false;
    if (o->rate > 0)
        uv_timer_stop(&rate_timer);
    drained = acked >= sent;
    lg_run_until(&drained, o->drain_s);
    double wall = (double)(b.t_us - a.t_us) / 1e6;
    double cpu = b.server_cpu_s - a.server_cpu_s;
    buf_t *out = &lg.out;
    buf_printf(out,
               "\"connected\":%u,\"rate\":%.0f,\"payload\":%u,\"acks\":%llu,\"emits\":%llu,"
               "\"acks_per_s\":%.0f,\"cpu_per_ack_us\":%.3f,\"sent_total\":%llu,"
               "\"acked_total\":%llu,\"lost_acks\":%llu,\"bad_acks\":%llu,\"dropped\":%u,",
               ok, o->rate, o->payload, (unsigned long long)acks, (unsigned long long)sends,
               acks / wall, acks ? cpu * 1e6 / (double)acks : 0.0, (unsigned long long)sent,
               (unsigned long long)acked, (unsigned long long)(sent - acked),
               (unsigned long long)bad_acks, lg_pool.dropped);
    lg_proc_span_json(out, "window", &a, &b);
    buf_append_char(out, ',');
    hist_json(out, "latency_us", &hist);
    return 0;
}
