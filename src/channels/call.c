/* call.c - the wire format of WebRTC audio calls (channels.h "WebRTC audio calls", docs/desk.md
 * "Calls"), without I/O: the parser of every call event a client sends (/desk call:start's
 * siblings and /support's call:* events), the --webrtc-ice-servers check, call ids.
 *
 * sioc relays signals between two browsers and never looks at the media; what it relays it
 * rebuilds from the known fields only (a session description {type, sdp}, an ICE candidate
 * {candidate, sdpMid, sdpMLineIndex, usernameFragment}), bounded (SRV_CALL_SIGNAL_MAX bytes of
 * SDP, SRV_CALL_CANDIDATE_MAX of a candidate), so a peer can push neither junk nor bulk through
 * the server to the other side. Fuzzed by tests/fuzz/fuzz_call_signal.c, unit-tested by
 * tests/src/test_call.c. */
#include "src/channels/channels.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sodium.h>

#include "src/core/core.h"

#define ICE_SERVERS_MAX 8
#define ICE_URLS_MAX    4
#define ICE_TEXT_MAX    512

static const char *const kind_names[] = {
    [SRV_CALL_NONE] = "",           [SRV_CALL_INCOMING] = "incoming", [SRV_CALL_ACCEPT] = "accept",
    [SRV_CALL_DECLINE] = "decline", [SRV_CALL_OFFER] = "offer",       [SRV_CALL_ANSWER] = "answer",
    [SRV_CALL_ICE] = "ice",         [SRV_CALL_END] = "end",
};

const char *srv_call_kind_name(srv_call_kind_t k)
{
    return (unsigned)k < sizeof(kind_names) / sizeof(kind_names[0]) ? kind_names[k] : "";
}

void srv_call_id_new(char out[SRV_CALL_ID_MAX + 1])
{
    unsigned char raw[16];
    randombytes_buf(raw, sizeof(raw));
    sodium_bin2base64(out, SRV_CALL_ID_MAX + 1, raw, sizeof(raw),
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

void srv_call_msg_dispose(srv_call_msg_t *m)
{
    json_decref(m->data);
    m->data = NULL;
}

static int fail(srv_call_error_t *err, int status, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int fail(srv_call_error_t *err, int status, const char *code, const char *fmt, ...)
{
    va_list ap;
    err->status = status;
    err->code = code;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof(err->message), fmt, ap);
    va_end(ap);
    return status == 413 ? -EMSGSIZE : -EBADMSG;
}

/* True if every key of `obj` is one of the NULL-terminated `keys`; *bad gets the first other. */
static bool only_keys(const json_t *obj, const char *const *keys, const char **bad)
{
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)obj, k, v)
    {
        bool known = false;
        for (const char *const *p = keys; *p != NULL && !known; p++)
            known = strcmp(*p, k) == 0;
        if (!known) {
            *bad = k;
            return false;
        }
    }
    return true;
}

/* SDP and candidate text: no NUL, no control character but CR, LF and tab. */
static bool signal_text_ok(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 && c != '\r' && c != '\n' && c != '\t')
            return false;
        if (c == 0x7f)
            return false;
    }
    return true;
}

/* An optional string field of at most `max` bytes (null allowed): 0, or the error. */
static int opt_string(const json_t *obj, const char *name, size_t max, json_t *out,
                      srv_call_error_t *err)
{
    json_t *v = json_object_get(obj, name);
    if (v == NULL)
        return 0;
    if (json_is_null(v)) {
        json_object_set_new(out, name, json_null());
        return 0;
    }
    if (!json_is_string(v))
        return fail(err, 400, "invalid_signal", "data.%s must be a string or null", name);
    if (json_string_length(v) > max)
        return fail(err, 413, "payload_too_large", "data.%s is over %zu bytes", name, max);
    if (!signal_text_ok(json_string_value(v), json_string_length(v)))
        return fail(err, 400, "invalid_signal", "data.%s has control characters", name);
    json_object_set_new(out, name, json_stringn(json_string_value(v), json_string_length(v)));
    return 0;
}

static int parse_description(const json_t *data, srv_call_kind_t kind, srv_call_msg_t *out,
                             srv_call_error_t *err)
{
    static const char *const keys[] = {"type", "sdp", NULL};
    const char *bad = NULL;
    if (!json_is_object(data))
        return fail(err, 400, "invalid_signal", "data must be a session description {type, sdp}");
    if (!only_keys(data, keys, &bad))
        return fail(err, 400, "invalid_signal", "data.%.40s is not part of a description", bad);
    const json_t *t = json_object_get(data, "type"), *sdp = json_object_get(data, "sdp");
    if (!json_is_string(t) || strcmp(json_string_value(t), srv_call_kind_name(kind)) != 0)
        return fail(err, 400, "invalid_signal", "data.type must be \"%s\"",
                    srv_call_kind_name(kind));
    if (!json_is_string(sdp) || json_string_length(sdp) == 0)
        return fail(err, 400, "invalid_signal", "data.sdp must be a non-empty string");
    size_t n = json_string_length(sdp);
    if (n > SRV_CALL_SIGNAL_MAX)
        return fail(err, 413, "payload_too_large", "data.sdp is over %d bytes",
                    SRV_CALL_SIGNAL_MAX);
    const char *s = json_string_value(sdp);
    if (n < 4 || memcmp(s, "v=0", 3) != 0 || !signal_text_ok(s, n))
        return fail(err, 400, "invalid_signal", "data.sdp is not an SDP (v=0 ...)");
    out->data = json_pack("{s:s,s:s%}", "type", srv_call_kind_name(kind), "sdp", s, n);
    return 0;
}

static int parse_candidate(const json_t *data, srv_call_msg_t *out, srv_call_error_t *err)
{
    static const char *const keys[] = {"candidate", "sdpMid", "sdpMLineIndex", "usernameFragment",
                                       NULL};
    const char *bad = NULL;
    if (json_is_null(data)) { /* the end of the candidates */
        out->data = json_null();
        return 0;
    }
    if (!json_is_object(data))
        return fail(err, 400, "invalid_signal", "data must be an ICE candidate or null");
    if (!only_keys(data, keys, &bad))
        return fail(err, 400, "invalid_signal", "data.%.40s is not part of a candidate", bad);
    const json_t *c = json_object_get(data, "candidate");
    if (!json_is_string(c))
        return fail(err, 400, "invalid_signal", "data.candidate must be a string");
    json_t *o = json_object();
    int rc = opt_string(data, "candidate", SRV_CALL_CANDIDATE_MAX, o, err);
    if (rc == 0)
        rc = opt_string(data, "sdpMid", 64, o, err);
    if (rc == 0)
        rc = opt_string(data, "usernameFragment", 256, o, err);
    const json_t *idx = json_object_get(data, "sdpMLineIndex");
    if (rc == 0 && idx != NULL) {
        if (json_is_null(idx))
            json_object_set_new(o, "sdpMLineIndex", json_null());
        else if (json_is_integer(idx) && json_integer_value(idx) >= 0 &&
                 json_integer_value(idx) <= 65535)
            json_object_set_new(o, "sdpMLineIndex", json_integer(json_integer_value(idx)));
        else
            rc = fail(err, 400, "invalid_signal", "data.sdpMLineIndex must be 0..65535 or null");
    }
    if (rc != 0) {
        json_decref(o);
        return rc;
    }
    out->data = o;
    return 0;
}

int srv_call_parse(const json_t *arg, srv_call_kind_t fixed, unsigned allowed, srv_call_msg_t *out,
                   srv_call_error_t *err)
{
    static const char *const keys_fixed[] = {"serviceId", "callId", NULL};
    static const char *const keys_end[] = {"serviceId", "callId", "reason", NULL};
    static const char *const keys_typed[] = {"serviceId", "callId", "type", "data", "reason", NULL};
    const char *bad = NULL;
    memset(out, 0, sizeof(*out));
    memset(err, 0, sizeof(*err));
    if (!json_is_object(arg))
        return fail(err, 400, "invalid_body", "the event needs an object argument");
    const char *const *keys = fixed == SRV_CALL_NONE  ? keys_typed
                              : fixed == SRV_CALL_END ? keys_end
                                                      : keys_fixed;
    if (!only_keys(arg, keys, &bad))
        return fail(err, 400, "unknown_field", "unknown field %.40s", bad);
    const json_t *sid = json_object_get(arg, "serviceId"), *cid = json_object_get(arg, "callId");
    if (sid == NULL || cid == NULL)
        return fail(err, 400, "missing_field", "%s is required",
                    sid == NULL ? "serviceId" : "callId");
    if (!json_is_integer(sid) || json_integer_value(sid) < 1)
        return fail(err, 400, "invalid_field", "serviceId must be a positive integer");
    size_t clen = json_is_string(cid) ? json_string_length(cid) : 0;
    if (clen == 0 || clen > SRV_CALL_ID_MAX ||
        srv_check_ascii_id(json_string_value(cid), clen) != NULL ||
        strlen(json_string_value(cid)) != clen)
        return fail(err, 400, "invalid_field", "callId must be 1..%d printable characters",
                    SRV_CALL_ID_MAX);
    out->service_id = (int64_t)json_integer_value(sid);
    memcpy(out->call_id, json_string_value(cid), clen + 1);
    srv_call_kind_t kind = fixed;
    if (kind == SRV_CALL_NONE) {
        const json_t *t = json_object_get(arg, "type");
        if (t == NULL)
            return fail(err, 400, "missing_field", "type is required");
        const char *ts = json_string_value(t);
        for (srv_call_kind_t k = SRV_CALL_OFFER; ts != NULL && k <= SRV_CALL_END; k++)
            if (strcmp(ts, srv_call_kind_name(k)) == 0)
                kind = k;
        if (kind == SRV_CALL_NONE || !(allowed & SRV_CALL_KIND_BIT(kind)))
            return fail(err, 400, "invalid_field", "type must be one of the call's signals");
    }
    out->kind = kind;
    const json_t *data = json_object_get(arg, "data");
    int rc = 0;
    switch (kind) {
    case SRV_CALL_OFFER:
    case SRV_CALL_ANSWER:
    case SRV_CALL_ICE:
        if (data == NULL)
            return fail(err, 400, "missing_field", "data is required");
        rc = kind == SRV_CALL_ICE ? parse_candidate(data, out, err)
                                  : parse_description(data, kind, out, err);
        if (rc == 0 && json_object_get(arg, "reason") != NULL) {
            srv_call_msg_dispose(out);
            rc = fail(err, 400, "unknown_field", "reason belongs to end only");
        }
        return rc;
    case SRV_CALL_END: {
        if (data != NULL && !json_is_null(data))
            return fail(err, 400, "invalid_signal", "end carries no data");
        const json_t *r = json_object_get(arg, "reason");
        const char *rs = r == NULL ? "hangup" : json_string_value(r);
        if (rs == NULL || (strcmp(rs, "hangup") != 0 && strcmp(rs, "no_answer") != 0 &&
                           strcmp(rs, "failed") != 0))
            return fail(err, 400, "invalid_field", "reason must be hangup, no_answer or failed");
        snprintf(out->reason, sizeof(out->reason), "%s", rs);
        return 0;
    }
    default:
        return 0;
    }
}

/* One ICE server URL: stun:, stuns:, turn: or turns:, printable, bounded. */
static bool ice_url_ok(const json_t *u, bool *turn)
{
    const char *s = json_string_value(u);
    if (s == NULL || json_string_length(u) == 0 || json_string_length(u) > ICE_TEXT_MAX ||
        srv_check_ascii_id(s, json_string_length(u)) != NULL)
        return false;
    if (strncmp(s, "turn:", 5) == 0 || strncmp(s, "turns:", 6) == 0)
        *turn = true;
    return strncmp(s, "stun:", 5) == 0 || strncmp(s, "stuns:", 6) == 0 || *turn;
}

static bool ice_text_ok(const json_t *v)
{
    return v == NULL || (json_is_string(v) && json_string_length(v) <= ICE_TEXT_MAX &&
                         strlen(json_string_value(v)) == json_string_length(v));
}

json_t *srv_call_ice_servers_parse(const char *text, const char **why)
{
    static const char *const keys[] = {"urls", "username", "credential", NULL};
    json_error_t jerr;
    const char *bad = NULL;
    json_t *arr = json_loads(text != NULL ? text : "[]", JSON_REJECT_DUPLICATES, &jerr);
    size_t i;
    json_t *s;
    *why = NULL;
    if (!json_is_array(arr) || json_array_size(arr) > ICE_SERVERS_MAX) {
        *why = "a JSON array of at most 8 ICE servers";
        goto out;
    }
    json_array_foreach(arr, i, s)
    {
        bool turn = false;
        const json_t *urls = json_object_get(s, "urls");
        if (!json_is_object(s) || !only_keys(s, keys, &bad) || urls == NULL) {
            *why = "each ICE server is an object {urls, username?, credential?}";
            goto out;
        }
        bool ok = json_is_string(urls) ? ice_url_ok(urls, &turn)
                                       : json_is_array(urls) && json_array_size(urls) >= 1 &&
                                             json_array_size(urls) <= ICE_URLS_MAX;
        for (size_t j = 0; ok && json_is_array(urls) && j < json_array_size(urls); j++)
            ok = ice_url_ok(json_array_get(urls, j), &turn);
        if (!ok) {
            *why = "urls: one to four stun:, stuns:, turn: or turns: URLs";
            goto out;
        }
        const json_t *user = json_object_get(s, "username"),
                     *cred = json_object_get(s, "credential");
        if (!ice_text_ok(user) || !ice_text_ok(cred) || (turn && (user == NULL || cred == NULL))) {
            *why = "username and credential: strings, required for a TURN server";
            goto out;
        }
    }
out:
    if (*why != NULL) {
        json_decref(arr);
        return NULL;
    }
    return arr;
}
