/* fanout: see fanout.h. */
#include "notifier/fanout.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "notifier/consume.h"
#include "notifier/deliver.h"
#include "notifier/notifier.h"
#include "notifier/pgarray.h"
#include "notifier/pgq.h"
#include "notifier/prov_webhook.h"
#include "notifier/template.h"

#define BATCH 200
#define RETRY_MS 1000
#define MAX_REFUSALS 5 /* a statement the server keeps refusing is not retried forever */

struct batch {
    struct fanout *f;
    struct job *jobs[BATCH];
    int n;
};

struct fanout {
    struct notifier *n;
    struct job *head, *tail; /* waiting */
    int running;             /* statements in flight */
    int refusals;            /* consecutive PGQ_ERROR */
    struct event *kick;
    struct event *retry;
};

static void run(struct fanout *f);

int fanout_prepare(struct delivery *d, const char *provider, const json_t *config,
                   const struct alert_event *ev)
{
    const json_t *tmpl = json_object_get(config, "template");
    const json_t *v;

    snprintf(d->kind, sizeof(d->kind), "%s", ev->kind);
    snprintf(d->alert_id, sizeof(d->alert_id), "%s", ev->alert_id);
    if (strcmp(provider, "telegram") == 0) {
        d->provider = PROVIDER_TELEGRAM;
        v = json_object_get(config, "chat_id");
        if (json_is_string(v) && json_string_length(v) > 0 && json_string_length(v) < 32)
            d->target = strdup(json_string_value(v));
        else if (json_is_integer(v)) {
            char buf[32];
            snprintf(buf, sizeof(buf), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
            d->target = strdup(buf);
        }
        d->text = template_render(tmpl, ev, TEMPLATE_HTML);
        d->line = template_line(ev, TEMPLATE_HTML);
        return d->text && d->line ? 0 : -1;
    }
    if (strcmp(provider, "webhook") == 0) {
        d->provider = PROVIDER_WEBHOOK;
        v = json_object_get(config, "url");
        if (json_is_string(v) && json_string_length(v) > 0)
            d->target = strdup(json_string_value(v));
        v = json_object_get(config, "secret");
        if (json_is_string(v) && json_string_length(v) > 0)
            d->secret = strdup(json_string_value(v));
        d->text = template_render(tmpl, ev, TEMPLATE_PLAIN);
        d->body = d->text ? webhook_body(ev, d->text) : NULL;
        return d->text && d->body ? 0 : -1;
    }
    /* console, and anything the schema may allow later: printed, so it is never lost */
    d->provider = PROVIDER_CONSOLE;
    d->text = template_render(tmpl, ev, TEMPLATE_PLAIN);
    return d->text ? 0 : -1;
}

/* Row: ord, channel_id, provider, config, log_id, status, attempts, payload */
static void make_delivery(struct fanout *f, struct job *j, PGresult *res, int r)
{
    const char *log_id = PQgetisnull(res, r, 4) ? NULL : PQgetvalue(res, r, 4);
    const char *status = PQgetvalue(res, r, 5);
    json_t *config = NULL, *payload = NULL;
    struct delivery *d = NULL;

    if (!log_id) {
        /* Another notifier inserted the row after this statement's snapshot: it holds the
         * alert right now. Leave the entry pending; a take-over reads the row later. */
        j->uncertain = 1;
        return;
    }
    if (strcmp(status, "pending") != 0)
        return; /* delivered or failed before: a redelivered event sends nothing again */
    config = json_loads(PQgetvalue(res, r, 3), 0, NULL);
    d = delivery_new();
    if (!d || !config)
        goto oom;
    d->log_id = strtoll(log_id, NULL, 10);
    d->channel_id = strtoll(PQgetvalue(res, r, 1), NULL, 10);
    d->attempts = atoi(PQgetvalue(res, r, 6));
    if (!PQgetisnull(res, r, 7)) {
        payload = json_loads(PQgetvalue(res, r, 7), 0, NULL);
        json_t *ps = json_object_get(payload, "parts_sent");
        if (json_is_integer(ps) && json_integer_value(ps) > 0 && json_integer_value(ps) < 100)
            d->parts_sent = (int)json_integer_value(ps);
        json_decref(payload);
    }
    if (fanout_prepare(d, PQgetvalue(res, r, 2), config, &j->ev) != 0)
        goto oom;
    d->xadd_ms = j->xadd_ms;
    d->job = j;
    job_ref(j);
    json_decref(config);
    deliver_submit(f->n->deliver, d);
    return;
oom:
    json_decref(config);
    delivery_free(d);
    j->uncertain = 1;
}

static void on_batch(enum pgq_status st, PGresult *res, const char *err, void *arg)
{
    struct batch *b = arg;
    struct fanout *f = b->f;

    f->running--;
    if (st != PGQ_OK) {
        /* The statement is idempotent (the rows are unique): run the batch again later.
         * A statement refused again and again (a bug, a constraint) stops being retried
         * here: the entries stay pending and a take-over tries again much later. */
        int give_up = f->n->stopping || (st == PGQ_ERROR && ++f->refusals >= MAX_REFUSALS);
        log_warn("fan-out of %d alerts failed (%s)%s", b->n, err,
                 give_up ? "; left pending for a take-over" : "; again in a second");
        for (int i = b->n - 1; i >= 0; i--) {
            struct job *j = b->jobs[i];
            if (give_up) {
                consume_job_release(f->n->consume, j, 0);
                continue;
            }
            j->qnext = f->head; /* back at the front, in order */
            f->head = j;
            if (!f->tail)
                f->tail = j;
        }
        if (!give_up) {
            struct timeval tv = {RETRY_MS / 1000, (RETRY_MS % 1000) * 1000};
            evtimer_add(f->retry, &tv);
        }
        free(b);
        return;
    }
    f->refusals = 0;
    for (int r = 0; r < PQntuples(res); r++) {
        int ord = atoi(PQgetvalue(res, r, 0));
        if (ord < 1 || ord > b->n)
            continue;
        make_delivery(f, b->jobs[ord - 1], res, r);
    }
    for (int i = 0; i < b->n; i++) {
        struct job *j = b->jobs[i];
        if (j->refs == 1 && !j->uncertain)
            log_debug("alert %s: no active channel to deliver to", j->ev.alert_id);
        consume_job_release(f->n->consume, j, 1); /* the fan-out's own reference */
    }
    free(b);
    run(f);
}

static void run(struct fanout *f)
{
    static const char sql[] =
        "WITH ev AS ("
        " SELECT * FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::bigint[], $5::text[])"
        " WITH ORDINALITY AS e(alert_id, user_id, channel_id, monitor_id, kind, ord)),"
        " target AS ("
        " SELECT ev.ord, ev.alert_id, ev.kind, c.id AS channel_id, c.provider, c.config,"
        " (SELECT m.id FROM monitors m WHERE m.id = ev.monitor_id) AS monitor_id"
        " FROM ev JOIN notification_channels c ON c.user_id = ev.user_id"
        " AND ((ev.channel_id = 0 AND c.is_active) OR c.id = ev.channel_id)),"
        " ins AS ("
        " INSERT INTO notification_log (alert_id, channel_id, monitor_id, kind)"
        " SELECT DISTINCT ON (alert_id, channel_id) alert_id, channel_id, monitor_id, kind"
        " FROM target ON CONFLICT (alert_id, channel_id) DO NOTHING"
        " RETURNING id, alert_id, channel_id, status, attempts, payload)"
        " SELECT t.ord, t.channel_id, t.provider, t.config::text, COALESCE(i.id, l.id),"
        " COALESCE(i.status, l.status), COALESCE(i.attempts, l.attempts),"
        " COALESCE(i.payload, l.payload)::text"
        " FROM target t"
        " LEFT JOIN ins i ON i.alert_id = t.alert_id AND i.channel_id = t.channel_id"
        " LEFT JOIN notification_log l ON l.alert_id = t.alert_id AND l.channel_id = t.channel_id"
        " ORDER BY t.ord, t.channel_id";

    while (f->head && f->running < f->n->cfg->db_connections) {
        struct batch *b = calloc(1, sizeof(*b));
        struct strbuf a[5];
        int ok = 0;

        if (!b)
            return;
        b->f = f;
        for (int k = 0; k < 5; k++) {
            strbuf_init(&a[k], 16u * 1024 * 1024);
            pgarray_begin(&a[k]);
        }
        while (f->head && b->n < BATCH) {
            struct job *j = f->head;
            f->head = j->qnext;
            if (!f->head)
                f->tail = NULL;
            j->qnext = NULL;
            b->jobs[b->n++] = j;
            /* alert_id and kind were checked to be [A-Za-z0-9_-]; quoted all the same. */
            pgarray_text(&a[0], j->ev.alert_id);
            pgarray_int(&a[1], j->ev.user_id);
            pgarray_int(&a[2], j->ev.channel_id);
            pgarray_int(&a[3], j->ev.monitor_id);
            pgarray_text(&a[4], j->ev.kind);
        }
        for (int k = 0; k < 5; k++)
            pgarray_end(&a[k]);
        const char *params[5];
        for (int k = 0; k < 5; k++)
            params[k] = strbuf_str(&a[k]);
        if (!a[0].oom && !a[4].oom && pgq_exec(f->n->pg, sql, 5, params, on_batch, b) == 0) {
            f->running++;
            ok = 1;
        }
        for (int k = 0; k < 5; k++)
            strbuf_free(&a[k]);
        if (!ok) {
            /* The statement queue is full: put the batch back and try in a second. */
            for (int i = b->n - 1; i >= 0; i--) {
                b->jobs[i]->qnext = f->head;
                f->head = b->jobs[i];
                if (!f->tail)
                    f->tail = b->jobs[i];
            }
            free(b);
            struct timeval tv = {RETRY_MS / 1000, (RETRY_MS % 1000) * 1000};
            evtimer_add(f->retry, &tv);
            return;
        }
    }
}

static void on_kick(evutil_socket_t fd, short what, void *arg)
{
    run(arg);
}

struct fanout *fanout_new(struct notifier *n)
{
    struct fanout *f = calloc(1, sizeof(*f));
    if (!f)
        return NULL;
    f->n = n;
    f->kick = event_new(n->base, -1, 0, on_kick, f);
    f->retry = evtimer_new(n->base, on_kick, f);
    if (!f->kick || !f->retry) {
        fanout_free(f);
        return NULL;
    }
    return f;
}

void fanout_free(struct fanout *f)
{
    if (!f)
        return;
    if (f->kick)
        event_free(f->kick);
    if (f->retry)
        event_free(f->retry);
    free(f);
}

void fanout_submit(struct fanout *f, struct job *j)
{
    j->qnext = NULL;
    if (f->tail)
        f->tail->qnext = j;
    else
        f->head = j;
    f->tail = j;
    /* Batched after this loop turn: a whole XREADGROUP reply goes in one statement. */
    event_active(f->kick, EV_TIMEOUT, 0);
}

int fanout_idle(const struct fanout *f)
{
    return f->head == NULL && f->running == 0;
}
