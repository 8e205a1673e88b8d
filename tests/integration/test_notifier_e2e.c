/* The whole product, end to end, with every process running: statushawk-api,
 * statushawk-runner and statushawk-notifier against real PostgreSQL and Redis, the Telegram
 * Bot API stand-in (tests/fakes) and an HTTP target the test controls.
 *
 * A user signs up and gets the magic link; the stand-in delivers "/start <token>" — to the
 * api's webhook (registered by a notifier in webhook mode) for one user, through getUpdates
 * to a notifier in polling mode for another — and a channel exists. A monitor on the local
 * target goes DOWN after the confirmation re-check (one message), recovers (one UP message
 * with the incident's duration), and a latency spike on the steady target gives one anomaly
 * message. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "notifier_harness.h"
#include "runner_harness.h"
#include "targets.h"
#include "telegram_fake.h"

#define WAIT_MS 30000
#define TOKEN "7000000001:E2E-token"
#define HOOK_SECRET "e2e-hook-secret"
#define HOOK_PATH "/api/v1/notifications/webhook/telegram/"

static struct telegram_fake *g_fake;

static int e2e_teardown(void **state)
{
    rh_stop_all();
    int rc = nt_teardown(state);
    telegram_fake_stop(g_fake);
    g_fake = NULL;
    return rc;
}

/* Texts of the sendMessage requests to chat, in order (new array of strings). */
static json_t *texts_to(const char *chat)
{
    json_t *all = telegram_fake_requests(g_fake), *out = json_array(), *r;
    size_t i;
    json_array_foreach(all, i, r)
    {
        json_t *p = json_object_get(r, "params"), *c = json_object_get(p, "chat_id");
        char buf[32] = "";
        if (json_is_integer(c))
            snprintf(buf, sizeof(buf), "%" JSON_INTEGER_FORMAT, json_integer_value(c));
        else if (json_is_string(c))
            snprintf(buf, sizeof(buf), "%s", json_string_value(c));
        if (strcasecmp(json_string_value(json_object_get(r, "method")), "sendMessage") == 0 &&
            strcmp(buf, chat) == 0 && json_integer_value(json_object_get(r, "status")) == 200) {
            json_t *o = json_pack("{s:O, s:O}", "text", json_object_get(p, "text"), "at_ms",
                                  json_object_get(r, "at_ms"));
            json_array_append_new(out, o);
        }
    }
    json_decref(all);
    return out;
}

/* Messages to chat whose text contains needle. */
static int count_to(const char *chat, const char *needle)
{
    json_t *t = texts_to(chat), *m;
    size_t i;
    int n = 0;
    json_array_foreach(t, i, m) n +=
        strstr(json_string_value(json_object_get(m, "text")), needle) != NULL;
    json_decref(t);
    return n;
}

/* at_ms of the first message to chat containing needle, 0 when none. */
static long long first_at(const char *chat, const char *needle)
{
    json_t *t = texts_to(chat), *m;
    size_t i;
    long long at = 0;
    json_array_foreach(t, i, m)
    {
        if (!at && strstr(json_string_value(json_object_get(m, "text")), needle))
            at = json_integer_value(json_object_get(m, "at_ms"));
    }
    json_decref(t);
    return at;
}

static char *link_token(const struct api *api, const char *token)
{
    struct http_resp r;
    http_get(api, "/api/v1/notifications/telegram-link/", token, &r);
    expect_status(&r, 200);
    const char *link = expect_json_string(&r, "link");
    assert_non_null(strstr(link, "https://t.me/" TELEGRAM_FAKE_BOT_USERNAME "?start="));
    char *tok = strdup(strstr(link, "?start=") + 7);
    http_resp_free(&r);
    return tok;
}

static long long telegram_channels(long long user, const char *chat)
{
    char uid[24];
    snprintf(uid, sizeof(uid), "%lld", user);
    return db_scalar_int("SELECT count(*) FROM notification_channels WHERE user_id = $1 AND"
                         " provider = 'telegram' AND is_active AND config->>'chat_id' = $2",
                         uid, chat, NULL);
}

static void push_start(long long chat, const char *name, const char *tok)
{
    char text[128];
    snprintf(text, sizeof(text), "/start %s", tok);
    telegram_fake_push_update(g_fake, telegram_fake_text_update(chat, name, NULL, text));
}

static void test_end_to_end(void **state)
{
    char base_env[128], hook_env[256], prefix_env[128];
    g_fake = telegram_fake_start(TOKEN);
    assert_non_null(g_fake);
    snprintf(base_env, sizeof(base_env), "TELEGRAM_API_BASE=%s", telegram_fake_base(g_fake));
    snprintf(prefix_env, sizeof(prefix_env), "STATUSHAWK_REDIS_PREFIX=%s", harness_redis_prefix());

    const char *api_env[] = {"TELEGRAM_BOT_TOKEN=" TOKEN,
                             "TELEGRAM_BOT_NAME=" TELEGRAM_FAKE_BOT_USERNAME,
                             "TELEGRAM_WEBHOOK_SECRET=" HOOK_SECRET,
                             base_env,
                             "STATUSHAWK_ALLOW_PRIVATE_TARGETS=true",
                             "STATUSHAWK_MIN_INTERVAL=1",
                             NULL};
    struct api *api = api_start(api_env);
    snprintf(hook_env, sizeof(hook_env), "TELEGRAM_WEBHOOK_URL=%s" HOOK_PATH, api->base_url);

    /* ---- webhook mode: a notifier registers the api's webhook; the stand-in posts there */
    struct api *hooker =
        nt_start((const char *[]){"TELEGRAM_BOT_TOKEN=" TOKEN, base_env, hook_env,
                                  "TELEGRAM_WEBHOOK_SECRET=" HOOK_SECRET, prefix_env, NULL});
    assert_true(nt_eventually(telegram_fake_count(g_fake, "setWebhook") >= 1, WAIT_MS));
    char *ada_email = unique_email("ada");
    long long ada = signup_ok(api, ada_email, "a long password 1");
    char *ada_token = login_ok(api, ada_email, "a long password 1");
    char *tok = link_token(api, ada_token);
    push_start(4001, "Ada", tok);
    assert_true(nt_eventually(telegram_channels(ada, "4001") == 1, WAIT_MS));
    assert_true(nt_eventually(count_to("4001", "Connected!") == 1, WAIT_MS));
    /* The stand-in records a delivery when the api's answer arrives, which may come after the
     * api's "Connected!" reply reached sendMessage. */
    assert_true(nt_eventually(telegram_fake_count(g_fake, "webhook") == 1, WAIT_MS));
    free(tok);
    nt_stop_clean(hooker);

    /* ---- polling mode: the next notifier clears the webhook and long-polls ---- */
    struct api *n =
        nt_start((const char *[]){"TELEGRAM_BOT_TOKEN=" TOKEN, base_env, prefix_env, NULL});
    assert_true(nt_eventually(nt_metric(n, "telegram_poll_holder") == 1, WAIT_MS));
    char *bob_email = unique_email("bob");
    long long bob = signup_ok(api, bob_email, "a long password 2");
    char *bob_token = login_ok(api, bob_email, "a long password 2");
    tok = link_token(api, bob_token);
    push_start(4002, "Bob", tok);
    assert_true(nt_eventually(telegram_channels(bob, "4002") == 1, WAIT_MS));
    assert_true(nt_eventually(count_to("4002", "Connected!") == 1, WAIT_MS));
    free(tok);

    /* ---- a monitor on a local target, watched by a runner ---- */
    struct target *t = target_http_start();
    struct target_route steady = {.delays_ms = {20, 120}, .ndelays = 2};
    struct target_route failing = {.status = 503};
    struct target_route spike = {.delays_ms = {1500}, .ndelays = 1};
    target_route(t, "/shop", &steady);
    char *url = target_url(t, "/shop");
    char *body =
        json_body("{s:s, s:s, s:i, s:i, s:i, s:f}", "name", "E2E <Shop>", "url", url, "interval", 2,
                  "retries", 1, "timeout_ms", 1900, "anomaly_threshold", 3.0);
    struct http_resp r;
    http_send(api, "POST", "/api/v1/monitors/", ada_token, body, NULL, &r);
    expect_status(&r, 201);
    long long mon = (long long)json_integer_value(resp_get(&r, "id"));
    http_resp_free(&r);
    struct runner_proc *runner = runner_start(NULL);
    WAIT_FOR(rh_status_is(mon, "UP"), WAIT_MS, "monitor %lld never UP", mon);
    WAIT_FOR(rh_results_where(mon, "is_up") >= 11, 60000, "too few checks for a baseline");
    assert_int_equal(count_to("4001", "DOWN"), 0);

    /* ---- the target fails: exactly one DOWN, after the confirmation re-check ---- */
    target_route(t, "/shop", &failing);
    assert_true(nt_eventually(count_to("4001", "<b>DOWN</b>") == 1, WAIT_MS));
    long long down_at = first_at("4001", "<b>DOWN</b>");
    char ids[24], at[32];
    snprintf(ids, sizeof(ids), "%lld", mon);
    snprintf(at, sizeof(at), "%lld", down_at);
    /* Two failed checks (the first and its re-check) before the message arrived. */
    assert_true(db_scalar_int("SELECT count(*) FROM check_results WHERE monitor_id = $1 AND"
                              " NOT is_up AND checked_at <= to_timestamp($2::bigint / 1000.0)",
                              ids, at, NULL) >= 2);
    /* The name is escaped, the reason given. */
    assert_true(count_to("4001", "E2E &lt;Shop&gt;") >= 1);
    assert_true(count_to("4001", "Why: ") == 1);
    sleep_ms(3000);
    assert_int_equal(count_to("4001", "<b>DOWN</b>"), 1);
    assert_int_equal(count_to("4002", "DOWN"), 0); /* Bob's chat hears nothing of Ada's */

    /* ---- it recovers: exactly one UP, with the incident's duration ---- */
    target_route(t, "/shop", &steady);
    assert_true(nt_eventually(count_to("4001", "<b>UP</b>") == 1, WAIT_MS));
    assert_int_equal(count_to("4001", "Down for "), 1);
    sleep_ms(2000);
    assert_int_equal(count_to("4001", "<b>UP</b>"), 1);

    /* ---- a latency spike on the steady target: one anomaly message ---- */
    WAIT_FOR(rh_results_where(mon, "is_up") >= 14, 60000, "too few checks after recovery");
    target_route(t, "/shop", &spike);
    WAIT_FOR(target_hits(t, "/shop") > 0 && rh_results_where(mon, "response_time_ms >= 1400") >= 1,
             WAIT_MS, "the slow check did not happen");
    target_route(t, "/shop", &steady);
    assert_true(nt_eventually(count_to("4001", "<b>SLOW</b>") == 1, WAIT_MS));
    assert_true(count_to("4001", " vs usual ") == 1);
    sleep_ms(2000);
    assert_int_equal(count_to("4001", "<b>SLOW</b>"), 1);
    assert_int_equal(count_to("4001", "<b>DOWN</b>"), 1);

    /* Every delivery logged, none pending or failed. */
    assert_int_equal(db_scalar_int("SELECT count(*) FROM notification_log WHERE status <> "
                                   "'success'",
                                   NULL),
                     0);
    assert_int_equal(db_scalar_int("SELECT count(*) FROM notification_log l JOIN"
                                   " notification_channels c ON c.id = l.channel_id WHERE"
                                   " l.monitor_id = $1 AND l.kind IN ('down', 'up', 'anomaly')",
                                   ids, NULL),
                     3);
    runner_stop_clean(runner);
    nt_stop_clean(n);
    api_stop_clean(api);
    target_stop(t);
    free(url);
    free(body);
    free(ada_email);
    free(ada_token);
    free(bob_email);
    free(bob_token);
}

int main(void)
{
    nt_require_env();
    rh_require_env();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_end_to_end, e2e_teardown),
    };
    return harness_finish(cmocka_run_group_tests(tests, harness_group_setup, nt_group_teardown));
}
