/* rest_chats.c - chats over REST: my chats, public channels (list, create, join, leave), private
 * chats (one per pair of users), groups (create, update, members, delete).
 *
 * Access rule: only members read or change a chat (403 otherwise); a public chat's description is
 * visible to every signed-in user so they can join it. Group changes need the admin or owner
 * role, deleting a group the owner. Each change is also pushed to the connected clients
 * (notify.c): the chat's room gets chat:updated / chat:member_* events, and users who gain
 * or lose a chat get chat:created / chat:removed in their personal room. */
#include "src/chat/internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* ---- loading a chat with the caller's role ---- */

static void on_load_role(void *cbdata, int status, store_member_role_t role)
{
    rest_op_t *op = cbdata;
    store_member_role_t min = (store_member_role_t)op->n[4];
    if (!rest_op_proceed(op, status, "chat"))
        return;
    op->role = role;
    if (role < min) {
        if (role == STORE_MEMBER_NONE)
            rest_op_reply_error(op, 403, "not_a_member", "you are not a member of this chat");
        else
            rest_op_reply_error(op, 403, "forbidden", "this needs the %s role in the chat",
                                chat_member_role_name(min));
        return;
    }
    op->then(op);
}

static void on_load_chat(void *cbdata, int status, const store_chat_t *c)
{
    rest_op_t *op = cbdata;
    int rc;
    if (!rest_op_alive_or_free(op))
        return;
    if (status == -ENOENT || (status == 0 && op->n[3] >= 0 && (int64_t)c->kind != op->n[3])) {
        rest_op_reply_error(op, 404, "not_found", "chat not found");
        return;
    }
    if (status != 0) {
        rest_op_reply_store_error(op, status, "chat");
        return;
    }
    store_chat_free(op->c);
    op->c = store_chat_dup(c);
    rc = store_member_role(op->chat->store, c->id, op->user_id, on_load_role, op);
    rest_op_issued(op, rc, "chat");
}

void rest_load_chat(rest_op_t *op, int64_t chat_id, int kind, store_member_role_t min_role,
                    void (*next)(rest_op_t *op))
{
    int rc;
    op->n[3] = kind;
    op->n[4] = (int64_t)min_role;
    op->then = next;
    rc = store_chat_get(op->chat->store, chat_id, on_load_chat, op);
    rest_op_issued(op, rc, "chat");
}

/* ---- lists ---- */

static void on_my_chats(void *cbdata, int status, const store_chat_list_t *chats)
{
    rest_op_t *op = cbdata;
    json_t *arr;
    if (!rest_op_proceed(op, status, "chat"))
        return;
    arr = json_array();
    for (size_t i = 0; i < chats->count; i++)
        if (op->n[0] < 0 || (int64_t)chats->items[i].kind == op->n[0])
            json_array_append_new(arr, chat_json_chat(&chats->items[i], op->user_id, true));
    rest_op_reply_json(op, 200, json_pack("{s:o}", "chats", arr));
}

static void list_mine(rest_op_t *op, int kind)
{
    int rc;
    op->n[0] = kind;
    rc = store_chat_list_for_user(op->chat->store, op->user_id, on_my_chats, op);
    rest_op_issued(op, rc, "chat");
}

void rest_chats_mine(rest_op_t *op)
{
    list_mine(op, -1);
}

void rest_chats_private_list(rest_op_t *op)
{
    list_mine(op, STORE_CHAT_PRIVATE);
}

void rest_chats_group_list(rest_op_t *op)
{
    list_mine(op, STORE_CHAT_GROUP);
}

static void on_public_mine(void *cbdata, int status, const store_chat_list_t *chats)
{
    rest_op_t *op = cbdata;
    json_t *arr = json_object_get(op->result, "chats"), *o;
    size_t i;
    if (!rest_op_proceed(op, status, "chat"))
        return;
    json_array_foreach(arr, i, o)
    {
        int64_t id = json_integer_value(json_object_get(o, "id"));
        bool joined = false;
        for (size_t k = 0; k < chats->count && !joined; k++)
            joined = chats->items[k].id == id;
        json_object_set_new(o, "joined", json_boolean(joined));
    }
    o = op->result;
    op->result = NULL;
    rest_op_reply_json(op, 200, o);
}

static void on_public_list(void *cbdata, int status, const store_chat_list_t *chats)
{
    rest_op_t *op = cbdata;
    json_t *arr;
    int rc;
    if (!rest_op_proceed(op, status, "chat"))
        return;
    arr = json_array();
    for (size_t i = 0; i < chats->count; i++)
        json_array_append_new(arr, chat_json_chat(&chats->items[i], op->user_id, false));
    op->result = json_pack("{s:o}", "chats", arr);
    rc = store_chat_list_for_user(op->chat->store, op->user_id, on_public_mine, op);
    rest_op_issued(op, rc, "chat");
}

void rest_chats_public_list(rest_op_t *op)
{
    int rc = store_chat_list_public(op->chat->store, on_public_list, op);
    rest_op_issued(op, rc, "chat");
}

/* ---- creation ---- */

/* Tells each member that a chat now exists for them and moves their sockets into its room. */
static void announce_chat(srv_chat_t *chat, const store_chat_t *c, const int64_t *users, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        json_t *payload = json_pack("{s:o}", "chat", chat_json_chat(c, users[i], false));
        chat_notify_join(chat, users[i], c->id);
        chat_notify_user(chat, users[i], "chat:created", payload);
        json_decref(payload);
    }
}

static void on_chat_created(void *cbdata, int status, const store_chat_t *c)
{
    rest_op_t *op = cbdata;
    json_t *o;
    if (!rest_op_alive_or_free(op))
        return;
    if (status == -ENOENT) {
        rest_op_reply_error(op, 404, "user_not_found", "a member does not exist");
        return;
    }
    if (status != 0) {
        rest_op_reply_store_error(op, status, "chat");
        return;
    }
    if (c->kind == STORE_CHAT_PRIVATE) {
        if (c->created)
            announce_chat(op->chat, c, c->private_users, 2);
    } else {
        bool self_listed = false;
        for (size_t i = 0; i < op->nids; i++)
            self_listed |= op->ids[i] == op->user_id;
        if (!self_listed) {
            op->ids = xrealloc(op->ids, (op->nids + 1) * sizeof(*op->ids));
            op->ids[op->nids++] = op->user_id;
        }
        announce_chat(op->chat, c, op->ids, op->nids);
    }
    o = chat_json_chat(c, op->user_id, false);
    json_object_set_new(o, "myRole",
                        json_string(c->kind == STORE_CHAT_PRIVATE ? "member" : "owner"));
    rest_op_reply_json(op, c->created ? 201 : 200, o);
}

static const char *opt_str(json_t *body, const char *name)
{
    return srv_json_str(body, name); /* NULL if absent or null */
}

void rest_chats_public_create(rest_op_t *op)
{
    int rc =
        store_chat_create(op->chat->store, STORE_CHAT_PUBLIC, opt_str(op->body, "name"),
                          opt_str(op->body, "topic"), op->user_id, NULL, 0, on_chat_created, op);
    rest_op_issued(op, rc, "chat");
}

static void read_ids(rest_op_t *op, const char *field)
{
    json_t *arr = json_object_get(op->body, field), *v;
    size_t i;
    free(op->ids);
    op->ids = NULL;
    op->nids = 0;
    op->idx = 0;
    if (!json_is_array(arr) || json_array_size(arr) == 0)
        return;
    op->ids = xmalloc(json_array_size(arr) * sizeof(*op->ids));
    json_array_foreach(arr, i, v) op->ids[op->nids++] = json_integer_value(v);
}

void rest_chats_group_create(rest_op_t *op)
{
    int rc;
    read_ids(op, "memberIds");
    rc = store_chat_create(op->chat->store, STORE_CHAT_GROUP, opt_str(op->body, "name"),
                           opt_str(op->body, "topic"), op->user_id, op->ids, op->nids,
                           on_chat_created, op);
    rest_op_issued(op, rc, "chat");
}

void rest_chats_private_create(rest_op_t *op)
{
    int64_t peer = srv_json_int(op->body, "userId", 0);
    int rc;
    if (peer == op->user_id) {
        rest_op_reply_error(op, 400, "invalid_field",
                            "field 'userId' must be another user than yourself");
        return;
    }
    rc = store_chat_get_private(op->chat->store, op->user_id, peer, on_chat_created, op);
    rest_op_issued(op, rc, "chat");
}

/* ---- one chat ---- */

static void on_members_for_get(void *cbdata, int status, const store_member_list_t *members)
{
    rest_op_t *op = cbdata;
    json_t *o, *arr;
    if (!rest_op_proceed(op, status, "chat"))
        return;
    arr = json_array();
    for (size_t i = 0; i < members->count; i++)
        json_array_append_new(arr, chat_json_member(op->chat, &members->items[i]));
    if (op->flag) { /* the members list alone */
        rest_op_reply_json(op, 200, json_pack("{s:o}", "members", arr));
        return;
    }
    o = chat_json_chat(op->c, op->user_id, false);
    json_object_set_new(o, "myRole", json_string(chat_member_role_name(op->role)));
    json_object_set_new(o, "members", arr);
    rest_op_reply_json(op, 200, o);
}

static void reply_chat_with_members(rest_op_t *op)
{
    int rc = store_member_list(op->chat->store, op->c->id, on_members_for_get, op);
    rest_op_issued(op, rc, "chat");
}

void rest_chats_private_get(rest_op_t *op)
{
    rest_load_chat(op, op->params.ids[0], STORE_CHAT_PRIVATE, STORE_MEMBER_MEMBER,
                   reply_chat_with_members);
}

void rest_chats_group_get(rest_op_t *op)
{
    rest_load_chat(op, op->params.ids[0], STORE_CHAT_GROUP, STORE_MEMBER_MEMBER,
                   reply_chat_with_members);
}

void rest_chats_group_members(rest_op_t *op)
{
    op->flag = true;
    rest_load_chat(op, op->params.ids[0], STORE_CHAT_GROUP, STORE_MEMBER_MEMBER,
                   reply_chat_with_members);
}

static void reply_public_chat(rest_op_t *op)
{
    json_t *o = chat_json_chat(op->c, op->user_id, false);
    json_object_set_new(o, "joined", json_boolean(op->role != STORE_MEMBER_NONE));
    json_object_set_new(o, "myRole", json_string(chat_member_role_name(op->role)));
    rest_op_reply_json(op, 200, o);
}

void rest_chats_public_get(rest_op_t *op)
{
    rest_load_chat(op, op->params.ids[0], STORE_CHAT_PUBLIC, STORE_MEMBER_NONE, reply_public_chat);
}

/* ---- join / leave a public chat ---- */

static void member_event(srv_chat_t *chat, int64_t chat_id, const char *event, int64_t user_id,
                         int64_t by)
{
    json_t *p = json_pack("{s:I,s:I,s:I}", "chatId", (json_int_t)chat_id, "userId",
                          (json_int_t)user_id, "by", (json_int_t)by);
    chat_notify_chat(chat, chat_id, event, p);
    json_decref(p);
}

static void on_joined(void *cbdata, int status)
{
    rest_op_t *op = cbdata;
    if (!rest_op_alive_or_free(op))
        return;
    if (status != 0 && status != -EEXIST) {
        rest_op_reply_store_error(op, status, "chat");
        return;
    }
    if (status == 0) {
        op->c->member_count++;
        op->role = STORE_MEMBER_MEMBER;
        member_event(op->chat, op->c->id, "chat:member_joined", op->user_id, op->user_id);
        chat_notify_join(op->chat, op->user_id, op->c->id);
    }
    reply_public_chat(op);
}

static void do_join(rest_op_t *op)
{
    int rc;
    if (op->role != STORE_MEMBER_NONE) {
        reply_public_chat(op);
        return;
    }
    rc = store_member_add(op->chat->store, op->c->id, op->user_id, STORE_MEMBER_MEMBER, on_joined,
                          op);
    rest_op_issued(op, rc, "chat");
}

void rest_chats_public_join(rest_op_t *op)
{
    rest_load_chat(op, op->params.ids[0], STORE_CHAT_PUBLIC, STORE_MEMBER_NONE, do_join);
}

static void on_left(void *cbdata, int status)
{
    rest_op_t *op = cbdata;
    if (!rest_op_proceed(op, status, "membership"))
        return;
    chat_notify_leave(op->chat, op->user_id, op->c->id);
    member_event(op->chat, op->c->id, "chat:member_left", op->user_id, op->user_id);
    rest_op_reply_json(op, 204, NULL);
}

static void do_leave(rest_op_t *op)
{
    int rc = store_member_remove(op->chat->store, op->c->id, op->user_id, on_left, op);
    rest_op_issued(op, rc, "membership");
}

void rest_chats_public_leave(rest_op_t *op)
{
    rest_load_chat(op, op->params.ids[0], STORE_CHAT_PUBLIC, STORE_MEMBER_MEMBER, do_leave);
}

/* ---- read position (PUT private/:id, and lastReadSeq of PUT group/:id) ---- */

static void finish_group_update(rest_op_t *op);

static void on_read_set(void *cbdata, int status, int64_t seq)
{
    rest_op_t *op = cbdata;
    json_t *p;
    if (!rest_op_proceed(op, status, "chat"))
        return;
    p = json_pack("{s:I,s:I,s:I}", "chatId", (json_int_t)op->c->id, "userId",
                  (json_int_t)op->user_id, "seq", (json_int_t)seq);
    chat_notify_chat(op->chat, op->c->id, "message:read", p);
    json_decref(p);
    if (op->c->kind == STORE_CHAT_GROUP) {
        finish_group_update(op);
        return;
    }
    rest_op_reply_json(
        op, 200,
        json_pack("{s:I,s:I}", "chatId", (json_int_t)op->c->id, "lastReadSeq", (json_int_t)seq));
}

static void do_read_set(rest_op_t *op)
{
    int rc = store_read_set(op->chat->store, op->c->id, op->user_id,
                            srv_json_int(op->body, "lastReadSeq", 0), on_read_set, op);
    rest_op_issued(op, rc, "chat");
}

void rest_chats_private_update(rest_op_t *op)
{
    rest_load_chat(op, op->params.ids[0], STORE_CHAT_PRIVATE, STORE_MEMBER_MEMBER, do_read_set);
}

/* ---- delete ---- */

static void on_chat_deleted(void *cbdata, int status)
{
    rest_op_t *op = cbdata;
    if (!rest_op_proceed(op, status, "chat"))
        return;
    rest_op_reply_json(op, 204, NULL);
}

static void do_delete(rest_op_t *op)
{
    json_t *p =
        json_pack("{s:I,s:I}", "chatId", (json_int_t)op->c->id, "by", (json_int_t)op->user_id);
    int rc;
    /* tell the room first: once deleted nobody is a member any more */
    chat_notify_chat(op->chat, op->c->id, "chat:deleted", p);
    json_decref(p);
    chat_notify_close_chat(op->chat, op->c->id);
    rc = store_chat_delete(op->chat->store, op->c->id, on_chat_deleted, op);
    rest_op_issued(op, rc, "chat");
}

void rest_chats_private_delete(rest_op_t *op)
{
    rest_load_chat(op, op->params.ids[0], STORE_CHAT_PRIVATE, STORE_MEMBER_MEMBER, do_delete);
}

void rest_chats_group_delete(rest_op_t *op)
{
    rest_load_chat(op, op->params.ids[0], STORE_CHAT_GROUP, STORE_MEMBER_OWNER, do_delete);
}

/* ---- group update: name/topic, then added members, then removed members, then read ---- */

static void group_step(rest_op_t *op);

static void on_group_renamed(void *cbdata, int status, const store_chat_t *c)
{
    rest_op_t *op = cbdata;
    json_t *p;
    if (!rest_op_proceed(op, status, "chat"))
        return;
    store_chat_free(op->c);
    op->c = store_chat_dup(c);
    p = json_pack("{s:o}", "chat", chat_json_chat(c, 0, false));
    chat_notify_chat(op->chat, c->id, "chat:updated", p);
    json_decref(p);
    op->n[1] = 1;
    group_step(op);
}

static void on_group_member_changed(void *cbdata, int status)
{
    rest_op_t *op = cbdata;
    int64_t uid = op->ids[op->idx];
    bool adding = op->n[1] == 1;
    if (!rest_op_alive_or_free(op))
        return;
    if (status == -ENOENT && adding) {
        rest_op_reply_error(op, 404, "user_not_found", "user %lld does not exist", (long long)uid);
        return;
    }
    if (status != 0 && status != -EEXIST && status != -ENOENT) {
        rest_op_reply_store_error(op, status, "membership");
        return;
    }
    if (status == 0 && adding) {
        json_t *p = json_pack("{s:o}", "chat", chat_json_chat(op->c, uid, false));
        member_event(op->chat, op->c->id, "chat:member_added", uid, op->user_id);
        chat_notify_join(op->chat, uid, op->c->id);
        chat_notify_user(op->chat, uid, "chat:created", p);
        json_decref(p);
    } else if (status == 0) {
        json_t *p = json_pack("{s:I}", "chatId", (json_int_t)op->c->id);
        member_event(op->chat, op->c->id, "chat:member_removed", uid, op->user_id);
        chat_notify_leave(op->chat, uid, op->c->id);
        chat_notify_user(op->chat, uid, "chat:removed", p);
        json_decref(p);
    }
    op->idx++;
    group_step(op);
}

static void group_step(rest_op_t *op)
{
    int rc;
    for (;;) {
        switch (op->n[1]) {
        case 0: { /* name/topic */
            json_t *name = json_object_get(op->body, "name"),
                   *topic = json_object_get(op->body, "topic");
            if (name == NULL && topic == NULL) {
                op->n[1] = 1;
                continue;
            }
            rc = store_chat_update(op->chat->store, op->c->id, json_string_value(name),
                                   json_is_null(topic) ? "" : json_string_value(topic),
                                   on_group_renamed, op);
            rest_op_issued(op, rc, "chat");
            return;
        }
        case 1: /* add */
            if (op->idx == 0 && op->ids == NULL)
                read_ids(op, "addMemberIds");
            if (op->idx < op->nids) {
                rc = store_member_add(op->chat->store, op->c->id, op->ids[op->idx],
                                      STORE_MEMBER_MEMBER, on_group_member_changed, op);
                rest_op_issued(op, rc, "membership");
                return;
            }
            free(op->ids);
            op->ids = NULL;
            op->nids = op->idx = 0;
            op->n[1] = 2;
            continue;
        case 2: /* remove */
            if (op->idx == 0 && op->ids == NULL)
                read_ids(op, "removeMemberIds");
            if (op->idx < op->nids) {
                if (op->ids[op->idx] == op->c->created_by && op->role != STORE_MEMBER_OWNER) {
                    rest_op_reply_error(op, 403, "forbidden",
                                        "only the owner can remove the owner");
                    return;
                }
                rc = store_member_remove(op->chat->store, op->c->id, op->ids[op->idx],
                                         on_group_member_changed, op);
                rest_op_issued(op, rc, "membership");
                return;
            }
            op->n[1] = 3;
            continue;
        case 3: /* read position */
            op->n[1] = 4;
            if (json_object_get(op->body, "lastReadSeq") != NULL) {
                do_read_set(op);
                return;
            }
            continue;
        default:
            finish_group_update(op);
            return;
        }
    }
}

static void finish_group_update(rest_op_t *op)
{
    int rc;
    /* reload the chat (member count) and the caller's role, then reply it with its members */
    op->n[3] = -1;
    op->n[4] = STORE_MEMBER_NONE;
    op->then = reply_chat_with_members;
    rc = store_chat_get(op->chat->store, op->c->id, on_load_chat, op);
    rest_op_issued(op, rc, "chat");
}

static void do_group_update(rest_op_t *op)
{
    bool changes = json_object_get(op->body, "name") != NULL ||
                   json_object_get(op->body, "topic") != NULL ||
                   json_object_get(op->body, "addMemberIds") != NULL ||
                   json_object_get(op->body, "removeMemberIds") != NULL;
    if (changes && op->role < STORE_MEMBER_ADMIN) {
        rest_op_reply_error(op, 403, "forbidden", "changing a group needs the admin role");
        return;
    }
    op->n[1] = 0;
    group_step(op);
}

void rest_chats_group_update(rest_op_t *op)
{
    if (json_object_size(op->body) == 0) {
        rest_op_reply_error(op, 400, "invalid_body", "nothing to change");
        return;
    }
    rest_load_chat(op, op->params.ids[0], STORE_CHAT_GROUP, STORE_MEMBER_MEMBER, do_group_update);
}

/* ---- group members sub-resource ---- */

static void on_member_added(void *cbdata, int status)
{
    rest_op_t *op = cbdata;
    int64_t uid = op->n[0];
    json_t *p;
    if (!rest_op_alive_or_free(op))
        return;
    if (status == -EEXIST) {
        rest_op_reply_error(op, 409, "already_member", "the user is already a member");
        return;
    }
    if (status == -ENOENT) {
        rest_op_reply_error(op, 404, "user_not_found", "the user does not exist");
        return;
    }
    if (status != 0) {
        rest_op_reply_store_error(op, status, "membership");
        return;
    }
    member_event(op->chat, op->c->id, "chat:member_added", uid, op->user_id);
    chat_notify_join(op->chat, uid, op->c->id);
    op->c->member_count++;
    p = json_pack("{s:o}", "chat", chat_json_chat(op->c, uid, false));
    chat_notify_user(op->chat, uid, "chat:created", p);
    json_decref(p);
    rest_op_reply_json(op, 201,
                       json_pack("{s:I,s:I,s:s}", "chatId", (json_int_t)op->c->id, "userId",
                                 (json_int_t)uid, "role", chat_member_role_name(op->n[1])));
}

static void do_member_add(rest_op_t *op)
{
    int rc = store_member_add(op->chat->store, op->c->id, op->n[0], (store_member_role_t)op->n[1],
                              on_member_added, op);
    rest_op_issued(op, rc, "membership");
}

void rest_chats_group_member_add(rest_op_t *op)
{
    const char *role = srv_json_str(op->body, "role");
    op->n[0] = srv_json_int(op->body, "userId", 0);
    if (role == NULL || strcmp(role, "member") == 0) {
        op->n[1] = STORE_MEMBER_MEMBER;
    } else if (strcmp(role, "admin") == 0) {
        op->n[1] = STORE_MEMBER_ADMIN;
    } else {
        rest_op_reply_error(op, 400, "invalid_field", "field 'role' must be 'member' or 'admin'");
        return;
    }
    rest_load_chat(op, op->params.ids[0], STORE_CHAT_GROUP, STORE_MEMBER_ADMIN, do_member_add);
}

static void on_member_removed(void *cbdata, int status)
{
    rest_op_t *op = cbdata;
    int64_t uid = op->params.ids[1];
    json_t *p;
    if (!rest_op_alive_or_free(op))
        return;
    if (status == -ENOENT) {
        rest_op_reply_error(op, 404, "not_found", "the user is not a member");
        return;
    }
    if (status != 0) {
        rest_op_reply_store_error(op, status, "membership");
        return;
    }
    member_event(op->chat, op->c->id, "chat:member_removed", uid, op->user_id);
    chat_notify_leave(op->chat, uid, op->c->id);
    p = json_pack("{s:I}", "chatId", (json_int_t)op->c->id);
    chat_notify_user(op->chat, uid, "chat:removed", p);
    json_decref(p);
    rest_op_reply_json(op, 204, NULL);
}

static void do_member_remove(rest_op_t *op)
{
    int64_t uid = op->params.ids[1];
    int rc;
    /* anyone may leave; removing someone else needs admin, removing the owner the owner */
    if (uid != op->user_id && op->role < STORE_MEMBER_ADMIN) {
        rest_op_reply_error(op, 403, "forbidden", "removing members needs the admin role");
        return;
    }
    if (uid != op->user_id && uid == op->c->created_by && op->role != STORE_MEMBER_OWNER) {
        rest_op_reply_error(op, 403, "forbidden", "only the owner can remove the owner");
        return;
    }
    rc = store_member_remove(op->chat->store, op->c->id, uid, on_member_removed, op);
    rest_op_issued(op, rc, "membership");
}

void rest_chats_group_member_remove(rest_op_t *op)
{
    rest_load_chat(op, op->params.ids[0], STORE_CHAT_GROUP, STORE_MEMBER_MEMBER, do_member_remove);
}
