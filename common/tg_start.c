/* tg_start: see tg_start.h. */
#include "common/tg_start.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "common/db.h"
#include "common/log.h"
#include "common/redis.h"
#include "common/tglink.h"

/* Telegram's start parameter is at most 64 characters. */
#define PAYLOAD_MAX 64
/* A claim outlives every moment at which its token could still verify. */
#define CLAIM_TTL_S (TGLINK_VALID_S + TGLINK_SKEW_S + 60)
/* Bytes of the sender's name kept in the channel name (varchar(255) counts characters). */
#define LABEL_MAX 200

/* "/start", "/start@SomeBot", each optionally followed by whitespace and a payload. Sets
 * payload (NUL-terminated, trimmed) and returns 1 for a /start command, else 0. A payload
 * longer than PAYLOAD_MAX is returned cut, which no token survives. */
static int parse_start(const char *text, char payload[PAYLOAD_MAX + 2])
{
    const char *p = text, *end;
    size_t n;

    if (strncmp(p, "/start", 6) != 0)
        return 0;
    p += 6;
    if (*p == '@') {
        p++;
        while (isalnum((unsigned char)*p) || *p == '_')
            p++;
    }
    if (*p != '\0' && !isspace((unsigned char)*p))
        return 0; /* "/started", "/start@bot!" */
    while (isspace((unsigned char)*p))
        p++;
    end = p + strlen(p);
    while (end > p && isspace((unsigned char)end[-1]))
        end--;
    n = (size_t)(end - p);
    if (n > PAYLOAD_MAX + 1)
        n = PAYLOAD_MAX + 1;
    memcpy(payload, p, n);
    payload[n] = '\0';
    return 1;
}

/* "Telegram (<first name or username>)", cut on a UTF-8 character boundary. */
static void channel_name(const struct telegram_message *m, const char *chat, char *out,
                         size_t outsize)
{
    const char *label = m->first_name && m->first_name[0]   ? m->first_name
                        : m->username && m->username[0]     ? m->username
                        : m->chat_title && m->chat_title[0] ? m->chat_title
                                                            : chat;
    size_t n = strlen(label);

    if (n > LABEL_MAX) {
        n = LABEL_MAX;
        while (n > 0 && ((unsigned char)label[n] & 0xC0) == 0x80)
            n--;
    }
    snprintf(out, outsize, "Telegram (%.*s)", (int)n, label);
}

/* Claims the token (user, issued) for chat. TG_START_CONNECTED when this chat holds the
 * claim (now or from before), TG_START_INVALID when another chat does,
 * TG_START_UNAVAILABLE when Redis does not answer. */
static enum tg_start_result claim_token(const struct tg_start_env *env, uint32_t uid,
                                        uint32_t issued, const char *chat)
{
    char key[160];
    redisReply *reply = NULL;
    enum tg_start_result rc = TG_START_UNAVAILABLE;

    snprintf(key, sizeof(key), "%stglink:%" PRIu32 ":%" PRIu32, env->redis_prefix, uid, issued);
    reply = redis_command(env->redis, "SET %s %s NX EX %d", key, chat, CLAIM_TTL_S);
    if (!reply || reply->type == REDIS_REPLY_ERROR)
        goto out;
    if (reply->type == REDIS_REPLY_STATUS) {
        rc = TG_START_CONNECTED;
        goto out;
    }
    freeReplyObject(reply);
    reply = redis_command(env->redis, "GET %s", key);
    if (!reply || reply->type == REDIS_REPLY_ERROR)
        goto out;
    /* Nil: the claim lapsed meanwhile, which only happens to a token long expired. */
    if (reply->type == REDIS_REPLY_STRING && strcmp(reply->str, chat) == 0) {
        rc = TG_START_CONNECTED;
    } else {
        log_info("telegram link: user %" PRIu32 "'s token was already used by another chat", uid);
        rc = TG_START_INVALID;
    }
out:
    if (rc == TG_START_UNAVAILABLE)
        log_warn("telegram link: Redis: %s", reply ? reply->str : redis_last_error(env->redis));
    freeReplyObject(reply);
    return rc;
}

/* Creates the channel unless this user has this chat already; a user who is gone or
 * deactivated gets nothing. */
static enum tg_start_result link_chat(const struct tg_start_env *env, uint32_t uid,
                                      const char *chat, const char *name, int64_t *channel_id)
{
    static const char sql[] =
        "WITH u AS (SELECT id FROM users WHERE id = $1 AND is_active),"
        " ins AS (INSERT INTO notification_channels (user_id, provider, name, config)"
        "  SELECT id, 'telegram', $3, jsonb_build_object('chat_id', $2::text) FROM u"
        "  ON CONFLICT (user_id, (config ->> 'chat_id')) WHERE provider = 'telegram'"
        "  DO NOTHING RETURNING id)"
        " SELECT (SELECT id FROM ins), EXISTS (SELECT 1 FROM u),"
        "  (SELECT c.id FROM notification_channels c WHERE c.user_id = $1"
        "   AND c.provider = 'telegram' AND c.config ->> 'chat_id' = $2)";
    char id[16];
    const char *params[] = {id, chat, name};
    PGresult *res = NULL;
    enum tg_start_result rc = TG_START_UNAVAILABLE;

    snprintf(id, sizeof(id), "%" PRIu32, uid);
    if (db_exec(env->db, &res, sql, 3, params) != DB_OK) {
        log_warn("telegram link: database: %s", db_last_error(env->db));
        goto out;
    }
    if (db_text(res, 0, 0)) {
        rc = TG_START_CONNECTED;
        if (channel_id)
            *channel_id = db_int64(res, 0, 0);
    } else if (db_bool(res, 0, 1) && db_text(res, 0, 2)) {
        rc = TG_START_ALREADY;
        if (channel_id)
            *channel_id = db_int64(res, 0, 2);
    } else {
        log_info("telegram link: user %" PRIu32 " does not exist or is not active", uid);
        rc = TG_START_INVALID;
    }
out:
    PQclear(res);
    return rc;
}

enum tg_start_result tg_start_handle(const struct tg_start_env *env,
                                     const struct telegram_message *m, int64_t now_s,
                                     int64_t *channel_id)
{
    char payload[PAYLOAD_MAX + 2], chat[24], name[LABEL_MAX + 16];
    uint32_t uid = 0, issued = 0;
    enum tglink_status st;
    enum tg_start_result rc;

    if (!m->text || !parse_start(m->text, payload))
        return TG_START_NOT_START;
    if (payload[0] == '\0')
        return TG_START_NO_TOKEN;
    st = tglink_verify(env->secret_key, payload, now_s, &uid, &issued);
    if (st != TGLINK_OK) {
        log_info("telegram link: chat %" PRId64 ": %s token", m->chat_id, tglink_status_name(st));
        return TG_START_INVALID;
    }
    snprintf(chat, sizeof(chat), "%" PRId64, m->chat_id);
    rc = claim_token(env, uid, issued, chat);
    if (rc != TG_START_CONNECTED)
        return rc;
    channel_name(m, chat, name, sizeof(name));
    rc = link_chat(env, uid, chat, name, channel_id);
    if (rc == TG_START_CONNECTED)
        log_info("telegram link: chat %s linked to user %" PRIu32, chat, uid);
    return rc;
}

const char *tg_start_reply(enum tg_start_result r)
{
    switch (r) {
    case TG_START_NOT_START:
        return NULL;
    case TG_START_CONNECTED:
        return "Connected!";
    case TG_START_ALREADY:
        return "You are already connected.";
    case TG_START_INVALID:
        return "Invalid or expired token.";
    case TG_START_NO_TOKEN:
        return "To connect this chat, open the Telegram link on your StatusHawk dashboard.";
    case TG_START_UNAVAILABLE:
        break;
    }
    return "StatusHawk cannot connect this chat right now. Please try again in a minute.";
}

const char *tg_start_result_name(enum tg_start_result r)
{
    switch (r) {
    case TG_START_NOT_START:
        return "not_start";
    case TG_START_CONNECTED:
        return "connected";
    case TG_START_ALREADY:
        return "already";
    case TG_START_INVALID:
        return "invalid";
    case TG_START_NO_TOKEN:
        return "no_token";
    case TG_START_UNAVAILABLE:
        break;
    }
    return "unavailable";
}
