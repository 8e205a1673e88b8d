/* pgq: PostgreSQL without blocking the event loop — a few libpq connections driven by
 * libevent (PQsendQueryParams, then PQconsumeInput / PQisBusy / PQgetResult when the
 * socket is readable, as Kore's pgsql.c does) and a bounded queue of statements waiting
 * for a free connection. A lost connection is re-established by itself, at most once a
 * second; a statement in flight on it fails with PGQ_LOST (it may or may not have run).
 *
 * Parameterised statements only; every value travels as a text parameter. */
#ifndef STATUSHAWK_NOTIFIER_PGQ_H
#define STATUSHAWK_NOTIFIER_PGQ_H

#include <event2/event.h>
#include <libpq-fe.h>
#include <stddef.h>

enum pgq_status {
    PGQ_OK = 0,
    PGQ_UNAVAILABLE, /* no connection could run it (never sent) */
    PGQ_LOST,        /* the connection broke while it ran: its effect is unknown */
    PGQ_ERROR,       /* the server refused it (logged with the SQL's first words) */
};

/* Runs once per statement, on the loop, never from inside pgq_exec. res is borrowed for
 * the call (NULL unless PGQ_OK); err is a one-line reason ("" on PGQ_OK). */
typedef void (*pgq_cb)(enum pgq_status st, PGresult *res, const char *err, void *arg);

struct pgq;

/* conninfo and application_name are copied. Connecting starts at once. */
struct pgq *pgq_new(struct event_base *base, const char *conninfo, const char *application_name,
                    int nconns, size_t max_queued);

/* Statements still queued or running get their callbacks with PGQ_UNAVAILABLE before it
 * returns. */
void pgq_free(struct pgq *q);

/* Queues sql with nparams text parameters (copied; NULL = SQL NULL). 0, or -1 when the
 * queue is full (cb will not run). */
int pgq_exec(struct pgq *q, const char *sql, int nparams, const char *const *params, pgq_cb cb,
             void *arg);

/* The same, queued ahead of every ordinary statement (after earlier urgent ones): for the
 * statements between a granted rate-limit place and the send it was granted for. */
int pgq_exec_urgent(struct pgq *q, const char *sql, int nparams, const char *const *params,
                    pgq_cb cb, void *arg);

/* 1 when at least one connection is up. */
int pgq_connected(const struct pgq *q);

/* Statements queued plus running. */
size_t pgq_pending(const struct pgq *q);

#endif
