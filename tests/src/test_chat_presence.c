/* test_chat_presence.c - presence state: sockets per user (online / away / offline), the hash
 * table under growth and removal, and presence channels counting a user once across tabs. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "src/chat/presence.h"
#include "tests/support/leakcheck.h"

static chat_presence_t *p;

static void setup(void)
{
    p = chat_presence_new();
}
static void teardown(void)
{
    chat_presence_free(p);
    p = NULL;
    sioc_check_leaks();
}
TestSuite(chat_presence, .init = setup, .fini = teardown);

Test(chat_presence, sockets_per_user)
{
    cr_expect_str_eq(chat_presence_status(p, 7), "offline");
    cr_expect(chat_presence_connect(p, 7), "first socket: came online");
    cr_expect_not(chat_presence_connect(p, 7), "second tab");
    cr_expect_str_eq(chat_presence_status(p, 7), "online");
    cr_expect(chat_presence_set_away(p, 7, true));
    cr_expect_not(chat_presence_set_away(p, 7, true), "no change");
    cr_expect_str_eq(chat_presence_status(p, 7), "away");
    cr_expect_not(chat_presence_disconnect(p, 7), "one tab left");
    cr_expect_str_eq(chat_presence_status(p, 7), "away");
    cr_expect(chat_presence_disconnect(p, 7), "went offline");
    cr_expect_str_eq(chat_presence_status(p, 7), "offline");
    cr_expect_not(chat_presence_disconnect(p, 7), "already offline");
    cr_expect_not(chat_presence_set_away(p, 7, true), "offline users cannot be away");
    /* reconnecting starts online again */
    cr_expect(chat_presence_connect(p, 7));
    cr_expect_str_eq(chat_presence_status(p, 7), "online");
    cr_expect_not(chat_presence_connect(p, 0));
    cr_expect_not(chat_presence_connect(p, -3));
    cr_expect_str_eq(chat_presence_status(NULL, 7), "offline");
}

Test(chat_presence, many_users_grow_and_shrink)
{
    for (int64_t id = 1; id <= 5000; id++)
        cr_assert(chat_presence_connect(p, id * 37));
    cr_expect_eq(chat_presence_online_count(p), 5000);
    /* remove every other user: the rest must stay reachable (backward-shift deletion) */
    for (int64_t id = 1; id <= 5000; id += 2)
        cr_assert(chat_presence_disconnect(p, id * 37));
    cr_expect_eq(chat_presence_online_count(p), 2500);
    for (int64_t id = 1; id <= 5000; id++)
        cr_assert_str_eq(chat_presence_status(p, id * 37), id % 2 ? "offline" : "online",
                         "user %lld", (long long)id);
    for (int64_t id = 2; id <= 5000; id += 2)
        cr_assert(chat_presence_disconnect(p, id * 37));
    cr_expect_eq(chat_presence_online_count(p), 0);
}

Test(chat_presence, channels_count_users_once)
{
    size_t n;
    chat_presence_member_t *m;
    cr_expect(chat_presence_channel_join(p, "support", 1, "alice"));
    cr_expect(chat_presence_channel_join(p, "support", 2, "bob"));
    cr_expect_not(chat_presence_channel_join(p, "support", 2, "bob"), "second tab of bob");
    cr_expect(chat_presence_channel_join(p, "sales", 2, "bob"));
    m = chat_presence_channel_members(p, "support", &n);
    cr_assert_eq(n, 2);
    cr_expect_eq(m[0].user_id, 1);
    cr_expect_str_eq(m[0].name, "alice");
    cr_expect_eq(m[1].user_id, 2);
    free(m);
    cr_expect_not(chat_presence_channel_leave(p, "support", 2), "bob still has a tab");
    cr_expect(chat_presence_channel_leave(p, "support", 2));
    cr_expect_not(chat_presence_channel_leave(p, "support", 2), "not in it any more");
    cr_expect_not(chat_presence_channel_leave(p, "nowhere", 2));
    cr_expect(chat_presence_channel_leave(p, "support", 1));
    cr_expect_null(chat_presence_channel_members(p, "support", &n), "empty channels go away");
    cr_expect_eq(n, 0);
    m = chat_presence_channel_members(p, "sales", &n);
    cr_expect_eq(n, 1);
    free(m);
}

Test(chat_presence, long_names_are_cut)
{
    char name[200];
    size_t n;
    chat_presence_member_t *m;
    memset(name, 'x', sizeof(name) - 1);
    name[sizeof(name) - 1] = '\0';
    chat_presence_channel_join(p, "c", 1, name);
    chat_presence_channel_join(p, "c", 2, NULL);
    m = chat_presence_channel_members(p, "c", &n);
    cr_assert_eq(n, 2);
    cr_expect_eq(strlen(m[0].name), sizeof(m[0].name) - 1);
    cr_expect_str_eq(m[1].name, "");
    free(m);
}
