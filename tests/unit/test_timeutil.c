/* Unit tests for common/timeutil. Expected strings were computed with
 * `date -u -d @<seconds> +%Y-%m-%dT%H:%M:%S.%3NZ`. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "common/timeutil.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* 2026-11-24T10:15:30.123Z */
#define KNOWN_MS 1795515330123LL
#define ISO_MIN_MS (-62167219200000LL) /* 0000-01-01T00:00:00.000Z */
#define ISO_MAX_MS 253402300799999LL   /* 9999-12-31T23:59:59.999Z */

static const struct {
    int64_t ms;
    const char *iso;
} format_cases[] = {
    {0, "1970-01-01T00:00:00.000Z"},
    {KNOWN_MS, "2026-11-24T10:15:30.123Z"},
    {1, "1970-01-01T00:00:00.001Z"},
    {-1, "1969-12-31T23:59:59.999Z"}, /* floor, not truncation toward zero */
    {-1000, "1969-12-31T23:59:59.000Z"},
    {951782400000LL, "2000-02-29T00:00:00.000Z"},
    {ISO_MIN_MS, "0000-01-01T00:00:00.000Z"},
    {ISO_MAX_MS, "9999-12-31T23:59:59.999Z"},
    /* Out of the four-digit-year range: clamped. */
    {253402300800000LL, "9999-12-31T23:59:59.999Z"},
    {INT64_MAX, "9999-12-31T23:59:59.999Z"},
    {INT64_MIN, "0000-01-01T00:00:00.000Z"},
};

static void test_format(void **state)
{
    size_t i;

    for (i = 0; i < ARRAY_LEN(format_cases); i++) {
        char out[TIME_ISO_BUFSZ];

        time_format_iso(format_cases[i].ms, out);
        assert_string_equal(out, format_cases[i].iso);
    }
}

static void test_format_parse_round_trip(void **state)
{
    /* Every entry of the format table parses back to what formats to the same text;
     * the ones inside the range also give back their own ms. */
    size_t i;

    for (i = 0; i < ARRAY_LEN(format_cases); i++) {
        int64_t ms = 42;
        char again[TIME_ISO_BUFSZ];

        assert_int_equal(time_parse_iso(format_cases[i].iso, &ms), 0);
        time_format_iso(ms, again);
        assert_string_equal(again, format_cases[i].iso);
        if (format_cases[i].ms >= ISO_MIN_MS && format_cases[i].ms <= ISO_MAX_MS)
            assert_true(ms == format_cases[i].ms);
    }
}

static void test_round_trip_every_day(void **state)
{
    /* One instant on every day of years 0000-9999, the time of day drifting by 37 ms
     * a day: gmtime's calendar and the parser's validation (leap years, month
     * lengths) must agree on each of them. */
    int64_t ms;

    for (ms = ISO_MIN_MS; ms <= ISO_MAX_MS; ms += 86400000LL + 37) {
        char iso[TIME_ISO_BUFSZ];
        int64_t back = 0;

        time_format_iso(ms, iso);
        if (time_parse_iso(iso, &back) != 0 || back != ms)
            print_message("%lld -> %s -> %lld\n", (long long)ms, iso, (long long)back);
        assert_true(back == ms);
    }
}

static const struct {
    const char *iso;
    int64_t ms;
} parse_cases[] = {
    {"2026-11-24T10:15:30.123Z", KNOWN_MS},
    {"2026-11-24 10:15:30.123456+00", KNOWN_MS}, /* PostgreSQL, truncated to ms */
    {"2026-11-24T12:15:30+02:00", KNOWN_MS - 123},
    {"2026-11-24T10:15:30Z", KNOWN_MS - 123},
    {"2026-11-24T05:15:30.123-05:00", KNOWN_MS},
    {"2026-11-24T15:45:30.123+0530", KNOWN_MS},
    {"2026-11-24T10:15:30.1Z", KNOWN_MS - 23},
    {"2026-11-24T10:15:30.12Z", KNOWN_MS - 3},
    {"2026-11-24T10:15:30.1239999999999999999999Z", KNOWN_MS},
    {"2026-11-24T10:15:30.123-00:00", KNOWN_MS},
    {"1969-12-31T23:59:59Z", -1000},
    {"1969-12-31T23:59:59.999Z", -1},
    {"2024-02-29T00:00:00Z", 1709164800000LL},
    {"2000-02-29T00:00:00Z", 951782400000LL},
};

static void test_parse(void **state)
{
    size_t i;

    for (i = 0; i < ARRAY_LEN(parse_cases); i++) {
        int64_t ms = 0;
        int rc = time_parse_iso(parse_cases[i].iso, &ms);

        if (rc != 0 || ms != parse_cases[i].ms)
            print_message("%s: rc %d, ms %lld\n", parse_cases[i].iso, rc, (long long)ms);
        assert_int_equal(rc, 0);
        assert_true(ms == parse_cases[i].ms);
    }
}

static const char *const parse_invalid[] = {
    "2026-13-01T00:00:00Z",
    "2026-00-01T00:00:00Z",
    "2026-11-00T00:00:00Z",
    "2026-11-31T00:00:00Z",
    "2026-02-29T00:00:00Z", /* not a leap year */
    "1900-02-29T00:00:00Z", /* nor is 1900 */
    "2026-11-24T25:00:00Z",
    "2026-11-24T24:00:00Z",
    "2026-11-24T10:60:00Z",
    "2026-11-24T10:15:60Z",
    "2026-11-24",
    "2026-11-24T10:15",
    "2026-11-24T10:15:30", /* no zone */
    "garbage",
    "",
    "2026-11-24T10:15:30Zjunk",
    "2026-11-24T10:15:30.123Z ",
    "2026-11-24T10:15:30+02:00x",
    "2026-11-24T10:15:30.Z", /* a dot needs digits */
    "2026-11-24t10:15:30Z",
    "2026-11-24T10:15:30z",
    "2026-11-24X10:15:30Z",
    "26-11-24T10:15:30Z",
    "+2026-11-24T10:15:30Z",
    "2026-1-24T10:15:30Z",
    "2026-11-24T10:15:30+2",
    "2026-11-24T10:15:30+02:",
    "2026-11-24T10:15:30+02:0",
    "2026-11-24T10:15:30+24:00",
    "2026-11-24T10:15:30+02:60",
    "2026-11-24T10:15:30+020",
};

static void test_parse_rejects(void **state)
{
    size_t i;

    for (i = 0; i < ARRAY_LEN(parse_invalid); i++) {
        int64_t ms = 42;
        int rc = time_parse_iso(parse_invalid[i], &ms);

        if (rc != -1)
            print_message("accepted: \"%s\"\n", parse_invalid[i]);
        assert_int_equal(rc, -1);
        assert_true(ms == 42); /* untouched on failure */
    }
    assert_int_equal(time_parse_iso(NULL, &(int64_t){0}), -1);
    assert_int_equal(time_parse_iso("2026-11-24T10:15:30Z", NULL), -1);
}

static void test_clocks(void **state)
{
    int64_t now = time_now_ms();
    int64_t a = time_mono_us();
    int64_t b = time_mono_us();

    /* After this test was written and before the year 2100. */
    assert_true(now > 1763942400000LL); /* 2025-11-24 */
    assert_true(now < 4102444800000LL); /* 2100-01-01 */
    assert_true(b >= a);
    assert_true(a > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_format),
        cmocka_unit_test(test_format_parse_round_trip),
        cmocka_unit_test(test_round_trip_every_day),
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_parse_rejects),
        cmocka_unit_test(test_clocks),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
