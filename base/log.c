/* log.c - leveled logging to stderr with a UTC timestamp and the module name. */
#include "base/base.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

log_level_t log_min_level = LOG_LEVEL_INFO;

static const char *level_names[] = {"debug", "info", "warn", "error"};

static bool level_done;

void log_set_level(log_level_t level)
{
    log_min_level = level;
    level_done = true;
}

bool log_level_parse(const char *name, log_level_t *out)
{
    for (size_t i = 0; i < ARRAY_SIZE(level_names); i++)
        if (strcmp(name, level_names[i]) == 0) {
            *out = (log_level_t)i;
            return true;
        }
    return false;
}

static void init_level(void)
{
    bool done = level_done;
    level_done = true;
    if (done)
        return;
    const char *env = getenv("SIOC_LOG_LEVEL");
    if (env != NULL)
        log_level_parse(env, &log_min_level);
}

void log_msg(log_level_t level, const char *module, const char *fmt, ...)
{
    init_level();
    if (level < log_min_level)
        return;
    struct timeval tv;
    gettimeofday(&tv, NULL);
    struct tm tm;
    gmtime_r(&tv.tv_sec, &tm);
    char ts[32];
    strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
    char line[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    fprintf(stderr, "%s.%03ldZ %-5s [%s] %s\n", ts, (long)(tv.tv_usec / 1000), level_names[level],
            module, line);
}

uint64_t time_now_ms(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (uint64_t)tv.tv_sec * 1000 + (uint64_t)tv.tv_usec / 1000;
}
