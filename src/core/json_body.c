/* json_body.c - strict JSON body validation (see json_body.h).
 *
 * jansson does the parsing (JSON_REJECT_DUPLICATES; it already rejects invalid UTF-8 and, without
 * JSON_ALLOW_NUL, "\u0000" in strings, so every string we keep is a valid C string). The size
 * limit is checked before parsing so an over-long body costs nothing. Table-driven validation
 * keeps each handler down to one table. */
#include "src/core/json_body.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static void set_err(srv_json_error_t *err, int status, const char *code, const char *field,
                    const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void set_err(srv_json_error_t *err, int status, const char *code, const char *field,
                    const char *fmt, ...)
{
    va_list ap;
    err->status = status;
    err->code = code;
    snprintf(err->field, sizeof(err->field), "%s", field != NULL ? field : "");
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof(err->message), fmt, ap);
    va_end(ap);
}

size_t srv_utf8_length(const char *s, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        if (((unsigned char)s[i] & 0xC0) != 0x80)
            n++;
    return n;
}

const char *srv_check_username(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '.' || c == '-'))
            return "must hold only letters, digits, '_', '.' and '-'";
    }
    return NULL;
}

const char *srv_check_text(const char *s, size_t len)
{
    bool blank = true;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 && c != '\n' && c != '\t')
            return "must not hold control characters";
        if (c == 0x7f)
            return "must not hold control characters";
        if (c != ' ' && c != '\n' && c != '\t')
            blank = false;
    }
    return blank ? "must not be blank" : NULL;
}

const char *srv_check_ascii_id(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f)
            return "must hold only printable ASCII characters";
    return NULL;
}

static const srv_json_field_t *find_field(const srv_json_field_t *fields, size_t n,
                                          const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(fields[i].name, name) == 0)
            return &fields[i];
    return NULL;
}

static int check_field(const srv_json_field_t *f, json_t *v, srv_json_error_t *err)
{
    if (json_is_null(v)) {
        if (f->nullable && !f->required)
            return 0;
        set_err(err, 400, "invalid_field", f->name, "field '%s' must not be null", f->name);
        return -1;
    }
    switch (f->type) {
    case SRV_JSON_STRING: {
        const char *s, *why;
        size_t len, chars;
        if (!json_is_string(v)) {
            set_err(err, 400, "invalid_field", f->name, "field '%s' must be a string", f->name);
            return -1;
        }
        s = json_string_value(v);
        len = json_string_length(v);
        if (strlen(s) != len) { /* only possible with JSON_ALLOW_NUL; be safe anyway */
            set_err(err, 400, "invalid_field", f->name, "field '%s' must not hold NUL", f->name);
            return -1;
        }
        chars = srv_utf8_length(s, len);
        if (chars > f->max) {
            set_err(err, 400, "field_too_long", f->name,
                    "field '%s' must be at most %zu characters", f->name, f->max);
            return -1;
        }
        if (chars < f->min) {
            set_err(err, 400, "invalid_field", f->name,
                    "field '%s' must be at least %zu characters", f->name, f->min);
            return -1;
        }
        if (f->check != NULL && (why = f->check(s, len)) != NULL) {
            set_err(err, 400, "invalid_field", f->name, "field '%s' %s", f->name, why);
            return -1;
        }
        return 0;
    }
    case SRV_JSON_INT: {
        json_int_t i;
        if (!json_is_integer(v)) {
            set_err(err, 400, "invalid_field", f->name, "field '%s' must be an integer", f->name);
            return -1;
        }
        i = json_integer_value(v);
        if (i < f->imin || i > f->imax) {
            set_err(err, 400, "invalid_field", f->name, "field '%s' must be between %lld and %lld",
                    f->name, (long long)f->imin, (long long)f->imax);
            return -1;
        }
        return 0;
    }
    case SRV_JSON_BOOL:
        if (!json_is_boolean(v)) {
            set_err(err, 400, "invalid_field", f->name, "field '%s' must be a boolean", f->name);
            return -1;
        }
        return 0;
    case SRV_JSON_ID_ARRAY: {
        size_t n = json_array_size(v);
        if (!json_is_array(v)) {
            set_err(err, 400, "invalid_field", f->name, "field '%s' must be an array of ids",
                    f->name);
            return -1;
        }
        if (n > f->max) {
            set_err(err, 400, "field_too_long", f->name,
                    "field '%s' must have at most %zu elements", f->name, f->max);
            return -1;
        }
        if (n < f->min) {
            set_err(err, 400, "invalid_field", f->name,
                    "field '%s' must have at least %zu elements", f->name, f->min);
            return -1;
        }
        for (size_t i = 0; i < n; i++) {
            json_t *e = json_array_get(v, i);
            if (!json_is_integer(e) || json_integer_value(e) <= 0) {
                set_err(err, 400, "invalid_field", f->name,
                        "field '%s' must hold positive integer ids", f->name);
                return -1;
            }
            for (size_t k = 0; k < i; k++)
                if (json_integer_value(json_array_get(v, k)) == json_integer_value(e)) {
                    set_err(err, 400, "invalid_field", f->name, "field '%s' must not repeat an id",
                            f->name);
                    return -1;
                }
        }
        return 0;
    }
    }
    set_err(err, 400, "invalid_field", f->name, "field '%s' is invalid", f->name);
    return -1;
}

int srv_json_validate(json_t *val, const srv_json_field_t *fields, size_t nfields,
                      srv_json_error_t *err)
{
    const char *key;
    json_t *v;

    if (!json_is_object(val)) {
        set_err(err, 400, "invalid_body", NULL, "the payload must be a JSON object");
        return -1;
    }
    json_object_foreach(val, key, v)
    {
        const srv_json_field_t *f = find_field(fields, nfields, key);
        if (f == NULL) {
            char shown[48];
            size_t kl = strlen(key);
            /* cut long names on a code point boundary so the message stays valid UTF-8 */
            if (kl >= sizeof(shown))
                for (kl = sizeof(shown) - 1; kl > 0 && ((unsigned char)key[kl] & 0xC0) == 0x80;)
                    kl--;
            memcpy(shown, key, kl);
            shown[kl] = '\0';
            set_err(err, 400, "unknown_field", shown, "unknown field '%s'", shown);
            return -1;
        }
        if (check_field(f, v, err) != 0)
            return -1;
    }
    for (size_t i = 0; i < nfields; i++)
        if (fields[i].required && json_object_get(val, fields[i].name) == NULL) {
            set_err(err, 400, "missing_field", fields[i].name, "missing field '%s'",
                    fields[i].name);
            return -1;
        }
    return 0;
}

json_t *srv_json_body_parse(const char *body, size_t len, size_t max_len,
                            const srv_json_field_t *fields, size_t nfields, srv_json_error_t *err)
{
    json_error_t jerr;
    json_t *val;

    memset(err, 0, sizeof(*err));
    if (len > max_len) {
        set_err(err, 413, "payload_too_large", NULL, "the body must be at most %zu bytes", max_len);
        return NULL;
    }
    if (len == 0 || body == NULL) {
        set_err(err, 400, "invalid_json", NULL, "the body must be a JSON object");
        return NULL;
    }
    val = json_loadb(body, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
    if (val == NULL) {
        set_err(err, 400, "invalid_json", NULL, "malformed JSON at line %d column %d: %.80s",
                jerr.line, jerr.column, jerr.text);
        /* jansson may quote raw input bytes: keep the message printable ASCII */
        for (char *c = err->message; *c != '\0'; c++)
            if ((unsigned char)*c < 0x20 || (unsigned char)*c >= 0x7f)
                *c = '?';
        return NULL;
    }
    if (srv_json_validate(val, fields, nfields, err) != 0) {
        json_decref(val);
        return NULL;
    }
    return val;
}

const char *srv_json_str(json_t *obj, const char *name)
{
    return json_string_value(json_object_get(obj, name));
}

int64_t srv_json_int(json_t *obj, const char *name, int64_t dflt)
{
    json_t *v = json_object_get(obj, name);
    return json_is_integer(v) ? (int64_t)json_integer_value(v) : dflt;
}
