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

#endif
