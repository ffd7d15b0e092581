/* mode_handshake.c - `handshake`: --clients sessions in flight at all times, each one opening a
 * session (WebSocket only, or polling then upgrade with --polling), connecting the namespace "/",
 * then closing ("41" + close frame, waiting for the server to close), and being replaced by a new
 * one. A handshake counts once its session closed cleanly; the histogram holds the time from the
 * first SYN to "connected". Warmup, measured window (server CPU per handshake), then the
 * sessions in flight are let finish. */
#include "tests/bench/loadgen/loadgen.h"

static lg_hist_t hist, close_hist;
static bool measuring, running, drained;
static uint64_t done_total, in_flight;
static void start_one(void);

static void on_connected(lg_sess_t *s)
{
    if (measuring)
        hist_add(&hist, lg_now_us() - s->started_us);
    lg_sess_close(s);
}

static void on_end(lg_sess_t *s, const char *err)
{
    if (err != NULL) {
        lg_fail_count(err);
    } else {
        done_total++;
        if (measuring)
            hist_add(&close_hist, lg_now_us() - s->closing_us);
    }
    in_flight--;
    lg_sess_free(s);
    if (running)
        start_one();
    else if (in_flight == 0)
        drained = true;
}

static const lg_sess_cbs_t cbs = {
    .on_connected = on_connected,
    .on_packet = NULL,
    .on_end = on_end,
};

static void start_one(void)
{
    in_flight++;
    lg_sess_start(&cbs, NULL, 0, lg.opts.polling);
}

int mode_handshake_run(void)
{
    lg_opts_t *o = &lg.opts;
    running = true;
    for (unsigned i = 0; i < o->clients; i++)
        start_one();
    lg_run_for(o->warmup_s);
    lg_proc_sample_t a, b;
    uint64_t d0 = done_total;
    unsigned long f0 = lg_fail_total();
    measuring = true;
    lg_proc_sample(&a);
    lg_run_for(o->duration_s);
    lg_proc_sample(&b);
    measuring = false;
    uint64_t n = done_total - d0;
    unsigned long fails = lg_fail_total() - f0;
    running = false;
    drained = in_flight == 0;
    lg_run_until(&drained, o->drain_s + 3);
    double wall = (double)(b.t_us - a.t_us) / 1e6;
    double cpu = b.server_cpu_s - a.server_cpu_s;
    buf_t *out = &lg.out;
    buf_printf(out,
               "\"transport\":\"%s\",\"handshakes\":%llu,\"handshakes_per_s\":%.0f,"
               "\"cpu_per_handshake_us\":%.2f,\"window_failures\":%lu,\"completed_total\":%llu,"
               "\"unfinished\":%llu,",
               o->polling ? "polling-upgrade" : "websocket", (unsigned long long)n, n / wall,
               n ? cpu * 1e6 / (double)n : 0.0, fails, (unsigned long long)done_total,
               (unsigned long long)in_flight);
    lg_proc_span_json(out, "window", &a, &b);
    buf_append_char(out, ',');
    hist_json(out, "connect_latency_us", &hist);
    buf_append_char(out, ',');
    hist_json(out, "close_latency_us", &close_hist);
    return 0;
}
