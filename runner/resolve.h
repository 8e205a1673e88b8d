/* resolve: name look-ups for the TCP and PING probes on the runner's loop (evdns, which
 * reads /etc/resolv.conf and /etc/hosts), and the host:port of their URLs. A blocking
 * getaddrinfo would stall every check on the loop; libcurl has its own threaded
 * resolver for HTTP. */
#ifndef STATUSHAWK_RUNNER_RESOLVE_H
#define STATUSHAWK_RUNNER_RESOLVE_H

#include <event2/dns.h>
#include <event2/util.h>
#include <stddef.h>

#define RESOLVE_HOST_MAX 256

struct resolve;

/* err is 0 or an EVUTIL_EAI_* code; ai (a new list, free with evutil_freeaddrinfo) is
 * taken over by the callee. Runs exactly once, always on a later turn of the loop than
 * resolve_start, unless the look-up was cancelled. The handle is gone after it. */
typedef void (*resolve_fn)(int err, struct evutil_addrinfo *ai, void *arg);

/* Looks up host for port with the given socket type and family (AF_UNSPEC: both).
 * NULL when it cannot start (out of memory). */
struct resolve *resolve_start(struct event_base *base, struct evdns_base *dns, const char *host,
                              int port, int family, int socktype, resolve_fn fn, void *arg);

/* The callback will not run; the handle is freed (now or when evdns lets go of it). */
void resolve_cancel(struct resolve *r);

/* Handles not freed yet (look-ups running, or cancelled and not yet let go by evdns). */
int resolve_live(void);

/* Host and port of a "scheme://host[:port][/...]" URL, or of a bare host[:port] when
 * allow_bare. An IPv6 host is written without brackets. 0, or -1 when malformed or when
 * there is no port and default_port is 0. */
int resolve_parse_url(const char *url, int allow_bare, int default_port, char *host, size_t hostlen,
                      int *port);

#endif
