/* ratelimit: Telegram's limits, shared by every notifier through Redis — at most one
 * message a second to a private chat (with a short burst), 20 a minute to a group, 30 a
 * second for the whole bot. Each is a GCRA bucket (a "theoretical arrival time" per key,
 * in microseconds of Redis's own clock, so the notifiers' clocks do not matter), checked
 * and taken together by one Lua script: a send either takes its place in both or waits.
 *
 *   <prefix>rl:tg:<bot id>:chat:<chat id>    <prefix>rl:tg:<bot id>:bot
 *
 * A message is allowed when the bucket has room for its first part; all its parts are
 * charged, so a long message delays the next one instead of being refused forever. */
#ifndef STATUSHAWK_NOTIFIER_RATELIMIT_H
#define STATUSHAWK_NOTIFIER_RATELIMIT_H

struct notifier;

enum ratelimit_by { RATELIMIT_GRANTED = 0, RATELIMIT_CHAT = 1, RATELIMIT_BOT = 2 };

/* wait_ms 0 with RATELIMIT_GRANTED: send now (the places are taken). Otherwise try again
 * after wait_ms; by says which limit. wait_ms -1: Redis did not answer. */
typedef void (*ratelimit_fn)(long wait_ms, enum ratelimit_by by, void *arg);

/* 0 (fn runs once, later), or -1 when Redis is not connected. */
int ratelimit_acquire(struct notifier *n, const char *chat_id, int cost, ratelimit_fn fn,
                      void *arg);

/* Telegram said 429 with retry_after for chat: no notifier sends to it before then. */
void ratelimit_penalize(struct notifier *n, const char *chat_id, int retry_after_s);

/* Group chats (negative ids in the Bot API) have the per-minute limit. */
int ratelimit_is_group(const char *chat_id);

#endif
