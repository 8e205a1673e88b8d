/* Integration tests of the accounts routes: signup, login, logout, me, token
 * authentication, the throttles, and how tokens and passwords are stored. Each test starts
 * its own statushawk-api and stops it with SIGTERM expecting exit status 0. */
#include "harness.h"

#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SIGNUP "/api/v1/accounts/signup"
#define LOGIN "/api/v1/accounts/login"
#define LOGOUT "/api/v1/accounts/logout"
#define ME "/api/v1/accounts/me"
#define PASSWORD "Correct-horse-9"
#define DUPLICATE_EMAIL_MSG "user with this email already exists."
#define BAD_CREDENTIALS_MSG "Unable to log in with provided credentials."
#define NO_CREDENTIALS_MSG "Authentication credentials were not provided."
#define INVALID_TOKEN_MSG "Invalid token."

/* A signup body with every field (first and last name fixed). New string. */
static char *signup_body(const char *email, const char *password)
{
    return json_body("{s:s, s:s, s:s, s:s}", "email", email, "password", password, "first_name",
                     "Test", "last_name", "User");
}

/* 400 {"status":"error","timestamp":...,"data":{"<field>":["..."]}} */
static void expect_signup_field_error(const struct http_resp *r, const char *field)
{
    char path[64];
    expect_status(r, 400);
    expect_json_object(r);
    expect_json_str(r, "status", "error");
    expect_timestamp(r, "timestamp");
    snprintf(path, sizeof(path), "data.%s", field);
    expect_json_msgs(r, path);
}

/* 400 {"status":"error",...,"error":{"<field>":["..."]}} */
static void expect_login_field_error(const struct http_resp *r, const char *field)
{
    char path[64];
    expect_status(r, 400);
    expect_json_object(r);
    expect_json_str(r, "status", "error");
    snprintf(path, sizeof(path), "error.%s", field);
    expect_json_msgs(r, path);
}

static long long users_with_email(const char *email)
{
    return db_scalar_int("SELECT count(*) FROM users WHERE lower(email) = lower($1)", email, NULL);
}

/* The SHA-256 hex of s, computed by PostgreSQL (independent of the program's code). */
static char *sha256_hex(const char *s)
{
    return db_scalar("SELECT encode(sha256(convert_to($1, 'UTF8')), 'hex')", s, NULL);
}

static char *upper_copy(const char *s)
{
    char *u = strdup(s);
    for (char *p = u; *p; p++)
        *p = (char)toupper((unsigned char)*p);
    return u;
}

/* "Request was throttled. Expected available in N seconds." and Retry-After: N. */
static void expect_throttled(const struct http_resp *r)
{
    int n = -1, used = 0;
    expect_detail(r, 429, NULL);
    const char *d = expect_json_string(r, "detail");
    if (sscanf(d, "Request was throttled. Expected available in %d second%n", &n, &used) != 1 ||
        (strcmp(d + used, "s.") != 0 && !(n == 1 && strcmp(d + used, ".") == 0)))
        fail_msg("429 detail \"%s\" is not \"Request was throttled. Expected available in N "
                 "seconds.\"",
                 d);
    if (n < 1 || n > 60)
        fail_msg("throttled for %d seconds, expected 1..60 (5 per minute)", n);
    char *ra = http_header(r, "Retry-After");
    if (!ra)
        fail_msg("429 without a Retry-After header; headers:\n%s", r->headers);
    char want[16];
    snprintf(want, sizeof(want), "%d", n);
    int same = strcmp(ra, want) == 0;
    char copy[64];
    snprintf(copy, sizeof(copy), "%s", ra);
    free(ra);
    if (!same)
        fail_msg("Retry-After: %s does not match the %d seconds of the body", copy, n);
}

/* ---- signup ---- */

static void test_signup_creates_user(void **state)
{
    (void)state;
    struct api *api = api_start(NULL);
    char *email = unique_email("mixedcase");
    char *sent = upper_copy(email);
    char *body = json_body("{s:s, s:s, s:s, s:s}", "email", sent, "password", PASSWORD,
                           "first_name", "Ada", "last_name", "Lovelace");
    struct http_resp r;

    http_send(api, "POST", SIGNUP, NULL, body, NULL, &r);
    expect_status(&r, 201);
    expect_json_object(&r);
    expect_json_str(&r, "status", "ok");
    expect_timestamp(&r, "timestamp");
    json_t *id = resp_get(&r, "data.id");
    assert_true(json_is_integer(id));
    assert_true(json_integer_value(id) > 0);
    expect_json_str(&r, "data.email", email); /* lower-cased */
    expect_json_str(&r, "data.first_name", "Ada");
    expect_json_str(&r, "data.last_name", "Lovelace");
    expect_json_absent(&r, "data.password");
    if (strstr(r.body, PASSWORD))
        fail_msg("the signup response contains the password: %s", r.body);

    /* Stored once, lower-cased, the password only as a Django PBKDF2 hash with the
     * configured iteration count. */
    char idtxt[32];
    snprintf(idtxt, sizeof(idtxt), "%lld", (long long)json_integer_value(id));
    assert_int_equal(db_scalar_int("SELECT count(*) FROM users WHERE email = $1 AND id = $2", email,
                                   idtxt, NULL),
                     1);
    assert_int_equal(users_with_email(email), 1);
    assert_int_equal(db_scalar_int("SELECT count(*) FROM users u WHERE u.email = $1 "
                                   "AND position($2 in row_to_json(u)::text) > 0",
                                   email, PASSWORD, NULL),
                     0);
    assert_int_equal(
        db_scalar_int("SELECT count(*) FROM users u WHERE u.email = $1 AND "
                      "row_to_json(u)::text ~ 'pbkdf2_sha256\\$1000\\$[^$]+\\$[A-Za-z0-9+/=]{40,}'",
                      email, NULL),
        1);
    http_resp_free(&r);

    /* The account works. */
    char *tok = login_ok(api, email, PASSWORD);
    free(tok);

    free(body);
    free(sent);
    free(email);
    api_stop_clean(api);
}

static void test_signup_password2(void **state)
{
    (void)state;
    struct api *api = api_start(NULL);
    char *ok_email = unique_email("pw2ok");
    char *bad_email = unique_email("pw2bad");
    struct http_resp r;

    char *body = json_body("{s:s, s:s, s:s, s:s, s:s}", "email", ok_email, "password", PASSWORD,
                           "password2", PASSWORD, "first_name", "A", "last_name", "B");
    http_send(api, "POST", SIGNUP, NULL, body, NULL, &r);
    expect_status(&r, 201);
    expect_json_str(&r, "data.email", ok_email);
    expect_json_absent(&r, "data.password2");
    http_resp_free(&r);
    free(body);

    body = json_body("{s:s, s:s, s:s, s:s, s:s}", "email", bad_email, "password", PASSWORD,
                     "password2", "Another-horse-9", "first_name", "A", "last_name", "B");
    http_send(api, "POST", SIGNUP, NULL, body, NULL, &r);
    expect_signup_field_error(&r, "password2");
    http_resp_free(&r);
    free(body);
    assert_int_equal(users_with_email(bad_email), 0);

    free(ok_email);
    free(bad_email);
    api_stop_clean(api);
}

static void test_signup_duplicate_email(void **state)
{
    (void)state;
    struct api *api = api_start(NULL);
    char *email = unique_email("dup");
    char *upper = upper_copy(email);
    struct http_resp r;

    signup_ok(api, email, PASSWORD);

    const char *variants[] = {email, upper};
    for (int i = 0; i < 2; i++) {
        char *body = signup_body(variants[i], "Other-horse-77");
        http_send(api, "POST", SIGNUP, NULL, body, NULL, &r);
        expect_signup_field_error(&r, "email");
        expect_json_str(&r, "data.email.0", DUPLICATE_EMAIL_MSG);
        http_resp_free(&r);
        free(body);
    }
    assert_int_equal(users_with_email(email), 1);
    /* The first password still holds. */
    char *tok = login_ok(api, email, PASSWORD);
    free(tok);

    free(upper);
    free(email);
    api_stop_clean(api);
}

static void test_signup_missing_fields(void **state)
{
    (void)state;
    struct api *api = api_start(NULL);
    struct http_resp r;

    http_send(api, "POST", SIGNUP, NULL, "{}", NULL, &r);
    expect_signup_field_error(&r, "email");
    expect_json_msgs(&r, "data.password");
    http_resp_free(&r);

    char *email = unique_email("nopw");
    char *body = json_body("{s:s, s:s, s:s}", "email", email, "first_name", "A", "last_name", "B");
    http_send(api, "POST", SIGNUP, NULL, body, NULL, &r);
    expect_signup_field_error(&r, "password");
    expect_json_absent(&r, "data.email");
    http_resp_free(&r);
    free(body);
    assert_int_equal(users_with_email(email), 0);

    body = json_body("{s:s, s:s, s:s}", "password", PASSWORD, "first_name", "A", "last_name", "B");
    http_send(api, "POST", SIGNUP, NULL, body, NULL, &r);
    expect_signup_field_error(&r, "email");
    expect_json_absent(&r, "data.password");
    http_resp_free(&r);
    free(body);

    free(email);
    api_stop_clean(api);
}

static void test_signup_wrong_types(void **state)
{
    (void)state;
    struct api *api = api_start(NULL);
    char *email = unique_email("types");
    struct http_resp r;
    struct {
        const char *field;
        char *body;
    } cases[] = {
        {"email", json_body("{s:i, s:s, s:s, s:s}", "email", 5, "password", PASSWORD, "first_name",
                            "A", "last_name", "B")},
        {"email", json_body("{s:n, s:s, s:s, s:s}", "email", "password", PASSWORD, "first_name",
                            "A", "last_name", "B")},
        {"email", json_body("{s:[s], s:s, s:s, s:s}", "email", email, "password", PASSWORD,
                            "first_name", "A", "last_name", "B")},
        {"password", json_body("{s:s, s:i, s:s, s:s}", "email", email, "password", 12345678,
                               "first_name", "A", "last_name", "B")},
        {"password", json_body("{s:s, s:{}, s:s, s:s}", "email", email, "password", "first_name",
                               "A", "last_name", "B")},
        {"first_name", json_body("{s:s, s:s, s:[], s:s}", "email", email, "password", PASSWORD,
                                 "first_name", "last_name", "B")},
        {"last_name", json_body("{s:s, s:s, s:s, s:b}", "email", email, "password", PASSWORD,
                                "first_name", "A", "last_name", 1)},
        {"password2", json_body("{s:s, s:s, s:i, s:s, s:s}", "email", email, "password", PASSWORD,
                                "password2", 7, "first_name", "A", "last_name", "B")},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        http_send(api, "POST", SIGNUP, NULL, cases[i].body, NULL, &r);
        if (r.status != 400)
            fail_msg("case %zu (%s): expected 400, got %ld: %s", i, cases[i].body, r.status,
                     r.body);
        expect_signup_field_error(&r, cases[i].field);
        http_resp_free(&r);
        free(cases[i].body);
    }
    assert_int_equal(users_with_email(email), 0);
    free(email);
    api_stop_clean(api);
}

static void test_signup_invalid_email(void **state)
{
    (void)state;
    struct api *api = api_start(NULL);
    const char *bad[] = {
        "not-an-email",       "a@", "@example.com", "a b@example.com", "alice@@example.com",
        "alice@example..com", ""};
    struct http_resp r;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char *body = signup_body(bad[i], PASSWORD);
        http_send(api, "POST", SIGNUP, NULL, body, NULL, &r);
        if (r.status != 400)
            fail_msg("email \"%s\": expected 400, got %ld: %s", bad[i], r.status, r.body);
        expect_signup_field_error(&r, "email");
        http_resp_free(&r);
        free(body);
    }
    api_stop_clean(api);
}

static void test_signup_weak_password(void **state)
{
    (void)state;
    struct api *api = api_start(NULL);
    char *email = unique_email("weak");
    const char *bad[] = {"Ab1!xyz", "", "1234567890123", "00000000", email};
    struct http_resp r;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char *body = signup_body(email, bad[i]);
        http_send(api, "POST", SIGNUP, NULL, body, NULL, &r);
        if (r.status != 400)
            fail_msg("password \"%s\": expected 400, got %ld: %s", bad[i], r.status, r.body);
        expect_signup_field_error(&r, "password");
        http_resp_free(&r);
        free(body);
    }
    assert_int_equal(users_with_email(email), 0);
    /* Eight characters, not all digits, not the address: accepted. */
    signup_ok(api, email, "Abcdefg8");
    free(email);
    api_stop_clean(api);
}

static void test_signup_malformed_json(void **state)
{
    (void)state;
    struct api *api = api_start(NULL);
    const char *bad[] = {"{\"email\": ", "{email: 1}",         "[1, 2]",    "\"a string\"", "null",
                         "42",           "{\"a\":1} trailing", "\xff\xfe{}"};
    struct http_resp r;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        http_send(api, "POST", SIGNUP, NULL, bad[i], NULL, &r);
        if (r.status != 400)
            fail_msg("body %s: expected 400, got %ld: %s", bad[i], r.status, r.body);
        expect_detail(&r, 400, NULL);
        http_resp_free(&r);
    }
    api_stop_clean(api);
}

/* Input PostgreSQL cannot store or that is far too long must be refused with 400 (or,
 * for long names, possibly accepted) — never a 5xx. */
static void test_signup_never_5xx(void **state)
{
    (void)state;
    struct api *api = api_start(NULL);
    struct http_resp r;
    char *email = unique_email("nul");

    /* A NUL character: valid JSON, not storable in a text column. Refused either as a
     * field error or as a whole-request error. */
    char body[512];
    snprintf(body, sizeof(body),
             "{\"email\":\"%s\",\"password\":\"%s\",\"first_name\":\"a\\u0000b\","
             "\"last_name\":\"B\"}",
             email, PASSWORD);
    http_send(api, "POST", SIGNUP, NULL, body, NULL, &r);
    expect_status(&r, 400);
    expect_json_object(&r);
    if (!resp_get(&r, "detail") && !resp_get(&r, "data.first_name"))
        fail_msg("expected a detail or a first_name error: %s", r.body);
    http_resp_free(&r);
    assert_int_equal(users_with_email(email), 0);

    /* A NUL in the password. */
    snprintf(body, sizeof(body),
             "{\"email\":\"%s\",\"password\":\"Pass\\u0000word-9\",\"first_name\":\"A\","
             "\"last_name\":\"B\"}",
             email);
    http_send(api, "POST", SIGNUP, NULL, body, NULL, &r);
    if (r.status >= 500 || (r.status != 400 && r.status != 201))
        fail_msg("NUL in the password: expected 400 or 201, got %ld: %s", r.status, r.body);
    http_resp_free(&r);

    /* Very long values. */
    char *longname = malloc(5001);
    memset(longname, 'n', 5000);
    longname[5000] = '\0';
    char *email2 = unique_email("long");
    char *b2 = json_body("{s:s, s:s, s:s, s:s}", "email", email2, "password", PASSWORD,
                         "first_name", longname, "last_name", longname);
    http_send(api, "POST", SIGNUP, NULL, b2, NULL, &r);
    if (r.status != 400 && r.status != 201)
        fail_msg("5000-char names: expected 400 or 201, got %ld: %s", r.status, r.body);
    http_resp_free(&r);
    free(b2);

    char *longmail = malloc(400);
    memset(longmail, 'x', 300);
    snprintf(longmail + 300, 100, "@example.com");
    b2 = signup_body(longmail, PASSWORD);
    http_send(api, "POST", SIGNUP, NULL, b2, NULL, &r);
    expect_signup_field_error(&r, "email"); /* over 254 characters cannot be an address */
    http_resp_free(&r);
    free(b2);

    free(longmail);
    free(longname);
    free(email2);
    free(email);
    api_stop_clean(api);
}

/* Lengths are counted in characters: seven two-byte characters are too short, eight
 * are enough. */
static void test_password_length_in_characters(void **state)
{
    (void)state;
    struct api *api = api_start(NULL);
    struct http_resp r;
    char *email = unique_email("utf8pw");
    char *body = signup_body(email, "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9");
    http_send(api, "POST", SIGNUP, NULL, body, NULL, &r);
    expect_signup_field_error(&r, "password");
    http_resp_free(&r);
    free(body);
    const char *eight = "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9";
    signup_ok(api, email, eight);
    char *tok = login_ok(api, email, eight);
    free(tok);
    free(email);
    api_stop_clean(api);
}

/* Many signups for one new address at the same moment: exactly one account, one 201,
 * the others the duplicate-address error (never a 500). */
struct signup_job {
    const struct api *api;
    const char *body;
    const char *src_ip;
    struct http_resp resp;
    int rc;
};

static void *signup_thread(void *arg)
{
    struct signup_job *job = arg;
    struct http_req req = {.path = SIGNUP, .body = job->body, .src_ip = job->src_ip};
    job->rc = http_request(job->api, &req, &job->resp);
    return NULL;
}

static void test_signup_concurrent_same_email(void **state)
{
    (void)state;
    enum { N = 8, ROUNDS = 3 };
    struct api *api = api_start(NULL);
    for (int round = 0; round < ROUNDS; round++) {
        char *email = unique_email("race");
        char *body = signup_body(email, PASSWORD);
        struct signup_job jobs[N];
        pthread_t th[N];
        for (int i = 0; i < N; i++)
            jobs[i] = (struct signup_job){.api = api, .body = body, .src_ip = harness_next_ip()};
        for (int i = 0; i < N; i++)
            assert_int_equal(pthread_create(&th[i], NULL, signup_thread, &jobs[i]), 0);
        for (int i = 0; i < N; i++)
            pthread_join(th[i], NULL);
        int created = 0;
        for (int i = 0; i < N; i++) {
            if (jobs[i].rc != 0)
                fail_msg("concurrent signup %d: no response: %s", i, jobs[i].resp.error);
            if (jobs[i].resp.status == 201) {
                created++;
            } else {
                expect_signup_field_error(&jobs[i].resp, "email");
                expect_json_str(&jobs[i].resp, "data.email.0", DUPLICATE_EMAIL_MSG);
            }
            http_resp_free(&jobs[i].resp);
        }
        assert_int_equal(created, 1);
        assert_int_equal(users_with_email(email), 1);
        free(body);
        free(email);
    }
    api_stop_clean(api);
}

/* ---- login ---- */

static void test_login_token_stored_hashed(void **state)
{
    (void)state;
    struct api *api = api_start(NULL);
    char *email = unique_email("login");
    struct http_resp r;
    signup_ok(api, email, PASSWORD);

    char *body = json_body("{s:s, s:s}", "email", email, "password", PASSWORD);
    http_send(api, "POST", LOGIN, NULL, body, NULL, &r);
    expect_status(&r, 201);
    expect_json_str(&r, "status", "ok");
    expect_timestamp(&r, "timestamp");
    const char *tok = expect_json_string(&r, "data.token");
    if (!is_token_hex40(tok))
        fail_msg("token \"%s\" is not 40 lowercase hex characters", tok);
    char *token = strdup(tok);
    http_resp_free(&r);

    char *hash = sha256_hex(token);
    assert_int_equal(
        db_scalar_int("SELECT count(*) FROM api_tokens WHERE key_hash = $1", hash, NULL), 1);
    assert_int_equal(db_scalar_int("SELECT count(*) FROM api_tokens t "
                                   "WHERE position($1 in row_to_json(t)::text) > 0",
                                   token, NULL),
                     0);

    /* A second login gives another token; both work. */
    char *token2 = login_ok(api, email, PASSWORD);
    assert_string_not_equal(token, token2);
    http_get(api, ME, token, &r);
    expect_status(&r, 200);
    http_resp_free(&r);
    http_get(api, ME, token2, &r);
    expect_status(&r, 200);
    http_resp_free(&r);

    free(token2);
    free(hash);
    free(token);
    free(body);
    free(email);
    api_stop_clean(api);
}

static void expect_bad_credentials(const struct http_resp *r)
{
    expect_status(r, 401);
    expect_json_object(r);
    expect_json_str(r, "status", "error");
    expect_timestamp(r, "timestamp");
    json_t *data = resp_get(r, "data");
    if (!json_is_null(data))
        fail_msg("expected \"data\": null in: %s", r->body);
    expect_json_str(r, "error.non_field_errors.0", BAD_CREDENTIALS_MSG);
    assert_int_equal(json_array_size(resp_get(r, "error.non_field_errors")), 1);
    expect_json_absent(r, "data.token");
}

static void test_login_wrong_credentials(void **state)
{
    (void)state;
    struct api *api = api_start(NULL);
    char *email = unique_email("wrongpw");
    char *unknown = unique_email("nobody");
    struct http_resp r;
    signup_ok(api, email, PASSWORD);
    long long tokens_before = db_scalar_int("SELECT count(*) FROM api_tokens", NULL);

    char *body = json_body("{s:s, s:s}", "email", email, "password", "Wrong-horse-9");
    http_send(api, "POST", LOGIN, NULL, body, NULL, &r);
    expect_bad_credentials(&r);
    http_resp_free(&r);
    free(body);

    body = json_body("{s:s, s:s}", "email", unknown, "password", PASSWORD);
    http_send(api, "POST", LOGIN, NULL, body, NULL, &r);
    expect_bad_credentials(&r);
    http_resp_free(&r);
    free(body);

    /* The password is case-sensitive. */
    char *upper = upper_copy(PASSWORD);
    body = json_body("{s:s, s:s}", "email", email, "password", upper);
    http_send(api, "POST", LOGIN, NULL, body, NULL, &r);
    expect_bad_credentials(&r);
    http_resp_free(&r);
    free(body);
    free(upper);

    assert_int_equal(db_scalar_int("SELECT count(*) FROM api_tokens", NULL), tokens_before);

    free(unknown);
    free(email);
    api_stop_clean(api);
}

static void test_login_bad_input(void **state)
{
    (void)state;
    struct api *api = api_start(NULL);
    char *email = unique_email("badlogin");
    struct http_resp r;

    http_send(api, "POST", LOGIN, NULL, "{}", NULL, &r);
    expect_login_field_error(&r, "email");
    expect_json_msgs(&r, "error.password");
    http_resp_free(&r);

    char *body = json_body("{s:s}", "email", email);
    http_send(api, "POST", LOGIN, NULL, body, NULL, &r);
    expect_login_field_error(&r, "password");
    http_resp_free(&r);
    free(body);

    body = json_body("{s:i, s:b}", "email", 1, "password", 1);
    http_send(api, "POST", LOGIN, NULL, body, NULL, &r);
    expect_login_field_error(&r, "email");
    expect_json_msgs(&r, "error.password");
    http_resp_free(&r);
    free(body);

    const char *malformed[] = {"{\"email\":", "[]", "\"x\""};
    for (size_t i = 0; i < sizeof(malformed) / sizeof(malformed[0]); i++) {
        http_send(api, "POST", LOGIN, NULL, malformed[i], NULL, &r);
        expect_detail(&r, 400, NULL);
        http_resp_free(&r);
    }
    free(email);
    api_stop_clean(api);
}

/* ---- logout, me, token authentication ---- */

static void test_logout_revokes_token(void **state)
{
    (void)state;
    struct api *api = api_start(NULL);
    char *email = unique_email("logout");
    struct http_resp r;
    signup_ok(api, email, PASSWORD);
    char *t1 = login_ok(api, email, PASSWORD);
    char *t2 = login_ok(api, email, PASSWORD);

    /* Used a few times first, on new connections (so on several worker threads): any
     * cache of the token lookup is warm everywhere. */
    for (int i = 0; i < 8; i++) {
        http_get(api, ME, t1, &r);
        expect_status(&r, 200);
        http_resp_free(&r);
    }

    http_send(api, "POST", LOGOUT, t1, NULL, NULL, &r);
    expect_status(&r, 200);
    expect_json_str(&r, "status", "ok");
    expect_timestamp(&r, "timestamp");
    expect_json_str(&r, "data.message", "Successfully logged out.");
    http_resp_free(&r);

    /* Revoked at once, whichever thread answers. */
    for (int i = 0; i < 8; i++) {
        http_get(api, ME, t1, &r);
        expect_detail(&r, 401, INVALID_TOKEN_MSG);
        http_resp_free(&r);
    }
    http_send(api, "POST", LOGOUT, t1, NULL, NULL, &r);
    expect_detail(&r, 401, INVALID_TOKEN_MSG);
    http_resp_free(&r);

    /* Only the token used is revoked. */
    http_get(api, ME, t2, &r);
    expect_status(&r, 200);
    expect_json_str(&r, "email", email);
    http_resp_free(&r);

    free(t1);
    free(t2);
    free(email);
    api_stop_clean(api);
}

/* Two api processes on one database (two replicas behind a load balancer): a token
 * logged out through one is refused by the other right away. */
static void test_logout_revokes_on_every_replica(void **state)
{
    (void)state;
    struct api *a = api_start(NULL);
    struct api *b = api_start(NULL);
    char *email = unique_email("replicas");
    struct http_resp r;
    signup_ok(a, email, PASSWORD);
    char *tok = login_ok(a, email, PASSWORD);
    for (int i = 0; i < 4; i++) {
        http_get(b, ME, tok, &r);
        expect_status(&r, 200);
        http_resp_free(&r);
    }
    http_send(a, "POST", LOGOUT, tok, NULL, NULL, &r);
    expect_status(&r, 200);
    http_resp_free(&r);
    http_get(b, ME, tok, &r);
    if (r.status != 401)
        fail_msg("the other replica still accepts the logged-out token: HTTP %ld %s", r.status,
                 r.body);
    expect_detail(&r, 401, INVALID_TOKEN_MSG);
    http_resp_free(&r);
    free(tok);
    free(email);
    api_stop_clean(b);
    api_stop_clean(a);
}

static void test_me_token_and_bearer(void **state)
{
    (void)state;
    struct api *api = api_start(NULL);
    char *email = unique_email("me");
    struct http_resp r;
    long long id = signup_ok(api, email, PASSWORD);
    char *tok = login_ok(api, email, PASSWORD);

    http_get(api, ME, tok, &r);
    expect_status(&r, 200);
    expect_json_object(&r);
    json_t *jid = resp_get(&r, "id");
    assert_true(json_is_integer(jid));
    assert_int_equal(json_integer_value(jid), id);
    expect_json_str(&r, "email", email);
    expect_json_str(&r, "first_name", "Test");
    expect_json_str(&r, "last_name", "User");
    if (!json_is_false(resp_get(&r, "is_staff")))
        fail_msg("expected \"is_staff\": false in %s", r.body);
    expect_json_absent(&r, "password");
    http_resp_free(&r);

    char auth[128];
    snprintf(auth, sizeof(auth), "Authorization: Bearer %s", tok);
    const char *hdrs[] = {auth, NULL};
    struct http_req req = {.path = ME, .headers = hdrs};
    assert_int_equal(http_request(api, &req, &r), 0);
    expect_status(&r, 200);
    assert_int_equal(json_integer_value(resp_get(&r, "id")), id);
    http_resp_free(&r);

    free(tok);
    free(email);
    api_stop_clean(api);
}

static void test_auth_missing_and_invalid(void **state)
{
    (void)state;
    struct api *api = api_start(NULL);
    char *email = unique_email("authbad");
    struct http_resp r;
    signup_ok(api, email, PASSWORD);
    char *tok = login_ok(api, email, PASSWORD);

    http_get(api, ME, NULL, &r);
    expect_detail(&r, 401, NO_CREDENTIALS_MSG);
    http_resp_free(&r);
    http_send(api, "POST", LOGOUT, NULL, NULL, NULL, &r);
    expect_detail(&r, 401, NO_CREDENTIALS_MSG);
    http_resp_free(&r);

    char *upper = upper_copy(tok);
    char lines[6][128];
    snprintf(lines[0], sizeof(lines[0]),
             "Authorization: Token 0123456789abcdef0123456789abcdef01234567");
    snprintf(lines[1], sizeof(lines[1]), "Authorization: Token abc");
    snprintf(lines[2], sizeof(lines[2]), "Authorization: Bearer %s", upper);
    snprintf(lines[3], sizeof(lines[3]), "Authorization: Token %s extra", tok);
    snprintf(lines[4], sizeof(lines[4]), "Authorization: Token %.39s", tok);
    snprintf(lines[5], sizeof(lines[5]), "Authorization: Token %sa", tok);
    for (int i = 0; i < 6; i++) {
        const char *hdrs[] = {lines[i], NULL};
        struct http_req req = {.path = ME, .headers = hdrs};
        assert_int_equal(http_request(api, &req, &r), 0);
        if (r.status != 401)
            fail_msg("\"%s\": expected 401, got %ld: %s", lines[i], r.status, r.body);
        expect_detail(&r, 401, INVALID_TOKEN_MSG);
        http_resp_free(&r);
    }
    free(upper);

    /* The real token still works after all that. */
    http_get(api, ME, tok, &r);
    expect_status(&r, 200);
    http_resp_free(&r);

    free(tok);
    free(email);
    api_stop_clean(api);
}

/* ---- throttles ---- */

static void test_signup_throttle_per_ip(void **state)
{
    (void)state;
    struct api *api = api_start(NULL);
    const char *ip = harness_next_ip();
    struct http_resp r;
    char *last = NULL;
    for (int i = 0; i < 5; i++) {
        char *email = unique_email("thr");
        char *body = signup_body(email, PASSWORD);
        http_send(api, "POST", SIGNUP, NULL, body, ip, &r);
        if (r.status != 201)
            fail_msg("signup %d of 5 from %s: expected 201, got %ld: %s", i + 1, ip, r.status,
                     r.body);
        http_resp_free(&r);
        free(body);
        free(last);
        last = email;
    }
    char *email = unique_email("thr6");
    char *body = signup_body(email, PASSWORD);
    http_send(api, "POST", SIGNUP, NULL, body, ip, &r);
    expect_throttled(&r);
    http_resp_free(&r);
    assert_int_equal(users_with_email(email), 0);

    /* Another client address is not affected. */
    http_send(api, "POST", SIGNUP, NULL, body, harness_next_ip(), &r);
    expect_status(&r, 201);
    http_resp_free(&r);

    free(body);
    free(email);
    free(last);
    api_stop_clean(api);
}

static void test_login_throttle_per_ip(void **state)
{
    (void)state;
    struct api *api = api_start(NULL);
    char *email = unique_email("thrip");
    const char *ip = harness_next_ip();
    struct http_resp r;
    signup_ok(api, email, PASSWORD);

    /* Five failures for five different addresses from one client. */
    for (int i = 0; i < 5; i++) {
        char *other = unique_email("thripx");
        char *body = json_body("{s:s, s:s}", "email", other, "password", PASSWORD);
        http_send(api, "POST", LOGIN, NULL, body, ip, &r);
        if (r.status != 401)
            fail_msg("login %d of 5 from %s: expected 401, got %ld: %s", i + 1, ip, r.status,
                     r.body);
        http_resp_free(&r);
        free(body);
        free(other);
    }
    /* The sixth is refused even with good credentials. */
    char *body = json_body("{s:s, s:s}", "email", email, "password", PASSWORD);
    http_send(api, "POST", LOGIN, NULL, body, ip, &r);
    expect_throttled(&r);
    http_resp_free(&r);

    http_send(api, "POST", LOGIN, NULL, body, harness_next_ip(), &r);
    expect_status(&r, 201);
    http_resp_free(&r);

    free(body);
    free(email);
    api_stop_clean(api);
}

static void test_login_throttle_per_email(void **state)
{
    (void)state;
    struct api *api = api_start(NULL);
    char *email = unique_email("thrmail");
    char *other = unique_email("thrmail-other");
    struct http_resp r;
    signup_ok(api, email, PASSWORD);
    signup_ok(api, other, PASSWORD);

    /* Five wrong passwords for one address, each from a different client. */
    for (int i = 0; i < 5; i++) {
        char *body = json_body("{s:s, s:s}", "email", email, "password", "Wrong-horse-9");
        http_send(api, "POST", LOGIN, NULL, body, harness_next_ip(), &r);
        if (r.status != 401)
            fail_msg("login %d of 5: expected 401, got %ld: %s", i + 1, r.status, r.body);
        http_resp_free(&r);
        free(body);
    }
    char *body = json_body("{s:s, s:s}", "email", email, "password", PASSWORD);
    http_send(api, "POST", LOGIN, NULL, body, harness_next_ip(), &r);
    expect_throttled(&r);
    http_resp_free(&r);
    free(body);

    /* The same address in another case is the same address. */
    char *upper = upper_copy(email);
    body = json_body("{s:s, s:s}", "email", upper, "password", PASSWORD);
    http_send(api, "POST", LOGIN, NULL, body, harness_next_ip(), &r);
    expect_throttled(&r);
    http_resp_free(&r);
    free(body);
    free(upper);

    /* Another address is not affected. */
    char *tok = login_ok(api, other, PASSWORD);
    free(tok);

    free(other);
    free(email);
    api_stop_clean(api);
}

int main(void)
{
    harness_require_env();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_signup_creates_user, harness_test_teardown),
        cmocka_unit_test_teardown(test_signup_password2, harness_test_teardown),
        cmocka_unit_test_teardown(test_signup_duplicate_email, harness_test_teardown),
        cmocka_unit_test_teardown(test_signup_missing_fields, harness_test_teardown),
        cmocka_unit_test_teardown(test_signup_wrong_types, harness_test_teardown),
        cmocka_unit_test_teardown(test_signup_invalid_email, harness_test_teardown),
        cmocka_unit_test_teardown(test_signup_weak_password, harness_test_teardown),
        cmocka_unit_test_teardown(test_signup_malformed_json, harness_test_teardown),
        cmocka_unit_test_teardown(test_signup_never_5xx, harness_test_teardown),
        cmocka_unit_test_teardown(test_password_length_in_characters, harness_test_teardown),
        cmocka_unit_test_teardown(test_signup_concurrent_same_email, harness_test_teardown),
        cmocka_unit_test_teardown(test_login_token_stored_hashed, harness_test_teardown),
        cmocka_unit_test_teardown(test_login_wrong_credentials, harness_test_teardown),
        cmocka_unit_test_teardown(test_login_bad_input, harness_test_teardown),
        cmocka_unit_test_teardown(test_logout_revokes_token, harness_test_teardown),
        cmocka_unit_test_teardown(test_logout_revokes_on_every_replica, harness_test_teardown),
        cmocka_unit_test_teardown(test_me_token_and_bearer, harness_test_teardown),
        cmocka_unit_test_teardown(test_auth_missing_and_invalid, harness_test_teardown),
        cmocka_unit_test_teardown(test_signup_throttle_per_ip, harness_test_teardown),
        cmocka_unit_test_teardown(test_login_throttle_per_ip, harness_test_teardown),
        cmocka_unit_test_teardown(test_login_throttle_per_email, harness_test_teardown),
    };
    return harness_finish(
        cmocka_run_group_tests(tests, harness_group_setup, harness_group_teardown));
}
