/* presence.h - in-memory presence of the chat service: which users have a connected socket
 * (online), which of those said they are away, and presence channels (named sets of users where a
 * user counts once however many tabs they joined with). Loop thread only, no I/O; the Socket.IO
 * side (realtime.c) calls it and emits the resulting events. */
#ifndef SIOC_SRC_CHAT_PRESENCE_H
#define SIOC_SRC_CHAT_PRESENCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct st_chat_presence_t chat_presence_t;

chat_presence_t *chat_presence_new(void);
/** NULL is a no-op. */
void chat_presence_free(chat_presence_t *p);

/** One more socket of `user_id`. Returns true if the user just came online. */
bool chat_presence_connect(chat_presence_t *p, int64_t user_id);
/** One socket of `user_id` less. Returns true if the user just went offline. */
bool chat_presence_disconnect(chat_presence_t *p, int64_t user_id);
/** Marks an online user away or back. Returns true if the visible status changed. */
bool chat_presence_set_away(chat_presence_t *p, int64_t user_id, bool away);
/** "online", "away" or "offline". */
const char *chat_presence_status(const chat_presence_t *p, int64_t user_id);
/** Number of users online or away. */
size_t chat_presence_online_count(const chat_presence_t *p);

/** A member of a presence channel. */
typedef struct st_chat_presence_member_t {
    int64_t user_id;
    char name[64]; /* the user name given at join (cut to fit) */
} chat_presence_member_t;

/** Adds one socket of `user_id` (called `name`) to `channel`. Returns true if the user was not in
 * it before (members should see them arrive). */
bool chat_presence_channel_join(chat_presence_t *p, const char *channel, int64_t user_id,
                                const char *name);
/** Removes one socket of `user_id` from `channel`. Returns true if that was the user's last
 * (members should see them leave); false also if they were not in it. */
bool chat_presence_channel_leave(chat_presence_t *p, const char *channel, int64_t user_id);
/** The users in `channel`, by first arrival; *n set. Returns a malloc'ed array (free it), or
 * NULL when empty. */
chat_presence_member_t *chat_presence_channel_members(const chat_presence_t *p, const char *channel,
                                                      size_t *n);

#endif
