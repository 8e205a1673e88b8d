/* db: one PostgreSQL connection on libpq, parameterised queries only. A lost
 * connection is noticed before the next query is sent and re-established then (at
 * most once a second), so a database restart costs the requests made while it is
 * down, never the process. */
#ifndef STATUSHAWK_COMMON_DB_H
#define STATUSHAWK_COMMON_DB_H

#include <libpq-fe.h>
#include <stdint.h>

enum db_status {
    DB_OK = 0,
    DB_UNAVAILABLE, /* could not connect, or the connection broke */
    DB_CONFLICT,    /* a unique constraint refused the row (SQLSTATE 23505) */
    DB_ERROR,       /* any other error: a bug or a constraint; logged */
};

struct db;

/* conninfo (a URL or keyword string) is copied; application_name names the process in
 * pg_stat_activity. Does not connect yet. NULL on out of memory. */
struct db *db_new(const char *conninfo, const char *application_name);
void db_free(struct db *db);

/* Bounds how long one query may take (0, the default: no bound). Past it the connection
 * is dropped and the query reports DB_UNAVAILABLE: a database that hangs must not hang
 * its callers. */
void db_set_timeout(struct db *db, int timeout_ms);

/* LISTENs on channel (a plain lower-case identifier, borrowed for the db's life) on
 * every connection this db makes from now on. */
void db_listen(struct db *db, const char *channel);

/* Hands each notification received so far to fn (payload, arg) without waiting.
 * Returns the connection's generation — it changes with every reconnect, when
 * notifications may have been missed — or -1 when there is no live connection. */
long db_notifications(struct db *db, void (*fn)(const char *payload, void *arg), void *arg);

/* Runs sql with nparams text parameters ($1..); params[i] NULL means SQL NULL.
 * On DB_OK and when res is not NULL, *res is a new result the caller PQclear()s. */
enum db_status db_exec(struct db *db, PGresult **res, const char *sql, int nparams,
                       const char *const *params);

/* As db_exec, for the hot queries: sql must be a string that lives as long as the
 * process (a literal), since its address names the statement. It is prepared once per
 * connection (again after a reconnect), sparing the server a parse and plan each time. */
enum db_status db_exec_prepared(struct db *db, PGresult **res, const char *sql, int nparams,
                                const char *const *params);

/* Runs a script of several statements without parameters (migrations only). */
enum db_status db_exec_script(struct db *db, const char *sql);

/* The message of the last failure, one line; borrowed until the next call. */
const char *db_last_error(const struct db *db);

/* Connects if needed and runs SELECT 1. DB_OK or DB_UNAVAILABLE. */
enum db_status db_ping(struct db *db);

/* Reading results: row r, column c. */
int64_t db_int64(const PGresult *res, int r, int c);
int db_bool(const PGresult *res, int r, int c);         /* 't' is true */
const char *db_text(const PGresult *res, int r, int c); /* NULL when SQL NULL */

#endif
