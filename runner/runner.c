/* runner: see runner.h. */
#include "runner/runner.h"

#include <event2/dns.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/alert.h"
#include "common/log.h"
#include "common/redis_async.h"
#include "common/timeutil.h"
#include "runner/alert_queue.h"
#include "runner/cert.h"
#include "runner/claim.h"
#include "runner/duty.h"
#include "runner/endpoint.h"
#include "runner/metrics.h"
#include "runner/persist.h"
#include "runner/pgconn.h"
#include "runner/probe_http.h"
#include "runner/probe_ping.h"
#include "runner/probe_tcp.h"
#include "runner/resolve.h"
#include "runner/transition.h"

#define STOP_TICK_MS 50
#define STATEMENT_TIMEOUT_MS 60000
#define DUTY_STOP_WAIT_MS 5000

/* ---- a check's way through ---- */

void check_fail(struct check *c, const char *fmt, ...)
{
    va_list ap;

    c->result.transport_ok = 0;
    va_start(ap, fmt);
    vsnprintf(c->result.error, sizeof(c->result.error), fmt, ap);
    va_end(ap);
    if (!c->result.error[0])
        snprintf(c->result.error, sizeof(c->result.error), "error");
}

void check_probe_done(struct check *c)
{
    struct runner *r = c->runner;

    c->phase = CHECK_DONE;
    c->done_next = NULL;
    if (r->done_tail)
        r->done_tail->done_next = c;
    else
        r->done_head = c;
    r->done_tail = c;
    event_active(r->reap_ev, EV_TIMEOUT, 0);
}

static void check_free(struct runner *r, struct check *c)
{
    if (c->prev)
        c->prev->next = c->next;
    else
        r->checks = c->next;
    if (c->next)
        c->next->prev = c->prev;
    r->inflight--;
    spec_free(c->spec);
    free(c->window);
    free(c);
}

/* The last step of every check: it leaves the runner, capacity frees up. */
static void check_finished(struct runner *r, struct check *c)
{
    check_free(r, c);
    if (!r->stopping)
        claim_kick(r->claim);
}

static void anomaly_alert(struct runner *r, struct check *c)
{
    struct alert a = {0};
    json_t *details =
        json_pack("{s:f, s:f, s:f, s:f}", "latency_ms", c->result.response_ms, "mean_ms",
                  c->anomaly.mean, "stdev_ms", c->anomaly.stdev, "z", c->anomaly.z);

    a.kind = "anomaly";
    a.user_id = c->spec->user_id;
    a.monitor_id = c->id;
    a.monitor_name = c->spec->name;
    a.url = c->spec->url;
    a.time_ms = c->started_ms;
    a.details = details;
    alert_queue_push(r->alerts, &a);
    json_decref(details);
}

static void on_completed(struct check *c, int anomaly_alert_taken, void *arg)
{
    struct runner *r = arg;

    if (anomaly_alert_taken == 1)
        anomaly_alert(r, c);
    else if (anomaly_alert_taken < 0)
        log_debug("monitor %lld: schedule update not confirmed; the lease will bring it back",
                  (long long)c->id);
    check_finished(r, c);
}

static void release(struct runner *r, struct check *c)
{
    metrics_check_released();
    c->phase = CHECK_COMPLETING;
    if (claim_release(r->claim, c, on_completed, r) != 0)
        check_finished(r, c);
}

/* Decides, records the result, and updates the schedule for one probed check. */
static void process(struct runner *r, struct check *c)
{
    const struct check_spec *spec = c->spec;
    struct probe_result *res = &c->result;
    int64_t now = time_now_ms();
    int up = res->transport_ok && res->error[0] == '\0';
    struct decision d;
    struct result_row row;
    struct claim_completion cc;

    if (c->cancelled) {
        release(r, c);
        return;
    }
    decide(&c->state, up, spec->retries, c->started_ms, &d);
    memset(&c->anomaly, 0, sizeof(c->anomaly));
    if (up && res->has_time)
        anomaly_evaluate(c->window, c->nwindow, res->response_ms, spec->anomaly_threshold,
                         r->cfg->anomaly_min_delta_ms, &c->anomaly);

    memset(&row, 0, sizeof(row));
    row.monitor_id = c->id;
    row.checked_ms = c->started_ms;
    row.status_code = res->status_code;
    row.has_time = (char)res->has_time;
    row.response_ms = res->response_ms;
    row.is_up = (char)up;
    snprintf(row.error, sizeof(row.error), "%s", res->error);
    row.confirmed = d.confirmed == MON_UP ? 'U' : (d.confirmed == MON_DOWN ? 'D' : 0);
    row.since_ms = d.confirmed == MON_DOWN ? d.next.fail_since_ms : 0;
    if (res->cert_not_after_ms) {
        row.cert_ms = res->cert_not_after_ms;
        row.cert_level = cert_level(res->cert_not_after_ms, c->started_ms);
    }
    if (c->anomaly.flagged) {
        row.anomaly = 1;
        row.an_mean = c->anomaly.mean;
        row.an_stdev = c->anomaly.stdev;
        row.an_z = c->anomaly.z;
        metrics_anomaly();
        log_info(
            "monitor %lld: response time %.1f ms is an anomaly (mean %.1f, stdev %.1f, z %.2f)",
            (long long)c->id, res->response_ms, c->anomaly.mean, c->anomaly.stdev, c->anomaly.z);
    }
    persist_add(r->persist, &row);
    metrics_check_done(spec->type, up, (double)(c->started_ms - c->due_ms) / 1000.0);
    if (log_enabled(SH_LOG_DEBUG))
        log_debug("monitor %lld: %s %s in %.1f ms%s%s", (long long)c->id,
                  spec_type_name(spec->type), up ? "up" : "down", res->response_ms,
                  res->error[0] ? ": " : "", res->error);

    c->state = d.next;
    memset(&cc, 0, sizeof(cc));
    cc.next_due_ms = decide_next_due(c->due_ms, now, spec->interval_s, d.recheck,
                                     (int64_t)r->cfg->retry_delay_s * 1000);
    cc.push_latency = up && res->has_time;
    cc.latency_ms = res->response_ms;
    cc.want_anomaly_alert = c->anomaly.flagged;
    cc.now_ms = now;
    cc.cooldown_until_ms = now + (int64_t)r->cfg->anomaly_cooldown_s * 1000;
    c->phase = CHECK_COMPLETING;
    if (claim_complete(r->claim, c, &cc, on_completed, r) != 0) {
        /* Redis is away: the result is recorded; the lease makes the monitor due again. */
        check_finished(r, c);
    }
}

static void on_reap(evutil_socket_t fd, short what, void *arg)
{
    struct runner *r = arg;

    while (r->done_head) {
        struct check *c = r->done_head;
        r->done_head = c->done_next;
        if (!r->done_head)
            r->done_tail = NULL;
        process(r, c);
    }
}

static void cancel_probe(struct runner *r, struct check *c)
{
    switch (c->spec->type) {
    case CHECK_HTTP:
        probe_http_cancel(r->http, c);
        break;
    case CHECK_TCP:
        probe_tcp_cancel(r->tcp, c);
        break;
    case CHECK_PING:
        probe_ping_cancel(r->ping, c);
        break;
    }
}

void runner_start_check(struct runner *r, struct check *c)
{
    c->next = r->checks;
    if (r->checks)
        r->checks->prev = c;
    r->checks = c;
    r->inflight++;
    c->phase = CHECK_PROBING;
    c->started_ms = time_now_ms();
    c->started_us = time_mono_us();
    if (r->stopping) {
        /* A claim answered after SIGTERM: give the monitor straight back. */
        c->cancelled = 1;
        check_probe_done(c);
        return;
    }
    switch (c->spec->type) {
    case CHECK_HTTP:
        probe_http_start(r->http, c);
        break;
    case CHECK_TCP:
        probe_tcp_start(r->tcp, c);
        break;
    case CHECK_PING:
        probe_ping_start(r->ping, c);
        break;
    }
}

int runner_free_capacity(const struct runner *r)
{
    int n = r->cfg->max_inflight - r->inflight;
    return r->stopping || n < 0 ? 0 : n;
}

int runner_ready(const struct runner *r, int *pg_ok, int *redis_ok)
{
    *pg_ok = r->pg && pgconn_connected(r->pg);
    *redis_ok = r->redis && redis_async_connected(r->redis);
    return *pg_ok && *redis_ok && !r->stopping;
}

/* ---- connections ---- */

static void on_redis_state(struct redis_async *ra, int connected, void *arg)
{
    struct runner *r = arg;

    if (!connected)
        return;
    claim_on_connect(r->claim);
    alert_queue_kick(r->alerts);
}

static void on_pg_ready(void *arg)
{
    struct runner *r = arg;

    if (r->persist)
        persist_kick(r->persist);
}

static void on_rows(PGresult *res, void *arg)
{
    struct runner *r = arg;

    transition_handle_rows(r->alerts, res);
}

static void on_alert_published(const char *alert_id, void *arg)
{
    struct runner *r = arg;

    persist_forget_alert(r->persist, alert_id);
}

/* ---- shutdown ---- */

static void stop_loop(struct runner *r)
{
    event_base_loopexit(r->base, NULL);
}

static void on_stop_tick(evutil_socket_t fd, short what, void *arg)
{
    struct runner *r = arg;
    int64_t elapsed_ms = (time_mono_us() - r->stop_started_us) / 1000;
    int64_t limit_ms = (int64_t)r->cfg->shutdown_timeout_s * 1000;
    struct timeval tv = {0, STOP_TICK_MS * 1000};

    if (!r->cancelled_all && r->inflight > 0 && elapsed_ms >= limit_ms / 2) {
        /* Half the time is for the checks: the rest go back to the schedule, so another
         * runner takes them now instead of when their lease ends. */
        struct check *c, *next;
        r->cancelled_all = 1;
        log_info("shutdown: releasing %d checks still in flight", r->inflight);
        for (c = r->checks; c; c = next) {
            next = c->next;
            if (c->phase == CHECK_PROBING)
                cancel_probe(r, c);
        }
    }
    if (elapsed_ms >= limit_ms) {
        log_warn("shutdown: RUNNER_SHUTDOWN_TIMEOUT (%d s) reached; exiting with %d checks, "
                 "%d results and %d alerts outstanding",
                 r->cfg->shutdown_timeout_s, r->inflight, persist_pending(r->persist),
                 alert_queue_pending(r->alerts));
        stop_loop(r);
        return;
    }
    if (r->inflight == 0 && !claim_outstanding(r->claim) && persist_pending(r->persist) == 0 &&
        alert_queue_pending(r->alerts) == 0 && persist_outbox_pending(r->persist) == 0 &&
        resolve_live() == 0) {
        log_info("shutdown: every check finished or released, results and alerts written");
        stop_loop(r);
        return;
    }
    evtimer_add(r->stop_timer, &tv);
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
    struct runner *r = arg;
    struct timeval now = {0, 0};

    if (r->stopping) {
        log_warn("second signal: exiting without waiting");
        r->exit_status = 1;
        event_base_loopbreak(r->base);
        return;
    }
    log_info("%s: no more claims; finishing the checks in flight", strsignal((int)sig));
    r->stopping = 1;
    r->stop_started_us = time_mono_us();
    claim_stop(r->claim);
    evtimer_add(r->stop_timer, &now);
}

/* ---- setup and teardown ---- */

static void teardown(struct runner *r)
{
    struct check *c, *next;

    /* The duties first: their thread finishes its page and releases its leases. */
    duty_stop(r->duty, DUTY_STOP_WAIT_MS);
    r->duty = NULL;
    /* Stop what still probes; its data goes now, the checks below. */
    for (c = r->checks; c; c = next) {
        next = c->next;
        if (c->phase == CHECK_PROBING)
            cancel_probe(r, c);
    }
    if (r->claim)
        claim_stop(r->claim);
    if (r->alerts)
        alert_queue_abandon(r->alerts);
    if (r->persist)
        persist_abandon(r->persist);
    /* Freeing the connection answers every pending call with NULL: completions free
     * their checks through on_completed. */
    redis_async_free(r->redis);
    r->redis = NULL;
    while (r->checks)
        check_free(r, r->checks);
    endpoint_free(r->endpoint);
    r->done_head = r->done_tail = NULL;
    alert_queue_free(r->alerts);
    claim_free(r->claim);
    probe_http_free(r->http);
    probe_tcp_free(r->tcp);
    probe_ping_free(r->ping);
    persist_free(r->persist);
    pgconn_free(r->pg);
    if (r->dns)
        evdns_base_free(r->dns, 0);
    if (r->reap_ev)
        event_free(r->reap_ev);
    if (r->stop_timer)
        event_free(r->stop_timer);
    if (r->sigterm)
        event_free(r->sigterm);
    if (r->sigint)
        event_free(r->sigint);
    if (r->base)
        event_base_free(r->base);
}

int runner_run(const struct runner_config *cfg)
{
    struct runner r;

    memset(&r, 0, sizeof(r));
    r.cfg = cfg;
    r.prefix = cfg->common.redis_prefix;
    signal(SIGPIPE, SIG_IGN);

    r.base = event_base_new();
    if (!r.base) {
        log_error("cannot create the event loop");
        return 1;
    }
    r.dns = evdns_base_new(r.base,
                           EVDNS_BASE_INITIALIZE_NAMESERVERS | EVDNS_BASE_DISABLE_WHEN_INACTIVE);
    if (!r.dns) {
        /* No usable resolv.conf: names in /etc/hosts still resolve; others fail "dns". */
        r.dns = evdns_base_new(r.base, EVDNS_BASE_DISABLE_WHEN_INACTIVE);
        if (r.dns)
            evdns_base_load_hosts(r.dns, NULL);
        log_warn("no usable /etc/resolv.conf: TCP and PING checks resolve /etc/hosts only");
    }
    r.reap_ev = event_new(r.base, -1, 0, on_reap, &r);
    r.stop_timer = evtimer_new(r.base, on_stop_tick, &r);
    r.sigterm = evsignal_new(r.base, SIGTERM, on_signal, &r);
    r.sigint = evsignal_new(r.base, SIGINT, on_signal, &r);
    if (!r.dns || !r.reap_ev || !r.stop_timer || !r.sigterm || !r.sigint ||
        evsignal_add(r.sigterm, NULL) != 0 || evsignal_add(r.sigint, NULL) != 0) {
        log_error("cannot set up the event loop");
        r.exit_status = 1;
        goto out;
    }
    r.claim = claim_new(&r);
    r.http = probe_http_new(r.base, cfg);
    r.tcp = probe_tcp_new(r.base, r.dns, cfg);
    r.ping = probe_ping_new(r.base, r.dns, cfg);
    r.pg = pgconn_new(r.base, cfg->common.database_url, "statushawk-runner", STATEMENT_TIMEOUT_MS,
                      on_pg_ready, &r);
    r.redis = redis_async_new(r.base, &cfg->common.redis, on_redis_state, &r);
    if (r.redis)
        r.alerts = alert_queue_new(r.base, r.redis, r.prefix, cfg->alert_queue_max,
                                   on_alert_published, &r);
    if (r.pg)
        r.persist = persist_new(r.base, cfg, r.pg, on_rows, &r);
    if (!r.claim || !r.http || !r.tcp || !r.ping || !r.pg || !r.redis || !r.alerts || !r.persist) {
        log_error("cannot start: out of memory");
        r.exit_status = 1;
        goto out;
    }
    r.duty = duty_start(cfg);
    if (!r.duty) {
        log_error("cannot start the duty thread");
        r.exit_status = 1;
        goto out;
    }
    if (cfg->http_listen[0] && !(r.endpoint = endpoint_new(&r))) {
        r.exit_status = 1;
        goto out;
    }
    log_info("statushawk-runner %s: up to %d checks at once, prefix \"%s\"", STATUSHAWK_VERSION,
             cfg->max_inflight, r.prefix);
    event_base_dispatch(r.base);
out:
    teardown(&r);
    {
        struct metrics_totals t;
        metrics_get_totals(&t);
        log_info("exit: %llu checks done, %llu released; %llu results written, %llu dropped; "
                 "%llu alerts published, %llu dropped",
                 (unsigned long long)t.checks, (unsigned long long)t.released,
                 (unsigned long long)t.written, (unsigned long long)t.dropped,
                 (unsigned long long)t.alerts, (unsigned long long)t.alerts_dropped);
    }
    return r.exit_status;
}
