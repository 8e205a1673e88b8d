/* Integration tests of the statistics routes (stats, history, heatmap, leaderboard,
 * dashboard_stats, incidents, anomalies) against the real api and PostgreSQL: users come
 * through the API, monitors and check results are written with SQL, and every figure is
 * checked against numbers worked out by hand. Also: the answers are byte-for-byte the same
 * before and after the hourly rollup runs, after a late result lands in a rolled-up hour,
 * and after the rollup is run again; empty monitors, bad parameters, other users'
 * monitors. Times are placed relative to the start of the current UTC hour (H0) so that
 * which window a row falls in does not depend on the minute the test runs at. */
#include "harness.h"
#include "tcp_proxy.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MONITORS "/api/v1/monitors"
#define DASHBOARD "/api/v1/monitors/dashboard_stats"
#define LEADERBOARD "/api/v1/monitors/leaderboard"
#define PASSWORD "Correct-horse-9"
#define HOUR 3600L
#define MIN 60L
#define DAY (24 * HOUR)

/* ---- helpers ---------------------------------------------------------------------- */

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

/* Sleeps past the first two minutes and the last 30 seconds of a UTC hour, so the whole
 * test sees one H0 and "24 hours ago, to the minute" stays inside the same hour. */
static void avoid_hour_edges(void)
{
    for (;;) {
        long long s = db_scalar_int(
            "SELECT floor(extract(epoch FROM now() - date_trunc('hour', now(), 'UTC')))", NULL);
        if (s >= 2 * MIN && s < HOUR - 30)
            return;
        sleep_ms(s < 2 * MIN ? (2 * MIN - s + 1) * 1000 : (HOUR - s + 2 * MIN + 1) * 1000);
    }
}

static long long monitor_new(long long user_id, const char *name, const char *status, int active)
{
    char uid[24];
    snprintf(uid, sizeof(uid), "%lld", user_id);
    return db_scalar_int(
        "INSERT INTO monitors (user_id, name, url, status, is_active)"
        " VALUES ($1, $2::text, 'https://' || $2::text || '.example.com/health', $3, $4)"
        " RETURNING id",
        uid, name, status, active ? "t" : "f", NULL);
}

/* A check result at H0 + off_s. ms "" is a check without a response time; error "" none.
 * Returns its id. */
static long long result_add(long long monitor, long off_s, int code, const char *ms, int up,
                            const char *error)
{
    char mid[24], off[24], c[16];
    snprintf(mid, sizeof(mid), "%lld", monitor);
    snprintf(off, sizeof(off), "%ld", off_s);
    snprintf(c, sizeof(c), "%d", code);
    return db_scalar_int(
        "INSERT INTO check_results (monitor_id, checked_at, status_code, response_time_ms,"
        " is_up, error) VALUES ($1, date_trunc('hour', now(), 'UTC') + $2::bigint * interval '1s',"
        " $3, NULLIF($4, '')::float8, $5, NULLIF($6, '')) RETURNING id",
        mid, off, c, ms, up ? "t" : "f", error, NULL);
}

/* GET path as u and expect 200 with a JSON body. */
static void get_ok(const struct api *api, const struct user *u, const char *path,
                   struct http_resp *resp)
{
    http_get(api, path, u->token, resp);
    expect_status(resp, 200);
    if (!resp->json)
        fail_msg("GET %s: no JSON body: %.500s", path, resp->body ? resp->body : "");
}

static void expect_int_at(const struct http_resp *r, const char *path, long long want,
                          const char *file, int line)
{
    json_t *v = resp_get(r, path);
    if (!json_is_integer(v) || json_integer_value(v) != want)
        fail_msg("%s:%d: expected %s == %lld in: %.3000s", file, line, path, want,
                 r->body ? r->body : "");
}
#define expect_int(r, path, want) expect_int_at((r), (path), (want), __FILE__, __LINE__)

/* A JSON real equal to want to 15 significant digits, the precision the api prints
 * reals with. */
static void expect_real_at(const struct http_resp *r, const char *path, double want,
                           const char *file, int line)
{
    json_t *v = resp_get(r, path);
    if (!json_is_real(v) || fabs(json_real_value(v) - want) > fabs(want) * 1e-14)
        fail_msg("%s:%d: expected %s == %.17g (a real) in: %.3000s", file, line, path, want,
                 r->body ? r->body : "");
}
#define expect_real(r, path, want) expect_real_at((r), (path), (want), __FILE__, __LINE__)

static void expect_null_at(const struct http_resp *r, const char *path, const char *file, int line)
{
    if (!json_is_null(resp_get(r, path)))
        fail_msg("%s:%d: expected %s == null in: %.3000s", file, line, path,
                 r->body ? r->body : "");
}
#define expect_null(r, path) expect_null_at((r), (path), __FILE__, __LINE__)

static size_t array_len(const struct http_resp *r, const char *path)
{
    json_t *v = resp_get(r, path);
    if (!json_is_array(v))
        fail_msg("expected an array at %s in: %.3000s", path, r->body ? r->body : "");
    return json_array_size(v);
}

/* The ISO text PostgreSQL gives for H0 + off_s (the api's format). New string. */
static char *iso_at(long off_s)
{
    char off[24];
    snprintf(off, sizeof(off), "%ld", off_s);
    return db_scalar("SELECT sh_iso(date_trunc('hour', now(), 'UTC') + $1::bigint * interval '1s')",
                     off, NULL);
}

static void expect_iso_at_off(const struct http_resp *r, const char *path, long off_s)
{
    char *want = iso_at(off_s);
    expect_json_str(r, path, want);
    free(want);
}

static void path_of(char *out, size_t size, long long monitor, const char *what, const char *query)
{
    snprintf(out, size, MONITORS "/%lld/%s/%s", monitor, what, query ? query : "");
}

/* ---- the shared data set ---------------------------------------------------------------
 * User A:
 *   m  (UP)      r1  H0-30h+10m   up   100 ms
 *                r2  H0-20h+10m   up   100
 *                r3  H0-20h+20m   down 300  503 "status 503"
 *                r4  H0-2h+5m     up   200
 *                r5  H0-2h+15m    down  -     0  "timeout"
 *                r6  H0-8d        up    50
 *                r7  H0+1s        up   250
 *                r8  H0-23h-10s   up   400   (in the 24 h window: its partial first hour)
 *                r9  H0-24h+10s   up  1000   (same clock hour as r8, outside the window)
 *   m2 (UP)      H0-3h+1m..5m     up   100, 200, 300, 400, 500   (p95 = 480)
 *   m3 (DOWN)    H0-1h+10m        up   150;  H0-1h+20m  down 150 (code 500)
 *   m4 (PAUSED, inactive)         no results
 *   m5 (PENDING) H0-4h+10m        up   150
 * Incidents of m: resolved H0-20h+20m .. +30 min ("status 503"); open since now-100 s.
 * Anomalies of m: H0-2h+5m (200 ms, mean 100, stdev 20, z 5) and H0-20h+10m. */
struct dataset {
    struct user a;
    long long m, m2, m3, m4, m5;
    long long r3, r5, r7, m3_down;
    long long inc_resolved, inc_open, an_new, an_old;
};

static void dataset_seed(const struct api *api, struct dataset *d)
{
    char mid[24];

    avoid_hour_edges();
    d->a = user_new(api, "stats");
    d->m = monitor_new(d->a.id, "m", "UP", 1);
    d->m2 = monitor_new(d->a.id, "m2", "UP", 1);
    d->m3 = monitor_new(d->a.id, "m3", "DOWN", 1);
    d->m4 = monitor_new(d->a.id, "m4", "PAUSED", 0);
    d->m5 = monitor_new(d->a.id, "m5", "PENDING", 1);

    result_add(d->m, -30 * HOUR + 10 * MIN, 200, "100", 1, "");
    result_add(d->m, -20 * HOUR + 10 * MIN, 200, "100", 1, "");
    d->r3 = result_add(d->m, -20 * HOUR + 20 * MIN, 503, "300", 0, "status 503");
    result_add(d->m, -2 * HOUR + 5 * MIN, 200, "200", 1, "");
    d->r5 = result_add(d->m, -2 * HOUR + 15 * MIN, 0, "", 0, "timeout");
    result_add(d->m, -8 * DAY, 200, "50", 1, "");
    d->r7 = result_add(d->m, 1, 200, "250", 1, "");
    result_add(d->m, -23 * HOUR - 10, 200, "400", 1, "");
    result_add(d->m, -24 * HOUR + 10, 200, "1000", 1, "");

    for (int i = 1; i <= 5; i++) {
        char ms[16];
        snprintf(ms, sizeof(ms), "%d", i * 100);
        result_add(d->m2, -3 * HOUR + i * MIN, 200, ms, 1, "");
    }
    result_add(d->m3, -1 * HOUR + 10 * MIN, 200, "150", 1, "");
    d->m3_down = result_add(d->m3, -1 * HOUR + 20 * MIN, 500, "150", 0, "status 500");
    result_add(d->m5, -4 * HOUR + 10 * MIN, 200, "150", 1, "");

    snprintf(mid, sizeof(mid), "%lld", d->m);
    d->inc_resolved = db_scalar_int(
        "INSERT INTO incidents (monitor_id, started_at, resolved_at, cause)"
        " VALUES ($1, date_trunc('hour', now(), 'UTC') - interval '20 hours' + interval '20 min',"
        " date_trunc('hour', now(), 'UTC') - interval '20 hours' + interval '50 min',"
        " 'status 503') RETURNING id",
        mid, NULL);
    d->inc_open = db_scalar_int("INSERT INTO incidents (monitor_id, started_at, cause)"
                                " VALUES ($1, now() - interval '100 s', 'timeout') RETURNING id",
                                mid, NULL);
    d->an_new = db_scalar_int(
        "INSERT INTO anomalies (monitor_id, created_at, response_time_ms, mean, stdev, z)"
        " VALUES ($1, date_trunc('hour', now(), 'UTC') - interval '2 hours' + interval '5 min',"
        " 200, 100, 20, 5) RETURNING id",
        mid, NULL);
    d->an_old = db_scalar_int(
        "INSERT INTO anomalies (monitor_id, created_at, response_time_ms, mean, stdev, z)"
        " VALUES ($1, date_trunc('hour', now(), 'UTC') - interval '20 hours' + interval '10 min',"
        " 100.5, 50.25, 10.125, 5.0247524752475248) RETURNING id",
        mid, NULL);
}

static void dataset_free(struct dataset *d)
{
    user_free(&d->a);
}

/* ---- stats -------------------------------------------------------------------------- */

static void expect_last_check_r7(const struct http_resp *r, const struct dataset *d)
{
    expect_int(r, "last_check.id", d->r7);
    expect_int(r, "last_check.status_code", 200);
    expect_real(r, "last_check.response_time_ms", 250.0);
    if (!json_is_true(resp_get(r, "last_check.is_up")))
        fail_msg("last_check.is_up is not true: %s", r->body);
    expect_iso_at_off(r, "last_check.created_at", 1);
    expect_null(r, "last_check.error");
}

static void test_stats_periods(void **state)
{
    struct api *api = api_start(NULL);
    struct dataset d;
    struct http_resp r;
    char path[160];

    dataset_seed(api, &d);

    /* Default 24h: r2, r3, r4, r5, r7, r8 -> 6 checks, 4 up; timed 100+300+200+250+400. */
    path_of(path, sizeof(path), d.m, "stats", NULL);
    get_ok(api, &d.a, path, &r);
    expect_json_str(&r, "period", "24h");
    expect_int(&r, "total_checks", 6);
    expect_int(&r, "up_count", 4);
    expect_int(&r, "down_count", 2);
    expect_real(&r, "uptime_percentage", 66.67);
    expect_real(&r, "avg_response_time", 250.0);
    expect_last_check_r7(&r, &d);
    http_resp_free(&r);

    /* 7d adds r1 and r9: 8 checks, 6 up, timed sum 2350 over 7. */
    path_of(path, sizeof(path), d.m, "stats", "?period=7d");
    get_ok(api, &d.a, path, &r);
    expect_json_str(&r, "period", "7d");
    expect_int(&r, "total_checks", 8);
    expect_int(&r, "up_count", 6);
    expect_int(&r, "down_count", 2);
    expect_real(&r, "uptime_percentage", 75.0);
    expect_real(&r, "avg_response_time", 335.71);
    expect_last_check_r7(&r, &d);
    http_resp_free(&r);

    /* 30d adds r6: 9 checks, 7 up (77.777...), timed sum 2400 over 8. No trailing slash. */
    snprintf(path, sizeof(path), MONITORS "/%lld/stats?period=30d", d.m);
    get_ok(api, &d.a, path, &r);
    expect_json_str(&r, "period", "30d");
    expect_int(&r, "total_checks", 9);
    expect_int(&r, "up_count", 7);
    expect_real(&r, "uptime_percentage", 77.78);
    expect_real(&r, "avg_response_time", 300.0);
    http_resp_free(&r);

    /* The explicit default is the default. */
    path_of(path, sizeof(path), d.m, "stats", "?period=24h");
    get_ok(api, &d.a, path, &r);
    expect_int(&r, "total_checks", 6);
    http_resp_free(&r);

    dataset_free(&d);
    api_stop_clean(api);
}

static void test_stats_empty_monitor(void **state)
{
    struct api *api = api_start(NULL);
    struct user u = user_new(api, "stats-empty");
    long long m = monitor_new(u.id, "empty", "PENDING", 1);
    const char *periods[] = {"24h", "7d", "30d"};
    struct http_resp r;
    char path[160], q[32];

    for (size_t i = 0; i < 3; i++) {
        snprintf(q, sizeof(q), "?period=%s", periods[i]);
        path_of(path, sizeof(path), m, "stats", q);
        get_ok(api, &u, path, &r);
        expect_json_str(&r, "period", periods[i]);
        expect_int(&r, "total_checks", 0);
        expect_int(&r, "up_count", 0);
        expect_int(&r, "down_count", 0);
        expect_real(&r, "uptime_percentage", 0.0);
        expect_real(&r, "avg_response_time", 0.0);
        expect_null(&r, "last_check");
        http_resp_free(&r);
    }

    /* Only failed checks without a response time: uptime 0, average 0.0, not an error. */
    result_add(m, -10 * MIN, 0, "", 0, "timeout");
    path_of(path, sizeof(path), m, "stats", NULL);
    get_ok(api, &u, path, &r);
    expect_int(&r, "total_checks", 1);
    expect_int(&r, "down_count", 1);
    expect_real(&r, "uptime_percentage", 0.0);
    expect_real(&r, "avg_response_time", 0.0);
    expect_null(&r, "last_check.response_time_ms");
    expect_json_str(&r, "last_check.error", "timeout");
    if (!json_is_false(resp_get(&r, "last_check.is_up")))
        fail_msg("last_check.is_up is not false: %s", r.body);
    http_resp_free(&r);

    /* A heatmap of an empty monitor: every hour, empty. */
    m = monitor_new(u.id, "empty2", "PENDING", 1);
    path_of(path, sizeof(path), m, "heatmap", NULL);
    get_ok(api, &u, path, &r);
    assert_int_equal(array_len(&r, "buckets"), 7 * 24);
    for (size_t i = 0; i < 7 * 24; i++) {
        char p[64];
        snprintf(p, sizeof(p), "buckets.%zu.checks", i);
        expect_int(&r, p, 0);
        snprintf(p, sizeof(p), "buckets.%zu.up", i);
        expect_int(&r, p, 0);
        snprintf(p, sizeof(p), "buckets.%zu.avg_ms", i);
        expect_null(&r, p);
        snprintf(p, sizeof(p), "buckets.%zu.p95_ms", i);
        expect_null(&r, p);
    }
    http_resp_free(&r);

    /* History, incidents and anomalies of an empty monitor: empty pages. */
    const char *lists[] = {"history", "incidents", "anomalies"};
    for (size_t i = 0; i < 3; i++) {
        path_of(path, sizeof(path), m, lists[i], NULL);
        get_ok(api, &u, path, &r);
        expect_int(&r, "count", 0);
        expect_null(&r, "next");
        expect_null(&r, "previous");
        assert_int_equal(array_len(&r, "results"), 0);
        http_resp_free(&r);
    }

    user_free(&u);
    api_stop_clean(api);
}

/* ---- heatmap ------------------------------------------------------------------------ */

/* The bucket of hour H0 + off_h hours in a heatmap of days days. */
static void expect_bucket(const struct http_resp *r, int days, int off_h, long long checks,
                          long long up, double avg, double p95)
{
    char p[64];
    size_t i = (size_t)(days * 24 - 1 + off_h);

    snprintf(p, sizeof(p), "buckets.%zu.hour", i);
    expect_iso_at_off(r, p, off_h * HOUR);
    snprintf(p, sizeof(p), "buckets.%zu.checks", i);
    expect_int(r, p, checks);
    snprintf(p, sizeof(p), "buckets.%zu.up", i);
    expect_int(r, p, up);
    snprintf(p, sizeof(p), "buckets.%zu.avg_ms", i);
    if (isnan(avg))
        expect_null(r, p);
    else
        expect_real(r, p, avg);
    snprintf(p, sizeof(p), "buckets.%zu.p95_ms", i);
    if (isnan(p95))
        expect_null(r, p);
    else
        expect_real(r, p, p95);
}

static void test_heatmap(void **state)
{
    struct api *api = api_start(NULL);
    struct dataset d;
    struct http_resp r;
    char path[160];

    dataset_seed(api, &d);

    /* days=1: 24 buckets, H0-23h .. H0. */
    path_of(path, sizeof(path), d.m, "heatmap", "?days=1");
    get_ok(api, &d.a, path, &r);
    assert_int_equal(array_len(&r, "buckets"), 24);
    expect_bucket(&r, 1, -23, 0, 0, NAN, NAN);
    expect_bucket(&r, 1, -20, 2, 1, 200.0, 290.0); /* 100, 300: p95 = 100 + 0.95 * 200 */
    expect_bucket(&r, 1, -2, 2, 1, 200.0, 200.0);  /* one timed value */
    expect_bucket(&r, 1, -1, 0, 0, NAN, NAN);
    expect_bucket(&r, 1, 0, 1, 1, 250.0, 250.0);
    http_resp_free(&r);

    /* days=2 reaches r8 + r9 (H0-24h) and r1 (H0-30h). */
    path_of(path, sizeof(path), d.m, "heatmap", "?days=2");
    get_ok(api, &d.a, path, &r);
    assert_int_equal(array_len(&r, "buckets"), 48);
    expect_bucket(&r, 2, -47, 0, 0, NAN, NAN);
    expect_bucket(&r, 2, -30, 1, 1, 100.0, 100.0);
    expect_bucket(&r, 2, -24, 2, 2, 700.0, 970.0); /* 400, 1000 */
    expect_bucket(&r, 2, -20, 2, 1, 200.0, 290.0);
    http_resp_free(&r);

    /* Default 7 days; m2's five values: p95 = 400 + 0.8 * 100. */
    path_of(path, sizeof(path), d.m2, "heatmap", NULL);
    get_ok(api, &d.a, path, &r);
    assert_int_equal(array_len(&r, "buckets"), 7 * 24);
    expect_bucket(&r, 7, -3, 5, 5, 300.0, 480.0);
    http_resp_free(&r);

    /* days=30: 720 buckets, r6 at H0-8d (an hour of its own). */
    path_of(path, sizeof(path), d.m, "heatmap", "?days=30");
    get_ok(api, &d.a, path, &r);
    assert_int_equal(array_len(&r, "buckets"), 30 * 24);
    expect_bucket(&r, 30, -8 * 24, 1, 1, 50.0, 50.0);
    http_resp_free(&r);

    dataset_free(&d);
    api_stop_clean(api);
}

/* ---- leaderboard -------------------------------------------------------------------- */

static void expect_rank(const struct http_resp *r, int i, long long id, long long checks,
                        double uptime, double avg, double p95)
{
    char p[64];
    snprintf(p, sizeof(p), "results.%d.rank", i);
    expect_int(r, p, i + 1);
    snprintf(p, sizeof(p), "results.%d.id", i);
    expect_int(r, p, id);
    snprintf(p, sizeof(p), "results.%d.checks", i);
    expect_int(r, p, checks);
    snprintf(p, sizeof(p), "results.%d.uptime_percentage", i);
    expect_real(r, p, uptime);
    snprintf(p, sizeof(p), "results.%d.avg_ms", i);
    expect_real(r, p, avg);
    snprintf(p, sizeof(p), "results.%d.p95_ms", i);
    expect_real(r, p, p95);
}

static void test_leaderboard(void **state)
{
    struct api *api = api_start(NULL);
    struct dataset d;
    struct user other;
    struct http_resp r;

    dataset_seed(api, &d);
    /* Another user's fast monitor must not appear in A's ranking. */
    other = user_new(api, "stats-lb-other");
    result_add(monitor_new(other.id, "fast", "UP", 1), -1 * HOUR, 200, "1", 1, "");

    /* 24 hourly buckets H0-23h .. H0 (r8 and r9 are in H0-24h, outside). m: r2 r3 r4 r5 r7,
     * hourly p95 290, 200, 250 -> their p95 250 + 0.9 * 40 = 286. m4 has no checks. */
    get_ok(api, &d.a, LEADERBOARD, &r);
    expect_json_str(&r, "period", "24h");
    expect_json_str(&r, "by", "latency");
    assert_int_equal(array_len(&r, "results"), 4);
    expect_rank(&r, 0, d.m5, 1, 100.0, 150.0, 150.0); /* 150 ms, 100 % before m3 */
    expect_rank(&r, 1, d.m3, 2, 50.0, 150.0, 150.0);
    expect_rank(&r, 2, d.m, 5, 60.0, 212.5, 286.0);
    expect_rank(&r, 3, d.m2, 5, 100.0, 300.0, 480.0);
    expect_json_str(&r, "results.0.name", "m5");
    expect_json_str(&r, "results.0.url", "https://m5.example.com/health");
    expect_json_str(&r, "results.0.status", "PENDING");
    http_resp_free(&r);

    get_ok(api, &d.a, LEADERBOARD "/?by=uptime", &r);
    expect_json_str(&r, "by", "uptime");
    assert_int_equal(array_len(&r, "results"), 4);
    expect_rank(&r, 0, d.m5, 1, 100.0, 150.0, 150.0); /* 100 %, 150 ms before m2 */
    expect_rank(&r, 1, d.m2, 5, 100.0, 300.0, 480.0);
    expect_rank(&r, 2, d.m, 5, 60.0, 212.5, 286.0);
    expect_rank(&r, 3, d.m3, 2, 50.0, 150.0, 150.0);
    http_resp_free(&r);

    get_ok(api, &d.a, LEADERBOARD "?by=uptime&limit=2", &r);
    assert_int_equal(array_len(&r, "results"), 2);
    expect_rank(&r, 1, d.m2, 5, 100.0, 300.0, 480.0);
    http_resp_free(&r);

    /* 7 days (168 buckets): m gains r1, r8, r9 -> 8 checks, 6 up; hourly p95s
     * 100, 970, 290, 200, 250. */
    get_ok(api, &d.a, LEADERBOARD "?period=7d&by=latency", &r);
    expect_json_str(&r, "period", "7d");
    assert_int_equal(array_len(&r, "results"), 4);
    expect_rank(&r, 3, d.m, 8, 75.0, 335.71, 834.0); /* 290 + 0.8 * (970 - 290) */
    http_resp_free(&r);

    /* 30 days adds r6. */
    get_ok(api, &d.a, LEADERBOARD "?period=30d&by=uptime", &r);
    expect_rank(&r, 2, d.m, 9, 77.78, 300.0, 800.0); /* 290 + 0.75 * (970 - 290) */
    http_resp_free(&r);

    /* A user without monitors, or without checks: an empty ranking. */
    get_ok(api, &other, LEADERBOARD "?period=30d", &r);
    assert_int_equal(array_len(&r, "results"), 1);
    http_resp_free(&r);
    struct user none = user_new(api, "stats-lb-none");
    monitor_new(none.id, "idle", "PENDING", 1);
    get_ok(api, &none, LEADERBOARD, &r);
    assert_int_equal(array_len(&r, "results"), 0);
    http_resp_free(&r);

    user_free(&none);
    user_free(&other);
    dataset_free(&d);
    api_stop_clean(api);
}

/* ---- dashboard_stats ---------------------------------------------------------------- */

static void test_dashboard(void **state)
{
    struct api *api = api_start(NULL);
    struct dataset d;
    struct user empty;
    struct http_resp r;

    dataset_seed(api, &d);

    /* 5 monitors, 4 active, 2 UP, 1 DOWN. Latencies from the minute 24 h ago on: m's
     * 100 300 200 250 400 (r9 is earlier), m2's 1500, m3's 300, m5's 150: 3200 / 13. */
    get_ok(api, &d.a, DASHBOARD, &r);
    expect_int(&r, "total", 5);
    expect_int(&r, "active", 4);
    expect_int(&r, "up", 2);
    expect_int(&r, "down", 1);
    expect_real(&r, "avg_latency", 246.15);
    assert_int_equal(array_len(&r, "recent_failures"), 3);
    expect_int(&r, "recent_failures.0.id", d.m3_down);
    expect_int(&r, "recent_failures.0.monitor_id", d.m3);
    expect_json_str(&r, "recent_failures.0.monitor_name", "m3");
    expect_json_str(&r, "recent_failures.0.url", "https://m3.example.com/health");
    expect_int(&r, "recent_failures.0.code", 500);
    expect_json_str(&r, "recent_failures.0.reason", "500 Error");
    expect_iso_at_off(&r, "recent_failures.0.created_at", -1 * HOUR + 20 * MIN);
    expect_int(&r, "recent_failures.1.id", d.r5);
    expect_int(&r, "recent_failures.1.code", 0);
    expect_json_str(&r, "recent_failures.1.reason", "Timeout");
    expect_int(&r, "recent_failures.2.id", d.r3);
    expect_json_str(&r, "recent_failures.2.reason", "503 Error");
    http_resp_free(&r);

    /* State changes and deletions move the counts; a deleted monitor's results leave the
     * average and the failures. */
    {
        char id[24];
        snprintf(id, sizeof(id), "%lld", d.m3);
        PQclear(db_query("UPDATE monitors SET status = 'UP' WHERE id = $1", id, NULL));
        snprintf(id, sizeof(id), "%lld", d.m4);
        PQclear(db_query("UPDATE monitors SET is_active = true, status = 'DOWN' WHERE id = $1", id,
                         NULL));
        snprintf(id, sizeof(id), "%lld", d.m2);
        /* As the monitors route deletes: the monitor and its results in one statement. */
        PQclear(db_query("WITH d AS (DELETE FROM monitors WHERE id = $1 RETURNING id),"
                         " r AS (DELETE FROM check_results WHERE monitor_id IN (SELECT id FROM d))"
                         " SELECT count(*) FROM d",
                         id, NULL));
    }
    get_ok(api, &d.a, DASHBOARD "/", &r);
    expect_int(&r, "total", 4);
    expect_int(&r, "active", 4);
    expect_int(&r, "up", 2);
    expect_int(&r, "down", 1);
    expect_real(&r, "avg_latency", 212.5); /* (3200 - 1500) / 8 */
    assert_int_equal(array_len(&r, "recent_failures"), 3);
    http_resp_free(&r);

    /* Seven failures: the five newest, newest first. */
    for (int i = 0; i < 7; i++)
        result_add(d.m5, -30 * MIN + i * MIN, 502, "", 0, "status 502");
    get_ok(api, &d.a, DASHBOARD, &r);
    assert_int_equal(array_len(&r, "recent_failures"), 5);
    for (int i = 0; i < 5; i++) {
        char p[64];
        snprintf(p, sizeof(p), "recent_failures.%d.created_at", i);
        expect_iso_at_off(&r, p, -30 * MIN + (6 - i) * MIN);
        snprintf(p, sizeof(p), "recent_failures.%d.reason", i);
        expect_json_str(&r, p, "502 Error");
    }
    http_resp_free(&r);

    /* A user with nothing: zeros, 0.0, no failures. */
    empty = user_new(api, "stats-dash-empty");
    get_ok(api, &empty, DASHBOARD, &r);
    expect_int(&r, "total", 0);
    expect_int(&r, "active", 0);
    expect_int(&r, "up", 0);
    expect_int(&r, "down", 0);
    expect_real(&r, "avg_latency", 0.0);
    assert_int_equal(array_len(&r, "recent_failures"), 0);
    http_resp_free(&r);

    user_free(&empty);
    dataset_free(&d);
    api_stop_clean(api);
}

/* The newest failures of everybody are looked at first; a user whose failures are older
 * than 2,000 of other users' must still get theirs. */
static void test_dashboard_failures_buried(void **state)
{
    struct api *api = api_start(NULL);
    struct user a = user_new(api, "stats-buried"), b = user_new(api, "stats-noisy");
    long long ma = monitor_new(a.id, "quiet", "UP", 1);
    long long mb = monitor_new(b.id, "noisy", "DOWN", 1);
    long long old1, old2;
    struct http_resp r;
    char id[24];

    avoid_hour_edges();
    old1 = result_add(ma, -5 * HOUR, 404, "10", 0, "status 404");
    old2 = result_add(ma, -4 * HOUR, 0, "", 0, "timeout");
    result_add(ma, -3 * HOUR, 200, "10", 1, "");
    snprintf(id, sizeof(id), "%lld", mb);
    PQclear(db_query("INSERT INTO check_results (monitor_id, checked_at, status_code, is_up)"
                     " SELECT $1, now() - g * interval '1 s', 500, false"
                     " FROM generate_series(1, 2500) g",
                     id, NULL));

    get_ok(api, &a, DASHBOARD, &r);
    assert_int_equal(array_len(&r, "recent_failures"), 2);
    expect_int(&r, "recent_failures.0.id", old2);
    expect_json_str(&r, "recent_failures.0.reason", "Timeout");
    expect_int(&r, "recent_failures.1.id", old1);
    expect_json_str(&r, "recent_failures.1.reason", "404 Error");
    http_resp_free(&r);

    get_ok(api, &b, DASHBOARD, &r);
    assert_int_equal(array_len(&r, "recent_failures"), 5);
    expect_int(&r, "recent_failures.0.monitor_id", mb);
    http_resp_free(&r);

    user_free(&a);
    user_free(&b);
    api_stop_clean(api);
}

/* ---- history, incidents, anomalies --------------------------------------------------- */

static void test_history(void **state)
{
    struct api *api = api_start(NULL);
    struct dataset d;
    struct http_resp r;
    char path[160];

    dataset_seed(api, &d);

    /* 24h: r7, r2..r5, r8 newest first: r7, r5, r4, r3, r2, r8. */
    path_of(path, sizeof(path), d.m, "history", "?size=2");
    get_ok(api, &d.a, path, &r);
    expect_int(&r, "count", 6);
    expect_null(&r, "previous");
    if (!json_is_string(resp_get(&r, "next")) ||
        !strstr(json_string_value(resp_get(&r, "next")), "page=2"))
        fail_msg("next is not page 2: %s", r.body);
    assert_int_equal(array_len(&r, "results"), 2);
    expect_int(&r, "results.0.id", d.r7);
    expect_int(&r, "results.1.id", d.r5);
    expect_int(&r, "results.1.status_code", 0);
    expect_null(&r, "results.1.response_time_ms");
    if (!json_is_false(resp_get(&r, "results.1.is_up")))
        fail_msg("results.1.is_up is not false: %s", r.body);
    expect_json_str(&r, "results.1.error", "timeout");
    expect_iso_at_off(&r, "results.1.created_at", -2 * HOUR + 15 * MIN);
    http_resp_free(&r);

    path_of(path, sizeof(path), d.m, "history", "?size=2&page=2");
    get_ok(api, &d.a, path, &r);
    expect_int(&r, "results.1.id", d.r3);
    expect_int(&r, "results.1.status_code", 503);
    expect_real(&r, "results.1.response_time_ms", 300.0);
    expect_json_str(&r, "results.1.error", "status 503");
    if (!json_is_string(resp_get(&r, "previous")) || !json_is_string(resp_get(&r, "next")))
        fail_msg("page 2 of 3 needs previous and next: %s", r.body);
    http_resp_free(&r);

    path_of(path, sizeof(path), d.m, "history", "?size=2&page=3");
    get_ok(api, &d.a, path, &r);
    expect_null(&r, "next");
    assert_int_equal(array_len(&r, "results"), 2);
    expect_iso_at_off(&r, "results.1.created_at", -23 * HOUR - 10);
    http_resp_free(&r);

    path_of(path, sizeof(path), d.m, "history", "?size=2&page=4");
    http_get(api, path, d.a.token, &r);
    expect_detail(&r, 404, "Invalid page.");
    http_resp_free(&r);

    /* Periods: 7d has 8 (r1, r9 added), 30d 9; default page size 10. */
    path_of(path, sizeof(path), d.m, "history", "?period=7d");
    get_ok(api, &d.a, path, &r);
    expect_int(&r, "count", 8);
    assert_int_equal(array_len(&r, "results"), 8);
    expect_iso_at_off(&r, "results.7.created_at", -30 * HOUR + 10 * MIN);
    http_resp_free(&r);
    snprintf(path, sizeof(path), MONITORS "/%lld/history?period=30d", d.m);
    get_ok(api, &d.a, path, &r);
    expect_int(&r, "count", 9);
    expect_real(&r, "results.8.response_time_ms", 50.0);
    http_resp_free(&r);

    dataset_free(&d);
    api_stop_clean(api);
}

static void test_incidents_anomalies(void **state)
{
    struct api *api = api_start(NULL);
    struct dataset d;
    struct http_resp r;
    char path[160];
    json_t *v;

    dataset_seed(api, &d);

    path_of(path, sizeof(path), d.m, "incidents", NULL);
    get_ok(api, &d.a, path, &r);
    expect_int(&r, "count", 2);
    expect_int(&r, "results.0.id", d.inc_open);
    expect_null(&r, "results.0.resolved_at");
    expect_json_str(&r, "results.0.cause", "timeout");
    expect_timestamp(&r, "results.0.started_at");
    v = resp_get(&r, "results.0.duration_s"); /* open: up to now, ~100 s */
    if (!json_is_integer(v) || json_integer_value(v) < 100 || json_integer_value(v) > 160)
        fail_msg("open incident duration_s not ~100: %s", r.body);
    expect_int(&r, "results.1.id", d.inc_resolved);
    expect_int(&r, "results.1.duration_s", 1800);
    expect_iso_at_off(&r, "results.1.started_at", -20 * HOUR + 20 * MIN);
    expect_iso_at_off(&r, "results.1.resolved_at", -20 * HOUR + 50 * MIN);
    expect_json_str(&r, "results.1.cause", "status 503");
    http_resp_free(&r);

    path_of(path, sizeof(path), d.m, "incidents", "?size=1&page=2");
    get_ok(api, &d.a, path, &r);
    expect_int(&r, "count", 2);
    assert_int_equal(array_len(&r, "results"), 1);
    expect_int(&r, "results.0.id", d.inc_resolved);
    http_resp_free(&r);

    snprintf(path, sizeof(path), MONITORS "/%lld/anomalies", d.m);
    get_ok(api, &d.a, path, &r);
    expect_int(&r, "count", 2);
    expect_int(&r, "results.0.id", d.an_new);
    expect_iso_at_off(&r, "results.0.created_at", -2 * HOUR + 5 * MIN);
    expect_real(&r, "results.0.response_time_ms", 200.0);
    expect_real(&r, "results.0.mean", 100.0);
    expect_real(&r, "results.0.stdev", 20.0);
    expect_real(&r, "results.0.z", 5.0);
    expect_int(&r, "results.1.id", d.an_old);
    expect_real(&r, "results.1.response_time_ms", 100.5);
    expect_real(&r, "results.1.stdev", 10.125);
    expect_real(&r, "results.1.z", 5.0247524752475248);
    http_resp_free(&r);

    path_of(path, sizeof(path), d.m, "anomalies", "?page=2");
    http_get(api, path, d.a.token, &r);
    expect_detail(&r, 404, "Invalid page.");
    http_resp_free(&r);

    dataset_free(&d);
    api_stop_clean(api);
}

/* ---- the rollup changes nothing ------------------------------------------------------ */

static const char *const snapshot_paths[] = {
    "stats/",          "stats/?period=7d", "stats/?period=30d", "heatmap/?days=1",
    "heatmap/?days=2", "heatmap/?days=30", "history/?size=100", "history/?period=30d",
};
static const char *const snapshot_global[] = {
    DASHBOARD,
    LEADERBOARD,
    LEADERBOARD "?by=uptime",
    LEADERBOARD "?period=7d",
    LEADERBOARD "?period=30d&by=uptime",
};
#define SNAPSHOT_MONITORS 3
#define SNAPSHOT_N                                                                                 \
    (SNAPSHOT_MONITORS * sizeof(snapshot_paths) / sizeof(snapshot_paths[0]) +                      \
     sizeof(snapshot_global) / sizeof(snapshot_global[0]))

/* Every answer about d, as text; out[i] new strings. */
static void snapshot(const struct api *api, const struct dataset *d, char *out[SNAPSHOT_N])
{
    const long long mons[SNAPSHOT_MONITORS] = {d->m, d->m2, d->m3};
    size_t n = 0;
    char path[200];
    struct http_resp r;

    for (size_t m = 0; m < SNAPSHOT_MONITORS; m++)
        for (size_t i = 0; i < sizeof(snapshot_paths) / sizeof(snapshot_paths[0]); i++) {
            snprintf(path, sizeof(path), MONITORS "/%lld/%s", mons[m], snapshot_paths[i]);
            get_ok(api, &d->a, path, &r);
            out[n++] = strdup(r.body);
            http_resp_free(&r);
        }
    for (size_t i = 0; i < sizeof(snapshot_global) / sizeof(snapshot_global[0]); i++) {
        get_ok(api, &d->a, snapshot_global[i], &r);
        out[n++] = strdup(r.body);
        http_resp_free(&r);
    }
}

static void snapshot_expect_same(char *before[SNAPSHOT_N], char *after[SNAPSHOT_N],
                                 const char *when)
{
    for (size_t i = 0; i < SNAPSHOT_N; i++)
        if (strcmp(before[i], after[i]) != 0)
            fail_msg("answer %zu changed %s:\nbefore: %.3000s\nafter:  %.3000s", i, when, before[i],
                     after[i]);
}

static void snapshot_free(char *s[SNAPSHOT_N])
{
    for (size_t i = 0; i < SNAPSHOT_N; i++)
        free(s[i]);
}

static void test_rollup_changes_nothing(void **state)
{
    struct api *api = api_start(NULL);
    struct dataset d;
    char *raw[SNAPSHOT_N], *rolled[SNAPSHOT_N], *again[SNAPSHOT_N];
    struct http_resp r;
    char path[160], tie_path[160], tie_stats[160], *wm, *h0;
    long long late, tie;

    /* Start from the state of a database the rollup has never seen. */
    PQclear(db_query("DELETE FROM check_rollup_hourly", NULL));
    PQclear(db_query("DELETE FROM rollup_marks", NULL));
    PQclear(db_query("UPDATE rollup_state SET rolled_until = '-infinity',"
                     " pending_until = '-infinity'",
                     NULL));
    dataset_seed(api, &d);
    /* A mean exactly on a tie: 100.001 + 100.004 + 100.010 = 300.015, mean 100.005, rounds
     * half away from zero, from the raw rows and from the rollup alike (the sums are exact
     * numerics, so no order of addition can put it a hair to either side). */
    tie = monitor_new(d.a.id, "tie", "UP", 1);
    result_add(tie, -5 * HOUR + 1 * MIN, 200, "100.001", 1, "");
    result_add(tie, -5 * HOUR + 2 * MIN, 200, "100.004", 1, "");
    result_add(tie, -5 * HOUR + 3 * MIN, 200, "100.010", 1, "");
    path_of(tie_path, sizeof(tie_path), tie, "heatmap", "?days=1");
    path_of(tie_stats, sizeof(tie_stats), tie, "stats", NULL);
    get_ok(api, &d.a, tie_path, &r);
    expect_bucket(&r, 1, -5, 3, 3, 100.01, 100.01); /* p95 100.0094 */
    http_resp_free(&r);
    get_ok(api, &d.a, tie_stats, &r);
    expect_real(&r, "avg_response_time", 100.01);
    http_resp_free(&r);
    snapshot(api, &d, raw);

    /* Roll up every completed hour (no lag), through the extended protocol the runner
     * uses; the watermark reaches H0. */
    PQclear(db_query("CALL sh_rollup_advance('0 minutes', 24, NULL)", NULL));
    wm = db_scalar("SELECT sh_iso(rolled_until) FROM rollup_state", NULL);
    h0 = iso_at(0);
    assert_string_equal(wm, h0);
    free(wm);
    free(h0);
    assert_true(db_scalar_int("SELECT count(*) FROM check_rollup_hourly", NULL) >= 10);
    assert_int_equal(db_scalar_int("SELECT count(*) FROM rollup_marks", NULL), 0);
    snapshot(api, &d, rolled);
    snapshot_expect_same(raw, rolled, "after the rollup");
    snapshot_free(rolled);
    get_ok(api, &d.a, tie_path, &r);
    expect_bucket(&r, 1, -5, 3, 3, 100.01, 100.01);
    http_resp_free(&r);
    get_ok(api, &d.a, tie_stats, &r);
    expect_real(&r, "avg_response_time", 100.01);
    http_resp_free(&r);

    /* Rolling the same hours up again (idempotent) changes nothing either. */
    assert_true(db_scalar_int("SELECT sh_rollup_hours(now() - interval '40 days', now())", NULL) >=
                10);
    snapshot(api, &d, rolled);
    snapshot_expect_same(raw, rolled, "after rolling up again");
    snapshot_free(rolled);

    /* A result arriving late for a rolled-up hour (H0-2h) counts at once ... */
    late = result_add(d.m, -2 * HOUR + 30 * MIN, 200, "500", 1, "");
    assert_int_equal(db_scalar_int("SELECT count(*) FROM rollup_marks", NULL), 1);
    path_of(path, sizeof(path), d.m, "stats", NULL);
    get_ok(api, &d.a, path, &r);
    expect_int(&r, "total_checks", 7);
    expect_int(&r, "up_count", 5);
    expect_real(&r, "uptime_percentage", 71.43);
    expect_real(&r, "avg_response_time", 291.67); /* 1750 / 6 */
    http_resp_free(&r);
    path_of(path, sizeof(path), d.m, "heatmap", "?days=1");
    get_ok(api, &d.a, path, &r);
    expect_bucket(&r, 1, -2, 3, 2, 350.0, 485.0); /* 200, 500 */
    http_resp_free(&r);
    snapshot(api, &d, rolled);

    /* ... and the next advance rolls that hour up again without changing an answer. */
    PQclear(db_query("CALL sh_rollup_advance('0 minutes', 24, NULL)", NULL));
    assert_int_equal(db_scalar_int("SELECT count(*) FROM rollup_marks", NULL), 0);
    {
        char mid[24];
        snprintf(mid, sizeof(mid), "%lld", d.m);
        assert_int_equal(db_scalar_int("SELECT checks FROM check_rollup_hourly WHERE monitor_id"
                                       " = $1 AND hour = date_trunc('hour', now(), 'UTC')"
                                       " - interval '2 hours'",
                                       mid, NULL),
                         3);
    }
    snapshot(api, &d, again);
    snapshot_expect_same(rolled, again, "after rolling up the late result");
    snapshot_free(again);
    snapshot_free(rolled);
    snapshot_free(raw);
    (void)late;

    dataset_free(&d);
    api_stop_clean(api);
}

/* Names are user text: quotes, backslashes, control characters and non-ASCII (including
 * a character outside the BMP) come back intact, and the body stays ASCII. */
static void test_names_escaped(void **state)
{
    static const char name[] = "Caf\xc3\xa9 \"q\" \\ tab\t nl\n \x01 \xf0\x9d\x84\x9e end";
    struct api *api = api_start(NULL);
    struct user u = user_new(api, "stats-names");
    long long m = monitor_new(u.id, name, "DOWN", 1);
    struct http_resp r;

    avoid_hour_edges();
    result_add(m, -10 * MIN, 500, "12.5", 0, "status 500");
    get_ok(api, &u, DASHBOARD, &r);
    expect_json_str(&r, "recent_failures.0.monitor_name", name);
    for (const char *p = r.body; *p; p++)
        if ((unsigned char)*p >= 0x80)
            fail_msg("non-ASCII byte in the body: %s", r.body);
    http_resp_free(&r);
    get_ok(api, &u, LEADERBOARD, &r);
    expect_json_str(&r, "results.0.name", name);
    expect_real(&r, "results.0.avg_ms", 12.5);
    expect_real(&r, "results.0.uptime_percentage", 0.0);
    http_resp_free(&r);

    user_free(&u);
    api_stop_clean(api);
}

/* ---- bad input, other users ----------------------------------------------------------- */

static void expect_field_error(const struct api *api, const struct user *u, const char *path,
                               const char *field)
{
    struct http_resp r;
    http_get(api, path, u->token, &r);
    expect_status(&r, 400);
    expect_json_msgs(&r, field);
    http_resp_free(&r);
}

static void test_bad_parameters(void **state)
{
    struct api *api = api_start(NULL);
    struct user u = user_new(api, "stats-bad");
    long long m = monitor_new(u.id, "bad", "UP", 1);
    struct http_resp r;
    char path[200];

    const char *bad_periods[] = {"1y", "", "24H", "7", "30d%20", "%FF%FE"};
    for (size_t i = 0; i < sizeof(bad_periods) / sizeof(bad_periods[0]); i++) {
        snprintf(path, sizeof(path), MONITORS "/%lld/stats/?period=%s", m, bad_periods[i]);
        expect_field_error(api, &u, path, "period");
        snprintf(path, sizeof(path), MONITORS "/%lld/history/?period=%s", m, bad_periods[i]);
        expect_field_error(api, &u, path, "period");
        snprintf(path, sizeof(path), LEADERBOARD "?period=%s", bad_periods[i]);
        expect_field_error(api, &u, path, "period");
    }
    snprintf(path, sizeof(path), MONITORS "/%lld/stats/?period=1y", m);
    http_get(api, path, u.token, &r);
    expect_json_str(&r, "period.0", "\"1y\" is not a valid choice.");
    http_resp_free(&r);

    const char *bad_days[] = {"0", "31", "-1", "abc", "7.5", "", "99999999999999999999"};
    for (size_t i = 0; i < sizeof(bad_days) / sizeof(bad_days[0]); i++) {
        snprintf(path, sizeof(path), MONITORS "/%lld/heatmap/?days=%s", m, bad_days[i]);
        expect_field_error(api, &u, path, "days");
    }
    snprintf(path, sizeof(path), MONITORS "/%lld/heatmap/?days=31", m);
    http_get(api, path, u.token, &r);
    expect_json_str(&r, "days.0", "Ensure this value is less than or equal to 30.");
    http_resp_free(&r);
    snprintf(path, sizeof(path), MONITORS "/%lld/heatmap/?days=0", m);
    http_get(api, path, u.token, &r);
    expect_json_str(&r, "days.0", "Ensure this value is greater than or equal to 1.");
    http_resp_free(&r);
    snprintf(path, sizeof(path), MONITORS "/%lld/heatmap/?days=30", m);
    get_ok(api, &u, path, &r);
    assert_int_equal(array_len(&r, "buckets"), 720);
    http_resp_free(&r);

    expect_field_error(api, &u, LEADERBOARD "?by=speed", "by");
    expect_field_error(api, &u, LEADERBOARD "?limit=0", "limit");
    expect_field_error(api, &u, LEADERBOARD "?limit=101", "limit");
    expect_field_error(api, &u, LEADERBOARD "?limit=x", "limit");
    /* Every bad parameter is named at once. */
    http_get(api, LEADERBOARD "?period=2d&by=x&limit=0", u.token, &r);
    expect_status(&r, 400);
    expect_json_msgs(&r, "period");
    expect_json_msgs(&r, "by");
    expect_json_msgs(&r, "limit");
    http_resp_free(&r);

    /* Bad pages. */
    snprintf(path, sizeof(path), MONITORS "/%lld/history/?page=0", m);
    http_get(api, path, u.token, &r);
    expect_detail(&r, 404, "Invalid page.");
    http_resp_free(&r);
    snprintf(path, sizeof(path), MONITORS "/%lld/incidents/?page=x", m);
    http_get(api, path, u.token, &r);
    expect_detail(&r, 404, "Invalid page.");
    http_resp_free(&r);

    /* Wrong method: 405. */
    snprintf(path, sizeof(path), MONITORS "/%lld/stats/", m);
    http_send(api, "POST", path, u.token, "{}", NULL, &r);
    expect_status(&r, 405);
    http_resp_free(&r);
    http_send(api, "DELETE", DASHBOARD, u.token, NULL, NULL, &r);
    expect_status(&r, 405);
    http_resp_free(&r);

    user_free(&u);
    api_stop_clean(api);
}

static void test_other_users_and_auth(void **state)
{
    struct api *api = api_start(NULL);
    struct dataset d;
    struct user b;
    struct http_resp r;
    char path[200];
    const char *routes[] = {"stats/",     "stats/?period=30d", "history/",       "incidents/",
                            "anomalies/", "heatmap/",          "heatmap/?days=2"};

    dataset_seed(api, &d);
    b = user_new(api, "stats-intruder");

    for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
        /* Another user's monitor and an unknown one: the same 404. */
        snprintf(path, sizeof(path), MONITORS "/%lld/%s", d.m, routes[i]);
        http_get(api, path, b.token, &r);
        expect_detail(&r, 404, "Not found.");
        http_resp_free(&r);
        snprintf(path, sizeof(path), MONITORS "/%lld/%s", d.m5 + 100000, routes[i]);
        http_get(api, path, d.a.token, &r);
        expect_detail(&r, 404, "Not found.");
        http_resp_free(&r);
        /* No token. */
        snprintf(path, sizeof(path), MONITORS "/%lld/%s", d.m, routes[i]);
        http_get(api, path, NULL, &r);
        expect_status(&r, 401);
        http_resp_free(&r);
    }
    http_get(api, DASHBOARD, NULL, &r);
    expect_status(&r, 401);
    http_resp_free(&r);
    http_get(api, LEADERBOARD, "0000000000000000000000000000000000000000", &r);
    expect_detail(&r, 401, "Invalid token.");
    http_resp_free(&r);

    /* B sees none of A's data in the global views. */
    get_ok(api, &b, DASHBOARD, &r);
    expect_int(&r, "total", 0);
    expect_real(&r, "avg_latency", 0.0);
    assert_int_equal(array_len(&r, "recent_failures"), 0);
    http_resp_free(&r);
    get_ok(api, &b, LEADERBOARD "?period=30d", &r);
    assert_int_equal(array_len(&r, "results"), 0);
    http_resp_free(&r);

    user_free(&b);
    dataset_free(&d);
    api_stop_clean(api);
}

/* The database going away is a 503 {"detail"} on every statistics route, the process
 * lives on, and the routes answer again once it is back. */
static void test_database_outage(void **state)
{
    struct tcp_proxy *px = tcp_proxy_start(harness_pg_host(), harness_pg_port());
    char *url, dbenv[2100], path[160];
    const char *env[] = {dbenv, "STATUSHAWK_API_THREADS=2", NULL};
    struct api *api;
    struct user u;
    long long m;
    struct http_resp r;
    int64_t deadline;

    assert_non_null(px);
    url = harness_pg_url(NULL, "127.0.0.1", tcp_proxy_port(px));
    snprintf(dbenv, sizeof(dbenv), "DATABASE_URL=%s", url);
    free(url);
    api = api_start(env);
    u = user_new(api, "stats-outage");
    m = monitor_new(u.id, "outage", "UP", 1);
    path_of(path, sizeof(path), m, "stats", NULL);
    get_ok(api, &u, path, &r);
    http_resp_free(&r);

    assert_int_equal(tcp_proxy_cut(px), 0);
    for (int i = 0; i < 4; i++) {
        const char *paths[] = {path, DASHBOARD, LEADERBOARD, MONITORS "/1/history/"};
        http_get(api, paths[i], u.token, &r);
        expect_detail(&r, 503, NULL);
        http_resp_free(&r);
    }
    if (!api_alive(api))
        fail_msg("the api exited (status %d) while the database was away", api->exit_status);

    assert_int_equal(tcp_proxy_restore(px), 0);
    deadline = mono_ms() + 15000;
    for (;;) {
        http_get(api, path, u.token, &r);
        if (r.status == 200)
            break;
        if (mono_ms() > deadline)
            fail_msg("stats did not answer 200 within 15 s of the database's return: %ld %s",
                     r.status, r.body ? r.body : "");
        http_resp_free(&r);
        sleep_ms(200);
    }
    expect_int(&r, "total_checks", 0);
    http_resp_free(&r);

    user_free(&u);
    api_stop_clean(api);
    tcp_proxy_stop(px);
}

int main(void)
{
    harness_require_env();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_stats_periods, harness_test_teardown),
        cmocka_unit_test_teardown(test_stats_empty_monitor, harness_test_teardown),
        cmocka_unit_test_teardown(test_heatmap, harness_test_teardown),
        cmocka_unit_test_teardown(test_leaderboard, harness_test_teardown),
        cmocka_unit_test_teardown(test_dashboard, harness_test_teardown),
        cmocka_unit_test_teardown(test_dashboard_failures_buried, harness_test_teardown),
        cmocka_unit_test_teardown(test_history, harness_test_teardown),
        cmocka_unit_test_teardown(test_incidents_anomalies, harness_test_teardown),
        cmocka_unit_test_teardown(test_rollup_changes_nothing, harness_test_teardown),
        cmocka_unit_test_teardown(test_names_escaped, harness_test_teardown),
        cmocka_unit_test_teardown(test_bad_parameters, harness_test_teardown),
        cmocka_unit_test_teardown(test_other_users_and_auth, harness_test_teardown),
        cmocka_unit_test_teardown(test_database_outage, harness_test_teardown),
    };
    return harness_finish(
        cmocka_run_group_tests(tests, harness_group_setup, harness_group_teardown));
}
