/* Unit tests for api/router, api/cors and api/account_rules: the pure parts of the
 * api, driven by tables. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "api/account_rules.h"
#include "api/cors.h"
#include "api/router.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static void h_list(struct api_request *r)
{
    (void)r;
}
static void h_create(struct api_request *r)
{
    (void)r;
}
static void h_item(struct api_request *r)
{
    (void)r;
}
static void h_stats(struct api_request *r)
{
    (void)r;
}

static const struct route routes[] = {
    {EVHTTP_REQ_GET, "/api/v1/monitors", ROUTE_AUTH, h_list},
    {EVHTTP_REQ_POST, "/api/v1/monitors", ROUTE_AUTH, h_create},
    {EVHTTP_REQ_GET, "/api/v1/monitors/{id}", ROUTE_AUTH, h_item},
    {EVHTTP_REQ_DELETE, "/api/v1/monitors/{id}", ROUTE_AUTH, h_item},
    {EVHTTP_REQ_GET, "/api/v1/monitors/{id}/stats", ROUTE_AUTH, h_stats},
};

static const struct {
    enum evhttp_cmd_type method;
    const char *path;
    route_handler expect; /* NULL: no route */
    int64_t param;        /* the first parameter when one is expected */
    unsigned allowed;     /* when expect is NULL */
} match_cases[] = {
    {EVHTTP_REQ_GET, "/api/v1/monitors", h_list, 0, 0},
    {EVHTTP_REQ_GET, "/api/v1/monitors/", h_list, 0, 0},
    {EVHTTP_REQ_POST, "/api/v1/monitors/", h_create, 0, 0},
    {EVHTTP_REQ_GET, "/api/v1/monitors/5", h_item, 5, 0},
    {EVHTTP_REQ_GET, "/api/v1/monitors/5/", h_item, 5, 0},
    {EVHTTP_REQ_GET, "/api/v1/monitors/123456789012345678/stats/", h_stats, 123456789012345678, 0},
    {EVHTTP_REQ_PUT, "/api/v1/monitors", NULL, 0, EVHTTP_REQ_GET | EVHTTP_REQ_POST},
    {EVHTTP_REQ_PATCH, "/api/v1/monitors/9", NULL, 0, EVHTTP_REQ_GET | EVHTTP_REQ_DELETE},
    {EVHTTP_REQ_GET, "/api/v1/monitors/0", NULL, 0, 0},   /* ids start at 1 */
    {EVHTTP_REQ_GET, "/api/v1/monitors/007", NULL, 0, 0}, /* one spelling */
    {EVHTTP_REQ_GET, "/api/v1/monitors/-1", NULL, 0, 0},
    {EVHTTP_REQ_GET, "/api/v1/monitors/abc", NULL, 0, 0},
    {EVHTTP_REQ_GET, "/api/v1/monitors/1234567890123456789", NULL, 0, 0}, /* > 18 digits */
    {EVHTTP_REQ_GET, "/api/v1/monitors/5/stats/extra", NULL, 0, 0},
    {EVHTTP_REQ_GET, "/api/v1/monitor", NULL, 0, 0},
    {EVHTTP_REQ_GET, "/", NULL, 0, 0},
    {EVHTTP_REQ_GET, "", NULL, 0, 0},
};

static void test_match(void **state)
{
    for (size_t i = 0; i < ARRAY_LEN(match_cases); i++) {
        int64_t params[ROUTE_MAX_PARAMS] = {0};
        int nparams = -1;
        unsigned allowed = 99;
        const struct route *r = router_match(routes, ARRAY_LEN(routes), match_cases[i].method,
                                             match_cases[i].path, params, &nparams, &allowed);
        if ((r ? r->handler : NULL) != match_cases[i].expect)
            fail_msg("%s: wrong route", match_cases[i].path);
        if (r && match_cases[i].param) {
            assert_int_equal(nparams, 1);
            assert_int_equal(params[0], match_cases[i].param);
        }
        if (!r && allowed != match_cases[i].allowed)
            fail_msg("%s: allowed %u, want %u", match_cases[i].path, allowed,
                     match_cases[i].allowed);
    }
}

static void test_methods_list(void **state)
{
    char out[96];
    router_methods_list(EVHTTP_REQ_GET | EVHTTP_REQ_DELETE | EVHTTP_REQ_OPTIONS, out, sizeof(out));
    assert_string_equal(out, "GET, DELETE, OPTIONS");
    assert_string_equal(router_method_name(EVHTTP_REQ_PATCH), "PATCH");
}

static void test_cors(void **state)
{
    assert_null(cors_allow_origin("", "http://a.example"));
    assert_null(cors_allow_origin("http://a.example", NULL));
    assert_string_equal(cors_allow_origin("*", "http://x.example"), "*");
    assert_string_equal(cors_allow_origin("http://a.example, http://b.example", "http://b.example"),
                        "http://b.example");
    assert_null(cors_allow_origin("http://a.example", "http://a.example.evil"));
    assert_null(cors_allow_origin("http://a.example.evil", "http://a.example"));
    assert_null(cors_allow_origin("https://a.example", "http://a.example"));
}

static const struct {
    const char *email;
    int valid;
} emails[] = {
    {"bob@example.com", 1},
    {"Bob.Smith+tag@mail.example.co", 1},
    {"a@b.io", 1},
    {"bob", 0},
    {"@example.com", 0},
    {"bob@", 0},
    {"bob@example", 0},
    {"bob@@example.com", 0},
    {"bo b@example.com", 0},
    {"bob@exa mple.com", 0},
    {".bob@example.com", 0},
    {"bob.@example.com", 0},
    {"b..ob@example.com", 0},
    {"bob@-example.com", 0},
    {"bob@example-.com", 0},
    {"bob@example..com", 0},
    {"bob@example.com.", 0},
    {"bo\"b@example.com", 0},
};

static void test_emails(void **state)
{
    for (size_t i = 0; i < ARRAY_LEN(emails); i++)
        if (account_email_valid(emails[i].email) != emails[i].valid)
            fail_msg("%s: expected %s", emails[i].email, emails[i].valid ? "valid" : "invalid");
}

static void test_email_normalize(void **state)
{
    char out[ACCOUNT_EMAIL_MAX + 1];
    char longer[ACCOUNT_EMAIL_MAX + 2];
    assert_int_equal(account_email_normalize("Bob@Example.COM", out, sizeof(out)), 0);
    assert_string_equal(out, "bob@example.com");
    memset(longer, 'a', sizeof(longer) - 1);
    longer[sizeof(longer) - 1] = '\0';
    assert_int_equal(account_email_normalize(longer, out, sizeof(out)), -1);
}

static const struct {
    const char *password, *email;
    int broken;
    const char *first_message;
} passwords[] = {
    {"s3cretpass", "bob@example.com", 0, NULL},
    {"short1", "bob@example.com", 1, "This password is too short."},
    {"12345678", "bob@example.com", 1, "This password is entirely numeric."},
    {"1234", "bob@example.com", 2, "This password is too short."},
    {"Bob@Example.com", "bob@example.com", 1, "The password is too similar to the email."},
    {"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", "bob@example.com", 1, "This password is too short."},
};

static void test_passwords(void **state)
{
    for (size_t i = 0; i < ARRAY_LEN(passwords); i++) {
        json_t *errors = json_object();
        int broken = account_password_check(passwords[i].password, passwords[i].email, errors);
        assert_int_equal(broken, passwords[i].broken);
        if (passwords[i].first_message) {
            const char *msg =
                json_string_value(json_array_get(json_object_get(errors, "password"), 0));
            assert_non_null(msg);
            assert_true(
                strncmp(msg, passwords[i].first_message, strlen(passwords[i].first_message)) == 0);
        } else {
            assert_int_equal(json_object_size(errors), 0);
        }
        json_decref(errors);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_match),
        cmocka_unit_test(test_methods_list),
        cmocka_unit_test(test_cors),
        cmocka_unit_test(test_emails),
        cmocka_unit_test(test_email_normalize),
        cmocka_unit_test(test_passwords),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
