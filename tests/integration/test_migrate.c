/* Integration tests of `statushawk-api migrate`: applies every embedded migration once,
 * a second run changes nothing, concurrent runs are safe, and failures are reported. */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Every migration file of the source tree, without .sql, comma-separated (CMake). */
static const char *const expected_versions = SH_IT_MIGRATION_VERSIONS;

/* Tables, columns, indexes and constraints of the public schema, hashed. */
static const char *const schema_fingerprint_sql =
    "SELECT md5(coalesce(string_agg(x, E'\\n' ORDER BY x), '')) || ':' || count(*) FROM ("
    " SELECT 'c ' || table_name || '.' || column_name || ' ' || data_type || ' ' ||"
    "        is_nullable || ' ' || coalesce(column_default, '') AS x"
    "   FROM information_schema.columns WHERE table_schema = 'public'"
    " UNION ALL SELECT 'i ' || indexname || ' ' || indexdef FROM pg_indexes"
    "   WHERE schemaname = 'public'"
    " UNION ALL SELECT 'k ' || conrelid::regclass::text || ' ' || conname || ' ' ||"
    "        pg_get_constraintdef(oid)"
    "   FROM pg_constraint WHERE connamespace = 'public'::regnamespace"
    ") s";

static char *db_env(const char *db)
{
    char *url = harness_pg_url(db, NULL, 0);
    char *env = malloc(strlen(url) + 32);
    sprintf(env, "DATABASE_URL=%s", url);
    free(url);
    return env;
}

static char *scalar_on(const char *db, const char *sql)
{
    PGresult *r = db_query_on(db, sql, NULL);
    char *v = PQntuples(r) > 0 && !PQgetisnull(r, 0, 0) ? strdup(PQgetvalue(r, 0, 0)) : NULL;
    PQclear(r);
    return v;
}

static void run_migrate_ok(const char *const *env)
{
    const char *args[] = {"migrate", NULL};
    struct cli_result res = {0};
    int rc = cli_run(args, env, 0, &res);
    if (rc != 0)
        fail_msg("migrate exited with %d\nstdout: %s\nstderr: %s", rc, res.out, res.err);
    cli_result_free(&res);
}

static void expect_versions(const char *db)
{
    char *got = scalar_on(db, "SELECT string_agg(version, ',' ORDER BY version) "
                              "FROM schema_migrations");
    if (!got || strcmp(got, expected_versions) != 0)
        fail_msg("schema_migrations holds \"%s\", expected \"%s\"", got ? got : "(none)",
                 expected_versions);
    free(got);
    /* Each exactly once. */
    assert_int_equal(db_scalar_int_on(db,
                                      "SELECT count(*) - count(DISTINCT version) "
                                      "FROM schema_migrations",
                                      NULL),
                     0);
}

static void test_migrate_twice_changes_nothing(void **state)
{
    (void)state;
    const char *db = harness_db_create();
    assert_non_null(db);
    char *env0 = db_env(db);
    const char *env[] = {env0, NULL};

    run_migrate_ok(env);
    expect_versions(db);
    assert_int_equal(db_scalar_int_on(db,
                                      "SELECT count(*) FROM pg_tables "
                                      "WHERE schemaname = 'public' "
                                      "AND tablename IN ('users', 'api_tokens')",
                                      NULL),
                     2);
    long long rows = db_scalar_int_on(db, "SELECT count(*) FROM schema_migrations", NULL);
    char *applied = scalar_on(db, "SELECT string_agg(version || '@' || applied_at::text, ',' "
                                  "ORDER BY version) FROM schema_migrations");
    char *schema = scalar_on(db, schema_fingerprint_sql);

    run_migrate_ok(env);
    expect_versions(db);
    assert_int_equal(db_scalar_int_on(db, "SELECT count(*) FROM schema_migrations", NULL), rows);
    char *applied2 = scalar_on(db, "SELECT string_agg(version || '@' || applied_at::text, ',' "
                                   "ORDER BY version) FROM schema_migrations");
    char *schema2 = scalar_on(db, schema_fingerprint_sql);
    assert_string_equal(applied, applied2); /* nothing re-applied */
    assert_string_equal(schema, schema2);   /* nothing changed */

    free(applied);
    free(applied2);
    free(schema);
    free(schema2);
    free(env0);
}

static void test_migrate_concurrent(void **state)
{
    (void)state;
    enum { ROUNDS = 3, PROCS = 4 };
    for (int round = 0; round < ROUNDS; round++) {
        const char *db = harness_db_create();
        assert_non_null(db);
        char *env0 = db_env(db);
        const char *env[] = {env0, NULL};
        const char *args[] = {"migrate", NULL};
        struct cli_proc procs[PROCS];
        for (int i = 0; i < PROCS; i++)
            cli_start(args, env, &procs[i]);
        int failed = 0;
        for (int i = 0; i < PROCS; i++) {
            struct cli_result res = {0};
            int rc = cli_finish(&procs[i], 0, &res);
            if (rc != 0) {
                fprintf(stderr, "round %d, migrate %d of %d exited with %d\nstderr: %s\n",
                        round + 1, i + 1, PROCS, rc, res.err);
                failed++;
            }
            cli_result_free(&res);
        }
        if (failed)
            fail_msg("%d of %d concurrent migrate runs failed", failed, PROCS);
        expect_versions(db);
        free(env0);
    }
}

static void test_migrate_with_db_variables(void **state)
{
    (void)state;
    const char *db = harness_db_create();
    assert_non_null(db);
    char host[300], port[32], name[96], user[300], pass[300];
    snprintf(host, sizeof(host), "DB_HOST=%s", harness_pg_host());
    snprintf(port, sizeof(port), "DB_PORT=%d", harness_pg_port());
    snprintf(name, sizeof(name), "DB_NAME=%s", db);
    snprintf(user, sizeof(user), "DB_USER=%s", harness_pg_user());
    snprintf(pass, sizeof(pass), "DB_PASSWORD=%s",
             harness_pg_password() ? harness_pg_password() : "");
    const char *env[] = {
        "DATABASE_URL", host, port, name, user, harness_pg_password() ? pass : "DB_PASSWORD", NULL};
    run_migrate_ok(env);
    expect_versions(db);
}

static void test_migrate_unreachable_database(void **state)
{
    (void)state;
    char env0[128];
    snprintf(env0, sizeof(env0), "DATABASE_URL=postgresql://postgres@127.0.0.1:%d/nothing",
             harness_free_port());
    const char *env[] = {env0, NULL};
    const char *args[] = {"migrate", NULL};
    struct cli_result res = {0};
    int rc = cli_run(args, env, 30000, &res);
    if (rc == 0 || rc < 0 || rc >= 128)
        fail_msg("migrate against a closed port: exit status %d (want a non-zero exit, not a "
                 "crash or a hang)\nstderr: %s",
                 rc, res.err);
    if (strlen(res.err) == 0)
        fail_msg("migrate failed (%d) without a word on stderr", rc);
    cli_result_free(&res);
}

int main(void)
{
    harness_require_env();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_migrate_twice_changes_nothing, harness_test_teardown),
        cmocka_unit_test_teardown(test_migrate_concurrent, harness_test_teardown),
        cmocka_unit_test_teardown(test_migrate_with_db_variables, harness_test_teardown),
        cmocka_unit_test_teardown(test_migrate_unreachable_database, harness_test_teardown),
    };
    return harness_finish(
        cmocka_run_group_tests(tests, harness_group_setup_nomigrate, harness_group_teardown));
}
