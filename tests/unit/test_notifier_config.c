/* Unit tests for the notifier's settings and its retry schedule: the environment table,
 * the Telegram mode rules, the listen address, the retry delays and the backoff with jitter. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "notifier/deliver.h"
#include "notifier/notifier_config.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static const char *const vars[] = {
    "DATABASE_URL",
    "REDIS_URL",
    "NOTIFIER_HTTP_LISTEN",
    "NOTIFIER_CLAIM_IDLE",
    "NOTIFIER_RETRY_DELAYS_MS",
    "TELEGRAM_BOT_TOKEN",
    "TELEGRAM_MODE",
    "TELEGRAM_WEBHOOK_URL",
    "SECRET_KEY",
    "NOTIFIER_DIGEST_MIN",
    "NOTIFIER_DIGEST_MAX",
    "NOTIFIER_CONSUMER",
    "TELEGRAM_API_BASE",
    "DB_HOST",
    "CELERY_BROKER_URL",
};

static int reset_env(void **state)
{
    for (size_t i = 0; i < ARRAY_LEN(vars); i++)
        unsetenv(vars[i]);
    setenv("DATABASE_URL", "postgresql://u@127.0.0.1:5432/db", 1);
    setenv("REDIS_URL", "redis://127.0.0.1:6379/0", 1);
    return 0;
}

static void expect_error(const char *name_in_error)
{
    struct notifier_config cfg;
    char err[CONFIG_ERR_MAX];
    if (notifier_config_load(&cfg, err, sizeof(err)) == 0)
        fail_msg("accepted; expected an error naming %s", name_in_error);
    if (strncmp(err, name_in_error, strlen(name_in_error)) != 0)
        fail_msg("error \"%s\" does not start with %s", err, name_in_error);
}

static void test_defaults(void **state)
{
    struct notifier_config cfg;
    char err[CONFIG_ERR_MAX];
    assert_int_equal(notifier_config_load(&cfg, err, sizeof(err)), 0);
    assert_int_equal(cfg.claim_idle_s, 60);
    assert_int_equal(cfg.max_attempts, 6);
    assert_int_equal(cfg.retry_steps, 5);
    int want[] = {1000, 5000, 30000, 120000, 600000};
    for (int i = 0; i < 5; i++)
        assert_int_equal(cfg.retry_delay_ms[i], want[i]);
    assert_int_equal(cfg.telegram_mode, TELEGRAM_MODE_OFF);
    assert_int_equal(cfg.tg_private_per_min, 60);
    assert_int_equal(cfg.tg_group_per_min, 20);
    assert_int_equal(cfg.tg_bot_per_s, 30);
    assert_string_equal(cfg.http_host, "0.0.0.0");
    assert_int_equal(cfg.http_port, 8002);
    assert_true(strlen(cfg.consumer) > 8);
    /* Two processes never share a consumer name. */
    struct notifier_config again;
    assert_int_equal(notifier_config_load(&again, err, sizeof(err)), 0);
    assert_string_not_equal(cfg.consumer, again.consumer);
}

static void test_telegram_modes(void **state)
{
    struct notifier_config cfg;
    char err[CONFIG_ERR_MAX];

    setenv("TELEGRAM_BOT_TOKEN", "123456:ABC-def_ghi", 1);
    setenv("SECRET_KEY", "k", 1);
    assert_int_equal(notifier_config_load(&cfg, err, sizeof(err)), 0);
    assert_int_equal(cfg.telegram_mode, TELEGRAM_MODE_POLLING); /* token, no webhook URL */
    setenv("TELEGRAM_WEBHOOK_URL", "https://example.com/hook", 1);
    assert_int_equal(notifier_config_load(&cfg, err, sizeof(err)), 0);
    assert_int_equal(cfg.telegram_mode, TELEGRAM_MODE_WEBHOOK);
    setenv("TELEGRAM_MODE", "polling", 1);
    assert_int_equal(notifier_config_load(&cfg, err, sizeof(err)), 0);
    assert_int_equal(cfg.telegram_mode, TELEGRAM_MODE_POLLING);
    setenv("TELEGRAM_MODE", "sometimes", 1);
    expect_error("TELEGRAM_MODE");
    setenv("TELEGRAM_MODE", "polling", 1);
    unsetenv("SECRET_KEY");
    expect_error("SECRET_KEY");
    setenv("SECRET_KEY", "k", 1);
    static const char *const bad_tokens[] = {
        "abc:def", ":def", "123:", "123:a/b", "123:a b", "123"};
    for (size_t i = 0; i < ARRAY_LEN(bad_tokens); i++) {
        setenv("TELEGRAM_BOT_TOKEN", bad_tokens[i], 1);
        expect_error("TELEGRAM_BOT_TOKEN");
    }
    unsetenv("TELEGRAM_BOT_TOKEN");
    expect_error("TELEGRAM_MODE"); /* polling without a token */
    setenv("TELEGRAM_MODE", "off", 1);
    assert_int_equal(notifier_config_load(&cfg, err, sizeof(err)), 0);
    setenv("TELEGRAM_API_BASE", "ftp://x", 1);
    setenv("TELEGRAM_BOT_TOKEN", "1:a", 1);
    setenv("TELEGRAM_MODE", "auto", 1);
    unsetenv("TELEGRAM_WEBHOOK_URL");
    expect_error("TELEGRAM_API_BASE");
}

static void test_bad_values(void **state)
{
    setenv("NOTIFIER_CLAIM_IDLE", "0", 1);
    expect_error("NOTIFIER_CLAIM_IDLE");
    unsetenv("NOTIFIER_CLAIM_IDLE");
    setenv("NOTIFIER_HTTP_LISTEN", "8002", 1);
    expect_error("NOTIFIER_HTTP_LISTEN");
    setenv("NOTIFIER_HTTP_LISTEN", "::1:8002", 1);
    expect_error("NOTIFIER_HTTP_LISTEN");
    unsetenv("NOTIFIER_HTTP_LISTEN");
    setenv("NOTIFIER_DIGEST_MIN", "10", 1);
    setenv("NOTIFIER_DIGEST_MAX", "5", 1);
    expect_error("NOTIFIER_DIGEST_MAX");
    unsetenv("NOTIFIER_DIGEST_MIN");
    unsetenv("NOTIFIER_DIGEST_MAX");
    setenv("NOTIFIER_CONSUMER", "two words", 1);
    expect_error("NOTIFIER_CONSUMER");
    unsetenv("NOTIFIER_CONSUMER");
    static const char *const bad_delays[] = {
        "", "0", "1,,2", "1;2", "-5", "a", "1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17"};
    for (size_t i = 0; i < ARRAY_LEN(bad_delays); i++) {
        setenv("NOTIFIER_RETRY_DELAYS_MS", bad_delays[i], 1);
        if (bad_delays[i][0])
            expect_error("NOTIFIER_RETRY_DELAYS_MS");
    }
}

static void test_listen(void **state)
{
    struct notifier_config cfg;
    char err[CONFIG_ERR_MAX];
    setenv("NOTIFIER_HTTP_LISTEN", "127.0.0.1:9", 1);
    assert_int_equal(notifier_config_load(&cfg, err, sizeof(err)), 0);
    assert_string_equal(cfg.http_host, "127.0.0.1");
    assert_int_equal(cfg.http_port, 9);
    setenv("NOTIFIER_HTTP_LISTEN", "[::1]:0", 1);
    assert_int_equal(notifier_config_load(&cfg, err, sizeof(err)), 0);
    assert_string_equal(cfg.http_host, "::1");
    setenv("NOTIFIER_HTTP_LISTEN", ":8002", 1);
    assert_int_equal(notifier_config_load(&cfg, err, sizeof(err)), 0);
    assert_string_equal(cfg.http_host, "0.0.0.0");
    setenv("NOTIFIER_HTTP_LISTEN", "h:70000", 1);
    expect_error("NOTIFIER_HTTP_LISTEN");
    setenv("NOTIFIER_HTTP_LISTEN", "h:", 1);
    expect_error("NOTIFIER_HTTP_LISTEN");
}

static void test_delays(void **state)
{
    int d[NOTIFIER_MAX_RETRY_STEPS];
    assert_int_equal(notifier_config_parse_delays("50, 100 ,200", d), 3);
    assert_int_equal(d[0], 50);
    assert_int_equal(d[2], 200);
}

static void test_backoff_schedule(void **state)
{
    const int sched[] = {1000, 5000, 30000, 120000, 600000};
    /* Without jitter: the schedule, 1 s, 5 s, 30 s, 2 min, 10 min, then 10 min. */
    for (int a = 1; a <= 7; a++) {
        int64_t want = sched[a - 1 < 5 ? a - 1 : 4];
        assert_int_equal(deliver_backoff_ms(sched, 5, a, 0, 0.3), want);
    }
    /* Jitter stays within +-20 % and spans it. */
    int64_t lo = deliver_backoff_ms(sched, 5, 2, 20, 0.0);
    int64_t mid = deliver_backoff_ms(sched, 5, 2, 20, 0.5);
    int64_t hi = deliver_backoff_ms(sched, 5, 2, 20, 0.999999);
    assert_int_equal(lo, 4000);
    assert_int_equal(mid, 5000);
    assert_true(hi >= 5999 && hi <= 6000);
    for (int i = 0; i < 1000; i++) {
        int64_t v = deliver_backoff_ms(sched, 5, 3, 20, (double)random() / 2147483648.0);
        assert_true(v >= 24000 && v <= 36000);
    }
    /* Attempt 0 (never happens) and tiny delays stay sane. */
    const int tiny[] = {1};
    assert_int_equal(deliver_backoff_ms(tiny, 1, 0, 90, 0.0), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_defaults, reset_env),
        cmocka_unit_test_setup(test_telegram_modes, reset_env),
        cmocka_unit_test_setup(test_bad_values, reset_env),
        cmocka_unit_test_setup(test_listen, reset_env),
        cmocka_unit_test(test_delays),
        cmocka_unit_test(test_backoff_schedule),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
