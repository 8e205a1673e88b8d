/* Integration tests of the runner's probes: HTTP outcomes and their short error reasons,
 * the request a monitor sends (method, headers, body, User-Agent), redirects, HTTPS with
 * certificates made at test time (valid, expired, about to expire, self-signed; TLS
 * verification on and off; certificate expiry recorded and alerted), TCP and PING
 * checks, and the connect-time target guard that defeats DNS rebinding. */
#include "runner_harness.h"
#include "targets.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WAIT_MS 15000

static void expect_error(long long id, const char *want)
{
    char *got;
    WAIT_FOR(rh_results(id) > 0, WAIT_MS, "monitor %lld: no result", id);
    got = rh_last_error(id);
    if (strcmp(got, want) != 0) {
        char msg[256];
        snprintf(msg, sizeof(msg), "%s", got);
        free(got);
        rh_dump_logs();
        fail_msg("monitor %lld: expected error \"%s\", got \"%s\"", id, want, msg);
    }
    free(got);
}

static long long http_monitor(struct target *t, const char *path, int timeout_ms)
{
    char *url = target_url(t, path);
    struct mon_opts o = {.url = url, .timeout_ms = timeout_ms, .interval = 1};
    long long id = rh_monitor(&o);
    free(url);
    return id;
}

static void test_http_outcomes(void **state)
{
    struct target *t = target_http_start();
    struct tcp_target *reset = tcp_target_start(1);
    struct target_route slow = {.delays_ms = {3000}, .ndelays = 1};
    struct target_route slow_body = {.slow_body_ms = 200};
    struct target_route s503 = {.status = 503}, s404 = {.status = 404};
    char redirect_to[128], url[256], ids[24];
    struct target_route redir = {.status = 302, .location = redirect_to};
    struct runner_proc *r;
    long long ok, e503, eslow, ebody, e404, follow, nofollow, ereset, closed, dns;

    snprintf(redirect_to, sizeof(redirect_to), "http://127.0.0.1:%d/ok", target_port(t));
    target_route(t, "/503", &s503);
    target_route(t, "/slow", &slow);
    target_route(t, "/slowbody", &slow_body);
    target_route(t, "/404", &s404);
    target_route(t, "/redir", &redir);
    target_route(t, "/redir2", &redir);

    ok = http_monitor(t, "/ok", 1000);
    e503 = http_monitor(t, "/503", 1000);
    eslow = http_monitor(t, "/slow", 700);
    ebody = http_monitor(t, "/slowbody", 700);
    {
        char *u = target_url(t, "/404");
        struct mon_opts o = {.url = u, .expected = "200-299,404"};
        e404 = rh_monitor(&o);
        free(u);
    }
    follow = http_monitor(t, "/redir", 1000);
    {
        char *u = target_url(t, "/redir2");
        struct mon_opts o = {.url = u, .no_redirects = 1};
        nofollow = rh_monitor(&o);
        free(u);
    }
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/", tcp_target_port(reset));
    ereset = rh_monitor(&(struct mon_opts){.url = url});
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/", harness_free_port());
    closed = rh_monitor(&(struct mon_opts){.url = url});
    dns = rh_monitor(&(struct mon_opts){.url = "http://statushawk-test.invalid/"});

    r = runner_start(NULL);
    expect_error(ok, "");
    expect_error(e503, "status 503");
    expect_error(eslow, "timeout");
    expect_error(ebody, "timeout");
    expect_error(e404, "");
    expect_error(follow, "");
    expect_error(nofollow, "status 302");
    expect_error(ereset, "connection reset");
    expect_error(closed, "connection refused");
    expect_error(dns, "dns");

    snprintf(ids, sizeof(ids), "%lld", ok);
    assert_int_equal(db_scalar_int("SELECT count(*) FROM check_results WHERE monitor_id = $1"
                                   " AND is_up AND status_code = 200 AND response_time_ms > 0"
                                   " AND error IS NULL",
                                   ids, NULL) > 0,
                     1);
    snprintf(ids, sizeof(ids), "%lld", e503);
    assert_int_equal(db_scalar_int("SELECT count(*) FROM check_results WHERE monitor_id = $1"
                                   " AND NOT is_up AND status_code = 503",
                                   ids, NULL) > 0,
                     1);
    snprintf(ids, sizeof(ids), "%lld", follow);
    assert_int_equal(db_scalar_int("SELECT max(status_code) FROM check_results WHERE"
                                   " monitor_id = $1",
                                   ids, NULL),
                     200);
    /* A first result leaves PENDING: up is UP, and with retries 0 down is DOWN. */
    WAIT_FOR(rh_status_is(ok, "UP"), WAIT_MS, "monitor %lld is not UP", ok);
    WAIT_FOR(rh_status_is(e503, "DOWN"), WAIT_MS, "monitor %lld is not DOWN", e503);
    snprintf(ids, sizeof(ids), "%lld", ok);
    assert_int_equal(db_scalar_int("SELECT count(*) FROM monitors WHERE id = $1"
                                   " AND last_checked_at > now() - interval '1 minute'",
                                   ids, NULL),
                     1);

    runner_stop_clean(r);
    tcp_target_stop(reset);
    target_stop(t);
}

static void test_request_shape(void **state)
{
    struct target *t = target_http_start();
    char *url = target_url(t, "/echo");
    struct mon_opts o = {.url = url,
                         .method = "POST",
                         .headers = "{\"X-Test\": \"hello\"}",
                         .body = "{\"ping\": 1}"};
    struct target_request req;
    struct runner_proc *r;
    long long id = rh_monitor(&o);

    r = runner_start(NULL);
    WAIT_FOR(rh_results(id) > 0, WAIT_MS, "no result");
    target_last_request(t, "/echo", &req);
    assert_string_equal(req.method, "POST");
    assert_string_equal(req.user_agent, "StatusHawk/" STATUSHAWK_VERSION);
    assert_string_equal(req.x_test, "hello");
    assert_string_equal(req.body, "{\"ping\": 1}");
    runner_stop_clean(r);

    /* HEAD sends no body and is answered without one. */
    {
        char *u = target_url(t, "/head");
        long long h = rh_monitor(&(struct mon_opts){.url = u, .method = "HEAD"});
        r = runner_start(NULL);
        expect_error(h, "");
        target_last_request(t, "/head", &req);
        assert_string_equal(req.method, "HEAD");
        runner_stop_clean(r);
        free(u);
    }
    free(url);
    target_stop(t);
}

static void test_tcp_and_ping(void **state)
{
    struct tcp_target *open_port = tcp_target_start(0);
    char url[128];
    long long up, closed, ping;
    struct runner_proc *r;
    char *err, ids[24];

    snprintf(url, sizeof(url), "tcp://127.0.0.1:%d", tcp_target_port(open_port));
    up = rh_monitor(&(struct mon_opts){.type = "TCP", .url = url});
    snprintf(url, sizeof(url), "tcp://127.0.0.1:%d", harness_free_port());
    closed = rh_monitor(&(struct mon_opts){.type = "TCP", .url = url});
    ping = rh_monitor(&(struct mon_opts){.type = "PING", .url = "127.0.0.1"});

    r = runner_start(NULL);
    expect_error(up, "");
    expect_error(closed, "connection refused");
    assert_true(tcp_target_accepted(open_port) > 0);
    snprintf(ids, sizeof(ids), "%lld", up);
    assert_int_equal(db_scalar_int("SELECT count(*) FROM check_results WHERE monitor_id = $1"
                                   " AND is_up AND response_time_ms >= 0",
                                   ids, NULL) > 0,
                     1);
    /* ICMP through a ping socket works where net.ipv4.ping_group_range allows it;
     * elsewhere the check says so instead of failing obscurely. */
    WAIT_FOR(rh_results(ping) > 0, WAIT_MS, "no PING result");
    err = rh_last_error(ping);
    if (strcmp(err, "") != 0 && strcmp(err, "ping not permitted") != 0 &&
        strcmp(err, "ping unavailable") != 0)
        fail_msg("PING 127.0.0.1: unexpected error \"%s\"", err);
    free(err);
    runner_stop_clean(r);
    tcp_target_stop(open_port);
}

static long long https_monitor(struct target *t, int verify)
{
    char *u = target_url(t, "/");
    long long id = rh_monitor(&(struct mon_opts){.url = u, .no_verify = !verify});
    free(u);
    return id;
}

static long long cert_days(long long id)
{
    char ids[24];
    snprintf(ids, sizeof(ids), "%lld", id);
    return db_scalar_int("SELECT floor(extract(epoch FROM cert_expires_at - now()) / 86400)"
                         " FROM monitors WHERE id = $1",
                         ids, NULL);
}

static void test_https(void **state)
{
    const struct test_certs *c = test_certs();
    struct target *valid = target_https_start(c->valid_crt, c->valid_key);
    struct target *soon = target_https_start(c->soon_crt, c->soon_key);
    struct target *expired = target_https_start(c->expired_crt, c->expired_key);
    struct target *self = target_https_start(c->self_crt, c->self_key);
    char ca_env[256];
    const char *env[] = {ca_env, NULL};
    long long v, s, ex_on, ex_off, self_on, self_off;
    struct runner_proc *r;
    char *details;

    snprintf(ca_env, sizeof(ca_env), "RUNNER_CA_BUNDLE=%s", c->ca);
    v = https_monitor(valid, 1);
    s = https_monitor(soon, 1);
    ex_on = https_monitor(expired, 1);
    ex_off = https_monitor(expired, 0);
    self_on = https_monitor(self, 1);
    self_off = https_monitor(self, 0);

    r = runner_start(env);
    expect_error(v, "");
    expect_error(s, "");
    expect_error(ex_on, "tls: certificate has expired");
    expect_error(ex_off, "");
    expect_error(self_on, "tls: self-signed certificate");
    expect_error(self_off, "");

    /* The peer certificate's expiry is kept on the monitor — also when verification
     * refused the certificate, so an expired one shows as expired, not as unknown. */
    assert_in_range(cert_days(v), 363, 365);
    assert_in_range(cert_days(s), 3, 5);
    assert_int_equal(cert_days(ex_off) < 0, 1);
    assert_int_equal(cert_days(ex_on) < 0, 1);
    assert_in_range(cert_days(self_on), 28, 30);

    /* One cert_expiry alert per level and certificate, however often it is checked. */
    WAIT_FOR(rh_results(s) >= 3 && rh_results(ex_off) >= 3 && rh_results(ex_on) >= 3, WAIT_MS,
             "too few checks");
    sleep_ms(300); /* let the last batch and its alerts out */
    assert_int_equal(rh_alert_count("cert_expiry", s), 1);
    assert_int_equal(rh_alert_count("cert_expiry", ex_off), 1);
    assert_int_equal(rh_alert_count("cert_expiry", ex_on), 1); /* besides its DOWN */
    assert_int_equal(rh_alert_count("cert_expiry", v), 0);
    details = rh_alert_details("cert_expiry", s, 0);
    assert_non_null(details);
    assert_non_null(strstr(details, "\"level\":7"));
    assert_non_null(strstr(details, "\"days_left\":4"));
    free(details);
    details = rh_alert_details("cert_expiry", ex_off, 0);
    assert_non_null(strstr(details, "\"level\":1"));
    free(details);
    runner_stop_clean(r);

    /* A Redis flush forgets nothing that matters: the levels live in PostgreSQL. */
    rh_redis_clear();
    rh_schedule(s, 0);
    r = runner_start(env);
    WAIT_FOR(rh_results(s) >= 5, WAIT_MS, "no checks after the flush");
    runner_stop_clean(r);
    assert_int_equal(rh_alert_count("cert_expiry", s), 0); /* the stream was cleared too */

    target_stop(valid);
    target_stop(soon);
    target_stop(expired);
    target_stop(self);
}

static void test_target_guard(void **state)
{
    struct target *t = target_http_start();
    struct tcp_target *port = tcp_target_start(0);
    const char *env[] = {"STATUSHAWK_ALLOW_PRIVATE_TARGETS=false", NULL};
    char url[128];
    long long by_name, by_ip, tcp;
    struct runner_proc *r;

    /* "localhost" stands for a name that pointed somewhere public when the monitor was
     * saved and now resolves to a private address: the runner checks what it actually
     * connects to. */
    snprintf(url, sizeof(url), "http://localhost:%d/g", target_port(t));
    by_name = rh_monitor(&(struct mon_opts){.url = url});
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/g", target_port(t));
    by_ip = rh_monitor(&(struct mon_opts){.url = url});
    snprintf(url, sizeof(url), "tcp://localhost:%d", tcp_target_port(port));
    tcp = rh_monitor(&(struct mon_opts){.type = "TCP", .url = url});

    r = runner_start(env);
    expect_error(by_name, "blocked: loopback address");
    expect_error(by_ip, "blocked: loopback address");
    expect_error(tcp, "blocked: loopback address");
    WAIT_FOR(rh_results(by_name) >= 2, WAIT_MS, "too few checks");
    assert_int_equal(target_hits(t, "/g"), 0);
    assert_int_equal(tcp_target_accepted(port), 0);
    runner_stop_clean(r);
    tcp_target_stop(port);
    target_stop(t);
}

static void test_endpoint(void **state)
{
    struct runner_proc *r = runner_start(NULL);
    struct http_resp resp;

    assert_int_equal(rh_get(r, "/health", &resp), 0);
    assert_int_equal(resp.status, 200);
    assert_string_equal(resp.body, "{\"status\":\"ok\"}");
    http_resp_free(&resp);
    assert_int_equal(rh_get(r, "/health/", &resp), 0);
    assert_int_equal(resp.status, 200);
    http_resp_free(&resp);
    WAIT_FOR(rh_get(r, "/ready", &resp) == 0 && resp.status == 200 && (http_resp_free(&resp), 1),
             WAIT_MS, "the runner did not become ready");
    assert_int_equal(rh_get(r, "/ready", &resp), 0);
    assert_non_null(strstr(resp.body, "\"postgres\":\"ok\""));
    assert_non_null(strstr(resp.body, "\"redis\":\"ok\""));
    http_resp_free(&resp);

    assert_int_equal(rh_get(r, "/metrics", &resp), 0);
    assert_int_equal(resp.status, 200);
    {
        char *ct = http_header(&resp, "Content-Type");
        assert_non_null(ct);
        assert_non_null(strstr(ct, "text/plain"));
        free(ct);
    }
    assert_non_null(
        strstr(resp.body, "statushawk_runner_checks_total{type=\"HTTP\",outcome=\"up\"}"));
    assert_non_null(strstr(resp.body, "statushawk_runner_claim_lag_seconds_bucket{le=\"+Inf\"}"));
    assert_non_null(strstr(resp.body, "statushawk_runner_batch_flush_seconds_count"));
    assert_non_null(strstr(resp.body, "statushawk_runner_inflight 0"));
    assert_non_null(strstr(resp.body, "statushawk_runner_buffer_results 0"));
    assert_non_null(strstr(resp.body, "statushawk_runner_results_dropped_total 0"));
    http_resp_free(&resp);

    assert_int_equal(rh_get(r, "/nope", &resp), 0);
    assert_int_equal(resp.status, 404);
    http_resp_free(&resp);
    assert_int_equal(rh_send(r, "POST", "/health", &resp), 0);
    assert_int_equal(resp.status, 405);
    http_resp_free(&resp);
    runner_stop_clean(r);
}

static void test_bad_configuration(void **state)
{
    static const char *const bad[][2] = {
        {"RUNNER_MAX_INFLIGHT=0", "RUNNER_MAX_INFLIGHT"},
        {"RETRY_DELAY=soon", "RETRY_DELAY"},
        {"RUNNER_HTTP_LISTEN=nowhere", "RUNNER_HTTP_LISTEN"},
        {"STATUSHAWK_ALLOW_PRIVATE_TARGETS=maybe", "STATUSHAWK_ALLOW_PRIVATE_TARGETS"},
        {"REDIS_URL=", "REDIS_URL"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        const char *env[] = {bad[i][0], NULL};
        char *log = NULL;
        int rc = rh_runner_exit(env, &log);
        if (rc != 2 || !strstr(log, bad[i][1]))
            fail_msg("%s: exit %d, output: %s", bad[i][0], rc, log);
        free(log);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_http_outcomes, rh_test_setup, rh_test_teardown),
        cmocka_unit_test_setup_teardown(test_request_shape, rh_test_setup, rh_test_teardown),
        cmocka_unit_test_setup_teardown(test_tcp_and_ping, rh_test_setup, rh_test_teardown),
        cmocka_unit_test_setup_teardown(test_https, rh_test_setup, rh_test_teardown),
        cmocka_unit_test_setup_teardown(test_target_guard, rh_test_setup, rh_test_teardown),
        cmocka_unit_test_setup_teardown(test_endpoint, rh_test_setup, rh_test_teardown),
        cmocka_unit_test_setup_teardown(test_bad_configuration, rh_test_setup, rh_test_teardown),
    };
    int failures;

    harness_require_env();
    rh_require_env();
    failures = cmocka_run_group_tests(tests, harness_group_setup, harness_group_teardown);
    test_certs_cleanup();
    return harness_finish(failures);
}
