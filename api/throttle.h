/* throttle: sliding-window rate limits shared by every api process through Redis
 * (a sorted set of hit times per key, trimmed and counted by one Lua script). When
 * Redis is unreachable the limits are kept in this process instead: weaker across
 * replicas, but a brute force on login is never left unthrottled. */
#ifndef STATUSHAWK_API_THROTTLE_H
#define STATUSHAWK_API_THROTTLE_H

struct redis;

/* Records a hit on key within scope. Returns 0 when it is allowed, else the whole
 * seconds until one will be (the hit is then not recorded). */
int throttle_hit(struct redis *redis, const char *prefix, const char *scope, const char *key,
                 int limit, int window_s);

#endif
