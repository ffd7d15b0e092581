/* test_desk.c - the desk's storage (storage/desk.h) on both backends: services opened by the
 * first customer message (once, even under a burst), gapless seqs and idempotent client ids in
 * both directions, the take race (one winner), transfer, finish, idle close by two stores at
 * once (each service finished exactly once), ratings, filters and visibility of the service
 * list, delivery states, the dashboard figures of a hand-seeded period, staff administration,
 * password-reset tokens, and the outbox's claim/lease/retry/fail cycle. */
#include "tests/storage/support.h"

#include "storage/desk.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* what one desk callback delivered (deep copies) */
typedef struct st_dres_t {
    tres_t base; /* first: t_wait() sees `calls` */
    store_customer_t customer;
    char cust_ext[256];
    store_service_t *svc;
    store_desk_msg_t *msg;
    store_service_t **svcs;
    store_desk_msg_t **msgs;
    store_desk_stats_row_t *stats;
    store_outbox_item_t *outbox;
    size_t count;
    int64_t n;
} dres_t;

static dres_t *d_new(void)
{
    return t_keep(xcalloc(1, sizeof(dres_t)));
}

static void done(dres_t *r, int status)
{
    r->base.calls++;
    r->base.status = status;
}

static void customer_cb(void *d, int status, const store_customer_t *c)
{
    dres_t *r = d;
    done(r, status);
    if (c != NULL) {
        r->customer = *c;
        snprintf(r->cust_ext, sizeof(r->cust_ext), "%s", c->external_id);
    }
}

static void msg_cb(void *d, int status, const store_desk_msg_t *m, const store_service_t *s)
{
    dres_t *r = d;
    done(r, status);
    if (m != NULL) {
        r->msg = t_keep(store_desk_msg_dup(m));
        r->svc = t_keep(store_service_dup(s));
    }
}

static void svc_cb(void *d, int status, const store_service_t *s)
{
    dres_t *r = d;
    done(r, status);
    if (s != NULL)
        r->svc = t_keep(store_service_dup(s));
}

static void svcs_cb(void *d, int status, const store_service_list_t *l)
{
    dres_t *r = d;
    done(r, status);
    if (l == NULL)
        return;
    r->count = l->count;
    r->svcs = t_keep(xcalloc(l->count + 1, sizeof(*r->svcs)));
    for (size_t i = 0; i < l->count; i++)
        r->svcs[i] = t_keep(store_service_dup(&l->items[i]));
}

static void msgs_cb(void *d, int status, const store_desk_msg_list_t *l)
{
    dres_t *r = d;
    done(r, status);
    if (l == NULL)
        return;
    r->count = l->count;
    r->msgs = t_keep(xcalloc(l->count + 1, sizeof(*r->msgs)));
    for (size_t i = 0; i < l->count; i++)
        r->msgs[i] = t_keep(store_desk_msg_dup(&l->items[i]));
}

static void stats_cb(void *d, int status, const store_desk_stats_t *st)
{
    dres_t *r = d;
    done(r, status);
    if (st == NULL)
        return;
    r->count = st->count;
    r->stats = t_keep(xcalloc(st->count + 1, sizeof(*r->stats)));
    memcpy(r->stats, st->items, st->count * sizeof(*r->stats)); /* names not used */
}

static void outbox_cb(void *d, int status, const store_outbox_list_t *l)
{
    dres_t *r = d;
    done(r, status);
    if (l == NULL)
        return;
    r->count = l->count;
    r->outbox = t_keep(xcalloc(l->count + 1, sizeof(*r->outbox)));
    memcpy(r->outbox, l->items, l->count * sizeof(*r->outbox)); /* strings not used */
}

static void count_cb(void *d, int status, int64_t n)
{
    dres_t *r = d;
    done(r, status);
    r->n = n;
}

static void status_cb(void *d, int status)
{
    done(d, status);
}

#define DRUN(r, fn, ...)                                                                           \
    do {                                                                                           \
        (r) = d_new();                                                                             \
        int rc_ = fn(F->store, __VA_ARGS__, (r));                                                  \
        cr_assert_eq(rc_, 0, #fn " returned %d", rc_);                                             \
        t_wait(&(r)->base);                                                                        \
    } while (0)

static int64_t customer(const char *ext)
{
    dres_t *r;
    DRUN(r, store_desk_customer_upsert, "widget", ext, "Carla", "c@example.com", customer_cb);
    cr_assert_eq(r->base.status, 0, "%d", r->base.status);
    return r->customer.id;
}

static dres_t *in(int64_t cust, const char *body, const char *cid)
{
    dres_t *r;
    DRUN(r, store_desk_inbound, cust, body, cid, msg_cb);
    return r;
}

static dres_t *out(int64_t svc, int64_t author, const char *body, const char *cid, bool outbox)
{
    dres_t *r;
    DRUN(r, store_desk_outbound, svc, author, body, cid, outbox, msg_cb);
    return r;
}

static int64_t staff(const char *name, store_user_role_t role)
{
    tres_t *r;
    store_user_new_t nu = {name, name, "hash", "", role};
    RUN(r, store_user_create, &nu, t_user_cb);
    cr_assert_eq(r->status, 0);
    return r->user->id;
}

STORE_TEST(desk_customer_upsert_keeps_one_row)
{
    int64_t a = customer("v-1");
    dres_t *r;
    DRUN(r, store_desk_customer_upsert, "widget", "v-1", "", "", customer_cb);
    cr_expect_eq(r->customer.id, a);
    DRUN(r, store_desk_customer_get, a, customer_cb);
    cr_assert_eq(r->base.status, 0);
    cr_expect_str_eq(r->cust_ext, "v-1");
    cr_expect_eq(customer("v-2") != a, true);
    DRUN(r, store_desk_customer_get, a + 100, customer_cb);
    cr_expect_eq(r->base.status, -ENOENT);
    cr_expect_eq(store_desk_customer_upsert(F->store, "", "x", NULL, NULL, customer_cb, NULL),
                 -EINVAL);
}

STORE_TEST(desk_inbound_opens_a_service_once_and_numbers_messages)
{
    int64_t c = customer("v-1"), agent = staff("ann", STORE_USER_ROLE_AGENT);
    dres_t *m1 = in(c, "hello", "c1");
    cr_assert_eq(m1->base.status, 0, "%d", m1->base.status);
    cr_expect(m1->svc->opened);
    cr_expect_eq(m1->svc->status, STORE_SERVICE_OPEN);
    cr_expect_eq(m1->svc->attendant_id, 0);
    cr_expect_str_eq(m1->svc->channel, "widget");
    cr_expect_str_eq(m1->svc->customer_name, "Carla");
    cr_expect_eq(m1->msg->seq, 1);
    cr_expect_eq(m1->msg->direction, STORE_DESK_IN);
    cr_expect_eq(m1->msg->state, STORE_MSG_SENT);
    dres_t *m2 = in(c, "are you there?", NULL);
    cr_expect_not(m2->svc->opened);
    cr_expect_eq(m2->svc->id, m1->svc->id);
    cr_expect_eq(m2->msg->seq, 2);
    dres_t *again = in(c, "hello (resent)", "c1");
    cr_expect(again->msg->duplicate);
    cr_expect_eq(again->msg->id, m1->msg->id);
    cr_expect_str_eq(again->msg->body, "hello");
    dres_t *o = out(m1->svc->id, agent, "yes?", "a1", false);
    cr_assert_eq(o->base.status, 0);
    cr_expect_eq(o->msg->seq, 3);
    cr_expect_eq(o->msg->author_id, agent);
    cr_expect_eq(o->msg->direction, STORE_DESK_OUT);
    cr_expect_gt(o->svc->first_response_at, 0);
    dres_t *o2 = out(m1->svc->id, agent, "yes? (resent)", "a1", false);
    cr_expect(o2->msg->duplicate);
    cr_expect_eq(o2->msg->id, o->msg->id);
    /* the same client id from another sender is another message */
    dres_t *m3 = in(c, "a1 from the customer", "a1");
    cr_expect_not(m3->msg->duplicate);
    cr_expect_eq(m3->msg->seq, 4);
    dres_t *none = in(c + 100, "nobody", NULL);
    cr_expect_eq(none->base.status, -ENOENT);
    cr_expect_eq(t_sql_int("SELECT count(*) FROM desk_services"), 1);
    cr_expect_eq(t_sql_int("SELECT count(*) FROM desk_messages"), 4);
    dres_t *r;
    DRUN(r, store_desk_messages, m1->svc->id, 0, 100, msgs_cb);
    cr_assert_eq(r->count, 4);
    for (size_t i = 0; i < 4; i++)
        cr_expect_eq(r->msgs[i]->seq, (int64_t)i + 1);
    DRUN(r, store_desk_messages, m1->svc->id, 2, 100, msgs_cb);
    cr_expect_eq(r->count, 2);
}

STORE_TEST(desk_burst_of_first_messages_opens_one_service)
{
    int64_t c = customer("v-1");
    enum { N = 30 };
    dres_t *rs[N];
    tres_t *ts[N];
    char cid[N][16];
    for (int i = 0; i < N; i++) {
        rs[i] = d_new();
        ts[i] = &rs[i]->base;
        snprintf(cid[i], sizeof(cid[i]), "b%d", i);
        cr_assert_eq(store_desk_inbound(F->store, c, "burst", cid[i], msg_cb, rs[i]), 0);
    }
    t_wait_all(ts, N);
    int opened = 0;
    for (int i = 0; i < N; i++) {
        cr_assert_eq(rs[i]->base.status, 0, "%d: %d", i, rs[i]->base.status);
        opened += rs[i]->svc->opened;
        cr_expect_eq(rs[i]->svc->id, rs[0]->svc->id);
        if (!F->pg) /* the single SQLite writer keeps issue order */
            cr_expect_eq(rs[i]->msg->seq, i + 1);
    }
    cr_expect_eq(opened, 1);
    cr_expect_eq(t_sql_int("SELECT count(*) FROM desk_services"), 1);
    cr_expect_eq(t_sql_int("SELECT max(seq) FROM desk_messages"), N);
    cr_expect_eq(t_sql_int("SELECT count(DISTINCT seq) FROM desk_messages"), N);
}

STORE_TEST(desk_take_race_has_one_winner_then_transfer_and_finish)
{
    int64_t c = customer("v-1");
    int64_t a = staff("ann", STORE_USER_ROLE_AGENT), b = staff("bob", STORE_USER_ROLE_AGENT);
    int64_t sid = in(c, "help", NULL)->svc->id;
    /* two stores (two nodes) and several takers each */
    store_t *second = t_open_second();
    enum { N = 8 };
    dres_t *rs[N];
    tres_t *ts[N];
    for (int i = 0; i < N; i++) {
        rs[i] = d_new();
        ts[i] = &rs[i]->base;
        store_t *s = i % 2 ? second : F->store;
        cr_assert_eq(store_desk_assign(s, sid, i % 2 ? b : a, true, svc_cb, rs[i]), 0);
    }
    t_wait_all(ts, N);
    int wins = 0;
    int64_t winner = 0;
    for (int i = 0; i < N; i++) {
        if (rs[i]->base.status == 0) {
            wins++;
            winner = rs[i]->svc->attendant_id;
            cr_expect_eq(rs[i]->svc->previous_attendant_id, 0);
            cr_expect_gt(rs[i]->svc->assigned_at, 0);
        } else {
            cr_expect_eq(rs[i]->base.status, -EEXIST, "%d", rs[i]->base.status);
        }
    }
    t_close_store(second);
    cr_expect_eq(wins, 1);
    int64_t other = winner == a ? b : a;
    dres_t *r;
    DRUN(r, store_desk_assign, sid, other, false, svc_cb);
    cr_assert_eq(r->base.status, 0);
    cr_expect_eq(r->svc->attendant_id, other);
    cr_expect_eq(r->svc->previous_attendant_id, winner);
    DRUN(r, store_desk_assign, sid + 100, a, false, svc_cb);
    cr_expect_eq(r->base.status, -ENOENT);
    DRUN(r, store_desk_finish, sid, other, svc_cb);
    cr_assert_eq(r->base.status, 0);
    cr_expect_eq(r->svc->status, STORE_SERVICE_FINISHED);
    cr_expect_str_eq(r->svc->finish_reason, "agent");
    cr_expect_eq(r->svc->finished_by, other);
    cr_expect_gt(r->svc->finished_at, 0);
    DRUN(r, store_desk_finish, sid, other, svc_cb);
    cr_expect_eq(r->base.status, -EALREADY);
    DRUN(r, store_desk_finish, sid + 100, other, svc_cb);
    cr_expect_eq(r->base.status, -ENOENT);
    DRUN(r, store_desk_assign, sid, a, false, svc_cb);
    cr_expect_eq(r->base.status, -EALREADY);
    cr_expect_eq(out(sid, other, "late", NULL, false)->base.status, -EALREADY);
    /* writing after the finish opens a new service */
    dres_t *again = in(c, "one more thing", NULL);
    cr_expect(again->svc->opened);
    cr_expect_neq(again->svc->id, sid);
    cr_expect_eq(again->msg->seq, 1);
    DRUN(r, store_desk_unassign, again->svc->id, svc_cb);
    cr_expect_eq(r->svc->attendant_id, 0);
}

STORE_TEST(desk_idle_close_by_two_stores_finishes_each_service_once)
{
    enum { N = 12 };
    int64_t ids[N];
    for (int i = 0; i < N; i++) {
        char ext[16];
        snprintf(ext, sizeof(ext), "v%d", i);
        ids[i] = in(customer(ext), "hi", NULL)->svc->id;
    }
    int64_t fresh = in(customer("fresh"), "hi", NULL)->svc->id;
    cr_assert_eq(t_sql_exec("UPDATE desk_services SET last_activity_at = 1000"), 0);
    char sql[128];
    snprintf(sql, sizeof(sql), "UPDATE desk_services SET last_activity_at = %lld WHERE id = %lld",
             (long long)time_now_ms(), (long long)fresh);
    cr_assert_eq(t_sql_exec(sql), 0);
    store_t *second = t_open_second();
    dres_t *rs[6];
    tres_t *ts[6];
    for (int i = 0; i < 6; i++) {
        rs[i] = d_new();
        ts[i] = &rs[i]->base;
        cr_assert_eq(store_desk_idle_close(i % 2 ? second : F->store, 5000, 4, svcs_cb, rs[i]), 0);
    }
    t_wait_all(ts, 6);
    t_close_store(second);
    int seen[N] = {0};
    size_t total = 0;
    for (int i = 0; i < 6; i++) {
        cr_assert_eq(rs[i]->base.status, 0);
        for (size_t j = 0; j < rs[i]->count; j++) {
            store_service_t *s = rs[i]->svcs[j];
            cr_expect_str_eq(s->finish_reason, "idle");
            cr_expect_eq(s->status, STORE_SERVICE_FINISHED);
            for (int k = 0; k < N; k++)
                seen[k] += s->id == ids[k];
            total++;
        }
    }
    cr_expect_eq(total, N, "finished %zu", total);
    for (int k = 0; k < N; k++)
        cr_expect_eq(seen[k], 1, "service %d finished %d times", k, seen[k]);
    cr_expect_eq(t_sql_int("SELECT count(*) FROM desk_services WHERE status = 'open'"), 1);
    cr_expect_eq(t_sql_int("SELECT count(*) FROM desk_services WHERE finish_reason = 'idle'"
                           " AND finished_by IS NULL"),
                 N);
    dres_t *r;
    DRUN(r, store_desk_idle_close, 5000, 10, svcs_cb);
    cr_expect_eq(r->count, 0);
}

STORE_TEST(desk_touch_keeps_an_open_service_from_the_idle_sweep)
{
    int64_t a = staff("ann", STORE_USER_ROLE_AGENT);
    int64_t calling = in(customer("v-call"), "hi", NULL)->svc->id;
    int64_t quiet = in(customer("v-quiet"), "hi", NULL)->svc->id;
    cr_assert_eq(t_sql_exec("UPDATE desk_services SET last_activity_at = 1000"), 0);
    dres_t *r;
    DRUN(r, store_desk_touch, calling, count_cb);
    cr_assert_eq(r->base.status, 0);
    cr_expect_eq(r->n, 1);
    DRUN(r, store_desk_idle_close, 5000, 10, svcs_cb);
    cr_assert_eq(r->count, 1);
    cr_expect_eq(r->svcs[0]->id, quiet);
    char sql[128];
    snprintf(sql, sizeof(sql), "SELECT last_activity_at FROM desk_services WHERE id = %lld",
             (long long)calling);
    cr_expect_geq(t_sql_int(sql), (long long)time_now_ms() - 60000);
    /* a finished or unknown service is not touched (nor reopened) */
    DRUN(r, store_desk_touch, quiet, count_cb);
    cr_expect_eq(r->base.status, 0);
    cr_expect_eq(r->n, 0);
    DRUN(r, store_desk_touch, calling + quiet + 100, count_cb);
    cr_expect_eq(r->n, 0);
    DRUN(r, store_desk_finish, calling, a, svc_cb);
    DRUN(r, store_desk_touch, calling, count_cb);
    cr_expect_eq(r->n, 0);
    cr_expect_eq(t_sql_int("SELECT count(*) FROM desk_services WHERE status = 'open'"), 0);
    cr_expect_eq(store_desk_touch(F->store, 0, count_cb, NULL), -EINVAL);
}

STORE_TEST(desk_rating_once_on_a_finished_service_of_the_customer)
{
    int64_t c = customer("v-1"), other = customer("v-2"), a = staff("ann", STORE_USER_ROLE_AGENT);
    int64_t sid = in(c, "hi", NULL)->svc->id;
    dres_t *r;
    DRUN(r, store_desk_rate, sid, c, 5, "great", svc_cb);
    cr_expect_eq(r->base.status, -EPERM);
    DRUN(r, store_desk_finish, sid, a, svc_cb);
    DRUN(r, store_desk_rate, sid, other, 5, NULL, svc_cb);
    cr_expect_eq(r->base.status, -ENOENT);
    DRUN(r, store_desk_rate, sid, c, 4, "quick 'n' kind", svc_cb);
    cr_assert_eq(r->base.status, 0);
    cr_expect_eq(r->svc->rating, 4);
    cr_expect_str_eq(r->svc->rating_comment, "quick 'n' kind");
    cr_expect_gt(r->svc->rated_at, 0);
    DRUN(r, store_desk_rate, sid, c, 1, NULL, svc_cb);
    cr_expect_eq(r->base.status, -EALREADY);
    cr_expect_eq(store_desk_rate(F->store, sid, c, 6, NULL, svc_cb, NULL), -EINVAL);
    cr_expect_eq(store_desk_rate(F->store, sid, c, 0, NULL, svc_cb, NULL), -EINVAL);
}

STORE_TEST(desk_service_list_filters_visibility_and_cursor)
{
    int64_t a = staff("ann", STORE_USER_ROLE_AGENT), b = staff("bob", STORE_USER_ROLE_AGENT);
    int64_t s1 = in(customer("v1"), "x", NULL)->svc->id; /* queue */
    int64_t s2 = in(customer("v2"), "x", NULL)->svc->id; /* ann */
    int64_t s3 = in(customer("v3"), "x", NULL)->svc->id; /* bob */
    int64_t s4 = in(customer("v4"), "x", NULL)->svc->id; /* ann, finished */
    dres_t *r;
    DRUN(r, store_desk_assign, s2, a, true, svc_cb);
    DRUN(r, store_desk_assign, s3, b, true, svc_cb);
    DRUN(r, store_desk_assign, s4, a, true, svc_cb);
    DRUN(r, store_desk_finish, s4, a, svc_cb);
    store_service_filter_t f = {.limit = 100};
    DRUN(r, store_desk_service_list, &f, svcs_cb);
    cr_assert_eq(r->count, 4);
    cr_expect_eq(r->svcs[0]->id, s4, "newest first");
    f.visible_to = a;
    DRUN(r, store_desk_service_list, &f, svcs_cb);
    cr_assert_eq(r->count, 3); /* s4, s2, s1 */
    cr_expect_eq(r->svcs[0]->id, s4);
    cr_expect_eq(r->svcs[1]->id, s2);
    cr_expect_eq(r->svcs[2]->id, s1);
    f.status = 1;
    DRUN(r, store_desk_service_list, &f, svcs_cb);
    cr_expect_eq(r->count, 2);
    f = (store_service_filter_t){.attendant_id = -1, .limit = 100};
    DRUN(r, store_desk_service_list, &f, svcs_cb);
    cr_assert_eq(r->count, 1);
    cr_expect_eq(r->svcs[0]->id, s1);
    f = (store_service_filter_t){.attendant_id = b, .status = 1, .limit = 100};
    DRUN(r, store_desk_service_list, &f, svcs_cb);
    cr_assert_eq(r->count, 1);
    cr_expect_eq(r->svcs[0]->id, s3);
    f = (store_service_filter_t){.status = 2, .limit = 100};
    DRUN(r, store_desk_service_list, &f, svcs_cb);
    cr_expect_eq(r->count, 1);
    f = (store_service_filter_t){.channel = "whatsapp", .limit = 100};
    DRUN(r, store_desk_service_list, &f, svcs_cb);
    cr_expect_eq(r->count, 0);
    f = (store_service_filter_t){.channel = "widget", .limit = 2};
    DRUN(r, store_desk_service_list, &f, svcs_cb);
    cr_assert_eq(r->count, 2);
    f.before_id = r->svcs[1]->id; /* copied before DRUN replaces r */
    DRUN(r, store_desk_service_list, &f, svcs_cb);
    cr_assert_eq(r->count, 2);
    cr_expect_eq(r->svcs[0]->id, s2);
    cr_expect_eq(r->svcs[1]->id, s1);
    f = (store_service_filter_t){.from = time_now_ms() + 60000, .limit = 100};
    DRUN(r, store_desk_service_list, &f, svcs_cb);
    cr_expect_eq(r->count, 0);
    f = (store_service_filter_t){.to = time_now_ms() + 60000, .limit = 100};
    DRUN(r, store_desk_service_list, &f, svcs_cb);
    cr_expect_eq(r->count, 4);
    f.status = 3;
    cr_expect_eq(store_desk_service_list(F->store, &f, svcs_cb, NULL), -EINVAL);
}

STORE_TEST(desk_service_list_and_get_carry_the_newest_message)
{
    int64_t a = staff("ann", STORE_USER_ROLE_AGENT);
    dres_t *r = in(customer("v1"), "first", NULL);
    int64_t sid = r->svc->id;
    cr_expect_null(r->svc->last_body, "a write's result does not read it");
    store_service_filter_t f = {.limit = 100};
    DRUN(r, store_desk_service_list, &f, svcs_cb);
    cr_assert_eq(r->count, 1);
    cr_assert_not_null(r->svcs[0]->last_body);
    cr_expect_str_eq(r->svcs[0]->last_body, "first");
    cr_expect_eq(r->svcs[0]->last_direction, STORE_DESK_IN);
    DRUN(r, store_desk_assign, sid, a, true, svc_cb);
    DRUN(r, store_desk_outbound, sid, a, "an answer", NULL, false, msg_cb);
    cr_assert_eq(r->base.status, 0);
    DRUN(r, store_desk_service_get, sid, svc_cb);
    cr_assert_not_null(r->svc->last_body);
    cr_expect_str_eq(r->svc->last_body, "an answer");
    cr_expect_eq(r->svc->last_direction, STORE_DESK_OUT);
    DRUN(r, store_desk_service_list, &f, svcs_cb);
    cr_assert_eq(r->count, 1);
    cr_expect_str_eq(r->svcs[0]->last_body, "an answer");
    cr_expect_eq(r->svcs[0]->last_direction, STORE_DESK_OUT);
}

STORE_TEST(desk_delivery_states_move_forward_only)
{
    int64_t c = customer("v1"), a = staff("ann", STORE_USER_ROLE_AGENT);
    int64_t sid = in(c, "x", NULL)->svc->id;
    out(sid, a, "o1", NULL, false);
    out(sid, a, "o2", NULL, false);
    out(sid, a, "o3", NULL, false);
    dres_t *r;
    DRUN(r, store_desk_mark, sid, STORE_DESK_OUT, 4, STORE_MSG_READ, count_cb);
    cr_expect_eq(r->n, 4); /* seqs 2..4; 1 is the customer's */
    DRUN(r, store_desk_mark, sid, STORE_DESK_OUT, 4, STORE_MSG_DELIVERED, count_cb);
    cr_expect_eq(r->n, 0, "read stays read");
    out(sid, a, "o4", NULL, false);
    DRUN(r, store_desk_mark, sid, STORE_DESK_OUT, 10, STORE_MSG_DELIVERED, count_cb);
    cr_expect_eq(r->n, 5);
    DRUN(r, store_desk_mark, sid, STORE_DESK_IN, 10, STORE_MSG_READ, count_cb);
    cr_expect_eq(r->n, 1);
    DRUN(r, store_desk_messages, sid, 0, 10, msgs_cb);
    cr_assert_eq(r->count, 5);
    cr_expect_eq(r->msgs[0]->state, STORE_MSG_READ);
    cr_expect_eq(r->msgs[1]->state, STORE_MSG_READ);
    cr_expect_eq(r->msgs[3]->state, STORE_MSG_READ);
    cr_expect_eq(r->msgs[4]->state, STORE_MSG_DELIVERED);
    DRUN(r, store_desk_customer_messages, c, 0, 2, msgs_cb);
    cr_assert_eq(r->count, 2);
    cr_expect_eq(r->msgs[0]->seq, 5, "newest first");
    int64_t before = r->msgs[1]->id;
    DRUN(r, store_desk_customer_messages, c, before, 10, msgs_cb);
    cr_expect_eq(r->count, 3);
}

/* Seeds services with fixed times (minutes after T0) and checks the figures by hand. */
STORE_TEST(desk_stats_of_a_seeded_period)
{
    int64_t a = staff("ann", STORE_USER_ROLE_AGENT), b = staff("bob", STORE_USER_ROLE_AGENT);
    const int64_t T0 = 1700000000000, M = 60000;
    for (int i = 0; i < 7; i++) {
        char ext[16];
        snprintf(ext, sizeof(ext), "v%d", i);
        int64_t sid = in(customer(ext), "x", NULL)->svc->id;
        if (i < 6) {
            dres_t *r;
            DRUN(r, store_desk_assign, sid, i % 2 ? b : a, true, svc_cb);
        }
    }
    /* id: created, first response, finished, rating, attendant (period: [T0+10m, T0+100m))
     *  1: 0m (before),  5m, 20m, 5   ann  -> finished in period, not created in it
     *  2: 10m,         12m, 40m, 4   bob  -> created, finished (30m), rated 4, frt 2m
     *  3: 30m,         33m, 90m, -   ann  -> created, finished (60m), frt 3m
     *  4: 50m,           -,   -, -   bob  -> created, open at end
     *  5: 60m,         61m, 200m, 2  ann  -> created, open at end (finished after), frt 1m
     *  6: 150m (after),  -,   -, -   bob  -> outside
     *  7: 70m,           -, 80m, 1   none -> created, finished (10m), rated 1 */
    static const struct {
        int c, fr, fin, rating;
    } seed[] = {{0, 5, 20, 5},    {10, 12, 40, 4},  {30, 33, 90, 0}, {50, -1, -1, 0},
                {60, 61, 200, 2}, {150, -1, -1, 0}, {70, -1, 80, 1}};
    for (int i = 0; i < 7; i++) {
        char fr[24], fin[24], rating[4], fixed[500];
        snprintf(fr, sizeof(fr), "%lld", (long long)(T0 + seed[i].fr * M));
        snprintf(fin, sizeof(fin), "%lld", (long long)(T0 + seed[i].fin * M));
        snprintf(rating, sizeof(rating), "%d", seed[i].rating);
        snprintf(fixed, sizeof(fixed),
                 "UPDATE desk_services SET created_at = %lld, first_response_at = %s,"
                 " status = '%s', finished_at = %s, finish_reason = '%s', rating = %s"
                 " WHERE id = %d",
                 (long long)(T0 + seed[i].c * M), seed[i].fr < 0 ? "NULL" : fr,
                 seed[i].fin < 0 ? "open" : "finished", seed[i].fin < 0 ? "NULL" : fin,
                 seed[i].fin < 0 ? "" : "agent", seed[i].rating ? rating : "NULL", i + 1);
        cr_assert_eq(t_sql_exec(fixed), 0, "%s", fixed);
    }
    dres_t *r;
    DRUN(r, store_desk_stats, T0 + 10 * M, T0 + 100 * M, stats_cb);
    cr_assert_eq(r->base.status, 0);
    cr_assert_eq(r->count, 3); /* none, ann, bob */
    store_desk_stats_row_t *none = &r->stats[0], *ann = &r->stats[1], *bob = &r->stats[2];
    cr_expect_eq(none->attendant_id, 0);
    cr_expect_eq(ann->attendant_id, a);
    cr_expect_eq(bob->attendant_id, b);
    /* ann: 1, 3, 5 */
    cr_expect_eq(ann->opened, 2);
    cr_expect_eq(ann->finished, 2);
    cr_expect_eq(ann->open, 1);
    cr_expect_eq(ann->first_response_n, 2);
    cr_expect_eq(ann->first_response_ms, 4 * M);
    cr_expect_eq(ann->resolution_n, 2);
    cr_expect_eq(ann->resolution_ms, 80 * M); /* 20 + 60 */
    cr_expect_eq(ann->rating_n, 1);
    cr_expect_eq(ann->rating_sum, 5);
    cr_expect_eq(ann->ratings[4], 1);
    /* bob: 2, 4 (6 is outside) */
    cr_expect_eq(bob->opened, 2);
    cr_expect_eq(bob->finished, 1);
    cr_expect_eq(bob->open, 1);
    cr_expect_eq(bob->first_response_ms, 2 * M);
    cr_expect_eq(bob->resolution_ms, 30 * M);
    cr_expect_eq(bob->ratings[3], 1);
    /* never assigned: 7 */
    cr_expect_eq(none->opened, 1);
    cr_expect_eq(none->finished, 1);
    cr_expect_eq(none->open, 0);
    cr_expect_eq(none->ratings[0], 1);
    cr_expect_eq(store_desk_stats(F->store, 5, 5, stats_cb, NULL), -EINVAL);
}

STORE_TEST(desk_staff_roles_activity_and_first_admin)
{
    dres_t *r;
    DRUN(r, store_desk_admin_count, count_cb);
    cr_expect_eq(r->n, 0);
    tres_t *u;
    RUN(u, store_desk_admin_bootstrap, "root", "Root", "h1", t_user_cb);
    cr_assert_eq(u->status, 0, "%d", u->status);
    cr_expect_eq(u->user->role, STORE_USER_ROLE_ADMIN);
    cr_expect(u->user->active);
    int64_t root = u->user->id;
    RUN(u, store_desk_admin_bootstrap, "root2", "Root", "h1", t_user_cb);
    cr_expect_eq(u->status, -EEXIST);
    DRUN(r, store_desk_admin_count, count_cb);
    cr_expect_eq(r->n, 1);
    int64_t chat_user = t_user("carol"), ann = staff("ann", STORE_USER_ROLE_AGENT);
    RUN(u, store_desk_staff_list, 0, 100, t_users_cb);
    cr_assert_eq(u->count, 2); /* root, ann: not the chat user */
    cr_expect_eq(u->users[0]->id, root);
    cr_expect_eq(u->users[1]->id, ann);
    RUN(u, store_desk_staff_list, root, 100, t_users_cb);
    cr_expect_eq(u->count, 1);
    RUN(u, store_desk_user_set, chat_user, STORE_USER_ROLE_AGENT, -1, "Carol C", t_user_cb);
    cr_assert_eq(u->status, 0);
    cr_expect_eq(u->user->role, STORE_USER_ROLE_AGENT);
    cr_expect_str_eq(u->user->display_name, "Carol C");
    cr_expect(u->user->active);
    tres_t *t;
    RUN(t, store_token_insert, "tok-ann", ann, (int64_t)time_now_ms() + 60000, t_status_cb);
    RUN(u, store_desk_user_set, ann, -1, 0, NULL, t_user_cb);
    cr_assert_eq(u->status, 0);
    cr_expect_not(u->user->active);
    cr_expect_eq(u->user->role, STORE_USER_ROLE_AGENT);
    RUN(t, store_token_get, "tok-ann", t_token_cb);
    cr_expect(t->token.revoked, "deactivation revokes refresh tokens");
    RUN(u, store_user_get, ann, t_user_cb);
    cr_expect_not(u->user->active);
    RUN(u, store_desk_user_set, ann, -1, 1, NULL, t_user_cb);
    cr_expect(u->user->active);
    RUN(u, store_desk_user_set, ann + 100, -1, 1, NULL, t_user_cb);
    cr_expect_eq(u->status, -ENOENT);
    cr_expect_eq(store_desk_user_set(F->store, ann, 7, -1, NULL, t_user_cb, NULL), -EINVAL);
    /* the only admin deactivated: no active admin left */
    RUN(u, store_desk_user_set, root, -1, 0, NULL, t_user_cb);
    DRUN(r, store_desk_admin_count, count_cb);
    cr_expect_eq(r->n, 0);
}

STORE_TEST(desk_password_reset_tokens_are_one_time_and_expire)
{
    int64_t ann = staff("ann", STORE_USER_ROLE_AGENT);
    int64_t now = (int64_t)time_now_ms();
    dres_t *r;
    DRUN(r, store_reset_create, "h-ok", ann, now + 60000, status_cb);
    cr_assert_eq(r->base.status, 0);
    DRUN(r, store_reset_create, "h-old", ann, now - 1, status_cb);
    DRUN(r, store_reset_create, "h-ghost", ann + 100, now + 60000, status_cb);
    cr_expect_eq(r->base.status, -ENOENT);
    tres_t *t;
    RUN(t, store_token_insert, "tok", ann, now + 60000, t_status_cb);
    tres_t *u;
    RUN(u, store_reset_use, "h-old", "new-hash", t_user_cb);
    cr_expect_eq(u->status, -ENOENT, "expired");
    RUN(u, store_reset_use, "h-ok", "new-hash", t_user_cb);
    cr_assert_eq(u->status, 0);
    cr_expect_str_eq(u->user->password_hash, "new-hash");
    RUN(t, store_token_get, "tok", t_token_cb);
    cr_expect(t->token.revoked);
    RUN(u, store_reset_use, "h-ok", "other", t_user_cb);
    cr_expect_eq(u->status, -ENOENT, "used");
    RUN(u, store_reset_use, "h-none", "other", t_user_cb);
    cr_expect_eq(u->status, -ENOENT);
    /* a deactivated user's token does not work */
    DRUN(r, store_reset_create, "h-2", ann, now + 60000, status_cb);
    RUN(u, store_desk_user_set, ann, -1, 0, NULL, t_user_cb);
    RUN(u, store_reset_use, "h-2", "x", t_user_cb);
    cr_expect_eq(u->status, -ENOENT);
}

STORE_TEST(desk_outbox_claims_leases_retries_and_fails)
{
    int64_t c = customer("v1"), a = staff("ann", STORE_USER_ROLE_AGENT);
    int64_t sid = in(c, "x", NULL)->svc->id;
    dres_t *m1 = out(sid, a, "one", "o1", true);
    dres_t *m2 = out(sid, a, "two", "o2", true);
    out(sid, a, "not queued", NULL, false);
    out(sid, a, "one (retry)", "o1", true); /* duplicate: no second entry */
    cr_expect_eq(t_sql_int("SELECT count(*) FROM desk_outbox"), 2);
    dres_t *r;
    DRUN(r, store_outbox_claim, "widget", 60000, 10, outbox_cb);
    cr_assert_eq(r->count, 2);
    cr_expect_eq(r->outbox[0].message_id, m1->msg->id);
    cr_expect_eq(r->outbox[0].service_id, sid);
    cr_expect_eq(r->outbox[0].customer_id, c);
    cr_expect_eq(r->outbox[0].attempts, 1);
    int64_t o1 = r->outbox[0].id, o2 = r->outbox[1].id;
    DRUN(r, store_outbox_claim, "widget", 60000, 10, outbox_cb);
    cr_expect_eq(r->count, 0, "leased");
    DRUN(r, store_outbox_claim, "whatsapp", 60000, 10, outbox_cb);
    cr_expect_eq(r->count, 0);
    DRUN(r, store_outbox_settle, o1, true, NULL, 0, 3, status_cb);
    cr_assert_eq(r->base.status, 0);
    DRUN(r, store_outbox_settle, o1, true, NULL, 0, 3, status_cb);
    cr_expect_eq(r->base.status, -ENOENT, "settled once");
    DRUN(r, store_outbox_settle, o2, false, "HTTP 503", 0, 2, status_cb);
    cr_assert_eq(r->base.status, 0);
    DRUN(r, store_outbox_claim, "widget", 60000, 10, outbox_cb);
    cr_assert_eq(r->count, 1, "due again after the backoff (0 ms)");
    cr_expect_eq(r->outbox[0].id, o2);
    cr_expect_eq(r->outbox[0].attempts, 2);
    DRUN(r, store_outbox_settle, o2, false, "HTTP 503 again", 0, 2, status_cb);
    DRUN(r, store_outbox_claim, "widget", 60000, 10, outbox_cb);
    cr_expect_eq(r->count, 0, "failed for good");
    DRUN(r, store_desk_messages, sid, 0, 10, msgs_cb);
    cr_assert_geq(r->count, 3);
    cr_expect_eq(r->msgs[1]->state, STORE_MSG_SENT, "accepted: its receipts move it on");
    cr_expect_eq(r->msgs[2]->state, STORE_MSG_FAILED);
    cr_expect_eq(r->msgs[2]->id, m2->msg->id);
    cr_expect_str_eq(r->msgs[2]->error, "HTTP 503 again", "the final failure's error is kept");
    cr_expect_str_eq(r->msgs[0]->error, "", "never failed: no error");
    cr_expect_str_eq(r->msgs[1]->error, "");
    cr_expect_str_eq(m1->msg->error, "", "a new message has none");
    cr_expect_eq(t_sql_int("SELECT count(*) FROM desk_outbox WHERE status = 'failed'"
                           " AND last_error = 'HTTP 503 again'"),
                 1);
    /* a lease that ran out lets another claimer take the entry */
    dres_t *m3 = out(sid, a, "three", "o3", true);
    DRUN(r, store_outbox_claim, "widget", 1, 10, outbox_cb);
    cr_assert_eq(r->count, 1);
    t_sleep(5);
    DRUN(r, store_outbox_claim, "widget", 60000, 10, outbox_cb);
    cr_assert_eq(r->count, 1);
    cr_expect_eq(r->outbox[0].message_id, m3->msg->id);
    cr_expect_eq(r->outbox[0].attempts, 2);
}

static void state_cb(void *d, int status, const store_channel_state_t *st)
{
    dres_t *r = d;
    done(r, status);
    if (st != NULL) {
        r->n = st->enabled;
        r->count = (size_t)(st->verified_at > 0) | (size_t)(st->last_event_at > 0) << 1 |
                   (size_t)(st->last_ok_at > 0) << 2 | (size_t)(st->last_error_at > 0) << 3;
        snprintf(r->cust_ext, sizeof(r->cust_ext), "%s", st->last_error);
    }
}

static void inbox_cb(void *d, int status, const store_inbox_list_t *l)
{
    dres_t *r = d;
    done(r, status);
    if (l != NULL) {
        r->count = l->count;
        r->n = l->count > 0 ? l->items[0].id : 0;
        if (l->count > 0)
            snprintf(r->cust_ext, sizeof(r->cust_ext), "%s", l->items[0].body);
    }
}

STORE_TEST(desk_inbox_stores_a_webhook_once_and_lists_the_unprocessed)
{
    dres_t *r;
    DRUN(r, store_inbox_put, "whatsapp", "k1", "{\"a\":1}", count_cb);
    cr_assert_eq(r->base.status, 0);
    int64_t id = r->n;
    cr_assert_gt(id, 0);
    DRUN(r, store_inbox_put, "whatsapp", "k1", "{\"a\":1}", count_cb);
    cr_expect_eq(r->n, 0, "a redelivery is stored once");
    DRUN(r, store_inbox_put, "widget", "k1", "{}", count_cb);
    cr_expect_gt(r->n, 0, "keys are per channel");
    DRUN(r, store_inbox_pending, "whatsapp", 0, 10, inbox_cb);
    cr_assert_eq(r->count, 1);
    cr_expect_eq(r->n, id);
    cr_expect_str_eq(r->cust_ext, "{\"a\":1}");
    DRUN(r, store_inbox_done, id, status_cb);
    cr_expect_eq(r->base.status, 0);
    DRUN(r, store_inbox_pending, "whatsapp", 0, 10, inbox_cb);
    cr_expect_eq(r->count, 0);
}

STORE_TEST(desk_external_ids_find_and_fail_outbound_messages)
{
    int64_t c = customer("15550001"), a = staff("ann", STORE_USER_ROLE_AGENT);
    int64_t sid = in(c, "hello", "wamid.IN1")->svc->id;
    dres_t *m = out(sid, a, "hi", "o1", true);
    dres_t *r;
    DRUN(r, store_desk_msg_set_external, m->msg->id, "wamid.OUT1", status_cb);
    cr_assert_eq(r->base.status, 0);
    DRUN(r, store_desk_msg_set_external, 999999, "wamid.X", status_cb);
    cr_expect_eq(r->base.status, -ENOENT);
    DRUN(r, store_desk_msg_find_external, "wamid.OUT1", msg_cb);
    cr_assert_eq(r->base.status, 0);
    cr_expect_eq(r->msg->id, m->msg->id);
    cr_expect_eq(r->svc->id, sid);
    cr_expect_str_eq(r->svc->customer_external_id, "15550001");
    cr_expect_gt(r->svc->last_inbound_at, 0, "the window's clock");
    DRUN(r, store_desk_msg_find_external, "wamid.NONE", msg_cb);
    cr_expect_eq(r->base.status, -ENOENT);
    /* the claim says an earlier attempt was accepted */
    DRUN(r, store_outbox_claim, "widget", 60000, 10, outbox_cb);
    cr_assert_eq(r->count, 1);
    dres_t *other = out(sid, a, "never failed", "o2", false);
    DRUN(r, store_desk_msg_fail, m->msg->id, "(#131047) Re-engagement message", count_cb);
    cr_expect_eq(r->n, 1);
    DRUN(r, store_desk_msg_fail, m->msg->id, "another reason", count_cb);
    cr_expect_eq(r->n, 0, "failed once");
    DRUN(r, store_desk_msg_find_external, "wamid.OUT1", msg_cb);
    cr_assert_eq(r->base.status, 0);
    cr_expect_eq(r->msg->state, STORE_MSG_FAILED);
    cr_expect_str_eq(r->msg->error, "(#131047) Re-engagement message");
    DRUN(r, store_desk_messages, sid, 0, 10, msgs_cb);
    cr_assert_eq(r->count, 3);
    cr_expect_str_eq(r->msgs[1]->error, "(#131047) Re-engagement message",
                     "the first failure's error, kept");
    cr_expect_str_eq(r->msgs[0]->error, "");
    cr_expect_eq(r->msgs[2]->id, other->msg->id);
    cr_expect_str_eq(r->msgs[2]->error, "", "never failed");
    /* a failure without a reason stores none */
    DRUN(r, store_desk_msg_fail, other->msg->id, NULL, count_cb);
    cr_expect_eq(r->n, 1);
    DRUN(r, store_desk_messages, sid, 0, 10, msgs_cb);
    cr_assert_eq(r->count, 3);
    cr_expect_eq(r->msgs[2]->state, STORE_MSG_FAILED);
    cr_expect_str_eq(r->msgs[2]->error, "");
    cr_expect_eq(t_sql_int("SELECT count(*) FROM desk_messages WHERE state_error IS NULL"), 2,
                 "NULL is none");
}

STORE_TEST(desk_channel_state_defaults_and_a_disabled_channel_is_not_claimed)
{
    dres_t *r;
    DRUN(r, store_channel_state, "widget", state_cb);
    cr_assert_eq(r->base.status, 0);
    cr_expect_eq(r->n, 1, "enabled by default");
    cr_expect_eq(r->count, 0);
    store_channel_update_t u = {.enabled = 0, .verified = true, .error = "HTTP 500"};
    DRUN(r, store_channel_state_set, "widget", &u, state_cb);
    cr_expect_eq(r->n, 0);
    cr_expect_eq(r->count, 1 | 8);
    cr_expect_str_eq(r->cust_ext, "HTTP 500");
    int64_t c = customer("v9"), a = staff("bob", STORE_USER_ROLE_AGENT);
    int64_t sid = in(c, "x", NULL)->svc->id;
    out(sid, a, "queued", "q1", true);
    DRUN(r, store_outbox_claim, "widget", 60000, 10, outbox_cb);
    cr_expect_eq(r->count, 0, "the session is ended");
    store_channel_update_t on = {.enabled = 1, .event = true, .ok = true};
    DRUN(r, store_channel_state_set, "widget", &on, state_cb);
    cr_expect_eq(r->n, 1);
    cr_expect_eq(r->count, 1 | 2 | 4 | 8, "the error stays until replaced");
    DRUN(r, store_outbox_claim, "widget", 60000, 10, outbox_cb);
    cr_expect_eq(r->count, 1);
}

static dres_t *put(const char *channel, store_outbox_kind_t kind, int64_t sid, const char *payload,
                   const char *key, int64_t expires_at)
{
    store_outbox_entry_t e = {.channel = channel,
                              .kind = kind,
                              .service_id = sid,
                              .payload = payload,
                              .dedupe_key = key,
                              .expires_at = expires_at};
    dres_t *r;
    DRUN(r, store_outbox_put, &e, count_cb);
    return r;
}

STORE_TEST(desk_outbox_entries_of_other_kinds_are_claimed_with_messages_and_written_once)
{
    int64_t c = customer("15550002"), a = staff("ann", STORE_USER_ROLE_AGENT);
    int64_t sid = in(c, "hello", "wamid.IN1")->svc->id;
    dres_t *m1 = out(sid, a, "hi", "o1", true);
    dres_t *r = put("widget", STORE_OUTBOX_READ, sid, "wamid.IN1", "read:wamid.IN1", 0);
    cr_assert_eq(r->base.status, 0);
    int64_t read_id = r->n;
    cr_assert_gt(read_id, 0);
    r = put("widget", STORE_OUTBOX_READ, sid, "wamid.IN1", "read:wamid.IN1", 0);
    cr_expect_eq(r->base.status, 0);
    cr_expect_eq(r->n, 0, "the dedupe key is taken: nothing written");
    r = put("whatsapp", STORE_OUTBOX_READ, sid, "wamid.IN1", "read:wamid.IN1", 0);
    cr_expect_gt(r->n, 0, "keys are per channel");
    r = put("widget", STORE_OUTBOX_TYPING, sid, "wamid.IN1", NULL, 0);
    int64_t typing1 = r->n;
    r = put("widget", STORE_OUTBOX_TYPING, sid, "wamid.IN1", NULL, 0);
    cr_expect_gt(r->n, typing1, "no key: every put is an entry");
    r = put("widget", STORE_OUTBOX_RATING, 999999, NULL, "rating:999999", 0);
    cr_expect_eq(r->base.status, -ENOENT, "no such service");
    /* refused before the store sees them */
    store_outbox_entry_t bad = {
        .channel = "widget", .kind = STORE_OUTBOX_MESSAGE, .service_id = sid};
    cr_expect_eq(store_outbox_put(F->store, &bad, count_cb, d_new()), -EINVAL);
    bad.kind = STORE_OUTBOX_RATING;
    bad.service_id = 0;
    cr_expect_eq(store_outbox_put(F->store, &bad, count_cb, d_new()), -EINVAL);
    char big[STORE_MAX_OUTBOX_PAYLOAD + 2];
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    bad.service_id = sid;
    bad.payload = big;
    cr_expect_eq(store_outbox_put(F->store, &bad, count_cb, d_new()), -EMSGSIZE);
    /* claimed in id order, each with what the channel needs */
    DRUN(r, store_outbox_claim, "widget", 60000, 10, outbox_cb);
    cr_assert_eq(r->count, 4);
    cr_expect_eq(r->outbox[0].kind, STORE_OUTBOX_MESSAGE);
    cr_expect_eq(r->outbox[0].message_id, m1->msg->id);
    cr_expect_eq(r->outbox[0].expires_at, 0);
    cr_expect_eq(r->outbox[1].kind, STORE_OUTBOX_READ);
    cr_expect_eq(r->outbox[1].id, read_id);
    cr_expect_eq(r->outbox[1].message_id, 0, "no message");
    cr_expect_eq(r->outbox[1].service_id, sid);
    cr_expect_eq(r->outbox[1].customer_id, c);
    cr_expect_eq(r->outbox[1].attempts, 1);
    cr_expect_eq(r->outbox[2].kind, STORE_OUTBOX_TYPING);
    cr_expect_eq(r->outbox[3].kind, STORE_OUTBOX_TYPING);
    /* a failure of an entry without a message fails the entry only */
    DRUN(r, store_outbox_settle, read_id, false, "HTTP 400", 0, 1, status_cb);
    cr_expect_eq(r->base.status, 0);
    cr_expect_eq(t_sql_int("SELECT count(*) FROM desk_outbox WHERE status = 'failed'"), 1);
    DRUN(r, store_desk_messages, sid, 0, 10, msgs_cb);
    cr_expect_eq(r->msgs[1]->state, STORE_MSG_SENT);
    /* a rating request of the service, asked once */
    int64_t later = (int64_t)time_now_ms() + 3600000;
    r = put("widget", STORE_OUTBOX_RATING, sid, NULL, "rating:1", later);
    cr_assert_gt(r->n, 0);
    r = put("widget", STORE_OUTBOX_RATING, sid, NULL, "rating:1", later);
    cr_expect_eq(r->n, 0);
    DRUN(r, store_outbox_claim, "widget", 60000, 10, outbox_cb);
    cr_assert_eq(r->count, 1);
    cr_expect_eq(r->outbox[0].kind, STORE_OUTBOX_RATING);
    cr_expect_eq(r->outbox[0].expires_at, later);
}

static void outbox_payload_cb(void *d, int status, const store_outbox_list_t *l)
{
    dres_t *r = d;
    outbox_cb(d, status, l);
    if (l != NULL && l->count > 0) {
        snprintf(r->cust_ext, sizeof(r->cust_ext), "%s|%s|%s", l->items[0].payload,
                 l->items[0].external_id, l->items[0].body);
    }
}

STORE_TEST(desk_outbox_entry_past_its_expiry_is_settled_without_being_claimed)
{
    int64_t c = customer("15550003");
    int64_t sid = in(c, "hello", "wamid.IN2")->svc->id;
    int64_t now = (int64_t)time_now_ms();
    /* expired before any claim: never handed out */
    dres_t *r = put("whatsapp", STORE_OUTBOX_TYPING, sid, "wamid.IN2", NULL, now + 50);
    int64_t gone = r->n;
    /* claimed in time, failed, then past its time at the next claim */
    r = put("whatsapp", STORE_OUTBOX_TYPING, sid, "wamid.IN2", NULL, now + 400);
    int64_t late = r->n;
    /* without expiry: stays */
    r = put("whatsapp", STORE_OUTBOX_READ, sid, "wamid.IN2", "read:wamid.IN2", 0);
    int64_t kept = r->n;
    t_sleep(100);
    DRUN(r, store_outbox_claim, "whatsapp", 60000, 1, outbox_payload_cb);
    cr_assert_eq(r->count, 1);
    cr_expect_eq(r->outbox[0].id, late, "the first one expired unclaimed");
    cr_expect_str_eq(r->cust_ext, "wamid.IN2|15550003|", "payload, address, no body");
    char q[160];
    snprintf(q, sizeof(q),
             "SELECT count(*) FROM desk_outbox WHERE id = %lld AND status = 'expired'"
             " AND done_at IS NOT NULL AND attempts = 0",
             (long long)gone);
    cr_expect_eq(t_sql_int(q), 1, "expired, done, never attempted");
    DRUN(r, store_outbox_settle, late, false, "HTTP 500", 0, 8, status_cb);
    cr_expect_eq(r->base.status, 0);
    t_sleep(400);
    DRUN(r, store_outbox_claim, "whatsapp", 60000, 10, outbox_cb);
    cr_assert_eq(r->count, 1, "only the entry without expiry");
    cr_expect_eq(r->outbox[0].id, kept);
    cr_expect_eq(t_sql_int("SELECT count(*) FROM desk_outbox WHERE status = 'expired'"), 2);
    DRUN(r, store_outbox_settle, late, true, NULL, 0, 8, status_cb);
    cr_expect_eq(r->base.status, -ENOENT, "an expired entry is done");
    /* a leased entry is not expired under its sender */
    r = put("whatsapp", STORE_OUTBOX_TYPING, sid, "wamid.IN2", NULL, (int64_t)time_now_ms() + 100);
    int64_t leased = r->n;
    DRUN(r, store_outbox_claim, "whatsapp", 60000, 10, outbox_cb);
    cr_assert_eq(r->count, 1);
    cr_expect_eq(r->outbox[0].id, leased);
    t_sleep(150);
    DRUN(r, store_outbox_claim, "whatsapp", 60000, 10, outbox_cb);
    cr_expect_eq(r->count, 0);
    DRUN(r, store_outbox_settle, leased, true, NULL, 0, 8, status_cb);
    cr_expect_eq(r->base.status, 0, "its sender settles it");
}
