/* alert_queue: see alert_queue.h. */
#include "runner/alert_queue.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "runner/metrics.h"

#define RETRY_MS 1000

struct item {
    struct alert a;
    int outboxed; /* came with its alert_id: its outbox row backs it */
    char kind[16];
    char *name;
    char *url;
    struct alert_queue *q;
    struct item *next;
};

struct alert_queue {
    struct redis_async *ra;
    alert_published_fn on_published;
    void *arg;
    char prefix[80];
    int max;
    struct item *head, *tail; /* waiting to be sent */
    int queued;
    int inflight; /* sent, reply not in yet */
    struct event *retry;
    int closing;
};

static void item_free(struct item *it)
{
    if (!it)
        return;
    json_decref(it->a.details);
    free(it->name);
    free(it->url);
    free(it);
}

static void enqueue_front(struct alert_queue *q, struct item *it)
{
    it->next = q->head;
    q->head = it;
    if (!q->tail)
        q->tail = it;
    q->queued++;
}

/* An alert that will not be sent from here: an outbox alert waits for the sweep, any
 * other is lost. */
static void give_up(const struct item *it, const char *why)
{
    if (it->outboxed) {
        log_warn("alert %s: %s for monitor %lld not published %s; its outbox row remains for "
                 "the sweep",
                 it->a.alert_id, it->a.kind, (long long)it->a.monitor_id, why);
        return;
    }
    metrics_alerts_dropped(1);
    log_error("alert %s: %s for monitor %lld lost %s", it->a.alert_id[0] ? it->a.alert_id : "-",
              it->a.kind, (long long)it->a.monitor_id, why);
}

static void on_xadd(redisAsyncContext *c, void *reply, void *privdata)
{
    struct item *it = privdata;
    struct alert_queue *q = it->q;
    redisReply *r = reply;
    struct timeval tv = {RETRY_MS / 1000, (RETRY_MS % 1000) * 1000};

    q->inflight--;
    if (r && r->type == REDIS_REPLY_STRING) {
        metrics_alert_published();
        log_info("alert %s: %s for monitor %lld published", it->a.alert_id, it->a.kind,
                 (long long)it->a.monitor_id);
        if (it->outboxed && q->on_published)
            q->on_published(it->a.alert_id, q->arg);
        item_free(it);
        return;
    }
    if (q->closing) {
        give_up(it, "at exit");
        item_free(it);
        return;
    }
    log_warn("alert %s: not published (%s); retrying", it->a.alert_id,
             r && r->type == REDIS_REPLY_ERROR ? r->str : "Redis connection lost");
    enqueue_front(q, it);
    evtimer_add(q->retry, &tv);
}

static void send_all(struct alert_queue *q)
{
    while (q->head && redis_async_connected(q->ra)) {
        struct item *it = q->head;
        struct alert_xadd cmd;
        if (alert_xadd_build(&it->a, q->prefix, &cmd) != 0)
            break;
        if (redis_async_command_argv(q->ra, on_xadd, it, cmd.argc, cmd.argv, cmd.lens) != 0) {
            alert_xadd_free(&cmd);
            break;
        }
        alert_xadd_free(&cmd);
        q->head = it->next;
        if (!q->head)
            q->tail = NULL;
        q->queued--;
        q->inflight++;
    }
}

static void on_retry(evutil_socket_t fd, short what, void *arg)
{
    struct alert_queue *q = arg;
    struct timeval tv = {RETRY_MS / 1000, (RETRY_MS % 1000) * 1000};

    send_all(q);
    if (q->head)
        evtimer_add(q->retry, &tv);
}

struct alert_queue *alert_queue_new(struct event_base *base, struct redis_async *ra,
                                    const char *prefix, int max, alert_published_fn on_published,
                                    void *arg)
{
    struct alert_queue *q = calloc(1, sizeof(*q));

    if (!q)
        return NULL;
    q->ra = ra;
    q->on_published = on_published;
    q->arg = arg;
    q->max = max;
    snprintf(q->prefix, sizeof(q->prefix), "%s", prefix);
    q->retry = evtimer_new(base, on_retry, q);
    if (!q->retry) {
        free(q);
        return NULL;
    }
    return q;
}

void alert_queue_free(struct alert_queue *q)
{
    if (!q)
        return;
    alert_queue_abandon(q);
    event_free(q->retry);
    free(q);
}

int alert_queue_push(struct alert_queue *q, const struct alert *a)
{
    struct item *it;
    struct timeval tv = {RETRY_MS / 1000, (RETRY_MS % 1000) * 1000};

    struct item stack_item = {.outboxed = a->alert_id[0] != '\0', .a = *a};

    it = calloc(1, sizeof(*it));
    if (!it) {
        give_up(&stack_item, "(out of memory)");
        return -1;
    }
    it->outboxed = stack_item.outboxed;
    it->a.kind = a->kind;
    it->a.monitor_id = a->monitor_id;
    if (it->outboxed) {
        memcpy(it->a.alert_id, a->alert_id, sizeof(it->a.alert_id));
    } else if (alert_new_id(it->a.alert_id) != 0) {
        give_up(it, "(no randomness for an id)");
        free(it);
        return -1;
    }
    if (q->queued + q->inflight >= q->max) {
        char why[64];
        snprintf(why, sizeof(why), "(%d alerts already wait for Redis)", q->queued + q->inflight);
        give_up(it, why);
        free(it);
        return -1;
    }
    it->q = q;
    snprintf(it->kind, sizeof(it->kind), "%s", a->kind);
    it->name = strdup(a->monitor_name ? a->monitor_name : "");
    it->url = strdup(a->url ? a->url : "");
    if (!it->name || !it->url) {
        give_up(it, "(out of memory)");
        item_free(it);
        return -1;
    }
    it->a.kind = it->kind;
    it->a.user_id = a->user_id;
    it->a.channel_id = a->channel_id;
    it->a.monitor_id = a->monitor_id;
    it->a.monitor_name = it->name;
    it->a.url = it->url;
    it->a.time_ms = a->time_ms;
    it->a.details = a->details ? json_incref(a->details) : NULL;
    if (q->tail)
        q->tail->next = it;
    else
        q->head = it;
    q->tail = it;
    q->queued++;
    send_all(q);
    if (q->head)
        evtimer_add(q->retry, &tv);
    return 0;
}

void alert_queue_kick(struct alert_queue *q)
{
    send_all(q);
}

int alert_queue_pending(const struct alert_queue *q)
{
    return q->queued + q->inflight;
}

void alert_queue_abandon(struct alert_queue *q)
{
    q->closing = 1;
    while (q->head) {
        struct item *it = q->head;
        q->head = it->next;
        give_up(it, "at exit");
        item_free(it);
    }
    q->tail = NULL;
    q->queued = 0;
}
