/* migrate: see migrate.h. */
#include "common/migrate.h"

#include <stdio.h>
#include <string.h>

#include "common/db.h"
#include "common/log.h"

/* Any constant shared by every StatusHawk version: "SHMG". */
#define MIGRATION_LOCK_KEY "1397247303"

static int applied_versions(struct db *db, PGresult **res)
{
    return db_exec(db, res, "SELECT version FROM schema_migrations", 0, NULL) == DB_OK ? 0 : -1;
}

static int is_applied(const PGresult *res, const char *version)
{
    for (int i = 0; i < PQntuples(res); i++)
        if (strcmp(PQgetvalue(res, i, 0), version) == 0)
            return 1;
    return 0;
}

static int apply_one(struct db *db, const struct migration *m, char *err, size_t errlen)
{
    const char *params[] = {m->version};

    if (db_exec(db, NULL, "BEGIN", 0, NULL) != DB_OK)
        goto fail;
    if (db_exec_script(db, m->sql) != DB_OK)
        goto fail;
    if (db_exec(db, NULL, "INSERT INTO schema_migrations (version) VALUES ($1)", 1, params) !=
        DB_OK)
        goto fail;
    if (db_exec(db, NULL, "COMMIT", 0, NULL) != DB_OK)
        goto fail;
    log_info("migrate: applied %s", m->version);
    return 0;
fail:
    snprintf(err, errlen, "migration %s failed: %s", m->version, db_last_error(db));
    db_exec(db, NULL, "ROLLBACK", 0, NULL);
    return -1;
}

int migrate_run(struct db *db, int *applied, char *err, size_t errlen)
{
    PGresult *done = NULL;
    int rc = -1;

    *applied = 0;
    /* Session-level lock: a second migrate waits here, then finds nothing left to do. */
    if (db_exec(db, NULL, "SELECT pg_advisory_lock(" MIGRATION_LOCK_KEY ")", 0, NULL) != DB_OK) {
        snprintf(err, errlen, "cannot take the migration lock: %s", db_last_error(db));
        return -1;
    }
    if (db_exec(db, NULL,
                "CREATE TABLE IF NOT EXISTS schema_migrations ("
                " version text PRIMARY KEY,"
                " applied_at timestamptz NOT NULL DEFAULT now())",
                0, NULL) != DB_OK ||
        applied_versions(db, &done) != 0) {
        snprintf(err, errlen, "cannot read schema_migrations: %s", db_last_error(db));
        goto out;
    }
    for (size_t i = 0; i < migrations_embedded_count; i++) {
        if (is_applied(done, migrations_embedded[i].version))
            continue;
        if (apply_one(db, &migrations_embedded[i], err, errlen) != 0)
            goto out;
        (*applied)++;
    }
    rc = 0;
out:
    PQclear(done);
    db_exec(db, NULL, "SELECT pg_advisory_unlock(" MIGRATION_LOCK_KEY ")", 0, NULL);
    return rc;
}

int migrate_pending(struct db *db, int *pending)
{
    PGresult *exists = NULL, *done = NULL;
    int rc = -1;

    if (db_exec(db, &exists, "SELECT to_regclass('schema_migrations') IS NOT NULL", 0, NULL) !=
        DB_OK)
        return -1;
    *pending = (int)migrations_embedded_count;
    if (!db_bool(exists, 0, 0)) {
        rc = 0;
        goto out;
    }
    if (applied_versions(db, &done) != 0)
        goto out;
    for (size_t i = 0; i < migrations_embedded_count; i++)
        *pending -= is_applied(done, migrations_embedded[i].version);
    rc = 0;
out:
    PQclear(exists);
    PQclear(done);
    return rc;
}
