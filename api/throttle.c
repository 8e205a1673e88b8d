/* throttle: see throttle.h. */
#include "api/throttle.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/crypto.h"
#include "common/log.h"
#include "common/redis.h"
#include "common/timeutil.h"

#define LOCAL_SLOTS 4096
#define LOCAL_MAX_HITS 32 /* the highest limit the local fallback can enforce */

/* KEYS[1] the key; ARGV now_ms, window_ms, limit, member. Returns 0 when the hit is
 * recorded, else the milliseconds until the oldest hit leaves the window. */
static const char script[] =
    "local now, window, limit = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])\n"
    "redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)\n"
    "if redis.call('ZCARD', KEYS[1]) >= limit then\n"
    "  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')\n"
    "  return math.max(1, tonumber(oldest[2]) + window - now)\n"
    "end\n"
    "redis.call('ZADD', KEYS[1], now, ARGV[4])\n"
    "redis.call('PEXPIRE', KEYS[1], window)\n"
    "return 0\n";

struct local_slot {
    char key[CRYPTO_SHA256_HEX_LEN + 1];
    int64_t hits[LOCAL_MAX_HITS]; /* ring of hit times, ms */
    int count, next;
};

static struct local_slot local_slots[LOCAL_SLOTS];
static pthread_mutex_t local_lock = PTHREAD_MUTEX_INITIALIZER;

static int wait_seconds(int64_t ms)
{
    return (int)((ms + 999) / 1000);
}

/* One slot per key hash; a colliding key takes the slot over, which can only make the
 * limit more lenient for the two keys, never stricter. */
static int local_hit(const char *full_key, int limit, int64_t now, int64_t window)
{
    char digest[CRYPTO_SHA256_HEX_LEN + 1];
    struct local_slot *s;
    int64_t oldest = INT64_MAX;
    int live = 0, wait = 0;

    if (limit > LOCAL_MAX_HITS)
        limit = LOCAL_MAX_HITS;
    crypto_sha256_hex(full_key, strlen(full_key), digest);
    pthread_mutex_lock(&local_lock);
    s = &local_slots[strtoul(digest + 56, NULL, 16) % LOCAL_SLOTS];
    if (strcmp(s->key, digest) != 0) {
        memset(s, 0, sizeof(*s));
        memcpy(s->key, digest, sizeof(digest));
    }
    for (int i = 0; i < s->count; i++) {
        if (s->hits[i] > now - window) {
            live++;
            if (s->hits[i] < oldest)
                oldest = s->hits[i];
        }
    }
    if (live >= limit) {
        wait = wait_seconds(oldest + window - now);
    } else {
        s->hits[s->next] = now;
        s->next = (s->next + 1) % limit;
        if (s->count < limit)
            s->count++;
    }
    pthread_mutex_unlock(&local_lock);
    return wait;
}

int throttle_hit(struct redis *redis, const char *prefix, const char *scope, const char *key,
                 int limit, int window_s)
{
    char full_key[256], now_s[24], window_s_ms[24], limit_s[16], member[48];
    unsigned char nonce[8];
    int64_t now = time_now_ms();
    redisReply *reply;
    int wait;

    snprintf(full_key, sizeof(full_key), "%sthrottle:%s:%s", prefix, scope, key);
    snprintf(now_s, sizeof(now_s), "%lld", (long long)now);
    snprintf(window_s_ms, sizeof(window_s_ms), "%lld", (long long)window_s * 1000);
    snprintf(limit_s, sizeof(limit_s), "%d", limit);
    /* Two hits in the same millisecond must both count: make each member unique. */
    crypto_random_bytes(nonce, sizeof(nonce));
    snprintf(member, sizeof(member), "%lld-", (long long)now);
    crypto_hex_encode(nonce, sizeof(nonce), member + strlen(member));

    reply = redis_command(redis, "EVAL %s 1 %s %s %s %s %s", script, full_key, now_s, window_s_ms,
                          limit_s, member);
    if (reply && reply->type == REDIS_REPLY_INTEGER) {
        wait = reply->integer > 0 ? wait_seconds(reply->integer) : 0;
        freeReplyObject(reply);
        return wait;
    }
    if (reply) {
        log_error("throttle: unexpected reply from Redis: %s",
                  reply->type == REDIS_REPLY_ERROR ? reply->str : "not an integer");
        freeReplyObject(reply);
    } else {
        log_warn("throttle: Redis unreachable (%s); limiting in this process",
                 redis_last_error(redis));
    }
    return local_hit(full_key, limit, now, (int64_t)window_s * 1000);
}
