/* attach.c - attachments on desk messages (storage/media.h): a send that names attachmentIds is
 *   check (store_attachment_check_owned: all the sender's uploads, else nothing is stored) ->
 *   store the message (the caller's store_desk_inbound / _outbound) ->
 *   link (store_attachment_link_desk, idempotent: a retried client id links again harmlessly) ->
 *   read them back (store_attachment_list) -> the caller's continuation gets the message with
 *   attachments filled in, for its answer, the staff's events and the channel's delivery.
 * Lists of messages (a service's detail, the widget's history) get theirs in one
 * store_attachment_list per page, set on the JSON by message id. */
#include "src/desk/internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

typedef struct st_attach_t {
    srv_desk_t *desk;
    store_desk_msg_t *msg;
    store_service_t *svc;
    int64_t user_id, customer_id;
    int64_t ids[STORE_MAX_ATTACH];
    size_t n;
    desk_attached_cb cb;
    void *cbdata;
} attach_t;

static void attach_free(attach_t *a)
{
    free(a->msg); /* store_desk_msg_dup: one allocation */
    free(a->svc);
    free(a);
}

static void on_listed(void *cbdata, int status, const store_attachment_list_t *list)
{
    attach_t *a = cbdata;
    store_desk_msg_t m = *a->msg;
    UNUSED(status); /* the message is stored: a failed read only leaves them out of this answer */
    if (list != NULL) {
        m.attachments = list->items;
        m.attachment_count = list->count;
    }
    a->cb(a->cbdata, 0, &m, a->svc);
    attach_free(a);
}

static void on_linked(void *cbdata, int status)
{
    attach_t *a = cbdata;
    if (status == 0 &&
        store_attachment_list(a->desk->store, STORE_ATT_DESK, &a->msg->id, 1, on_listed, a) == 0)
        return;
    a->cb(a->cbdata, status != 0 ? status : -EIO, NULL, NULL);
    attach_free(a);
}

void desk_attach(srv_desk_t *desk, const store_desk_msg_t *m, const store_service_t *svc,
                 int64_t user_id, int64_t customer_id, const int64_t *ids, size_t n,
                 desk_attached_cb cb, void *cbdata)
{
    if (desk == NULL || (n == 0 && !m->duplicate)) {
        cb(cbdata, 0, m, svc); /* nothing to link or to read back */
        return;
    }
    attach_t *a = xcalloc(1, sizeof(*a));
    a->desk = desk;
    a->msg = store_desk_msg_dup(m);
    a->svc = store_service_dup(svc);
    a->n = n < STORE_MAX_ATTACH ? n : STORE_MAX_ATTACH;
    memcpy(a->ids, ids, a->n * sizeof(*ids));
    a->cb = cb;
    a->cbdata = cbdata;
    int rc = a->n > 0 ? store_attachment_link_desk(desk->store, m->id, user_id, customer_id, a->ids,
                                                   a->n, on_linked, a)
                      : store_attachment_list(desk->store, STORE_ATT_DESK, &m->id, 1, on_listed, a);
    if (rc != 0) {
        cb(cbdata, rc, NULL, NULL);
        attach_free(a);
    }
}

void desk_json_set_attachments(json_t *msgs, const store_attachment_list_t *list)
{
    json_t *m;
    size_t i;
    json_array_foreach(msgs, i, m)
    {
        int64_t id = json_integer_value(json_object_get(m, "id"));
        json_object_set_new(m, "attachments", srv_media_json_for(list, id));
    }
}
