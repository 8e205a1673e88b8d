/* Integration tests of Telegram linking: the magic link (decoded and its HMAC checked
 * here with OpenSSL directly), and the webhook against the Telegram Bot API stand-in
 * (tests/fakes/telegram_fake): the secret header, ignored updates, /start with a valid
 * token (one channel, "Connected!", then "You are already connected."), expired, future,
 * forged, truncated and replayed tokens, replies that fail, and that the reply is sent
 * off the event thread. */
#include "harness.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "telegram_fake.h"

#define LINK "/api/v1/notifications/telegram-link/"
#define WEBHOOK "/api/v1/notifications/webhook/telegram/"
#define CHANNELS "/api/v1/notifications/channels/"
#define PASSWORD "Correct-horse-9"
#define BOT_TOKEN "123456789:TEST-bot-token_xyz"
#define BOT_NAME TELEGRAM_FAKE_BOT_USERNAME
#define HOOK_SECRET "hook-secret-0123456789"
#define SECRET_KEY "telegram-itest-secret-key"
#define CONNECTED "Connected!"
#define ALREADY "You are already connected."
#define INVALID "Invalid or expired token."

static struct telegram_fake *fake;

static int group_setup(void **state)
{
    if (harness_group_setup(state) != 0)
        return -1;
    fake = telegram_fake_start(BOT_TOKEN);
    return fake ? 0 : -1;
}

static int group_teardown(void **state)
{
    telegram_fake_stop(fake);
    fake = NULL;
    return harness_group_teardown(state);
}

/* The api configured for Telegram, changed by extra (NULL-terminated, may be NULL). */
static struct api *start_api(const char *const *extra)
{
    char base[96];
    const char *env[24] = {"TELEGRAM_BOT_TOKEN=" BOT_TOKEN, "TELEGRAM_BOT_NAME=" BOT_NAME,
                           "TELEGRAM_WEBHOOK_SECRET=" HOOK_SECRET, "SECRET_KEY=" SECRET_KEY, base};
    size_t n = 5;

    snprintf(base, sizeof(base), "TELEGRAM_API_BASE=%s", telegram_fake_base(fake));
    for (size_t i = 0; extra && extra[i] && n + 1 < sizeof(env) / sizeof(env[0]); i++)
        env[n++] = extra[i];
    env[n] = NULL;
    telegram_fake_reset(fake);
    return api_start(env);
}

struct user {
    long long id;
    char *token;
};

static struct user new_user(const struct api *api, const char *tag)
{
    struct user u;
    char *email = unique_email(tag);
    u.id = signup_ok(api, email, PASSWORD);
    u.token = login_ok(api, email, PASSWORD);
    free(email);
    return u;
}

/* ---- tokens, made here independently of the code under test ---------------------------- */

/* base64url without padding of user_id || t || HMAC-SHA256(key, those 8 bytes)[:20]. */
static void make_token(const char *key, uint32_t uid, uint32_t t, char out[64])
{
    unsigned char raw[28], mac[32];
    unsigned int maclen = 0;
    char b64[64];
    int n;

    raw[0] = (unsigned char)(uid >> 24);
    raw[1] = (unsigned char)(uid >> 16);
    raw[2] = (unsigned char)(uid >> 8);
    raw[3] = (unsigned char)uid;
    raw[4] = (unsigned char)(t >> 24);
    raw[5] = (unsigned char)(t >> 16);
    raw[6] = (unsigned char)(t >> 8);
    raw[7] = (unsigned char)t;
    HMAC(EVP_sha256(), key, (int)strlen(key), raw, 8, mac, &maclen);
    memcpy(raw + 8, mac, 20);
    n = EVP_EncodeBlock((unsigned char *)b64, raw, sizeof(raw));
    while (n > 0 && b64[n - 1] == '=')
        n--;
    for (int i = 0; i < n; i++)
        out[i] = b64[i] == '+' ? '-' : b64[i] == '/' ? '_' : b64[i];
    out[n] = '\0';
}

/* Decodes a 38-character base64url token into 28 bytes. 0 or -1. */
static int decode_token(const char *tok, unsigned char raw[28])
{
    char b64[64];
    unsigned char buf[48];
    size_t n = strlen(tok);

    if (n != 38)
        return -1;
    for (size_t i = 0; i < n; i++) {
        char c = tok[i];
        if (c == '+' || c == '/' || c == '=')
            return -1;
        b64[i] = c == '-' ? '+' : c == '_' ? '/' : c;
    }
    memcpy(b64 + n, "==", 3);
    if (EVP_DecodeBlock(buf, (const unsigned char *)b64, 40) != 30)
        return -1;
    memcpy(raw, buf, 28);
    return 0;
}

/* GET the link as u and return its token (new string). */
static char *link_token(const struct api *api, const char *token)
{
    struct http_resp r;
    const char *link, *prefix = "https://t.me/" BOT_NAME "?start=";
    char *tok;

    http_get(api, LINK, token, &r);
    expect_status(&r, 200);
    link = expect_json_string(&r, "link");
    if (strncmp(link, prefix, strlen(prefix)) != 0)
        fail_msg("link %s does not start with %s", link, prefix);
    tok = strdup(link + strlen(prefix));
    http_resp_free(&r);
    return tok;
}

/* ---- the webhook --------------------------------------------------------------------- */

/* POSTs body to the webhook with the secret header (NULL: none). */
static void post_update_with(const struct api *api, const char *secret_header, const char *body,
                             struct http_resp *r)
{
    char hdr[256];
    const char *headers[] = {hdr, NULL};
    struct http_req req = {.method = "POST", .path = WEBHOOK, .body = body};

    if (secret_header) {
        snprintf(hdr, sizeof(hdr), "X-Telegram-Bot-Api-Secret-Token: %s", secret_header);
        req.headers = headers;
    }
    if (http_request(api, &req, r) != 0)
        fail_msg("webhook request failed: %s", r->error);
}

/* A /start (or any text) message from chat in a private chat with first name `name`. */
static void send_text(const struct api *api, long long chat, const char *name, const char *text,
                      const char *expect_status_text)
{
    json_t *u = telegram_fake_text_update(chat, name, NULL, text);
    char *body = json_dumps(u, JSON_COMPACT);
    struct http_resp r;

    post_update_with(api, HOOK_SECRET, body, &r);
    expect_status(&r, 200);
    expect_json_str(&r, "status", expect_status_text);
    http_resp_free(&r);
    free(body);
    json_decref(u);
}

static void send_start(const struct api *api, long long chat, const char *name, const char *tok)
{
    char text[256];
    snprintf(text, sizeof(text), "/start %s", tok);
    send_text(api, chat, name, text, "ok");
}

/* The n-th reply the stand-in got for chat, waiting for it a little. */
static void expect_reply(long long chat, size_t n, const char *want)
{
    char id[24];
    char *got = NULL;

    snprintf(id, sizeof(id), "%lld", chat);
    for (int i = 0; i < 50 && !got; i++) {
        got = telegram_fake_sent_text(fake, id, n);
        if (!got)
            sleep_ms(20);
    }
    if (!got)
        fail_msg("no reply #%zu to chat %s; requests: %s", n, id,
                 json_dumps(telegram_fake_requests(fake), JSON_COMPACT));
    if (strcmp(got, want) != 0)
        fail_msg("reply #%zu to chat %s is \"%s\", expected \"%s\"", n, id, got, want);
    free(got);
}

static long long telegram_channels(long long user_id, long long chat)
{
    char uid[24], cid[24];
    snprintf(uid, sizeof(uid), "%lld", user_id);
    snprintf(cid, sizeof(cid), "%lld", chat);
    return db_scalar_int("SELECT count(*) FROM notification_channels WHERE user_id = $1"
                         " AND provider = 'telegram' AND config->>'chat_id' = $2",
                         uid, cid, NULL);
}

static long long channels_with_chat(long long chat)
{
    char cid[24];
    snprintf(cid, sizeof(cid), "%lld", chat);
    return db_scalar_int("SELECT count(*) FROM notification_channels WHERE"
                         " config->>'chat_id' = $1",
                         cid, NULL);
}

/* ---- tests --------------------------------------------------------------------------- */

static void test_link_format(void **state)
{
    struct api *api = start_api(NULL);
    struct user u = new_user(api, "link");
    unsigned char raw[28], mac[32];
    unsigned int maclen = 0;
    uint32_t uid, t;
    long long now = (long long)time(NULL);
    char *tok = link_token(api, u.token);
    struct http_resp r;

    if (decode_token(tok, raw) != 0)
        fail_msg("token %s is not 38 characters of unpadded base64url", tok);
    uid = (uint32_t)raw[0] << 24 | (uint32_t)raw[1] << 16 | (uint32_t)raw[2] << 8 | raw[3];
    t = (uint32_t)raw[4] << 24 | (uint32_t)raw[5] << 16 | (uint32_t)raw[6] << 8 | raw[7];
    assert_int_equal(uid, u.id);
    if ((long long)t < now - 5 || (long long)t > now + 5)
        fail_msg("token time %u is not now (%lld)", t, now);
    HMAC(EVP_sha256(), SECRET_KEY, (int)strlen(SECRET_KEY), raw, 8, mac, &maclen);
    assert_memory_equal(raw + 8, mac, 20);
    free(tok);

    /* Without the trailing slash too. */
    http_get(api, "/api/v1/notifications/telegram-link", u.token, &r);
    expect_status(&r, 200);
    http_resp_free(&r);
    free(u.token);
    api_stop_clean(api);
}

static void test_link_not_configured(void **state)
{
    const char *no_name[] = {"TELEGRAM_BOT_NAME", NULL};
    const char *no_key[] = {"SECRET_KEY", NULL};
    const char *bad_name[] = {"TELEGRAM_BOT_NAME=not a/bot", NULL};
    const char *at_name[] = {"TELEGRAM_BOT_NAME=@" BOT_NAME, NULL};
    struct api *api;
    struct user u;
    struct http_resp r;
    char *tok;

    api = start_api(no_name);
    u = new_user(api, "noname");
    http_get(api, LINK, u.token, &r);
    expect_detail(&r, 503, NULL);
    assert_non_null(strstr(r.body, "TELEGRAM_BOT_NAME"));
    http_resp_free(&r);
    free(u.token);
    api_stop_clean(api);

    api = start_api(no_key);
    u = new_user(api, "nokey");
    http_get(api, LINK, u.token, &r);
    expect_detail(&r, 503, NULL);
    assert_non_null(strstr(r.body, "SECRET_KEY"));
    http_resp_free(&r);
    free(u.token);
    api_stop_clean(api);

    api = start_api(bad_name);
    u = new_user(api, "badname");
    http_get(api, LINK, u.token, &r);
    expect_detail(&r, 503, NULL);
    http_resp_free(&r);
    free(u.token);
    api_stop_clean(api);

    /* "@name" is accepted and the "@" left out of the link. */
    api = start_api(at_name);
    u = new_user(api, "atname");
    tok = link_token(api, u.token);
    free(tok);
    free(u.token);
    api_stop_clean(api);
}

static void test_webhook_secret(void **state)
{
    const char *no_secret[] = {"TELEGRAM_WEBHOOK_SECRET", NULL};
    const char *body = "{\"update_id\":1,\"message\":{\"message_id\":1,\"chat\":{\"id\":42,"
                       "\"type\":\"private\"},\"date\":1,\"text\":\"hello\"}}";
    struct api *api = start_api(NULL);
    struct http_resp r;
    struct http_req req = {.method = "POST", .path = WEBHOOK, .body = body};
    const char *empty_hdr[] = {"X-Telegram-Bot-Api-Secret-Token;", NULL};

    post_update_with(api, NULL, body, &r);
    expect_status(&r, 403);
    http_resp_free(&r);
    post_update_with(api, "wrong", body, &r);
    expect_status(&r, 403);
    http_resp_free(&r);
    post_update_with(api, HOOK_SECRET "x", body, &r);
    expect_status(&r, 403);
    http_resp_free(&r);
    post_update_with(api, "hook-secret-0123456788", body, &r);
    expect_status(&r, 403);
    http_resp_free(&r);
    req.headers = empty_hdr;
    assert_int_equal(http_request(api, &req, &r), 0);
    expect_status(&r, 403);
    http_resp_free(&r);
    /* The check comes first: a bad body with a bad secret is still 403. */
    post_update_with(api, "wrong", "{", &r);
    expect_status(&r, 403);
    http_resp_free(&r);
    post_update_with(api, HOOK_SECRET, body, &r);
    expect_status(&r, 200);
    expect_json_str(&r, "status", "ok");
    http_resp_free(&r);
    api_stop_clean(api);

    /* No secret configured: refused whatever is sent. */
    api = start_api(no_secret);
    post_update_with(api, NULL, body, &r);
    expect_status(&r, 403);
    http_resp_free(&r);
    assert_int_equal(http_request(api, &req, &r), 0);
    expect_status(&r, 403);
    http_resp_free(&r);
    post_update_with(api, HOOK_SECRET, body, &r);
    expect_status(&r, 403);
    http_resp_free(&r);
    api_stop_clean(api);
    assert_int_equal(telegram_fake_count(fake, NULL), 0);
}

static void test_webhook_ignored_updates(void **state)
{
    static const char *const ignored[] = {
        "{\"update_id\":5}",
        "{\"update_id\":6,\"edited_message\":{\"message_id\":1,\"chat\":{\"id\":42},\"text\":\"x\"}"
        "}",
        "{\"update_id\":7,\"message\":{\"message_id\":2,\"chat\":{\"id\":42,\"type\":\"private\"},"
        "\"date\":1,\"photo\":[{\"file_id\":\"abc\",\"width\":1,\"height\":1}]}}",
        "{\"update_id\":8,\"message\":{\"message_id\":3,\"chat\":{\"id\":42},\"text\":5}}",
        "{\"update_id\":9,\"message\":{\"message_id\":4,\"chat\":{\"id\":\"x\"},\"text\":\"hi\"}}",
        "{\"update_id\":10,\"my_chat_member\":{\"chat\":{\"id\":42}}}",
        "{}",
    };
    struct api *api = start_api(NULL);
    struct http_resp r;

    for (size_t i = 0; i < sizeof(ignored) / sizeof(ignored[0]); i++) {
        post_update_with(api, HOOK_SECRET, ignored[i], &r);
        if (r.status != 200)
            fail_msg("%s: expected 200, got %ld: %s", ignored[i], r.status, r.body);
        expect_json_str(&r, "status", "ignored");
        http_resp_free(&r);
    }
    /* Text that is not /start: accepted, no reply. */
    send_text(api, 42, "Al", "hello bot", "ok");
    send_text(api, 42, "Al", "/started", "ok");
    send_text(api, 42, "Al", "/help", "ok");
    /* Not JSON, or not an object: 400 (Telegram never sends these). */
    post_update_with(api, HOOK_SECRET, "{\"update_id\":", &r);
    expect_detail(&r, 400, NULL);
    http_resp_free(&r);
    post_update_with(api, HOOK_SECRET, "[]", &r);
    expect_detail(&r, 400, NULL);
    http_resp_free(&r);
    api_stop_clean(api);
    assert_int_equal(telegram_fake_count(fake, "sendMessage"), 0);
    assert_int_equal(channels_with_chat(42), 0);
}

static void test_start_links_once(void **state)
{
    struct api *api = start_api(NULL);
    struct user u = new_user(api, "start");
    char *tok = link_token(api, u.token), *name, uid[24];
    const long long chat = 5550001;
    struct http_resp r;

    send_start(api, chat, "Alice", tok);
    expect_reply(chat, 0, CONNECTED);
    assert_int_equal(telegram_channels(u.id, chat), 1);
    snprintf(uid, sizeof(uid), "%lld", u.id);
    name = db_scalar("SELECT name FROM notification_channels WHERE user_id = $1", uid, NULL);
    assert_string_equal(name, "Telegram (Alice)");
    free(name);
    name =
        db_scalar("SELECT config::text FROM notification_channels WHERE user_id = $1", uid, NULL);
    assert_string_equal(name, "{\"chat_id\": \"5550001\"}");
    free(name);

    /* The same again: told so, still one channel. */
    send_start(api, chat, "Alice", tok);
    expect_reply(chat, 1, ALREADY);
    assert_int_equal(telegram_channels(u.id, chat), 1);

    /* A fresh link from the same chat: also "already". */
    free(tok);
    sleep_ms(1100); /* a different second: a different token */
    tok = link_token(api, u.token);
    send_start(api, chat, "Alice", tok);
    expect_reply(chat, 2, ALREADY);
    assert_int_equal(telegram_channels(u.id, chat), 1);

    /* The dashboard sees it. */
    http_get(api, CHANNELS, u.token, &r);
    expect_status(&r, 200);
    assert_int_equal(json_array_size(r.json), 1);
    expect_json_str(&r, "0.provider", "telegram");
    expect_json_str(&r, "0.name", "Telegram (Alice)");
    expect_json_str(&r, "0.config.chat_id", "5550001");
    expect_timestamp(&r, "0.created_at");
    http_resp_free(&r);

    /* The replies were real sendMessage calls to the right chat. */
    {
        json_t *req = telegram_fake_request(fake, 0);
        assert_string_equal(json_string_value(json_object_get(req, "method")), "sendMessage");
        assert_int_equal(
            json_integer_value(json_object_get(json_object_get(req, "params"), "chat_id")), chat);
        assert_int_equal(json_integer_value(json_object_get(req, "status")), 200);
        json_decref(req);
    }
    assert_int_equal(telegram_fake_count(fake, "sendMessage"), 3);
    free(tok);
    free(u.token);
    api_stop_clean(api);
}

static void test_start_bad_tokens(void **state)
{
    struct api *api = start_api(NULL);
    struct user u = new_user(api, "bad");
    const long long chat = 5550002;
    uint32_t now = (uint32_t)time(NULL);
    char tok[64], bad[128];
    size_t replies = 0;

    /* Expired: issued 601 s (and more) ago. */
    make_token(SECRET_KEY, (uint32_t)u.id, now - 700, tok);
    send_start(api, chat, "Eve", tok);
    expect_reply(chat, replies++, INVALID);
    /* From the future, beyond the allowed skew. */
    make_token(SECRET_KEY, (uint32_t)u.id, now + 3600, tok);
    send_start(api, chat, "Eve", tok);
    expect_reply(chat, replies++, INVALID);
    /* Signed with another key. */
    make_token("some-other-key", (uint32_t)u.id, now, tok);
    send_start(api, chat, "Eve", tok);
    expect_reply(chat, replies++, INVALID);
    /* A valid token with one character changed (a flipped bit), truncated, extended. */
    make_token(SECRET_KEY, (uint32_t)u.id, now, tok);
    snprintf(bad, sizeof(bad), "%s", tok);
    bad[10] = bad[10] == 'A' ? 'B' : 'A';
    send_start(api, chat, "Eve", bad);
    expect_reply(chat, replies++, INVALID);
    snprintf(bad, sizeof(bad), "%.37s", tok);
    send_start(api, chat, "Eve", bad);
    expect_reply(chat, replies++, INVALID);
    snprintf(bad, sizeof(bad), "%sA", tok);
    send_start(api, chat, "Eve", bad);
    expect_reply(chat, replies++, INVALID);
    /* Another user's id under a MAC made for this one. */
    make_token(SECRET_KEY, (uint32_t)u.id + 1, now, bad);
    memcpy(bad + 11, tok + 11, 27);
    send_start(api, chat, "Eve", bad);
    expect_reply(chat, replies++, INVALID);
    send_start(api, chat, "Eve", "garbage");
    expect_reply(chat, replies++, INVALID);
    send_start(api, chat, "Eve", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
    expect_reply(chat, replies++, INVALID);

    assert_int_equal(channels_with_chat(chat), 0);
    assert_int_equal(telegram_fake_count(fake, "sendMessage"), replies);

    /* The genuine token still works afterwards. */
    send_start(api, chat, "Eve", tok);
    expect_reply(chat, replies++, CONNECTED);
    assert_int_equal(telegram_channels(u.id, chat), 1);
    free(u.token);
    api_stop_clean(api);
}

static void test_token_replayed_by_another_chat(void **state)
{
    struct api *api = start_api(NULL);
    struct user alice = new_user(api, "alice"), mallory = new_user(api, "mallory");
    char *tok = link_token(api, alice.token);
    const long long alice_chat = 5550003, mallory_chat = 5550004;

    send_start(api, alice_chat, "Alice", tok);
    expect_reply(alice_chat, 0, CONNECTED);
    /* The link leaked: someone else's chat sends it within its ten minutes. */
    send_start(api, mallory_chat, "Mallory", tok);
    expect_reply(mallory_chat, 0, INVALID);
    assert_int_equal(channels_with_chat(mallory_chat), 0);
    assert_int_equal(telegram_channels(alice.id, alice_chat), 1);
    assert_int_equal(telegram_channels(mallory.id, mallory_chat), 0);

    /* A token used first by the wrong chat stays that chat's: the owner is refused too. */
    free(tok);
    sleep_ms(1100);
    tok = link_token(api, mallory.token);
    send_start(api, alice_chat, "Alice", tok);
    expect_reply(alice_chat, 1, CONNECTED); /* Alice's chat joins Mallory's account */
    send_start(api, mallory_chat, "Mallory", tok);
    expect_reply(mallory_chat, 1, INVALID);
    assert_int_equal(telegram_channels(mallory.id, mallory_chat), 0);
    assert_int_equal(telegram_channels(mallory.id, alice_chat), 1);

    free(tok);
    free(alice.token);
    free(mallory.token);
    api_stop_clean(api);
}

static void test_start_variants(void **state)
{
    struct api *api = start_api(NULL);
    struct user u = new_user(api, "variants"), gone = new_user(api, "gone");
    char *tok = link_token(api, u.token), text[160], uid[24], *name;
    const long long chat = 5550005, group = -1001234567890LL;
    json_t *upd;
    char *body;
    struct http_resp r;

    /* A bare /start: the user opened the bot, not a link. */
    send_text(api, chat, "Bob", "/start", "ok");
    expect_reply(chat, 0,
                 "To connect this chat, open the Telegram link on your StatusHawk "
                 "dashboard.");
    /* In a group the command carries the bot's name; the name comes from the sender's
     * username when there is no first name. */
    snprintf(text, sizeof(text), "/start@%s   %s  ", BOT_NAME, tok);
    upd = json_pack("{s:I, s:{s:i, s:{s:I, s:s}, s:{s:I, s:b, s:s, s:s}, s:i, s:s}}", "update_id",
                    (json_int_t)77, "message", "message_id", 9, "chat", "id", (json_int_t)group,
                    "type", "supergroup", "from", "id", (json_int_t)chat, "is_bot", 0, "first_name",
                    "", "username", "bobby", "date", 1, "text", text);
    body = json_dumps(upd, JSON_COMPACT);
    post_update_with(api, HOOK_SECRET, body, &r);
    expect_status(&r, 200);
    expect_json_str(&r, "status", "ok");
    http_resp_free(&r);
    free(body);
    json_decref(upd);
    expect_reply(group, 0, CONNECTED);
    snprintf(uid, sizeof(uid), "%lld", u.id);
    name = db_scalar("SELECT name FROM notification_channels WHERE user_id = $1", uid, NULL);
    assert_string_equal(name, "Telegram (bobby)");
    free(name);
    assert_int_equal(telegram_channels(u.id, group), 1);

    /* A deactivated account gets nothing. */
    free(tok);
    tok = link_token(api, gone.token);
    snprintf(uid, sizeof(uid), "%lld", gone.id);
    db_scalar_int("WITH x AS (UPDATE users SET is_active = false WHERE id = $1 RETURNING id)"
                  " SELECT count(*) FROM x",
                  uid, NULL);
    send_start(api, chat, "Bob", tok);
    expect_reply(chat, 1, INVALID);
    assert_int_equal(telegram_channels(gone.id, chat), 0);

    free(tok);
    free(u.token);
    free(gone.token);
    api_stop_clean(api);
}

static void test_reply_failures_still_ok(void **state)
{
    struct api *api = start_api(NULL);
    struct user u = new_user(api, "fails");
    char *tok = link_token(api, u.token);
    const long long chat = 5550006, chat2 = 5550007;
    char port_env[96];
    const char *dead[] = {port_env, NULL};

    /* The user blocked the bot before the reply: linked anyway, 200 anyway. */
    telegram_fake_fail(fake, "sendMessage", "5550006", TELEGRAM_FAKE_BLOCKED, 0, 1);
    send_start(api, chat, "Carol", tok);
    assert_int_equal(telegram_channels(u.id, chat), 1);
    assert_int_equal(telegram_fake_wait(fake, "sendMessage", 1, 2000), 1);
    /* Rate limited and a proxy error: still 200 "ok". */
    telegram_fake_fail(fake, "sendMessage", NULL, TELEGRAM_FAKE_RETRY_AFTER, 3, 1);
    send_start(api, chat, "Carol", tok);
    telegram_fake_fail(fake, "sendMessage", NULL, TELEGRAM_FAKE_BAD_GATEWAY, 0, 1);
    send_start(api, chat, "Carol", tok);
    assert_int_equal(telegram_fake_wait(fake, "sendMessage", 3, 2000), 3);
    {
        json_t *all = telegram_fake_requests(fake);
        assert_int_equal(json_integer_value(json_object_get(json_array_get(all, 0), "status")),
                         403);
        assert_int_equal(json_integer_value(json_object_get(json_array_get(all, 1), "status")),
                         429);
        assert_int_equal(json_integer_value(json_object_get(json_array_get(all, 2), "status")),
                         502);
        json_decref(all);
    }
    assert_int_equal(telegram_channels(u.id, chat), 1);
    free(u.token);
    api_stop_clean(api);

    /* Telegram unreachable. */
    snprintf(port_env, sizeof(port_env), "TELEGRAM_API_BASE=http://127.0.0.1:%d",
             harness_free_port());
    api = start_api(dead);
    u = new_user(api, "unreach");
    free(tok);
    tok = link_token(api, u.token);
    send_start(api, chat2, "Dan", tok);
    assert_int_equal(telegram_channels(u.id, chat2), 1);
    free(tok);
    free(u.token);
    api_stop_clean(api);

    /* No bot token: linking works, nobody is told. */
    {
        const char *no_token[] = {"TELEGRAM_BOT_TOKEN", NULL};
        api = start_api(no_token);
        u = new_user(api, "notoken");
        tok = link_token(api, u.token);
        send_start(api, 5550008, "Erin", tok);
        assert_int_equal(telegram_channels(u.id, 5550008), 1);
        assert_int_equal(telegram_fake_count(fake, NULL), 0);
        free(tok);
        free(u.token);
        api_stop_clean(api);
    }
}

struct slow_post {
    const struct api *api;
    const char *body;
    long status;
    int64_t took_ms;
};

static void *slow_post_thread(void *arg)
{
    struct slow_post *p = arg;
    struct http_resp r;
    int64_t t0 = mono_ms();
    post_update_with(p->api, HOOK_SECRET, p->body, &r);
    p->status = r.status;
    p->took_ms = mono_ms() - t0;
    http_resp_free(&r);
    return NULL;
}

/* With one event thread, a slow sendMessage must not hold up other requests. */
static void test_reply_off_event_thread(void **state)
{
    const char *one_thread[] = {"STATUSHAWK_API_THREADS=1", NULL};
    struct api *api = start_api(one_thread);
    struct user u = new_user(api, "slow");
    char *tok = link_token(api, u.token), text[128], *body;
    json_t *upd;
    struct slow_post p = {.api = api};
    pthread_t th;
    struct http_resp r;
    int64_t t0, took;

    telegram_fake_fail(fake, "sendMessage", NULL, TELEGRAM_FAKE_DELAY, 1500, 1);
    snprintf(text, sizeof(text), "/start %s", tok);
    upd = telegram_fake_text_update(5550009, "Slow", NULL, text);
    body = json_dumps(upd, JSON_COMPACT);
    p.body = body;
    assert_int_equal(pthread_create(&th, NULL, slow_post_thread, &p), 0);
    sleep_ms(300);
    t0 = mono_ms();
    http_get(api, "/health/", NULL, &r);
    took = mono_ms() - t0;
    expect_status(&r, 200);
    http_resp_free(&r);
    pthread_join(th, NULL);
    if (took > 700)
        fail_msg("GET /health/ took %lld ms while a Telegram reply was pending", (long long)took);
    assert_int_equal(p.status, 200);
    if (p.took_ms < 1400)
        fail_msg("the webhook answered after %lld ms, before its reply was sent",
                 (long long)p.took_ms);
    expect_reply(5550009, 0, CONNECTED);
    free(body);
    json_decref(upd);
    free(tok);
    free(u.token);
    api_stop_clean(api);
}

int main(void)
{
    harness_require_env();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_link_format, harness_test_teardown),
        cmocka_unit_test_teardown(test_link_not_configured, harness_test_teardown),
        cmocka_unit_test_teardown(test_webhook_secret, harness_test_teardown),
        cmocka_unit_test_teardown(test_webhook_ignored_updates, harness_test_teardown),
        cmocka_unit_test_teardown(test_start_links_once, harness_test_teardown),
        cmocka_unit_test_teardown(test_start_bad_tokens, harness_test_teardown),
        cmocka_unit_test_teardown(test_token_replayed_by_another_chat, harness_test_teardown),
        cmocka_unit_test_teardown(test_start_variants, harness_test_teardown),
        cmocka_unit_test_teardown(test_reply_failures_still_ok, harness_test_teardown),
        cmocka_unit_test_teardown(test_reply_off_event_thread, harness_test_teardown),
    };
    return harness_finish(cmocka_run_group_tests(tests, group_setup, group_teardown));
}
