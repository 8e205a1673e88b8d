/* rscript: Lua scripts on the asynchronous Redis connection. A call is sent as EVALSHA
 * (the script's SHA-1 is computed here, once); when Redis answers NOSCRIPT (after a
 * restart or SCRIPT FLUSH) the same call is sent again as EVAL, which also loads it. */
#ifndef STATUSHAWK_RUNNER_RSCRIPT_H
#define STATUSHAWK_RUNNER_RSCRIPT_H

#include <hiredis/hiredis.h>
#include <stddef.h>

#include "common/redis_async.h"

struct rscript {
    const char *name; /* for logs */
    const char *body; /* the Lua source; a string literal */
    char sha[41];
};

/* Computes s->sha. 0 or -1. */
int rscript_init(struct rscript *s);

/* reply is borrowed for the call (NULL when the connection was lost); fn runs exactly
 * once when rscript_call returned 0. */
typedef void (*rscript_fn)(redisReply *reply, void *arg);

/* Runs s with nkeys keys followed by the other arguments (args[0..nargs), nkeys of them
 * keys). The arguments are copied. 0, or -1 (fn never runs) while Redis is away. */
int rscript_call(struct redis_async *ra, struct rscript *s, int nkeys, int nargs,
                 const char *const *args, const size_t *lens, rscript_fn fn, void *arg);

#endif
