/* db: see db.h. */
#include "common/db.h"

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/timeutil.h"

#define RECONNECT_INTERVAL_US 1000000
#define DB_MAX_PREPARED 64 /* statements prepared per connection; more run unprepared */

struct db {
    char *conninfo;
    char *application_name;
    PGconn *conn;
    int64_t last_attempt_us;               /* of the last failed connect, to pace retries */
    const char *prepared[DB_MAX_PREPARED]; /* sql of statement "s<i>" on this connection */
    int nprepared;
    int timeout_ms;             /* per query; 0 = wait as long as it takes */
    const char *listen_channel; /* LISTENed on each new connection, or NULL */
    long generation;            /* connections made so far */
    char err[512];
};

static void set_error(struct db *db, const char *msg)
{
    /* libpq messages span lines; a log line must not. */
    size_t n = 0;
    while (msg && msg[n] && n < sizeof(db->err) - 1) {
        db->err[n] = (msg[n] == '\n' || msg[n] == '\r') ? ' ' : msg[n];
        n++;
    }
    while (n > 0 && db->err[n - 1] == ' ')
        n--;
    db->err[n] = '\0';
}

struct db *db_new(const char *conninfo, const char *application_name)
{
    struct db *db = calloc(1, sizeof(*db));
    if (!db)
        return NULL;
    db->conninfo = strdup(conninfo);
    db->application_name = strdup(application_name);
    if (!db->conninfo || !db->application_name) {
        db_free(db);
        return NULL;
    }
    return db;
}

void db_free(struct db *db)
{
    if (!db)
        return;
    if (db->conn)
        PQfinish(db->conn);
    free(db->conninfo);
    free(db->application_name);
    free(db);
}

const char *db_last_error(const struct db *db)
{
    return db->err;
}

static void db_drop(struct db *db)
{
    if (db->conn) {
        PQfinish(db->conn);
        db->conn = NULL;
    }
    db->nprepared = 0;
    db->last_attempt_us = time_mono_us();
}

/* An idle connection has nothing to read. If its socket is readable or hung up, the
 * server has closed it (restart, idle timeout, admin shutdown): find out before a
 * query is sent on it, so no query is ever sent twice. */
static int db_idle_connection_alive(struct db *db)
{
    struct pollfd pfd = {.fd = PQsocket(db->conn), .events = POLLIN};
    if (pfd.fd < 0)
        return 0;
    if (poll(&pfd, 1, 0) == 0)
        return 1;
    if (!PQconsumeInput(db->conn))
        return 0;
    return PQstatus(db->conn) == CONNECTION_OK;
}

/* Server notices ("relation already exists, skipping") belong in the log at debug
 * level, not on stderr unformatted. */
static void db_notice(void *arg, const char *message)
{
    log_debug("postgres notice: %.*s", (int)strcspn(message, "\n"), message);
}

static int db_listen_now(struct db *db)
{
    char sql[96];
    PGresult *r;
    int ok;

    snprintf(sql, sizeof(sql), "LISTEN %s", db->listen_channel);
    r = PQexec(db->conn, sql);
    ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    if (!ok)
        set_error(db, PQresultErrorMessage(r));
    PQclear(r);
    return ok ? 0 : -1;
}

static int db_ensure(struct db *db)
{
    static const char *const keys[] = {"application_name", "connect_timeout", "keepalives_idle",
                                       "options",          "dbname",          NULL};
    const char *values[] = {db->application_name, "3", "30", "-c TimeZone=UTC", db->conninfo, NULL};

    if (db->conn && PQstatus(db->conn) == CONNECTION_OK && db_idle_connection_alive(db))
        return 0;
    if (db->conn) {
        log_warn("postgres: connection lost, reconnecting");
        PQfinish(db->conn);
        db->conn = NULL;
        db->nprepared = 0;
    } else if (db->last_attempt_us &&
               time_mono_us() - db->last_attempt_us < RECONNECT_INTERVAL_US) {
        return -1; /* keep db->err from the failed attempt */
    }
    /* expand_dbname=1: the conninfo in "dbname" may be a full URL or keyword string;
     * coming last, its settings win over the defaults given before it. */
    db->conn = PQconnectdbParams(keys, values, 1);
    if (!db->conn || PQstatus(db->conn) != CONNECTION_OK) {
        set_error(db, db->conn ? PQerrorMessage(db->conn) : "out of memory");
        log_warn("postgres: cannot connect: %s", db->err);
        db_drop(db);
        return -1;
    }
    PQsetNoticeProcessor(db->conn, db_notice, NULL);
    if (db->listen_channel && db_listen_now(db) != 0) {
        db_drop(db);
        return -1;
    }
    db->generation++;
    db->last_attempt_us = 0;
    return 0;
}

void db_listen(struct db *db, const char *channel)
{
    db->listen_channel = channel;
}

long db_notifications(struct db *db, void (*fn)(const char *payload, void *arg), void *arg)
{
    PGnotify *n;

    if (!db->conn || PQstatus(db->conn) != CONNECTION_OK || !PQconsumeInput(db->conn))
        return -1;
    while ((n = PQnotifies(db->conn)) != NULL) {
        fn(n->extra, arg);
        PQfreemem(n);
    }
    return db->generation;
}

static int is_connection_error(const PGresult *res, const PGconn *conn)
{
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    if (PQstatus(conn) != CONNECTION_OK)
        return 1;
    /* Class 08: connection exception; 57P0x: the server is shutting down. */
    return state && (strncmp(state, "08", 2) == 0 || strncmp(state, "57P0", 4) == 0);
}

static enum db_status db_result(struct db *db, PGresult *r, PGresult **res)
{
    ExecStatusType st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
    const char *state;

    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) {
        if (res)
            *res = r;
        else
            PQclear(r);
        return DB_OK;
    }
    set_error(db, r ? PQresultErrorMessage(r) : PQerrorMessage(db->conn));
    if (is_connection_error(r, db->conn)) {
        log_warn("postgres: %s", db->err);
        PQclear(r);
        db_drop(db);
        return DB_UNAVAILABLE;
    }
    state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
    if (state && strcmp(state, "23505") == 0) {
        PQclear(r);
        return DB_CONFLICT;
    }
    log_error("postgres: %s", db->err);
    PQclear(r);
    return DB_ERROR;
}

void db_set_timeout(struct db *db, int timeout_ms)
{
    db->timeout_ms = timeout_ms;
}

/* Collects the results of what was just sent, waiting at most the query timeout. A
 * server that holds the connection open but stops answering must not hold this thread
 * with it: past the deadline the connection is dropped. Returns the first error result,
 * else the last result; -1 on timeout. */
static int db_wait(struct db *db, PGresult **out)
{
    int64_t deadline = db->timeout_ms ? time_mono_us() + (int64_t)db->timeout_ms * 1000 : 0;
    PGresult *kept = NULL, *r;

    for (;;) {
        while (PQisBusy(db->conn)) {
            struct pollfd pfd = {.fd = PQsocket(db->conn), .events = POLLIN};
            int wait_ms = -1;
            if (deadline) {
                int64_t left = deadline - time_mono_us();
                if (left <= 0)
                    goto timeout;
                wait_ms = (int)((left + 999) / 1000);
            }
            if (poll(&pfd, 1, wait_ms) == 0)
                goto timeout;
            if (!PQconsumeInput(db->conn))
                break; /* PQgetResult reports the broken connection */
        }
        r = PQgetResult(db->conn);
        if (!r)
            break;
        if (kept && PQresultStatus(kept) == PGRES_FATAL_ERROR) {
            PQclear(r);
            continue;
        }
        PQclear(kept);
        kept = r;
    }
    *out = kept;
    return 0;
timeout:
    PQclear(kept);
    snprintf(db->err, sizeof(db->err), "no answer within %d ms", db->timeout_ms);
    return -1;
}

/* sent: whether the PQsend* call succeeded. */
static enum db_status db_finish(struct db *db, int sent, PGresult **res)
{
    PGresult *r = NULL;

    if (sent && db_wait(db, &r) != 0) {
        log_warn("postgres: %s; dropping the connection", db->err);
        db_drop(db);
        return DB_UNAVAILABLE;
    }
    return db_result(db, r, res);
}

enum db_status db_exec(struct db *db, PGresult **res, const char *sql, int nparams,
                       const char *const *params)
{
    if (res)
        *res = NULL;
    if (db_ensure(db) != 0)
        return DB_UNAVAILABLE;
    return db_finish(db, PQsendQueryParams(db->conn, sql, nparams, NULL, params, NULL, NULL, 0),
                     res);
}

enum db_status db_exec_prepared(struct db *db, PGresult **res, const char *sql, int nparams,
                                const char *const *params)
{
    char name[16];
    int i;

    if (res)
        *res = NULL;
    if (db_ensure(db) != 0)
        return DB_UNAVAILABLE;
    for (i = 0; i < db->nprepared && db->prepared[i] != sql; i++)
        ;
    if (i == db->nprepared) {
        enum db_status st;
        if (i == DB_MAX_PREPARED)
            return db_exec(db, res, sql, nparams, params);
        snprintf(name, sizeof(name), "s%d", i);
        st = db_finish(db, PQsendPrepare(db->conn, name, sql, nparams, NULL), NULL);
        if (st != DB_OK)
            return st;
        db->prepared[db->nprepared++] = sql;
    }
    snprintf(name, sizeof(name), "s%d", i);
    return db_finish(db, PQsendQueryPrepared(db->conn, name, nparams, params, NULL, NULL, 0), res);
}

enum db_status db_exec_script(struct db *db, const char *sql)
{
    if (db_ensure(db) != 0)
        return DB_UNAVAILABLE;
    return db_finish(db, PQsendQuery(db->conn, sql), NULL);
}

enum db_status db_ping(struct db *db)
{
    enum db_status st = db_exec(db, NULL, "SELECT 1", 0, NULL);
    return st == DB_OK ? DB_OK : DB_UNAVAILABLE;
}

int64_t db_int64(const PGresult *res, int r, int c)
{
    return strtoll(PQgetvalue(res, r, c), NULL, 10);
}

int db_bool(const PGresult *res, int r, int c)
{
    return PQgetvalue(res, r, c)[0] == 't';
}

const char *db_text(const PGresult *res, int r, int c)
{
    return PQgetisnull(res, r, c) ? NULL : PQgetvalue(res, r, c);
}
