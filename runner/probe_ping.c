/* probe_ping: see probe_ping.h. */
#include "runner/probe_ping.h"

#include <errno.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <netinet/ip_icmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/log.h"
#include "common/target_guard.h"
#include "common/timeutil.h"
#include "runner/probe_tcp.h"
#include "runner/resolve.h"

#define PING_PAYLOAD 16

struct ping {
    struct probe_ping *pp;
    struct check *check;
    struct resolve *res;
    evutil_socket_t fd;
    int family;
    uint16_t seq;
    struct event *io_ev;
    struct event *timeout_ev;
    struct ping *next_dead;
};

struct probe_ping {
    struct event_base *base;
    struct evdns_base *dns;
    const struct runner_config *cfg;
    struct event *sweep;
    struct ping *graveyard;
    uint16_t next_seq;
};

static void ping_free(struct ping *p)
{
    if (p->io_ev)
        event_free(p->io_ev);
    if (p->timeout_ev)
        event_free(p->timeout_ev);
    free(p);
}

static void on_sweep(evutil_socket_t fd, short what, void *arg)
{
    struct probe_ping *pp = arg;

    while (pp->graveyard) {
        struct ping *p = pp->graveyard;
        pp->graveyard = p->next_dead;
        ping_free(p);
    }
}

static void ping_finish(struct ping *p, int cancelled)
{
    struct check *c = p->check;

    if (p->res) {
        resolve_cancel(p->res);
        p->res = NULL;
    }
    if (p->io_ev)
        event_del(p->io_ev);
    if (p->timeout_ev)
        event_del(p->timeout_ev);
    if (p->fd >= 0) {
        close(p->fd);
        p->fd = -1;
    }
    p->next_dead = p->pp->graveyard;
    p->pp->graveyard = p;
    event_active(p->pp->sweep, EV_TIMEOUT, 0);
    c->probe = NULL;
    if (cancelled)
        c->cancelled = 1;
    check_probe_done(c);
}

static void fail_errno(struct ping *p, int err)
{
    if (err == EACCES || err == EPERM)
        check_fail(p->check, "ping not permitted");
    else if (err == EPROTONOSUPPORT || err == EAFNOSUPPORT || err == ESOCKTNOSUPPORT)
        check_fail(p->check, "ping unavailable");
    else
        check_fail(p->check, "%s", probe_tcp_reason(err));
    ping_finish(p, 0);
}

static void on_readable(evutil_socket_t fd, short what, void *arg)
{
    struct ping *p = arg;
    unsigned char buf[512];
    ssize_t n;

    for (;;) {
        n = recv(fd, buf, sizeof(buf), 0);
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return; /* not ours or nothing yet: keep waiting until the timeout */
            if (errno == EINTR)
                continue;
            fail_errno(p, errno);
            return;
        }
        if (p->family == AF_INET && (size_t)n >= sizeof(struct icmphdr)) {
            struct icmphdr h;
            memcpy(&h, buf, sizeof(h));
            if (h.type == ICMP_ECHOREPLY && ntohs(h.un.echo.sequence) == p->seq)
                break;
        } else if (p->family == AF_INET6 && (size_t)n >= sizeof(struct icmp6_hdr)) {
            struct icmp6_hdr h;
            memcpy(&h, buf, sizeof(h));
            if (h.icmp6_type == ICMP6_ECHO_REPLY && ntohs(h.icmp6_seq) == p->seq)
                break;
        }
    }
    p->check->result.transport_ok = 1;
    p->check->result.has_time = 1;
    p->check->result.response_ms = (double)(time_mono_us() - p->check->started_us) / 1000.0;
    ping_finish(p, 0);
}

static void send_echo(struct ping *p, const struct sockaddr *sa, socklen_t salen)
{
    unsigned char pkt[sizeof(struct icmp6_hdr) + PING_PAYLOAD];
    size_t len;
    int64_t now = time_now_ms();

    memset(pkt, 0, sizeof(pkt));
    /* The kernel fills in the identifier (the socket's "port") and, for ICMPv4, the
     * checksum; ICMPv6 checksums are always the kernel's. */
    if (p->family == AF_INET) {
        struct icmphdr h = {0};
        h.type = ICMP_ECHO;
        h.un.echo.sequence = htons(p->seq);
        memcpy(pkt, &h, sizeof(h));
        len = sizeof(h);
    } else {
        struct icmp6_hdr h = {0};
        h.icmp6_type = ICMP6_ECHO_REQUEST;
        h.icmp6_seq = htons(p->seq);
        memcpy(pkt, &h, sizeof(h));
        len = sizeof(h);
    }
    memcpy(pkt + len, &now, sizeof(now));
    len += PING_PAYLOAD;
    p->fd = socket(p->family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
                   p->family == AF_INET ? IPPROTO_ICMP : IPPROTO_ICMPV6);
    if (p->fd < 0) {
        fail_errno(p, errno);
        return;
    }
    /* Connected, so the kernel hands this socket only replies from the target. */
    if (connect(p->fd, sa, salen) != 0 || send(p->fd, pkt, len, 0) < 0) {
        fail_errno(p, errno);
        return;
    }
    event_assign(p->io_ev, p->pp->base, p->fd, EV_READ | EV_PERSIST, on_readable, p);
    if (event_add(p->io_ev, NULL) != 0) {
        check_fail(p->check, "out of memory");
        ping_finish(p, 0);
    }
}

static void on_resolved(int err, struct evutil_addrinfo *ai, void *arg)
{
    struct ping *p = arg;
    const char *blocked = NULL;
    struct evutil_addrinfo *a;

    p->res = NULL;
    if (err != 0 || !ai) {
        if (ai)
            evutil_freeaddrinfo(ai);
        check_fail(p->check, "dns");
        ping_finish(p, 0);
        return;
    }
    for (a = ai; a; a = a->ai_next) {
        const char *why =
            p->pp->cfg->allow_private_targets ? NULL : target_guard_blocked(a->ai_addr);
        if (!why && (a->ai_family == AF_INET || a->ai_family == AF_INET6))
            break;
        if (why)
            blocked = why;
    }
    if (!a) {
        evutil_freeaddrinfo(ai);
        if (blocked)
            check_fail(p->check, "blocked: %s", blocked);
        else
            check_fail(p->check, "dns");
        ping_finish(p, 0);
        return;
    }
    p->family = a->ai_family;
    send_echo(p, a->ai_addr, (socklen_t)a->ai_addrlen);
    evutil_freeaddrinfo(ai);
}

static void on_timeout(evutil_socket_t fd, short what, void *arg)
{
    struct ping *p = arg;

    check_fail(p->check, "timeout");
    ping_finish(p, 0);
}

void probe_ping_start(struct probe_ping *pp, struct check *c)
{
    struct ping *p = calloc(1, sizeof(*p));
    char host[RESOLVE_HOST_MAX];
    int port = 0;
    struct timeval tv = {c->spec->timeout_ms / 1000, (c->spec->timeout_ms % 1000) * 1000};

    if (!p) {
        check_fail(c, "out of memory");
        check_probe_done(c);
        return;
    }
    p->pp = pp;
    p->check = c;
    p->fd = -1;
    p->seq = ++pp->next_seq;
    c->probe = p;
    p->io_ev = event_new(pp->base, -1, 0, on_readable, p);
    p->timeout_ev = evtimer_new(pp->base, on_timeout, p);
    if (!p->io_ev || !p->timeout_ev || evtimer_add(p->timeout_ev, &tv) != 0) {
        check_fail(c, "out of memory");
        ping_finish(p, 0);
        return;
    }
    /* The port is meaningless for ICMP; any placeholder lets the URL parse. */
    if (resolve_parse_url(c->spec->url, 1, 7, host, sizeof(host), &port) != 0) {
        check_fail(c, "invalid url");
        ping_finish(p, 0);
        return;
    }
    p->res = resolve_start(pp->base, pp->dns, host, port, AF_UNSPEC, SOCK_DGRAM, on_resolved, p);
    if (!p->res) {
        check_fail(c, "out of memory");
        ping_finish(p, 0);
    }
}

void probe_ping_cancel(struct probe_ping *pp, struct check *c)
{
    if (c->probe)
        ping_finish(c->probe, 1);
}

struct probe_ping *probe_ping_new(struct event_base *base, struct evdns_base *dns,
                                  const struct runner_config *cfg)
{
    struct probe_ping *pp = calloc(1, sizeof(*pp));

    if (!pp)
        return NULL;
    pp->base = base;
    pp->dns = dns;
    pp->cfg = cfg;
    pp->sweep = event_new(base, -1, 0, on_sweep, pp);
    if (!pp->sweep) {
        free(pp);
        return NULL;
    }
    return pp;
}

void probe_ping_free(struct probe_ping *pp)
{
    if (!pp)
        return;
    on_sweep(-1, 0, pp);
    event_free(pp->sweep);
    free(pp);
}
