/* runner_harness: what the runner's integration tests add to harness.h — starting and
 * stopping statushawk-runner processes (SH_RUNNER_BIN) with the test database, Redis
 * and key prefix; making monitors with SQL and putting them on the schedule with the
 * spec SQL the api and the reconciler use (MONITOR_SPEC_SQL); reading the alert stream;
 * scraping the runner's /metrics; waiting for conditions. */
#ifndef STATUSHAWK_TESTS_INTEGRATION_RUNNER_HARNESS_H
#define STATUSHAWK_TESTS_INTEGRATION_RUNNER_HARNESS_H

#include <hiredis/hiredis.h>
#include <stdint.h>
#include <sys/types.h>

#include "harness.h"

/* Call after harness_require_env(): also requires SH_RUNNER_BIN. */
void rh_require_env(void);

struct runner_proc {
    pid_t pid;
    int port; /* RUNNER_HTTP_LISTEN's port */
    char log_path[256];
    int running;
    int exit_status;
};

/* Starts a runner with the test environment (database, Redis, prefix, a free endpoint
 * port, STATUSHAWK_ALLOW_PRIVATE_TARGETS=true, short retry delay and batch interval)
 * changed by env ("NAME=value" or "NAME" to unset, NULL-terminated). Waits for
 * GET /health. Fails the test when it does not come up. */
#define runner_start(env) runner_start_at((env), __FILE__, __LINE__)
struct runner_proc *runner_start_at(const char *const *env, const char *file, int line);
/* SIGTERM and wait (0 = 30 s); the exit status, or -1 after a SIGKILL on timeout. Prints
 * the log when it is not 0 or SH_IT_VERBOSE is set. */
int runner_stop(struct runner_proc *r, int timeout_ms);
/* SIGKILL and reap. */
void runner_kill(struct runner_proc *r);
void runner_free(struct runner_proc *r);
char *runner_log_text(const struct runner_proc *r);
void runner_print_log(const struct runner_proc *r, const char *why);
/* Stops every runner still running (per-test teardown). */
void rh_stop_all(void);
/* Per-test teardown for runner tests: rh_stop_all, the harness's teardown, and the
 * test's Redis keys removed. */
int rh_test_teardown(void **state);
int rh_test_setup(void **state);

/* SIGTERM, assert exit status 0, free. */
#define runner_stop_clean(r)                                                                       \
    do {                                                                                           \
        int rsc_ = runner_stop((r), 0);                                                            \
        if (rsc_ != 0)                                                                             \
            fail_msg("runner exited with status %d after SIGTERM (expected 0)", rsc_);             \
        runner_free(r);                                                                            \
    } while (0)

/* ---- a private Redis ----
 * A redis-server of the test's own on a free port, for what must not touch the shared
 * one (FLUSHALL, a restart). rh_redis() talks to it while it is in use; runners get it
 * through rh_private_redis_env(). */
int rh_private_redis_start(void); /* returns its port */
void rh_private_redis_stop(void); /* SHUTDOWN NOSAVE; rh_redis() goes back to the shared one */
void rh_private_redis_restart(int down_ms); /* stopped for down_ms, then the same port */
const char *rh_private_redis_env(void);     /* "REDIS_URL=redis://127.0.0.1:<port>/0" */

/* ---- Redis (synchronous, cached connection) ---- */
redisContext *rh_redis(void);
/* Runs a command; fails the test when Redis does not answer. freeReplyObject it. */
redisReply *rh_cmd(const char *fmt, ...);
long long rh_cmd_int(const char *fmt, ...);
/* "<prefix><suffix>" in a static rotating buffer. */
const char *rh_key(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Deletes every key under the test prefix. */
void rh_redis_clear(void);

/* ---- monitors ---- */
struct mon_opts {
    const char *name;     /* default "m<n>" */
    const char *type;     /* default HTTP */
    const char *url;      /* required */
    int interval;         /* s, default 1 */
    int timeout_ms;       /* default 1000 */
    int retries;          /* default 0; -1 for 0 explicitly is not needed: 0 is 0 */
    const char *method;   /* default GET */
    const char *headers;  /* JSON object, default {} */
    const char *body;     /* default NULL */
    const char *expected; /* default 200-299 */
    int no_redirects;     /* follow_redirects false */
    int no_verify;        /* verify_tls false */
    double threshold;     /* anomaly_threshold, default 2.0 */
    int window;           /* anomaly_window, default 50 */
    int unscheduled;      /* make the row only */
};
/* Inserts the monitor (for a test user made once per process) and, unless unscheduled,
 * writes its spec and makes it due now. Returns its id. */
long long rh_monitor(const struct mon_opts *o);
/* Writes the spec from PostgreSQL and sets the schedule score to due_ms (0: now). */
void rh_schedule(long long id, int64_t due_ms);
long long rh_user_id(void);

/* ---- results ---- */
long long rh_results(long long id);                         /* rows in check_results */
long long rh_results_where(long long id, const char *cond); /* ... AND (cond) */
/* The newest result's error ("" when NULL, "(none)" when there is no row). New string. */
char *rh_last_error(long long id);
char *rh_status(long long id); /* monitors.status, new string */
int rh_status_is(long long id, const char *want);

/* ---- alerts on <prefix>alerts ---- */
/* Alerts of kind (NULL: any) for monitor (0: any). */
int rh_alert_count(const char *kind, long long monitor_id);
/* Field `name` of the n-th (0-based, oldest first) such alert; new string or NULL. */
char *rh_alert_field(const char *kind, long long monitor_id, int n, const char *name);
/* Its details JSON text. */
char *rh_alert_details(const char *kind, long long monitor_id, int n);

/* ---- the runner's endpoint ---- */
/* GET path on the runner; fills resp (harness's http_resp). */
int rh_get(const struct runner_proc *r, const char *path, struct http_resp *resp);
/* method (GET, POST, ...) path on the runner. */
int rh_send(const struct runner_proc *r, const char *method, const char *path,
            struct http_resp *resp);
/* Runs a runner that is expected to exit by itself (bad configuration): its exit status
 * (or -1 after 10 s) and its output (new string) in *log. */
int rh_runner_exit(const char *const *env, char **log);
/* A sample's value from /metrics ("name" or "name{labels}"), -1 when absent. */
double rh_metric(const struct runner_proc *r, const char *sample);

/* ---- waiting ---- */
/* Polls cond every 50 ms for up to timeout_ms; fails the test with msg when it stays
 * false. */
#define WAIT_FOR(cond, timeout_ms, ...)                                                            \
    do {                                                                                           \
        int64_t wf_deadline_ = mono_ms() + (timeout_ms);                                           \
        while (!(cond)) {                                                                          \
            if (mono_ms() > wf_deadline_) {                                                        \
                rh_dump_logs();                                                                    \
                fail_msg(__VA_ARGS__);                                                             \
            }                                                                                      \
            sleep_ms(50);                                                                          \
        }                                                                                          \
    } while (0)

/* Wall-clock milliseconds since the epoch (schedule scores). */
int64_t rh_now_ms(void);

/* Prints the logs of the runners still running (when a wait fails). */
void rh_dump_logs(void);

#endif
