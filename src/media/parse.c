/* parse.c - the pure parts of the attachment store (media.h): the content type from the first
 * bytes (magic numbers, never the client's claim), the Range header, file names safe to store and
 * to put in a header, and the JSON of an attachment. No I/O, no loop: unit-tested and fuzzed.
 *
 * Sniffing follows the WHATWG MIME Sniffing signatures for images, audio and video, with two
 * refinements that signature alone cannot give: WebM and Ogg are audio unless a video codec id
 * shows in the head (MediaRecorder's voice notes are audio/webm), and MP4 is audio/mp4 for the
 * M4A/M4B brands. Text is plain UTF-8 with no control bytes but tab, LF, FF and CR in the head;
 * an executable (MZ, ELF) has NUL bytes in its first kilobyte and so is no type at all. */
#include "src/media/media.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool has_prefix(const uint8_t *p, size_t len, const char *sig, size_t n)
{
    return len >= n && memcmp(p, sig, n) == 0;
}

/* Whether `needle` occurs in the first `len` bytes. */
static bool contains(const uint8_t *p, size_t len, const char *needle)
{
    size_t n = strlen(needle);
    for (size_t i = 0; n <= len && i <= len - n; i++)
        if (memcmp(p + i, needle, n) == 0)
            return true;
    return false;
}

/* Length of the valid UTF-8 sequence at p[0..len), 0 if invalid. */
static size_t utf8_seq(const uint8_t *p, size_t len)
{
    unsigned char c = p[0];
    size_t n;
    uint32_t cp;
    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf)
        n = 2, cp = c & 0x1f;
    else if (c >= 0xe0 && c <= 0xef)
        n = 3, cp = c & 0x0f;
    else if (c >= 0xf0 && c <= 0xf4)
        n = 4, cp = c & 0x07;
    else
        return 0;
    if (len < n)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((p[i] & 0xc0) != 0x80)
            return 0;
        cp = cp << 6 | (p[i] & 0x3f);
    }
    if ((n == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) || (n == 4 && cp < 0x10000) ||
        cp > 0x10ffff)
        return 0;
    if (cp >= 0x80 && cp < 0xa0) /* C1 controls */
        return 0;
    return n;
}

/* Valid UTF-8 of text characters (no C0 controls but tab, LF, FF, CR; no DEL, no C1, no
 * surrogates or overlong forms); a sequence cut by the end of the head is fine. */
static bool is_text(const uint8_t *p, size_t len)
{
    size_t i = 0;
    if (len == 0)
        return false;
    while (i < len) {
        uint8_t c = p[i];
        size_t k = utf8_seq(p + i, len - i);
        if (k == 1 && ((c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\f') || c == 0x7f))
            return false;
        if (k == 0) {
            size_t need = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
            if (c < 0xc2 || c > 0xf4 || len - i >= need)
                return false;
            for (size_t j = i + 1; j < len; j++) /* cut by the end of the head? */
                if ((p[j] & 0xc0) != 0x80)
                    return false;
            return true;
        }
        i += k;
    }
    return true;
}

static bool is_mp3_frame(const uint8_t *p, size_t len)
{
    /* frame sync (11 bits), MPEG version not reserved, layer III/II/I, bitrate not 'bad' */
    return len >= 4 && p[0] == 0xff && (p[1] & 0xe0) == 0xe0 && (p[1] & 0x18) != 0x08 &&
           (p[1] & 0x06) != 0 && (p[2] & 0xf0) != 0xf0 && (p[2] & 0x0c) != 0x0c;
}

const char *srv_media_sniff(const uint8_t *p, size_t len)
{
    if (len > SRV_MEDIA_SNIFF_BYTES)
        len = SRV_MEDIA_SNIFF_BYTES;
    if (has_prefix(p, len, "\x89PNG\r\n\x1a\n", 8))
        return "image/png";
    if (has_prefix(p, len, "\xff\xd8\xff", 3))
        return "image/jpeg";
    if (has_prefix(p, len, "GIF87a", 6) || has_prefix(p, len, "GIF89a", 6))
        return "image/gif";
    if (len >= 14 && memcmp(p, "RIFF", 4) == 0 && memcmp(p + 8, "WEBPVP", 6) == 0)
        return "image/webp";
    if (has_prefix(p, len, "%PDF-", 5))
        return "application/pdf";
    if (has_prefix(p, len, "\x1a\x45\xdf\xa3", 4)) /* EBML: Matroska / WebM */
        return !contains(p, len, "webm") ? NULL
               : contains(p, len, "V_VP8") || contains(p, len, "V_VP9") ||
                       contains(p, len, "V_AV1") || contains(p, len, "V_MPEG")
                   ? "video/webm"
                   : "audio/webm";
    if (has_prefix(p, len, "OggS\0", 5))
        return contains(p, len, "theora") ? NULL : "audio/ogg";
    if (len >= 12 && memcmp(p + 4, "ftyp", 4) == 0) {
        uint32_t box = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
        if (box < 12 || box % 4 != 0)
            return NULL;
        if (memcmp(p + 8, "M4A ", 4) == 0 || memcmp(p + 8, "M4B ", 4) == 0)
            return "audio/mp4";
        return "video/mp4";
    }
    if (has_prefix(p, len, "ID3", 3) || is_mp3_frame(p, len))
        return "audio/mpeg";
    if (has_prefix(p, len, "\xef\xbb\xbf", 3)) /* UTF-8 BOM */
        return len == 3 || is_text(p + 3, len - 3) ? "text/plain" : NULL;
    return is_text(p, len) ? "text/plain" : NULL;
}

static const char *const known_types[] = {
    "image/png",  "image/jpeg", "image/gif", "image/webp", "audio/ogg",       "audio/webm",
    "audio/mpeg", "audio/mp4",  "video/mp4", "video/webm", "application/pdf", "text/plain",
};

bool srv_media_type_known(const char *type, size_t len)
{
    for (size_t i = 0; i < ARRAY_SIZE(known_types); i++)
        if (strlen(known_types[i]) == len && memcmp(known_types[i], type, len) == 0)
            return true;
    return false;
}

/* ---- Range ---- */

/* Reads decimal digits at *p (at least one) into *out; false on none or overflow. */
static bool read_u64(const char **p, const char *end, uint64_t *out)
{
    uint64_t v = 0;
    const char *s = *p;
    while (*p < end && **p >= '0' && **p <= '9') {
        unsigned d = (unsigned)(**p - '0');
        if (v > (UINT64_MAX - d) / 10)
            return false;
        v = v * 10 + d;
        (*p)++;
    }
    *out = v;
    return *p > s;
}

static void skip_ows(const char **p, const char *end)
{
    while (*p < end && (**p == ' ' || **p == '\t'))
        (*p)++;
}

int srv_media_parse_range(const char *value, size_t len, uint64_t size, uint64_t *start,
                          uint64_t *end)
{
    const char *p = value, *e = value + len;
    uint64_t a = 0, b = 0;
    bool has_a, has_b;
    skip_ows(&p, e);
    if ((size_t)(e - p) < 6 || strncasecmp(p, "bytes=", 6) != 0)
        return 0;
    p += 6;
    skip_ows(&p, e);
    has_a = read_u64(&p, e, &a);
    if (p == e || *p != '-')
        return 0;
    p++;
    has_b = read_u64(&p, e, &b);
    skip_ows(&p, e);
    if (p != e || (!has_a && !has_b)) /* several ranges (a ','), junk: serve it whole */
        return 0;
    if (has_a && has_b && b < a)
        return 0; /* invalid: ignored (RFC 9110 14.1.1) */
    if (!has_a) { /* suffix: the last b bytes */
        if (b == 0 || size == 0)
            return -ERANGE;
        *start = b >= size ? 0 : size - b;
        *end = size - 1;
        return 1;
    }
    if (a >= size)
        return -ERANGE;
    *start = a;
    *end = has_b && b < size ? b : size - 1;
    return 1;
}

/* ---- names ---- */

char *srv_media_sanitize_name(const char *raw, size_t len)
{
    const unsigned char *s = (const unsigned char *)raw;
    size_t from = 0;
    for (size_t i = 0; i < len; i++) /* the last path segment, either slash */
        if (s[i] == '/' || s[i] == '\\')
            from = i + 1;
    char *out = xmalloc(len - from + 5);
    size_t n = 0;
    for (size_t i = from; i < len;) {
        size_t k = utf8_seq(s + i, len - i);
        if (k == 0) {
            out[n++] = '_';
            i++;
            continue;
        }
        if (k == 1) {
            unsigned char c = s[i];
            if (c < 0x20 || c == 0x7f) { /* NUL, newlines, escapes: gone */
                i++;
                continue;
            }
            out[n++] = strchr("\"*:<>?|", c) != NULL ? '_' : (char)c;
        } else {
            memcpy(out + n, s + i, k);
            n += k;
        }
        i += k;
    }
    out[n] = '\0';
    /* no leading dots or spaces (no "..", no hidden files), no trailing ones (Windows) */
    size_t a = 0;
    while (a < n && (out[a] == '.' || out[a] == ' '))
        a++;
    while (n > a && (out[n - 1] == '.' || out[n - 1] == ' '))
        n--;
    memmove(out, out + a, n - a);
    n -= a;
    out[n] = '\0';
    if (n > STORE_MAX_ATT_NAME) { /* cut the stem, keep a short extension */
        char *dot = strrchr(out, '.');
        size_t ext = dot != NULL && (size_t)(out + n - dot) <= 16 ? (size_t)(out + n - dot) : 0;
        size_t keep = STORE_MAX_ATT_NAME - ext;
        while (keep > 0 && ((unsigned char)out[keep] & 0xc0) == 0x80)
            keep--; /* a character boundary */
        memmove(out + keep, out + n - ext, ext);
        n = keep + ext;
        out[n] = '\0';
    }
    if (n == 0) {
        free(out);
        return xstrdup("file");
    }
    return out;
}

static bool shown_inline(const char *type)
{
    return strncmp(type, "image/", 6) == 0 || strncmp(type, "audio/", 6) == 0 ||
           strncmp(type, "video/", 6) == 0;
}

char *srv_media_disposition(const char *type, const char *name)
{
    buf_t b = BUF_INIT;
    buf_printf(&b, "%s; filename=\"", shown_inline(type) ? "inline" : "attachment");
    for (const unsigned char *p = (const unsigned char *)name; *p != '\0'; p++) {
        if (*p >= 0x80) {
            /* one '_' per character in the ASCII fallback */
            if ((*p & 0xc0) != 0x80)
                buf_append(&b, "_", 1);
        } else if (*p < 0x20 || *p == '"' || *p == '\\' || *p == 0x7f) {
            buf_append(&b, "_", 1);
        } else {
            buf_append(&b, (const char *)p, 1);
        }
    }
    buf_printf(&b, "\"; filename*=UTF-8''");
    for (const unsigned char *p = (const unsigned char *)name; *p != '\0'; p++) {
        /* attr-char of RFC 8187; everything else %-encoded */
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
            strchr("!#$&+-.^_`|~", *p) != NULL)
            buf_append(&b, (const char *)p, 1);
        else
            buf_printf(&b, "%%%02X", *p);
    }
    size_t len;
    return buf_steal(&b, &len);
}

/* ---- JSON ---- */

json_t *srv_media_json(const store_attachment_t *a)
{
    char url[96];
    snprintf(url, sizeof(url), SRV_MEDIA_PREFIX "/%lld", (long long)a->id);
    json_t *o = json_pack("{s:I,s:s,s:s,s:I,s:s}", "id", (json_int_t)a->id, "name", a->name, "type",
                          a->content_type, "size", (json_int_t)a->size, "url", url);
    if (o == NULL)
        return NULL;
    if (a->thumb_size > 0) {
        snprintf(url, sizeof(url), SRV_MEDIA_PREFIX "/%lld/thumb", (long long)a->id);
        json_object_set_new(o, "thumbUrl", json_string(url));
    }
    if (a->width > 0 && a->height > 0) {
        json_object_set_new(o, "width", json_integer(a->width));
        json_object_set_new(o, "height", json_integer(a->height));
    }
    return o;
}

json_t *srv_media_json_for(const store_attachment_list_t *list, int64_t message_id)
{
    json_t *arr = json_array();
    for (size_t i = 0; list != NULL && i < list->count; i++)
        if (list->items[i].message_id == message_id)
            json_array_append_new(arr, srv_media_json(&list->items[i]));
    return arr;
}

const char *srv_media_send_check(json_t *obj, int64_t *ids, size_t *n, const char **msg)
{
    json_t *arr = json_object_get(obj, "attachmentIds"), *v, *body = json_object_get(obj, "body");
    size_t i;
    *n = 0;
    json_array_foreach(arr, i, v)
    {
        if (*n < STORE_MAX_ATTACH)
            ids[(*n)++] = json_integer_value(v);
    }
    if (*n > 0)
        return NULL;
    if (body == NULL) {
        *msg = "body is required (or attachmentIds)";
        return "missing_field";
    }
    if (json_string_length(body) == 0) {
        *msg = "body must not be empty without attachmentIds";
        return "invalid_field";
    }
    return NULL;
}

const char *srv_media_check_body(const char *s, size_t len)
{
    return len == 0 ? NULL : srv_check_text(s, len);
}
