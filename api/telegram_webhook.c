/* telegram_webhook: see telegram_webhook.h. */
#include "api/telegram_webhook.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/request.h"
#include "api/work_pool.h"
#include "common/crypto.h"
#include "common/log.h"
#include "common/telegram.h"
#include "common/tg_start.h"
#include "common/tglink.h"
#include "common/timeutil.h"

#define SECRET_HEADER "X-Telegram-Bot-Api-Secret-Token"
#define BOT_NAME_MAX 64

/* ---- the magic link ---------------------------------------------------------------- */

/* The bot's username from TELEGRAM_BOT_NAME ("@" allowed in front), or NULL when it is
 * not one: Telegram usernames are letters, digits and underscores. */
static const char *bot_username(const char *configured)
{
    const char *name = configured[0] == '@' ? configured + 1 : configured;
    size_t n = strlen(name);

    if (n == 0 || n > BOT_NAME_MAX)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '_'))
            return NULL;
    }
    return name;
}

void telegram_link(struct api_request *r)
{
    const struct api_config *cfg = r->worker->cfg;
    char token[TGLINK_TOKEN_LEN + 1], link[BOT_NAME_MAX + TGLINK_TOKEN_LEN + 32];
    const char *bot;

    if (!cfg->telegram_bot_name[0]) {
        api_reply_detail(r, 503,
                         "Telegram linking is not configured: TELEGRAM_BOT_NAME is not set.");
        return;
    }
    if (!cfg->secret_key[0]) {
        api_reply_detail(r, 503, "Telegram linking is not configured: SECRET_KEY is not set.");
        return;
    }
    bot = bot_username(cfg->telegram_bot_name);
    if (!bot) {
        api_reply_detail(r, 503,
                         "Telegram linking is not configured: TELEGRAM_BOT_NAME is not a bot "
                         "username.");
        return;
    }
    /* The token carries the user id in 32 bits (API.md). */
    if (r->user.id <= 0 || r->user.id > (int64_t)UINT32_MAX ||
        tglink_make(cfg->secret_key, (uint32_t)r->user.id, time_now_ms() / 1000, token) != 0) {
        log_error("telegram link: cannot make a token for user %" PRId64, r->user.id);
        api_reply_detail(r, 500, "Internal server error.");
        return;
    }
    snprintf(link, sizeof(link), "https://t.me/%s?start=%s", bot, token);
    api_reply_json(r, 200, json_pack("{s:s}", "link", link));
}

/* ---- the webhook ------------------------------------------------------------------- */

/* Constant time whatever the lengths: the digests are compared, not the strings. */
static int secret_matches(const char *given, const char *configured)
{
    unsigned char a[CRYPTO_SHA256_LEN], b[CRYPTO_SHA256_LEN];

    if (!given || !configured || configured[0] == '\0')
        return 0;
    crypto_sha256(given, strlen(given), a);
    crypto_sha256(configured, strlen(configured), b);
    return crypto_ct_equal(a, b, sizeof(a));
}

struct tg_reply {
    struct work_job job; /* first: the job is the reply */
    struct api_request *r;
    struct telegram_api api; /* strings borrowed from the process's configuration */
    char chat_id[24];
    const char *text; /* static, from tg_start_reply */
    enum telegram_outcome outcome;
    char description[256];
};

static void reply_run(struct work_job *job)
{
    struct tg_reply *t = (struct tg_reply *)job;
    struct telegram_result res;

    t->outcome = telegram_send_message(&t->api, t->chat_id, t->text, NULL, &res);
    snprintf(t->description, sizeof(t->description), "%s", res.description);
    telegram_result_clear(&res);
}

static void reply_done(struct work_job *job)
{
    struct tg_reply *t = (struct tg_reply *)job;

    if (t->outcome != TELEGRAM_OK)
        log_warn("telegram webhook: reply to chat %s not sent: %s (%s)", t->chat_id,
                 telegram_outcome_name(t->outcome), t->description);
    /* Telegram must not retry the update: the link itself is done either way. */
    api_reply_json(t->r, 200, json_pack("{s:s}", "status", "ok"));
    free(t);
}

static void reply_ok(struct api_request *r, const char *status)
{
    api_reply_json(r, 200, json_pack("{s:s}", "status", status));
}

void telegram_webhook(struct api_request *r)
{
    const struct api_config *cfg = r->worker->cfg;
    struct tg_start_env env = {.db = r->worker->db,
                               .redis = r->worker->redis,
                               .redis_prefix = cfg->common.redis_prefix,
                               .secret_key = cfg->secret_key};
    struct telegram_message m;
    enum tg_start_result result;
    struct tg_reply *t;
    const char *text;
    json_t *body;

    if (!secret_matches(api_request_header(r, SECRET_HEADER), cfg->telegram_webhook_secret)) {
        api_reply_detail(r, 403, "You do not have permission to perform this action.");
        return;
    }
    if (!(body = api_request_json_body(r)))
        return;
    if (!telegram_update_message(body, &m) || !m.text) {
        reply_ok(r, "ignored");
        return;
    }
    result = tg_start_handle(&env, &m, time_now_ms() / 1000, NULL);
    text = tg_start_reply(result);
    if (!text) {
        reply_ok(r, "ok");
        return;
    }
    log_info("telegram webhook: chat %" PRId64 ": /start %s", m.chat_id,
             tg_start_result_name(result));
    if (!cfg->telegram_bot_token[0]) {
        log_warn("telegram webhook: cannot reply to chat %" PRId64
                 ": TELEGRAM_BOT_TOKEN is not set",
                 m.chat_id);
        reply_ok(r, "ok");
        return;
    }
    t = calloc(1, sizeof(*t));
    if (!t) {
        reply_ok(r, "ok");
        return;
    }
    t->r = r;
    t->api =
        (struct telegram_api){.base = cfg->telegram_api_base, .token = cfg->telegram_bot_token};
    snprintf(t->chat_id, sizeof(t->chat_id), "%" PRId64, m.chat_id);
    t->text = text;
    /* sendMessage is a blocking HTTPS call: never on the event thread. */
    t->job = (struct work_job){.run = reply_run, .done = reply_done};
    if (work_pool_submit(r->worker->base, &t->job) != 0) {
        log_warn("telegram webhook: reply to chat %s not sent: work pool busy", t->chat_id);
        free(t);
        reply_ok(r, "ok");
    }
}
