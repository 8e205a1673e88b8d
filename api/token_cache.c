/* token_cache: see token_cache.h. Direct-mapped: the slot is chosen by the token hash's
 * first bytes (uniform, being SHA-256), a newer entry replaces an older one. One mutex;
 * the critical sections are a few memcpy's long. */
#include "api/token_cache.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api/request.h"
#include "common/db.h"
#include "common/timeutil.h"

#define SLOTS 8192

struct slot {
    struct auth_user user; /* user.token_hash is the key; "" when empty */
    int64_t expires_us;
};

static struct slot slots[SLOTS];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int64_t ttl_us;

void token_cache_configure(int ttl_seconds)
{
    ttl_us = (int64_t)ttl_seconds * 1000000;
}

static struct slot *slot_for(const char *token_hash)
{
    char head[9];
    memcpy(head, token_hash, 8);
    head[8] = '\0';
    return &slots[strtoul(head, NULL, 16) % SLOTS];
}

static void forget_revoked(const char *token_hash, void *arg)
{
    token_cache_forget(token_hash);
}

static void flush_all(void)
{
    pthread_mutex_lock(&lock);
    memset(slots, 0, sizeof(slots));
    pthread_mutex_unlock(&lock);
}

/* Applies the revocations that reached w's connection; 0 when the cache must not be
 * trusted because that connection is not live. */
static int sync_revocations(struct worker *w)
{
    long generation = db_notifications(w->db, forget_revoked, NULL);
    if (generation < 0)
        return 0;
    if (generation != w->token_generation) {
        flush_all(); /* a new connection: what the old one missed is unknown */
        w->token_generation = generation;
    }
    return 1;
}

int token_cache_get(struct worker *w, const char *token_hash, struct auth_user *user)
{
    struct slot *s;
    int hit;

    if (ttl_us == 0 || !sync_revocations(w))
        return 0;
    s = slot_for(token_hash);
    pthread_mutex_lock(&lock);
    hit = strcmp(s->user.token_hash, token_hash) == 0 && s->expires_us > time_mono_us();
    if (hit)
        *user = s->user;
    pthread_mutex_unlock(&lock);
    return hit;
}

void token_cache_put(const struct auth_user *user)
{
    struct slot *s;

    if (ttl_us == 0)
        return;
    s = slot_for(user->token_hash);
    pthread_mutex_lock(&lock);
    s->user = *user;
    s->expires_us = time_mono_us() + ttl_us;
    pthread_mutex_unlock(&lock);
}

void token_cache_forget(const char *token_hash)
{
    struct slot *s = slot_for(token_hash);
    pthread_mutex_lock(&lock);
    if (strcmp(s->user.token_hash, token_hash) == 0)
        memset(s, 0, sizeof(*s));
    pthread_mutex_unlock(&lock);
}
