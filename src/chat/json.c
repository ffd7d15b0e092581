/* json.c - the API's JSON shapes of users, chats, members and messages, built from storage
 * rows. One place for the field names so REST and Socket.IO events agree (openapi.json and
 * docs/chat-events.md describe these shapes). Times are milliseconds since the epoch. */
#include "src/chat/internal.h"

#include <errno.h>

const char *chat_kind_name(store_chat_kind_t kind)
{
    switch (kind) {
    case STORE_CHAT_PUBLIC:
        return "public";
    case STORE_CHAT_PRIVATE:
        return "private";
    case STORE_CHAT_GROUP:
        return "group";
    }
    return "unknown";
}

const char *chat_member_role_name(store_member_role_t role)
{
    switch (role) {
    case STORE_MEMBER_MEMBER:
        return "member";
    case STORE_MEMBER_ADMIN:
        return "admin";
    case STORE_MEMBER_OWNER:
        return "owner";
    case STORE_MEMBER_NONE:
        break;
    }
    return "none";
}

static const char *user_role_name(store_user_role_t role)
{
    switch (role) {
    case STORE_USER_ROLE_AGENT:
        return "agent";
    case STORE_USER_ROLE_ADMIN:
        return "admin";
    case STORE_USER_ROLE_USER:
        break;
    }
    return "user";
}

json_t *chat_json_error(const char *code, const char *message)
{
    return json_pack("{s:{s:s,s:s}}", "error", "code", code, "message", message);
}

json_t *chat_json_user(srv_chat_t *chat, const store_user_t *u)
{
    const char *status = chat != NULL ? chat_presence_status(chat->presence, u->id) : "offline";
    return json_pack("{s:I,s:s,s:s,s:s,s:s,s:I,s:I,s:s,s:b}", "id", (json_int_t)u->id, "username",
                     u->username, "displayName", u->display_name, "nameColor", u->name_color,
                     "role", user_role_name(u->role), "createdAt", (json_int_t)u->created_at,
                     "lastSeenAt", (json_int_t)u->last_seen_at, "status", status, "online",
                     strcmp(status, "offline") != 0);
}

json_t *chat_json_chat(const store_chat_t *c, int64_t viewer_id, bool per_user)
{
    json_t *o =
        json_pack("{s:I,s:s,s:s,s:s,s:I,s:I,s:I,s:I,s:I}", "id", (json_int_t)c->id, "type",
                  chat_kind_name(c->kind), "name", c->name, "topic", c->topic, "createdBy",
                  (json_int_t)c->created_by, "createdAt", (json_int_t)c->created_at, "lastSeq",
                  (json_int_t)c->last_seq, "lastMessageAt", (json_int_t)c->last_message_at,
                  "memberCount", (json_int_t)c->member_count);
    if (o == NULL)
        return NULL;
    if (c->kind == STORE_CHAT_PRIVATE) {
        int64_t peer = c->private_users[0] == viewer_id ? c->private_users[1] : c->private_users[0];
        json_object_set_new(
            o, "userIds",
            json_pack("[I,I]", (json_int_t)c->private_users[0], (json_int_t)c->private_users[1]));
        if (viewer_id != 0)
            json_object_set_new(o, "peerId", json_integer(peer));
    }
    if (per_user) {
        json_object_set_new(o, "myRole", json_string(chat_member_role_name(c->my_role)));
        json_object_set_new(o, "lastReadSeq", json_integer(c->last_read_seq));
        json_object_set_new(o, "unread", json_integer(c->unread));
    }
    return o;
}

json_t *chat_json_member(srv_chat_t *chat, const store_member_t *m)
{
    json_t *o = chat_json_user(chat, &m->user);
    if (o == NULL)
        return NULL;
    json_object_set_new(o, "memberRole", json_string(chat_member_role_name(m->role)));
    json_object_set_new(o, "joinedAt", json_integer(m->joined_at));
    json_object_set_new(o, "lastReadSeq", json_integer(m->last_read_seq));
    return o;
}

json_t *chat_json_message(const store_message_t *m)
{
    json_t *o = json_pack("{s:I,s:I,s:I,s:I,s:s,s:I,s:b}", "id", (json_int_t)m->id, "chatId",
                          (json_int_t)m->chat_id, "seq", (json_int_t)m->seq, "authorId",
                          (json_int_t)m->author_id, "body", m->body, "createdAt",
                          (json_int_t)m->created_at, "deleted", m->deleted_at != 0);
    if (o == NULL)
        return NULL;
    json_object_set_new(o, "clientMsgId",
                        m->client_msg_id[0] != '\0' ? json_string(m->client_msg_id) : json_null());
    json_object_set_new(o, "editedAt",
                        m->edited_at != 0 ? json_integer(m->edited_at) : json_null());
    json_object_set_new(o, "deletedAt",
                        m->deleted_at != 0 ? json_integer(m->deleted_at) : json_null());
    return o;
}

const char *chat_unavailable_reason(int status)
{
    switch (status) {
    case -ESHUTDOWN:
        return "the server is shutting down";
    case -ENOBUFS:
        return "the database is not keeping up";
    default:
        return "the database cannot be reached";
    }
}
