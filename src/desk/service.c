/* service.c - the desk's life and its actions: creation and teardown, the channel host (what a
 * customer does arrives here, is stored, then announced), the first admin, the idle-close sweep
 * and round-robin auto-assignment.
 *
 * Idle close: a timer sweeps every min(idle/4, 30 s) (at least every 100 ms) with
 * store_desk_idle_close(now - idle), a conditional UPDATE, so with several nodes on one
 * PostgreSQL each service is finished by exactly one sweep, and only that node announces it
 * (service:finished to the staff through the adapter, rating:request to the customer). Nothing
 * is kept in memory: a restart finds the due services in the database. A call is activity: before
 * its sweep each node moves the activity of the services its attendant sockets are in a call
 * for to now (store_desk_touch, call.c), and every node sweeps at most idle/4 apart, so no node
 * finishes a service in a call held on another; the call's end touches it once more.
 *
 * Auto-assign (--desk-auto-assign, off by default): when a message opens a service, the node
 * that stored it lists the staff connected to /desk on every node (fetchSockets), counts each
 * one's open services and offers the service, with the take semantics (only if still queued), to
 * the next attendant after the one picked last who holds fewer than --desk-capacity. Admins are
 * not auto-assigned. */
#include "src/desk/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- helpers ---- */

void desk_token_hash(const char *token, char out[65])
{
    unsigned char h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(h, (const unsigned char *)token, strlen(token));
    sodium_bin2hex(out, 65, h, sizeof(h));
}

void desk_token_new(char out[44])
{
    unsigned char raw[32];
    randombytes_buf(raw, sizeof(raw));
    sodium_bin2base64(out, 44, raw, sizeof(raw), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_memzero(raw, sizeof(raw));
}

srv_channel_t *desk_channel(srv_desk_t *desk, const char *name)
{
    for (size_t i = 0; i < desk->n_channels; i++)
        if (strcmp(desk->channels[i]->ops->name, name) == 0)
            return desk->channels[i];
    return NULL;
}

/* ---- announcements ---- */

void desk_after_finish(srv_desk_t *desk, const store_service_t *svc)
{
    desk_notify_service(desk, "service:finished", svc, 0, NULL);
    desk_call_service_gone(desk, svc, "service_finished");
    srv_channel_t *ch = desk_channel(desk, svc->channel);
    if (ch != NULL && (ch->ops->caps & SRV_CHANNEL_CAP_RATING))
        ch->ops->rating_request(ch, svc);
}

void desk_after_outbound(srv_desk_t *desk, const store_service_t *svc, const store_desk_msg_t *m)
{
    desk_notify_about(desk, "message:new", svc, 0,
                      json_pack("{s:I,s:o,s:o}", "serviceId", (json_int_t)svc->id, "message",
                                desk_json_message(m), "service", desk_json_service(svc)));
    srv_channel_t *ch = desk_channel(desk, svc->channel);
    if (ch != NULL) /* an outbox channel: a nudge to drain the entry written with the message */
        ch->ops->deliver(ch, svc, m);
}

/* ---- auto-assignment ---- */

/* The job is a desk_op_t: n[0] the service, n[1] the candidate being counted, n[2] how many were
 * tried; body the candidate attendant ids, ascending. */
static void assign_try(desk_op_t *op);

static int64_t candidate(const desk_op_t *op)
{
    return (int64_t)json_integer_value(json_array_get(op->body, (size_t)op->n[1]));
}

static void on_auto_assigned(void *cbdata, int status, const store_service_t *svc)
{
    desk_op_t *op = cbdata;
    if (status == 0 && op->desk != NULL) {
        op->desk->rr_last = svc->attendant_id;
        desk_notify_service(op->desk, "service:assigned", svc, 0,
                            json_pack("{s:n,s:b}", "previousAttendantId", "auto", 1));
    }
    desk_op_free(op); /* -EEXIST: someone took it first, which is fine */
}

static void on_load(void *cbdata, int status, const store_service_list_t *l)
{
    desk_op_t *op = cbdata;
    if (op->desk == NULL || status != 0) {
        desk_op_free(op);
        return;
    }
    if (l->count < op->desk->conf->desk_capacity) {
        if (store_desk_assign(op->desk->store, op->n[0], candidate(op), true, on_auto_assigned,
                              op) != 0)
            desk_op_free(op);
        return;
    }
    op->n[1] = (op->n[1] + 1) % (int64_t)json_array_size(op->body);
    op->n[2]++;
    assign_try(op);
}

static void assign_try(desk_op_t *op)
{
    if (op->n[2] >= (int64_t)json_array_size(op->body)) { /* all full: it stays queued */
        desk_op_free(op);
        return;
    }
    store_service_filter_t f = {.status = 1, .attendant_id = candidate(op), .limit = 1000};
    if (store_desk_service_list(op->desk->store, &f, on_load, op) != 0)
        desk_op_free(op);
}

static void on_online(const json_t *ids, void *cbdata)
{
    desk_op_t *op = cbdata;
    size_t n = ids != NULL ? json_array_size(ids) : 0;
    if (op->desk == NULL || n == 0) {
        desk_op_free(op);
        return;
    }
    op->body = json_deep_copy(ids);
    op->n[1] = 0; /* round robin: start after the one picked last */
    for (size_t i = 0; i < n; i++) {
        if (json_integer_value(json_array_get(op->body, i)) > op->desk->rr_last) {
            op->n[1] = (int64_t)i;
            break;
        }
    }
    assign_try(op);
}

static void auto_assign(srv_desk_t *desk, int64_t service_id)
{
    if (!desk->conf->desk_auto_assign || desk->rt == NULL)
        return;
    desk_op_t *op = desk_op_new(desk);
    op->n[0] = service_id;
    desk_rt_online(desk, on_online, op);
}

/* ---- the channel host ---- */

/* The customer's message is stored, its attachments linked: announce, echo, answer. */
static void on_inbound_attached(void *cbdata, int status, const store_desk_msg_t *m,
                                const store_service_t *svc)
{
    desk_op_t *op = cbdata;
    srv_desk_t *desk = op->desk;
    if (desk != NULL && status == 0 && !m->duplicate) {
        if (svc->opened)
            desk_notify_service(desk, "service:new", svc, 0, NULL);
        desk_notify_about(desk, "message:new", svc, 0,
                          json_pack("{s:I,s:o,s:o}", "serviceId", (json_int_t)svc->id, "message",
                                    desk_json_message(m), "service", desk_json_service(svc)));
        op->ch->ops->deliver(op->ch, svc, m); /* the customer's other tabs */
        if (svc->opened)
            auto_assign(desk, svc->id);
    }
    op->msg_done(op->done_data, desk != NULL ? status : -ESHUTDOWN, status == 0 ? m : NULL,
                 status == 0 ? svc : NULL);
    json_decref(op->body);
    op->body = NULL;
    desk_op_free(op);
}

static void on_inbound_stored(void *cbdata, int status, const store_desk_msg_t *m,
                              const store_service_t *svc)
{
    desk_op_t *op = cbdata;
    int64_t ids[STORE_MAX_ATTACH];
    size_t n = 0;
    if (status != 0) {
        on_inbound_attached(op, status, NULL, NULL);
        return;
    }
    for (size_t i = 0; i < json_array_size(op->body) && n < STORE_MAX_ATTACH; i++)
        ids[n++] = json_integer_value(json_array_get(op->body, i));
    /* a redelivered message keeps the attachments it was stored with */
    desk_attach(op->desk, m, svc, 0, op->n[0], ids, m->duplicate ? 0 : n, on_inbound_attached, op);
}

/* The attachments are the customer's own (or there are none): store the message. */
static void on_inbound_checked(void *cbdata, int status)
{
    desk_op_t *op = cbdata;
    int rc = status;
    if (rc == 0 && op->desk == NULL)
        rc = -ESHUTDOWN;
    if (rc == 0)
        rc = store_desk_inbound(op->desk->store, op->n[0], op->secret, op->n[1] ? op->text : NULL,
                                on_inbound_stored, op);
    if (rc != 0)
        on_inbound_attached(op, rc, NULL, NULL);
}

static void host_inbound(void *data, srv_channel_t *ch, int64_t customer_id, const char *body,
                         const char *client_msg_id, const int64_t *attachment_ids, size_t n,
                         srv_channel_msg_done done, void *cbdata)
{
    srv_desk_t *desk = data;
    desk_op_t *op = desk_op_new(desk);
    op->ch = ch;
    op->msg_done = done;
    op->done_data = cbdata;
    op->n[0] = customer_id;
    /* while the check runs: the body in op->secret (owned), the client id in op->text, n[1] */
    op->secret = xstrdup(body != NULL ? body : "");
    op->n[1] = client_msg_id != NULL && client_msg_id[0] != '\0' &&
               strlen(client_msg_id) < sizeof(op->text);
    if (op->n[1])
        memcpy(op->text, client_msg_id, strlen(client_msg_id) + 1);
    op->body = json_array();
    for (size_t i = 0; i < n && i < STORE_MAX_ATTACH; i++)
        json_array_append_new(op->body, json_integer(attachment_ids[i]));
    if (n == 0) {
        on_inbound_checked(op, 0);
        return;
    }
    int rc = store_attachment_check_owned(desk->store, 0, customer_id, attachment_ids,
                                          n < STORE_MAX_ATTACH ? n : STORE_MAX_ATTACH,
                                          on_inbound_checked, op);
    if (rc != 0)
        on_inbound_checked(op, rc);
}

static void on_rated(void *cbdata, int status, const store_service_t *svc)
{
    desk_op_t *op = cbdata;
    if (op->desk != NULL && status == 0)
        desk_notify_service(op->desk, "service:updated", svc, 0, NULL);
    op->svc_done(op->done_data, op->desk != NULL ? status : -ESHUTDOWN, status == 0 ? svc : NULL);
    desk_op_free(op);
}

static void host_rating(void *data, srv_channel_t *ch, int64_t customer_id, int64_t service_id,
                        int rating, const char *comment, srv_channel_svc_done done, void *cbdata)
{
    srv_desk_t *desk = data;
    desk_op_t *op = desk_op_new(desk);
    op->ch = ch;
    op->svc_done = done;
    op->done_data = cbdata;
    int rc = store_desk_rate(desk->store, service_id, customer_id, rating, comment, on_rated, op);
    if (rc != 0) {
        desk_op_free(op);
        done(cbdata, rc, NULL);
    }
}

/* typing needs the customer's open service first */
static void on_customer_service(void *cbdata, int status, const store_service_list_t *l)
{
    desk_op_t *op = cbdata;
    if (op->desk != NULL && status == 0 && l->count > 0) {
        const store_service_t *svc = &l->items[0];
        desk_notify_about(op->desk, "typing", svc, 0,
                          json_pack("{s:I,s:s,s:b}", "serviceId", (json_int_t)svc->id, "from",
                                    "customer", "typing", op->n[1] != 0));
    }
    desk_op_free(op);
}

static void host_typing(void *data, srv_channel_t *ch, int64_t customer_id, bool typing)
{
    srv_desk_t *desk = data;
    UNUSED(ch);
    desk_op_t *op = desk_op_new(desk);
    op->n[1] = typing;
    store_service_filter_t f = {.customer_id = customer_id, .status = 1, .limit = 1};
    if (store_desk_service_list(desk->store, &f, on_customer_service, op) != 0)
        desk_op_free(op);
}

static void on_marked(void *cbdata, int status, int64_t seq)
{
    desk_op_t *op = cbdata;
    if (op->desk != NULL && status == 0 && seq > 0 && op->svc != NULL)
        desk_notify_about(op->desk, "message:status", op->svc, 0,
                          json_pack("{s:I,s:s,s:I,s:s}", "serviceId", (json_int_t)op->svc->id,
                                    "direction", "out", "upToSeq", (json_int_t)seq, "state",
                                    "read"));
    desk_op_free(op);
}

static void on_read_service(void *cbdata, int status, const store_service_t *svc)
{
    desk_op_t *op = cbdata;
    if (op->desk == NULL || status != 0 || svc->customer_id != op->n[0]) {
        desk_op_free(op);
        return;
    }
    op->svc = store_service_dup(svc);
    if (store_desk_mark(op->desk->store, svc->id, STORE_DESK_OUT, op->n[1], STORE_MSG_READ,
                        on_marked, op) != 0)
        desk_op_free(op);
}

static void host_read(void *data, srv_channel_t *ch, int64_t customer_id, int64_t service_id,
                      int64_t seq)
{
    srv_desk_t *desk = data;
    UNUSED(ch);
    desk_op_t *op = desk_op_new(desk);
    op->n[0] = customer_id;
    op->n[1] = seq;
    if (store_desk_service_get(desk->store, service_id, on_read_service, op) != 0)
        desk_op_free(op);
}

/* a report of the channel on one of its outbound messages: n[0] message, n[1] seq, n[2] state,
 * text the error */
static void status_notify(desk_op_t *op)
{
    store_msg_state_t st = (store_msg_state_t)op->n[2];
    json_t *p = json_pack("{s:I,s:s,s:s}", "serviceId", (json_int_t)op->svc->id, "direction", "out",
                          "state", store_msg_state_name(st));
    if (op->n[1] > 0)
        json_object_set_new(p, st == STORE_MSG_FAILED ? "seq" : "upToSeq", json_integer(op->n[1]));
    if (st == STORE_MSG_FAILED)
        json_object_set_new(p, "messageId", json_integer(op->n[0]));
    if (st == STORE_MSG_FAILED)
        json_object_set_new(p, "error", desk_json_delivery_error(op->text));
    desk_notify_about(op->desk, "message:status", op->svc, 0, p);
    desk_op_free(op);
}

static void on_status_stored(void *cbdata, int status, int64_t n)
{
    desk_op_t *op = cbdata;
    bool failed = op->n[2] == STORE_MSG_FAILED;
    if (op->desk == NULL || status != 0 || (!failed && n == 0)) { /* nothing moved */
        desk_op_free(op);
        return;
    }
    if (!failed)
        op->n[1] = n; /* the highest seq that moved */
    status_notify(op);
}

static void on_status_service(void *cbdata, int status, const store_service_t *svc)
{
    desk_op_t *op = cbdata;
    if (op->desk == NULL || status != 0) {
        desk_op_free(op);
        return;
    }
    op->svc = store_service_dup(svc);
    int rc = op->n[2] == STORE_MSG_FAILED
                 ? store_desk_msg_fail(op->desk->store, op->n[0], op->text, on_status_stored, op)
                 : store_desk_mark(op->desk->store, svc->id, STORE_DESK_OUT, op->n[1],
                                   (store_msg_state_t)op->n[2], on_status_stored, op);
    if (rc != 0)
        desk_op_free(op);
}

static void host_status(void *data, srv_channel_t *ch, int64_t service_id, int64_t message_id,
                        int64_t seq, store_msg_state_t state, const char *error)
{
    srv_desk_t *desk = data;
    UNUSED(ch);
    if (state != STORE_MSG_DELIVERED && state != STORE_MSG_READ && state != STORE_MSG_FAILED)
        return;
    if (state != STORE_MSG_FAILED && seq <= 0)
        return;
    desk_op_t *op = desk_op_new(desk);
    op->n[0] = message_id;
    op->n[1] = seq;
    op->n[2] = state;
    snprintf(op->text, sizeof(op->text), "%s", error != NULL ? error : "");
    if (store_desk_service_get(desk->store, service_id, on_status_service, op) != 0)
        desk_op_free(op);
}

/* ---- deactivation ---- */

static void on_unqueued(void *cbdata, int status, const store_service_t *svc)
{
    desk_op_t *op = cbdata;
    if (op->desk != NULL && status == 0)
        desk_notify_service(op->desk, "service:assigned", svc, op->n[0],
                            json_pack("{s:I}", "previousAttendantId", (json_int_t)op->n[0]));
    desk_op_free(op);
}

static void on_held(void *cbdata, int status, const store_service_list_t *l)
{
    desk_op_t *op = cbdata;
    if (op->desk != NULL && status == 0) {
        for (size_t i = 0; i < l->count; i++) {
            desk_op_t *u = desk_op_new(op->desk);
            u->n[0] = op->n[0];
            if (store_desk_unassign(op->desk->store, l->items[i].id, on_unqueued, u) != 0)
                desk_op_free(u);
        }
    }
    desk_op_free(op);
}

void desk_user_deactivated(srv_desk_t *desk, int64_t user_id)
{
    desk_rt_drop_user(desk, user_id);
    srv_chat_disconnect_user(desk->chat, user_id);
    desk_op_t *op = desk_op_new(desk);
    op->n[0] = user_id;
    store_service_filter_t f = {.status = 1, .attendant_id = user_id, .limit = STORE_MAX_LIST};
    if (store_desk_service_list(desk->store, &f, on_held, op) != 0)
        desk_op_free(op);
}

/* ---- idle close ---- */

static void on_swept(void *cbdata, int status, const store_service_list_t *l)
{
    desk_op_t *op = cbdata;
    srv_desk_t *desk = op->desk;
    if (desk != NULL) {
        desk->sweeping = false;
        for (size_t i = 0; status == 0 && i < l->count; i++)
            desk_after_finish(desk, &l->items[i]);
    }
    desk_op_free(op);
}

/* after the calls of this node's attendants moved their services' activity to now */
static void sweep(desk_op_t *op)
{
    srv_desk_t *desk = op->desk;
    if (desk == NULL) {
        desk_op_free(op);
        return;
    }
    int64_t cutoff = (int64_t)time_now_ms() - (int64_t)desk->idle_close_ms;
    if (store_desk_idle_close(desk->store, cutoff, DESK_IDLE_BATCH, on_swept, op) != 0) {
        desk->sweeping = false;
        desk_op_free(op);
    }
}

static void on_idle_timer(uv_timer_t *t)
{
    srv_desk_t *desk = t->data;
    if (desk->sweeping)
        return;
    desk->sweeping = true;
    desk_op_t *op = desk_op_new(desk);
    op->then = sweep;
    desk_call_touch_services(op);
}

/* ---- the first admin ---- */

static void on_bootstrapped(void *cbdata, int status, const store_user_t *u)
{
    desk_op_t *op = cbdata;
    if (status == 0)
        log_info(DESK_LOG, "created the first admin %s (id %lld)", u->username, (long long)u->id);
    else if (status == -EEXIST)
        log_debug(DESK_LOG, "the desk has an admin: --admin-username is not used");
    else
        log_error(DESK_LOG, "could not create the first admin (%d)", status);
    desk_op_free(op);
}

static void on_admin_hash(int status, const char *hash, void *cbdata)
{
    desk_op_t *op = cbdata;
    if (op->desk == NULL || status != 0) {
        if (status != 0)
            log_error(DESK_LOG, "could not hash the first admin's password (%d)", status);
        desk_op_free(op);
        return;
    }
    const char *name = op->desk->conf->admin_username;
    if (store_desk_admin_bootstrap(op->desk->store, name, name, hash, on_bootstrapped, op) != 0) {
        log_error(DESK_LOG, "could not create the first admin");
        desk_op_free(op);
    }
}

static void on_admin_count(void *cbdata, int status, int64_t n)
{
    desk_op_t *op = cbdata;
    srv_desk_t *desk = op->desk;
    desk_op_free(op);
    if (desk == NULL || status != 0 || n > 0)
        return;
    char token[44];
    desk_token_new(token);
    desk_token_hash(token, desk->setup_hash);
    desk->setup_expires_at = (int64_t)time_now_ms() + DESK_RESET_TTL_MS;
    log_warn(DESK_LOG,
             "the desk has no admin yet: open /desk/setup?token=%s (one-time, valid 24 h, this "
             "node only) or POST /v1/api/desk/setup {token, username, password}; or start with "
             "--admin-username and --admin-password-file",
             token);
    sodium_memzero(token, sizeof(token));
}

void srv_desk_start(srv_desk_t *desk)
{
    desk_op_t *op = desk_op_new(desk);
    if (desk->admin_password != NULL) {
        if (srv_password_hash(desk->loop, desk->admin_password, strlen(desk->admin_password),
                              on_admin_hash, op) != 0) {
            log_error(DESK_LOG, "could not queue the first admin's password hash");
            desk_op_free(op);
        }
        sodium_memzero(desk->admin_password, strlen(desk->admin_password));
        free(desk->admin_password);
        desk->admin_password = NULL;
    } else if (store_desk_admin_count(desk->store, on_admin_count, op) != 0) {
        log_error(DESK_LOG, "could not count the admins");
        desk_op_free(op);
    }
    if (desk->whatsapp != NULL)
        srv_whatsapp_start(desk->whatsapp);
    if (desk->idle_close_ms > 0) {
        uint64_t every = desk->idle_close_ms / 4;
        if (every > 30000)
            every = 30000;
        if (every < 100)
            every = 100;
        uv_timer_start(&desk->idle_timer, on_idle_timer, every, every);
    }
}

/* ---- life ---- */

srv_desk_t *srv_desk_new(uv_loop_t *loop, const srv_config_t *conf, store_t *store,
                         sio_server_t *io, srv_chat_t *chat)
{
    if (sodium_init() < 0)
        return NULL;
    char *admin_pw = NULL;
    if (conf->admin_username != NULL) {
        size_t n = strlen(conf->admin_username);
        if (n < DESK_USERNAME_MIN || n > DESK_USERNAME_MAX ||
            srv_check_username(conf->admin_username, n) != NULL) {
            log_error(DESK_LOG, "--admin-username must be %d to %d letters, digits, '_', '.', '-'",
                      DESK_USERNAME_MIN, DESK_USERNAME_MAX);
            return NULL;
        }
        if (conf->admin_password_file == NULL) {
            log_error(DESK_LOG, "--admin-username needs --admin-password-file");
            return NULL;
        }
        admin_pw = srv_read_secret_file(conf->admin_password_file, DESK_PASSWORD_MIN,
                                        DESK_PASSWORD_MAX * 4);
        if (admin_pw == NULL) {
            log_error(DESK_LOG, "cannot read a password of %d to %d characters from %s",
                      DESK_PASSWORD_MIN, DESK_PASSWORD_MAX, conf->admin_password_file);
            return NULL;
        }
    }
    const char *why = NULL;
    json_t *ice = srv_call_ice_servers_parse(conf->webrtc_ice_servers, &why);
    if (ice == NULL) {
        log_error(DESK_LOG, "--webrtc-ice-servers must be %s", why);
        if (admin_pw != NULL) {
            sodium_memzero(admin_pw, strlen(admin_pw));
            free(admin_pw);
        }
        return NULL;
    }
    srv_desk_t *desk = xcalloc(1, sizeof(*desk));
    desk->loop = loop;
    desk->conf = conf;
    desk->store = store;
    desk->io = io;
    desk->chat = chat;
    desk->admin_password = admin_pw;
    desk->idle_close_ms = (uint64_t)conf->desk_idle_close_s * 1000;
    desk->jwt_key = srv_chat_jwt_key(chat, &desk->jwt_key_len);
    desk->ice_servers = ice;
    /* visitor tokens: a key of their own, so neither kind of token passes for the other */
    crypto_generichash_state st;
    crypto_generichash_init(&st, NULL, 0, sizeof(desk->visitor_key));
    crypto_generichash_update(&st, desk->jwt_key, desk->jwt_key_len);
    crypto_generichash_update(&st, (const unsigned char *)"sioc desk visitor tokens", 24);
    crypto_generichash_final(&st, desk->visitor_key, sizeof(desk->visitor_key));
    desk->host = (srv_channel_host_t){.data = desk,
                                      .on_inbound = host_inbound,
                                      .on_rating = host_rating,
                                      .on_typing = host_typing,
                                      .on_read = host_read,
                                      .on_status = host_status,
                                      .on_call = desk_host_call};
    desk->widget =
        srv_widget_new(loop, store, io, desk->visitor_key, sizeof(desk->visitor_key), &desk->host);
    desk->channels[desk->n_channels++] = desk->widget;
    if (io != NULL)
        desk->rt = desk_rt_new(desk, io);
    uv_timer_init(loop, &desk->idle_timer);
    desk->idle_timer.data = desk;
    desk->idle_timer_open = true;
    if (srv_whatsapp_new(loop, conf, store, &desk->host, &desk->whatsapp) != 0) {
        srv_desk_free(desk);
        return NULL;
    }
    if (desk->whatsapp != NULL)
        desk->channels[desk->n_channels++] = desk->whatsapp;
    return desk;
}

static int whatsapp_off(h2o_req_t *req, void *data)
{
    UNUSED(data);
    srv_http_send_error(req, 404, "no-store", "channel_not_configured",
                        "WhatsApp is not configured (--whatsapp-phone-number-id)");
    return 0;
}

int srv_desk_register_routes(srv_desk_t *desk, srv_http_t *http)
{
    int rc = srv_http_add_handler(http, "/v1/api/desk", desk_rest_handle, desk);
    if (rc == 0)
        rc = srv_http_add_handler(http, "/v1/api/widget", desk_rest_handle, desk);
    if (rc == 0 && desk->whatsapp != NULL)
        rc = srv_whatsapp_register_routes(desk->whatsapp, http);
    else if (rc == 0) /* the webhook's path says why it is not there */
        rc = srv_http_add_handler(http, "/v1/api/whatsapp", whatsapp_off, desk);
    return rc;
}

static void on_timer_closed(uv_handle_t *h)
{
    free(h->data);
}

const uint8_t *srv_desk_visitor_key(const srv_desk_t *desk, size_t *len)
{
    *len = sizeof(desk->visitor_key);
    return desk->visitor_key;
}

void srv_desk_set_media(srv_desk_t *desk, srv_media_t *media)
{
    if (desk->whatsapp != NULL)
        srv_whatsapp_set_media(desk->whatsapp, media);
}

void srv_desk_free(srv_desk_t *desk)
{
    if (desk == NULL)
        return;
    for (desk_op_t *op = desk->ops; op != NULL; op = op->next)
        op->desk = NULL;
    desk_rt_free(desk);
    for (size_t i = 0; i < desk->n_channels; i++)
        srv_channel_free(desk->channels[i]);
    if (desk->admin_password != NULL) {
        sodium_memzero(desk->admin_password, strlen(desk->admin_password));
        free(desk->admin_password);
    }
    sodium_memzero(desk->visitor_key, sizeof(desk->visitor_key));
    json_decref(desk->ice_servers);
    /* work in flight holds orphaned ops only; the memory goes with the timer handle */
    uv_timer_stop(&desk->idle_timer);
    uv_close((uv_handle_t *)&desk->idle_timer, on_timer_closed);
}
