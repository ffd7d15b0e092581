/* test_call.c - the wire format of desk calls (src/channels/call.c): call events in the shapes
 * browsers send (RTCSessionDescription.toJSON(), RTCIceCandidate.toJSON(), the end of the
 * candidates as null), rebuilt from their known fields only; what is refused and with which
 * code (bad shape, unknown fields, oversized SDP and candidates, control characters, a type that
 * is not allowed on that side); --webrtc-ice-servers; call ids. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "src/channels/channels.h"
#include "tests/support/leakcheck.h"

static void teardown(void)
{
    sioc_check_leaks();
}
TestSuite(call, .fini = teardown);

#define ALL                                                                                        \
    (SRV_CALL_KIND_BIT(SRV_CALL_OFFER) | SRV_CALL_KIND_BIT(SRV_CALL_ANSWER) |                      \
     SRV_CALL_KIND_BIT(SRV_CALL_ICE) | SRV_CALL_KIND_BIT(SRV_CALL_END))
#define SDP                                                                                        \
    "v=0\r\no=- 46117 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\n"

/* Parses `text` as the event argument; returns the status, `m` and `err` filled. */
static int parse(const char *text, srv_call_kind_t fixed, unsigned allowed, srv_call_msg_t *m,
                 srv_call_error_t *err)
{
    json_error_t jerr;
    json_t *arg = json_loads(text, JSON_DECODE_ANY, &jerr);
    cr_assert_not_null(arg, "%s: %s", text, jerr.text);
    int rc = srv_call_parse(arg, fixed, allowed, m, err);
    json_decref(arg);
    return rc;
}

static void expect_refused(const char *text, srv_call_kind_t fixed, unsigned allowed, int status,
                           const char *code)
{
    srv_call_msg_t m;
    srv_call_error_t err;
    int rc = parse(text, fixed, allowed, &m, &err);
    cr_expect_eq(rc, status == 413 ? -EMSGSIZE : -EBADMSG, "%s: %d", text, rc);
    cr_expect_eq(err.status, status, "%s", text);
    cr_expect_str_eq(err.code, code, "%s: %s (%s)", text, err.code, err.message);
    cr_expect_neq(err.message[0], '\0');
    cr_expect_null(m.data);
}

Test(call, offer_and_answer_are_rebuilt_from_type_and_sdp)
{
    srv_call_msg_t m;
    srv_call_error_t err;
    cr_assert_eq(parse("{\"serviceId\":7,\"callId\":\"abc_-1\",\"type\":\"offer\",\"data\":"
                       "{\"type\":\"offer\",\"sdp\":\""
                       "v=0\\r\\nm=audio 9 RTP 111\\r\\n"
                       "\"}}",
                       SRV_CALL_NONE, ALL, &m, &err),
                 0, "%s", err.message);
    cr_expect_eq(m.service_id, 7);
    cr_expect_str_eq(m.call_id, "abc_-1");
    cr_expect_eq(m.kind, SRV_CALL_OFFER);
    cr_expect_str_eq(json_string_value(json_object_get(m.data, "type")), "offer");
    cr_expect_str_eq(json_string_value(json_object_get(m.data, "sdp")),
                     "v=0\r\nm=audio 9 RTP 111\r\n");
    cr_expect_eq(json_object_size(m.data), 2);
    srv_call_msg_dispose(&m);
    cr_assert_eq(parse("{\"serviceId\":1,\"callId\":\"c\",\"type\":\"answer\",\"data\":"
                       "{\"sdp\":\"v=0\\r\\n\",\"type\":\"answer\"}}",
                       SRV_CALL_NONE, ALL, &m, &err),
                 0);
    cr_expect_eq(m.kind, SRV_CALL_ANSWER);
    srv_call_msg_dispose(&m);
}

Test(call, ice_candidates_and_their_end)
{
    srv_call_msg_t m;
    srv_call_error_t err;
    cr_assert_eq(parse("{\"serviceId\":2,\"callId\":\"c\",\"type\":\"ice\",\"data\":{\"candidate\":"
                       "\"candidate:1 1 udp 2122260223 192.168.1.2 54321 typ host\","
                       "\"sdpMid\":\"0\",\"sdpMLineIndex\":0,\"usernameFragment\":null}}",
                       SRV_CALL_NONE, ALL, &m, &err),
                 0, "%s", err.message);
    cr_expect_eq(m.kind, SRV_CALL_ICE);
    cr_expect_str_eq(json_string_value(json_object_get(m.data, "sdpMid")), "0");
    cr_expect_eq(json_integer_value(json_object_get(m.data, "sdpMLineIndex")), 0);
    cr_expect(json_is_null(json_object_get(m.data, "usernameFragment")));
    srv_call_msg_dispose(&m);
    /* an empty candidate and null both say "no more candidates" */
    cr_assert_eq(
        parse("{\"serviceId\":2,\"callId\":\"c\",\"type\":\"ice\",\"data\":{\"candidate\":\"\"}}",
              SRV_CALL_NONE, ALL, &m, &err),
        0);
    srv_call_msg_dispose(&m);
    cr_assert_eq(parse("{\"serviceId\":2,\"callId\":\"c\",\"type\":\"ice\",\"data\":null}",
                       SRV_CALL_NONE, ALL, &m, &err),
                 0);
    cr_expect(json_is_null(m.data));
    srv_call_msg_dispose(&m);
}

Test(call, end_with_its_reason_and_the_fixed_kinds)
{
    srv_call_msg_t m;
    srv_call_error_t err;
    cr_assert_eq(
        parse("{\"serviceId\":3,\"callId\":\"c\",\"type\":\"end\"}", SRV_CALL_NONE, ALL, &m, &err),
        0);
    cr_expect_eq(m.kind, SRV_CALL_END);
    cr_expect_str_eq(m.reason, "hangup");
    cr_expect_null(m.data);
    cr_assert_eq(parse("{\"serviceId\":3,\"callId\":\"c\",\"reason\":\"no_answer\"}", SRV_CALL_END,
                       0, &m, &err),
                 0);
    cr_expect_str_eq(m.reason, "no_answer");
    cr_assert_eq(parse("{\"serviceId\":3,\"callId\":\"c\"}", SRV_CALL_ACCEPT, 0, &m, &err), 0);
    cr_expect_eq(m.kind, SRV_CALL_ACCEPT);
    cr_assert_eq(parse("{\"serviceId\":3,\"callId\":\"c\"}", SRV_CALL_DECLINE, 0, &m, &err), 0);
    cr_expect_eq(m.kind, SRV_CALL_DECLINE);
}

Test(call, bad_shapes_get_their_code)
{
    unsigned cust = ALL & ~SRV_CALL_KIND_BIT(SRV_CALL_END);
    expect_refused("null", SRV_CALL_NONE, ALL, 400, "invalid_body");
    expect_refused("[1]", SRV_CALL_NONE, ALL, 400, "invalid_body");
    expect_refused("{\"callId\":\"c\",\"type\":\"end\"}", SRV_CALL_NONE, ALL, 400, "missing_field");
    expect_refused("{\"serviceId\":1,\"type\":\"end\"}", SRV_CALL_NONE, ALL, 400, "missing_field");
    expect_refused("{\"serviceId\":0,\"callId\":\"c\",\"type\":\"end\"}", SRV_CALL_NONE, ALL, 400,
                   "invalid_field");
    expect_refused("{\"serviceId\":1.5,\"callId\":\"c\",\"type\":\"end\"}", SRV_CALL_NONE, ALL, 400,
                   "invalid_field");
    expect_refused("{\"serviceId\":1,\"callId\":\"a b\",\"type\":\"end\"}", SRV_CALL_NONE, ALL, 400,
                   "invalid_field");
    expect_refused("{\"serviceId\":1,\"callId\":\"c\"}", SRV_CALL_NONE, ALL, 400, "missing_field");
    expect_refused("{\"serviceId\":1,\"callId\":\"c\",\"type\":\"end\"}", SRV_CALL_NONE, cust, 400,
                   "invalid_field");
    expect_refused("{\"serviceId\":1,\"callId\":\"c\",\"type\":7}", SRV_CALL_NONE, ALL, 400,
                   "invalid_field");
    expect_refused("{\"serviceId\":1,\"callId\":\"c\",\"type\":\"incoming\"}", SRV_CALL_NONE, ALL,
                   400, "invalid_field");
    expect_refused("{\"serviceId\":1,\"callId\":\"c\",\"type\":\"end\",\"x\":1}", SRV_CALL_NONE,
                   ALL, 400, "unknown_field");
    expect_refused("{\"serviceId\":1,\"callId\":\"c\",\"type\":\"offer\"}", SRV_CALL_NONE, ALL, 400,
                   "missing_field");
    expect_refused("{\"serviceId\":1,\"callId\":\"c\",\"type\":\"offer\",\"data\":{\"type\":"
                   "\"offer\",\"sdp\":\"hello\"}}",
                   SRV_CALL_NONE, ALL, 400, "invalid_signal");
    expect_refused("{\"serviceId\":1,\"callId\":\"c\",\"type\":\"offer\",\"data\":{\"type\":"
                   "\"answer\",\"sdp\":\"v=0\\r\\n\"}}",
                   SRV_CALL_NONE, ALL, 400, "invalid_signal");
    expect_refused("{\"serviceId\":1,\"callId\":\"c\",\"type\":\"offer\",\"data\":{\"type\":"
                   "\"offer\",\"sdp\":\"v=0\\r\\n\\u0001\"}}",
                   SRV_CALL_NONE, ALL, 400, "invalid_signal");
    expect_refused("{\"serviceId\":1,\"callId\":\"c\",\"type\":\"ice\",\"data\":{\"candidate\":"
                   "\"x\",\"foo\":1}}",
                   SRV_CALL_NONE, ALL, 400, "invalid_signal");
    expect_refused("{\"serviceId\":1,\"callId\":\"c\",\"type\":\"ice\",\"data\":{\"candidate\":"
                   "\"x\",\"sdpMLineIndex\":70000}}",
                   SRV_CALL_NONE, ALL, 400, "invalid_signal");
    expect_refused(
        "{\"serviceId\":1,\"callId\":\"c\",\"type\":\"ice\",\"data\":{\"sdpMid\":\"0\"}}",
        SRV_CALL_NONE, ALL, 400, "invalid_signal");
    expect_refused("{\"serviceId\":1,\"callId\":\"c\",\"type\":\"ice\",\"data\":[]}", SRV_CALL_NONE,
                   ALL, 400, "invalid_signal");
    expect_refused("{\"serviceId\":1,\"callId\":\"c\",\"type\":\"end\",\"data\":{}}", SRV_CALL_NONE,
                   ALL, 400, "invalid_signal");
    expect_refused("{\"serviceId\":1,\"callId\":\"c\",\"type\":\"end\",\"reason\":\"bored\"}",
                   SRV_CALL_NONE, ALL, 400, "invalid_field");
    expect_refused("{\"serviceId\":1,\"callId\":\"c\",\"type\":\"ice\",\"data\":null,\"reason\":"
                   "\"hangup\"}",
                   SRV_CALL_NONE, ALL, 400, "unknown_field");
    /* accept and decline carry nothing else */
    expect_refused("{\"serviceId\":1,\"callId\":\"c\",\"type\":\"offer\"}", SRV_CALL_ACCEPT, 0, 400,
                   "unknown_field");
    expect_refused("{\"serviceId\":1,\"callId\":\"c\",\"reason\":\"hangup\"}", SRV_CALL_DECLINE, 0,
                   400, "unknown_field");
}

Test(call, oversized_signals_are_413)
{
    size_t n = SRV_CALL_SIGNAL_MAX + 1;
    char *sdp = malloc(n + 1);
    memset(sdp, 'a', n);
    memcpy(sdp, "v=0\n", 4);
    sdp[n] = '\0';
    json_t *arg = json_pack("{s:i,s:s,s:s,s:{s:s,s:s}}", "serviceId", 1, "callId", "c", "type",
                            "offer", "data", "type", "offer", "sdp", sdp);
    srv_call_msg_t m;
    srv_call_error_t err;
    cr_expect_eq(srv_call_parse(arg, SRV_CALL_NONE, ALL, &m, &err), -EMSGSIZE);
    cr_expect_str_eq(err.code, "payload_too_large");
    cr_expect_eq(err.status, 413);
    /* exactly at the limit passes */
    sdp[n - 1] = '\0';
    json_object_set_new(json_object_get(arg, "data"), "sdp", json_string(sdp));
    cr_expect_eq(srv_call_parse(arg, SRV_CALL_NONE, ALL, &m, &err), 0, "%s", err.message);
    srv_call_msg_dispose(&m);
    json_decref(arg);
    sdp[SRV_CALL_CANDIDATE_MAX + 1] = '\0';
    arg = json_pack("{s:i,s:s,s:s,s:{s:s}}", "serviceId", 1, "callId", "c", "type", "ice", "data",
                    "candidate", sdp);
    cr_expect_eq(srv_call_parse(arg, SRV_CALL_NONE, ALL, &m, &err), -EMSGSIZE);
    json_decref(arg);
    free(sdp);
}

Test(call, ice_servers_option)
{
    const char *why;
    json_t *a = srv_call_ice_servers_parse(NULL, &why);
    cr_assert_not_null(a);
    cr_expect_eq(json_array_size(a), 0);
    json_decref(a);
    a = srv_call_ice_servers_parse("[{\"urls\":\"stun:stun.example.org:3478\"},{\"urls\":["
                                   "\"turn:turn.example.org:3478?transport=udp\",\"turns:turn."
                                   "example.org:5349\"],\"username\":\"u\",\"credential\":\"p\"}]",
                                   &why);
    cr_assert_not_null(a, "%s", why);
    cr_expect_eq(json_array_size(a), 2);
    json_decref(a);
    const char *bad[] = {
        "",
        "{}",
        "[1]",
        "[{}]",
        "[{\"urls\":\"http://example.org\"}]",
        "[{\"urls\":[]}]",
        "[{\"urls\":\"turn:t.example.org\"}]", /* TURN needs credentials */
        "[{\"urls\":\"stun:s\",\"password\":\"x\"}]",
        "[{\"urls\":\"stun:s\",\"username\":5}]",
        "[{\"urls\":\"stun:a b\"}]",
        "[{\"urls\":\"stun:s\"},{\"urls\":\"stun:s\"},{\"urls\":\"stun:s\"},{\"urls\":\"stun:s\"},"
        "{\"urls\":\"stun:s\"},{\"urls\":\"stun:s\"},{\"urls\":\"stun:s\"},{\"urls\":\"stun:s\"},"
        "{\"urls\":\"stun:s\"}]",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        why = NULL;
        cr_expect_null(srv_call_ice_servers_parse(bad[i], &why), "%s", bad[i]);
        cr_expect_not_null(why, "%s", bad[i]);
    }
}

Test(call, ids_are_random_and_url_safe)
{
    char a[SRV_CALL_ID_MAX + 1], b[SRV_CALL_ID_MAX + 1];
    srv_call_id_new(a);
    srv_call_id_new(b);
    cr_expect_eq(strlen(a), 22);
    cr_expect_str_neq(a, b);
    cr_expect_eq(strspn(a, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"), 22);
    cr_expect_str_eq(srv_call_kind_name(SRV_CALL_ICE), "ice");
    cr_expect_str_eq(srv_call_kind_name((srv_call_kind_t)99), "");
}
