/* claim: see claim.h. */
#include "runner/claim.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/redis_async.h"
#include "common/timeutil.h"
#include "runner/check.h"
#include "runner/metrics.h"
#include "runner/rscript.h"
#include "runner/runner.h"

#define CLAIM_POLL_MAX_MS 200 /* an idle runner looks at the schedule this often */
#define CLAIM_RETRY_MS 500    /* after Redis failed to answer */
#define CLAIM_DEFAULT_TIMEOUT "10000"
#define KEY_MAX 160

/* KEYS[1] schedule. ARGV: now, k, lease margin, prefix, default timeout.
 * Returns {{id, due, lease, spec, {state field, value, ...}, {latency, ...}}, ...},
 * and the earliest score left (or nil). The timeout and window are read from the spec
 * text with patterns: they are plain integers that MONITOR_SPEC_SQL writes at top level
 * ("key" : 123), and a pattern cannot match inside a JSON string, where quotes are
 * escaped. */
static const char claim_lua[] =
    "local now = tonumber(ARGV[1])\n"
    "local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'WITHSCORES', 'LIMIT', 0,"
    " tonumber(ARGV[2]))\n"
    "local out = {}\n"
    "for i = 1, #due, 2 do\n"
    "  local id = due[i]\n"
    "  local spec = redis.call('GET', ARGV[4] .. 'monitor:' .. id)\n"
    "  if not spec then\n"
    "    redis.call('ZREM', KEYS[1], id)\n"
    "  else\n"
    "    local t = tonumber(string.match(spec, '\"timeout_ms\"%s*:%s*(%d+)')) or"
    " tonumber(ARGV[5])\n"
    "    local w = tonumber(string.match(spec, '\"anomaly_window\"%s*:%s*(%d+)')) or 50\n"
    "    local lease = now + t + tonumber(ARGV[3])\n"
    "    redis.call('ZADD', KEYS[1], lease, id)\n"
    "    local st = redis.call('HGETALL', ARGV[4] .. 'state:' .. id)\n"
    "    local lat = redis.call('LRANGE', ARGV[4] .. 'lat:' .. id, 0, w - 1)\n"
    "    out[#out + 1] = {id, due[i + 1], tostring(lease), spec, st, lat}\n"
    "  end\n"
    "end\n"
    "local nxt = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')\n"
    "return {out, nxt[2] or false}\n";

/* KEYS: schedule, spec, state, latency window. ARGV: id, lease, next due, status, fails,
 * fail since, latency to push or "", window, want anomaly alert, now, cooldown until.
 * A monitor whose spec is gone was paused or deleted meanwhile: nothing is written for
 * it. Returns 1 when the anomaly cooldown was taken for this call. */
static const char complete_lua[] =
    "if redis.call('EXISTS', KEYS[2]) == 0 then\n"
    "  redis.call('ZREM', KEYS[1], ARGV[1])\n"
    "  return 0\n"
    "end\n"
    "local cur = redis.call('ZSCORE', KEYS[1], ARGV[1])\n"
    "if cur and tonumber(cur) == tonumber(ARGV[2]) then\n"
    "  redis.call('ZADD', KEYS[1], ARGV[3], ARGV[1])\n"
    "end\n"
    "redis.call('HSET', KEYS[3], 'status', ARGV[4], 'fails', ARGV[5], 'fail_since', ARGV[6])\n"
    "if ARGV[7] ~= '' then\n"
    "  redis.call('LPUSH', KEYS[4], ARGV[7])\n"
    "  redis.call('LTRIM', KEYS[4], 0, tonumber(ARGV[8]) - 1)\n"
    "end\n"
    "if ARGV[9] == '1' then\n"
    "  local untl = tonumber(redis.call('HGET', KEYS[3], 'anomaly_until') or '0') or 0\n"
    "  if tonumber(ARGV[10]) >= untl then\n"
    "    redis.call('HSET', KEYS[3], 'anomaly_until', ARGV[11])\n"
    "    return 1\n"
    "  end\n"
    "end\n"
    "return 0\n";

/* KEYS: schedule. ARGV: id, lease, due. */
static const char release_lua[] = "local cur = redis.call('ZSCORE', KEYS[1], ARGV[1])\n"
                                  "if cur and tonumber(cur) == tonumber(ARGV[2]) then\n"
                                  "  redis.call('ZADD', KEYS[1], ARGV[3], ARGV[1])\n"
                                  "  return 1\n"
                                  "end\n"
                                  "return 0\n";

struct claim {
    struct runner *r;
    struct rscript claim_s, complete_s, release_s;
    struct event *timer;
    char schedule_key[KEY_MAX];
    int outstanding; /* a claim is waiting for its answer */
    int requested;   /* how many it asked for */
    int stopped;
};

/* A completion or release waiting for Redis. */
struct pending {
    struct check *chk;
    claim_complete_fn fn;
    void *arg;
};

static void arm(struct claim *c, int64_t ms)
{
    struct timeval tv = {(time_t)(ms / 1000), (suseconds_t)((ms % 1000) * 1000)};

    if (c->stopped)
        return;
    if (evtimer_add(c->timer, &tv) != 0)
        log_error("claim: cannot arm the claim timer");
}

static int64_t reply_int(const redisReply *r)
{
    if (!r)
        return 0;
    if (r->type == REDIS_REPLY_INTEGER)
        return r->integer;
    if (r->type == REDIS_REPLY_STRING)
        return (int64_t)strtod(r->str, NULL);
    return 0;
}

/* The state hash, as a flat array of field, value. */
static void parse_state(struct check *chk, const redisReply *st)
{
    if (!st || st->type != REDIS_REPLY_ARRAY)
        return;
    for (size_t i = 0; i + 1 < st->elements; i += 2) {
        const redisReply *k = st->element[i], *v = st->element[i + 1];
        if (k->type != REDIS_REPLY_STRING || v->type != REDIS_REPLY_STRING)
            continue;
        if (strcmp(k->str, "status") == 0)
            chk->state.status = mon_status_parse(v->str);
        else if (strcmp(k->str, "fails") == 0)
            chk->state.fails = atoi(v->str);
        else if (strcmp(k->str, "fail_since") == 0)
            chk->state.fail_since_ms = strtoll(v->str, NULL, 10);
        else if (strcmp(k->str, "anomaly_until") == 0)
            chk->anomaly_until_ms = strtoll(v->str, NULL, 10);
    }
    if (chk->state.fails < 0)
        chk->state.fails = 0;
}

static int parse_window(struct check *chk, const redisReply *lat)
{
    if (!lat || lat->type != REDIS_REPLY_ARRAY || lat->elements == 0)
        return 0;
    chk->window = malloc(lat->elements * sizeof(double));
    if (!chk->window)
        return -1;
    for (size_t i = 0; i < lat->elements; i++) {
        const redisReply *v = lat->element[i];
        if (v->type == REDIS_REPLY_STRING)
            chk->window[chk->nwindow++] = strtod(v->str, NULL);
    }
    return 0;
}

/* Builds a check from one claimed item and hands it to the runner. */
static void take_item(struct claim *c, const redisReply *item)
{
    struct check *chk;
    char err[256];

    if (item->type != REDIS_REPLY_ARRAY || item->elements < 6 ||
        item->element[3]->type != REDIS_REPLY_STRING) {
        log_error("claim: malformed item in the claim script's answer");
        return;
    }
    chk = calloc(1, sizeof(*chk));
    if (!chk) {
        log_error("claim: out of memory; the monitor comes due again when its lease ends");
        return;
    }
    chk->runner = c->r;
    chk->id = strtoll(item->element[0]->str, NULL, 10);
    chk->due_ms = reply_int(item->element[1]);
    chk->lease_ms = reply_int(item->element[2]);
    chk->spec = spec_parse(item->element[3]->str, item->element[3]->len, err, sizeof(err));
    if (!chk->spec || chk->spec->id != chk->id) {
        /* Left on its lease: the reconciler rewrites specs whose version is wrong, and a
         * broken one is logged every time it comes due rather than silently skipped. */
        log_error("monitor %lld: unusable spec: %s", (long long)chk->id,
                  chk->spec ? "id does not match the key" : err);
        spec_free(chk->spec);
        free(chk);
        return;
    }
    parse_state(chk, item->element[4]);
    if (parse_window(chk, item->element[5]) != 0) {
        log_error("monitor %lld: out of memory for the latency window", (long long)chk->id);
        spec_free(chk->spec);
        free(chk);
        return;
    }
    runner_start_check(c->r, chk);
}

static void on_claim_reply(redisReply *reply, void *arg)
{
    struct claim *c = arg;
    const redisReply *items, *next;
    int64_t now = time_now_ms(), wait_ms = CLAIM_POLL_MAX_MS;

    c->outstanding = 0;
    if (!reply || reply->type != REDIS_REPLY_ARRAY || reply->elements != 2 ||
        reply->element[0]->type != REDIS_REPLY_ARRAY) {
        if (reply && reply->type != REDIS_REPLY_ERROR)
            log_error("claim: unexpected answer from the claim script");
        arm(c, CLAIM_RETRY_MS);
        return;
    }
    items = reply->element[0];
    next = reply->element[1];
    metrics_claimed((int)items->elements);
    for (size_t i = 0; i < items->elements; i++)
        take_item(c, items->element[i]);
    if ((int)items->elements >= c->requested) {
        wait_ms = 0; /* there may be more due right now */
    } else if (next->type == REDIS_REPLY_STRING) {
        int64_t due = reply_int(next);
        wait_ms = due <= now ? 0 : due - now;
        if (wait_ms > CLAIM_POLL_MAX_MS)
            wait_ms = CLAIM_POLL_MAX_MS;
    }
    arm(c, wait_ms);
}

static void send_claim(struct claim *c, int k)
{
    char now[24], kbuf[16], margin[16];
    const char *args[6];
    size_t lens[6];

    snprintf(now, sizeof(now), "%lld", (long long)time_now_ms());
    snprintf(kbuf, sizeof(kbuf), "%d", k);
    snprintf(margin, sizeof(margin), "%d", c->r->cfg->lease_margin_ms);
    args[0] = c->schedule_key;
    args[1] = now;
    args[2] = kbuf;
    args[3] = margin;
    args[4] = c->r->prefix;
    args[5] = CLAIM_DEFAULT_TIMEOUT;
    for (int i = 0; i < 6; i++)
        lens[i] = strlen(args[i]);
    if (rscript_call(c->r->redis, &c->claim_s, 1, 6, args, lens, on_claim_reply, c) != 0) {
        arm(c, CLAIM_RETRY_MS);
        return;
    }
    evtimer_del(c->timer);
    c->outstanding = 1;
    c->requested = k;
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
    struct claim *c = arg;
    int free_slots = runner_free_capacity(c->r);

    if (c->stopped || c->outstanding)
        return;
    if (free_slots <= 0) {
        arm(c, CLAIM_POLL_MAX_MS);
        return;
    }
    send_claim(c, free_slots < c->r->cfg->claim_batch ? free_slots : c->r->cfg->claim_batch);
}

struct claim *claim_new(struct runner *r)
{
    struct claim *c = calloc(1, sizeof(*c));

    if (!c)
        return NULL;
    c->r = r;
    c->claim_s = (struct rscript){.name = "claim", .body = claim_lua};
    c->complete_s = (struct rscript){.name = "complete", .body = complete_lua};
    c->release_s = (struct rscript){.name = "release", .body = release_lua};
    snprintf(c->schedule_key, sizeof(c->schedule_key), "%sschedule", r->prefix);
    c->timer = evtimer_new(r->base, on_timer, c);
    if (!c->timer || rscript_init(&c->claim_s) != 0 || rscript_init(&c->complete_s) != 0 ||
        rscript_init(&c->release_s) != 0) {
        claim_free(c);
        return NULL;
    }
    return c;
}

void claim_free(struct claim *c)
{
    if (!c)
        return;
    if (c->timer)
        event_free(c->timer);
    free(c);
}

void claim_on_connect(struct claim *c)
{
    /* A claim sent on the lost connection was answered with NULL already. */
    if (!c->outstanding)
        arm(c, 0);
}

void claim_kick(struct claim *c)
{
    int free_slots, chunk;

    if (c->stopped || c->outstanding)
        return;
    free_slots = runner_free_capacity(c->r);
    /* Claiming for every freed slot would cost a round trip per check; a quarter of
     * the capacity (or a full batch) is worth one. The timer takes the rest. */
    chunk = c->r->cfg->max_inflight / 4;
    if (chunk > c->r->cfg->claim_batch)
        chunk = c->r->cfg->claim_batch;
    if (chunk < 1)
        chunk = 1;
    if (free_slots >= chunk)
        arm(c, 0);
}

void claim_stop(struct claim *c)
{
    c->stopped = 1;
    evtimer_del(c->timer);
}

int claim_outstanding(const struct claim *c)
{
    return c->outstanding;
}

static void on_complete_reply(redisReply *reply, void *arg)
{
    struct pending *p = arg;
    int rc = -1;

    if (reply && reply->type == REDIS_REPLY_INTEGER)
        rc = reply->integer == 1;
    if (p->fn)
        p->fn(p->chk, rc, p->arg);
    free(p);
}

static int call_with_keys(struct claim *c, struct rscript *s, struct check *chk, int nkeys,
                          int nargs, const char **args, claim_complete_fn fn, void *arg)
{
    size_t lens[16];
    struct pending *p = malloc(sizeof(*p));

    if (!p)
        return -1;
    p->chk = chk;
    p->fn = fn;
    p->arg = arg;
    for (int i = 0; i < nargs; i++)
        lens[i] = strlen(args[i]);
    if (rscript_call(c->r->redis, s, nkeys, nargs, args, lens, on_complete_reply, p) != 0) {
        free(p);
        return -1;
    }
    return 0;
}

int claim_complete(struct claim *c, struct check *chk, const struct claim_completion *cc,
                   claim_complete_fn fn, void *arg)
{
    char spec_key[KEY_MAX], state_key[KEY_MAX], lat_key[KEY_MAX];
    char id[24], lease[24], next[24], fails[16], since[24], lat[32], window[16], now[24], until[24];
    const char *args[15];

    snprintf(spec_key, sizeof(spec_key), "%smonitor:%lld", c->r->prefix, (long long)chk->id);
    snprintf(state_key, sizeof(state_key), "%sstate:%lld", c->r->prefix, (long long)chk->id);
    snprintf(lat_key, sizeof(lat_key), "%slat:%lld", c->r->prefix, (long long)chk->id);
    snprintf(id, sizeof(id), "%lld", (long long)chk->id);
    snprintf(lease, sizeof(lease), "%lld", (long long)chk->lease_ms);
    snprintf(next, sizeof(next), "%lld", (long long)cc->next_due_ms);
    snprintf(fails, sizeof(fails), "%d", chk->state.fails);
    snprintf(since, sizeof(since), "%lld", (long long)chk->state.fail_since_ms);
    if (cc->push_latency)
        snprintf(lat, sizeof(lat), "%.3f", cc->latency_ms);
    else
        lat[0] = '\0';
    snprintf(window, sizeof(window), "%d", chk->spec->anomaly_window);
    snprintf(now, sizeof(now), "%lld", (long long)cc->now_ms);
    snprintf(until, sizeof(until), "%lld", (long long)cc->cooldown_until_ms);
    args[0] = c->schedule_key;
    args[1] = spec_key;
    args[2] = state_key;
    args[3] = lat_key;
    args[4] = id;
    args[5] = lease;
    args[6] = next;
    args[7] = mon_status_name(chk->state.status);
    args[8] = fails;
    args[9] = since;
    args[10] = lat;
    args[11] = window;
    args[12] = cc->want_anomaly_alert ? "1" : "0";
    args[13] = now;
    args[14] = until;
    return call_with_keys(c, &c->complete_s, chk, 4, 15, args, fn, arg);
}

int claim_release(struct claim *c, struct check *chk, claim_complete_fn fn, void *arg)
{
    char id[24], lease[24], due[24];
    const char *args[4];

    snprintf(id, sizeof(id), "%lld", (long long)chk->id);
    snprintf(lease, sizeof(lease), "%lld", (long long)chk->lease_ms);
    snprintf(due, sizeof(due), "%lld", (long long)time_now_ms());
    args[0] = c->schedule_key;
    args[1] = id;
    args[2] = lease;
    args[3] = due;
    return call_with_keys(c, &c->release_s, chk, 1, 4, args, fn, arg);
}
