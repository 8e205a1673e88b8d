/* consume: see consume.h. */
#include "notifier/consume.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/redis_async.h"
#include "notifier/fanout.h"
#include "notifier/metrics.h"
#include "notifier/notifier.h"

#define HASH_BUCKETS 4096
#define ACK_BATCH 500
#define HEARTBEAT_CHUNK 500
#define READ_BLOCK_MS 1000
#define GROUP_RETRY_MS 1000

struct consume {
    struct notifier *n;
    struct job *jobs; /* in flight */
    long njobs;
    struct job *hash[HASH_BUCKETS];

    int group_ready;
    int group_creating;
    int reading;  /* an XREADGROUP is outstanding */
    int claiming; /* an XAUTOCLAIM is outstanding */
    int stopped;
    char claim_cursor[JOB_ID_MAX];

    char *acks[ACK_BATCH]; /* ids waiting for XACK */
    int nacks;

    long stream_pending;

    struct event *kick;     /* deferred: read / flush acks */
    struct event *retry;    /* group creation after a failure */
    struct event *claim_tm; /* XAUTOCLAIM */
    struct event *beat_tm;  /* heartbeat */
    struct event *stats_tm; /* XPENDING summary for /metrics */
};

static void start_read(struct consume *c);
static void flush_acks(struct consume *c);

int64_t consume_id_ms(const char *id)
{
    char *end;
    errno = 0;
    long long v = strtoll(id, &end, 10);
    if (errno || end == id || *end != '-' || v < 0)
        return 0;
    return v;
}

static unsigned hash_id(const char *id)
{
    unsigned h = 2166136261u;
    for (; *id; id++)
        h = (h ^ (unsigned char)*id) * 16777619u;
    return h % HASH_BUCKETS;
}

static struct job *find_job(struct consume *c, const char *id)
{
    for (struct job *j = c->hash[hash_id(id)]; j; j = j->hnext)
        if (strcmp(j->id, id) == 0)
            return j;
    return NULL;
}

static void job_unlink(struct consume *c, struct job *j)
{
    struct job **pp = &c->hash[hash_id(j->id)];
    while (*pp && *pp != j)
        pp = &(*pp)->hnext;
    if (*pp)
        *pp = j->hnext;
    if (j->prev)
        j->prev->next = j->next;
    else
        c->jobs = j->next;
    if (j->next)
        j->next->prev = j->prev;
    c->njobs--;
}

long consume_jobs(const struct consume *c)
{
    return c->njobs;
}

int consume_idle(const struct consume *c)
{
    return c->njobs == 0 && !c->reading && !c->claiming && c->nacks == 0;
}

long consume_stream_pending(const struct consume *c)
{
    return c->stream_pending;
}

void job_ref(struct job *j)
{
    j->refs++;
}

static void defer(struct consume *c)
{
    event_active(c->kick, EV_TIMEOUT, 0);
}

static void queue_ack(struct consume *c, const char *id)
{
    char *copy = strdup(id);
    if (!copy)
        return; /* stays pending: taken over and found done later */
    if (c->nacks == ACK_BATCH)
        flush_acks(c);
    c->acks[c->nacks++] = copy;
    defer(c);
}

void consume_job_release(struct consume *c, struct job *j, int certain)
{
    if (!certain)
        j->uncertain = 1;
    if (--j->refs > 0)
        return;
    if (!j->uncertain)
        queue_ack(c, j->id);
    else
        log_info("alert %s (entry %s): left pending for a later take-over", j->ev.alert_id, j->id);
    job_unlink(c, j);
    alertmsg_clear(&j->ev);
    free(j);
    notifier_kick(c->n);
}

static void on_ack(redisAsyncContext *ac, void *reply, void *priv)
{
    redisReply *r = reply;
    if (r && r->type == REDIS_REPLY_INTEGER)
        metrics_count(M_EVENTS_ACKED, (uint64_t)r->integer);
    else if (r && r->type == REDIS_REPLY_ERROR)
        log_warn("XACK refused: %s", r->str);
}

static void flush_acks(struct consume *c)
{
    const char *argv[3 + ACK_BATCH];
    int argc = 0;

    if (c->nacks == 0)
        return;
    argv[argc++] = "XACK";
    argv[argc++] = c->n->key_stream;
    argv[argc++] = NOTIFIER_GROUP;
    for (int i = 0; i < c->nacks; i++)
        argv[argc++] = c->acks[i];
    /* hiredis formats the command into its buffer at once, so the ids can go now. A lost
     * XACK leaves the entry pending; taken over later, it is found done in the log. */
    if (notifier_redis_argv(c->n, on_ack, NULL, argc, argv, NULL) != 0)
        log_warn("redis: %d acknowledgements not sent (disconnected)", c->nacks);
    for (int i = 0; i < c->nacks; i++)
        free(c->acks[i]);
    c->nacks = 0;
}

/* ---- turning stream entries into jobs ---- */

/* One entry [id, fields]. Returns 1 when a job was made. */
static int take_entry(struct consume *c, const redisReply *e, int claimed)
{
    char err[128];
    struct job *j;

    if (e->type != REDIS_REPLY_ARRAY || e->elements != 2 ||
        e->element[0]->type != REDIS_REPLY_STRING || e->element[0]->len >= JOB_ID_MAX)
        return 0;
    const char *id = e->element[0]->str;
    if (find_job(c, id))
        return 0; /* ours already, still being delivered */
    if (e->element[1]->type != REDIS_REPLY_ARRAY) {
        /* Trimmed away while pending: nothing left to deliver. */
        queue_ack(c, id);
        return 0;
    }
    j = calloc(1, sizeof(*j));
    if (!j)
        return 0; /* stays pending; taken over later */
    snprintf(j->id, sizeof(j->id), "%s", id);
    j->xadd_ms = consume_id_ms(id);
    if (alertmsg_parse(e->element[1], &j->ev, err, sizeof(err)) != 0) {
        log_warn("stream entry %s is not a valid alert (%s): dropped", id, err);
        metrics_count(M_EVENTS_INVALID, 1);
        queue_ack(c, id);
        free(j);
        return 0;
    }
    j->refs = 1; /* the fan-out's */
    j->next = c->jobs;
    if (c->jobs)
        c->jobs->prev = j;
    c->jobs = j;
    unsigned h = hash_id(j->id);
    j->hnext = c->hash[h];
    c->hash[h] = j;
    c->njobs++;
    metrics_count(claimed ? M_EVENTS_CLAIMED : M_EVENTS_READ, 1);
    if (claimed)
        log_info("alert %s (entry %s): taken over from a silent notifier", j->ev.alert_id, id);
    fanout_submit(c->n->fanout, j);
    return 1;
}

static long capacity(struct consume *c)
{
    long free_slots = c->n->cfg->max_inflight - notifier_inflight(c->n);
    return free_slots > 0 ? free_slots : 0;
}

/* ---- the consumer group ---- */

static void create_group(struct consume *c);

static void on_group(redisAsyncContext *ac, void *reply, void *priv)
{
    struct consume *c = priv;
    redisReply *r = reply;

    c->group_creating = 0;
    if (r && (r->type == REDIS_REPLY_STATUS ||
              (r->type == REDIS_REPLY_ERROR && strncmp(r->str, "BUSYGROUP", 9) == 0))) {
        if (r->type == REDIS_REPLY_STATUS)
            log_info("consumer group %s created on %s", NOTIFIER_GROUP, c->n->key_stream);
        c->group_ready = 1;
        start_read(c);
        return;
    }
    if (r)
        log_error("XGROUP CREATE %s %s: %s", c->n->key_stream, NOTIFIER_GROUP,
                  r->type == REDIS_REPLY_ERROR ? r->str : "unexpected reply");
    if (!c->stopped) {
        struct timeval tv = {0, GROUP_RETRY_MS * 1000};
        evtimer_add(c->retry, &tv);
    }
}

static void create_group(struct consume *c)
{
    if (c->group_creating || c->stopped)
        return;
    /* From "0": alerts added before any notifier ever ran are delivered too. */
    if (notifier_redis(c->n, on_group, c, "XGROUP CREATE %s %s 0 MKSTREAM", c->n->key_stream,
                       NOTIFIER_GROUP) == 0)
        c->group_creating = 1;
}

static void on_retry_timer(evutil_socket_t fd, short what, void *arg)
{
    create_group(arg);
}

/* ---- reading ---- */

static void on_read(redisAsyncContext *ac, void *reply, void *priv)
{
    struct consume *c = priv;
    redisReply *r = reply;

    c->reading = 0;
    if (!r)
        return; /* disconnected: consume_kick runs again when it is back */
    if (r->type == REDIS_REPLY_ERROR) {
        if (strncmp(r->str, "NOGROUP", 7) == 0) {
            /* Redis lost the stream or the group (restart without persistence). */
            log_warn("consumer group missing on %s: creating it again", c->n->key_stream);
            c->group_ready = 0;
            create_group(c);
        } else {
            log_error("XREADGROUP: %s", r->str);
            struct timeval tv = {1, 0};
            evtimer_add(c->retry, &tv);
        }
        return;
    }
    /* [[stream, [[id, fields], ...]]] or nil on timeout */
    if (r->type == REDIS_REPLY_ARRAY && r->elements > 0 &&
        r->element[0]->type == REDIS_REPLY_ARRAY && r->element[0]->elements == 2) {
        const redisReply *entries = r->element[0]->element[1];
        for (size_t i = 0; entries->type == REDIS_REPLY_ARRAY && i < entries->elements; i++)
            take_entry(c, entries->element[i], 0);
    }
    start_read(c);
}

static void start_read(struct consume *c)
{
    struct notifier *n = c->n;
    char count[16], block[16];

    if (c->reading || c->stopped || n->stopping)
        return;
    if (!c->group_ready) {
        create_group(c);
        return;
    }
    long room = capacity(c);
    if (room <= 0)
        return; /* consume_kick resumes when work completes */
    if (room > n->cfg->read_batch)
        room = n->cfg->read_batch;
    snprintf(count, sizeof(count), "%ld", room);
    snprintf(block, sizeof(block), "%d", READ_BLOCK_MS);
    const char *argv[] = {"XREADGROUP", "GROUP", NOTIFIER_GROUP, n->cfg->consumer, "COUNT", count,
                          "BLOCK",      block,   "STREAMS",      n->key_stream,    ">"};
    if (redis_async_command_argv(n->redis_read, on_read, c, 11, argv, NULL) == 0)
        c->reading = 1;
}

/* ---- taking over entries of silent notifiers ---- */

static void on_autoclaim(redisAsyncContext *ac, void *reply, void *priv)
{
    struct consume *c = priv;
    redisReply *r = reply;
    int more = 0;

    c->claiming = 0;
    if (!r)
        return;
    if (r->type == REDIS_REPLY_ERROR) {
        if (strncmp(r->str, "NOGROUP", 7) != 0)
            log_error("XAUTOCLAIM: %s", r->str);
        return;
    }
    /* [next cursor, [[id, fields|nil], ...], [deleted ids] (Redis 7)] */
    if (r->type != REDIS_REPLY_ARRAY || r->elements < 2 ||
        r->element[0]->type != REDIS_REPLY_STRING)
        return;
    snprintf(c->claim_cursor, sizeof(c->claim_cursor), "%s", r->element[0]->str);
    const redisReply *entries = r->element[1];
    for (size_t i = 0; entries->type == REDIS_REPLY_ARRAY && i < entries->elements; i++)
        take_entry(c, entries->element[i], 1);
    more = strcmp(c->claim_cursor, "0-0") != 0;
    if (more && !c->stopped && capacity(c) > 0) {
        /* More entries past the cursor: keep going at once rather than a period later. */
        struct timeval now = {0, 0};
        evtimer_add(c->claim_tm, &now);
    }
}

static void on_claim_timer(evutil_socket_t fd, short what, void *arg)
{
    struct consume *c = arg;
    struct notifier *n = c->n;
    char idle[24], count[16];

    if (c->claiming || c->stopped || n->stopping || !c->group_ready)
        goto rearm;
    long room = capacity(c);
    if (room <= 0)
        goto rearm;
    if (room > n->cfg->read_batch)
        room = n->cfg->read_batch;
    snprintf(idle, sizeof(idle), "%lld", (long long)n->cfg->claim_idle_s * 1000);
    snprintf(count, sizeof(count), "%ld", room);
    const char *argv[] = {"XAUTOCLAIM", n->key_stream,   NOTIFIER_GROUP, n->cfg->consumer,
                          idle,         c->claim_cursor, "COUNT",        count};
    if (notifier_redis_argv(n, on_autoclaim, c, 8, argv, NULL) == 0)
        c->claiming = 1;
rearm:;
    /* A quarter of the idle time: an entry is taken over at most 1.25 x that after its
     * notifier fell silent. */
    long ms = n->cfg->claim_idle_s * 250L;
    if (ms < 500)
        ms = 500;
    struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
    if (!evtimer_pending(c->claim_tm, NULL))
        evtimer_add(c->claim_tm, &tv);
}

/* ---- heartbeat: our entries must not look idle while they wait for a rate limit ---- */

static void on_heartbeat_reply(redisAsyncContext *ac, void *reply, void *priv)
{
    redisReply *r = reply;
    if (r && r->type == REDIS_REPLY_ERROR)
        log_warn("XCLAIM (heartbeat): %s", r->str);
}

static void on_beat_timer(evutil_socket_t fd, short what, void *arg)
{
    struct consume *c = arg;
    struct notifier *n = c->n;
    const char *argv[6 + HEARTBEAT_CHUNK];
    int argc = 0;

    for (struct job *j = c->jobs; j; j = j->next) {
        if (j->uncertain)
            continue; /* meant to be taken over */
        if (argc == 0) {
            argv[argc++] = "XCLAIM";
            argv[argc++] = n->key_stream;
            argv[argc++] = NOTIFIER_GROUP;
            argv[argc++] = n->cfg->consumer;
            argv[argc++] = "0";
        }
        argv[argc++] = j->id;
        if (argc == 5 + HEARTBEAT_CHUNK) {
            argv[argc++] = "JUSTID";
            notifier_redis_argv(n, on_heartbeat_reply, NULL, argc, argv, NULL);
            argc = 0;
        }
    }
    if (argc > 0) {
        argv[argc++] = "JUSTID";
        notifier_redis_argv(n, on_heartbeat_reply, NULL, argc, argv, NULL);
    }
}

/* ---- stats ---- */

static void on_pending_summary(redisAsyncContext *ac, void *reply, void *priv)
{
    struct consume *c = priv;
    redisReply *r = reply;
    if (r && r->type == REDIS_REPLY_ARRAY && r->elements >= 1 &&
        r->element[0]->type == REDIS_REPLY_INTEGER)
        c->stream_pending = (long)r->element[0]->integer;
}

static void on_stats_timer(evutil_socket_t fd, short what, void *arg)
{
    struct consume *c = arg;
    if (c->group_ready)
        notifier_redis(c->n, on_pending_summary, c, "XPENDING %s %s", c->n->key_stream,
                       NOTIFIER_GROUP);
}

static void on_kick(evutil_socket_t fd, short what, void *arg)
{
    struct consume *c = arg;
    flush_acks(c);
    start_read(c);
}

struct consume *consume_new(struct notifier *n)
{
    struct consume *c = calloc(1, sizeof(*c));
    if (!c)
        return NULL;
    c->n = n;
    snprintf(c->claim_cursor, sizeof(c->claim_cursor), "0-0");
    c->kick = event_new(n->base, -1, 0, on_kick, c);
    c->retry = evtimer_new(n->base, on_retry_timer, c);
    c->claim_tm = evtimer_new(n->base, on_claim_timer, c);
    c->beat_tm = event_new(n->base, -1, EV_PERSIST, on_beat_timer, c);
    c->stats_tm = event_new(n->base, -1, EV_PERSIST, on_stats_timer, c);
    if (!c->kick || !c->retry || !c->claim_tm || !c->beat_tm || !c->stats_tm)
        goto fail;
    long beat_ms = n->cfg->claim_idle_s * 1000L / 3;
    struct timeval beat = {beat_ms / 1000, (beat_ms % 1000) * 1000};
    struct timeval stats = {5, 0};
    struct timeval first = {0, 200000};
    if (event_add(c->beat_tm, &beat) != 0 || event_add(c->stats_tm, &stats) != 0 ||
        evtimer_add(c->claim_tm, &first) != 0)
        goto fail;
    return c;
fail:
    consume_free(c);
    return NULL;
}

void consume_free(struct consume *c)
{
    if (!c)
        return;
    while (c->jobs) {
        struct job *j = c->jobs;
        job_unlink(c, j);
        alertmsg_clear(&j->ev);
        free(j);
    }
    for (int i = 0; i < c->nacks; i++)
        free(c->acks[i]);
    if (c->kick)
        event_free(c->kick);
    if (c->retry)
        event_free(c->retry);
    if (c->claim_tm)
        event_free(c->claim_tm);
    if (c->beat_tm)
        event_free(c->beat_tm);
    if (c->stats_tm)
        event_free(c->stats_tm);
    free(c);
}

void consume_kick(struct consume *c)
{
    defer(c);
}

void consume_stop(struct consume *c)
{
    c->stopped = 1;
    evtimer_del(c->claim_tm);
    evtimer_del(c->retry);
    defer(c); /* acknowledgements still go out */
}
