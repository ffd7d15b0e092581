/* test_wa_wire.c - the WhatsApp Cloud API's wire format (src/channels/wa_wire.c) with bodies in
 * Meta's documented shapes: the webhook signature (good, tampered, malformed, absent), every
 * inbound type turned into the desk's text, statuses with their error, the rating list reply,
 * envelopes that are not Meta's, the send bodies and the reading of send answers. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "src/channels/wa_wire.h"
#include "tests/support/leakcheck.h"

static void teardown(void)
{
    sioc_check_leaks();
}
TestSuite(wa_wire, .fini = teardown);

#define SECRET "app-secret-0123456789abcdef"

Test(wa_wire, signature_of_the_raw_body_in_constant_time)
{
    const char body[] = "{\"object\":\"whatsapp_business_account\",\"entry\":[]}";
    char sig[72];
    wa_signature_make(SECRET, body, strlen(body), sig);
    cr_assert_eq(strncmp(sig, "sha256=", 7), 0);
    cr_expect_eq(wa_signature_check(SECRET, body, strlen(body), sig, strlen(sig)), 0);
    cr_expect_eq(wa_signature_check("other", body, strlen(body), sig, strlen(sig)), -EPERM);
    cr_expect_eq(wa_signature_check(SECRET, body, strlen(body) - 1, sig, strlen(sig)), -EPERM);
    cr_expect_eq(wa_signature_check(SECRET, body, strlen(body), NULL, 0), -ENOENT);
    cr_expect_eq(wa_signature_check(SECRET, body, strlen(body), sig, 70), -EBADMSG);
    cr_expect_eq(wa_signature_check(SECRET, body, strlen(body), "sha1=abc", 8), -EBADMSG);
    sig[10] = 'z';
    cr_expect_eq(wa_signature_check(SECRET, body, strlen(body), sig, strlen(sig)), -EBADMSG);
    /* upper-case hex is the same MAC */
    wa_signature_make(SECRET, body, strlen(body), sig);
    for (char *p = sig + 7; *p; p++)
        if (*p >= 'a' && *p <= 'f')
            *p = (char)(*p - 32);
    cr_expect_eq(wa_signature_check(SECRET, body, strlen(body), sig, strlen(sig)), 0);
}

typedef struct st_got_t {
    int n;
    char body[8][256];
    char id[8][64];
    char name[8][64];
    char status[8][16];
    int64_t code[8];
    int rating[8];
    int64_t rating_service[8];
    char media[8][32];
} got_t;

static void collect(const wa_event_t *ev, void *data)
{
    got_t *g = data;
    if (g->n >= 8)
        return;
    snprintf(g->body[g->n], 256, "%.200s", ev->body);
    snprintf(g->id[g->n], 64, "%s", ev->id);
    snprintf(g->name[g->n], 64, "%s", ev->name != NULL ? ev->name : "");
    snprintf(g->status[g->n], 16, "%s", ev->status != NULL ? ev->status : "");
    snprintf(g->media[g->n], 32, "%s", ev->media_id != NULL ? ev->media_id : "");
    g->code[g->n] = ev->error_code;
    g->rating[g->n] = ev->rating;
    g->rating_service[g->n] = ev->rating_service;
    g->n++;
}

#define ENV(value)                                                                                 \
    "{\"object\":\"whatsapp_business_account\",\"entry\":[{\"id\":\"102290129340398\","            \
    "\"changes\":[{\"value\":{\"messaging_product\":\"whatsapp\",\"metadata\":{"                   \
    "\"display_phone_number\":\"15550783881\",\"phone_number_id\":\"106540352242922\"}," value     \
    "},\"field\":\"messages\"}]}]}"
#define CONTACT                                                                                    \
    "\"contacts\":[{\"profile\":{\"name\":\"Sheena Nelson\"},\"wa_id\":\"16505551234\"}],"
#define MSG(type, obj)                                                                             \
    "{\"from\":\"16505551234\",\"id\":\"wamid.A" type "\",\"timestamp\":\"1749416383\","           \
    "\"type\":\"" type "\",\"" type "\":" obj "}"

Test(wa_wire, every_inbound_type_becomes_one_line_for_the_desk)
{
    static const char body[] = ENV(CONTACT "\"messages\":[" MSG(
        "text",
        "{\"body\":\"Does it come in another "
        "color?\"}") "," MSG("image",
                             "{\"caption\":"
                             "\"part\","
                             "\"mime_type\":"
                             "\"image/"
                             "jpeg\",\"id\":"
                             "\"1003383421387"
                             "256\"}") "," MSG("audio",
                                               "{\"mime_type\":\"audio/"
                                               "ogg\",\"id\":\"77\",\"voice\":"
                                               "true}") "," MSG("document",
                                                                "{\"filename\":\"a."
                                                                "pdf\",\"id\":"
                                                                "\"78\"}") "," MSG("location",
                                                                                   "{\"latitude\":"
                                                                                   "1.5,"
                                                                                   "\"longitude\":-"
                                                                                   "2,\"name\":"
                                                                                   "\"Shop\"}") "," MSG("interac"
                                                                                                        "tive",
                                                                                                        "{\"type"
                                                                                                        "\":"
                                                                                                        "\"list_"
                                                                                                        "reply\""
                                                                                                        ",\"list"
                                                                                                        "_reply"
                                                                                                        "\":{"
                                                                                                        "\"id\":"
                                                                                                        "\"rate:"
                                                                                                        "42:4\","
                                                                                                        "\"title"
                                                                                                        "\":"
                                                                                                        "\"4\"}"
                                                                                                        "}") "," MSG("contacts",
                                                                                                                     "[]") "," MSG("reaction",
                                                                                                                                   "{\"message_id\":\"wamid.X\",\"emoji\":\"\\u2764\"}") "]");
    got_t g = {0};
    cr_assert_eq(wa_webhook_parse(body, strlen(body), "106540352242922", collect, &g), 8);
    cr_expect_str_eq(g.body[0], "Does it come in another color?");
    cr_expect_str_eq(g.name[0], "Sheena Nelson");
    cr_expect_str_eq(g.id[0], "wamid.Atext");
    cr_expect_str_eq(g.body[1], "[image] part");
    cr_expect_str_eq(g.media[1], "1003383421387256");
    cr_expect_str_eq(g.body[2], "[voice message]");
    cr_expect_str_eq(g.body[3], "[document: a.pdf]");
    cr_expect_str_eq(g.body[4], "[location] Shop (1.500000, -2.000000)");
    cr_expect_eq(g.rating[5], 4);
    cr_expect_eq(g.rating_service[5], 42);
    cr_expect_str_eq(g.body[6], "[contact]");
    cr_expect_str_eq(g.body[7], "[reaction] \xe2\x9d\xa4");
}

Test(wa_wire, statuses_with_their_error_and_other_numbers_skipped)
{
    static const char body[] =
        ENV("\"statuses\":[{\"id\":\"wamid.S1\",\"status\":\"failed\",\"timestamp\":\"1\","
            "\"recipient_id\":\"16505551234\",\"errors\":[{\"code\":131047,\"title\":"
            "\"Re-engagement message\"}]},{\"id\":\"wamid.S2\",\"status\":\"read\"}]");
    got_t g = {0};
    cr_assert_eq(wa_webhook_parse(body, strlen(body), NULL, collect, &g), 2);
    cr_expect_str_eq(g.status[0], "failed");
    cr_expect_eq(g.code[0], 131047);
    cr_expect_str_eq(g.status[1], "read");
    cr_expect_eq(wa_webhook_parse(body, strlen(body), "999", collect, &g), 0, "another number");
}

Test(wa_wire, account_level_errors_are_events)
{
    static const char body[] = ENV("\"errors\":[{\"code\":130429,\"title\":\"Rate limit hit\","
                                   "\"message\":\"m\",\"error_data\":{\"details\":\"d\"}}]");
    got_t g = {0};
    cr_assert_eq(wa_webhook_parse(body, strlen(body), NULL, collect, &g), 1);
    cr_expect_eq(g.code[0], 130429);
    cr_expect_str_eq(g.id[0], "");
}

Test(wa_wire, refuses_what_is_not_an_envelope_and_skips_bad_items)
{
    got_t g = {0};
    cr_expect_eq(wa_webhook_parse("{", 1, NULL, collect, &g), -EBADMSG);
    cr_expect_eq(wa_webhook_parse("[]", 2, NULL, collect, &g), -EBADMSG);
    const char page[] = "{\"object\":\"page\",\"entry\":[]}";
    cr_expect_eq(wa_webhook_parse(page, strlen(page), NULL, collect, &g), -EBADMSG);
    const char dup[] = "{\"object\":\"whatsapp_business_account\",\"object\":\"x\",\"entry\":[]}";
    cr_expect_eq(wa_webhook_parse(dup, strlen(dup), NULL, collect, &g), -EBADMSG);
    static const char bad[] = ENV("\"messages\":[{\"id\":\"\",\"from\":\"1\",\"type\":\"text\"},"
                                  "{\"id\":\"w 1\",\"from\":\"1\",\"type\":\"text\"},7,"
                                  "{\"id\":\"w2\",\"from\":\"1\",\"type\":\"text\",\"text\":5}]");
    cr_expect_eq(wa_webhook_parse(bad, strlen(bad), NULL, collect, &g), 1);
    cr_expect_str_eq(g.body[0], "[text]", "a text without a body says so");
}

static void keep_event(const wa_event_t *ev, void *data)
{
    memcpy(data, ev, sizeof(*ev));
}

Test(wa_wire, long_text_is_cut_on_a_character_boundary)
{
    size_t n = 5000;
    char *text = malloc(n * 3 + 1);
    for (size_t i = 0; i < n; i++)
        memcpy(text + 3 * i, "\xe2\x82\xac", 3); /* the euro sign */
    text[n * 3] = '\0';
    char *body = malloc(n * 3 + 1024);
    snprintf(body, n * 3 + 1024,
             ENV("\"messages\":[{\"id\":\"w\",\"from\":\"1\",\"type\":\"text\","
                 "\"text\":{\"body\":\"%s\"}}]"),
             text);
    wa_event_t *seen = calloc(1, sizeof(*seen));
    cr_assert_eq(wa_webhook_parse(body, strlen(body), NULL, keep_event, seen), 1);
    cr_expect_eq(strlen(seen->body), (size_t)WA_BODY_MAX * 3, "4000 characters of 3 bytes");
    free(text);
    free(body);
    free(seen);
}

Test(wa_wire, send_bodies_in_the_graph_api_shape)
{
    char *t = wa_body_text("16505551234", "Hi \"there\"", "sioc:7");
    cr_expect_str_eq(t,
                     "{\"messaging_product\":\"whatsapp\",\"recipient_type\":\"individual\","
                     "\"to\":\"16505551234\",\"type\":\"text\",\"biz_opaque_callback_data\":"
                     "\"sioc:7\",\"text\":{\"preview_url\":false,\"body\":\"Hi \\\"there\\\"\"}}");
    free(t);
    char *tp = wa_body_template("1", "hello_world", NULL, NULL);
    cr_expect(
        strstr(tp, "\"template\":{\"name\":\"hello_world\",\"language\":{\"code\":\"en_US\"}}") !=
        NULL);
    free(tp);
    char *r = wa_body_rating("1", 42, "sioc-outbox:9");
    json_t *o = json_loads(r, 0, NULL);
    json_t *rows = json_object_get(
        json_array_get(json_object_get(json_object_get(json_object_get(o, "interactive"), "action"),
                                       "sections"),
                       0),
        "rows");
    cr_assert_eq(json_array_size(rows), 5);
    int64_t svc = 0;
    int rating = 0;
    cr_expect(wa_rating_parse(json_string_value(json_object_get(json_array_get(rows, 0), "id")),
                              &svc, &rating));
    cr_expect_eq(svc, 42);
    cr_expect_eq(rating, 5);
    cr_expect_str_eq(json_string_value(json_object_get(o, "biz_opaque_callback_data")),
                     "sioc-outbox:9");
    json_decref(o);
    free(r);
}

Test(wa_wire, media_bodies_for_the_attachment_store)
{
    char *d = wa_body_media("1", "document", "555", "the invoice", "a.pdf", NULL);
    cr_expect(strstr(d, "\"type\":\"document\",\"document\":{\"id\":\"555\",\"caption\":\"the "
                        "invoice\",\"filename\":\"a.pdf\"}") != NULL,
              "%s", d);
    free(d);
    char *a = wa_body_media("1", "audio", "556", "no caption on audio", NULL, NULL);
    cr_expect(strstr(a, "\"audio\":{\"id\":\"556\"}") != NULL, "%s", a);
    free(a);
}

Test(wa_wire, rating_ids_are_strict)
{
    int64_t s;
    int r;
    cr_expect(wa_rating_parse("rate:1:1", &s, &r));
    cr_expect_not(wa_rating_parse("rate:1:6", &s, &r));
    cr_expect_not(wa_rating_parse("rate:0:3", &s, &r));
    cr_expect_not(wa_rating_parse("rate:-1:3", &s, &r));
    cr_expect_not(wa_rating_parse("rate:+1:3", &s, &r));
    cr_expect_not(wa_rating_parse("rate:1:33", &s, &r));
    cr_expect_not(wa_rating_parse("rate::3", &s, &r));
    cr_expect_not(wa_rating_parse("opt-2", &s, &r));
}

Test(wa_wire, send_answers_ok_retried_or_final)
{
    char id[64], err[256];
    const char ok[] = "{\"messaging_product\":\"whatsapp\",\"contacts\":[{\"input\":\"1\","
                      "\"wa_id\":\"1\"}],\"messages\":[{\"id\":\"wamid.HBgL\"}]}";
    cr_expect_eq(wa_send_result(200, ok, strlen(ok), id, sizeof(id), err, sizeof(err)), WA_SEND_OK);
    cr_expect_str_eq(id, "wamid.HBgL");
    const char e500[] =
        "{\"error\":{\"message\":\"Something went wrong\",\"type\":\"OAuthException\","
        "\"code\":131000,\"fbtrace_id\":\"A\"}}";
    cr_expect_eq(wa_send_result(500, e500, strlen(e500), id, sizeof(id), err, sizeof(err)),
                 WA_SEND_RETRY);
    cr_expect_str_eq(err, "HTTP 500 (#131000) Something went wrong");
    cr_expect_eq(wa_send_result(400, e500, strlen(e500), id, sizeof(id), err, sizeof(err)),
                 WA_SEND_RETRY, "a transient code");
    const char e400[] =
        "{\"error\":{\"message\":\"(#131026) Message undeliverable\",\"code\":131026}}";
    cr_expect_eq(wa_send_result(400, e400, strlen(e400), id, sizeof(id), err, sizeof(err)),
                 WA_SEND_REJECTED);
    cr_expect_eq(wa_send_result(429, "", 0, id, sizeof(id), err, sizeof(err)), WA_SEND_RETRY);
    cr_expect_eq(wa_send_result(0, "", 0, id, sizeof(id), err, sizeof(err)), WA_SEND_RETRY);
    cr_expect_eq(wa_send_result(200, "{}", 2, id, sizeof(id), err, sizeof(err)), WA_SEND_REJECTED,
                 "accepted without an id: never retried");
    cr_expect_eq(wa_send_result(401, "<html>", 6, id, sizeof(id), err, sizeof(err)),
                 WA_SEND_REJECTED);
}

Test(wa_wire, read_receipts_and_typing_in_the_graph_api_shape)
{
    char *r = wa_body_read("wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBJDQjZCMzlEQUE4OTJBMTE4RTUA");
    cr_expect_str_eq(r, "{\"messaging_product\":\"whatsapp\",\"status\":\"read\",\"message_id\":"
                        "\"wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBJDQjZCMzlEQUE4OTJBMTE4RTUA\"}");
    free(r);
    char *t = wa_body_typing("wamid.X\"Y");
    cr_expect_str_eq(t, "{\"messaging_product\":\"whatsapp\",\"status\":\"read\",\"message_id\":"
                        "\"wamid.X\\\"Y\",\"typing_indicator\":{\"type\":\"text\"}}");
    free(t);
}

Test(wa_wire, status_answers_ok_retried_or_final)
{
    char err[256];
    const char ok[] = "{\"success\":true}";
    cr_expect_eq(wa_status_result(200, ok, strlen(ok), err, sizeof(err)), WA_SEND_OK);
    cr_expect_str_eq(err, "");
    const char no[] = "{\"success\":false}";
    cr_expect_eq(wa_status_result(200, no, strlen(no), err, sizeof(err)), WA_SEND_REJECTED);
    const char sent[] = "{\"messages\":[{\"id\":\"wamid.HBgL\"}]}";
    cr_expect_eq(wa_status_result(200, sent, strlen(sent), err, sizeof(err)), WA_SEND_REJECTED,
                 "a send's answer is not a status update's");
    const char e500[] = "{\"error\":{\"message\":\"Something went wrong\",\"code\":131000}}";
    cr_expect_eq(wa_status_result(500, e500, strlen(e500), err, sizeof(err)), WA_SEND_RETRY);
    cr_expect_str_eq(err, "HTTP 500 (#131000) Something went wrong");
    const char e400[] = "{\"error\":{\"message\":\"(#100) Invalid parameter\",\"code\":100}}";
    cr_expect_eq(wa_status_result(400, e400, strlen(e400), err, sizeof(err)), WA_SEND_REJECTED);
    cr_expect_eq(wa_status_result(0, "", 0, err, sizeof(err)), WA_SEND_RETRY);
}
