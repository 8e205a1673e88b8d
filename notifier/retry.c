/* retry: see retry.h. */
#include "notifier/retry.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/timeutil.h"
#include "notifier/alertmsg.h"
#include "notifier/deliver.h"
#include "notifier/fanout.h"
#include "notifier/metrics.h"
#include "notifier/notifier.h"
#include "notifier/pgarray.h"
#include "notifier/pgq.h"

#define TAKE_MAX 200
#define SWEEP_PERIOD_MAX_S 60
#define SWEEP_BATCH 1000
#define DEPTH_PERIOD_S 5

/* KEYS[1]: the queue. ARGV: now ms, limit, lease ms. */
static const char take_script[] =
    "local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, ARGV[2])\n"
    "local until_ = tonumber(ARGV[1]) + tonumber(ARGV[3])\n"
    "for _, m in ipairs(due) do redis.call('ZADD', KEYS[1], until_, m) end\n"
    "return due\n";

struct retryq {
    struct notifier *n;
    int taking;   /* a take or its load is in flight */
    int sweeping; /* a sweep is in flight */
    int stopped;
    long ops;
    long depth;
    struct event *poll_tm;
    struct event *sweep_tm;
    struct event *depth_tm;
};

struct load {
    struct retryq *r;
    int64_t *ids;
    size_t n;
    retryq_loaded_fn fn; /* NULL: the poller's own load (deliver each) */
    void *arg;
};

static void load_free(struct load *l)
{
    if (!l)
        return;
    free(l->ids);
    free(l);
}

static void on_zrem(redisAsyncContext *ac, void *reply, void *priv)
{
    struct retryq *r = priv;
    r->ops--;
}

static void zrem(struct retryq *r, int64_t id)
{
    char member[24];
    snprintf(member, sizeof(member), "%" PRId64, id);
    if (notifier_redis(r->n, on_zrem, r, "ZREM %s %s", r->n->key_retry, member) == 0)
        r->ops++;
}

static void on_marked(enum pgq_status st, PGresult *res, const char *err, void *arg)
{
    struct retryq *r = arg;
    r->ops--;
}

/* A retry that cannot go on: failure in the log (if still pending), off the queue. */
static void give_up(struct retryq *r, int64_t id, const char *why)
{
    static const char sql[] = "UPDATE notification_log SET status = 'failure', last_error = $2,"
                              " updated_at = now() WHERE id = $1 AND status = 'pending'";
    char ids[24];
    snprintf(ids, sizeof(ids), "%" PRId64, id);
    const char *params[] = {ids, why};
    log_info("delivery %" PRId64 ": %s", id, why);
    if (pgq_exec(r->n->pg, sql, 2, params, on_marked, r) == 0)
        r->ops++;
    zrem(r, id);
}

/* Row: 0 id, 1 attempts, 2 status, 3 kind, 4 payload, 5 alert_id, 6 channel id,
 * 7 provider, 8 config, 9 is_active, 10 monitor name, 11 monitor url, 12 created_at,
 * 13 monitor id */
static struct delivery *make_delivery(struct retryq *r, PGresult *res, int row)
{
    const struct notifier_config *cfg = r->n->cfg;
    int64_t id = strtoll(PQgetvalue(res, row, 0), NULL, 10);
    int attempts = atoi(PQgetvalue(res, row, 1));
    const char *kind = PQgetvalue(res, row, 3);
    json_t *payload = NULL, *config = NULL;
    struct alert_event ev;
    struct delivery *d = NULL;
    char err[128];

    memset(&ev, 0, sizeof(ev));
    if (strcmp(PQgetvalue(res, row, 2), "pending") != 0) {
        zrem(r, id); /* finished by another attempt meanwhile */
        return NULL;
    }
    if (PQgetvalue(res, row, 9)[0] != 't' && strcmp(kind, "test") != 0) {
        give_up(r, id, "channel deactivated before the retry");
        return NULL;
    }
    if (attempts >= cfg->max_attempts) {
        give_up(r, id, "gave up: no attempts left");
        return NULL;
    }
    config = json_loads(PQgetvalue(res, row, 8), 0, NULL);
    if (!PQgetisnull(res, row, 4))
        payload = json_loads(PQgetvalue(res, row, 4), 0, NULL);
    /* The channel as it is now (a migrated chat id, a changed URL); the text as rendered
     * for the first attempt. Without a payload (the first attempt never started) the
     * message is rebuilt from what the log row and the monitor still say. */
    if (alertmsg_from_values(&ev, PQgetvalue(res, row, 5), kind, "1", "0", PQgetvalue(res, row, 13),
                             PQgetvalue(res, row, 10), PQgetvalue(res, row, 11),
                             PQgetvalue(res, row, 12), "{}", err, sizeof(err)) != 0) {
        give_up(r, id, "the log row cannot be read back");
        goto out;
    }
    d = delivery_new();
    if (!d || !config || fanout_prepare(d, PQgetvalue(res, row, 7), config, &ev) != 0)
        goto out; /* out of memory: the lease brings it back */
    d->log_id = id;
    d->channel_id = strtoll(PQgetvalue(res, row, 6), NULL, 10);
    d->attempts = attempts;
    json_t *v = json_object_get(payload, "text");
    if (json_is_string(v)) {
        char *t = strdup(json_string_value(v));
        if (t) {
            free(d->text);
            d->text = t;
        }
    }
    v = json_object_get(payload, "line");
    if (json_is_string(v) && d->provider == PROVIDER_TELEGRAM) {
        char *t = strdup(json_string_value(v));
        if (t) {
            free(d->line);
            d->line = t;
        }
    }
    v = json_object_get(payload, "body");
    if (json_is_string(v) && d->provider == PROVIDER_WEBHOOK) {
        char *t = strdup(json_string_value(v));
        if (t) {
            free(d->body);
            d->body = t;
        }
    }
    v = json_object_get(payload, "parts_sent");
    if (json_is_integer(v) && json_integer_value(v) > 0 && json_integer_value(v) < 100)
        d->parts_sent = (int)json_integer_value(v);
    alertmsg_clear(&ev);
    json_decref(payload);
    json_decref(config);
    return d;
out:
    delivery_free(d);
    alertmsg_clear(&ev);
    json_decref(payload);
    json_decref(config);
    return NULL;
}

static void on_loaded(enum pgq_status st, PGresult *res, const char *err, void *arg)
{
    struct load *l = arg;
    struct retryq *r = l->r;
    struct delivery **out = NULL;
    size_t nout = 0;

    r->ops--;
    if (!l->fn)
        r->taking = 0;
    if (st != PGQ_OK) {
        /* The members stay on the queue (leased) and come due again. */
        log_warn("retry queue: cannot read %zu deliveries: %s", l->n, err);
        if (l->fn)
            l->fn(NULL, 0, l->arg);
        load_free(l);
        return;
    }
    out = calloc(l->n ? l->n : 1, sizeof(*out));
    for (size_t i = 0; i < l->n; i++) {
        int found = -1;
        for (int row = 0; row < PQntuples(res); row++)
            if (strtoll(PQgetvalue(res, row, 0), NULL, 10) == l->ids[i])
                found = row;
        if (found < 0) {
            zrem(r, l->ids[i]); /* the channel (and its log) was deleted */
            continue;
        }
        if (r->stopped && !l->fn)
            continue;
        struct delivery *d = out ? make_delivery(r, res, found) : NULL;
        if (d)
            out[nout++] = d;
    }
    if (l->fn) {
        l->fn(out, nout, l->arg); /* takes the deliveries */
    } else {
        metrics_count(M_RETRIES_TAKEN, nout);
        for (size_t i = 0; i < nout; i++)
            deliver_submit(r->n->deliver, out[i]);
    }
    free(out);
    load_free(l);
}

static const char load_sql[] =
    "SELECT l.id, l.attempts, l.status, l.kind, l.payload::text, l.alert_id, c.id,"
    " c.provider, c.config::text, c.is_active, COALESCE(m.name, ''), COALESCE(m.url, ''),"
    " sh_iso(l.created_at), COALESCE(l.monitor_id, 0)"
    " FROM notification_log l JOIN notification_channels c ON c.id = l.channel_id"
    " LEFT JOIN monitors m ON m.id = l.monitor_id"
    " WHERE l.id = ANY($1::bigint[])";

/* Queues the load of l (ids filled). 0, or -1 (l untouched, the caller frees it). */
static int start_load(struct retryq *r, struct load *l)
{
    struct strbuf ids;
    int rc = -1;

    strbuf_init(&ids, 1024 * 1024);
    pgarray_begin(&ids);
    for (size_t i = 0; i < l->n; i++)
        pgarray_int(&ids, l->ids[i]);
    pgarray_end(&ids);
    const char *params[] = {strbuf_str(&ids)};
    /* A hand-over's load sits between a granted send and the send: urgent, as a claim. */
    if (l->n > 0 && !ids.oom &&
        (l->fn ? pgq_exec_urgent : pgq_exec)(r->n->pg, load_sql, 1, params, on_loaded, l) == 0) {
        r->ops++;
        rc = 0;
    }
    strbuf_free(&ids);
    return rc;
}

int retryq_load(struct retryq *r, const int64_t *ids, size_t n, retryq_loaded_fn fn, void *arg)
{
    struct load *l = calloc(1, sizeof(*l));
    if (!l || !(l->ids = calloc(n ? n : 1, sizeof(int64_t)))) {
        load_free(l);
        return -1;
    }
    l->r = r;
    l->fn = fn;
    l->arg = arg;
    l->n = n;
    memcpy(l->ids, ids, n * sizeof(int64_t));
    if (start_load(r, l) != 0) {
        load_free(l);
        return -1;
    }
    return 0;
}

static void on_taken(redisAsyncContext *ac, void *reply, void *priv)
{
    struct retryq *r = priv;
    redisReply *rep = reply;
    struct load *l = NULL;

    r->ops--;
    if (!rep || rep->type != REDIS_REPLY_ARRAY || rep->elements == 0 || r->stopped) {
        if (rep && rep->type == REDIS_REPLY_ERROR)
            log_error("retry queue: %s", rep->str);
        r->taking = 0;
        return;
    }
    l = calloc(1, sizeof(*l));
    if (!l || !(l->ids = calloc(rep->elements, sizeof(int64_t)))) {
        r->taking = 0;
        load_free(l);
        return;
    }
    l->r = r;
    for (size_t i = 0; i < rep->elements; i++) {
        if (rep->element[i]->type != REDIS_REPLY_STRING)
            continue;
        char *end;
        long long v = strtoll(rep->element[i]->str, &end, 10);
        if (*end || v <= 0)
            continue; /* not ours to interpret; the lease keeps it out of the way */
        l->ids[l->n++] = v;
    }
    if (start_load(r, l) != 0) {
        r->taking = 0;
        load_free(l);
        return;
    }
    /* A full take means more may be due: look again right away. */
    if (rep->elements == TAKE_MAX) {
        struct timeval now = {0, 0};
        evtimer_add(r->poll_tm, &now);
    }
}

static void on_poll(evutil_socket_t fd, short what, void *arg)
{
    struct retryq *r = arg;
    struct notifier *n = r->n;
    char now[24], limit[16], lease[24];
    long ms = n->cfg->retry_poll_ms;
    struct timeval tv = {ms / 1000, (ms % 1000) * 1000};

    if (!r->taking && !r->stopped && !n->stopping) {
        long room = n->cfg->max_inflight - notifier_inflight(n);
        if (room > TAKE_MAX)
            room = TAKE_MAX;
        if (room > 0) {
            snprintf(now, sizeof(now), "%" PRId64, time_now_ms());
            snprintf(limit, sizeof(limit), "%ld", room);
            snprintf(lease, sizeof(lease), "%lld", (long long)n->cfg->retry_lease_s * 1000);
            const char *argv[] = {"EVAL", take_script, "1", n->key_retry, now, limit, lease};
            if (notifier_redis_argv(n, on_taken, r, 7, argv, NULL) == 0) {
                r->taking = 1;
                r->ops++;
            }
        }
    }
    if (!r->stopped && !evtimer_pending(r->poll_tm, NULL))
        evtimer_add(r->poll_tm, &tv);
}

/* ---- the sweep ---- */

static void on_swept(redisAsyncContext *ac, void *reply, void *priv)
{
    struct retryq *r = priv;
    redisReply *rep = reply;
    r->ops--;
    r->sweeping = 0;
    if (rep && rep->type == REDIS_REPLY_INTEGER && rep->integer > 0) {
        metrics_count(M_SWEPT, (uint64_t)rep->integer);
        log_warn("sweep: %lld stale pending deliveries put back on the retry queue", rep->integer);
    }
}

static void on_stale(enum pgq_status st, PGresult *res, const char *err, void *arg)
{
    struct retryq *r = arg;
    int rows = st == PGQ_OK ? PQntuples(res) : 0;
    const char **argv = NULL;
    char now[24];

    r->ops--;
    if (rows == 0 || r->stopped) {
        r->sweeping = 0;
        return;
    }
    argv = calloc(3 + 2 * (size_t)rows, sizeof(*argv));
    if (!argv) {
        r->sweeping = 0;
        return;
    }
    snprintf(now, sizeof(now), "%" PRId64, time_now_ms());
    int argc = 0;
    argv[argc++] = "ZADD";
    argv[argc++] = r->n->key_retry;
    argv[argc++] = "NX"; /* a retry already scheduled keeps its time */
    for (int i = 0; i < rows; i++) {
        argv[argc++] = now;
        argv[argc++] = PQgetvalue(res, i, 0);
    }
    if (notifier_redis_argv(r->n, on_swept, r, argc, argv, NULL) == 0)
        r->ops++;
    else
        r->sweeping = 0;
    free(argv);
}

static void on_sweep(evutil_socket_t fd, short what, void *arg)
{
    static const char sql[] = "SELECT id FROM notification_log WHERE status = 'pending'"
                              " AND updated_at < now() - make_interval(secs => $1::int)"
                              " ORDER BY updated_at LIMIT 1000";
    struct retryq *r = arg;
    char age[16];

    if (r->sweeping || r->stopped || r->n->stopping)
        return;
    snprintf(age, sizeof(age), "%d", r->n->cfg->sweep_after_s);
    const char *params[] = {age};
    if (pgq_exec(r->n->pg, sql, 1, params, on_stale, r) == 0) {
        r->sweeping = 1;
        r->ops++;
    }
}

static void on_depth(redisAsyncContext *ac, void *reply, void *priv)
{
    struct retryq *r = priv;
    redisReply *rep = reply;
    r->ops--;
    if (rep && rep->type == REDIS_REPLY_INTEGER)
        r->depth = (long)rep->integer;
}

static void on_depth_timer(evutil_socket_t fd, short what, void *arg)
{
    struct retryq *r = arg;
    if (!r->stopped && notifier_redis(r->n, on_depth, r, "ZCARD %s", r->n->key_retry) == 0)
        r->ops++;
}

struct retryq *retryq_new(struct notifier *n)
{
    struct retryq *r = calloc(1, sizeof(*r));
    /* Sweeping twice per NOTIFIER_SWEEP_AFTER finds a stale row at most 1.5 times that
     * after it was last touched. */
    int period = n->cfg->sweep_after_s / 2;
    struct timeval first = {0, 100000}, depth = {DEPTH_PERIOD_S, 0};
    struct timeval sweep = {period < 1                    ? 1
                            : period > SWEEP_PERIOD_MAX_S ? SWEEP_PERIOD_MAX_S
                                                          : period,
                            0};

    if (!r)
        return NULL;
    r->n = n;
    r->poll_tm = evtimer_new(n->base, on_poll, r);
    r->sweep_tm = event_new(n->base, -1, EV_PERSIST, on_sweep, r);
    r->depth_tm = event_new(n->base, -1, EV_PERSIST, on_depth_timer, r);
    if (!r->poll_tm || !r->sweep_tm || !r->depth_tm || evtimer_add(r->poll_tm, &first) != 0 ||
        event_add(r->sweep_tm, &sweep) != 0 || event_add(r->depth_tm, &depth) != 0) {
        retryq_free(r);
        return NULL;
    }
    return r;
}

void retryq_free(struct retryq *r)
{
    if (!r)
        return;
    if (r->poll_tm)
        event_free(r->poll_tm);
    if (r->sweep_tm)
        event_free(r->sweep_tm);
    if (r->depth_tm)
        event_free(r->depth_tm);
    free(r);
}

void retryq_stop(struct retryq *r)
{
    r->stopped = 1;
    evtimer_del(r->poll_tm);
    event_del(r->sweep_tm);
    event_del(r->depth_tm);
}

int retryq_idle(const struct retryq *r)
{
    return r->ops == 0;
}

long retryq_depth(const struct retryq *r)
{
    return r->depth;
}
