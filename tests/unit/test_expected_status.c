/* Unit tests for common/expected_status: parsing "200-299,301", matching codes against
 * it, and the canonical text the api stores. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "common/expected_status.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* Valid inputs, their canonical form, and codes that must and must not match. */
static const struct {
    const char *text, *canonical;
    int match[4], nomatch[4]; /* 0-terminated */
} valid[] = {
    {"200-299", "200-299", {200, 250, 299, 0}, {199, 300, 404, 0}},
    {"200", "200", {200, 0}, {201, 199, 0}},
    {"200-299,301", "200-299,301", {200, 299, 301, 0}, {300, 302, 0}},
    {" 200 - 299 , 301 ", "200-299,301", {204, 301, 0}, {300, 0}},
    {"100-599", "100-599", {100, 599, 0}, {99, 600, 0}},
    {"404,200-204,500-503", "404,200-204,500-503", {404, 202, 503, 0}, {405, 205, 504, 0}},
    {"301-301", "301", {301, 0}, {300, 302, 0}},
    {"\t418\t", "418", {418, 0}, {417, 0}},
    {"200,200", "200,200", {200, 0}, {201, 0}},
};

static const char *const invalid[] = {
    "",        " ",        ",",           "200,",
    ",200",    "200,,300", "200-",        "-200",
    "2oo",     "200 300",  "200-299-300", "abc",
    "200;301", "99",       "600",         "0",
    "1000",    "200-600",  "300-200",     "99999999999999999999",
    "+200",    "200.0",    "2xx",         "200-299,",
    "20 0",    "200--299", "1e2",
};

static void test_valid(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_LEN(valid); i++) {
        struct expected_status es;
        char err[128] = "", text[EXPECTED_STATUS_TEXT_MAX + 1];

        if (expected_status_parse(valid[i].text, &es, err, sizeof(err)) != 0)
            fail_msg("\"%s\" refused: %s", valid[i].text, err);
        assert_int_equal(expected_status_format(&es, text, sizeof(text)), 0);
        if (strcmp(text, valid[i].canonical) != 0)
            fail_msg("\"%s\" formats as \"%s\", expected \"%s\"", valid[i].text, text,
                     valid[i].canonical);
        for (int j = 0; valid[i].match[j]; j++)
            if (!expected_status_match(&es, valid[i].match[j]))
                fail_msg("\"%s\" does not match %d", valid[i].text, valid[i].match[j]);
        for (int j = 0; valid[i].nomatch[j]; j++)
            if (expected_status_match(&es, valid[i].nomatch[j]))
                fail_msg("\"%s\" matches %d", valid[i].text, valid[i].nomatch[j]);
    }
}

static void test_invalid(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_LEN(invalid); i++) {
        struct expected_status es;
        char err[128] = "";

        if (expected_status_parse(invalid[i], &es, err, sizeof(err)) == 0)
            fail_msg("\"%s\" accepted", invalid[i]);
        if (err[0] == '\0')
            fail_msg("\"%s\" refused without a message", invalid[i]);
        /* A refused value matches nothing. */
        assert_int_equal(es.n, 0);
        assert_false(expected_status_match(&es, 200));
    }
}

static void test_messages(void **state)
{
    (void)state;
    struct expected_status es;
    char err[128];

    assert_int_equal(expected_status_parse("600", &es, err, sizeof(err)), -1);
    assert_string_equal(err, "Status codes must be between 100 and 599.");
    assert_int_equal(expected_status_parse("300-200", &es, err, sizeof(err)), -1);
    assert_string_equal(err, "A range must not end before it starts (300-200).");
    assert_int_equal(expected_status_parse("2xx", &es, err, sizeof(err)), -1);
    assert_string_equal(err, "Enter status codes or ranges separated by commas, like "
                             "\"200-299,301\".");
    assert_int_equal(expected_status_parse(NULL, &es, err, sizeof(err)), -1);
}

/* The bound on the number of ranges, and that the most a parsed value can need still fits
 * the column. */
static void test_limits(void **state)
{
    (void)state;
    struct expected_status es;
    char text[512], out[EXPECTED_STATUS_TEXT_MAX + 1], err[128];
    size_t used = 0;

    for (int i = 0; i < EXPECTED_STATUS_MAX_RANGES; i++)
        used +=
            (size_t)snprintf(text + used, sizeof(text) - used, "%s%d-599", i ? "," : "", 500 + i);
    assert_true(strlen(text) <= EXPECTED_STATUS_TEXT_MAX);
    assert_int_equal(expected_status_parse(text, &es, err, sizeof(err)), 0);
    assert_int_equal(es.n, EXPECTED_STATUS_MAX_RANGES);
    assert_int_equal(expected_status_format(&es, out, sizeof(out)), 0);
    assert_string_equal(out, text);

    /* One more range is refused. */
    used = 0;
    for (int i = 0; i <= EXPECTED_STATUS_MAX_RANGES; i++)
        used += (size_t)snprintf(text + used, sizeof(text) - used, "%s%d", i ? "," : "", 200 + i);
    assert_int_equal(expected_status_parse(text, &es, err, sizeof(err)), -1);
    assert_string_equal(err, "Use at most 32 codes or ranges.");

    /* Longer than the column. */
    memset(text, ' ', 300);
    memcpy(text + 297, "200", 4);
    assert_int_equal(expected_status_parse(text, &es, err, sizeof(err)), -1);

    /* Formatting into a buffer that is too small fails cleanly. */
    assert_int_equal(expected_status_parse("200-299,301", &es, err, sizeof(err)), 0);
    assert_int_equal(expected_status_format(&es, out, 8), -1);
    assert_string_equal(out, "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid),
        cmocka_unit_test(test_invalid),
        cmocka_unit_test(test_messages),
        cmocka_unit_test(test_limits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
