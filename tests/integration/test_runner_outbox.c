/* Integration tests of the alert outbox (runner/outbox.h): an alert decided in PostgreSQL
 * survives a runner that dies before it reaches the stream, and is published once, under
 * its own alert_id, by the runner holding the reconciler's lease. */
#include "runner_harness.h"
#include "targets.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WAIT_MS 15000

static long long outbox_rows(long long id)
{
    char ids[24];
    snprintf(ids, sizeof(ids), "%lld", id);
    return db_scalar_int("SELECT count(*) FROM alert_outbox WHERE monitor_id = $1", ids, NULL);
}

static void test_alert_outlives_its_runner(void **state)
{
    struct target *t = target_http_start();
    struct target_route bad = {.status = 503};
    char *url = target_url(t, "/down");
    long long id = rh_monitor(&(struct mon_opts){.url = url, .interval = 60});
    struct runner_proc *r;
    char ids[24], *stored, *published, *details, *log;

    snprintf(ids, sizeof(ids), "%lld", id);
    target_route(t, "/down", &bad);
    /* The stream key holds a string: every XADD fails (WRONGTYPE) while claiming,
     * checking and writing to PostgreSQL all work. */
    freeReplyObject(rh_cmd("SET %s blocked", rh_key("alerts")));
    r = runner_start(NULL);
    WAIT_FOR(rh_status_is(id, "DOWN"), WAIT_MS, "monitor not DOWN");
    WAIT_FOR(outbox_rows(id) == 1, WAIT_MS, "the DOWN alert is not in the outbox");
    stored = db_scalar("SELECT alert_id FROM alert_outbox WHERE monitor_id = $1", ids, NULL);
    assert_non_null(stored);
    assert_int_equal(strlen(stored), 32);
    WAIT_FOR((log = runner_log_text(r)) && strstr(log, "WRONGTYPE"), WAIT_MS,
             "the runner never tried to publish");
    free(log);

    /* The runner dies with the alert in its queue; nothing on the stream. */
    runner_kill(r);
    runner_free(r);
    freeReplyObject(rh_cmd("DEL %s", rh_key("alerts")));
    assert_int_equal(rh_alert_count(NULL, id), 0);
    assert_int_equal(outbox_rows(id), 1);

    /* Time passes beyond the sweep's grace (the row is aged rather than waited for) and
     * the dead runner's lease ends (deleted rather than waited for). */
    db_scalar_int("WITH u AS (UPDATE alert_outbox SET created_at = created_at - interval '1 hour'"
                  " WHERE monitor_id = $1 RETURNING 1) SELECT count(*) FROM u",
                  ids, NULL);
    freeReplyObject(rh_cmd("DEL %s", rh_key("lock:reconcile")));
    r = runner_start(NULL);
    WAIT_FOR(rh_alert_count("down", id) == 1, WAIT_MS, "the swept alert was not published");
    published = rh_alert_field("down", id, 0, "alert_id");
    assert_non_null(published);
    assert_string_equal(published, stored);
    details = rh_alert_details("down", id, 0);
    assert_non_null(strstr(details, "\"reason\":\"status 503\""));
    assert_non_null(strstr(details, "\"status_code\":503"));
    assert_non_null(strstr(details, "incident_started_at"));
    WAIT_FOR(outbox_rows(id) == 0, WAIT_MS, "the swept alert is still in the outbox");
    assert_int_equal((long long)rh_metric(r, "statushawk_runner_outbox_swept_total"), 1);

    /* The new runner checks the monitor (still failing): no second DOWN. */
    long long before = rh_results(id);
    freeReplyObject(rh_cmd("ZADD %s %lld %lld", rh_key("schedule"), (long long)rh_now_ms(), id));
    WAIT_FOR(rh_results(id) > before, WAIT_MS, "the new runner did not check");
    sleep_ms(500);
    assert_int_equal(rh_alert_count(NULL, id), 1);

    runner_stop_clean(r);
    free(stored);
    free(published);
    free(details);
    free(url);
    target_stop(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_alert_outlives_its_runner, rh_test_setup,
                                        rh_test_teardown),
    };
    int failures;

    harness_require_env();
    rh_require_env();
    failures = cmocka_run_group_tests(tests, harness_group_setup, harness_group_teardown);
    return harness_finish(failures);
}
