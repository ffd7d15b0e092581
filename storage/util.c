/* util.c - small helpers shared by both backends: the names enums have in the databases, the
 * search-query normalisation that makes both backends look for the same words, and the deep
 * copies (store_*_dup) for callers that keep a result beyond its callback. Each copy is one
 * allocation: the struct followed by its strings, so one free() releases it. */
#include "storage/internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const user_roles[] = {"user", "agent", "admin"};
static const char *const chat_kinds[] = {"public", "private", "group"};
static const char *const member_roles[] = {"", "member", "admin", "owner"};

/* The index of `s` in names[0..n), or `dflt` if it is not there. */
static int parse_name(const char *const *names, size_t n, const char *s, int dflt)
{
    for (size_t i = 0; s != NULL && i < n; i++)
        if (strcmp(names[i], s) == 0)
            return (int)i;
    return dflt;
}

const char *store__user_role_name(store_user_role_t r)
{
    return (size_t)r < ARRAY_SIZE(user_roles) ? user_roles[r] : "user";
}

store_user_role_t store__user_role_parse(const char *s)
{
    return (store_user_role_t)parse_name(user_roles, ARRAY_SIZE(user_roles), s,
                                         STORE_USER_ROLE_USER);
}

const char *store__chat_kind_name(store_chat_kind_t k)
{
    return (size_t)k < ARRAY_SIZE(chat_kinds) ? chat_kinds[k] : "group";
}

store_chat_kind_t store__chat_kind_parse(const char *s)
{
    return (store_chat_kind_t)parse_name(chat_kinds, ARRAY_SIZE(chat_kinds), s, STORE_CHAT_GROUP);
}

const char *store__member_role_name(store_member_role_t r)
{
    return (size_t)r < ARRAY_SIZE(member_roles) && r != STORE_MEMBER_NONE ? member_roles[r]
                                                                          : "member";
}

store_member_role_t store__member_role_parse(const char *s)
{
    int r = parse_name(member_roles, ARRAY_SIZE(member_roles), s, STORE_MEMBER_MEMBER);
    return r == STORE_MEMBER_NONE ? STORE_MEMBER_MEMBER : (store_member_role_t)r;
}

char *store__ids_join(store_arena_t *a, const int64_t *ids, size_t n, char open, char close)
{
    /* an int64 takes at most 20 characters, plus a separator */
    char *out = store__arena_alloc(a, n * 21 + 3), *o = out;
    *o++ = open;
    for (size_t i = 0; i < n; i++)
        o += sprintf(o, "%s%lld", i != 0 ? "," : "", (long long)ids[i]);
    *o++ = close;
    *o = '\0';
    return out;
}

static bool is_word_byte(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c >= 0x80;
}

char *store__search_words(store_arena_t *a, const char *query)
{
    size_t n = strlen(query);
    char *out = store__arena_alloc(a, n + 1), *o = out;
    const unsigned char *p = (const unsigned char *)query;
    while (*p != '\0') {
        while (*p != '\0' && !is_word_byte(*p))
            p++;
        if (*p == '\0')
            break;
        if (o != out)
            *o++ = ' ';
        while (is_word_byte(*p)) {
            unsigned char c = *p++;
            *o++ = (char)(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
        }
    }
    *o = '\0';
    return o == out ? NULL : out;
}

/* ---- deep copies ---- */

/* Sums the sizes of strings, then copies them after the struct. */
static size_t str_size(const char *s)
{
    return s != NULL ? strlen(s) + 1 : 1;
}

static const char *put_str(char **pos, const char *s)
{
    size_t n = str_size(s);
    char *dst = *pos;
    if (s != NULL)
        memcpy(dst, s, n);
    else
        dst[0] = '\0';
    *pos += n;
    return dst;
}

store_message_t *store_message_dup(const store_message_t *m)
{
    size_t extra = str_size(m->body) + str_size(m->client_msg_id);
    store_message_t *c = xmalloc(sizeof(*c) + extra);
    char *pos = (char *)(c + 1);
    *c = *m;
    c->body = put_str(&pos, m->body);
    c->client_msg_id = put_str(&pos, m->client_msg_id);
    return c;
}

void store_message_free(store_message_t *m)
{
    free(m);
}

store_user_t *store_user_dup(const store_user_t *u)
{
    size_t extra = str_size(u->username) + str_size(u->display_name) + str_size(u->password_hash) +
                   str_size(u->name_color);
    store_user_t *c = xmalloc(sizeof(*c) + extra);
    char *pos = (char *)(c + 1);
    *c = *u;
    c->username = put_str(&pos, u->username);
    c->display_name = put_str(&pos, u->display_name);
    c->password_hash = put_str(&pos, u->password_hash);
    c->name_color = put_str(&pos, u->name_color);
    return c;
}

void store_user_free(store_user_t *u)
{
    free(u);
}

store_chat_t *store_chat_dup(const store_chat_t *ch)
{
    size_t extra = str_size(ch->name) + str_size(ch->topic);
    store_chat_t *c = xmalloc(sizeof(*c) + extra);
    char *pos = (char *)(c + 1);
    *c = *ch;
    c->name = put_str(&pos, ch->name);
    c->topic = put_str(&pos, ch->topic);
    return c;
}

void store_chat_free(store_chat_t *c)
{
    free(c);
}

/* ---- desk names and copies ---- */

static const char *const service_statuses[] = {"open", "finished"};
static const char *const desk_dirs[] = {"in", "out"};
static const char *const msg_states[] = {"sent", "delivered", "read", "failed"};
static const char *const outbox_kinds[] = {"message", "rating", "read", "typing"};

const char *store_service_status_name(store_service_status_t s)
{
    return (size_t)s < ARRAY_SIZE(service_statuses) ? service_statuses[s] : "open";
}

const char *store_desk_dir_name(store_desk_dir_t d)
{
    return (size_t)d < ARRAY_SIZE(desk_dirs) ? desk_dirs[d] : "in";
}

const char *store_msg_state_name(store_msg_state_t s)
{
    return (size_t)s < ARRAY_SIZE(msg_states) ? msg_states[s] : "sent";
}

store_msg_state_t store__msg_state_parse(const char *s)
{
    return (store_msg_state_t)parse_name(msg_states, ARRAY_SIZE(msg_states), s, STORE_MSG_SENT);
}

const char *store_outbox_kind_name(store_outbox_kind_t k)
{
    return (size_t)k < ARRAY_SIZE(outbox_kinds) ? outbox_kinds[k] : "message";
}

store_outbox_kind_t store__outbox_kind_parse(const char *s)
{
    return (store_outbox_kind_t)parse_name(outbox_kinds, ARRAY_SIZE(outbox_kinds), s,
                                           STORE_OUTBOX_MESSAGE);
}

store_service_t *store_service_dup(const store_service_t *s)
{
    size_t extra = str_size(s->channel) + str_size(s->finish_reason) + str_size(s->rating_comment) +
                   str_size(s->customer_name) + str_size(s->customer_email) +
                   str_size(s->customer_external_id) + str_size(s->last_body);
    store_service_t *c = xmalloc(sizeof(*c) + extra);
    char *pos = (char *)(c + 1);
    *c = *s;
    c->channel = put_str(&pos, s->channel);
    c->finish_reason = put_str(&pos, s->finish_reason);
    c->rating_comment = put_str(&pos, s->rating_comment);
    c->customer_name = put_str(&pos, s->customer_name);
    c->customer_email = put_str(&pos, s->customer_email);
    c->customer_external_id = put_str(&pos, s->customer_external_id);
    c->last_body = s->last_body != NULL ? put_str(&pos, s->last_body) : NULL;
    return c;
}

store_desk_msg_t *store_desk_msg_dup(const store_desk_msg_t *m)
{
    size_t extra = str_size(m->body) + str_size(m->client_msg_id) + str_size(m->error);
    store_desk_msg_t *c = xmalloc(sizeof(*c) + extra);
    char *pos = (char *)(c + 1);
    *c = *m;
    c->body = put_str(&pos, m->body);
    c->client_msg_id = put_str(&pos, m->client_msg_id);
    c->error = put_str(&pos, m->error);
    c->attachments = NULL; /* borrowed by the original: not copied */
    c->attachment_count = 0;
    return c;
}

size_t store__utf8_prefix(const char *s, size_t max)
{
    size_t n = strlen(s);
    if (n <= max)
        return n;
    while (max > 0 && ((unsigned char)s[max] & 0xC0) == 0x80)
        max--;
    return max;
}
