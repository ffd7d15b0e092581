/* support.c - fixtures and blocking helpers of the storage tests (see support.h). */
#include "tests/storage/support.h"
#include "tests/support/leakcheck.h"

#include <errno.h>
#include <ftw.h>
#include <libpq-fe.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

tfix_t *F;

void *t_keep(void *p)
{
    F->garbage = xrealloc(F->garbage, (F->n_garbage + 1) * sizeof(void *));
    F->garbage[F->n_garbage++] = p;
    return p;
}

/* ---- fixtures ---- */

static void open_store(bool migrate)
{
    log_min_level = LOG_LEVEL_WARN;
    cr_assert_eq(uv_loop_init(&F->loop), 0);
    int rc = store_open(&F->loop, F->url, &F->store);
    cr_assert_eq(rc, 0, "store_open(%s) = %d", F->url, rc);
    if (migrate) {
        char err[512];
        rc = store_migrate_sync(F->store, err, sizeof(err));
        cr_assert_eq(rc, 0, "migrate: %s", err);
    }
}

static void setup_sqlite(bool migrate)
{
    F = xcalloc(1, sizeof(*F));
    strcpy(F->dir, "/tmp/sioc-store-XXXXXX");
    cr_assert_not_null(mkdtemp(F->dir));
    /* a directory that does not exist yet: the store must create it */
    snprintf(F->url, sizeof(F->url), "sqlite:%s/sub/dir/test.db", F->dir);
    open_store(migrate);
}

/* Connects to the admin database of SIOC_TEST_PG (blocking; tests only). */
static PGconn *pg_admin(void)
{
    PGconn *c = PQconnectdb(getenv("SIOC_TEST_PG"));
    cr_assert_eq(PQstatus(c), CONNECTION_OK, "%s", PQerrorMessage(c));
    return c;
}

static void pg_admin_exec(const char *sql)
{
    PGconn *c = pg_admin();
    PGresult *res = PQexec(c, sql);
    ExecStatusType st = PQresultStatus(res);
    char msg[512];
    snprintf(msg, sizeof(msg), "%s", PQresultErrorMessage(res));
    PQclear(res);
    PQfinish(c);
    cr_assert_eq(st, PGRES_COMMAND_OK, "%s: %s", sql, msg);
}

static void setup_pg(bool migrate)
{
    F = xcalloc(1, sizeof(*F));
    F->pg = true;
    const char *base = getenv("SIOC_TEST_PG");
    if (base == NULL || base[0] == '\0')
        return; /* skipped by the test body */
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    srand((unsigned)(ts.tv_nsec ^ getpid()));
    snprintf(F->dbname, sizeof(F->dbname), "t_%d_%ld_%d", (int)getpid(), (long)ts.tv_nsec,
             rand() % 100000);
    char sql[128];
    snprintf(sql, sizeof(sql), "CREATE DATABASE %s", F->dbname);
    pg_admin_exec(sql);
    /* the same URL with our database as its path */
    const char *slash = strrchr(base, '/');
    cr_assert(slash != NULL && slash > base + 12, "SIOC_TEST_PG needs a /database: %s", base);
    const char *query = strchr(slash, '?');
    snprintf(F->url, sizeof(F->url), "%.*s/%s%s", (int)(slash - base), base, F->dbname,
             query != NULL ? query : "");
    open_store(migrate);
}

void t_setup_sqlite(void)
{
    setup_sqlite(true);
}

void t_setup_pg(void)
{
    setup_pg(true);
}

void t_setup_sqlite_raw(void)
{
    setup_sqlite(false);
}

void t_setup_pg_raw(void)
{
    setup_pg(false);
}

bool t_skipped(void)
{
    return F == NULL || F->store == NULL;
}

static void on_closed(void *d, int status)
{
    UNUSED(status);
    (*(int *)d)++;
}

void t_close_store(store_t *s)
{
    int closed = 0;
    store_close(s, on_closed, &closed);
    while (closed == 0)
        uv_run(&F->loop, UV_RUN_ONCE);
    cr_assert_eq(closed, 1);
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    UNUSED(sb);
    UNUSED(flag);
    UNUSED(ftw);
    return remove(path);
}

void t_teardown(void)
{
    if (F == NULL)
        return;
    if (F->store != NULL) {
        t_close_store(F->store);
        F->store = NULL;
        uv_run(&F->loop, UV_RUN_DEFAULT);
        cr_assert_eq(uv_loop_close(&F->loop), 0, "the store left handles on the loop");
    }
    for (size_t i = 0; i < F->n_garbage; i++)
        free(F->garbage[i]);
    free(F->garbage);
    if (F->dir[0] != '\0')
        nftw(F->dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
    if (F->dbname[0] != '\0') {
        char sql[128];
        snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS %s WITH (FORCE)", F->dbname);
        pg_admin_exec(sql);
    }
    free(F);
    F = NULL;
    sioc_check_leaks();
}

static void warm_cb(void *d, int status, const store_chat_list_t *l)
{
    UNUSED(l);
    tres_t *r = d;
    r->calls++;
    r->status = status;
}

store_t *t_open_second(void)
{
    store_t *s = NULL;
    cr_assert_eq(store_open(&F->loop, F->url, &s), 0);
    /* get its connections up, so that what follows really runs concurrently with F->store */
    enum { N = 8 };
    tres_t *rs[N];
    for (int i = 0; i < N; i++) {
        rs[i] = t_new();
        cr_assert_eq(store_chat_list_public(s, warm_cb, rs[i]), 0);
    }
    t_wait_all(rs, N);
    for (int i = 0; i < N; i++)
        cr_assert_eq(rs[i]->status, 0, "the second store does not work: %d", rs[i]->status);
    t_sleep(20);
    return s;
}

/* ---- waiting ---- */

tres_t *t_new(void)
{
    return t_keep(xcalloc(1, sizeof(tres_t)));
}

void t_wait(tres_t *r)
{
    t_wait_all(&r, 1);
}

void t_wait_all(tres_t **rs, size_t n)
{
    uint64_t deadline = uv_hrtime() + 30ull * 1000000000ull;
    for (size_t i = 0; i < n; i++) {
        while (rs[i]->calls == 0) {
            cr_assert(uv_hrtime() < deadline, "no callback within 30 s");
            uv_run(&F->loop, UV_RUN_ONCE);
        }
        cr_assert_eq(rs[i]->calls, 1, "callback ran %d times", rs[i]->calls);
    }
}

static void on_sleep_timer(uv_timer_t *t)
{
    *(bool *)t->data = true;
}

void t_sleep(unsigned ms)
{
    uv_timer_t t;
    bool done = false;
    uv_timer_init(&F->loop, &t);
    t.data = &done;
    uv_timer_start(&t, on_sleep_timer, ms, 0);
    while (!done)
        uv_run(&F->loop, UV_RUN_ONCE);
    uv_close((uv_handle_t *)&t, NULL);
    uv_run(&F->loop, UV_RUN_NOWAIT);
}

/* ---- callbacks ---- */

static tres_t *got(void *d, int status)
{
    tres_t *r = d;
    r->calls++;
    r->status = status;
    return r;
}

void t_status_cb(void *d, int status)
{
    got(d, status);
}

void t_user_cb(void *d, int status, const store_user_t *u)
{
    tres_t *r = got(d, status);
    cr_assert_eq(status == 0, u != NULL);
    if (u != NULL)
        r->user = t_keep(store_user_dup(u));
}

void t_users_cb(void *d, int status, const store_user_list_t *l)
{
    tres_t *r = got(d, status);
    cr_assert_eq(status == 0, l != NULL);
    if (l == NULL)
        return;
    r->count = l->count;
    r->users = t_keep(xcalloc(l->count + 1, sizeof(*r->users)));
    for (size_t i = 0; i < l->count; i++)
        r->users[i] = t_keep(store_user_dup(&l->items[i]));
}

void t_token_cb(void *d, int status, const store_token_t *t)
{
    tres_t *r = got(d, status);
    cr_assert_eq(status == 0, t != NULL);
    if (t == NULL)
        return;
    r->token = *t;
    snprintf(r->token_hash, sizeof(r->token_hash), "%s", t->token_hash);
    r->token.token_hash = r->token_hash;
    snprintf(r->token_family, sizeof(r->token_family), "%s", t->family);
    r->token.family = r->token_family;
}

void t_chat_cb(void *d, int status, const store_chat_t *c)
{
    tres_t *r = got(d, status);
    cr_assert_eq(status == 0, c != NULL);
    if (c != NULL)
        r->chat = t_keep(store_chat_dup(c));
}

void t_chats_cb(void *d, int status, const store_chat_list_t *l)
{
    tres_t *r = got(d, status);
    cr_assert_eq(status == 0, l != NULL);
    if (l == NULL)
        return;
    r->count = l->count;
    r->chats = t_keep(xcalloc(l->count + 1, sizeof(*r->chats)));
    for (size_t i = 0; i < l->count; i++)
        r->chats[i] = t_keep(store_chat_dup(&l->items[i]));
}

void t_role_cb(void *d, int status, store_member_role_t role)
{
    got(d, status)->role = role;
}

void t_members_cb(void *d, int status, const store_member_list_t *l)
{
    tres_t *r = got(d, status);
    cr_assert_eq(status == 0, l != NULL);
    if (l == NULL)
        return;
    r->count = l->count;
    r->members = t_keep(xcalloc(l->count + 1, sizeof(*r->members)));
    for (size_t i = 0; i < l->count; i++) {
        r->members[i] = l->items[i];
        store_user_t *u = t_keep(store_user_dup(&l->items[i].user));
        r->members[i].user = *u;
    }
}

void t_msg_cb(void *d, int status, const store_message_t *m)
{
    tres_t *r = got(d, status);
    cr_assert_eq(status == 0, m != NULL);
    if (m != NULL)
        r->msg = t_keep(store_message_dup(m));
}

void t_msgs_cb(void *d, int status, const store_message_list_t *l)
{
    tres_t *r = got(d, status);
    cr_assert_eq(status == 0, l != NULL);
    if (l == NULL)
        return;
    r->count = l->count;
    r->msgs = t_keep(xcalloc(l->count + 1, sizeof(*r->msgs)));
    for (size_t i = 0; i < l->count; i++)
        r->msgs[i] = t_keep(store_message_dup(&l->items[i]));
}

void t_reactions_cb(void *d, int status, const store_reaction_list_t *l)
{
    tres_t *r = got(d, status);
    cr_assert_eq(status == 0, l != NULL);
    if (l == NULL)
        return;
    r->count = l->count;
    r->reactions = t_keep(xcalloc(l->count + 1, sizeof(*r->reactions)));
    for (size_t i = 0; i < l->count; i++) {
        r->reactions[i] = l->items[i];
        r->reactions[i].emoji = t_keep(xstrdup(l->items[i].emoji));
    }
}

void t_seq_cb(void *d, int status, int64_t seq)
{
    got(d, status)->seq = seq;
}

/* ---- shortcuts ---- */

int64_t t_user(const char *username)
{
    tres_t *r;
    store_user_new_t nu = {username, "Display", "hash", "#123456", STORE_USER_ROLE_USER};
    RUN(r, store_user_create, &nu, t_user_cb);
    cr_assert_eq(r->status, 0, "user %s: %d", username, r->status);
    return r->user->id;
}

int64_t t_chat(store_chat_kind_t kind, const char *name, int64_t creator, const int64_t *members,
               size_t n)
{
    tres_t *r;
    RUN(r, store_chat_create, kind, name, "topic", creator, members, n, t_chat_cb);
    cr_assert_eq(r->status, 0, "chat %s: %d", name, r->status);
    return r->chat->id;
}

store_message_t *t_send(int64_t chat, int64_t author, const char *body, const char *client_id)
{
    tres_t *r;
    RUN(r, store_message_send, chat, author, body, client_id, t_msg_cb);
    cr_assert_eq(r->status, 0, "send: %d", r->status);
    return r->msg;
}

/* ---- raw SQL ---- */

/* Runs sql; if out != NULL reads the first column of the first row as an integer. */
static int raw(const char *sql, int64_t *out)
{
    int rc = -1;
    if (F->pg) {
        PGconn *c = PQconnectdb(F->url);
        if (PQstatus(c) == CONNECTION_OK) {
            PGresult *res = PQexec(c, sql);
            ExecStatusType st = PQresultStatus(res);
            if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) {
                rc = 0;
                if (out != NULL) {
                    rc = PQntuples(res) > 0 ? 0 : -1;
                    if (rc == 0)
                        *out = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
                }
            }
            PQclear(res);
        }
        PQfinish(c);
        return rc;
    }
    sqlite3 *db = NULL;
    if (sqlite3_open(F->url + 7, &db) == SQLITE_OK) {
        sqlite3_busy_timeout(db, 5000);
        if (out == NULL) {
            rc = sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;
        } else {
            sqlite3_stmt *st = NULL;
            if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK &&
                sqlite3_step(st) == SQLITE_ROW) {
                *out = sqlite3_column_int64(st, 0);
                rc = 0;
            }
            sqlite3_finalize(st);
        }
    }
    sqlite3_close(db);
    return rc;
}

int t_sql_exec(const char *sql)
{
    return raw(sql, NULL);
}

int64_t t_sql_int(const char *sql)
{
    int64_t v = -1;
    return raw(sql, &v) == 0 ? v : -1;
}

bool t_table_exists(const char *name)
{
    char sql[256];
    if (F->pg)
        snprintf(sql, sizeof(sql), "SELECT count(*) FROM pg_tables WHERE tablename = '%s'", name);
    else
        snprintf(sql, sizeof(sql), "SELECT count(*) FROM sqlite_master WHERE name = '%s'", name);
    return t_sql_int(sql) == 1;
}
