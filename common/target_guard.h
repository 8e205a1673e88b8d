/* target_guard: which addresses a monitor may point at. A monitoring service that
 * probes any URL it is given is an open door into the network it runs in (SSRF): the
 * database, Redis, the cloud metadata service. Unless the operator allows private targets
 * (STATUSHAWK_ALLOW_PRIVATE_TARGETS=true), loopback, private, link-local, CGNAT,
 * unspecified, multicast, reserved and metadata addresses are refused — by the api when a
 * monitor is saved, and again by the runner for the address it actually connects to, which
 * defeats DNS rebinding. */
#ifndef STATUSHAWK_COMMON_TARGET_GUARD_H
#define STATUSHAWK_COMMON_TARGET_GUARD_H

#include <stddef.h>
#include <sys/socket.h>

/* A short reason when sa must not be probed ("loopback address", ...), else NULL. Handles
 * AF_INET and AF_INET6, including IPv4-mapped, -compatible, NAT64 and 6to4 forms of
 * blocked IPv4 addresses. Other families are blocked. */
const char *target_guard_blocked(const struct sockaddr *sa);

/* Resolves host (a name or a literal, in any form inet_aton accepts, such as 0x7f000001)
 * and checks every address it resolves to. Blocking: call it off the event loop.
 * Returns 0 when all are allowed; -1 with a message for the user in err when one is
 * blocked or the name does not resolve. */
int target_guard_check_host(const char *host, char *err, size_t errlen);

#endif
