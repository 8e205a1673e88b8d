/* deliver: see deliver.h.
 *
 * Every write that records an outcome is a compare-and-set on (id, attempts, status
 * 'pending'), so running it twice changes nothing: a statement that failed is simply run
 * again a second later. The stream entry is released only after the row (and for a retry
 * the retry queue) holds the outcome. */
#include "notifier/deliver.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/jsonutil.h"
#include "common/log.h"
#include "common/timeutil.h"
#include "notifier/consume.h"
#include "notifier/metrics.h"
#include "notifier/notifier.h"
#include "notifier/pgarray.h"
#include "notifier/pgq.h"
#include "notifier/prov_console.h"
#include "notifier/prov_webhook.h"
#include "notifier/tgqueue.h"

#define CLAIM_BATCH 200
#define ARRAY_MAX (64u * 1024 * 1024)
#define SQL_RETRY_MS 1000
#define SQL_TRIES 30 /* about half a minute of database outage before giving up */

static long deliveries_alive;

struct deliver {
    struct notifier *n;
    struct delivery *to_claim, *to_claim_tail; /* console and webhook, claimed in batches */
    size_t nto_claim;
    struct event *kick;
    long ops; /* statements and Redis commands of this module in flight */
};

/* ---- deliveries ---- */

struct delivery *delivery_new(void)
{
    struct delivery *d = calloc(1, sizeof(*d));
    if (d)
        deliveries_alive++;
    return d;
}

void delivery_free(struct delivery *d)
{
    if (!d)
        return;
    free(d->text);
    free(d->line);
    free(d->target);
    free(d->secret);
    free(d->body);
    free(d);
    deliveries_alive--;
}

static enum metrics_provider mprov(const struct delivery *d)
{
    return d->provider == PROVIDER_TELEGRAM  ? METRICS_TELEGRAM
           : d->provider == PROVIDER_WEBHOOK ? METRICS_WEBHOOK
                                             : METRICS_CONSOLE;
}

static const char *provider_name(enum provider p)
{
    return p == PROVIDER_TELEGRAM ? "telegram" : p == PROVIDER_WEBHOOK ? "webhook" : "console";
}

json_t *delivery_payload(const struct delivery *d)
{
    json_t *p = json_object();
    if (!p)
        return NULL;
    json_object_set_new(p, "kind", json_string(d->kind));
    if (d->text)
        json_object_set_new(p, "text", json_string(d->text));
    if (d->line)
        json_object_set_new(p, "line", json_string(d->line));
    if (d->provider == PROVIDER_TELEGRAM) {
        if (d->target)
            json_object_set_new(p, "chat_id", json_string(d->target));
        json_object_set_new(p, "parse_mode", json_string("HTML"));
        if (d->parts_sent)
            json_object_set_new(p, "parts_sent", json_integer(d->parts_sent));
    } else if (d->provider == PROVIDER_WEBHOOK) {
        if (d->target)
            json_object_set_new(p, "url", json_string(d->target));
        /* The body as the exact text sent: a retry sends the same bytes (receivers may
         * deduplicate by them), and the signature in the log matches them. */
        if (d->body)
            json_object_set_new(p, "body", json_string(d->body));
    }
    return p;
}

int64_t deliver_backoff_ms(const int *schedule, int steps, int attempts, int jitter_pct, double rnd)
{
    int idx = attempts - 1;
    if (idx < 0)
        idx = 0;
    if (idx >= steps)
        idx = steps - 1;
    double base = schedule[idx];
    /* Jitter spreads the retries of an outage that failed many sends at once. */
    double factor = 1.0 + ((rnd * 2.0) - 1.0) * (jitter_pct / 100.0);
    int64_t ms = (int64_t)(base * factor);
    return ms < 1 ? 1 : ms;
}

/* ---- releasing ---- */

/* The delivery is finished (certain) or given up on (uncertain): let its entry go. */
static void release(struct deliver *dv, struct delivery *d, int certain)
{
    struct job *j = d->job;
    d->job = NULL;
    delivery_free(d);
    if (j)
        consume_job_release(dv->n->consume, j, certain);
    notifier_kick(dv->n);
}

void deliver_abandon(struct deliver *dv, struct delivery *d)
{
    release(dv, d, 0);
}

/* ---- claiming ---- */

struct claim_op {
    struct deliver *dv;
    struct delivery **items;
    size_t n;
    deliver_claimed_fn cb;
    void *arg;
};

static void on_claimed(enum pgq_status st, PGresult *res, const char *err, void *arg)
{
    struct claim_op *op = arg;
    struct deliver *dv = op->dv;
    struct delivery **won = calloc(op->n ? op->n : 1, sizeof(*won));
    size_t nwon = 0;

    dv->ops--;
    for (size_t i = 0; i < op->n; i++) {
        struct delivery *d = op->items[i];
        int taken = 0;
        for (int r = 0; st == PGQ_OK && r < PQntuples(res); r++)
            if (strtoll(PQgetvalue(res, r, 0), NULL, 10) == d->log_id)
                taken = 1;
        if (st != PGQ_OK || !won) {
            /* Unknown whether the attempt was recorded: send nothing, and leave the entry
             * for a take-over, which reads the row as it is. */
            log_warn("alert %s, channel %" PRId64 ": cannot claim the delivery: %s", d->alert_id,
                     d->channel_id, err);
            release(dv, d, 0);
        } else if (!taken) {
            /* Another attempt (a take-over, the retry queue) has it or finished it. */
            metrics_count(M_CLAIMS_LOST, 1);
            log_debug("alert %s, channel %" PRId64 ": already taken", d->alert_id, d->channel_id);
            release(dv, d, 1);
        } else {
            d->attempts++;
            won[nwon++] = d;
        }
    }
    op->cb(won, nwon, op->arg);
    free(op->items);
    free(op);
}

void deliver_claim(struct deliver *dv, struct delivery **batch, size_t n, deliver_claimed_fn cb,
                   void *arg)
{
    static const char sql[] =
        "UPDATE notification_log l SET attempts = l.attempts + 1, updated_at = now(),"
        " payload = c.payload::jsonb"
        " FROM unnest($1::bigint[], $2::int[], $3::text[]) AS c(id, attempts, payload)"
        " WHERE l.id = c.id AND l.attempts = c.attempts AND l.status = 'pending'"
        " RETURNING l.id";
    struct claim_op *op = calloc(1, sizeof(*op));
    struct strbuf ids, atts, pays;
    int ok = 0;

    strbuf_init(&ids, ARRAY_MAX);
    strbuf_init(&atts, ARRAY_MAX);
    strbuf_init(&pays, ARRAY_MAX);
    if (dv->n->closing || !op || !(op->items = calloc(n ? n : 1, sizeof(*op->items))))
        goto out;
    op->dv = dv;
    op->n = n;
    op->cb = cb;
    op->arg = arg;
    memcpy(op->items, batch, n * sizeof(*batch));
    pgarray_begin(&ids);
    pgarray_begin(&atts);
    pgarray_begin(&pays);
    for (size_t i = 0; i < n; i++) {
        json_t *p = delivery_payload(batch[i]);
        char *s = p ? jsonutil_dump(p) : NULL;
        json_decref(p);
        if (!s)
            goto out;
        pgarray_int(&ids, batch[i]->log_id);
        pgarray_int(&atts, batch[i]->attempts);
        pgarray_text(&pays, s);
        free(s);
    }
    pgarray_end(&ids);
    pgarray_end(&atts);
    pgarray_end(&pays);
    if (ids.oom || atts.oom || pays.oom || pays.truncated)
        goto out;
    const char *params[] = {strbuf_str(&ids), strbuf_str(&atts), strbuf_str(&pays)};
    /* Urgent: a Telegram send waits on this claim with its rate-limit place already taken;
     * queued behind bulk statements it would leave late and bunch up with the next. */
    if (pgq_exec_urgent(dv->n->pg, sql, 3, params, on_claimed, op) != 0)
        goto out;
    dv->ops++;
    ok = 1;
out:
    strbuf_free(&ids);
    strbuf_free(&atts);
    strbuf_free(&pays);
    if (!ok) {
        /* Queue full or out of memory: nothing was claimed; leave them for a take-over. */
        for (size_t i = 0; i < n; i++)
            release(dv, batch[i], 0);
        struct delivery **none = calloc(1, sizeof(*none));
        if (op)
            free(op->items);
        free(op);
        cb(none, 0, arg);
    }
}

/* ---- recording outcomes ---- */

enum action { ACT_SUCCESS, ACT_FAIL, ACT_RETRY };

struct completion {
    struct deliver *dv;
    enum action act;
    struct delivery **items;
    size_t n;
    int64_t *due_ms; /* ACT_RETRY */
    char error[300];
    char *digest;
    int parts_sent;
    int tries;
    struct event *timer;
};

static void completion_free(struct completion *c)
{
    if (!c)
        return;
    if (c->timer)
        event_free(c->timer);
    free(c->items);
    free(c->due_ms);
    free(c->digest);
    free(c);
}

static void completion_run(struct completion *c);

static void on_retry_queued(redisAsyncContext *ac, void *reply, void *priv)
{
    struct completion *c = priv;
    redisReply *r = reply;
    int ok = r && r->type == REDIS_REPLY_INTEGER;

    c->dv->ops--;
    if (!ok)
        log_warn("redis: could not queue %zu deliveries for retry (%s); their alerts stay pending",
                 c->n, r && r->type == REDIS_REPLY_ERROR ? r->str : "disconnected");
    for (size_t i = 0; i < c->n; i++)
        release(c->dv, c->items[i], ok);
    completion_free(c);
}

static void on_zrem(redisAsyncContext *ac, void *reply, void *priv)
{
    struct deliver *dv = priv;
    dv->ops--;
}

/* Members of the retry queue are log row ids. */
static int zset_command(struct deliver *dv, struct completion *c, int add)
{
    size_t argc = 2 + c->n * (add ? 2 : 1);
    const char **argv = calloc(argc, sizeof(*argv));
    char(*nums)[24] = calloc(c->n * 2, sizeof(*nums));
    size_t k = 0;
    int rc = -1;

    if (!argv || !nums)
        goto out;
    argv[k++] = add ? "ZADD" : "ZREM";
    argv[k++] = dv->n->key_retry;
    for (size_t i = 0; i < c->n; i++) {
        if (add) {
            snprintf(nums[2 * i], 24, "%" PRId64, c->due_ms[i]);
            argv[k++] = nums[2 * i];
        }
        snprintf(nums[2 * i + 1], 24, "%" PRId64, c->items[i]->log_id);
        argv[k++] = nums[2 * i + 1];
    }
    rc = add ? notifier_redis_argv(dv->n, on_retry_queued, c, (int)argc, argv, NULL)
             : notifier_redis_argv(dv->n, on_zrem, dv, (int)argc, argv, NULL);
    if (rc == 0)
        dv->ops++;
out:
    free(argv);
    free(nums);
    return rc;
}

static void log_outcome(const struct completion *c)
{
    const struct delivery *d = c->items[0];
    const char *what = c->act == ACT_SUCCESS ? "delivered"
                       : c->act == ACT_FAIL  ? "FAILED"
                                             : "retry";
    if (c->n == 1)
        log_info("%s alert %s (%s) to channel %" PRId64 " (%s), attempt %d%s%s", what, d->alert_id,
                 d->kind, d->channel_id, provider_name(d->provider), d->attempts,
                 c->act == ACT_SUCCESS ? "" : ": ", c->act == ACT_SUCCESS ? "" : c->error);
    else
        log_info("%s %zu alerts to channel %" PRId64 " (%s) in one message%s%s", what, c->n,
                 d->channel_id, provider_name(d->provider), c->act == ACT_SUCCESS ? "" : ": ",
                 c->act == ACT_SUCCESS ? "" : c->error);
}

static void on_recorded(enum pgq_status st, PGresult *res, const char *err, void *arg)
{
    struct completion *c = arg;
    struct deliver *dv = c->dv;
    int64_t now = time_now_ms();

    dv->ops--;
    if (st != PGQ_OK) {
        if (!dv->n->closing && ++c->tries < SQL_TRIES) {
            struct timeval tv = {SQL_RETRY_MS / 1000, (SQL_RETRY_MS % 1000) * 1000};
            if (evtimer_add(c->timer, &tv) == 0) {
                dv->ops++; /* the timer counts as work in flight */
                return;
            }
        }
        log_error("could not record the outcome of %zu deliveries (%s); their alerts stay "
                  "pending for a take-over",
                  c->n, err);
        for (size_t i = 0; i < c->n; i++)
            release(dv, c->items[i], 0);
        completion_free(c);
        return;
    }
    log_outcome(c);
    for (size_t i = 0; i < c->n; i++) {
        struct delivery *d = c->items[i];
        if (c->act == ACT_SUCCESS) {
            metrics_sent(mprov(d));
            if (d->xadd_ms > 0)
                metrics_latency_ms(now - d->xadd_ms);
        } else if (c->act == ACT_FAIL) {
            metrics_failed(mprov(d));
        } else {
            metrics_retried(mprov(d));
        }
    }
    if (c->act == ACT_RETRY) {
        if (zset_command(dv, c, 1) != 0) {
            log_warn("redis: disconnected; %zu deliveries stay pending for a take-over", c->n);
            for (size_t i = 0; i < c->n; i++)
                release(dv, c->items[i], 0);
            completion_free(c);
        }
        return;
    }
    /* Done for good: a copy on the retry queue (a lease, a sweep) would only find the row
     * finished; removing it saves that trip. */
    zset_command(dv, c, 0);
    for (size_t i = 0; i < c->n; i++)
        release(dv, c->items[i], 1);
    completion_free(c);
}

static void on_completion_timer(evutil_socket_t fd, short what, void *arg)
{
    struct completion *c = arg;
    c->dv->ops--;
    completion_run(c);
}

static void completion_run(struct completion *c)
{
    static const char *const sql[] = {
        [ACT_SUCCESS] = "UPDATE notification_log l SET status = 'success', sent_at = now(),"
                        " updated_at = now(), last_error = NULL,"
                        " payload = CASE WHEN $3::text IS NULL THEN l.payload"
                        " ELSE COALESCE(l.payload, '{}'::jsonb)"
                        " || jsonb_build_object('digest', $3::text) END"
                        " FROM unnest($1::bigint[], $2::int[]) AS c(id, attempts)"
                        " WHERE l.id = c.id AND l.attempts = c.attempts AND l.status = 'pending'",
        [ACT_FAIL] = "UPDATE notification_log l SET status = 'failure', updated_at = now(),"
                     " last_error = $3"
                     " FROM unnest($1::bigint[], $2::int[]) AS c(id, attempts)"
                     " WHERE l.id = c.id AND l.attempts = c.attempts AND l.status = 'pending'",
        [ACT_RETRY] = "UPDATE notification_log l SET updated_at = now(), last_error = $3,"
                      " payload = jsonb_set(COALESCE(l.payload, '{}'::jsonb), '{parts_sent}',"
                      " to_jsonb($4::int))"
                      " FROM unnest($1::bigint[], $2::int[]) AS c(id, attempts)"
                      " WHERE l.id = c.id AND l.attempts = c.attempts AND l.status = 'pending'",
    };
    struct strbuf ids, atts;
    char parts[16];

    strbuf_init(&ids, ARRAY_MAX);
    strbuf_init(&atts, ARRAY_MAX);
    pgarray_begin(&ids);
    pgarray_begin(&atts);
    for (size_t i = 0; i < c->n; i++) {
        pgarray_int(&ids, c->items[i]->log_id);
        pgarray_int(&atts, c->items[i]->attempts);
    }
    pgarray_end(&ids);
    pgarray_end(&atts);
    snprintf(parts, sizeof(parts), "%d", c->parts_sent);
    const char *params[] = {strbuf_str(&ids), strbuf_str(&atts),
                            c->act == ACT_SUCCESS ? c->digest : c->error, parts};
    int nparams = c->act == ACT_RETRY ? 4 : 3;
    int rc = (ids.oom || atts.oom)
                 ? -1
                 : pgq_exec(c->dv->n->pg, sql[c->act], nparams, params, on_recorded, c);
    strbuf_free(&ids);
    strbuf_free(&atts);
    if (rc == 0) {
        c->dv->ops++;
        return;
    }
    /* The queue is full: try again shortly, like a failed statement. */
    c->dv->ops++;
    on_recorded(PGQ_UNAVAILABLE, NULL, "database queue full", c);
}

/* Starts recording act for items (pointers copied). */
static void complete_group(struct deliver *dv, enum action act, struct delivery **items, size_t n,
                           const struct send_outcome *o, int64_t retry_at_ms)
{
    struct completion *c;

    if (n == 0)
        return;
    c = calloc(1, sizeof(*c));
    if (!c || !(c->items = calloc(n, sizeof(*items))) ||
        (act == ACT_RETRY && !(c->due_ms = calloc(n, sizeof(int64_t)))) ||
        !(c->timer = evtimer_new(dv->n->base, on_completion_timer, c)) ||
        (act == ACT_SUCCESS && o->digest && !(c->digest = strdup(o->digest)))) {
        completion_free(c);
        for (size_t i = 0; i < n; i++)
            release(dv, items[i], 0);
        return;
    }
    c->dv = dv;
    c->act = act;
    c->n = n;
    c->parts_sent = o->parts_sent;
    memcpy(c->items, items, n * sizeof(*items));
    snprintf(c->error, sizeof(c->error), "%s", o->error);
    if (act == ACT_FAIL && o->kind == OUTCOME_RETRY)
        snprintf(c->error, sizeof(c->error), "%.200s (gave up after %d attempts)", o->error,
                 items[0]->attempts);
    for (size_t i = 0; act == ACT_RETRY && i < n; i++) {
        const struct notifier_config *cfg = dv->n->cfg;
        c->due_ms[i] =
            retry_at_ms
                ? retry_at_ms
                : time_now_ms() + deliver_backoff_ms(cfg->retry_delay_ms, cfg->retry_steps,
                                                     items[i]->attempts, cfg->retry_jitter_pct,
                                                     (double)random() / 2147483648.0);
    }
    completion_run(c);
}

static void on_channels_deactivated(enum pgq_status st, PGresult *res, const char *err, void *arg)
{
    struct deliver *dv = arg;
    dv->ops--;
    if (st == PGQ_OK && atoi(PQcmdTuples(res)) > 0) {
        metrics_count(M_CHANNELS_DEACTIVATED, (uint64_t)atoi(PQcmdTuples(res)));
        log_warn("deactivated %s channel(s): the bot was blocked or removed", PQcmdTuples(res));
    }
}

static void deactivate_channels(struct deliver *dv, struct delivery **items, size_t n)
{
    static const char sql[] = "UPDATE notification_channels SET is_active = false,"
                              " updated_at = now() WHERE id = ANY($1::bigint[]) AND is_active";
    struct strbuf ids;
    strbuf_init(&ids, ARRAY_MAX);
    pgarray_begin(&ids);
    for (size_t i = 0; i < n; i++)
        pgarray_int(&ids, items[i]->channel_id);
    pgarray_end(&ids);
    const char *params[] = {strbuf_str(&ids)};
    if (!ids.oom && pgq_exec(dv->n->pg, sql, 1, params, on_channels_deactivated, dv) == 0)
        dv->ops++;
    strbuf_free(&ids);
}

/* A migrated chat: move the channels first, then retry the message at once (the retry
 * reads the channel again and finds the new chat id). */
struct migration {
    struct deliver *dv;
    struct delivery **items;
    size_t n;
    struct send_outcome o;
    char old_chat[64];
    int step;
};

static void migration_done(struct migration *m, int moved)
{
    struct send_outcome o = m->o;
    o.kind = OUTCOME_RETRY;
    if (moved)
        snprintf(o.error, sizeof(o.error), "chat %.40s became supergroup %.31s; sent again there",
                 m->old_chat, m->o.new_chat_id);
    /* Due at once (retry_at_ms is now): the retry reads the channel's new chat id. */
    deliver_complete(m->dv, m->items, m->n, &o);
    free(m->items);
    free(m);
}

static void on_migration_step(enum pgq_status st, PGresult *res, const char *err, void *arg);

static void migration_step(struct migration *m)
{
    /* 1: move every channel of the old chat whose user has not linked the new chat yet;
     * 2: deactivate the rest (their user has the supergroup linked already). */
    static const char *const sql[] = {
        "UPDATE notification_channels c SET config = jsonb_set(c.config, '{chat_id}',"
        " to_jsonb($2::text)), updated_at = now()"
        " WHERE c.provider = 'telegram' AND c.config ->> 'chat_id' = $1"
        " AND NOT EXISTS (SELECT 1 FROM notification_channels o WHERE o.user_id = c.user_id"
        " AND o.provider = 'telegram' AND o.config ->> 'chat_id' = $2)",
        "UPDATE notification_channels SET is_active = false, updated_at = now()"
        " WHERE provider = 'telegram' AND config ->> 'chat_id' = $1 AND $2::text IS NOT NULL"
        " AND is_active",
    };
    const char *params[] = {m->old_chat, m->o.new_chat_id};
    if (pgq_exec(m->dv->n->pg, sql[m->step], 2, params, on_migration_step, m) == 0)
        m->dv->ops++;
    else
        migration_done(m, 0);
}

static void on_migration_step(enum pgq_status st, PGresult *res, const char *err, void *arg)
{
    struct migration *m = arg;
    m->dv->ops--;
    if (st != PGQ_OK) {
        log_warn("chat %s migrated to %s but the channels could not be updated: %s", m->old_chat,
                 m->o.new_chat_id, err);
        migration_done(m, 0);
        return;
    }
    if (m->step == 0) {
        log_info("telegram chat %s became supergroup %s: %s channel(s) moved", m->old_chat,
                 m->o.new_chat_id, PQcmdTuples(res));
        metrics_count(M_CHATS_MIGRATED, 1);
        m->step = 1;
        migration_step(m);
        return;
    }
    migration_done(m, 1);
}

static void migrate_and_retry(struct deliver *dv, struct delivery **items, size_t n,
                              const struct send_outcome *o)
{
    struct migration *m = calloc(1, sizeof(*m));
    if (!m || !(m->items = calloc(n, sizeof(*items)))) {
        free(m);
        struct send_outcome r = *o;
        r.kind = OUTCOME_RETRY;
        deliver_complete(dv, items, n, &r);
        return;
    }
    m->dv = dv;
    m->n = n;
    memcpy(m->items, items, n * sizeof(*items));
    m->o = *o;
    m->o.retry_at_ms = time_now_ms();
    snprintf(m->old_chat, sizeof(m->old_chat), "%s", items[0]->target ? items[0]->target : "");
    migration_step(m);
}

void deliver_complete(struct deliver *dv, struct delivery **batch, size_t n,
                      const struct send_outcome *o)
{
    struct delivery **again = NULL, ** final = NULL;
    size_t nagain = 0, nfinal = 0;

    if (dv->n->closing) {
        /* The loop is gone: nothing can be recorded; the entries stay pending. */
        for (size_t i = 0; i < n; i++)
            release(dv, batch[i], 0);
        return;
    }
    switch (o->kind) {
    case OUTCOME_SUCCESS:
        complete_group(dv, ACT_SUCCESS, batch, n, o, 0);
        return;
    case OUTCOME_BLOCKED:
        deactivate_channels(dv, batch, n);
        complete_group(dv, ACT_FAIL, batch, n, o, 0);
        return;
    case OUTCOME_FAIL:
        complete_group(dv, ACT_FAIL, batch, n, o, 0);
        return;
    case OUTCOME_MIGRATED:
        migrate_and_retry(dv, batch, n, o);
        return;
    case OUTCOME_RETRY:
        break;
    }
    again = calloc(n, sizeof(*again));
    final = calloc(n, sizeof(*final));
    if (!again || !final) {
        for (size_t i = 0; i < n; i++)
            release(dv, batch[i], 0);
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        if (batch[i]->attempts >= dv->n->cfg->max_attempts)
            final[nfinal++] = batch[i];
        else
            again[nagain++] = batch[i];
    }
    complete_group(dv, ACT_FAIL, final, nfinal, o, 0);
    complete_group(dv, ACT_RETRY, again, nagain, o, o->retry_at_ms);
out:
    free(again);
    free(final);
}

/* ---- console and webhook: claimed in batches, sent at once ---- */

static void on_webhook_done(struct delivery *d, const struct send_outcome *o, void *arg)
{
    struct deliver *dv = arg;
    dv->ops--;
    deliver_complete(dv, &d, 1, o);
}

static void on_direct_claimed(struct delivery **won, size_t nwon, void *arg)
{
    struct deliver *dv = arg;
    for (size_t i = 0; i < nwon; i++) {
        struct delivery *d = won[i];
        struct send_outcome o = {.kind = OUTCOME_SUCCESS};
        if (d->provider == PROVIDER_CONSOLE) {
            console_send(d, &o);
            deliver_complete(dv, &d, 1, &o);
        } else if (webhook_send(dv->n, d, on_webhook_done, dv) == 0) {
            dv->ops++;
        } else {
            o.kind = OUTCOME_RETRY;
            snprintf(o.error, sizeof(o.error), "could not start the request");
            deliver_complete(dv, &d, 1, &o);
        }
    }
    free(won);
}

static void on_kick(evutil_socket_t fd, short what, void *arg)
{
    struct deliver *dv = arg;
    while (dv->to_claim) {
        struct delivery *batch[CLAIM_BATCH];
        size_t n = 0;
        while (dv->to_claim && n < CLAIM_BATCH) {
            struct delivery *d = dv->to_claim;
            dv->to_claim = d->next;
            d->next = NULL;
            batch[n++] = d;
        }
        if (!dv->to_claim)
            dv->to_claim_tail = NULL;
        dv->nto_claim -= n;
        deliver_claim(dv, batch, n, on_direct_claimed, dv);
    }
}

void deliver_submit(struct deliver *dv, struct delivery *d)
{
    if (d->provider == PROVIDER_TELEGRAM) {
        tgqueue_push(dv->n->tgqueue, d);
        return;
    }
    d->next = NULL;
    if (dv->to_claim_tail)
        dv->to_claim_tail->next = d;
    else
        dv->to_claim = d;
    dv->to_claim_tail = d;
    dv->nto_claim++;
    /* Claimed together after this loop turn: a fan-out's deliveries in one statement. */
    event_active(dv->kick, EV_TIMEOUT, 0);
}

/* ---- shutdown hand-over ---- */

struct requeue_op {
    struct deliver *dv;
    struct delivery *d;
};

static void on_requeued(redisAsyncContext *ac, void *reply, void *priv)
{
    struct requeue_op *op = priv;
    redisReply *r = reply;
    op->dv->ops--;
    release(op->dv, op->d, r && r->type == REDIS_REPLY_INTEGER);
    free(op);
}

void deliver_requeue(struct deliver *dv, struct delivery *d)
{
    struct requeue_op *op = calloc(1, sizeof(*op));
    char due[24], member[24];

    if (!op || dv->n->closing) {
        free(op);
        release(dv, d, 0);
        return;
    }
    op->dv = dv;
    op->d = d;
    snprintf(due, sizeof(due), "%" PRId64, time_now_ms());
    snprintf(member, sizeof(member), "%" PRId64, d->log_id);
    /* NX: a copy already there (from a retry) keeps its due time. */
    if (notifier_redis(dv->n, on_requeued, op, "ZADD %s NX %s %s", dv->n->key_retry, due, member) !=
        0) {
        free(op);
        release(dv, d, 0);
        return;
    }
    dv->ops++;
}

/* ---- hand-off to the chat's owner ---- */

/* KEYS: the owner's list, the retry queue, the owner key. ARGV: due ms, list TTL s, ids...
 * -1 when there is no owner (nothing done), else the number handed over. */
static const char handoff_script[] = "if not redis.call('GET', KEYS[3]) then return -1 end\n"
                                     "for i = 3, #ARGV do\n"
                                     "  redis.call('ZADD', KEYS[2], 'NX', ARGV[1], ARGV[i])\n"
                                     "  redis.call('RPUSH', KEYS[1], ARGV[i])\n"
                                     "end\n"
                                     "redis.call('EXPIRE', KEYS[1], ARGV[2])\n"
                                     "return #ARGV - 2\n";

#define HANDOFF_LIST_TTL_S 3600

struct handoff {
    struct deliver *dv;
    struct delivery **items;
    size_t n;
    char key[NOTIFIER_KEY_MAX + 96];
    char own_key[NOTIFIER_KEY_MAX + 96];
    int64_t fallback_ms;
    deliver_back_fn back;
    void *arg;
};

static void handoff_finish(struct handoff *h, int certain)
{
    deliver_back_fn back = h->back;
    void *arg = h->arg;
    for (size_t i = 0; i < h->n; i++)
        release(h->dv, h->items[i], certain);
    free(h->items);
    free(h);
    back(NULL, 0, arg); /* exactly once, also when nothing comes back */
}

static void on_handed(redisAsyncContext *ac, void *reply, void *priv)
{
    struct handoff *h = priv;
    redisReply *r = reply;
    int ok = r && r->type == REDIS_REPLY_INTEGER;

    h->dv->ops--;
    if (ok && r->integer < 0 && !h->dv->n->closing) {
        /* The owner let go meanwhile: these are ours to send after all. */
        struct delivery **items = h->items;
        size_t n = h->n;
        deliver_back_fn back = h->back;
        void *arg = h->arg;
        free(h);
        back(items, n, arg);
        return;
    }
    if (ok)
        metrics_count(M_HANDOFFS, h->n);
    else
        log_warn("redis: %zu deliveries not handed over (%s); their alerts stay pending", h->n,
                 r && r->type == REDIS_REPLY_ERROR ? r->str : "disconnected");
    handoff_finish(h, ok);
}

static void on_payloads_kept(enum pgq_status st, PGresult *res, const char *err, void *arg)
{
    struct handoff *h = arg;
    struct deliver *dv = h->dv;
    const char **argv = NULL;
    char(*nums)[24] = NULL;
    char due[24], ttl[16];
    size_t argc = 0;

    dv->ops--;
    if (st != PGQ_OK || dv->n->closing)
        goto fail;
    argv = calloc(8 + h->n, sizeof(*argv));
    nums = calloc(h->n ? h->n : 1, sizeof(*nums));
    if (!argv || !nums)
        goto fail;
    snprintf(due, sizeof(due), "%" PRId64, h->fallback_ms);
    snprintf(ttl, sizeof(ttl), "%d", HANDOFF_LIST_TTL_S);
    argv[argc++] = "EVAL";
    argv[argc++] = handoff_script;
    argv[argc++] = "3";
    argv[argc++] = h->key;
    argv[argc++] = dv->n->key_retry;
    argv[argc++] = h->own_key;
    argv[argc++] = due;
    argv[argc++] = ttl;
    for (size_t i = 0; i < h->n; i++) {
        snprintf(nums[i], 24, "%" PRId64, h->items[i]->log_id);
        argv[argc++] = nums[i];
    }
    if (notifier_redis_argv(dv->n, on_handed, h, (int)argc, argv, NULL) != 0)
        goto fail;
    dv->ops++;
    free(argv);
    free(nums);
    return;
fail:
    free(argv);
    free(nums);
    handoff_finish(h, 0);
}

void deliver_handoff(struct deliver *dv, struct delivery **items, size_t n, const char *list_key,
                     const char *own_key, int64_t fallback_ms, deliver_back_fn back, void *arg)
{
    /* The payload of a row that has none yet (no attempt started): the text the owner and
     * the fallback retry will send. */
    static const char sql[] =
        "UPDATE notification_log l SET payload = COALESCE(l.payload, c.payload::jsonb),"
        " updated_at = now()"
        " FROM unnest($1::bigint[], $2::text[]) AS c(id, payload)"
        " WHERE l.id = c.id AND l.status = 'pending'";
    struct handoff *h = calloc(1, sizeof(*h));
    struct strbuf ids, pays;
    int ok = 0;

    strbuf_init(&ids, ARRAY_MAX);
    strbuf_init(&pays, ARRAY_MAX);
    if (h) {
        h->back = back;
        h->arg = arg;
    }
    if (!h || !(h->items = calloc(n ? n : 1, sizeof(*items))) || dv->n->closing)
        goto out;
    h->dv = dv;
    h->n = n;
    h->fallback_ms = fallback_ms;
    snprintf(h->key, sizeof(h->key), "%s", list_key);
    snprintf(h->own_key, sizeof(h->own_key), "%s", own_key);
    memcpy(h->items, items, n * sizeof(*items));
    pgarray_begin(&ids);
    pgarray_begin(&pays);
    for (size_t i = 0; i < n; i++) {
        json_t *p = delivery_payload(items[i]);
        char *t = p ? jsonutil_dump(p) : NULL;
        json_decref(p);
        if (!t)
            goto out;
        pgarray_int(&ids, items[i]->log_id);
        pgarray_text(&pays, t);
        free(t);
    }
    pgarray_end(&ids);
    pgarray_end(&pays);
    const char *params[] = {strbuf_str(&ids), strbuf_str(&pays)};
    if (ids.oom || pays.oom || pays.truncated ||
        pgq_exec(dv->n->pg, sql, 2, params, on_payloads_kept, h) != 0)
        goto out;
    dv->ops++;
    ok = 1;
out:
    strbuf_free(&ids);
    strbuf_free(&pays);
    if (!ok) {
        if (h && h->items) {
            handoff_finish(h, 0);
        } else {
            for (size_t i = 0; i < n; i++)
                release(dv, items[i], 0);
            free(h);
            back(NULL, 0, arg);
        }
    }
}

/* ---- life ---- */

struct deliver *deliver_new(struct notifier *n)
{
    struct deliver *dv = calloc(1, sizeof(*dv));
    if (!dv)
        return NULL;
    dv->n = n;
    dv->kick = event_new(n->base, -1, 0, on_kick, dv);
    if (!dv->kick) {
        free(dv);
        return NULL;
    }
    return dv;
}

void deliver_free(struct deliver *dv)
{
    if (!dv)
        return;
    while (dv->to_claim) {
        struct delivery *d = dv->to_claim;
        dv->to_claim = d->next;
        delivery_free(d);
    }
    event_free(dv->kick);
    free(dv);
}

long deliver_count(const struct deliver *dv)
{
    return deliveries_alive;
}

int deliver_idle(const struct deliver *dv)
{
    return dv->ops == 0 && dv->to_claim == NULL;
}
