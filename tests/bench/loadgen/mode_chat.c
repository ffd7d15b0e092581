/* mode_chat.c - `chat`: the chat service's message path, end to end. Each client connects to the
 * namespace /chat with the access token of its line in --tokens ("<chatId> <token>"), waits for
 * the server's `ready` (its rooms are joined), then sends in a closed loop:
 *   42/chat,<id>["message:send",{"chatId":C,"body":"t<us> ...","clientMsgId":"c<i>-<n>"}]
 * and waits for the ack (sent after the commit) before its next message:
 *   43/chat,<id>[{"ok":true,"message":{..,"seq":N,..},"duplicate":false}]
 * Every member's socket of the chat gets `message:new` (the sender's included).
 *
 * Figures: server CPU per message (persisted, acknowledged and delivered) and per delivery,
 * messages/s and deliveries/s, send->ack latency and send->delivery latency (the send time rides
 * in the body, so a delivery needs no lookup). Correctness: lost acks, refused sends (an ack with
 * ok:false, by error code), lost deliveries (expected = ready members of the chat when the ack
 * arrived), deliveries out of seq order or for another chat, and the acks per chat, which the
 * runner compares with what the server stored (the chat's lastSeq over REST). */
#include "tests/bench/loadgen/loadgen.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NSP     "/chat"
#define NSP_PFX "/chat,"

typedef struct st_client_t {
    unsigned chat; /* index in chats[] */
    char *auth;    /* {"token":".."} */
    bool ready;
    uint64_t out_id; /* the ack id outstanding (closed loop: one at a time) */
    uint64_t t_send; /* its send time */
    bool waiting;
    uint64_t n_sent;
    int64_t last_seq; /* the last message:new seq received */
} client_t;

typedef struct st_chat_t {
    int64_t id;
    unsigned members; /* clients in it */
    unsigned ready;   /* of which ready */
    uint64_t acked;
} chat_t;

static client_t *clients;
static chat_t *chats;
static unsigned n_clients, n_chats, n_ready;
static lg_hist_t ack_hist, deliv_hist;
static bool measuring, sending, stopped, drained, all_ready;
static uint64_t sent, acked, nacked, bad_acks, expected, delivered, out_of_order, bad_deliveries;
static char first_error[64];

static int load_tokens(const char *path, unsigned want)
{
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        lg_note("chat: cannot open --tokens %s", path);
        return -1;
    }
    clients = xcalloc(want, sizeof(*clients));
    chats = xcalloc(want, sizeof(*chats));
    char line[4096];
    while (n_clients < want && fgets(line, sizeof(line), f) != NULL) {
        char *end;
        long long chat_id = strtoll(line, &end, 10);
        char *tok = end + strspn(end, " \t");
        tok[strcspn(tok, " \t\r\n")] = '\0';
        if (chat_id <= 0 || end == line || *tok == '\0')
            continue;
        unsigned c = 0;
        while (c < n_chats && chats[c].id != chat_id)
            c++;
        if (c == n_chats)
            chats[n_chats++].id = chat_id;
        chats[c].members++;
        client_t *cl = &clients[n_clients++];
        cl->chat = c;
        buf_t b = BUF_INIT;
        buf_printf(&b, "{\"token\":\"%s\"}", tok);
        cl->auth = b.base;
    }
    fclose(f);
    if (n_clients < want) {
        lg_note("chat: --tokens %s has %u usable lines, --clients wants %u", path, n_clients, want);
        return -1;
    }
    return 0;
}

static void send_next(lg_sess_t *s)
{
    client_t *cl = &clients[s->index];
    uint64_t now = lg_now_us();
    char pkt[512];
    int n =
        snprintf(pkt, sizeof(pkt),
                 "2" NSP_PFX "%" PRIu64 "[\"message:send\",{\"chatId\":%" PRId64
                 ",\"body\":\"t%" PRIu64 " message %" PRIu64 " from client %zu: the quick "
                 "brown fox jumps over the lazy dog\",\"clientMsgId\":\"c%zu-%" PRIu64 "\"}]",
                 cl->n_sent, chats[cl->chat].id, now, cl->n_sent, s->index, s->index, cl->n_sent);
    if (lg_sess_send(s, pkt, (size_t)n) != 0)
        return;
    cl->out_id = cl->n_sent++;
    cl->t_send = now;
    cl->waiting = true;
    sent++;
}

static void check_drained(void)
{
    if (stopped && acked + nacked >= sent && delivered >= expected)
        drained = true;
}

/* The integer after `key` in p[0..len), or -1. */
static int64_t field_int(const char *p, size_t len, const char *key)
{
    const char *k = memmem(p, len, key, strlen(key));
    if (k == NULL)
        return -1;
    return strtoll(k + strlen(key), NULL, 10);
}

static void on_ack(lg_sess_t *s, client_t *cl, char *p, size_t len)
{
    char *after;
    uint64_t id = strtoull(p, &after, 10);
    if (after == p || !cl->waiting || id != cl->out_id || *after != '[') {
        bad_acks++;
        return;
    }
    cl->waiting = false;
    size_t rest = len - (size_t)(after - p);
    uint64_t now = lg_now_us();
    if (memmem(after, rest, "\"ok\":true", 9) != NULL &&
        memmem(after, rest, "\"duplicate\":false", 17) != NULL &&
        field_int(after, rest, "\"seq\":") > 0) {
        acked++;
        chats[cl->chat].acked++;
        expected += chats[cl->chat].ready;
        if (measuring)
            hist_add(&ack_hist, now - cl->t_send);
    } else {
        nacked++;
        if (first_error[0] == '\0') {
            const char *c = memmem(after, rest, "\"code\":\"", 8);
            size_t cl_len = c != NULL ? strcspn(c + 8, "\"") : 0;
            snprintf(first_error, sizeof(first_error), "%.*s", (int)cl_len, c != NULL ? c + 8 : "");
        }
    }
    if (sending)
        send_next(s);
}

static void on_event(client_t *cl, char *p, size_t len)
{
    if (len >= 8 && memcmp(p, "[\"ready\"", 8) == 0) {
        if (!cl->ready) {
            cl->ready = true;
            chats[cl->chat].ready++;
            n_ready++;
        }
        if (n_ready == lg_pool.connected && lg_pool.settled)
            all_ready = true;
        return;
    }
    if (len < 15 || memcmp(p, "[\"message:new\"", 14) != 0)
        return;
    int64_t chat_id = field_int(p, len, "\"chatId\":");
    int64_t seq = field_int(p, len, "\"seq\":");
    const char *b = memmem(p, len, "\"body\":\"t", 9);
    if (chat_id != chats[cl->chat].id || seq <= 0 || b == NULL) {
        bad_deliveries++;
        return;
    }
    if (seq != cl->last_seq + 1)
        out_of_order++;
    cl->last_seq = seq;
    delivered++;
    uint64_t t = strtoull(b + 9, NULL, 10), now = lg_now_us();
    if (measuring)
        hist_add(&deliv_hist, now > t ? now - t : 0);
}

static void on_packet(lg_sess_t *s, char *pkt, size_t len)
{
    client_t *cl = &clients[s->index];
    size_t pl = sizeof(NSP_PFX) - 1;
    if (len < 1 + pl || memcmp(pkt + 1, NSP_PFX, pl) != 0)
        return;
    if (pkt[0] == '3')
        on_ack(s, cl, pkt + 1 + pl, len - 1 - pl);
    else if (pkt[0] == '2')
        on_event(cl, pkt + 1 + pl, len - 1 - pl);
    check_drained();
}

static void on_start(lg_sess_t *s)
{
    lg_sess_set_namespace(s, NSP, clients[s->index].auth);
}

static void json_acked_by_chat(buf_t *out)
{
    buf_append_str(out, "\"acked_by_chat\":{");
    for (unsigned c = 0; c < n_chats; c++)
        buf_printf(out, "%s\"%" PRId64 "\":%" PRIu64, c ? "," : "", chats[c].id, chats[c].acked);
    buf_append_str(out, "}");
}

int mode_chat_run(void)
{
    lg_opts_t *o = &lg.opts;
    if (o->tokens == NULL || load_tokens(o->tokens, o->clients) != 0)
        return 1;
    lg_pool.on_start = on_start;
    unsigned ok = lg_pool_open(n_clients, on_packet);
    all_ready = n_ready == ok;
    lg_run_until(&all_ready, o->timeout_s);
    lg_note("chat: %u/%u connected, %u ready, %u chats", ok, n_clients, n_ready, n_chats);
    sending = true;
    for (unsigned i = 0; i < n_clients; i++)
        if (lg_pool.sess[i] != NULL && clients[i].ready)
            send_next(lg_pool.sess[i]);
    lg_run_for(o->warmup_s);
    lg_proc_sample_t a, b;
    uint64_t acked0 = acked, deliv0 = delivered;
    measuring = true;
    lg_proc_sample(&a);
    lg_run_for(o->duration_s);
    lg_proc_sample(&b);
    measuring = false;
    uint64_t msgs = acked - acked0, delivs = delivered - deliv0;
    sending = false;
    stopped = true;
    check_drained();
    lg_run_until(&drained, o->drain_s);
    double wall = (double)(b.t_us - a.t_us) / 1e6;
    double cpu = b.server_cpu_s - a.server_cpu_s;
    unsigned min_m = n_chats ? chats[0].members : 0, max_m = 0;
    for (unsigned c = 0; c < n_chats; c++) {
        min_m = chats[c].members < min_m ? chats[c].members : min_m;
        max_m = chats[c].members > max_m ? chats[c].members : max_m;
    }
    buf_t *out = &lg.out;
    buf_printf(out,
               "\"connected\":%u,\"ready\":%u,\"chats\":%u,\"members_min\":%u,"
               "\"members_max\":%u,\"messages\":%" PRIu64 ",\"deliveries\":%" PRIu64
               ",\"msgs_per_s\":%.0f,\"deliveries_per_s\":%.0f,\"cpu_per_msg_us\":%.3f,"
               "\"cpu_per_delivery_us\":%.3f,\"sent_total\":%" PRIu64 ",\"acked_total\":%" PRIu64
               ",\"refused\":%" PRIu64 ",\"first_error\":\"%s\",\"lost_acks\":%" PRIu64
               ",\"bad_acks\":%" PRIu64 ",\"expected_deliveries\":%" PRIu64
               ",\"delivered_total\":%" PRIu64 ",\"lost_deliveries\":%" PRIu64
               ",\"out_of_order\":%" PRIu64 ",\"bad_deliveries\":%" PRIu64 ",\"dropped\":%u,",
               ok, n_ready, n_chats, min_m, max_m, msgs, delivs, (double)msgs / wall,
               (double)delivs / wall, msgs ? cpu * 1e6 / (double)msgs : 0.0,
               delivs ? cpu * 1e6 / (double)delivs : 0.0, sent, acked, nacked, first_error,
               sent > acked + nacked ? sent - acked - nacked : 0, bad_acks, expected, delivered,
               expected > delivered ? expected - delivered : 0, out_of_order, bad_deliveries,
               lg_pool.dropped);
    if (a.db_cpu_s >= 0 && b.db_cpu_s >= 0 && msgs > 0)
        buf_printf(out, "\"db_cpu_per_msg_us\":%.3f,", (b.db_cpu_s - a.db_cpu_s) * 1e6 / msgs);
    json_acked_by_chat(out);
    buf_append_char(out, ',');
    lg_proc_span_json(out, "window", &a, &b);
    buf_append_char(out, ',');
    hist_json(out, "latency_us", &ack_hist);
    buf_append_char(out, ',');
    hist_json(out, "delivery_latency_us", &deliv_hist);
    return 0;
}
