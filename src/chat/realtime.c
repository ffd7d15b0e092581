/* realtime.c - the chat service's Socket.IO side: namespace "/chat" (docs/chat-events.md).
 *
 * Connection: a middleware verifies the access token (handshake auth {token}, else an
 * `Authorization: Bearer` header) and that the user still exists, and refuses with CONNECT_ERROR
 * {"message":"unauthorized","data":{"code":"token_missing|token_invalid|token_expired|
 * user_not_found"}}. socket.data = {userId, username} (so connection state recovery restores it).
 * On connection the socket joins `user:<id>` and the room `chat:<id>` of every chat of the user,
 * then gets `ready`. Presence (online/away/offline) counts sockets per user (presence.c).
 *
 * Events carry one object argument and take an optional ack, answered {ok:true, ...} or
 * {ok:false, error:{code, message}}. Work that needs storage keeps a reference on the socket (an
 * rt_op_t) and, like REST operations, survives the service being freed (orphaned ops only clean
 * up). Rooms: `chat:<id>` members of a chat, `user:<id>` every tab of a user,
 * `presence:<name>` presence channels. */
#include "src/chat/internal.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "src/auth/auth.h"

#define NSP_NAME            "/chat"
#define CHANNEL_MAX         64 /* characters of a presence channel name */
#define CHANNELS_PER_SOCKET 32

/* The namespace "/chat" itself is chat->nsp (notify.c emits to it). */
struct st_chat_rt_t {
    struct st_rt_op_t *ops; /* in flight */
};

typedef struct st_rt_op_t {
    srv_chat_t *chat;   /* NULL once orphaned */
    sio_socket_t *sock; /* a reference is held */
    struct st_rt_op_t *prev, *next;
    int64_t ack_id; /* -1: no ack wanted */
    int64_t user_id;
    json_t *arg; /* the event's validated object (owned) */
    int64_t n[4];
    bool flag;
} rt_op_t;

/* ---- ops ---- */

static rt_op_t *op_new(srv_chat_t *chat, sio_socket_t *sock, int64_t ack_id, json_t *arg)
{
    rt_op_t *op = xcalloc(1, sizeof(*op));
    op->chat = chat;
    op->sock = sio_socket_ref(sock);
    op->ack_id = ack_id;
    op->arg = arg != NULL ? json_incref(arg) : NULL;
    op->user_id = json_integer_value(json_object_get(sio_socket_data(sock), "userId"));
    op->next = chat->rt->ops;
    if (op->next != NULL)
        op->next->prev = op;
    chat->rt->ops = op;
    return op;
}

static void op_free(rt_op_t *op)
{
    if (op->chat != NULL) {
        if (op->prev != NULL)
            op->prev->next = op->next;
        else
            op->chat->rt->ops = op->next;
        if (op->next != NULL)
            op->next->prev = op->prev;
    }
    sio_socket_unref(op->sock);
    json_decref(op->arg);
    free(op);
}

/* True if the op should go on; otherwise frees it. A disconnected socket still lets the work
 * finish (a message sent just before a disconnect is kept), only the ack is skipped. */
static bool op_alive(rt_op_t *op)
{
    if (op->chat == NULL) {
        op_free(op);
        return false;
    }
    return true;
}

static void ack_raw(sio_socket_t *sock, int64_t ack_id, json_t *obj)
{
    if (ack_id >= 0 && sio_socket_connected(sock))
        sio_socket_ack(sock, ack_id, json_pack("[o]", obj), NULL, 0);
    else
        json_decref(obj);
}

static void ack_ok(sio_socket_t *sock, int64_t ack_id, json_t *fields)
{
    json_t *o = fields != NULL ? fields : json_object();
    json_object_set_new(o, "ok", json_true());
    ack_raw(sock, ack_id, o);
}

static void ack_err(sio_socket_t *sock, int64_t ack_id, const char *code, const char *msg)
{
    ack_raw(sock, ack_id,
            json_pack("{s:b,s:{s:s,s:s}}", "ok", 0, "error", "code", code, "message", msg));
}

static void ack_store_err(sio_socket_t *sock, int64_t ack_id, int status, const char *what)
{
    char msg[128];
    switch (status) {
    case -ENOENT:
        snprintf(msg, sizeof(msg), "%s not found", what);
        ack_err(sock, ack_id, "not_found", msg);
        break;
    case -EEXIST:
        snprintf(msg, sizeof(msg), "%s already exists", what);
        ack_err(sock, ack_id, "conflict", msg);
        break;
    case -EPERM:
        ack_err(sock, ack_id, "forbidden", "not allowed");
        break;
    case -EMSGSIZE:
        ack_err(sock, ack_id, "payload_too_large", "a text is too long");
        break;
    case -ESHUTDOWN:
    case -ENOTCONN:
    case -ENOBUFS:
        ack_err(sock, ack_id, "unavailable", chat_unavailable_reason(status));
        break;
    default:
        ack_err(sock, ack_id, "internal", "storage failed");
        break;
    }
}

static void ack_not_member(sio_socket_t *sock, int64_t ack_id)
{
    ack_err(sock, ack_id, "not_a_member", "you are not a member of this chat");
}

/* After issuing a storage call for `op`: a call refused at once (`rc` != 0) never runs its
 * callback, so the error is acked and the op freed here. */
static void op_issued(rt_op_t *op, int rc, const char *what)
{
    if (rc != 0) {
        ack_store_err(op->sock, op->ack_id, rc, what);
        op_free(op);
    }
}

static int64_t sock_user(sio_socket_t *sock)
{
    return json_integer_value(json_object_get(sio_socket_data(sock), "userId"));
}

static const char *sock_username(sio_socket_t *sock)
{
    const char *s = json_string_value(json_object_get(sio_socket_data(sock), "username"));
    return s != NULL ? s : "";
}

static void room_name(char *out, size_t size, const char *prefix, int64_t id)
{
    snprintf(out, size, "%s:%" PRId64, prefix, id);
}

/* ---- authentication middleware ---- */

static void refuse(sio_socket_t *sock, const char *code)
{
    sio_socket_next(sock, "unauthorized", json_pack("{s:s}", "code", code));
}

static void on_auth_user(void *cbdata, int status, const store_user_t *user)
{
    rt_op_t *op = cbdata;
    if (!op_alive(op))
        return;
    if (status == 0 && !user->active) {
        refuse(op->sock, "account_disabled");
    } else if (status == 0) {
        sio_socket_set_data(op->sock, json_pack("{s:I,s:s}", "userId", (json_int_t)user->id,
                                                "username", user->username));
        sio_socket_next(op->sock, NULL, NULL);
    } else {
        refuse(op->sock, status == -ENOENT ? "user_not_found" : "unavailable");
    }
    op_free(op);
}

static void mw_auth(sio_socket_t *sock, void *data)
{
    srv_chat_t *chat = data;
    const char *tok = json_string_value(json_object_get(sio_socket_auth(sock), "token"));
    char buf[SRV_JWT_MAX_LEN + 1];
    srv_jwt_claims_t claims;
    srv_jwt_status_t st;
    rt_op_t *op;
    int rc;

    if (tok == NULL && sio_socket_conn(sock) != NULL) {
        const char *h = eio_socket_header_find(sio_socket_conn(sock), "authorization");
        if (h != NULL)
            tok = rest_bearer_token(h, strlen(h), buf, sizeof(buf));
        if (h != NULL && tok == NULL) {
            refuse(sock, "token_invalid");
            return;
        }
    }
    st = srv_jwt_verify(chat->jwt_key, chat->jwt_key_len, tok, (int64_t)time(NULL), &claims);
    if (st != SRV_JWT_OK) {
        refuse(sock, srv_jwt_status_code(st));
        return;
    }
    op = op_new(chat, sock, -1, NULL);
    rc = store_user_get(chat->store, claims.user_id, on_auth_user, op);
    if (rc != 0) {
        op_free(op);
        refuse(sock, "unavailable");
    }
}

/* ---- connection, disconnection, presence ---- */

static void broadcast_presence(srv_chat_t *chat, int64_t user_id)
{
    json_t *p = json_pack("{s:I,s:s}", "userId", (json_int_t)user_id, "status",
                          chat_presence_status(chat->presence, user_id));
    chat_notify_state(chat, "presence:update", p);
    json_decref(p);
}

static void channel_member_event(srv_chat_t *chat, sio_socket_t *sock, const char *channel,
                                 const char *event)
{
    char room[CHANNEL_MAX + 16];
    int64_t uid = sock_user(sock);
    json_t *p = json_pack("{s:s,s:{s:I,s:s,s:s}}", "channel", channel, "member", "userId",
                          (json_int_t)uid, "username", sock_username(sock), "status",
                          chat_presence_status(chat->presence, uid));
    snprintf(room, sizeof(room), "presence:%s", channel);
    /* from the socket: every other socket of the channel sees it */
    sio_broadcast_emit(
        sio_broadcast_flags(sio_broadcast_to(sio_socket_broadcast(sock), room), SIO_EMIT_NO_STORE),
        event, json_pack("[o]", p), NULL, 0);
}

static void on_ready_chats(void *cbdata, int status, const store_chat_list_t *chats)
{
    rt_op_t *op = cbdata;
    json_t *ids;
    char room[40];
    if (!op_alive(op))
        return;
    if (status != 0 || !sio_socket_connected(op->sock)) {
        op_free(op);
        return;
    }
    ids = json_array();
    for (size_t i = 0; i < chats->count; i++) {
        room_name(room, sizeof(room), "chat", chats->items[i].id);
        sio_socket_join(op->sock, room);
        json_array_append_new(ids, json_integer(chats->items[i].id));
    }
    sio_socket_emit(op->sock, "ready",
                    json_pack("[{s:I,s:s,s:o}]", "userId", (json_int_t)op->user_id, "username",
                              sock_username(op->sock), "chatIds", ids),
                    NULL, 0);
    op_free(op);
}

static void on_connection(sio_socket_t *sock, void *data)
{
    srv_chat_t *chat = data;
    int64_t uid = sock_user(sock);
    char room[40];
    rt_op_t *op;

    if (uid <= 0) { /* cannot happen: the middleware or recovery set it */
        sio_socket_disconnect(sock, false);
        return;
    }
    room_name(room, sizeof(room), "user", uid);
    sio_socket_join(sock, room);
    if (chat_presence_connect(chat->presence, uid))
        broadcast_presence(chat, uid);
    if (sio_socket_recovered(sock)) { /* presence channels come back with the rooms */
        json_t *rooms = sio_socket_rooms(sock), *r;
        size_t i;
        json_array_foreach(rooms, i, r)
        {
            const char *name = json_string_value(r);
            if (strncmp(name, "presence:", 9) == 0 &&
                chat_presence_channel_join(chat->presence, name + 9, uid, sock_username(sock)))
                channel_member_event(chat, sock, name + 9, "presence:member_added");
        }
        json_decref(rooms);
    }
    op = op_new(chat, sock, -1, NULL);
    if (store_chat_list_for_user(chat->store, uid, on_ready_chats, op) != 0)
        op_free(op);
}

static void on_touched(void *cbdata, int status)
{
    UNUSED(cbdata);
    UNUSED(status);
}

static void on_disconnecting(sio_socket_t *sock, const char *reason, void *data)
{
    srv_chat_t *chat = data;
    int64_t uid = sock_user(sock);
    json_t *rooms = sio_socket_rooms(sock), *r;
    size_t i;
    UNUSED(reason);
    if (uid <= 0) {
        json_decref(rooms);
        return;
    }
    json_array_foreach(rooms, i, r)
    {
        const char *name = json_string_value(r);
        if (strncmp(name, "presence:", 9) == 0 &&
            chat_presence_channel_leave(chat->presence, name + 9, uid))
            channel_member_event(chat, sock, name + 9, "presence:member_removed");
    }
    json_decref(rooms);
    if (chat_presence_disconnect(chat->presence, uid)) {
        broadcast_presence(chat, uid);
        (void)store_user_touch(chat->store, uid, on_touched, NULL);
    }
}

/* ---- event plumbing ---- */

/* Validates the event's first argument against `fields`; acks the error and returns NULL if it
 * does not fit. */
static json_t *event_arg(sio_socket_t *sock, const sio_event_t *ev, const srv_json_field_t *fields,
                         size_t n)
{
    srv_json_error_t err;
    json_t *arg = json_array_get(ev->args, 0);
    if (ev->nbins > 0) {
        ack_err(sock, ev->ack_id, "invalid_body", "binary payloads are not accepted");
        return NULL;
    }
    if (arg == NULL || srv_json_validate(arg, fields, n, &err) != 0) {
        ack_err(sock, ev->ack_id, arg == NULL ? "invalid_body" : err.code,
                arg == NULL ? "the payload must be a JSON object" : err.message);
        return NULL;
    }
    return arg;
}

/* event_arg, then an op that holds the argument; NULL (the error acked) if it does not fit. */
static rt_op_t *event_op(srv_chat_t *chat, sio_socket_t *sock, const sio_event_t *ev,
                         const srv_json_field_t *fields, size_t n)
{
    json_t *arg = event_arg(sock, ev, fields, n);
    return arg != NULL ? op_new(chat, sock, ev->ack_id, arg) : NULL;
}

static const srv_json_field_t f_chat[] = {CHAT_FIELD_ID("chatId")};
static const srv_json_field_t f_send[] = {
    CHAT_FIELD_ID("chatId"),
    CHAT_FIELD_SEND_BODY,
    CHAT_FIELD_CLIENT_MSG_ID,
    CHAT_FIELD_ATTACHMENT_IDS,
};
static const srv_json_field_t f_edit[] = {
    CHAT_FIELD_ID("messageId"),
    CHAT_FIELD_MESSAGE_BODY,
};
static const srv_json_field_t f_message[] = {CHAT_FIELD_ID("messageId")};
static const srv_json_field_t f_reaction[] = {
    CHAT_FIELD_ID("messageId"),
    {.name = "emoji",
     .type = SRV_JSON_STRING,
     .required = true,
     .min = 1,
     .max = CHAT_EMOJI_MAX,
     .check = srv_check_text},
};
static const srv_json_field_t f_read[] = {
    CHAT_FIELD_ID("chatId"),
    {.name = "seq", .type = SRV_JSON_INT, .required = true, .imin = 0, .imax = INT64_MAX},
};
static const srv_json_field_t f_status[] = {
    {.name = "status", .type = SRV_JSON_STRING, .required = true, .min = 4, .max = 6},
};
static const srv_json_field_t f_channel[] = {
    {.name = "channel",
     .type = SRV_JSON_STRING,
     .required = true,
     .min = 1,
     .max = CHANNEL_MAX,
     .check = srv_check_username},
};

/* ---- chat:join / chat:leave ---- */

static void on_join_role(void *cbdata, int status, store_member_role_t role)
{
    rt_op_t *op = cbdata;
    char room[40];
    int64_t chat_id = srv_json_int(op->arg, "chatId", 0);
    if (!op_alive(op))
        return;
    if (status != 0) {
        ack_store_err(op->sock, op->ack_id, status, "chat");
    } else if (role == STORE_MEMBER_NONE) {
        ack_not_member(op->sock, op->ack_id);
    } else {
        room_name(room, sizeof(room), "chat", chat_id);
        sio_socket_join(op->sock, room);
        ack_ok(op->sock, op->ack_id, json_pack("{s:I}", "chatId", (json_int_t)chat_id));
    }
    op_free(op);
}

static void ev_chat_join(sio_socket_t *sock, const sio_event_t *ev, void *data)
{
    srv_chat_t *chat = data;
    rt_op_t *op = event_op(chat, sock, ev, f_chat, ARRAY_SIZE(f_chat));
    int rc;
    if (op == NULL)
        return;
    rc = store_member_role(chat->store, srv_json_int(op->arg, "chatId", 0), op->user_id,
                           on_join_role, op);
    op_issued(op, rc, "chat");
}

static void ev_chat_leave(sio_socket_t *sock, const sio_event_t *ev, void *data)
{
    json_t *arg = event_arg(sock, ev, f_chat, ARRAY_SIZE(f_chat));
    char room[40];
    UNUSED(data);
    if (arg == NULL)
        return;
    room_name(room, sizeof(room), "chat", srv_json_int(arg, "chatId", 0));
    sio_socket_leave(sock, room);
    ack_ok(sock, ev->ack_id,
           json_pack("{s:I}", "chatId", json_integer_value(json_object_get(arg, "chatId"))));
}

/* ---- message:send ---- */

static void on_sent(void *cbdata, int status, const store_message_t *m, json_t *attachments)
{
    rt_op_t *op = cbdata;
    json_t *o;
    if (!op_alive(op))
        return;
    if (status == -EPERM) {
        ack_not_member(op->sock, op->ack_id);
    } else if (status == -EACCES) {
        ack_err(op->sock, op->ack_id, "invalid_attachment",
                "attachmentIds must name your own uploads");
    } else if (status == -EEXIST) {
        ack_err(op->sock, op->ack_id, "client_msg_id_used",
                "clientMsgId was already used for a message in another chat");
    } else if (status != 0) {
        ack_store_err(op->sock, op->ack_id, status, "chat");
    } else {
        o = chat_json_message(m);
        json_object_set_new(o, "reactions", json_array());
        json_object_set(o, "attachments", attachments);
        ack_ok(op->sock, op->ack_id,
               json_pack("{s:o,s:b}", "message", o, "duplicate", m->duplicate));
    }
    op_free(op);
}

static void ev_message_send(sio_socket_t *sock, const sio_event_t *ev, void *data)
{
    srv_chat_t *chat = data;
    rt_op_t *op = event_op(chat, sock, ev, f_send, ARRAY_SIZE(f_send));
    int64_t ids[STORE_MAX_ATTACH];
    size_t n;
    const char *msg, *code;
    if (op == NULL)
        return;
    code = srv_media_send_check(op->arg, ids, &n, &msg);
    if (code != NULL) {
        ack_err(op->sock, op->ack_id, code, msg);
        op_free(op);
        return;
    }
    const char *body = srv_json_str(op->arg, "body");
    chat_send_message(chat, srv_json_int(op->arg, "chatId", 0), op->user_id,
                      body != NULL ? body : "", srv_json_str(op->arg, "clientMsgId"), ids, n,
                      on_sent, op);
}

/* ---- message:edit / message:delete / reaction:add / reaction:remove ----
 * Shared chain: get the message -> check the caller is a member of its chat -> act. n[0] holds
 * the action, n[1] the chat id. */

enum { ACT_EDIT, ACT_DELETE, ACT_REACT_ADD, ACT_REACT_REMOVE };

static void on_message_changed(void *cbdata, int status, const store_message_t *m)
{
    rt_op_t *op = cbdata;
    json_t *o;
    if (!op_alive(op))
        return;
    if (status == -EPERM) {
        ack_err(op->sock, op->ack_id, "not_author", "only the author can change a message");
    } else if (status != 0) {
        ack_store_err(op->sock, op->ack_id, status, "message");
    } else {
        o = chat_json_message(m);
        ack_ok(op->sock, op->ack_id, json_pack("{s:O}", "message", o));
        chat_notify_chat(op->chat, m->chat_id,
                         op->n[0] == ACT_EDIT ? "message:edited" : "message:deleted", o);
        json_decref(o);
    }
    op_free(op);
}

static void on_reaction_done(void *cbdata, int status)
{
    rt_op_t *op = cbdata;
    json_t *p;
    bool add = op->n[0] == ACT_REACT_ADD;
    if (!op_alive(op))
        return;
    if (status == -EEXIST) {
        ack_err(op->sock, op->ack_id, "conflict", "you already reacted with this emoji");
    } else if (status == -ENOENT && !add) {
        ack_err(op->sock, op->ack_id, "not_found", "no such reaction");
    } else if (status != 0) {
        ack_store_err(op->sock, op->ack_id, status, "message");
    } else {
        p = json_pack("{s:I,s:I,s:I,s:s}", "messageId",
                      (json_int_t)srv_json_int(op->arg, "messageId", 0), "chatId",
                      (json_int_t)op->n[1], "userId", (json_int_t)op->user_id, "emoji",
                      srv_json_str(op->arg, "emoji"));
        ack_ok(op->sock, op->ack_id, json_deep_copy(p));
        chat_notify_chat(op->chat, op->n[1], add ? "reaction:added" : "reaction:removed", p);
        json_decref(p);
    }
    op_free(op);
}

static void on_change_role(void *cbdata, int status, store_member_role_t role)
{
    rt_op_t *op = cbdata;
    store_t *store;
    int64_t mid = srv_json_int(op->arg, "messageId", 0);
    int rc = 0;
    if (!op_alive(op))
        return;
    store = op->chat->store;
    if (status != 0 || role == STORE_MEMBER_NONE) {
        if (status != 0)
            ack_store_err(op->sock, op->ack_id, status, "message");
        else
            ack_not_member(op->sock, op->ack_id);
        op_free(op);
        return;
    }
    switch (op->n[0]) {
    case ACT_EDIT:
        rc = store_message_edit(store, mid, op->user_id, srv_json_str(op->arg, "body"),
                                on_message_changed, op);
        break;
    case ACT_DELETE:
        rc = store_message_delete(store, mid, op->user_id, on_message_changed, op);
        break;
    case ACT_REACT_ADD:
        rc = store_reaction_add(store, mid, op->user_id, srv_json_str(op->arg, "emoji"),
                                on_reaction_done, op);
        break;
    default:
        rc = store_reaction_remove(store, mid, op->user_id, srv_json_str(op->arg, "emoji"),
                                   on_reaction_done, op);
        break;
    }
    op_issued(op, rc, "message");
}

static void on_change_get(void *cbdata, int status, const store_message_t *m)
{
    rt_op_t *op = cbdata;
    int rc;
    if (!op_alive(op))
        return;
    if (status != 0 || (m->deleted_at != 0 && op->n[0] >= ACT_REACT_ADD)) {
        ack_store_err(op->sock, op->ack_id, status != 0 ? status : -ENOENT, "message");
        op_free(op);
        return;
    }
    op->n[1] = m->chat_id;
    rc = store_member_role(op->chat->store, m->chat_id, op->user_id, on_change_role, op);
    op_issued(op, rc, "message");
}

static void change_message(srv_chat_t *chat, sio_socket_t *sock, const sio_event_t *ev,
                           const srv_json_field_t *fields, size_t n, int action)
{
    rt_op_t *op = event_op(chat, sock, ev, fields, n);
    int rc;
    if (op == NULL)
        return;
    op->n[0] = action;
    rc = store_message_get(chat->store, srv_json_int(op->arg, "messageId", 0), on_change_get, op);
    op_issued(op, rc, "message");
}

static void ev_message_edit(sio_socket_t *sock, const sio_event_t *ev, void *data)
{
    change_message(data, sock, ev, f_edit, ARRAY_SIZE(f_edit), ACT_EDIT);
}

static void ev_message_delete(sio_socket_t *sock, const sio_event_t *ev, void *data)
{
    change_message(data, sock, ev, f_message, ARRAY_SIZE(f_message), ACT_DELETE);
}

static void ev_reaction_add(sio_socket_t *sock, const sio_event_t *ev, void *data)
{
    change_message(data, sock, ev, f_reaction, ARRAY_SIZE(f_reaction), ACT_REACT_ADD);
}

static void ev_reaction_remove(sio_socket_t *sock, const sio_event_t *ev, void *data)
{
    change_message(data, sock, ev, f_reaction, ARRAY_SIZE(f_reaction), ACT_REACT_REMOVE);
}

/* ---- typing ---- */

static void typing(sio_socket_t *sock, const sio_event_t *ev, bool on)
{
    json_t *arg = event_arg(sock, ev, f_chat, ARRAY_SIZE(f_chat));
    int64_t chat_id;
    char room[40];
    if (arg == NULL)
        return;
    chat_id = srv_json_int(arg, "chatId", 0);
    room_name(room, sizeof(room), "chat", chat_id);
    /* the socket is in the room of each of its chats: being in it is being a member */
    if (!sio_socket_in_room(sock, room)) {
        ack_err(sock, ev->ack_id, "not_a_member", "you are not in this chat");
        return;
    }
    sio_broadcast_emit(
        sio_broadcast_flags(sio_broadcast_to(sio_socket_broadcast(sock), room), SIO_EMIT_VOLATILE),
        "typing",
        json_pack("[{s:I,s:I,s:s,s:b}]", "chatId", (json_int_t)chat_id, "userId",
                  (json_int_t)sock_user(sock), "username", sock_username(sock), "typing", on),
        NULL, 0);
    ack_ok(sock, ev->ack_id, NULL);
}

static void ev_typing_start(sio_socket_t *sock, const sio_event_t *ev, void *data)
{
    UNUSED(data);
    typing(sock, ev, true);
}

static void ev_typing_stop(sio_socket_t *sock, const sio_event_t *ev, void *data)
{
    UNUSED(data);
    typing(sock, ev, false);
}

/* ---- message:read ---- */

static void on_read(void *cbdata, int status, int64_t seq)
{
    rt_op_t *op = cbdata;
    int64_t chat_id = srv_json_int(op->arg, "chatId", 0);
    json_t *p;
    if (!op_alive(op))
        return;
    if (status == -EPERM) {
        ack_not_member(op->sock, op->ack_id);
    } else if (status != 0) {
        ack_store_err(op->sock, op->ack_id, status, "chat");
    } else {
        p = json_pack("{s:I,s:I,s:I}", "chatId", (json_int_t)chat_id, "userId",
                      (json_int_t)op->user_id, "seq", (json_int_t)seq);
        ack_ok(
            op->sock, op->ack_id,
            json_pack("{s:I,s:I}", "chatId", (json_int_t)chat_id, "lastReadSeq", (json_int_t)seq));
        chat_notify_chat(op->chat, chat_id, "message:read", p);
        json_decref(p);
    }
    op_free(op);
}

static void ev_message_read(sio_socket_t *sock, const sio_event_t *ev, void *data)
{
    srv_chat_t *chat = data;
    rt_op_t *op = event_op(chat, sock, ev, f_read, ARRAY_SIZE(f_read));
    int rc;
    if (op == NULL)
        return;
    rc = store_read_set(chat->store, srv_json_int(op->arg, "chatId", 0), op->user_id,
                        srv_json_int(op->arg, "seq", 0), on_read, op);
    op_issued(op, rc, "chat");
}

/* ---- presence ---- */

static void ev_presence_set(sio_socket_t *sock, const sio_event_t *ev, void *data)
{
    srv_chat_t *chat = data;
    json_t *arg = event_arg(sock, ev, f_status, ARRAY_SIZE(f_status));
    const char *st;
    int64_t uid = sock_user(sock);
    if (arg == NULL)
        return;
    st = srv_json_str(arg, "status");
    if (strcmp(st, "online") != 0 && strcmp(st, "away") != 0) {
        ack_err(sock, ev->ack_id, "invalid_field", "field 'status' must be 'online' or 'away'");
        return;
    }
    if (chat_presence_set_away(chat->presence, uid, strcmp(st, "away") == 0))
        broadcast_presence(chat, uid);
    ack_ok(sock, ev->ack_id,
           json_pack("{s:s}", "status", chat_presence_status(chat->presence, uid)));
}

static json_t *channel_members(srv_chat_t *chat, const char *channel)
{
    size_t n = 0;
    chat_presence_member_t *m = chat_presence_channel_members(chat->presence, channel, &n);
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(arr, json_pack("{s:I,s:s,s:s}", "userId", (json_int_t)m[i].user_id,
                                             "username", m[i].name, "status",
                                             chat_presence_status(chat->presence, m[i].user_id)));
    free(m);
    return arr;
}

static void ev_presence_join(sio_socket_t *sock, const sio_event_t *ev, void *data)
{
    srv_chat_t *chat = data;
    json_t *arg = event_arg(sock, ev, f_channel, ARRAY_SIZE(f_channel));
    const char *channel;
    char room[CHANNEL_MAX + 16];
    if (arg == NULL)
        return;
    channel = srv_json_str(arg, "channel");
    snprintf(room, sizeof(room), "presence:%s", channel);
    if (!sio_socket_in_room(sock, room)) {
        json_t *rooms = sio_socket_rooms(sock), *r;
        size_t i, n = 0;
        json_array_foreach(rooms, i, r) n += strncmp(json_string_value(r), "presence:", 9) == 0;
        json_decref(rooms);
        if (n >= CHANNELS_PER_SOCKET) { /* each channel costs memory on the server */
            ack_err(sock, ev->ack_id, "too_many_channels",
                    "a socket can be in at most 32 presence channels");
            return;
        }
        sio_socket_join(sock, room);

        if (chat_presence_channel_join(chat->presence, channel, sock_user(sock),
                                       sock_username(sock)))
            channel_member_event(chat, sock, channel, "presence:member_added");
    }
    ack_ok(sock, ev->ack_id,
           json_pack("{s:s,s:o}", "channel", channel, "members", channel_members(chat, channel)));
}

static void ev_presence_leave(sio_socket_t *sock, const sio_event_t *ev, void *data)
{
    srv_chat_t *chat = data;
    json_t *arg = event_arg(sock, ev, f_channel, ARRAY_SIZE(f_channel));
    const char *channel;
    char room[CHANNEL_MAX + 16];
    if (arg == NULL)
        return;
    channel = srv_json_str(arg, "channel");
    snprintf(room, sizeof(room), "presence:%s", channel);
    if (!sio_socket_in_room(sock, room)) {
        ack_err(sock, ev->ack_id, "not_found", "you are not in this presence channel");
        return;
    }
    if (chat_presence_channel_leave(chat->presence, channel, sock_user(sock)))
        channel_member_event(chat, sock, channel, "presence:member_removed");
    sio_socket_leave(sock, room);
    ack_ok(sock, ev->ack_id, json_pack("{s:s}", "channel", channel));
}

/* ---- setup ---- */

static const struct {
    const char *name;
    sio_event_cb fn;
} events[] = {
    {"chat:join", ev_chat_join},           {"chat:leave", ev_chat_leave},
    {"message:send", ev_message_send},     {"message:edit", ev_message_edit},
    {"message:delete", ev_message_delete}, {"message:read", ev_message_read},
    {"reaction:add", ev_reaction_add},     {"reaction:remove", ev_reaction_remove},
    {"typing:start", ev_typing_start},     {"typing:stop", ev_typing_stop},
    {"presence:set", ev_presence_set},     {"presence:join", ev_presence_join},
    {"presence:leave", ev_presence_leave},
};

chat_rt_t *chat_rt_new(srv_chat_t *chat, sio_server_t *io)
{
    chat_rt_t *rt = xcalloc(1, sizeof(*rt));
    sio_namespace_t *nsp = sio_server_of(io, NSP_NAME);
    chat->nsp = nsp;
    sio_namespace_use(nsp, mw_auth, chat);
    sio_namespace_on_connection(nsp, on_connection, chat);
    sio_namespace_on_disconnecting(nsp, on_disconnecting, chat);
    for (size_t i = 0; i < ARRAY_SIZE(events); i++)
        sio_namespace_on(nsp, events[i].name, events[i].fn, chat);
    return rt;
}

void chat_rt_free(srv_chat_t *chat)
{
    chat_rt_t *rt = chat->rt;
    rt_op_t *op;
    if (rt == NULL)
        return;
    /* the namespace keeps pointers to `chat`: detach the event handlers (the middleware and the
     * connection hooks cannot be removed; main stops the Socket.IO server first) */
    for (size_t i = 0; i < ARRAY_SIZE(events); i++)
        sio_namespace_on(chat->nsp, events[i].name, NULL, NULL);
    op = rt->ops;
    while (op != NULL) {
        rt_op_t *next = op->next;
        op->chat = NULL;
        op->prev = op->next = NULL;
        op = next;
    }
    free(rt);
    chat->rt = NULL;
    chat->nsp = NULL;
}
