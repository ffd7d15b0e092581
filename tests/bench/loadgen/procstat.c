/* procstat.c - what the load generator measures outside itself: the server's CPU time and
 * resident memory (VmRSS from /proc/<pid>/status), its own CPU time (getrusage), and the failure
 * counts per reason. Sampled at phase boundaries, so the figures do not depend on the runner's
 * timing.
 *
 * CPU time comes two ways: utime+stime of the whole process from /proc/<pid>/stat, which counts
 * in clock ticks (10 ms: too coarse for a phase that costs the server 30 ms), and the sum of the
 * first field of /proc/<pid>/task/<tid>/schedstat (nanoseconds on a CPU, per live thread). The
 * second is the figure used when available; both are reported, and over long phases they agree (a
 * thread that exits mid-phase would be missed by the second only). With --db-pid, the CPU time of
 * a database server (the PostgreSQL postmaster and its per-connection children) is summed too. */
#include "tests/bench/loadgen/loadgen.h"

#include <dirent.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

/* Reads /proc/<pid>/stat into line[cap] and returns its fields from the third (state) on, or
 * NULL. The command name may hold spaces and parentheses: the fields resume after the last ')'. */
static const char *stat_fields(const char *pid, char *line, size_t cap)
{
    char path[300];
    snprintf(path, sizeof(path), "/proc/%s/stat", pid);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return NULL;
    size_t n = fread(line, 1, cap - 1, f);
    fclose(f);
    line[n] = '\0';
    const char *p = strrchr(line, ')');
    return p != NULL && p[1] == ' ' ? p + 2 : NULL;
}

static double server_cpu(int pid)
{
    char id[16], line[1024];
    snprintf(id, sizeof(id), "%d", pid);
    const char *p = stat_fields(id, line, sizeof(line));
    if (p == NULL)
        return -1;
    unsigned long utime = 0, stime = 0;
    /* state(3) ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime(14)
     * stime(15) */
    if (sscanf(p, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &utime, &stime) != 2)
        return -1;
    return (double)(utime + stime) / (double)sysconf(_SC_CLK_TCK);
}

/* Nanosecond CPU time of every live thread of `pid`, in seconds; -1 if unavailable. */
static double server_cpu_sched(int pid)
{
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/task", pid);
    DIR *d = opendir(path);
    if (d == NULL)
        return -1;
    unsigned long long total = 0;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] < '0' || e->d_name[0] > '9')
            continue;
        char tp[320];
        snprintf(tp, sizeof(tp), "/proc/%d/task/%s/schedstat", pid, e->d_name);
        FILE *f = fopen(tp, "r");
        if (f == NULL)
            continue;
        unsigned long long ns;
        if (fscanf(f, "%llu", &ns) == 1) {
            total += ns;
            n++;
        }
        fclose(f);
    }
    closedir(d);
    return n > 0 ? (double)total / 1e9 : -1;
}

/* The core `pid` is pinned to, or -1 if it may run on several. */
static int pinned_core(int pid)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(pid, sizeof(set), &set) != 0 || CPU_COUNT(&set) != 1)
        return -1;
    for (int i = 0; i < CPU_SETSIZE; i++)
        if (CPU_ISSET(i, &set))
            return i;
    return -1;
}

/* Busy and softirq seconds of core `core` since boot; false if unknown. */
static bool core_times(int core, double *busy, double *softirq)
{
    FILE *f = fopen("/proc/stat", "r");
    if (f == NULL)
        return false;
    char want[16], line[512];
    snprintf(want, sizeof(want), "cpu%d ", core);
    bool found = false;
    while (!found && fgets(line, sizeof(line), f) != NULL) {
        if (strncmp(line, want, strlen(want)) != 0)
            continue;
        unsigned long long v[8] = {0};
        if (sscanf(line + strlen(want), "%llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1],
                   &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]) == 8) {
            double hz = (double)sysconf(_SC_CLK_TCK);
            /* user nice system idle iowait irq softirq steal */
            *busy = (double)(v[0] + v[1] + v[2] + v[5] + v[6] + v[7]) / hz;
            *softirq = (double)v[6] / hz;
            found = true;
        }
    }
    fclose(f);
    return found;
}

/* CPU seconds (schedstat) of process `pid` and of each of its children: a database server whose
 * postmaster forks one process per connection. -1 if `pid` is gone. */
static double tree_cpu(int pid)
{
    double total = server_cpu_sched(pid);
    if (total < 0)
        return -1;
    DIR *d = opendir("/proc");
    if (d == NULL)
        return total;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] < '0' || e->d_name[0] > '9')
            continue;
        char line[1024];
        const char *p = stat_fields(e->d_name, line, sizeof(line));
        int ppid = 0;
        if (p != NULL && sscanf(p, "%*c %d", &ppid) == 1 && ppid == pid) {
            double c = server_cpu_sched(atoi(e->d_name));
            if (c > 0)
                total += c;
        }
    }
    closedir(d);
    return total;
}

static long server_rss(int pid)
{
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/status", pid);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return -1;
    char line[256];
    long kb = -1;
    while (fgets(line, sizeof(line), f) != NULL)
        if (strncmp(line, "VmRSS:", 6) == 0) {
            kb = strtol(line + 6, NULL, 10);
            break;
        }
    fclose(f);
    return kb;
}

void lg_proc_sample(lg_proc_sample_t *s)
{
    s->server_cpu_stat_s = lg.opts.pid > 0 ? server_cpu(lg.opts.pid) : -1;
    s->server_cpu_s = lg.opts.pid > 0 ? server_cpu_sched(lg.opts.pid) : -1;
    if (s->server_cpu_s < 0)
        s->server_cpu_s = s->server_cpu_stat_s;
    s->server_rss_kb = lg.opts.pid > 0 ? server_rss(lg.opts.pid) : -1;
    s->db_cpu_s = lg.opts.db_pid > 0 ? tree_cpu(lg.opts.db_pid) : -1;
    static int core = -2;
    if (core == -2)
        core = lg.opts.pid > 0 ? pinned_core(lg.opts.pid) : -1;
    s->core_busy_s = s->core_softirq_s = -1;
    if (core >= 0)
        core_times(core, &s->core_busy_s, &s->core_softirq_s);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    s->self_cpu_s = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
                    (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
    s->t_us = lg_now_us();
}

void lg_proc_span_json(buf_t *out, const char *name, const lg_proc_sample_t *a,
                       const lg_proc_sample_t *b)
{
    double cpu =
        (a->server_cpu_s >= 0 && b->server_cpu_s >= 0) ? b->server_cpu_s - a->server_cpu_s : -1;
    double cpu_stat = (a->server_cpu_stat_s >= 0 && b->server_cpu_stat_s >= 0)
                          ? b->server_cpu_stat_s - a->server_cpu_stat_s
                          : -1;
    buf_printf(out,
               "\"%s\":{\"wall_s\":%.3f,\"server_cpu_s\":%.4f,\"server_cpu_stat_s\":%.2f,"
               "\"loadgen_cpu_s\":%.3f",
               name, (double)(b->t_us - a->t_us) / 1e6, cpu, cpu_stat,
               b->self_cpu_s - a->self_cpu_s);
    if (a->db_cpu_s >= 0 && b->db_cpu_s >= 0)
        buf_printf(out, ",\"db_cpu_s\":%.4f", b->db_cpu_s - a->db_cpu_s);
    if (a->core_busy_s >= 0 && b->core_busy_s >= 0)
        buf_printf(out, ",\"server_core_busy_s\":%.2f,\"server_core_softirq_s\":%.2f",
                   b->core_busy_s - a->core_busy_s, b->core_softirq_s - a->core_softirq_s);
    buf_append_char(out, '}');
}

/* ---- failures per reason ---- */

#define MAX_REASONS 32
static struct {
    char name[48];
    unsigned long n;
} reasons[MAX_REASONS];
static size_t n_reasons;
static unsigned long total_failures;

void lg_fail_count(const char *reason)
{
    total_failures++;
    for (size_t i = 0; i < n_reasons; i++)
        if (strcmp(reasons[i].name, reason) == 0) {
            reasons[i].n++;
            return;
        }
    size_t i = n_reasons < MAX_REASONS ? n_reasons++ : MAX_REASONS - 1;
    snprintf(reasons[i].name, sizeof(reasons[i].name), "%s",
             i == MAX_REASONS - 1 ? "other" : reason);
    reasons[i].n++;
}

unsigned long lg_fail_total(void)
{
    return total_failures;
}

void lg_fail_json(buf_t *out)
{
    buf_printf(out, "\"failures\":%lu,\"failure_reasons\":{", total_failures);
    for (size_t i = 0; i < n_reasons; i++)
        buf_printf(out, "%s\"%s\":%lu", i ? "," : "", reasons[i].name, reasons[i].n);
    buf_append_char(out, '}');
}
