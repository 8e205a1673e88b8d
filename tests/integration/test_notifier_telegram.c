/* Integration tests of statushawk-notifier with Telegram, against the Bot API stand-in
 * (tests/fakes/telegram_fake): sendMessage with escaped HTML, 429 with retry_after, 5xx,
 * hangs, permanent errors, a blocked bot, a group migrated to a supergroup, long messages
 * split at 4,096 characters, the digest of an alert storm, the rate limits (per private
 * chat, per group, per bot, shared by two notifiers), and the magic link in polling mode
 * and webhook mode. */
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "common/tglink.h"
#include "notifier_harness.h"
#include "telegram_fake.h"

#define WAIT_MS 15000
#define TOKEN "7000000001:TEST-token_abc"
#define SECRET "integration-tests-secret-key-not-for-production"

static struct telegram_fake *g_fake;
static char g_base_env[128];

static int fake_setup(void **state)
{
    g_fake = telegram_fake_start(TOKEN);
    if (!g_fake)
        return -1;
    snprintf(g_base_env, sizeof(g_base_env), "TELEGRAM_API_BASE=%s", telegram_fake_base(g_fake));
    return 0;
}

static int fake_teardown(void **state)
{
    int rc = nt_teardown(state);
    telegram_fake_stop(g_fake);
    g_fake = NULL;
    return rc;
}

/* A notifier sending to the stand-in, neither polling nor registering a webhook, with the
 * extra settings given. */
static struct api *start_sender(const char *const *extra)
{
    const char *env[24] = {"TELEGRAM_BOT_TOKEN=" TOKEN, g_base_env, "TELEGRAM_MODE=off", NULL};
    int n = 3;
    for (int i = 0; extra && extra[i] && n < 23; i++)
        env[n++] = extra[i];
    env[n] = NULL;
    return nt_start(env);
}

static long long tg_channel(long long user, const char *chat)
{
    char *config = json_body("{s:s}", "chat_id", chat);
    long long id = nt_channel(user, "telegram", config, 1);
    free(config);
    return id;
}

/* sendMessage requests to chat so far, as a new array. */
static json_t *sends_to(const char *chat)
{
    json_t *all = telegram_fake_requests(g_fake), *out = json_array(), *r;
    size_t i;
    json_array_foreach(all, i, r)
    {
        json_t *p = json_object_get(r, "params");
        json_t *c = json_object_get(p, "chat_id");
        char buf[32] = "";
        if (json_is_integer(c))
            snprintf(buf, sizeof(buf), "%" JSON_INTEGER_FORMAT, json_integer_value(c));
        else if (json_is_string(c))
            snprintf(buf, sizeof(buf), "%s", json_string_value(c));
        if (strcasecmp(json_string_value(json_object_get(r, "method")), "sendMessage") == 0 &&
            strcmp(buf, chat) == 0)
            json_array_append(out, r);
    }
    json_decref(all);
    return out;
}

static size_t count_sends(const char *chat)
{
    json_t *s = sends_to(chat);
    size_t n = json_array_size(s);
    json_decref(s);
    return n;
}

static long long at_ms(json_t *req)
{
    return json_integer_value(json_object_get(req, "at_ms"));
}

static const char *text_of(json_t *req)
{
    return json_string_value(json_object_get(json_object_get(req, "params"), "text"));
}

/* The most requests of the array at_ms falls in any window of window_ms. */
static int max_in_window(json_t *reqs, long long window_ms)
{
    int best = 0;
    for (size_t i = 0; i < json_array_size(reqs); i++) {
        int n = 0;
        long long t0 = at_ms(json_array_get(reqs, i));
        for (size_t j = 0; j < json_array_size(reqs); j++) {
            long long t = at_ms(json_array_get(reqs, j));
            if (t >= t0 && t < t0 + window_ms)
                n++;
        }
        if (n > best)
            best = n;
    }
    return best;
}

/* ---- sending ---- */

static void test_send_escaped_html(void **state)
{
    nt_begin();
    long long user = nt_user();
    long long chan = tg_channel(user, "1001");
    struct api *n = start_sender(NULL);
    char *id = nt_xadd(&(struct nt_alert){.user_id = user,
                                          .name = "<b>Shop & Co</b>",
                                          .url = "https://shop.example.com/?a=1&b=<2>",
                                          .details = "{\"reason\":\"timeout\"}"});
    assert_int_equal(nt_wait_done(id, 1, WAIT_MS), 1);
    nt_expect_row(id, chan, "success", 1);
    json_t *s = sends_to("1001");
    assert_int_equal(json_array_size(s), 1);
    json_t *req = json_array_get(s, 0);
    json_t *p = json_object_get(req, "params");
    assert_int_equal(json_integer_value(json_object_get(req, "status")), 200);
    assert_string_equal(json_string_value(json_object_get(p, "parse_mode")), "HTML");
    assert_true(json_is_true(json_object_get(p, "disable_web_page_preview")));
    const char *text = text_of(req);
    assert_non_null(strstr(text, "<b>DOWN</b> \xC2\xB7 <b>&lt;b&gt;Shop &amp; Co&lt;/b&gt;</b>"));
    assert_non_null(strstr(text, "https://shop.example.com/?a=1&amp;b=&lt;2&gt;"));
    assert_non_null(strstr(text, "Why: timeout"));
    /* The payload in the log is what was sent. */
    char *logged =
        db_scalar("SELECT payload->>'text' FROM notification_log WHERE alert_id = $1", id, NULL);
    assert_string_equal(logged, text);
    char *chat =
        db_scalar("SELECT payload->>'chat_id' FROM notification_log WHERE alert_id = $1", id, NULL);
    assert_string_equal(chat, "1001");
    free(logged);
    free(chat);
    json_decref(s);
    assert_true(nt_eventually(nt_metric(n, "sent_total{provider=\"telegram\"}") == 1, 2000));
    free(id);
    nt_stop_clean(n);
}

/* 429: the next attempt waits retry_after, and so does the next message to that chat. */
static void test_retry_after(void **state)
{
    nt_begin();
    telegram_fake_reset(g_fake);
    long long user = nt_user();
    long long chan = tg_channel(user, "1002");
    telegram_fake_fail(g_fake, "sendMessage", "1002", TELEGRAM_FAKE_RETRY_AFTER, 2, 1);
    struct api *n = start_sender(NULL);
    char *id = nt_xadd(&(struct nt_alert){.user_id = user});
    assert_true(nt_eventually(count_sends("1002") == 1, WAIT_MS));
    char *id2 = nt_xadd(&(struct nt_alert){.user_id = user, .kind = "up"});
    assert_int_equal(nt_wait_done(id, 1, WAIT_MS), 1);
    assert_int_equal(nt_wait_done(id2, 1, WAIT_MS), 1);
    nt_expect_row(id, chan, "success", 2);
    json_t *s = sends_to("1002");
    assert_true(json_array_size(s) >= 2);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(s, 0), "status")), 429);
    for (size_t i = 1; i < json_array_size(s); i++) {
        long long gap = at_ms(json_array_get(s, i)) - at_ms(json_array_get(s, 0));
        if (gap < 1900) /* 2 s, less what arrival jitter can take off */
            fail_msg("send %zu came %lld ms after the 429 with retry_after 2 s", i, gap);
    }
    char *err = NULL;
    nt_log_row(id, chan, NULL, NULL, &err);
    assert_null(err); /* cleared by the success */
    json_decref(s);
    free(id);
    free(id2);
    nt_stop_clean(n);
}

/* 500, a 502 from a proxy, and a hang: each retried with backoff, then success. */
static void test_server_errors_and_hang(void **state)
{
    nt_begin();
    telegram_fake_reset(g_fake);
    long long user = nt_user();
    long long chan = tg_channel(user, "1003");
    telegram_fake_fail(g_fake, "sendMessage", "1003", TELEGRAM_FAKE_SERVER_ERROR, 0, 1);
    telegram_fake_fail(g_fake, "sendMessage", "1003", TELEGRAM_FAKE_BAD_GATEWAY, 0, 1);
    telegram_fake_fail(g_fake, "sendMessage", "1003", TELEGRAM_FAKE_HANG, 0, 1);
    struct api *n = start_sender((const char *[]){"NOTIFIER_SEND_TIMEOUT_MS=800", NULL});
    char *id = nt_xadd(&(struct nt_alert){.user_id = user});
    assert_int_equal(nt_wait_done(id, 1, WAIT_MS), 1);
    nt_expect_row(id, chan, "success", 4);
    assert_true(nt_eventually(nt_metric(n, "retried_total{provider=\"telegram\"}") == 3, 2000));
    json_t *s = sends_to("1003");
    /* The hung request is recorded only when the stand-in stops; the others are here. */
    assert_true(json_array_size(s) >= 3);
    json_decref(s);
    free(id);
    nt_stop_clean(n);
}

/* 400 chat not found and 401 (a wrong token): failure at once, no retry. */
static void test_permanent_errors(void **state)
{
    nt_begin();
    telegram_fake_reset(g_fake);
    long long user = nt_user();
    long long gone = tg_channel(user, "1004");
    telegram_fake_fail(g_fake, "sendMessage", "1004", TELEGRAM_FAKE_CHAT_NOT_FOUND, 0, -1);
    struct api *n = start_sender(NULL);
    char *id = nt_xadd(&(struct nt_alert){.user_id = user});
    assert_int_equal(nt_wait_done(id, 1, WAIT_MS), 1);
    nt_expect_row(id, gone, "failure", 1);
    char *err = NULL;
    nt_log_row(id, gone, NULL, NULL, &err);
    assert_non_null(strstr(err, "chat not found"));
    free(err);
    nt_stop_clean(n);

    long long user2 = nt_user();
    long long ok = tg_channel(user2, "1005");
    n = nt_start((const char *[]){"TELEGRAM_BOT_TOKEN=7000000001:wrong-token", g_base_env,
                                  "TELEGRAM_MODE=off", NULL});
    char *id2 = nt_xadd(&(struct nt_alert){.user_id = user2});
    assert_int_equal(nt_wait_done(id2, 1, WAIT_MS), 1);
    nt_expect_row(id2, ok, "failure", 1);
    nt_log_row(id2, ok, NULL, NULL, &err);
    assert_non_null(strstr(err, "unauthorized"));
    free(err);
    sleep_ms(300);
    assert_int_equal(count_sends("1004"), 1); /* never retried */
    free(id);
    free(id2);
    nt_stop_clean(n);
}

/* 403: the user blocked the bot. Failure, and the channel is deactivated. */
static void test_blocked_deactivates_channel(void **state)
{
    nt_begin();
    telegram_fake_reset(g_fake);
    long long user = nt_user();
    long long chan = tg_channel(user, "1006");
    long long console = nt_channel(user, "console", "{}", 1);
    telegram_fake_fail(g_fake, "sendMessage", "1006", TELEGRAM_FAKE_BLOCKED, 0, -1);
    struct api *n = start_sender(NULL);
    char *id = nt_xadd(&(struct nt_alert){.user_id = user});
    assert_int_equal(nt_wait_done(id, 2, WAIT_MS), 2);
    nt_expect_row(id, chan, "failure", 1);
    nt_expect_row(id, console, "success", 1);
    char cid[24];
    snprintf(cid, sizeof(cid), "%lld", chan);
    assert_true(nt_eventually(db_scalar_int("SELECT count(*) FROM notification_channels WHERE id"
                                            " = $1 AND NOT is_active",
                                            cid, NULL) == 1,
                              WAIT_MS));
    char *id2 = nt_xadd(&(struct nt_alert){.user_id = user});
    assert_int_equal(nt_wait_done(id2, 1, WAIT_MS), 1);
    assert_int_equal(nt_log_row(id2, chan, NULL, NULL, NULL), -1); /* not tried again */
    assert_int_equal(count_sends("1006"), 1);
    assert_true(nt_metric(n, "channels_deactivated_total") == 1);
    free(id);
    free(id2);
    nt_stop_clean(n);
}

/* A group that became a supergroup: the stored chat id moves, the message goes there. */
static void test_chat_migration(void **state)
{
    nt_begin();
    telegram_fake_reset(g_fake);
    long long user = nt_user();
    long long chan = tg_channel(user, "-1007");
    telegram_fake_fail(g_fake, "sendMessage", "-1007", TELEGRAM_FAKE_MIGRATE, -1001000001007LL, -1);
    struct api *n = start_sender(NULL);
    char *id = nt_xadd(&(struct nt_alert){.user_id = user});
    assert_int_equal(nt_wait_done(id, 1, WAIT_MS), 1);
    nt_expect_row(id, chan, "success", 2);
    char cid[24];
    snprintf(cid, sizeof(cid), "%lld", chan);
    char *chat =
        db_scalar("SELECT config->>'chat_id' FROM notification_channels WHERE id = $1", cid, NULL);
    assert_string_equal(chat, "-1001000001007");
    free(chat);
    assert_int_equal(count_sends("-1007"), 1);
    assert_int_equal(count_sends("-1001000001007"), 1);
    /* The next alert goes to the supergroup directly. */
    char *id2 = nt_xadd(&(struct nt_alert){.user_id = user, .kind = "up"});
    assert_int_equal(nt_wait_done(id2, 1, WAIT_MS), 1);
    nt_expect_row(id2, chan, "success", 1);
    assert_int_equal(count_sends("-1007"), 1);
    assert_true(nt_metric(n, "chats_migrated_total") == 1);
    free(id);
    free(id2);
    nt_stop_clean(n);
}

/* A message longer than 4,096 characters goes in parts, in order, each within the limit. */
static void test_long_message_split(void **state)
{
    nt_begin();
    telegram_fake_reset(g_fake);
    long long user = nt_user();
    /* A template of 1,000 characters, the monitor's 1,000-character name five times: about
     * 6,000 characters after escaping. */
    char tmpl[256] = "<b>Long</b> ";
    char name[1001];
    memset(name, 'n', 1000);
    name[1000] = '\0';
    for (int i = 0; i < 1000; i += 100)
        name[i] = '&';
    for (int i = 0; i < 5; i++)
        strcat(tmpl, "{{monitor}}\n");
    char *config = json_body("{s:s, s:s}", "chat_id", "1008", "template", tmpl);
    long long chan = nt_channel(user, "telegram", config, 1);
    struct api *n = start_sender(NULL);
    char *id = nt_xadd(&(struct nt_alert){.user_id = user, .name = name});
    assert_int_equal(nt_wait_done(id, 1, WAIT_MS), 1);
    nt_expect_row(id, chan, "success", 1);
    json_t *s = sends_to("1008");
    assert_int_equal(json_array_size(s), 2);
    for (size_t i = 0; i < 2; i++)
        assert_int_equal(json_integer_value(json_object_get(json_array_get(s, i), "status")), 200);
    assert_memory_equal(text_of(json_array_get(s, 0)), "<b>Long</b> ", 12);
    json_decref(s);
    free(config);
    free(id);
    nt_stop_clean(n);
}

/* 200 alerts for one chat at once: a digest or two, not 200 messages; each alert logged. */
static void test_storm_digest(void **state)
{
    nt_begin();
    telegram_fake_reset(g_fake);
    long long user = nt_user();
    long long chan = tg_channel(user, "1009");
    char *ids[200];
    for (int i = 0; i < 200; i++) {
        char name[32];
        snprintf(name, sizeof(name), "service-%03d", i);
        ids[i] = nt_xadd(
            &(struct nt_alert){.user_id = user, .name = name, .details = "{\"status_code\":502}"});
    }
    struct api *n = start_sender(NULL);
    for (int i = 0; i < 200; i++) {
        assert_int_equal(nt_wait_done(ids[i], 1, WAIT_MS), 1);
        nt_expect_row(ids[i], chan, "success", 1);
        free(ids[i]);
    }
    json_t *s = sends_to("1009");
    size_t msgs = json_array_size(s);
    if (msgs > 3)
        fail_msg("a storm of 200 alerts became %zu messages", msgs);
    int digest = 0;
    for (size_t i = 0; i < msgs; i++) {
        const char *t = text_of(json_array_get(s, i));
        if (strstr(t, "monitors DOWN</b>:")) {
            digest = 1;
            assert_non_null(strstr(t, "service-"));
            assert_non_null(strstr(t, "HTTP 502"));
        }
    }
    assert_true(digest);
    char cid[24];
    snprintf(cid, sizeof(cid), "%lld", chan);
    assert_true(db_scalar_int("SELECT count(*) FROM notification_log WHERE channel_id = $1 AND"
                              " payload ? 'digest'",
                              cid, NULL) >= 198);
    assert_true(nt_metric(n, "digests_total") >= 1);
    json_decref(s);
    nt_stop_clean(n);
}

/* The same storm read by two notifiers: the one that owns the chat gets the other's alerts
 * handed over, so it is still a digest or two, not one per notifier per turn. */
static void test_storm_two_notifiers(void **state)
{
    nt_begin();
    telegram_fake_reset(g_fake);
    long long user = nt_user();
    long long chan = tg_channel(user, "1013");
    const char *env[] = {"NOTIFIER_READ_BATCH=10", NULL};
    struct api *a = start_sender(env), *b = start_sender(env);
    nt_wait_ready(a);
    nt_wait_ready(b);
    char *ids[200];
    for (int i = 0; i < 200; i++) {
        char name[32];
        snprintf(name, sizeof(name), "svc-%03d", i);
        ids[i] = nt_xadd(&(struct nt_alert){.user_id = user, .name = name});
    }
    for (int i = 0; i < 200; i++) {
        assert_int_equal(nt_wait_done(ids[i], 1, WAIT_MS), 1);
        nt_expect_row(ids[i], chan, "success", 1);
        free(ids[i]);
    }
    double ra = nt_metric(a, "events_read_total"), rb = nt_metric(b, "events_read_total");
    double ha = nt_metric(a, "handoffs_total"), hb = nt_metric(b, "handoffs_total");
    size_t msgs = count_sends("1013");
    if (msgs > 4)
        fail_msg("200 alerts read by two notifiers (%g and %g) became %zu messages (hand-overs "
                 "%g and %g)",
                 ra, rb, msgs, ha, hb);
    assert_true(ra + rb == 200);
    if (ra > 0 && rb > 0)
        assert_true(ha + hb >= 1);
    /* Nothing is left behind: the hand-over list is empty, the fallbacks removed. */
    assert_true(nt_eventually(nt_retry_queue() == 0, WAIT_MS));
    nt_stop_clean(a);
    nt_stop_clean(b);
}

/* ---- rate limits ---- */

/* One private chat, no digests: a burst of 2, then one every 200 ms (300 a minute). */
static void test_rate_limit_private_chat(void **state)
{
    nt_begin();
    telegram_fake_reset(g_fake);
    long long user = nt_user();
    tg_channel(user, "1010");
    struct api *n = start_sender(
        (const char *[]){"NOTIFIER_DIGEST_MIN=10000", "NOTIFIER_DIGEST_MAX=10000",
                         "NOTIFIER_TG_PRIVATE_PER_MIN=300", "NOTIFIER_TG_PRIVATE_BURST=2", NULL});
    char *ids[8];
    for (int i = 0; i < 8; i++)
        ids[i] = nt_xadd(&(struct nt_alert){.user_id = user});
    for (int i = 0; i < 8; i++) {
        assert_int_equal(nt_wait_done(ids[i], 1, WAIT_MS), 1);
        free(ids[i]);
    }
    json_t *s = sends_to("1010");
    assert_int_equal(json_array_size(s), 8);
    long long span = at_ms(json_array_get(s, 7)) - at_ms(json_array_get(s, 0));
    /* 2 at once, then 6 x 200 ms */
    if (span < 1000) /* 1,200 ms, less arrival jitter; unlimited it would be a few ms */
        fail_msg("8 messages in %lld ms; the limit allows no faster than 1,200 ms", span);
    int most = max_in_window(s, 1000);
    if (most > 7) /* GCRA: burst + window / interval = 2 + 1000 / 200, in any second */
        fail_msg("%d messages to one chat in one second", most);
    assert_true(nt_metric(n, "rate_limited_total") >= 1);
    json_decref(s);
    nt_stop_clean(n);
}

/* A group chat (negative id) has the per-minute limit; the bot its per-second one. */
static void test_rate_limit_group_and_bot(void **state)
{
    nt_begin();
    telegram_fake_reset(g_fake);
    long long user = nt_user();
    tg_channel(user, "-1011");
    struct api *n =
        start_sender((const char *[]){"NOTIFIER_DIGEST_MIN=10000", "NOTIFIER_DIGEST_MAX=10000",
                                      "NOTIFIER_TG_GROUP_PER_MIN=120", NULL});
    char *ids[4];
    for (int i = 0; i < 4; i++)
        ids[i] = nt_xadd(&(struct nt_alert){.user_id = user});
    for (int i = 0; i < 4; i++) {
        assert_int_equal(nt_wait_done(ids[i], 1, WAIT_MS), 1);
        free(ids[i]);
    }
    json_t *s = sends_to("-1011");
    for (size_t i = 1; i < json_array_size(s); i++) {
        long long gap = at_ms(json_array_get(s, i)) - at_ms(json_array_get(s, i - 1));
        if (gap < 400) /* 500 ms, less arrival jitter */
            fail_msg("group messages %lld ms apart (limit 120 a minute)", gap);
    }
    json_decref(s);
    nt_stop_clean(n);

    /* 40 chats, one alert each, the bot limited to 20 a second. */
    nt_begin();
    telegram_fake_reset(g_fake);
    long long u2 = nt_user();
    char chat[16];
    for (int i = 0; i < 40; i++) {
        snprintf(chat, sizeof(chat), "20%02d", i);
        tg_channel(u2, chat);
    }
    n = start_sender((const char *[]){"NOTIFIER_TG_BOT_PER_S=20", NULL});
    char *id = nt_xadd(&(struct nt_alert){.user_id = u2});
    assert_int_equal(nt_wait_done(id, 40, WAIT_MS), 40);
    json_t *all = telegram_fake_requests(g_fake), *sends = json_array(), *r;
    size_t i;
    json_array_foreach(all, i, r) if (strcmp(json_string_value(json_object_get(r, "method")),
                                             "sendMessage") == 0) json_array_append(sends, r);
    assert_int_equal(json_array_size(sends), 40);
    long long span = at_ms(json_array_get(sends, 39)) - at_ms(json_array_get(sends, 0));
    if (span < 1700) /* 39 x 50 ms, less arrival jitter */
        fail_msg("40 messages in %lld ms with the bot limited to 20 a second", span);
    int most = max_in_window(sends, 1000);
    if (most > 22) /* 20 + the window's two edges, + one for jitter */
        fail_msg("%d messages in one second with the bot limited to 20", most);
    json_decref(all);
    json_decref(sends);
    free(id);
    nt_stop_clean(n);
}

/* Two notifiers share the limits through Redis. */
static void test_rate_limit_shared(void **state)
{
    nt_begin();
    telegram_fake_reset(g_fake);
    long long user = nt_user();
    tg_channel(user, "-1012");
    const char *env[] = {"NOTIFIER_DIGEST_MIN=10000", "NOTIFIER_DIGEST_MAX=10000",
                         "NOTIFIER_TG_GROUP_PER_MIN=120", "NOTIFIER_READ_BATCH=1", NULL};
    struct api *a = start_sender(env), *b = start_sender(env);
    char *ids[6];
    for (int i = 0; i < 6; i++)
        ids[i] = nt_xadd(&(struct nt_alert){.user_id = user});
    for (int i = 0; i < 6; i++) {
        assert_int_equal(nt_wait_done(ids[i], 1, WAIT_MS), 1);
        free(ids[i]);
    }
    json_t *s = sends_to("-1012");
    assert_int_equal(json_array_size(s), 6);
    /* Sorted by arrival (the stand-in records in order): 500 ms apart whoever sent them. */
    for (size_t i = 1; i < json_array_size(s); i++) {
        long long gap = at_ms(json_array_get(s, i)) - at_ms(json_array_get(s, i - 1));
        if (gap < 400)
            fail_msg("two notifiers sent to one group %lld ms apart (limit 120 a minute)", gap);
    }
    double sa = nt_metric(a, "sent_total{provider=\"telegram\"}");
    double sb = nt_metric(b, "sent_total{provider=\"telegram\"}");
    assert_true(sa + sb == 6);
    json_decref(s);
    nt_stop_clean(a);
    nt_stop_clean(b);
}

/* ---- linking ---- */

static char *link_token(long long user)
{
    char tok[TGLINK_TOKEN_LEN + 1];
    if (tglink_make(SECRET, (uint32_t)user, time(NULL), tok) != 0)
        fail_msg("tglink_make");
    return strdup(tok);
}

static long long channel_for_chat(long long user, const char *chat)
{
    char uid[24];
    snprintf(uid, sizeof(uid), "%lld", user);
    return db_scalar_int("SELECT count(*) FROM notification_channels WHERE user_id = $1 AND"
                         " provider = 'telegram' AND config->>'chat_id' = $2",
                         uid, chat, NULL);
}

/* Polling mode: /start <token> through getUpdates links the chat and answers; the offset is
 * stored, so the next notifier continues after it; only one notifier polls at a time. */
static void test_polling_links_chat(void **state)
{
    nt_begin();
    telegram_fake_reset(g_fake);
    long long user = nt_user();
    const char *env[] = {"TELEGRAM_BOT_TOKEN=" TOKEN, g_base_env, NULL}; /* mode auto: polling */
    struct api *a = nt_start(env), *b = nt_start(env);
    assert_true(nt_eventually(
        nt_metric(a, "telegram_poll_holder") + nt_metric(b, "telegram_poll_holder") == 1, WAIT_MS));
    char *tok = link_token(user);
    char text[128];
    snprintf(text, sizeof(text), "/start %s", tok);
    int64_t update =
        telegram_fake_push_update(g_fake, telegram_fake_text_update(3001, "Ada", "ada_l", text));
    assert_true(nt_eventually(channel_for_chat(user, "3001") == 1, WAIT_MS));
    assert_true(nt_eventually(count_sends("3001") == 1, WAIT_MS));
    json_t *s = sends_to("3001");
    assert_string_equal(text_of(json_array_get(s, 0)), "Connected!");
    json_decref(s);
    char bot[24];
    snprintf(bot, sizeof(bot), "%lld", 7000000001LL);
    assert_true(nt_eventually(db_scalar_int("SELECT update_offset FROM telegram_poll_state"
                                            " WHERE bot_id = $1",
                                            bot, NULL) == update + 1,
                              WAIT_MS));
    /* The new channel gets alerts. */
    char *id = nt_xadd(&(struct nt_alert){.user_id = user});
    assert_int_equal(nt_wait_done(id, 1, WAIT_MS), 1);
    assert_true(nt_eventually(count_sends("3001") == 2, WAIT_MS));

    /* The holder dies: the other takes the lease over (NOTIFIER_TG_LOCK_TTL=3 s) and
     * continues from the stored offset. */
    struct api *holder = nt_metric(a, "telegram_poll_holder") == 1 ? a : b;
    struct api *other = holder == a ? b : a;
    nt_kill(holder);
    assert_true(nt_eventually(nt_metric(other, "telegram_poll_holder") == 1, WAIT_MS));
    long long user2 = nt_user();
    char *tok2 = link_token(user2);
    snprintf(text, sizeof(text), "/start %s", tok2);
    telegram_fake_push_update(g_fake, telegram_fake_text_update(3002, "Bob", NULL, text));
    assert_true(nt_eventually(channel_for_chat(user2, "3002") == 1, WAIT_MS));
    /* Every getUpdates after the first link asked for updates after it. */
    json_t *all = telegram_fake_requests(g_fake), *r;
    size_t i;
    int seen_first = 0;
    json_array_foreach(all, i, r)
    {
        if (strcmp(json_string_value(json_object_get(r, "method")), "getUpdates") != 0)
            continue;
        json_int_t off =
            json_integer_value(json_object_get(json_object_get(r, "params"), "offset"));
        if (off > update)
            seen_first = 1;
        else if (seen_first)
            fail_msg("a getUpdates went back to offset %" JSON_INTEGER_FORMAT, off);
    }
    json_decref(all);
    /* The first chat was told once, never twice. */
    s = sends_to("3001");
    size_t connected = 0;
    for (i = 0; i < json_array_size(s); i++)
        connected += strcmp(text_of(json_array_get(s, i)), "Connected!") == 0;
    assert_int_equal(connected, 1);
    json_decref(s);
    /* A bad token is answered, and links nothing. */
    telegram_fake_push_update(g_fake,
                              telegram_fake_text_update(3003, "Eve", NULL, "/start forged"));
    assert_true(nt_eventually(count_sends("3003") == 1, WAIT_MS));
    s = sends_to("3003");
    assert_string_equal(text_of(json_array_get(s, 0)), "Invalid or expired token.");
    json_decref(s);
    free(tok);
    free(tok2);
    free(id);
    nt_stop_clean(other);
    nt_free(holder);
}

/* Webhook mode: the notifier registers the URL and its secret; it does not poll. Polling
 * mode afterwards clears the webhook first. */
static void test_webhook_mode(void **state)
{
    nt_begin();
    telegram_fake_reset(g_fake);
    struct api *n = nt_start((const char *[]){"TELEGRAM_BOT_TOKEN=" TOKEN, g_base_env,
                                              "TELEGRAM_WEBHOOK_URL=https://hawk.example.com/"
                                              "api/v1/notifications/webhook/telegram/",
                                              "TELEGRAM_WEBHOOK_SECRET=hook-secret", NULL});
    assert_true(nt_eventually(telegram_fake_count(g_fake, "setWebhook") == 1, WAIT_MS));
    char *url = telegram_fake_webhook(g_fake);
    assert_string_equal(url, "https://hawk.example.com/api/v1/notifications/webhook/telegram/");
    free(url);
    json_t *req = telegram_fake_request(g_fake, 0);
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(req, "params"), "secret_token")),
        "hook-secret");
    json_decref(req);
    sleep_ms(1500);
    assert_int_equal(telegram_fake_count(g_fake, "getUpdates"), 0);
    nt_stop_clean(n);

    n = nt_start((const char *[]){"TELEGRAM_BOT_TOKEN=" TOKEN, g_base_env, NULL});
    assert_true(nt_eventually(telegram_fake_count(g_fake, "getUpdates") >= 1, WAIT_MS));
    url = telegram_fake_webhook(g_fake);
    assert_string_equal(url, "");
    free(url);
    nt_stop_clean(n);
}

int main(void)
{
    nt_require_env();
    if (getenv("NT_FILTER"))
        cmocka_set_test_filter(getenv("NT_FILTER"));
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_send_escaped_html, fake_setup, fake_teardown),
        cmocka_unit_test_setup_teardown(test_retry_after, fake_setup, fake_teardown),
        cmocka_unit_test_setup_teardown(test_server_errors_and_hang, fake_setup, fake_teardown),
        cmocka_unit_test_setup_teardown(test_permanent_errors, fake_setup, fake_teardown),
        cmocka_unit_test_setup_teardown(test_blocked_deactivates_channel, fake_setup,
                                        fake_teardown),
        cmocka_unit_test_setup_teardown(test_chat_migration, fake_setup, fake_teardown),
        cmocka_unit_test_setup_teardown(test_long_message_split, fake_setup, fake_teardown),
        cmocka_unit_test_setup_teardown(test_storm_digest, fake_setup, fake_teardown),
        cmocka_unit_test_setup_teardown(test_storm_two_notifiers, fake_setup, fake_teardown),
        cmocka_unit_test_setup_teardown(test_rate_limit_private_chat, fake_setup, fake_teardown),
        cmocka_unit_test_setup_teardown(test_rate_limit_group_and_bot, fake_setup, fake_teardown),
        cmocka_unit_test_setup_teardown(test_rate_limit_shared, fake_setup, fake_teardown),
        cmocka_unit_test_setup_teardown(test_polling_links_chat, fake_setup, fake_teardown),
        cmocka_unit_test_setup_teardown(test_webhook_mode, fake_setup, fake_teardown),
    };
    return harness_finish(cmocka_run_group_tests(tests, harness_group_setup, nt_group_teardown));
}
