/* mode_fanout.c - `fanout`: --clients sessions, all in the room `bench` (the server joins them on
 * connection); client 0 emits `broadcast` with {"t":<send time us>,"s":<seq>} and the server emits
 * it to the room, the sender included, so every message is expected once at every client.
 *
 * --window broadcasts are kept in flight: when the last delivery of a message arrives (or it is
 * given up after 10 s), the next one is sent. A ring of slots indexed by seq counts the
 * deliveries of each message; the latency of a message is that of its last delivery. Deliveries
 * of messages sent before the window count toward the window only by arrival time, which is fine
 * in steady state. Lost deliveries = expected (connected clients at send time) - delivered. */
#include "tests/bench/loadgen/loadgen.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RING       4096
#define GIVE_UP_US 10000000u

typedef struct st_slot_t {
    uint64_t seq; /* seq + 1; 0: free */
    uint64_t t_send;
    unsigned expected;
    unsigned got;
    uint64_t last_us;
} slot_t;

static slot_t ring[RING];
static lg_hist_t hist;
static bool measuring, sending, drained;
static uint64_t next_seq, in_flight, expected_total, delivered, stale, completed, given_up;
static uv_timer_t check_timer;

static lg_sess_t *sender(void)
{
    lg_sess_t *s = lg_pool.sess[0];
    return s != NULL && s->state == SESS_CONNECTED ? s : NULL;
}

static void finish(slot_t *sl, bool complete)
{
    if (complete) {
        completed++;
        if (measuring)
            hist_add(&hist, sl->last_us - sl->t_send);
    } else {
        given_up++;
    }
    sl->seq = 0;
    in_flight--;
}

static void pump(void)
{
    lg_sess_t *s = sender();
    while (sending && s != NULL && in_flight < lg.opts.window) {
        slot_t *sl = &ring[next_seq % RING];
        if (sl->seq != 0)
            return; /* a message RING ago still in flight: wait */
        uint64_t now = lg_now_us();
        char pkt[128];
        int n = snprintf(pkt, sizeof(pkt), "2[\"broadcast\",{\"t\":%llu,\"s\":%llu}]",
                         (unsigned long long)now, (unsigned long long)next_seq);
        if (lg_sess_send(s, pkt, (size_t)n) != 0)
            return;
        *sl = (slot_t){.seq = next_seq + 1, .t_send = now, .expected = lg_pool.connected};
        expected_total += sl->expected;
        next_seq++;
        in_flight++;
    }
    if (!sending && in_flight == 0)
        drained = true;
}

static void on_packet(lg_sess_t *s, char *pkt, size_t len)
{
    UNUSED(s);
    if (len < 2 || pkt[0] != '2')
        return;
    char *p = memmem(pkt, len, "\"s\":", 4);
    if (p == NULL)
        return;
    uint64_t seq = strtoull(p + 4, NULL, 10);
    delivered++;
    slot_t *sl = &ring[seq % RING];
    if (sl->seq != seq + 1) {
        stale++; /* given up earlier, or a duplicate */
        return;
    }
    sl->got++;
    sl->last_us = lg_now_us();
    if (sl->got >= sl->expected) {
        finish(sl, true);
        pump();
    }
}

static void on_check(uv_timer_t *t)
{
    UNUSED(t);
    uint64_t now = lg_now_us();
    bool freed = false;
    for (size_t i = 0; i < RING; i++)
        if (ring[i].seq != 0 && now - ring[i].t_send > GIVE_UP_US) {
            finish(&ring[i], false);
            freed = true;
        }
    if (freed)
        pump();
}

int mode_fanout_run(void)
{
    lg_opts_t *o = &lg.opts;
    unsigned ok = lg_pool_open(o->clients, on_packet);
    lg_note("fanout: %u/%u connected", ok, o->clients);
    if (sender() == NULL) {
        buf_printf(&lg.out, "\"connected\":%u,\"error\":\"sender not connected\"", ok);
        return 1;
    }
    uv_timer_init(lg.loop, &check_timer);
    uv_timer_start(&check_timer, on_check, 500, 500);
    sending = true;
    pump();
    lg_run_for(o->warmup_s);
    lg_proc_sample_t a, b;
    uint64_t d0 = delivered, c0 = completed;
    measuring = true;
    lg_proc_sample(&a);
    lg_run_for(o->duration_s);
    lg_proc_sample(&b);
    measuring = false;
    uint64_t deliveries = delivered - d0, msgs = completed - c0;
    sending = false;
    drained = in_flight == 0;
    lg_run_until(&drained, o->drain_s);
    lg_run_for(0.2); /* late duplicates, if any */
    double wall = (double)(b.t_us - a.t_us) / 1e6;
    double cpu = b.server_cpu_s - a.server_cpu_s;
    buf_t *out = &lg.out;
    buf_printf(out,
               "\"connected\":%u,\"window\":%u,\"deliveries\":%llu,\"messages\":%llu,"
               "\"deliveries_per_s\":%.0f,\"messages_per_s\":%.1f,\"cpu_per_delivery_us\":%.3f,"
               "\"sent_total\":%llu,\"expected_total\":%llu,\"delivered_total\":%llu,"
               "\"lost_deliveries\":%lld,\"stale_deliveries\":%llu,\"given_up\":%llu,"
               "\"dropped\":%u,",
               ok, o->window, (unsigned long long)deliveries, (unsigned long long)msgs,
               deliveries / wall, msgs / wall, deliveries ? cpu * 1e6 / (double)deliveries : 0.0,
               (unsigned long long)next_seq, (unsigned long long)expected_total,
               (unsigned long long)delivered, (long long)expected_total - (long long)delivered,
               (unsigned long long)stale, (unsigned long long)given_up, lg_pool.dropped);
    lg_proc_span_json(out, "window", &a, &b);
    buf_append_char(out, ',');
    hist_json(out, "latency_us", &hist);
    return 0;
}
