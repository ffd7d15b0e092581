/* leakcheck.h - sioc_check_leaks(): criterion forks a child per test and ignores LeakSanitizer
 * reports made after the test body, so each suite's .fini calls this to fail on leaks at once.
 * A no-op in builds without LeakSanitizer. */
#ifndef SIOC_TESTS_LEAKCHECK_H
#define SIOC_TESTS_LEAKCHECK_H

#include <stdlib.h>

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SIOC_HAVE_LSAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define SIOC_HAVE_LSAN 1
#endif

#ifdef SIOC_HAVE_LSAN
int __lsan_do_recoverable_leak_check(void);
static inline void sioc_check_leaks(void)
{
    if (__lsan_do_recoverable_leak_check() != 0)
        abort();
}
#else
static inline void sioc_check_leaks(void)
{
}
#endif

#endif
