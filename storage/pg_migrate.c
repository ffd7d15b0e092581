/* pg_migrate.c - store_migrate_sync() for PostgreSQL: a blocking connection of its own (this
 * runs before uv_run), then each pending migration in its own transaction that first takes a
 * transaction-scoped advisory lock (so several processes starting together migrate one after
 * the other), creates schema_migrations if needed, checks the version, runs the migration and
 * records it. Any error rolls the transaction back (DDL is transactional in PostgreSQL), so a
 * failing migration leaves nothing behind, and stops the sequence. */
#include "storage/pg_be.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define MIGRATION_LOCK_KEY 0x51c0c4a7 /* pg_advisory_xact_lock key of sioc migrations */

static void quiet_notices(void *arg, const char *msg)
{
    UNUSED(arg);
    UNUSED(msg); /* "relation already exists, skipping" and the like */
}

/* Runs sql; returns 0, or -EIO with the error in err. */
static int run(PGconn *c, const char *sql, char *err, size_t errlen, int version, const char *name)
{
    PGresult *res = PQexec(c, sql);
    ExecStatusType st = PQresultStatus(res);
    int rc = 0;
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
        store__err(err, errlen, "postgres: migration %d (%s) failed: %s", version, name,
                   PQresultErrorMessage(res));
        rc = -EIO;
    }
    PQclear(res);
    return rc;
}

static int migrate_one(PGconn *c, int v, char *err, size_t errlen, bool *applied_now)
{
    const store_migration_t *m = &store__pg_migrations[v - 1];
    char sql[256];
    snprintf(sql, sizeof(sql),
             "BEGIN; SELECT pg_advisory_xact_lock(%d);"
             " CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY,"
             " applied_at BIGINT NOT NULL)",
             MIGRATION_LOCK_KEY);
    int rc = run(c, sql, err, errlen, v, m->name);
    bool applied = false;
    if (rc == 0) {
        snprintf(sql, sizeof(sql), "SELECT 1 FROM schema_migrations WHERE version = %d", v);
        PGresult *res = PQexec(c, sql);
        if (PQresultStatus(res) == PGRES_TUPLES_OK)
            applied = PQntuples(res) > 0;
        else
            rc = store__err(err, errlen, "postgres: migration %d (%s) failed: %s", v, m->name,
                            PQresultErrorMessage(res));
        PQclear(res);
    }
    if (rc == 0 && !applied) {
        rc = run(c, m->sql, err, errlen, v, m->name);
        if (rc == 0) {
            snprintf(sql, sizeof(sql),
                     "INSERT INTO schema_migrations (version, applied_at) VALUES (%d, %lld)", v,
                     (long long)time_now_ms());
            rc = run(c, sql, err, errlen, v, m->name);
        }
    }
    if (rc == 0)
        rc = run(c, "COMMIT", err, errlen, v, m->name);
    if (rc != 0) {
        PGresult *res = PQexec(c, "ROLLBACK");
        PQclear(res);
    }
    *applied_now = rc == 0 && !applied;
    return rc;
}

int store__pg_migrate(const char *url, char *out, size_t outlen)
{
    char err[1024] = "";
    size_t errlen = sizeof(err);
    const char *kw[4], *val[4];
    store__pg_conninfo(url, kw, val);
    PGconn *c = PQconnectdbParams(kw, val, 1);
    if (PQstatus(c) != CONNECTION_OK) {
        int rc = store__err(err, errlen, "postgres: cannot connect: %s", PQerrorMessage(c));
        err[strcspn(err, "\n")] = '\0';
        log_error(STORE_LOG, "%s", err);
        PQfinish(c);
        if (outlen > 0)
            snprintf(out, outlen, "%s", err);
        return rc;
    }
    PQsetNoticeProcessor(c, quiet_notices, NULL);
    int rc = 0;
    for (int v = 1; v <= STORE_SCHEMA_VERSION && rc == 0; v++) {
        bool applied = false;
        rc = migrate_one(c, v, err, errlen, &applied);
        if (rc != 0) {
            err[strcspn(err, "\n")] = '\0';
            log_error(STORE_LOG, "%s", err);
        } else if (applied)
            log_info(STORE_LOG, "postgres: applied migration %d (%s)", v,
                     store__pg_migrations[v - 1].name);
    }
    PQfinish(c);
    if (outlen > 0) {
        snprintf(out, outlen, "%s", err);
        size_t n = strlen(out);
        while (n > 0 && (out[n - 1] == '\n' || out[n - 1] == ' '))
            out[--n] = '\0'; /* libpq messages end with a newline */
    }
    return rc;
}
