/* timer.c - timer lists: one uv_timer_t for many entries that all wait the same duration (the
 * ping interval, the ping timeout, ...). Appending at the tail keeps a list sorted by due time,
 * so linking and unlinking are O(1) and a socket's timers cost one 32-byte entry instead of a
 * uv_timer_t each. The uv timer is armed for the head entry only. */
#include "engineio/internal.h"

static void on_timer(uv_timer_t *t)
{
    eio_timer_list_t *l = t->data;
    uint64_t now = uv_now(t->loop);
    while (!h2o_linklist_is_empty(&l->entries)) {
        eio_timer_entry_t *e = H2O_STRUCT_FROM_MEMBER(eio_timer_entry_t, link, l->entries.next);
        if (e->due > now) {
            uv_timer_start(&l->timer, on_timer, e->due - now, 0);
            return;
        }
        h2o_linklist_unlink(&e->link);
        l->cb(e);
    }
}

void eio__timer_list_init(eio_timer_list_t *l, uv_loop_t *loop, uint64_t duration, eio_timer_cb cb)
{
    uv_timer_init(loop, &l->timer);
    l->timer.data = l;
    l->duration = duration;
    h2o_linklist_init_anchor(&l->entries);
    l->cb = cb;
}

void eio__timer_link(eio_timer_list_t *l, eio_timer_entry_t *e)
{
    eio__timer_unlink(e);
    if (uv_is_closing((uv_handle_t *)&l->timer))
        return; /* the server is being freed */
    e->due = uv_now(l->timer.loop) + l->duration;
    bool was_empty = h2o_linklist_is_empty(&l->entries);
    h2o_linklist_insert(&l->entries, &e->link);
    if (was_empty || !uv_is_active((uv_handle_t *)&l->timer))
        uv_timer_start(&l->timer, on_timer, l->duration, 0);
}

void eio__timer_unlink(eio_timer_entry_t *e)
{
    if (h2o_linklist_is_linked(&e->link))
        h2o_linklist_unlink(&e->link);
}

void eio__timer_list_close(eio_timer_list_t *l, uv_close_cb close_cb)
{
    while (!h2o_linklist_is_empty(&l->entries))
        h2o_linklist_unlink(l->entries.next);
    uv_close((uv_handle_t *)&l->timer, close_cb);
}
