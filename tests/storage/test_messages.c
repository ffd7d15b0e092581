/* test_messages.c - messages on both backends: sequence numbers under a burst of concurrent
 * sends, idempotent retries, history and catch-up, edits and soft deletes, reactions, texts full
 * of SQL metacharacters, and full-text search limited to the user's chats. */
#include "tests/storage/support.h"

#include <errno.h>
#include <string.h>

STORE_TEST(send_assigns_seq_and_fields)
{
    int64_t a = t_user("a"), b = t_user("b"), c = t_user("c");
    int64_t ch = t_chat(STORE_CHAT_GROUP, "g", a, &b, 1);
    uint64_t before = time_now_ms();
    store_message_t *m1 = t_send(ch, a, "hello", "cid-1");
    cr_expect_gt(m1->id, 0);
    cr_expect_eq(m1->chat_id, ch);
    cr_expect_eq(m1->seq, 1);
    cr_expect_eq(m1->author_id, a);
    cr_expect_str_eq(m1->body, "hello");
    cr_expect_str_eq(m1->client_msg_id, "cid-1");
    cr_expect_geq(m1->created_at, (int64_t)before);
    cr_expect_eq(m1->edited_at, 0);
    cr_expect_eq(m1->deleted_at, 0);
    cr_expect_not(m1->duplicate);
    store_message_t *m2 = t_send(ch, b, "hi", NULL);
    cr_expect_eq(m2->seq, 2);
    cr_expect_str_eq(m2->client_msg_id, "");
    store_message_t *m3 = t_send(ch, b, "again", "");
    cr_expect_eq(m3->seq, 3);

    tres_t *r;
    RUN(r, store_message_send, ch, c, "intruder", "x", t_msg_cb);
    cr_expect_eq(r->status, -EPERM);
    cr_expect_null(r->msg);
    RUN(r, store_message_send, ch + 40, a, "nowhere", "y", t_msg_cb);
    cr_expect_eq(r->status, -ENOENT);
    RUN(r, store_chat_get, ch, t_chat_cb);
    cr_expect_eq(r->chat->last_seq, 3, "refused sends take no seq");
    RUN(r, store_message_get, m2->id, t_msg_cb);
    cr_assert_eq(r->status, 0);
    cr_expect_str_eq(r->msg->body, "hi");
    RUN(r, store_message_get, m3->id + 100, t_msg_cb);
    cr_expect_eq(r->status, -ENOENT);
}

STORE_TEST(retried_client_msg_id_returns_the_stored_message)
{
    int64_t a = t_user("a");
    int64_t ch = t_chat(STORE_CHAT_GROUP, "g", a, NULL, 0);
    int64_t ch2 = t_chat(STORE_CHAT_GROUP, "g2", a, NULL, 0);
    store_message_t *m = t_send(ch, a, "once", "retry-me");
    store_message_t *again = t_send(ch, a, "once (resent)", "retry-me");
    cr_expect(again->duplicate);
    cr_expect_eq(again->id, m->id);
    cr_expect_eq(again->seq, 1);
    cr_expect_str_eq(again->body, "once");
    /* even when retried into another chat, the pair identifies the message */
    store_message_t *other = t_send(ch2, a, "x", "retry-me");
    cr_expect(other->duplicate);
    cr_expect_eq(other->id, m->id);
    /* concurrent retries in flight together: one message */
    enum { N = 20 };
    tres_t *rs[N];
    for (int i = 0; i < N; i++) {
        rs[i] = t_new();
        cr_assert_eq(store_message_send(F->store, ch, a, "burst", "same-id", t_msg_cb, rs[i]), 0);
    }
    t_wait_all(rs, N);
    int fresh = 0;
    for (int i = 0; i < N; i++) {
        cr_assert_eq(rs[i]->status, 0, "%d", rs[i]->status);
        cr_expect_eq(rs[i]->msg->id, rs[0]->msg->id);
        fresh += !rs[i]->msg->duplicate;
    }
    cr_expect_eq(fresh, 1);
    cr_expect_eq(t_sql_int("SELECT count(*) FROM messages"), 2);
    tres_t *r;
    RUN(r, store_chat_get, ch, t_chat_cb);
    cr_expect_eq(r->chat->last_seq, 2);
}

STORE_TEST(burst_of_concurrent_sends_gets_seqs_without_gaps)
{
    int64_t a = t_user("a"), b = t_user("b");
    int64_t ch = t_chat(STORE_CHAT_PUBLIC, "busy", a, &b, 1);
    enum { N = 200 };
    tres_t *rs[N];
    char body[32], cid[32];
    for (int i = 0; i < N; i++) {
        rs[i] = t_new();
        snprintf(body, sizeof(body), "msg %d", i);
        snprintf(cid, sizeof(cid), "c%d", i);
        cr_assert_eq(store_message_send(F->store, ch, i % 2 ? a : b, body, cid, t_msg_cb, rs[i]),
                     0);
    }
    t_wait_all(rs, N);
    bool seen[N + 1] = {false};
    for (int i = 0; i < N; i++) {
        cr_assert_eq(rs[i]->status, 0, "send %d: %d", i, rs[i]->status);
        int64_t s = rs[i]->msg->seq;
        cr_assert(s >= 1 && s <= N, "seq %lld", (long long)s);
        cr_assert_not(seen[s], "seq %lld twice", (long long)s);
        seen[s] = true;
        cr_expect_eq(s, i + 1, "sends to one chat are numbered in the order issued");
    }
    tres_t *r;
    RUN(r, store_message_list_after, ch, 0, 1000, t_msgs_cb);
    cr_assert_eq(r->count, N);
    for (int i = 0; i < N; i++) {
        snprintf(body, sizeof(body), "msg %d", i);
        cr_expect_eq(r->msgs[i]->seq, i + 1);
        cr_expect_str_eq(r->msgs[i]->body, body);
    }
}

STORE_TEST(two_stores_sending_into_one_chat)
{
    int64_t a = t_user("a");
    int64_t ch = t_chat(STORE_CHAT_GROUP, "shared", a, NULL, 0);
    store_t *second = t_open_second();
    enum { N = 100 };
    tres_t *rs[2 * N];
    for (int i = 0; i < 2 * N; i++) {
        rs[i] = t_new();
        char cid[32];
        snprintf(cid, sizeof(cid), "k%d", i);
        cr_assert_eq(
            store_message_send(i % 2 ? second : F->store, ch, a, "x", cid, t_msg_cb, rs[i]), 0);
    }
    t_wait_all(rs, 2 * N);
    bool seen[2 * N + 1] = {false};
    for (int i = 0; i < 2 * N; i++) {
        cr_assert_eq(rs[i]->status, 0, "send %d: %d", i, rs[i]->status);
        int64_t s = rs[i]->msg->seq;
        cr_assert(s >= 1 && s <= 2 * N && !seen[s], "bad or repeated seq %lld", (long long)s);
        seen[s] = true;
    }
    t_close_store(second);
    cr_expect_eq(t_sql_int("SELECT count(DISTINCT seq) FROM messages"), 2 * N);
    cr_expect_eq(t_sql_int("SELECT max(seq) FROM messages"), 2 * N);
}

STORE_TEST(history_before_and_after)
{
    int64_t a = t_user("a");
    int64_t ch = t_chat(STORE_CHAT_GROUP, "g", a, NULL, 0);
    int64_t other = t_chat(STORE_CHAT_GROUP, "o", a, NULL, 0);
    char body[16];
    for (int i = 1; i <= 10; i++) {
        snprintf(body, sizeof(body), "m%d", i);
        t_send(ch, a, body, NULL);
        t_send(other, a, "noise", NULL);
    }
    tres_t *r;
    RUN(r, store_message_list_before, ch, 0, 3, t_msgs_cb);
    cr_assert_eq(r->count, 3);
    cr_expect_eq(r->msgs[0]->seq, 10);
    cr_expect_eq(r->msgs[2]->seq, 8);
    cr_expect_str_eq(r->msgs[0]->body, "m10");
    RUN(r, store_message_list_before, ch, 8, 100, t_msgs_cb);
    cr_assert_eq(r->count, 7);
    cr_expect_eq(r->msgs[0]->seq, 7);
    cr_expect_eq(r->msgs[6]->seq, 1);
    for (size_t i = 0; i < r->count; i++)
        cr_expect_eq(r->msgs[i]->chat_id, ch);
    RUN(r, store_message_list_before, ch, 1, 100, t_msgs_cb);
    cr_expect_eq(r->count, 0);
    RUN(r, store_message_list_after, ch, 7, 2, t_msgs_cb);
    cr_assert_eq(r->count, 2);
    cr_expect_eq(r->msgs[0]->seq, 8);
    cr_expect_eq(r->msgs[1]->seq, 9);
    RUN(r, store_message_list_after, ch, 10, 5, t_msgs_cb);
    cr_expect_eq(r->count, 0);
    RUN(r, store_message_list_after, ch + 99, 0, 5, t_msgs_cb);
    cr_expect_eq(r->status, 0);
    cr_expect_eq(r->count, 0);
}

STORE_TEST(edit_and_delete_own_messages)
{
    int64_t a = t_user("a"), b = t_user("b");
    int64_t ch = t_chat(STORE_CHAT_GROUP, "g", a, &b, 1);
    store_message_t *m = t_send(ch, a, "typo", "e1");
    tres_t *r;
    RUN(r, store_message_edit, m->id, b, "hijack", t_msg_cb);
    cr_expect_eq(r->status, -EPERM);
    RUN(r, store_message_edit, m->id, a, "fixed", t_msg_cb);
    cr_assert_eq(r->status, 0);
    cr_expect_str_eq(r->msg->body, "fixed");
    cr_expect_gt(r->msg->edited_at, 0);
    cr_expect_eq(r->msg->seq, 1);
    RUN(r, store_message_edit, m->id + 10, a, "x", t_msg_cb);
    cr_expect_eq(r->status, -ENOENT);

    RUN(r, store_message_delete, m->id, b, t_msg_cb);
    cr_expect_eq(r->status, -EPERM);
    RUN(r, store_message_delete, m->id, a, t_msg_cb);
    cr_assert_eq(r->status, 0);
    cr_expect_str_eq(r->msg->body, "");
    cr_expect_gt(r->msg->deleted_at, 0);
    RUN(r, store_message_delete, m->id, a, t_msg_cb);
    cr_expect_eq(r->status, -ENOENT);
    RUN(r, store_message_edit, m->id, a, "revive", t_msg_cb);
    cr_expect_eq(r->status, -ENOENT);
    /* the seq stays taken and the deleted message shows in history */
    store_message_t *m2 = t_send(ch, a, "next", NULL);
    cr_expect_eq(m2->seq, 2);
    RUN(r, store_message_list_after, ch, 0, 10, t_msgs_cb);
    cr_assert_eq(r->count, 2);
    cr_expect_gt(r->msgs[0]->deleted_at, 0);
    cr_expect_str_eq(r->msgs[0]->body, "");
    /* a retry of the deleted message's client id still finds it, not a new copy */
    store_message_t *again = t_send(ch, a, "typo", "e1");
    cr_expect(again->duplicate);
    cr_expect_eq(again->id, m->id);
}

/* Whether one of the first n reactions of r is (message, user, emoji). */
static bool has_reaction(const tres_t *r, size_t n, int64_t message, int64_t user,
                         const char *emoji)
{
    for (size_t i = 0; i < n && i < r->count; i++)
        if (r->reactions[i].message_id == message && r->reactions[i].user_id == user &&
            strcmp(r->reactions[i].emoji, emoji) == 0)
            return true;
    return false;
}

STORE_TEST(reactions)
{
    int64_t a = t_user("a"), b = t_user("b");
    int64_t ch = t_chat(STORE_CHAT_GROUP, "g", a, &b, 1);
    store_message_t *m1 = t_send(ch, a, "one", NULL);
    store_message_t *m2 = t_send(ch, a, "two", NULL);
    store_message_t *m3 = t_send(ch, a, "three", NULL);
    tres_t *r;
    RUN(r, store_reaction_add, m1->id, b, "👍", t_status_cb);
    cr_expect_eq(r->status, 0);
    RUN(r, store_reaction_add, m1->id, b, "👍", t_status_cb);
    cr_expect_eq(r->status, -EEXIST);
    RUN(r, store_reaction_add, m1->id, a, "👍", t_status_cb);
    cr_expect_eq(r->status, 0);
    RUN(r, store_reaction_add, m1->id, b, "🎉", t_status_cb);
    cr_expect_eq(r->status, 0);
    RUN(r, store_reaction_add, m2->id, a, "'; DROP TABLE reactions; --", t_status_cb);
    cr_expect_eq(r->status, 0);
    RUN(r, store_reaction_add, m3->id + 50, a, "x", t_status_cb);
    cr_expect_eq(r->status, -ENOENT);
    RUN(r, store_reaction_add, m3->id, b + 50, "x", t_status_cb);
    cr_expect_eq(r->status, -ENOENT);

    int64_t ids[] = {m1->id, m2->id, m3->id};
    RUN(r, store_reaction_list, ids, 3, t_reactions_cb);
    cr_assert_eq(r->status, 0);
    cr_assert_eq(r->count, 4);
    cr_expect(has_reaction(r, 3, m1->id, b, "👍"));
    cr_expect(has_reaction(r, 3, m1->id, a, "👍"));
    cr_expect(has_reaction(r, 3, m1->id, b, "🎉"));
    cr_expect_gt(r->reactions[0].created_at, 0);
    cr_expect_eq(r->reactions[3].message_id, m2->id);
    cr_expect_str_eq(r->reactions[3].emoji, "'; DROP TABLE reactions; --");

    RUN(r, store_reaction_remove, m1->id, b, "👍", t_status_cb);
    cr_expect_eq(r->status, 0);
    RUN(r, store_reaction_remove, m1->id, b, "👍", t_status_cb);
    cr_expect_eq(r->status, -ENOENT);
    RUN(r, store_reaction_list, ids, 1, t_reactions_cb);
    cr_expect_eq(r->count, 2);
    RUN(r, store_reaction_list, ids, 0, t_reactions_cb);
    cr_expect_eq(r->status, 0);
    cr_expect_eq(r->count, 0);

    /* no reactions on deleted messages */
    RUN(r, store_message_delete, m3->id, a, t_msg_cb);
    RUN(r, store_reaction_add, m3->id, b, "x", t_status_cb);
    cr_expect_eq(r->status, -ENOENT);
}

STORE_TEST(sql_metacharacters_round_trip)
{
    static const char *const texts[] = {
        "'; DROP TABLE users; --",
        "Robert'); DROP TABLE messages;--",
        "\"double\" 'single' `back` \\backslash\\ \\' \\\" %s %d %% _ * ? $1 :name @x",
        "line1\nline2\r\n\ttab",
        "unicode: héllo wörld ñ 日本語 עברית العربية",
        "emoji: 😀🎉👍🏽 👨‍👩‍👧‍👦",
        "E'\\x00' || chr(0) ; SELECT pg_sleep(10); /* comment */ -- end",
        "NULL",
    };
    int64_t a = t_user("O'Brien\\\"; --");
    tres_t *r;
    RUN(r, store_user_get_by_name, "o'brien\\\"; --", t_user_cb);
    cr_assert_eq(r->status, 0);
    cr_expect_str_eq(r->user->username, "O'Brien\\\"; --");
    int64_t ch = t_chat(STORE_CHAT_GROUP, "'; DROP TABLE chats; --", a, NULL, 0);
    RUN(r, store_chat_get, ch, t_chat_cb);
    cr_expect_str_eq(r->chat->name, "'; DROP TABLE chats; --");
    for (size_t i = 0; i < ARRAY_SIZE(texts); i++) {
        store_message_t *m = t_send(ch, a, texts[i], texts[i]);
        cr_expect_str_eq(m->body, texts[i]);
        cr_expect_str_eq(m->client_msg_id, texts[i]);
        RUN(r, store_message_get, m->id, t_msg_cb);
        cr_expect_str_eq(r->msg->body, texts[i]);
        store_message_t *dup = t_send(ch, a, "other", texts[i]);
        cr_expect(dup->duplicate, "client id %zu not matched exactly", i);
    }
    RUN(r, store_message_list_after, ch, 0, 100, t_msgs_cb);
    cr_assert_eq(r->count, ARRAY_SIZE(texts));
    for (size_t i = 0; i < ARRAY_SIZE(texts); i++)
        cr_expect_str_eq(r->msgs[i]->body, texts[i]);
    RUN(r, store_token_insert, "'; DELETE FROM refresh_tokens; --", a, 1, t_status_cb);
    cr_expect_eq(r->status, 0);
    RUN(r, store_token_get, "'; DELETE FROM refresh_tokens; --", t_token_cb);
    cr_expect_eq(r->status, 0);
    /* searching with metacharacters is harmless too */
    RUN(r, store_message_search, a, "'; DROP TABLE users; --", 10, t_msgs_cb);
    cr_expect_eq(r->status, 0);
    cr_expect_geq(r->count, 1);
    RUN(r, store_message_search, a, "\" OR 1=1 NEAR( * ) AND NOT:x ^", 10, t_msgs_cb);
    cr_expect_eq(r->status, 0);
    cr_expect_eq(r->count, 0, "operators are plain words, and no message has them all");
    cr_expect_eq(t_sql_int("SELECT count(*) FROM users"), 1);
    cr_expect_eq(t_sql_int("SELECT count(*) FROM chats"), 1);
    cr_expect_eq(t_sql_int("SELECT count(*) FROM messages"), (int64_t)ARRAY_SIZE(texts));
}

STORE_TEST(search_finds_words_in_members_chats_only)
{
    int64_t a = t_user("a"), b = t_user("b"), c = t_user("c");
    int64_t ab = t_chat(STORE_CHAT_GROUP, "ab", a, &b, 1);
    int64_t pub = t_chat(STORE_CHAT_PUBLIC, "pub", c, NULL, 0);
    int64_t priv = 0;
    tres_t *r;
    RUN(r, store_chat_get_private, b, c, t_chat_cb);
    priv = r->chat->id;
    store_message_t *m1 = t_send(ab, a, "The quick brown Fox jumps", NULL);
    store_message_t *m2 = t_send(ab, b, "a lazy dog, and a fox.", NULL);
    t_send(pub, c, "fox in the public chat", NULL);
    t_send(priv, c, "secret fox plans", NULL);
    store_message_t *gone = t_send(ab, a, "deleted fox", NULL);
    RUN(r, store_message_delete, gone->id, a, t_msg_cb);
    cr_assert_eq(r->status, 0);

    RUN(r, store_message_search, a, "FOX", 10, t_msgs_cb);
    cr_assert_eq(r->status, 0);
    cr_assert_eq(r->count, 2, "a sees only chat ab (got %zu)", r->count);
    cr_expect_eq(r->msgs[0]->id, m2->id, "newest first");
    cr_expect_eq(r->msgs[1]->id, m1->id);
    RUN(r, store_message_search, a, "quick fox", 10, t_msgs_cb);
    cr_assert_eq(r->count, 1, "every word must match");
    cr_expect_eq(r->msgs[0]->id, m1->id);
    RUN(r, store_message_search, a, "qui", 10, t_msgs_cb);
    cr_expect_eq(r->count, 0, "whole words only");
    RUN(r, store_message_search, a, "secret", 10, t_msgs_cb);
    cr_expect_eq(r->count, 0, "not a member of the private chat");
    RUN(r, store_message_search, b, "secret", 10, t_msgs_cb);
    cr_expect_eq(r->count, 1);
    RUN(r, store_message_search, b, "fox", 10, t_msgs_cb);
    cr_expect_eq(r->count, 3);
    RUN(r, store_message_search, b, "fox", 1, t_msgs_cb);
    cr_expect_eq(r->count, 1);
    RUN(r, store_message_search, c, "fox", 10, t_msgs_cb);
    cr_expect_eq(r->count, 2, "c: public chat (member) and private chat");
    RUN(r, store_message_search, a, "deleted", 10, t_msgs_cb);
    cr_expect_eq(r->count, 0, "deleted messages are not found");
    /* edits are searchable */
    RUN(r, store_message_edit, m1->id, a, "now about a zebra", t_msg_cb);
    RUN(r, store_message_search, b, "zebra", 10, t_msgs_cb);
    cr_expect_eq(r->count, 1);
    RUN(r, store_message_search, b, "quick", 10, t_msgs_cb);
    cr_expect_eq(r->count, 0);
}

STORE_TEST(two_stores_racing_on_one_client_id_and_one_private_pair)
{
    int64_t a = t_user("a"), b = t_user("b");
    int64_t ch = t_chat(STORE_CHAT_GROUP, "g", a, NULL, 0);
    store_t *second = t_open_second();
    enum { N = 16 };
    tres_t *sends[N], *pairs[N];
    for (int i = 0; i < N; i++) {
        store_t *s = i % 2 ? second : F->store;
        sends[i] = t_new();
        pairs[i] = t_new();
        cr_assert_eq(store_message_send(s, ch, a, "hello", "one-id", t_msg_cb, sends[i]), 0);
        cr_assert_eq(store_chat_get_private(s, i % 3 ? a : b, i % 3 ? b : a, t_chat_cb, pairs[i]),
                     0);
    }
    t_wait_all(sends, N);
    t_wait_all(pairs, N);
    int fresh = 0, created = 0;
    for (int i = 0; i < N; i++) {
        cr_assert_eq(sends[i]->status, 0, "send %d: %d", i, sends[i]->status);
        cr_expect_eq(sends[i]->msg->id, sends[0]->msg->id);
        cr_expect_eq(sends[i]->msg->seq, 1);
        fresh += !sends[i]->msg->duplicate;
        cr_assert_eq(pairs[i]->status, 0, "pair %d: %d", i, pairs[i]->status);
        cr_expect_eq(pairs[i]->chat->id, pairs[0]->chat->id);
        created += pairs[i]->chat->created;
    }
    t_close_store(second);
    cr_expect_eq(fresh, 1);
    cr_expect_eq(created, 1);
    cr_expect_eq(t_sql_int("SELECT count(*) FROM messages"), 1);
    cr_expect_eq(t_sql_int("SELECT last_seq FROM chats WHERE kind = 'group'"), 1);
    cr_expect_eq(t_sql_int("SELECT count(*) FROM chats WHERE kind = 'private'"), 1);
}
