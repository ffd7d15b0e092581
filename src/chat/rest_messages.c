/* rest_messages.c - messages over REST: history (newest first, cursor `before` = a seq), sending
 * (the same path as the Socket.IO send: stored, then broadcast to the chat's room), editing and
 * deleting one's own message, and full-text search in one's chats.
 *
 * History pages carry each message's reactions, grouped by emoji ({emoji, count, userIds}), read
 * with one store_reaction_list call per page, and its attachments (one store_attachment_list). */
#include "src/chat/internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

json_t *chat_json_reactions_group(const store_reaction_list_t *list, int64_t message_id)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < list->count; i++) {
        const store_reaction_t *r = &list->items[i];
        json_t *g = NULL, *e;
        size_t k;
        if (r->message_id != message_id)
            continue;
        json_array_foreach(arr, k, e)
        {
            if (strcmp(json_string_value(json_object_get(e, "emoji")), r->emoji) == 0) {
                g = e;
                break;
            }
        }
        if (g == NULL) {
            g = json_pack("{s:s,s:i,s:[]}", "emoji", r->emoji, "count", 0, "userIds");
            json_array_append_new(arr, g);
        }
        json_object_set_new(g, "count",
                            json_integer(json_integer_value(json_object_get(g, "count")) + 1));
        json_array_append_new(json_object_get(g, "userIds"), json_integer(r->user_id));
    }
    return arr;
}

/* ---- history ---- */

static void on_history_attachments(void *cbdata, int status, const store_attachment_list_t *list)
{
    rest_op_t *op = cbdata;
    json_t *msgs = json_object_get(op->result, "messages"), *m, *res;
    size_t i;
    if (!rest_op_proceed(op, status, "message"))
        return;
    json_array_foreach(msgs, i, m)
    {
        int64_t id = json_integer_value(json_object_get(m, "id"));
        json_object_set_new(m, "attachments", srv_media_json_for(list, id));
    }
    res = op->result;
    op->result = NULL;
    rest_op_reply_json(op, 200, res);
}

static void on_history_reactions(void *cbdata, int status, const store_reaction_list_t *list)
{
    rest_op_t *op = cbdata;
    json_t *msgs = json_object_get(op->result, "messages"), *m;
    size_t i;
    int rc;
    if (!rest_op_proceed(op, status, "message"))
        return;
    json_array_foreach(msgs, i, m)
    {
        int64_t id = json_integer_value(json_object_get(m, "id"));
        json_object_set_new(m, "reactions", chat_json_reactions_group(list, id));
    }
    if (op->nids == 0) {
        on_history_attachments(op, 0, &(store_attachment_list_t){NULL, 0});
        return;
    }
    rc = store_attachment_list(op->chat->store, STORE_ATT_CHAT, op->ids, op->nids,
                               on_history_attachments, op);
    rest_op_issued(op, rc, "message");
}

static void on_history(void *cbdata, int status, const store_message_list_t *msgs)
{
    rest_op_t *op = cbdata;
    json_t *arr;
    int rc;
    if (!rest_op_proceed(op, status, "message"))
        return;
    arr = json_array();
    free(op->ids);
    op->ids = msgs->count > 0 ? xmalloc(msgs->count * sizeof(*op->ids)) : NULL;
    op->nids = msgs->count;
    for (size_t i = 0; i < msgs->count; i++) {
        json_array_append_new(arr, chat_json_message(&msgs->items[i]));
        op->ids[i] = msgs->items[i].id;
    }
    op->result = json_pack("{s:o}", "messages", arr);
    /* more pages exist if this one is full and did not reach seq 1 */
    json_object_set_new(op->result, "nextBefore",
                        msgs->count == (size_t)op->n[1] && msgs->items[msgs->count - 1].seq > 1
                            ? json_integer(msgs->items[msgs->count - 1].seq)
                            : json_null());
    if (op->nids == 0) {
        on_history_reactions(op, 0, &(store_reaction_list_t){NULL, 0});
        return;
    }
    rc = store_reaction_list(op->chat->store, op->ids, op->nids, on_history_reactions, op);
    rest_op_issued(op, rc, "message");
}

static void do_history(rest_op_t *op)
{
    int rc = store_message_list_before(op->chat->store, op->c->id, op->n[0], (size_t)op->n[1],
                                       on_history, op);
    rest_op_issued(op, rc, "message");
}

void rest_messages_history(rest_op_t *op)
{
    if (rest_query_int(op, "before", 0, INT64_MAX, 0, &op->n[0]) != 0 ||
        rest_query_int(op, "limit", 1, CHAT_PAGE_MAX, CHAT_PAGE_DEFAULT, &op->n[1]) != 0)
        return;
    rest_load_chat(op, op->params.ids[0], -1, STORE_MEMBER_MEMBER, do_history);
}

/* ---- send ---- */

static void on_sent(void *cbdata, int status, const store_message_t *m, json_t *attachments)
{
    rest_op_t *op = cbdata;
    json_t *o;
    if (!rest_op_alive_or_free(op))
        return;
    if (status == -EPERM) {
        rest_op_reply_error(op, 403, "not_a_member", "you are not a member of this chat");
        return;
    }
    if (status == -EACCES) {
        rest_op_reply_error(op, 400, "invalid_attachment",
                            "attachmentIds must name your own uploads");
        return;
    }
    if (status == -EEXIST) {
        rest_op_reply_error(op, 409, "client_msg_id_used",
                            "clientMsgId was already used for a message in another chat");
        return;
    }
    if (status != 0) {
        rest_op_reply_store_error(op, status, "chat");
        return;
    }
    o = chat_json_message(m);
    json_object_set_new(o, "reactions", json_array());
    json_object_set(o, "attachments", attachments);
    rest_op_reply_json(op, m->duplicate ? 200 : 201, o);
}

static void do_send(rest_op_t *op)
{
    int64_t ids[STORE_MAX_ATTACH];
    size_t n;
    const char *msg, *body = srv_json_str(op->body, "body");
    srv_media_send_check(op->body, ids, &n, &msg);
    chat_send_message(op->chat, op->c->id, op->user_id, body != NULL ? body : "",
                      srv_json_str(op->body, "clientMsgId"), ids, n, on_sent, op);
}

void rest_messages_post(rest_op_t *op)
{
    int64_t ids[STORE_MAX_ATTACH];
    size_t n;
    const char *msg, *code = srv_media_send_check(op->body, ids, &n, &msg);
    if (code != NULL) {
        rest_op_reply_error(op, 400, code, "%s", msg);
        return;
    }
    rest_load_chat(op, op->params.ids[0], -1, STORE_MEMBER_MEMBER, do_send);
}

/* ---- edit / delete ---- */

static void on_changed(void *cbdata, int status, const store_message_t *m)
{
    rest_op_t *op = cbdata;
    json_t *o;
    if (!rest_op_alive_or_free(op))
        return;
    if (status == -EPERM) {
        rest_op_reply_error(op, 403, "not_author", "only the author can change a message");
        return;
    }
    if (status != 0) {
        rest_op_reply_store_error(op, status, "message");
        return;
    }
    o = chat_json_message(m);
    chat_notify_chat(op->chat, m->chat_id, op->flag ? "message:deleted" : "message:edited", o);
    if (op->flag) {
        json_decref(o);
        rest_op_reply_json(op, 204, NULL);
        return;
    }
    rest_op_reply_json(op, 200, o);
}

/* A message is changed only by its author, and only while they are still a member. */
static void on_change_role(void *cbdata, int status, store_member_role_t role)
{
    rest_op_t *op = cbdata;
    int rc;
    if (!rest_op_proceed(op, status, "message"))
        return;
    if (role == STORE_MEMBER_NONE) {
        rest_op_reply_error(op, 403, "not_a_member", "you are not a member of this chat");
        return;
    }
    if (op->flag)
        rc = store_message_delete(op->chat->store, op->params.ids[0], op->user_id, on_changed, op);
    else
        rc = store_message_edit(op->chat->store, op->params.ids[0], op->user_id,
                                srv_json_str(op->body, "body"), on_changed, op);
    rest_op_issued(op, rc, "message");
}

static void on_change_get(void *cbdata, int status, const store_message_t *m)
{
    rest_op_t *op = cbdata;
    int rc;
    if (!rest_op_proceed(op, status, "message"))
        return;
    rc = store_member_role(op->chat->store, m->chat_id, op->user_id, on_change_role, op);
    rest_op_issued(op, rc, "message");
}

static void change_message(rest_op_t *op, bool del)
{
    int rc;
    op->flag = del;
    rc = store_message_get(op->chat->store, op->params.ids[0], on_change_get, op);
    rest_op_issued(op, rc, "message");
}

void rest_messages_edit(rest_op_t *op)
{
    change_message(op, false);
}

void rest_messages_delete(rest_op_t *op)
{
    change_message(op, true);
}

/* ---- search ---- */

static void on_search(void *cbdata, int status, const store_message_list_t *msgs)
{
    rest_op_t *op = cbdata;
    json_t *arr;
    if (!rest_op_proceed(op, status, "message"))
        return;
    arr = json_array();
    for (size_t i = 0; i < msgs->count; i++)
        json_array_append_new(arr, chat_json_message(&msgs->items[i]));
    rest_op_reply_json(op, 200, json_pack("{s:o}", "messages", arr));
}

void rest_messages_search(rest_op_t *op)
{
    h2o_req_t *req = op->req;
    char q[CHAT_SEARCH_MAX * 4 + 1];
    int n = -ENOENT, rc;
    int64_t limit;
    json_t *check;
    if (req->query_at != SIZE_MAX)
        n = srv_query_get(req->path.base + req->query_at + 1, req->path.len - req->query_at - 1,
                          "q", q, sizeof(q));
    if (n == -ENOENT || n == 0) {
        rest_op_reply_error(op, 400, "invalid_query", "query parameter 'q' is required");
        return;
    }
    if (n == -EMSGSIZE || (n > 0 && srv_utf8_length(q, (size_t)n) > CHAT_SEARCH_MAX)) {
        rest_op_reply_error(op, 400, "invalid_query",
                            "query parameter 'q' must be at most %d characters", CHAT_SEARCH_MAX);
        return;
    }
    check = n > 0 ? json_stringn(q, (size_t)n) : NULL; /* NULL if not UTF-8 */
    if (check == NULL) {
        rest_op_reply_error(op, 400, "invalid_query", "query parameter 'q' is not valid UTF-8");
        return;
    }
    json_decref(check);
    if (rest_query_int(op, "limit", 1, CHAT_PAGE_MAX, CHAT_PAGE_DEFAULT, &limit) != 0)
        return;
    rc = store_message_search(op->chat->store, op->user_id, q, (size_t)limit, on_search, op);
    if (rc == -EINVAL) {
        rest_op_reply_error(op, 400, "invalid_query", "query parameter 'q' has no word");
        return;
    }
    rest_op_issued(op, rc, "message");
}
