/* tg_start: linking a Telegram chat to a StatusHawk user with "/start <token>", the
 * message Telegram sends when the user presses Start on the dashboard's magic link. The
 * api's webhook and the notifier's getUpdates polling both hand each message here and
 * send the reply it names.
 *
 * A valid token (common/tglink.h) creates the user's channel
 *   provider "telegram", name "Telegram (<first name or username>)",
 *   config {"chat_id": "<chat id>"}
 * once per user and chat (the unique index of migrations/0001). A token links one chat:
 * it is claimed in Redis for the first chat that sends it (SET NX, for as long as the
 * token could be valid), so a token that leaked cannot attach a stranger's chat to the
 * account; the same chat sending it again is told it is already connected. */
#ifndef STATUSHAWK_COMMON_TG_START_H
#define STATUSHAWK_COMMON_TG_START_H

#include <stdint.h>

#include "common/telegram.h"

struct db;
struct redis;

enum tg_start_result {
    TG_START_NOT_START = 0, /* not a /start command: no reply */
    TG_START_CONNECTED,     /* channel created */
    TG_START_ALREADY,       /* this user already has this chat */
    TG_START_INVALID,       /* bad, expired or already used token, or no such user */
    TG_START_NO_TOKEN,      /* a bare /start: the user opened the bot, not a link */
    TG_START_UNAVAILABLE,   /* PostgreSQL or Redis unreachable: nothing changed, retry */
};

struct tg_start_env {
    struct db *db;            /* borrowed */
    struct redis *redis;      /* borrowed, synchronous */
    const char *redis_prefix; /* e.g. "sh:" */
    const char *secret_key;   /* SECRET_KEY, which signed the token */
};

/* Acts on message m received at now_s (unix seconds). On TG_START_CONNECTED and
 * TG_START_ALREADY the channel's id is stored through channel_id (may be NULL). Blocking
 * (one Redis command or two, one SQL statement). */
enum tg_start_result tg_start_handle(const struct tg_start_env *env,
                                     const struct telegram_message *m, int64_t now_s,
                                     int64_t *channel_id);

/* The text to send back to the chat, or NULL for TG_START_NOT_START. Static. */
const char *tg_start_reply(enum tg_start_result r);

/* "not_start", "connected", "already", "invalid", "no_token", "unavailable". */
const char *tg_start_result_name(enum tg_start_result r);

#endif
