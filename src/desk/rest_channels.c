/* rest_channels.c - the channels on the admin page (GET /desk/channels, PATCH
 * /desk/channels/whatsapp {enabled}: start / end the WhatsApp session) and WhatsApp's template
 * send (POST /desk/services/:id/template), plus the customer-service window rule the answer
 * routes apply: outside it free text is refused with 409 outside_window.
 *
 * The channel list always has a "whatsapp" entry (configured: false when sioc runs without
 * --whatsapp-phone-number-id), so the page can say how to turn it on. */
#include "src/desk/internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool desk_window_closed(srv_desk_t *desk, const store_service_t *svc)
{
    srv_channel_t *ch = desk_channel(desk, svc->channel);
    if (ch == NULL || ch->ops->window_ms <= 0)
        return false;
    return svc->last_inbound_at + ch->ops->window_ms <= (int64_t)time_now_ms();
}

static json_t *unconfigured(void)
{
    return json_pack("{s:s,s:s,s:b,s:b,s:b,s:b,s:n,s:n,s:n,s:n,s:n,s:n}", "id", "whatsapp", "name",
                     "WhatsApp", "configured", 0, "enabled", 0, "connected", 0, "webhookVerified",
                     0, "lastEventAt", "lastError", "lastErrorAt", "lastOkAt", "phoneNumberId",
                     "template");
}

static void on_described(void *cbdata, int status, json_t *obj)
{
    desk_op_t *op = cbdata;
    if (!desk_op_proceed(op, status))
        return;
    desk_reply_json(op, 200, json_pack("{s:[O]}", "channels", obj));
}

void desk_channels_list(desk_op_t *op)
{
    srv_channel_t *wa = op->desk->whatsapp;
    if (wa == NULL) {
        desk_reply_json(op, 200, json_pack("{s:[o]}", "channels", unconfigured()));
        return;
    }
    wa->ops->describe(wa, on_described, op);
}

static void on_switched(void *cbdata, int status, json_t *obj)
{
    desk_op_t *op = cbdata;
    if (!desk_op_proceed(op, status))
        return;
    desk_reply_json(op, 200, json_pack("{s:O}", "channel", obj));
}

void desk_channels_update(desk_op_t *op)
{
    srv_channel_t *wa = op->desk->whatsapp;
    if (wa == NULL) {
        desk_reply_error(op, 409, "channel_not_configured",
                         "start sioc with --whatsapp-phone-number-id and its token");
        return;
    }
    wa->ops->set_enabled(wa, json_is_true(json_object_get(op->body, "enabled")), on_switched, op);
}

/* ---- the template ---- */

static void template_loaded(desk_op_t *op)
{
    const char *lang = NULL, *name = NULL;
    if (!desk_is_admin(op) && op->svc->attendant_id != op->user_id) {
        desk_reply_error(op, 403, "not_your_service", "take the service before answering");
        return;
    }
    if (strcmp(op->svc->channel, "whatsapp") != 0 || op->desk->whatsapp == NULL) {
        desk_reply_error(op, 409, "not_whatsapp", "templates are for WhatsApp services");
        return;
    }
    if (op->svc->status != STORE_SERVICE_OPEN) {
        desk_reply_error(op, 409, "service_finished", "the service is finished");
        return;
    }
    name = srv_whatsapp_template(op->desk->whatsapp, &lang);
    if (name == NULL) {
        desk_reply_error(op, 409, "template_not_configured",
                         "start sioc with --whatsapp-template NAME[:LANG]");
        return;
    }
    char body[600], cid[DESK_CLIENT_ID_MAX + 1];
    const char *given = srv_json_str(op->body, "clientMsgId");
    char token[44];
    desk_token_new(token);
    snprintf(body, sizeof(body), "[template] %s (%s)", name, lang);
    snprintf(cid, sizeof(cid), "%s%.40s", SRV_WHATSAPP_TEMPLATE_PREFIX,
             given != NULL ? given : token);
    desk_op_issued(op, store_desk_outbound(op->desk->store, op->svc->id, op->user_id, body, cid,
                                           true, desk_on_answered, op));
}

void desk_services_template(desk_op_t *op)
{
    desk_load_service(op, template_loaded);
}
