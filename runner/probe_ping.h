/* probe_ping: PING checks — one ICMP echo through an unprivileged ICMP datagram socket
 * (Linux "ping sockets": socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP)), within the
 * monitor's timeout. The kernel allows them only to the groups in
 * net.ipv4.ping_group_range; where it does not, the check fails with the reason
 * "ping not permitted" rather than the runner needing raw-socket privileges. The url is
 * a host, "ping://host", or any URL whose host is taken. */
#ifndef STATUSHAWK_RUNNER_PROBE_PING_H
#define STATUSHAWK_RUNNER_PROBE_PING_H

#include <event2/dns.h>
#include <event2/event.h>

#include "runner/check.h"
#include "runner/runner_config.h"

struct probe_ping;

struct probe_ping *probe_ping_new(struct event_base *base, struct evdns_base *dns,
                                  const struct runner_config *cfg);
void probe_ping_free(struct probe_ping *pp);

/* As probe_http_start / probe_http_cancel. */
void probe_ping_start(struct probe_ping *pp, struct check *c);
void probe_ping_cancel(struct probe_ping *pp, struct check *c);

#endif
