/* selftest.c - `sioc_loadgen selftest`: checks of the generator's own parsers and histogram,
 * with good and bad input, then random input (which must never crash, hang or over-read: run it
 * from an -DSIOC_SANITIZE=address,undefined build to make that a check). The benchmark trusts
 * these parsers' counts, so they are tested like any other parser. Prints `N passed, N failed`. */
#include "tests/bench/loadgen/loadgen.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static unsigned passed, failed;

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (cond) {                                                                                \
            passed++;                                                                              \
        } else {                                                                                   \
            failed++;                                                                              \
            fprintf(stderr, "selftest: %s:%d: %s\n", __FILE__, __LINE__, #cond);                   \
        }                                                                                          \
    } while (0)

static long parse_http(const char *s, http_resp_t *r)
{
    /* a heap copy of exactly the input, so that an over-read is caught under ASan */
    size_t n = strlen(s);
    char *p = xmalloc(n ? n : 1);
    memcpy(p, s, n);
    long rc = http_resp_parse(p, n, 1 << 20, r);
    free(p);
    return rc;
}

static void test_http(void)
{
    http_resp_t r;
    const char *ok = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nokXX";
    CHECK(parse_http(ok, &r) == (long)strlen(ok) - 2);
    CHECK(r.status == 200 && r.body.len == 2 && memcmp(r.body.base, "ok", 2) == 0 && !r.close);
    http_resp_dispose(&r);

    const char *chunked =
        "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n"
        "3\r\n0{\"\r\n9;ext=1\r\nsid\":\"x\"}\r\n0\r\n\r\n";
    CHECK(parse_http(chunked, &r) == (long)strlen(chunked));
    CHECK(r.close && r.body.len == 12 && memcmp(r.body.base, "0{\"sid\":\"x\"}", 12) == 0);
    http_resp_dispose(&r);

    const char *up = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade"
                     "\r\nSec-WebSocket-Accept: abc=\r\n\r\n\x81\x01"
                     "3";
    CHECK(parse_http(up, &r) == (long)strlen(up) - 3);
    CHECK(r.status == 101 && r.upgrade && r.has_accept);
    http_resp_dispose(&r);

    /* every proper prefix of a valid response needs more input */
    size_t n = strlen(chunked);
    for (size_t i = 0; i < n; i++) {
        char *p = xmalloc(i ? i : 1);
        memcpy(p, chunked, i);
        long rc = http_resp_parse(p, i, 1 << 20, &r);
        CHECK(rc == -EAGAIN);
        free(p);
    }

    const char *bad[] = {
        "HTTP/1.1 999 Nope\r\n\r\n",
        "SMTP 220 hello\r\n\r\n",
        "HTTP/1.1 200 OK\r\nno colon here\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: -5\r\n\r\n",
        "HTTP/1.1 200 OK\r\n\r\nbody until EOF",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n0\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 99999999999\r\n\r\n",
    };
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
        CHECK(parse_http(bad[i], &r) == -EBADMSG);
}

static void test_ws(void)
{
    /* what we encode, unmasked by the parser, gives the payload back */
    size_t sizes[] = {0, 1, 125, 126, 127, 65535, 65536, 100000};
    for (size_t k = 0; k < ARRAY_SIZE(sizes); k++) {
        size_t n = sizes[k];
        char *data = xmalloc(n + 1);
        for (size_t i = 0; i < n; i++)
            data[i] = (char)('a' + i % 26);
        buf_t out = BUF_INIT;
        ws_frame_encode2(&out, WS_OP_TEXT, "4", 1, data, n);
        ws_frame_t f;
        long rc = ws_frame_parse(out.base, out.len, 1 << 20, &f);
        CHECK(rc == (long)out.len);
        CHECK(f.fin && f.opcode == WS_OP_TEXT && f.len == n + 1 && f.payload[0] == '4' &&
              memcmp(f.payload + 1, data, n) == 0);
        /* any prefix needs more input */
        CHECK(ws_frame_parse(out.base, out.len - 1, 1 << 20, &f) == -EAGAIN);
        /* over the size limit */
        if (n > 10)
            CHECK(ws_frame_parse(out.base, out.len, 10, &f) == -EBADMSG);
        buf_dispose(&out);
        free(data);
    }
    char unmasked[] = "\x81\x02"
                      "40";
    ws_frame_t f;
    CHECK(ws_frame_parse(unmasked, 4, 100, &f) == 4 && f.len == 2 &&
          memcmp(f.payload, "40", 2) == 0);
    char rsv[] = "\xc1\x00";
    CHECK(ws_frame_parse(rsv, 2, 100, &f) == -EBADMSG);
    char long_ping[] = "\x89\x7e\x00\x80";
    CHECK(ws_frame_parse(long_ping, 4, 1000, &f) == -EBADMSG);
    char frag_ping[] = "\x09\x00";
    CHECK(ws_frame_parse(frag_ping, 2, 100, &f) == -EBADMSG);
    char huge[] = "\x82\x7f\xff\xff\xff\xff\xff\xff\xff\xff";
    CHECK(ws_frame_parse(huge, 10, 1 << 20, &f) == -EBADMSG);

    buf_t req = BUF_INIT;
    ws_upgrade_request(&req, "127.0.0.1", 80, "/socket.io/?EIO=4&transport=websocket");
    CHECK(strstr(req.base, "Sec-WebSocket-Key: ") != NULL &&
          strstr(req.base, "Sec-WebSocket-Version: 13\r\n") != NULL &&
          memcmp(req.base + req.len - 4, "\r\n\r\n", 4) == 0);
    buf_dispose(&req);
}

static void test_hist(void)
{
    static lg_hist_t h;
    memset(&h, 0, sizeof(h));
    CHECK(hist_quantile(&h, 0.5) == 0);
    for (uint64_t v = 1; v <= 100000; v++)
        hist_add(&h, v);
    uint64_t p50 = hist_quantile(&h, 0.5), p99 = hist_quantile(&h, 0.99);
    CHECK(p50 > 49000 && p50 < 51000);
    CHECK(p99 > 97500 && p99 < 100500);
    CHECK(hist_quantile(&h, 1.0) <= 100000 && h.max == 100000 && h.count == 100000);
    memset(&h, 0, sizeof(h));
    hist_add(&h, 7);
    CHECK(hist_quantile(&h, 0.999) == 7);
    hist_add(&h, UINT64_MAX / 2); /* past the last bucket: clamped, not out of bounds */
    CHECK(hist_quantile(&h, 1.0) <= UINT64_MAX / 2);

    memset(&h, 0, sizeof(h));
    hist_add(&h, 10);
    hist_add(&h, 20);
    buf_t out = BUF_INIT;
    hist_json(&out, "lat", &h);
    CHECK(out.base != NULL &&
          strcmp(out.base, "\"lat\":{\"n\":2,\"p50\":10,\"p99\":20,\"p999\":20,\"max\":20,"
                           "\"mean\":15.0}") == 0);
    buf_dispose(&out);
}

/* Random and mutated input: nothing may crash or read out of bounds. */
static void test_random(void)
{
    const char *seeds[] = {
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc",
        "\x81\x7e\x00\x05hello",
    };
    /* results outside the contract, and inputs each parser accepted whole (so that the mutations
     * reach past the first bytes: a fuzz loop that only ever sees -EBADMSG tests little) */
    unsigned bad = 0, http_ok = 0, ws_ok = 0;
    for (unsigned it = 0; it < 200000; it++) {
        size_t n = (size_t)(lg_rand() % 96);
        char *p = xmalloc(n ? n : 1);
        const char *seed = seeds[it % ARRAY_SIZE(seeds)];
        size_t sl = strlen(seed);
        for (size_t i = 0; i < n; i++)
            p[i] = (i < sl && lg_rand() % 8 != 0) ? seed[i] : (char)lg_rand();
        http_resp_t r;
        long rc = http_resp_parse(p, n, 4096, &r);
        if (rc > 0) {
            http_ok++;
            if ((size_t)rc > n || r.body.len > 4096)
                bad++;
            http_resp_dispose(&r);
        } else if (rc != -EAGAIN && rc != -EBADMSG) {
            bad++;
        }
        ws_frame_t f;
        rc = ws_frame_parse(p, n, 4096, &f);
        if (rc > 0) {
            ws_ok++;
            if ((size_t)rc > n || f.payload < p || f.payload + f.len > p + rc)
                bad++;
        } else if (rc != -EAGAIN && rc != -EBADMSG) {
            bad++;
        }
        free(p);
    }
    CHECK(bad == 0);
    CHECK(http_ok > 100 && ws_ok > 100);
}

/* Failures are counted per reason; past MAX_REASONS distinct reasons, the rest go to "other". */
static void test_failures(void)
{
    unsigned long t0 = lg_fail_total();
    lg_fail_count("timeout");
    lg_fail_count("timeout");
    lg_fail_count("ws_eof");
    CHECK(lg_fail_total() == t0 + 3);
    buf_t out = BUF_INIT;
    lg_fail_json(&out);
    CHECK(out.base != NULL && strcmp(out.base, "\"failures\":3,\"failure_reasons\":{"
                                               "\"timeout\":2,\"ws_eof\":1}") == 0);
    char why[32];
    for (int i = 0; i < 40; i++) {
        snprintf(why, sizeof(why), "reason_%d", i);
        lg_fail_count(why);
    }
    CHECK(lg_fail_total() == t0 + 43);
    out.len = 0;
    lg_fail_json(&out);
    CHECK(strstr(out.base, "\"timeout\":2,\"ws_eof\":1,\"reason_0\":1,") != NULL);
    CHECK(strstr(out.base, "\"reason_28\":1,\"other\":11}") != NULL);
    CHECK(strstr(out.base, "reason_29") == NULL);
    buf_dispose(&out);
}

int lg_selftest(void)
{
    test_http();
    test_ws();
    test_hist();
    test_random();
    test_failures();
    printf("%u passed, %u failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
