/* work_pool: blocking work off the event threads — PBKDF2 (hundreds of milliseconds by
 * design), getaddrinfo, calls to outside HTTP APIs. A few dedicated threads run each
 * job's run(); its done() then runs back on the event base that submitted it, so a slow
 * job never stalls the requests queued behind it on the same loop. */
#ifndef STATUSHAWK_API_WORK_POOL_H
#define STATUSHAWK_API_WORK_POOL_H

#include <event2/event.h>

struct work_job;
typedef void (*work_fn)(struct work_job *job);

/* Embed as the first member of a job's own struct and cast back in run and done. */
struct work_job {
    work_fn run;      /* on a pool thread: must not touch the event base or its objects */
    work_fn done;     /* on the submitting base; owns the job from then on */
    struct event *ev; /* private */
};

/* Starts nthreads workers taking at most queue_max waiting jobs. 0 or -1. */
int work_pool_start(int nthreads, int queue_max);

/* Stops the workers after the jobs already queued are run. */
void work_pool_stop(void);

/* Queues job. -1 when the queue is full or the pool is stopping; neither run nor done
 * will then be called and the caller still owns job. */
int work_pool_submit(struct event_base *base, struct work_job *job);

#endif
