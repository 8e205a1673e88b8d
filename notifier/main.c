/* statushawk-notifier: delivers the alerts on the <prefix>alerts stream to each user's
 * channels (Telegram, webhook, console). One libevent loop; see docs/notifier.md.
 *
 * Shutdown: the first SIGTERM or SIGINT stops taking new work (no more reads, claims or
 * retries; waiting Telegram deliveries are handed to the retry queue for another notifier),
 * lets the sends in flight finish and their outcomes be recorded, then exits 0. After
 * NOTIFIER_SHUTDOWN_TIMEOUT, or at a second signal, it exits at once — still with nothing
 * lost: whatever was unfinished stays pending on the stream for a take-over. */
#include <curl/curl.h>
#include <event2/thread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "common/redis_async.h"
#include "common/timeutil.h"
#include "notifier/consume.h"
#include "notifier/deliver.h"
#include "notifier/endpoint.h"
#include "notifier/fanout.h"
#include "notifier/httpc.h"
#include "notifier/notifier.h"
#include "notifier/notifier_config.h"
#include "notifier/pgq.h"
#include "notifier/retry.h"
#include "notifier/tg_poll.h"
#include "notifier/tgqueue.h"

#define PGQ_MAX_QUEUED 10000
#define DRAIN_CHECK_MS 50

struct app {
    struct notifier n;
    struct notifier_config cfg;
    struct event *sigterm, *sigint;
    struct event *drain_tm;
    int64_t drain_deadline_us;
    int exit_code;
};

static void on_kick(evutil_socket_t fd, short what, void *arg)
{
    struct app *a = arg;
    if (a->n.consume)
        consume_kick(a->n.consume);
}

/* ---- connection state ---- */

static void on_redis_state(struct redis_async *ra, int connected, void *arg)
{
    struct app *a = arg;
    if (!connected)
        return;
    if (a->n.consume)
        consume_kick(a->n.consume);
    if (a->n.tg_poll)
        tg_poll_kick(a->n.tg_poll);
}

/* ---- shutdown ---- */

static int drained(struct app *a)
{
    struct notifier *n = &a->n;
    return consume_idle(n->consume) && fanout_idle(n->fanout) && deliver_idle(n->deliver) &&
           tgqueue_idle(n->tgqueue) && retryq_idle(n->retry) &&
           (!n->tg_poll || tg_poll_idle(n->tg_poll)) && pgq_pending(n->pg) == 0 &&
           httpc_running(n->http) == 0 && n->redis_outstanding == 0;
}

static void on_drain_check(evutil_socket_t fd, short what, void *arg)
{
    struct app *a = arg;
    if (drained(a)) {
        log_info("shutdown: everything in flight is finished");
        event_base_loopexit(a->n.base, NULL);
        return;
    }
    if (time_mono_us() > a->drain_deadline_us) {
        log_warn("shutdown: NOTIFIER_SHUTDOWN_TIMEOUT reached with %ld alerts unfinished; they "
                 "stay pending for another notifier",
                 notifier_inflight(&a->n));
        event_base_loopexit(a->n.base, NULL);
        return;
    }
    struct timeval tv = {0, DRAIN_CHECK_MS * 1000};
    evtimer_add(a->drain_tm, &tv);
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
    struct app *a = arg;
    struct notifier *n = &a->n;

    if (n->stopping) {
        log_warn("second signal: exiting now; unfinished alerts stay pending on the stream");
        event_base_loopbreak(n->base);
        return;
    }
    log_info("%s: finishing the sends in flight (at most %d s)",
             sig == SIGTERM ? "SIGTERM" : "SIGINT", n->cfg->shutdown_timeout_s);
    n->stopping = 1;
    a->drain_deadline_us = time_mono_us() + (int64_t)n->cfg->shutdown_timeout_s * 1000000;
    consume_stop(n->consume);
    retryq_stop(n->retry);
    tgqueue_stop(n->tgqueue);
    if (n->tg_poll)
        tg_poll_stop(n->tg_poll);
    on_drain_check(-1, 0, a);
}

/* ---- start and stop ---- */

static void set_keys(struct notifier *n)
{
    const char *prefix = n->cfg->common.redis_prefix;
    const char *token = n->cfg->telegram_bot_token;
    snprintf(n->key_prefix, sizeof(n->key_prefix), "%s", prefix);
    snprintf(n->key_stream, sizeof(n->key_stream), "%salerts", prefix);
    snprintf(n->key_retry, sizeof(n->key_retry), "%salerts:retry", prefix);
    /* The bot's id is the token's part before ':' (checked digits at start). */
    size_t idlen = strcspn(token, ":");
    snprintf(n->bot_id, sizeof(n->bot_id), "%.*s", (int)(idlen < 20 ? idlen : 20), token);
    if (!n->bot_id[0])
        snprintf(n->bot_id, sizeof(n->bot_id), "0");
}

static int start(struct app *a)
{
    struct notifier *n = &a->n;
    const struct notifier_config *cfg = &a->cfg;

    n->cfg = cfg;
    set_keys(n);
    /* Before the base exists: tg_poll's worker wakes the loop from its thread. */
    if (evthread_use_pthreads() != 0) {
        log_error("libevent without thread support");
        return -1;
    }
    n->base = event_base_new();
    if (!n->base)
        return -1;
    n->kick = event_new(n->base, -1, 0, on_kick, a);
    a->drain_tm = evtimer_new(n->base, on_drain_check, a);
    a->sigterm = evsignal_new(n->base, SIGTERM, on_signal, a);
    a->sigint = evsignal_new(n->base, SIGINT, on_signal, a);
    if (!n->kick || !a->drain_tm || !a->sigterm || !a->sigint || event_add(a->sigterm, NULL) != 0 ||
        event_add(a->sigint, NULL) != 0)
        return -1;
    n->pg = pgq_new(n->base, cfg->common.database_url, "statushawk-notifier", cfg->db_connections,
                    PGQ_MAX_QUEUED);
    n->http = httpc_new(n->base);
    n->deliver = deliver_new(n);
    n->tgqueue = tgqueue_new(n);
    n->fanout = fanout_new(n);
    n->consume = consume_new(n);
    n->retry = retryq_new(n);
    if (!n->pg || !n->http || !n->deliver || !n->tgqueue || !n->fanout || !n->consume || !n->retry)
        return -1;
    if (cfg->telegram_mode != TELEGRAM_MODE_OFF && !(n->tg_poll = tg_poll_new(n)))
        return -1;
    n->endpoint = endpoint_new(n);
    if (!n->endpoint)
        return -1;
    /* Last: their state callbacks reach the modules above. */
    n->redis = redis_async_new(n->base, &cfg->common.redis, on_redis_state, a);
    n->redis_read = redis_async_new(n->base, &cfg->common.redis, on_redis_state, a);
    if (!n->redis || !n->redis_read)
        return -1;
    return 0;
}

/* The one cleanup path. Order: end the transfers (their owners let go), then Redis (its
 * callbacks run with no reply), then PostgreSQL (statements fail), then the modules. */
static void stop(struct app *a)
{
    struct notifier *n = &a->n;

    n->closing = 1;
    if (n->tg_poll)
        tg_poll_stop(n->tg_poll);
    httpc_free(n->http);
    n->http = NULL;
    redis_async_free(n->redis_read);
    n->redis_read = NULL;
    redis_async_free(n->redis);
    n->redis = NULL;
    pgq_free(n->pg);
    n->pg = NULL;
    tg_poll_free(n->tg_poll);
    endpoint_free(n->endpoint);
    retryq_free(n->retry);
    tgqueue_free(n->tgqueue);
    n->tgqueue = NULL;
    fanout_free(n->fanout);
    consume_free(n->consume);
    n->consume = NULL;
    deliver_free(n->deliver);
    if (n->kick)
        event_free(n->kick);
    n->kick = NULL;
    if (a->drain_tm)
        event_free(a->drain_tm);
    if (a->sigterm)
        event_free(a->sigterm);
    if (a->sigint)
        event_free(a->sigint);
    if (n->base)
        event_base_free(n->base);
    libevent_global_shutdown();
}

static void usage(FILE *out)
{
    fprintf(out, "usage: statushawk-notifier [run | version]\n"
                 "Configuration comes from the environment; see docs/notifier.md.\n");
}

int main(int argc, char **argv)
{
    static struct app a; /* static: large, and zeroed */
    char err[CONFIG_ERR_MAX];
    const char *cmd = argc > 1 ? argv[1] : "run";

    if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0) {
        printf("statushawk-notifier %s\n", STATUSHAWK_VERSION);
        return 0;
    }
    if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(cmd, "run") != 0) {
        usage(stderr);
        return 2;
    }
    if (notifier_config_load(&a.cfg, err, sizeof(err)) != 0)
        config_die("statushawk-notifier", err);
    log_init("notifier", a.cfg.common.log_level, a.cfg.common.log_format);
    signal(SIGPIPE, SIG_IGN);
    srandom((unsigned)(time_now_ms() ^ ((int64_t)getpid() << 16)));
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        log_error("curl_global_init failed");
        return 1;
    }
    if (start(&a) != 0) {
        log_error("cannot start (see above)");
        a.exit_code = 1;
    } else {
        log_info("statushawk-notifier %s: consumer %s in group %s on %s; telegram %s",
                 STATUSHAWK_VERSION, a.cfg.consumer, NOTIFIER_GROUP, a.n.key_stream,
                 a.cfg.telegram_mode == TELEGRAM_MODE_OFF       ? "off (no TELEGRAM_BOT_TOKEN)"
                 : a.cfg.telegram_mode == TELEGRAM_MODE_POLLING ? "on, polling mode"
                                                                : "on, webhook mode");
        event_base_dispatch(a.n.base);
        log_info("stopped");
    }
    stop(&a);
    curl_global_cleanup();
    return a.exit_code;
}
