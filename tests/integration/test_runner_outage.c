/* Integration test of a PostgreSQL outage under the runner: the database is cut off for
 * 20 s (through the harness's TCP proxy) while checks go on; the runner keeps the results
 * in its buffer, says it is not ready, and once the database is back writes every one of
 * them — including a transition that happened meanwhile, with its incident and alert. */
#include "runner_harness.h"
#include "targets.h"
#include "tcp_proxy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WAIT_MS 20000
#define NSTEADY 4
#define OUTAGE_MS 20000

static void test_postgres_outage(void **state)
{
    struct target *t = target_http_start();
    struct tcp_proxy *proxy = tcp_proxy_start(harness_pg_host(), harness_pg_port());
    char *pg, db_env[512], ids[24], cut_at[32], back_at[32];
    /* No reconciler pass during the test: it would put back what the end of the test
     * takes off the schedule. */
    const char *env[] = {db_env, "RUNNER_RECONCILE_INTERVAL=3600", NULL};
    struct target_route bad = {.status = 500};
    long long steady[NSTEADY], flips;
    struct runner_proc *r;
    struct http_resp resp;
    char *url;

    assert_non_null(proxy);
    pg = harness_pg_url(NULL, "127.0.0.1", tcp_proxy_port(proxy));
    snprintf(db_env, sizeof(db_env), "DATABASE_URL=%s", pg);
    free(pg);
    url = target_url(t, "/steady");
    for (int i = 0; i < NSTEADY; i++)
        steady[i] = rh_monitor(&(struct mon_opts){.url = url, .interval = 1});
    free(url);
    url = target_url(t, "/flips");
    flips = rh_monitor(&(struct mon_opts){.url = url, .interval = 1});
    free(url);

    r = runner_start(env);
    WAIT_FOR(rh_results(steady[0]) >= 2 && rh_status_is(flips, "UP"), WAIT_MS,
             "no checks before the outage");

    snprintf(cut_at, sizeof(cut_at), "%lld", (long long)rh_now_ms());
    assert_int_equal(tcp_proxy_cut(proxy), 0);
    sleep_ms(2000);
    /* Not ready while the database is away; alive all the same. */
    assert_int_equal(rh_get(r, "/ready", &resp), 0);
    assert_int_equal(resp.status, 503);
    assert_non_null(strstr(resp.body, "\"postgres\":\"unavailable\""));
    http_resp_free(&resp);
    assert_int_equal(rh_get(r, "/health", &resp), 0);
    assert_int_equal(resp.status, 200);
    http_resp_free(&resp);
    /* A transition while the database is away. */
    target_route(t, "/flips", &bad);
    sleep_ms(OUTAGE_MS - 2000);
    assert_true(rh_metric(r, "statushawk_runner_buffer_results") > 4 * 15);
    snprintf(back_at, sizeof(back_at), "%lld", (long long)rh_now_ms());
    assert_int_equal(tcp_proxy_restore(proxy), 0);

    WAIT_FOR(rh_metric(r, "statushawk_runner_buffer_results") == 0, WAIT_MS,
             "the buffered results were not written");
    assert_int_equal((long long)rh_metric(r, "statushawk_runner_results_dropped_total"), 0);
    /* Checks went on during the outage (how many depends on the machine's load)... */
    for (int i = 0; i < NSTEADY; i++) {
        long long during;
        snprintf(ids, sizeof(ids), "%lld", steady[i]);
        during = db_scalar_int("SELECT count(*) FROM check_results WHERE monitor_id = $1"
                               " AND checked_at >= to_timestamp($2::bigint / 1000.0)"
                               " AND checked_at < to_timestamp($3::bigint / 1000.0)",
                               ids, cut_at, back_at, NULL);
        if (during < 10)
            fail_msg("monitor %lld: only %lld results during the 20 s outage", steady[i], during);
    }
    WAIT_FOR(rh_status_is(flips, "DOWN"), WAIT_MS, "the transition was lost");
    snprintf(ids, sizeof(ids), "%lld", flips);
    assert_int_equal(db_scalar_int("SELECT count(*) FROM incidents WHERE monitor_id = $1"
                                   " AND started_at < to_timestamp($2::bigint / 1000.0)",
                                   ids, back_at, NULL),
                     1);
    WAIT_FOR(rh_alert_count("down", flips) == 1, WAIT_MS, "no down alert after the outage");

    /* ... and not one of them was lost: take the monitors off the schedule, let the
     * last checks finish, and compare what the runner did with what the table holds. */
    freeReplyObject(rh_cmd("DEL %s", rh_key("schedule")));
    sleep_ms(1500);
    WAIT_FOR(rh_metric(r, "statushawk_runner_buffer_results") == 0 &&
                 rh_metric(r, "statushawk_runner_inflight") == 0,
             WAIT_MS, "the last results were not written");
    {
        long long done = (long long)(rh_metric(r, "statushawk_runner_checks_total{type=\"HTTP\","
                                                  "outcome=\"up\"}") +
                                     rh_metric(r, "statushawk_runner_checks_total{type=\"HTTP\","
                                                  "outcome=\"down\"}"));
        long long rows = db_scalar_int("SELECT count(*) FROM check_results", NULL);
        print_message("%lld checks done, %lld results in PostgreSQL\n", done, rows);
        assert_int_equal(rows, done);
    }
    assert_int_equal((long long)rh_metric(r, "statushawk_runner_results_dropped_total"), 0);
    runner_stop_clean(r);
    tcp_proxy_stop(proxy);
    target_stop(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_postgres_outage, rh_test_setup, rh_test_teardown),
    };
    int failures;

    harness_require_env();
    rh_require_env();
    failures = cmocka_run_group_tests(tests, harness_group_setup, harness_group_teardown);
    return harness_finish(failures);
}
