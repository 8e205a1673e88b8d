/* Unit tests for runner/spec (the check spec the api and the reconciler write),
 * runner/resolve's URL parsing, and the short error reasons of runner/probe_http. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <curl/curl.h>
#include <errno.h>
#include <string.h>

#include "runner/probe_http.h"
#include "runner/probe_tcp.h"
#include "runner/resolve.h"
#include "runner/spec.h"

/* As PostgreSQL's json_build_object prints it (MONITOR_SPEC_SQL). */
static const char full[] =
    "{\"id\" : 7, \"user_id\" : 3, \"name\" : \"Shop\", \"type\" : \"HTTP\", \"url\" : "
    "\"https://shop.example.com/health\", \"method\" : \"POST\", \"headers\" : {\"X-Key\" : "
    "\"v\"}, \"body\" : \"{\\\"a\\\":1}\", \"timeout_ms\" : 2500, \"expected_status\" : "
    "\"200-299,301\", \"follow_redirects\" : false, \"verify_tls\" : false, \"retries\" : 3, "
    "\"interval\" : 30, \"anomaly_threshold\" : 2.5, \"anomaly_window\" : 20, \"version\" : 4}";

static void test_full_spec(void **state)
{
    char err[256];
    struct check_spec *s = spec_parse(full, strlen(full), err, sizeof(err));

    assert_non_null(s);
    assert_int_equal(s->id, 7);
    assert_int_equal(s->user_id, 3);
    assert_int_equal(s->version, 4);
    assert_int_equal(s->type, CHECK_HTTP);
    assert_string_equal(s->name, "Shop");
    assert_string_equal(s->url, "https://shop.example.com/health");
    assert_string_equal(s->method, "POST");
    assert_string_equal(json_string_value(json_object_get(s->headers, "X-Key")), "v");
    assert_string_equal(s->body, "{\"a\":1}");
    assert_int_equal(s->body_len, 7);
    assert_int_equal(s->timeout_ms, 2500);
    assert_int_equal(s->follow_redirects, 0);
    assert_int_equal(s->verify_tls, 0);
    assert_int_equal(s->retries, 3);
    assert_int_equal(s->interval_s, 30);
    assert_true(s->anomaly_threshold == 2.5);
    assert_int_equal(s->anomaly_window, 20);
    assert_int_equal(expected_status_match(&s->expected, 301), 1);
    assert_int_equal(expected_status_match(&s->expected, 302), 0);
    spec_free(s);
}

static void test_defaults_and_bounds(void **state)
{
    const char *text = "{\"id\": 1, \"url\": \"tcp://db:5432\", \"type\": \"TCP\", \"body\": null,"
                       " \"timeout_ms\": 999999, \"retries\": -4}";
    char err[256];
    struct check_spec *s = spec_parse(text, strlen(text), err, sizeof(err));

    assert_non_null(s);
    assert_int_equal(s->type, CHECK_TCP);
    assert_string_equal(s->method, "GET");
    assert_null(s->body);
    assert_int_equal(s->timeout_ms, 120000);
    assert_int_equal(s->retries, 0);
    assert_int_equal(s->interval_s, 300);
    assert_int_equal(s->anomaly_window, 50);
    assert_true(s->anomaly_threshold == 2.0);
    assert_int_equal(s->follow_redirects, 1);
    assert_int_equal(s->verify_tls, 1);
    assert_int_equal(expected_status_match(&s->expected, 204), 1);
    spec_free(s);
}

static void test_refused_specs(void **state)
{
    static const char *const bad[] = {
        "",
        "[]",
        "{\"url\": \"http://x/\"}",
        "{\"id\": 0, \"url\": \"http://x/\"}",
        "{\"id\": 1}",
        "{\"id\": 1, \"url\": \"http://x/\", \"type\": \"SMTP\"}",
        "{\"id\": 1, \"url\": \"http://x/\", \"expected_status\": \"abc\"}",
        "{\"id\": 1, \"id\": 2, \"url\": \"http://x/\"}",
    };
    char err[256];

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct check_spec *s = spec_parse(bad[i], strlen(bad[i]), err, sizeof(err));
        if (s)
            fail_msg("spec %zu was accepted: %s", i, bad[i]);
        assert_true(err[0] != '\0');
    }
}

static void test_parse_url(void **state)
{
    char host[RESOLVE_HOST_MAX];
    int port = 0;

    assert_int_equal(
        resolve_parse_url("tcp://db.example.com:5432", 0, 0, host, sizeof(host), &port), 0);
    assert_string_equal(host, "db.example.com");
    assert_int_equal(port, 5432);
    assert_int_equal(resolve_parse_url("tcp://[2001:db8::1]:443", 0, 0, host, sizeof(host), &port),
                     0);
    assert_string_equal(host, "2001:db8::1");
    assert_int_equal(port, 443);
    assert_int_equal(resolve_parse_url("tcp://nohost", 0, 0, host, sizeof(host), &port), -1);
    assert_int_equal(resolve_parse_url("tcp://h:0", 0, 0, host, sizeof(host), &port), -1);
    assert_int_equal(resolve_parse_url("example.com", 1, 7, host, sizeof(host), &port), 0);
    assert_string_equal(host, "example.com");
    assert_int_equal(port, 7);
    assert_int_equal(resolve_parse_url("ping://10.1.2.3", 1, 7, host, sizeof(host), &port), 0);
    assert_string_equal(host, "10.1.2.3");
    assert_int_equal(resolve_parse_url("https://a.example/x", 1, 7, host, sizeof(host), &port), 0);
    assert_string_equal(host, "a.example");
}

static void test_reasons(void **state)
{
    assert_string_equal(probe_http_reason(CURLE_OPERATION_TIMEDOUT, 0), "timeout");
    assert_string_equal(probe_http_reason(CURLE_COULDNT_RESOLVE_HOST, 0), "dns");
    assert_string_equal(probe_http_reason(CURLE_COULDNT_CONNECT, ECONNREFUSED),
                        "connection refused");
    assert_string_equal(probe_http_reason(CURLE_COULDNT_CONNECT, ECONNRESET), "connection reset");
    assert_string_equal(probe_http_reason(CURLE_PEER_FAILED_VERIFICATION, 0), "tls");
    assert_string_equal(probe_http_reason(CURLE_SSL_CONNECT_ERROR, 0), "tls");
    assert_string_equal(probe_http_reason(CURLE_RECV_ERROR, ECONNRESET), "connection reset");
    assert_string_equal(probe_http_reason(CURLE_GOT_NOTHING, 0), "empty reply");
    assert_string_equal(probe_http_reason(CURLE_TOO_MANY_REDIRECTS, 0), "too many redirects");
    assert_null(probe_http_reason(CURLE_FTP_WEIRD_PASV_REPLY, 0));
    assert_string_equal(probe_tcp_reason(ECONNREFUSED), "connection refused");
    assert_string_equal(probe_tcp_reason(EHOSTUNREACH), "host unreachable");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_full_spec),     cmocka_unit_test(test_defaults_and_bounds),
        cmocka_unit_test(test_refused_specs), cmocka_unit_test(test_parse_url),
        cmocka_unit_test(test_reasons),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
