/* pgconn: one PostgreSQL connection driven by libpq's asynchronous API on the runner's
 * libevent loop (PQconnectStartParams/PQconnectPoll, PQsendQueryParams, PQflush,
 * PQconsumeInput/PQisBusy/PQgetResult — the way Kore's pgsql.c does it), so neither a
 * slow statement nor a database outage ever stalls the checks on the loop. One statement
 * at a time; a lost connection is re-established by itself, paced. Both the connect and
 * every statement have a deadline, after which the connection is dropped: a database
 * that stops answering (rather than refusing) is treated like one that is gone.
 * (libpq resolves a host name inside PQconnectStartParams; give an address, or accept
 * that a reconnect may wait for DNS.) */
#ifndef STATUSHAWK_RUNNER_PGCONN_H
#define STATUSHAWK_RUNNER_PGCONN_H

#include <event2/event.h>
#include <libpq-fe.h>

struct pgconn;

/* res is borrowed for the call. ok is 1 when res is PGRES_TUPLES_OK or PGRES_COMMAND_OK;
 * otherwise err (one line) says why and res may be NULL (the statement never got an
 * answer). Never call pgconn_free from here. */
typedef void (*pgconn_fn)(PGresult *res, int ok, const char *err, void *arg);

/* Runs whenever the connection (re)opens, on the loop. */
typedef void (*pgconn_ready_fn)(void *arg);

/* conninfo (URL or keywords) and application_name are copied; the first connect starts
 * at once. NULL on out of memory. */
struct pgconn *pgconn_new(struct event_base *base, const char *conninfo,
                          const char *application_name, int statement_timeout_ms,
                          pgconn_ready_fn on_ready, void *arg);
/* Closes the connection; a statement in flight gets its callback with ok = 0. */
void pgconn_free(struct pgconn *pc);

int pgconn_connected(const struct pgconn *pc);
/* Connected and no statement running. */
int pgconn_idle(const struct pgconn *pc);

/* Sends one statement with text parameters (NULL = SQL NULL). fn runs exactly once, on
 * a later turn of the loop, when 0 is returned; -1 when the connection is not idle. */
int pgconn_query(struct pgconn *pc, const char *sql, int nparams, const char *const *params,
                 pgconn_fn fn, void *arg);

#endif
