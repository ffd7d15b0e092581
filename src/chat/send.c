/* send.c - the one path every new message takes (REST POST and the Socket.IO
 * `message:send`): sends to one chat are serialized (one store_message_send in flight per chat),
 * so the order in which messages are committed, acknowledged and broadcast is the order in which
 * they arrived, whatever the storage backend does with concurrent transactions (a pool of
 * PostgreSQL connections could otherwise commit or answer out of order).
 *
 * For each message: store (commit) -> the sender's callback (its ack or HTTP answer) -> the
 * broadcast of `message:new` to the chat's room (skipped for a duplicate client id) -> the next
 * queued send of that chat. A message with attachments (linked in the send's transaction) has
 * them read back (store_attachment_list) before its callback and broadcast, so both carry the
 * same `attachments` array. A client id already used by the author in another chat is refused
 * with -EEXIST. Queues live in a small hash of chat ids and are freed when empty. */
#include "src/chat/internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

typedef struct st_send_item_t {
    struct st_send_item_t *next;
    struct st_send_queue_t *queue; /* NULL once the service is gone (orphaned in flight) */
    int64_t chat_id, author_id;
    char *body, *client_id;
    int64_t att_ids[STORE_MAX_ATTACH];
    size_t n_att;
    store_message_t *stored; /* the stored message while its attachments are read */
    chat_send_cb cb;
    void *cbdata;
} send_item_t;

typedef struct st_send_queue_t {
    struct st_send_queue_t *next; /* hash chain */
    srv_chat_t *chat;
    int64_t chat_id;
    send_item_t *head, *tail; /* head is in flight */
} send_queue_t;

#define NBUCKETS 256

struct st_chat_sendq_t {
    send_queue_t *buckets[NBUCKETS];
};

chat_sendq_t *chat_sendq_new(void)
{
    return xcalloc(1, sizeof(chat_sendq_t));
}

static void item_free(send_item_t *it)
{
    store_message_free(it->stored);
    free(it->body);
    free(it->client_id);
    free(it);
}

void chat_sendq_free(chat_sendq_t *q)
{
    if (q == NULL)
        return;
    for (size_t b = 0; b < NBUCKETS; b++) {
        send_queue_t *sq = q->buckets[b];
        while (sq != NULL) {
            send_queue_t *next = sq->next;
            send_item_t *it = sq->head;
            /* the head is in flight: its storage callback will run later and free it */
            if (it != NULL) {
                it->queue = NULL;
                it = it->next;
            }
            while (it != NULL) {
                send_item_t *n = it->next;
                it->cb(it->cbdata, -ESHUTDOWN, NULL, NULL);
                item_free(it);
                it = n;
            }
            free(sq);
            sq = next;
        }
    }
    free(q);
}

static send_queue_t **find(chat_sendq_t *q, int64_t chat_id)
{
    send_queue_t **pp = &q->buckets[(uint64_t)chat_id % NBUCKETS];
    while (*pp != NULL && (*pp)->chat_id != chat_id)
        pp = &(*pp)->next;
    return pp;
}

static void issue(send_queue_t *sq);

/* The message is stored (or failed): the sender's callback, the broadcast, the next send. */
static void deliver(send_item_t *it, int status, const store_message_t *m, json_t *attachments)
{
    send_queue_t *sq = it->queue;
    it->cb(it->cbdata, status, m, attachments);
    if (sq != NULL) {
        if (status == 0 && !m->duplicate) {
            json_t *o = chat_json_message(m);
            json_object_set_new(o, "reactions", json_array());
            json_object_set(o, "attachments", attachments);
            chat_notify_chat(sq->chat, m->chat_id, "message:new", o);
            json_decref(o);
        }
        sq->head = it->next;
        if (sq->head == NULL)
            sq->tail = NULL;
    }
    item_free(it);
    if (sq != NULL) {
        if (sq->head != NULL) {
            issue(sq);
        } else {
            send_queue_t **pp = find(sq->chat->sendq, sq->chat_id);
            *pp = sq->next;
            free(sq);
        }
    }
}

static void on_attachments(void *cbdata, int status, const store_attachment_list_t *list)
{
    send_item_t *it = cbdata;
    /* the message is committed: a failed read only leaves its attachments out of this answer */
    json_t *arr = srv_media_json_for(status == 0 ? list : NULL, it->stored->id);
    deliver(it, 0, it->stored, arr);
    json_decref(arr);
}

static void on_stored(void *cbdata, int status, const store_message_t *m)
{
    send_item_t *it = cbdata;
    /* client ids are unique per author across chats: a retry must name the same chat */
    if (status == 0 && m->duplicate && m->chat_id != it->chat_id) {
        status = -EEXIST;
        m = NULL;
    }
    if (status == 0 && (it->n_att > 0 || m->duplicate)) {
        it->stored = store_message_dup(m);
        if (store_attachment_list(it->queue != NULL ? it->queue->chat->store : NULL, STORE_ATT_CHAT,
                                  &m->id, 1, on_attachments, it) == 0)
            return;
    }
    json_t *arr = status == 0 ? json_array() : NULL;
    deliver(it, status, m, arr);
    json_decref(arr);
}

/* Issues the head of `sq`; a call refused at once fails that item and moves on. */
static void issue(send_queue_t *sq)
{
    while (sq->head != NULL) {
        send_item_t *it = sq->head;
        int rc = store_message_send_with(sq->chat->store, it->chat_id, it->author_id, it->body,
                                         it->client_id, it->att_ids, it->n_att, on_stored, it);
        if (rc == 0)
            return;
        sq->head = it->next;
        it->cb(it->cbdata, rc, NULL, NULL);
        item_free(it);
    }
    sq->tail = NULL;
    *find(sq->chat->sendq, sq->chat_id) = sq->next;
    free(sq);
}

void chat_send_message(srv_chat_t *chat, int64_t chat_id, int64_t author_id, const char *body,
                       const char *client_id, const int64_t *attachment_ids, size_t n_attachments,
                       chat_send_cb cb, void *cbdata)
{
    send_queue_t **pp = find(chat->sendq, chat_id), *sq = *pp;
    send_item_t *it = xcalloc(1, sizeof(*it));
    bool idle = sq == NULL;
    it->chat_id = chat_id;
    it->author_id = author_id;
    it->body = xstrdup(body);
    it->client_id = client_id != NULL ? xstrdup(client_id) : NULL;
    it->n_att = n_attachments < STORE_MAX_ATTACH ? n_attachments : STORE_MAX_ATTACH;
    if (it->n_att > 0)
        memcpy(it->att_ids, attachment_ids, it->n_att * sizeof(*it->att_ids));
    it->cb = cb;
    it->cbdata = cbdata;
    if (sq == NULL) {
        sq = *pp = xcalloc(1, sizeof(*sq));
        sq->chat = chat;
        sq->chat_id = chat_id;
    }
    it->queue = sq;
    if (sq->tail != NULL)
        sq->tail->next = it;
    else
        sq->head = it;
    sq->tail = it;
    if (idle)
        issue(sq);
}
