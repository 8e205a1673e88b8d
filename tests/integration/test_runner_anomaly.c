/* Integration tests of latency anomalies: a steady (if jittery) target raises none; an
 * injected latency spike is stored in `anomalies` and alerted, and a second spike within
 * ANOMALY_COOLDOWN is stored but not alerted again. */
#include "runner_harness.h"
#include "targets.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WAIT_MS 20000

static long long anomalies(long long id)
{
    char ids[24];
    snprintf(ids, sizeof(ids), "%lld", id);
    return db_scalar_int("SELECT count(*) FROM anomalies WHERE monitor_id = $1", ids, NULL);
}

/* Makes the monitor due now and waits for that check's result. */
static void check_now(long long id)
{
    long long before = rh_results(id);
    freeReplyObject(rh_cmd("ZADD %s %lld %lld", rh_key("schedule"), (long long)rh_now_ms(), id));
    WAIT_FOR(rh_results(id) > before, WAIT_MS, "monitor %lld: no new result", id);
}

/* The jitter below is within one standard deviation, so the Z-score alone never flags
 * it; on a loaded machine (the suite runs tests in parallel) scheduling can still add
 * a hundred milliseconds to one answer. Only a response 300 ms over the mean counts
 * here, which the 1.5 s spikes clear by far. */
static const char *const load_proof[] = {"ANOMALY_MIN_DELTA_MS=300", NULL};

static void test_jitter_and_spikes(void **state)
{
    struct target *t = target_http_start();
    /* Jitter: 20 and 120 ms in turn, mean 70, stdev 50: every normal answer is within
     * one standard deviation. */
    struct target_route jitter = {.delays_ms = {20, 120}, .ndelays = 2};
    struct target_route spike = {.delays_ms = {1500}, .ndelays = 1};
    char *url = target_url(t, "/lat");
    long long id;
    struct runner_proc *r;
    char ids[24], *details;

    target_route(t, "/lat", &jitter);
    id = rh_monitor(&(struct mon_opts){.url = url, .interval = 60, .timeout_ms = 5000});
    snprintf(ids, sizeof(ids), "%lld", id);
    r = runner_start(load_proof);
    for (int i = 0; i < 24; i++)
        check_now(id);
    assert_int_equal(anomalies(id), 0);
    assert_int_equal(rh_alert_count("anomaly", id), 0);
    /* The window holds every successful time so far (fewer than anomaly_window). */
    assert_int_equal(rh_cmd_int("LLEN %s", rh_key("lat:%lld", id)), rh_results(id));

    target_route(t, "/lat", &spike);
    check_now(id);
    target_route(t, "/lat", &jitter);
    WAIT_FOR(anomalies(id) == 1, WAIT_MS, "the spike was not recorded as an anomaly");
    assert_int_equal(db_scalar_int("SELECT count(*) FROM anomalies WHERE monitor_id = $1"
                                   " AND response_time_ms >= 1500 AND z > 2"
                                   " AND mean BETWEEN 60 AND 140 AND stdev BETWEEN 40 AND 80",
                                   ids, NULL),
                     1);
    WAIT_FOR(rh_alert_count("anomaly", id) == 1, WAIT_MS, "no anomaly alert");
    details = rh_alert_details("anomaly", id, 0);
    assert_non_null(strstr(details, "\"z\":"));
    assert_non_null(strstr(details, "\"mean_ms\":"));
    free(details);

    /* Normal again: nothing new. */
    for (int i = 0; i < 4; i++)
        check_now(id);
    assert_int_equal(anomalies(id), 1);

    /* A second spike inside the cooldown: stored, not alerted. */
    target_route(t, "/lat", &spike);
    check_now(id);
    target_route(t, "/lat", &jitter);
    WAIT_FOR(anomalies(id) == 2, WAIT_MS, "the second spike was not recorded");
    sleep_ms(300);
    assert_int_equal(rh_alert_count("anomaly", id), 1);

    runner_stop_clean(r);
    free(url);
    target_stop(t);
}

static void test_cooldown_over(void **state)
{
    struct target *t = target_http_start();
    struct target_route jitter = {.delays_ms = {20, 120}, .ndelays = 2};
    struct target_route spike = {.delays_ms = {1500}, .ndelays = 1};
    char *url = target_url(t, "/lat2");
    const char *env[] = {"ANOMALY_COOLDOWN=1", load_proof[0], NULL};
    long long id;
    struct runner_proc *r;

    target_route(t, "/lat2", &jitter);
    id = rh_monitor(&(struct mon_opts){.url = url, .interval = 60, .timeout_ms = 5000});
    r = runner_start(env);
    for (int i = 0; i < 12; i++)
        check_now(id);
    for (int k = 0; k < 2; k++) {
        target_route(t, "/lat2", &spike);
        check_now(id);
        target_route(t, "/lat2", &jitter);
        sleep_ms(1100); /* past the one-second cooldown */
        check_now(id);
    }
    WAIT_FOR(rh_alert_count("anomaly", id) == 2, WAIT_MS,
             "expected one anomaly alert per spike once the cooldown is over");
    runner_stop_clean(r);
    free(url);
    target_stop(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_jitter_and_spikes, rh_test_setup, rh_test_teardown),
        cmocka_unit_test_setup_teardown(test_cooldown_over, rh_test_setup, rh_test_teardown),
    };
    int failures;

    harness_require_env();
    rh_require_env();
    failures = cmocka_run_group_tests(tests, harness_group_setup, harness_group_teardown);
    return harness_finish(failures);
}
