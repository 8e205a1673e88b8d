/* Unit tests for common/telegram: how answers are classified (the shapes of the real
 * Bot API's errors), URL and parameter building, reading Updates, and the blocking calls
 * against the Bot API stand-in (tests/fakes/telegram_fake) on loopback. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "common/telegram.h"
#include "telegram_fake.h"

#define TOKEN "4242:unit-TEST_token"

static struct telegram_result parse(long status, const char *body)
{
    struct telegram_result res;
    telegram_parse_response(status, body, body ? strlen(body) : 0, &res);
    return res;
}

static void test_parse_answers(void **state)
{
    struct telegram_result res;

    res = parse(200, "{\"ok\":true,\"result\":{\"message_id\":7}}");
    assert_int_equal(res.outcome, TELEGRAM_OK);
    assert_int_equal(json_integer_value(json_object_get(res.result, "message_id")), 7);
    assert_string_equal(res.description, "");
    telegram_result_clear(&res);
    assert_null(res.result);
    telegram_result_clear(&res); /* twice is fine */

    res = parse(200, "{\"ok\":true}");
    assert_int_equal(res.outcome, TELEGRAM_OK);
    assert_true(json_is_null(res.result));
    telegram_result_clear(&res);

    res = parse(429, "{\"ok\":false,\"error_code\":429,\"description\":\"Too Many Requests: retry "
                     "after 7\",\"parameters\":{\"retry_after\":7}}");
    assert_int_equal(res.outcome, TELEGRAM_RETRY_AFTER);
    assert_int_equal(res.retry_after, 7);
    assert_int_equal(res.error_code, 429);
    assert_int_equal(res.http_status, 429);
    assert_null(res.result);
    assert_true(telegram_outcome_retryable(res.outcome));

    /* A 429 that does not say how long still waits a second; absurd waits are capped. */
    res = parse(429, "{\"ok\":false,\"error_code\":429,\"description\":\"Too Many Requests\"}");
    assert_int_equal(res.retry_after, 1);
    res = parse(429, "{\"ok\":false,\"error_code\":429,\"description\":\"x\","
                     "\"parameters\":{\"retry_after\":99999999}}");
    assert_int_equal(res.retry_after, 86400);

    res = parse(403, "{\"ok\":false,\"error_code\":403,\"description\":\"Forbidden: bot was "
                     "blocked by the user\"}");
    assert_int_equal(res.outcome, TELEGRAM_BLOCKED);
    assert_string_equal(res.description, "Forbidden: bot was blocked by the user");
    assert_false(telegram_outcome_retryable(res.outcome));
    res = parse(403, "{\"ok\":false,\"error_code\":403,\"description\":\"Forbidden: bot was "
                     "kicked from the group chat\"}");
    assert_int_equal(res.outcome, TELEGRAM_BLOCKED);

    res = parse(400, "{\"ok\":false,\"error_code\":400,\"description\":\"Bad Request: chat not "
                     "found\"}");
    assert_int_equal(res.outcome, TELEGRAM_CHAT_NOT_FOUND);

    res = parse(400, "{\"ok\":false,\"error_code\":400,\"description\":\"Bad Request: group chat "
                     "was upgraded to a supergroup chat\",\"parameters\":{\"migrate_to_chat_id\":"
                     "-1001234567890}}");
    assert_int_equal(res.outcome, TELEGRAM_MIGRATED);
    assert_true(res.migrate_to_chat_id == -1001234567890LL);

    res = parse(400, "{\"ok\":false,\"error_code\":400,\"description\":\"Bad Request: can't "
                     "parse entities\"}");
    assert_int_equal(res.outcome, TELEGRAM_BAD_REQUEST);
    assert_false(telegram_outcome_retryable(res.outcome));

    res = parse(401, "{\"ok\":false,\"error_code\":401,\"description\":\"Unauthorized\"}");
    assert_int_equal(res.outcome, TELEGRAM_UNAUTHORIZED);
    res = parse(404, "{\"ok\":false,\"error_code\":404,\"description\":\"Not Found\"}");
    assert_int_equal(res.outcome, TELEGRAM_BAD_REQUEST);
    res = parse(409, "{\"ok\":false,\"error_code\":409,\"description\":\"Conflict: terminated by "
                     "other getUpdates request\"}");
    assert_int_equal(res.outcome, TELEGRAM_CONFLICT);
    assert_true(telegram_outcome_retryable(res.outcome));
    res = parse(500, "{\"ok\":false,\"error_code\":500,\"description\":\"Internal Server Error\"}");
    assert_int_equal(res.outcome, TELEGRAM_SERVER_ERROR);
    assert_true(telegram_outcome_retryable(res.outcome));

    /* The body's error_code wins over the HTTP status; without one the status decides. */
    res = parse(200, "{\"ok\":false,\"error_code\":403,\"description\":\"Forbidden\"}");
    assert_int_equal(res.outcome, TELEGRAM_BLOCKED);
    res = parse(403, "{\"ok\":false,\"description\":\"Forbidden\"}");
    assert_int_equal(res.outcome, TELEGRAM_BLOCKED);
    res = parse(400, "{\"ok\":false}");
    assert_int_equal(res.outcome, TELEGRAM_BAD_REQUEST);
    assert_string_equal(res.description, "no description");
}

static void test_parse_non_answers(void **state)
{
    struct telegram_result res;

    res = parse(502, "<html><body>502 Bad Gateway</body></html>");
    assert_int_equal(res.outcome, TELEGRAM_SERVER_ERROR);
    assert_non_null(strstr(res.description, "502"));
    res = parse(200, "<html>captive portal</html>");
    assert_int_equal(res.outcome, TELEGRAM_TRANSPORT);
    res = parse(200, "");
    assert_int_equal(res.outcome, TELEGRAM_TRANSPORT);
    res = parse(200, NULL);
    assert_int_equal(res.outcome, TELEGRAM_TRANSPORT);
    res = parse(200, "[1,2]");
    assert_int_equal(res.outcome, TELEGRAM_TRANSPORT);
    res = parse(200, "{\"ok\":\"yes\"}");
    assert_int_equal(res.outcome, TELEGRAM_TRANSPORT);
    res = parse(429, "slow down");
    assert_int_equal(res.outcome, TELEGRAM_RETRY_AFTER);
    assert_int_equal(res.retry_after, 1);
    res = parse(0, NULL);
    assert_int_equal(res.outcome, TELEGRAM_TRANSPORT);
    /* A long description is cut, not overflowed. */
    {
        char body[2048];
        snprintf(body, sizeof(body),
                 "{\"ok\":false,\"error_code\":400,\"description\":\"%01000d\"}", 0);
        res = parse(400, body);
        assert_int_equal(strlen(res.description), sizeof(res.description) - 1);
    }
}

static void test_outcome_names(void **state)
{
    assert_string_equal(telegram_outcome_name(TELEGRAM_OK), "ok");
    assert_string_equal(telegram_outcome_name(TELEGRAM_TRANSPORT), "transport");
    assert_string_equal(telegram_outcome_name(TELEGRAM_RETRY_AFTER), "retry_after");
    assert_string_equal(telegram_outcome_name(TELEGRAM_BLOCKED), "blocked");
    assert_string_equal(telegram_outcome_name(TELEGRAM_CHAT_NOT_FOUND), "chat_not_found");
    assert_string_equal(telegram_outcome_name(TELEGRAM_MIGRATED), "migrated");
    assert_string_equal(telegram_outcome_name(TELEGRAM_BAD_REQUEST), "bad_request");
    assert_string_equal(telegram_outcome_name(TELEGRAM_UNAUTHORIZED), "unauthorized");
    assert_string_equal(telegram_outcome_name(TELEGRAM_CONFLICT), "conflict");
    assert_string_equal(telegram_outcome_name(TELEGRAM_SERVER_ERROR), "server_error");
}

static void test_method_url(void **state)
{
    struct telegram_api api = {.base = "http://127.0.0.1:8081///", .token = TOKEN};
    char url[TELEGRAM_URL_MAX], small[16];
    char *longbase;

    assert_int_equal(telegram_method_url(&api, "sendMessage", url, sizeof(url)), 0);
    assert_string_equal(url, "http://127.0.0.1:8081/bot" TOKEN "/sendMessage");
    api.base = NULL;
    assert_int_equal(telegram_method_url(&api, "getMe", url, sizeof(url)), 0);
    assert_string_equal(url, "https://api.telegram.org/bot" TOKEN "/getMe");
    api.base = "";
    assert_int_equal(telegram_method_url(&api, "getMe", url, sizeof(url)), 0);
    assert_string_equal(url, TELEGRAM_DEFAULT_BASE "/bot" TOKEN "/getMe");
    /* Nothing that could change the path or the query reaches the URL. */
    api.token = "1:abc/../x";
    assert_int_equal(telegram_method_url(&api, "getMe", url, sizeof(url)), -1);
    api.token = "1:abc?x=y";
    assert_int_equal(telegram_method_url(&api, "getMe", url, sizeof(url)), -1);
    api.token = "";
    assert_int_equal(telegram_method_url(&api, "getMe", url, sizeof(url)), -1);
    api.token = NULL;
    assert_int_equal(telegram_method_url(&api, "getMe", url, sizeof(url)), -1);
    api.token = TOKEN;
    assert_int_equal(telegram_method_url(&api, "send Message", url, sizeof(url)), -1);
    assert_int_equal(telegram_method_url(&api, "getMe", small, sizeof(small)), -1);
    longbase = malloc(3000);
    memset(longbase, 'a', 2999);
    longbase[2999] = '\0';
    api.base = longbase;
    assert_int_equal(telegram_method_url(&api, "getMe", url, sizeof(url)), -1);
    free(longbase);
}

static void test_send_message_params(void **state)
{
    json_t *p = telegram_send_message_params("123456", "hi <b>x</b>", "HTML");
    assert_true(json_is_integer(json_object_get(p, "chat_id")));
    assert_int_equal(json_integer_value(json_object_get(p, "chat_id")), 123456);
    assert_string_equal(json_string_value(json_object_get(p, "text")), "hi <b>x</b>");
    assert_string_equal(json_string_value(json_object_get(p, "parse_mode")), "HTML");
    json_decref(p);

    p = telegram_send_message_params("-1001234567890", "t", NULL);
    assert_true(json_integer_value(json_object_get(p, "chat_id")) == -1001234567890LL);
    assert_null(json_object_get(p, "parse_mode"));
    json_decref(p);

    static const char *const strings[] = {"@my_channel", "12a", "", "99999999999999999999"};
    for (size_t i = 0; i < sizeof(strings) / sizeof(strings[0]); i++) {
        p = telegram_send_message_params(strings[i], "t", NULL);
        assert_true(json_is_string(json_object_get(p, "chat_id")));
        assert_string_equal(json_string_value(json_object_get(p, "chat_id")), strings[i]);
        json_decref(p);
    }
}

static void test_update_message(void **state)
{
    struct telegram_message m;
    json_t *u = json_loads(
        "{\"update_id\":10,\"message\":{\"message_id\":1,\"from\":{\"id\":5,\"is_bot\":false,"
        "\"first_name\":\"Ann\",\"username\":\"ann_k\"},\"chat\":{\"id\":-100200,\"type\":"
        "\"group\",\"title\":\"Ops\"},\"date\":1,\"text\":\"/start abc\"}}",
        0, NULL);

    assert_int_equal(telegram_update_message(u, &m), 1);
    assert_int_equal(m.update_id, 10);
    assert_int_equal(m.chat_id, -100200);
    assert_string_equal(m.text, "/start abc");
    assert_string_equal(m.first_name, "Ann");
    assert_string_equal(m.username, "ann_k");
    assert_string_equal(m.chat_title, "Ops");
    json_decref(u);

    /* A message without text or sender: still a message, with NULLs. */
    u = json_loads("{\"update_id\":11,\"message\":{\"chat\":{\"id\":9}}}", 0, NULL);
    assert_int_equal(telegram_update_message(u, &m), 1);
    assert_null(m.text);
    assert_null(m.first_name);
    assert_null(m.username);
    assert_null(m.chat_title);
    json_decref(u);

    static const char *const not_messages[] = {
        "{\"update_id\":12}",
        "{\"update_id\":13,\"edited_message\":{\"chat\":{\"id\":9},\"text\":\"x\"}}",
        "{\"message\":{\"text\":\"no chat\"}}",
        "{\"message\":{\"chat\":{\"id\":\"9\"},\"text\":\"string id\"}}",
        "{\"message\":\"x\"}",
        "[]",
    };
    for (size_t i = 0; i < sizeof(not_messages) / sizeof(not_messages[0]); i++) {
        u = json_loads(not_messages[i], JSON_DECODE_ANY, NULL);
        assert_int_equal(telegram_update_message(u, &m), 0);
        json_decref(u);
    }
    assert_int_equal(telegram_update_message(NULL, &m), 0);
}

/* ---- against the stand-in ---------------------------------------------------------------- */

static int fake_setup(void **state)
{
    struct telegram_fake *f = telegram_fake_start(TOKEN);
    *state = f;
    return f ? 0 : -1;
}

static int fake_teardown(void **state)
{
    telegram_fake_stop(*state);
    return 0;
}

static struct telegram_api api_for(struct telegram_fake *f)
{
    return (struct telegram_api){.base = telegram_fake_base(f), .token = TOKEN};
}

static void test_call_send_message(void **state)
{
    struct telegram_fake *f = *state;
    struct telegram_api api = api_for(f);
    struct telegram_result res;
    json_t *req;
    char *text;

    telegram_fake_reset(f);
    assert_int_equal(telegram_send_message(&api, "777", "Hello \xe2\x9c\x85", "HTML", &res),
                     TELEGRAM_OK);
    assert_int_equal(res.http_status, 200);
    assert_true(json_integer_value(json_object_get(res.result, "message_id")) > 0);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(res.result, "chat"), "id")),
                     777);
    telegram_result_clear(&res);

    req = telegram_fake_request(f, 0);
    assert_string_equal(json_string_value(json_object_get(req, "method")), "sendMessage");
    assert_int_equal(json_integer_value(json_object_get(json_object_get(req, "params"), "chat_id")),
                     777);
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(req, "params"), "parse_mode")), "HTML");
    json_decref(req);
    text = telegram_fake_sent_text(f, "777", 0);
    assert_string_equal(text, "Hello \xe2\x9c\x85");
    free(text);

    /* getMe, and the fake's own validation answers as Telegram would. */
    assert_int_equal(telegram_call(&api, "getMe", NULL, &res), TELEGRAM_OK);
    assert_string_equal(json_string_value(json_object_get(res.result, "username")),
                        TELEGRAM_FAKE_BOT_USERNAME);
    telegram_result_clear(&res);
    assert_int_equal(telegram_send_message(&api, "777", "", NULL, &res), TELEGRAM_BAD_REQUEST);
    assert_string_equal(res.description, "Bad Request: message text is empty");
    assert_int_equal(telegram_call(&api, "noSuchMethod", NULL, &res), TELEGRAM_BAD_REQUEST);
    assert_int_equal(res.http_status, 404);
}

static void test_call_faults(void **state)
{
    struct telegram_fake *f = *state;
    struct telegram_api api = api_for(f);
    struct telegram_result res;

    telegram_fake_reset(f);
    telegram_fake_fail(f, "sendMessage", NULL, TELEGRAM_FAKE_RETRY_AFTER, 5, 1);
    telegram_fake_fail(f, "sendMessage", NULL, TELEGRAM_FAKE_BLOCKED, 0, 1);
    telegram_fake_fail(f, "sendmessage", NULL, TELEGRAM_FAKE_CHAT_NOT_FOUND, 0, 1);
    telegram_fake_fail(f, "sendMessage", NULL, TELEGRAM_FAKE_MIGRATE, -1009988776655LL, 1);
    telegram_fake_fail(f, "sendMessage", NULL, TELEGRAM_FAKE_BAD_GATEWAY, 0, 1);

    assert_int_equal(telegram_send_message(&api, "1", "x", NULL, &res), TELEGRAM_RETRY_AFTER);
    assert_int_equal(res.retry_after, 5);
    assert_int_equal(telegram_send_message(&api, "1", "x", NULL, &res), TELEGRAM_BLOCKED);
    assert_int_equal(res.http_status, 403);
    assert_int_equal(telegram_send_message(&api, "1", "x", NULL, &res), TELEGRAM_CHAT_NOT_FOUND);
    assert_int_equal(telegram_send_message(&api, "1", "x", NULL, &res), TELEGRAM_MIGRATED);
    assert_true(res.migrate_to_chat_id == -1009988776655LL);
    assert_int_equal(telegram_send_message(&api, "1", "x", NULL, &res), TELEGRAM_SERVER_ERROR);
    assert_int_equal(res.http_status, 502);
    /* The faults were used up: back to normal. */
    assert_int_equal(telegram_send_message(&api, "1", "x", NULL, &res), TELEGRAM_OK);
    telegram_result_clear(&res);

    /* A fault for one chat leaves the others alone. */
    telegram_fake_fail(f, "sendMessage", "13", TELEGRAM_FAKE_BLOCKED, 0, -1);
    assert_int_equal(telegram_send_message(&api, "12", "x", NULL, &res), TELEGRAM_OK);
    telegram_result_clear(&res);
    assert_int_equal(telegram_send_message(&api, "13", "x", NULL, &res), TELEGRAM_BLOCKED);
    assert_int_equal(telegram_send_message(&api, "13", "x", NULL, &res), TELEGRAM_BLOCKED);
    telegram_fake_clear_faults(f);
    assert_int_equal(telegram_send_message(&api, "13", "x", NULL, &res), TELEGRAM_OK);
    telegram_result_clear(&res);
    assert_int_equal(telegram_fake_count(f, "sendMessage"), 10);

    /* Wrong token: the fake answers 401 as Telegram does. */
    api.token = "4242:wrong";
    assert_int_equal(telegram_send_message(&api, "1", "x", NULL, &res), TELEGRAM_UNAUTHORIZED);
}

static int closed_port(void)
{
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(sin);
    int fd = socket(AF_INET, SOCK_STREAM, 0), port;

    bind(fd, (struct sockaddr *)&sin, sizeof(sin));
    getsockname(fd, (struct sockaddr *)&sin, &len);
    port = ntohs(sin.sin_port);
    close(fd);
    return port;
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void test_call_transport_failures(void **state)
{
    struct telegram_fake *f = *state;
    struct telegram_api api = api_for(f);
    struct telegram_result res;
    char base[64];
    int64_t t0;

    /* Nothing listening. */
    snprintf(base, sizeof(base), "http://127.0.0.1:%d", closed_port());
    api.base = base;
    assert_int_equal(telegram_send_message(&api, "1", "x", NULL, &res), TELEGRAM_TRANSPORT);
    assert_true(res.description[0] != '\0');
    assert_null(strstr(res.description, TOKEN)); /* the token never shows in a message */
    assert_true(telegram_outcome_retryable(res.outcome));

    /* Too slow: the timeout ends it. */
    api = api_for(f);
    api.timeout_ms = 300;
    telegram_fake_reset(f);
    telegram_fake_fail(f, "sendMessage", NULL, TELEGRAM_FAKE_DELAY, 2000, 1);
    t0 = now_ms();
    assert_int_equal(telegram_send_message(&api, "1", "x", NULL, &res), TELEGRAM_TRANSPORT);
    assert_true(now_ms() - t0 < 1500);

    /* Not a usable URL: refused before anything is sent. */
    api.base = "ftp://127.0.0.1:1";
    assert_int_equal(telegram_send_message(&api, "1", "x", NULL, &res), TELEGRAM_TRANSPORT);
    api.base = telegram_fake_base(f);
    api.token = "bad token";
    assert_int_equal(telegram_send_message(&api, "1", "x", NULL, &res), TELEGRAM_TRANSPORT);
}

struct pusher {
    struct telegram_fake *f;
    int delay_ms;
};

static void *push_later(void *arg)
{
    struct pusher *p = arg;
    usleep((useconds_t)p->delay_ms * 1000);
    telegram_fake_push_update(p->f, telegram_fake_text_update(31, "Late", NULL, "/start late"));
    return NULL;
}

static void test_get_updates(void **state)
{
    struct telegram_fake *f = *state;
    struct telegram_api api = api_for(f);
    struct telegram_result res;
    struct telegram_message m;
    int64_t first, second, t0;
    struct pusher p = {.f = f, .delay_ms = 300};
    pthread_t th;

    telegram_fake_reset(f);
    /* Nothing pending, no waiting: an empty array. */
    assert_int_equal(telegram_get_updates(&api, 0, 0, &res), TELEGRAM_OK);
    assert_int_equal(json_array_size(res.result), 0);
    telegram_result_clear(&res);

    first = telegram_fake_push_update(f, telegram_fake_text_update(21, "Ann", "ann", "/start a"));
    second = telegram_fake_push_update(f, telegram_fake_text_update(22, "Bo", NULL, "hello"));
    assert_int_equal(second, first + 1);
    assert_int_equal(telegram_get_updates(&api, 0, 0, &res), TELEGRAM_OK);
    assert_int_equal(json_array_size(res.result), 2);
    assert_int_equal(telegram_update_message(json_array_get(res.result, 0), &m), 1);
    assert_int_equal(m.update_id, first);
    assert_int_equal(m.chat_id, 21);
    assert_string_equal(m.text, "/start a");
    assert_string_equal(m.username, "ann");
    telegram_result_clear(&res);

    /* The offset confirms what was handled. */
    assert_int_equal(telegram_get_updates(&api, first + 1, 0, &res), TELEGRAM_OK);
    assert_int_equal(json_array_size(res.result), 1);
    assert_int_equal(telegram_update_message(json_array_get(res.result, 0), &m), 1);
    assert_int_equal(m.update_id, second);
    telegram_result_clear(&res);
    assert_int_equal(telegram_get_updates(&api, second + 1, 0, &res), TELEGRAM_OK);
    assert_int_equal(json_array_size(res.result), 0);
    telegram_result_clear(&res);

    /* Long polling: the call waits and returns as soon as an update arrives. */
    assert_int_equal(pthread_create(&th, NULL, push_later, &p), 0);
    t0 = now_ms();
    assert_int_equal(telegram_get_updates(&api, second + 1, 10, &res), TELEGRAM_OK);
    assert_true(now_ms() - t0 >= 250);
    assert_true(now_ms() - t0 < 5000);
    pthread_join(th, NULL);
    assert_int_equal(json_array_size(res.result), 1);
    assert_int_equal(telegram_update_message(json_array_get(res.result, 0), &m), 1);
    assert_string_equal(m.text, "/start late");
    telegram_result_clear(&res);

    /* And with nothing arriving, returns empty after its timeout. */
    t0 = now_ms();
    assert_int_equal(telegram_get_updates(&api, second + 2, 1, &res), TELEGRAM_OK);
    assert_int_equal(json_array_size(res.result), 0);
    assert_true(now_ms() - t0 >= 900);
    telegram_result_clear(&res);

    /* Parameters as the real API takes them. */
    {
        json_t *req = telegram_fake_request(f, telegram_fake_count(f, NULL) - 1);
        json_t *params = json_object_get(req, "params");
        assert_int_equal(json_integer_value(json_object_get(params, "timeout")), 1);
        assert_int_equal(json_integer_value(json_object_get(params, "offset")), second + 2);
        assert_string_equal(
            json_string_value(json_array_get(json_object_get(params, "allowed_updates"), 0)),
            "message");
        json_decref(req);
    }
}

struct poller {
    struct telegram_api api;
    enum telegram_outcome outcome;
};

static void *poll_thread(void *arg)
{
    struct poller *p = arg;
    struct telegram_result res;
    p->outcome = telegram_get_updates(&p->api, 0, 5, &res);
    telegram_result_clear(&res);
    return NULL;
}

/* A second poller ends the first with 409, as Telegram does. */
static void test_get_updates_conflict(void **state)
{
    struct telegram_fake *f = *state;
    struct poller first = {.api = api_for(f)};
    struct telegram_api api = api_for(f);
    struct telegram_result res;
    pthread_t th;

    telegram_fake_reset(f);
    assert_int_equal(pthread_create(&th, NULL, poll_thread, &first), 0);
    usleep(300 * 1000);
    telegram_fake_push_update(f, telegram_fake_text_update(1, "X", NULL, "x"));
    pthread_join(th, NULL);
    assert_int_equal(first.outcome, TELEGRAM_OK);

    telegram_fake_reset(f);
    assert_int_equal(pthread_create(&th, NULL, poll_thread, &first), 0);
    usleep(300 * 1000);
    assert_int_equal(telegram_get_updates(&api, 0, 0, &res), TELEGRAM_OK);
    telegram_result_clear(&res);
    pthread_join(th, NULL);
    assert_int_equal(first.outcome, TELEGRAM_CONFLICT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_answers),           cmocka_unit_test(test_parse_non_answers),
        cmocka_unit_test(test_outcome_names),           cmocka_unit_test(test_method_url),
        cmocka_unit_test(test_send_message_params),     cmocka_unit_test(test_update_message),
        cmocka_unit_test(test_call_send_message),       cmocka_unit_test(test_call_faults),
        cmocka_unit_test(test_call_transport_failures), cmocka_unit_test(test_get_updates),
        cmocka_unit_test(test_get_updates_conflict),
    };

    return cmocka_run_group_tests(tests, fake_setup, fake_teardown);
}
