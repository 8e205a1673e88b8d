/* Integration tests of the runner's decisions: UP and DOWN only after the configured
 * confirmation (re-checks after RETRY_DELAY, not the interval), incidents opened and
 * closed, exactly one alert per transition — also with two runners on one schedule
 * checking the same monitors at the same time. */
#include "runner_harness.h"
#include "targets.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WAIT_MS 15000

static void make_due(long long id)
{
    freeReplyObject(rh_cmd("ZADD %s %lld %lld", rh_key("schedule"), (long long)rh_now_ms(), id));
}

static long long count_sql(const char *sql, long long id)
{
    char ids[24];
    snprintf(ids, sizeof(ids), "%lld", id);
    return db_scalar_int(sql, ids, NULL);
}

static void test_confirmation_and_incident(void **state)
{
    struct target *t = target_http_start();
    struct target_route ok = {.status = 200}, bad = {.status = 500};
    char *url = target_url(t, "/flap");
    /* A long interval: every check after the first is a re-check or one the test asks
     * for, so their timing shows which is which. */
    long long id = rh_monitor(&(struct mon_opts){.url = url, .interval = 60, .retries = 2});
    struct runner_proc *r;
    char *details;

    target_route(t, "/flap", &ok);
    r = runner_start(NULL);
    WAIT_FOR(rh_status_is(id, "UP"), WAIT_MS, "monitor not UP");
    assert_int_equal(rh_alert_count(NULL, id), 0); /* PENDING -> UP is no news */

    target_route(t, "/flap", &bad);
    make_due(id);
    WAIT_FOR(rh_results_where(id, "NOT is_up") >= 1, WAIT_MS, "no failed check");
    sleep_ms(200);
    /* One failure is a blip: still UP, no alert, no incident. */
    assert_true(rh_status_is(id, "UP"));
    assert_int_equal(rh_alert_count("down", id), 0);
    assert_int_equal(count_sql("SELECT count(*) FROM incidents WHERE monitor_id = $1", id), 0);

    WAIT_FOR(rh_status_is(id, "DOWN"), WAIT_MS, "monitor not DOWN after its re-checks");
    /* Exactly retries + 1 failures, the re-checks about RETRY_DELAY (1 s) apart. */
    assert_int_equal(rh_results_where(id, "NOT is_up"), 3);
    assert_int_equal(count_sql("SELECT count(*) FROM (SELECT checked_at - lag(checked_at) OVER"
                               " (ORDER BY checked_at) AS gap FROM check_results"
                               " WHERE monitor_id = $1 AND NOT is_up) g"
                               " WHERE gap BETWEEN interval '0.9 s' AND interval '4 s'",
                               id),
                     2);
    WAIT_FOR(rh_alert_count("down", id) == 1, WAIT_MS, "no down alert");
    details = rh_alert_details("down", id, 0);
    assert_non_null(strstr(details, "\"reason\":\"status 500\""));
    assert_non_null(strstr(details, "\"status_code\":500"));
    free(details);
    /* The incident starts at the first failed check and names the cause. */
    assert_int_equal(count_sql("SELECT count(*) FROM incidents i WHERE monitor_id = $1"
                               " AND resolved_at IS NULL AND cause = 'status 500'"
                               " AND started_at = (SELECT min(checked_at) FROM check_results"
                               "  WHERE monitor_id = $1 AND NOT is_up)",
                               id),
                     1);

    /* Once DOWN, the next check comes at the interval, not after the retry delay. */
    sleep_ms(2000);
    assert_int_equal(rh_results_where(id, "NOT is_up"), 3);

    /* A success while DOWN is UP at once. */
    target_route(t, "/flap", &ok);
    make_due(id);
    WAIT_FOR(rh_status_is(id, "UP"), WAIT_MS, "monitor not UP again");
    WAIT_FOR(rh_alert_count("up", id) == 1, WAIT_MS, "no up alert");
    assert_int_equal(count_sql("SELECT count(*) FROM incidents WHERE monitor_id = $1"
                               " AND resolved_at IS NOT NULL AND resolved_at >= started_at",
                               id),
                     1);
    assert_int_equal(count_sql("SELECT count(*) FROM incidents WHERE monitor_id = $1", id), 1);
    details = rh_alert_details("up", id, 0);
    assert_non_null(strstr(details, "incident_started_at"));
    free(details);
    sleep_ms(300);
    assert_int_equal(rh_alert_count("down", id), 1);
    assert_int_equal(rh_alert_count("up", id), 1);
    /* Both went through the outbox and left it once published, without the sweep. */
    WAIT_FOR(count_sql("SELECT count(*) FROM alert_outbox WHERE monitor_id = $1", id) == 0, WAIT_MS,
             "published alerts left in the outbox");
    assert_int_equal((long long)rh_metric(r, "statushawk_runner_outbox_swept_total"), 0);

    runner_stop_clean(r);
    free(url);
    target_stop(t);
}

static void test_pending_needs_confirmation(void **state)
{
    struct target *t = target_http_start();
    struct target_route bad = {.status = 503};
    char *url = target_url(t, "/new");
    long long id;
    struct runner_proc *r;

    target_route(t, "/new", &bad);
    id = rh_monitor(&(struct mon_opts){.url = url, .interval = 60, .retries = 1});
    r = runner_start(NULL);
    WAIT_FOR(rh_results(id) >= 1, WAIT_MS, "no result");
    assert_true(rh_status_is(id, "PENDING"));
    WAIT_FOR(rh_status_is(id, "DOWN"), WAIT_MS, "a failing new monitor did not become DOWN");
    assert_int_equal(rh_results(id), 2);
    WAIT_FOR(rh_alert_count("down", id) == 1, WAIT_MS, "no down alert");
    runner_stop_clean(r);
    free(url);
    target_stop(t);
}

#define NMON 12

static void set_all(struct target *t, int status)
{
    struct target_route route = {.status = status, .delays_ms = {300}, .ndelays = 1};
    char path[32];
    for (int i = 0; i < NMON; i++) {
        snprintf(path, sizeof(path), "/m%d", i);
        target_route(t, path, &route);
    }
}

/* Makes every monitor due again every 100 ms while cond is false: with checks taking
 * 300 ms, both runners (and each runner twice) check the same monitors at once. */
static int all_status(const long long *ids, const char *status)
{
    for (int i = 0; i < NMON; i++) {
        if (!rh_status_is(ids[i], status))
            return 0;
    }
    return 1;
}

static void churn_until(const long long *ids, const char *status, int timeout_ms)
{
    int64_t deadline = mono_ms() + timeout_ms;
    while (!all_status(ids, status)) {
        if (mono_ms() > deadline) {
            rh_dump_logs();
            fail_msg("monitors did not all become %s", status);
        }
        for (int i = 0; i < NMON; i++)
            make_due(ids[i]);
        sleep_ms(100);
    }
    /* And a little longer: late duplicates must not alert either. */
    for (int k = 0; k < 10; k++) {
        for (int i = 0; i < NMON; i++)
            make_due(ids[i]);
        sleep_ms(100);
    }
}

/* A check that finishes late cannot undo a newer transition: a slow success started
 * before the target failed is written after another check's confirmed DOWN, and must not
 * turn the monitor UP again (which would alert UP, then DOWN a second time). */
static void test_late_result_cannot_undo_a_transition(void **state)
{
    struct target *t = target_http_start();
    struct target_route ok = {.status = 200}, bad = {.status = 500};
    struct target_route slow_ok = {.status = 200, .delays_ms = {2500}, .ndelays = 1};
    char *url = target_url(t, "/late");
    long long id = rh_monitor(
        &(struct mon_opts){.url = url, .interval = 60, .retries = 0, .timeout_ms = 5000});
    struct runner_proc *a, *b;
    long long hits;

    target_route(t, "/late", &ok);
    a = runner_start(NULL);
    b = runner_start(NULL);
    WAIT_FOR(rh_status_is(id, "UP"), WAIT_MS, "monitor not UP");

    /* A slow success is in flight ... */
    target_route(t, "/late", &slow_ok);
    hits = target_hits(t, "/late");
    make_due(id);
    WAIT_FOR(target_hits(t, "/late") > hits, WAIT_MS, "the slow check did not start");
    /* ... while the target fails and another check confirms DOWN. */
    target_route(t, "/late", &bad);
    while (!rh_status_is(id, "DOWN")) {
        make_due(id);
        sleep_ms(100);
        if (rh_results_where(id, "NOT is_up") > 20)
            fail_msg("monitor %lld never DOWN", id);
    }
    /* The slow success arrives and is written, late. */
    WAIT_FOR(rh_results_where(id, "is_up AND response_time_ms >= 2400") == 1, WAIT_MS,
             "the slow check was not written");
    make_due(id);
    WAIT_FOR(rh_results_where(id, "NOT is_up") >= 2, WAIT_MS, "no check after the slow one");
    sleep_ms(500);

    assert_true(rh_status_is(id, "DOWN"));
    assert_int_equal(rh_alert_count("down", id), 1);
    assert_int_equal(rh_alert_count("up", id), 0);
    assert_int_equal(count_sql("SELECT count(*) FROM incidents WHERE monitor_id = $1"
                               " AND resolved_at IS NULL",
                               id),
                     1);
    assert_int_equal(count_sql("SELECT count(*) FROM incidents WHERE monitor_id = $1", id), 1);

    runner_stop_clean(a);
    runner_stop_clean(b);
    free(url);
    target_stop(t);
}

static void test_two_runners_alert_once(void **state)
{
    struct target *t = target_http_start();
    long long ids[NMON];
    struct runner_proc *a, *b;
    char path[32];

    set_all(t, 200);
    for (int i = 0; i < NMON; i++) {
        char *url;
        snprintf(path, sizeof(path), "/m%d", i);
        url = target_url(t, path);
        ids[i] = rh_monitor(&(struct mon_opts){.url = url, .interval = 1, .retries = 0});
        free(url);
    }
    a = runner_start(NULL);
    b = runner_start(NULL);
    churn_until(ids, "UP", WAIT_MS);
    set_all(t, 500);
    churn_until(ids, "DOWN", WAIT_MS);
    set_all(t, 200);
    churn_until(ids, "UP", WAIT_MS);
    sleep_ms(500);
    /* Both runners took part. */
    assert_true(rh_metric(a, "statushawk_runner_monitors_claimed_total") > 0);
    assert_true(rh_metric(b, "statushawk_runner_monitors_claimed_total") > 0);
    runner_stop_clean(a);
    runner_stop_clean(b);

    for (int i = 0; i < NMON; i++) {
        if (rh_alert_count("down", ids[i]) != 1 || rh_alert_count("up", ids[i]) != 1)
            fail_msg("monitor %lld: %d down and %d up alerts (expected 1 and 1)", ids[i],
                     rh_alert_count("down", ids[i]), rh_alert_count("up", ids[i]));
        assert_int_equal(count_sql("SELECT count(*) FROM incidents WHERE monitor_id = $1"
                                   " AND resolved_at IS NOT NULL",
                                   ids[i]),
                         1);
    }
    /* The test did make checks overlap: a monitor checked twice within less than the
     * 300 ms one check takes. */
    assert_true(db_scalar_int("SELECT count(*) FROM (SELECT checked_at - lag(checked_at) OVER"
                              " (PARTITION BY monitor_id ORDER BY checked_at) AS gap"
                              " FROM check_results) g WHERE gap < interval '250 ms'",
                              NULL) > 0);
    target_stop(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_confirmation_and_incident, rh_test_setup,
                                        rh_test_teardown),
        cmocka_unit_test_setup_teardown(test_pending_needs_confirmation, rh_test_setup,
                                        rh_test_teardown),
        cmocka_unit_test_setup_teardown(test_late_result_cannot_undo_a_transition, rh_test_setup,
                                        rh_test_teardown),
        cmocka_unit_test_setup_teardown(test_two_runners_alert_once, rh_test_setup,
                                        rh_test_teardown),
    };
    int failures;

    harness_require_env();
    rh_require_env();
    failures = cmocka_run_group_tests(tests, harness_group_setup, harness_group_teardown);
    return harness_finish(failures);
}
