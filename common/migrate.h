/* migrate: applies the numbered SQL files of migrations/ (compiled into the binary)
 * in order, each once and in its own transaction, under a PostgreSQL advisory lock so
 * that concurrent runs are safe; applied versions are recorded in schema_migrations. */
#ifndef STATUSHAWK_COMMON_MIGRATE_H
#define STATUSHAWK_COMMON_MIGRATE_H

#include <stddef.h>

struct migration {
    const char *version; /* file name without .sql, e.g. "0001_initial" */
    const char *sql;
};

extern const struct migration migrations_embedded[];
extern const size_t migrations_embedded_count;

struct db;

/* Applies every embedded migration not yet recorded, in order. Blocks while another
 * process holds the migration lock. Returns 0 and the number applied in *applied, or
 * -1 with a one-line reason in err (a failed migration is rolled back whole). */
int migrate_run(struct db *db, int *applied, char *err, size_t errlen);

/* How many embedded migrations the database lacks (all of them when the bookkeeping
 * table does not exist). 0, or -1 when the database cannot be asked. */
int migrate_pending(struct db *db, int *pending);

#endif
