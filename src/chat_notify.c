/* chat_notify.c - real-time side effects of REST calls: events to the room of a chat
 * (`chat:<id>`) or of a user (`user:<id>`, every tab), and moving a user's sockets in or out of a
 * chat's room. No-ops when the service runs without Socket.IO. */
#include "src/chat_internal.h"

#include <inttypes.h>
#include <stdio.h>

void chat_notify_user(srv_chat_t *chat, int64_t user_id, const char *event, json_t *payload)
{
    char room[40];
    snprintf(room, sizeof(room), "user:%" PRId64, user_id);
    chat_rt_notify_room(chat, room, event, payload);
}

void chat_notify_chat(srv_chat_t *chat, int64_t chat_id, const char *event, json_t *payload)
{
    char room[40];
    snprintf(room, sizeof(room), "chat:%" PRId64, chat_id);
    chat_rt_notify_room(chat, room, event, payload);
}

void chat_notify_all(srv_chat_t *chat, const char *event, json_t *payload)
{
    chat_rt_notify_all(chat, event, payload);
}

void chat_notify_join(srv_chat_t *chat, int64_t user_id, int64_t chat_id)
{
    char from[40], room[40];
    snprintf(from, sizeof(from), "user:%" PRId64, user_id);
    snprintf(room, sizeof(room), "chat:%" PRId64, chat_id);
    chat_rt_room_join(chat, from, room);
}

void chat_notify_leave(srv_chat_t *chat, int64_t user_id, int64_t chat_id)
{
    char from[40], room[40];
    snprintf(from, sizeof(from), "user:%" PRId64, user_id);
    snprintf(room, sizeof(room), "chat:%" PRId64, chat_id);
    chat_rt_room_leave(chat, from, room);
}

void chat_notify_close_chat(srv_chat_t *chat, int64_t chat_id)
{
    char room[40];
    snprintf(room, sizeof(room), "chat:%" PRId64, chat_id);
    chat_rt_room_leave(chat, room, room);
}
