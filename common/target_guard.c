/* target_guard: see target_guard.h. */
#include "common/target_guard.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

struct v4_range {
    uint32_t net;
    int bits;
    const char *why;
};

/* IANA special-purpose IPv4 ranges that are not the public Internet. */
static const struct v4_range v4_blocked[] = {
    {0x00000000, 8, "unspecified or 'this network' address"},
    {0x0a000000, 8, "private address"},
    {0x64400000, 10, "carrier-grade NAT address"}, /* also Alibaba's metadata, 100.100.100.200 */
    {0x7f000000, 8, "loopback address"},
    {0xa9fe0000, 16, "link-local or cloud metadata address"}, /* 169.254.169.254 */
    {0xac100000, 12, "private address"},
    {0xc0000000, 24, "IETF protocol address"},
    {0xc0000200, 24, "documentation address"},
    {0xc0586300, 24, "6to4 relay address"},
    {0xc0a80000, 16, "private address"},
    {0xc6120000, 15, "benchmarking address"},
    {0xc6336400, 24, "documentation address"},
    {0xcb007100, 24, "documentation address"},
    {0xe0000000, 4, "multicast address"},
    {0xf0000000, 4, "reserved address"}, /* includes 255.255.255.255 */
};

static const char *v4_blocked_reason(uint32_t a)
{
    for (size_t i = 0; i < sizeof(v4_blocked) / sizeof(v4_blocked[0]); i++) {
        uint32_t mask = 0xffffffffu << (32 - v4_blocked[i].bits);
        if ((a & mask) == v4_blocked[i].net)
            return v4_blocked[i].why;
    }
    return NULL;
}

static uint32_t be32_at(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static const char *v6_blocked_reason(const struct in6_addr *addr)
{
    const unsigned char *b = addr->s6_addr;
    static const unsigned char zeros[16];

    if (memcmp(b, zeros, 15) == 0 && (b[15] == 0 || b[15] == 1))
        return b[15] ? "loopback address" : "unspecified address";
    /* ::ffff:a.b.c.d (mapped) and ::a.b.c.d (compatible): judge the IPv4 address. */
    if (memcmp(b, zeros, 10) == 0 && ((b[10] == 0xff && b[11] == 0xff) || (b[10] | b[11]) == 0))
        return v4_blocked_reason(be32_at(b + 12));
    /* NAT64 64:ff9b::a.b.c.d and 64:ff9b:1::/48 reach the embedded IPv4 address. */
    if (b[0] == 0x00 && b[1] == 0x64 && b[2] == 0xff && b[3] == 0x9b)
        return v4_blocked_reason(be32_at(b + 12));
    /* 6to4 2002:a.b.c.d::/48 tunnels to the embedded IPv4 address. */
    if (b[0] == 0x20 && b[1] == 0x02 && v4_blocked_reason(be32_at(b + 2)))
        return v4_blocked_reason(be32_at(b + 2));
    if ((b[0] & 0xfe) == 0xfc)
        return "private address"; /* fc00::/7 unique local, incl. AWS's fd00:ec2::254 */
    if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80)
        return "link-local address"; /* fe80::/10 */
    if (b[0] == 0xfe && (b[1] & 0xc0) == 0xc0)
        return "site-local address"; /* fec0::/10, deprecated but routable inside sites */
    if (b[0] == 0xff)
        return "multicast address";
    if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0d && b[3] == 0xb8)
        return "documentation address"; /* 2001:db8::/32 */
    if (b[0] == 0x01 && memcmp(b + 1, zeros, 7) == 0)
        return "discard-only address"; /* 100::/64 */
    return NULL;
}

const char *target_guard_blocked(const struct sockaddr *sa)
{
    if (sa->sa_family == AF_INET)
        return v4_blocked_reason(ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr));
    if (sa->sa_family == AF_INET6)
        return v6_blocked_reason(&((const struct sockaddr_in6 *)sa)->sin6_addr);
    return "unsupported address family";
}

int target_guard_check_host(const char *host, char *err, size_t errlen)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
    struct addrinfo *res = NULL, *ai;
    int rc;

    rc = getaddrinfo(host, NULL, &hints, &res);
    if (rc != 0) {
        snprintf(err, errlen, "The host \"%.100s\" does not resolve (%s).", host, gai_strerror(rc));
        return -1;
    }
    for (ai = res; ai; ai = ai->ai_next) {
        const char *why = target_guard_blocked(ai->ai_addr);
        if (why) {
            snprintf(err, errlen,
                     "Targets on private, loopback, link-local or metadata addresses are not "
                     "allowed (%.100s: %s).",
                     host, why);
            freeaddrinfo(res);
            return -1;
        }
    }
    freeaddrinfo(res);
    return 0;
}
