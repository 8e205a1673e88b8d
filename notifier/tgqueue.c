/* tgqueue: see tgqueue.h. */
#include "notifier/tgqueue.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/telegram.h"
#include "common/timeutil.h"
#include "notifier/deliver.h"
#include "notifier/digest.h"
#include "notifier/metrics.h"
#include "notifier/notifier.h"
#include "notifier/ratelimit.h"
#include "notifier/retry.h"
#include "notifier/tgapi.h"
#include "notifier/tgtext.h"

#define HASH_BUCKETS 1024
#define CHAT_IDLE_FREE_US (60 * 1000000LL)
#define GC_PERIOD_S 10
#define NO_REDIS_WAIT_MS 1000
#define OWNER_RECHECK_US 1000000 /* a chat another notifier owns is asked about again after */
#define OWN_TTL_MIN_MS 30000     /* ownership outlives this long a notifier that died */

/* Who sends to a chat: one notifier at a time owns it, so a storm spread over several
 * notifiers still becomes one digest (see ownership below). */
enum own { OWN_UNKNOWN, OWN_ASKING, OWN_MINE, OWN_THEIRS };

struct chat {
    struct tgqueue *q;
    char id[32];
    struct delivery *head, *tail;
    long n;
    int busy;     /* claiming or sending */
    int in_ready; /* in the FIFO */
    int sleeping; /* its own limit said wait */
    struct event *timer;
    int64_t idle_since_us;
    struct chat *hnext, *rnext;

    enum own own;
    int64_t own_at_us;     /* when own was last learnt */
    int releasing;         /* a release is out */
    int hand_waiting;      /* the owner's list may hold deliveries: take them */
    struct delivery *hand; /* fresh deliveries to hand to the owner */
    size_t nhand;
    int in_handq;
    int handing; /* hand-overs out (their deliveries may come back) */
    struct chat *handnext;
};

struct tgqueue {
    struct notifier *n;
    struct chat *hash[HASH_BUCKETS];
    struct chat *ready, *ready_tail;
    int asking; /* a rate-limit question is out */
    int paused; /* the bot's limit said wait */
    int stopped;
    long waiting;
    long sends;         /* claims and sends in flight */
    long owner_ops;     /* ownership commands and hand-off reads in flight */
    struct chat *handq; /* chats with deliveries to hand over */
    struct event *kick;
    struct event *pause;
    struct event *gc;
    struct event *hand_ev;
};

/* One message on its way: a single alert or a digest, in one or more parts. */
struct send {
    struct chat *chat;
    struct delivery **items;
    size_t n;
    char *digest; /* the digest's text, or NULL for a single alert */
    char *parts[TGTEXT_MAX_PARTS];
    int nparts;
    int next;  /* the part being sent */
    int base;  /* parts delivered by earlier attempts (single alerts) */
    int plain; /* this part goes without parse_mode (Telegram refused the HTML) */
};

static void pump(struct tgqueue *q);
static void handq_push(struct chat *c);
static void ask_owner(struct chat *c);

static unsigned hash_chat(const char *id)
{
    unsigned h = 2166136261u;
    for (; *id; id++)
        h = (h ^ (unsigned char)*id) * 16777619u;
    return h % HASH_BUCKETS;
}

static void ready_push(struct chat *c)
{
    struct tgqueue *q = c->q;
    if (c->in_ready || c->busy || c->sleeping || (c->n == 0 && !c->hand_waiting))
        return;
    c->in_ready = 1;
    c->rnext = NULL;
    if (q->ready_tail)
        q->ready_tail->rnext = c;
    else
        q->ready = c;
    q->ready_tail = c;
    event_active(q->kick, EV_TIMEOUT, 0);
}

static void ready_pop(struct tgqueue *q)
{
    struct chat *c = q->ready;
    q->ready = c->rnext;
    if (!q->ready)
        q->ready_tail = NULL;
    c->rnext = NULL;
    c->in_ready = 0;
}

static void on_chat_timer(evutil_socket_t fd, short what, void *arg)
{
    struct chat *c = arg;
    c->sleeping = 0;
    ready_push(c);
}

static struct chat *chat_get(struct tgqueue *q, const char *id)
{
    unsigned h = hash_chat(id);
    struct chat *c;

    for (c = q->hash[h]; c; c = c->hnext)
        if (strcmp(c->id, id) == 0)
            return c;
    c = calloc(1, sizeof(*c));
    if (!c)
        return NULL;
    c->q = q;
    snprintf(c->id, sizeof(c->id), "%s", id);
    c->timer = evtimer_new(q->n->base, on_chat_timer, c);
    if (!c->timer) {
        free(c);
        return NULL;
    }
    c->hnext = q->hash[h];
    q->hash[h] = c;
    return c;
}

static void chat_append(struct chat *c, struct delivery *d)
{
    d->next = NULL;
    if (c->tail)
        c->tail->next = d;
    else
        c->head = d;
    c->tail = d;
    c->n++;
    c->q->waiting++;
}

static struct delivery *chat_take(struct chat *c)
{
    struct delivery *d = c->head;
    if (!d)
        return NULL;
    c->head = d->next;
    if (!c->head)
        c->tail = NULL;
    d->next = NULL;
    c->n--;
    c->q->waiting--;
    return d;
}

/* ---- deliveries that cannot be sent at all ---- */

struct doom {
    struct notifier *n;
    struct send_outcome o;
};

static void on_doomed_claimed(struct delivery **won, size_t nwon, void *arg)
{
    struct doom *dm = arg;
    for (size_t i = 0; i < nwon; i++)
        deliver_complete(dm->n->deliver, &won[i], 1, &dm->o);
    free(won);
    free(dm);
}

/* Claims d and records an outcome for it without sending: a channel without a chat id,
 * or no bot token configured. */
static void doom(struct tgqueue *q, struct delivery *d, enum outcome_kind kind, const char *why)
{
    struct doom *dm = calloc(1, sizeof(*dm));
    if (!dm) {
        deliver_abandon(q->n->deliver, d);
        return;
    }
    dm->n = q->n;
    dm->o.kind = kind;
    snprintf(dm->o.error, sizeof(dm->o.error), "%s", why);
    deliver_claim(q->n->deliver, &d, 1, on_doomed_claimed, dm);
}

void tgqueue_push(struct tgqueue *q, struct delivery *d)
{
    struct chat *c;

    if (!d->target) {
        doom(q, d, OUTCOME_FAIL, "telegram channel has no chat_id");
        return;
    }
    if (!q->n->cfg->telegram_bot_token[0]) {
        /* Not permanent: the operator may add the token; the retries give them time. */
        doom(q, d, OUTCOME_RETRY, "telegram is not configured (TELEGRAM_BOT_TOKEN is empty)");
        return;
    }
    if (q->stopped) {
        deliver_requeue(q->n->deliver, d);
        return;
    }
    c = chat_get(q, d->target);
    if (!c) {
        deliver_abandon(q->n->deliver, d);
        return;
    }
    if (c->own == OWN_THEIRS && time_mono_us() - c->own_at_us > OWNER_RECHECK_US)
        c->own = OWN_UNKNOWN; /* ask again: the owner may have let go */
    if (d->job && c->own == OWN_THEIRS) {
        d->next = c->hand;
        c->hand = d;
        c->nhand++;
        handq_push(c);
        return;
    }
    chat_append(c, d);
    if (c->own == OWN_UNKNOWN)
        ask_owner(c);
    else if (c->own == OWN_MINE || !d->job)
        ready_push(c);
}

/* ---- ownership ----
 *
 * <prefix>tg:own:<bot>:<chat> names the notifier that sends to the chat (SET NX PX, renewed
 * at each of its turns and by the GC timer, released when it has nothing left for the
 * chat). Another notifier that gets a fresh alert for that chat hands the delivery over
 * (deliver_handoff): its id goes on <prefix>tg:hand:<bot>:<chat>, which the owner takes at
 * its next turn, so the alerts end up in one digest. Every handed delivery is also on the
 * retry queue, due after half NOTIFIER_CLAIM_IDLE (at least 5 s): an owner that died or
 * let go meanwhile loses nothing. Deliveries from the retry queue are sent by whoever
 * holds them, owner or not, so nothing is handed round in circles. */

/* KEYS: own. ARGV: me, ttl ms. 1 when mine (now or already), else 0. */
static const char acquire_script[] =
    "local cur = redis.call('GET', KEYS[1])\n"
    "if not cur then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) return 1 end\n"
    "if cur == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]) return 1 end\n"
    "return 0\n";
/* KEYS: own, hand. ARGV: me, ttl ms, max. {1, ids} when mine (renewed), {0} when not. */
static const char take_script[] =
    "local cur = redis.call('GET', KEYS[1])\n"
    "if cur and cur ~= ARGV[1] then return {0} end\n"
    "redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])\n"
    "local ids = redis.call('LRANGE', KEYS[2], 0, tonumber(ARGV[3]) - 1)\n"
    "if #ids > 0 then redis.call('LTRIM', KEYS[2], #ids, -1) end\n"
    "return {1, ids}\n";
/* KEYS: own, hand. ARGV: me, force. 1 when let go; 0 when deliveries wait in the list. */
static const char release_script[] =
    "if ARGV[2] ~= '1' and redis.call('LLEN', KEYS[2]) > 0 then return 0 end\n"
    "if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end\n"
    "return 1\n";

static void own_keys(const struct chat *c, char *own, char *hand, size_t sz)
{
    const struct notifier *n = c->q->n;
    snprintf(own, sz, "%stg:own:%s:%s", n->key_prefix, n->bot_id, c->id);
    snprintf(hand, sz, "%stg:hand:%s:%s", n->key_prefix, n->bot_id, c->id);
}

static long own_ttl_ms(const struct tgqueue *q)
{
    long ms = q->n->cfg->claim_idle_s * 1000L;
    return ms < OWN_TTL_MIN_MS ? OWN_TTL_MIN_MS : ms;
}

static void handq_push(struct chat *c)
{
    if (c->in_handq || !c->hand)
        return;
    c->in_handq = 1;
    c->handnext = c->q->handq;
    c->q->handq = c;
    event_active(c->q->hand_ev, EV_TIMEOUT, 0);
}

/* Moves the chat's fresh deliveries (from the stream) to its hand-over list. */
static void hand_fresh(struct chat *c)
{
    struct delivery **pp = &c->head, *d;
    c->tail = NULL;
    while ((d = *pp) != NULL) {
        if (d->job) {
            *pp = d->next;
            c->n--;
            c->q->waiting--;
            d->next = c->hand;
            c->hand = d;
            c->nhand++;
        } else {
            c->tail = d;
            pp = &d->next;
        }
    }
    handq_push(c);
}

/* The hand-over found no owner: the deliveries come back and this notifier asks for the
 * chat itself. */
static void on_handed_back(struct delivery **items, size_t n, void *arg)
{
    struct chat *c = arg;
    c->handing--;
    if (n == 0)
        return; /* handed over (or given up) */
    for (size_t i = 0; i < n; i++)
        chat_append(c, items[i]);
    free(items);
    if (c->q->stopped) {
        struct delivery *d;
        while ((d = chat_take(c)) != NULL)
            deliver_requeue(c->q->n->deliver, d);
    } else if (c->own != OWN_ASKING && c->own != OWN_MINE) {
        ask_owner(c);
    } else {
        ready_push(c);
    }
}

static void on_hand_ev(evutil_socket_t fd, short what, void *arg)
{
    struct tgqueue *q = arg;
    while (q->handq) {
        struct chat *c = q->handq;
        char own[NOTIFIER_KEY_MAX + 96], hand[NOTIFIER_KEY_MAX + 96];
        q->handq = c->handnext;
        c->in_handq = 0;
        struct delivery **arr = calloc(c->nhand ? c->nhand : 1, sizeof(*arr));
        size_t n = 0;
        while (c->hand) {
            struct delivery *d = c->hand;
            c->hand = d->next;
            d->next = NULL;
            if (arr)
                arr[n++] = d;
            else
                deliver_abandon(q->n->deliver, d);
        }
        c->nhand = 0;
        if (!arr)
            continue;
        if (q->stopped) {
            for (size_t i = 0; i < n; i++)
                deliver_requeue(q->n->deliver, arr[i]);
            free(arr);
            continue;
        }
        own_keys(c, own, hand, sizeof(own));
        long half = q->n->cfg->claim_idle_s * 500L;
        c->handing++;
        deliver_handoff(q->n->deliver, arr, n, hand, own,
                        time_now_ms() + (half < 5000 ? 5000 : half), on_handed_back, c);
        free(arr);
    }
}

static void on_owner(redisAsyncContext *ac, void *reply, void *priv)
{
    struct chat *c = priv;
    redisReply *r = reply;
    c->q->owner_ops--;
    c->own_at_us = time_mono_us();
    if (r && r->type == REDIS_REPLY_INTEGER && r->integer == 0) {
        c->own = OWN_THEIRS;
        hand_fresh(c);
    } else {
        /* Mine — or no answer, and then sending here beats not sending. */
        c->own = OWN_MINE;
    }
    ready_push(c);
}

static void ask_owner(struct chat *c)
{
    struct tgqueue *q = c->q;
    char own[NOTIFIER_KEY_MAX + 96], hand[NOTIFIER_KEY_MAX + 96], ttl[24];
    own_keys(c, own, hand, sizeof(own));
    snprintf(ttl, sizeof(ttl), "%ld", own_ttl_ms(q));
    const char *argv[] = {"EVAL", acquire_script, "1", own, q->n->cfg->consumer, ttl};
    c->own = OWN_ASKING;
    if (notifier_redis_argv(q->n, on_owner, c, 6, argv, NULL) == 0) {
        q->owner_ops++;
        return;
    }
    c->own = OWN_MINE; /* Redis is away: send from here */
    c->own_at_us = time_mono_us();
    ready_push(c);
}

static void on_released(redisAsyncContext *ac, void *reply, void *priv)
{
    struct chat *c = priv;
    redisReply *r = reply;
    c->q->owner_ops--;
    c->releasing = 0;
    if (r && r->type == REDIS_REPLY_INTEGER && r->integer == 0) {
        /* Deliveries were handed over meanwhile: take them at a turn of our own. */
        c->hand_waiting = 1;
        ready_push(c);
        return;
    }
    if (c->own == OWN_MINE && c->n == 0 && !c->busy)
        c->own = OWN_UNKNOWN;
}

static void release_chat(struct chat *c, int force)
{
    struct tgqueue *q = c->q;
    char own[NOTIFIER_KEY_MAX + 96], hand[NOTIFIER_KEY_MAX + 96];
    if (c->releasing || c->own != OWN_MINE)
        return;
    own_keys(c, own, hand, sizeof(own));
    const char *argv[] = {"EVAL",           release_script, "2", own, hand, q->n->cfg->consumer,
                          force ? "1" : "0"};
    if (notifier_redis_argv(q->n, on_released, c, 7, argv, NULL) == 0) {
        q->owner_ops++;
        c->releasing = 1;
    }
}

/* ---- sending ---- */

static void send_free(struct send *s)
{
    if (!s)
        return;
    for (int i = 0; i < s->nparts; i++)
        free(s->parts[i]);
    free(s->digest);
    free(s->items);
    free(s);
}

/* The chat's message is out (or failed): next turn, if more wait. */
static void chat_done(struct chat *c)
{
    c->busy = 0;
    c->q->sends--;
    c->idle_since_us = time_mono_us();
    if (c->q->stopped) {
        struct delivery *d;
        while ((d = chat_take(c)) != NULL)
            deliver_requeue(c->q->n->deliver, d);
        release_chat(c, 1);
    } else if (c->n == 0 && !c->hand_waiting) {
        release_chat(c, 0); /* nothing left here: let another notifier own it */
    }
    ready_push(c);
    notifier_kick(c->q->n);
}

static void finish(struct send *s, struct send_outcome *o)
{
    struct tgqueue *q = s->chat->q;
    struct chat *c = s->chat;

    if (o->kind == OUTCOME_SUCCESS && s->digest) {
        o->digest = s->digest;
        metrics_count(M_DIGESTS, 1);
        metrics_count(M_DIGEST_ALERTS, s->n);
    }
    if (o->kind == OUTCOME_RETRY && !s->digest)
        o->parts_sent = s->base + s->next;
    deliver_complete(q->n->deliver, s->items, s->n, o);
    send_free(s);
    chat_done(c);
}

static void send_part(struct send *s);

static void on_sent(struct telegram_result *res, void *arg)
{
    struct send *s = arg;
    struct send_outcome o = {.kind = OUTCOME_SUCCESS};
    const char *name = telegram_outcome_name(res->outcome);

    if (res->outcome == TELEGRAM_OK) {
        s->plain = 0;
        if (++s->next < s->nparts) {
            send_part(s);
            return;
        }
        finish(s, &o);
        return;
    }
    if (res->outcome == TELEGRAM_BAD_REQUEST && !s->plain &&
        strstr(res->description, "can't parse entities")) {
        /* The channel's template is not valid Telegram HTML: send this part as plain text
         * rather than not at all. */
        log_warn("telegram refused the HTML of a message to chat %s (%s); sending it as plain "
                 "text",
                 s->chat->id, res->description);
        s->plain = 1;
        send_part(s);
        return;
    }
    snprintf(o.error, sizeof(o.error), "telegram %s%s%.200s", name, res->description[0] ? ": " : "",
             res->description);
    switch (res->outcome) {
    case TELEGRAM_RETRY_AFTER:
        ratelimit_penalize(s->chat->q->n, s->chat->id, res->retry_after);
        o.kind = OUTCOME_RETRY;
        o.retry_at_ms = time_now_ms() + (int64_t)res->retry_after * 1000;
        break;
    case TELEGRAM_BLOCKED:
        o.kind = OUTCOME_BLOCKED;
        break;
    case TELEGRAM_MIGRATED:
        o.kind = OUTCOME_MIGRATED;
        snprintf(o.new_chat_id, sizeof(o.new_chat_id), "%" PRId64, res->migrate_to_chat_id);
        break;
    case TELEGRAM_UNAUTHORIZED:
        log_error("telegram refused the bot token (401): check TELEGRAM_BOT_TOKEN");
        o.kind = OUTCOME_FAIL;
        break;
    case TELEGRAM_CHAT_NOT_FOUND:
    case TELEGRAM_BAD_REQUEST:
        o.kind = OUTCOME_FAIL;
        break;
    default: /* transport, 5xx */
        o.kind = OUTCOME_RETRY;
    }
    finish(s, &o);
}

static void send_part(struct send *s)
{
    struct notifier *n = s->chat->q->n;
    char *plain = NULL;
    const char *text = s->parts[s->next];
    json_t *params;

    if (s->plain) {
        plain = tgtext_to_plain(text);
        text = plain ? plain : text;
    }
    params = telegram_send_message_params(s->chat->id, text, s->plain ? NULL : "HTML");
    free(plain);
    if (params) /* links in alerts are monitor URLs: a preview card would only add noise */
        json_object_set_new(params, "disable_web_page_preview", json_true());
    if (!params || tgapi_call(n, "sendMessage", params, n->cfg->send_timeout_ms, on_sent, s) == 0) {
        struct send_outcome o = {.kind = OUTCOME_RETRY};
        snprintf(o.error, sizeof(o.error), "could not start the request");
        json_decref(params);
        finish(s, &o);
        return;
    }
    json_decref(params);
}

static void on_claimed(struct delivery **won, size_t nwon, void *arg)
{
    struct chat *c = arg;
    struct send *s = NULL;

    if (nwon == 0) {
        free(won);
        chat_done(c);
        return;
    }
    s = calloc(1, sizeof(*s));
    if (!s) {
        for (size_t i = 0; i < nwon; i++)
            deliver_abandon(c->q->n->deliver, won[i]);
        free(won);
        chat_done(c);
        return;
    }
    s->chat = c;
    s->items = won;
    s->n = nwon;
    if (nwon == 1) {
        s->nparts = tgtext_split(won[0]->text, TGTEXT_LIMIT, s->parts);
        s->base = won[0]->parts_sent;
        if (s->nparts > 0 && s->base > 0 && s->base < s->nparts) {
            /* An earlier attempt delivered the first parts: send only the rest. */
            for (int i = 0; i < s->base; i++)
                free(s->parts[i]);
            memmove(s->parts, s->parts + s->base, (size_t)(s->nparts - s->base) * sizeof(char *));
            s->nparts -= s->base;
        } else {
            s->base = 0;
        }
    } else {
        struct digest_item *items = calloc(nwon, sizeof(*items));
        if (items) {
            for (size_t i = 0; i < nwon; i++) {
                items[i].kind = won[i]->kind;
                items[i].line = won[i]->line ? won[i]->line : "";
            }
            s->digest = digest_build(items, nwon, TGTEXT_LIMIT);
            free(items);
        }
        if (s->digest) {
            s->parts[0] = strdup(s->digest);
            s->nparts = s->parts[0] ? 1 : -1;
        } else {
            s->nparts = -1;
        }
    }
    if (s->nparts <= 0) {
        struct send_outcome o = {.kind = OUTCOME_RETRY};
        snprintf(o.error, sizeof(o.error), "out of memory building the message");
        s->nparts = 0;
        finish(s, &o);
        return;
    }
    send_part(s);
}

/* Takes the chat's batch (a digest when enough wait), claims it, sends it. busy is set. */
static void send_batch(struct chat *c)
{
    const struct notifier_config *cfg = c->q->n->cfg;
    long take = c->n >= cfg->digest_min ? (c->n < cfg->digest_max ? c->n : cfg->digest_max) : 1;
    struct delivery **batch = c->n > 0 ? calloc((size_t)take, sizeof(*batch)) : NULL;

    if (!batch) {
        chat_done(c); /* nothing to send, or out of memory: the next turn tries again */
        return;
    }
    for (long i = 0; i < take; i++)
        batch[i] = chat_take(c);
    deliver_claim(c->q->n->deliver, batch, (size_t)take, on_claimed, c);
    free(batch);
}

/* What the owner's list held, read back from the log: it joins this chat's queue. */
static void on_handed_loaded(struct delivery **d, size_t n, void *arg)
{
    struct chat *c = arg;
    c->q->owner_ops--;
    for (size_t i = 0; i < n; i++) {
        if (d[i]->target && strcmp(d[i]->target, c->id) == 0)
            chat_append(c, d[i]);
        else
            deliver_submit(c->q->n->deliver, d[i]); /* its chat moved meanwhile */
    }
    send_batch(c);
}

static void on_take(redisAsyncContext *ac, void *reply, void *priv)
{
    struct chat *c = priv;
    struct tgqueue *q = c->q;
    redisReply *r = reply;
    int64_t ids[1000];
    size_t n = 0;

    q->owner_ops--;
    if (r && r->type == REDIS_REPLY_ARRAY && r->elements >= 1 &&
        r->element[0]->type == REDIS_REPLY_INTEGER) {
        c->own_at_us = time_mono_us();
        if (r->element[0]->integer == 1) {
            c->own = OWN_MINE;
            c->hand_waiting = 0;
            redisReply *list = r->elements > 1 ? r->element[1] : NULL;
            for (size_t i = 0; list && i < list->elements && n < 1000; i++)
                if (list->element[i]->type == REDIS_REPLY_STRING)
                    ids[n++] = strtoll(list->element[i]->str, NULL, 10);
        } else {
            /* Another notifier owns it now: send what we hold (retries, and what was
             * queued while we owned it); fresh alerts from now on go to it. */
            c->own = OWN_THEIRS;
            c->hand_waiting = 0;
        }
    }
    if (n > 0 && retryq_load(q->n->retry, ids, n, on_handed_loaded, c) == 0) {
        q->owner_ops++;
        return;
    }
    send_batch(c);
}

/* The chat's turn (its places under the limits are taken): the deliveries other notifiers
 * handed over join first, then the batch goes. */
static void start_send(struct chat *c)
{
    struct tgqueue *q = c->q;
    char own[NOTIFIER_KEY_MAX + 96], hand[NOTIFIER_KEY_MAX + 96], ttl[24], max[16];

    c->busy = 1;
    q->sends++;
    if (c->own != OWN_MINE) {
        send_batch(c);
        return;
    }
    own_keys(c, own, hand, sizeof(own));
    snprintf(ttl, sizeof(ttl), "%ld", own_ttl_ms(q));
    /* on_take reads at most 1,000 ids; what a bigger digest leaves stays on the list. */
    snprintf(max, sizeof(max), "%d", q->n->cfg->digest_max < 1000 ? q->n->cfg->digest_max : 1000);
    const char *argv[] = {"EVAL", take_script, "2", own, hand, q->n->cfg->consumer, ttl, max};
    if (notifier_redis_argv(q->n, on_take, c, 8, argv, NULL) == 0) {
        q->owner_ops++;
        return;
    }
    send_batch(c);
}

/* Telegram counts parts; a long single message costs one place per part. */
static int cost_of(const struct chat *c)
{
    if (c->n >= c->q->n->cfg->digest_min || !c->head)
        return 1;
    size_t len = tgtext_visible_len(c->head->text ? c->head->text : "");
    int parts = (int)(len / TGTEXT_LIMIT) + 1 - c->head->parts_sent;
    return parts < 1 ? 1 : parts;
}

static void on_limit(long wait_ms, enum ratelimit_by by, void *arg)
{
    struct tgqueue *q = arg;
    struct chat *c = q->ready;

    q->asking = 0;
    if (!c || q->stopped) {
        pump(q);
        return;
    }
    if (wait_ms == 0) {
        ready_pop(q);
        if (c->n > 0 || c->hand_waiting)
            start_send(c);
    } else if (wait_ms < 0 || by == RATELIMIT_BOT) {
        /* The bot's limit (or no answer): everyone waits; this chat keeps its place. */
        long ms = wait_ms < 0 ? NO_REDIS_WAIT_MS : wait_ms;
        struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
        if (wait_ms > 0)
            metrics_count(M_RATE_LIMITED, 1);
        q->paused = 1;
        evtimer_add(q->pause, &tv);
    } else {
        struct timeval tv = {wait_ms / 1000, (wait_ms % 1000) * 1000};
        metrics_count(M_RATE_LIMITED, 1);
        ready_pop(q);
        c->sleeping = 1;
        evtimer_add(c->timer, &tv);
    }
    pump(q);
}

static void pump(struct tgqueue *q)
{
    while (!q->asking && !q->paused && !q->stopped && q->ready) {
        struct chat *c = q->ready;
        if ((c->n == 0 && !c->hand_waiting) || c->busy) {
            ready_pop(q);
            continue;
        }
        if (ratelimit_acquire(q->n, c->id, cost_of(c), on_limit, q) != 0) {
            struct timeval tv = {NO_REDIS_WAIT_MS / 1000, 0};
            q->paused = 1;
            evtimer_add(q->pause, &tv);
            return;
        }
        q->asking = 1;
    }
}

static void on_kick(evutil_socket_t fd, short what, void *arg)
{
    pump(arg);
}

static void on_pause_end(evutil_socket_t fd, short what, void *arg)
{
    struct tgqueue *q = arg;
    q->paused = 0;
    pump(q);
}

static void on_gc(evutil_socket_t fd, short what, void *arg)
{
    struct tgqueue *q = arg;
    int64_t now = time_mono_us();

    for (int h = 0; h < HASH_BUCKETS; h++) {
        struct chat **pp = &q->hash[h];
        while (*pp) {
            struct chat *c = *pp;
            /* An owned chat still waiting for its turn (the bot's limit in a storm) keeps
             * its lease alive. */
            if (c->own == OWN_MINE && c->n > 0 && !c->busy && !c->releasing && !q->stopped &&
                (now - c->own_at_us) / 1000 > own_ttl_ms(q) / 3)
                ask_owner(c);
            if (c->n == 0 && !c->busy && !c->in_ready && !c->sleeping && c->own != OWN_ASKING &&
                !c->releasing && !c->in_handq && !c->hand && !c->handing && !c->hand_waiting &&
                now - c->idle_since_us > CHAT_IDLE_FREE_US) {
                *pp = c->hnext;
                event_free(c->timer);
                free(c);
                continue;
            }
            pp = &c->hnext;
        }
    }
}

struct tgqueue *tgqueue_new(struct notifier *n)
{
    struct tgqueue *q = calloc(1, sizeof(*q));
    struct timeval period = {GC_PERIOD_S, 0};
    if (!q)
        return NULL;
    q->n = n;
    q->kick = event_new(n->base, -1, 0, on_kick, q);
    q->pause = evtimer_new(n->base, on_pause_end, q);
    q->gc = event_new(n->base, -1, EV_PERSIST, on_gc, q);
    q->hand_ev = event_new(n->base, -1, 0, on_hand_ev, q);
    if (!q->kick || !q->pause || !q->gc || !q->hand_ev || event_add(q->gc, &period) != 0) {
        tgqueue_free(q);
        return NULL;
    }
    return q;
}

void tgqueue_free(struct tgqueue *q)
{
    if (!q)
        return;
    for (int h = 0; h < HASH_BUCKETS; h++) {
        while (q->hash[h]) {
            struct chat *c = q->hash[h];
            struct delivery *d;
            q->hash[h] = c->hnext;
            while ((d = chat_take(c)) != NULL)
                deliver_abandon(q->n->deliver, d);
            while ((d = c->hand) != NULL) {
                c->hand = d->next;
                deliver_abandon(q->n->deliver, d);
            }
            event_free(c->timer);
            free(c);
        }
    }
    if (q->kick)
        event_free(q->kick);
    if (q->pause)
        event_free(q->pause);
    if (q->gc)
        event_free(q->gc);
    if (q->hand_ev)
        event_free(q->hand_ev);
    free(q);
}

void tgqueue_stop(struct tgqueue *q)
{
    q->stopped = 1;
    evtimer_del(q->pause);
    q->ready = q->ready_tail = NULL;
    q->handq = NULL;
    for (int h = 0; h < HASH_BUCKETS; h++) {
        for (struct chat *c = q->hash[h]; c; c = c->hnext) {
            struct delivery *d;
            c->in_ready = 0;
            c->rnext = NULL;
            c->in_handq = 0;
            evtimer_del(c->timer);
            c->sleeping = 0;
            while ((d = c->hand) != NULL) {
                c->hand = d->next;
                deliver_requeue(q->n->deliver, d);
            }
            c->nhand = 0;
            if (c->busy)
                continue; /* chat_done hands over what is left */
            while ((d = chat_take(c)) != NULL)
                deliver_requeue(q->n->deliver, d);
            release_chat(c, 1);
        }
    }
}

long tgqueue_waiting(const struct tgqueue *q)
{
    return q->waiting;
}

int tgqueue_idle(const struct tgqueue *q)
{
    return q->sends == 0 && !q->asking && q->owner_ops == 0 && !q->handq;
}
