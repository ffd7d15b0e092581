/* hist.c - the load generator's latency histogram, in microseconds.
 *
 * Log-linear buckets as in HdrHistogram: values below 128 us get a bucket each; above, every
 * power of two is split into 64 buckets, so a bucket is at most 1/64 (~1.6%) of its value wide.
 * 2560 buckets reach past 2^40 us. Adding is O(1) with no allocation; quantiles walk the array. */
#include "tests/bench/loadgen/loadgen.h"

#include <math.h>

static size_t bucket_of(uint64_t v)
{
    if (v < 128)
        return (size_t)v;
    int msb = 63 - __builtin_clzll(v); /* >= 7 */
    int shift = msb - 6;
    size_t i = (size_t)(shift + 1) * 64 + (size_t)((v >> shift) - 64);
    return i < HIST_BUCKETS ? i : HIST_BUCKETS - 1;
}

/* The middle of bucket `i`. */
static uint64_t bucket_value(size_t i)
{
    if (i < 128)
        return i;
    int shift = (int)(i / 64) - 1;
    uint64_t lo = (uint64_t)((i % 64) + 64) << shift;
    return lo + ((1ull << shift) >> 1);
}

void hist_add(lg_hist_t *h, uint64_t us)
{
    h->b[bucket_of(us)]++;
    h->count++;
    h->sum += us;
    if (us > h->max)
        h->max = us;
}

uint64_t hist_quantile(const lg_hist_t *h, double q)
{
    if (h->count == 0)
        return 0;
    uint64_t rank = (uint64_t)ceil(q * (double)h->count);
    if (rank == 0)
        rank = 1;
    uint64_t seen = 0;
    for (size_t i = 0; i < HIST_BUCKETS; i++) {
        seen += h->b[i];
        if (seen >= rank) {
            uint64_t v = bucket_value(i);
            return v > h->max ? h->max : v;
        }
    }
    return h->max;
}

void hist_json(buf_t *out, const char *name, const lg_hist_t *h)
{
    buf_printf(out,
               "\"%s\":{\"n\":%llu,\"p50\":%llu,\"p99\":%llu,\"p999\":%llu,\"max\":%llu,"
               "\"mean\":%.1f}",
               name, (unsigned long long)h->count, (unsigned long long)hist_quantile(h, 0.50),
               (unsigned long long)hist_quantile(h, 0.99),
               (unsigned long long)hist_quantile(h, 0.999), (unsigned long long)h->max,
               h->count ? (double)h->sum / (double)h->count : 0.0);
}
