/* notifier: the state one statushawk-notifier process shares between its modules — one
 * libevent loop, its PostgreSQL connections, two Redis connections (one only for the
 * blocking XREADGROUP, so a read that waits never delays an XACK), the HTTP client, and
 * the modules. Everything runs on the loop's thread except tg_poll's worker (see there). */
#ifndef STATUSHAWK_NOTIFIER_NOTIFIER_H
#define STATUSHAWK_NOTIFIER_NOTIFIER_H

#include <event2/event.h>
#include <hiredis/async.h>
#include <stdint.h>

#include "notifier/notifier_config.h"

#define NOTIFIER_GROUP "notifiers"
#define NOTIFIER_KEY_MAX 192

struct pgq;
struct redis_async;
struct httpc;
struct consume;
struct fanout;
struct deliver;
struct tgqueue;
struct retryq;
struct tg_poll;
struct endpoint;

struct notifier {
    const struct notifier_config *cfg;
    struct event_base *base;
    struct pgq *pg;
    struct redis_async *redis;      /* commands */
    struct redis_async *redis_read; /* XREADGROUP ... BLOCK only */
    struct httpc *http;
    struct consume *consume;
    struct fanout *fanout;
    struct deliver *deliver;
    struct tgqueue *tgqueue;
    struct retryq *retry;
    struct tg_poll *tg_poll;
    struct endpoint *endpoint;

    struct event *kick;     /* deferred: work finished, the consumer may read again */
    int stopping;           /* SIGTERM: take no new work, finish what is in flight */
    int closing;            /* the loop has ended: release everything, start nothing */
    long redis_outstanding; /* commands sent on `redis` whose replies are still due */

    char key_stream[NOTIFIER_KEY_MAX]; /* <prefix>alerts */
    char key_retry[NOTIFIER_KEY_MAX];  /* <prefix>alerts:retry */
    char key_prefix[NOTIFIER_KEY_MAX]; /* <prefix> */
    char bot_id[24];                   /* the numeric part of the bot token, or "" */
};

/* Sends a command on n->redis, counting it until its reply (or NULL, when the connection
 * is lost) has been handed to fn. 0, or -1 when Redis is not connected (fn never runs). */
int notifier_redis(struct notifier *n, redisCallbackFn *fn, void *privdata, const char *fmt, ...);
int notifier_redis_argv(struct notifier *n, redisCallbackFn *fn, void *privdata, int argc,
                        const char **argv, const size_t *lens);

/* Events and deliveries held in memory, against NOTIFIER_MAX_INFLIGHT. */
long notifier_inflight(const struct notifier *n);

/* Called when work finished: lets the consumer read again and the shutdown complete. */
void notifier_kick(struct notifier *n);

#endif
