/* test_users.c - users and refresh tokens on both backends. */
#include "tests/storage/support.h"

#include <errno.h>
#include <string.h>

STORE_TEST(user_create_and_lookups)
{
    tres_t *r;
    store_user_new_t nu = {"Alice", "Alice A.", "$argon2id$v=19$x", "#ff0000",
                           STORE_USER_ROLE_ADMIN};
    uint64_t before = time_now_ms();
    RUN(r, store_user_create, &nu, t_user_cb);
    cr_assert_eq(r->status, 0);
    store_user_t *u = r->user;
    cr_expect_gt(u->id, 0);
    cr_expect_str_eq(u->username, "Alice");
    cr_expect_str_eq(u->display_name, "Alice A.");
    cr_expect_str_eq(u->password_hash, "$argon2id$v=19$x");
    cr_expect_str_eq(u->name_color, "#ff0000");
    cr_expect_eq(u->role, STORE_USER_ROLE_ADMIN);
    cr_expect_geq(u->created_at, (int64_t)before);
    cr_expect_eq(u->last_seen_at, 0);

    RUN(r, store_user_get_by_name, "aLICE", t_user_cb);
    cr_assert_eq(r->status, 0);
    cr_expect_eq(r->user->id, u->id);
    cr_expect_str_eq(r->user->username, "Alice");
    RUN(r, store_user_get, u->id, t_user_cb);
    cr_assert_eq(r->status, 0);
    cr_expect_str_eq(r->user->display_name, "Alice A.");
    cr_expect_eq(r->user->role, STORE_USER_ROLE_ADMIN);

    RUN(r, store_user_get_by_name, "nobody", t_user_cb);
    cr_expect_eq(r->status, -ENOENT);
    cr_expect_null(r->user);
    RUN(r, store_user_get, u->id + 1000, t_user_cb);
    cr_expect_eq(r->status, -ENOENT);

    /* optional fields default to "" and role to user */
    store_user_new_t bare = {"bob", NULL, NULL, NULL, STORE_USER_ROLE_AGENT};
    RUN(r, store_user_create, &bare, t_user_cb);
    cr_assert_eq(r->status, 0);
    cr_expect_str_eq(r->user->display_name, "");
    cr_expect_str_eq(r->user->password_hash, "");
    cr_expect_eq(r->user->role, STORE_USER_ROLE_AGENT);
}

STORE_TEST(username_is_unique_case_insensitively)
{
    tres_t *r;
    t_user("Carol");
    const char *names[] = {"Carol", "carol", "CAROL", "cArOl"};
    for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
        store_user_new_t nu = {names[i], "other", "h", "", STORE_USER_ROLE_USER};
        RUN(r, store_user_create, &nu, t_user_cb);
        cr_expect_eq(r->status, -EEXIST, "%s: %d", names[i], r->status);
        cr_expect_null(r->user);
    }
    cr_expect_eq(t_sql_int("SELECT count(*) FROM users"), 1);
    /* concurrent creations of one name: exactly one wins */
    enum { N = 10 };
    tres_t *rs[N];
    for (int i = 0; i < N; i++) {
        rs[i] = t_new();
        store_user_new_t nu = {i % 2 ? "dave" : "DAVE", NULL, NULL, NULL, STORE_USER_ROLE_USER};
        cr_assert_eq(store_user_create(F->store, &nu, t_user_cb, rs[i]), 0);
    }
    t_wait_all(rs, N);
    int ok = 0;
    for (int i = 0; i < N; i++) {
        cr_expect(rs[i]->status == 0 || rs[i]->status == -EEXIST, "%d", rs[i]->status);
        ok += rs[i]->status == 0;
    }
    cr_expect_eq(ok, 1);
}

STORE_TEST(user_list_pages_by_id)
{
    int64_t ids[5];
    char name[16];
    for (int i = 0; i < 5; i++) {
        snprintf(name, sizeof(name), "u%d", i);
        ids[i] = t_user(name);
    }
    tres_t *r;
    RUN(r, store_user_list, 0, 3, t_users_cb);
    cr_assert_eq(r->status, 0);
    cr_assert_eq(r->count, 3);
    for (int i = 0; i < 3; i++)
        cr_expect_eq(r->users[i]->id, ids[i]);
    cr_expect_str_eq(r->users[2]->username, "u2");
    RUN(r, store_user_list, ids[2], 100, t_users_cb);
    cr_assert_eq(r->count, 2);
    cr_expect_eq(r->users[0]->id, ids[3]);
    RUN(r, store_user_list, ids[4], 100, t_users_cb);
    cr_expect_eq(r->status, 0);
    cr_expect_eq(r->count, 0);
}

STORE_TEST(user_touch_sets_last_seen)
{
    int64_t u = t_user("eve");
    tres_t *r;
    uint64_t before = time_now_ms();
    RUN(r, store_user_touch, u, t_status_cb);
    cr_expect_eq(r->status, 0);
    RUN(r, store_user_get, u, t_user_cb);
    cr_expect_geq(r->user->last_seen_at, (int64_t)before);
    cr_expect_leq(r->user->last_seen_at, (int64_t)time_now_ms());
    RUN(r, store_user_touch, u + 99, t_status_cb);
    cr_expect_eq(r->status, -ENOENT);
}

STORE_TEST(refresh_tokens)
{
    int64_t u = t_user("frank");
    tres_t *r;
    int64_t exp = (int64_t)time_now_ms() + 3600000;
    RUN(r, store_token_insert, "hash-1", u, exp, t_status_cb);
    cr_assert_eq(r->status, 0);
    RUN(r, store_token_insert, "hash-2", u, exp, t_status_cb);
    cr_assert_eq(r->status, 0);
    RUN(r, store_token_insert, "hash-1", u, exp, t_status_cb);
    cr_expect_eq(r->status, -EEXIST);
    RUN(r, store_token_insert, "hash-3", u + 50, exp, t_status_cb);
    cr_expect_eq(r->status, -ENOENT);

    RUN(r, store_token_get, "hash-1", t_token_cb);
    cr_assert_eq(r->status, 0);
    cr_expect_str_eq(r->token.token_hash, "hash-1");
    cr_expect_eq(r->token.user_id, u);
    cr_expect_eq(r->token.expires_at, exp);
    cr_expect_not(r->token.revoked);
    cr_expect_gt(r->token.created_at, 0);
    RUN(r, store_token_get, "nope", t_token_cb);
    cr_expect_eq(r->status, -ENOENT);

    RUN(r, store_token_revoke, "hash-1", t_status_cb);
    cr_expect_eq(r->status, 0);
    RUN(r, store_token_revoke, "hash-1", t_status_cb);
    cr_expect_eq(r->status, 0, "revoking twice is fine");
    RUN(r, store_token_revoke, "nope", t_status_cb);
    cr_expect_eq(r->status, -ENOENT);
    RUN(r, store_token_get, "hash-1", t_token_cb);
    cr_expect(r->token.revoked);
    RUN(r, store_token_get, "hash-2", t_token_cb);
    cr_expect_not(r->token.revoked);
    RUN(r, store_token_revoke_user, u, t_status_cb);
    cr_expect_eq(r->status, 0);
    RUN(r, store_token_get, "hash-2", t_token_cb);
    cr_expect(r->token.revoked);
}

STORE_TEST(refresh_token_rotation_keeps_the_family_and_refuses_reuse)
{
    int64_t u = t_user("fiona");
    tres_t *r, *rs[2];
    int64_t exp = (int64_t)time_now_ms() + 3600000;
    RUN(r, store_token_insert, "first", u, exp, t_status_cb);
    cr_assert_eq(r->status, 0);
    RUN(r, store_token_get, "first", t_token_cb);
    cr_expect_str_eq(r->token.family, "first"); /* a login starts a family */
    cr_expect_not(r->token.rotated);

    RUN(r, store_token_rotate, "first", "second", exp + 1, t_token_cb);
    cr_assert_eq(r->status, 0);
    cr_expect_str_eq(r->token.token_hash, "second");
    cr_expect_str_eq(r->token.family, "first");
    cr_expect_eq(r->token.user_id, u);
    cr_expect_eq(r->token.expires_at, exp + 1);
    cr_expect_not(r->token.revoked);
    RUN(r, store_token_get, "first", t_token_cb);
    cr_expect(r->token.revoked);
    cr_expect(r->token.rotated);

    /* the rotated token again: refused, nothing issued */
    RUN(r, store_token_rotate, "first", "stolen", exp, t_token_cb);
    cr_expect_eq(r->status, -ESTALE);
    RUN(r, store_token_get, "stolen", t_token_cb);
    cr_expect_eq(r->status, -ENOENT);
    RUN(r, store_token_rotate, "unknown", "x", exp, t_token_cb);
    cr_expect_eq(r->status, -ESTALE);

    /* a logged-out token is revoked but not rotated */
    RUN(r, store_token_insert, "other-login", u, exp, t_status_cb);
    RUN(r, store_token_revoke, "other-login", t_status_cb);
    RUN(r, store_token_get, "other-login", t_token_cb);
    cr_expect(r->token.revoked);
    cr_expect_not(r->token.rotated);

    /* two concurrent rotations of one token: exactly one wins */
    rs[0] = t_new();
    rs[1] = t_new();
    cr_assert_eq(store_token_rotate(F->store, "second", "third-a", exp, t_token_cb, rs[0]), 0);
    cr_assert_eq(store_token_rotate(F->store, "second", "third-b", exp, t_token_cb, rs[1]), 0);
    t_wait_all(rs, 2);
    cr_expect((rs[0]->status == 0) != (rs[1]->status == 0), "%d %d", rs[0]->status, rs[1]->status);
    cr_expect(rs[0]->status == -ESTALE || rs[1]->status == -ESTALE);

    /* an expired token does not rotate */
    RUN(r, store_token_insert, "old", u, (int64_t)time_now_ms() - 1, t_status_cb);
    RUN(r, store_token_rotate, "old", "new", exp, t_token_cb);
    cr_expect_eq(r->status, -ESTALE);

    /* revoking the family kills every member, and only them */
    RUN(r, store_token_revoke_family, "first", t_status_cb);
    cr_expect_eq(r->status, 0);
    RUN(r, store_token_get, rs[0]->status == 0 ? "third-a" : "third-b", t_token_cb);
    cr_expect(r->token.revoked);
    RUN(r, store_token_get, "old", t_token_cb);
    cr_expect_not(r->token.revoked);
}

STORE_TEST(user_update_changes_given_fields_only)
{
    int64_t u = t_user("gina");
    tres_t *r;
    RUN(r, store_user_update, u, "Gina G.", NULL, NULL, t_user_cb);
    cr_assert_eq(r->status, 0);
    cr_expect_str_eq(r->user->display_name, "Gina G.");
    cr_expect_str_eq(r->user->name_color, "#123456");
    cr_expect_str_eq(r->user->password_hash, "hash");
    RUN(r, store_user_update, u, NULL, "#000000", "new'hash\\", t_user_cb);
    cr_assert_eq(r->status, 0);
    cr_expect_str_eq(r->user->display_name, "Gina G.");
    cr_expect_str_eq(r->user->name_color, "#000000");
    cr_expect_str_eq(r->user->password_hash, "new'hash\\");
    RUN(r, store_user_get, u, t_user_cb);
    cr_expect_str_eq(r->user->password_hash, "new'hash\\");
    RUN(r, store_user_update, u + 9, "x", NULL, NULL, t_user_cb);
    cr_expect_eq(r->status, -ENOENT);
}
