/* Integration tests of the notification channel routes: list, read, create (console and
 * webhook, with the SSRF guard), change, delete and the test alert on the Redis stream,
 * the original dashboard's calls, validation, and that another user's channel does not
 * exist for anyone else. Each test starts its own statushawk-api and stops it with
 * SIGTERM expecting exit status 0. */
#include "harness.h"

#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHANNELS "/api/v1/notifications/channels"
#define PASSWORD "Correct-horse-9"
#define NOT_FOUND "Not found."
/* A public address given as a literal, so no DNS is needed to pass the SSRF guard. */
#define PUBLIC_URL "https://93.184.215.14/hooks/T000/B000/secret-path?token=abc"

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

static void user_free(struct user *u)
{
    free(u->token);
    u->token = NULL;
}

static char *path_of(long long id, const char *suffix)
{
    char *p = NULL;
    if (asprintf(&p, CHANNELS "/%lld%s", id, suffix) < 0)
        fail_msg("out of memory");
    return p;
}

/* POSTs body to the channels route and asserts 201; returns the new channel's id. */
static long long create_ok(const struct api *api, const char *token, const char *body)
{
    struct http_resp r;
    long long id;

    http_send(api, "POST", CHANNELS "/", token, body, NULL, &r);
    expect_status(&r, 201);
    expect_json_object(&r);
    if (!json_is_integer(resp_get(&r, "id")))
        fail_msg("no id in %s", r.body);
    id = (long long)json_integer_value(resp_get(&r, "id"));
    http_resp_free(&r);
    return id;
}

static long long channels_of(long long user_id)
{
    char uid[24];
    snprintf(uid, sizeof(uid), "%lld", user_id);
    return db_scalar_int("SELECT count(*) FROM notification_channels WHERE user_id = $1", uid,
                         NULL);
}

/* A 400 whose body is a JSON object holding messages at path ("name", "config.url"). */
static void expect_field_error(const struct http_resp *r, const char *path)
{
    expect_status(r, 400);
    expect_json_object(r);
    expect_json_msgs(r, path);
}

/* ---- the original dashboard's calls ------------------------------------------------ */

/* First in the file, so this database's channel ids start at 1 and the third is 3. */
static void test_dashboard_calls(void **state)
{
    struct api *api = api_start(NULL);
    struct user u = new_user(api, "dash");
    struct http_resp r;

    http_get(api, "/api/v1/notifications/channels/", u.token, &r);
    expect_status(&r, 200);
    if (!json_is_array(r.json) || json_array_size(r.json) != 0)
        fail_msg("expected [], got %s", r.body);
    http_resp_free(&r);

    assert_int_equal(create_ok(api, u.token, "{\"provider\":\"console\",\"name\":\"one\"}"), 1);
    assert_int_equal(create_ok(api, u.token, "{\"provider\":\"console\",\"name\":\"two\"}"), 2);
    assert_int_equal(create_ok(api, u.token, "{\"provider\":\"console\",\"name\":\"three\"}"), 3);

    http_get(api, "/api/v1/notifications/channels/", u.token, &r);
    expect_status(&r, 200);
    if (!json_is_array(r.json) || json_array_size(r.json) != 3)
        fail_msg("expected three channels, got %s", r.body);
    /* The original's shape, oldest first. */
    assert_int_equal(json_integer_value(resp_get(&r, "0.id")), 1);
    expect_json_str(&r, "0.provider", "console");
    expect_json_str(&r, "0.name", "one");
    expect_timestamp(&r, "0.created_at");
    expect_json_str(&r, "2.name", "three");
    http_resp_free(&r);

    http_send(api, "DELETE", "/api/v1/notifications/channels/3/", u.token, NULL, NULL, &r);
    expect_status(&r, 204);
    assert_int_equal(r.body_len, 0);
    http_resp_free(&r);
    assert_int_equal(channels_of(u.id), 2);

    user_free(&u);
    api_stop_clean(api);
}

/* ---- create and read ---------------------------------------------------------------- */

static void test_create_console_and_read(void **state)
{
    struct api *api = api_start(NULL);
    struct user u = new_user(api, "console");
    struct http_resp r;
    char *path, *path_slash, uid[24];
    long long id;

    http_send(api, "POST", CHANNELS, u.token,
              "{\"provider\":\"console\",\"name\":\"Ops console\",\"config\":"
              "{\"template\":\"{{monitor}} is {{ status }}\"}}",
              NULL, &r);
    expect_status(&r, 201);
    expect_json_str(&r, "provider", "console");
    expect_json_str(&r, "name", "Ops console");
    expect_timestamp(&r, "created_at");
    assert_true(json_is_true(resp_get(&r, "is_active")));
    expect_json_str(&r, "config.template", "{{monitor}} is {{ status }}");
    id = (long long)json_integer_value(resp_get(&r, "id"));
    http_resp_free(&r);

    snprintf(uid, sizeof(uid), "%lld", u.id);
    {
        char *cfg = db_scalar("SELECT config::text FROM notification_channels WHERE user_id = $1",
                              uid, NULL);
        assert_string_equal(cfg, "{\"template\": \"{{monitor}} is {{ status }}\"}");
        free(cfg);
    }

    path = path_of(id, "");
    path_slash = path_of(id, "/");
    http_get(api, path, u.token, &r);
    expect_status(&r, 200);
    assert_int_equal(json_integer_value(resp_get(&r, "id")), id);
    expect_json_str(&r, "name", "Ops console");
    http_resp_free(&r);
    http_get(api, path_slash, u.token, &r);
    expect_status(&r, 200);
    expect_json_str(&r, "provider", "console");
    http_resp_free(&r);

    /* Inactive on create, and no config at all. */
    http_send(api, "POST", CHANNELS, u.token,
              "{\"provider\":\"console\",\"name\":\"quiet\",\"is_active\":false,\"config\":null}",
              NULL, &r);
    expect_status(&r, 201);
    assert_true(json_is_false(resp_get(&r, "is_active")));
    assert_true(json_is_null(resp_get(&r, "config.template")));
    http_resp_free(&r);
    assert_int_equal(channels_of(u.id), 2);

    free(path);
    free(path_slash);
    user_free(&u);
    api_stop_clean(api);
}

static void test_create_webhook_hides_secrets(void **state)
{
    struct api *api = api_start(NULL);
    struct user u = new_user(api, "hook");
    struct http_resp r;
    char *body, *path, *stored, uid[24];
    long long id;

    body = json_body("{s:s, s:s, s:{s:s, s:s}}", "provider", "webhook", "name", "Slack", "config",
                     "url", PUBLIC_URL, "secret", "s3cr3t-signing-key");
    http_send(api, "POST", CHANNELS "/", u.token, body, NULL, &r);
    expect_status(&r, 201);
    expect_json_str(&r, "provider", "webhook");
    /* Where it goes, but not the path and query that carry its credentials. */
    expect_json_str(&r, "config.url", "https://93.184.215.14/\xe2\x80\xa6");
    assert_true(json_is_true(resp_get(&r, "config.secret_set")));
    expect_json_absent(&r, "config.secret");
    assert_null(strstr(r.body, "s3cr3t"));
    assert_null(strstr(r.body, "secret-path"));
    id = (long long)json_integer_value(resp_get(&r, "id"));
    http_resp_free(&r);

    path = path_of(id, "/");
    http_get(api, path, u.token, &r);
    expect_status(&r, 200);
    assert_null(strstr(r.body, "s3cr3t"));
    assert_null(strstr(r.body, "secret-path"));
    http_resp_free(&r);
    http_get(api, CHANNELS, u.token, &r);
    expect_status(&r, 200);
    assert_null(strstr(r.body, "s3cr3t"));
    http_resp_free(&r);

    /* Stored in full for the notifier. */
    snprintf(uid, sizeof(uid), "%lld", u.id);
    stored = db_scalar("SELECT config->>'secret' FROM notification_channels WHERE user_id = $1",
                       uid, NULL);
    assert_string_equal(stored, "s3cr3t-signing-key");
    free(stored);
    stored =
        db_scalar("SELECT config->>'url' FROM notification_channels WHERE user_id = $1", uid, NULL);
    assert_string_equal(stored, PUBLIC_URL);
    free(stored);

    /* Without a secret, and an origin with a port and nothing after it. */
    http_send(api, "POST", CHANNELS, u.token,
              "{\"provider\":\"webhook\",\"name\":\"plain\",\"config\":"
              "{\"url\":\"http://93.184.215.14:8080/\"}}",
              NULL, &r);
    expect_status(&r, 201);
    expect_json_str(&r, "config.url", "http://93.184.215.14:8080/");
    assert_true(json_is_false(resp_get(&r, "config.secret_set")));
    http_resp_free(&r);

    free(body);
    free(path);
    user_free(&u);
    api_stop_clean(api);
}

static void test_webhook_ssrf_guard(void **state)
{
    static const char *const blocked[] = {
        "http://127.0.0.1:8080/x", "http://localhost/hook",      "http://[::1]/hook",
        "http://169.254.169.254/", "http://10.1.2.3/",           "https://192.168.0.10/",
        "http://0x7f000001/",      "http://[::ffff:127.0.0.1]/",
    };
    struct api *api = api_start(NULL);
    struct user u = new_user(api, "ssrf");
    struct http_resp r;

    for (size_t i = 0; i < sizeof(blocked) / sizeof(blocked[0]); i++) {
        char *body = json_body("{s:s, s:s, s:{s:s}}", "provider", "webhook", "name", "x", "config",
                               "url", blocked[i]);
        http_send(api, "POST", CHANNELS, u.token, body, NULL, &r);
        if (r.status != 400)
            fail_msg("%s: expected 400, got %ld: %s", blocked[i], r.status, r.body);
        expect_field_error(&r, "config.url");
        http_resp_free(&r);
        free(body);
    }
    assert_int_equal(channels_of(u.id), 0);
    user_free(&u);
    api_stop_clean(api);

    /* The operator may allow private targets (an intranet webhook). */
    {
        const char *env[] = {"STATUSHAWK_ALLOW_PRIVATE_TARGETS=true", NULL};
        api = api_start(env);
        u = new_user(api, "ssrf-ok");
        create_ok(api, u.token,
                  "{\"provider\":\"webhook\",\"name\":\"lan\",\"config\":"
                  "{\"url\":\"http://127.0.0.1:9/hook\"}}");
        assert_int_equal(channels_of(u.id), 1);
        user_free(&u);
        api_stop_clean(api);
    }
}

static void test_create_validation(void **state)
{
    static const struct {
        const char *body, *field;
    } cases[] = {
        {"{}", "provider"},
        {"{\"provider\":\"console\"}", "name"},
        {"{\"name\":\"x\"}", "provider"},
        {"{\"provider\":\"telegram\",\"name\":\"x\",\"config\":{\"chat_id\":\"1\"}}", "provider"},
        {"{\"provider\":\"sms\",\"name\":\"x\"}", "provider"},
        {"{\"provider\":5,\"name\":\"x\"}", "provider"},
        {"{\"provider\":null,\"name\":\"x\"}", "provider"},
        {"{\"provider\":\"console\",\"name\":\"\"}", "name"},
        {"{\"provider\":\"console\",\"name\":[\"x\"]}", "name"},
        {"{\"provider\":\"console\",\"name\":\"x\",\"is_active\":\"yes\"}", "is_active"},
        {"{\"provider\":\"console\",\"name\":\"x\",\"config\":\"url\"}", "config"},
        {"{\"provider\":\"console\",\"name\":\"x\",\"config\":[]}", "config"},
        {"{\"provider\":\"console\",\"name\":\"x\",\"config\":{\"url\":\"http://a\"}}",
         "config.url"},
        {"{\"provider\":\"console\",\"name\":\"x\",\"config\":{\"template\":\"{{foo}}\"}}",
         "config.template"},
        {"{\"provider\":\"console\",\"name\":\"x\",\"config\":{\"template\":\"\"}}",
         "config.template"},
        {"{\"provider\":\"console\",\"name\":\"x\",\"config\":{\"template\":7}}",
         "config.template"},
        {"{\"provider\":\"webhook\",\"name\":\"x\"}", "config.url"},
        {"{\"provider\":\"webhook\",\"name\":\"x\",\"config\":{}}", "config.url"},
        {"{\"provider\":\"webhook\",\"name\":\"x\",\"config\":{\"url\":\"\"}}", "config.url"},
        {"{\"provider\":\"webhook\",\"name\":\"x\",\"config\":{\"url\":\"ftp://93.184.215.14/\"}}",
         "config.url"},
        {"{\"provider\":\"webhook\",\"name\":\"x\",\"config\":{\"url\":\"not a url\"}}",
         "config.url"},
        {"{\"provider\":\"webhook\",\"name\":\"x\",\"config\":{\"url\":\"93.184.215.14/x\"}}",
         "config.url"},
        {"{\"provider\":\"webhook\",\"name\":\"x\",\"config\":{\"url\":\"http:///path\"}}",
         "config.url"},
        {"{\"provider\":\"webhook\",\"name\":\"x\",\"config\":{\"url\":\"javascript:alert(1)\"}}",
         "config.url"},
        {"{\"provider\":\"webhook\",\"name\":\"x\",\"config\":{\"url\":1}}", "config.url"},
        {"{\"provider\":\"webhook\",\"name\":\"x\",\"config\":"
         "{\"url\":\"https://93.184.215.14/\",\"secret\":5}}",
         "config.secret"},
        {"{\"provider\":\"webhook\",\"name\":\"x\",\"config\":"
         "{\"url\":\"https://93.184.215.14/\",\"headers\":{}}}",
         "config.headers"},
    };
    struct api *api = api_start(NULL);
    struct user u = new_user(api, "valid");
    struct http_resp r;
    char *big, *body;

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        http_send(api, "POST", CHANNELS, u.token, cases[i].body, NULL, &r);
        if (r.status != 400 || !resp_get(&r, cases[i].field))
            fail_msg("%s: expected 400 naming %s, got %ld: %s", cases[i].body, cases[i].field,
                     r.status, r.body);
        expect_field_error(&r, cases[i].field);
        http_resp_free(&r);
    }

    /* The message for a Telegram channel says where they come from. */
    http_send(api, "POST", CHANNELS, u.token, "{\"provider\":\"telegram\",\"name\":\"x\"}", NULL,
              &r);
    expect_field_error(&r, "provider");
    assert_non_null(strstr(r.body, "telegram-link"));
    http_resp_free(&r);

    /* Unknown placeholders are named in the message. */
    http_send(api, "POST", CHANNELS, u.token,
              "{\"provider\":\"console\",\"name\":\"x\",\"config\":"
              "{\"template\":\"{{monitor}} {{nope}} {{ bogus }}\"}}",
              NULL, &r);
    expect_field_error(&r, "config.template");
    assert_non_null(strstr(r.body, "Unknown placeholders: {{nope}}, {{bogus}}."));
    http_resp_free(&r);

    /* Limits: name 255, url 2048, template 2048 characters. */
    big = malloc(3000);
    memset(big, 'n', 256);
    big[256] = '\0';
    body = json_body("{s:s, s:s}", "provider", "console", "name", big);
    http_send(api, "POST", CHANNELS, u.token, body, NULL, &r);
    expect_field_error(&r, "name");
    http_resp_free(&r);
    free(body);
    big[255] = '\0';
    body = json_body("{s:s, s:s}", "provider", "console", "name", big);
    free(big);
    create_ok(api, u.token, body);
    free(body);

    big = malloc(3000);
    strcpy(big, "https://93.184.215.14/");
    memset(big + strlen(big), 'p', 2049 - strlen(big));
    big[2049] = '\0';
    body =
        json_body("{s:s, s:s, s:{s:s}}", "provider", "webhook", "name", "x", "config", "url", big);
    http_send(api, "POST", CHANNELS, u.token, body, NULL, &r);
    expect_field_error(&r, "config.url");
    http_resp_free(&r);
    free(body);
    memset(big, 't', 2049);
    big[2049] = '\0';
    body = json_body("{s:s, s:s, s:{s:s}}", "provider", "console", "name", "x", "config",
                     "template", big);
    http_send(api, "POST", CHANNELS, u.token, body, NULL, &r);
    expect_field_error(&r, "config.template");
    http_resp_free(&r);
    free(body);
    free(big);

    /* Whole-request errors. */
    http_send(api, "POST", CHANNELS, u.token, "{\"provider\":", NULL, &r);
    expect_detail(&r, 400, NULL);
    http_resp_free(&r);
    http_send(api, "POST", CHANNELS, u.token, "[1,2]", NULL, &r);
    expect_detail(&r, 400, NULL);
    http_resp_free(&r);
    http_send(api, "POST", CHANNELS, u.token, "", NULL, &r);
    expect_status(&r, 400);
    http_resp_free(&r);

    assert_int_equal(channels_of(u.id), 1);
    user_free(&u);
    api_stop_clean(api);
}

/* ---- update --------------------------------------------------------------------------- */

static void test_patch(void **state)
{
    struct api *api = api_start(NULL);
    struct user u = new_user(api, "patch");
    struct http_resp r;
    char *path, *big, *body;
    long long id = create_ok(api, u.token,
                             "{\"provider\":\"webhook\",\"name\":\"hook\",\"config\":"
                             "{\"url\":\"https://93.184.215.14/x\",\"secret\":\"k\"}}");

    path = path_of(id, "/");
    http_send(api, "PATCH", path, u.token,
              "{\"name\":\"renamed\",\"is_active\":false,\"config\":"
              "{\"template\":\"\xf0\x9f\x94\xb4 {{monitor}} {{kind}} {{days_left}}\"}}",
              NULL, &r);
    expect_status(&r, 200);
    expect_json_str(&r, "name", "renamed");
    assert_true(json_is_false(resp_get(&r, "is_active")));
    expect_json_str(&r, "config.template", "\xf0\x9f\x94\xb4 {{monitor}} {{kind}} {{days_left}}");
    assert_true(json_is_true(resp_get(&r, "config.secret_set")));
    http_resp_free(&r);
    /* The rest of the configuration is kept. */
    {
        char cid[24];
        snprintf(cid, sizeof(cid), "%lld", id);
        char *secret = db_scalar(
            "SELECT (config->>'secret') || ' ' || (config->>'url') FROM notification_channels"
            " WHERE id = $1",
            cid, NULL);
        assert_string_equal(secret, "k https://93.184.215.14/x");
        free(secret);
    }

    /* Only what is given changes; null resets the template to the default. */
    http_send(api, "PATCH", path, u.token, "{\"is_active\":true}", NULL, &r);
    expect_status(&r, 200);
    assert_true(json_is_true(resp_get(&r, "is_active")));
    expect_json_str(&r, "name", "renamed");
    expect_json_str(&r, "config.template", "\xf0\x9f\x94\xb4 {{monitor}} {{kind}} {{days_left}}");
    http_resp_free(&r);
    http_send(api, "PATCH", path, u.token, "{\"config\":{\"template\":null}}", NULL, &r);
    expect_status(&r, 200);
    assert_true(json_is_null(resp_get(&r, "config.template")));
    http_resp_free(&r);
    http_send(api, "PATCH", path, u.token, "{}", NULL, &r);
    expect_status(&r, 200);
    expect_json_str(&r, "name", "renamed");
    http_resp_free(&r);

    /* Errors change nothing. */
    {
        static const struct {
            const char *body, *field;
        } bad[] = {
            {"{\"name\":\"\"}", "name"},
            {"{\"name\":null}", "name"},
            {"{\"name\":3}", "name"},
            {"{\"is_active\":1}", "is_active"},
            {"{\"is_active\":null}", "is_active"},
            {"{\"config\":\"x\"}", "config"},
            {"{\"config\":{\"template\":\"{{monitor}} {{foo}}\"}}", "config.template"},
            {"{\"config\":{\"template\":\"\"}}", "config.template"},
            {"{\"config\":{\"template\":[]}}", "config.template"},
            {"{\"config\":{\"url\":\"https://93.184.215.14/y\"}}", "config.url"},
            {"{\"config\":{\"secret\":\"other\"}}", "config.secret"},
            {"{\"name\":\"ok\",\"config\":{\"template\":\"{{zz}}\"}}", "config.template"},
        };
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
            http_send(api, "PATCH", path, u.token, bad[i].body, NULL, &r);
            if (r.status != 400 || !resp_get(&r, bad[i].field))
                fail_msg("%s: expected 400 naming %s, got %ld: %s", bad[i].body, bad[i].field,
                         r.status, r.body);
            http_resp_free(&r);
        }
    }
    http_send(api, "PATCH", path, u.token, "{\"config\":{\"template\":\"{{foo}} {{bar}}\"}}", NULL,
              &r);
    expect_field_error(&r, "config.template");
    assert_non_null(strstr(r.body, "{{foo}}, {{bar}}"));
    http_resp_free(&r);
    big = malloc(2100);
    memset(big, 'x', 2049);
    big[2049] = '\0';
    body = json_body("{s:{s:s}}", "config", "template", big);
    http_send(api, "PATCH", path, u.token, body, NULL, &r);
    expect_field_error(&r, "config.template");
    http_resp_free(&r);
    free(body);
    big[2048] = '\0';
    body = json_body("{s:{s:s}}", "config", "template", big);
    http_send(api, "PATCH", path, u.token, body, NULL, &r);
    expect_status(&r, 200);
    http_resp_free(&r);
    free(body);
    free(big);
    http_send(api, "PATCH", path, u.token, "{\"name\":", NULL, &r);
    expect_detail(&r, 400, NULL);
    http_resp_free(&r);

    http_get(api, path, u.token, &r);
    expect_status(&r, 200);
    expect_json_str(&r, "name", "renamed");
    assert_true(json_is_true(resp_get(&r, "is_active")));
    http_resp_free(&r);

    free(path);
    user_free(&u);
    api_stop_clean(api);
}

/* A template per alert kind: an object of strings (null: that kind's default), each
 * checked like a single template; what is left is stored and shown as sent. */
static void test_template_per_kind(void **state)
{
    struct api *api = api_start(NULL);
    struct user u = new_user(api, "perkind");
    struct http_resp r;
    char *path, cid[24];
    long long id = create_ok(api, u.token,
                             "{\"provider\":\"console\",\"name\":\"c\",\"config\":"
                             "{\"template\":{\"down\":\"D {{monitor}} {{since}}\",\"up\":null}}}");

    snprintf(cid, sizeof(cid), "%lld", id);
    path = path_of(id, "/");
    http_get(api, path, u.token, &r);
    expect_status(&r, 200);
    expect_json_str(&r, "config.template.down", "D {{monitor}} {{since}}");
    assert_null(resp_get(&r, "config.template.up")); /* null: the default, not stored */
    http_resp_free(&r);

    http_send(api, "PATCH", path, u.token,
              "{\"config\":{\"template\":{\"up\":\"U {{duration}}\","
              "\"cert_expiry\":\"C {{expires}} {{days_left}}\"}}}",
              NULL, &r);
    expect_status(&r, 200);
    expect_json_str(&r, "config.template.up", "U {{duration}}");
    expect_json_str(&r, "config.template.cert_expiry", "C {{expires}} {{days_left}}");
    assert_null(resp_get(&r, "config.template.down")); /* the object replaces the old one */
    http_resp_free(&r);
    {
        char *stored = db_scalar("SELECT config->'template' #>> '{}' FROM notification_channels"
                                 " WHERE id = $1 AND jsonb_typeof(config->'template') = 'object'",
                                 cid, NULL);
        assert_non_null(stored);
        free(stored);
    }

    /* Every kind's errors, named by kind; nothing changes. */
    static const struct {
        const char *body, *needle;
    } bad[] = {
        {"{\"config\":{\"template\":{\"down\":\"{{foo}}\"}}}", "down: Unknown placeholder"},
        {"{\"config\":{\"template\":{\"up\":\"\"}}}", "up: This field may not be blank."},
        {"{\"config\":{\"template\":{\"test\":5}}}", "test: Not a valid string."},
        {"{\"config\":{\"template\":{\"outage\":\"x\"}}}", "Unknown alert kind \\\"outage\\\""},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        http_send(api, "PATCH", path, u.token, bad[i].body, NULL, &r);
        if (r.status != 400 || !resp_get(&r, "config.template") || !strstr(r.body, bad[i].needle))
            fail_msg("%s: expected 400 with \"%s\", got %ld: %s", bad[i].body, bad[i].needle,
                     r.status, r.body);
        http_resp_free(&r);
    }
    http_get(api, path, u.token, &r);
    expect_json_str(&r, "config.template.up", "U {{duration}}");
    http_resp_free(&r);

    /* An object naming no template is the default for every kind; a string again applies to
     * every kind. */
    http_send(api, "PATCH", path, u.token, "{\"config\":{\"template\":{\"down\":null}}}", NULL, &r);
    expect_status(&r, 200);
    assert_true(json_is_null(resp_get(&r, "config.template")));
    http_resp_free(&r);
    http_send(api, "PATCH", path, u.token, "{\"config\":{\"template\":\"all {{kind}}\"}}", NULL,
              &r);
    expect_status(&r, 200);
    expect_json_str(&r, "config.template", "all {{kind}}");
    http_resp_free(&r);

    free(path);
    user_free(&u);
    api_stop_clean(api);
}

/* ---- ownership ------------------------------------------------------------------------ */

static void expect_not_found_everywhere(const struct api *api, const char *token, long long id)
{
    static const struct {
        const char *method, *suffix, *body;
    } verbs[] = {
        {"GET", "/", NULL},      {"PATCH", "/", "{\"name\":\"stolen\"}"},
        {"DELETE", "/", NULL},   {"POST", "/test/", "{}"},
        {"GET", "", NULL},       {"DELETE", "", NULL},
        {"POST", "/test", NULL},
    };
    for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++) {
        struct http_resp r;
        char *path = path_of(id, verbs[i].suffix);
        http_send(api, verbs[i].method, path, token, verbs[i].body, NULL, &r);
        if (r.status != 404)
            fail_msg("%s %s: expected 404, got %ld: %s", verbs[i].method, path, r.status, r.body);
        expect_detail(&r, 404, NOT_FOUND);
        http_resp_free(&r);
        free(path);
    }
}

static void test_other_users_channel_is_not_found(void **state)
{
    struct api *api = api_start(NULL);
    struct user a = new_user(api, "owner"), b = new_user(api, "other");
    struct http_resp r;
    long long id = create_ok(api, a.token, "{\"provider\":\"console\",\"name\":\"mine\"}");
    char *path;

    expect_not_found_everywhere(api, b.token, id);
    expect_not_found_everywhere(api, a.token, id + 100000);
    expect_not_found_everywhere(api, b.token, 9223372036854775807LL);

    /* b's list does not show it, a's channel is untouched. */
    http_get(api, CHANNELS, b.token, &r);
    expect_status(&r, 200);
    assert_int_equal(json_array_size(r.json), 0);
    http_resp_free(&r);
    path = path_of(id, "");
    http_get(api, path, a.token, &r);
    expect_status(&r, 200);
    expect_json_str(&r, "name", "mine");
    http_resp_free(&r);
    free(path);

    /* Ids that are not positive integers are not routes. */
    http_get(api, CHANNELS "/abc/", a.token, &r);
    expect_detail(&r, 404, NOT_FOUND);
    http_resp_free(&r);
    http_get(api, CHANNELS "/0/", a.token, &r);
    expect_status(&r, 404);
    http_resp_free(&r);

    user_free(&a);
    user_free(&b);
    api_stop_clean(api);
}

static void test_auth_and_methods(void **state)
{
    static const struct {
        const char *method, *path;
    } routes[] = {
        {"GET", CHANNELS "/"},
        {"POST", CHANNELS "/"},
        {"GET", CHANNELS "/1/"},
        {"PATCH", CHANNELS "/1/"},
        {"DELETE", CHANNELS "/1/"},
        {"POST", CHANNELS "/1/test/"},
        {"GET", "/api/v1/notifications/telegram-link/"},
    };
    struct api *api = api_start(NULL);
    struct http_resp r;

    for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
        http_send(api, routes[i].method, routes[i].path, NULL, NULL, NULL, &r);
        expect_detail(&r, 401, "Authentication credentials were not provided.");
        http_resp_free(&r);
        http_send(api, routes[i].method, routes[i].path, "0123456789abcdef0123456789abcdef01234567",
                  NULL, NULL, &r);
        expect_detail(&r, 401, "Invalid token.");
        http_resp_free(&r);
    }
    http_send(api, "PUT", CHANNELS "/1/", NULL, "{}", NULL, &r);
    expect_status(&r, 405);
    http_resp_free(&r);
    http_send(api, "DELETE", CHANNELS "/", NULL, NULL, NULL, &r);
    expect_status(&r, 405);
    http_resp_free(&r);
    http_send(api, "GET", CHANNELS "/1/test/", NULL, NULL, NULL, &r);
    expect_status(&r, 405);
    http_resp_free(&r);
    api_stop_clean(api);
}

/* ---- delete --------------------------------------------------------------------------- */

static void test_delete(void **state)
{
    struct api *api = api_start(NULL);
    struct user u = new_user(api, "delete");
    struct http_resp r;
    long long keep = create_ok(api, u.token, "{\"provider\":\"console\",\"name\":\"keep\"}");
    long long gone = create_ok(api, u.token, "{\"provider\":\"console\",\"name\":\"gone\"}");
    char *path = path_of(gone, "");

    http_send(api, "DELETE", path, u.token, NULL, NULL, &r);
    expect_status(&r, 204);
    http_resp_free(&r);
    http_get(api, path, u.token, &r);
    expect_detail(&r, 404, NOT_FOUND);
    http_resp_free(&r);
    http_send(api, "DELETE", path, u.token, NULL, NULL, &r);
    expect_detail(&r, 404, NOT_FOUND);
    http_resp_free(&r);

    http_get(api, CHANNELS, u.token, &r);
    expect_status(&r, 200);
    assert_int_equal(json_array_size(r.json), 1);
    assert_int_equal(json_integer_value(resp_get(&r, "0.id")), keep);
    http_resp_free(&r);
    free(path);
    user_free(&u);
    api_stop_clean(api);
}

/* ---- the test alert ------------------------------------------------------------------- */

static redisContext *redis_connect(void)
{
    char host[128];
    int port = 6379, db = 0;
    redisContext *c;
    redisReply *rep;

    if (sscanf(harness_redis_url(), "redis://%127[^:/]:%d/%d", host, &port, &db) < 2)
        fail_msg("cannot parse TEST_REDIS_URL %s", harness_redis_url());
    c = redisConnect(host, port);
    if (!c || c->err)
        fail_msg("cannot connect to Redis at %s:%d", host, port);
    rep = redisCommand(c, "SELECT %d", db);
    freeReplyObject(rep);
    return c;
}

/* The fields of the entry on <prefix>alerts whose alert_id is id, as an object. */
static json_t *alert_entry(const char *alert_id)
{
    redisContext *c = redis_connect();
    char stream[128];
    json_t *found = NULL;
    redisReply *rep;

    snprintf(stream, sizeof(stream), "%salerts", harness_redis_prefix());
    rep = redisCommand(c, "XRANGE %s - +", stream);
    if (!rep || rep->type != REDIS_REPLY_ARRAY)
        fail_msg("XRANGE %s failed", stream);
    for (size_t i = 0; i < rep->elements && !found; i++) {
        redisReply *fields = rep->element[i]->element[1];
        json_t *obj = json_object();
        for (size_t k = 0; k + 1 < fields->elements; k += 2)
            json_object_set_new(obj, fields->element[k]->str,
                                json_string(fields->element[k + 1]->str));
        if (json_is_string(json_object_get(obj, "alert_id")) &&
            strcmp(json_string_value(json_object_get(obj, "alert_id")), alert_id) == 0)
            found = obj;
        else
            json_decref(obj);
    }
    freeReplyObject(rep);
    redisFree(c);
    return found;
}

static const char *field(const json_t *entry, const char *name)
{
    const char *v = json_string_value(json_object_get(entry, name));
    if (!v)
        fail_msg("the alert has no field %s", name);
    return v;
}

static void test_test_alert_on_stream(void **state)
{
    struct api *api = api_start(NULL);
    struct user u = new_user(api, "testalert");
    struct http_resp r;
    long long id = create_ok(api, u.token, "{\"provider\":\"console\",\"name\":\"c\"}");
    char *path = path_of(id, "/test/"), want[24];
    const char *alert_id;
    json_t *entry, *details;

    http_send(api, "POST", path, u.token, "{}", NULL, &r);
    expect_status(&r, 202);
    expect_json_str(&r, "status", "queued");
    alert_id = expect_json_string(&r, "alert_id");
    assert_int_equal(strlen(alert_id), 32);

    entry = alert_entry(alert_id);
    if (!entry)
        fail_msg("alert %s is not on %salerts", alert_id, harness_redis_prefix());
    assert_string_equal(field(entry, "kind"), "test");
    snprintf(want, sizeof(want), "%lld", u.id);
    assert_string_equal(field(entry, "user_id"), want);
    snprintf(want, sizeof(want), "%lld", id);
    assert_string_equal(field(entry, "channel_id"), want);
    assert_string_equal(field(entry, "monitor_id"), "0");
    assert_string_equal(field(entry, "monitor_name"), "");
    assert_string_equal(field(entry, "url"), "");
    assert_true(iso_ms_utc_recent(field(entry, "time")));
    details = json_loads(field(entry, "details"), 0, NULL);
    assert_true(json_is_object(details));
    json_decref(details);
    json_decref(entry);
    http_resp_free(&r);

    /* An inactive channel can still be tried out; without a body too. */
    free(path);
    path = path_of(id, "/");
    http_send(api, "PATCH", path, u.token, "{\"is_active\":false}", NULL, &r);
    expect_status(&r, 200);
    http_resp_free(&r);
    free(path);
    path = path_of(id, "/test");
    http_send(api, "POST", path, u.token, NULL, NULL, &r);
    expect_status(&r, 202);
    http_resp_free(&r);

    free(path);
    user_free(&u);
    api_stop_clean(api);
}

static void test_test_alert_redis_down(void **state)
{
    char renv[96];
    const char *env[] = {renv, NULL};
    struct api *api;
    struct user u;
    struct http_resp r;
    long long id;
    char *path;

    snprintf(renv, sizeof(renv), "REDIS_URL=redis://127.0.0.1:%d/0", harness_free_port());
    api = api_start(env);
    u = new_user(api, "noredis");
    id = create_ok(api, u.token, "{\"provider\":\"console\",\"name\":\"c\"}");
    path = path_of(id, "/test/");
    http_send(api, "POST", path, u.token, "{}", NULL, &r);
    expect_detail(&r, 503, NULL);
    assert_non_null(strstr(r.body, "redis"));
    http_resp_free(&r);
    /* The rest still works. */
    http_get(api, CHANNELS, u.token, &r);
    expect_status(&r, 200);
    http_resp_free(&r);
    free(path);
    user_free(&u);
    api_stop_clean(api);
}

int main(void)
{
    harness_require_env();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_dashboard_calls, harness_test_teardown),
        cmocka_unit_test_teardown(test_create_console_and_read, harness_test_teardown),
        cmocka_unit_test_teardown(test_create_webhook_hides_secrets, harness_test_teardown),
        cmocka_unit_test_teardown(test_webhook_ssrf_guard, harness_test_teardown),
        cmocka_unit_test_teardown(test_create_validation, harness_test_teardown),
        cmocka_unit_test_teardown(test_patch, harness_test_teardown),
        cmocka_unit_test_teardown(test_template_per_kind, harness_test_teardown),
        cmocka_unit_test_teardown(test_other_users_channel_is_not_found, harness_test_teardown),
        cmocka_unit_test_teardown(test_auth_and_methods, harness_test_teardown),
        cmocka_unit_test_teardown(test_delete, harness_test_teardown),
        cmocka_unit_test_teardown(test_test_alert_on_stream, harness_test_teardown),
        cmocka_unit_test_teardown(test_test_alert_redis_down, harness_test_teardown),
    };
    return harness_finish(
        cmocka_run_group_tests(tests, harness_group_setup, harness_group_teardown));
}
