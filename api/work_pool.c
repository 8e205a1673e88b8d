/* work_pool: see work_pool.h. A bounded FIFO guarded by one mutex; completion is
 * signalled with event_active() on the submitter's base, which libevent makes safe
 * across threads once evthread_use_pthreads() has been called. */
#include "api/work_pool.h"

#include <pthread.h>
#include <stdlib.h>

#include "common/log.h"

struct work_pool {
    pthread_mutex_t lock;
    pthread_cond_t ready;
    struct work_job **queue; /* ring of queue_max */
    int queue_max, head, count;
    int stopping;
    pthread_t *threads;
    int nthreads;
};

static struct work_pool pool = {.lock = PTHREAD_MUTEX_INITIALIZER,
                                .ready = PTHREAD_COND_INITIALIZER};

static void *work_thread(void *arg)
{
    for (;;) {
        struct work_job *job;
        pthread_mutex_lock(&pool.lock);
        while (pool.count == 0 && !pool.stopping)
            pthread_cond_wait(&pool.ready, &pool.lock);
        if (pool.count == 0) {
            pthread_mutex_unlock(&pool.lock);
            return NULL;
        }
        job = pool.queue[pool.head];
        pool.head = (pool.head + 1) % pool.queue_max;
        pool.count--;
        pthread_mutex_unlock(&pool.lock);

        job->run(job);
        event_active(job->ev, EV_TIMEOUT, 0);
    }
}

/* On the submitter's loop: hand the job back to its owner. */
static void job_finished(evutil_socket_t fd, short what, void *arg)
{
    struct work_job *job = arg;
    event_free(job->ev);
    job->ev = NULL;
    job->done(job);
}

int work_pool_start(int nthreads, int queue_max)
{
    pool.queue = calloc((size_t)queue_max, sizeof(*pool.queue));
    pool.threads = calloc((size_t)nthreads, sizeof(*pool.threads));
    if (!pool.queue || !pool.threads) {
        free(pool.queue);
        free(pool.threads);
        pool.queue = NULL;
        pool.threads = NULL;
        return -1;
    }
    pool.queue_max = queue_max;
    pool.stopping = 0;
    for (pool.nthreads = 0; pool.nthreads < nthreads; pool.nthreads++) {
        if (pthread_create(&pool.threads[pool.nthreads], NULL, work_thread, NULL) != 0) {
            log_error("work pool: cannot start thread %d", pool.nthreads);
            work_pool_stop();
            return -1;
        }
    }
    return 0;
}

void work_pool_stop(void)
{
    pthread_mutex_lock(&pool.lock);
    pool.stopping = 1;
    pthread_cond_broadcast(&pool.ready);
    pthread_mutex_unlock(&pool.lock);
    for (int i = 0; i < pool.nthreads; i++)
        pthread_join(pool.threads[i], NULL);
    free(pool.queue);
    free(pool.threads);
    pool.queue = NULL;
    pool.threads = NULL;
    pool.nthreads = 0;
}

int work_pool_submit(struct event_base *base, struct work_job *job)
{
    int rc = -1;

    job->ev = event_new(base, -1, 0, job_finished, job);
    if (!job->ev)
        return -1;
    pthread_mutex_lock(&pool.lock);
    if (!pool.stopping && pool.count < pool.queue_max) {
        pool.queue[(pool.head + pool.count) % pool.queue_max] = job;
        pool.count++;
        pthread_cond_signal(&pool.ready);
        rc = 0;
    }
    pthread_mutex_unlock(&pool.lock);
    if (rc != 0) {
        event_free(job->ev);
        job->ev = NULL;
    }
    return rc;
}
