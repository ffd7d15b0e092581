/* json.c - the desk API's JSON shapes (docs/desk.md): times are milliseconds since the epoch,
 * unset ones null; ids are numbers; the staff role is "admin" or "attendant" (the users table's
 * 'agent'). */
#include "src/desk/internal.h"

#include <stdio.h>
#include <string.h>

static json_t *ms_or_null(int64_t v)
{
    return v > 0 ? json_integer(v) : json_null();
}

static json_t *id_or_null(int64_t v)
{
    return v > 0 ? json_integer(v) : json_null();
}

const char *desk_role_name(store_user_role_t r)
{
    switch (r) {
    case STORE_USER_ROLE_ADMIN:
        return "admin";
    case STORE_USER_ROLE_AGENT:
        return "attendant";
    default:
        return "user";
    }
}

int desk_role_parse(const char *s)
{
    if (s != NULL && strcmp(s, "admin") == 0)
        return STORE_USER_ROLE_ADMIN;
    if (s != NULL && strcmp(s, "attendant") == 0)
        return STORE_USER_ROLE_AGENT;
    return -1;
}

json_t *desk_json_user(const store_user_t *u)
{
    return json_pack("{s:I,s:s,s:s,s:s,s:b,s:I,s:o}", "id", (json_int_t)u->id, "username",
                     u->username, "displayName", u->display_name, "role", desk_role_name(u->role),
                     "active", u->active, "createdAt", (json_int_t)u->created_at, "lastSeenAt",
                     ms_or_null(u->last_seen_at));
}

/* The channel's customer-service window and the customer's phone (WhatsApp): windowClosesAt
 * (null without a window or before a customer message), customer.phone in E.164 (+digits). */
static json_t *with_channel_fields(json_t *o, const store_service_t *s)
{
    bool wa = strcmp(s->channel, "whatsapp") == 0;
    json_object_set_new(o, "lastInboundAt", ms_or_null(s->last_inbound_at));
    json_object_set_new(o, "windowClosesAt",
                        wa && s->last_inbound_at > 0
                            ? json_integer(s->last_inbound_at + SRV_WHATSAPP_WINDOW_MS)
                            : json_null());
    json_t *c = json_object_get(o, "customer");
    if (wa && s->customer_external_id != NULL && s->customer_external_id[0] != '\0') {
        char phone[STORE_MAX_EXTERNAL + 2];
        snprintf(phone, sizeof(phone), "+%s", s->customer_external_id);
        json_object_set_new(c, "phone", json_string(phone));
    } else {
        json_object_set_new(c, "phone", json_null());
    }
    return o;
}

json_t *desk_json_service(const store_service_t *s)
{
    json_t *o = with_channel_fields(
        json_pack(
            "{s:I,s:s,s:s,s:o,s:{s:I,s:s,s:s},s:I,s:o,s:o,s:I,s:o,s:o,s:o,s:o,s:s,s:o,s:o,s:I}",
            "id", (json_int_t)s->id, "channel", s->channel, "status",
            store_service_status_name(s->status), "attendantId", id_or_null(s->attendant_id),
            "customer", "id", (json_int_t)s->customer_id, "name", s->customer_name, "email",
            s->customer_email, "createdAt", (json_int_t)s->created_at, "assignedAt",
            ms_or_null(s->assigned_at), "firstResponseAt", ms_or_null(s->first_response_at),
            "lastActivityAt", (json_int_t)s->last_activity_at, "finishedAt",
            ms_or_null(s->finished_at), "finishedBy", id_or_null(s->finished_by), "finishReason",
            s->finish_reason[0] != '\0' ? json_string(s->finish_reason) : json_null(), "rating",
            s->rating > 0 ? json_integer(s->rating) : json_null(), "ratingComment",
            s->rating_comment, "ratedAt", ms_or_null(s->rated_at), "resolutionMs",
            s->finished_at > 0 ? json_integer(s->finished_at - s->created_at) : json_null(),
            "lastSeq", (json_int_t)s->last_seq),
        s);
    if (s->last_body != NULL) /* the inbox's preview: lists and gets carry it, events do not */
        json_object_set_new(o, "lastMessage",
                            json_pack("{s:s,s:s}", "body", s->last_body, "direction",
                                      s->last_direction == STORE_DESK_OUT ? "out" : "in"));
    return o;
}

json_t *desk_json_message(const store_desk_msg_t *m)
{
    json_t *o = json_pack("{s:I,s:I,s:I,s:s,s:o,s:s,s:o,s:I,s:s,s:I}", "id", (json_int_t)m->id,
                          "serviceId", (json_int_t)m->service_id, "seq", (json_int_t)m->seq,
                          "direction", store_desk_dir_name(m->direction), "authorId",
                          id_or_null(m->author_id), "body", m->body, "clientMsgId",
                          m->client_msg_id[0] != '\0' ? json_string(m->client_msg_id) : json_null(),
                          "createdAt", (json_int_t)m->created_at, "state",
                          store_msg_state_name(m->state), "stateAt", (json_int_t)m->state_at);
    store_attachment_list_t list = {m->attachments, m->attachment_count};
    if (o == NULL)
        return NULL;
    json_object_set_new(o, "attachments", srv_media_json_for(&list, m->id));
    bool failed = m->state == STORE_MSG_FAILED && m->error != NULL && m->error[0] != '\0';
    json_object_set_new(o, "error", failed ? desk_json_delivery_error(m->error) : json_null());
    return o;
}

json_t *desk_json_delivery_error(const char *message)
{
    return json_pack("{s:s,s:s}", "code", "delivery_failed", "message", message);
}

json_t *desk_json_error(const char *code, const char *message)
{
    return json_pack("{s:{s:s,s:s}}", "error", "code", code, "message", message);
}
