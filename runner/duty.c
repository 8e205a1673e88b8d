/* duty: see duty.h. */
#include "runner/duty.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/crypto.h"
#include "common/db.h"
#include "common/log.h"
#include "common/redis.h"
#include "common/timeutil.h"
#include "runner/maintenance.h"
#include "runner/metrics.h"
#include "runner/outbox.h"
#include "runner/reconcile.h"

#define TICK_MS 1000
#define KEY_MAX 160
#define REDIS_TIMEOUT_MS 5000
/* A query that takes longer means a database that hangs: the connection is dropped and
 * the pass retried later. The maintenance's first rollup of a large history is long,
 * hence its own connection with more room. */
#define RECONCILE_QUERY_TIMEOUT_MS 60000
#define MAINTENANCE_QUERY_TIMEOUT_MS 600000

static const char renew_lua[] = "if redis.call('GET', KEYS[1]) == ARGV[1] then\n"
                                "  return redis.call('PEXPIRE', KEYS[1], ARGV[2])\n"
                                "end\n"
                                "return 0\n";
static const char release_lua[] = "if redis.call('GET', KEYS[1]) == ARGV[1] then\n"
                                  "  return redis.call('DEL', KEYS[1])\n"
                                  "end\n"
                                  "return 0\n";

struct lease {
    const char *name;
    char key[KEY_MAX];
    int held;
    int64_t last_run_us; /* 0: never ran under this holding */
};

struct duty {
    const struct runner_config *cfg;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cond;
    int stop;
    int done;            /* the thread has finished */
    struct db *db;       /* the reconciler's */
    struct db *maint_db; /* the maintenance's */
    struct redis *redis;
    char token[33];
    struct lease reconcile, maintenance;
    int outbox_failing; /* the sweep failed last time: said once, not every second */
};

static int stopping(struct duty *d)
{
    int s;
    pthread_mutex_lock(&d->mu);
    s = d->stop;
    pthread_mutex_unlock(&d->mu);
    return s;
}

/* 1 when held, 0 when not (or lost), -1 when Redis did not answer. */
static int lease_renew(struct duty *d, struct lease *l)
{
    char ttl[16];
    redisReply *r;
    int rc;

    snprintf(ttl, sizeof(ttl), "%d", DUTY_LEASE_MS);
    if (l->held) {
        r = redis_command(d->redis, "EVAL %s 1 %s %s %s", renew_lua, l->key, d->token, ttl);
        rc = r ? (r->type == REDIS_REPLY_INTEGER && r->integer == 1) : -1;
        freeReplyObject(r);
        if (rc == 0) {
            log_warn("duty: lost the %s lease (Redis flushed or restarted, or this thread "
                     "stalled); taking it again if free",
                     l->name);
            l->held = 0;
        }
        if (rc != 0)
            return rc;
    }
    r = redis_command(d->redis, "SET %s %s NX PX %s", l->key, d->token, ttl);
    rc = r ? (r->type == REDIS_REPLY_STATUS) : -1;
    freeReplyObject(r);
    if (rc == 1) {
        l->held = 1;
        l->last_run_us = 0;
        log_info("duty: this runner now holds the %s lease", l->name);
    }
    return rc;
}

static void lease_release(struct duty *d, struct lease *l)
{
    redisReply *r;

    if (!l->held)
        return;
    r = redis_command(d->redis, "EVAL %s 1 %s %s", release_lua, l->key, d->token);
    freeReplyObject(r);
    l->held = 0;
}

/* Between pages of a long pass: keep the lease, and stop early on shutdown. */
static int on_page(void *arg)
{
    struct duty *d = arg;

    if (stopping(d))
        return 1;
    return lease_renew(d, &d->reconcile) == 0; /* lost it: another runner goes on */
}

static void run_reconcile(struct duty *d)
{
    struct reconcile_stats st;
    int64_t t0 = time_mono_us();
    int rc = reconcile_run(d->db, d->redis, d->cfg->common.redis_prefix, &st, on_page, d);
    double secs = (double)(time_mono_us() - t0) / 1e6;

    metrics_reconcile(secs, st.repaired, st.removed, rc == 0);
    if (rc != 0)
        return;
    if (st.repaired || st.removed)
        log_info("reconcile: %d active monitors; %d put back on the schedule or re-specced%s, "
                 "%d removed (%.2f s)",
                 st.active, st.repaired, st.spread ? " (due times spread over an interval)" : "",
                 st.removed, secs);
    else
        log_debug("reconcile: %d active monitors, schedule in order (%.2f s)", st.active, secs);
}

static void run_outbox_sweep(struct duty *d)
{
    int swept = outbox_sweep(d->db, d->redis, d->cfg->common.redis_prefix);

    if (swept > 0)
        metrics_outbox_swept((uint64_t)swept);
    if (swept < 0 && !d->outbox_failing)
        log_warn("outbox: the sweep fails (PostgreSQL or Redis away); retrying every second");
    else if (swept >= 0 && d->outbox_failing)
        log_info("outbox: the sweep works again");
    d->outbox_failing = swept < 0;
}

static void duty_tick(struct duty *d)
{
    int64_t now = time_mono_us();
    int64_t every_r = (int64_t)d->cfg->reconcile_interval_s * 1000000;
    int64_t every_m = (int64_t)d->cfg->maintenance_interval_s * 1000000;

    if (lease_renew(d, &d->reconcile) == 1) {
        run_outbox_sweep(d);
        if (!d->reconcile.last_run_us || now - d->reconcile.last_run_us >= every_r) {
            d->reconcile.last_run_us = now;
            run_reconcile(d);
        }
    }
    if (stopping(d))
        return;
    if (lease_renew(d, &d->maintenance) == 1 &&
        (!d->maintenance.last_run_us || now - d->maintenance.last_run_us >= every_m)) {
        d->maintenance.last_run_us = now;
        metrics_maintenance(maintenance_run(d->maint_db, d->cfg->retention_days) == 0);
    }
}

static void *duty_main(void *arg)
{
    struct duty *d = arg;

    pthread_mutex_lock(&d->mu);
    while (!d->stop) {
        struct timespec until;
        pthread_mutex_unlock(&d->mu);
        duty_tick(d);
        pthread_mutex_lock(&d->mu);
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += TICK_MS / 1000;
        while (!d->stop && pthread_cond_timedwait(&d->cond, &d->mu, &until) != ETIMEDOUT)
            ;
    }
    pthread_mutex_unlock(&d->mu);
    lease_release(d, &d->reconcile);
    lease_release(d, &d->maintenance);
    pthread_mutex_lock(&d->mu);
    d->done = 1;
    pthread_cond_signal(&d->cond);
    pthread_mutex_unlock(&d->mu);
    return NULL;
}

struct duty *duty_start(const struct runner_config *cfg)
{
    struct duty *d = calloc(1, sizeof(*d));
    unsigned char raw[16];

    if (!d)
        return NULL;
    d->cfg = cfg;
    pthread_mutex_init(&d->mu, NULL);
    pthread_cond_init(&d->cond, NULL);
    snprintf(d->reconcile.key, sizeof(d->reconcile.key), "%slock:reconcile",
             cfg->common.redis_prefix);
    snprintf(d->maintenance.key, sizeof(d->maintenance.key), "%slock:maintenance",
             cfg->common.redis_prefix);
    d->reconcile.name = "reconcile";
    d->maintenance.name = "maintenance";
    if (crypto_random_bytes(raw, sizeof(raw)) != 0)
        goto fail;
    crypto_hex_encode(raw, sizeof(raw), d->token);
    d->db = db_new(cfg->common.database_url, "statushawk-runner-reconcile");
    d->maint_db = db_new(cfg->common.database_url, "statushawk-runner-maintenance");
    d->redis = redis_new(&cfg->common.redis, REDIS_TIMEOUT_MS);
    if (!d->db || !d->maint_db || !d->redis)
        goto fail;
    db_set_timeout(d->db, RECONCILE_QUERY_TIMEOUT_MS);
    db_set_timeout(d->maint_db, MAINTENANCE_QUERY_TIMEOUT_MS);
    if (pthread_create(&d->thread, NULL, duty_main, d) != 0) {
        log_error("duty: cannot start the thread");
        goto fail;
    }
    return d;
fail:
    db_free(d->db);
    db_free(d->maint_db);
    redis_free(d->redis);
    pthread_cond_destroy(&d->cond);
    pthread_mutex_destroy(&d->mu);
    free(d);
    return NULL;
}

void duty_stop(struct duty *d, int wait_ms)
{
    struct timespec until;
    int done;

    if (!d)
        return;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += wait_ms / 1000;
    until.tv_nsec += (long)(wait_ms % 1000) * 1000000;
    if (until.tv_nsec >= 1000000000) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000;
    }
    pthread_mutex_lock(&d->mu);
    d->stop = 1;
    pthread_cond_signal(&d->cond);
    while (!d->done && pthread_cond_timedwait(&d->cond, &d->mu, &until) != ETIMEDOUT)
        ;
    done = d->done;
    pthread_mutex_unlock(&d->mu);
    if (!done) {
        /* A query still running (the database hangs): exiting matters more than the
         * pass; the process's exit ends the thread and the leases expire by themselves. */
        log_warn("duty: the reconciler/maintenance thread is still in a query; not waiting");
        return;
    }
    pthread_join(d->thread, NULL);
    db_free(d->db);
    db_free(d->maint_db);
    redis_free(d->redis);
    pthread_cond_destroy(&d->cond);
    pthread_mutex_destroy(&d->mu);
    free(d);
}
