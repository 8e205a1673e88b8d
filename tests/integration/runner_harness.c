/* runner_harness: see runner_harness.h. */
#include "runner_harness.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/redis.h"
#include "common/schedule.h"

#define MAX_RUNNERS 16
#define HEALTH_WAIT_MS 15000
#define ENV_MAX 64

static const char *g_runner_bin;
static struct runner_proc *g_runners[MAX_RUNNERS];
static redisContext *g_redis;
static pid_t g_private_pid;
static int g_private_port;
static char g_private_env[64];
static long long g_user_id;
static unsigned g_nmon, g_nlog;
static char g_logdir[64];

/* The log directory goes at exit with whatever is left in it (the private Redis's log;
 * runner logs are removed as each runner is freed). */
static void remove_logdir(void)
{
    DIR *d = opendir(g_logdir);
    struct dirent *e;

    if (!d)
        return;
    while ((e = readdir(d)) != NULL) {
        char path[512];
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(path, sizeof(path), "%s/%s", g_logdir, e->d_name);
        unlink(path);
    }
    closedir(d);
    rmdir(g_logdir);
}

void rh_require_env(void)
{
    g_runner_bin = getenv("SH_RUNNER_BIN");
    if (!g_runner_bin || !*g_runner_bin) {
        fprintf(stderr, "runner integration tests: SH_RUNNER_BIN is not set; run scripts/test\n");
        exit(1);
    }
    if (access(g_runner_bin, X_OK) != 0) {
        fprintf(stderr, "SH_RUNNER_BIN=%s is not executable: %s\n", g_runner_bin, strerror(errno));
        exit(1);
    }
    snprintf(g_logdir, sizeof(g_logdir), "/tmp/sh_rt_%ld_XXXXXX", (long)getpid());
    if (!mkdtemp(g_logdir)) {
        fprintf(stderr, "mkdtemp: %s\n", strerror(errno));
        exit(1);
    }
    atexit(remove_logdir);
}

/* ---- processes ---- */

struct envv {
    char *v[ENV_MAX + 1];
    int n;
};

static void env_set(struct envv *e, const char *item)
{
    const char *eq = strchr(item, '=');
    size_t nl = eq ? (size_t)(eq - item) : strlen(item);

    for (int i = 0; i < e->n; i++) {
        if (strncmp(e->v[i], item, nl) == 0 && e->v[i][nl] == '=') {
            free(e->v[i]);
            if (eq) {
                e->v[i] = xasprintf("%s", item);
            } else {
                e->v[i] = e->v[--e->n];
                e->v[e->n] = NULL;
            }
            return;
        }
    }
    if (eq && e->n < ENV_MAX) {
        e->v[e->n++] = xasprintf("%s", item);
        e->v[e->n] = NULL;
    }
}

static void env_free(struct envv *e)
{
    for (int i = 0; i < e->n; i++)
        free(e->v[i]);
    e->n = 0;
}

static int status_of(int st)
{
    if (WIFEXITED(st))
        return WEXITSTATUS(st);
    if (WIFSIGNALED(st))
        return 128 + WTERMSIG(st);
    return -1;
}

static pid_t spawn(char *const *argv, char *const *envp, int log_fd)
{
    pid_t parent = getpid();
    pid_t pid = fork();
    int devnull;

    if (pid != 0)
        return pid;
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent)
        _exit(127);
    signal(SIGPIPE, SIG_DFL);
    {
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
    }
    devnull = open("/dev/null", O_RDONLY);
    if (devnull >= 0)
        dup2(devnull, 0);
    dup2(log_fd, 1);
    dup2(log_fd, 2);
    for (int fd = 3; fd < 1024; fd++)
        close(fd);
    execve(argv[0], argv, envp);
    _exit(127);
}

int rh_get(const struct runner_proc *r, const char *path, struct http_resp *resp)
{
    return rh_send(r, "GET", path, resp);
}

int rh_send(const struct runner_proc *r, const char *method, const char *path,
            struct http_resp *resp)
{
    struct api fake;
    struct http_req req = {
        .method = method, .path = path, .src_ip = "127.0.0.1", .timeout_ms = 5000};

    memset(&fake, 0, sizeof(fake));
    fake.port = r->port;
    snprintf(fake.base_url, sizeof(fake.base_url), "http://127.0.0.1:%d", r->port);
    return http_request(&fake, &req, resp);
}

static int alive(struct runner_proc *r)
{
    int st;
    if (!r->running)
        return 0;
    if (waitpid(r->pid, &st, WNOHANG) == r->pid) {
        r->running = 0;
        r->exit_status = status_of(st);
        return 0;
    }
    return 1;
}

char *runner_log_text(const struct runner_proc *r)
{
    return harness_read_file(r->log_path);
}

void runner_print_log(const struct runner_proc *r, const char *why)
{
    char *log = runner_log_text(r);
    size_t len = strlen(log);
    const char *from = len > 16000 ? log + len - 16000 : log;
    fprintf(stderr, "---- runner pid %d (%s); log %s ----\n%s\n---- end of runner log ----\n",
            (int)r->pid, why, r->log_path, from);
    free(log);
}

void rh_dump_logs(void)
{
    for (int i = 0; i < MAX_RUNNERS; i++)
        if (g_runners[i])
            runner_print_log(g_runners[i], "test condition not met");
}

struct runner_proc *runner_start_at(const char *const *env, const char *file, int line)
{
    struct runner_proc *r = calloc(1, sizeof(*r));
    struct envv e = {0};
    static const char *const pass[] = {
        "PATH", "ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS", "LD_LIBRARY_PATH", "TMPDIR", NULL};
    char *argv[3];
    char *pg = harness_pg_url(NULL, NULL, 0);
    int fd;
    int64_t deadline;

    if (!r)
        abort();
    for (int i = 0; pass[i]; i++)
        if (getenv(pass[i])) {
            char *item = xasprintf("%s=%s", pass[i], getenv(pass[i]));
            env_set(&e, item);
            free(item);
        }
    r->port = harness_free_port();
    {
        char *items[] = {
            xasprintf("DATABASE_URL=%s", pg),
            xasprintf("REDIS_URL=%s", harness_redis_url()),
            xasprintf("STATUSHAWK_REDIS_PREFIX=%s", harness_redis_prefix()),
            xasprintf("RUNNER_HTTP_LISTEN=127.0.0.1:%d", r->port),
            xasprintf("LOG_LEVEL=%s", getenv("SH_IT_VERBOSE") ? "debug" : "info"),
            xasprintf("STATUSHAWK_ALLOW_PRIVATE_TARGETS=true"),
            xasprintf("RETRY_DELAY=1"),
            xasprintf("RUNNER_BATCH_INTERVAL_MS=50"),
            xasprintf("RUNNER_LEASE_MARGIN_MS=2000"),
            xasprintf("RUNNER_SHUTDOWN_TIMEOUT=10"),
        };
        for (size_t i = 0; i < sizeof(items) / sizeof(items[0]); i++) {
            env_set(&e, items[i]);
            free(items[i]);
        }
    }
    free(pg);
    for (int i = 0; env && env[i]; i++)
        env_set(&e, env[i]);
    snprintf(r->log_path, sizeof(r->log_path), "%s/runner-%u.log", g_logdir, g_nlog++);
    fd = open(r->log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        abort();
    argv[0] = (char *)g_runner_bin;
    argv[1] = (char *)"run";
    argv[2] = NULL;
    r->pid = spawn(argv, e.v, fd);
    close(fd);
    env_free(&e);
    if (r->pid < 0)
        fail_msg("%s:%d: fork: %s", file, line, strerror(errno));
    r->running = 1;
    for (int i = 0; i < MAX_RUNNERS; i++)
        if (!g_runners[i]) {
            g_runners[i] = r;
            break;
        }
    deadline = mono_ms() + HEALTH_WAIT_MS;
    while (mono_ms() < deadline) {
        struct http_resp resp;
        int rc;
        if (!alive(r)) {
            runner_print_log(r, "exited before it was healthy");
            fail_msg("%s:%d: the runner exited with status %d at start", file, line,
                     r->exit_status);
        }
        rc = rh_get(r, "/health", &resp);
        long st = resp.status;
        http_resp_free(&resp);
        if (rc == 0 && st == 200)
            return r;
        sleep_ms(50);
    }
    runner_print_log(r, "not healthy in time");
    fail_msg("%s:%d: the runner did not answer GET /health", file, line);
    return NULL;
}

int rh_runner_exit(const char *const *env, char **log)
{
    struct runner_proc r;
    struct envv e = {0};
    char *argv[3];
    char *pg = harness_pg_url(NULL, NULL, 0);
    char *items[3];
    int fd, st;
    int64_t deadline = mono_ms() + 10000;

    memset(&r, 0, sizeof(r));
    items[0] = xasprintf("DATABASE_URL=%s", pg);
    items[1] = xasprintf("REDIS_URL=%s", harness_redis_url());
    items[2] = xasprintf("PATH=%s", getenv("PATH") ? getenv("PATH") : "/usr/bin:/bin");
    for (int i = 0; i < 3; i++) {
        env_set(&e, items[i]);
        free(items[i]);
    }
    free(pg);
    if (getenv("ASAN_OPTIONS")) {
        char *a = xasprintf("ASAN_OPTIONS=%s", getenv("ASAN_OPTIONS"));
        env_set(&e, a);
        free(a);
    }
    for (int i = 0; env && env[i]; i++)
        env_set(&e, env[i]);
    snprintf(r.log_path, sizeof(r.log_path), "%s/runner-%u.log", g_logdir, g_nlog++);
    fd = open(r.log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        abort();
    argv[0] = (char *)g_runner_bin;
    argv[1] = (char *)"run";
    argv[2] = NULL;
    r.pid = spawn(argv, e.v, fd);
    close(fd);
    env_free(&e);
    r.exit_status = -1;
    while (mono_ms() < deadline) {
        if (waitpid(r.pid, &st, WNOHANG) == r.pid) {
            r.exit_status = status_of(st);
            break;
        }
        sleep_ms(20);
    }
    if (r.exit_status == -1) {
        kill(r.pid, SIGKILL);
        waitpid(r.pid, &st, 0);
    }
    *log = runner_log_text(&r);
    unlink(r.log_path);
    return r.exit_status;
}

static int reap(struct runner_proc *r, int timeout_ms)
{
    int64_t deadline = mono_ms() + timeout_ms;
    int st;

    while (mono_ms() < deadline) {
        pid_t p = waitpid(r->pid, &st, WNOHANG);
        if (p == r->pid) {
            r->running = 0;
            r->exit_status = status_of(st);
            return r->exit_status;
        }
        sleep_ms(20);
    }
    kill(r->pid, SIGKILL);
    waitpid(r->pid, &st, 0);
    r->running = 0;
    r->exit_status = -1;
    return -1;
}

int runner_stop(struct runner_proc *r, int timeout_ms)
{
    if (!r->running)
        return r->exit_status;
    kill(r->pid, SIGTERM);
    reap(r, timeout_ms > 0 ? timeout_ms : 30000);
    if (r->exit_status != 0)
        runner_print_log(r, r->exit_status < 0 ? "did not exit after SIGTERM; killed" : "stopped");
    else if (getenv("SH_IT_VERBOSE"))
        runner_print_log(r, "stopped");
    return r->exit_status;
}

void runner_kill(struct runner_proc *r)
{
    int st;
    if (!r->running)
        return;
    kill(r->pid, SIGKILL);
    waitpid(r->pid, &st, 0);
    r->running = 0;
    r->exit_status = status_of(st);
}

void runner_free(struct runner_proc *r)
{
    if (!r)
        return;
    if (r->running)
        runner_stop(r, 10000);
    for (int i = 0; i < MAX_RUNNERS; i++)
        if (g_runners[i] == r)
            g_runners[i] = NULL;
    unlink(r->log_path);
    free(r);
}

void rh_stop_all(void)
{
    for (int i = 0; i < MAX_RUNNERS; i++) {
        struct runner_proc *r = g_runners[i];
        if (!r)
            continue;
        if (r->running) {
            int rc = runner_stop(r, 15000);
            if (rc == 0)
                runner_print_log(r, "left running by the test");
        }
        runner_free(r);
    }
}

/* ---- Redis ---- */

static void spawn_private_redis(void)
{
    char port[16];
    char *argv[] = {"/usr/bin/env", "redis-server", "--port", port,
                    "--bind",       "127.0.0.1",    "--save", "",
                    "--appendonly", "no",           NULL};
    static char *envp[] = {"PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin", NULL};
    char log_path[256];
    int fd;
    int64_t deadline;

    snprintf(port, sizeof(port), "%d", g_private_port);
    snprintf(log_path, sizeof(log_path), "%s/redis-%d.log", g_logdir, g_private_port);
    fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0)
        abort();
    g_private_pid = spawn(argv, envp, fd);
    close(fd);
    deadline = mono_ms() + 10000;
    while (mono_ms() < deadline) {
        struct timeval tv = {1, 0};
        redisContext *c = redisConnectWithTimeout("127.0.0.1", g_private_port, tv);
        redisReply *r = c && !c->err ? redisCommand(c, "PING") : NULL;
        int ok = r && r->type == REDIS_REPLY_STATUS;
        freeReplyObject(r);
        if (c)
            redisFree(c);
        if (ok)
            return;
        sleep_ms(50);
    }
    fail_msg("the private redis-server on port %d did not start (log %s)", g_private_port,
             log_path);
}

static void drop_cached_redis(void)
{
    if (g_redis)
        redisFree(g_redis);
    g_redis = NULL;
}

int rh_private_redis_start(void)
{
    g_private_port = harness_free_port();
    snprintf(g_private_env, sizeof(g_private_env), "REDIS_URL=redis://127.0.0.1:%d/0",
             g_private_port);
    spawn_private_redis();
    drop_cached_redis();
    return g_private_port;
}

static void private_redis_down(void)
{
    int st;
    if (g_private_pid <= 0)
        return;
    kill(g_private_pid, SIGKILL);
    waitpid(g_private_pid, &st, 0);
    g_private_pid = 0;
    drop_cached_redis();
}

void rh_private_redis_stop(void)
{
    private_redis_down();
    g_private_port = 0;
}

void rh_private_redis_restart(int down_ms)
{
    private_redis_down();
    sleep_ms(down_ms);
    spawn_private_redis();
}

const char *rh_private_redis_env(void)
{
    return g_private_env;
}

redisContext *rh_redis(void)
{
    struct redis_target t;
    char err[256];
    struct timeval tv = {5, 0};

    if (g_redis)
        return g_redis;
    if (g_private_port) {
        g_redis = redisConnectWithTimeout("127.0.0.1", g_private_port, tv);
        if (!g_redis || g_redis->err)
            fail_msg("cannot connect to the private Redis on port %d", g_private_port);
        return g_redis;
    }
    if (redis_url_parse(harness_redis_url(), &t, err, sizeof(err)) != 0)
        fail_msg("TEST_REDIS_URL: %s", err);
    g_redis = redisConnectWithTimeout(t.host, t.port, tv);
    if (!g_redis || g_redis->err)
        fail_msg("cannot connect to Redis at %s:%d", t.host, t.port);
    if (t.db) {
        redisReply *r = redisCommand(g_redis, "SELECT %d", t.db);
        freeReplyObject(r);
    }
    return g_redis;
}

static redisReply *vcmd(const char *fmt, va_list ap)
{
    redisContext *c = rh_redis();
    redisReply *r = redisvCommand(c, fmt, ap);
    if (!r)
        fail_msg("Redis did not answer: %s", c->errstr);
    if (r->type == REDIS_REPLY_ERROR) {
        char msg[256];
        snprintf(msg, sizeof(msg), "%s", r->str);
        freeReplyObject(r);
        fail_msg("Redis refused a command: %s", msg);
    }
    return r;
}

redisReply *rh_cmd(const char *fmt, ...)
{
    va_list ap;
    redisReply *r;
    va_start(ap, fmt);
    r = vcmd(fmt, ap);
    va_end(ap);
    return r;
}

long long rh_cmd_int(const char *fmt, ...)
{
    va_list ap;
    redisReply *r;
    long long v = 0;
    va_start(ap, fmt);
    r = vcmd(fmt, ap);
    va_end(ap);
    if (r->type == REDIS_REPLY_INTEGER)
        v = r->integer;
    else if (r->type == REDIS_REPLY_STRING)
        v = strtoll(r->str, NULL, 10);
    freeReplyObject(r);
    return v;
}

const char *rh_key(const char *fmt, ...)
{
    static char bufs[8][256];
    static unsigned next;
    char *b = bufs[next++ % 8];
    size_t n = (size_t)snprintf(b, 256, "%s", harness_redis_prefix());
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(b + n, 256 - n, fmt, ap);
    va_end(ap);
    return b;
}

void rh_redis_clear(void)
{
    char cursor[32] = "0";
    do {
        redisReply *r = rh_cmd("SCAN %s MATCH %s* COUNT 1000", cursor, harness_redis_prefix());
        snprintf(cursor, sizeof(cursor), "%s", r->element[0]->str);
        for (size_t i = 0; i < r->element[1]->elements; i++) {
            redisReply *d = rh_cmd("DEL %s", r->element[1]->element[i]->str);
            freeReplyObject(d);
        }
        freeReplyObject(r);
    } while (strcmp(cursor, "0") != 0);
}

int rh_test_setup(void **state)
{
    (void)state;
    /* Monitors of earlier tests in this file must not be checked (or re-scheduled by a
     * reconciler) during this one. */
    PGresult *res = db_query("UPDATE monitors SET is_active = false, status = 'PAUSED'", NULL);
    PQclear(res);
    rh_redis_clear();
    return 0;
}

int rh_test_teardown(void **state)
{
    rh_stop_all();
    rh_private_redis_stop();
    return harness_test_teardown(state);
}

/* ---- monitors ---- */

long long rh_user_id(void)
{
    if (!g_user_id) {
        char *email = unique_email("runner");
        g_user_id = db_scalar_int("INSERT INTO users (email, password) VALUES ($1, 'x') "
                                  "RETURNING id",
                                  email, NULL);
        free(email);
    }
    return g_user_id;
}

int64_t rh_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void rh_schedule(long long id, int64_t due_ms)
{
    char ids[24];
    char *spec;
    redisReply *r;

    snprintf(ids, sizeof(ids), "%lld", id);
    spec = db_scalar("SELECT " MONITOR_SPEC_SQL " FROM monitors m WHERE m.id = $1", ids, NULL);
    if (!spec)
        fail_msg("monitor %lld does not exist", id);
    if (!due_ms)
        due_ms = rh_now_ms();
    r = rh_cmd("SET %s %s", rh_key("monitor:%lld", id), spec);
    freeReplyObject(r);
    r = rh_cmd("ZADD %s %lld %lld", rh_key("schedule"), (long long)due_ms, id);
    freeReplyObject(r);
    free(spec);
}

long long rh_monitor(const struct mon_opts *o)
{
    char name[64], interval[16], timeout[16], retries[16], threshold[32], window[16];
    long long id;
    char user[24];

    snprintf(user, sizeof(user), "%lld", rh_user_id());
    snprintf(name, sizeof(name), "%s", o->name ? o->name : "");
    if (!o->name)
        snprintf(name, sizeof(name), "m%u", ++g_nmon);
    snprintf(interval, sizeof(interval), "%d", o->interval ? o->interval : 1);
    snprintf(timeout, sizeof(timeout), "%d", o->timeout_ms ? o->timeout_ms : 1000);
    snprintf(retries, sizeof(retries), "%d", o->retries);
    snprintf(threshold, sizeof(threshold), "%g", o->threshold > 0 ? o->threshold : 2.0);
    snprintf(window, sizeof(window), "%d", o->window ? o->window : 50);
    id = db_scalar_int(
        "INSERT INTO monitors (user_id, name, url, monitor_type, \"interval\", timeout_ms,"
        " retries, method, headers, body, expected_status, follow_redirects, verify_tls,"
        " anomaly_threshold, anomaly_window)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb, NULLIF($10, ''), $11, $12, $13, $14, "
        "$15)"
        " RETURNING id",
        user, name, o->url, o->type ? o->type : "HTTP", interval, timeout, retries,
        o->method ? o->method : "GET", o->headers ? o->headers : "{}", o->body ? o->body : "",
        o->expected ? o->expected : "200-299", o->no_redirects ? "false" : "true",
        o->no_verify ? "false" : "true", threshold, window, NULL);
    if (!o->unscheduled)
        rh_schedule(id, 0);
    return id;
}

long long rh_results(long long id)
{
    char ids[24];
    snprintf(ids, sizeof(ids), "%lld", id);
    return db_scalar_int("SELECT count(*) FROM check_results WHERE monitor_id = $1", ids, NULL);
}

long long rh_results_where(long long id, const char *cond)
{
    char ids[24], *sql = xasprintf("SELECT count(*) FROM check_results WHERE monitor_id = $1 "
                                   "AND (%s)",
                                   cond);
    long long n;
    snprintf(ids, sizeof(ids), "%lld", id);
    n = db_scalar_int(sql, ids, NULL);
    free(sql);
    return n;
}

char *rh_last_error(long long id)
{
    char ids[24];
    PGresult *res;
    char *out;

    snprintf(ids, sizeof(ids), "%lld", id);
    res = db_query("SELECT coalesce(error, '') FROM check_results WHERE monitor_id = $1"
                   " ORDER BY checked_at DESC, id DESC LIMIT 1",
                   ids, NULL);
    out = xasprintf("%s", PQntuples(res) ? PQgetvalue(res, 0, 0) : "(none)");
    PQclear(res);
    return out;
}

int rh_status_is(long long id, const char *want)
{
    char *s = rh_status(id);
    int eq = strcmp(s, want) == 0;
    free(s);
    return eq;
}

char *rh_status(long long id)
{
    char ids[24];
    char *s;
    snprintf(ids, sizeof(ids), "%lld", id);
    s = db_scalar("SELECT status FROM monitors WHERE id = $1", ids, NULL);
    return s ? s : xasprintf("%s", "(none)");
}

/* ---- alerts ---- */

static const char *field(const redisReply *fields, const char *name)
{
    for (size_t i = 0; i + 1 < fields->elements; i += 2)
        if (strcmp(fields->element[i]->str, name) == 0)
            return fields->element[i + 1]->str;
    return NULL;
}

/* Walks the stream; returns the count of matches and, in *value, field `name` of the
 * n-th. */
static int scan_alerts(const char *kind, long long monitor_id, int n, const char *name,
                       char **value)
{
    redisReply *r = rh_cmd("XRANGE %s - +", rh_key("alerts"));
    int count = 0;

    if (value)
        *value = NULL;
    for (size_t i = 0; r->type == REDIS_REPLY_ARRAY && i < r->elements; i++) {
        const redisReply *fields = r->element[i]->element[1];
        const char *k = field(fields, "kind"), *m = field(fields, "monitor_id");
        if (kind && (!k || strcmp(k, kind) != 0))
            continue;
        if (monitor_id && (!m || strtoll(m, NULL, 10) != monitor_id))
            continue;
        if (value && count == n && field(fields, name))
            *value = xasprintf("%s", field(fields, name));
        count++;
    }
    freeReplyObject(r);
    return count;
}

int rh_alert_count(const char *kind, long long monitor_id)
{
    return scan_alerts(kind, monitor_id, -1, NULL, NULL);
}

char *rh_alert_field(const char *kind, long long monitor_id, int n, const char *name)
{
    char *v;
    scan_alerts(kind, monitor_id, n, name, &v);
    return v;
}

char *rh_alert_details(const char *kind, long long monitor_id, int n)
{
    return rh_alert_field(kind, monitor_id, n, "details");
}

double rh_metric(const struct runner_proc *r, const char *sample)
{
    struct http_resp resp;
    double v = -1;
    size_t n = strlen(sample);

    if (rh_get(r, "/metrics", &resp) == 0 && resp.status == 200) {
        const char *p = resp.body;
        while (p && *p) {
            if (strncmp(p, sample, n) == 0 && p[n] == ' ') {
                v = strtod(p + n + 1, NULL);
                break;
            }
            p = strchr(p, '\n');
            if (p)
                p++;
        }
    }
    http_resp_free(&resp);
    return v;
}
