/* probe_tcp: see probe_tcp.h. */
#include "runner/probe_tcp.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/log.h"
#include "common/target_guard.h"
#include "common/timeutil.h"
#include "runner/resolve.h"

struct conn {
    struct probe_tcp *pt;
    struct check *check;
    struct resolve *res;
    struct evutil_addrinfo *ai, *cur;
    evutil_socket_t fd;
    struct event *conn_ev;
    struct event *timeout_ev;
    const char *blocked; /* target_guard's reason for the last address refused */
    int last_errno;
    struct conn *next_dead;
};

struct probe_tcp {
    struct event_base *base;
    struct evdns_base *dns;
    const struct runner_config *cfg;
    struct event *sweep;
    struct conn *graveyard; /* finished probes, freed after the callback that ended them */
};

const char *probe_tcp_reason(int err)
{
    switch (err) {
    case ECONNREFUSED:
        return "connection refused";
    case ETIMEDOUT:
        return "timeout";
    case ENETUNREACH:
        return "network unreachable";
    case EHOSTUNREACH:
        return "host unreachable";
    case ECONNRESET:
        return "connection reset";
    case EADDRNOTAVAIL:
        return "address not available";
    default:
        return "connection failed";
    }
}

static void conn_free(struct conn *k)
{
    if (k->conn_ev)
        event_free(k->conn_ev);
    if (k->timeout_ev)
        event_free(k->timeout_ev);
    if (k->ai)
        evutil_freeaddrinfo(k->ai);
    free(k);
}

static void on_sweep(evutil_socket_t fd, short what, void *arg)
{
    struct probe_tcp *pt = arg;

    while (pt->graveyard) {
        struct conn *k = pt->graveyard;
        pt->graveyard = k->next_dead;
        conn_free(k);
    }
}

/* Ends the probe: everything is disarmed and closed now, freed after this callback. */
static void conn_finish(struct conn *k, int cancelled)
{
    struct check *c = k->check;

    if (k->res) {
        resolve_cancel(k->res);
        k->res = NULL;
    }
    if (k->conn_ev)
        event_del(k->conn_ev);
    if (k->timeout_ev)
        event_del(k->timeout_ev);
    if (k->fd >= 0) {
        close(k->fd);
        k->fd = -1;
    }
    k->next_dead = k->pt->graveyard;
    k->pt->graveyard = k;
    event_active(k->pt->sweep, EV_TIMEOUT, 0);
    c->probe = NULL;
    if (cancelled)
        c->cancelled = 1;
    check_probe_done(c);
}

static void on_connected(evutil_socket_t fd, short what, void *arg);

/* Tries the remaining addresses until one connects or is in progress. */
static void try_next(struct conn *k)
{
    for (; k->cur; k->cur = k->cur->ai_next) {
        const char *why =
            k->pt->cfg->allow_private_targets ? NULL : target_guard_blocked(k->cur->ai_addr);
        if (why) {
            k->blocked = why;
            continue;
        }
        k->fd = socket(k->cur->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (k->fd < 0) {
            k->last_errno = errno;
            continue;
        }
        if (connect(k->fd, k->cur->ai_addr, (socklen_t)k->cur->ai_addrlen) == 0) {
            k->check->result.transport_ok = 1;
            break;
        }
        if (errno == EINPROGRESS) {
            event_assign(k->conn_ev, k->pt->base, k->fd, EV_WRITE, on_connected, k);
            if (event_add(k->conn_ev, NULL) == 0)
                return;
            k->last_errno = ENOMEM;
        } else {
            k->last_errno = errno;
        }
        close(k->fd);
        k->fd = -1;
    }
    if (k->check->result.transport_ok) {
        k->check->result.has_time = 1;
        k->check->result.response_ms = (double)(time_mono_us() - k->check->started_us) / 1000.0;
    } else if (k->last_errno) {
        check_fail(k->check, "%s", probe_tcp_reason(k->last_errno));
    } else if (k->blocked) {
        check_fail(k->check, "blocked: %s", k->blocked);
    } else {
        check_fail(k->check, "dns");
    }
    conn_finish(k, 0);
}

static void on_connected(evutil_socket_t fd, short what, void *arg)
{
    struct conn *k = arg;
    int err = 0;
    socklen_t len = sizeof(err);

    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
        err = errno;
    if (err == 0) {
        k->check->result.transport_ok = 1;
        k->check->result.has_time = 1;
        k->check->result.response_ms = (double)(time_mono_us() - k->check->started_us) / 1000.0;
        conn_finish(k, 0);
        return;
    }
    k->last_errno = err;
    close(k->fd);
    k->fd = -1;
    k->cur = k->cur->ai_next;
    try_next(k);
}

static void on_timeout(evutil_socket_t fd, short what, void *arg)
{
    struct conn *k = arg;

    check_fail(k->check, "timeout");
    conn_finish(k, 0);
}

static void on_resolved(int err, struct evutil_addrinfo *ai, void *arg)
{
    struct conn *k = arg;

    k->res = NULL;
    if (err != 0 || !ai) {
        if (ai)
            evutil_freeaddrinfo(ai);
        check_fail(k->check, "dns");
        conn_finish(k, 0);
        return;
    }
    k->ai = k->cur = ai;
    try_next(k);
}

void probe_tcp_start(struct probe_tcp *pt, struct check *c)
{
    struct conn *k = calloc(1, sizeof(*k));
    char host[RESOLVE_HOST_MAX];
    int port = 0;
    struct timeval tv = {c->spec->timeout_ms / 1000, (c->spec->timeout_ms % 1000) * 1000};

    if (!k) {
        check_fail(c, "out of memory");
        check_probe_done(c);
        return;
    }
    k->pt = pt;
    k->check = c;
    k->fd = -1;
    c->probe = k;
    k->conn_ev = event_new(pt->base, -1, 0, on_connected, k);
    k->timeout_ev = evtimer_new(pt->base, on_timeout, k);
    if (!k->conn_ev || !k->timeout_ev || evtimer_add(k->timeout_ev, &tv) != 0) {
        check_fail(c, "out of memory");
        conn_finish(k, 0);
        return;
    }
    if (resolve_parse_url(c->spec->url, 0, 0, host, sizeof(host), &port) != 0) {
        check_fail(c, "invalid url");
        conn_finish(k, 0);
        return;
    }
    k->res = resolve_start(pt->base, pt->dns, host, port, AF_UNSPEC, SOCK_STREAM, on_resolved, k);
    if (!k->res) {
        check_fail(c, "out of memory");
        conn_finish(k, 0);
    }
}

void probe_tcp_cancel(struct probe_tcp *pt, struct check *c)
{
    if (c->probe)
        conn_finish(c->probe, 1);
}

struct probe_tcp *probe_tcp_new(struct event_base *base, struct evdns_base *dns,
                                const struct runner_config *cfg)
{
    struct probe_tcp *pt = calloc(1, sizeof(*pt));

    if (!pt)
        return NULL;
    pt->base = base;
    pt->dns = dns;
    pt->cfg = cfg;
    pt->sweep = event_new(base, -1, 0, on_sweep, pt);
    if (!pt->sweep) {
        free(pt);
        return NULL;
    }
    return pt;
}

void probe_tcp_free(struct probe_tcp *pt)
{
    if (!pt)
        return;
    on_sweep(-1, 0, pt);
    event_free(pt->sweep);
    free(pt);
}
