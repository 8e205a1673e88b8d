/* Integration tests of the command line and the configuration: createsuperuser (flags and
 * environment, idempotent, updates the password, promotes an existing user), exit status 2
 * with one line naming the variable for bad settings, and the alternative ways to name the
 * database (DB_*, keyword conninfo) and Redis (CELERY_BROKER_URL), LOG_FORMAT=json. */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PASSWORD "Correct-horse-9"

static long long users_with_email(const char *email)
{
    return db_scalar_int("SELECT count(*) FROM users WHERE lower(email) = lower($1)", email, NULL);
}

static void run_ok(const char *const *args, const char *const *env)
{
    struct cli_result res = {0};
    int rc = cli_run(args, env, 0, &res);
    if (rc != 0)
        fail_msg("statushawk-api %s exited with %d\nstdout: %s\nstderr: %s", args[0], rc, res.out,
                 res.err);
    cli_result_free(&res);
}

/* GET /me with a fresh login; checks is_staff and returns nothing. */
static void expect_me(const struct api *api, const char *email, const char *password, int is_staff,
                      const char *first, const char *last)
{
    struct http_resp r;
    char *tok = login_ok(api, email, password);
    http_get(api, "/api/v1/accounts/me", tok, &r);
    expect_status(&r, 200);
    expect_json_str(&r, "email", email);
    json_t *st = resp_get(&r, "is_staff");
    if (!json_is_boolean(st) || json_is_true(st) != is_staff)
        fail_msg("expected is_staff %s in %s", is_staff ? "true" : "false", r.body);
    if (first)
        expect_json_str(&r, "first_name", first);
    if (last)
        expect_json_str(&r, "last_name", last);
    http_resp_free(&r);
    free(tok);
}

static void expect_login_refused(const struct api *api, const char *email, const char *password)
{
    struct http_resp r;
    char *body = json_body("{s:s, s:s}", "email", email, "password", password);
    http_send(api, "POST", "/api/v1/accounts/login", NULL, body, NULL, &r);
    expect_status(&r, 401);
    http_resp_free(&r);
    free(body);
}

static void test_createsuperuser_flags(void **state)
{
    (void)state;
    char *email = unique_email("admin");
    const char *args[] = {"createsuperuser", "--email", email,         "--password", PASSWORD,
                          "--first-name",    "Ada",     "--last-name", "Admin",      NULL};
    run_ok(args, NULL);
    assert_int_equal(users_with_email(email), 1);
    run_ok(args, NULL); /* again: still one user */
    assert_int_equal(users_with_email(email), 1);

    struct api *api = api_start(NULL);
    expect_me(api, email, PASSWORD, 1, "Ada", "Admin");

    /* A new password replaces the old one. */
    const char *args2[] = {"createsuperuser", "--email", email, "--password", "New-horse-42", NULL};
    run_ok(args2, NULL);
    assert_int_equal(users_with_email(email), 1);
    expect_login_refused(api, email, PASSWORD);
    expect_me(api, email, "New-horse-42", 1, NULL, NULL);
    api_stop_clean(api);
    free(email);
}

static void test_createsuperuser_env(void **state)
{
    (void)state;
    char *email = unique_email("envadmin");
    char e1[256];
    snprintf(e1, sizeof(e1), "STATUSHAWK_ADMIN_EMAIL=%s", email);
    const char *env[] = {e1, "STATUSHAWK_ADMIN_PASSWORD=" PASSWORD, NULL};
    const char *args[] = {"createsuperuser", NULL};
    run_ok(args, env);
    run_ok(args, env);
    assert_int_equal(users_with_email(email), 1);

    const char *env2[] = {e1, "STATUSHAWK_ADMIN_PASSWORD=Changed-horse-5", NULL};
    run_ok(args, env2);
    assert_int_equal(users_with_email(email), 1);

    struct api *api = api_start(NULL);
    expect_login_refused(api, email, PASSWORD);
    expect_me(api, email, "Changed-horse-5", 1, NULL, NULL);
    api_stop_clean(api);
    free(email);
}

static void test_createsuperuser_promotes_existing_user(void **state)
{
    (void)state;
    struct api *api = api_start(NULL);
    char *email = unique_email("promote");
    signup_ok(api, email, PASSWORD);
    expect_me(api, email, PASSWORD, 0, "Test", "User");

    const char *args[] = {"createsuperuser", "--email",          email,
                          "--password",      "Promoted-horse-1", NULL};
    run_ok(args, NULL);
    assert_int_equal(users_with_email(email), 1);
    expect_me(api, email, "Promoted-horse-1", 1, NULL, NULL);
    api_stop_clean(api);
    free(email);
}

static void test_createsuperuser_without_email_fails(void **state)
{
    (void)state;
    const char *args[] = {"createsuperuser", "--password", PASSWORD, NULL};
    const char *env[] = {"STATUSHAWK_ADMIN_EMAIL", "STATUSHAWK_ADMIN_PASSWORD", NULL};
    long long before = db_scalar_int("SELECT count(*) FROM users", NULL);
    struct cli_result res = {0};
    int rc = cli_run(args, env, 30000, &res);
    if (rc <= 0 || rc >= 128 || strlen(res.err) == 0)
        fail_msg("createsuperuser without an e-mail: exit %d (want a non-zero exit with a "
                 "message, not a crash or a hang)\nstderr: %s",
                 rc, res.err);
    cli_result_free(&res);
    assert_int_equal(db_scalar_int("SELECT count(*) FROM users", NULL), before);
}

/* ---- configuration errors ---- */

struct bad_config {
    const char *args[3];
    const char *env[7];
    const char *names; /* the variable the message must name */
};

/* Exit status 2 and exactly one line on stderr that names the variable. Returns 0 when
 * that holds, else prints why and returns -1. */
static int check_bad_config(const struct bad_config *c)
{
    struct cli_result res = {0};
    int rc = cli_run(c->args, c->env, 15000, &res);
    const char *err = res.err;
    size_t len = strlen(err);
    int lines = 0;
    for (size_t i = 0; i < len; i++)
        lines += err[i] == '\n';
    int ok = rc == 2 && lines == 1 && len > 0 && err[len - 1] == '\n' && strstr(err, c->names);
    if (!ok) {
        fprintf(stderr, "  %s with", c->args[0] ? c->args[0] : "serve");
        for (int i = 0; c->env[i]; i++)
            fprintf(stderr, " %s%s", c->env[i], strchr(c->env[i], '=') ? "" : "(unset)");
        fprintf(stderr, ": exit %d, %d stderr line(s), want 2 and one line naming %s:\n%s\n", rc,
                lines, c->names, err);
    }
    cli_result_free(&res);
    return ok ? 0 : -1;
}

static void test_bad_config_exits_2(void **state)
{
    (void)state;
    static const struct bad_config cases[] = {
        {{NULL}, {"STATUSHAWK_API_THREADS=abc", NULL}, "STATUSHAWK_API_THREADS"},
        {{NULL}, {"STATUSHAWK_API_THREADS=0", NULL}, "STATUSHAWK_API_THREADS"},
        {{NULL}, {"STATUSHAWK_API_THREADS=257", NULL}, "STATUSHAWK_API_THREADS"},
        {{NULL}, {"STATUSHAWK_API_THREADS=4x", NULL}, "STATUSHAWK_API_THREADS"},
        {{NULL}, {"LOG_FORMAT=xml", NULL}, "LOG_FORMAT"},
        {{NULL}, {"LOG_LEVEL=loud", NULL}, "LOG_LEVEL"},
        {{NULL}, {"STATUSHAWK_PBKDF2_ITERATIONS=999", NULL}, "STATUSHAWK_PBKDF2_ITERATIONS"},
        {{NULL}, {"STATUSHAWK_PBKDF2_ITERATIONS=many", NULL}, "STATUSHAWK_PBKDF2_ITERATIONS"},
        {{NULL}, {"STATUSHAWK_LISTEN=not-an-address", NULL}, "STATUSHAWK_LISTEN"},
        {{NULL}, {"STATUSHAWK_LISTEN=127.0.0.1:99999", NULL}, "STATUSHAWK_LISTEN"},
        {{NULL}, {"REDIS_URL=http://127.0.0.1:6379/0", NULL}, "REDIS_URL"},
        {{NULL},
         {"DATABASE_URL", "DB_HOST", "DB_PORT", "DB_NAME", "DB_USER", "DB_PASSWORD", NULL},
         "DATABASE_URL"},
        {{"serve", NULL},
         {"DATABASE_URL", "DB_HOST", "DB_PORT", "DB_NAME", "DB_USER", "DB_PASSWORD", NULL},
         "DATABASE_URL"},
        {{"migrate", NULL},
         {"DATABASE_URL", "DB_HOST", "DB_PORT", "DB_NAME", "DB_USER", "DB_PASSWORD", NULL},
         "DATABASE_URL"},
        {{"migrate", NULL}, {"LOG_FORMAT=xml", NULL}, "LOG_FORMAT"},
    };
    int failed = 0;
    size_t n = sizeof(cases) / sizeof(cases[0]);
    for (size_t i = 0; i < n; i++)
        failed += check_bad_config(&cases[i]) != 0;
    if (failed)
        fail_msg("%d of %zu bad configurations were not refused properly (see above)", failed, n);
}

/* ---- other ways to configure ---- */

static void expect_working(const struct api *api)
{
    struct http_resp r;
    http_get(api, "/ready", NULL, &r);
    expect_status(&r, 200);
    expect_json_str(&r, "postgres", "ok");
    expect_json_str(&r, "redis", "ok");
    http_resp_free(&r);
    char *email = unique_email("cfg");
    signup_ok(api, email, PASSWORD);
    char *tok = login_ok(api, email, PASSWORD);
    free(tok);
    free(email);
}

static void test_db_variables(void **state)
{
    (void)state;
    char host[300], port[32], name[96], user[300], pass[300];
    snprintf(host, sizeof(host), "DB_HOST=%s", harness_pg_host());
    snprintf(port, sizeof(port), "DB_PORT=%d", harness_pg_port());
    snprintf(name, sizeof(name), "DB_NAME=%s", harness_db_name());
    snprintf(user, sizeof(user), "DB_USER=%s", harness_pg_user());
    snprintf(pass, sizeof(pass), "DB_PASSWORD=%s",
             harness_pg_password() ? harness_pg_password() : "");
    const char *env[] = {
        "DATABASE_URL", host, port, name, user, harness_pg_password() ? pass : "DB_PASSWORD", NULL};
    struct api *api = api_start(env);
    expect_working(api);
    api_stop_clean(api);
}

static void test_keyword_conninfo_and_celery_broker_url(void **state)
{
    (void)state;
    char *ci = harness_pg_conninfo(NULL);
    char *dbenv = malloc(strlen(ci) + 16);
    sprintf(dbenv, "DATABASE_URL=%s", ci);
    char renv[300];
    snprintf(renv, sizeof(renv), "CELERY_BROKER_URL=%s", harness_redis_url());
    const char *env[] = {dbenv, "REDIS_URL", renv, NULL};
    struct api *api = api_start(env);
    expect_working(api);
    api_stop_clean(api);
    free(dbenv);
    free(ci);
}

static void test_one_thread(void **state)
{
    (void)state;
    const char *env[] = {"STATUSHAWK_API_THREADS=1", NULL};
    struct api *api = api_start(env);
    expect_working(api);
    api_stop_clean(api);
}

static void test_log_format_json(void **state)
{
    (void)state;
    const char *env[] = {"LOG_FORMAT=json", NULL};
    struct api *api = api_start(env);
    struct http_resp r;
    char path[96];
    snprintf(path, sizeof(path), "/api/v1/json-log-probe-%ld", (long)getpid());
    http_get(api, path, NULL, &r);
    expect_status(&r, 404);
    http_resp_free(&r);
    sleep_ms(200);

    char *log = api_log(api);
    int lines = 0, mentions = 0;
    for (char *p = log; p && *p;) {
        char *eol = strchr(p, '\n');
        size_t len = eol ? (size_t)(eol - p) : strlen(p);
        if (len > 0) {
            json_error_t e;
            json_t *j = json_loadb(p, len, 0, &e);
            if (!json_is_object(j))
                fail_msg("LOG_FORMAT=json, but this log line is not a JSON object: %.*s", (int)len,
                         p);
            lines++;
            mentions += memmem(p, len, path, strlen(path)) != NULL;
            json_decref(j);
        }
        p = eol ? eol + 1 : NULL;
    }
    free(log);
    if (lines == 0 || mentions != 1)
        fail_msg("expected JSON log lines, one naming %s; got %d lines, %d naming it", path, lines,
                 mentions);
    api_stop_clean(api);
}

int main(void)
{
    harness_require_env();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_createsuperuser_flags, harness_test_teardown),
        cmocka_unit_test_teardown(test_createsuperuser_env, harness_test_teardown),
        cmocka_unit_test_teardown(test_createsuperuser_promotes_existing_user,
                                  harness_test_teardown),
        cmocka_unit_test_teardown(test_createsuperuser_without_email_fails, harness_test_teardown),
        cmocka_unit_test_teardown(test_bad_config_exits_2, harness_test_teardown),
        cmocka_unit_test_teardown(test_db_variables, harness_test_teardown),
        cmocka_unit_test_teardown(test_keyword_conninfo_and_celery_broker_url,
                                  harness_test_teardown),
        cmocka_unit_test_teardown(test_one_thread, harness_test_teardown),
        cmocka_unit_test_teardown(test_log_format_json, harness_test_teardown),
    };
    return harness_finish(
        cmocka_run_group_tests(tests, harness_group_setup, harness_group_teardown));
}
