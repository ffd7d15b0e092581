/* metrics.c - see metrics.h. Each metric is one HELP/TYPE/sample triple; the values are read
 * from the modules' stats calls at each request (cheap counters, no locking: loop thread). The
 * resident size comes from /proc/self/statm, a procfs read that never waits on a disk. */
#include "src/server/metrics.h"

#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct st_srv_metrics_t {
    srv_metrics_sources_t src;
};

srv_metrics_t *srv_metrics_new(const srv_metrics_sources_t *src)
{
    srv_metrics_t *m = xcalloc(1, sizeof(*m));
    m->src = *src;
    return m;
}

void srv_metrics_free(srv_metrics_t *m)
{
    free(m);
}

static void metric(buf_t *out, const char *name, const char *type, const char *help, uint64_t value)
{
    buf_printf(out, "# HELP sioc_%s %s\n# TYPE sioc_%s %s\nsioc_%s %" PRIu64 "\n", name, help, name,
               type, name, value);
}

static void gauge(buf_t *out, const char *name, const char *help, uint64_t value)
{
    metric(out, name, "gauge", help, value);
}

static void counter(buf_t *out, const char *name, const char *help, uint64_t value)
{
    metric(out, name, "counter", help, value);
}

static uint64_t resident_bytes(void)
{
    char buf[128];
    unsigned long long size = 0, rss = 0;
    int fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
    ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
    if (fd >= 0)
        close(fd);
    if (n <= 0)
        return 0;
    buf[n] = '\0';
    if (sscanf(buf, "%llu %llu", &size, &rss) != 2)
        return 0;
    return (uint64_t)rss * (uint64_t)sysconf(_SC_PAGESIZE);
}

static void render_engine(const srv_metrics_t *m, buf_t *out)
{
    const srv_config_t *conf = m->src.conf;
    eio_server_stats_t es;
    sio_recovery_stats_t rs;
    if (m->src.io == NULL)
        return;
    eio_server_stats(sio_server_engine(m->src.io), &es);
    gauge(out, "engine_sockets", "Open Engine.IO sessions.", es.sockets);
    gauge(out, "send_queue_packets", "Packets queued for clients, over every socket.",
          es.queued_packets);
    gauge(out, "send_queue_bytes", "Bytes queued for clients, over every socket.", es.queued_bytes);
    gauge(out, "send_queue_limit_packets", "Per-socket bound in packets (--max-buffered-packets).",
          conf->max_buffered_packets);
    gauge(out, "send_queue_limit_bytes", "Per-socket bound in bytes (--max-buffered-bytes).",
          conf->max_buffered_bytes);
    counter(out, "send_queue_overflow_closed_total",
            "Sockets closed for going over their send bound.", es.closed_overflow);
    counter(out, "volatile_dropped_total", "Volatile packets dropped.", es.volatile_dropped);
    sio_server_recovery_stats(m->src.io, &rs);
    gauge(out, "recovery_buffer_packets", "Recoverable packets kept, every namespace.", rs.packets);
    gauge(out, "recovery_buffer_bytes", "Bytes of recoverable packets kept, every namespace.",
          rs.bytes);
    gauge(out, "recovery_buffer_limit_bytes", "Per-namespace bound (--recovery-max-bytes).",
          conf->recovery_max_bytes);
    counter(out, "recovery_dropped_total", "Recoverable packets dropped by the byte or age bound.",
            rs.dropped);
    gauge(out, "recovery_sessions", "Disconnected sessions kept for recovery.", rs.sessions);
    gauge(out, "recovery_replaying", "Sockets being replayed to.", rs.replaying);
    counter(out, "recovery_recovered_total", "Sessions recovered.", rs.recovered);
    counter(out, "recovery_refused_total",
            "Recoveries refused for missing more than can be replayed (fresh session instead).",
            rs.refused);
}

void srv_metrics_render(const srv_metrics_t *m, buf_t *out)
{
    render_engine(m, out);
    if (m->src.store != NULL) {
        store_stats_t st;
        store_stats(m->src.store, &st);
        gauge(out, "store_pending", "Database operations accepted and not completed.", st.pending);
        gauge(out, "store_pending_limit", "Bound of waiting operations (--store-max-pending).",
              st.max_pending);
        counter(out, "store_refused_total", "Operations refused for the bound (503).", st.refused);
        counter(out, "store_unavailable_total",
                "Operations failed because the database was out of "
                "reach (503).",
                st.unavailable);
    }
    if (m->src.redis != NULL) {
        rda_client_stats_t rs;
        rda_client_stats(m->src.redis, &rs);
        gauge(out, "redis_connected", "1 while both Redis connections are up.", rs.connected);
        gauge(out, "redis_queue_publishes", "Publishes waiting for Redis.", rs.queued);
        gauge(out, "redis_queue_bytes", "Bytes of publishes waiting for Redis.", rs.queued_bytes);
        gauge(out, "redis_queue_limit_bytes", "Bound of that queue (--redis-queue-max-bytes).",
              m->src.conf->redis_queue_max_bytes);
        counter(out, "redis_queue_dropped_total", "Publishes dropped by that bound.", rs.dropped);
    }
    if (m->src.chat != NULL)
        gauge(out, "throttle_keys", "Sign-in and registration throttle keys tracked here.",
              srv_chat_throttle_keys(m->src.chat));
    gauge(out, "http_connections", "Open HTTP connections.",
          srv_http_connection_count(m->src.http));
    gauge(out, "process_resident_bytes", "Resident memory of the process.", resident_bytes());
}

static int on_metrics(h2o_req_t *req, void *data)
{
    srv_metrics_t *m = data;
    static const char type[] = "text/plain; version=0.0.4; charset=utf-8";
    buf_t b = BUF_INIT;
    if (!h2o_memis(req->method.base, req->method.len, H2O_STRLIT("GET")) &&
        !h2o_memis(req->method.base, req->method.len, H2O_STRLIT("HEAD"))) {
        req->res.status = 405;
        req->res.reason = "Method Not Allowed";
        h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_ALLOW, NULL, H2O_STRLIT("GET"));
        req->res.content_length = 0;
        h2o_send_inline(req, "", 0);
        return 0;
    }
    srv_metrics_render(m, &b);
    req->res.status = 200;
    req->res.reason = "OK";
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL, type,
                   sizeof(type) - 1);
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CACHE_CONTROL, NULL,
                   H2O_STRLIT("no-store"));
    req->res.content_length = b.len;
    h2o_send_inline(req, b.base != NULL ? b.base : "", b.len);
    buf_dispose(&b);
    return 0;
}

int srv_metrics_register(srv_metrics_t *m, srv_http_t *http)
{
    return srv_http_add_handler(http, "/metrics", on_metrics, m);
}
