/* notify.c - the real-time side effects of the chat service: events to the room of a chat
 * (`chat:<id>`) or of a user (`user:<id>`, every tab), and moving a user's sockets in or out of a
 * chat's room, on the namespace /chat (chat->nsp). No-ops when the service runs without
 * Socket.IO. The lowest file of the real-time side: REST handlers, send.c and realtime.c call it,
 * it calls only socketio. */
#include "src/chat/internal.h"

#include <inttypes.h>
#include <stdio.h>

void chat_notify_room(srv_chat_t *chat, const char *room, const char *event, json_t *payload)
{
    if (chat->nsp != NULL)
        sio_broadcast_emit(sio_broadcast_to(sio_namespace_broadcast(chat->nsp), room), event,
                           json_pack("[O]", payload), NULL, 0);
}

void chat_notify_all(srv_chat_t *chat, const char *event, json_t *payload)
{
    if (chat->nsp != NULL)
        sio_namespace_emit(chat->nsp, event, json_pack("[O]", payload), NULL, 0);
}

/* Makes the sockets in `from_room` join (`join`) or leave `room`. */
static void move_sockets(srv_chat_t *chat, const char *from_room, const char *room, bool join)
{
    sio_broadcast_t *b;
    if (chat->nsp == NULL)
        return;
    b = sio_broadcast_to(sio_namespace_broadcast(chat->nsp), from_room);
    if (join)
        sio_broadcast_sockets_join(b, room);
    else
        sio_broadcast_sockets_leave(b, room);
}

void chat_notify_user(srv_chat_t *chat, int64_t user_id, const char *event, json_t *payload)
{
    char room[40];
    snprintf(room, sizeof(room), "user:%" PRId64, user_id);
    chat_notify_room(chat, room, event, payload);
}

void chat_notify_chat(srv_chat_t *chat, int64_t chat_id, const char *event, json_t *payload)
{
    char room[40];
    snprintf(room, sizeof(room), "chat:%" PRId64, chat_id);
    chat_notify_room(chat, room, event, payload);
}

void chat_notify_join(srv_chat_t *chat, int64_t user_id, int64_t chat_id)
{
    char from[40], room[40];
    snprintf(from, sizeof(from), "user:%" PRId64, user_id);
    snprintf(room, sizeof(room), "chat:%" PRId64, chat_id);
    move_sockets(chat, from, room, true);
}

void chat_notify_leave(srv_chat_t *chat, int64_t user_id, int64_t chat_id)
{
    char from[40], room[40];
    snprintf(from, sizeof(from), "user:%" PRId64, user_id);
    snprintf(room, sizeof(room), "chat:%" PRId64, chat_id);
    move_sockets(chat, from, room, false);
}

void chat_notify_close_chat(srv_chat_t *chat, int64_t chat_id)
{
    char room[40];
    snprintf(room, sizeof(room), "chat:%" PRId64, chat_id);
    move_sockets(chat, room, room, false);
}
