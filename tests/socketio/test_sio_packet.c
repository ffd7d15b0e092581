/* test_sio_packet.c - the Socket.IO packet codec against the wire strings of the socket.io-protocol
 * specification and every malformed form socket.io-parser refuses. */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "socketio/sio_packet.h"
#include "tests/support/leakcheck.h"

static sio_packet_t pkt;
static buf_t out;

static void teardown(void)
{
    sio_packet_dispose(&pkt);
    buf_dispose(&out);
    sioc_check_leaks();
}

TestSuite(sio_packet, .fini = teardown);

static int decode(const char *s)
{
    return sio_packet_decode(&pkt, s, strlen(s), SIO_DEFAULT_MAX_ATTACHMENTS);
}

static char *dump(const json_t *v)
{
    return json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
}

static void expect_json(const json_t *v, const char *want)
{
    char *s = dump(v);
    cr_expect_str_eq(s, want);
    free(s);
}

Test(sio_packet, decodes_event)
{
    cr_assert_eq(decode("2[\"hello\",1]"), 0);
    cr_expect_eq(pkt.type, SIO_PACKET_EVENT);
    cr_expect_str_eq(pkt.nsp, "/");
    cr_expect_eq(pkt.ack_id, -1);
    expect_json(pkt.data, "[\"hello\",1]");
}

Test(sio_packet, decodes_event_with_namespace)
{
    cr_assert_eq(decode("2/admin,[\"hello\"]"), 0);
    cr_expect_str_eq(pkt.nsp, "/admin");
    cr_expect_eq(pkt.ack_id, -1);
    expect_json(pkt.data, "[\"hello\"]");
}

Test(sio_packet, decodes_event_with_ack_id)
{
    cr_assert_eq(decode("212[\"hello\"]"), 0);
    cr_expect_eq(pkt.type, SIO_PACKET_EVENT);
    cr_expect_eq(pkt.ack_id, 12);
    expect_json(pkt.data, "[\"hello\"]");
}

Test(sio_packet, decodes_event_with_namespace_and_ack)
{
    cr_assert_eq(decode("2/chat,12[\"msg\",\"hi\"]"), 0);
    cr_expect_str_eq(pkt.nsp, "/chat");
    cr_expect_eq(pkt.ack_id, 12);
}

Test(sio_packet, decodes_ack)
{
    cr_assert_eq(decode("312[\"ok\"]"), 0);
    cr_expect_eq(pkt.type, SIO_PACKET_ACK);
    cr_expect_eq(pkt.ack_id, 12);
    expect_json(pkt.data, "[\"ok\"]");
}

Test(sio_packet, decodes_empty_ack_array)
{
    cr_assert_eq(decode("30[]"), 0);
    cr_expect_eq(pkt.ack_id, 0);
    cr_expect_eq(json_array_size(pkt.data), 0);
}

Test(sio_packet, decodes_connect_forms)
{
    cr_assert_eq(decode("0"), 0);
    cr_expect_eq(pkt.type, SIO_PACKET_CONNECT);
    cr_expect_str_eq(pkt.nsp, "/");
    cr_expect_null(pkt.data);
    sio_packet_dispose(&pkt);

    cr_assert_eq(decode("0{\"token\":\"abc\"}"), 0);
    cr_expect_str_eq(json_string_value(json_object_get(pkt.data, "token")), "abc");
    sio_packet_dispose(&pkt);

    cr_assert_eq(decode("0/admin,{\"token\":\"123\"}"), 0);
    cr_expect_str_eq(pkt.nsp, "/admin");
    sio_packet_dispose(&pkt);

    cr_assert_eq(decode("0/admin,"), 0);
    cr_expect_str_eq(pkt.nsp, "/admin");
    cr_expect_null(pkt.data);
    sio_packet_dispose(&pkt);

    /* EIO3 clients put the query in the namespace */
    cr_assert_eq(decode("0/admin?token=1,"), 0);
    cr_expect_str_eq(pkt.nsp, "/admin?token=1");
}

Test(sio_packet, decodes_namespace_without_comma)
{
    cr_assert_eq(decode("1/admin"), 0);
    cr_expect_eq(pkt.type, SIO_PACKET_DISCONNECT);
    cr_expect_str_eq(pkt.nsp, "/admin");
    cr_expect_null(pkt.data);
}

Test(sio_packet, empty_message_is_connect_to_root)
{
    cr_assert_eq(sio_packet_decode(&pkt, "", 0, 10), 0);
    cr_expect_eq(pkt.type, SIO_PACKET_CONNECT);
    cr_expect_str_eq(pkt.nsp, "/");
}

Test(sio_packet, decodes_connect_error_forms)
{
    cr_assert_eq(decode("4{\"message\":\"Invalid namespace\"}"), 0);
    cr_expect_eq(pkt.type, SIO_PACKET_CONNECT_ERROR);
    sio_packet_dispose(&pkt);
    cr_assert_eq(decode("4/admin,\"not authorized\""), 0);
    cr_expect_str_eq(json_string_value(pkt.data), "not authorized");
}

Test(sio_packet, event_name_may_be_a_number)
{
    cr_assert_eq(decode("2[1,2]"), 0);
}

Test(sio_packet, decodes_binary_event_and_reassembles)
{
    const char msg[] = "51-[\"file\",{\"_placeholder\":true,\"num\":0}]";
    cr_assert_eq(decode(msg), -EAGAIN);
    cr_expect_eq(pkt.type, SIO_PACKET_BINARY_EVENT);
    cr_expect_eq(pkt.attachments, 1);
    cr_assert_eq(sio_packet_add_attachment(&pkt, "\x01\x02\x03", 3), 0);
    cr_assert_eq(pkt.nbins, 1);
    cr_expect_eq(pkt.bins[0]->len, 3);
    cr_expect_eq(memcmp(pkt.bins[0]->data, "\x01\x02\x03", 3), 0);
    size_t num = 99;
    cr_expect(sio_placeholder_num(json_array_get(pkt.data, 1), &num));
    cr_expect_eq(num, 0);
}

Test(sio_packet, reassembles_two_attachments_with_namespace_and_ack)
{
    const char msg[] = "62-/admin,456[{\"_placeholder\":true,\"num\":1},"
                       "{\"x\":[{\"_placeholder\":true,\"num\":0}]}]";
    cr_assert_eq(decode(msg), -EAGAIN);
    cr_expect_eq(pkt.type, SIO_PACKET_BINARY_ACK);
    cr_expect_str_eq(pkt.nsp, "/admin");
    cr_expect_eq(pkt.ack_id, 456);
    cr_assert_eq(sio_packet_add_attachment(&pkt, "a", 1), -EAGAIN);
    cr_assert_eq(sio_packet_add_attachment(&pkt, "", 0), 0);
    cr_expect_eq(pkt.bins[1]->len, 0);
}

Test(sio_packet, refuses_placeholder_out_of_range)
{
    cr_assert_eq(decode("51-[\"file\",{\"_placeholder\":true,\"num\":1}]"), -EAGAIN);
    cr_assert_eq(sio_packet_add_attachment(&pkt, "a", 1), -EBADMSG);
    cr_expect_null(pkt.data);
    cr_expect_null(pkt.bins);
}

Test(sio_packet, refuses_bad_placeholders)
{
    const char *bad[] = {
        "51-[\"f\",{\"_placeholder\":true,\"num\":-1}]",
        "51-[\"f\",{\"_placeholder\":true,\"num\":\"0\"}]",
        "51-[\"f\",{\"_placeholder\":true}]",
        "51-[\"f\",{\"_placeholder\":true,\"num\":0.5}]",
        "51-[\"f\",{\"a\":{\"b\":[{\"_placeholder\":true,\"num\":3}]}}]",
    };
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        cr_assert_eq(decode(bad[i]), -EAGAIN, "%s", bad[i]);
        cr_expect_eq(sio_packet_add_attachment(&pkt, "a", 1), -EBADMSG, "%s", bad[i]);
        sio_packet_dispose(&pkt);
    }
}

Test(sio_packet, placeholder_false_is_plain_object)
{
    cr_assert_eq(decode("51-[\"f\",{\"_placeholder\":false,\"num\":7}]"), -EAGAIN);
    cr_expect_eq(sio_packet_add_attachment(&pkt, "a", 1), 0);
}

Test(sio_packet, attachment_without_binary_packet_is_refused)
{
    cr_assert_eq(decode("2[\"a\"]"), 0);
    cr_expect_eq(sio_packet_add_attachment(&pkt, "a", 1), -EBADMSG);
}

Test(sio_packet, attachment_limit)
{
    cr_expect_eq(decode("510-[\"a\"]"), -EAGAIN);
    sio_packet_dispose(&pkt);
    cr_expect_eq(decode("511-[\"a\"]"), -EBADMSG);
    cr_expect_eq(decode("599999999999999999999999-[\"a\"]"), -EBADMSG);
    cr_expect_eq(sio_packet_decode(&pkt, "53-[\"a\"]", 8, 2), -EBADMSG);
}

Test(sio_packet, refuses_malformed)
{
    const char *bad[] = {
        "7",                        /* unknown type */
        "9[\"a\"]",                 /* unknown type */
        "a",                        /* not a type */
        "-1",                       /* not a type */
        "2[\"a\"",                  /* truncated JSON */
        "2{\"a\":1}",               /* EVENT needs an array */
        "2[]",                      /* EVENT needs a name */
        "2[null]",                  /* name neither string nor number */
        "2[{}]",                    /* name neither string nor number */
        "2[\"connect\"]",           /* reserved */
        "2[\"disconnect\",1]",      /* reserved */
        "2[\"disconnecting\"]",     /* reserved */
        "2[\"connect_error\"]",     /* reserved */
        "2[\"newListener\"]",       /* reserved */
        "2[\"removeListener\"]",    /* reserved */
        "2\"hello\"",               /* EVENT needs an array */
        "3{}",                      /* ACK needs an array */
        "3\"ok\"",                  /* ACK needs an array */
        "0[]",                      /* CONNECT needs an object */
        "0\"x\"",                   /* CONNECT needs an object */
        "0null",                    /* CONNECT needs an object */
        "1{}",                      /* DISCONNECT takes no data */
        "1/admin,{}",               /* DISCONNECT takes no data */
        "4[]",                      /* CONNECT_ERROR: object or string */
        "41",                       /* CONNECT_ERROR: 1 is an ack id, then nothing */
        "5[\"a\"]",                 /* no attachment count */
        "5-[\"a\"]",                /* empty count */
        "50-[\"a\"]",               /* zero attachments */
        "5x-[\"a\"]",               /* not a number */
        "51[\"a\"]",                /* missing '-' */
        "51-",                      /* ok header; no data is fine -> see below */
        "2[\"a\"] x",               /* trailing garbage */
        "21234567890123456[\"a\"]", /* ack id too long */
        "2/admin,[\"a\"",           /* truncated */
        "6-1[\"a\"]",               /* bad count */
        "2[\"a\",1e999]",           /* overflow */
    };
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        int rc = decode(bad[i]);
        if (strcmp(bad[i], "41") == 0) {
            /* "41" decodes (CONNECT_ERROR with ack id 1, no data), as in socket.io-parser */
            cr_expect_eq(rc, 0);
        } else if (strcmp(bad[i], "51-") == 0) {
            cr_expect_eq(rc, -EAGAIN);
        } else {
            cr_expect_eq(rc, -EBADMSG, "accepted %s", bad[i]);
            cr_expect_null(pkt.nsp);
            cr_expect_null(pkt.data);
        }
        sio_packet_dispose(&pkt);
    }
}

Test(sio_packet, data_absent_is_accepted_for_event_and_ack)
{
    cr_expect_eq(decode("2"), 0);
    sio_packet_dispose(&pkt);
    cr_expect_eq(decode("31"), 0);
    cr_expect_eq(pkt.ack_id, 1);
}

Test(sio_packet, integers_beyond_int64_become_reals)
{
    cr_assert_eq(decode("2[\"big\",123456789012345678901,-99999999999999999999]"), 0);
    cr_expect(json_is_real(json_array_get(pkt.data, 1)));
    cr_expect_eq(json_real_value(json_array_get(pkt.data, 1)), 123456789012345678901.0);
    cr_expect_eq(json_real_value(json_array_get(pkt.data, 2)), -99999999999999999999.0);
}

Test(sio_packet, decodes_nul_in_strings)
{
    cr_assert_eq(decode("2[\"a\",\"x\\u0000y\"]"), 0);
    cr_expect_eq(json_string_length(json_array_get(pkt.data, 1)), 3);
}

Test(sio_packet, encodes_spec_examples)
{
    json_t *d = json_pack("[si]", "hello", 1);
    cr_assert_eq(sio_packet_encode(&out, SIO_PACKET_EVENT, "/", -1, d, 0), 0);
    cr_expect_str_eq(out.base, "2[\"hello\",1]");
    json_decref(d);
    buf_dispose(&out);

    d = json_pack("[s]", "hello");
    cr_assert_eq(sio_packet_encode(&out, SIO_PACKET_EVENT, "/admin", -1, d, 0), 0);
    cr_expect_str_eq(out.base, "2/admin,[\"hello\"]");
    buf_dispose(&out);
    cr_assert_eq(sio_packet_encode(&out, SIO_PACKET_EVENT, NULL, 12, d, 0), 0);
    cr_expect_str_eq(out.base, "212[\"hello\"]");
    json_decref(d);
    buf_dispose(&out);

    d = json_pack("[s]", "ok");
    cr_assert_eq(sio_packet_encode(&out, SIO_PACKET_ACK, "/", 12, d, 0), 0);
    cr_expect_str_eq(out.base, "312[\"ok\"]");
    json_decref(d);
    buf_dispose(&out);

    d = json_pack("[so]", "file", sio_placeholder_new(0));
    cr_assert_eq(sio_packet_encode(&out, SIO_PACKET_EVENT, "/", -1, d, 1), 0);
    cr_expect_str_eq(out.base, "51-[\"file\",{\"_placeholder\":true,\"num\":0}]");
    json_decref(d);
    buf_dispose(&out);
}

Test(sio_packet, encodes_connect_and_errors)
{
    json_t *d = json_pack("{ss}", "sid", "abc");
    cr_assert_eq(sio_packet_encode(&out, SIO_PACKET_CONNECT, "/", -1, d, 0), 0);
    cr_expect_str_eq(out.base, "0{\"sid\":\"abc\"}");
    json_decref(d);
    buf_dispose(&out);

    d = json_pack("{ss}", "message", "Invalid namespace");
    cr_assert_eq(sio_packet_encode(&out, SIO_PACKET_CONNECT_ERROR, "/x", -1, d, 0), 0);
    cr_expect_str_eq(out.base, "4/x,{\"message\":\"Invalid namespace\"}");
    json_decref(d);
    buf_dispose(&out);

    d = json_string("nope");
    cr_assert_eq(sio_packet_encode(&out, SIO_PACKET_CONNECT_ERROR, "/", -1, d, 0), 0);
    cr_expect_str_eq(out.base, "4\"nope\"");
    json_decref(d);
    buf_dispose(&out);

    cr_assert_eq(sio_packet_encode(&out, SIO_PACKET_CONNECT, "/nsp", -1, NULL, 0), 0);
    cr_expect_str_eq(out.base, "0/nsp,");
    buf_dispose(&out);
    cr_assert_eq(sio_packet_encode(&out, SIO_PACKET_DISCONNECT, "/", -1, NULL, 0), 0);
    cr_expect_str_eq(out.base, "1");
}

Test(sio_packet, encode_refuses_comma_in_namespace)
{
    buf_append_str(&out, "keep");
    cr_expect_eq(sio_packet_encode(&out, SIO_PACKET_DISCONNECT, "/a,b", -1, NULL, 0), -EINVAL);
    cr_expect_str_eq(out.base, "keep");
    cr_expect_null(sio_packet_encode_blob(SIO_PACKET_DISCONNECT, "/a,b", -1, NULL, 0));
}

Test(sio_packet, round_trip_binary_ack)
{
    json_t *d = json_pack("[o]", sio_placeholder_new(0));
    blob_t *b = sio_packet_encode_blob(SIO_PACKET_ACK, "/a", 7, d, 1);
    json_decref(d);
    cr_assert_not_null(b);
    cr_expect_str_eq(b->data, "61-/a,7[{\"_placeholder\":true,\"num\":0}]");
    cr_assert_eq(sio_packet_decode(&pkt, b->data, b->len, 10), -EAGAIN);
    cr_expect_eq(pkt.ack_id, 7);
    cr_expect_eq(sio_packet_add_attachment(&pkt, "zz", 2), 0);
    blob_unref(b);
}

Test(sio_packet, placeholders_shift_only_valid_ones)
{
    json_t *d = json_pack("[o,{s:o},o]", sio_placeholder_new(0), "k", sio_placeholder_new(1),
                          sio_placeholder_new(5));
    sio_placeholders_shift(d, 2, 10);
    expect_json(d, "[{\"_placeholder\":true,\"num\":10},{\"k\":{\"_placeholder\":true,\"num\":11}},"
                   "{\"_placeholder\":true,\"num\":5}]");
    json_decref(d);
}

Test(sio_packet, unicode_is_not_escaped)
{
    json_t *d = json_pack("[ss]", "m", "h\xc3\xa9/\n");
    cr_assert_eq(sio_packet_encode(&out, SIO_PACKET_EVENT, "/", -1, d, 0), 0);
    cr_expect_str_eq(out.base, "2[\"m\",\"h\xc3\xa9/\\n\"]");
    json_decref(d);
}

/* JSON.stringify("cut \ud83d") keeps the lone surrogate as an escape; JavaScript reads it back,
 * jansson refuses it: it becomes U+FFFD instead of closing the connection. */
Test(sio_packet, lone_surrogate_escapes_become_replacement_characters)
{
    cr_assert_eq(decode("2[\"m\",\"cut \\ud83d\",\"\\uDE00x\",\"\\\\ud83d\"]"), 0);
    cr_expect_str_eq(json_string_value(json_array_get(pkt.data, 1)), "cut \xEF\xBF\xBD");
    cr_expect_str_eq(json_string_value(json_array_get(pkt.data, 2)), "\xEF\xBF\xBDx");
    /* an escaped backslash followed by "ud83d" is plain text */
    cr_expect_str_eq(json_string_value(json_array_get(pkt.data, 3)), "\\ud83d");
}

Test(sio_packet, surrogate_pairs_stay_intact)
{
    cr_assert_eq(decode("2[\"m\",\"\\ud83d\\ude00\"]"), 0);
    cr_expect_str_eq(json_string_value(json_array_get(pkt.data, 1)), "\xF0\x9F\x98\x80");
}

Test(sio_packet, invalid_json_with_a_surrogate_escape_is_still_refused)
{
    cr_expect_eq(decode("2[\"m\",\"\\ud83d]"), -EBADMSG);
}
