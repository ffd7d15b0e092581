/* mode_idle.c - `idle`: open --clients WebSocket sessions (namespace "/" connected), hold them for
 * --hold seconds answering the server's pings, and report what that cost the server: CPU to set
 * them up, resident memory over its idle baseline (sampled at the end of the hold, after the
 * server had time to settle), and every failure. */
#include "tests/bench/loadgen/loadgen.h"

int mode_idle_run(void)
{
    lg_opts_t *o = &lg.opts;
    lg_proc_sample_t base, setup, hold;
    lg_proc_sample(&base);
    unsigned ok = lg_pool_open(o->clients, NULL);
    lg_proc_sample(&setup);
    lg_note("idle: %u/%u connected in %.2f s", ok, o->clients,
            (double)(setup.t_us - base.t_us) / 1e6);
    lg_run_for(o->hold_s);
    lg_proc_sample(&hold);
    buf_t *out = &lg.out;
    unsigned held = lg_pool.connected;
    buf_printf(out, "\"connected\":%u,\"held\":%u,\"dropped\":%u,", ok, held, lg_pool.dropped);
    lg_proc_span_json(out, "setup", &base, &setup);
    buf_append_char(out, ',');
    lg_proc_span_json(out, "hold", &setup, &hold);
    double cpu = setup.server_cpu_s - base.server_cpu_s;
    long drss = hold.server_rss_kb - base.server_rss_kb;
    buf_printf(out,
               ",\"rss_base_kb\":%ld,\"rss_setup_kb\":%ld,\"rss_hold_kb\":%ld,"
               "\"rss_per_conn_bytes\":%.0f,\"cpu_per_conn_us\":%.2f,\"connects_per_s\":%.0f",
               base.server_rss_kb, setup.server_rss_kb, hold.server_rss_kb,
               held ? (double)drss * 1024.0 / held : 0.0, ok ? cpu * 1e6 / ok : 0.0,
               ok ? ok / ((double)(setup.t_us - base.t_us) / 1e6) : 0.0);
    return 0;
}
