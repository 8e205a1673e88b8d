/* redis: a synchronous hiredis connection that re-establishes itself on the next use
 * after it was lost, and the parser for redis:// URLs shared with redis_async. */
#ifndef STATUSHAWK_COMMON_REDIS_H
#define STATUSHAWK_COMMON_REDIS_H

#include <hiredis/hiredis.h>
#include <stddef.h>

struct redis_target {
    char host[256];
    int port;
    char username[128];
    char password[256];
    int db;
};

/* Parses redis://[[user]:password@]host[:port][/db] (IPv6 hosts in brackets).
 * 0, or -1 with a one-line reason in err. */
int redis_url_parse(const char *url, struct redis_target *t, char *err, size_t errlen);

struct redis;

/* Makes a connection object; it connects on first use. timeout_ms bounds connects and
 * each command. The target is copied. */
struct redis *redis_new(const struct redis_target *t, int timeout_ms);
void redis_free(struct redis *r);

/* Runs one command. Returns a new reply (free with freeReplyObject) or NULL when Redis
 * is unreachable; the connection is then dropped and retried on a later call, at most
 * once a second. An error reply (REDIS_REPLY_ERROR) is returned as a reply. */
redisReply *redis_command(struct redis *r, const char *fmt, ...);
redisReply *redis_command_argv(struct redis *r, int argc, const char **argv, const size_t *lens);

/* The reason of the last failure, for logs. Borrowed; valid until the next call. */
const char *redis_last_error(const struct redis *r);

/* AUTH and SELECT as the target asks, on a fresh synchronous context. 0 or -1. */
int redis_handshake(redisContext *c, const struct redis_target *t);

#endif
