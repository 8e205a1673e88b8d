/* ratelimit: see ratelimit.h. */
#include "notifier/ratelimit.h"

#include <stdio.h>
#include <stdlib.h>

#include "common/log.h"
#include "notifier/notifier.h"

/* KEYS: chat bucket, bot bucket. ARGV: chat interval us, chat burst, bot interval us, bot
 * burst, cost, mode ("take" | "penalize"), penalty us. Returns {wait ms, which}. */
static const char script[] =
    "local t = redis.call('TIME')\n"
    "local now = tonumber(t[1]) * 1000000 + tonumber(t[2])\n"
    "local ci, cb = tonumber(ARGV[1]), tonumber(ARGV[2])\n"
    "local bi, bb = tonumber(ARGV[3]), tonumber(ARGV[4])\n"
    "local cost = tonumber(ARGV[5])\n"
    "local function put(key, tat)\n"
    "  redis.call('SET', key, string.format('%.0f', tat), 'PX',\n"
    "             math.floor((tat - now) / 1000) + 1000)\n"
    "end\n"
    "local ctat = tonumber(redis.call('GET', KEYS[1]) or '0')\n"
    "if ctat < now then ctat = now end\n"
    "if ARGV[6] == 'penalize' then\n"
    "  local untl = now + tonumber(ARGV[7]) + ci * (cb - 1)\n"
    "  if untl > ctat then put(KEYS[1], untl) end\n"
    "  return {0, 0}\n"
    "end\n"
    "local btat = tonumber(redis.call('GET', KEYS[2]) or '0')\n"
    "if btat < now then btat = now end\n"
    "local cwait = ctat - now - ci * (cb - 1)\n"
    "local bwait = btat - now - bi * (bb - 1)\n"
    "if cwait > 0 or bwait > 0 then\n"
    "  if cwait >= bwait then return {math.floor(cwait / 1000) + 1, 1} end\n"
    "  return {math.floor(bwait / 1000) + 1, 2}\n"
    "end\n"
    "put(KEYS[1], ctat + ci * cost)\n"
    "put(KEYS[2], btat + bi * cost)\n"
    "return {0, 0}\n";

struct rl_req {
    ratelimit_fn fn;
    void *arg;
};

int ratelimit_is_group(const char *chat_id)
{
    return chat_id[0] == '-';
}

static void on_reply(redisAsyncContext *ac, void *reply, void *priv)
{
    struct rl_req *q = priv;
    redisReply *r = reply;
    long wait = -1;
    enum ratelimit_by by = RATELIMIT_CHAT;

    if (r && r->type == REDIS_REPLY_ARRAY && r->elements == 2 &&
        r->element[0]->type == REDIS_REPLY_INTEGER && r->element[1]->type == REDIS_REPLY_INTEGER) {
        wait = (long)r->element[0]->integer;
        by = (enum ratelimit_by)r->element[1]->integer;
    } else if (r && r->type == REDIS_REPLY_ERROR) {
        log_error("rate limit script: %s", r->str);
    }
    q->fn(wait, wait == 0 ? RATELIMIT_GRANTED : by, q->arg);
    free(q);
}

static int run(struct notifier *n, const char *chat_id, int cost, const char *mode,
               long long penalty_us, redisCallbackFn *cb, void *priv)
{
    const struct notifier_config *cfg = n->cfg;
    int group = ratelimit_is_group(chat_id);
    char chat_key[NOTIFIER_KEY_MAX + 96], bot_key[NOTIFIER_KEY_MAX + 64];
    char a[7][24];
    long long chat_interval =
        60000000LL / (group ? cfg->tg_group_per_min : cfg->tg_private_per_min);

    snprintf(chat_key, sizeof(chat_key), "%srl:tg:%s:chat:%s", n->key_prefix, n->bot_id, chat_id);
    snprintf(bot_key, sizeof(bot_key), "%srl:tg:%s:bot", n->key_prefix, n->bot_id);
    snprintf(a[0], 24, "%lld", chat_interval);
    snprintf(a[1], 24, "%d", group ? cfg->tg_group_burst : cfg->tg_private_burst);
    snprintf(a[2], 24, "%lld", 1000000LL / cfg->tg_bot_per_s);
    snprintf(a[3], 24, "%d", cfg->tg_bot_burst);
    snprintf(a[4], 24, "%d", cost < 1 ? 1 : cost);
    snprintf(a[5], 24, "%s", mode);
    snprintf(a[6], 24, "%lld", penalty_us);
    const char *argv[] = {"EVAL", script, "2",  chat_key, bot_key, a[0],
                          a[1],   a[2],   a[3], a[4],     a[5],    a[6]};
    return notifier_redis_argv(n, cb, priv, 12, argv, NULL);
}

int ratelimit_acquire(struct notifier *n, const char *chat_id, int cost, ratelimit_fn fn, void *arg)
{
    struct rl_req *q = calloc(1, sizeof(*q));
    if (!q)
        return -1;
    q->fn = fn;
    q->arg = arg;
    if (run(n, chat_id, cost, "take", 0, on_reply, q) != 0) {
        free(q);
        return -1;
    }
    return 0;
}

static void on_penalized(redisAsyncContext *ac, void *reply, void *priv)
{
    redisReply *r = reply;
    if (r && r->type == REDIS_REPLY_ERROR)
        log_error("rate limit script: %s", r->str);
}

void ratelimit_penalize(struct notifier *n, const char *chat_id, int retry_after_s)
{
    if (run(n, chat_id, 1, "penalize", (long long)retry_after_s * 1000000LL, on_penalized, NULL) !=
        0)
        log_warn("redis: could not record Telegram's retry_after for chat %s", chat_id);
}
