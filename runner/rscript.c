/* rscript: see rscript.h. */
#include "runner/rscript.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/crypto.h"
#include "common/log.h"

#define RSCRIPT_MAX_ARGS 20 /* the largest call (complete) has 15; the call stays under 1 KiB */

/* One call in flight: everything needed to send it again as EVAL, in one allocation. */
struct call {
    struct redis_async *ra;
    struct rscript *script;
    rscript_fn fn;
    void *arg;
    int argc;
    int retried;
    const char *argv[RSCRIPT_MAX_ARGS + 3];
    size_t lens[RSCRIPT_MAX_ARGS + 3];
    char nkeys[16];
    char data[]; /* the copied arguments */
};

int rscript_init(struct rscript *s)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;

    if (!EVP_Digest(s->body, strlen(s->body), md, &mdlen, EVP_sha1(), NULL) || mdlen != 20)
        return -1;
    crypto_hex_encode(md, mdlen, s->sha);
    return 0;
}

static void on_reply(redisAsyncContext *ctx, void *reply, void *privdata)
{
    struct call *call = privdata;
    redisReply *r = reply;

    if (r && r->type == REDIS_REPLY_ERROR && !call->retried &&
        strncmp(r->str, "NOSCRIPT", 8) == 0) {
        /* Send the body this time; Redis caches it, so later EVALSHAs find it. */
        call->retried = 1;
        call->argv[0] = "EVAL";
        call->lens[0] = 4;
        call->argv[1] = call->script->body;
        call->lens[1] = strlen(call->script->body);
        if (redis_async_command_argv(call->ra, on_reply, call, call->argc, call->argv,
                                     call->lens) == 0)
            return;
        r = NULL;
    }
    if (r && r->type == REDIS_REPLY_ERROR)
        log_error("redis script %s failed: %s", call->script->name, r->str);
    call->fn(r, call->arg);
    free(call);
}

int rscript_call(struct redis_async *ra, struct rscript *s, int nkeys, int nargs,
                 const char *const *args, const size_t *lens, rscript_fn fn, void *arg)
{
    struct call *call;
    size_t total = 0;
    char *p;

    if (nargs > RSCRIPT_MAX_ARGS || !redis_async_connected(ra))
        return -1;
    for (int i = 0; i < nargs; i++)
        total += lens[i];
    call = malloc(sizeof(*call) + total + 1);
    if (!call)
        return -1;
    call->ra = ra;
    call->script = s;
    call->fn = fn;
    call->arg = arg;
    call->retried = 0;
    snprintf(call->nkeys, sizeof(call->nkeys), "%d", nkeys);
    call->argv[0] = "EVALSHA";
    call->lens[0] = 7;
    call->argv[1] = s->sha;
    call->lens[1] = 40;
    call->argv[2] = call->nkeys;
    call->lens[2] = strlen(call->nkeys);
    p = call->data;
    for (int i = 0; i < nargs; i++) {
        memcpy(p, args[i], lens[i]);
        call->argv[3 + i] = p;
        call->lens[3 + i] = lens[i];
        p += lens[i];
    }
    call->argc = 3 + nargs;
    if (redis_async_command_argv(ra, on_reply, call, call->argc, call->argv, call->lens) != 0) {
        free(call);
        return -1;
    }
    return 0;
}
