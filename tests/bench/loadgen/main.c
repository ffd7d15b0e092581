/* main.c - sioc_loadgen: options, process setup (file limit, SIGPIPE), the shared loop helpers, and
 * the one JSON line the runner reads on stdout. Progress goes to stderr.
 *
 *   sioc_loadgen MODE --port P [--pid SERVER_PID] [--clients N] [--duration S] [--warmup S]
 *                [--hold S] [--rate R] [--window W] [--payload B] [--polling] [--addrs K]
 *                [--concurrency C] [--timeout S] [--drain S] [--host A] [--verbose]
 *                [--tokens FILE] [--db-pid PID]
 * MODE: idle | echo | fanout | handshake | chat (see tests/bench/README.md);
 *       `sioc_loadgen selftest` checks the generator's own parsers. */
#include "tests/bench/loadgen/loadgen.h"

#include <arpa/inet.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

lg_t lg;
static uv_timer_t wake_timer;
static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

uint64_t lg_now_us(void)
{
    return uv_hrtime() / 1000;
}

uint64_t lg_rand(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545f4914f6cdd1dull;
}

void lg_note(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "[loadgen] ");
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

static void on_wake(uv_timer_t *t)
{
    UNUSED(t); /* only makes UV_RUN_ONCE return */
}

void lg_run_until(const bool *done, double seconds)
{
    if (seconds <= 0 && done == NULL) {
        uv_run(lg.loop, UV_RUN_NOWAIT);
        return;
    }
    uint64_t end = lg_now_us() + (uint64_t)(seconds * 1e6);
    if (seconds > 0) {
        uint64_t ms = (uint64_t)(seconds * 1000);
        uv_timer_start(&wake_timer, on_wake, ms ? ms : 1, 0);
    }
    while ((done == NULL || !*done) && (seconds <= 0 || lg_now_us() < end))
        uv_run(lg.loop, UV_RUN_ONCE);
    uv_timer_stop(&wake_timer);
}

void lg_run_for(double seconds)
{
    lg_run_until(NULL, seconds);
}

static void raise_nofile(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

static void usage(void)
{
    fprintf(stderr,
            "usage: sioc_loadgen idle|echo|fanout|handshake|chat --port P [--pid SERVER_PID]\n"
            "  --clients N      connections held (idle/echo/fanout) or in flight (handshake)\n"
            "  --duration S     measured window (echo/fanout/handshake), default 5\n"
            "  --warmup S       load before the window, default 1\n"
            "  --hold S         idle: hold time once all are connected, default 3\n"
            "  --rate R         echo: emits/s over all clients (default 0: closed loop)\n"
            "  --window W       fanout: broadcasts in flight, default 1\n"
            "  --payload B      echo: filler bytes per emit, default 16\n"
            "  --polling        handshake: polling then upgrade (default websocket only)\n"
            "  --addrs K        source addresses 127.0.0.1..K, default 8\n"
            "  --concurrency C  connects in progress while ramping, default 200\n"
            "  --timeout S      connect timeout per session, default 10\n"
            "  --drain S        wait for outstanding replies after the window, default 5\n"
            "  --host A         server address, default 127.0.0.1\n"
            "  --tokens FILE    chat: \"<chatId> <accessToken>\" per line, one line per client\n"
            "  --db-pid PID     also measure the CPU of a database server and its children\n");
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"port", required_argument, NULL, 'p'},
        {"pid", required_argument, NULL, 'P'},
        {"db-pid", required_argument, NULL, 'B'},
        {"tokens", required_argument, NULL, 'T'},
        {"clients", required_argument, NULL, 'n'},
        {"duration", required_argument, NULL, 'd'},
        {"warmup", required_argument, NULL, 'w'},
        {"hold", required_argument, NULL, 'H'},
        {"rate", required_argument, NULL, 'r'},
        {"window", required_argument, NULL, 'W'},
        {"payload", required_argument, NULL, 'b'},
        {"polling", no_argument, NULL, 'L'},
        {"addrs", required_argument, NULL, 'a'},
        {"concurrency", required_argument, NULL, 'c'},
        {"timeout", required_argument, NULL, 't'},
        {"drain", required_argument, NULL, 'D'},
        {"host", required_argument, NULL, 'h'},
        {"verbose", no_argument, NULL, 'v'},
        {NULL, 0, NULL, 0},
    };
    lg_opts_t *o = &lg.opts;
    *o = (lg_opts_t){.host = "127.0.0.1",
                     .clients = 100,
                     .addrs = 8,
                     .concurrency = 200,
                     .warmup_s = 1,
                     .duration_s = 5,
                     .hold_s = 3,
                     .drain_s = 5,
                     .timeout_s = 10,
                     .window = 1,
                     .payload = 16};
    if (argc < 2 || argv[1][0] == '-') {
        usage();
        return 2;
    }
    o->mode = argv[1];
    if (strcmp(o->mode, "selftest") == 0)
        return lg_selftest();
    optind = 2;
    int ch;
    while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (ch) {
        case 'p':
            o->port = atoi(optarg);
            break;
        case 'P':
            o->pid = atoi(optarg);
            break;
        case 'B':
            o->db_pid = atoi(optarg);
            break;
        case 'T':
            o->tokens = optarg;
            break;
        case 'n':
            o->clients = (unsigned)strtoul(optarg, NULL, 10);
            break;
        case 'd':
            o->duration_s = atof(optarg);
            break;
        case 'w':
            o->warmup_s = atof(optarg);
            break;
        case 'H':
            o->hold_s = atof(optarg);
            break;
        case 'r':
            o->rate = atof(optarg);
            break;
        case 'W':
            o->window = (unsigned)strtoul(optarg, NULL, 10);
            break;
        case 'b':
            o->payload = (unsigned)strtoul(optarg, NULL, 10);
            break;
        case 'L':
            o->polling = true;
            break;
        case 'a':
            o->addrs = (unsigned)strtoul(optarg, NULL, 10);
            break;
        case 'c':
            o->concurrency = (unsigned)strtoul(optarg, NULL, 10);
            break;
        case 't':
            o->timeout_s = atof(optarg);
            break;
        case 'D':
            o->drain_s = atof(optarg);
            break;
        case 'h':
            o->host = optarg;
            break;
        case 'v':
            o->verbose = true;
            break;
        default:
            usage();
            return 2;
        }
    }
    if (o->port <= 0 || o->port > 65535 || o->clients == 0 || o->addrs == 0 || o->addrs > 250 ||
        o->concurrency == 0 || o->window == 0 || o->payload > 1000000) {
        usage();
        return 2;
    }
    memset(&lg.dest, 0, sizeof(lg.dest));
    if (uv_ip4_addr(o->host, o->port, &lg.dest) != 0) {
        fprintf(stderr, "bad --host %s\n", o->host);
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    raise_nofile();
    lg.loop = uv_default_loop();
    uv_timer_init(lg.loop, &wake_timer);
    lg_sess_sweep_start();

    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    buf_printf(&lg.out, "{\"mode\":\"%s\",\"clients\":%u,\"nofile\":%llu,", o->mode, o->clients,
               (unsigned long long)rl.rlim_cur);
    int rc;
    if (strcmp(o->mode, "idle") == 0)
        rc = mode_idle_run();
    else if (strcmp(o->mode, "echo") == 0)
        rc = mode_echo_run();
    else if (strcmp(o->mode, "fanout") == 0)
        rc = mode_fanout_run();
    else if (strcmp(o->mode, "handshake") == 0)
        rc = mode_handshake_run();
    else if (strcmp(o->mode, "chat") == 0)
        rc = mode_chat_run();
    else {
        usage();
        return 2;
    }
    buf_append_char(&lg.out, ',');
    lg_fail_json(&lg.out);
    buf_append_str(&lg.out, "}\n");
    fputs(lg.out.base, stdout);
    fflush(stdout);
    /* The sessions are left open on purpose: the runner stops the server next, and tearing down
     * tens of thousands of connections here would only add time. */
    _exit(rc == 0 ? 0 : 1);
}
