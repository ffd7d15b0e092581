/* test_sio_hash.c - the pointer set and string map behind rooms and namespaces: membership
 * through growth, deletes with tombstones, re-adds, iteration visiting each member once. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "socketio/sio_hash.h"
#include "tests/support/leakcheck.h"

static void teardown(void)
{
    sioc_check_leaks();
}

TestSuite(sio_hash, .fini = teardown);

Test(sio_hash, ptrset_add_del_has_through_growth)
{
    sio_ptrset_t s = {0};
    static char items[1000];
    for (int i = 0; i < 1000; i++)
        cr_assert(sio_ptrset_add(&s, &items[i]));
    cr_expect_not(sio_ptrset_add(&s, &items[5]));
    cr_expect_eq(s.len, 1000);
    for (int i = 0; i < 1000; i += 2)
        cr_assert(sio_ptrset_del(&s, &items[i]));
    cr_expect_not(sio_ptrset_del(&s, &items[0]));
    cr_expect_eq(s.len, 500);
    for (int i = 0; i < 1000; i++)
        cr_expect_eq(sio_ptrset_has(&s, &items[i]), i % 2 == 1, "item %d", i);
    size_t it = 0, n = 0;
    void *p;
    while ((p = sio_ptrset_next(&s, &it)) != NULL) {
        cr_expect_eq(((char *)p - items) % 2, 1);
        n++;
    }
    cr_expect_eq(n, 500);
    sio_ptrset_dispose(&s);
}

Test(sio_hash, ptrset_churn_keeps_table_bounded)
{
    sio_ptrset_t s = {0};
    static char items[8];
    for (int round = 0; round < 10000; round++) {
        cr_assert(sio_ptrset_add(&s, &items[round % 8]));
        cr_assert(sio_ptrset_del(&s, &items[round % 8]));
    }
    cr_expect_leq(s.cap, 8);
    cr_expect_eq(s.len, 0);
    cr_expect_not(sio_ptrset_has(&s, &items[0]));
    sio_ptrset_dispose(&s);
}

Test(sio_hash, empty_ptrset_is_usable)
{
    sio_ptrset_t s = {0};
    size_t it = 0;
    cr_expect_not(sio_ptrset_has(&s, &s));
    cr_expect_not(sio_ptrset_del(&s, &s));
    cr_expect_null(sio_ptrset_next(&s, &it));
    sio_ptrset_dispose(&s);
}

Test(sio_hash, strmap_put_get_del)
{
    sio_strmap_t m = {0};
    static char keys[300][8];
    for (int i = 0; i < 300; i++) {
        snprintf(keys[i], sizeof(keys[i]), "k%d", i);
        cr_assert_null(sio_strmap_put(&m, keys[i], keys[i]));
    }
    cr_expect_eq(m.len, 300);
    cr_expect_eq(sio_strmap_get(&m, "k42"), keys[42]);
    cr_expect_null(sio_strmap_get(&m, "k300"));
    cr_expect_eq(sio_strmap_put(&m, keys[7], keys[8]), keys[7]); /* replace */
    cr_expect_eq(sio_strmap_get(&m, "k7"), keys[8]);
    for (int i = 0; i < 300; i += 3)
        cr_expect_not_null(sio_strmap_del(&m, keys[i]));
    cr_expect_null(sio_strmap_del(&m, "k0"));
    cr_expect_eq(m.len, 200);
    size_t it = 0, n = 0;
    while (sio_strmap_next(&m, &it) != NULL)
        n++;
    cr_expect_eq(n, 200);
    cr_expect_null(sio_strmap_get(&m, "k3"));
    cr_expect_eq(sio_strmap_get(&m, "k4"), keys[4]);
    cr_assert_null(sio_strmap_put(&m, keys[3], keys[3])); /* re-add over a tombstone */
    cr_expect_eq(sio_strmap_get(&m, "k3"), keys[3]);
    sio_strmap_dispose(&m);
}

/* A set of one member keeps it in place of the table (a socket's own-id room allocates nothing);
 * it must still behave as a set through add, duplicate add, delete, growth and iteration. */
Test(sio_hash, ptrset_single_member_without_table)
{
    sio_ptrset_t s = {0};
    int a, b, c;
    cr_assert(sio_ptrset_add(&s, &a));
    cr_expect_eq(s.cap, 0u, "one member needs no table");
    cr_expect_not(sio_ptrset_add(&s, &a), "a duplicate add is refused");
    cr_expect(sio_ptrset_has(&s, &a));
    cr_expect_not(sio_ptrset_has(&s, &b));
    size_t i = 0;
    cr_expect_eq(sio_ptrset_next(&s, &i), &a);
    cr_expect_null(sio_ptrset_next(&s, &i));
    cr_expect_not(sio_ptrset_del(&s, &b), "deleting a non-member fails");
    cr_assert(sio_ptrset_del(&s, &a));
    cr_expect_eq(s.len, 0u);
    cr_expect_not(sio_ptrset_has(&s, &a));
    i = 0;
    cr_expect_null(sio_ptrset_next(&s, &i));
    /* one member, then growth into a table keeps every member */
    cr_assert(sio_ptrset_add(&s, &a));
    cr_assert(sio_ptrset_add(&s, &b));
    cr_assert(sio_ptrset_add(&s, &c));
    cr_expect_eq(s.len, 3u);
    cr_expect(sio_ptrset_has(&s, &a) && sio_ptrset_has(&s, &b) && sio_ptrset_has(&s, &c));
    int seen = 0;
    i = 0;
    void *p = sio_ptrset_next(&s, &i);
    while (p != NULL) {
        seen |= p == &a ? 1 : p == &b ? 2 : p == &c ? 4 : 8;
        p = sio_ptrset_next(&s, &i);
    }
    cr_expect_eq(seen, 7);
    sio_ptrset_dispose(&s);
}
