/* text.c - small text helpers of the codecs (see codec.h): the JSON string escaping of JSONP
 * polling answers, the unescaping of JSONP POST bodies, and UTF-8 validation for WebSocket text
 * frames. Pure functions. */
#include "engineio/codec.h"

#include <stdint.h>
#include <stdio.h>

void eio_json_string_append(buf_t *out, const char *s, size_t len)
{
    buf_append_char(out, '"');
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        switch (c) {
        case '"':
            buf_append(out, "\\\"", 2);
            continue;
        case '\\':
            buf_append(out, "\\\\", 2);
            continue;
        case '\b':
            buf_append(out, "\\b", 2);
            continue;
        case '\f':
            buf_append(out, "\\f", 2);
            continue;
        case '\n':
            buf_append(out, "\\n", 2);
            continue;
        case '\r':
            buf_append(out, "\\r", 2);
            continue;
        case '\t':
            buf_append(out, "\\t", 2);
            continue;
        default:
            break;
        }
        if (c < 0x20) {
            buf_printf(out, "\\u%04x", c);
        } else if (c == 0xE2 && i + 2 < len && (unsigned char)s[i + 1] == 0x80 &&
                   ((unsigned char)s[i + 2] == 0xA8 || (unsigned char)s[i + 2] == 0xA9)) {
            /* U+2028 / U+2029 end a line in JavaScript before ES2019 */
            buf_append_str(out, (unsigned char)s[i + 2] == 0xA8 ? "\\u2028" : "\\u2029");
            i += 2;
        } else {
            buf_append_char(out, (char)c);
        }
    }
    buf_append_char(out, '"');
}

size_t eio_jsonp_unescape(char *s, size_t len)
{
    size_t o = 0;
    for (size_t i = 0; i < len;) {
        if (s[i] == '\\' && i + 2 < len && s[i + 1] == '\\' && s[i + 2] == 'n') {
            s[o++] = '\\';
            s[o++] = 'n';
            i += 3;
        } else if (s[i] == '\\' && i + 1 < len && s[i + 1] == 'n') {
            s[o++] = '\n';
            i += 2;
        } else {
            s[o++] = s[i++];
        }
    }
    return o;
}

bool eio_utf8_valid(const char *str, size_t len)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0;
    while (i < len) {
        unsigned char c = s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t n;
        uint32_t cp;
        if (c >= 0xC2 && c <= 0xDF) {
            n = 2;
            cp = c & 0x1F;
        } else if (c >= 0xE0 && c <= 0xEF) {
            n = 3;
            cp = c & 0x0F;
        } else if (c >= 0xF0 && c <= 0xF4) {
            n = 4;
            cp = c & 0x07;
        } else {
            return false;
        }
        if (len - i < n)
            return false;
        for (size_t k = 1; k < n; k++) {
            if ((s[i + k] & 0xC0) != 0x80)
                return false;
            cp = (cp << 6) | (s[i + k] & 0x3F);
        }
        if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
            (cp >= 0xD800 && cp <= 0xDFFF))
            return false;
        i += n;
    }
    return true;
}
