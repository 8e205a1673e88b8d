/* Unit tests for common/alert_template: the placeholder syntax (the same cases as the
 * dashboard's web/src/lib/template.test.ts) and the messages for unknown names. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "common/alert_template.h"

/* Rewrites tpl with each known placeholder as <name> and each unknown one as ?name?. */
static void walk(const char *tpl, char *out, size_t outsize)
{
    struct alert_template_part part;
    const char *p = tpl;
    size_t used = 0;

    out[0] = '\0';
    while (alert_template_next(&p, &part)) {
        used += (size_t)snprintf(out + used, outsize - used, "%.*s", (int)part.textlen, part.text);
        if (part.name)
            used += (size_t)snprintf(out + used, outsize - used, part.known ? "<%.*s>" : "?%.*s?",
                                     (int)part.namelen, part.name);
    }
}

static void test_syntax(void **state)
{
    static const struct {
        const char *tpl, *want;
    } cases[] = {
        {"", ""},
        {"no placeholders", "no placeholders"},
        {"{{monitor}} is {{status}}", "<monitor> is <status>"},
        {"{{ monitor }} / {{monitor}}", "<monitor> / <monitor>"},
        {"{{\tz\n}}", "<z>"},
        {"{{nope}} {{monitor}} {{nope}}", "?nope? <monitor> ?nope?"},
        /* Not placeholders at all: plain text, as in the dashboard's preview. */
        {"{monitor} {{}} {{1x}}", "{monitor} {{}} {{1x}}"},
        {"{{monitor", "{{monitor"},
        {"{{{monitor}}}", "{<monitor>}"},
        {"{{a b}}", "{{a b}}"},
        {"<b>{{monitor}}</b> {{days_left}}d {{latency_ms}}ms",
         "<b><monitor></b> <days_left>d <latency_ms>ms"},
        {"ünïcødé {{url}} ✅", "ünïcødé <url> ✅"},
    };
    char out[256];

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        walk(cases[i].tpl, out, sizeof(out));
        assert_string_equal(out, cases[i].want);
    }
}

static void test_every_placeholder_known(void **state)
{
    char tpl[512] = "", err[512];
    size_t used = 0;

    assert_int_equal(alert_template_placeholder_count, 14);
    for (size_t i = 0; i < alert_template_placeholder_count; i++)
        used += (size_t)snprintf(tpl + used, sizeof(tpl) - used, "%s={{%s}};",
                                 alert_template_placeholders[i], alert_template_placeholders[i]);
    assert_int_equal(alert_template_check(tpl, err, sizeof(err)), 0);
    assert_int_equal(alert_template_check("", err, sizeof(err)), 0);
    assert_int_equal(alert_template_check("{{}} {{1x}} {x}", err, sizeof(err)), 0);
}

static void test_unknown_named(void **state)
{
    char err[1024];

    assert_int_equal(alert_template_check("{{monitor}} {{foo}}", err, sizeof(err)), -1);
    assert_non_null(strstr(err, "Unknown placeholder: {{foo}}."));
    assert_non_null(strstr(err, "{{days_left}}"));

    /* Several, each named once, in order; spaces inside the braces are not shown. */
    assert_int_equal(alert_template_check("{{ bar }} {{foo}} {{bar}} {{url}}", err, sizeof(err)),
                     -1);
    assert_non_null(strstr(err, "Unknown placeholders: {{bar}}, {{foo}}."));
    /* Case matters. */
    assert_int_equal(alert_template_check("{{Monitor}}", err, sizeof(err)), -1);
    assert_non_null(strstr(err, "{{Monitor}}"));
}

static void test_long_and_many_unknown(void **state)
{
    char tpl[8192], err[600];
    size_t used = 0;

    /* A very long name is shown cut; hundreds of unknown names keep the message bounded. */
    memset(tpl, 'x', 300);
    memcpy(tpl, "{{", 2);
    memcpy(tpl + 298, "}}", 2);
    tpl[300] = '\0';
    assert_int_equal(alert_template_check(tpl, err, sizeof(err)), -1);
    assert_true(strlen(err) < sizeof(err));

    for (int i = 0; i < 500; i++)
        used += (size_t)snprintf(tpl + used, sizeof(tpl) - used, "{{n%d}}", i);
    assert_int_equal(alert_template_check(tpl, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "{{n0}}, {{n1}}"));
    assert_true(strlen(err) < sizeof(err));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_syntax),
        cmocka_unit_test(test_every_placeholder_known),
        cmocka_unit_test(test_unknown_named),
        cmocka_unit_test(test_long_and_many_unknown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
