/* Unit tests for common/config and api/api_config: every setting's parsing and the
 * one-line message that names a bad one. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "api/api_config.h"
#include "common/config.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static const char *const all_vars[] = {
    "DATABASE_URL",
    "DB_HOST",
    "DB_PORT",
    "DB_NAME",
    "DB_USER",
    "DB_PASSWORD",
    "REDIS_URL",
    "CELERY_BROKER_URL",
    "STATUSHAWK_REDIS_PREFIX",
    "LOG_LEVEL",
    "LOG_FORMAT",
    "STATUSHAWK_LISTEN",
    "STATUSHAWK_API_THREADS",
    "STATUSHAWK_WORK_THREADS",
    "STATUSHAWK_CORS_ORIGINS",
    "STATUSHAWK_PBKDF2_ITERATIONS",
    "STATUSHAWK_TRUST_PROXY",
    "STATUSHAWK_SHUTDOWN_TIMEOUT", "STATUSHAWK_TOKEN_CACHE_SECONDS", "STATUSHAWK_DB_TIMEOUT_MS",
};

static int clean_env(void **state)
{
    for (size_t i = 0; i < ARRAY_LEN(all_vars); i++)
        unsetenv(all_vars[i]);
    setenv("DATABASE_URL", "postgresql://u:p@db.example:5432/statushawk", 1);
    setenv("REDIS_URL", "redis://cache.example:6380/2", 1);
    return 0;
}

static void test_defaults(void **state)
{
    struct api_config cfg;
    char err[CONFIG_ERR_MAX] = "";

    assert_int_equal(api_config_load(&cfg, 0, err, sizeof(err)), 0);
    assert_string_equal(cfg.common.database_url, "postgresql://u:p@db.example:5432/statushawk");
    assert_string_equal(cfg.common.redis.host, "cache.example");
    assert_int_equal(cfg.common.redis.port, 6380);
    assert_int_equal(cfg.common.redis.db, 2);
    assert_string_equal(cfg.common.redis_prefix, "sh:");
    assert_int_equal(cfg.common.log_level, SH_LOG_INFO);
    assert_int_equal(cfg.common.log_format, SH_LOG_TEXT);
    assert_int_equal(cfg.common.db_timeout_ms, 5000);
    assert_int_equal(cfg.common.has_redis, 1);
    assert_string_equal(cfg.listen_host, "0.0.0.0");
    assert_int_equal(cfg.listen_port, 8000);
    assert_int_equal(cfg.pbkdf2_iterations, 600000);
    assert_int_equal(cfg.threads, config_cpu_count());
    assert_int_equal(cfg.trust_proxy, 0);
    assert_string_equal(cfg.cors_origins, "");
}

static void test_explicit_values(void **state)
{
    struct api_config cfg;
    char err[CONFIG_ERR_MAX] = "";

    setenv("STATUSHAWK_LISTEN", "[::1]:9001", 1);
    setenv("STATUSHAWK_API_THREADS", "7", 1);
    setenv("STATUSHAWK_PBKDF2_ITERATIONS", "1000", 1);
    setenv("STATUSHAWK_TRUST_PROXY", "yes", 1);
    setenv("LOG_LEVEL", "WARNING", 1);
    setenv("LOG_FORMAT", "json", 1);
    setenv("STATUSHAWK_CORS_ORIGINS", "http://a.example, http://b.example", 1);
    assert_int_equal(api_config_load(&cfg, 0, err, sizeof(err)), 0);
    assert_string_equal(cfg.listen_host, "::1");
    assert_int_equal(cfg.listen_port, 9001);
    assert_int_equal(cfg.threads, 7);
    assert_int_equal(cfg.pbkdf2_iterations, 1000);
    assert_int_equal(cfg.trust_proxy, 1);
    assert_int_equal(cfg.common.log_level, SH_LOG_WARN);
    assert_int_equal(cfg.common.log_format, SH_LOG_JSON);
}

/* The seed's variables: DB_* and CELERY_BROKER_URL in place of the URLs. */
static void test_seed_variables(void **state)
{
    struct common_config c;
    char err[CONFIG_ERR_MAX] = "";

    unsetenv("DATABASE_URL");
    unsetenv("REDIS_URL");
    setenv("DB_HOST", "postgres", 1);
    setenv("DB_PORT", "5433", 1);
    setenv("DB_NAME", "statushawk", 1);
    setenv("DB_USER", "app", 1);
    setenv("DB_PASSWORD", "it's a \\secret", 1);
    setenv("CELERY_BROKER_URL", "redis://:pw@redis:6379/0", 1);
    assert_int_equal(config_load_common(&c, err, sizeof(err)), 0);
    assert_string_equal(c.database_url, "host='postgres' port='5433' dbname='statushawk' "
                                        "user='app' password='it\\'s a \\\\secret'");
    assert_string_equal(c.redis.host, "redis");
    assert_string_equal(c.redis.password, "pw");
    assert_string_equal(c.redis.username, "");
}

static const struct {
    const char *var, *value, *expect; /* expect: the start of the error message */
} bad_cases[] = {
    {"STATUSHAWK_API_THREADS", "abc",
     "STATUSHAWK_API_THREADS: must be an integer from 1 to 256, got \"abc\""},
    {"STATUSHAWK_API_THREADS", "0", "STATUSHAWK_API_THREADS: must be an integer from 1 to 256"},
    {"STATUSHAWK_API_THREADS", "12x", "STATUSHAWK_API_THREADS: must be an integer"},
    {"STATUSHAWK_API_THREADS", "99999999999999999999", "STATUSHAWK_API_THREADS: must be"},
    {"STATUSHAWK_PBKDF2_ITERATIONS", "999", "STATUSHAWK_PBKDF2_ITERATIONS: must be an integer"},
    {"STATUSHAWK_TRUST_PROXY", "maybe", "STATUSHAWK_TRUST_PROXY: must be true or false"},
    {"LOG_LEVEL", "loud", "LOG_LEVEL: must be one of debug, info, warn, error"},
    {"LOG_FORMAT", "xml", "LOG_FORMAT: must be text or json, got \"xml\""},
    {"STATUSHAWK_LISTEN", "8000", "STATUSHAWK_LISTEN: must be host:port"},
    {"STATUSHAWK_LISTEN", "::1:8000", "STATUSHAWK_LISTEN: must be host:port"},
    {"STATUSHAWK_LISTEN", "0.0.0.0:70000", "STATUSHAWK_LISTEN: must be host:port"},
    {"STATUSHAWK_LISTEN", "0.0.0.0:", "STATUSHAWK_LISTEN: must be host:port"},
    {"REDIS_URL", "http://cache:6379", "REDIS_URL: must start with redis://"},
    {"REDIS_URL", "rediss://cache:6379", "REDIS_URL: TLS (rediss://) is not supported"},
    {"REDIS_URL", "redis://cache:0", "REDIS_URL: must name a host and an optional port"},
    {"REDIS_URL", "redis://:6379", "REDIS_URL: must name a host"},
    {"REDIS_URL", "redis://cache/x", "REDIS_URL: database number must be"},
    {"DATABASE_URL", "postgresql://h/db?nosuchoption=1",
     "DATABASE_URL: not a valid PostgreSQL URL"},
    {"DATABASE_URL", "nonsense without equals", "DATABASE_URL: not a valid PostgreSQL URL"},
    {"STATUSHAWK_REDIS_PREFIX", "has space", "STATUSHAWK_REDIS_PREFIX: at most 64 characters"},
};

static void test_bad_values_name_the_variable(void **state)
{
    for (size_t i = 0; i < ARRAY_LEN(bad_cases); i++) {
        struct api_config cfg;
        char err[CONFIG_ERR_MAX] = "";
        clean_env(state);
        setenv(bad_cases[i].var, bad_cases[i].value, 1);
        if (api_config_load(&cfg, 0, err, sizeof(err)) != -1)
            fail_msg("%s=%s was accepted", bad_cases[i].var, bad_cases[i].value);
        if (strncmp(err, bad_cases[i].expect, strlen(bad_cases[i].expect)) != 0)
            fail_msg("%s=%s: got \"%s\"", bad_cases[i].var, bad_cases[i].value, err);
        assert_null(strchr(err, '\n')); /* one line */
    }
}

static void test_missing_database_and_redis(void **state)
{
    struct common_config c;
    char err[CONFIG_ERR_MAX] = "";

    unsetenv("DATABASE_URL");
    assert_int_equal(config_load_common(&c, err, sizeof(err)), -1);
    assert_string_equal(err, "DATABASE_URL: must be set (or DB_HOST and DB_NAME)");

    setenv("DB_HOST", "postgres", 1);
    assert_int_equal(config_load_common(&c, err, sizeof(err)), -1);
    assert_string_equal(err, "DB_NAME: must be set when DB_HOST is used instead of DATABASE_URL");

    setenv("DB_NAME", "x", 1);
    setenv("DB_PORT", "http", 1);
    assert_int_equal(config_load_common(&c, err, sizeof(err)), -1);
    assert_true(strncmp(err, "DB_PORT: must be a port number", 30) == 0);

    clean_env(state);
    unsetenv("REDIS_URL");
    assert_int_equal(config_load_common(&c, err, sizeof(err)), -1);
    assert_string_equal(err, "REDIS_URL: must be set (or CELERY_BROKER_URL)");

    /* Commands without Redis accept its absence, but not a malformed value. */
    assert_int_equal(config_load_common_opts(&c, CONFIG_REDIS_OPTIONAL, err, sizeof(err)), 0);
    assert_int_equal(c.has_redis, 0);
    setenv("REDIS_URL", "http://nope", 1);
    assert_int_equal(config_load_common_opts(&c, CONFIG_REDIS_OPTIONAL, err, sizeof(err)), -1);
}

static void test_empty_counts_as_unset(void **state)
{
    struct api_config cfg;
    char err[CONFIG_ERR_MAX] = "";
    setenv("STATUSHAWK_API_THREADS", "", 1);
    setenv("LOG_FORMAT", "", 1);
    assert_int_equal(api_config_load(&cfg, 0, err, sizeof(err)), 0);
    assert_int_equal(cfg.threads, config_cpu_count());
    assert_int_equal(cfg.common.log_format, SH_LOG_TEXT);
}

static const struct {
    const char *url;
    const char *host, *user, *password;
    int port, db;
} redis_urls[] = {
    {"redis://localhost", "localhost", "", "", 6379, 0},
    {"redis://127.0.0.1:56379/3", "127.0.0.1", "", "", 56379, 3},
    {"redis://:p%40ss@h:1/", "h", "", "p%40ss", 1, 0},
    {"redis://user:p@ss@h:2/1", "h", "user", "p@ss", 2, 1},
    {"redis://[::1]:6380/0", "::1", "", "", 6380, 0},
    {"redis://h:6379/4?timeout=1", "h", "", "", 6379, 4},
};

static void test_redis_urls(void **state)
{
    for (size_t i = 0; i < ARRAY_LEN(redis_urls); i++) {
        struct redis_target t;
        char err[256] = "";
        if (redis_url_parse(redis_urls[i].url, &t, err, sizeof(err)) != 0)
            fail_msg("%s: %s", redis_urls[i].url, err);
        assert_string_equal(t.host, redis_urls[i].host);
        assert_string_equal(t.username, redis_urls[i].user);
        assert_string_equal(t.password, redis_urls[i].password);
        assert_int_equal(t.port, redis_urls[i].port);
        assert_int_equal(t.db, redis_urls[i].db);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_defaults, clean_env),
        cmocka_unit_test_setup(test_explicit_values, clean_env),
        cmocka_unit_test_setup(test_seed_variables, clean_env),
        cmocka_unit_test_setup(test_bad_values_name_the_variable, clean_env),
        cmocka_unit_test_setup(test_missing_database_and_redis, clean_env),
        cmocka_unit_test_setup(test_empty_counts_as_unset, clean_env),
        cmocka_unit_test(test_redis_urls),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
