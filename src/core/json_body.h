/* json_body.h - strict validation of JSON request bodies (REST) and event payloads (Socket.IO)
 * against a small table of expected fields.
 *
 * A body passes only if: it is at most `max_len` bytes (else 413 payload_too_large), it parses as
 * one JSON value with no duplicate keys (400 invalid_json), that value is an object (400
 * invalid_body), it has no field outside the table (400 unknown_field), every required field is
 * present (400 missing_field), and each present field has the declared type, range and length
 * (400 invalid_field / field_too_long). Error messages name the field. Pure: no I/O. */
#ifndef SIOC_SRC_JSON_BODY_H
#define SIOC_SRC_JSON_BODY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

typedef enum en_srv_json_type_t {
    SRV_JSON_STRING,   /* min..max characters (UTF-8 code points); `check` may restrict it */
    SRV_JSON_INT,      /* integer in imin..imax (a float or a string is ill-typed) */
    SRV_JSON_BOOL,     /* true or false */
    SRV_JSON_ID_ARRAY, /* array of min..max positive integers, no duplicates */
} srv_json_type_t;

typedef struct st_srv_json_field_t {
    const char *name;
    srv_json_type_t type;
    bool required;
    bool nullable;      /* JSON null is accepted (and kept) for an optional field */
    size_t min, max;    /* characters for strings, elements for arrays */
    int64_t imin, imax; /* for SRV_JSON_INT */
    /* optional extra check for strings: returns NULL if fine, else what is wrong ("must ...") */
    const char *(*check)(const char *s, size_t len);
} srv_json_field_t;

/** What was wrong with a body. */
typedef struct st_srv_json_error_t {
    int status;       /* 400 or 413 */
    const char *code; /* "payload_too_large", "invalid_json", "invalid_body", "unknown_field",
                         "missing_field", "invalid_field", "field_too_long" */
    char field[64];   /* the field at fault, "" if none */
    char message[192];
} srv_json_error_t;

/** Parses and validates `len` bytes of `body` (need not be NUL-terminated). Returns the object
 * (the caller owns a reference) or NULL with `err` filled. */
json_t *srv_json_body_parse(const char *body, size_t len, size_t max_len,
                            const srv_json_field_t *fields, size_t nfields, srv_json_error_t *err);

/** Validates an already parsed value (a Socket.IO event argument) the same way. Returns 0 or -1
 * with `err` filled; `val` is borrowed. */
int srv_json_validate(json_t *val, const srv_json_field_t *fields, size_t nfields,
                      srv_json_error_t *err);

/** Number of UTF-8 code points in `s` (valid UTF-8, as jansson guarantees). */
size_t srv_utf8_length(const char *s, size_t len);

/** String checks for srv_json_field_t.check. */
/** Letters, digits, '_', '.', '-' only (user names). */
const char *srv_check_username(const char *s, size_t len);
/** Not only white space, and no control characters other than \n and \t (titles, messages). */
const char *srv_check_text(const char *s, size_t len);

/** Printable ASCII only, no space (client-chosen ids). */
const char *srv_check_ascii_id(const char *s, size_t len);

/** Reads field `name` of `obj` (helpers for validated objects: the type is known). */
const char *srv_json_str(json_t *obj, const char *name);
int64_t srv_json_int(json_t *obj, const char *name, int64_t dflt);

#endif
