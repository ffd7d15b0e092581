/* test_chats.c - chats, memberships, private chats and read positions on both backends. */
#include "tests/storage/support.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

STORE_TEST(chat_create_get_update_delete)
{
    int64_t a = t_user("a"), b = t_user("b"), c = t_user("c");
    tres_t *r;
    int64_t members[] = {b, a, c, b}; /* creator and repeats are ignored */
    RUN(r, store_chat_create, STORE_CHAT_GROUP, "Team", "plans", a, members, 4, t_chat_cb);
    cr_assert_eq(r->status, 0);
    store_chat_t *ch = r->chat;
    cr_expect_gt(ch->id, 0);
    cr_expect_eq(ch->kind, STORE_CHAT_GROUP);
    cr_expect_str_eq(ch->name, "Team");
    cr_expect_str_eq(ch->topic, "plans");
    cr_expect_eq(ch->created_by, a);
    cr_expect_gt(ch->created_at, 0);
    cr_expect_eq(ch->last_seq, 0);
    cr_expect_eq(ch->member_count, 3);
    cr_expect(ch->created);

    RUN(r, store_chat_get, ch->id, t_chat_cb);
    cr_assert_eq(r->status, 0);
    cr_expect_str_eq(r->chat->name, "Team");
    cr_expect_eq(r->chat->member_count, 3);
    cr_expect_not(r->chat->created);
    RUN(r, store_chat_get, ch->id + 100, t_chat_cb);
    cr_expect_eq(r->status, -ENOENT);

    RUN(r, store_chat_update, ch->id, NULL, "new topic", t_chat_cb);
    cr_assert_eq(r->status, 0);
    cr_expect_str_eq(r->chat->name, "Team");
    cr_expect_str_eq(r->chat->topic, "new topic");
    RUN(r, store_chat_update, ch->id, "Renamed", NULL, t_chat_cb);
    cr_expect_str_eq(r->chat->name, "Renamed");
    cr_expect_str_eq(r->chat->topic, "new topic");
    RUN(r, store_chat_update, ch->id + 100, "x", NULL, t_chat_cb);
    cr_expect_eq(r->status, -ENOENT);

    store_message_t *m = t_send(ch->id, a, "hello", "c1");
    RUN(r, store_reaction_add, m->id, b, "+1", t_status_cb);
    cr_assert_eq(r->status, 0);
    RUN(r, store_read_set, ch->id, b, 1, t_seq_cb);
    cr_assert_eq(r->status, 0);
    RUN(r, store_chat_delete, ch->id, t_status_cb);
    cr_expect_eq(r->status, 0);
    RUN(r, store_chat_get, ch->id, t_chat_cb);
    cr_expect_eq(r->status, -ENOENT);
    RUN(r, store_chat_delete, ch->id, t_status_cb);
    cr_expect_eq(r->status, -ENOENT);
    cr_expect_eq(t_sql_int("SELECT count(*) FROM messages"), 0);
    cr_expect_eq(t_sql_int("SELECT count(*) FROM memberships"), 0);
    cr_expect_eq(t_sql_int("SELECT count(*) FROM reactions"), 0);
    cr_expect_eq(t_sql_int("SELECT count(*) FROM read_positions"), 0);
}

STORE_TEST(chat_create_with_unknown_member_creates_nothing)
{
    int64_t a = t_user("a");
    tres_t *r;
    int64_t members[] = {a + 77};
    RUN(r, store_chat_create, STORE_CHAT_GROUP, "x", NULL, a, members, 1, t_chat_cb);
    cr_expect_eq(r->status, -ENOENT);
    RUN(r, store_chat_create, STORE_CHAT_PUBLIC, "x", NULL, a + 77, NULL, 0, t_chat_cb);
    cr_expect_eq(r->status, -ENOENT);
    cr_expect_eq(t_sql_int("SELECT count(*) FROM chats"), 0);
}

STORE_TEST(memberships)
{
    int64_t a = t_user("a"), b = t_user("b"), c = t_user("c");
    int64_t ch = t_chat(STORE_CHAT_PUBLIC, "lobby", a, NULL, 0);
    tres_t *r;
    RUN(r, store_member_role, ch, a, t_role_cb);
    cr_expect_eq(r->status, 0);
    cr_expect_eq(r->role, STORE_MEMBER_OWNER);
    RUN(r, store_member_role, ch, b, t_role_cb);
    cr_expect_eq(r->status, 0);
    cr_expect_eq(r->role, STORE_MEMBER_NONE);

    RUN(r, store_member_add, ch, b, STORE_MEMBER_ADMIN, t_status_cb);
    cr_expect_eq(r->status, 0);
    RUN(r, store_member_add, ch, b, STORE_MEMBER_MEMBER, t_status_cb);
    cr_expect_eq(r->status, -EEXIST);
    RUN(r, store_member_add, ch, c, STORE_MEMBER_MEMBER, t_status_cb);
    cr_expect_eq(r->status, 0);
    RUN(r, store_member_add, ch, c + 50, STORE_MEMBER_MEMBER, t_status_cb);
    cr_expect_eq(r->status, -ENOENT);
    RUN(r, store_member_add, ch + 50, c, STORE_MEMBER_MEMBER, t_status_cb);
    cr_expect_eq(r->status, -ENOENT);
    RUN(r, store_member_role, ch, b, t_role_cb);
    cr_expect_eq(r->role, STORE_MEMBER_ADMIN);

    RUN(r, store_member_list, ch, t_members_cb);
    cr_assert_eq(r->status, 0);
    cr_assert_eq(r->count, 3);
    cr_expect_eq(r->members[0].user.id, a);
    cr_expect_eq(r->members[0].role, STORE_MEMBER_OWNER);
    cr_expect_str_eq(r->members[0].user.username, "a");
    cr_expect_str_eq(r->members[0].user.password_hash, "", "no hashes in member lists");
    cr_expect_eq(r->members[1].user.id, b);
    cr_expect_eq(r->members[1].role, STORE_MEMBER_ADMIN);
    cr_expect_eq(r->members[2].user.id, c);
    cr_expect_gt(r->members[2].joined_at, 0);

    t_send(ch, a, "before b leaves", NULL);
    RUN(r, store_read_set, ch, b, 1, t_seq_cb);
    cr_assert_eq(r->status, 0);
    RUN(r, store_member_remove, ch, b, t_status_cb);
    cr_expect_eq(r->status, 0);
    RUN(r, store_member_remove, ch, b, t_status_cb);
    cr_expect_eq(r->status, -ENOENT);
    RUN(r, store_member_list, ch, t_members_cb);
    cr_expect_eq(r->count, 2);
    RUN(r, store_member_role, ch, b, t_role_cb);
    cr_expect_eq(r->status, 0);
    cr_expect_eq(r->role, STORE_MEMBER_NONE);
    /* leaving drops the read position: b comes back with nothing read */
    RUN(r, store_read_set, ch, b, 1, t_seq_cb);
    cr_expect_eq(r->status, -EPERM);
    RUN(r, store_member_add, ch, b, STORE_MEMBER_MEMBER, t_status_cb);
    cr_expect_eq(r->status, 0);
    RUN(r, store_member_list, ch, t_members_cb);
    cr_assert_eq(r->count, 3);
    cr_expect_eq(r->members[2].user.id, b);
    cr_expect_eq(r->members[2].role, STORE_MEMBER_MEMBER);
    cr_expect_eq(r->members[2].last_read_seq, 0);
    RUN(r, store_member_list, ch + 50, t_members_cb);
    cr_expect_eq(r->status, 0);
    cr_expect_eq(r->count, 0);
    RUN(r, store_member_role, ch + 50, a, t_role_cb);
    cr_expect_eq(r->status, 0);
    cr_expect_eq(r->role, STORE_MEMBER_NONE);
}

STORE_TEST(private_chat_get_or_create_is_idempotent)
{
    int64_t a = t_user("a"), b = t_user("b"), c = t_user("c");
    tres_t *r;
    RUN(r, store_chat_get_private, b, a, t_chat_cb);
    cr_assert_eq(r->status, 0);
    store_chat_t *first = r->chat;
    cr_expect(first->created);
    cr_expect_eq(first->kind, STORE_CHAT_PRIVATE);
    cr_expect_eq(first->private_users[0], a);
    cr_expect_eq(first->private_users[1], b);
    cr_expect_eq(first->member_count, 2);
    cr_expect_eq(first->created_by, b);

    RUN(r, store_chat_get_private, a, b, t_chat_cb);
    cr_assert_eq(r->status, 0);
    cr_expect_eq(r->chat->id, first->id);
    cr_expect_not(r->chat->created);

    /* many concurrent requests for a new pair, both orders: one chat */
    enum { N = 12 };
    tres_t *rs[N];
    for (int i = 0; i < N; i++) {
        rs[i] = t_new();
        cr_assert_eq(
            store_chat_get_private(F->store, i % 2 ? a : c, i % 2 ? c : a, t_chat_cb, rs[i]), 0);
    }
    t_wait_all(rs, N);
    int created = 0;
    for (int i = 0; i < N; i++) {
        cr_assert_eq(rs[i]->status, 0, "%d", rs[i]->status);
        cr_expect_eq(rs[i]->chat->id, rs[0]->chat->id);
        created += rs[i]->chat->created;
    }
    cr_expect_eq(created, 1);
    cr_expect_eq(t_sql_int("SELECT count(*) FROM chats WHERE kind = 'private'"), 2);

    RUN(r, store_chat_get_private, a, a + 99, t_chat_cb);
    cr_expect_eq(r->status, -ENOENT);
    /* no third member, no renaming */
    RUN(r, store_member_add, first->id, c, STORE_MEMBER_MEMBER, t_status_cb);
    cr_expect_eq(r->status, -EPERM);
    RUN(r, store_chat_update, first->id, "x", NULL, t_chat_cb);
    cr_expect_eq(r->status, -EPERM);
}

STORE_TEST(chat_lists_with_unread_counts)
{
    int64_t a = t_user("a"), b = t_user("b");
    int64_t pub1 = t_chat(STORE_CHAT_PUBLIC, "pub1", a, NULL, 0);
    int64_t grp = t_chat(STORE_CHAT_GROUP, "grp", a, &b, 1);
    int64_t pub2 = t_chat(STORE_CHAT_PUBLIC, "pub2", b, NULL, 0);
    tres_t *r;
    RUN(r, store_chat_list_public, t_chats_cb);
    cr_assert_eq(r->status, 0);
    cr_assert_eq(r->count, 2);
    cr_expect_eq(r->chats[0]->id, pub1);
    cr_expect_eq(r->chats[1]->id, pub2);

    usleep(5000); /* activity strictly after the creation of pub2 */
    t_send(grp, a, "one", NULL);
    t_send(grp, a, "two", NULL);
    t_send(grp, b, "three", NULL);
    t_send(grp, a, "four", NULL);

    RUN(r, store_chat_list_for_user, b, t_chats_cb);
    cr_assert_eq(r->status, 0);
    cr_assert_eq(r->count, 2);
    /* most recent activity first: grp had messages */
    cr_expect_eq(r->chats[0]->id, grp);
    cr_expect_eq(r->chats[0]->last_seq, 4);
    cr_expect_eq(r->chats[0]->unread, 3, "b's own message is not unread");
    cr_expect_eq(r->chats[0]->last_read_seq, 0);
    cr_expect_eq(r->chats[0]->my_role, STORE_MEMBER_MEMBER);
    cr_expect_gt(r->chats[0]->last_message_at, 0);
    cr_expect_eq(r->chats[1]->id, pub2);
    cr_expect_eq(r->chats[1]->my_role, STORE_MEMBER_OWNER);

    RUN(r, store_read_set, grp, b, 2, t_seq_cb);
    cr_assert_eq(r->status, 0);
    cr_expect_eq(r->seq, 2);
    RUN(r, store_read_set, grp, b, 1, t_seq_cb);
    cr_expect_eq(r->seq, 2, "read positions never go back");
    RUN(r, store_chat_list_for_user, b, t_chats_cb);
    cr_expect_eq(r->chats[0]->last_read_seq, 2);
    cr_expect_eq(r->chats[0]->unread, 1);
    RUN(r, store_read_set, grp, b, 1000, t_seq_cb);
    cr_expect_eq(r->seq, 4, "clamped to the last seq");
    RUN(r, store_chat_list_for_user, b, t_chats_cb);
    cr_expect_eq(r->chats[0]->unread, 0);
    RUN(r, store_member_list, grp, t_members_cb);
    cr_expect_eq(r->members[1].last_read_seq, 4);

    RUN(r, store_read_set, pub1, b, 1, t_seq_cb);
    cr_expect_eq(r->status, -EPERM);
}
