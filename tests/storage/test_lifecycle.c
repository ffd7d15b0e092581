/* test_lifecycle.c - opening, argument checks, closing with work in flight. */
#include "tests/storage/support.h"
#include "tests/support/leakcheck.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static void fini(void)
{
    sioc_check_leaks();
}

Test(store_open, refuses_unknown_urls, .fini = fini)
{
    uv_loop_t loop;
    cr_assert_eq(uv_loop_init(&loop), 0);
    store_t *s = (store_t *)1;
    cr_expect_eq(store_open(&loop, "mysql://x", &s), -EINVAL);
    cr_expect_null(s);
    cr_expect_eq(store_open(&loop, "sqlite:", &s), -EINVAL);
    cr_expect_eq(store_open(&loop, "", &s), -EINVAL);
    cr_expect_eq(store_open(&loop, NULL, &s), -EINVAL);
    /* a path whose directory cannot be created */
    cr_expect_eq(store_open(&loop, "sqlite:/proc/nope/x.db", &s), -EIO);
    uv_run(&loop, UV_RUN_DEFAULT);
    cr_assert_eq(uv_loop_close(&loop), 0);
}

static void count_cb(void *d, int status)
{
    UNUSED(status);
    (*(int *)d)++;
}

Test(store_open, memory_database_open_migrate_close, .fini = fini)
{
    uv_loop_t loop;
    cr_assert_eq(uv_loop_init(&loop), 0);
    store_t *s = NULL;
    cr_assert_eq(store_open(&loop, "sqlite::memory:", &s), 0);
    cr_expect_str_eq(store_backend_name(s), "sqlite");
    char err[256];
    cr_assert_eq(store_migrate_sync(s, err, sizeof(err)), 0, "%s", err);
    int closed = 0;
    store_close(s, count_cb, &closed);
    cr_expect_eq(closed, 0, "close callback ran inside store_close");
    uv_run(&loop, UV_RUN_DEFAULT);
    cr_expect_eq(closed, 1);
    cr_assert_eq(uv_loop_close(&loop), 0);
}

Test(store_open, creates_parent_directories, .fini = fini)
{
    char dir[] = "/tmp/sioc-open-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    char url[256], path[256];
    snprintf(url, sizeof(url), "sqlite:%s/a/b/c.db", dir);
    snprintf(path, sizeof(path), "%s/a/b/c.db", dir);
    uv_loop_t loop;
    cr_assert_eq(uv_loop_init(&loop), 0);
    store_t *s = NULL;
    cr_assert_eq(store_open(&loop, url, &s), 0);
    struct stat st;
    cr_expect_eq(stat(path, &st), 0);
    store_close(s, NULL, NULL);
    uv_run(&loop, UV_RUN_DEFAULT);
    cr_assert_eq(uv_loop_close(&loop), 0);
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    cr_expect_eq(system(cmd), 0);
}

STORE_TEST(refuses_bad_arguments_without_callback)
{
    tres_t *r = t_new();
    store_user_new_t nu = {"", NULL, NULL, NULL, STORE_USER_ROLE_USER};
    cr_expect_eq(store_user_create(F->store, &nu, t_user_cb, r), -EINVAL);
    nu.username = "x";
    nu.role = (store_user_role_t)7;
    cr_expect_eq(store_user_create(F->store, &nu, t_user_cb, r), -EINVAL);
    char big[STORE_MAX_BODY + 2];
    memset(big, 'a', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    cr_expect_eq(store_message_send(F->store, 1, 1, big, NULL, t_msg_cb, r), -EMSGSIZE);
    cr_expect_eq(store_message_send(F->store, 1, 1, "", NULL, t_msg_cb, r), -EINVAL);
    cr_expect_eq(store_message_send(F->store, 1, 1, NULL, NULL, t_msg_cb, r), -EINVAL);
    cr_expect_eq(store_message_send(F->store, 1, 1, "x", NULL, NULL, r), -EINVAL);
    cr_expect_eq(
        store_chat_create(F->store, STORE_CHAT_PRIVATE, "x", NULL, 1, NULL, 0, t_chat_cb, r),
        -EINVAL);
    cr_expect_eq(store_chat_get_private(F->store, 3, 3, t_chat_cb, r), -EINVAL);
    cr_expect_eq(store_message_search(F->store, 1, " ,;'\"-- ", 10, t_msgs_cb, r), -EINVAL);
    cr_expect_eq(store_message_list_after(F->store, 1, 0, 0, t_msgs_cb, r), -EINVAL);
    cr_expect_eq(store_member_add(F->store, 1, 1, STORE_MEMBER_NONE, t_status_cb, r), -EINVAL);
    static int64_t
        many[STORE_MAX_LIST + STORE_MAX_CHAT_INVITE + 1]; /* zeros, big enough for both */
    cr_expect_eq(store_reaction_list(F->store, many, STORE_MAX_LIST + 1, t_reactions_cb, r),
                 -EMSGSIZE);
    cr_expect_eq(store_reaction_list(F->store, NULL, 1, t_reactions_cb, r), -EINVAL);
    cr_expect_eq(store_chat_create(F->store, STORE_CHAT_GROUP, "x", NULL, 1, many,
                                   STORE_MAX_CHAT_INVITE + 1, t_chat_cb, r),
                 -EMSGSIZE);
    cr_expect_eq(store_user_list(F->store, 0, 0, t_users_cb, r), -EINVAL);
    cr_expect_eq(store_read_set(F->store, 1, 1, -1, t_seq_cb, r), -EINVAL);
    /* give a wrongly run callback every chance to show up */
    for (int i = 0; i < 20; i++)
        uv_run(&F->loop, UV_RUN_NOWAIT);
    cr_expect_eq(r->calls, 0);
}

STORE_TEST(calls_over_max_pending_are_refused_at_once)
{
    int64_t u = t_user("busy");
    tres_t *rs[3], *late = t_new();
    store_stats_t st;
    store_set_max_pending(F->store, 3);
    for (int i = 0; i < 3; i++) {
        rs[i] = t_new();
        cr_assert_eq(store_user_get(F->store, u, t_user_cb, rs[i]), 0);
    }
    cr_expect_eq(store_user_get(F->store, u, t_user_cb, late), -ENOBUFS);
    store_stats(F->store, &st);
    cr_expect_eq(st.pending, 3);
    cr_expect_eq(st.max_pending, 3);
    cr_expect_eq(st.refused, 1);
    t_wait_all(rs, 3);
    for (int i = 0; i < 3; i++)
        cr_expect_eq(rs[i]->status, 0);
    cr_expect_eq(late->calls, 0);
    store_stats(F->store, &st);
    cr_expect_eq(st.pending, 0);
    tres_t *r;
    RUN(r, store_user_get, u, t_user_cb); /* room again */
    cr_expect_eq(r->status, 0);
}

STORE_TEST(close_completes_work_in_flight)
{
    int64_t u = t_user("closer");
    int64_t c = t_chat(STORE_CHAT_GROUP, "g", u, NULL, 0);
    enum { N = 50 };
    tres_t *rs[N];
    for (int i = 0; i < N; i++) {
        rs[i] = t_new();
        cr_assert_eq(store_message_send(F->store, c, u, "last words", NULL, t_msg_cb, rs[i]), 0);
    }
    int closed = 0;
    store_close(F->store, count_cb, &closed);
    tres_t *late = t_new();
    cr_expect_eq(store_user_get(F->store, u, t_user_cb, late), -ESHUTDOWN);
    F->store = NULL;
    uv_run(&F->loop, UV_RUN_DEFAULT);
    cr_expect_eq(closed, 1);
    for (int i = 0; i < N; i++) {
        cr_expect_eq(rs[i]->calls, 1);
        cr_expect_eq(rs[i]->status, 0);
    }
    cr_expect_eq(late->calls, 0);
    cr_assert_eq(uv_loop_close(&F->loop), 0);
    cr_expect_eq(t_sql_int("SELECT count(*) FROM messages"), N);
    cr_expect_eq(t_sql_int("SELECT max(seq) FROM messages"), N);
}

static void close_from_cb(void *d, int status, const store_user_t *u)
{
    UNUSED(u);
    tres_t *r = d;
    r->calls++;
    r->status = status;
    store_close(F->store, NULL, NULL);
    F->store = NULL;
}

STORE_TEST(close_inside_a_callback)
{
    int64_t u = t_user("x");
    tres_t *r = t_new(), *r2 = t_new();
    cr_assert_eq(store_user_get(F->store, u, close_from_cb, r), 0);
    cr_assert_eq(store_user_get(F->store, u, t_user_cb, r2), 0);
    uv_run(&F->loop, UV_RUN_DEFAULT);
    cr_expect_eq(r->calls, 1);
    cr_expect_eq(r2->calls, 1);
    cr_expect_eq(r2->status, 0);
    cr_assert_eq(uv_loop_close(&F->loop), 0);
}
