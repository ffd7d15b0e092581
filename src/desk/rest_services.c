/* rest_services.c - services (list, detail, assign/take/transfer, answer, finish), the
 * dashboard figures as JSON and CSV, and the widget's visitor sessions.
 *
 * Who may do what: an admin anything; an attendant sees the queue and their own services, takes
 * from the queue (for themselves), answers, transfers and finishes their own services. Taking is
 * the store's conditional assignment, so of two attendants racing for one service exactly one
 * gets 200 and the other 409 already_assigned. The answer (message) is stored before it is
 * delivered; a retried clientMsgId returns the stored message with 200 instead of 201. */
#include "src/desk/internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static json_t *service_body(const store_service_t *svc)
{
    return json_pack("{s:o}", "service", desk_json_service(svc));
}

/* ---- list ---- */

static void on_services(void *cbdata, int status, const store_service_list_t *l)
{
    desk_op_t *op = cbdata;
    if (!desk_op_proceed(op, status))
        return;
    json_t *arr = json_array();
    for (size_t i = 0; i < l->count; i++)
        json_array_append_new(arr, desk_json_service(&l->items[i]));
    json_t *next = (int64_t)l->count == op->n[0] && l->count > 0
                       ? json_integer(l->items[l->count - 1].id)
                       : json_null();
    desk_reply_json(op, 200, json_pack("{s:o,s:o}", "services", arr, "nextCursor", next));
}

void desk_services_list(desk_op_t *op)
{
    char status[16], channel[STORE_MAX_CHANNEL + 1], att[24];
    store_service_filter_t f = {0};
    int64_t limit;
    if (desk_query_str(op, "status", status, sizeof(status)) != 0 ||
        desk_query_str(op, "channel", channel, sizeof(channel)) != 0 ||
        desk_query_str(op, "attendantId", att, sizeof(att)) != 0 ||
        desk_query_int(op, "from", 0, INT64_MAX, 0, &f.from) != 0 ||
        desk_query_int(op, "to", 0, INT64_MAX, 0, &f.to) != 0 ||
        desk_query_int(op, "cursor", 0, INT64_MAX, 0, &f.before_id) != 0 ||
        desk_query_int(op, "limit", 1, DESK_PAGE_MAX, DESK_PAGE_DEFAULT, &limit) != 0)
        return;
    if (strcmp(status, "open") == 0) {
        f.status = 1;
    } else if (strcmp(status, "finished") == 0) {
        f.status = 2;
    } else if (status[0] != '\0') {
        desk_reply_error(op, 400, "invalid_query", "status must be open or finished");
        return;
    }
    if (strcmp(att, "none") == 0) {
        f.attendant_id = -1; /* the queue */
    } else if (att[0] != '\0' &&
               (srv_parse_int64(att, strlen(att), &f.attendant_id) != 0 || f.attendant_id <= 0)) {
        desk_reply_error(op, 400, "invalid_query", "attendantId must be a user id or none");
        return;
    }
    if (!desk_is_admin(op)) {
        if (f.attendant_id > 0 && f.attendant_id != op->user_id) {
            desk_reply_error(op, 403, "not_your_service",
                             "attendants see the queue and their own services");
            return;
        }
        f.visible_to = op->user_id;
    }
    if (f.from > 0 && f.to > 0 && f.from >= f.to) {
        desk_reply_error(op, 400, "invalid_query", "from must be before to");
        return;
    }
    f.channel = channel;
    f.limit = (size_t)limit;
    op->n[0] = limit;
    desk_op_issued(op, store_desk_service_list(op->desk->store, &f, on_services, op));
}

/* ---- detail ---- */

static void on_detail_attachments(void *cbdata, int status, const store_attachment_list_t *l)
{
    desk_op_t *op = cbdata;
    if (!desk_op_proceed(op, status))
        return;
    json_t *b = service_body(op->svc);
    json_t *arr = op->body; /* the messages, waiting for their attachments */
    op->body = NULL;
    desk_json_set_attachments(arr, l);
    json_object_set_new(b, "messages", arr);
    desk_reply_json(op, 200, b);
}

static void on_detail_messages(void *cbdata, int status, const store_desk_msg_list_t *l)
{
    desk_op_t *op = cbdata;
    if (!desk_op_proceed(op, status))
        return;
    json_t *arr = json_array();
    int64_t *ids = xmalloc((l->count + 1) * sizeof(*ids));
    for (size_t i = 0; i < l->count; i++) {
        json_array_append_new(arr, desk_json_message(&l->items[i]));
        ids[i] = l->items[i].id;
    }
    json_decref(op->body);
    op->body = arr;
    int rc = store_attachment_list(op->desk->store, STORE_ATT_DESK, ids, l->count,
                                   on_detail_attachments, op);
    free(ids);
    desk_op_issued(op, rc);
}

static void detail_loaded(desk_op_t *op)
{
    desk_op_issued(op, store_desk_messages(op->desk->store, op->svc->id, 0, DESK_DETAIL_MESSAGES,
                                           on_detail_messages, op));
}

void desk_services_get(desk_op_t *op)
{
    desk_load_service(op, detail_loaded);
}

/* ---- assign, take, transfer ---- */

static void on_assigned(void *cbdata, int status, const store_service_t *svc)
{
    desk_op_t *op = cbdata;
    if (op->desk != NULL && (op->req != NULL || op->is_event)) {
        if (status == -EEXIST) {
            desk_reply_error(op, 409, "already_assigned", "another attendant took it first");
            return;
        }
    }
    if (!desk_op_proceed(op, status))
        return;
    int64_t prev = svc->previous_attendant_id;
    if (prev > 0 && prev != svc->attendant_id)
        desk_call_service_gone(op->desk, svc, "transferred");
    desk_notify_service(
        op->desk, "service:assigned", svc, prev,
        json_pack("{s:o}", "previousAttendantId", prev > 0 ? json_integer(prev) : json_null()));
    desk_reply_json(op, 200, service_body(svc));
}

static void do_assign(desk_op_t *op, int64_t target)
{
    /* take semantics whenever the service was queued when we looked: one winner */
    bool only_if_queued = op->svc->attendant_id == 0;
    desk_op_issued(op, store_desk_assign(op->desk->store, op->svc->id, target, only_if_queued,
                                         on_assigned, op));
}

static void on_target(void *cbdata, int status, const store_user_t *u)
{
    desk_op_t *op = cbdata;
    if (status == 0 && (!u->active || u->role == STORE_USER_ROLE_USER))
        status = -ENOENT;
    if (status == -ENOENT && op->desk != NULL && op->req != NULL) {
        desk_reply_error(op, 400, "invalid_attendant",
                         "attendantId is not an active attendant or admin");
        return;
    }
    if (!desk_op_proceed(op, status))
        return;
    do_assign(op, u->id);
}

static void assign_loaded(desk_op_t *op)
{
    int64_t target = op->n[0];
    if (op->svc->status != STORE_SERVICE_OPEN) {
        desk_reply_error(op, 409, "service_finished", "the service is finished");
        return;
    }
    if (!desk_is_admin(op)) {
        bool take = op->svc->attendant_id == 0 && target == op->user_id;
        bool transfer = op->svc->attendant_id == op->user_id;
        if (target == op->user_id && op->svc->attendant_id != 0 && !transfer) {
            desk_reply_error(op, 409, "already_assigned", "another attendant took it first");
            return;
        }
        if (!take && !transfer) {
            desk_reply_error(op, 403, "not_your_service",
                             "attendants take queued services for themselves and transfer "
                             "their own");
            return;
        }
    }
    if (target == op->user_id) { /* the caller is active staff: no lookup needed */
        do_assign(op, target);
        return;
    }
    desk_op_issued(op, store_user_get(op->desk->store, target, on_target, op));
}

void desk_services_assign(desk_op_t *op)
{
    op->n[0] = srv_json_int(op->body, "attendantId", 0);
    op->see_any = true; /* a lost race is a 409, not a 403 */
    desk_load_service(op, assign_loaded);
}

static void take_loaded(desk_op_t *op)
{
    if (op->svc->status != STORE_SERVICE_OPEN) {
        desk_reply_error(op, 409, "service_finished", "the service is finished");
        return;
    }
    if (op->svc->attendant_id != 0) {
        desk_reply_error(op, 409, "already_assigned", "the service has an attendant");
        return;
    }
    do_assign(op, op->user_id);
}

void desk_services_take(desk_op_t *op)
{
    op->see_any = true;
    desk_load_service(op, take_loaded);
}

/* ---- answer ---- */

void desk_on_answered(void *cbdata, int status, const store_desk_msg_t *m,
                      const store_service_t *svc)
{
    desk_op_t *op = cbdata;
    if (status == -EACCES && op->desk != NULL) {
        desk_reply_error(op, 400, "invalid_attachment", "attachmentIds must name your own uploads");
        return;
    }
    if (!desk_op_proceed(op, status))
        return;
    if (!m->duplicate)
        desk_after_outbound(op->desk, svc, m);
    desk_reply_json(op, m->duplicate ? 200 : 201,
                    json_pack("{s:o,s:o,s:b}", "message", desk_json_message(m), "service",
                              desk_json_service(svc), "duplicate", m->duplicate));
}

/* The reply is stored: link its attachments, then answer, announce and deliver. */
static void on_stored_reply(void *cbdata, int status, const store_desk_msg_t *m,
                            const store_service_t *svc)
{
    desk_op_t *op = cbdata;
    int64_t ids[STORE_MAX_ATTACH];
    size_t n;
    const char *msg;
    if (!desk_op_proceed(op, status))
        return;
    srv_media_send_check(op->body, ids, &n, &msg);
    desk_attach(op->desk, m, svc, op->user_id, 0, ids, n, desk_on_answered, op);
}

/* The attachments are the attendant's own uploads (or there are none): store the reply. */
static void on_owned(void *cbdata, int status)
{
    desk_op_t *op = cbdata;
    if (status == -EACCES) {
        desk_on_answered(op, status, NULL, NULL);
        return;
    }
    if (!desk_op_proceed(op, status))
        return;
    const char *body = srv_json_str(op->body, "body");
    srv_channel_t *ch = desk_channel(op->desk, op->svc->channel);
    bool outbox = ch != NULL && (ch->ops->caps & SRV_CHANNEL_CAP_OUTBOX);
    desk_op_issued(op, store_desk_outbound(
                           op->desk->store, op->svc->id, op->user_id, body != NULL ? body : "",
                           srv_json_str(op->body, "clientMsgId"), outbox, on_stored_reply, op));
}

/* Attendants act on their own services only (an admin on any). */
static bool own_or_admin(desk_op_t *op, const char *what)
{
    if (desk_is_admin(op) || op->svc->attendant_id == op->user_id)
        return true;
    desk_reply_error(op, 403, "not_your_service", "%s", what);
    return false;
}

static void message_loaded(desk_op_t *op)
{
    if (op->svc->status != STORE_SERVICE_OPEN) {
        desk_reply_error(op, 409, "service_finished", "the service is finished");
        return;
    }
    if (!own_or_admin(op, "take the service before answering"))
        return;
    if (desk_window_closed(op->desk, op->svc)) {
        desk_reply_error(op, 409, "outside_window",
                         "the customer wrote more than 24 hours ago: send the template");
        return;
    }
    int64_t ids[STORE_MAX_ATTACH];
    size_t n;
    const char *msg;
    srv_media_send_check(op->body, ids, &n, &msg);
    if (n == 0) {
        on_owned(op, 0);
        return;
    }
    desk_op_issued(
        op, store_attachment_check_owned(op->desk->store, op->user_id, 0, ids, n, on_owned, op));
}

void desk_services_message(desk_op_t *op)
{
    int64_t ids[STORE_MAX_ATTACH];
    size_t n;
    const char *msg, *code = srv_media_send_check(op->body, ids, &n, &msg);
    if (code != NULL) {
        desk_reply_error(op, 400, code, "%s", msg);
        return;
    }
    desk_load_service(op, message_loaded);
}

/* ---- finish ---- */

static void on_finished(void *cbdata, int status, const store_service_t *svc)
{
    desk_op_t *op = cbdata;
    if (!desk_op_proceed(op, status))
        return;
    desk_after_finish(op->desk, svc);
    desk_reply_json(op, 200, service_body(svc));
}

static void finish_loaded(desk_op_t *op)
{
    if (op->svc->status != STORE_SERVICE_OPEN) {
        desk_reply_error(op, 409, "service_finished", "the service is finished");
        return;
    }
    if (!own_or_admin(op, "only its attendant or an admin finishes a service"))
        return;
    desk_op_issued(op,
                   store_desk_finish(op->desk->store, op->svc->id, op->user_id, on_finished, op));
}

void desk_services_finish(desk_op_t *op)
{
    desk_load_service(op, finish_loaded);
}

/* ---- stats ---- */

static void add_row(store_desk_stats_row_t *t, const store_desk_stats_row_t *r)
{
    int64_t *a = &t->opened;
    const int64_t *b = &r->opened;
    for (int i = 0; i < 14; i++) /* opened .. ratings[4] */
        a[i] += b[i];
}

static json_t *avg_or_null(int64_t sum, int64_t n)
{
    return n > 0 ? json_real((double)sum / (double)n) : json_null();
}

static json_t *figures(const store_desk_stats_row_t *r)
{
    return json_pack(
        "{s:I,s:I,s:I,s:{s:o,s:I},s:{s:o,s:I},s:{s:o,s:I,s:{s:I,s:I,s:I,s:I,s:I}}}", "opened",
        (json_int_t)r->opened, "finished", (json_int_t)r->finished, "open", (json_int_t)r->open,
        "firstResponse", "avgMs", avg_or_null(r->first_response_ms, r->first_response_n), "count",
        (json_int_t)r->first_response_n, "resolution", "avgMs",
        avg_or_null(r->resolution_ms, r->resolution_n), "count", (json_int_t)r->resolution_n,
        "rating", "avg", avg_or_null(r->rating_sum, r->rating_n), "count", (json_int_t)r->rating_n,
        "counts", "1", (json_int_t)r->ratings[0], "2", (json_int_t)r->ratings[1], "3",
        (json_int_t)r->ratings[2], "4", (json_int_t)r->ratings[3], "5", (json_int_t)r->ratings[4]);
}

static void on_stats(void *cbdata, int status, const store_desk_stats_t *st)
{
    desk_op_t *op = cbdata;
    if (!desk_op_proceed(op, status))
        return;
    store_desk_stats_row_t total = {0}, none = {0};
    json_t *per = json_array();
    for (size_t i = 0; i < st->count; i++) {
        const store_desk_stats_row_t *r = &st->items[i];
        add_row(&total, r);
        if (r->attendant_id == 0) {
            none = *r;
            continue;
        }
        json_t *f = figures(r);
        json_object_set_new(f, "attendantId", json_integer(r->attendant_id));
        json_object_set_new(f, "username", json_string(r->username));
        json_object_set_new(f, "displayName", json_string(r->display_name));
        json_array_append_new(per, f);
    }
    desk_reply_json(op, 200,
                    json_pack("{s:I,s:I,s:o,s:o,s:o}", "from", (json_int_t)op->n[0], "to",
                              (json_int_t)op->n[1], "totals", figures(&total), "unassigned",
                              figures(&none), "attendants", per));
}

/* CSV cell: quoted when needed; a leading = + - @ gets a ' so spreadsheets do not run it. */
static void csv_cell(buf_t *b, const char *s)
{
    bool quote = strpbrk(s, ",\"\r\n") != NULL || strchr("=+-@", s[0]) != NULL;
    if (!quote) {
        buf_append_str(b, s);
        return;
    }
    buf_append_char(b, '"');
    if (s[0] != '\0' && strchr("=+-@", s[0]) != NULL)
        buf_append_char(b, '\'');
    for (; *s != '\0'; s++) {
        if (*s == '"')
            buf_append_char(b, '"');
        buf_append_char(b, *s);
    }
    buf_append_char(b, '"');
}

static void csv_avg(buf_t *b, int64_t sum, int64_t n)
{
    if (n > 0)
        buf_printf(b, ",%.3f", (double)sum / (double)n);
    else
        buf_append_char(b, ',');
}

static void csv_row(buf_t *b, const char *id, const char *user, const char *name,
                    const store_desk_stats_row_t *r)
{
    buf_append_str(b, id);
    buf_append_char(b, ',');
    csv_cell(b, user);
    buf_append_char(b, ',');
    csv_cell(b, name);
    buf_printf(b, ",%lld,%lld,%lld", (long long)r->opened, (long long)r->finished,
               (long long)r->open);
    csv_avg(b, r->first_response_ms, r->first_response_n);
    buf_printf(b, ",%lld", (long long)r->first_response_n);
    csv_avg(b, r->resolution_ms, r->resolution_n);
    buf_printf(b, ",%lld", (long long)r->resolution_n);
    csv_avg(b, r->rating_sum, r->rating_n);
    buf_printf(b, ",%lld", (long long)r->rating_n);
    for (int i = 0; i < 5; i++)
        buf_printf(b, ",%lld", (long long)r->ratings[i]);
    buf_append_str(b, "\r\n");
}

static void on_stats_csv(void *cbdata, int status, const store_desk_stats_t *st)
{
    desk_op_t *op = cbdata;
    if (!desk_op_proceed(op, status))
        return;
    buf_t b = {0};
    store_desk_stats_row_t total = {0};
    for (size_t i = 0; i < st->count; i++)
        add_row(&total, &st->items[i]);
    buf_append_str(&b, "attendant_id,username,display_name,opened,finished,open,"
                       "first_response_avg_ms,first_response_count,resolution_avg_ms,"
                       "resolution_count,rating_avg,rating_count,rating_1,rating_2,rating_3,"
                       "rating_4,rating_5\r\n");
    csv_row(&b, "total", "", "", &total);
    for (size_t i = 0; i < st->count; i++) {
        const store_desk_stats_row_t *r = &st->items[i];
        char id[24];
        snprintf(id, sizeof(id), "%lld", (long long)r->attendant_id);
        if (r->attendant_id == 0)
            csv_row(&b, "unassigned", "", "", r);
        else
            csv_row(&b, id, r->username, r->display_name, r);
    }
    desk_reply_text(op, 200, "text/csv; charset=utf-8", b.base != NULL ? b.base : "", b.len);
    buf_dispose(&b);
}

static int stats_period(desk_op_t *op)
{
    int64_t now = (int64_t)time_now_ms();
    if (desk_query_int(op, "to", 1, INT64_MAX, now, &op->n[1]) != 0 ||
        desk_query_int(op, "from", 0, INT64_MAX, op->n[1] - DESK_STATS_DEFAULT, &op->n[0]) != 0)
        return -1;
    if (op->n[0] >= op->n[1]) {
        desk_reply_error(op, 400, "invalid_query", "from must be before to");
        return -1;
    }
    return 0;
}

void desk_stats(desk_op_t *op)
{
    if (stats_period(op) == 0)
        desk_op_issued(op, store_desk_stats(op->desk->store, op->n[0], op->n[1], on_stats, op));
}

void desk_stats_csv(desk_op_t *op)
{
    if (stats_period(op) == 0)
        desk_op_issued(op, store_desk_stats(op->desk->store, op->n[0], op->n[1], on_stats_csv, op));
}

/* ---- widget sessions ---- */

static void on_customer(void *cbdata, int status, const store_customer_t *c)
{
    desk_op_t *op = cbdata;
    if (!desk_op_proceed(op, status))
        return;
    char *tok = srv_widget_issue_token(op->desk->widget, c->id);
    if (tok == NULL) {
        desk_reply_error(op, 500, "internal", "could not sign the visitor token");
        return;
    }
    desk_reply_json(op, 201,
                    json_pack("{s:s,s:s,s:I,s:{s:I,s:s,s:s}}", "visitorToken", tok, "tokenType",
                              "visitor", "expiresIn", (json_int_t)SRV_WIDGET_TOKEN_TTL_S,
                              "customer", "id", (json_int_t)c->id, "name", c->name, "email",
                              c->email));
    free(tok);
}

void desk_widget_session(desk_op_t *op)
{
    char ext[44];
    desk_token_new(ext); /* a visitor is anonymous: a random id on the widget channel */
    desk_op_issued(op, store_desk_customer_upsert(
                           op->desk->store, "widget", ext, srv_json_str(op->body, "name"),
                           srv_json_str(op->body, "email"), on_customer, op));
}
