/* sio_packet.c - Socket.IO packet decoder and encoder (see sio_packet.h).
 *
 * The decoder walks the header left to right as socket.io-parser's decodeString does: type digit,
 * attachment count and '-' for the binary types, a namespace when the next byte is '/' (up to a
 * ',' or the end), an ack id when the next byte is a digit, then the rest is JSON that must pass
 * the reference's isPayloadValid for the type. Data may be absent for every type (the reference
 * only validates data that is present). JSON is parsed with jansson (JSON_DECODE_ANY for string
 * payloads, JSON_ALLOW_NUL because JSON.parse accepts "\u0000"); its depth limit bounds the
 * recursion of the placeholder walk below. */
#include "socketio/sio_packet.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Event names the parser refuses in EVENT packets and a socket refuses to emit
 * (socket.io-parser's and socket.io's RESERVED_EVENTS). */
static const char *const reserved_events[] = {
    "connect", "connect_error", "disconnect", "disconnecting", "newListener", "removeListener",
};

bool sio_event_reserved(const char *name)
{
    for (size_t i = 0; i < ARRAY_SIZE(reserved_events); i++) {
        if (strcmp(name, reserved_events[i]) == 0)
            return true;
    }
    return false;
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Value of the 4 hex digits at p, or -1. */
static long hex4(const char *p)
{
    long v = 0;
    for (int i = 0; i < 4; i++) {
        char c = p[i];
        int d = c >= '0' && c <= '9'   ? c - '0'
                : c >= 'a' && c <= 'f' ? c - 'a' + 10
                : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                       : -1;
        if (d < 0)
            return -1;
        v = v * 16 + d;
    }
    return v;
}

/* JSON.stringify writes a lone UTF-16 surrogate (a string cut inside an emoji) as a `\uD83D`
 * escape, which JavaScript accepts and jansson refuses. Returns a copy of the text where each
 * lone surrogate escape is replaced by `\uFFFD` (the same length), or NULL when there is none. */
static char *replace_lone_surrogates(const char *text, size_t len)
{
    char *copy = NULL;
    for (size_t i = 0; i + 1 < len; i++) {
        if (text[i] != '\\')
            continue;
        if (text[i + 1] != 'u' || i + 6 > len) {
            i++; /* an escape of one character, such as \\ or \" */
            continue;
        }
        long c = hex4(text + i + 2);
        bool lone = false;
        if (c >= 0xD800 && c <= 0xDBFF) {
            bool pair = i + 12 <= len && text[i + 6] == '\\' && text[i + 7] == 'u';
            long lo = pair ? hex4(text + i + 8) : -1;
            if (lo >= 0xDC00 && lo <= 0xDFFF)
                i += 6; /* a proper pair: skip its high half, the low half is skipped below */
            else
                lone = true;
        } else if (c >= 0xDC00 && c <= 0xDFFF) {
            lone = true;
        }
        if (lone) {
            if (copy == NULL) {
                copy = xmalloc(len);
                memcpy(copy, text, len);
            }
            memcpy(copy + i + 2, "FFFD", 4);
        }
        i += 5;
    }
    return copy;
}

/* Parses a packet's JSON; NULL if it is not JSON. */
static json_t *load_json(const char *text, size_t len)
{
    json_error_t err;
    json_t *v = json_loadb(text, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &err);
    if (v == NULL && json_error_code(&err) == json_error_numeric_overflow) {
        /* JSON.stringify writes integers up to 1e21 without an exponent; JavaScript holds
         * them as doubles, jansson's integers stop at 2^63: read them all as reals */
        v = json_loadb(text, len, JSON_DECODE_ANY | JSON_ALLOW_NUL | JSON_DECODE_INT_AS_REAL, &err);
    }
    return v;
}

static bool payload_valid(sio_packet_type_t type, const json_t *payload)
{
    switch (type) {
    case SIO_PACKET_CONNECT:
        return json_is_object(payload);
    case SIO_PACKET_DISCONNECT:
        return false; /* only valid without data */
    case SIO_PACKET_CONNECT_ERROR:
        return json_is_string(payload) || json_is_object(payload);
    case SIO_PACKET_EVENT:
    case SIO_PACKET_BINARY_EVENT: {
        const json_t *first = json_array_get(payload, 0);
        if (!json_is_array(payload) || first == NULL)
            return false;
        if (json_is_number(first))
            return true;
        if (!json_is_string(first))
            return false;
        return !sio_event_reserved(json_string_value(first));
    }
    case SIO_PACKET_ACK:
    case SIO_PACKET_BINARY_ACK:
        return json_is_array(payload);
    }
    return false;
}

void sio_packet_dispose(sio_packet_t *pkt)
{
    free(pkt->nsp);
    json_decref(pkt->data);
    for (size_t i = 0; i < pkt->nbins; i++)
        blob_unref(pkt->bins[i]);
    free(pkt->bins);
    memset(pkt, 0, sizeof(*pkt));
    pkt->ack_id = -1;
}

int sio_packet_decode(sio_packet_t *pkt, const char *msg, size_t len, size_t max_attachments)
{
    const char *p = msg, *end = msg + len;
    int rc = -EBADMSG;

    memset(pkt, 0, sizeof(*pkt));
    pkt->ack_id = -1;
    /* An empty message is a CONNECT to "/" for the reference (Number("") is 0). */
    if (p != end) {
        if (*p < '0' || *p > '6')
            goto out;
        pkt->type = (sio_packet_type_t)(*p++ - '0');
    }
    if (pkt->type == SIO_PACKET_BINARY_EVENT || pkt->type == SIO_PACKET_BINARY_ACK) {
        size_t n = 0, digits = 0;
        for (; p != end && is_digit(*p); p++, digits++) {
            if (n > max_attachments)
                break; /* stays over the limit whatever follows */
            n = n * 10 + (size_t)(*p - '0');
        }
        if (p == end || *p != '-' || digits == 0 || n < 1 || n > max_attachments)
            goto out;
        p++;
        pkt->attachments = n;
    }
    if (p != end && *p == '/') {
        const char *start = p;
        while (p != end && *p != ',')
            p++;
        pkt->nsp = xstrndup(start, (size_t)(p - start));
        if (p != end)
            p++; /* the comma */
    } else {
        pkt->nsp = xstrdup("/");
    }
    if (p != end && is_digit(*p)) {
        int64_t id = 0;
        size_t digits = 0;
        for (; p != end && is_digit(*p); p++) {
            if (++digits > SIO_MAX_ACK_ID_DIGITS)
                goto out;
            id = id * 10 + (*p - '0');
        }
        pkt->ack_id = id;
    }
    if (p != end) {
        pkt->data = load_json(p, (size_t)(end - p));
        if (pkt->data == NULL) {
            char *fixed = replace_lone_surrogates(p, (size_t)(end - p));
            if (fixed != NULL) {
                pkt->data = load_json(fixed, (size_t)(end - p));
                free(fixed);
            }
        }
        if (pkt->data == NULL || !payload_valid(pkt->type, pkt->data))
            goto out;
    }
    if (pkt->attachments > 0) {
        pkt->bins = xcalloc(pkt->attachments, sizeof(*pkt->bins));
        rc = -EAGAIN;
    } else {
        rc = 0;
    }
out:
    if (rc != 0 && rc != -EAGAIN)
        sio_packet_dispose(pkt);
    return rc;
}

bool sio_placeholder_num(const json_t *v, size_t *num)
{
    const json_t *num_v;
    if (!json_is_object(v) || !json_is_true(json_object_get(v, "_placeholder")))
        return false;
    num_v = json_object_get(v, "num");
    if (json_is_integer(num_v) && json_integer_value(num_v) >= 0)
        *num = (size_t)json_integer_value(num_v);
    else
        *num = SIZE_MAX;
    return true;
}

bool sio_placeholders_valid(const json_t *data, size_t nbins)
{
    size_t num;
    if (sio_placeholder_num(data, &num))
        return num < nbins;
    if (json_is_array(data)) {
        size_t i;
        const json_t *v;
        json_array_foreach(data, i, v)
        {
            if (!sio_placeholders_valid(v, nbins))
                return false;
        }
    } else if (json_is_object(data)) {
        const char *k;
        const json_t *v;
        json_object_foreach((json_t *)data, k, v)
        {
            if (!sio_placeholders_valid(v, nbins))
                return false;
        }
    }
    return true;
}

void sio_placeholders_shift(json_t *data, size_t nbins, size_t offset)
{
    size_t num;
    if (sio_placeholder_num(data, &num)) {
        if (num < nbins)
            json_object_set_new(data, "num", json_integer((json_int_t)(num + offset)));
    } else if (json_is_array(data)) {
        size_t i;
        json_t *v;
        json_array_foreach(data, i, v)
        {
            sio_placeholders_shift(v, nbins, offset);
        }
    } else if (json_is_object(data)) {
        const char *k;
        json_t *v;
        json_object_foreach(data, k, v)
        {
            sio_placeholders_shift(v, nbins, offset);
        }
    }
}

int sio_packet_add_attachment(sio_packet_t *pkt, const void *data, size_t len)
{
    if (pkt->nbins >= pkt->attachments) {
        sio_packet_dispose(pkt);
        return -EBADMSG;
    }
    pkt->bins[pkt->nbins++] = blob_new(data, len);
    if (pkt->nbins < pkt->attachments)
        return -EAGAIN;
    if (!sio_placeholders_valid(pkt->data, pkt->nbins)) {
        sio_packet_dispose(pkt);
        return -EBADMSG;
    }
    return 0;
}

json_t *sio_placeholder_new(size_t num)
{
    return json_pack("{sbsI}", "_placeholder", 1, "num", (json_int_t)num);
}

static int dump_to_buf(const char *chunk, size_t size, void *data)
{
    buf_append((buf_t *)data, chunk, size);
    return 0;
}

int sio_json_append(buf_t *out, const json_t *v)
{
    /* JSON.stringify writes no spaces and keeps key order; jansson keeps insertion order. */
    if (json_dump_callback(v, dump_to_buf, out, JSON_COMPACT | JSON_ENCODE_ANY) != 0)
        return -EINVAL;
    return 0;
}

int sio_packet_encode(buf_t *out, sio_packet_type_t type, const char *nsp, int64_t ack_id,
                      const json_t *data, size_t nbins)
{
    size_t mark = out->len;
    if (nbins > 0 && type == SIO_PACKET_EVENT)
        type = SIO_PACKET_BINARY_EVENT;
    else if (nbins > 0 && type == SIO_PACKET_ACK)
        type = SIO_PACKET_BINARY_ACK;
    buf_append_char(out, (char)('0' + type));
    if (type == SIO_PACKET_BINARY_EVENT || type == SIO_PACKET_BINARY_ACK)
        buf_printf(out, "%zu-", nbins);
    if (nsp != NULL && strcmp(nsp, "/") != 0) {
        if (strchr(nsp, ',') != NULL)
            goto fail;
        buf_append_str(out, nsp);
        buf_append_char(out, ',');
    }
    if (ack_id >= 0)
        buf_printf(out, "%lld", (long long)ack_id);
    if (data != NULL && sio_json_append(out, data) != 0)
        goto fail;
    return 0;
fail:
    out->len = mark;
    if (out->base != NULL)
        out->base[mark] = '\0';
    return -EINVAL;
}

blob_t *sio_packet_encode_blob(sio_packet_type_t type, const char *nsp, int64_t ack_id,
                               const json_t *data, size_t nbins)
{
    buf_t b = BUF_INIT;
    blob_t *blob = NULL;
    if (sio_packet_encode(&b, type, nsp, ack_id, data, nbins) == 0)
        blob = blob_new(b.base, b.len);
    buf_dispose(&b);
    return blob;
}
