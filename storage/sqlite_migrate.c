/* sqlite_migrate.c - applies store__sqlite_migrations on the worker thread. Each pending
 * version runs in its own BEGIN IMMEDIATE transaction (which also serialises concurrent
 * migrators in other processes), together with the creation of schema_migrations and the row
 * that records it; any error rolls the whole version back and stops. */
#include "storage/sqlite_be.h"

#include <errno.h>
#include <stdio.h>

static int version_applied(sqlite_be_t *be, int version, bool *applied)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(be->db, "SELECT 1 FROM schema_migrations WHERE version = ?", -1,
                                &st, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_bind_int(st, 1, version);
        rc = sqlite3_step(st);
        *applied = rc == SQLITE_ROW;
        rc = rc == SQLITE_ROW || rc == SQLITE_DONE ? SQLITE_OK : rc;
    }
    sqlite3_finalize(st);
    return rc;
}

static int record_version(sqlite_be_t *be, int version)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(
        be->db, "INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)", -1, &st, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_bind_int(st, 1, version);
        sqlite3_bind_int64(st, 2, (sqlite3_int64)time_now_ms());
        rc = sqlite3_step(st);
        rc = rc == SQLITE_DONE ? SQLITE_OK : rc;
    }
    sqlite3_finalize(st);
    return rc;
}

int store__sqlite_migrate(sqlite_be_t *be, char *err, size_t errlen)
{
    /* statements cached against the old schema would be re-prepared anyway; start clean */
    store__sqlite_cache_clear(be);
    for (int v = 1; v <= STORE_SCHEMA_VERSION; v++) {
        const store_migration_t *m = &store__sqlite_migrations[v - 1];
        bool applied = false;
        char *msg = NULL;
        int rc = sqlite3_exec(be->db,
                              "BEGIN IMMEDIATE; CREATE TABLE IF NOT EXISTS schema_migrations ("
                              "version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)",
                              NULL, NULL, &msg);
        if (rc == SQLITE_OK)
            rc = version_applied(be, v, &applied);
        if (rc == SQLITE_OK && !applied) {
            rc = sqlite3_exec(be->db, m->sql, NULL, NULL, &msg);
            if (rc == SQLITE_OK)
                rc = record_version(be, v);
        }
        if (rc == SQLITE_OK)
            rc = sqlite3_exec(be->db, "COMMIT", NULL, NULL, &msg);
        if (rc != SQLITE_OK) {
            store__err(err, errlen, "sqlite: migration %d (%s) failed: %s", v, m->name,
                       msg != NULL ? msg : sqlite3_errmsg(be->db));
            log_error(STORE_LOG, "sqlite: migration %d (%s) failed: %s", v, m->name,
                      msg != NULL ? msg : sqlite3_errmsg(be->db));
            sqlite3_free(msg);
            if (!sqlite3_get_autocommit(be->db))
                sqlite3_exec(be->db, "ROLLBACK", NULL, NULL, NULL);
            return -EIO;
        }
        if (!applied)
            log_info(STORE_LOG, "sqlite: applied migration %d (%s)", v, m->name);
    }
    return 0;
}

int store_schema_version(void)
{
    return STORE_SCHEMA_VERSION;
}
