/* wa_wire.c - the WhatsApp Cloud API's wire format (wa_wire.h). Pure: no I/O, no globals.
 *
 * Webhooks (Meta's "messages" field of the whatsapp_business_account object):
 *   {"object":"whatsapp_business_account","entry":[{"id":WABA,"changes":[{"field":"messages",
 *    "value":{"messaging_product":"whatsapp","metadata":{"phone_number_id":...},
 *     "contacts":[{"profile":{"name":...},"wa_id":...}],
 *     "messages":[{"from":...,"id":"wamid...","timestamp":"...","type":"text","text":{"body":...}}],
 *     "statuses":[{"id":"wamid...","status":"delivered","recipient_id":...,
 *                  "errors":[{"code":131047,"title":...}]}]}}]}]}
 * Every inbound type becomes one line of text for the desk (the media's id and type are kept for
 * the attachment store); a list reply whose id is ours ("rate:<service>:<n>") is a rating.
 *
 * Send answers: {"messaging_product":"whatsapp","contacts":[...],"messages":[{"id":"wamid..."}]}
 * or {"error":{"message","type","code","error_subcode","fbtrace_id"}}. 429, 5xx, no answer and
 * Meta's throttling/transient codes are retried; any other refusal is final. */
#include "src/channels/wa_wire.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sodium.h>

#include "base/base.h"

/* ---- signature ---- */

static void hmac_sha256(const char *secret, const void *body, size_t len, unsigned char out[32])
{
    unsigned int n = 32;
    HMAC(EVP_sha256(), secret, (int)strlen(secret), body, len, out, &n);
}

void wa_signature_make(const char *secret, const void *body, size_t len, char out[72])
{
    static const char hex[] = "0123456789abcdef";
    unsigned char mac[32];
    hmac_sha256(secret, body, len, mac);
    memcpy(out, "sha256=", 7);
    for (int i = 0; i < 32; i++) {
        out[7 + 2 * i] = hex[mac[i] >> 4];
        out[8 + 2 * i] = hex[mac[i] & 15];
    }
    out[71] = '\0';
}

int wa_signature_check(const char *secret, const void *body, size_t len, const char *header,
                       size_t header_len)
{
    unsigned char want[32], got[32];
    if (header == NULL)
        return -ENOENT;
    if (header_len != 71 || strncmp(header, "sha256=", 7) != 0)
        return -EBADMSG;
    size_t n = 0;
    const char *end = NULL;
    if (sodium_hex2bin(got, sizeof(got), header + 7, 64, NULL, &n, &end) != 0 || n != 32 ||
        end != header + 71)
        return -EBADMSG;
    hmac_sha256(secret, body, len, want);
    return CRYPTO_memcmp(want, got, sizeof(want)) == 0 ? 0 : -EPERM;
}

/* ---- webhooks ---- */

static const char *str_of(json_t *obj, const char *key)
{
    const char *s = json_string_value(json_object_get(obj, key));
    return s != NULL ? s : "";
}

/* An id we accept: 1..WA_ID_MAX printable ASCII bytes. */
static bool id_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > WA_ID_MAX)
        return false;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f)
            return false;
    return true;
}

/* Appends `s` to the event body, cutting on a character boundary at WA_BODY_MAX characters. */
static void body_add(wa_event_t *ev, size_t *chars, const char *s)
{
    size_t len = strlen(ev->body);
    for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
        bool lead = (*p & 0xC0) != 0x80;
        if (lead && *chars >= WA_BODY_MAX)
            break;
        if (len + 1 >= sizeof(ev->body))
            break;
        if (lead)
            (*chars)++;
        if ((*p < 0x20 && *p != '\n' && *p != '\t') || *p == 0x7f) /* controls: a space */
            ev->body[len++] = ' ';
        else
            ev->body[len++] = (char)*p;
    }
    ev->body[len] = '\0';
    /* never end inside a sequence */
    while (len > 0 && ((unsigned char)ev->body[len - 1] & 0xC0) == 0x80) {
        size_t start = len - 1;
        while (start > 0 && ((unsigned char)ev->body[start] & 0xC0) == 0x80)
            start--;
        unsigned char lead = (unsigned char)ev->body[start];
        size_t need = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
        if (len - start >= need)
            break;
        len = start;
        ev->body[len] = '\0';
    }
}

static void body_fmt(wa_event_t *ev, size_t *chars, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void body_fmt(wa_event_t *ev, size_t *chars, const char *fmt, ...)
{
    char tmp[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    body_add(ev, chars, tmp);
}

/* "[tag] caption" for a media object. */
static void media(wa_event_t *ev, size_t *chars, json_t *obj, const char *tag)
{
    const char *id = str_of(obj, "id");
    ev->media_id = id_ok(id) ? id : NULL;
    ev->mime_type = str_of(obj, "mime_type");
    const char *file = str_of(obj, "filename"), *caption = str_of(obj, "caption");
    ev->filename = file;
    if (file[0] != '\0') {
        body_fmt(ev, chars, "[%s: ", tag);
        body_add(ev, chars, file);
        body_add(ev, chars, "]");
    } else {
        body_fmt(ev, chars, "[%s]", tag);
    }
    if (caption[0] != '\0') {
        body_add(ev, chars, " ");
        body_add(ev, chars, caption);
    }
}

static void render(wa_event_t *ev, json_t *m)
{
    size_t chars = 0;
    const char *t = ev->type;
    json_t *o = json_object_get(m, t);
    if (strcmp(t, "text") == 0) {
        body_add(ev, &chars, str_of(o, "body"));
    } else if (strcmp(t, "image") == 0 || strcmp(t, "video") == 0 || strcmp(t, "document") == 0 ||
               strcmp(t, "sticker") == 0) {
        media(ev, &chars, o, t);
    } else if (strcmp(t, "audio") == 0) {
        media(ev, &chars, o, json_is_true(json_object_get(o, "voice")) ? "voice message" : "audio");
    } else if (strcmp(t, "location") == 0) {
        const char *name = str_of(o, "name"), *addr = str_of(o, "address");
        body_add(ev, &chars, "[location]");
        if (name[0] != '\0') {
            body_add(ev, &chars, " ");
            body_add(ev, &chars, name);
        }
        if (addr[0] != '\0') {
            body_add(ev, &chars, ", ");
            body_add(ev, &chars, addr);
        }
        body_fmt(ev, &chars, " (%.6f, %.6f)", json_number_value(json_object_get(o, "latitude")),
                 json_number_value(json_object_get(o, "longitude")));
    } else if (strcmp(t, "interactive") == 0) {
        const char *it = str_of(o, "type");
        json_t *r = json_object_get(o, it);
        const char *id = str_of(r, "id");
        if (strcmp(it, "list_reply") == 0 &&
            wa_rating_parse(id, &ev->rating_service, &ev->rating)) {
            body_fmt(ev, &chars, "[rating] %d", ev->rating);
            return;
        }
        body_add(ev, &chars, str_of(r, "title"));
        const char *desc = str_of(r, "description");
        if (desc[0] != '\0') {
            body_add(ev, &chars, " - ");
            body_add(ev, &chars, desc);
        }
        if (ev->body[0] == '\0')
            body_add(ev, &chars, "[interactive reply]");
    } else if (strcmp(t, "button") == 0) { /* a template's quick reply */
        body_add(ev, &chars, str_of(o, "text"));
    } else if (strcmp(t, "contacts") == 0) {
        json_t *c;
        size_t i;
        json_array_foreach(json_object_get(m, "contacts"), i, c)
        {
            body_add(ev, &chars, i == 0 ? "[contact] " : "; ");
            body_add(ev, &chars, str_of(json_object_get(c, "name"), "formatted_name"));
            json_t *ph = json_array_get(json_object_get(c, "phones"), 0);
            if (ph != NULL) {
                body_add(ev, &chars, " ");
                body_add(ev, &chars, str_of(ph, "phone"));
            }
        }
        if (ev->body[0] == '\0')
            body_add(ev, &chars, "[contact]");
    } else if (strcmp(t, "reaction") == 0) {
        body_add(ev, &chars, "[reaction] ");
        body_add(ev, &chars, str_of(o, "emoji"));
    } else {
        body_fmt(ev, &chars, "[unsupported message: %.40s]", t);
    }
    if (ev->body[strspn(ev->body, " \n\t")] == '\0') { /* empty or blank: say what it was */
        ev->body[0] = '\0';
        chars = 0;
        body_fmt(ev, &chars, "[%.40s]", t);
    }
}

static const char *profile_name(json_t *contacts, const char *wa_id)
{
    json_t *c;
    size_t i;
    json_array_foreach(contacts, i, c)
    {
        if (strcmp(str_of(c, "wa_id"), wa_id) == 0)
            return str_of(json_object_get(c, "profile"), "name");
    }
    return str_of(json_object_get(json_array_get(contacts, 0), "profile"), "name");
}

static int64_t timestamp_of(json_t *obj)
{
    const char *ts = json_string_value(json_object_get(obj, "timestamp"));
    return ts != NULL ? strtoll(ts, NULL, 10) : 0;
}

static int change_events(json_t *value, wa_event_cb cb, void *data)
{
    int n = 0;
    json_t *m, *st, *e;
    size_t i;
    json_array_foreach(json_object_get(value, "errors"), i, e)
    {
        wa_event_t *ev = xcalloc(1, sizeof(*ev));
        ev->kind = WA_EVENT_ERROR;
        ev->id = ev->from = ev->name = ev->type = ev->mime_type = ev->status = ev->opaque = "";
        ev->error_code = (int64_t)json_integer_value(json_object_get(e, "code"));
        ev->error_title = str_of(e, "title");
        if (ev->error_title[0] == '\0')
            ev->error_title = str_of(e, "message");
        cb(ev, data);
        n++;
        free(ev);
    }
    json_t *contacts = json_object_get(value, "contacts");
    json_array_foreach(json_object_get(value, "messages"), i, m)
    {
        wa_event_t *ev = xcalloc(1, sizeof(*ev));
        ev->kind = WA_EVENT_MESSAGE;
        ev->id = str_of(m, "id");
        ev->from = str_of(m, "from");
        ev->type = str_of(m, "type");
        ev->mime_type = ev->filename = "";
        if (id_ok(ev->id) && id_ok(ev->from) && ev->type[0] != '\0') {
            ev->name = profile_name(contacts, ev->from);
            ev->timestamp = timestamp_of(m);
            render(ev, m);
            cb(ev, data);
            n++;
        }
        free(ev);
    }
    json_array_foreach(json_object_get(value, "statuses"), i, st)
    {
        wa_event_t *ev = xcalloc(1, sizeof(*ev));
        ev->kind = WA_EVENT_STATUS;
        ev->id = str_of(st, "id");
        ev->from = str_of(st, "recipient_id");
        ev->status = str_of(st, "status");
        ev->opaque = str_of(st, "biz_opaque_callback_data");
        ev->name = ev->type = ev->mime_type = "";
        json_t *err = json_array_get(json_object_get(st, "errors"), 0);
        ev->error_code = (int64_t)json_integer_value(json_object_get(err, "code"));
        ev->error_title = str_of(err, "title");
        if (ev->error_title[0] == '\0')
            ev->error_title = str_of(err, "message");
        ev->timestamp = timestamp_of(st);
        if (id_ok(ev->id) && ev->status[0] != '\0') {
            cb(ev, data);
            n++;
        }
        free(ev);
    }
    return n;
}

int wa_webhook_parse(const char *body, size_t len, const char *phone_number_id, wa_event_cb cb,
                     void *data)
{
    json_error_t jerr;
    json_t *root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
    int n = -EBADMSG;
    if (!json_is_object(root) || strcmp(str_of(root, "object"), "whatsapp_business_account") != 0 ||
        !json_is_array(json_object_get(root, "entry")))
        goto out;
    n = 0;
    json_t *entry, *change;
    size_t i, j;
    json_array_foreach(json_object_get(root, "entry"), i, entry)
    {
        json_array_foreach(json_object_get(entry, "changes"), j, change)
        {
            json_t *value = json_object_get(change, "value");
            if (strcmp(str_of(change, "field"), "messages") != 0 || !json_is_object(value))
                continue;
            const char *pnid = str_of(json_object_get(value, "metadata"), "phone_number_id");
            if (phone_number_id != NULL && pnid[0] != '\0' && strcmp(pnid, phone_number_id) != 0)
                continue;
            n += change_events(value, cb, data);
        }
    }
out:
    json_decref(root);
    return n;
}

/* ---- send bodies ---- */

static char *dump(json_t *o)
{
    char *s = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    if (s == NULL)
        abort(); /* out of memory: as xmalloc */
    return s;
}

static json_t *envelope(const char *to, const char *type, const char *opaque)
{
    json_t *o = json_pack("{s:s,s:s,s:s,s:s}", "messaging_product", "whatsapp", "recipient_type",
                          "individual", "to", to, "type", type);
    if (opaque != NULL && opaque[0] != '\0')
        json_object_set_new(o, "biz_opaque_callback_data", json_string(opaque));
    return o;
}

char *wa_body_text(const char *to, const char *text, const char *opaque)
{
    json_t *o = envelope(to, "text", opaque);
    json_object_set_new(o, "text", json_pack("{s:b,s:s}", "preview_url", 0, "body", text));
    return dump(o);
}

char *wa_body_template(const char *to, const char *name, const char *lang, const char *opaque)
{
    json_t *o = envelope(to, "template", opaque);
    json_object_set_new(o, "template",
                        json_pack("{s:s,s:{s:s}}", "name", name, "language", "code",
                                  lang != NULL && lang[0] != '\0' ? lang : "en_US"));
    return dump(o);
}

char *wa_body_media(const char *to, const char *type, const char *media_id, const char *caption,
                    const char *filename, const char *opaque)
{
    json_t *o = envelope(to, type, opaque);
    json_t *m = json_pack("{s:s}", "id", media_id);
    bool captioned = strcmp(type, "audio") != 0 && strcmp(type, "sticker") != 0;
    if (captioned && caption != NULL && caption[0] != '\0')
        json_object_set_new(m, "caption", json_string(caption));
    if (strcmp(type, "document") == 0 && filename != NULL && filename[0] != '\0')
        json_object_set_new(m, "filename", json_string(filename));
    json_object_set_new(o, type, m);
    return dump(o);
}

char *wa_body_rating(const char *to, int64_t service_id, const char *opaque)
{
    static const char *const titles[] = {"1 - Very poor", "2 - Poor", "3 - Okay", "4 - Good",
                                         "5 - Excellent"};
    json_t *rows = json_array();
    for (int r = 5; r >= 1; r--) {
        char id[64];
        snprintf(id, sizeof(id), WA_RATING_PREFIX "%lld:%d", (long long)service_id, r);
        json_array_append_new(rows, json_pack("{s:s,s:s}", "id", id, "title", titles[r - 1]));
    }
    json_t *o = envelope(to, "interactive", opaque);
    json_object_set_new(
        o, "interactive",
        json_pack("{s:s,s:{s:s},s:{s:s},s:{s:s,s:[{s:s,s:o}]}}", "type", "list", "body", "text",
                  "Your conversation with us has ended. How would you rate our help?", "footer",
                  "text", "Choose 1 to 5", "action", "button", "Rate us", "sections", "title",
                  "Rating", "rows", rows));
    return dump(o);
}

char *wa_body_read(const char *wamid)
{
    return dump(json_pack("{s:s,s:s,s:s}", "messaging_product", "whatsapp", "status", "read",
                          "message_id", wamid));
}

char *wa_body_typing(const char *wamid)
{
    return dump(json_pack("{s:s,s:s,s:s,s:{s:s}}", "messaging_product", "whatsapp", "status",
                          "read", "message_id", wamid, "typing_indicator", "type", "text"));
}

/* ---- send answers ---- */

/* Meta's codes worth another try: throttling (4, 80007, 130429, 131056), temporary (1, 2,
 * 131000 something went wrong, 131016 service unavailable, 133004 server temporarily
 * unavailable). */
static bool code_transient(int64_t code)
{
    static const int64_t codes[] = {1, 2, 4, 80007, 130429, 131000, 131016, 131056, 133004};
    for (size_t i = 0; i < ARRAY_SIZE(codes); i++)
        if (codes[i] == code)
            return true;
    return false;
}

/* The answer of a send (want_id: messages[0].id, into wamid) or of a status update ({"success":
 * true}). */
static wa_send_result_t answer(int status, const char *body, size_t len, bool want_id, char *wamid,
                               size_t wamid_size, char *error, size_t error_size)
{
    wa_send_result_t r;
    json_t *root = len > 0 ? json_loadb(body, len, 0, NULL) : NULL;
    json_t *err = json_object_get(root, "error");
    int64_t code = (int64_t)json_integer_value(json_object_get(err, "code"));
    const char *id = json_string_value(
        json_object_get(json_array_get(json_object_get(root, "messages"), 0), "id"));
    bool accepted =
        want_id ? id != NULL && id_ok(id) : json_is_true(json_object_get(root, "success"));
    if (wamid_size > 0)
        wamid[0] = '\0';
    error[0] = '\0';
    if (status >= 200 && status < 300 && accepted) {
        if (want_id)
            snprintf(wamid, wamid_size, "%s", id);
        r = WA_SEND_OK;
        goto out;
    }
    if (status == 0)
        snprintf(error, error_size, "no answer from the Graph API");
    else if (err != NULL)
        snprintf(error, error_size, "HTTP %d (#%lld) %.300s", status, (long long)code,
                 str_of(err, "message"));
    else
        snprintf(error, error_size, "HTTP %d", status);
    /* a 2xx without an id is a refusal too: retrying something Meta may have taken is worse */
    r = status == 0 || status == 429 || status >= 500 || code_transient(code) ? WA_SEND_RETRY
                                                                              : WA_SEND_REJECTED;
out:
    json_decref(root);
    return r;
}

wa_send_result_t wa_send_result(int status, const char *body, size_t len, char *wamid,
                                size_t wamid_size, char *error, size_t error_size)
{
    return answer(status, body, len, true, wamid, wamid_size, error, error_size);
}

wa_send_result_t wa_status_result(int status, const char *body, size_t len, char *error,
                                  size_t error_size)
{
    return answer(status, body, len, false, NULL, 0, error, error_size);
}

bool wa_rating_parse(const char *id, int64_t *service_id, int *rating)
{
    size_t plen = strlen(WA_RATING_PREFIX);
    if (id == NULL || strncmp(id, WA_RATING_PREFIX, plen) != 0)
        return false;
    const char *p = id + plen;
    char *end = NULL;
    long long svc = strtoll(p, &end, 10);
    if (end == p || *end != ':' || svc <= 0 || p[0] == '-' || p[0] == '+')
        return false;
    p = end + 1;
    if (p[0] < '1' || p[0] > '5' || p[1] != '\0')
        return false;
    *service_id = svc;
    *rating = p[0] - '0';
    return true;
}
