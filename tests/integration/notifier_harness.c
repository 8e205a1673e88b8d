/* notifier_harness: see notifier_harness.h. */
#include "notifier_harness.h"

#include <errno.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/thread.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/alert.h"
#include "common/redis.h"

#define MAX_PROCS 32
#define START_WAIT_MS 15000

static const char *g_bin;
static char g_prefix[96];
static unsigned g_test_no;
static char g_dir[64];
static redisContext *g_redis;
static struct api *g_procs[MAX_PROCS];

void nt_require_env(void)
{
    harness_require_env();
    g_bin = getenv("SH_NOTIFIER_BIN");
    if (!g_bin || access(g_bin, X_OK) != 0) {
        fprintf(stderr, "notifier tests: SH_NOTIFIER_BIN is not set or not executable; run "
                        "scripts/test (ctest sets it)\n");
        exit(1);
    }
    snprintf(g_dir, sizeof(g_dir), "/tmp/sh_nt_%ld_XXXXXX", (long)getpid());
    if (!mkdtemp(g_dir)) {
        fprintf(stderr, "notifier tests: mkdtemp: %s\n", strerror(errno));
        exit(1);
    }
}

const char *nt_begin(void)
{
    snprintf(g_prefix, sizeof(g_prefix), "%st%u:", harness_redis_prefix(), ++g_test_no);
    return g_prefix;
}

const char *nt_prefix(void)
{
    return g_prefix[0] ? g_prefix : nt_begin();
}

/* ---- processes ---- */

static void track(struct api *a)
{
    for (int i = 0; i < MAX_PROCS; i++)
        if (!g_procs[i]) {
            g_procs[i] = a;
            return;
        }
}

int nt_teardown(void **state)
{
    for (int i = 0; i < MAX_PROCS; i++) {
        struct api *a = g_procs[i];
        if (!a)
            continue;
        g_procs[i] = NULL;
        if (a->running) {
            int rc = api_stop(a, 20000);
            if (rc != 0)
                fprintf(stderr, "notifier left running by the test exited with %d\n", rc);
        }
        free(a);
    }
    return harness_test_teardown(state);
}

int nt_group_teardown(void **state)
{
    char cmd[128];
    if (g_redis)
        redisFree(g_redis);
    g_redis = NULL;
    if (g_dir[0] && strncmp(g_dir, "/tmp/sh_nt_", 11) == 0) {
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", g_dir);
        if (system(cmd) != 0)
            fprintf(stderr, "notifier tests: could not remove %s\n", g_dir);
    }
    return harness_group_teardown(state);
}

static void env_set(char ***envp, size_t *n, const char *item)
{
    const char *eq = strchr(item, '=');
    size_t klen = eq ? (size_t)(eq - item) : strlen(item);
    for (size_t i = 0; i < *n; i++) {
        if (strncmp((*envp)[i], item, klen) == 0 && (*envp)[i][klen] == '=') {
            free((*envp)[i]);
            if (eq) {
                (*envp)[i] = strdup(item);
            } else {
                (*envp)[i] = (*envp)[*n - 1];
                (*n)--;
            }
            return;
        }
    }
    if (!eq)
        return;
    *envp = realloc(*envp, (*n + 2) * sizeof(char *));
    (*envp)[(*n)++] = strdup(item);
    (*envp)[*n] = NULL;
}

static pid_t spawn(const char *bin, char **envp, const char *out, const char *err)
{
    int ofd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    int efd = open(err, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    pid_t parent = getpid();
    if (ofd < 0 || efd < 0)
        abort();
    pid_t pid = fork();
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent)
            _exit(127);
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        signal(SIGPIPE, SIG_DFL);
        int devnull = open("/dev/null", O_RDONLY);
        if (devnull >= 0)
            dup2(devnull, 0);
        dup2(ofd, 1);
        dup2(efd, 2);
        for (int fd = 3; fd < 1024; fd++)
            close(fd);
        char *argv[] = {(char *)bin, NULL};
        execve(bin, argv, envp);
        _exit(127);
    }
    close(ofd);
    close(efd);
    return pid;
}

struct api *nt_start_at(const char *const *env, const char *file, int line)
{
    static unsigned nstarted;
    static const char *const pass[] = {
        "PATH", "ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS", "LD_LIBRARY_PATH", "TMPDIR", NULL};
    struct api *a = calloc(1, sizeof(*a));
    char **envp = calloc(1, sizeof(char *));
    size_t n = 0;
    unsigned k = nstarted++;

    if (!a || !envp)
        abort();
    a->port = harness_free_port();
    snprintf(a->base_url, sizeof(a->base_url), "http://127.0.0.1:%d", a->port);
    snprintf(a->log_path, sizeof(a->log_path), "%s/notifier-%u.log", g_dir, k);
    snprintf(a->out_path, sizeof(a->out_path), "%s/notifier-%u.out", g_dir, k);
    for (int i = 0; pass[i]; i++) {
        const char *v = getenv(pass[i]);
        if (v) {
            char *item = xasprintf("%s=%s", pass[i], v);
            env_set(&envp, &n, item);
            free(item);
        }
    }
    char *url = harness_pg_url(NULL, NULL, 0);
    const char *defaults[] = {"REDIS_URL=",
                              "STATUSHAWK_REDIS_PREFIX=",
                              "NOTIFIER_HTTP_LISTEN=",
                              "DATABASE_URL=",
                              "NOTIFIER_CLAIM_IDLE=2",
                              "NOTIFIER_RETRY_DELAYS_MS=100,200,300,400,500",
                              "NOTIFIER_RETRY_JITTER_PCT=10",
                              "NOTIFIER_RETRY_POLL_MS=50",
                              "NOTIFIER_SEND_TIMEOUT_MS=3000",
                              "NOTIFIER_SHUTDOWN_TIMEOUT=15",
                              "NOTIFIER_TG_LOCK_TTL=3",
                              "NOTIFIER_TG_POLL_TIMEOUT=1",
                              "SECRET_KEY=integration-tests-secret-key-not-for-production",
                              "STATUSHAWK_ALLOW_PRIVATE_TARGETS=true",
                              "LOG_LEVEL=info",
                              "LOG_FORMAT=text",
                              NULL};
    for (int i = 0; defaults[i]; i++) {
        char *item;
        if (strcmp(defaults[i], "REDIS_URL=") == 0)
            item = xasprintf("REDIS_URL=%s", harness_redis_url());
        else if (strcmp(defaults[i], "STATUSHAWK_REDIS_PREFIX=") == 0)
            item = xasprintf("STATUSHAWK_REDIS_PREFIX=%s", nt_prefix());
        else if (strcmp(defaults[i], "NOTIFIER_HTTP_LISTEN=") == 0)
            item = xasprintf("NOTIFIER_HTTP_LISTEN=127.0.0.1:%d", a->port);
        else if (strcmp(defaults[i], "DATABASE_URL=") == 0)
            item = xasprintf("DATABASE_URL=%s", url);
        else
            item = strdup(defaults[i]);
        env_set(&envp, &n, item);
        free(item);
    }
    free(url);
    for (int i = 0; env && env[i]; i++)
        env_set(&envp, &n, env[i]);
    a->pid = spawn(g_bin, envp, a->out_path, a->log_path);
    for (size_t i = 0; i < n; i++)
        free(envp[i]);
    free(envp);
    a->running = 1;
    track(a);

    int64_t deadline = mono_ms() + START_WAIT_MS;
    while (mono_ms() < deadline) {
        if (!api_alive(a)) {
            api_print_log(a, "exited before it answered /health");
            fail_msg("%s:%d: statushawk-notifier exited with %d at start", file, line,
                     a->exit_status);
        }
        struct http_req req = {.path = "/health", .src_ip = "127.0.0.1", .timeout_ms = 1000};
        struct http_resp resp;
        int rc = http_request(a, &req, &resp);
        long st = resp.status;
        http_resp_free(&resp);
        if (rc == 0 && st == 200)
            return a;
        sleep_ms(30);
    }
    api_print_log(a, "did not answer /health in time");
    fail_msg("%s:%d: statushawk-notifier did not come up", file, line);
    return NULL;
}

void nt_wait_ready(struct api *n)
{
    int64_t deadline = mono_ms() + START_WAIT_MS;
    while (mono_ms() < deadline) {
        struct http_req req = {.path = "/ready", .src_ip = "127.0.0.1", .timeout_ms = 1000};
        struct http_resp resp;
        int rc = http_request(n, &req, &resp);
        long st = resp.status;
        http_resp_free(&resp);
        if (rc == 0 && st == 200)
            return;
        sleep_ms(30);
    }
    api_print_log(n, "never ready");
    fail_msg("notifier never answered /ready with 200");
}

void nt_free(struct api *n)
{
    if (!n)
        return;
    if (n->running)
        api_stop(n, 20000);
    for (int i = 0; i < MAX_PROCS; i++)
        if (g_procs[i] == n)
            g_procs[i] = NULL;
    free(n);
}

void nt_kill(struct api *n)
{
    if (!n->running)
        return;
    kill(n->pid, SIGKILL);
    api_wait(n, 10000);
}

char *nt_stdout(const struct api *n)
{
    return harness_read_file(n->out_path);
}

int nt_count(const char *s, const char *needle)
{
    int c = 0;
    size_t len = strlen(needle);
    for (const char *p = s; (p = strstr(p, needle)) != NULL; p += len)
        c++;
    return c;
}

double nt_metric(struct api *n, const char *name)
{
    struct http_req req = {.path = "/metrics", .src_ip = "127.0.0.1", .timeout_ms = 3000};
    struct http_resp resp;
    double v = -1;
    char *want = xasprintf("statushawk_notifier_%s ", name);

    if (http_request(n, &req, &resp) == 0 && resp.status == 200) {
        for (const char *line = resp.body; line && *line;) {
            if (strncmp(line, want, strlen(want)) == 0) {
                v = strtod(line + strlen(want), NULL);
                break;
            }
            line = strchr(line, '\n');
            if (line)
                line++;
        }
    }
    http_resp_free(&resp);
    free(want);
    return v;
}

/* ---- Redis ---- */

redisContext *nt_redis(void)
{
    if (g_redis && !g_redis->err)
        return g_redis;
    if (g_redis)
        redisFree(g_redis);
    struct redis_target t;
    char err[256];
    if (redis_url_parse(harness_redis_url(), &t, err, sizeof(err)) != 0)
        fail_msg("TEST_REDIS_URL: %s", err);
    g_redis = redisConnect(t.host, t.port);
    if (!g_redis || g_redis->err || redis_handshake(g_redis, &t) != 0)
        fail_msg("cannot connect to Redis at %s", harness_redis_url());
    return g_redis;
}

redisReply *nt_cmd(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    redisReply *r = redisvCommand(nt_redis(), fmt, ap);
    va_end(ap);
    if (!r)
        fail_msg("Redis command failed: %s", g_redis->errstr);
    return r;
}

char *nt_xadd(const struct nt_alert *in)
{
    char id[ALERT_ID_LEN + 1];
    struct alert a = {0};
    struct alert_xadd cmd;
    json_t *details = NULL;

    if (in->alert_id)
        snprintf(id, sizeof(id), "%s", in->alert_id);
    else if (alert_new_id(id) != 0)
        fail_msg("alert_new_id");
    if (in->details) {
        details = json_loads(in->details, 0, NULL);
        if (!details)
            fail_msg("bad details JSON in the test: %s", in->details);
    }
    snprintf(a.alert_id, sizeof(a.alert_id), "%s", id);
    a.kind = in->kind ? in->kind : "down";
    a.user_id = in->user_id;
    a.channel_id = in->channel_id;
    a.monitor_id = in->monitor_id;
    a.monitor_name = in->name ? in->name : "Monitor";
    a.url = in->url ? in->url : "https://example.com/";
    a.time_ms = (int64_t)time(NULL) * 1000;
    a.details = details;
    if (alert_xadd_build(&a, nt_prefix(), &cmd) != 0)
        fail_msg("alert_xadd_build");
    redisReply *r = redisCommandArgv(nt_redis(), cmd.argc, cmd.argv, cmd.lens);
    if (!r || r->type != REDIS_REPLY_STRING)
        fail_msg("XADD failed: %s", r && r->type == REDIS_REPLY_ERROR ? r->str : "no reply");
    freeReplyObject(r);
    alert_xadd_free(&cmd);
    json_decref(details);
    return strdup(id);
}

long long nt_stream_pending(void)
{
    redisReply *r = nt_cmd("XPENDING %salerts notifiers", nt_prefix());
    long long n = 0;
    if (r->type == REDIS_REPLY_ARRAY && r->elements > 0 &&
        r->element[0]->type == REDIS_REPLY_INTEGER)
        n = r->element[0]->integer;
    freeReplyObject(r);
    return n;
}

long long nt_retry_queue(void)
{
    redisReply *r = nt_cmd("ZCARD %salerts:retry", nt_prefix());
    long long n = r->type == REDIS_REPLY_INTEGER ? r->integer : 0;
    freeReplyObject(r);
    return n;
}

/* ---- the database ---- */

long long nt_user(void)
{
    char *email = unique_email("nt");
    long long id = db_scalar_int(
        "INSERT INTO users (email, password) VALUES ($1, 'unusable') RETURNING id", email, NULL);
    free(email);
    return id;
}

long long nt_channel(long long user_id, const char *provider, const char *config, int active)
{
    char uid[24];
    snprintf(uid, sizeof(uid), "%lld", user_id);
    return db_scalar_int("INSERT INTO notification_channels (user_id, provider, name, config,"
                         " is_active) VALUES ($1, $2, $2, $3::jsonb, $4::boolean) RETURNING id",
                         uid, provider, config ? config : "{}", active ? "true" : "false", NULL);
}

long long nt_monitor(long long user_id, const char *name, const char *url)
{
    char uid[24];
    snprintf(uid, sizeof(uid), "%lld", user_id);
    return db_scalar_int("INSERT INTO monitors (user_id, name, url) VALUES ($1, $2, $3)"
                         " RETURNING id",
                         uid, name, url, NULL);
}

int nt_wait_done(const char *alert_id, int want, int timeout_ms)
{
    int64_t deadline = mono_ms() + timeout_ms;
    long long done = 0;
    for (;;) {
        done = db_scalar_int("SELECT count(*) FROM notification_log WHERE alert_id = $1"
                             " AND status <> 'pending'",
                             alert_id, NULL);
        if (done >= want || mono_ms() > deadline)
            break;
        sleep_ms(20);
    }
    return (int)done;
}

int nt_log_row(const char *alert_id, long long channel_id, char **status, int *attempts,
               char **last_error)
{
    char cid[24];
    snprintf(cid, sizeof(cid), "%lld", channel_id);
    PGresult *r = db_query("SELECT status, attempts, last_error FROM notification_log"
                           " WHERE alert_id = $1 AND channel_id = $2",
                           alert_id, cid, NULL);
    int found = PQntuples(r) == 1;
    if (found) {
        if (status)
            *status = strdup(PQgetvalue(r, 0, 0));
        if (attempts)
            *attempts = atoi(PQgetvalue(r, 0, 1));
        if (last_error)
            *last_error = PQgetisnull(r, 0, 2) ? NULL : strdup(PQgetvalue(r, 0, 2));
    }
    PQclear(r);
    return found ? 0 : -1;
}

void nt_expect_row_at(const char *alert_id, long long channel_id, const char *status, int attempts,
                      const char *file, int line)
{
    char *st = NULL, *err = NULL;
    int att = -1;
    if (nt_log_row(alert_id, channel_id, &st, &att, &err) != 0)
        fail_msg("%s:%d: no notification_log row for alert %s, channel %lld", file, line, alert_id,
                 channel_id);
    if (strcmp(st, status) != 0 || (attempts >= 0 && att != attempts))
        fail_msg("%s:%d: alert %s, channel %lld: status %s, %d attempts (last error: %s); "
                 "expected %s, %d attempts",
                 file, line, alert_id, channel_id, st, att, err ? err : "none", status, attempts);
    free(st);
    free(err);
}

/* ---- the webhook receiver ---- */

#define HOOK_MAX_RULES 16
#define HOOK_MAX_HELD 64

struct hook_rule {
    int status, delay_ms, times;
};

struct held {
    struct nt_hook *h;
    struct evhttp_request *req;
    struct event *timer;
    int status;
};

struct nt_hook {
    struct event_base *base;
    struct evhttp *http;
    pthread_t thread;
    int port;
    char url[64];
    pthread_mutex_t mu;
    pthread_cond_t cv;
    json_t *requests;
    struct hook_rule rules[HOOK_MAX_RULES];
    int nrules;
    struct held *held[HOOK_MAX_HELD];
};

static int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void hook_answer(struct evhttp_request *req, int status)
{
    struct evbuffer *b = evbuffer_new();
    evbuffer_add_printf(b, "{\"status\":%d}", status);
    evhttp_send_reply(req, status, "X", b);
    evbuffer_free(b);
}

static void on_held(evutil_socket_t fd, short what, void *arg)
{
    struct held *x = arg;
    struct nt_hook *h = x->h;
    hook_answer(x->req, x->status);
    for (int i = 0; i < HOOK_MAX_HELD; i++)
        if (h->held[i] == x)
            h->held[i] = NULL;
    event_free(x->timer);
    free(x);
}

static void hook_handle(struct evhttp_request *req, void *arg)
{
    struct nt_hook *h = arg;
    json_t *rec = json_object(), *headers = json_object();
    struct evkeyvalq *hdrs = evhttp_request_get_input_headers(req);
    struct evbuffer *in = evhttp_request_get_input_buffer(req);
    size_t len = evbuffer_get_length(in);
    char *body = malloc(len + 1);
    struct hook_rule rule = {200, 0, 0};

    evbuffer_copyout(in, body, len);
    body[len] = '\0';
    for (struct evkeyval *kv = hdrs->tqh_first; kv; kv = kv->next.tqe_next) {
        char name[128];
        snprintf(name, sizeof(name), "%s", kv->key);
        for (char *p = name; *p; p++)
            *p = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
        json_object_set_new(headers, name, json_string(kv->value));
    }
    json_object_set_new(
        rec, "method",
        json_string(evhttp_request_get_command(req) == EVHTTP_REQ_POST ? "POST" : "OTHER"));
    json_object_set_new(rec, "path", json_string(evhttp_request_get_uri(req)));
    json_object_set_new(rec, "headers", headers);
    json_object_set_new(rec, "body", json_stringn(body, len));
    json_object_set_new(rec, "at_ms", json_integer(wall_ms()));
    free(body);

    pthread_mutex_lock(&h->mu);
    if (h->nrules > 0) {
        rule = h->rules[0];
        if (--h->rules[0].times == 0) {
            memmove(h->rules, h->rules + 1, (size_t)(h->nrules - 1) * sizeof(h->rules[0]));
            h->nrules--;
        }
    }
    json_array_append_new(h->requests, rec);
    pthread_cond_broadcast(&h->cv);
    pthread_mutex_unlock(&h->mu);

    if (rule.delay_ms == 0 && rule.status) {
        hook_answer(req, rule.status);
        return;
    }
    struct held *x = calloc(1, sizeof(*x));
    x->h = h;
    x->req = req;
    x->status = rule.status;
    x->timer = evtimer_new(h->base, on_held, x);
    for (int i = 0; i < HOOK_MAX_HELD; i++)
        if (!h->held[i]) {
            h->held[i] = x;
            break;
        }
    if (rule.status) {
        struct timeval tv = {rule.delay_ms / 1000, (rule.delay_ms % 1000) * 1000};
        evtimer_add(x->timer, &tv);
    } /* else never answered: freed when the receiver stops */
}

static void *hook_thread(void *arg)
{
    struct nt_hook *h = arg;
    event_base_dispatch(h->base);
    return NULL;
}

struct nt_hook *nt_hook_start(void)
{
    struct nt_hook *h = calloc(1, sizeof(*h));
    /* The test thread stops the receiver's loop: libevent must be able to wake it. */
    evthread_use_pthreads();
    h->base = event_base_new();
    h->http = evhttp_new(h->base);
    h->requests = json_array();
    pthread_mutex_init(&h->mu, NULL);
    pthread_cond_init(&h->cv, NULL);
    evhttp_set_gencb(h->http, hook_handle, h);
    for (int tries = 0; tries < 20; tries++) {
        h->port = harness_free_port();
        if (evhttp_bind_socket(h->http, "127.0.0.1", (ev_uint16_t)h->port) == 0)
            break;
        h->port = 0;
    }
    if (!h->port)
        fail_msg("webhook receiver: no port");
    snprintf(h->url, sizeof(h->url), "http://127.0.0.1:%d/hook", h->port);
    pthread_create(&h->thread, NULL, hook_thread, h);
    return h;
}

void nt_hook_stop(struct nt_hook *h)
{
    if (!h)
        return;
    event_base_loopexit(h->base, NULL);
    pthread_join(h->thread, NULL);
    for (int i = 0; i < HOOK_MAX_HELD; i++)
        if (h->held[i]) {
            event_free(h->held[i]->timer);
            free(h->held[i]);
        }
    evhttp_free(h->http);
    event_base_free(h->base);
    json_decref(h->requests);
    pthread_mutex_destroy(&h->mu);
    pthread_cond_destroy(&h->cv);
    free(h);
}

const char *nt_hook_url(const struct nt_hook *h)
{
    return h->url;
}

void nt_hook_respond(struct nt_hook *h, int status, int delay_ms, int times)
{
    pthread_mutex_lock(&h->mu);
    if (h->nrules < HOOK_MAX_RULES)
        h->rules[h->nrules++] = (struct hook_rule){status, delay_ms, times};
    pthread_mutex_unlock(&h->mu);
}

int nt_hook_wait(struct nt_hook *h, int n, int timeout_ms)
{
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += timeout_ms / 1000;
    deadline.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (deadline.tv_nsec >= 1000000000L) {
        deadline.tv_sec++;
        deadline.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&h->mu);
    while ((int)json_array_size(h->requests) < n &&
           pthread_cond_timedwait(&h->cv, &h->mu, &deadline) == 0)
        ;
    int got = (int)json_array_size(h->requests);
    pthread_mutex_unlock(&h->mu);
    return got;
}

json_t *nt_hook_request(struct nt_hook *h, int i)
{
    pthread_mutex_lock(&h->mu);
    json_t *r = json_deep_copy(json_array_get(h->requests, (size_t)i));
    pthread_mutex_unlock(&h->mu);
    return r;
}
