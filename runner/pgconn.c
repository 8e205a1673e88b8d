/* pgconn: see pgconn.h. */
#include "runner/pgconn.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"

#define CONNECT_TIMEOUT_MS 10000
#define RETRY_MIN_MS 250
#define RETRY_MAX_MS 5000

enum pg_state { PG_DOWN, PG_CONNECTING, PG_IDLE, PG_BUSY };

struct pgconn {
    struct event_base *base;
    char *conninfo;
    char *appname;
    int statement_timeout_ms;
    pgconn_ready_fn on_ready;
    void *ready_arg;

    PGconn *conn;
    enum pg_state state;
    struct event *io;    /* the connection's socket; reassigned as libpq asks */
    struct event *timer; /* connect/statement deadline, or the pause before a retry */
    int retry_ms;
    int flushing;    /* the statement is not fully sent yet */
    int send_failed; /* the statement could not be sent; fail it from the timer */

    pgconn_fn fn;
    void *fn_arg;
    PGresult *res; /* the statement's first result, kept until it is complete */
    char err[512];
};

static void on_io(evutil_socket_t fd, short what, void *arg);

static void set_err(struct pgconn *pc, const char *msg)
{
    size_t n = 0;

    while (msg && msg[n] && n < sizeof(pc->err) - 1) {
        pc->err[n] = (msg[n] == '\n' || msg[n] == '\r') ? ' ' : msg[n];
        n++;
    }
    while (n > 0 && pc->err[n - 1] == ' ')
        n--;
    pc->err[n] = '\0';
}

static void arm_timer(struct pgconn *pc, int ms)
{
    struct timeval tv = {ms / 1000, (ms % 1000) * 1000};

    evtimer_del(pc->timer);
    if (evtimer_add(pc->timer, &tv) != 0)
        log_error("pgconn: cannot arm a timer");
}

static int watch(struct pgconn *pc, short what)
{
    int fd = PQsocket(pc->conn);

    event_del(pc->io);
    if (fd < 0)
        return -1;
    event_assign(pc->io, pc->base, fd, what, on_io, pc);
    return event_add(pc->io, NULL);
}

/* Ends the statement in flight (if any) with the given outcome. The callback may send
 * the next statement, so this is the last thing the caller does. */
static void complete(struct pgconn *pc, int ok)
{
    pgconn_fn fn = pc->fn;
    void *arg = pc->fn_arg;
    PGresult *res = pc->res;

    pc->fn = NULL;
    pc->res = NULL;
    if (fn)
        fn(res, ok, ok ? "" : pc->err, arg);
    PQclear(res);
}

/* Closes the connection, fails the statement in flight and schedules a reconnect. */
static void drop(struct pgconn *pc, const char *why)
{
    if (why)
        set_err(pc, why);
    event_del(pc->io);
    if (pc->conn) {
        PQfinish(pc->conn);
        pc->conn = NULL;
    }
    if (pc->state != PG_DOWN)
        log_warn("postgres: connection lost: %s", pc->err);
    pc->state = PG_DOWN;
    pc->flushing = 0;
    pc->send_failed = 0;
    arm_timer(pc, pc->retry_ms);
    pc->retry_ms = pc->retry_ms * 2 > RETRY_MAX_MS ? RETRY_MAX_MS : pc->retry_ms * 2;
    complete(pc, 0);
}

static void start_connect(struct pgconn *pc)
{
    const char *keys[] = {"dbname", "application_name", "keepalives", "keepalives_idle", NULL};
    const char *vals[] = {pc->conninfo, pc->appname, "1", "30", NULL};

    pc->conn = PQconnectStartParams(keys, vals, 1);
    if (!pc->conn || PQstatus(pc->conn) == CONNECTION_BAD) {
        set_err(pc, pc->conn ? PQerrorMessage(pc->conn) : "out of memory");
        if (pc->conn)
            PQfinish(pc->conn);
        pc->conn = NULL;
        log_warn("postgres: cannot connect: %s", pc->err);
        arm_timer(pc, pc->retry_ms);
        pc->retry_ms = pc->retry_ms * 2 > RETRY_MAX_MS ? RETRY_MAX_MS : pc->retry_ms * 2;
        return;
    }
    pc->state = PG_CONNECTING;
    arm_timer(pc, CONNECT_TIMEOUT_MS);
    /* libpq's rule: before the first PQconnectPoll, wait as if it had said WRITING. */
    if (watch(pc, EV_WRITE) != 0)
        drop(pc, "cannot watch the connection's socket");
}

static void poll_connect(struct pgconn *pc)
{
    switch (PQconnectPoll(pc->conn)) {
    case PGRES_POLLING_READING:
        if (watch(pc, EV_READ) != 0)
            drop(pc, "cannot watch the connection's socket");
        return;
    case PGRES_POLLING_WRITING:
        if (watch(pc, EV_WRITE) != 0)
            drop(pc, "cannot watch the connection's socket");
        return;
    case PGRES_POLLING_OK:
        break;
    default:
        set_err(pc, PQerrorMessage(pc->conn));
        log_warn("postgres: cannot connect: %s", pc->err);
        pc->state = PG_DOWN; /* so drop() does not log it a second time */
        drop(pc, NULL);
        return;
    }
    evtimer_del(pc->timer);
    if (PQsetnonblocking(pc->conn, 1) != 0 || watch(pc, EV_READ | EV_PERSIST) != 0) {
        drop(pc, "cannot make the connection non-blocking");
        return;
    }
    pc->state = PG_IDLE;
    pc->retry_ms = RETRY_MIN_MS;
    log_info("postgres: connected");
    if (pc->on_ready)
        pc->on_ready(pc->ready_arg);
}

/* Reads what arrived; completes the statement when its last result is in. */
static void read_results(struct pgconn *pc)
{
    PGresult *r;

    if (!PQconsumeInput(pc->conn)) {
        drop(pc, PQerrorMessage(pc->conn));
        return;
    }
    if (pc->state != PG_BUSY) {
        /* Nothing was asked: an idle connection only hears the server closing it. */
        if (PQstatus(pc->conn) == CONNECTION_BAD)
            drop(pc, PQerrorMessage(pc->conn));
        return;
    }
    while (!PQisBusy(pc->conn)) {
        r = PQgetResult(pc->conn);
        if (!r) {
            ExecStatusType st = pc->res ? PQresultStatus(pc->res) : PGRES_FATAL_ERROR;
            int ok = st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK;
            if (!ok)
                set_err(pc, pc->res ? PQresultErrorMessage(pc->res) : "no result");
            evtimer_del(pc->timer);
            pc->state = PG_IDLE;
            if (PQstatus(pc->conn) == CONNECTION_BAD) {
                drop(pc, PQerrorMessage(pc->conn));
                return;
            }
            complete(pc, ok);
            return;
        }
        if (!pc->res)
            pc->res = r;
        else
            PQclear(r);
    }
}

static void on_io(evutil_socket_t fd, short what, void *arg)
{
    struct pgconn *pc = arg;

    if (pc->state == PG_CONNECTING) {
        poll_connect(pc);
        return;
    }
    if (pc->flushing && (what & EV_WRITE)) {
        int f = PQflush(pc->conn);
        if (f < 0) {
            drop(pc, PQerrorMessage(pc->conn));
            return;
        }
        if (f == 0) {
            pc->flushing = 0;
            if (watch(pc, EV_READ | EV_PERSIST) != 0) {
                drop(pc, "cannot watch the connection's socket");
                return;
            }
        }
    }
    if (what & EV_READ)
        read_results(pc);
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
    struct pgconn *pc = arg;

    switch (pc->state) {
    case PG_DOWN:
        start_connect(pc);
        break;
    case PG_CONNECTING:
        drop(pc, "connect timed out");
        break;
    case PG_BUSY:
        drop(pc, pc->send_failed ? NULL : "statement timed out; connection dropped");
        break;
    case PG_IDLE:
        break;
    }
}

struct pgconn *pgconn_new(struct event_base *base, const char *conninfo,
                          const char *application_name, int statement_timeout_ms,
                          pgconn_ready_fn on_ready, void *arg)
{
    struct pgconn *pc = calloc(1, sizeof(*pc));

    if (!pc)
        return NULL;
    pc->base = base;
    pc->statement_timeout_ms = statement_timeout_ms;
    pc->on_ready = on_ready;
    pc->ready_arg = arg;
    pc->retry_ms = RETRY_MIN_MS;
    pc->conninfo = strdup(conninfo);
    pc->appname = strdup(application_name);
    pc->io = event_new(base, -1, 0, on_io, pc);
    pc->timer = evtimer_new(base, on_timer, pc);
    if (!pc->conninfo || !pc->appname || !pc->io || !pc->timer) {
        pgconn_free(pc);
        return NULL;
    }
    start_connect(pc);
    return pc;
}

void pgconn_free(struct pgconn *pc)
{
    if (!pc)
        return;
    set_err(pc, "shutting down");
    if (pc->io)
        event_del(pc->io);
    if (pc->conn)
        PQfinish(pc->conn);
    pc->conn = NULL;
    pc->state = PG_DOWN;
    complete(pc, 0);
    if (pc->io)
        event_free(pc->io);
    if (pc->timer)
        event_free(pc->timer);
    free(pc->conninfo);
    free(pc->appname);
    free(pc);
}

int pgconn_connected(const struct pgconn *pc)
{
    return pc->state == PG_IDLE || pc->state == PG_BUSY;
}

int pgconn_idle(const struct pgconn *pc)
{
    return pc->state == PG_IDLE;
}

int pgconn_query(struct pgconn *pc, const char *sql, int nparams, const char *const *params,
                 pgconn_fn fn, void *arg)
{
    int f;

    if (pc->state != PG_IDLE)
        return -1;
    if (!PQsendQueryParams(pc->conn, sql, nparams, NULL, params, NULL, NULL, 0)) {
        set_err(pc, PQerrorMessage(pc->conn));
        /* The callback must still run later, never inside this call: fail the
         * statement from the retry path. */
        pc->fn = fn;
        pc->fn_arg = arg;
        pc->state = PG_BUSY;
        pc->send_failed = 1;
        arm_timer(pc, 0);
        return 0;
    }
    pc->fn = fn;
    pc->fn_arg = arg;
    pc->state = PG_BUSY;
    arm_timer(pc, pc->statement_timeout_ms);
    f = PQflush(pc->conn);
    if (f < 0) {
        set_err(pc, PQerrorMessage(pc->conn));
        pc->send_failed = 1;
        arm_timer(pc, 0);
        return 0;
    }
    pc->flushing = f == 1;
    if (watch(pc, (short)(EV_READ | EV_PERSIST | (pc->flushing ? EV_WRITE : 0))) != 0) {
        set_err(pc, "cannot watch the connection's socket");
        pc->send_failed = 1;
        arm_timer(pc, 0);
        return 0;
    }
    return 0;
}
