/* Unit tests for runner/decide: confirmation of failures, recovery, and next due times. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "runner/decide.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* One step: from (status, fails) with a result and retries to what decide says. */
static const struct {
    enum mon_status status;
    int fails;
    int up;
    int retries;
    enum mon_status next;
    int next_fails;
    enum mon_status confirmed;
    int recheck;
} steps[] = {
    /* a first result leaves PENDING */
    {MON_PENDING, 0, 1, 1, MON_UP, 0, MON_UP, 0},
    /* a new monitor that fails is confirmed like any other */
    {MON_PENDING, 0, 0, 1, MON_PENDING, 1, MON_PENDING, 1},
    {MON_PENDING, 1, 0, 1, MON_DOWN, 2, MON_DOWN, 0},
    {MON_PENDING, 0, 0, 0, MON_DOWN, 1, MON_DOWN, 0},
    /* a blip while UP is re-checked, `retries` times */
    {MON_UP, 0, 0, 2, MON_UP, 1, MON_PENDING, 1},
    {MON_UP, 1, 0, 2, MON_UP, 2, MON_PENDING, 1},
    {MON_UP, 2, 0, 2, MON_DOWN, 3, MON_DOWN, 0},
    {MON_UP, 1, 1, 2, MON_UP, 0, MON_UP, 0},
    {MON_UP, 0, 0, 0, MON_DOWN, 1, MON_DOWN, 0},
    /* DOWN stays DOWN on failures, at the interval; a success is UP at once */
    {MON_DOWN, 3, 0, 2, MON_DOWN, 4, MON_DOWN, 0},
    {MON_DOWN, 3, 1, 2, MON_UP, 0, MON_UP, 0},
    {MON_DOWN, 0, 0, 5, MON_DOWN, 1, MON_DOWN, 0},
    /* the counter stops at its ceiling */
    {MON_DOWN, DECIDE_MAX_FAILS, 0, 10, MON_DOWN, DECIDE_MAX_FAILS, MON_DOWN, 0},
};

static void test_steps(void **state)
{
    for (size_t i = 0; i < ARRAY_LEN(steps); i++) {
        struct mon_state prev = {steps[i].status, steps[i].fails, steps[i].fails ? 1000 : 0};
        struct decision d;
        decide(&prev, steps[i].up, steps[i].retries, 5000, &d);
        if (d.next.status != steps[i].next || d.next.fails != steps[i].next_fails ||
            d.confirmed != steps[i].confirmed || d.recheck != steps[i].recheck)
            fail_msg("step %zu: got status %s fails %d confirmed %s recheck %d", i,
                     mon_status_name(d.next.status), d.next.fails, mon_status_name(d.confirmed),
                     d.recheck);
    }
}

static void test_fail_since(void **state)
{
    struct mon_state s = {MON_UP, 0, 0};
    struct decision d;

    /* The streak's first failure is remembered through the re-checks. */
    decide(&s, 0, 2, 1000, &d);
    assert_int_equal(d.next.fail_since_ms, 1000);
    decide(&d.next, 0, 2, 6000, &d);
    assert_int_equal(d.next.fail_since_ms, 1000);
    decide(&d.next, 0, 2, 11000, &d);
    assert_int_equal(d.confirmed, MON_DOWN);
    assert_int_equal(d.next.fail_since_ms, 1000);
    decide(&d.next, 1, 2, 16000, &d);
    assert_int_equal(d.next.fail_since_ms, 0);
    assert_int_equal(d.next.fails, 0);
}

static void test_next_due(void **state)
{
    /* previous due + interval keeps the cadence, even when the check started late */
    assert_int_equal(decide_next_due(100000, 100400, 60, 0, 5000), 160000);
    /* ... unless that is already past: then now + interval */
    assert_int_equal(decide_next_due(100000, 170000, 60, 0, 5000), 230000);
    assert_int_equal(decide_next_due(100000, 160000, 60, 0, 5000), 220000);
    /* a re-check comes after the retry delay, whatever the interval */
    assert_int_equal(decide_next_due(100000, 100400, 60, 1, 5000), 105400);
}

static void test_status_names(void **state)
{
    assert_int_equal(mon_status_parse("UP"), MON_UP);
    assert_int_equal(mon_status_parse("DOWN"), MON_DOWN);
    assert_int_equal(mon_status_parse("PENDING"), MON_PENDING);
    assert_int_equal(mon_status_parse(NULL), MON_PENDING);
    assert_int_equal(mon_status_parse("PAUSED"), MON_PENDING);
    assert_string_equal(mon_status_name(MON_DOWN), "DOWN");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_steps),
        cmocka_unit_test(test_fail_since),
        cmocka_unit_test(test_next_due),
        cmocka_unit_test(test_status_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
