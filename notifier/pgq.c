/* pgq: see pgq.h.
 *
 * Each connection is a small state machine: DOWN (waiting for the reconnect timer),
 * CONNECTING (PQconnectPoll asks to be woken for read or write), IDLE (watched for read
 * so a server-side close is noticed at once) and BUSY (one statement in flight). A
 * statement's callback runs from the dispatch of the connection's socket event or from a
 * deferred event, never from pgq_exec, so callers may queue more work from a callback. */
#include "notifier/pgq.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/timeutil.h"

#define RECONNECT_DELAY_MS 1000
/* A statement that found no connection for this long fails with PGQ_UNAVAILABLE: the
 * callers then back off instead of piling work up behind a database outage. */
#define QUEUE_TIMEOUT_US 5000000

enum conn_state { C_DOWN, C_CONNECTING, C_IDLE, C_BUSY };

struct stmt {
    char *sql;
    int nparams;
    char **params;
    pgq_cb cb;
    void *arg;
    int64_t queued_us;
    struct stmt *next;
};

struct conn {
    struct pgq *q;
    int index;
    PGconn *pg;
    enum conn_state state;
    struct event *ev;    /* socket event; re-made when the socket changes */
    int ev_fd;           /* the fd ev was made for, -1 when none */
    short ev_what;       /* what ev waits for */
    struct event *timer; /* reconnect */
    struct stmt *cur;    /* in flight while BUSY */
    PGresult *result;    /* the first result of cur */
    int flushing;        /* PQflush said more to send */
};

struct pgq {
    struct event_base *base;
    char *conninfo;
    char *appname;
    struct conn *conns;
    int nconns;
    struct stmt *head, *tail; /* waiting for a connection */
    struct stmt *urgent_tail; /* the last urgent statement in the queue, NULL when none */
    size_t queued, max_queued;
    struct event *kick;  /* deferred dispatch */
    struct event *sweep; /* fails statements that waited too long */
    int freeing;
};

static void conn_event(evutil_socket_t fd, short what, void *arg);
static void conn_start(struct conn *c);
static void dispatch(struct pgq *q);

static void stmt_free(struct stmt *s)
{
    if (!s)
        return;
    for (int i = 0; i < s->nparams; i++)
        free(s->params[i]);
    free(s->params);
    free(s->sql);
    free(s);
}

/* libpq messages span lines; a log line must not. */
static void one_line(const char *msg, char *out, size_t outsz)
{
    size_t n = 0;
    while (msg && msg[n] && n < outsz - 1) {
        out[n] = (msg[n] == '\n' || msg[n] == '\r') ? ' ' : msg[n];
        n++;
    }
    while (n > 0 && out[n - 1] == ' ')
        n--;
    out[n] = '\0';
}

static void finish_stmt(struct stmt *s, enum pgq_status st, PGresult *res, const char *err)
{
    s->cb(st, res, err ? err : "", s->arg);
    stmt_free(s);
}

/* (Re)arms the socket event for what (EV_READ and/or EV_WRITE), persistent. */
static int conn_watch(struct conn *c, short what)
{
    int fd = PQsocket(c->pg);
    if (fd < 0)
        return -1;
    if (c->ev && c->ev_fd == fd && c->ev_what == what)
        return 0;
    if (c->ev) {
        event_free(c->ev);
        c->ev = NULL;
    }
    c->ev = event_new(c->q->base, fd, what | EV_PERSIST, conn_event, c);
    if (!c->ev || event_add(c->ev, NULL) != 0)
        return -1;
    c->ev_fd = fd;
    c->ev_what = what;
    return 0;
}

static void conn_unwatch(struct conn *c)
{
    if (c->ev) {
        event_free(c->ev);
        c->ev = NULL;
    }
    c->ev_fd = -1;
    c->ev_what = 0;
}

/* Drops the connection; a statement in flight fails with PGQ_LOST. Reconnects later. */
static void conn_lost(struct conn *c, const char *why)
{
    char msg[256];
    struct stmt *s = c->cur;

    one_line(why, msg, sizeof(msg));
    if (c->state != C_DOWN && !c->q->freeing)
        log_warn("postgres (notifier connection %d): %s", c->index, msg);
    conn_unwatch(c);
    if (c->result) {
        PQclear(c->result);
        c->result = NULL;
    }
    if (c->pg) {
        PQfinish(c->pg);
        c->pg = NULL;
    }
    c->state = C_DOWN;
    c->cur = NULL;
    c->flushing = 0;
    if (!c->q->freeing) {
        struct timeval tv = {RECONNECT_DELAY_MS / 1000, (RECONNECT_DELAY_MS % 1000) * 1000};
        if (evtimer_add(c->timer, &tv) != 0)
            log_error("postgres: cannot arm the reconnect timer");
    }
    if (s)
        finish_stmt(s, PGQ_LOST, NULL, msg);
}

static void conn_send(struct conn *c, struct stmt *s)
{
    c->cur = s;
    c->state = C_BUSY;
    if (!PQsendQueryParams(c->pg, s->sql, s->nparams, NULL, (const char *const *)s->params, NULL,
                           NULL, 0)) {
        /* Nothing went out when the send itself fails: report it as unavailable so the
         * caller may safely try again, and drop the connection. */
        char msg[256];
        one_line(PQerrorMessage(c->pg), msg, sizeof(msg));
        c->cur = NULL;
        conn_lost(c, msg);
        finish_stmt(s, PGQ_UNAVAILABLE, NULL, msg);
        return;
    }
    c->flushing = PQflush(c->pg) == 1;
    if (conn_watch(c, c->flushing ? EV_READ | EV_WRITE : EV_READ) != 0)
        conn_lost(c, "cannot watch the socket");
}

/* Reads what arrived; finishes the statement when its last result is in. */
static void conn_read(struct conn *c)
{
    if (!PQconsumeInput(c->pg)) {
        conn_lost(c, PQerrorMessage(c->pg));
        return;
    }
    if (c->state == C_IDLE) {
        /* Nothing is expected on an idle connection: a close or an error notice. */
        if (PQstatus(c->pg) != CONNECTION_OK)
            conn_lost(c, "server closed the connection");
        return;
    }
    while (c->state == C_BUSY && !PQisBusy(c->pg)) {
        PGresult *r = PQgetResult(c->pg);
        if (r) {
            if (!c->result)
                c->result = r;
            else
                PQclear(r);
            continue;
        }
        /* NULL: the statement is complete. */
        struct stmt *s = c->cur;
        PGresult *res = c->result;
        c->cur = NULL;
        c->result = NULL;
        c->state = C_IDLE;
        if (conn_watch(c, EV_READ) != 0) {
            PQclear(res);
            conn_lost(c, "cannot watch the socket");
            finish_stmt(s, PGQ_LOST, NULL, "cannot watch the socket");
            return;
        }
        ExecStatusType st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
        if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) {
            finish_stmt(s, PGQ_OK, res, "");
        } else {
            char msg[512], sqlhead[48];
            one_line(res ? PQresultErrorMessage(res) : PQerrorMessage(c->pg), msg, sizeof(msg));
            one_line(s->sql, sqlhead, sizeof(sqlhead));
            log_error("postgres: statement failed: %s [%s...]", msg, sqlhead);
            finish_stmt(s, PGQ_ERROR, NULL, msg);
        }
        PQclear(res);
        dispatch(c->q);
        return;
    }
    if (PQstatus(c->pg) != CONNECTION_OK)
        conn_lost(c, PQerrorMessage(c->pg));
}

static void conn_poll_connect(struct conn *c)
{
    switch (PQconnectPoll(c->pg)) {
    case PGRES_POLLING_READING:
        if (conn_watch(c, EV_READ) != 0)
            conn_lost(c, "cannot watch the socket");
        return;
    case PGRES_POLLING_WRITING:
        if (conn_watch(c, EV_WRITE) != 0)
            conn_lost(c, "cannot watch the socket");
        return;
    case PGRES_POLLING_OK:
        if (PQsetnonblocking(c->pg, 1) != 0) {
            conn_lost(c, "cannot make the connection non-blocking");
            return;
        }
        c->state = C_IDLE;
        if (conn_watch(c, EV_READ) != 0) {
            conn_lost(c, "cannot watch the socket");
            return;
        }
        log_info("postgres (notifier connection %d): connected", c->index);
        dispatch(c->q);
        return;
    default:
        conn_lost(c, PQerrorMessage(c->pg));
    }
}

static void conn_event(evutil_socket_t fd, short what, void *arg)
{
    struct conn *c = arg;

    switch (c->state) {
    case C_CONNECTING:
        conn_poll_connect(c);
        return;
    case C_BUSY:
        if ((what & EV_WRITE) && c->flushing) {
            int r = PQflush(c->pg);
            if (r < 0) {
                conn_lost(c, PQerrorMessage(c->pg));
                return;
            }
            c->flushing = r == 1;
            if (!c->flushing && conn_watch(c, EV_READ) != 0) {
                conn_lost(c, "cannot watch the socket");
                return;
            }
        }
        if (what & EV_READ)
            conn_read(c);
        return;
    case C_IDLE:
        conn_read(c);
        return;
    case C_DOWN:
        return;
    }
}

static void conn_start(struct conn *c)
{
    static const char *const keys[] = {"application_name", "connect_timeout", "keepalives_idle",
                                       "options",          "dbname",          NULL};
    const char *values[] = {c->q->appname,  "3", "30", "-c TimeZone=UTC -c statement_timeout=30000",
                            c->q->conninfo, NULL};

    /* PQconnectStartParams resolves the host name before it returns: a blocking
     * getaddrinfo, acceptable only because it happens at (re)connect, and the database
     * is normally named by an address or a name in /etc/hosts. */
    c->pg = PQconnectStartParams(keys, values, 1);
    if (!c->pg || PQstatus(c->pg) == CONNECTION_BAD) {
        conn_lost(c, c->pg ? PQerrorMessage(c->pg) : "out of memory");
        return;
    }
    c->state = C_CONNECTING;
    if (conn_watch(c, EV_WRITE) != 0)
        conn_lost(c, "cannot watch the socket");
}

static void on_reconnect(evutil_socket_t fd, short what, void *arg)
{
    struct conn *c = arg;
    if (c->state == C_DOWN)
        conn_start(c);
}

/* Hands queued statements to idle connections. */
static void dispatch(struct pgq *q)
{
    for (int i = 0; i < q->nconns && q->head; i++) {
        struct conn *c = &q->conns[i];
        if (c->state != C_IDLE)
            continue;
        struct stmt *s = q->head;
        q->head = s->next;
        if (!q->head)
            q->tail = NULL;
        if (q->urgent_tail == s)
            q->urgent_tail = NULL;
        q->queued--;
        s->next = NULL;
        conn_send(c, s);
    }
}

static void on_kick(evutil_socket_t fd, short what, void *arg)
{
    dispatch(arg);
}

static void on_sweep(evutil_socket_t fd, short what, void *arg)
{
    struct pgq *q = arg;
    int64_t now = time_mono_us();
    struct stmt *expired = NULL, **tail = &expired;

    dispatch(q);
    while (q->head && now - q->head->queued_us > QUEUE_TIMEOUT_US) {
        struct stmt *s = q->head;
        q->head = s->next;
        if (!q->head)
            q->tail = NULL;
        if (q->urgent_tail == s)
            q->urgent_tail = NULL;
        q->queued--;
        s->next = NULL;
        *tail = s;
        tail = &s->next;
    }
    /* Callbacks last: they may queue statements again. */
    while (expired) {
        struct stmt *s = expired;
        expired = s->next;
        finish_stmt(s, PGQ_UNAVAILABLE, NULL, "no database connection");
    }
}

struct pgq *pgq_new(struct event_base *base, const char *conninfo, const char *application_name,
                    int nconns, size_t max_queued)
{
    struct pgq *q = calloc(1, sizeof(*q));
    if (!q)
        return NULL;
    q->base = base;
    q->nconns = nconns;
    q->max_queued = max_queued;
    q->conninfo = strdup(conninfo);
    q->appname = strdup(application_name);
    q->conns = calloc((size_t)nconns, sizeof(*q->conns));
    q->kick = event_new(base, -1, 0, on_kick, q);
    q->sweep = event_new(base, -1, EV_PERSIST, on_sweep, q);
    if (!q->conninfo || !q->appname || !q->conns || !q->kick || !q->sweep)
        goto fail;
    struct timeval second = {1, 0};
    if (event_add(q->sweep, &second) != 0)
        goto fail;
    for (int i = 0; i < nconns; i++) {
        struct conn *c = &q->conns[i];
        c->q = q;
        c->index = i;
        c->ev_fd = -1;
        c->timer = evtimer_new(base, on_reconnect, c);
        if (!c->timer)
            goto fail;
    }
    for (int i = 0; i < nconns; i++)
        conn_start(&q->conns[i]);
    return q;
fail:
    pgq_free(q);
    return NULL;
}

void pgq_free(struct pgq *q)
{
    if (!q)
        return;
    q->freeing = 1;
    for (int i = 0; q->conns && i < q->nconns; i++) {
        struct conn *c = &q->conns[i];
        if (c->pg || c->cur)
            conn_lost(c, "shutting down");
        if (c->timer)
            event_free(c->timer);
    }
    while (q->head) {
        struct stmt *s = q->head;
        q->head = s->next;
        finish_stmt(s, PGQ_UNAVAILABLE, NULL, "shutting down");
    }
    if (q->kick)
        event_free(q->kick);
    if (q->sweep)
        event_free(q->sweep);
    free(q->conns);
    free(q->conninfo);
    free(q->appname);
    free(q);
}

static int enqueue(struct pgq *q, const char *sql, int nparams, const char *const *params,
                   pgq_cb cb, void *arg, int urgent)
{
    struct stmt *s;

    if (q->freeing || q->queued >= q->max_queued)
        return -1;
    s = calloc(1, sizeof(*s));
    if (!s)
        return -1;
    s->sql = strdup(sql);
    s->nparams = nparams;
    s->params = nparams ? calloc((size_t)nparams, sizeof(char *)) : NULL;
    s->cb = cb;
    s->arg = arg;
    s->queued_us = time_mono_us();
    if (!s->sql || (nparams && !s->params))
        goto fail;
    for (int i = 0; i < nparams; i++) {
        if (params[i] && !(s->params[i] = strdup(params[i])))
            goto fail;
    }
    if (urgent) {
        /* After the urgent ones already waiting, before everything else. */
        struct stmt **at = q->urgent_tail ? &q->urgent_tail->next : &q->head;
        s->next = *at;
        *at = s;
        if (!s->next)
            q->tail = s;
        q->urgent_tail = s;
    } else {
        if (q->tail)
            q->tail->next = s;
        else
            q->head = s;
        q->tail = s;
    }
    q->queued++;
    /* Dispatch after the caller returns: a statement never completes inside pgq_exec. */
    event_active(q->kick, EV_TIMEOUT, 0);
    return 0;
fail:
    stmt_free(s);
    return -1;
}

int pgq_exec(struct pgq *q, const char *sql, int nparams, const char *const *params, pgq_cb cb,
             void *arg)
{
    return enqueue(q, sql, nparams, params, cb, arg, 0);
}

int pgq_exec_urgent(struct pgq *q, const char *sql, int nparams, const char *const *params,
                    pgq_cb cb, void *arg)
{
    return enqueue(q, sql, nparams, params, cb, arg, 1);
}

int pgq_connected(const struct pgq *q)
{
    for (int i = 0; i < q->nconns; i++)
        if (q->conns[i].state == C_IDLE || q->conns[i].state == C_BUSY)
            return 1;
    return 0;
}

size_t pgq_pending(const struct pgq *q)
{
    size_t n = q->queued;
    for (int i = 0; i < q->nconns; i++)
        if (q->conns[i].cur)
            n++;
    return n;
}
