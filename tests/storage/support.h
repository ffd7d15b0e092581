/* support.h - fixtures for the storage tests. Every test body runs twice, against SQLite (a
 * fresh temp file) and, when SIOC_TEST_PG is set, against PostgreSQL (a fresh database created
 * for the test and dropped after it), so both backends must pass the same cases. Helpers run one
 * operation and spin the loop until its callback ran, keeping deep copies of the results that
 * are freed at teardown. Teardown closes the store and asserts uv_loop_close() == 0. */
#ifndef SIOC_TESTS_STORAGE_SUPPORT_H
#define SIOC_TESTS_STORAGE_SUPPORT_H

#include <criterion/criterion.h>
#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "storage/storage.h"
#include "base/base.h"

typedef struct st_tfix_t {
    uv_loop_t loop;
    store_t *store;
    bool pg;
    char url[512];   /* the store's URL */
    char dir[64];    /* SQLite: temp directory to remove */
    char dbname[64]; /* PostgreSQL: database to drop */
    void **garbage;  /* copies freed at teardown */
    size_t n_garbage;
} tfix_t;

extern tfix_t *F;

/* fixtures */
void t_setup_sqlite(void);
void t_setup_pg(void);
void t_setup_sqlite_raw(void); /* without migrations */
void t_setup_pg_raw(void);
void t_teardown(void);
bool t_skipped(void);

#define STORE_TEST_WITH(name, init_sqlite, init_pg)                                                \
    static void name##_body(void);                                                                 \
    Test(sqlite, name, .init = init_sqlite, .fini = t_teardown, .timeout = 60)                     \
    {                                                                                              \
        name##_body();                                                                             \
    }                                                                                              \
    Test(postgres, name, .init = init_pg, .fini = t_teardown, .timeout = 60)                       \
    {                                                                                              \
        if (t_skipped())                                                                           \
            cr_skip_test("SIOC_TEST_PG is not set");                                               \
        name##_body();                                                                             \
    }                                                                                              \
    static void name##_body(void)

/** A test case run against both backends, on a migrated empty database. */
#define STORE_TEST(name) STORE_TEST_WITH(name, t_setup_sqlite, t_setup_pg)
/** The same on a database without any schema. */
#define STORE_TEST_RAW(name) STORE_TEST_WITH(name, t_setup_sqlite_raw, t_setup_pg_raw)

/** What one callback delivered (deep copies). */
typedef struct st_tres_t {
    int calls;
    int status;
    store_user_t *user;
    store_token_t token;
    char token_hash[600];
    char token_family[600];
    store_chat_t *chat;
    store_message_t *msg;
    store_member_role_t role;
    int64_t seq;
    size_t count; /* items in the list below that applies */
    store_user_t **users;
    store_chat_t **chats;
    store_message_t **msgs;
    store_member_t *members; /* member.user strings copied */
    store_reaction_t *reactions;
} tres_t;

tres_t *t_new(void);
void *t_keep(void *p); /* frees p at teardown; returns p */
void t_wait(tres_t *r);
void t_wait_all(tres_t **rs, size_t n);
/** Runs the loop for `ms` milliseconds. */
void t_sleep(unsigned ms);

void t_status_cb(void *d, int status);
void t_user_cb(void *d, int status, const store_user_t *u);
void t_users_cb(void *d, int status, const store_user_list_t *l);
void t_token_cb(void *d, int status, const store_token_t *t);
void t_chat_cb(void *d, int status, const store_chat_t *c);
void t_chats_cb(void *d, int status, const store_chat_list_t *l);
void t_role_cb(void *d, int status, store_member_role_t role);
void t_members_cb(void *d, int status, const store_member_list_t *l);
void t_msg_cb(void *d, int status, const store_message_t *m);
void t_msgs_cb(void *d, int status, const store_message_list_t *l);
void t_reactions_cb(void *d, int status, const store_reaction_list_t *l);
void t_seq_cb(void *d, int status, int64_t seq);

/** Runs `fn(F->store, args..., cb, r)` (the callback comes last in args), asserts it was
 * accepted, waits for the callback; r is a fresh tres_t. */
#define RUN(r, fn, ...)                                                                            \
    do {                                                                                           \
        (r) = t_new();                                                                             \
        int rc_ = fn(F->store, __VA_ARGS__, (r));                                                  \
        cr_assert_eq(rc_, 0, #fn " returned %d", rc_);                                             \
        t_wait(r);                                                                                 \
    } while (0)

/* shortcuts that assert success */
int64_t t_user(const char *username);
int64_t t_chat(store_chat_kind_t kind, const char *name, int64_t creator, const int64_t *members,
               size_t n);
store_message_t *t_send(int64_t chat, int64_t author, const char *body, const char *client_id);

/* raw access to the test database, bypassing the store (blocking) */
int t_sql_exec(const char *sql);    /* 0 or -1 */
int64_t t_sql_int(const char *sql); /* first column of first row; -1 on error */
bool t_table_exists(const char *name);

/** A second store on the same database (closed by t_close_store). */
store_t *t_open_second(void);
void t_close_store(store_t *s);

#endif
