/* test_media.c - attachments (storage/media.h) on both backends: create and read back, the
 * visibility rules (uploader, members of a chat whose message links it, staff for desk links, the
 * customer of the service; nobody else, and an unknown id looks the same), chat sends with
 * attachments linked in the send's transaction (someone else's upload refused with -EACCES and
 * nothing written, attachments-only bodies), the list by message in order, deleted messages
 * carrying none, and the desk link (owner checked, idempotent). */
#include "tests/storage/support.h"

#include "storage/desk.h"
#include "storage/media.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct st_ares_t {
    tres_t base; /* first: t_wait() sees `calls` */
    store_attachment_t att;
    char sha[65], type[128], name[300];
    size_t count;
    store_attachment_t items[16];
    int64_t desk_msg_id;
    int64_t customer_id;
} ares_t;

static ares_t *a_new(void)
{
    return t_keep(xcalloc(1, sizeof(ares_t)));
}

static void att_cb(void *d, int status, const store_attachment_t *a)
{
    ares_t *r = d;
    r->base.calls++;
    r->base.status = status;
    if (a != NULL) {
        r->att = *a;
        snprintf(r->sha, sizeof(r->sha), "%s", a->sha256);
        snprintf(r->type, sizeof(r->type), "%s", a->content_type);
        snprintf(r->name, sizeof(r->name), "%s", a->name);
    }
}

static void atts_cb(void *d, int status, const store_attachment_list_t *l)
{
    ares_t *r = d;
    r->base.calls++;
    r->base.status = status;
    if (l != NULL) {
        r->count = l->count;
        for (size_t i = 0; i < l->count && i < 16; i++)
            r->items[i] = l->items[i]; /* strings not kept */
    }
}

static void status_cb(void *d, int status)
{
    ares_t *r = d;
    r->base.calls++;
    r->base.status = status;
}

static void customer_cb(void *d, int status, const store_customer_t *c)
{
    ares_t *r = d;
    r->base.calls++;
    r->base.status = status;
    if (c != NULL)
        r->customer_id = c->id;
}

static void desk_msg_cb(void *d, int status, const store_desk_msg_t *m, const store_service_t *s)
{
    ares_t *r = d;
    UNUSED(s);
    r->base.calls++;
    r->base.status = status;
    if (m != NULL)
        r->desk_msg_id = m->id;
}

#define ARUN(r, fn, ...)                                                                           \
    do {                                                                                           \
        (r) = a_new();                                                                             \
        int rc_ = fn(F->store, __VA_ARGS__, (r));                                                  \
        cr_assert_eq(rc_, 0, #fn " returned %d", rc_);                                             \
        t_wait(&(r)->base);                                                                        \
    } while (0)

static const char SHA_A[] = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
static const char SHA_B[] = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

static int64_t upload(int64_t user, int64_t customer, const char *sha, const char *name)
{
    ares_t *r;
    store_attachment_new_t a = {.sha256 = sha,
                                .content_type = "image/png",
                                .name = name,
                                .size = 1234,
                                .uploader_user_id = user,
                                .uploader_customer_id = customer,
                                .width = 64,
                                .height = 32,
                                .thumb_size = 99};
    ARUN(r, store_attachment_create, &a, att_cb);
    cr_assert_eq(r->base.status, 0, "create: %d", r->base.status);
    return r->att.id;
}

static int visible(int64_t id, int64_t user, int64_t customer)
{
    ares_t *r;
    ARUN(r, store_attachment_get_visible, id, user, customer, att_cb);
    return r->base.status;
}

STORE_TEST(attachment_create_and_read_back)
{
    int64_t ada = t_user("ada");
    int64_t id = upload(ada, 0, SHA_A, "cat 'photo'; DROP TABLE x.png");
    ares_t *r;
    ARUN(r, store_attachment_get_visible, id, ada, 0, att_cb);
    cr_assert_eq(r->base.status, 0);
    cr_expect_str_eq(r->sha, SHA_A);
    cr_expect_str_eq(r->type, "image/png");
    cr_expect_str_eq(r->name, "cat 'photo'; DROP TABLE x.png");
    cr_expect_eq(r->att.size, 1234);
    cr_expect_eq(r->att.uploader_user_id, ada);
    cr_expect_eq(r->att.uploader_customer_id, 0);
    cr_expect_eq(r->att.width, 64);
    cr_expect_eq(r->att.height, 32);
    cr_expect_eq(r->att.thumb_size, 99);
    cr_expect_gt(r->att.created_at, 0);
    /* two uploads of the same bytes: two rows, one hash */
    int64_t id2 = upload(ada, 0, SHA_A, "again.png");
    cr_expect_neq(id, id2);
    cr_expect_eq(t_sql_int("SELECT count(DISTINCT sha256) FROM attachments"), 1);
}

STORE_TEST(attachment_create_refuses_bad_input)
{
    int64_t ada = t_user("ada");
    store_attachment_new_t a = {.sha256 = "xyz",
                                .content_type = "image/png",
                                .name = "a.png",
                                .size = 1,
                                .uploader_user_id = ada};
    cr_expect_eq(store_attachment_create(F->store, &a, att_cb, NULL), -EINVAL);
    a.sha256 = SHA_A;
    a.uploader_customer_id = 7; /* both uploaders */
    cr_expect_eq(store_attachment_create(F->store, &a, att_cb, NULL), -EINVAL);
    a.uploader_customer_id = 0;
    a.name = "";
    cr_expect_eq(store_attachment_create(F->store, &a, att_cb, NULL), -EINVAL);
    cr_expect_eq(store_attachment_get_visible(F->store, 1, 0, 0, att_cb, NULL), -EINVAL);
    int64_t dup[] = {3, 3};
    cr_expect_eq(store_message_send_with(F->store, 1, ada, "x", NULL, dup, 2, t_msg_cb, NULL),
                 -EINVAL);
    cr_expect_eq(store_message_send_with(F->store, 1, ada, "", NULL, NULL, 0, t_msg_cb, NULL),
                 -EINVAL);
}

STORE_TEST(chat_send_links_own_uploads_in_order)
{
    int64_t ada = t_user("ada"), bob = t_user("bob"), eve = t_user("eve");
    int64_t chat = t_chat(STORE_CHAT_GROUP, "g", ada, &bob, 1);
    int64_t a1 = upload(ada, 0, SHA_A, "one.png"), a2 = upload(ada, 0, SHA_B, "two.png");
    int64_t b1 = upload(bob, 0, SHA_B, "bob.png");
    /* bob cannot see ada's uploads before they are sent, eve never */
    cr_expect_eq(visible(a1, bob, 0), -ENOENT);
    cr_expect_eq(visible(a1, eve, 0), -ENOENT);
    cr_expect_eq(visible(999999, ada, 0), -ENOENT);

    int64_t ids[] = {a2, a1};
    tres_t *m;
    RUN(m, store_message_send_with, chat, ada, "", "c1", ids, 2, t_msg_cb);
    cr_assert_eq(m->status, 0, "%d", m->status);
    cr_expect_str_eq(m->msg->body, "");
    int64_t mid = m->msg->id;
    cr_expect_eq(visible(a1, bob, 0), 0);
    cr_expect_eq(visible(a2, bob, 0), 0);
    cr_expect_eq(visible(a1, eve, 0), -ENOENT);

    ares_t *l;
    ARUN(l, store_attachment_list, STORE_ATT_CHAT, &mid, 1, atts_cb);
    cr_assert_eq(l->base.status, 0);
    cr_assert_eq(l->count, 2);
    cr_expect_eq(l->items[0].id, a2);
    cr_expect_eq(l->items[1].id, a1);
    cr_expect_eq(l->items[0].message_id, mid);

    /* someone else's upload: refused, nothing written (no seq taken) */
    int64_t theirs[] = {a1, b1};
    RUN(m, store_message_send_with, chat, ada, "x", "c2", theirs, 2, t_msg_cb);
    cr_expect_eq(m->status, -EACCES);
    cr_expect_eq(t_sql_int("SELECT count(*) FROM messages"), 1);
    cr_expect_eq(t_sql_int("SELECT last_seq FROM chats"), 1);
    cr_expect_eq(t_sql_int("SELECT count(*) FROM message_attachments"), 2);

    /* a retried client id: the stored message, nothing linked twice */
    RUN(m, store_message_send_with, chat, ada, "", "c1", ids, 2, t_msg_cb);
    cr_expect_eq(m->status, 0);
    cr_expect(m->msg->duplicate);
    cr_expect_eq(t_sql_int("SELECT count(*) FROM message_attachments"), 2);

    /* deleted: its attachments go from the list and from the members' view */
    RUN(m, store_message_delete, mid, ada, t_msg_cb);
    cr_assert_eq(m->status, 0);
    ARUN(l, store_attachment_list, STORE_ATT_CHAT, &mid, 1, atts_cb);
    cr_expect_eq(l->count, 0);
    cr_expect_eq(visible(a1, bob, 0), -ENOENT);
    cr_expect_eq(visible(a1, ada, 0), 0); /* the uploader still */
}

STORE_TEST(desk_links_and_visibility)
{
    int64_t boss = t_user("boss"), ada = t_user("ada");
    cr_assert_eq(t_sql_exec("UPDATE users SET role = 'agent' WHERE username = 'boss'"), 0);
    ares_t *r;
    ARUN(r, store_desk_customer_upsert, "widget", "v1", "Carla", "", customer_cb);
    int64_t carla = r->customer_id;
    ARUN(r, store_desk_customer_upsert, "widget", "v2", "Dan", "", customer_cb);
    int64_t dan = r->customer_id;
    int64_t c1 = upload(0, carla, SHA_A, "receipt.pdf");
    int64_t s1 = upload(boss, 0, SHA_B, "answer.png");
    cr_expect_eq(visible(c1, 0, carla), 0);
    cr_expect_eq(visible(c1, 0, dan), -ENOENT);
    cr_expect_eq(visible(c1, boss, 0), -ENOENT); /* not linked yet */

    ARUN(r, store_desk_inbound, carla, "see attached", "m1", desk_msg_cb);
    cr_assert_eq(r->base.status, 0);
    int64_t in = r->desk_msg_id;
    ares_t *k;
    ARUN(k, store_attachment_link_desk, in, 0, dan, &c1, 1, status_cb); /* not dan's */
    cr_expect_eq(k->base.status, -EACCES);
    ARUN(k, store_attachment_link_desk, in, 0, carla, &c1, 1, status_cb);
    cr_expect_eq(k->base.status, 0);
    ARUN(k, store_attachment_link_desk, in, 0, carla, &c1, 1, status_cb); /* a retry */
    cr_expect_eq(k->base.status, 0);
    ARUN(k, store_attachment_link_desk, 987654, 0, carla, &c1, 1, status_cb);
    cr_expect_eq(k->base.status, -ENOENT);
    cr_expect_eq(visible(c1, boss, 0), 0); /* staff */
    cr_expect_eq(visible(c1, ada, 0), -ENOENT);
    cr_expect_eq(visible(c1, 0, dan), -ENOENT);

    ares_t *l;
    ARUN(l, store_attachment_list, STORE_ATT_DESK, &in, 1, atts_cb);
    cr_assert_eq(l->count, 1);
    cr_expect_eq(l->items[0].id, c1);
    cr_expect_eq(l->items[0].uploader_customer_id, carla);

    /* a staff reply's attachment reaches the customer of that service only */
    ARUN(r, store_desk_inbound, carla, "again", "m2", desk_msg_cb); /* same open service */
    cr_expect_eq(visible(s1, 0, carla), -ENOENT);
    ARUN(k, store_attachment_link_desk, r->desk_msg_id, boss, 0, &s1, 1, status_cb);
    cr_expect_eq(k->base.status, 0);
    cr_expect_eq(visible(s1, 0, carla), 0);
    cr_expect_eq(visible(s1, 0, dan), -ENOENT);
}

STORE_TEST(check_owned_before_a_desk_message)
{
    int64_t boss = t_user("boss");
    ares_t *r;
    ARUN(r, store_desk_customer_upsert, "widget", "v1", "Carla", "", customer_cb);
    int64_t carla = r->customer_id;
    int64_t c1 = upload(0, carla, SHA_A, "a.pdf"), s1 = upload(boss, 0, SHA_B, "b.png");
    int64_t both[] = {c1, s1};
    ares_t *k;
    ARUN(k, store_attachment_check_owned, 0, carla, &c1, 1, status_cb);
    cr_expect_eq(k->base.status, 0);
    ARUN(k, store_attachment_check_owned, 0, carla, both, 2, status_cb);
    cr_expect_eq(k->base.status, -EACCES);
    ARUN(k, store_attachment_check_owned, boss, 0, &s1, 1, status_cb);
    cr_expect_eq(k->base.status, 0);
    ARUN(k, store_attachment_check_owned, boss, 0, &c1, 1, status_cb);
    cr_expect_eq(k->base.status, -EACCES);
    cr_expect_eq(t_sql_int("SELECT count(*) FROM desk_message_attachments"), 0);
    /* an attachments-only desk message */
    ARUN(r, store_desk_inbound, carla, "", "m-empty", desk_msg_cb);
    cr_expect_eq(r->base.status, 0);
}
