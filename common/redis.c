/* redis: see redis.h. */
#include "common/redis.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/timeutil.h"

#define RECONNECT_INTERVAL_US 1000000

struct redis {
    struct redis_target target;
    int timeout_ms;
    redisContext *ctx;
    int64_t last_attempt_us; /* of the last failed connect, to pace retries */
    char err[256];
};

static int parse_port(const char *s, size_t len, int *out)
{
    int v = 0;
    if (len == 0 || len > 5)
        return -1;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    if (v < 1 || v > 65535)
        return -1;
    *out = v;
    return 0;
}

static int copy_part(char *dst, size_t cap, const char *src, size_t len)
{
    if (len >= cap)
        return -1;
    memcpy(dst, src, len);
    dst[len] = '\0';
    return 0;
}

static int parse_userinfo(const char *s, size_t len, struct redis_target *t)
{
    const char *colon = memchr(s, ':', len);
    if (!colon)
        return copy_part(t->password, sizeof(t->password), s, len);
    if (copy_part(t->username, sizeof(t->username), s, (size_t)(colon - s)) != 0)
        return -1;
    return copy_part(t->password, sizeof(t->password), colon + 1, len - (size_t)(colon - s) - 1);
}

static int parse_hostport(const char *s, size_t len, struct redis_target *t)
{
    const char *host = s, *port = NULL;
    size_t hostlen = len;

    if (len && s[0] == '[') {
        const char *close = memchr(s, ']', len);
        if (!close)
            return -1;
        host = s + 1;
        hostlen = (size_t)(close - s) - 1;
        if (close + 1 < s + len) {
            if (close[1] != ':')
                return -1;
            port = close + 2;
        }
    } else {
        const char *colon = memchr(s, ':', len);
        if (colon) {
            hostlen = (size_t)(colon - s);
            port = colon + 1;
        }
    }
    if (hostlen == 0 || copy_part(t->host, sizeof(t->host), host, hostlen) != 0)
        return -1;
    t->port = 6379;
    return port ? parse_port(port, (size_t)(s + len - port), &t->port) : 0;
}

int redis_url_parse(const char *url, struct redis_target *t, char *err, size_t errlen)
{
    static const char scheme[] = "redis://";
    const char *p, *end, *at, *slash, *auth_end, *host;

    memset(t, 0, sizeof(*t));
    if (strncmp(url, "rediss://", 9) == 0) {
        snprintf(err, errlen, "TLS (rediss://) is not supported; use redis://");
        return -1;
    }
    if (strncmp(url, scheme, sizeof(scheme) - 1) != 0) {
        snprintf(err, errlen, "must start with redis://");
        return -1;
    }
    p = url + sizeof(scheme) - 1;
    end = p + strcspn(p, "?#");
    slash = memchr(p, '/', (size_t)(end - p));
    auth_end = slash ? slash : end;
    /* The password may itself contain '@': the host starts after the last one. */
    at = NULL;
    for (const char *q = p; q < auth_end; q++)
        if (*q == '@')
            at = q;
    if (at && parse_userinfo(p, (size_t)(at - p), t) != 0) {
        snprintf(err, errlen, "user or password too long");
        return -1;
    }
    host = at ? at + 1 : p;
    if (parse_hostport(host, (size_t)(auth_end - host), t) != 0) {
        snprintf(err, errlen, "must name a host and an optional port from 1 to 65535");
        return -1;
    }
    if (slash && slash + 1 < end) {
        int db = 0;
        for (const char *q = slash + 1; q < end; q++) {
            if (*q < '0' || *q > '9' || db > 100000) {
                snprintf(err, errlen, "database number must be a non-negative integer");
                return -1;
            }
            db = db * 10 + (*q - '0');
        }
        t->db = db;
    }
    return 0;
}

int redis_handshake(redisContext *c, const struct redis_target *t)
{
    redisReply *reply = NULL;
    int ok = 1;

    if (t->password[0]) {
        reply = t->username[0] ? redisCommand(c, "AUTH %s %s", t->username, t->password)
                               : redisCommand(c, "AUTH %s", t->password);
        ok = reply && reply->type != REDIS_REPLY_ERROR;
        freeReplyObject(reply);
    }
    if (ok && t->db) {
        reply = redisCommand(c, "SELECT %d", t->db);
        ok = reply && reply->type != REDIS_REPLY_ERROR;
        freeReplyObject(reply);
    }
    return ok ? 0 : -1;
}

struct redis *redis_new(const struct redis_target *t, int timeout_ms)
{
    struct redis *r = calloc(1, sizeof(*r));
    if (!r)
        return NULL;
    r->target = *t;
    r->timeout_ms = timeout_ms;
    return r;
}

void redis_free(struct redis *r)
{
    if (!r)
        return;
    if (r->ctx)
        redisFree(r->ctx);
    free(r);
}

const char *redis_last_error(const struct redis *r)
{
    return r->err;
}

static void redis_drop(struct redis *r, const char *why)
{
    snprintf(r->err, sizeof(r->err), "%s", why);
    if (r->ctx) {
        log_warn("redis %s:%d: connection lost: %s", r->target.host, r->target.port, why);
        redisFree(r->ctx);
        r->ctx = NULL;
    }
    r->last_attempt_us = time_mono_us();
}

static int redis_ensure(struct redis *r)
{
    struct timeval tv = {r->timeout_ms / 1000, (r->timeout_ms % 1000) * 1000};

    if (r->ctx)
        return 0;
    if (r->last_attempt_us && time_mono_us() - r->last_attempt_us < RECONNECT_INTERVAL_US)
        return -1;
    r->ctx = redisConnectWithTimeout(r->target.host, r->target.port, tv);
    if (!r->ctx || r->ctx->err) {
        snprintf(r->err, sizeof(r->err), "connect: %s", r->ctx ? r->ctx->errstr : "out of memory");
        if (r->ctx)
            redisFree(r->ctx);
        r->ctx = NULL;
        r->last_attempt_us = time_mono_us();
        return -1;
    }
    if (redisSetTimeout(r->ctx, tv) != REDIS_OK || redis_handshake(r->ctx, &r->target) != 0) {
        redis_drop(r, "AUTH/SELECT failed");
        return -1;
    }
    redisEnableKeepAlive(r->ctx);
    r->last_attempt_us = 0;
    return 0;
}

/* Turns a transport failure into a dropped connection; replies pass through. */
static redisReply *redis_finish(struct redis *r, void *reply)
{
    if (!reply) {
        redis_drop(r, r->ctx->errstr[0] ? r->ctx->errstr : "no reply");
        return NULL;
    }
    return reply;
}

redisReply *redis_command(struct redis *r, const char *fmt, ...)
{
    va_list ap;
    void *reply;

    if (redis_ensure(r) != 0)
        return NULL;
    va_start(ap, fmt);
    reply = redisvCommand(r->ctx, fmt, ap);
    va_end(ap);
    return redis_finish(r, reply);
}

redisReply *redis_command_argv(struct redis *r, int argc, const char **argv, const size_t *lens)
{
    if (redis_ensure(r) != 0)
        return NULL;
    return redis_finish(r, redisCommandArgv(r->ctx, argc, argv, lens));
}
