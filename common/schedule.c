/* schedule: see schedule.h. Each operation is one Lua script, so a reader never sees a
 * schedule entry without its spec or the other way round. */
#include "common/schedule.h"

#include <stdio.h>

#include "common/log.h"
#include "common/redis.h"

/* KEYS: schedule, spec key. ARGV: id, spec, due. */
static const char put_script[] = "redis.call('SET', KEYS[2], ARGV[2])\n"
                                 "redis.call('ZADD', KEYS[1], ARGV[3], ARGV[1])\n"
                                 "return 1\n";

/* KEYS: schedule, spec, state, latency window. ARGV: id. */
static const char remove_script[] = "redis.call('ZREM', KEYS[1], ARGV[1])\n"
                                    "redis.call('DEL', KEYS[2], KEYS[3], KEYS[4])\n"
                                    "return 1\n";

/* KEYS: schedule, spec. ARGV: id, due. */
static const char due_script[] = "if redis.call('EXISTS', KEYS[2]) == 0 then return 0 end\n"
                                 "redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])\n"
                                 "return 1\n";

/* Runs a script; returns its integer result, or -1 (logged) on any failure. */
static long long run_script(struct redis *redis, int argc, const char **argv, int64_t id)
{
    redisReply *reply = redis_command_argv(redis, argc, argv, NULL);
    long long rc = -1;

    if (!reply)
        log_warn("schedule: monitor %lld: Redis unreachable: %s", (long long)id,
                 redis_last_error(redis));
    else if (reply->type == REDIS_REPLY_INTEGER)
        rc = reply->integer;
    else
        log_error("schedule: monitor %lld: Redis refused: %s", (long long)id,
                  reply->type == REDIS_REPLY_ERROR ? reply->str : "unexpected reply");
    freeReplyObject(reply);
    return rc;
}

int schedule_put(struct redis *redis, const char *prefix, int64_t id, const char *spec,
                 int64_t due_ms)
{
    char sched[96], key[96], ids[24], due[24];
    const char *argv[] = {"EVAL", put_script, "2", sched, key, ids, spec, due};

    snprintf(sched, sizeof(sched), "%sschedule", prefix);
    snprintf(key, sizeof(key), "%smonitor:%lld", prefix, (long long)id);
    snprintf(ids, sizeof(ids), "%lld", (long long)id);
    snprintf(due, sizeof(due), "%lld", (long long)due_ms);
    return run_script(redis, 8, argv, id) == 1 ? 0 : -1;
}

int schedule_remove(struct redis *redis, const char *prefix, int64_t id)
{
    char sched[96], key[96], state[96], lat[96], ids[24];
    const char *argv[] = {"EVAL", remove_script, "4", sched, key, state, lat, ids};

    snprintf(sched, sizeof(sched), "%sschedule", prefix);
    snprintf(key, sizeof(key), "%smonitor:%lld", prefix, (long long)id);
    snprintf(state, sizeof(state), "%sstate:%lld", prefix, (long long)id);
    snprintf(lat, sizeof(lat), "%slat:%lld", prefix, (long long)id);
    snprintf(ids, sizeof(ids), "%lld", (long long)id);
    return run_script(redis, 8, argv, id) == 1 ? 0 : -1;
}

int schedule_due(struct redis *redis, const char *prefix, int64_t id, int64_t due_ms)
{
    char sched[96], key[96], ids[24], due[24];
    const char *argv[] = {"EVAL", due_script, "2", sched, key, ids, due};

    snprintf(sched, sizeof(sched), "%sschedule", prefix);
    snprintf(key, sizeof(key), "%smonitor:%lld", prefix, (long long)id);
    snprintf(ids, sizeof(ids), "%lld", (long long)id);
    snprintf(due, sizeof(due), "%lld", (long long)due_ms);
    return (int)run_script(redis, 7, argv, id);
}
