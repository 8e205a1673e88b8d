/* Integration tests of the self-healing schedule: the reconciler makes the schedule and
 * specs match PostgreSQL's active monitors both ways, spreads a crowd of missing
 * monitors over an interval, and brings checks back on its own after a FLUSHALL or a
 * Redis restart (on a redis-server of the test's own). */
#include "runner_harness.h"
#include "targets.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WAIT_MS 15000

static int exists(const char *key)
{
    return (int)rh_cmd_int("EXISTS %s", key);
}

static int scheduled(long long id)
{
    redisReply *r = rh_cmd("ZSCORE %s %lld", rh_key("schedule"), id);
    int yes = r->type == REDIS_REPLY_STRING;
    freeReplyObject(r);
    return yes;
}

static int spec_has(long long id, const char *text)
{
    redisReply *r = rh_cmd("GET %s", rh_key("monitor:%lld", id));
    int yes = r->type == REDIS_REPLY_STRING && strstr(r->str, text) != NULL;
    freeReplyObject(r);
    return yes;
}

static void test_both_ways(void **state)
{
    struct target *t = target_http_start();
    char *url = target_url(t, "/r"), *url2 = target_url(t, "/r2"), ids[24];
    long long missing, stale, paused;
    struct runner_proc *r;
    PGresult *res;

    missing = rh_monitor(&(struct mon_opts){.url = url, .interval = 60, .unscheduled = 1});
    stale = rh_monitor(&(struct mon_opts){.url = url, .interval = 60});
    paused = rh_monitor(&(struct mon_opts){.url = url, .interval = 60});
    /* The api's Redis writes for these changes "failed": */
    snprintf(ids, sizeof(ids), "%lld", stale);
    res = db_query("UPDATE monitors SET url = $2, version = version + 1 WHERE id = $1", ids, url2,
                   NULL);
    PQclear(res);
    snprintf(ids, sizeof(ids), "%lld", paused);
    res = db_query("UPDATE monitors SET is_active = false, status = 'PAUSED' WHERE id = $1", ids,
                   NULL);
    PQclear(res);
    freeReplyObject(rh_cmd("HSET %s status UP", rh_key("state:%lld", paused)));
    /* ... and a deleted monitor's spec was left behind, off the schedule. */
    freeReplyObject(rh_cmd("SET %s %s", rh_key("monitor:%d", 987654321),
                           "{\"id\" : 987654321, \"version\" : 1}"));

    r = runner_start(NULL);
    WAIT_FOR(scheduled(missing) && spec_has(missing, "/r\""), WAIT_MS,
             "the unscheduled monitor was not put on the schedule");
    WAIT_FOR(spec_has(stale, "/r2\""), WAIT_MS, "the stale spec was not rewritten");
    WAIT_FOR(!scheduled(paused) && !exists(rh_key("monitor:%lld", paused)) &&
                 !exists(rh_key("state:%lld", paused)),
             WAIT_MS, "the paused monitor is still on the schedule");
    WAIT_FOR(!exists(rh_key("monitor:%d", 987654321)), WAIT_MS, "the orphan spec is still there");
    /* The monitor put back is checked. A check that raced the repair never touches
     * the paused monitor's status. */
    WAIT_FOR(rh_results(missing) > 0, WAIT_MS, "the repaired monitor was not checked");
    assert_true(rh_status_is(paused, "PAUSED"));
    assert_true(rh_metric(r, "statushawk_runner_reconcile_runs_total") >= 1);
    runner_stop_clean(r);
    /* The lease is given back at exit. */
    assert_int_equal(exists(rh_key("lock:reconcile")), 0);
    assert_int_equal(exists(rh_key("lock:maintenance")), 0);
    free(url);
    free(url2);
    target_stop(t);
}

#define CROWD 150

static void test_spread(void **state)
{
    struct target *t = target_http_start();
    char *url = target_url(t, "/crowd");
    const char *env[] = {"RUNNER_MAX_INFLIGHT=5", NULL};
    struct runner_proc *r;
    redisReply *z;
    int64_t t0 = rh_now_ms();
    int later = 0;

    for (int i = 0; i < CROWD; i++)
        rh_monitor(&(struct mon_opts){.url = url, .interval = 60, .unscheduled = 1});
    r = runner_start(env);
    WAIT_FOR(rh_cmd_int("ZCARD %s", rh_key("schedule")) == CROWD, WAIT_MS,
             "the monitors were not put on the schedule");
    z = rh_cmd("ZRANGE %s 0 -1 WITHSCORES", rh_key("schedule"));
    for (size_t i = 1; i < z->elements; i += 2) {
        int64_t due = strtoll(z->element[i]->str, NULL, 10);
        if (due > t0 + 61000)
            fail_msg("a due time beyond one interval: %lld (+%lld ms)", (long long)due,
                     (long long)(due - t0));
        if (due > t0 + 10000)
            later++;
    }
    freeReplyObject(z);
    /* Spread over the 60 s interval: most are due well after now, not all at once. */
    assert_true(later > CROWD / 2);
    runner_stop_clean(r);
    free(url);
    target_stop(t);
}

static void test_flushall_and_restart(void **state)
{
    struct target *t = target_http_start();
    char *url = target_url(t, "/f");
    const char *env[] = {rh_private_redis_env(), NULL};
    long long ids[4];
    struct runner_proc *r;
    long long before;
    int64_t t0;

    rh_private_redis_start();
    env[0] = rh_private_redis_env();
    for (int i = 0; i < 4; i++)
        ids[i] = rh_monitor(&(struct mon_opts){.url = url, .interval = 2});
    r = runner_start(env);
    WAIT_FOR(rh_results(ids[3]) >= 2, WAIT_MS, "no checks before the flush");

    /* Everything in Redis is gone: schedule, specs, state, leases. */
    freeReplyObject(rh_cmd("FLUSHALL"));
    t0 = mono_ms();
    before = rh_results(ids[0]);
    WAIT_FOR(rh_results(ids[0]) > before + 1, 35000, "checks did not resume after FLUSHALL");
    print_message("checks resumed %lld ms after FLUSHALL\n", (long long)(mono_ms() - t0));
    for (int i = 0; i < 4; i++)
        WAIT_FOR(scheduled(ids[i]), WAIT_MS, "monitor %lld not back on the schedule", ids[i]);

    /* Redis restarts (empty): the runner reconnects and the schedule is rebuilt. */
    rh_private_redis_restart(1500);
    t0 = mono_ms();
    before = rh_results(ids[1]);
    WAIT_FOR(rh_results(ids[1]) > before + 1, 35000, "checks did not resume after a restart");
    print_message("checks resumed %lld ms after the Redis restart\n", (long long)(mono_ms() - t0));
    runner_stop_clean(r);
    free(url);
    target_stop(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_both_ways, rh_test_setup, rh_test_teardown),
        cmocka_unit_test_setup_teardown(test_spread, rh_test_setup, rh_test_teardown),
        cmocka_unit_test_setup_teardown(test_flushall_and_restart, rh_test_setup, rh_test_teardown),
    };
    int failures;

    harness_require_env();
    rh_require_env();
    failures = cmocka_run_group_tests(tests, harness_group_setup, harness_group_teardown);
    return harness_finish(failures);
}
