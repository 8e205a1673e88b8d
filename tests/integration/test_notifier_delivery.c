/* Integration tests of statushawk-notifier's delivery core against real PostgreSQL and
 * Redis: the consumer group, fan-out to the user's channels, the audit log and its
 * idempotency, the console and webhook providers, retries with backoff, permanent failures,
 * the SSRF guard, take-over of a killed notifier's entries (XAUTOCLAIM), the sweep, a
 * database outage, graceful shutdown and the operations endpoints. Telegram has its own
 * file (test_notifier_telegram.c). */
#include <signal.h>
#include <sys/wait.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/crypto.h"
#include "notifier_harness.h"
#include "tcp_proxy.h"

#define WAIT_MS 15000

static void setup_user_console(long long *user, long long *chan)
{
    *user = nt_user();
    *chan = nt_channel(*user, "console", "{}", 1);
}

/* An alert reaches a console channel: printed, logged success, the entry acknowledged. */
static void test_console_delivery(void **state)
{
    long long user, chan;
    nt_begin();
    setup_user_console(&user, &chan);
    struct api *n = nt_start(NULL);
    long long mon = nt_monitor(user, "Shop", "https://shop.example.com/health");
    char *id = nt_xadd(&(struct nt_alert){.user_id = user,
                                          .monitor_id = mon,
                                          .name = "Shop",
                                          .url = "https://shop.example.com/health",
                                          .details = "{\"status_code\":503}"});
    assert_int_equal(nt_wait_done(id, 1, WAIT_MS), 1);
    nt_expect_row(id, chan, "success", 1);
    char *out = nt_stdout(n);
    assert_int_equal(nt_count(out, id), 1);
    assert_non_null(strstr(out, "DOWN \xC2\xB7 Shop"));
    assert_non_null(strstr(out, "Why: HTTP 503"));
    free(out);
    /* The log keeps what was sent and the monitor it was about. */
    char *payload_text = db_scalar("SELECT payload->>'text' FROM notification_log WHERE alert_id"
                                   " = $1",
                                   id, NULL);
    assert_non_null(strstr(payload_text, "https://shop.example.com/health"));
    char monid[24];
    snprintf(monid, sizeof(monid), "%lld", mon);
    assert_int_equal(db_scalar_int("SELECT count(*) FROM notification_log WHERE alert_id = $1"
                                   " AND monitor_id = $2 AND sent_at IS NOT NULL",
                                   id, monid, NULL),
                     1);
    assert_true(nt_eventually(nt_stream_pending() == 0, WAIT_MS));
    assert_true(nt_eventually(nt_metric(n, "sent_total{provider=\"console\"}") == 1, WAIT_MS));
    free(payload_text);
    free(id);
    nt_stop_clean(n);
}

/* Every active channel of the user gets the alert, inactive ones and other users' do not;
 * a test alert naming a channel goes to that one only. */
static void test_fanout(void **state)
{
    nt_begin();
    long long user = nt_user(), other = nt_user();
    long long a = nt_channel(user, "console", "{}", 1);
    long long b = nt_channel(user, "console", "{}", 1);
    long long off = nt_channel(user, "console", "{}", 0);
    long long theirs = nt_channel(other, "console", "{}", 1);
    struct api *n = nt_start(NULL);

    char *id = nt_xadd(&(struct nt_alert){.user_id = user, .kind = "up"});
    assert_int_equal(nt_wait_done(id, 2, WAIT_MS), 2);
    nt_expect_row(id, a, "success", 1);
    nt_expect_row(id, b, "success", 1);
    assert_int_equal(nt_log_row(id, off, NULL, NULL, NULL), -1);
    assert_int_equal(nt_log_row(id, theirs, NULL, NULL, NULL), -1);

    char *test = nt_xadd(&(struct nt_alert){
        .user_id = user, .kind = "test", .channel_id = b, .name = "", .url = ""});
    assert_int_equal(nt_wait_done(test, 1, WAIT_MS), 1);
    nt_expect_row(test, b, "success", 1);
    /* A test names its channel; it is sent even while the channel is paused. */
    char *test_off = nt_xadd(&(struct nt_alert){
        .user_id = user, .kind = "test", .channel_id = off, .name = "", .url = ""});
    assert_int_equal(nt_wait_done(test_off, 1, WAIT_MS), 1);
    nt_expect_row(test_off, off, "success", 1);
    /* A channel of another user is never reached by naming it. */
    char *stolen =
        nt_xadd(&(struct nt_alert){.user_id = user, .kind = "test", .channel_id = theirs});
    assert_true(nt_eventually(nt_stream_pending() == 0, WAIT_MS));
    assert_int_equal(
        db_scalar_int("SELECT count(*) FROM notification_log WHERE alert_id = $1", stolen, NULL),
        0);
    char *out = nt_stdout(n);
    assert_non_null(strstr(out, "StatusHawk test"));
    free(out);
    free(id);
    free(test);
    free(test_off);
    free(stolen);
    nt_stop_clean(n);
}

/* The same alert twice on the stream, and again after a restart: sent once. */
static void test_redelivery_is_idempotent(void **state)
{
    long long user, chan;
    nt_begin();
    setup_user_console(&user, &chan);
    struct api *n = nt_start(NULL);
    char *id = nt_xadd(&(struct nt_alert){.user_id = user});
    assert_int_equal(nt_wait_done(id, 1, WAIT_MS), 1);
    free(nt_xadd(&(struct nt_alert){.user_id = user, .alert_id = id}));
    free(nt_xadd(&(struct nt_alert){.user_id = user, .alert_id = id}));
    assert_true(nt_eventually(nt_metric(n, "events_acked_total") == 3, WAIT_MS));
    nt_stop_clean(n);
    n = nt_start(NULL);
    free(nt_xadd(&(struct nt_alert){.user_id = user, .alert_id = id}));
    assert_true(nt_eventually(nt_metric(n, "events_acked_total") == 1, WAIT_MS));
    char *out = nt_stdout(n);
    assert_int_equal(nt_count(out, id), 0);
    free(out);
    nt_expect_row(id, chan, "success", 1);
    assert_int_equal(
        db_scalar_int("SELECT count(*) FROM notification_log WHERE alert_id = $1", id, NULL), 1);
    free(id);
    nt_stop_clean(n);
}

/* A webhook gets the JSON body, signed with the channel's secret. */
static void test_webhook_signed(void **state)
{
    nt_begin();
    struct nt_hook *hook = nt_hook_start();
    long long user = nt_user();
    char *config = json_body("{s:s, s:s}", "url", nt_hook_url(hook), "secret", "hook-s3cret");
    long long chan = nt_channel(user, "webhook", config, 1);
    struct api *n = nt_start(NULL);
    char *id = nt_xadd(&(struct nt_alert){.user_id = user,
                                          .monitor_id = 0,
                                          .kind = "anomaly",
                                          .name = "API <x>",
                                          .details = "{\"latency_ms\":900,\"mean_ms\":100,"
                                                     "\"z\":4.2}"});
    assert_int_equal(nt_wait_done(id, 1, WAIT_MS), 1);
    nt_expect_row(id, chan, "success", 1);
    assert_int_equal(nt_hook_wait(hook, 1, 1000), 1);
    json_t *req = nt_hook_request(hook, 0);
    json_t *h = json_object_get(req, "headers");
    const char *body = json_string_value(json_object_get(req, "body"));
    assert_string_equal(json_string_value(json_object_get(req, "method")), "POST");
    assert_string_equal(json_string_value(json_object_get(h, "content-type")), "application/json");
    assert_string_equal(json_string_value(json_object_get(h, "x-statushawk-event")), "anomaly");
    assert_string_equal(json_string_value(json_object_get(h, "x-statushawk-delivery")), id);
    unsigned char mac[CRYPTO_SHA256_LEN];
    char want[8 + CRYPTO_SHA256_HEX_LEN + 1] = "sha256=";
    crypto_hmac_sha256("hook-s3cret", 11, body, strlen(body), mac);
    crypto_hex_encode(mac, sizeof(mac), want + 7);
    const char *sig = json_string_value(json_object_get(h, "x-statushawk-signature"));
    assert_non_null(sig);
    assert_true(crypto_ct_streq(sig, want));
    json_t *b = json_loads(body, 0, NULL);
    assert_string_equal(json_string_value(json_object_get(b, "alert_id")), id);
    assert_string_equal(json_string_value(json_object_get(b, "kind")), "anomaly");
    assert_true(json_is_null(json_object_get(b, "monitor")));
    assert_true(json_number_value(json_object_get(json_object_get(b, "details"), "z")) == 4.2);
    /* Plain text for webhooks: the name is not HTML-escaped. */
    assert_non_null(strstr(json_string_value(json_object_get(b, "text")), "API <x>"));
    json_decref(b);
    json_decref(req);
    free(config);
    free(id);
    nt_stop_clean(n);
    nt_hook_stop(hook);
}

/* 500, 500, then 200: three attempts, spaced by the backoff, then success. */
static void test_webhook_retries_then_succeeds(void **state)
{
    nt_begin();
    struct nt_hook *hook = nt_hook_start();
    nt_hook_respond(hook, 500, 0, 2);
    long long user = nt_user();
    char *config = json_body("{s:s}", "url", nt_hook_url(hook));
    long long chan = nt_channel(user, "webhook", config, 1);
    struct api *n = nt_start((const char *[]){"NOTIFIER_RETRY_DELAYS_MS=300,600", NULL});
    char *id = nt_xadd(&(struct nt_alert){.user_id = user});
    assert_int_equal(nt_wait_done(id, 1, WAIT_MS), 1);
    nt_expect_row(id, chan, "success", 3);
    assert_int_equal(nt_hook_wait(hook, 3, 1000), 3);
    json_t *r0 = nt_hook_request(hook, 0), *r1 = nt_hook_request(hook, 1),
           *r2 = nt_hook_request(hook, 2);
    long long gap1 = json_integer_value(json_object_get(r1, "at_ms")) -
                     json_integer_value(json_object_get(r0, "at_ms"));
    long long gap2 = json_integer_value(json_object_get(r2, "at_ms")) -
                     json_integer_value(json_object_get(r1, "at_ms"));
    /* 300 ms and 600 ms, +-10 % jitter, plus the retry poll (50 ms) */
    if (gap1 < 260 || gap1 > 1000 || gap2 < 530 || gap2 > 1400)
        fail_msg("retry gaps %lld ms and %lld ms; expected about 300 and 600", gap1, gap2);
    /* The same body each time. */
    assert_string_equal(json_string_value(json_object_get(r0, "body")),
                        json_string_value(json_object_get(r2, "body")));
    assert_true(nt_eventually(nt_metric(n, "retried_total{provider=\"webhook\"}") == 2, 2000));
    assert_int_equal(nt_retry_queue(), 0);
    json_decref(r0);
    json_decref(r1);
    json_decref(r2);
    free(config);
    free(id);
    nt_stop_clean(n);
    nt_hook_stop(hook);
}

/* A 400 will not improve: failure at once. Always 503: failure after the last attempt. */
static void test_webhook_failures(void **state)
{
    nt_begin();
    struct nt_hook *bad = nt_hook_start(), *down = nt_hook_start();
    nt_hook_respond(bad, 400, 0, -1);
    nt_hook_respond(down, 503, 0, -1);
    long long user = nt_user();
    char *c1 = json_body("{s:s}", "url", nt_hook_url(bad));
    char *c2 = json_body("{s:s}", "url", nt_hook_url(down));
    long long ch_bad = nt_channel(user, "webhook", c1, 1);
    long long ch_down = nt_channel(user, "webhook", c2, 1);
    long long ch_nourl = nt_channel(user, "webhook", "{}", 1);
    struct api *n = nt_start((const char *[]){"NOTIFIER_RETRY_DELAYS_MS=50", NULL});
    char *id = nt_xadd(&(struct nt_alert){.user_id = user});
    assert_int_equal(nt_wait_done(id, 3, WAIT_MS), 3);
    nt_expect_row(id, ch_bad, "failure", 1);
    nt_expect_row(id, ch_down, "failure", 6);
    nt_expect_row(id, ch_nourl, "failure", 1);
    char *err = NULL;
    nt_log_row(id, ch_down, NULL, NULL, &err);
    assert_non_null(strstr(err, "HTTP 503"));
    assert_non_null(strstr(err, "gave up after 6 attempts"));
    free(err);
    nt_log_row(id, ch_bad, NULL, NULL, &err);
    assert_non_null(strstr(err, "HTTP 400"));
    free(err);
    assert_int_equal(nt_hook_wait(down, 6, 1000), 6);
    sleep_ms(300);
    assert_int_equal(nt_hook_wait(down, 7, 0), 6); /* never a seventh */
    assert_true(nt_eventually(nt_stream_pending() == 0 && nt_retry_queue() == 0, WAIT_MS));
    free(c1);
    free(c2);
    free(id);
    nt_stop_clean(n);
    nt_hook_stop(bad);
    nt_hook_stop(down);
}

/* Without STATUSHAWK_ALLOW_PRIVATE_TARGETS a webhook on loopback is refused at connect
 * time, whatever name it uses. */
static void test_webhook_ssrf_guard(void **state)
{
    nt_begin();
    struct nt_hook *hook = nt_hook_start();
    long long user = nt_user();
    char url[128];
    snprintf(url, sizeof(url), "http://localhost:%d/hook",
             atoi(strrchr(nt_hook_url(hook), ':') + 1));
    char *c1 = json_body("{s:s}", "url", nt_hook_url(hook));
    char *c2 = json_body("{s:s}", "url", url);
    long long ch1 = nt_channel(user, "webhook", c1, 1);
    long long ch2 = nt_channel(user, "webhook", c2, 1);
    struct api *n = nt_start((const char *[]){"STATUSHAWK_ALLOW_PRIVATE_TARGETS=false", NULL});
    char *id = nt_xadd(&(struct nt_alert){.user_id = user});
    assert_int_equal(nt_wait_done(id, 2, WAIT_MS), 2);
    nt_expect_row(id, ch1, "failure", 1);
    nt_expect_row(id, ch2, "failure", 1);
    char *err = NULL;
    nt_log_row(id, ch2, NULL, NULL, &err);
    assert_non_null(strstr(err, "refused"));
    free(err);
    assert_int_equal(nt_hook_wait(hook, 1, 200), 0);
    free(c1);
    free(c2);
    free(id);
    nt_stop_clean(n);
    nt_hook_stop(hook);
}

/* Entries that are not alerts are acknowledged and dropped, and do not stop the rest. */
static void test_invalid_entries(void **state)
{
    long long user, chan;
    nt_begin();
    setup_user_console(&user, &chan);
    struct api *n = nt_start(NULL);
    freeReplyObject(nt_cmd("XADD %salerts * hello world", nt_prefix()));
    freeReplyObject(
        nt_cmd("XADD %salerts * alert_id x1 kind down user_id 1 time yesterday", nt_prefix()));
    freeReplyObject(nt_cmd("XADD %salerts * alert_id x2 kind down user_id 1 time "
                           "2026-01-01T00:00:00Z details [1]",
                           nt_prefix()));
    char *id = nt_xadd(&(struct nt_alert){.user_id = user});
    assert_int_equal(nt_wait_done(id, 1, WAIT_MS), 1);
    assert_true(nt_eventually(nt_metric(n, "events_invalid_total") == 3, WAIT_MS));
    assert_true(nt_eventually(nt_stream_pending() == 0, WAIT_MS));
    free(id);
    nt_stop_clean(n);
}

/* A notifier killed in the middle of a send: its entry is taken over by another after
 * NOTIFIER_CLAIM_IDLE and delivered; nothing is lost. */
static void test_takeover_after_kill(void **state)
{
    nt_begin();
    struct nt_hook *hook = nt_hook_start();
    nt_hook_respond(hook, 0, 0, 1); /* the first request never gets an answer */
    long long user = nt_user();
    char *config = json_body("{s:s}", "url", nt_hook_url(hook));
    long long chan = nt_channel(user, "webhook", config, 1);
    long long console = nt_channel(user, "console", "{}", 1);
    struct api *a = nt_start((const char *[]){"NOTIFIER_SEND_TIMEOUT_MS=60000", NULL});
    char *id = nt_xadd(&(struct nt_alert){.user_id = user});
    assert_int_equal(nt_hook_wait(hook, 1, WAIT_MS), 1);
    assert_int_equal(nt_wait_done(id, 1, WAIT_MS), 1); /* the console row; the other hangs */
    nt_expect_row(id, console, "success", 1);
    nt_kill(a);
    nt_expect_row(id, chan, "pending", 1);
    assert_int_equal(nt_stream_pending(), 1);

    int64_t t0 = mono_ms();
    struct api *b = nt_start(NULL);
    assert_int_equal(nt_wait_done(id, 2, WAIT_MS), 2);
    int64_t took = mono_ms() - t0;
    nt_expect_row(id, chan, "success", 2);
    nt_expect_row(id, console, "success", 1); /* not printed again */
    char *out = nt_stdout(b);
    assert_int_equal(nt_count(out, id), 0);
    free(out);
    /* NOTIFIER_CLAIM_IDLE is 2 s; XAUTOCLAIM runs every half second. */
    if (took < 1000 || took > 6000)
        fail_msg("take-over after %lld ms", (long long)took);
    assert_true(nt_metric(b, "events_claimed_total") >= 1);
    assert_true(nt_eventually(nt_stream_pending() == 0, WAIT_MS));
    free(config);
    free(id);
    nt_stop_clean(b);
    nt_free(a);
    nt_hook_stop(hook);
}

/* Killed between reading entries and fanning them out, a notifier loses nothing either:
 * many alerts, one kill, a second notifier, every alert delivered exactly once. */
static void test_kill_under_load(void **state)
{
    long long user, chan;
    nt_begin();
    setup_user_console(&user, &chan);
    struct api *a = nt_start(NULL);
    char *ids[300];
    for (int i = 0; i < 300; i++)
        ids[i] = nt_xadd(&(struct nt_alert){.user_id = user});
    nt_kill(a);
    struct api *b = nt_start(NULL);
    for (int i = 0; i < 300; i++)
        assert_int_equal(nt_wait_done(ids[i], 1, WAIT_MS), 1);
    char uid[24];
    snprintf(uid, sizeof(uid), "%lld", user);
    assert_int_equal(db_scalar_int("SELECT count(*) FROM notification_log l JOIN"
                                   " notification_channels c ON c.id = l.channel_id"
                                   " WHERE c.user_id = $1 AND l.status = 'success'",
                                   uid, NULL),
                     300);
    char *outa = nt_stdout(a), *outb = nt_stdout(b);
    for (int i = 0; i < 300; i++) {
        int seen = nt_count(outa, ids[i]) + nt_count(outb, ids[i]);
        if (seen < 1 || seen > 2)
            fail_msg("alert %d printed %d times", i, seen);
        free(ids[i]);
    }
    free(outa);
    free(outb);
    assert_true(nt_eventually(nt_stream_pending() == 0, WAIT_MS));
    nt_stop_clean(b);
    nt_free(a);
}

/* SIGTERM while a send is in flight: the send finishes and is recorded, exit 0. */
static void test_sigterm_finishes_sends(void **state)
{
    nt_begin();
    struct nt_hook *hook = nt_hook_start();
    nt_hook_respond(hook, 200, 1500, 1);
    long long user = nt_user();
    char *config = json_body("{s:s}", "url", nt_hook_url(hook));
    long long chan = nt_channel(user, "webhook", config, 1);
    struct api *n = nt_start(NULL);
    char *id = nt_xadd(&(struct nt_alert){.user_id = user});
    assert_int_equal(nt_hook_wait(hook, 1, WAIT_MS), 1);
    kill(n->pid, SIGTERM);
    sleep_ms(200);
    /* Draining: not ready any more. */
    struct http_req req = {.path = "/ready", .src_ip = "127.0.0.1", .timeout_ms = 1000};
    struct http_resp resp;
    if (http_request(n, &req, &resp) == 0)
        assert_int_equal(resp.status, 503);
    http_resp_free(&resp);
    assert_int_equal(api_wait(n, 10000), 0);
    nt_free(n);
    nt_expect_row(id, chan, "success", 1);
    assert_int_equal(nt_stream_pending(), 0);
    free(config);
    free(id);
    nt_hook_stop(hook);
}

/* A retry waiting on the queue is sent by another notifier after a restart. */
static void test_retry_survives_restart(void **state)
{
    nt_begin();
    struct nt_hook *hook = nt_hook_start();
    nt_hook_respond(hook, 503, 0, 1);
    long long user = nt_user();
    char *config = json_body("{s:s}", "url", nt_hook_url(hook));
    long long chan = nt_channel(user, "webhook", config, 1);
    struct api *a = nt_start((const char *[]){"NOTIFIER_RETRY_DELAYS_MS=1500", NULL});
    char *id = nt_xadd(&(struct nt_alert){.user_id = user});
    assert_int_equal(nt_hook_wait(hook, 1, WAIT_MS), 1);
    assert_true(nt_eventually(nt_retry_queue() == 1 && nt_stream_pending() == 0, WAIT_MS));
    nt_stop_clean(a);
    struct api *b = nt_start(NULL);
    assert_int_equal(nt_wait_done(id, 1, WAIT_MS), 1);
    nt_expect_row(id, chan, "success", 2);
    assert_true(nt_eventually(nt_retry_queue() == 0, WAIT_MS));
    free(config);
    free(id);
    nt_stop_clean(b);
    nt_hook_stop(hook);
}

/* A pending row nothing will finish (the stream and retry queue lost with Redis) is put
 * back on the retry queue by the sweep and delivered from what the log kept. */
static void test_sweep(void **state)
{
    long long user, chan;
    nt_begin();
    setup_user_console(&user, &chan);
    long long mon = nt_monitor(user, "Lost & found", "https://lost.example.com/");
    char cid[24], mid[24];
    snprintf(cid, sizeof(cid), "%lld", chan);
    snprintf(mid, sizeof(mid), "%lld", mon);
    /* One row that got as far as its first attempt, one that never started. */
    db_scalar_int("INSERT INTO notification_log (alert_id, channel_id, monitor_id, kind, attempts,"
                  " payload, updated_at) VALUES ('swept-1', $1, $2, 'down', 1,"
                  " '{\"kind\":\"down\",\"text\":\"kept text\"}', now() - interval '1 hour')"
                  " RETURNING id",
                  cid, mid, NULL);
    db_scalar_int("INSERT INTO notification_log (alert_id, channel_id, monitor_id, kind,"
                  " updated_at) VALUES ('swept-2', $1, $2, 'down', now() - interval '1 hour')"
                  " RETURNING id",
                  cid, mid, NULL);
    struct api *n = nt_start((const char *[]){"NOTIFIER_SWEEP_AFTER=2", NULL});
    assert_int_equal(nt_wait_done("swept-1", 1, WAIT_MS), 1);
    assert_int_equal(nt_wait_done("swept-2", 1, WAIT_MS), 1);
    nt_expect_row("swept-1", chan, "success", 2);
    nt_expect_row("swept-2", chan, "success", 1);
    char *out = nt_stdout(n);
    assert_non_null(strstr(out, "kept text"));
    assert_non_null(strstr(out, "DOWN \xC2\xB7 Lost & found")); /* rebuilt from the monitor */
    free(out);
    assert_true(nt_metric(n, "swept_total") >= 2);
    nt_stop_clean(n);
}

/* PostgreSQL unreachable while alerts arrive: they wait, and are delivered once it is
 * back; /ready says what is missing meanwhile. */
static void test_database_outage(void **state)
{
    long long user, chan;
    nt_begin();
    setup_user_console(&user, &chan);
    struct tcp_proxy *proxy = tcp_proxy_start(harness_pg_host(), harness_pg_port());
    assert_non_null(proxy);
    char *url = harness_pg_url(NULL, "127.0.0.1", tcp_proxy_port(proxy));
    char dburl[1024];
    snprintf(dburl, sizeof(dburl), "DATABASE_URL=%s", url);
    struct api *n = nt_start((const char *[]){dburl, NULL});
    nt_wait_ready(n);
    tcp_proxy_cut(proxy);
    char *id = nt_xadd(&(struct nt_alert){.user_id = user});
    struct http_req req = {.path = "/ready", .src_ip = "127.0.0.1", .timeout_ms = 2000};
    struct http_resp resp;
    assert_true(nt_eventually(
        (http_request(n, &req, &resp), http_resp_free(&resp), resp.status == 503), WAIT_MS));
    sleep_ms(1500);
    assert_int_equal(
        db_scalar_int("SELECT count(*) FROM notification_log WHERE alert_id = $1", id, NULL), 0);
    tcp_proxy_restore(proxy);
    assert_int_equal(nt_wait_done(id, 1, WAIT_MS), 1);
    nt_expect_row(id, chan, "success", 1);
    nt_wait_ready(n);
    free(url);
    free(id);
    nt_stop_clean(n);
    tcp_proxy_stop(proxy);
}

/* /health, /ready, /metrics, and 404 for the rest. */
static void test_operations_endpoints(void **state)
{
    nt_begin();
    struct api *n = nt_start(NULL);
    nt_wait_ready(n);
    struct http_resp resp;
    http_get(n, "/health", NULL, &resp);
    expect_status(&resp, 200);
    expect_json_str(&resp, "status", "ok");
    http_resp_free(&resp);
    http_get(n, "/ready", NULL, &resp);
    expect_status(&resp, 200);
    expect_json_str(&resp, "postgres", "ok");
    expect_json_str(&resp, "redis", "ok");
    http_resp_free(&resp);
    http_get(n, "/metrics", NULL, &resp);
    expect_status(&resp, 200);
    static const char *const names[] = {
        "statushawk_notifier_sent_total{provider=\"telegram\"}",
        "statushawk_notifier_failed_total{provider=\"webhook\"}",
        "statushawk_notifier_retried_total{provider=\"console\"}",
        "statushawk_notifier_rate_limited_total",
        "statushawk_notifier_delivery_latency_seconds_bucket{le=\"0.5\"}",
        "statushawk_notifier_delivery_latency_seconds_count",
        "statushawk_notifier_pending",
        "statushawk_notifier_retry_queue",
        "statushawk_notifier_stream_pending",
    };
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (!strstr(resp.body, names[i]))
            fail_msg("/metrics lacks %s", names[i]);
    http_resp_free(&resp);
    http_get(n, "/nope", NULL, &resp);
    expect_status(&resp, 404);
    http_resp_free(&resp);
    http_send(n, "POST", "/health", NULL, "{}", NULL, &resp);
    expect_status(&resp, 405);
    http_resp_free(&resp);
    nt_stop_clean(n);
}

/* Bad settings end the process at start with status 2 and the setting's name. */
static void test_bad_config(void **state)
{
    char cmd[2048];
    snprintf(cmd, sizeof(cmd),
             "env -i PATH=/usr/bin:/bin DATABASE_URL=postgresql://x@127.0.0.1/x "
             "REDIS_URL=redis://127.0.0.1:1/0 NOTIFIER_CLAIM_IDLE=soon %s 2>&1",
             getenv("SH_NOTIFIER_BIN"));
    FILE *p = popen(cmd, "r");
    char out[512] = "";
    size_t len = fread(out, 1, sizeof(out) - 1, p);
    out[len] = '\0';
    int st = pclose(p);
    assert_int_equal(WEXITSTATUS(st), 2);
    assert_non_null(strstr(out, "NOTIFIER_CLAIM_IDLE"));
}

int main(void)
{
    nt_require_env();
    if (getenv("NT_FILTER")) /* run some tests only: NT_FILTER=test_sweep */
        cmocka_set_test_filter(getenv("NT_FILTER"));
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_console_delivery, nt_teardown),
        cmocka_unit_test_teardown(test_fanout, nt_teardown),
        cmocka_unit_test_teardown(test_redelivery_is_idempotent, nt_teardown),
        cmocka_unit_test_teardown(test_webhook_signed, nt_teardown),
        cmocka_unit_test_teardown(test_webhook_retries_then_succeeds, nt_teardown),
        cmocka_unit_test_teardown(test_webhook_failures, nt_teardown),
        cmocka_unit_test_teardown(test_webhook_ssrf_guard, nt_teardown),
        cmocka_unit_test_teardown(test_invalid_entries, nt_teardown),
        cmocka_unit_test_teardown(test_takeover_after_kill, nt_teardown),
        cmocka_unit_test_teardown(test_kill_under_load, nt_teardown),
        cmocka_unit_test_teardown(test_sigterm_finishes_sends, nt_teardown),
        cmocka_unit_test_teardown(test_retry_survives_restart, nt_teardown),
        cmocka_unit_test_teardown(test_sweep, nt_teardown),
        cmocka_unit_test_teardown(test_database_outage, nt_teardown),
        cmocka_unit_test_teardown(test_operations_endpoints, nt_teardown),
        cmocka_unit_test_teardown(test_bad_config, nt_teardown),
    };
    return harness_finish(cmocka_run_group_tests(tests, harness_group_setup, nt_group_teardown));
}
