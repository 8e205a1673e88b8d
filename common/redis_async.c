/* redis_async: see redis_async.h. hiredis frees its context after the disconnect
 * callback returns, so the reconnect happens from a timer, never inside that callback. */
#include "common/redis_async.h"

#include <hiredis/adapters/libevent.h>
#include <stdarg.h>
#include <stdlib.h>

#include "common/log.h"

#define RECONNECT_DELAY_MS 1000

struct redis_async {
    struct event_base *base;
    struct redis_target target;
    redis_async_state_fn on_state;
    void *arg;
    redisAsyncContext *ctx; /* NULL while disconnected */
    int connected;
    int closing; /* set by redis_async_free: do not reconnect */
    struct event *retry;
};

static void schedule_reconnect(struct redis_async *ra)
{
    struct timeval tv = {RECONNECT_DELAY_MS / 1000, (RECONNECT_DELAY_MS % 1000) * 1000};
    if (ra->closing)
        return;
    if (evtimer_add(ra->retry, &tv) != 0)
        log_error("redis async: cannot arm the reconnect timer");
}

static void set_connected(struct redis_async *ra, int up)
{
    int was = ra->connected;
    ra->connected = up;
    if (was != up && ra->on_state && !ra->closing)
        ra->on_state(ra, up, ra->arg);
}

static void on_handshake_reply(redisAsyncContext *c, void *reply, void *privdata)
{
    redisReply *r = reply;
    if (r && r->type == REDIS_REPLY_ERROR)
        log_error("redis async: AUTH/SELECT refused: %s", r->str);
}

static void on_connect(const redisAsyncContext *c, int status)
{
    struct redis_async *ra = c->data;
    if (status != REDIS_OK) {
        log_warn("redis async %s:%d: connect failed: %s", ra->target.host, ra->target.port,
                 c->errstr);
        ra->ctx = NULL; /* hiredis frees it after this callback */
        schedule_reconnect(ra);
        return;
    }
    /* Commands are sent in order, so AUTH and SELECT precede anything queued later. */
    if (ra->target.password[0]) {
        if (ra->target.username[0])
            redisAsyncCommand(ra->ctx, on_handshake_reply, NULL, "AUTH %s %s", ra->target.username,
                              ra->target.password);
        else
            redisAsyncCommand(ra->ctx, on_handshake_reply, NULL, "AUTH %s", ra->target.password);
    }
    if (ra->target.db)
        redisAsyncCommand(ra->ctx, on_handshake_reply, NULL, "SELECT %d", ra->target.db);
    log_info("redis async %s:%d: connected", ra->target.host, ra->target.port);
    set_connected(ra, 1);
}

static void on_disconnect(const redisAsyncContext *c, int status)
{
    struct redis_async *ra = c->data;
    ra->ctx = NULL; /* hiredis frees it after this callback */
    if (!ra->closing)
        log_warn("redis async %s:%d: disconnected: %s", ra->target.host, ra->target.port,
                 status == REDIS_OK ? "closed" : c->errstr);
    set_connected(ra, 0);
    schedule_reconnect(ra);
}

static void start_connect(struct redis_async *ra)
{
    redisAsyncContext *c = redisAsyncConnect(ra->target.host, ra->target.port);
    if (!c || c->err) {
        log_warn("redis async %s:%d: connect failed: %s", ra->target.host, ra->target.port,
                 c ? c->errstr : "out of memory");
        if (c)
            redisAsyncFree(c);
        schedule_reconnect(ra);
        return;
    }
    c->data = ra;
    ra->ctx = c;
    redisLibeventAttach(c, ra->base);
    redisAsyncSetConnectCallback(c, on_connect);
    redisAsyncSetDisconnectCallback(c, on_disconnect);
}

static void on_retry(evutil_socket_t fd, short what, void *arg)
{
    struct redis_async *ra = arg;
    if (!ra->ctx)
        start_connect(ra);
}

struct redis_async *redis_async_new(struct event_base *base, const struct redis_target *t,
                                    redis_async_state_fn on_state, void *arg)
{
    struct redis_async *ra = calloc(1, sizeof(*ra));
    if (!ra)
        return NULL;
    ra->base = base;
    ra->target = *t;
    ra->on_state = on_state;
    ra->arg = arg;
    ra->retry = evtimer_new(base, on_retry, ra);
    if (!ra->retry) {
        free(ra);
        return NULL;
    }
    start_connect(ra);
    return ra;
}

void redis_async_free(struct redis_async *ra)
{
    if (!ra)
        return;
    ra->closing = 1;
    if (ra->ctx)
        redisAsyncFree(ra->ctx); /* runs on_disconnect, which clears ra->ctx */
    event_free(ra->retry);
    free(ra);
}

int redis_async_connected(const struct redis_async *ra)
{
    return ra->connected && ra->ctx != NULL;
}

int redis_async_command(struct redis_async *ra, redisCallbackFn *fn, void *privdata,
                        const char *fmt, ...)
{
    va_list ap;
    int rc;

    if (!redis_async_connected(ra))
        return -1;
    va_start(ap, fmt);
    rc = redisvAsyncCommand(ra->ctx, fn, privdata, fmt, ap);
    va_end(ap);
    return rc == REDIS_OK ? 0 : -1;
}

int redis_async_command_argv(struct redis_async *ra, redisCallbackFn *fn, void *privdata, int argc,
                             const char **argv, const size_t *lens)
{
    if (!redis_async_connected(ra))
        return -1;
    return redisAsyncCommandArgv(ra->ctx, fn, privdata, argc, argv, lens) == REDIS_OK ? 0 : -1;
}
