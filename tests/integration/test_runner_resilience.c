/* Integration tests of the runner when things go wrong or end: a runner killed with
 * SIGKILL mid-check (the monitor is checked again when its lease ends), SIGTERM with a
 * check in flight (finished, or given back when it takes too long; results flushed,
 * leases released, exit 0), and the database maintenance duty (partitions ahead,
 * retention, rollup watermark). */
#include "runner_harness.h"
#include "targets.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WAIT_MS 15000

static int64_t score(long long id)
{
    redisReply *r = rh_cmd("ZSCORE %s %lld", rh_key("schedule"), id);
    int64_t s = r->type == REDIS_REPLY_STRING ? strtoll(r->str, NULL, 10) : -1;
    freeReplyObject(r);
    return s;
}

static void test_sigkill_mid_check(void **state)
{
    struct target *t = target_http_start();
    struct target_route slow = {.delays_ms = {2500}, .ndelays = 1};
    char *url = target_url(t, "/k");
    /* lease = timeout 3000 + margin 1000 */
    const char *env[] = {"RUNNER_LEASE_MARGIN_MS=1000", NULL};
    struct runner_proc *a, *b;
    long long id;
    int64_t claimed, lease, first_ms;
    char ids[24];

    target_route(t, "/k", &slow);
    id = rh_monitor(&(struct mon_opts){.url = url, .interval = 60, .timeout_ms = 3000});
    a = runner_start(env);
    WAIT_FOR(target_hits(t, "/k") >= 1, WAIT_MS, "the check did not start");
    claimed = rh_now_ms();
    lease = score(id);
    assert_true(lease > claimed && lease <= claimed + 4500);
    runner_kill(a); /* mid-check: no result, no schedule update */
    runner_free(a);

    b = runner_start(env);
    WAIT_FOR(rh_results(id) >= 1, WAIT_MS, "the monitor was not checked again");
    snprintf(ids, sizeof(ids), "%lld", id);
    first_ms = db_scalar_int("SELECT (extract(epoch FROM min(checked_at)) * 1000)::bigint"
                             " FROM check_results WHERE monitor_id = $1",
                             ids, NULL);
    /* Taken up when the lease ran out, not an interval later. */
    print_message("checked again %lld ms after the lease ended\n", (long long)(first_ms - lease));
    assert_true(first_ms >= lease - 50);
    assert_true(first_ms <= lease + 3000); /* a claim poll and a loaded machine's slack */
    assert_int_equal(rh_results(id), 1);
    runner_stop_clean(b);
    free(url);
    target_stop(t);
}

static void test_sigterm_finishes_checks(void **state)
{
    struct target *t = target_http_start();
    struct target_route slow = {.delays_ms = {1500}, .ndelays = 1};
    char *url = target_url(t, "/t");
    struct runner_proc *r;
    long long id;
    int64_t stop_at;

    target_route(t, "/t", &slow);
    id = rh_monitor(&(struct mon_opts){.url = url, .interval = 60, .timeout_ms = 3000});
    r = runner_start(NULL); /* RUNNER_SHUTDOWN_TIMEOUT=10: 5 s for the checks */
    WAIT_FOR(target_hits(t, "/t") >= 1, WAIT_MS, "the check did not start");
    stop_at = rh_now_ms();
    runner_stop_clean(r);
    /* The check finished and its result was written before the exit... */
    assert_int_equal(rh_results(id), 1);
    /* ... and the monitor's next due time is one interval on, not its lease. */
    assert_true(score(id) > stop_at + 50000);
    assert_int_equal(rh_cmd_int("EXISTS %s", rh_key("lock:reconcile")), 0);
    assert_int_equal(rh_cmd_int("EXISTS %s", rh_key("lock:maintenance")), 0);
    free(url);
    target_stop(t);
}

static void test_sigterm_releases_long_checks(void **state)
{
    struct target *t = target_http_start();
    struct target_route slow = {.delays_ms = {8000}, .ndelays = 1};
    char *url = target_url(t, "/long");
    const char *env[] = {"RUNNER_SHUTDOWN_TIMEOUT=2", NULL};
    struct runner_proc *r;
    long long id;
    int64_t t0, stop_ms;

    target_route(t, "/long", &slow);
    id = rh_monitor(&(struct mon_opts){.url = url, .interval = 60, .timeout_ms = 10000});
    r = runner_start(env);
    WAIT_FOR(target_hits(t, "/long") >= 1, WAIT_MS, "the check did not start");
    t0 = mono_ms();
    stop_ms = rh_now_ms();
    runner_stop_clean(r);
    /* Given back after half the shutdown timeout instead of holding its lease (10 s):
     * due again at once, for another runner. No result: it did not finish. */
    assert_true(mono_ms() - t0 < 2500);
    assert_true(score(id) > 0 && score(id) <= stop_ms + 2000);
    assert_int_equal(rh_results(id), 0);
    free(url);
    target_stop(t);
}

static void test_maintenance(void **state)
{
    const char *env[] = {"STATUSHAWK_RETENTION_DAYS=30", "RUNNER_MAINTENANCE_INTERVAL=5", NULL};
    struct runner_proc *r;
    PGresult *res;
    char *old, *ahead;
    int has_rollup;

    /* Partitions from 40 days ago, older than the retention. */
    res = db_query("SELECT sh_ensure_result_partitions(40, 0)", NULL);
    PQclear(res);
    old = db_scalar("SELECT 'check_results_' || to_char((now() AT TIME ZONE 'UTC')::date - 40,"
                    " 'YYYYMMDD')",
                    NULL);
    ahead = db_scalar("SELECT 'check_results_' || to_char((now() AT TIME ZONE 'UTC')::date + 7,"
                      " 'YYYYMMDD')",
                      NULL);
    assert_int_equal(db_scalar_int("SELECT count(*) FROM pg_class WHERE relname = $1", old, NULL),
                     1);
    has_rollup =
        db_scalar_int("SELECT count(*) FROM pg_class WHERE relname = 'rollup_state'", NULL) == 1;
    r = runner_start(env);
    WAIT_FOR(db_scalar_int("SELECT count(*) FROM pg_class WHERE relname = $1", old, NULL) == 0,
             WAIT_MS, "partitions past the retention were not dropped");
    WAIT_FOR(db_scalar_int("SELECT count(*) FROM pg_class WHERE relname = $1", ahead, NULL) == 1,
             WAIT_MS, "the partitions ahead were not created");
    if (has_rollup)
        WAIT_FOR(db_scalar_int("SELECT count(*) FROM rollup_state"
                               " WHERE rolled_until > '-infinity'",
                               NULL) == 1,
                 WAIT_MS, "the rollup watermark did not move");
    /* Within retention: yesterday's partition stays. */
    assert_int_equal(db_scalar_int("SELECT count(*) FROM pg_class WHERE relname = 'check_results_'"
                                   " || to_char((now() AT TIME ZONE 'UTC')::date - 1, 'YYYYMMDD')",
                                   NULL),
                     1);
    /* The pass is counted once it has finished, just after its effects are visible. */
    WAIT_FOR(rh_metric(r, "statushawk_runner_maintenance_runs_total") >= 1, WAIT_MS,
             "the maintenance pass was not counted");
    runner_stop_clean(r);
    free(old);
    free(ahead);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_sigkill_mid_check, rh_test_setup, rh_test_teardown),
        cmocka_unit_test_setup_teardown(test_sigterm_finishes_checks, rh_test_setup,
                                        rh_test_teardown),
        cmocka_unit_test_setup_teardown(test_sigterm_releases_long_checks, rh_test_setup,
                                        rh_test_teardown),
        cmocka_unit_test_setup_teardown(test_maintenance, rh_test_setup, rh_test_teardown),
    };
    int failures;

    harness_require_env();
    rh_require_env();
    failures = cmocka_run_group_tests(tests, harness_group_setup, harness_group_teardown);
    return harness_finish(failures);
}
