/* test_verify.c - the server's decisions that need no network (engineio/request.c, http.c):
 * every verify() error of the reference server, the open packet, CORS origin matching,
 * Accept-Encoding negotiation, header validation, the error bodies. */
#include <criterion/criterion.h>
#include <string.h>

#include "engineio/internal.h"
#include "tests/support/leakcheck.h"

static eio_config_t conf;
static eio_req_info_t ri;
static eio_socket_t sock;

static void setup(void)
{
    eio_config_init(&conf);
    memset(&ri, 0, sizeof(ri));
    ri.is_get = true;
    ri.transport = EIO_TRANSPORT_POLLING;
    ri.protocol = 4;
    memset(&sock, 0, sizeof(sock));
    sock.protocol = 4;
    sock.transport = EIO_TRANSPORT_KIND_POLLING;
}

static void teardown(void)
{
    sioc_check_leaks();
}

TestSuite(eio_verify, .init = setup, .fini = teardown);

Test(eio_verify, accepts_a_polling_handshake)
{
    cr_expect_eq(eio__verify(&conf, &ri, NULL), -1);
}

Test(eio_verify, unknown_or_disabled_transport_is_code_0)
{
    ri.transport = 0;
    cr_expect_eq(eio__verify(&conf, &ri, NULL), EIO_ERR_UNKNOWN_TRANSPORT);
    ri.transport = EIO_TRANSPORT_WEBSOCKET;
    ri.upgrade = true;
    conf.transports = EIO_TRANSPORT_POLLING;
    cr_expect_eq(eio__verify(&conf, &ri, NULL), EIO_ERR_UNKNOWN_TRANSPORT);
}

Test(eio_verify, transport_is_checked_before_protocol)
{
    ri.transport = 0;
    ri.protocol = 3;
    cr_expect_eq(eio__verify(&conf, &ri, NULL), EIO_ERR_UNKNOWN_TRANSPORT);
}

Test(eio_verify, invalid_origin_is_code_3)
{
    ri.origin_invalid = true;
    cr_expect_eq(eio__verify(&conf, &ri, NULL), EIO_ERR_BAD_REQUEST);
}

Test(eio_verify, unknown_sid_is_code_1)
{
    ri.has_sid = true;
    cr_expect_eq(eio__verify(&conf, &ri, NULL), EIO_ERR_UNKNOWN_SID);
    ri.is_get = false;
    cr_expect_eq(eio__verify(&conf, &ri, NULL), EIO_ERR_UNKNOWN_SID);
}

Test(eio_verify, known_sid_same_transport_passes)
{
    ri.has_sid = true;
    cr_expect_eq(eio__verify(&conf, &ri, &sock), -1);
    ri.is_get = false; /* POST */
    cr_expect_eq(eio__verify(&conf, &ri, &sock), -1);
}

Test(eio_verify, transport_mismatch_is_code_3)
{
    ri.has_sid = true;
    sock.transport = EIO_TRANSPORT_KIND_WEBSOCKET; /* upgraded: polling is refused */
    cr_expect_eq(eio__verify(&conf, &ri, &sock), EIO_ERR_BAD_REQUEST);
}

Test(eio_verify, protocol_mismatch_is_code_3)
{
    ri.has_sid = true;
    ri.protocol = 3;
    cr_expect_eq(eio__verify(&conf, &ri, &sock), EIO_ERR_BAD_REQUEST);
}

Test(eio_verify, websocket_upgrade_of_a_polling_session_passes)
{
    ri.has_sid = true;
    ri.upgrade = true;
    ri.transport = EIO_TRANSPORT_WEBSOCKET;
    cr_expect_eq(eio__verify(&conf, &ri, &sock), -1);
    ri.transport = EIO_TRANSPORT_POLLING;
    cr_expect_eq(eio__verify(&conf, &ri, &sock), EIO_ERR_BAD_REQUEST);
}

Test(eio_verify, handshake_must_be_get)
{
    ri.is_get = false;
    cr_expect_eq(eio__verify(&conf, &ri, NULL), EIO_ERR_BAD_HANDSHAKE_METHOD);
}

Test(eio_verify, websocket_handshake_without_upgrade_is_code_3)
{
    ri.transport = EIO_TRANSPORT_WEBSOCKET;
    cr_expect_eq(eio__verify(&conf, &ri, NULL), EIO_ERR_BAD_REQUEST);
    ri.upgrade = true;
    cr_expect_eq(eio__verify(&conf, &ri, NULL), -1);
}

Test(eio_verify, eio3_needs_allow_eio3)
{
    ri.protocol = 3;
    cr_expect_eq(eio__verify(&conf, &ri, NULL), EIO_ERR_UNSUPPORTED_PROTOCOL_VERSION);
    conf.allow_eio3 = true;
    cr_expect_eq(eio__verify(&conf, &ri, NULL), -1);
}

Test(eio_verify, open_packet_has_exactly_the_reference_keys)
{
    blob_t *b = eio__open_packet_json(&conf, "abcdefghijklmnopqrst", EIO_TRANSPORT_KIND_POLLING);
    cr_expect_str_eq(b->data,
                     "{\"sid\":\"abcdefghijklmnopqrst\",\"upgrades\":[\"websocket\"],"
                     "\"pingInterval\":25000,\"pingTimeout\":20000,\"maxPayload\":1000000}");
    blob_unref(b);
    b = eio__open_packet_json(&conf, "s", EIO_TRANSPORT_KIND_WEBSOCKET);
    cr_expect_str_eq(b->data, "{\"sid\":\"s\",\"upgrades\":[],\"pingInterval\":25000,"
                              "\"pingTimeout\":20000,\"maxPayload\":1000000}");
    blob_unref(b);
    conf.allow_upgrades = false;
    b = eio__open_packet_json(&conf, "s", EIO_TRANSPORT_KIND_POLLING);
    cr_expect(strstr(b->data, "\"upgrades\":[]") != NULL);
    blob_unref(b);
    conf.allow_upgrades = true;
    conf.transports = EIO_TRANSPORT_POLLING;
    b = eio__open_packet_json(&conf, "s", EIO_TRANSPORT_KIND_POLLING);
    cr_expect(strstr(b->data, "\"upgrades\":[]") != NULL);
    blob_unref(b);
}

Test(eio_verify, error_messages_match_the_reference)
{
    cr_expect_str_eq(eio__error_message(EIO_ERR_UNKNOWN_TRANSPORT), "Transport unknown");
    cr_expect_str_eq(eio__error_message(EIO_ERR_UNKNOWN_SID), "Session ID unknown");
    cr_expect_str_eq(eio__error_message(EIO_ERR_BAD_HANDSHAKE_METHOD), "Bad handshake method");
    cr_expect_str_eq(eio__error_message(EIO_ERR_BAD_REQUEST), "Bad request");
    cr_expect_str_eq(eio__error_message(EIO_ERR_FORBIDDEN), "Forbidden");
    cr_expect_str_eq(eio__error_message(EIO_ERR_UNSUPPORTED_PROTOCOL_VERSION),
                     "Unsupported protocol version");
}

Test(eio_verify, cors_origin_decisions)
{
    bool vary;
    cr_expect_null(eio__cors_allow_origin(NULL, "http://a", 8, &vary));
    cr_expect_not(vary);
    cr_expect_str_eq(eio__cors_allow_origin("*", "http://a", 8, &vary), "*");
    cr_expect_not(vary);
    cr_expect_str_eq(eio__cors_allow_origin("*", NULL, 0, &vary), "*");
    const char *o = "http://b.com";
    cr_expect_eq(eio__cors_allow_origin("http://a.com, http://b.com", o, strlen(o), &vary), o);
    cr_expect(vary);
    cr_expect_null(eio__cors_allow_origin("http://a.com,http://b.com", "http://c.com", 12, &vary));
    cr_expect(vary);
    cr_expect_null(eio__cors_allow_origin("http://a.com", "http://a.co", 11, &vary));
    cr_expect_null(eio__cors_allow_origin("http://a.com", NULL, 0, &vary));
    cr_expect(vary);
}

static const char *pick(const char *v)
{
    return eio__pick_encoding(v, strlen(v));
}

Test(eio_verify, accept_encoding_negotiation)
{
    cr_expect_str_eq(pick("gzip, deflate, br"), "gzip");
    cr_expect_str_eq(pick("deflate"), "deflate");
    cr_expect_str_eq(pick("br, deflate;q=0.5"), "deflate");
    cr_expect_str_eq(pick("gzip;q=0, deflate"), "deflate");
    cr_expect_str_eq(pick("GZIP"), "gzip");
    cr_expect_str_eq(pick("*"), "gzip");
    cr_expect_null(pick("gzip;q=0.000"));
    cr_expect_null(pick("br"));
    cr_expect_null(pick("identity"));
    cr_expect_null(pick(""));
    cr_expect_null(pick(";;,,;q="));
}

Test(eio_verify, header_value_validation)
{
    cr_expect_not(eio__header_value_invalid("http://a.com", 12));
    cr_expect_not(eio__header_value_invalid("a\tb\xc3\xa9", 5));
    cr_expect(eio__header_value_invalid("a\nb", 3));
    cr_expect(eio__header_value_invalid("a\x7f", 2));
    cr_expect(eio__header_value_invalid("a\0", 2));
}

Test(eio_verify, config_defaults_are_the_reference)
{
    cr_expect_str_eq(conf.path, "/socket.io/");
    cr_expect_eq(conf.ping_interval_ms, 25000);
    cr_expect_eq(conf.ping_timeout_ms, 20000);
    cr_expect_eq(conf.upgrade_timeout_ms, 10000);
    cr_expect_eq(conf.max_http_buffer_size, 1000000);
    cr_expect_eq(conf.transports, EIO_TRANSPORT_POLLING | EIO_TRANSPORT_WEBSOCKET);
    cr_expect(conf.allow_upgrades);
    cr_expect_not(conf.allow_eio3);
    cr_expect_eq(conf.compression_threshold, 1024);
    cr_expect_null(conf.cors_origin);
    cr_expect_null(conf.cookie_name);
}
