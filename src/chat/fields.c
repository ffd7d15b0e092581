/* fields.c - the field tables (src/core/json_body.h) of every request body the chat API accepts,
 * shared by the REST handlers and the Socket.IO events so both validate alike. */
#include "src/chat/internal.h"

#define N(t) const size_t t##_n = sizeof(t) / sizeof(t[0])

const srv_json_field_t chat_fields_register[] = {
    {.name = "username",
     .type = SRV_JSON_STRING,
     .required = true,
     .min = CHAT_USERNAME_MIN,
     .max = CHAT_USERNAME_MAX,
     .check = srv_check_username},
    {.name = "password",
     .type = SRV_JSON_STRING,
     .required = true,
     .min = CHAT_PASSWORD_MIN,
     .max = CHAT_PASSWORD_MAX},
    {.name = "displayName",
     .type = SRV_JSON_STRING,
     .min = 1,
     .max = CHAT_DISPLAY_NAME_MAX,
     .check = srv_check_text},
};
N(chat_fields_register);

const srv_json_field_t chat_fields_login[] = {
    {.name = "username",
     .type = SRV_JSON_STRING,
     .required = true,
     .min = 1,
     .max = CHAT_USERNAME_MAX},
    {.name = "password",
     .type = SRV_JSON_STRING,
     .required = true,
     .min = 1,
     .max = CHAT_PASSWORD_MAX},
};
N(chat_fields_login);

const srv_json_field_t chat_fields_refresh[] = {
    {.name = "refreshToken", .type = SRV_JSON_STRING, .required = true, .min = 1, .max = 128},
};
N(chat_fields_refresh);

const srv_json_field_t chat_fields_logout[] = {
    {.name = "refreshToken", .type = SRV_JSON_STRING, .min = 1, .max = 128},
    {.name = "all", .type = SRV_JSON_BOOL},
};
N(chat_fields_logout);

const srv_json_field_t chat_fields_public_create[] = {
    CHAT_FIELD_NAME(true),
    CHAT_FIELD_TOPIC,
};
N(chat_fields_public_create);

const srv_json_field_t chat_fields_private_create[] = {
    CHAT_FIELD_ID("userId"),
};
N(chat_fields_private_create);

const srv_json_field_t chat_fields_private_update[] = {
    {.name = "lastReadSeq", .type = SRV_JSON_INT, .required = true, .imin = 0, .imax = INT64_MAX},
};
N(chat_fields_private_update);

const srv_json_field_t chat_fields_group_create[] = {
    CHAT_FIELD_NAME(true),
    CHAT_FIELD_TOPIC,
    {.name = "memberIds", .type = SRV_JSON_ID_ARRAY, .max = CHAT_MEMBERS_MAX},
};
N(chat_fields_group_create);

const srv_json_field_t chat_fields_group_update[] = {
    CHAT_FIELD_NAME(false),
    CHAT_FIELD_TOPIC,
    {.name = "addMemberIds", .type = SRV_JSON_ID_ARRAY, .max = CHAT_MEMBERS_MAX},
    {.name = "removeMemberIds", .type = SRV_JSON_ID_ARRAY, .max = CHAT_MEMBERS_MAX},
    {.name = "lastReadSeq", .type = SRV_JSON_INT, .imin = 0, .imax = INT64_MAX},
};
N(chat_fields_group_update);

const srv_json_field_t chat_fields_member_add[] = {
    CHAT_FIELD_ID("userId"),
    {.name = "role", .type = SRV_JSON_STRING, .min = 5, .max = 6},
};
N(chat_fields_member_add);

const srv_json_field_t chat_fields_message_send[] = {
    CHAT_FIELD_SEND_BODY,
    CHAT_FIELD_CLIENT_MSG_ID,
    CHAT_FIELD_ATTACHMENT_IDS,
};

N(chat_fields_message_send);

/* "#" and six hex digits: the colour the web app paints a user's name in ("" clears it). */
static const char *check_color(const char *s, size_t len)
{
    if (len == 0)
        return NULL;
    if (len != 7 || s[0] != '#')
        return "must be a colour like #aa3366";
    for (size_t i = 1; i < 7; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f') ||
              (s[i] >= 'A' && s[i] <= 'F')))
            return "must be a colour like #aa3366";
    return NULL;
}

const srv_json_field_t chat_fields_profile_update[] = {
    {.name = "displayName",
     .type = SRV_JSON_STRING,
     .min = 1,
     .max = CHAT_DISPLAY_NAME_MAX,
     .check = srv_check_text},
    {.name = "nameColor", .type = SRV_JSON_STRING, .min = 0, .max = 7, .check = check_color},
};
N(chat_fields_profile_update);

const srv_json_field_t chat_fields_message_edit[] = {
    CHAT_FIELD_MESSAGE_BODY,
};
N(chat_fields_message_edit);
