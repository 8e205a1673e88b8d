/* reconcile: see reconcile.h. */
#include "runner/reconcile.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/db.h"
#include "common/log.h"
#include "common/redis.h"
#include "common/schedule.h"
#include "common/timeutil.h"

#define KEY_MAX 160
#define ID_TEXT 24
#define STR_(x) #x
#define STR(x) STR_(x)

/* KEYS[1] schedule. ARGV[1] prefix, then id, version pairs. Returns the ids whose
 * schedule entry or spec is missing or whose spec has another version. The version is
 * the last key MONITOR_SPEC_SQL writes; anchoring the pattern at the end keeps text in
 * names, headers or bodies from matching. */
static const char check_lua[] =
    "local out = {}\n"
    "for i = 2, #ARGV, 2 do\n"
    "  local id, ver = ARGV[i], ARGV[i + 1]\n"
    "  local spec = redis.call('GET', ARGV[1] .. 'monitor:' .. id)\n"
    "  local sv = spec and string.match(spec, '\"version\"%s*:%s*(%d+)%s*}%s*$')\n"
    "  if sv ~= ver or not redis.call('ZSCORE', KEYS[1], id) then out[#out + 1] = id end\n"
    "end\n"
    "return out\n";

/* KEYS[1] schedule. ARGV[1] prefix, then id, spec, due triples. A monitor on the
 * schedule keeps its due time. */
static const char repair_lua[] = "for i = 2, #ARGV, 3 do\n"
                                 "  local id = ARGV[i]\n"
                                 "  redis.call('SET', ARGV[1] .. 'monitor:' .. id, ARGV[i + 1])\n"
                                 "  redis.call('ZADD', KEYS[1], 'NX', ARGV[i + 2], id)\n"
                                 "end\n"
                                 "return 1\n";

/* KEYS[1] schedule. ARGV[1] prefix, then ids. */
static const char remove_lua[] =
    "for i = 2, #ARGV do\n"
    "  local id = ARGV[i]\n"
    "  redis.call('ZREM', KEYS[1], id)\n"
    "  redis.call('DEL', ARGV[1] .. 'monitor:' .. id, ARGV[1] .. 'state:' .. id,"
    " ARGV[1] .. 'lat:' .. id)\n"
    "end\n"
    "return 1\n";

/* A growable argv for one script call. */
struct args {
    const char **v;
    size_t *lens;
    char (*owned)[ID_TEXT];
    int n, cap;
};

static int args_init(struct args *a, int cap)
{
    a->v = calloc((size_t)cap, sizeof(*a->v));
    a->lens = calloc((size_t)cap, sizeof(*a->lens));
    a->owned = calloc((size_t)cap, sizeof(*a->owned));
    a->n = 0;
    a->cap = cap;
    return a->v && a->lens && a->owned ? 0 : -1;
}

static void args_free(struct args *a)
{
    free(a->v);
    free(a->lens);
    free(a->owned);
    memset(a, 0, sizeof(*a));
}

static void args_add(struct args *a, const char *s)
{
    if (a->n < a->cap) {
        a->v[a->n] = s;
        a->lens[a->n] = strlen(s);
        a->n++;
    }
}

static void args_add_int(struct args *a, long long v)
{
    if (a->n < a->cap) {
        snprintf(a->owned[a->n], ID_TEXT, "%lld", v);
        args_add(a, a->owned[a->n]);
    }
}

/* Runs a script; returns the reply (caller frees) or NULL (logged). */
static redisReply *eval(struct redis *redis, struct args *a)
{
    redisReply *r = redis_command_argv(redis, a->n, a->v, a->lens);

    if (!r) {
        log_warn("reconcile: Redis unreachable: %s", redis_last_error(redis));
        return NULL;
    }
    if (r->type == REDIS_REPLY_ERROR) {
        log_error("reconcile: Redis refused a script: %s", r->str);
        freeReplyObject(r);
        return NULL;
    }
    return r;
}

int64_t reconcile_spread_due(int64_t id, int interval_s, int64_t now_ms)
{
    uint64_t h = (uint64_t)id * 0x9E3779B97F4A7C15ULL;
    int64_t span = (int64_t)(interval_s > 0 ? interval_s : 1) * 1000;

    h ^= h >> 29;
    return now_ms + (int64_t)(h % (uint64_t)span);
}

/* "{1,2,3}" from the ids of a reply array. New string. */
static char *id_array(const redisReply *r)
{
    size_t cap = 3 + r->elements * ID_TEXT, len = 0;
    char *s = malloc(cap);

    if (!s)
        return NULL;
    s[len++] = '{';
    for (size_t i = 0; i < r->elements; i++)
        len += (size_t)snprintf(s + len, cap - len, "%s%lld", i ? "," : "",
                                strtoll(r->element[i]->str, NULL, 10));
    s[len++] = '}';
    s[len] = '\0';
    return s;
}

/* Fixes the ids a check reported: specs from PostgreSQL, due times as decided. */
static int repair(struct db *db, struct redis *redis, const char *prefix, const char *sched,
                  const redisReply *ids, int spread, struct reconcile_stats *st)
{
    static const char sql[] = "SELECT m.id, " MONITOR_SPEC_SQL ", m.\"interval\""
                              " FROM monitors m WHERE m.id = ANY($1::bigint[]) AND m.is_active";
    char *arr = id_array(ids);
    const char *params[1] = {arr};
    PGresult *res = NULL;
    struct args a = {0};
    redisReply *r = NULL;
    int64_t now = time_now_ms();
    int rc = -1, n;

    if (!arr)
        goto out;
    if (db_exec(db, &res, sql, 1, params) != DB_OK) {
        log_warn("reconcile: PostgreSQL: %s", db_last_error(db));
        goto out;
    }
    n = PQntuples(res);
    if (n == 0) {
        rc = 0;
        goto out;
    }
    if (args_init(&a, 5 + 3 * n) != 0)
        goto out;
    args_add(&a, "EVAL");
    args_add(&a, repair_lua);
    args_add(&a, "1");
    args_add(&a, sched);
    args_add(&a, prefix);
    for (int i = 0; i < n; i++) {
        int64_t id = db_int64(res, i, 0);
        int interval = (int)db_int64(res, i, 2);
        args_add(&a, PQgetvalue(res, i, 0));
        args_add(&a, PQgetvalue(res, i, 1));
        args_add_int(&a, spread ? reconcile_spread_due(id, interval, now) : now);
    }
    r = eval(redis, &a);
    if (!r)
        goto out;
    st->repaired += n;
    rc = 0;
out:
    freeReplyObject(r);
    args_free(&a);
    PQclear(res);
    free(arr);
    return rc;
}

static int forward(struct db *db, struct redis *redis, const char *prefix, const char *sched,
                   int spread, struct reconcile_stats *st, reconcile_tick_fn tick, void *arg)
{
    static const char sql[] = "SELECT id, version FROM monitors WHERE is_active AND id > $1"
                              " ORDER BY id LIMIT " STR(RECONCILE_PAGE);
    char after[ID_TEXT] = "0";
    struct args a = {0};
    int rc = -1;

    if (args_init(&a, 5 + 2 * RECONCILE_PAGE) != 0)
        return -1;
    for (;;) {
        const char *params[1] = {after};
        PGresult *res = NULL;
        redisReply *r;
        int n;

        if (tick && tick(arg) != 0)
            break;
        if (db_exec(db, &res, sql, 1, params) != DB_OK) {
            log_warn("reconcile: PostgreSQL: %s", db_last_error(db));
            goto out;
        }
        n = PQntuples(res);
        if (n == 0) {
            PQclear(res);
            break;
        }
        st->active += n;
        a.n = 0;
        args_add(&a, "EVAL");
        args_add(&a, check_lua);
        args_add(&a, "1");
        args_add(&a, sched);
        args_add(&a, prefix);
        for (int i = 0; i < n; i++) {
            args_add(&a, PQgetvalue(res, i, 0));
            args_add(&a, PQgetvalue(res, i, 1));
        }
        r = eval(redis, &a);
        snprintf(after, sizeof(after), "%s", PQgetvalue(res, n - 1, 0));
        PQclear(res);
        if (!r)
            goto out;
        if (r->type == REDIS_REPLY_ARRAY && r->elements > 0 &&
            repair(db, redis, prefix, sched, r, spread, st) != 0) {
            freeReplyObject(r);
            goto out;
        }
        freeReplyObject(r);
        if (n < RECONCILE_PAGE)
            break;
    }
    rc = 0;
out:
    args_free(&a);
    return rc;
}

/* Removes, among ids (a reply array of id strings), those PostgreSQL has not as active. */
static int drop_inactive(struct db *db, struct redis *redis, const char *prefix, const char *sched,
                         const redisReply *ids, struct reconcile_stats *st)
{
    static const char sql[] = "SELECT x FROM unnest($1::bigint[]) x WHERE NOT EXISTS"
                              " (SELECT 1 FROM monitors m WHERE m.id = x AND m.is_active)";
    char *arr;
    const char *params[1];
    PGresult *res = NULL;
    struct args a = {0};
    redisReply *r = NULL;
    int rc = -1, n;

    if (ids->elements == 0)
        return 0;
    arr = id_array(ids);
    if (!arr)
        return -1;
    params[0] = arr;
    if (db_exec(db, &res, sql, 1, params) != DB_OK) {
        log_warn("reconcile: PostgreSQL: %s", db_last_error(db));
        goto out;
    }
    n = PQntuples(res);
    if (n == 0) {
        rc = 0;
        goto out;
    }
    if (args_init(&a, 5 + n) != 0)
        goto out;
    args_add(&a, "EVAL");
    args_add(&a, remove_lua);
    args_add(&a, "1");
    args_add(&a, sched);
    args_add(&a, prefix);
    for (int i = 0; i < n; i++)
        args_add(&a, PQgetvalue(res, i, 0));
    r = eval(redis, &a);
    if (!r)
        goto out;
    st->removed += n;
    log_info("reconcile: removed %d monitors that are not active from the schedule", n);
    rc = 0;
out:
    freeReplyObject(r);
    args_free(&a);
    PQclear(res);
    free(arr);
    return rc;
}

/* Walks the schedule (ZSCAN) or the spec keys (SCAN), checking each page of ids. */
static int backward(struct db *db, struct redis *redis, const char *prefix, const char *sched,
                    int specs, struct reconcile_stats *st, reconcile_tick_fn tick, void *arg)
{
    char cursor[32] = "0", pattern[KEY_MAX];
    size_t plen = strlen(prefix) + strlen("monitor:");

    snprintf(pattern, sizeof(pattern), "%smonitor:*", prefix);
    do {
        redisReply *r, *ids;
        if (tick && tick(arg) != 0)
            return 0;
        if (specs)
            r = redis_command(redis, "SCAN %s MATCH %s COUNT %d", cursor, pattern, RECONCILE_PAGE);
        else
            r = redis_command(redis, "ZSCAN %s %s COUNT %d", sched, cursor, RECONCILE_PAGE);
        if (!r || r->type != REDIS_REPLY_ARRAY || r->elements != 2) {
            log_warn("reconcile: Redis %s failed: %s", specs ? "SCAN" : "ZSCAN",
                     r ? "unexpected reply" : redis_last_error(redis));
            freeReplyObject(r);
            return -1;
        }
        snprintf(cursor, sizeof(cursor), "%s", r->element[0]->str);
        ids = r->element[1];
        /* Spec keys become ids in place; ZSCAN pairs become ids by keeping members. */
        {
            size_t k = 0;
            for (size_t i = 0; i < ids->elements; i += specs ? 1 : 2) {
                redisReply *e = ids->element[i];
                const char *s = specs ? e->str + plen : e->str;
                if (e->type != REDIS_REPLY_STRING || (specs && e->len <= plen) ||
                    strspn(s, "0123456789") != strlen(s) || !*s)
                    continue;
                if (specs)
                    memmove(e->str, s, strlen(s) + 1);
                ids->element[i] = ids->element[k];
                ids->element[k++] = e;
            }
            {
                size_t all = ids->elements;
                int rc;
                ids->elements = k;
                rc = drop_inactive(db, redis, prefix, sched, ids, st);
                ids->elements = all;
                if (rc != 0) {
                    freeReplyObject(r);
                    return -1;
                }
            }
        }
        freeReplyObject(r);
    } while (strcmp(cursor, "0") != 0);
    return 0;
}

int reconcile_run(struct db *db, struct redis *redis, const char *prefix,
                  struct reconcile_stats *st, reconcile_tick_fn tick, void *arg)
{
    char sched[KEY_MAX];
    PGresult *res = NULL;
    redisReply *r;
    long long active, scheduled;

    memset(st, 0, sizeof(*st));
    snprintf(sched, sizeof(sched), "%sschedule", prefix);
    /* How many are missing decides whether their due times are spread. */
    if (db_exec(db, &res, "SELECT count(*) FROM monitors WHERE is_active", 0, NULL) != DB_OK) {
        log_warn("reconcile: PostgreSQL: %s", db_last_error(db));
        return -1;
    }
    active = db_int64(res, 0, 0);
    PQclear(res);
    r = redis_command(redis, "ZCARD %s", sched);
    if (!r || r->type != REDIS_REPLY_INTEGER) {
        log_warn("reconcile: Redis ZCARD failed: %s",
                 r ? "unexpected reply" : redis_last_error(redis));
        freeReplyObject(r);
        return -1;
    }
    scheduled = r->integer;
    freeReplyObject(r);
    st->spread = active - scheduled > RECONCILE_SPREAD_OVER;

    /* Backward first: it reads Redis before PostgreSQL, which is what keeps a monitor the
     * api creates meanwhile safe (see reconcile.h). */
    if (backward(db, redis, prefix, sched, 0, st, tick, arg) != 0 ||
        backward(db, redis, prefix, sched, 1, st, tick, arg) != 0 ||
        forward(db, redis, prefix, sched, st->spread, st, tick, arg) != 0)
        return -1;
    return 0;
}
