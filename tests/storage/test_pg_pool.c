/* test_pg_pool.c - behaviour specific to the PostgreSQL backend: URL checks, an unreachable
 * server (operations fail with -ENOTCONN, close still works), and connections killed by the
 * server (in-flight requests fail once with -ENOTCONN, never -EIO; later ones succeed after the
 * reconnect). The last one needs
 * SIOC_TEST_PG. */
#include "tests/storage/support.h"
#include "tests/support/leakcheck.h"

#include <errno.h>
#include <libpq-fe.h>
#include <stdlib.h>
#include <string.h>

static void fini(void)
{
    sioc_check_leaks();
}

Test(pg_pool, refuses_bad_urls_and_host_names, .fini = fini)
{
    uv_loop_t loop;
    cr_assert_eq(uv_loop_init(&loop), 0);
    store_t *s = NULL;
    log_min_level = LOG_LEVEL_ERROR + 1;
    cr_expect_eq(store_open(&loop, "postgres://u@localhost:5/db", &s), -EINVAL);
    cr_expect_eq(store_open(&loop, "postgres://u@db.example.com/db", &s), -EINVAL);
    cr_expect_eq(store_open(&loop, "postgres://u@127.0.0.1:5/db?nosuchoption=1", &s), -EINVAL);
    cr_expect_eq(store_open(&loop, "postgresql://u@[::1:5/db", &s), -EINVAL);
    cr_expect_null(s);
    uv_run(&loop, UV_RUN_DEFAULT);
    cr_assert_eq(uv_loop_close(&loop), 0);
}

static void setup_unreachable(void)
{
    F = xcalloc(1, sizeof(*F));
    F->pg = true;
    log_min_level = LOG_LEVEL_ERROR + 1;
    cr_assert_eq(uv_loop_init(&F->loop), 0);
    /* port 1 on loopback: connection refused at once */
    snprintf(F->url, sizeof(F->url), "postgres://u@127.0.0.1:1/db");
    cr_assert_eq(store_open(&F->loop, F->url, &F->store), 0);
}

Test(pg_pool, unreachable_server_fails_requests_with_enotconn, .init = setup_unreachable,
     .fini = t_teardown)
{
    cr_expect_str_eq(store_backend_name(F->store), "postgres");
    char err[256] = "";
    cr_expect_eq(store_migrate_sync(F->store, err, sizeof(err)), -EIO);
    cr_expect(strstr(err, "cannot connect") != NULL, "%s", err);
    enum { N = 10 };
    tres_t *rs[N];
    for (int i = 0; i < N; i++) {
        rs[i] = t_new();
        cr_assert_eq(store_user_get(F->store, i + 1, t_user_cb, rs[i]), 0);
        cr_expect_eq(rs[i]->calls, 0, "callback inside the call");
    }
    t_wait_all(rs, N);
    for (int i = 0; i < N; i++)
        cr_expect_eq(rs[i]->status, -ENOTCONN);
    /* later calls, while the pool is down, fail the same way */
    t_sleep(20);
    tres_t *r;
    RUN(r, store_chat_list_public, t_chats_cb);
    cr_expect_eq(r->status, -ENOTCONN);
    store_stats_t st;
    store_stats(F->store, &st);
    cr_expect_eq(st.unavailable, N + 1);
}

/* Terminates every other session on the test database. */
static void kill_sessions(void)
{
    PGconn *c = PQconnectdb(getenv("SIOC_TEST_PG"));
    cr_assert_eq(PQstatus(c), CONNECTION_OK);
    char sql[256];
    snprintf(sql, sizeof(sql),
             "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
             " WHERE datname = '%s' AND pid <> pg_backend_pid()",
             F->dbname);
    PGresult *res = PQexec(c, sql);
    cr_assert_eq(PQresultStatus(res), PGRES_TUPLES_OK, "%s", PQresultErrorMessage(res));
    cr_expect_gt(atoi(PQgetvalue(res, 0, 0)), 0, "the pool had no session to kill");
    PQclear(res);
    PQfinish(c);
}

Test(pg_pool, reconnects_after_the_server_killed_its_sessions, .init = t_setup_pg,
     .fini = t_teardown, .timeout = 60)
{
    if (t_skipped())
        cr_skip_test("SIOC_TEST_PG is not set");
    log_min_level = LOG_LEVEL_ERROR + 1;
    int64_t a = t_user("a");
    int64_t ch = t_chat(STORE_CHAT_GROUP, "g", a, NULL, 0);
    /* use every connection of the pool */
    enum { N = 16 };
    tres_t *rs[N];
    for (int i = 0; i < N; i++) {
        rs[i] = t_new();
        cr_assert_eq(store_user_get(F->store, a, t_user_cb, rs[i]), 0);
    }
    t_wait_all(rs, N);
    kill_sessions();
    /* every request completes once, with success or -ENOTCONN, and the pool comes back */
    int ok = 0;
    uint64_t deadline = uv_hrtime() + 20ull * 1000000000ull;
    for (int round = 0; ok == 0; round++) {
        cr_assert(uv_hrtime() < deadline, "the pool did not come back");
        for (int i = 0; i < N; i++) {
            rs[i] = t_new();
            char cid[32];
            snprintf(cid, sizeof(cid), "r%d-%d", round, i);
            cr_assert_eq(store_message_send(F->store, ch, a, "after kill", cid, t_msg_cb, rs[i]),
                         0);
        }
        t_wait_all(rs, N);
        for (int i = 0; i < N; i++) {
            cr_expect(rs[i]->status == 0 || rs[i]->status == -ENOTCONN, "%d", rs[i]->status);
            ok += rs[i]->status == 0;
        }
        if (ok == 0)
            t_sleep(50);
    }
    /* whatever failed, the seqs that were assigned are gapless */
    cr_expect_eq(t_sql_int("SELECT max(seq) FROM messages"),
                 t_sql_int("SELECT count(*) FROM messages"));
}
