/* Integration tests of the monitors routes against the real api, PostgreSQL and Redis:
 * every route with and without its trailing slash, validation (bad JSON, wrong types,
 * out-of-range values, hostile URLs), pagination and filters, ownership (another user's
 * monitor is a 404 on every verb), the schedule in Redis after each write, Redis and
 * PostgreSQL going away, and the calls the original dashboard makes. */
#include "harness.h"
#include "tcp_proxy.h"

#include <hiredis/hiredis.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MONITORS "/api/v1/monitors"
#define PASSWORD "Correct-horse-9"
/* Public addresses, so the target guard lets them through without any DNS. */
#define PUBLIC_URL "https://93.184.215.14/health"
#define PUBLIC_URL2 "http://1.1.1.1/"
#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static const char *const monitor_keys[] = {"id",
                                           "name",
                                           "url",
                                           "interval",
                                           "monitor_type",
                                           "status",
                                           "is_active",
                                           "created_at",
                                           "updated_at",
                                           "last_checked_at",
                                           "method",
                                           "headers",
                                           "body",
                                           "expected_status",
                                           "timeout_ms",
                                           "follow_redirects",
                                           "verify_tls",
                                           "retries",
                                           "anomaly_threshold",
                                           "anomaly_window",
                                           "cert_expires_at"};

/* ---- helpers ---- */

struct user {
    long long id;
    char *email;
    char *token;
};

static struct user user_new(const struct api *api, const char *tag)
{
    struct user u;
    u.email = unique_email(tag);
    u.id = signup_ok(api, u.email, PASSWORD);
    u.token = login_ok(api, u.email, PASSWORD);
    return u;
}

static void user_free(struct user *u)
{
    free(u->email);
    free(u->token);
}

static int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void monitor_path(char *out, size_t size, long long id, const char *suffix)
{
    snprintf(out, size, MONITORS "/%lld%s", id, suffix);
}

/* Every field of API.md's Monitor object, and nothing else. */
static void expect_monitor_shape(const struct http_resp *r)
{
    expect_json_object(r);
    for (size_t i = 0; i < ARRAY_LEN(monitor_keys); i++)
        if (!json_object_get(r->json, monitor_keys[i]))
            fail_msg("no \"%s\" in the monitor: %s", monitor_keys[i], r->body);
    if (json_object_size(r->json) != ARRAY_LEN(monitor_keys))
        fail_msg("the monitor has %zu fields, expected %zu: %s", json_object_size(r->json),
                 ARRAY_LEN(monitor_keys), r->body);
}

static long long json_int_at(const struct http_resp *r, const char *path)
{
    json_t *v = resp_get(r, path);
    if (!json_is_integer(v))
        fail_msg("expected an integer at %s in: %s", path, r->body);
    return (long long)json_integer_value(v);
}

static int json_bool_at(const struct http_resp *r, const char *path)
{
    json_t *v = resp_get(r, path);
    if (!json_is_boolean(v))
        fail_msg("expected a boolean at %s in: %s", path, r->body);
    return json_is_true(v);
}

#define create_ok(api, tok, body) create_ok_at((api), (tok), (body), __FILE__, __LINE__)
static long long create_ok_at(const struct api *api, const char *tok, const char *body,
                              const char *file, int line)
{
    struct http_resp r;
    long long id;
    http_send_at(api, "POST", MONITORS "/", tok, body, NULL, &r, file, line);
    if (r.status != 201)
        fail_msg("%s:%d: create: expected 201, got %ld: %s", file, line, r.status, r.body);
    id = json_int_at(&r, "id");
    http_resp_free(&r);
    return id;
}

/* A minimal valid body: {"name": name, "url": url}. New string. */
static char *simple_body(const char *name, const char *url)
{
    return json_body("{s:s, s:s}", "name", name, "url", url);
}

/* The 400 carries a non-empty message list for field (and the body is an object). */
static void expect_field_error(const struct http_resp *r, const char *field)
{
    expect_status(r, 400);
    expect_json_object(r);
    expect_json_msgs(r, field);
}

/* The first message for field contains needle. */
static void expect_field_msg(const struct http_resp *r, const char *field, const char *needle)
{
    char path[96];
    expect_field_error(r, field);
    snprintf(path, sizeof(path), "%s.0", field);
    const char *msg = expect_json_string(r, path);
    if (!strstr(msg, needle))
        fail_msg("%s: expected a message containing \"%s\", got \"%s\"", field, needle, msg);
}

static long long monitor_count(long long uid)
{
    char id[24];
    snprintf(id, sizeof(id), "%lld", uid);
    return db_scalar_int("SELECT count(*) FROM monitors WHERE user_id = $1", id, NULL);
}

/* ---- Redis, read directly ---- */

static redisContext *g_redis;

static redisContext *redis_conn(void)
{
    char host[128] = "127.0.0.1";
    int port = 6379, db = 0;
    redisReply *reply;

    if (g_redis)
        return g_redis;
    if (sscanf(harness_redis_url(), "redis://%127[^:/]:%d/%d", host, &port, &db) < 2)
        fail_msg("cannot parse TEST_REDIS_URL %s", harness_redis_url());
    g_redis = redisConnect(host, port);
    if (!g_redis || g_redis->err)
        fail_msg("cannot connect to Redis at %s:%d", host, port);
    reply = redisCommand(g_redis, "SELECT %d", db);
    if (!reply || reply->type == REDIS_REPLY_ERROR)
        fail_msg("Redis SELECT %d failed", db);
    freeReplyObject(reply);
    return g_redis;
}

/* The monitor's score in the schedule, or -1 when it is not there. */
static long long sched_score(long long id)
{
    redisReply *reply =
        redisCommand(redis_conn(), "ZSCORE %sschedule %lld", harness_redis_prefix(), id);
    long long score = -1;
    if (!reply)
        fail_msg("Redis ZSCORE failed");
    if (reply->type == REDIS_REPLY_STRING)
        score = atoll(reply->str);
    freeReplyObject(reply);
    return score;
}

/* The monitor's spec, parsed (new reference), or NULL when there is none. */
static json_t *sched_spec(long long id)
{
    redisReply *reply =
        redisCommand(redis_conn(), "GET %smonitor:%lld", harness_redis_prefix(), id);
    json_t *spec = NULL;
    if (!reply)
        fail_msg("Redis GET failed");
    if (reply->type == REDIS_REPLY_STRING) {
        spec = json_loads(reply->str, 0, NULL);
        if (!spec)
            fail_msg("the spec of monitor %lld is not JSON: %s", id, reply->str);
    }
    freeReplyObject(reply);
    return spec;
}

static void redis_run(const char *cmd)
{
    redisReply *reply = redisCommand(redis_conn(), cmd);
    if (!reply || reply->type == REDIS_REPLY_ERROR)
        fail_msg("Redis %s failed", cmd);
    freeReplyObject(reply);
}

static long long redis_exists(const char *what, long long id)
{
    redisReply *reply =
        redisCommand(redis_conn(), "EXISTS %s%s:%lld", harness_redis_prefix(), what, id);
    long long n;
    if (!reply || reply->type != REDIS_REPLY_INTEGER)
        fail_msg("Redis EXISTS failed");
    n = reply->integer;
    freeReplyObject(reply);
    return n;
}

static void expect_spec_field(json_t *spec, json_t *monitor, const char *skey, const char *mkey)
{
    json_t *a = json_object_get(spec, skey), *b = json_object_get(monitor, mkey);
    int same =
        a && b &&
        (json_is_number(a) && json_is_number(b) ? json_number_value(a) == json_number_value(b)
                                                : json_equal(a, b));
    if (!same) {
        char *sa = json_dumps(spec, JSON_COMPACT), *sb = json_dumps(monitor, JSON_COMPACT);
        char msg[4096];
        snprintf(msg, sizeof(msg), "spec.%s differs from monitor.%s:\nspec %s\nmonitor %s", skey,
                 mkey, sa, sb);
        free(sa);
        free(sb);
        fail_msg("%s", msg);
    }
}

/* The monitor is on the schedule, due within [from_ms, to_ms], with a spec that says what
 * the api answered (r is the monitor's JSON) and the row's version. */
static void expect_scheduled(long long id, long long uid, const struct http_resp *r,
                             int64_t from_ms, int64_t to_ms)
{
    long long score = sched_score(id);
    json_t *spec = sched_spec(id);
    char ids[24];
    static const char *const same[][2] = {
        {"id", "id"},
        {"name", "name"},
        {"type", "monitor_type"},
        {"url", "url"},
        {"method", "method"},
        {"headers", "headers"},
        {"body", "body"},
        {"timeout_ms", "timeout_ms"},
        {"expected_status", "expected_status"},
        {"follow_redirects", "follow_redirects"},
        {"verify_tls", "verify_tls"},
        {"retries", "retries"},
        {"interval", "interval"},
        {"anomaly_threshold", "anomaly_threshold"},
        {"anomaly_window", "anomaly_window"},
    };

    if (score < 0)
        fail_msg("monitor %lld is not on the schedule", id);
    if (score < from_ms - 1000 || score > to_ms + 1000)
        fail_msg("monitor %lld is due at %lld, expected within [%lld, %lld]", id, score,
                 (long long)from_ms, (long long)to_ms);
    if (!spec)
        fail_msg("monitor %lld has no spec", id);
    for (size_t i = 0; i < ARRAY_LEN(same); i++)
        expect_spec_field(spec, r->json, same[i][0], same[i][1]);
    if (json_integer_value(json_object_get(spec, "user_id")) != uid)
        fail_msg("spec.user_id is not %lld", uid);
    snprintf(ids, sizeof(ids), "%lld", id);
    assert_int_equal(json_integer_value(json_object_get(spec, "version")),
                     db_scalar_int("SELECT version FROM monitors WHERE id = $1", ids, NULL));
    json_decref(spec);
}

static void expect_unscheduled(long long id)
{
    json_t *spec = sched_spec(id);
    if (sched_score(id) >= 0)
        fail_msg("monitor %lld is still on the schedule", id);
    if (spec) {
        json_decref(spec);
        fail_msg("monitor %lld still has a spec", id);
    }
}

/* ---- create and read ---- */

static void test_create_defaults_and_get(void **state)
{
    (void)state;
    struct api *api = api_start(NULL);
    struct user u = user_new(api, "create");
    struct http_resp r, g;
    char path[96];
    char *body = simple_body("Shop", PUBLIC_URL);
    int64_t t0 = wall_ms();

    http_send(api, "POST", MONITORS "/", u.token, body, NULL, &r);
    int64_t t1 = wall_ms();
    expect_status(&r, 201);
    expect_monitor_shape(&r);
    long long id = json_int_at(&r, "id");
    expect_json_str(&r, "name", "Shop");
    expect_json_str(&r, "url", PUBLIC_URL);
    assert_int_equal(json_int_at(&r, "interval"), 300);
    expect_json_str(&r, "monitor_type", "HTTP");
    expect_json_str(&r, "status", "PENDING");
    assert_true(json_bool_at(&r, "is_active"));
    expect_timestamp(&r, "created_at");
    expect_timestamp(&r, "updated_at");
    assert_true(json_is_null(resp_get(&r, "last_checked_at")));
    expect_json_str(&r, "method", "GET");
    assert_true(json_is_object(resp_get(&r, "headers")));
    assert_int_equal(json_object_size(resp_get(&r, "headers")), 0);
    assert_true(json_is_null(resp_get(&r, "body")));
    expect_json_str(&r, "expected_status", "200-299");
    assert_int_equal(json_int_at(&r, "timeout_ms"), 10000);
    assert_true(json_bool_at(&r, "follow_redirects"));
    assert_true(json_bool_at(&r, "verify_tls"));
    assert_int_equal(json_int_at(&r, "retries"), 1);
    /* A float, as the contract shows it (2.0, not 2). */
    assert_true(json_is_real(resp_get(&r, "anomaly_threshold")));
    assert_true(json_real_value(resp_get(&r, "anomaly_threshold")) == 2.0);
    assert_true(strstr(r.body, "\"anomaly_threshold\":2.0") != NULL);
    assert_int_equal(json_int_at(&r, "anomaly_window"), 50);
    assert_true(json_is_null(resp_get(&r, "cert_expires_at")));
    expect_scheduled(id, u.id, &r, t0, t1);

    /* Read back, with and without the slash: the same object. */
    const char *sfx[] = {"", "/"};
    for (int i = 0; i < 2; i++) {
        monitor_path(path, sizeof(path), id, sfx[i]);
        http_get(api, path, u.token, &g);
        expect_status(&g, 200);
        expect_monitor_shape(&g);
        if (!json_equal(g.json, r.json))
            fail_msg("GET %s differs from the create answer:\n%s\n%s", path, g.body, r.body);
        http_resp_free(&g);
    }
    /* Stored as answered. */
    char ids[24];
    snprintf(ids, sizeof(ids), "%lld", id);
    char uids[24];
    snprintf(uids, sizeof(uids), "%lld", u.id);
    assert_int_equal(db_scalar_int("SELECT count(*) FROM monitors WHERE id = $1 AND user_id = $2"
                                   " AND name = 'Shop' AND status = 'PENDING' AND version = 1",
                                   ids, uids, NULL),
                     1);
    http_resp_free(&r);

    /* Without the trailing slash on the collection too. */
    free(body);
    body = simple_body("No slash", PUBLIC_URL2);
    http_send(api, "POST", MONITORS, u.token, body, NULL, &r);
    expect_status(&r, 201);
    http_resp_free(&r);
    free(body);
    user_free(&u);
    api_stop_clean(api);
}

static void test_create_every_field(void **state)
{
    (void)state;
    struct api *api = api_start(NULL);
    struct user u = user_new(api, "full");
    struct http_resp r;
    char *body = json_body(
        "{s:s, s:s, s:s, s:i, s:b, s:s, s:{s:s, s:s}, s:s, s:s, s:i, s:b, s:b, s:i, s:f, s:i,"
        " s:i, s:s, s:s, s:s, s:i}",
        "name", "  Shop API  ", "url", "https://93.184.215.14/api?x=1", "monitor_type", "HTTP",
        "interval", 60, "is_active", 1, "method", "POST", "headers", "X-Key", "v", "Content-Type",
        "application/json", "body", "{\"ping\":1}", "expected_status", " 200-299 , 301 ",
        "timeout_ms", 5000, "follow_redirects", 0, "verify_tls", 0, "retries", 3,
        "anomaly_threshold", 3.5, "anomaly_window", 100,
        /* read-only and unknown fields are ignored */
        "id", 424242, "status", "UP", "created_at", "2001-01-01T00:00:00.000Z", "last_checked_at",
        "2001-01-01T00:00:00.000Z", "whatever", 1);
    int64_t t0 = wall_ms();

    http_send(api, "POST", MONITORS "/", u.token, body, NULL, &r);
    int64_t t1 = wall_ms();
    expect_status(&r, 201);
    expect_monitor_shape(&r);
    assert_int_not_equal(json_int_at(&r, "id"), 424242);
    expect_json_str(&r, "name", "Shop API"); /* trimmed, as DRF does */
    expect_json_str(&r, "url", "https://93.184.215.14/api?x=1");
    assert_int_equal(json_int_at(&r, "interval"), 60);
    expect_json_str(&r, "status", "PENDING");
    expect_timestamp(&r, "created_at");
    assert_true(json_is_null(resp_get(&r, "last_checked_at")));
    expect_json_str(&r, "method", "POST");
    expect_json_str(&r, "headers.X-Key", "v");
    expect_json_str(&r, "headers.Content-Type", "application/json");
    expect_json_str(&r, "body", "{\"ping\":1}");
    expect_json_str(&r, "expected_status", "200-299,301"); /* canonical */
    assert_int_equal(json_int_at(&r, "timeout_ms"), 5000);
    assert_false(json_bool_at(&r, "follow_redirects"));
    assert_false(json_bool_at(&r, "verify_tls"));
    assert_int_equal(json_int_at(&r, "retries"), 3);
    assert_true(json_real_value(resp_get(&r, "anomaly_threshold")) == 3.5);
    assert_int_equal(json_int_at(&r, "anomaly_window"), 100);
    expect_json_absent(&r, "whatever");
    expect_scheduled(json_int_at(&r, "id"), u.id, &r, t0, t1);
    http_resp_free(&r);
    free(body);

    /* DRF-style coercions: numbers as strings, booleans as strings, integral floats. */
    body = json_body("{s:s, s:s, s:s, s:f, s:s, s:s, s:s, s:i}", "name", "Coerced", "url",
                     PUBLIC_URL2, "interval", "120", "timeout_ms", 3000.0, "anomaly_threshold",
                     "2.5", "verify_tls", "false", "follow_redirects", "yes", "is_active", 1);
    http_send(api, "POST", MONITORS "/", u.token, body, NULL, &r);
    expect_status(&r, 201);
    assert_int_equal(json_int_at(&r, "interval"), 120);
    assert_int_equal(json_int_at(&r, "timeout_ms"), 3000);
    assert_true(json_real_value(resp_get(&r, "anomaly_threshold")) == 2.5);
    assert_false(json_bool_at(&r, "verify_tls"));
    assert_true(json_bool_at(&r, "follow_redirects"));
    http_resp_free(&r);
    free(body);

    /* TCP, and a paused monitor: PAUSED and off the schedule. */
    body = json_body("{s:s, s:s, s:s, s:b}", "name", "Postgres", "url", "tcp://1.1.1.1:5432",
                     "monitor_type", "TCP", "is_active", 0);
    http_send(api, "POST", MONITORS "/", u.token, body, NULL, &r);
    expect_status(&r, 201);
    expect_json_str(&r, "monitor_type", "TCP");
    expect_json_str(&r, "url", "tcp://1.1.1.1:5432");
    expect_json_str(&r, "status", "PAUSED");
    assert_false(json_bool_at(&r, "is_active"));
    expect_unscheduled(json_int_at(&r, "id"));
    http_resp_free(&r);
    free(body);

    /* At the minimum interval without a timeout: the default timeout shrinks to fit. */
    body = json_body("{s:s, s:s, s:i}", "name", "Fast", "url", PUBLIC_URL, "interval", 10);
    http_send(api, "POST", MONITORS "/", u.token, body, NULL, &r);
    expect_status(&r, 201);
    assert_int_equal(json_int_at(&r, "interval"), 10);
    assert_true(json_int_at(&r, "timeout_ms") < 10000);
    assert_true(json_int_at(&r, "timeout_ms") >= 100);
    http_resp_free(&r);
    free(body);

    user_free(&u);
    api_stop_clean(api);
}

/* ---- validation ---- */

struct bad_case {
    const char *body; /* JSON text */
    const char *field;
    const char *msg; /* a substring of the first message, or NULL */
};

static void run_bad_cases(const struct api *api, const char *method, const char *path,
                          const char *tok, const struct bad_case *cases, size_t n)
{
    struct http_resp r;
    for (size_t i = 0; i < n; i++) {
        http_send(api, method, path, tok, cases[i].body, NULL, &r);
        if (r.status != 400)
            fail_msg("%s %s %s: expected 400, got %ld: %s", method, path, cases[i].body, r.status,
                     r.body);
        if (!resp_get(&r, cases[i].field))
            fail_msg("%s %s: expected an error for %s, got %s", method, cases[i].body,
                     cases[i].field, r.body);
        if (cases[i].msg)
            expect_field_msg(&r, cases[i].field, cases[i].msg);
        else
            expect_field_error(&r, cases[i].field);
        http_resp_free(&r);
    }
}

#define U "\"url\": \"" PUBLIC_URL "\""
#define N "\"name\": \"x\""

static const struct bad_case create_bad[] = {
    {"{}", "name", "This field is required."},
    {"{}", "url", "This field is required."},
    {"{\"name\": \"\", " U "}", "name", "may not be blank"},
    {"{\"name\": \"   \", " U "}", "name", "may not be blank"},
    {"{\"name\": 123, " U "}", "name", "Not a valid string."},
    {"{\"name\": null, " U "}", "name", "may not be null"},
    {"{\"name\": [\"a\"], " U "}", "name", "Not a valid string."},
    {"{" N ", \"url\": 5}", "url", "Not a valid string."},
    {"{" N ", \"url\": \"not a url\"}", "url", "valid URL"},
    {"{" N ", \"url\": \"ftp://93.184.215.14/\"}", "url", "http:// or https://"},
    {"{" N ", \"url\": \"http://\"}", "url", "valid URL"},
    {"{" N ", \"url\": \"93.184.215.14\"}", "url", NULL},
    {"{" N ", \"url\": \"http://93.184.215.14:99999/\"}", "url", NULL},
    {"{" N ", \"url\": \"http://exa mple.com/\"}", "url", "valid URL"},
    {"{" N ", \"url\": \"http://\\u00e9xample.com/\"}", "url", "valid URL"},
    {"{" N ", " U ", \"monitor_type\": \"SMTP\"}", "monitor_type", "not a valid choice"},
    {"{" N ", " U ", \"monitor_type\": \"http\"}", "monitor_type", "not a valid choice"},
    {"{" N ", " U ", \"monitor_type\": 1}", "monitor_type", NULL},
    {"{" N ", " U ", \"monitor_type\": \"TCP\"}", "url", "tcp://host:port"},
    {"{" N ", \"url\": \"tcp://1.1.1.1\", \"monitor_type\": \"TCP\"}", "url", "port"},
    {"{" N ", \"url\": \"tcp://1.1.1.1:0\", \"monitor_type\": \"TCP\"}", "url", "65535"},
    {"{" N ", \"url\": \"tcp://1.1.1.1:70000\", \"monitor_type\": \"TCP\"}", "url", NULL},
    {"{" N ", \"url\": \"tcp://1.1.1.1:80/x\", \"monitor_type\": \"TCP\"}", "url", NULL},
    {"{" N ", \"url\": \"tcp://1.1.1.1:80?q\", \"monitor_type\": \"TCP\"}", "url", NULL},
    {"{" N ", \"url\": \"http://1.1.1.1:80\", \"monitor_type\": \"TCP\"}", "url", NULL},
    {"{" N ", " U ", \"interval\": \"abc\"}", "interval", "A valid integer is required."},
    {"{" N ", " U ", \"interval\": true}", "interval", "A valid integer is required."},
    {"{" N ", " U ", \"interval\": 1.5}", "interval", "A valid integer is required."},
    {"{" N ", " U ", \"interval\": {}}", "interval", "A valid integer is required."},
    {"{" N ", " U ", \"interval\": null}", "interval", "may not be null"},
    {"{" N ", " U ", \"interval\": 9}", "interval", "greater than or equal to 10"},
    {"{" N ", " U ", \"interval\": -1}", "interval", "greater than or equal to 10"},
    {"{" N ", " U ", \"interval\": 86401}", "interval", "less than or equal to 86400"},
    {"{" N ", " U ", \"interval\": 99999999999999}", "interval", "less than or equal to 86400"},
    {"{" N ", " U ", \"is_active\": \"perhaps\"}", "is_active", "Must be a valid boolean."},
    {"{" N ", " U ", \"is_active\": 2}", "is_active", "Must be a valid boolean."},
    {"{" N ", " U ", \"method\": \"FETCH\"}", "method", "not a valid choice"},
    {"{" N ", " U ", \"method\": \"get\"}", "method", "not a valid choice"},
    {"{" N ", " U ", \"headers\": \"X-A: b\"}", "headers", NULL},
    {"{" N ", " U ", \"headers\": [\"a\"]}", "headers", NULL},
    {"{" N ", " U ", \"headers\": {\"Bad Name\": \"v\"}}", "headers", "not a valid header name"},
    {"{" N ", " U ", \"headers\": {\"\": \"v\"}}", "headers", "not a valid header name"},
    {"{" N ", " U ", \"headers\": {\"X-A\": 1}}", "headers", "must be a string"},
    {"{" N ", " U ", \"headers\": {\"X-A\": \"a\\r\\nX-Evil: 1\"}}", "headers", "line breaks"},
    {"{" N ", " U ", \"headers\": {\"X-A\": \"a\\nb\"}}", "headers", "line breaks"},
    {"{" N ", " U ", \"headers\": {\"Content-Length\": \"5\"}}", "headers", NULL},
    {"{" N ", " U ", \"body\": 5}", "body", "Not a valid string."},
    {"{" N ", " U ", \"body\": {\"a\": 1}}", "body", "Not a valid string."},
    {"{" N ", " U ", \"expected_status\": \"abc\"}", "expected_status", NULL},
    {"{" N ", " U ", \"expected_status\": \"600\"}", "expected_status", "between 100 and 599"},
    {"{" N ", " U ", \"expected_status\": \"300-200\"}", "expected_status", NULL},
    {"{" N ", " U ", \"expected_status\": \"\"}", "expected_status", "blank"},
    {"{" N ", " U ", \"expected_status\": 200}", "expected_status", "Not a valid string."},
    {"{" N ", " U ", \"timeout_ms\": 99}", "timeout_ms", "greater than or equal to 100"},
    {"{" N ", " U ", \"timeout_ms\": 120001}", "timeout_ms", "less than or equal to 120000"},
    {"{" N ", " U ", \"timeout_ms\": \"soon\"}", "timeout_ms", "A valid integer is required."},
    {"{" N ", " U ", \"timeout_ms\": 30000, \"interval\": 30}", "timeout_ms",
     "less than the interval"},
    {"{" N ", " U ", \"retries\": -1}", "retries", "greater than or equal to 0"},
    {"{" N ", " U ", \"retries\": 11}", "retries", "less than or equal to 10"},
    {"{" N ", " U ", \"follow_redirects\": \"maybe\"}", "follow_redirects",
     "Must be a valid boolean."},
    {"{" N ", " U ", \"verify_tls\": null}", "verify_tls", "may not be null"},
    {"{" N ", " U ", \"verify_tls\": []}", "verify_tls", "Must be a valid boolean."},
    {"{" N ", " U ", \"anomaly_threshold\": 0}", "anomaly_threshold", "greater than 0"},
    {"{" N ", " U ", \"anomaly_threshold\": -2}", "anomaly_threshold", "greater than 0"},
    {"{" N ", " U ", \"anomaly_threshold\": 100.5}", "anomaly_threshold",
     "less than or equal to 100"},
    {"{" N ", " U ", \"anomaly_threshold\": \"high\"}", "anomaly_threshold",
     "A valid number is required."},
    {"{" N ", " U ", \"anomaly_threshold\": \"nan\"}", "anomaly_threshold",
     "A valid number is required."},
    {"{" N ", " U ", \"anomaly_threshold\": true}", "anomaly_threshold",
     "A valid number is required."},
    {"{" N ", " U ", \"anomaly_window\": 9}", "anomaly_window", "greater than or equal to 10"},
    {"{" N ", " U ", \"anomaly_window\": 1001}", "anomaly_window", "less than or equal to 1000"},
};

static void test_create_validation(void **state)
{
    (void)state;
    struct api *api = api_start(NULL);
    struct user u = user_new(api, "invalid");
    struct http_resp r;

    run_bad_cases(api, "POST", MONITORS "/", u.token, create_bad, ARRAY_LEN(create_bad));

    /* Several errors at once, each under its field. */
    http_send(api, "POST", MONITORS "/", u.token,
              "{\"name\": \"\", \"url\": \"nope\", \"interval\": 0, \"retries\": 99}", NULL, &r);
    expect_field_error(&r, "name");
    expect_field_error(&r, "interval");
    expect_field_error(&r, "retries");
    http_resp_free(&r);

    /* Lengths: name 255 characters (not bytes) fits, 256 does not; url 2048. */
    {
        char name[256 * 2 + 1];
        for (int i = 0; i < 255; i++)
            memcpy(name + 2 * i, "\xc3\xa9", 2); /* é: 2 bytes, 1 character */
        name[510] = '\0';
        char *body = simple_body(name, PUBLIC_URL);
        http_send(api, "POST", MONITORS "/", u.token, body, NULL, &r);
        expect_status(&r, 201);
        http_resp_free(&r);
        free(body);
        memcpy(name + 510, "a", 2);
        body = simple_body(name, PUBLIC_URL);
        http_send(api, "POST", MONITORS "/", u.token, body, NULL, &r);
        expect_field_msg(&r, "name", "no more than 255 characters");
        http_resp_free(&r);
        free(body);
    }
    {
        char url[2100];
        int n = snprintf(url, sizeof(url), "https://93.184.215.14/");
        memset(url + n, 'a', 2048 - (size_t)n);
        url[2048] = '\0';
        char *body = simple_body("long url", url);
        http_send(api, "POST", MONITORS "/", u.token, body, NULL, &r);
        expect_status(&r, 201);
        http_resp_free(&r);
        free(body);
        url[2048] = 'a';
        url[2049] = '\0';
        body = simple_body("too long url", url);
        http_send(api, "POST", MONITORS "/", u.token, body, NULL, &r);
        expect_field_msg(&r, "url", "no more than 2048 characters");
        http_resp_free(&r);
        free(body);
    }
    {
        /* body: 16384 characters fit, one more does not. */
        char *text = malloc(16386);
        assert_non_null(text);
        memset(text, 'b', 16384);
        text[16384] = '\0';
        char *body =
            json_body("{s:s, s:s, s:s}", "name", "big body", "url", PUBLIC_URL, "body", text);
        http_send(api, "POST", MONITORS "/", u.token, body, NULL, &r);
        expect_status(&r, 201);
        http_resp_free(&r);
        free(body);
        memcpy(text + 16384, "b", 2);
        body = json_body("{s:s, s:s, s:s}", "name", "big body", "url", PUBLIC_URL, "body", text);
        http_send(api, "POST", MONITORS "/", u.token, body, NULL, &r);
        expect_field_msg(&r, "body", "16384");
        http_resp_free(&r);
        free(body);
        free(text);
    }
    {
        /* 32 headers fit, 33 do not; a value of 4097 bytes does not. */
        json_t *h = json_object();
        char name[16], *body;
        for (int i = 0; i < 33; i++) {
            snprintf(name, sizeof(name), "X-H%d", i);
            if (i < 32)
                json_object_set_new(h, name, json_string("v"));
        }
        body = json_body("{s:s, s:s, s:O}", "name", "32 headers", "url", PUBLIC_URL, "headers", h);
        http_send(api, "POST", MONITORS "/", u.token, body, NULL, &r);
        expect_status(&r, 201);
        http_resp_free(&r);
        free(body);
        json_object_set_new(h, "X-H32", json_string("v"));
        body = json_body("{s:s, s:s, s:O}", "name", "33 headers", "url", PUBLIC_URL, "headers", h);
        http_send(api, "POST", MONITORS "/", u.token, body, NULL, &r);
        expect_field_msg(&r, "headers", "no more than 32 headers");
        http_resp_free(&r);
        free(body);
        json_decref(h);
        char *value = malloc(4098);
        assert_non_null(value);
        memset(value, 'v', 4097);
        value[4097] = '\0';
        body = json_body("{s:s, s:s, s:{s:s}}", "name", "long header", "url", PUBLIC_URL, "headers",
                         "X-Long", value);
        http_send(api, "POST", MONITORS "/", u.token, body, NULL, &r);
        expect_field_error(&r, "headers");
        http_resp_free(&r);
        free(body);
        free(value);
    }

    /* Whole-request errors: not JSON, not an object, empty. */
    const char *broken[] = {"{",    "{\"name\": }",      "[]", "\"text\"", "",
                            "null", "{\"name\": \"a\",}"};
    for (size_t i = 0; i < ARRAY_LEN(broken); i++) {
        http_send(api, "POST", MONITORS "/", u.token, broken[i], NULL, &r);
        expect_detail(&r, 400, NULL);
        http_resp_free(&r);
    }

    /* PING: accepted only where the kernel gives unprivileged ICMP sockets. */
    int fd = socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP);
    http_send(api, "POST", MONITORS "/", u.token,
              "{\"name\": \"ping\", \"url\": \"1.1.1.1\", \"monitor_type\": \"PING\"}", NULL, &r);
    if (fd >= 0) {
        close(fd);
        expect_status(&r, 201);
        expect_json_str(&r, "monitor_type", "PING");
    } else {
        expect_field_msg(&r, "monitor_type", "unavailable on this server");
    }
    http_resp_free(&r);

    /* None of the refused bodies left a row: only the ones accepted above exist. */
    assert_int_equal(monitor_count(u.id), fd >= 0 ? 5 : 4);
    user_free(&u);
    api_stop_clean(api);
}

static void test_min_interval_setting(void **state)
{
    (void)state;
    const char *env[] = {"STATUSHAWK_MIN_INTERVAL=30", NULL};
    struct api *api = api_start(env);
    struct user u = user_new(api, "minint");
    struct http_resp r;

    http_send(api, "POST", MONITORS "/", u.token,
              "{\"name\": \"a\", \"url\": \"" PUBLIC_URL "\", \"interval\": 29}", NULL, &r);
    expect_field_msg(&r, "interval", "greater than or equal to 30");
    http_resp_free(&r);
    http_send(api, "POST", MONITORS "/", u.token,
              "{\"name\": \"a\", \"url\": \"" PUBLIC_URL "\", \"interval\": 30}", NULL, &r);
    expect_status(&r, 201);
    assert_int_equal(json_int_at(&r, "interval"), 30);
    http_resp_free(&r);
    user_free(&u);
    api_stop_clean(api);
}

/* ---- the target guard ---- */

static const char *const hostile_urls[] = {
    "http://127.0.0.1/",
    "http://127.0.0.1:6379/",
    "https://127.1.2.3/",
    "http://[::1]/",
    "http://[::1]:8080/x",
    "http://[::ffff:127.0.0.1]/",
    "http://169.254.169.254/latest/meta-data/",
    "http://0x7f000001/",
    "http://2130706433/",
    "http://0177.0.0.1/",
    "http://localhost/",
    "http://localhost:5432/",
    "http://10.0.0.1/",
    "http://192.168.1.1/",
    "http://172.16.0.1/",
    "http://100.100.100.200/",
    "http://0.0.0.0/",
    "http://[fd00:ec2::254]/",
    "http://[fe80::1]/",
    "http://public.example@127.0.0.1/",
};

static void test_hostile_urls(void **state)
{
    (void)state;
    struct api *api = api_start(NULL);
    struct user u = user_new(api, "ssrf");
    struct http_resp r;
    char path[96];

    for (size_t i = 0; i < ARRAY_LEN(hostile_urls); i++) {
        char *body = simple_body("hostile", hostile_urls[i]);
        http_send(api, "POST", MONITORS "/", u.token, body, NULL, &r);
        if (r.status != 400 || !resp_get(&r, "url"))
            fail_msg("%s: expected 400 {\"url\": ...}, got %ld: %s", hostile_urls[i], r.status,
                     r.body);
        expect_field_error(&r, "url");
        http_resp_free(&r);
        free(body);
    }
    http_send(api, "POST", MONITORS "/", u.token,
              "{\"name\": \"db\", \"url\": \"tcp://127.0.0.1:5432\", \"monitor_type\": \"TCP\"}",
              NULL, &r);
    expect_field_msg(&r, "url", "not allowed");
    http_resp_free(&r);
    assert_int_equal(monitor_count(u.id), 0);

    /* A change to a hostile url is refused too, and changes nothing. */
    char *body = simple_body("fine", PUBLIC_URL);
    long long id = create_ok(api, u.token, body);
    free(body);
    monitor_path(path, sizeof(path), id, "/");
    http_send(api, "PATCH", path, u.token, "{\"url\": \"http://169.254.169.254/\"}", NULL, &r);
    expect_field_msg(&r, "url", "not allowed");
    http_resp_free(&r);
    http_send(api, "PUT", path, u.token, "{\"name\": \"x\", \"url\": \"http://[::1]/\"}", NULL, &r);
    expect_field_error(&r, "url");
    http_resp_free(&r);
    http_get(api, path, u.token, &r);
    expect_json_str(&r, "url", PUBLIC_URL);
    expect_json_str(&r, "name", "fine");
    http_resp_free(&r);
    api_stop_clean(api);

    /* Allowed when the operator says so. */
    const char *env[] = {"STATUSHAWK_ALLOW_PRIVATE_TARGETS=true", NULL};
    api = api_start(env);
    body = simple_body("local", "http://127.0.0.1:8080/health");
    id = create_ok(api, u.token, body);
    free(body);
    monitor_path(path, sizeof(path), id, "");
    http_send(api, "PATCH", path, u.token, "{\"url\": \"http://10.1.2.3/\"}", NULL, &r);
    expect_status(&r, 200);
    expect_json_str(&r, "url", "http://10.1.2.3/");
    http_resp_free(&r);
    user_free(&u);
    api_stop_clean(api);
}

/* A name that resolves to a private address is refused like the address itself. The api
 * runs in its own mount namespace with a hosts file of ours bind-mounted over /etc/hosts
 * (the machine's file is untouched). */
static void test_private_name_via_hosts_file(void **state)
{
    (void)state;
    char dir[] = "/tmp/sh-it-hosts.XXXXXX";
    char hosts[128], wrapper[128], prefix[512];
    const char *old = getenv("SH_API_PREFIX");
    char *saved = old ? strdup(old) : NULL;
    FILE *f;

    if (getuid() != 0 || system("unshare --mount true >/dev/null 2>&1") != 0) {
        print_message("cannot make a mount namespace here (needs root and unshare): skipped\n");
        free(saved);
        skip();
    }
    assert_non_null(mkdtemp(dir));
    snprintf(hosts, sizeof(hosts), "%s/hosts", dir);
    snprintf(wrapper, sizeof(wrapper), "%s/in-namespace", dir);
    f = fopen(hosts, "w");
    assert_non_null(f);
    fputs("127.0.0.1 localhost\n10.1.2.3 internal.sh-test.example\n"
          "169.254.169.254 metadata.sh-test.example\n93.184.215.14 public.sh-test.example\n",
          f);
    fclose(f);
    f = fopen(wrapper, "w");
    assert_non_null(f);
    /* The hosts file comes first; every exec keeps the pid, so the harness signals the api. */
    fputs("#!/bin/sh\nhosts=$1; shift\n"
          "exec unshare --mount -- /bin/sh -c "
          "'mount --bind \"$0\" /etc/hosts && exec \"$@\"' \"$hosts\" \"$@\"\n",
          f);
    fclose(f);
    assert_int_equal(chmod(wrapper, 0755), 0);
    snprintf(prefix, sizeof(prefix), "%s %s %s", wrapper, hosts, saved ? saved : "");
    setenv("SH_API_PREFIX", prefix, 1);
    struct api *api = api_try_start(NULL);
    if (saved)
        setenv("SH_API_PREFIX", saved, 1);
    else
        unsetenv("SH_API_PREFIX");
    if (!api)
        fail_msg("the api did not start in a mount namespace");

    struct user u = user_new(api, "hosts");
    struct http_resp r;
    const char *refused[] = {"http://internal.sh-test.example/",
                             "https://metadata.sh-test.example/latest/"};
    for (size_t i = 0; i < ARRAY_LEN(refused); i++) {
        char *body = simple_body("named", refused[i]);
        http_send(api, "POST", MONITORS "/", u.token, body, NULL, &r);
        expect_field_msg(&r, "url", "not allowed");
        http_resp_free(&r);
        free(body);
    }
    /* The same file makes a public name resolve, so the refusals above came from the
     * addresses, not from names failing to resolve. */
    char *body = simple_body("named", "https://public.sh-test.example/health");
    create_ok(api, u.token, body);
    free(body);
    user_free(&u);
    api_stop_clean(api);
    unlink(hosts);
    unlink(wrapper);
    rmdir(dir);
    free(saved);
}

/* ---- list: pagination and filters ---- */

static void test_list_pagination(void **state)
{
    (void)state;
    struct api *api = api_start(NULL);
    struct user u = user_new(api, "page"), other = user_new(api, "page-other");
    struct http_resp r;
    char uid[24], want[256];
    long long ids[25];

    for (int i = 0; i < 25; i++) {
        char name[32];
        snprintf(name, sizeof(name), "m%02d", i);
        char *body = simple_body(name, PUBLIC_URL);
        ids[i] = create_ok(api, u.token, body);
        free(body);
    }
    /* Another user's monitors are not in the list. */
    char *body = simple_body("not yours", PUBLIC_URL);
    create_ok(api, other.token, body);
    free(body);

    http_get(api, MONITORS "/", u.token, &r);
    expect_status(&r, 200);
    assert_int_equal(json_int_at(&r, "count"), 25);
    assert_int_equal(json_array_size(resp_get(&r, "results")), 10);
    snprintf(want, sizeof(want), "%s" MONITORS "/?page=2", api->base_url);
    expect_json_str(&r, "next", want);
    assert_true(json_is_null(resp_get(&r, "previous")));
    /* Newest first. */
    for (int i = 0; i < 10; i++) {
        char p[32];
        snprintf(p, sizeof(p), "results.%d.id", i);
        assert_int_equal(json_int_at(&r, p), ids[24 - i]);
    }
    http_resp_free(&r);

    http_get(api, MONITORS "?page=2", u.token, &r);
    expect_status(&r, 200);
    snprintf(want, sizeof(want), "%s" MONITORS "?page=3", api->base_url);
    expect_json_str(&r, "next", want);
    snprintf(want, sizeof(want), "%s" MONITORS, api->base_url); /* page 1 drops ?page */
    expect_json_str(&r, "previous", want);
    assert_int_equal(json_int_at(&r, "results.0.id"), ids[14]);
    http_resp_free(&r);

    http_get(api, MONITORS "/?page=3", u.token, &r);
    expect_status(&r, 200);
    assert_int_equal(json_array_size(resp_get(&r, "results")), 5);
    assert_true(json_is_null(resp_get(&r, "next")));
    assert_int_equal(json_int_at(&r, "results.4.id"), ids[0]);
    http_resp_free(&r);

    const char *invalid[] = {MONITORS "/?page=0", MONITORS "/?page=4", MONITORS "/?page=-1",
                             MONITORS "/?page=abc", MONITORS "/?page=99999999999999999999"};
    for (size_t i = 0; i < ARRAY_LEN(invalid); i++) {
        http_get(api, invalid[i], u.token, &r);
        expect_detail(&r, 404, "Invalid page.");
        http_resp_free(&r);
    }

    /* size: honoured, capped at 100, bad values fall back to 10. */
    http_get(api, MONITORS "/?size=7&page=4", u.token, &r);
    expect_status(&r, 200);
    assert_int_equal(json_array_size(resp_get(&r, "results")), 4);
    snprintf(want, sizeof(want), "%s" MONITORS "/?size=7&page=3", api->base_url);
    expect_json_str(&r, "previous", want);
    http_resp_free(&r);
    http_get(api, MONITORS "/?size=0", u.token, &r);
    assert_int_equal(json_array_size(resp_get(&r, "results")), 10);
    http_resp_free(&r);

    snprintf(uid, sizeof(uid), "%lld", u.id);
    PQclear(db_query("INSERT INTO monitors (user_id, name, url)"
                     " SELECT $1, 'bulk ' || g, 'https://1.1.1.1/' || g"
                     " FROM generate_series(1, 90) g",
                     uid, NULL));
    http_get(api, MONITORS "/?size=1000", u.token, &r);
    expect_status(&r, 200);
    assert_int_equal(json_int_at(&r, "count"), 115);
    assert_int_equal(json_array_size(resp_get(&r, "results")), 100);
    snprintf(want, sizeof(want), "%s" MONITORS "/?size=1000&page=2", api->base_url);
    expect_json_str(&r, "next", want);
    /* The bulk rows share one created_at: the id breaks the tie, newest first. */
    for (int i = 1; i < 100; i++) {
        char a[32], b[32];
        snprintf(a, sizeof(a), "results.%d.id", i - 1);
        snprintf(b, sizeof(b), "results.%d.id", i);
        assert_true(json_int_at(&r, a) > json_int_at(&r, b));
    }
    http_resp_free(&r);

    /* A user without monitors: an empty first page, not a 404. */
    struct user empty = user_new(api, "page-empty");
    http_get(api, MONITORS "/", empty.token, &r);
    expect_status(&r, 200);
    assert_int_equal(json_int_at(&r, "count"), 0);
    assert_int_equal(json_array_size(resp_get(&r, "results")), 0);
    assert_true(json_is_null(resp_get(&r, "next")));
    http_resp_free(&r);
    http_get(api, MONITORS "/?page=2", empty.token, &r);
    expect_detail(&r, 404, "Invalid page.");
    http_resp_free(&r);

    /* Authentication is required on every route. */
    http_get(api, MONITORS "/", NULL, &r);
    expect_detail(&r, 401, NULL);
    http_resp_free(&r);
    http_send(api, "POST", MONITORS "/", NULL, "{}", NULL, &r);
    expect_detail(&r, 401, NULL);
    http_resp_free(&r);
    http_get(api, MONITORS "/1", "0123456789abcdef0123456789abcdef01234567", &r);
    expect_detail(&r, 401, NULL);
    http_resp_free(&r);

    user_free(&empty);
    user_free(&other);
    user_free(&u);
    api_stop_clean(api);
}

static void test_list_filters(void **state)
{
    (void)state;
    struct api *api = api_start(NULL);
    struct user u = user_new(api, "filter");
    struct http_resp r;
    char want[512];
    struct {
        const char *name, *url, *status;
    } rows[] = {
        {"Alpha shop", "https://93.184.215.14/alpha", "UP"},
        {"beta", "https://93.184.215.14/b", "DOWN"},
        {"gamma 100%", "https://1.1.1.1/special_path", "UP"},
        {"delta_x", "https://1.1.1.1/d", "PENDING"},
        {"epsilon\\", "https://1.1.1.1/e", "PAUSED"},
    };
    for (size_t i = 0; i < ARRAY_LEN(rows); i++) {
        char *body = simple_body(rows[i].name, rows[i].url);
        long long id = create_ok(api, u.token, body);
        char ids[24];
        free(body);
        snprintf(ids, sizeof(ids), "%lld", id);
        PQclear(
            db_query("UPDATE monitors SET status = $1 WHERE id = $2", rows[i].status, ids, NULL));
    }
    struct {
        const char *query;
        int count;
    } cases[] = {
        {"?status=UP", 2},
        {"?status=DOWN", 1},
        {"?status=PAUSED", 1},
        {"?status=PENDING", 1},
        {"?status=", 5},
        {"?search=ALPHA", 1},
        {"?search=alpha", 1},
        {"?search=shop", 1},
        {"?search=special", 1}, /* in the url */
        {"?search=93.184", 2},  /* in the url */
        {"?search=%25", 1},     /* a literal %, not a wildcard */
        {"?search=_", 2},       /* literal _: delta_x and special_path */
        {"?search=%5C", 1},     /* a literal backslash */
        {"?search=0%25", 1},    /* "0%" is in "gamma 100%" only */
        {"?search=nothing", 0},
        {"?search=", 5},
        {"?search=a&status=UP", 2},
        {"?search=beta&status=UP", 0},
    };
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        char path[128];
        snprintf(path, sizeof(path), MONITORS "/%s", cases[i].query);
        http_get(api, path, u.token, &r);
        if (r.status != 200)
            fail_msg("GET %s: %ld: %s", path, r.status, r.body);
        if (json_int_at(&r, "count") != cases[i].count)
            fail_msg("GET %s: expected count %d: %s", path, cases[i].count, r.body);
        http_resp_free(&r);
    }
    /* The filters survive into next/previous. */
    http_get(api, MONITORS "/?status=UP&size=1", u.token, &r);
    expect_status(&r, 200);
    snprintf(want, sizeof(want), "%s" MONITORS "/?status=UP&size=1&page=2", api->base_url);
    expect_json_str(&r, "next", want);
    http_resp_free(&r);

    const char *bad_status[] = {"?status=up", "?status=BROKEN", "?status=UP,DOWN"};
    for (size_t i = 0; i < ARRAY_LEN(bad_status); i++) {
        char path[64];
        snprintf(path, sizeof(path), MONITORS "/%s", bad_status[i]);
        http_get(api, path, u.token, &r);
        expect_field_error(&r, "status");
        http_resp_free(&r);
    }
    /* search: bounded, and valid UTF-8 only. */
    char path[1024];
    int n = snprintf(path, sizeof(path), MONITORS "/?search=");
    memset(path + n, 'a', 256);
    path[n + 256] = '\0';
    http_get(api, path, u.token, &r);
    expect_field_error(&r, "search");
    http_resp_free(&r);
    path[n + 255] = '\0';
    http_get(api, path, u.token, &r);
    expect_status(&r, 200);
    http_resp_free(&r);
    http_get(api, MONITORS "/?search=%FF%FE", u.token, &r);
    expect_field_error(&r, "search");
    http_resp_free(&r);
    http_get(api, MONITORS "/?search=%C3%A9", u.token, &r);
    expect_status(&r, 200);
    http_resp_free(&r);
    user_free(&u);
    api_stop_clean(api);
}

/* ---- update ---- */

static void test_put_and_patch(void **state)
{
    (void)state;
    struct api *api = api_start(NULL);
    struct user u = user_new(api, "update");
    struct http_resp r, before;
    char path[96], ids[24];
    char *body = json_body("{s:s, s:s, s:i, s:s, s:i}", "name", "orig", "url", PUBLIC_URL,
                           "interval", 60, "expected_status", "200", "retries", 2);
    long long id = create_ok(api, u.token, body);
    free(body);
    snprintf(ids, sizeof(ids), "%lld", id);
    monitor_path(path, sizeof(path), id, "/");
    http_get(api, path, u.token, &before);
    sleep_ms(5); /* so updated_at can move */

    /* PUT: name and url required. */
    http_send(api, "PUT", path, u.token, "{\"interval\": 120}", NULL, &r);
    expect_field_msg(&r, "name", "This field is required.");
    expect_field_msg(&r, "url", "This field is required.");
    http_resp_free(&r);

    /* PUT: the fields given, the rest kept (DRF semantics), read-only ignored. */
    int64_t t0 = wall_ms();
    http_send(api, "PUT", path, u.token,
              "{\"name\": \"put\", \"url\": \"" PUBLIC_URL2 "\", \"interval\": 120,"
              " \"status\": \"DOWN\", \"id\": 5, \"created_at\": \"2000-01-01T00:00:00.000Z\"}",
              NULL, &r);
    int64_t t1 = wall_ms();
    expect_status(&r, 200);
    expect_monitor_shape(&r);
    assert_int_equal(json_int_at(&r, "id"), id);
    expect_json_str(&r, "name", "put");
    expect_json_str(&r, "url", PUBLIC_URL2);
    assert_int_equal(json_int_at(&r, "interval"), 120);
    expect_json_str(&r, "status", "PENDING");
    expect_json_str(&r, "expected_status", "200");
    assert_int_equal(json_int_at(&r, "retries"), 2);
    expect_json_str(&r, "created_at", json_string_value(resp_get(&before, "created_at")));
    if (strcmp(json_string_value(resp_get(&r, "updated_at")),
               json_string_value(resp_get(&before, "updated_at"))) <= 0)
        fail_msg("updated_at did not move: %s", r.body);
    assert_int_equal(db_scalar_int("SELECT version FROM monitors WHERE id = $1", ids, NULL), 2);
    expect_scheduled(id, u.id, &r, t0, t1);
    http_resp_free(&r);

    /* PATCH: only what is given. */
    http_send(api, "PATCH", path, u.token, "{\"retries\": 5, \"headers\": {\"X-A\": \"1\"}}", NULL,
              &r);
    expect_status(&r, 200);
    assert_int_equal(json_int_at(&r, "retries"), 5);
    expect_json_str(&r, "headers.X-A", "1");
    expect_json_str(&r, "name", "put");
    assert_int_equal(json_int_at(&r, "interval"), 120);
    http_resp_free(&r);
    assert_int_equal(db_scalar_int("SELECT version FROM monitors WHERE id = $1", ids, NULL), 3);

    /* An empty PATCH is valid and changes nothing but updated_at/version. */
    http_send(api, "PATCH", path, u.token, "{}", NULL, &r);
    expect_status(&r, 200);
    expect_json_str(&r, "name", "put");
    http_resp_free(&r);

    /* body: set, then back to null. */
    http_send(api, "PATCH", path, u.token, "{\"body\": \"x=1\", \"method\": \"POST\"}", NULL, &r);
    expect_json_str(&r, "body", "x=1");
    expect_json_str(&r, "method", "POST");
    http_resp_free(&r);
    http_send(api, "PATCH", path, u.token, "{\"body\": null}", NULL, &r);
    assert_true(json_is_null(resp_get(&r, "body")));
    http_resp_free(&r);

    /* Invalid PATCHes: 400, nothing written. */
    long long version = db_scalar_int("SELECT version FROM monitors WHERE id = $1", ids, NULL);
    static const struct bad_case patch_bad[] = {
        {"{\"name\": \"\"}", "name", "blank"},
        {"{\"name\": null}", "name", "null"},
        {"{\"url\": \"\"}", "url", "blank"},
        {"{\"interval\": 5}", "interval", "greater than or equal to 10"},
        {"{\"interval\": 10}", "interval", "timeout_ms"}, /* the stored timeout is 10000 */
        {"{\"timeout_ms\": 120000}", "timeout_ms", "less than the interval"},
        {"{\"monitor_type\": \"TCP\"}", "url", "tcp://"},
        {"{\"url\": \"tcp://1.1.1.1:80\"}", "url", "http://"},
        {"{\"is_active\": \"sometimes\"}", "is_active", "boolean"},
        {"{\"expected_status\": \"2xx\"}", "expected_status", NULL},
        {"{\"anomaly_window\": \"many\"}", "anomaly_window", "integer"},
    };
    run_bad_cases(api, "PATCH", path, u.token, patch_bad, ARRAY_LEN(patch_bad));
    const char *broken[] = {"{", "[1]", ""};
    for (size_t i = 0; i < ARRAY_LEN(broken); i++) {
        http_send(api, "PATCH", path, u.token, broken[i], NULL, &r);
        expect_detail(&r, 400, NULL);
        http_resp_free(&r);
    }
    assert_int_equal(db_scalar_int("SELECT version FROM monitors WHERE id = $1", ids, NULL),
                     version);

    /* Changing type and url together; the interval and timeout together. */
    http_send(api, "PATCH", path, u.token,
              "{\"monitor_type\": \"TCP\", \"url\": \"tcp://1.1.1.1:443\"}", NULL, &r);
    expect_status(&r, 200);
    expect_json_str(&r, "monitor_type", "TCP");
    http_resp_free(&r);
    http_send(api, "PATCH", path, u.token, "{\"interval\": 10, \"timeout_ms\": 2000}", NULL, &r);
    expect_status(&r, 200);
    assert_int_equal(json_int_at(&r, "interval"), 10);
    assert_int_equal(json_int_at(&r, "timeout_ms"), 2000);
    t1 = wall_ms();
    expect_scheduled(id, u.id, &r, t1 - 5000, t1);
    http_resp_free(&r);

    http_resp_free(&before);
    user_free(&u);
    api_stop_clean(api);
}

/* Concurrent PATCHes of different fields: each is re-validated on the row it finally
 * writes, so none undoes another (a 409 is allowed when the row keeps moving). */
struct patcher {
    const struct api *api;
    const char *token, *path, *body;
    long status;
    char error[256]; /* the client's, when there was no answer */
};

static void *patch_thread(void *arg)
{
    struct patcher *p = arg;
    struct http_resp r;
    struct http_req req = {.method = "PATCH", .path = p->path, .token = p->token, .body = p->body};
    p->status = http_request(p->api, &req, &r) == 0 ? r.status : 0;
    snprintf(p->error, sizeof(p->error), "%s", r.error);
    http_resp_free(&r);
    return NULL;
}

static void test_concurrent_patches(void **state)
{
    (void)state;
    struct api *api = api_start(NULL);
    struct user u = user_new(api, "concurrent");
    char path[96];
    char *body = simple_body("c", PUBLIC_URL);
    long long id = create_ok(api, u.token, body);
    free(body);
    monitor_path(path, sizeof(path), id, "/");

    for (int round = 0; round < 5; round++) {
        char b[6][64];
        snprintf(b[0], sizeof(b[0]), "{\"retries\": %d}", round + 2);
        snprintf(b[1], sizeof(b[1]), "{\"anomaly_window\": %d}", 20 + round);
        snprintf(b[2], sizeof(b[2]), "{\"interval\": %d}", 400 + round);
        snprintf(b[3], sizeof(b[3]), "{\"timeout_ms\": %d}", 3000 + round);
        snprintf(b[4], sizeof(b[4]), "{\"name\": \"round %d\"}", round);
        snprintf(b[5], sizeof(b[5]), "{\"expected_status\": \"%d\"}", 200 + round);
        struct patcher p[6];
        pthread_t t[6];
        for (int i = 0; i < 6; i++) {
            p[i] = (struct patcher){.api = api, .token = u.token, .path = path, .body = b[i]};
            assert_int_equal(pthread_create(&t[i], NULL, patch_thread, &p[i]), 0);
        }
        for (int i = 0; i < 6; i++)
            pthread_join(t[i], NULL);
        struct http_resp r;
        http_get(api, path, u.token, &r);
        char es[8];
        snprintf(es, sizeof(es), "%d", 200 + round);
        char name[16];
        snprintf(name, sizeof(name), "round %d", round);
        for (int i = 0; i < 6; i++)
            if (p[i].status != 200 && p[i].status != 409)
                fail_msg("PATCH %s: %ld %s", b[i], p[i].status, p[i].error);
        if ((p[0].status == 200 && json_int_at(&r, "retries") != round + 2) ||
            (p[1].status == 200 && json_int_at(&r, "anomaly_window") != 20 + round) ||
            (p[2].status == 200 && json_int_at(&r, "interval") != 400 + round) ||
            (p[3].status == 200 && json_int_at(&r, "timeout_ms") != 3000 + round) ||
            (p[4].status == 200 && strcmp(expect_json_string(&r, "name"), name) != 0) ||
            (p[5].status == 200 && strcmp(expect_json_string(&r, "expected_status"), es) != 0))
            fail_msg("round %d: a PATCH answered 200 was lost: %s", round, r.body);
        http_resp_free(&r);
    }
    user_free(&u);
    api_stop_clean(api);
}

/* ---- pause, resume, delete, check: the schedule ---- */

static void test_schedule_lifecycle(void **state)
{
    (void)state;
    struct api *api = api_start(NULL);
    struct user u = user_new(api, "sched");
    struct http_resp r;
    char path[96], cmd[256];
    char *body = simple_body("s", PUBLIC_URL);
    int64_t t0 = wall_ms();

    http_send(api, "POST", MONITORS "/", u.token, body, NULL, &r);
    free(body);
    expect_status(&r, 201);
    long long id = json_int_at(&r, "id");
    expect_scheduled(id, u.id, &r, t0, wall_ms());
    http_resp_free(&r);
    monitor_path(path, sizeof(path), id, "/");

    /* Pause: PAUSED, off the schedule, working state and latency window gone. */
    snprintf(cmd, sizeof(cmd), "HSET %sstate:%lld status UP", harness_redis_prefix(), id);
    redis_run(cmd);
    snprintf(cmd, sizeof(cmd), "RPUSH %slat:%lld 12 13", harness_redis_prefix(), id);
    redis_run(cmd);
    http_send(api, "PATCH", path, u.token, "{\"is_active\": false}", NULL, &r);
    expect_status(&r, 200);
    expect_json_str(&r, "status", "PAUSED");
    assert_false(json_bool_at(&r, "is_active"));
    http_resp_free(&r);
    expect_unscheduled(id);
    assert_int_equal(redis_exists("state", id), 0);
    assert_int_equal(redis_exists("lat", id), 0);

    /* Changing a paused monitor keeps it off the schedule. */
    http_send(api, "PATCH", path, u.token, "{\"name\": \"still paused\"}", NULL, &r);
    expect_json_str(&r, "status", "PAUSED");
    http_resp_free(&r);
    expect_unscheduled(id);

    /* Check now on a paused monitor: 409. */
    monitor_path(path, sizeof(path), id, "/check/");
    http_send(api, "POST", path, u.token, "{}", NULL, &r);
    expect_detail(&r, 409, NULL);
    http_resp_free(&r);
    expect_unscheduled(id);

    /* Resume: PENDING, due now. */
    monitor_path(path, sizeof(path), id, "/");
    t0 = wall_ms();
    http_send(api, "PATCH", path, u.token, "{\"is_active\": true}", NULL, &r);
    expect_status(&r, 200);
    expect_json_str(&r, "status", "PENDING");
    expect_scheduled(id, u.id, &r, t0, wall_ms());
    http_resp_free(&r);

    /* A change while active: new spec, new version, due now. */
    snprintf(cmd, sizeof(cmd), "ZADD %sschedule 9999999999999 %lld", harness_redis_prefix(), id);
    redis_run(cmd);
    t0 = wall_ms();
    http_send(api, "PATCH", path, u.token, "{\"interval\": 45, \"url\": \"" PUBLIC_URL2 "\"}", NULL,
              &r);
    expect_status(&r, 200);
    expect_scheduled(id, u.id, &r, t0, wall_ms());
    http_resp_free(&r);

    /* The runner's status survives a change that is not a pause or resume. */
    char ids[24];
    snprintf(ids, sizeof(ids), "%lld", id);
    PQclear(db_query("UPDATE monitors SET status = 'DOWN' WHERE id = $1", ids, NULL));
    http_send(api, "PATCH", path, u.token, "{\"is_active\": true, \"retries\": 4}", NULL, &r);
    expect_json_str(&r, "status", "DOWN");
    http_resp_free(&r);

    /* Check now: due now again (it was pushed to the far future). */
    snprintf(cmd, sizeof(cmd), "ZADD %sschedule 9999999999999 %lld", harness_redis_prefix(), id);
    redis_run(cmd);
    const char *check_paths[] = {"/check/", "/check"};
    for (int i = 0; i < 2; i++) {
        monitor_path(path, sizeof(path), id, check_paths[i]);
        t0 = wall_ms();
        http_send(api, "POST", path, u.token, NULL, NULL, &r);
        expect_status(&r, 202);
        expect_json_str(&r, "status", "scheduled");
        http_resp_free(&r);
        long long score = sched_score(id);
        assert_true(score >= t0 - 1000 && score <= wall_ms() + 1000);
    }
    /* Check now when Redis lost the entry (a flush): the whole entry is put back. */
    snprintf(cmd, sizeof(cmd), "DEL %smonitor:%lld", harness_redis_prefix(), id);
    redis_run(cmd);
    snprintf(cmd, sizeof(cmd), "ZREM %sschedule %lld", harness_redis_prefix(), id);
    redis_run(cmd);
    t0 = wall_ms();
    http_send(api, "POST", path, u.token, "{}", NULL, &r);
    expect_status(&r, 202);
    http_resp_free(&r);
    monitor_path(path, sizeof(path), id, "");
    http_get(api, path, u.token, &r);
    expect_scheduled(id, u.id, &r, t0, wall_ms());
    http_resp_free(&r);

    user_free(&u);
    api_stop_clean(api);
}

static void test_delete(void **state)
{
    (void)state;
    struct api *api = api_start(NULL);
    struct user u = user_new(api, "delete");
    struct http_resp r;
    char path[96], ids[24], keep_ids[24], cmd[128];
    char *body = simple_body("doomed", PUBLIC_URL);
    long long id = create_ok(api, u.token, body), keep = create_ok(api, u.token, body);
    free(body);
    snprintf(ids, sizeof(ids), "%lld", id);
    snprintf(keep_ids, sizeof(keep_ids), "%lld", keep);

    /* Results (no foreign key), an incident (cascades), working state in Redis. */
    const char *ins = "INSERT INTO check_results (monitor_id, checked_at, status_code,"
                      " response_time_ms, is_up) SELECT $1, now() - g * interval '1 hour', 200,"
                      " 12.5, true FROM generate_series(0, 47) g";
    PQclear(db_query(ins, ids, NULL));
    PQclear(db_query(ins, keep_ids, NULL));
    PQclear(
        db_query("INSERT INTO incidents (monitor_id, started_at) VALUES ($1, now())", ids, NULL));
    snprintf(cmd, sizeof(cmd), "HSET %sstate:%lld status UP", harness_redis_prefix(), id);
    redis_run(cmd);

    monitor_path(path, sizeof(path), id, "/");
    http_send(api, "DELETE", path, u.token, NULL, NULL, &r);
    expect_status(&r, 204);
    assert_int_equal(r.body_len, 0);
    http_resp_free(&r);
    assert_int_equal(db_scalar_int("SELECT count(*) FROM monitors WHERE id = $1", ids, NULL), 0);
    assert_int_equal(
        db_scalar_int("SELECT count(*) FROM check_results WHERE monitor_id = $1", ids, NULL), 0);
    assert_int_equal(
        db_scalar_int("SELECT count(*) FROM incidents WHERE monitor_id = $1", ids, NULL), 0);
    assert_int_equal(
        db_scalar_int("SELECT count(*) FROM check_results WHERE monitor_id = $1", keep_ids, NULL),
        48);
    expect_unscheduled(id);
    assert_int_equal(redis_exists("state", id), 0);
    json_t *spec = sched_spec(keep);
    assert_non_null(spec);
    json_decref(spec);

    /* Gone: 404 on every verb; without the slash too. */
    monitor_path(path, sizeof(path), id, "");
    http_send(api, "DELETE", path, u.token, NULL, NULL, &r);
    expect_detail(&r, 404, "Not found.");
    http_resp_free(&r);
    http_get(api, path, u.token, &r);
    expect_detail(&r, 404, "Not found.");
    http_resp_free(&r);
    user_free(&u);
    api_stop_clean(api);
}

/* ---- ownership ---- */

static void test_other_users_monitor_404(void **state)
{
    (void)state;
    struct api *api = api_start(NULL);
    struct user a = user_new(api, "owner"), b = user_new(api, "intruder");
    struct http_resp r;
    char path[96], check[96], ids[24];
    char *body = simple_body("mine", PUBLIC_URL);
    long long id = create_ok(api, a.token, body);
    free(body);
    snprintf(ids, sizeof(ids), "%lld", id);

    long long targets[] = {id, 999999999};
    for (size_t t = 0; t < ARRAY_LEN(targets); t++) {
        monitor_path(path, sizeof(path), targets[t], "/");
        monitor_path(check, sizeof(check), targets[t], "/check/");
        struct {
            const char *method, *path, *body;
        } calls[] = {
            {"GET", path, NULL},
            {"PUT", path, "{\"name\": \"x\", \"url\": \"" PUBLIC_URL2 "\"}"},
            {"PUT", path, "{\"name\": 5}"}, /* 404 before any complaint about the body */
            {"PATCH", path, "{\"is_active\": false}"},
            {"PATCH", path, "{"},
            {"DELETE", path, NULL},
            {"POST", check, "{}"},
        };
        for (size_t i = 0; i < ARRAY_LEN(calls); i++) {
            http_send(api, calls[i].method, calls[i].path, b.token, calls[i].body, NULL, &r);
            if (r.status != 404)
                fail_msg("%s %s as another user: expected 404, got %ld: %s", calls[i].method,
                         calls[i].path, r.status, r.body);
            expect_detail(&r, 404, "Not found.");
            http_resp_free(&r);
        }
    }
    /* Untouched, still scheduled. */
    monitor_path(path, sizeof(path), id, "/");
    http_get(api, path, a.token, &r);
    expect_status(&r, 200);
    expect_json_str(&r, "name", "mine");
    assert_true(json_bool_at(&r, "is_active"));
    http_resp_free(&r);
    assert_int_equal(db_scalar_int("SELECT version FROM monitors WHERE id = $1", ids, NULL), 1);
    assert_true(sched_score(id) >= 0);
    user_free(&a);
    user_free(&b);
    api_stop_clean(api);
}

/* ---- Redis and PostgreSQL going away ---- */

static long long metric_value(const struct api *api, const char *name)
{
    struct http_resp r;
    long long v = -1;
    http_get(api, "/metrics", NULL, &r);
    expect_status(&r, 200);
    for (const char *p = r.body; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
        size_t n = strlen(name);
        if (strncmp(p, name, n) == 0 && p[n] == ' ')
            v = atoll(p + n + 1);
    }
    http_resp_free(&r);
    return v;
}

static void test_redis_down(void **state)
{
    (void)state;
    char renv[96];
    snprintf(renv, sizeof(renv), "REDIS_URL=redis://127.0.0.1:%d/0", harness_free_port());
    const char *env[] = {renv, NULL};
    struct api *api = api_start(env);
    struct user u = user_new(api, "noredis");
    struct http_resp r;
    char path[96];
    char *body = simple_body("no redis", PUBLIC_URL);

    /* PostgreSQL is the source of truth: the writes succeed, the schedule waits for the
     * runner's reconciler. */
    http_send(api, "POST", MONITORS "/", u.token, body, NULL, &r);
    free(body);
    expect_status(&r, 201);
    expect_monitor_shape(&r);
    long long id = json_int_at(&r, "id");
    http_resp_free(&r);
    assert_int_equal(monitor_count(u.id), 1);
    expect_unscheduled(id); /* (read from the real Redis, which the api cannot reach) */
    assert_true(metric_value(api, "statushawk_api_schedule_write_failures_total") >= 1);

    monitor_path(path, sizeof(path), id, "/");
    http_send(api, "PATCH", path, u.token, "{\"is_active\": false}", NULL, &r);
    expect_status(&r, 200);
    expect_json_str(&r, "status", "PAUSED");
    http_resp_free(&r);
    http_send(api, "PATCH", path, u.token, "{\"is_active\": true}", NULL, &r);
    expect_status(&r, 200);
    http_resp_free(&r);
    /* Check now is nothing but a schedule write: without Redis it is an honest 503. */
    monitor_path(path, sizeof(path), id, "/check/");
    http_send(api, "POST", path, u.token, "{}", NULL, &r);
    expect_detail(&r, 503, NULL);
    http_resp_free(&r);
    monitor_path(path, sizeof(path), id, "/");
    http_get(api, path, u.token, &r);
    expect_status(&r, 200);
    http_resp_free(&r);
    http_send(api, "DELETE", path, u.token, NULL, NULL, &r);
    expect_status(&r, 204);
    http_resp_free(&r);
    assert_true(metric_value(api, "statushawk_api_schedule_write_failures_total") >= 4);
    user_free(&u);
    api_stop_clean(api);
}

/* Redis cut while the api runs and brought back: writes go on, and the next write after
 * Redis returns puts the monitor back on the schedule. */
static void test_redis_cut_and_back(void **state)
{
    (void)state;
    char host[128] = "127.0.0.1";
    int port = 6379;
    if (sscanf(harness_redis_url(), "redis://%127[^:/]:%d", host, &port) < 1)
        fail_msg("cannot parse TEST_REDIS_URL");
    const char *slash = strrchr(harness_redis_url() + 8, '/');
    struct tcp_proxy *px = tcp_proxy_start(host, port);
    assert_non_null(px);
    char renv[160];
    snprintf(renv, sizeof(renv), "REDIS_URL=redis://127.0.0.1:%d%s", tcp_proxy_port(px),
             slash ? slash : "/0");
    const char *env[] = {renv, "STATUSHAWK_API_THREADS=1", NULL};
    struct api *api = api_start(env);
    struct user u = user_new(api, "rediscut");
    struct http_resp r;
    char path[96];

    assert_int_equal(tcp_proxy_cut(px), 0);
    char *body = simple_body("during", PUBLIC_URL);
    http_send(api, "POST", MONITORS "/", u.token, body, NULL, &r);
    free(body);
    expect_status(&r, 201);
    long long id = json_int_at(&r, "id");
    http_resp_free(&r);
    expect_unscheduled(id);

    assert_int_equal(tcp_proxy_restore(px), 0);
    monitor_path(path, sizeof(path), id, "/");
    /* The connection is retried at most once a second: poll until the write reaches Redis. */
    int64_t deadline = mono_ms() + 15000;
    for (;;) {
        int64_t t0 = wall_ms();
        http_send(api, "PATCH", path, u.token, "{\"retries\": 2}", NULL, &r);
        expect_status(&r, 200);
        if (sched_score(id) >= 0) {
            expect_scheduled(id, u.id, &r, t0, wall_ms());
            http_resp_free(&r);
            break;
        }
        http_resp_free(&r);
        if (mono_ms() > deadline)
            fail_msg("monitor %lld never reached the schedule after Redis came back", id);
        sleep_ms(300);
    }
    user_free(&u);
    api_stop_clean(api);
    tcp_proxy_stop(px);
}

/* Polls GET path until it answers want (up to timeout_ms). */
static void wait_status(const struct api *api, const char *path, const char *tok, long want,
                        int timeout_ms)
{
    int64_t deadline = mono_ms() + timeout_ms;
    struct http_resp r;
    for (;;) {
        http_get(api, path, tok, &r);
        long got = r.status;
        if (got == want) {
            http_resp_free(&r);
            return;
        }
        if (mono_ms() > deadline)
            fail_msg("GET %s: still %ld after %d ms (want %ld): %s", path, got, timeout_ms, want,
                     r.body);
        http_resp_free(&r);
        sleep_ms(100);
    }
}

static void test_database_outage(void **state)
{
    (void)state;
    struct tcp_proxy *px = tcp_proxy_start(harness_pg_host(), harness_pg_port());
    assert_non_null(px);
    char *url = harness_pg_url(NULL, "127.0.0.1", tcp_proxy_port(px));
    char dbenv[2100];
    snprintf(dbenv, sizeof(dbenv), "DATABASE_URL=%s", url);
    free(url);
    const char *env[] = {dbenv, "STATUSHAWK_API_THREADS=2", NULL};
    struct api *api = api_start(env);
    struct user u = user_new(api, "pgcut");
    struct http_resp r;
    char path[96];
    char *body = simple_body("before", PUBLIC_URL);
    long long id = create_ok(api, u.token, body);
    monitor_path(path, sizeof(path), id, "/");

    assert_int_equal(tcp_proxy_cut(px), 0);
    /* Each call either 503s or (token cache) 503s on the monitors query: never 200/500. */
    struct {
        const char *method, *path, *body;
    } calls[] = {
        {"GET", MONITORS "/", NULL},         {"POST", MONITORS "/", body}, {"GET", path, NULL},
        {"PATCH", path, "{\"retries\": 3}"}, {"PUT", path, body},          {"DELETE", path, NULL},
    };
    char check[96];
    monitor_path(check, sizeof(check), id, "/check/");
    for (int round = 0; round < 2; round++) {
        for (size_t i = 0; i < ARRAY_LEN(calls); i++) {
            http_send(api, calls[i].method, calls[i].path, u.token, calls[i].body, NULL, &r);
            if (r.status != 503)
                fail_msg("%s %s with the database away: expected 503, got %ld: %s", calls[i].method,
                         calls[i].path, r.status, r.body);
            expect_detail(&r, 503, NULL);
            http_resp_free(&r);
        }
        http_send(api, "POST", check, u.token, "{}", NULL, &r);
        expect_detail(&r, 503, NULL);
        http_resp_free(&r);
    }
    if (!api_alive(api))
        fail_msg("the api exited while the database was away");

    assert_int_equal(tcp_proxy_restore(px), 0);
    wait_status(api, MONITORS "/", u.token, 200, 15000);
    for (int i = 0; i < 6; i++) {
        wait_status(api, path, u.token, 200, 5000);
        wait_status(api, MONITORS "/?page=1", u.token, 200, 5000);
    }
    http_get(api, MONITORS "/", u.token, &r);
    expect_status(&r, 200);
    assert_int_equal(json_int_at(&r, "count"), 1); /* nothing was written during the outage */
    http_resp_free(&r);
    free(body);
    user_free(&u);
    api_stop_clean(api);
    tcp_proxy_stop(px);
}

/* ---- the original dashboard's calls ---- */

static void test_dashboard_calls(void **state)
{
    (void)state;
    struct api *api = api_start(NULL);
    struct user u = user_new(api, "dashboard");
    struct http_resp r;
    char path[96];
    /* The original form posts these four fields. */
    long long id = create_ok(api, u.token,
                             "{\"name\": \"Dash\", \"url\": \"" PUBLIC_URL
                             "\", \"interval\": 60, \"monitor_type\": "
                             "\"HTTP\"}");

    http_get(api, "/api/v1/monitors/?page=1", u.token, &r);
    expect_status(&r, 200);
    assert_int_equal(json_int_at(&r, "count"), 1);
    assert_true(json_is_null(resp_get(&r, "next")));
    assert_true(json_is_null(resp_get(&r, "previous")));
    assert_int_equal(json_int_at(&r, "results.0.id"), id);
    expect_json_str(&r, "results.0.name", "Dash");
    expect_json_str(&r, "results.0.url", PUBLIC_URL);
    expect_json_str(&r, "results.0.status", "PENDING");
    expect_json_str(&r, "results.0.monitor_type", "HTTP");
    assert_int_equal(json_int_at(&r, "results.0.interval"), 60);
    assert_true(json_bool_at(&r, "results.0.is_active"));
    expect_timestamp(&r, "results.0.created_at");
    assert_true(json_is_null(resp_get(&r, "results.0.last_checked_at")));
    http_resp_free(&r);

    monitor_path(path, sizeof(path), id, ""); /* GET /monitors/5 without the slash */
    http_get(api, path, u.token, &r);
    expect_status(&r, 200);
    expect_monitor_shape(&r);
    assert_int_equal(json_int_at(&r, "id"), id);
    http_resp_free(&r);

    monitor_path(path, sizeof(path), id, "/");
    http_send(api, "PATCH", path, u.token, "{\"is_active\": false}", NULL, &r);
    expect_status(&r, 200);
    expect_monitor_shape(&r);
    assert_false(json_bool_at(&r, "is_active"));
    expect_json_str(&r, "status", "PAUSED");
    expect_json_str(&r, "name", "Dash");
    http_resp_free(&r);

    /* A browser on another origin gets the CORS header on these routes too. */
    const char *hdrs[] = {"Origin: http://dash.example", NULL};
    struct http_req req = {.path = MONITORS "/", .token = u.token, .headers = hdrs};
    const char *cenv[] = {"STATUSHAWK_CORS_ORIGINS=http://dash.example", NULL};
    api_stop_clean(api);
    api = api_start(cenv);
    assert_int_equal(http_request(api, &req, &r), 0);
    expect_status(&r, 200);
    char *acao = http_header(&r, "Access-Control-Allow-Origin");
    assert_non_null(acao);
    assert_string_equal(acao, "http://dash.example");
    free(acao);
    http_resp_free(&r);
    user_free(&u);
    api_stop_clean(api);
}

int main(void)
{
    harness_require_env();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_create_defaults_and_get, harness_test_teardown),
        cmocka_unit_test_teardown(test_create_every_field, harness_test_teardown),
        cmocka_unit_test_teardown(test_create_validation, harness_test_teardown),
        cmocka_unit_test_teardown(test_min_interval_setting, harness_test_teardown),
        cmocka_unit_test_teardown(test_hostile_urls, harness_test_teardown),
        cmocka_unit_test_teardown(test_private_name_via_hosts_file, harness_test_teardown),
        cmocka_unit_test_teardown(test_list_pagination, harness_test_teardown),
        cmocka_unit_test_teardown(test_list_filters, harness_test_teardown),
        cmocka_unit_test_teardown(test_put_and_patch, harness_test_teardown),
        cmocka_unit_test_teardown(test_concurrent_patches, harness_test_teardown),
        cmocka_unit_test_teardown(test_schedule_lifecycle, harness_test_teardown),
        cmocka_unit_test_teardown(test_delete, harness_test_teardown),
        cmocka_unit_test_teardown(test_other_users_monitor_404, harness_test_teardown),
        cmocka_unit_test_teardown(test_redis_down, harness_test_teardown),
        cmocka_unit_test_teardown(test_redis_cut_and_back, harness_test_teardown),
        cmocka_unit_test_teardown(test_database_outage, harness_test_teardown),
        cmocka_unit_test_teardown(test_dashboard_calls, harness_test_teardown),
    };
    int failures = cmocka_run_group_tests(tests, harness_group_setup, harness_group_teardown);
    if (g_redis)
        redisFree(g_redis);
    return harness_finish(failures);
}
