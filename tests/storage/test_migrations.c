/* test_migrations.c - schema migrations on both backends: from an empty database, re-running is a
 * no-op, and a migration that fails part-way changes nothing and reports which one failed. */
#include "tests/storage/support.h"

#include <string.h>

STORE_TEST_RAW(migrates_an_empty_database)
{
    cr_assert_not(t_table_exists("users"));
    char err[512];
    cr_assert_eq(store_migrate_sync(F->store, err, sizeof(err)), 0, "%s", err);
    const char *tables[] = {"users",    "refresh_tokens", "chats",          "memberships",
                            "messages", "reactions",      "read_positions", "schema_migrations"};
    for (size_t i = 0; i < ARRAY_SIZE(tables); i++)
        cr_expect(t_table_exists(tables[i]), "table %s missing", tables[i]);
    cr_expect_eq(t_sql_int("SELECT count(*) FROM schema_migrations"), store_schema_version());
    cr_expect_eq(t_sql_int("SELECT max(version) FROM schema_migrations"), store_schema_version());
    cr_expect_gt(t_sql_int("SELECT min(applied_at) FROM schema_migrations"), 1700000000000);
    /* and the store works on it */
    int64_t u = t_user("alice");
    cr_expect_gt(u, 0);
}

STORE_TEST_RAW(rerunning_migrations_is_a_no_op)
{
    char err[512];
    cr_assert_eq(store_migrate_sync(F->store, err, sizeof(err)), 0, "%s", err);
    int64_t u = t_user("bob");
    int64_t applied = t_sql_int("SELECT sum(applied_at) FROM schema_migrations");
    cr_assert_eq(store_migrate_sync(F->store, err, sizeof(err)), 0, "%s", err);
    cr_assert_eq(store_migrate_sync(F->store, err, sizeof(err)), 0, "%s", err);
    cr_expect_eq(t_sql_int("SELECT count(*) FROM schema_migrations"), store_schema_version());
    cr_expect_eq(t_sql_int("SELECT sum(applied_at) FROM schema_migrations"), applied);
    cr_expect_eq(t_sql_int("SELECT count(*) FROM users"), 1);
    tres_t *r;
    RUN(r, store_user_get, u, t_user_cb);
    cr_expect_eq(r->status, 0);
}

STORE_TEST_RAW(a_failing_migration_changes_nothing)
{
    /* an object in the way of migration 1, created after its first tables */
    cr_assert_eq(t_sql_exec("CREATE TABLE reactions (x INTEGER)"), 0);
    char err[512] = "";
    cr_assert_eq(store_migrate_sync(F->store, err, sizeof(err)), -EIO);
    cr_expect(strstr(err, "migration 1") != NULL, "unclear error: %s", err);
    cr_expect(strstr(err, "reactions") != NULL, "unclear error: %s", err);
    cr_expect_not(t_table_exists("users"), "migration 1 was not rolled back");
    cr_expect_not(t_table_exists("chats"));
    cr_expect_not(t_table_exists("schema_migrations"));
    /* once the obstacle is gone, the same migrations succeed */
    cr_assert_eq(t_sql_exec("DROP TABLE reactions"), 0);
    cr_assert_eq(store_migrate_sync(F->store, err, sizeof(err)), 0, "%s", err);
    cr_expect_eq(t_sql_int("SELECT count(*) FROM schema_migrations"), store_schema_version());
    cr_expect_gt(t_user("carol"), 0);
}
