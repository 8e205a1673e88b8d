/* notifier_harness: what the notifier's integration tests (test_notifier_*.c) add to
 * harness.h — statushawk-notifier processes (SH_NOTIFIER_BIN), alerts put on the stream as
 * the runner and the api do (common/alert.h), users and channels in the test database,
 * and a webhook receiver on loopback.
 *
 * Each test calls nt_begin() first: it gets its own Redis key prefix, so a notifier a
 * failed test left behind never reads the next test's stream. nt_teardown (a cmocka
 * teardown) stops every notifier the test started. */
#ifndef STATUSHAWK_TESTS_INTEGRATION_NOTIFIER_HARNESS_H
#define STATUSHAWK_TESTS_INTEGRATION_NOTIFIER_HARNESS_H

#include "harness.h"

#include <hiredis/hiredis.h>
#include <jansson.h>
#include <stdint.h>

/* Exits when SH_NOTIFIER_BIN is missing (besides harness_require_env's checks). */
void nt_require_env(void);

/* A fresh Redis prefix for this test ("sh:it:<pid>:t<n>:"). Borrowed until the next call. */
const char *nt_begin(void);
const char *nt_prefix(void);
/* Group teardown: harness_group_teardown, and the notifiers' logs removed. */
int nt_group_teardown(void **state);
/* cmocka teardown: stops this test's notifiers (printing the log of any that did not exit
 * 0) and the harness's own leftovers. */
int nt_teardown(void **state);

/* ---- notifier processes (struct api from harness.h: api_stop, api_log, http_request) ---- */

/* Starts a notifier with the test environment (test database, Redis and prefix, a free
 * port, short delays: claim idle 2 s, retries 100..500 ms, ...) changed by env (as for
 * api_start: "NAME=value" sets, "NAME" unsets). Waits for GET /health. Fails the test when
 * it does not come up. */
#define nt_start(...) nt_start_at((__VA_ARGS__), __FILE__, __LINE__)
struct api *nt_start_at(const char *const *env, const char *file, int line);
/* Waits until GET /ready answers 200 (PostgreSQL and Redis connected). */
void nt_wait_ready(struct api *n);
/* SIGKILL, as a crash. */
void nt_kill(struct api *n);
/* Stops n if it still runs (SIGTERM), forgets and frees it. */
void nt_free(struct api *n);
/* SIGTERM; asserts the exit status is 0; frees n. */
#define nt_stop_clean(n)                                                                           \
    do {                                                                                           \
        int nt_rc_ = api_stop((n), 0);                                                             \
        if (nt_rc_ != 0)                                                                           \
            fail_msg("notifier exited with status %d after SIGTERM (expected 0)", nt_rc_);         \
        nt_free(n);                                                                                \
    } while (0)
/* The notifier's standard output so far (the console channel). New string. */
char *nt_stdout(const struct api *n);
/* The value of an unlabelled metric, or of name{label} ("sent_total{provider=\"console\"}"
 * without the common prefix statushawk_notifier_); -1 when absent. */
double nt_metric(struct api *n, const char *name);
/* Occurrences of needle in s. */
int nt_count(const char *s, const char *needle);

/* ---- the stream ---- */

/* A synchronous Redis connection (cached). */
redisContext *nt_redis(void);
/* Runs a command (printf-style) and returns the reply; fails the test on a connection
 * error. freeReplyObject it. */
redisReply *nt_cmd(const char *fmt, ...);

struct nt_alert {
    const char *kind; /* NULL = "down" */
    long long user_id;
    long long channel_id; /* 0 = all active channels */
    long long monitor_id; /* 0 = none */
    const char *name;     /* NULL = "Monitor" */
    const char *url;      /* NULL = "https://example.com/" */
    const char *details;  /* JSON, NULL = {} */
    const char *alert_id; /* NULL = a fresh one */
};
/* XADDs the alert to <prefix>alerts. Returns its alert_id (new string). */
char *nt_xadd(const struct nt_alert *a);
/* Entries of the group not yet acknowledged (XPENDING). */
long long nt_stream_pending(void);
/* Members of <prefix>alerts:retry. */
long long nt_retry_queue(void);

/* ---- the database ---- */

/* A new active user; returns its id. */
long long nt_user(void);
/* A channel of user (config: JSON text); returns its id. */
long long nt_channel(long long user_id, const char *provider, const char *config, int active);
/* A monitor of user named name; returns its id. */
long long nt_monitor(long long user_id, const char *name, const char *url);
/* Waits up to timeout_ms until at least want notification_log rows of alert_id are
 * finished (success or failure). Returns how many are finished then. */
int nt_wait_done(const char *alert_id, int want, int timeout_ms);
/* The row of (alert_id, channel_id): status, attempts, last_error (NULL-able strings,
 * free them); 0 when found. */
int nt_log_row(const char *alert_id, long long channel_id, char **status, int *attempts,
               char **last_error);
/* Fails the test unless the row has that status and number of attempts. */
#define nt_expect_row(alert_id, channel_id, status, attempts)                                      \
    nt_expect_row_at((alert_id), (channel_id), (status), (attempts), __FILE__, __LINE__)
void nt_expect_row_at(const char *alert_id, long long channel_id, const char *status, int attempts,
                      const char *file, int line);

/* ---- a webhook receiver ---- */

struct nt_hook;
/* An HTTP server on a free loopback port on its own thread. Answers 200 unless told
 * otherwise; records every request. */
struct nt_hook *nt_hook_start(void);
void nt_hook_stop(struct nt_hook *h);
/* "http://127.0.0.1:<port>/hook" (borrowed). */
const char *nt_hook_url(const struct nt_hook *h);
/* The next `times` requests get status after delay_ms (status 0: no answer at all). */
void nt_hook_respond(struct nt_hook *h, int status, int delay_ms, int times);
/* Requests so far; waits up to timeout_ms for at least n. */
int nt_hook_wait(struct nt_hook *h, int n, int timeout_ms);
/* Request i as {"method","path","headers":{lower-case name: value},"body","at_ms"}. New. */
json_t *nt_hook_request(struct nt_hook *h, int i);

/* ---- small things ---- */

/* Polls cond every 20 ms for up to timeout_ms; 1 when it became true. */
#define nt_eventually(cond, timeout_ms)                                                            \
    __extension__({                                                                                \
        int64_t nt_deadline_ = mono_ms() + (timeout_ms);                                           \
        int nt_ok_ = 0;                                                                            \
        while (!(nt_ok_ = (cond)) && mono_ms() < nt_deadline_)                                     \
            sleep_ms(20);                                                                          \
        nt_ok_;                                                                                    \
    })

#endif
