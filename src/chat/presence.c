/* presence.c - presence state (see presence.h).
 *
 * Users: an open-addressing hash table keyed by user id (linear probing, grown at 50% load,
 * entries with no socket are removed with backward-shift deletion so probes stay short).
 * Channels: a list of named channels, each an array of (user, sockets) in arrival order; a channel
 * is freed when its last user leaves. Channel counts are small (one per support queue / room), so
 * lists are fine. */
#include "src/chat/presence.h"

#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "base/base.h"

typedef struct st_user_slot_t {
    int64_t user_id; /* 0: empty */
    unsigned sockets;
    bool away;
} user_slot_t;

typedef struct st_chan_member_t {
    chat_presence_member_t m;
    unsigned sockets;
} chan_member_t;

typedef struct st_channel_t {
    struct st_channel_t *next;
    chan_member_t *members;
    size_t count, cap;
    char name[];
} channel_t;

struct st_chat_presence_t {
    user_slot_t *slots;
    size_t cap; /* power of 2 */
    size_t count;
    channel_t *channels;
};

chat_presence_t *chat_presence_new(void)
{
    chat_presence_t *p = xcalloc(1, sizeof(*p));
    p->cap = 64;
    p->slots = xcalloc(p->cap, sizeof(*p->slots));
    return p;
}

void chat_presence_free(chat_presence_t *p)
{
    if (p == NULL)
        return;
    while (p->channels != NULL) {
        channel_t *c = p->channels;
        p->channels = c->next;
        free(c->members);
        free(c);
    }
    free(p->slots);
    free(p);
}

static size_t hash_id(int64_t id, size_t cap)
{
    uint64_t x = (uint64_t)id * 0x9E3779B97F4A7C15ull;
    return (size_t)(x >> 32) & (cap - 1);
}

static user_slot_t *find_slot(const chat_presence_t *p, int64_t id)
{
    for (size_t i = hash_id(id, p->cap);; i = (i + 1) & (p->cap - 1)) {
        if (p->slots[i].user_id == id || p->slots[i].user_id == 0)
            return &p->slots[i];
    }
}

static void grow(chat_presence_t *p)
{
    user_slot_t *old = p->slots;
    size_t old_cap = p->cap;
    p->cap *= 2;
    p->slots = xcalloc(p->cap, sizeof(*p->slots));
    for (size_t i = 0; i < old_cap; i++)
        if (old[i].user_id != 0)
            *find_slot(p, old[i].user_id) = old[i];
    free(old);
}

static void remove_slot(chat_presence_t *p, user_slot_t *s)
{
    size_t i = (size_t)(s - p->slots), j = i;
    p->slots[i].user_id = 0;
    p->count--;
    /* backward-shift: move later entries of the probe run into the hole when allowed */
    for (;;) {
        size_t home;
        j = (j + 1) & (p->cap - 1);
        if (p->slots[j].user_id == 0)
            return;
        home = hash_id(p->slots[j].user_id, p->cap);
        if ((j > i && (home <= i || home > j)) || (j < i && (home <= i && home > j))) {
            p->slots[i] = p->slots[j];
            p->slots[j].user_id = 0;
            i = j;
        }
    }
}

bool chat_presence_connect(chat_presence_t *p, int64_t user_id)
{
    user_slot_t *s;
    if (user_id <= 0)
        return false;
    if ((p->count + 1) * 2 > p->cap)
        grow(p);
    s = find_slot(p, user_id);
    if (s->user_id == 0) {
        s->user_id = user_id;
        s->sockets = 1;
        s->away = false;
        p->count++;
        return true;
    }
    s->sockets++;
    return false;
}

bool chat_presence_disconnect(chat_presence_t *p, int64_t user_id)
{
    user_slot_t *s;
    if (user_id <= 0)
        return false;
    s = find_slot(p, user_id);
    if (s->user_id == 0)
        return false;
    if (--s->sockets > 0)
        return false;
    remove_slot(p, s);
    return true;
}

bool chat_presence_set_away(chat_presence_t *p, int64_t user_id, bool away)
{
    user_slot_t *s;
    if (user_id <= 0)
        return false;
    s = find_slot(p, user_id);
    if (s->user_id == 0 || s->away == away)
        return false;
    s->away = away;
    return true;
}

const char *chat_presence_status(const chat_presence_t *p, int64_t user_id)
{
    const user_slot_t *s;
    if (p == NULL || user_id <= 0)
        return "offline";
    s = find_slot(p, user_id);
    if (s->user_id == 0)
        return "offline";
    return s->away ? "away" : "online";
}

size_t chat_presence_online_count(const chat_presence_t *p)
{
    return p->count;
}

static channel_t **find_channel(chat_presence_t *p, const char *name)
{
    channel_t **pp = &p->channels;
    while (*pp != NULL && strcmp((*pp)->name, name) != 0)
        pp = &(*pp)->next;
    return pp;
}

bool chat_presence_channel_join(chat_presence_t *p, const char *channel, int64_t user_id,
                                const char *name)
{
    channel_t **pp = find_channel(p, channel), *c;
    if (*pp == NULL) {
        size_t len = strlen(channel);
        *pp = xcalloc(1, sizeof(channel_t) + len + 1);
        memcpy((*pp)->name, channel, len + 1);
    }
    c = *pp;
    for (size_t i = 0; i < c->count; i++)
        if (c->members[i].m.user_id == user_id) {
            c->members[i].sockets++;
            return false;
        }
    if (c->count == c->cap) {
        c->cap = c->cap ? c->cap * 2 : 4;
        c->members = xrealloc(c->members, c->cap * sizeof(*c->members));
    }
    c->members[c->count].m.user_id = user_id;
    snprintf(c->members[c->count].m.name, sizeof(c->members[c->count].m.name), "%s",
             name != NULL ? name : "");
    c->members[c->count].sockets = 1;
    c->count++;
    return true;
}

bool chat_presence_channel_leave(chat_presence_t *p, const char *channel, int64_t user_id)
{
    channel_t **pp = find_channel(p, channel), *c = *pp;
    if (c == NULL)
        return false;
    for (size_t i = 0; i < c->count; i++) {
        if (c->members[i].m.user_id != user_id)
            continue;
        if (--c->members[i].sockets > 0)
            return false;
        memmove(&c->members[i], &c->members[i + 1], (c->count - i - 1) * sizeof(*c->members));
        if (--c->count == 0) {
            *pp = c->next;
            free(c->members);
            free(c);
        }
        return true;
    }
    return false;
}

chat_presence_member_t *chat_presence_channel_members(const chat_presence_t *p, const char *channel,
                                                      size_t *n)
{
    const channel_t *c = p->channels;
    chat_presence_member_t *out;
    while (c != NULL && strcmp(c->name, channel) != 0)
        c = c->next;
    *n = 0;
    if (c == NULL || c->count == 0)
        return NULL;
    out = xmalloc(c->count * sizeof(*out));
    for (size_t i = 0; i < c->count; i++)
        out[i] = c->members[i].m;
    *n = c->count;
    return out;
}
