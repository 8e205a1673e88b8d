/* notifier_e2e_bench: from a target's failure to the DOWN message in Telegram, with every
 * process running — statushawk-runner (real RETRY_DELAY, 5 s by default) and
 * statushawk-notifier against PostgreSQL, Redis, the Bot API stand-in and an HTTP target.
 * bench/notifier_e2e.sh builds it and runs it on a throwaway PostgreSQL and Redis.
 *
 * BENCH_MONITORS (20) monitors, each of its own user with a linked chat, interval
 * BENCH_INTERVAL (10 s), retries 1, on paths of one target. Once all are UP their paths
 * start answering 503 one after the other, BENCH_STAGGER_MS (600 ms) apart (so the bot's
 * 30 msg/s limit plays no part), and for each the time from the failure to the message's
 * arrival at the stand-in is split into its parts:
 *
 *   wait+check    failure -> the end of the first failed check (waiting for its turn in
 *                 the schedule: 0..interval, plus the check itself)
 *   confirmation  -> the end of the re-check that confirms it (RETRY_DELAY + the check)
 *   stream        -> the alert's XADD (the runner's persistence and transition)
 *   send          -> the message's arrival at the stand-in (the notifier)
 *
 * Built on the integration harness (cmocka: a failed step fails the run). */
#include "notifier_harness.h"
#include "runner_harness.h"
#include "targets.h"
#include "telegram_fake.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define TOKEN "7000000001:E2E-bench"
#define MAXMON 200

static int cmp_ll(const void *a, const void *b)
{
    long long x = *(const long long *)a, y = *(const long long *)b;
    return x < y ? -1 : x > y;
}

static void stats(const char *name, long long *v, int n)
{
    qsort(v, (size_t)n, sizeof(long long), cmp_ll);
    printf("  %-14s p50 %6lld ms   p90 %6lld ms   p99 %6lld ms   max %6lld ms\n", name, v[n / 2],
           v[(n * 9) / 10], v[(n * 99) / 100], v[n - 1]);
}

/* at_ms of the first 200 sendMessage to chat whose text has needle; 0 when none yet. */
static long long arrival(struct telegram_fake *f, const char *chat, const char *needle)
{
    json_t *all = telegram_fake_requests(f), *r;
    size_t i;
    long long at = 0;
    json_array_foreach(all, i, r)
    {
        json_t *p = json_object_get(r, "params"), *c = json_object_get(p, "chat_id");
        char buf[32] = "";
        if (json_is_integer(c))
            snprintf(buf, sizeof(buf), "%" JSON_INTEGER_FORMAT, json_integer_value(c));
        else if (json_is_string(c))
            snprintf(buf, sizeof(buf), "%s", json_string_value(c));
        if (!at &&
            strcasecmp(json_string_value(json_object_get(r, "method")), "sendMessage") == 0 &&
            strcmp(buf, chat) == 0 && json_integer_value(json_object_get(r, "status")) == 200 &&
            strstr(json_string_value(json_object_get(p, "text")), needle))
            at = json_integer_value(json_object_get(r, "at_ms"));
    }
    json_decref(all);
    return at;
}

static void bench(void **state)
{
    int nmon = atoi(getenv("BENCH_MONITORS") ? getenv("BENCH_MONITORS") : "20");
    int interval = atoi(getenv("BENCH_INTERVAL") ? getenv("BENCH_INTERVAL") : "10");
    int stagger = atoi(getenv("BENCH_STAGGER_MS") ? getenv("BENCH_STAGGER_MS") : "600");
    struct telegram_fake *fake = telegram_fake_start(TOKEN);
    char base_env[128], prefix_env[128];
    long long mon[MAXMON], fail_at[MAXMON];
    char chat[MAXMON][16], path[MAXMON][16];

    if (nmon < 1 || nmon > MAXMON)
        fail_msg("BENCH_MONITORS: 1..%d", MAXMON);
    srandom((unsigned)time(NULL));
    snprintf(base_env, sizeof(base_env), "TELEGRAM_API_BASE=%s", telegram_fake_base(fake));
    snprintf(prefix_env, sizeof(prefix_env), "STATUSHAWK_REDIS_PREFIX=%s", harness_redis_prefix());
    struct target *t = target_http_start();
    for (int i = 0; i < nmon; i++) {
        long long user = nt_user();
        snprintf(chat[i], sizeof(chat[i]), "%d", 700000 + i);
        snprintf(path[i], sizeof(path[i]), "/m%d", i);
        char *config = json_body("{s:s}", "chat_id", chat[i]);
        nt_channel(user, "telegram", config, 1);
        free(config);
        char *url = target_url(t, path[i]);
        char name[32], uid[24], id[24];
        snprintf(name, sizeof(name), "bench-monitor-%03d", i);
        mon[i] = rh_monitor(&(struct mon_opts){.name = name,
                                               .url = url,
                                               .interval = interval,
                                               .timeout_ms = 2000,
                                               .retries = 1,
                                               .unscheduled = 1});
        snprintf(uid, sizeof(uid), "%lld", user);
        snprintf(id, sizeof(id), "%lld", mon[i]);
        PQclear(db_query("UPDATE monitors SET user_id = $1 WHERE id = $2", uid, id, NULL));
        /* A random phase within the interval: where in its cycle a monitor is when its
         * target fails is chance. */
        rh_schedule(mon[i], rh_now_ms() + random() % ((long)interval * 1000));
        free(url);
    }
    static const char *const runner_env[] = {"RETRY_DELAY=5", "LOG_LEVEL=warn", NULL};
    struct runner_proc *runner = runner_start(runner_env);
    struct api *n =
        nt_start((const char *[]){"TELEGRAM_BOT_TOKEN=" TOKEN, base_env, "TELEGRAM_MODE=off",
                                  prefix_env, "LOG_LEVEL=warn", NULL});
    for (int i = 0; i < nmon; i++)
        WAIT_FOR(rh_status_is(mon[i], "UP"), (interval + 10) * 1000, "monitor %d never UP", i);
    sleep_ms(1000);

    struct target_route failing = {.status = 503};
    for (int i = 0; i < nmon; i++) {
        target_route(t, path[i], &failing);
        fail_at[i] = rh_now_ms();
        sleep_ms(stagger);
    }
    long long check[MAXMON], confirm[MAXMON], stream[MAXMON], send[MAXMON], total[MAXMON];
    for (int i = 0; i < nmon; i++) {
        long long got = 0;
        int64_t deadline = mono_ms() + (interval + 30) * 1000;
        while (!(got = arrival(fake, chat[i], "DOWN")) && mono_ms() < deadline)
            sleep_ms(100);
        if (!got)
            fail_msg("no DOWN message for monitor %d", i);
        char id[24], since[32];
        snprintf(id, sizeof(id), "%lld", mon[i]);
        snprintf(since, sizeof(since), "%lld", fail_at[i]);
        /* The ends of the first two failed checks after the failure (ms since the epoch). */
        PGresult *r = db_query(
            "SELECT (extract(epoch FROM checked_at) * 1000 + COALESCE(response_time_ms, 0))::bigint"
            " FROM check_results WHERE monitor_id = $1 AND NOT is_up"
            " AND checked_at >= to_timestamp($2::bigint / 1000.0) ORDER BY checked_at LIMIT 2",
            id, since, NULL);
        if (PQntuples(r) < 2)
            fail_msg("monitor %d: fewer than two failed checks", i);
        long long c1 = atoll(PQgetvalue(r, 0, 0)), c2 = atoll(PQgetvalue(r, 1, 0));
        PQclear(r);
        /* The alert's XADD: its stream id. */
        redisReply *x = rh_cmd("XRANGE %s - +", rh_key("alerts"));
        long long xadd = 0;
        for (size_t e = 0; x->type == REDIS_REPLY_ARRAY && e < x->elements; e++) {
            redisReply *ent = x->element[e], *f = ent->element[1];
            int is_down = 0, is_mon = 0;
            for (size_t k = 0; k + 1 < f->elements; k += 2) {
                if (!strcmp(f->element[k]->str, "kind") && !strcmp(f->element[k + 1]->str, "down"))
                    is_down = 1;
                if (!strcmp(f->element[k]->str, "monitor_id") &&
                    atoll(f->element[k + 1]->str) == mon[i])
                    is_mon = 1;
            }
            if (is_down && is_mon)
                xadd = atoll(ent->element[0]->str);
        }
        freeReplyObject(x);
        if (!xadd)
            fail_msg("monitor %d: no down alert on the stream", i);
        check[i] = c1 - fail_at[i];
        confirm[i] = c2 - c1;
        stream[i] = xadd - c2;
        send[i] = got - xadd;
        total[i] = got - fail_at[i];
    }
    printf("\nfailure -> DOWN message, end to end: %d monitors (interval %d s, retries 1, "
           "RETRY_DELAY 5 s), runner + notifier + Telegram stand-in\n",
           nmon, interval);
    stats("wait+check", check, nmon);
    stats("confirmation", confirm, nmon);
    stats("stream", stream, nmon);
    stats("send", send, nmon);
    stats("total", total, nmon);
    long long confirm_to_send[MAXMON];
    for (int i = 0; i < nmon; i++)
        confirm_to_send[i] = stream[i] + send[i];
    stats("confirm->sent", confirm_to_send, nmon);
    fflush(stdout);
    runner_stop_clean(runner);
    nt_stop_clean(n);
    target_stop(t);
    telegram_fake_stop(fake);
}

int main(void)
{
    nt_require_env();
    rh_require_env();
    const struct CMUnitTest tests[] = {cmocka_unit_test_teardown(bench, nt_teardown)};
    return harness_finish(cmocka_run_group_tests(tests, harness_group_setup, nt_group_teardown));
}
