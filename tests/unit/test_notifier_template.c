/* Unit tests for the notifier's alert texts: parsing alert events, the default message of
 * each kind, custom templates and their placeholders, HTML escaping of hostile monitor
 * names, the digest line, and the webhook body and signature. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/alert_template.h"
#include "common/crypto.h"
#include "notifier/alertmsg.h"
#include "notifier/prov_webhook.h"
#include "notifier/strbuf.h"
#include "notifier/template.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define T0 "2026-11-24T10:15:30.123Z"

static void make(struct alert_event *ev, const char *kind, const char *name, const char *url,
                 const char *details)
{
    char err[128];
    if (alertmsg_from_values(ev, "0123456789abcdef0123456789abcdef", kind, "7", "0", "42", name,
                             url, T0, details, err, sizeof(err)) != 0)
        fail_msg("alertmsg_from_values: %s", err);
}

static void expect_contains(const char *s, const char *part)
{
    if (!strstr(s, part))
        fail_msg("expected \"%s\" in:\n%s", part, s);
}

static void expect_lacks(const char *s, const char *part)
{
    if (strstr(s, part))
        fail_msg("did not expect \"%s\" in:\n%s", part, s);
}

static void test_parse_rejects(void **state)
{
    struct alert_event ev;
    char err[128];
    static const struct {
        const char *id, *kind, *user, *time, *details;
    } bad[] = {
        {"", "down", "7", T0, "{}"},
        {"has space", "down", "7", T0, "{}"},
        {"abc", "sideways", "7", T0, "{}"},
        {"abc", "down", "0", T0, "{}"},
        {"abc", "down", "-3", T0, "{}"},
        {"abc", "down", "7x", T0, "{}"},
        {"abc", "down", "7", "yesterday", "{}"},
        {"abc", "down", "7", T0, "[1,2]"},
        {"abc", "down", "7", T0, "{\"a\":1,\"a\":2}"},
        {"abc", "down", "7", T0, "{not json"},
    };
    for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
        if (alertmsg_from_values(&ev, bad[i].id, bad[i].kind, bad[i].user, "0", "1", "n", "u",
                                 bad[i].time, bad[i].details, err, sizeof(err)) == 0)
            fail_msg("case %zu was accepted", i);
        assert_true(err[0] != '\0');
    }
    /* 65 characters is one too many for notification_log.alert_id */
    char longid[70];
    memset(longid, 'a', 65);
    longid[65] = '\0';
    assert_int_equal(alertmsg_from_values(&ev, longid, "down", "7", "0", "1", "n", "u", T0, "{}",
                                          err, sizeof(err)),
                     -1);
}

static void test_parse_reply(void **state)
{
    /* A stream entry's field list as hiredis hands it over. */
    redisReply f[18], *fp[18];
    const char *kv[] = {"alert_id",   "abc123", "kind",       "up", "user_id",      "9",
                        "channel_id", "4",      "monitor_id", "0",  "monitor_name", "",
                        "url",        "",       "time",       T0,   "details",      "{\"z\":3.5}"};
    for (int i = 0; i < 18; i++) {
        memset(&f[i], 0, sizeof(f[i]));
        f[i].type = REDIS_REPLY_STRING;
        f[i].str = (char *)kv[i];
        f[i].len = strlen(kv[i]);
        fp[i] = &f[i];
    }
    redisReply arr = {.type = REDIS_REPLY_ARRAY, .elements = 18, .element = fp};
    struct alert_event ev;
    char err[128];
    assert_int_equal(alertmsg_parse(&arr, &ev, err, sizeof(err)), 0);
    assert_string_equal(ev.alert_id, "abc123");
    assert_string_equal(ev.kind, "up");
    assert_int_equal(ev.user_id, 9);
    assert_int_equal(ev.channel_id, 4);
    assert_int_equal(ev.time_ms, 1795515330123LL);
    double z;
    assert_true(alertmsg_detail_number(&ev, "z", &z));
    assert_true(z == 3.5);
    alertmsg_clear(&ev);
    /* A NUL inside a value is refused. */
    f[3].len = 2;
    f[3].str = "u\0";
    f[3].len = 2;
    assert_int_equal(alertmsg_parse(&arr, &ev, err, sizeof(err)), -1);
}

static void test_default_down(void **state)
{
    struct alert_event ev;
    make(&ev, "down", "Shop", "https://shop.example.com/health",
         "{\"status_code\":503,\"reason\":\"status 503\"}");
    char *s = template_render(NULL, &ev, TEMPLATE_HTML);
    expect_contains(s, "<b>DOWN</b>");
    expect_contains(s, "<b>Shop</b>");
    expect_contains(s, "https://shop.example.com/health");
    expect_contains(s, "Why: status 503");
    expect_contains(s, "Since 2026-11-24 10:15:30 UTC");
    free(s);
    alertmsg_clear(&ev);
    /* The incident's start, when the runner gives it, is the "since". */
    make(&ev, "down", "Shop", "u",
         "{\"reason\":\"timeout\",\"incident_started_at\":\"2026-11-24T10:15:20.000Z\"}");
    s = template_render(NULL, &ev, TEMPLATE_HTML);
    expect_contains(s, "Since 2026-11-24 10:15:20 UTC");
    free(s);
    alertmsg_clear(&ev);
    /* No reason: the status code says why. */
    make(&ev, "down", "Shop", "u", "{\"status_code\":500}");
    s = template_render(NULL, &ev, TEMPLATE_HTML);
    expect_contains(s, "Why: HTTP 500");
    free(s);
    alertmsg_clear(&ev);
    /* Timeouts have no code at all. */
    make(&ev, "down", "Shop", "u", "{\"reason\":\"timeout\"}");
    s = template_render(NULL, &ev, TEMPLATE_PLAIN);
    expect_contains(s, "DOWN \xC2\xB7 Shop");
    expect_contains(s, "Why: timeout");
    expect_lacks(s, "<b>");
    free(s);
    alertmsg_clear(&ev);
}

static void test_default_up_duration(void **state)
{
    struct alert_event ev;
    make(&ev, "up", "Shop", "https://shop.example.com/",
         "{\"incident_started_at\":\"2026-11-24T09:03:00.000Z\"}");
    char *s = template_render(NULL, &ev, TEMPLATE_HTML);
    expect_contains(s, "<b>UP</b>");
    expect_contains(s, "Down for 1h 12m (since 2026-11-24 09:03:00 UTC)");
    expect_contains(s, "Recovered 2026-11-24 10:15:30 UTC");
    free(s);
    char *line = template_line(&ev, TEMPLATE_HTML);
    expect_contains(line, "<b>Shop</b> \xE2\x80\x94 up after 1h 12m");
    free(line);
    alertmsg_clear(&ev);
}

static void test_default_anomaly(void **state)
{
    struct alert_event ev;
    make(&ev, "anomaly", "API", "https://api.example.com/",
         "{\"latency_ms\":1234.4,\"mean_ms\":120.2,\"z\":9.31}");
    char *s = template_render(NULL, &ev, TEMPLATE_HTML);
    expect_contains(s, "<b>SLOW</b>");
    expect_contains(s, "Response 1234 ms vs usual 120 ms (z = 9.3)");
    free(s);
    alertmsg_clear(&ev);
}

static void test_default_cert(void **state)
{
    struct alert_event ev;
    make(&ev, "cert_expiry", "API", "https://api.example.com/",
         "{\"days_left\":7,\"cert_expires_at\":\"2026-12-01T10:00:00.000Z\"}");
    char *s = template_render(NULL, &ev, TEMPLATE_HTML);
    expect_contains(s, "Certificate expires in 7 days");
    expect_contains(s, "Expires 2026-12-01 10:00:00 UTC");
    free(s);
    alertmsg_clear(&ev);
    make(&ev, "cert_expiry", "API", "u", "{\"days_left\":1}");
    s = template_render(NULL, &ev, TEMPLATE_PLAIN);
    expect_contains(s, "Certificate expires in 1 day ");
    free(s);
    alertmsg_clear(&ev);
}

static void test_default_test(void **state)
{
    struct alert_event ev;
    make(&ev, "test", "", "", "{}");
    char *s = template_render(NULL, &ev, TEMPLATE_HTML);
    expect_contains(s, "StatusHawk test");
    expect_lacks(s, "\xC2\xB7"); /* no " · <name>" without a monitor */
    free(s);
    alertmsg_clear(&ev);
}

static void test_hostile_names(void **state)
{
    static const char *const names[] = {
        "<b>pwn</b>",      "</b><a href=\"javascript:x\">x</a>",
        "a & b",           "&lt;",
        "\"quoted\"",      "<tg-spoiler>",
        "caf\xC3\xA9\xFF",
    };
    for (size_t i = 0; i < ARRAY_LEN(names); i++) {
        struct alert_event ev;
        make(&ev, "down", names[i], "https://x.example/?a=<1>&b=2", "{\"reason\":\"<b>x</b>\"}");
        char *s = template_render(NULL, &ev, TEMPLATE_HTML);
        char *line = template_line(&ev, TEMPLATE_HTML);
        json_t *t = json_string("{{monitor}} at {{url}}: {{reason}}");
        char *c = template_render(t, &ev, TEMPLATE_HTML);
        json_decref(t);
        /* The only tags are the template's own: <b> and </b>, twice in the default. */
        const char *texts[] = {s, line, c};
        for (int k = 0; k < 3; k++) {
            for (const char *p = texts[k]; (p = strchr(p, '<')) != NULL; p++)
                if (strncmp(p, "<b>", 3) != 0 && strncmp(p, "</b>", 4) != 0)
                    fail_msg("unescaped tag for name %zu: %s", i, texts[k]);
        }
        expect_contains(c, "https://x.example/?a=&lt;1&gt;&amp;b=2");
        expect_contains(c, "&lt;b&gt;x&lt;/b&gt;");
        free(s);
        free(line);
        free(c);
        alertmsg_clear(&ev);
    }
}

static void test_custom_template(void **state)
{
    struct alert_event ev;
    make(&ev, "down", "Shop & Co", "https://shop/", "{\"status_code\":503,\"latency_ms\":87.6}");
    json_t *t = json_string("[{{status}}] {{ monitor }} ({{kind}}) {{url}} code={{status_code}} "
                            "{{latency_ms}}ms {{time}} {{nope}} {{z}}|{{days_left}}| {{ }}");
    char *s = template_render(t, &ev, TEMPLATE_HTML);
    assert_string_equal(s, "[DOWN] Shop &amp; Co (down) https://shop/ code=503 88ms "
                           "2026-11-24 10:15:30 UTC {{nope}} || {{ }}");
    free(s);
    /* Plain mode does not escape. */
    s = template_render(t, &ev, TEMPLATE_PLAIN);
    expect_contains(s, "Shop & Co");
    free(s);
    json_decref(t);

    /* Per kind: this kind's string, else the default. */
    t = json_pack("{s:s}", "up", "back: {{monitor}}");
    s = template_render(t, &ev, TEMPLATE_HTML);
    expect_contains(s, "<b>DOWN</b>"); /* default for down */
    free(s);
    alertmsg_clear(&ev);
    make(&ev, "up", "Shop", "u", "{}");
    s = template_render(t, &ev, TEMPLATE_HTML);
    assert_string_equal(s, "back: Shop");
    free(s);
    json_decref(t);

    /* Empty, blank-rendering or non-string templates fall back to the default. */
    json_t *odd[] = {json_string(""), json_string("  {{latency_ms}} \n"), json_integer(5),
                     json_null()};
    for (size_t i = 0; i < ARRAY_LEN(odd); i++) {
        s = template_render(odd[i], &ev, TEMPLATE_HTML);
        expect_contains(s, "<b>UP</b>");
        free(s);
        json_decref(odd[i]);
    }
    alertmsg_clear(&ev);
}

/* Every placeholder the api accepts (common/alert_template) is one the notifier fills:
 * none is left as written, and each gets its value from the event. */
static void test_every_accepted_placeholder_filled(void **state)
{
    struct alert_event ev;
    char tpl[512] = "";
    size_t used = 0;

    for (size_t i = 0; i < alert_template_placeholder_count; i++)
        used += (size_t)snprintf(tpl + used, sizeof(tpl) - used, "%s={{%s}};",
                                 alert_template_placeholders[i], alert_template_placeholders[i]);
    make(&ev, "down", "Shop", "https://shop/",
         "{\"status_code\":503,\"reason\":\"status 503\",\"latency_ms\":87.6,"
         "\"mean_ms\":40.2,\"z\":3.14,\"days_left\":6.5,"
         "\"incident_started_at\":\"2026-11-24T09:05:00.000Z\","
         "\"cert_expires_at\":\"2026-12-01T00:00:00.000Z\"}");
    json_t *t = json_string(tpl);
    char *s = template_render(t, &ev, TEMPLATE_PLAIN);
    assert_string_equal(s, "monitor=Shop;url=https://shop/;status=DOWN;kind=down;"
                           "time=2026-11-24 10:15:30 UTC;latency_ms=88;reason=status 503;z=3.1;"
                           "days_left=6;status_code=503;mean_ms=40;"
                           "since=2026-11-24 09:05:00 UTC;duration=1h 10m;"
                           "expires=2026-12-01 00:00:00 UTC;");
    free(s);
    json_decref(t);
    alertmsg_clear(&ev);
}

static void test_template_bounded(void **state)
{
    struct alert_event ev;
    char name[1025];
    memset(name, 'N', 1024);
    name[1024] = '\0';
    make(&ev, "down", name, "u", "{}");
    struct strbuf b;
    strbuf_init(&b, 1 << 20);
    for (int i = 0; i < 100; i++)
        strbuf_puts(&b, "{{monitor}}");
    json_t *t = json_string(strbuf_str(&b));
    char *s = template_render(t, &ev, TEMPLATE_HTML);
    assert_true(strlen(s) <= TEMPLATE_MAX_BYTES);
    free(s);
    char *line = template_line(&ev, TEMPLATE_HTML);
    assert_true(strlen(line) < 300); /* the name is cut in a digest line */
    free(line);
    json_decref(t);
    strbuf_free(&b);
    alertmsg_clear(&ev);
}

static void test_durations(void **state)
{
    static const struct {
        int64_t s;
        const char *out;
    } cases[] = {{-5, "0s"},       {0, "0s"},        {59, "59s"},
                 {60, "1m 0s"},    {725, "12m 5s"},  {3600, "1h 0m"},
                 {4320, "1h 12m"}, {86400, "1d 0h"}, {273600, "3d 4h"}};
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        char out[32];
        template_format_duration(cases[i].s, out);
        assert_string_equal(out, cases[i].out);
    }
}

static void test_webhook_body_and_signature(void **state)
{
    struct alert_event ev;
    make(&ev, "down", "Shop", "https://shop/", "{\"status_code\":503}");
    char *body = webhook_body(&ev, "text here");
    json_t *j = json_loads(body, 0, NULL);
    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(j, "kind")), "down");
    assert_string_equal(json_string_value(json_object_get(j, "time")), T0);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(j, "monitor"), "id")), 42);
    assert_int_equal(
        json_integer_value(json_object_get(json_object_get(j, "details"), "status_code")), 503);
    assert_string_equal(json_string_value(json_object_get(j, "text")), "text here");
    json_decref(j);

    char sig[72];
    webhook_signature("s3cret", body, strlen(body), sig);
    unsigned char mac[CRYPTO_SHA256_LEN];
    char hex[CRYPTO_SHA256_HEX_LEN + 1];
    crypto_hmac_sha256("s3cret", 6, body, strlen(body), mac);
    crypto_hex_encode(mac, sizeof(mac), hex);
    assert_memory_equal(sig, "sha256=", 7);
    assert_string_equal(sig + 7, hex);
    free(body);
    alertmsg_clear(&ev);

    /* RFC 4231 test case 2 through the same function. */
    webhook_signature("Jefe", "what do ya want for nothing?", 28, sig);
    assert_string_equal(sig, "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec"
                             "3843");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_rejects),
        cmocka_unit_test(test_parse_reply),
        cmocka_unit_test(test_default_down),
        cmocka_unit_test(test_default_up_duration),
        cmocka_unit_test(test_default_anomaly),
        cmocka_unit_test(test_default_cert),
        cmocka_unit_test(test_default_test),
        cmocka_unit_test(test_hostile_names),
        cmocka_unit_test(test_custom_template),
        cmocka_unit_test(test_every_accepted_placeholder_filled),
        cmocka_unit_test(test_template_bounded),
        cmocka_unit_test(test_durations),
        cmocka_unit_test(test_webhook_body_and_signature),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
