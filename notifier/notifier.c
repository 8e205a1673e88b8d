/* notifier: see notifier.h. */
#include "notifier/notifier.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/redis_async.h"
#include "notifier/consume.h"
#include "notifier/deliver.h"

/* ---- Redis with a count of replies due ---- */

struct redis_call {
    struct notifier *n;
    redisCallbackFn *fn;
    void *priv;
};

static void on_redis_reply(redisAsyncContext *ac, void *reply, void *priv)
{
    struct redis_call *call = priv;
    struct notifier *n = call->n;
    n->redis_outstanding--;
    if (call->fn)
        call->fn(ac, reply, call->priv);
    free(call);
}

int notifier_redis_argv(struct notifier *n, redisCallbackFn *fn, void *privdata, int argc,
                        const char **argv, const size_t *lens)
{
    struct redis_call *call;
    if (n->closing || !redis_async_connected(n->redis))
        return -1;
    call = calloc(1, sizeof(*call));
    if (!call)
        return -1;
    call->n = n;
    call->fn = fn;
    call->priv = privdata;
    if (redis_async_command_argv(n->redis, on_redis_reply, call, argc, argv, lens) != 0) {
        free(call);
        return -1;
    }
    n->redis_outstanding++;
    return 0;
}

int notifier_redis(struct notifier *n, redisCallbackFn *fn, void *privdata, const char *fmt, ...)
{
    /* Split the format's words: the commands used here take plain words only (key names
     * and numbers without spaces), so argv form keeps every value binary-safe. */
    const char *argv[32];
    char buf[1024];
    char *save = NULL, *w;
    int argc = 0;
    va_list ap;

    va_start(ap, fmt);
    int len = vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    if (len < 0 || (size_t)len >= sizeof(buf))
        return -1;
    for (w = strtok_r(buf, " ", &save); w && argc < 32; w = strtok_r(NULL, " ", &save))
        argv[argc++] = w;
    return notifier_redis_argv(n, fn, privdata, argc, argv, NULL);
}

long notifier_inflight(const struct notifier *n)
{
    return (n->consume ? consume_jobs(n->consume) : 0) + deliver_count(n->deliver);
}

void notifier_kick(struct notifier *n)
{
    /* Deferred to the loop: a release deep inside a callback must not re-enter the
     * consumer. */
    if (n->kick)
        event_active(n->kick, EV_TIMEOUT, 0);
}
