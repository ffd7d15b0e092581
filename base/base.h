/* base.h - libc-only helpers shared by every module: allocation that aborts on out-of-memory
 * (as h2o and redis do), the refcounted blob_t that a broadcast is encoded into once and shared by
 * every recipient's queue, a growable byte buffer, the URL %-decoder, comma-separated list
 * membership, and leveled logging to stderr. */
#ifndef SIOC_BASE_H
#define SIOC_BASE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define UNUSED(x)     ((void)(x))
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/** Allocators that never return NULL: out-of-memory aborts the process. */
void *xmalloc(size_t n);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
/** Copies `n` bytes of `s` and appends a NUL. */
char *xstrndup(const char *s, size_t n);

/** An immutable, refcounted byte string. Encoded once, shared by every queue that sends it. */
typedef struct st_blob_t {
    size_t refcnt; /* owners; freed when it drops to 0 (loop thread only, not atomic) */
    size_t len;    /* bytes in data, not counting the NUL that always follows */
    char data[];
} blob_t;

/** Returns a blob with refcnt 1 holding a copy of `len` bytes of `data` (NUL-terminated). */
blob_t *blob_new(const void *data, size_t len);
/** Returns a blob with refcnt 1 and `len` uninitialised bytes for the caller to fill. */
blob_t *blob_alloc(size_t len);
/** Takes a reference; returns `b`. */
blob_t *blob_ref(blob_t *b);
/** Drops a reference; frees at zero. NULL is a no-op. */
void blob_unref(blob_t *b);

/** A growable byte buffer; `base` is always NUL-terminated once anything was appended. */
typedef struct st_buf_t {
    char *base;
    size_t len;
    size_t cap;
} buf_t;

#define BUF_INIT                                                                                   \
    {                                                                                              \
        NULL, 0, 0                                                                                 \
    }
void buf_reserve(buf_t *b, size_t extra);
void buf_append(buf_t *b, const void *data, size_t len);
void buf_append_str(buf_t *b, const char *s);
void buf_append_char(buf_t *b, char c);
void buf_printf(buf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/** Hands the bytes to the caller (free() them) and resets the buffer. Never NULL. */
char *buf_steal(buf_t *b, size_t *len);
/** Frees the bytes and resets the buffer. */
void buf_dispose(buf_t *b);

/** url_decode() result for a malformed escape (or %00, or a raw NUL) in strict mode. */
#define URL_DECODE_BAD SIZE_MAX
/** Decodes the URL query component src[0..len) into dst, which holds `cap` bytes: '+' becomes a
 * space and %XX (hex, either case) the byte it names. A malformed escape ('%' not followed by two
 * hex digits) is copied as it is unless `strict`, where it, %00 and a raw NUL byte make the call
 * return URL_DECODE_BAD. Returns the decoded length; if the result does not fit, decoding stops at
 * the first byte that does not and returns cap + 1 (so cap must be < SIZE_MAX - 1). dst gets no
 * NUL. */
size_t url_decode(char *dst, size_t cap, const char *src, size_t len, bool strict);

/** True if `list`, comma-separated with optional spaces around each item, holds the `len` bytes
 * of `s` as one item. */
bool str_list_has(const char *list, const char *s, size_t len);

typedef enum en_log_level_t {
    LOG_LEVEL_DEBUG = 0,
    LOG_LEVEL_INFO,
    LOG_LEVEL_WARN,
    LOG_LEVEL_ERROR,
} log_level_t;

/** Messages below this level are dropped; from SIOC_LOG_LEVEL (debug|info|warn|error), default
 * info. */
extern log_level_t log_min_level;
/** Sets the level, overriding SIOC_LOG_LEVEL. */
void log_set_level(log_level_t level);
/** Reads a level name (debug|info|warn|error) into *out; false if `name` is none of them. */
bool log_level_parse(const char *name, log_level_t *out);
void log_msg(log_level_t level, const char *module, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
#define log_debug(mod, ...) log_msg(LOG_LEVEL_DEBUG, mod, __VA_ARGS__)
#define log_info(mod, ...)  log_msg(LOG_LEVEL_INFO, mod, __VA_ARGS__)
#define log_warn(mod, ...)  log_msg(LOG_LEVEL_WARN, mod, __VA_ARGS__)
#define log_error(mod, ...) log_msg(LOG_LEVEL_ERROR, mod, __VA_ARGS__)

/** Milliseconds since the Unix epoch (wall clock), for timestamps visible to users. */
uint64_t time_now_ms(void);

#endif
