/* Unit tests for runner/anomaly (z-scores against the latency window) and runner/cert
 * (certificate alert levels). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>

#include "runner/anomaly.h"
#include "runner/cert.h"

#define DAY (86400LL * 1000)

static void test_needs_a_baseline(void **state)
{
    double w[9] = {10, 12, 10, 12, 10, 12, 10, 12, 10};
    struct anomaly_eval e;

    anomaly_evaluate(w, 9, 500, 2.0, 0, &e);
    assert_int_equal(e.evaluated, 0);
    assert_int_equal(e.flagged, 0);
}

static void test_constant_window(void **state)
{
    double w[20];
    struct anomaly_eval e;

    for (int i = 0; i < 20; i++)
        w[i] = 42;
    anomaly_evaluate(w, 20, 500, 2.0, 0, &e);
    /* stdev 0: no z-score can be formed */
    assert_int_equal(e.evaluated, 0);
    assert_int_equal(e.flagged, 0);
}

static void test_spike_and_jitter(void **state)
{
    double w[50];
    struct anomaly_eval e;

    /* alternating 20 and 120 ms: mean 70, stdev 50 */
    for (int i = 0; i < 50; i++)
        w[i] = i % 2 ? 120 : 20;
    anomaly_evaluate(w, 50, 120, 2.0, 5, &e);
    assert_int_equal(e.evaluated, 1);
    assert_true(fabs(e.mean - 70) < 1e-9);
    assert_true(fabs(e.stdev - 50) < 1e-9);
    assert_true(fabs(e.z - 1.0) < 1e-9);
    assert_int_equal(e.flagged, 0);

    anomaly_evaluate(w, 50, 1000, 2.0, 5, &e);
    assert_true(fabs(e.z - 18.6) < 1e-9);
    assert_int_equal(e.flagged, 1);

    /* the threshold is the monitor's */
    anomaly_evaluate(w, 50, 200, 2.0, 5, &e);
    assert_int_equal(e.flagged, 1); /* z = 2.6 */
    anomaly_evaluate(w, 50, 200, 3.0, 5, &e);
    assert_int_equal(e.flagged, 0);

    /* faster than usual is not a problem */
    anomaly_evaluate(w, 50, -1000, 2.0, 5, &e);
    assert_int_equal(e.flagged, 0);
}

static void test_min_delta(void **state)
{
    double w[10] = {0.30, 0.31, 0.29, 0.30, 0.31, 0.29, 0.30, 0.31, 0.29, 0.30};
    struct anomaly_eval e;

    /* 1.3 ms after 0.3 ms answers: a huge z, but a millisecond is scheduler noise */
    anomaly_evaluate(w, 10, 1.3, 2.0, 5, &e);
    assert_true(e.z > 10);
    assert_int_equal(e.flagged, 0);
    /* with the floor off, the bare rule applies */
    anomaly_evaluate(w, 10, 1.3, 2.0, 0, &e);
    assert_int_equal(e.flagged, 1);
}

static void test_cert_levels(void **state)
{
    int64_t now = 1800000000000LL;

    assert_int_equal(cert_level(now + 30 * DAY, now), 0);
    assert_int_equal(cert_level(now + 14 * DAY + 1, now), 0);
    assert_int_equal(cert_level(now + 14 * DAY, now), 14);
    assert_int_equal(cert_level(now + 8 * DAY, now), 14);
    assert_int_equal(cert_level(now + 7 * DAY, now), 7);
    assert_int_equal(cert_level(now + 2 * DAY, now), 7);
    assert_int_equal(cert_level(now + 1 * DAY, now), 1);
    assert_int_equal(cert_level(now + 1000, now), 1);
    assert_int_equal(cert_level(now - 5 * DAY, now), 1); /* expired */
    assert_int_equal(cert_days_left(now + 5 * DAY - 1, now), 4);
    assert_int_equal(cert_days_left(now - 1, now), -1);
    assert_int_equal(cert_not_after_ms(NULL), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_needs_a_baseline), cmocka_unit_test(test_constant_window),
        cmocka_unit_test(test_spike_and_jitter), cmocka_unit_test(test_min_delta),
        cmocka_unit_test(test_cert_levels),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
