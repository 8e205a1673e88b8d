/* redis_async: a hiredis asynchronous connection on a libevent loop (hiredis's own
 * libevent adapter) that reconnects by itself, pacing its attempts. For the runner and
 * the notifier, whose single loop must never block on Redis. */
#ifndef STATUSHAWK_COMMON_REDIS_ASYNC_H
#define STATUSHAWK_COMMON_REDIS_ASYNC_H

#include <event2/event.h>
#include <hiredis/async.h>

#include "common/redis.h"

struct redis_async;

/* Called on the loop each time the connection comes up (connected=1) or goes down (0). */
typedef void (*redis_async_state_fn)(struct redis_async *ra, int connected, void *arg);

/* Starts connecting at once. The target is copied; base and arg are borrowed. */
struct redis_async *redis_async_new(struct event_base *base, const struct redis_target *t,
                                    redis_async_state_fn on_state, void *arg);

/* Frees the connection; pending callbacks run once with a NULL reply. */
void redis_async_free(struct redis_async *ra);

int redis_async_connected(const struct redis_async *ra);

/* Queues a command. fn runs exactly once: with the reply, or with NULL when the
 * connection is lost first. Returns -1 (fn never runs) while disconnected. */
int redis_async_command(struct redis_async *ra, redisCallbackFn *fn, void *privdata,
                        const char *fmt, ...);
int redis_async_command_argv(struct redis_async *ra, redisCallbackFn *fn, void *privdata, int argc,
                             const char **argv, const size_t *lens);

#endif
