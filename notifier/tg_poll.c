/* tg_poll: see tg_poll.h.
 *
 * Threads: everything here runs on the loop except handle_batch, which runs on the
 * worker with its own synchronous PostgreSQL and Redis connections. The two meet under
 * `mu`: the loop hands over one batch at a time (updates and the offset) and the worker
 * hands back the new offset and the replies, then wakes the loop with event_active
 * (libevent is set up for threads by main). */
#include "notifier/tg_poll.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/db.h"
#include "common/log.h"
#include "common/redis.h"
#include "common/telegram.h"
#include "common/tg_start.h"
#include "common/timeutil.h"
#include "notifier/metrics.h"
#include "notifier/notifier.h"
#include "notifier/pgq.h"
#include "notifier/tgapi.h"

#define MAX_REPLIES 100      /* getUpdates returns at most 100 updates */
#define UNAVAILABLE_TRIES 10 /* then the user is told to try again, and the update skipped */
#define BACKOFF_MIN_MS 1000
#define BACKOFF_MAX_MS 30000
#define WEBHOOK_RETRY_S 60

/* The lease: renewed only by its holder, released only by its holder. */
static const char renew_script[] = "if redis.call('GET', KEYS[1]) == ARGV[1] then\n"
                                   "  return redis.call('PEXPIRE', KEYS[1], ARGV[2])\n"
                                   "end\n"
                                   "return 0\n";
static const char release_script[] =
    "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end\n"
    "return 0\n";

enum phase {
    P_IDLE,        /* not holding the lease */
    P_LOAD_OFFSET, /* reading telegram_poll_state */
    P_CLEAR_HOOK,  /* setWebhook url="" so getUpdates is allowed */
    P_POLLING,     /* getUpdates in flight */
    P_HANDLING,    /* the worker has the batch */
    P_REPLYING,    /* replies in flight */
    P_WAITING,     /* backing off */
};

struct reply {
    int64_t chat_id;
    const char *text; /* static (tg_start_reply) */
};

struct tg_poll {
    struct notifier *n;
    int polling_mode;
    char key[NOTIFIER_KEY_MAX + 16];
    int holder;
    int lock_busy; /* a lease command is out */
    int stopped;
    enum phase phase;
    int64_t offset;
    int offset_loaded;
    unsigned long call_id; /* tgapi request in flight, 0 when none */
    long ops;              /* Redis/SQL in flight */
    int backoff_ms;
    int webhook_set;
    int unavailable_tries;
    int replies_out;

    struct event *lock_tm;
    struct event *wait_tm;
    struct event *done_ev; /* the worker finished a batch */

    /* shared with the worker, under mu */
    pthread_t thread;
    int thread_started;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int quit;
    json_t *batch; /* updates to handle, NULL when none */
    int64_t batch_offset;
    int64_t result_offset;
    int result_unavailable;
    struct reply replies[MAX_REPLIES];
    int nreplies;
    struct db *db;       /* worker only */
    struct redis *redis; /* worker only */
};

static void next_step(struct tg_poll *p);

/* ---- the worker ---- */

static int store_offset(struct tg_poll *p, int64_t offset)
{
    static const char sql[] =
        "INSERT INTO telegram_poll_state (bot_id, update_offset) VALUES ($1, $2)"
        " ON CONFLICT (bot_id) DO UPDATE SET update_offset ="
        " GREATEST(telegram_poll_state.update_offset, EXCLUDED.update_offset), updated_at = now()";
    char off[24];
    snprintf(off, sizeof(off), "%" PRId64, offset);
    const char *params[] = {p->n->bot_id, off};
    return db_exec(p->db, NULL, sql, 2, params) == DB_OK ? 0 : -1;
}

/* Handles the updates of one getUpdates answer in order; stops at the first one that
 * cannot be handled now (database or Redis down), leaving it for the next poll. */
static void handle_batch(struct tg_poll *p, json_t *updates, int64_t offset, int give_up)
{
    struct tg_start_env env = {.db = p->db,
                               .redis = p->redis,
                               .redis_prefix = p->n->cfg->common.redis_prefix,
                               .secret_key = p->n->cfg->secret_key};
    size_t i;
    json_t *u;

    p->result_unavailable = 0;
    p->nreplies = 0;
    json_array_foreach(updates, i, u)
    {
        json_t *idv = json_object_get(u, "update_id");
        struct telegram_message m;
        if (!json_is_integer(idv))
            continue;
        int64_t id = json_integer_value(idv);
        if (id < offset)
            continue; /* handled before (an answer repeated after a lost offset write) */
        enum tg_start_result r = TG_START_NOT_START;
        if (telegram_update_message(u, &m)) {
            int64_t channel = 0;
            r = tg_start_handle(&env, &m, time_now_ms() / 1000, &channel);
            if (r == TG_START_UNAVAILABLE && !give_up) {
                p->result_unavailable = 1;
                break;
            }
            if (r == TG_START_CONNECTED)
                metrics_count(M_TG_LINKED, 1);
            if (r != TG_START_NOT_START && p->nreplies < MAX_REPLIES)
                p->replies[p->nreplies++] =
                    (struct reply){.chat_id = m.chat_id, .text = tg_start_reply(r)};
            log_info("telegram update %" PRId64 " (chat %" PRId64 "): %s", id, m.chat_id,
                     tg_start_result_name(r));
        }
        metrics_count(M_TG_UPDATES, 1);
        if (store_offset(p, id + 1) != 0) {
            /* Handled but not recorded: stop here, so at worst this one update is seen
             * again (tg_start then answers "already connected"). */
            log_warn("telegram polling: cannot store the offset: %s", db_last_error(p->db));
            p->result_unavailable = 1;
            offset = id + 1;
            break;
        }
        offset = id + 1;
    }
    p->result_offset = offset;
}

static void *worker_main(void *arg)
{
    struct tg_poll *p = arg;

    pthread_mutex_lock(&p->mu);
    for (;;) {
        while (!p->quit && !p->batch)
            pthread_cond_wait(&p->cv, &p->mu);
        if (p->quit && !p->batch)
            break;
        json_t *batch = p->batch;
        int64_t offset = p->batch_offset;
        int give_up = p->unavailable_tries >= UNAVAILABLE_TRIES;
        pthread_mutex_unlock(&p->mu);
        handle_batch(p, batch, offset, give_up);
        pthread_mutex_lock(&p->mu);
        json_decref(batch);
        p->batch = NULL;
        event_active(p->done_ev, EV_READ, 0);
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

/* ---- the loop side ---- */

static void wait_then_step(struct tg_poll *p, int ms)
{
    struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
    p->phase = P_WAITING;
    evtimer_add(p->wait_tm, &tv);
}

static void backoff(struct tg_poll *p)
{
    log_debug("telegram polling: backing off");
    p->backoff_ms = p->backoff_ms ? p->backoff_ms * 2 : BACKOFF_MIN_MS;
    if (p->backoff_ms > BACKOFF_MAX_MS)
        p->backoff_ms = BACKOFF_MAX_MS;
    wait_then_step(p, p->backoff_ms);
}

static void on_reply_sent(struct telegram_result *res, void *arg)
{
    struct tg_poll *p = arg;
    if (res->outcome != TELEGRAM_OK)
        log_warn("telegram polling: reply not delivered: %s %s",
                 telegram_outcome_name(res->outcome), res->description);
    if (--p->replies_out == 0) {
        p->phase = P_IDLE;
        next_step(p);
    }
}

static void on_worker_done(evutil_socket_t fd, short what, void *arg)
{
    struct tg_poll *p = arg;
    struct reply replies[MAX_REPLIES];
    int nreplies, unavailable;

    pthread_mutex_lock(&p->mu);
    p->offset = p->result_offset;
    nreplies = p->nreplies;
    unavailable = p->result_unavailable;
    memcpy(replies, p->replies, sizeof(replies[0]) * (size_t)nreplies);
    pthread_mutex_unlock(&p->mu);

    p->unavailable_tries = unavailable ? p->unavailable_tries + 1 : 0;
    p->replies_out = 0;
    p->phase = P_REPLYING;
    for (int i = 0; i < nreplies && !p->n->closing; i++) {
        char chat[24];
        snprintf(chat, sizeof(chat), "%" PRId64, replies[i].chat_id);
        json_t *params = telegram_send_message_params(chat, replies[i].text, NULL);
        if (params && tgapi_call(p->n, "sendMessage", params, p->n->cfg->send_timeout_ms,
                                 on_reply_sent, p) != 0)
            p->replies_out++;
        json_decref(params);
    }
    if (p->replies_out == 0) {
        if (unavailable)
            wait_then_step(p, 2000);
        else {
            p->phase = P_IDLE;
            next_step(p);
        }
    }
}

static void on_updates(struct telegram_result *res, void *arg)
{
    struct tg_poll *p = arg;

    p->call_id = 0;
    p->phase = P_IDLE;
    if (res->outcome == TELEGRAM_OK && json_is_array(res->result)) {
        p->backoff_ms = 0;
        if (json_array_size(res->result) == 0) {
            next_step(p);
            return;
        }
        pthread_mutex_lock(&p->mu);
        p->batch = json_incref(res->result);
        p->batch_offset = p->offset;
        pthread_cond_signal(&p->cv);
        pthread_mutex_unlock(&p->mu);
        p->phase = P_HANDLING;
        return;
    }
    log_warn("telegram getUpdates: %s (HTTP %ld) %s", telegram_outcome_name(res->outcome),
             res->http_status, res->description);
    if (res->outcome == TELEGRAM_RETRY_AFTER) {
        wait_then_step(p, res->retry_after * 1000);
    } else if (res->http_status == 409) {
        /* A webhook is set (or another process polls): clear it before polling again. */
        p->webhook_set = 1;
        backoff(p);
    } else {
        backoff(p);
    }
}

static void on_hook_cleared(struct telegram_result *res, void *arg)
{
    struct tg_poll *p = arg;
    p->call_id = 0;
    p->phase = P_IDLE;
    if (res->outcome != TELEGRAM_OK) {
        log_warn("telegram setWebhook (clear): %s %s", telegram_outcome_name(res->outcome),
                 res->description);
        backoff(p);
        return;
    }
    p->webhook_set = 0;
    log_debug("telegram polling: no webhook set; long-polling getUpdates");
    next_step(p);
}

static void on_offset(enum pgq_status st, PGresult *res, const char *err, void *arg)
{
    struct tg_poll *p = arg;
    p->ops--;
    p->phase = P_IDLE;
    if (st != PGQ_OK) {
        log_warn("telegram polling: cannot read the stored offset: %s", err);
        backoff(p);
        return;
    }
    p->offset = PQntuples(res) > 0 ? strtoll(PQgetvalue(res, 0, 0), NULL, 10) : 0;
    p->offset_loaded = 1;
    log_info("telegram polling: this notifier polls (from update %" PRId64 ")", p->offset);
    next_step(p);
}

/* What to do next while holding the lease and not busy. */
static void next_step(struct tg_poll *p)
{
    struct notifier *n = p->n;

    if (p->phase != P_IDLE || !p->holder || p->stopped || n->stopping || !p->polling_mode)
        return;
    if (!p->offset_loaded) {
        static const char sql[] = "SELECT update_offset FROM telegram_poll_state WHERE bot_id = $1";
        const char *params[] = {n->bot_id};
        if (pgq_exec(n->pg, sql, 1, params, on_offset, p) == 0) {
            p->ops++;
            p->phase = P_LOAD_OFFSET;
        } else {
            backoff(p);
        }
        return;
    }
    if (p->webhook_set) {
        json_t *params = json_pack("{s:s}", "url", "");
        p->call_id =
            tgapi_call(n, "setWebhook", params, n->cfg->send_timeout_ms, on_hook_cleared, p);
        json_decref(params);
        if (p->call_id)
            p->phase = P_CLEAR_HOOK;
        else
            backoff(p);
        return;
    }
    json_t *params = json_pack("{s:I, s:i, s:[s]}", "offset", (json_int_t)p->offset, "timeout",
                               n->cfg->tg_poll_timeout_s, "allowed_updates", "message");
    p->call_id =
        tgapi_call(n, "getUpdates", params,
                   (long)n->cfg->tg_poll_timeout_s * 1000 + n->cfg->send_timeout_ms, on_updates, p);
    json_decref(params);
    if (p->call_id)
        p->phase = P_POLLING;
    else
        backoff(p);
}

static void on_wait(evutil_socket_t fd, short what, void *arg)
{
    struct tg_poll *p = arg;
    p->phase = P_IDLE;
    next_step(p);
}

/* ---- webhook mode ---- */

static void on_webhook_registered(struct telegram_result *res, void *arg)
{
    struct tg_poll *p = arg;
    p->call_id = 0;
    if (res->outcome == TELEGRAM_OK) {
        log_info("telegram: webhook registered");
        p->webhook_set = 1;
    } else {
        log_warn("telegram setWebhook: %s %s (again in %d s)", telegram_outcome_name(res->outcome),
                 res->description, WEBHOOK_RETRY_S);
    }
}

static void register_webhook(struct tg_poll *p)
{
    const struct notifier_config *cfg = p->n->cfg;
    json_t *params =
        json_pack("{s:s, s:[s]}", "url", cfg->telegram_webhook_url, "allowed_updates", "message");
    if (params && cfg->telegram_webhook_secret[0])
        json_object_set_new(params, "secret_token", json_string(cfg->telegram_webhook_secret));
    if (params)
        p->call_id =
            tgapi_call(p->n, "setWebhook", params, cfg->send_timeout_ms, on_webhook_registered, p);
    json_decref(params);
}

/* ---- the lease ---- */

static void lose_lease(struct tg_poll *p)
{
    if (!p->holder)
        return;
    log_warn("telegram polling: lost the lease %s; another notifier polls now", p->key);
    p->holder = 0;
    p->offset_loaded = 0; /* the next holder may have moved it */
    if (p->call_id && p->phase == P_POLLING) {
        tgapi_cancel(p->n, p->call_id);
        p->call_id = 0;
        p->phase = P_IDLE;
    }
}

static void on_lease(redisAsyncContext *ac, void *reply, void *priv)
{
    struct tg_poll *p = priv;
    redisReply *r = reply;

    p->ops--;
    p->lock_busy = 0;
    if (!r || p->stopped)
        return;
    if (p->holder) {
        if (!(r->type == REDIS_REPLY_INTEGER && r->integer == 1))
            lose_lease(p);
        return;
    }
    if (r->type == REDIS_REPLY_STATUS) {
        p->holder = 1;
        p->backoff_ms = 0;
        if (p->polling_mode) {
            p->webhook_set = 1; /* clear any webhook before the first getUpdates */
            next_step(p);
        } else if (!p->webhook_set && !p->call_id) {
            register_webhook(p);
        }
    }
}

static void on_lock_timer(evutil_socket_t fd, short what, void *arg)
{
    struct tg_poll *p = arg;
    struct notifier *n = p->n;
    char ttl[24];
    long ttl_ms = n->cfg->tg_lock_ttl_s * 1000L;

    if (p->lock_busy || p->stopped || n->stopping)
        return;
    if (!p->polling_mode && p->webhook_set)
        return; /* registered: nothing more to do in webhook mode */
    snprintf(ttl, sizeof(ttl), "%ld", ttl_ms);
    int rc;
    if (p->holder) {
        const char *argv[] = {"EVAL", renew_script, "1", p->key, n->cfg->consumer, ttl};
        rc = notifier_redis_argv(n, on_lease, p, 6, argv, NULL);
    } else {
        const char *argv[] = {"SET", p->key, n->cfg->consumer, "NX", "PX", ttl};
        rc = notifier_redis_argv(n, on_lease, p, 6, argv, NULL);
    }
    if (rc == 0) {
        p->lock_busy = 1;
        p->ops++;
    }
}

static void on_released(redisAsyncContext *ac, void *reply, void *priv)
{
    struct tg_poll *p = priv;
    p->ops--;
}

/* ---- life ---- */

struct tg_poll *tg_poll_new(struct notifier *n)
{
    const struct notifier_config *cfg = n->cfg;
    struct tg_poll *p;
    long period_ms = cfg->tg_lock_ttl_s * 1000L / 3;
    struct timeval period = {period_ms / 1000, (period_ms % 1000) * 1000};

    if (cfg->telegram_mode == TELEGRAM_MODE_OFF)
        return NULL;
    p = calloc(1, sizeof(*p));
    if (!p)
        return NULL;
    p->n = n;
    p->polling_mode = cfg->telegram_mode == TELEGRAM_MODE_POLLING;
    snprintf(p->key, sizeof(p->key), "%slock:tg-poll", n->key_prefix);
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv, NULL);
    p->lock_tm = event_new(n->base, -1, EV_PERSIST, on_lock_timer, p);
    p->wait_tm = evtimer_new(n->base, on_wait, p);
    p->done_ev = event_new(n->base, -1, 0, on_worker_done, p);
    if (!p->lock_tm || !p->wait_tm || !p->done_ev || event_add(p->lock_tm, &period) != 0)
        goto fail;
    if (p->polling_mode) {
        p->db = db_new(cfg->common.database_url, "statushawk-notifier-telegram");
        p->redis = redis_new(&cfg->common.redis, 3000);
        if (!p->db || !p->redis)
            goto fail;
        if (pthread_create(&p->thread, NULL, worker_main, p) != 0)
            goto fail;
        p->thread_started = 1;
    }
    return p;
fail:
    log_error("telegram polling: cannot start");
    tg_poll_free(p);
    return NULL;
}

void tg_poll_free(struct tg_poll *p)
{
    if (!p)
        return;
    if (p->thread_started) {
        pthread_mutex_lock(&p->mu);
        p->quit = 1;
        pthread_cond_signal(&p->cv);
        pthread_mutex_unlock(&p->mu);
        pthread_join(p->thread, NULL);
    }
    json_decref(p->batch);
    if (p->call_id)
        tgapi_cancel(p->n, p->call_id);
    if (p->lock_tm)
        event_free(p->lock_tm);
    if (p->wait_tm)
        event_free(p->wait_tm);
    if (p->done_ev)
        event_free(p->done_ev);
    db_free(p->db);
    redis_free(p->redis);
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->cv);
    free(p);
}

void tg_poll_kick(struct tg_poll *p)
{
    event_active(p->lock_tm, EV_TIMEOUT, 0);
}

void tg_poll_stop(struct tg_poll *p)
{
    p->stopped = 1;
    event_del(p->lock_tm);
    evtimer_del(p->wait_tm);
    if (p->call_id && (p->phase == P_POLLING || !p->polling_mode)) {
        tgapi_cancel(p->n, p->call_id);
        p->call_id = 0;
    }
    if (p->phase == P_POLLING || p->phase == P_WAITING)
        p->phase = P_IDLE;
    if (p->holder && p->polling_mode) {
        const char *argv[] = {"EVAL", release_script, "1", p->key, p->n->cfg->consumer};
        if (notifier_redis_argv(p->n, on_released, p, 5, argv, NULL) == 0)
            p->ops++;
        p->holder = 0;
    }
}

int tg_poll_idle(const struct tg_poll *p)
{
    return p->ops == 0 && p->call_id == 0 && (p->phase == P_IDLE || p->phase == P_WAITING);
}

int tg_poll_holder(const struct tg_poll *p)
{
    return p->holder;
}
