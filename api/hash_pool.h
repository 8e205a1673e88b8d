/* hash_pool: PBKDF2 off the event threads. Hashing a password takes hundreds of
 * milliseconds by design; a few dedicated threads do it so that a login never stalls
 * the requests queued behind it on the same event loop. A finished job's callback runs
 * on the event base that submitted it. */
#ifndef STATUSHAWK_API_HASH_POOL_H
#define STATUSHAWK_API_HASH_POOL_H

#include <event2/event.h>

#include "common/password.h"

enum hash_job_kind { HASH_MAKE, HASH_VERIFY };

struct hash_job;
typedef void (*hash_done_fn)(struct hash_job *job);

struct hash_job {
    enum hash_job_kind kind;
    const char *password; /* borrowed; must live until done runs */
    const char *encoded;  /* HASH_VERIFY: the stored hash, borrowed likewise */
    unsigned iterations;  /* HASH_MAKE */
    int ok;               /* result: HASH_MAKE made out; HASH_VERIFY matched */
    char out[PASSWORD_HASH_MAX];
    hash_done_fn done; /* runs on the submitting base; owns the job from then on */
    void *arg;
    struct event *ev; /* private */
};

/* Starts nthreads workers taking at most queue_max waiting jobs. 0 or -1. */
int hash_pool_start(int nthreads, int queue_max);

/* Stops the workers after the jobs already queued are done. */
void hash_pool_stop(void);

/* Queues job; its done callback will run on base. -1 when the queue is full or the
 * pool is stopping (done will not run). */
int hash_pool_submit(struct event_base *base, struct hash_job *job);

#endif
