/* harness: see harness.h. */
#include "harness.h"
#include "tcp_proxy.h"

#include <stdatomic.h>
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <dirent.h>

#include <curl/curl.h>

#define MAX_DBS 16
#define MAX_APIS 64
#define MAX_IPS 8192
#define HEALTH_WAIT_MS 15000
#define RESP_BODY_MAX (32u << 20)

/* ---- process-wide state ---- */

static const char *g_pg_url;
static const char *g_redis_url;
static const char *g_api_bin;
static char g_pg_host[256];
static int g_pg_port;
static char g_pg_user[256];
static char *g_pg_password;
static PGconn *g_admin;
static char g_tmpdir[64];
static char g_prefix[64];
static char g_listen_addr[24];
static unsigned g_seq;

static char g_dbs[MAX_DBS][64];
static int g_ndbs;

static struct {
    char name[64];
    PGconn *conn;
} g_conns[MAX_DBS];

static struct api *g_apis[MAX_APIS];

static char g_ips[MAX_IPS][24];
static atomic_uint g_nips; /* requests come from several threads in some tests */

/* ---- small utilities ---- */

int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
        ;
}

static char *xstrdup(const char *s)
{
    char *d = strdup(s);
    if (!d)
        abort();
    return d;
}

char *xasprintf(const char *fmt, ...)
{
    va_list ap;
    char *out = NULL;
    va_start(ap, fmt);
    if (vasprintf(&out, fmt, ap) < 0)
        abort();
    va_end(ap);
    return out;
}

/* Fails the current test, reporting the caller's file and line. */
static void fail_at(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4), noreturn));
static void fail_at(const char *file, int line, const char *fmt, ...)
{
    char msg[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    print_error("%s:%d: %s\n", file, line, msg);
    _fail(file, line);
    abort(); /* not reached: _fail jumps back into cmocka */
}

char *harness_read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t len = 0, cap = 0;
    if (f) {
        for (;;) {
            if (cap - len < 4096) {
                cap = cap ? cap * 2 : 8192;
                buf = realloc(buf, cap);
                if (!buf)
                    abort();
            }
            size_t n = fread(buf + len, 1, cap - len - 1, f);
            len += n;
            if (n == 0)
                break;
        }
        fclose(f);
    }
    if (!buf) {
        buf = malloc(1);
        if (!buf)
            abort();
    }
    buf[len] = '\0';
    return buf;
}

/* A growable NULL-terminated vector of owned strings. */
struct strv {
    char **v;
    size_t n, cap;
};

static void strv_push(struct strv *sv, char *s /* taken */)
{
    if (sv->n + 2 > sv->cap) {
        sv->cap = sv->cap ? sv->cap * 2 : 32;
        sv->v = realloc(sv->v, sv->cap * sizeof(char *));
        if (!sv->v)
            abort();
    }
    sv->v[sv->n++] = s;
    sv->v[sv->n] = NULL;
}

static void strv_free(struct strv *sv)
{
    for (size_t i = 0; i < sv->n; i++)
        free(sv->v[i]);
    free(sv->v);
    memset(sv, 0, sizeof(*sv));
}

/* Sets "NAME=value" or, for a bare "NAME", removes NAME. */
static void env_apply(struct strv *env, const char *item)
{
    const char *eq = strchr(item, '=');
    size_t namelen = eq ? (size_t)(eq - item) : strlen(item);
    for (size_t i = 0; i < env->n; i++) {
        if (strncmp(env->v[i], item, namelen) == 0 && env->v[i][namelen] == '=') {
            free(env->v[i]);
            if (eq) {
                env->v[i] = xstrdup(item);
            } else {
                memmove(&env->v[i], &env->v[i + 1], (env->n - i) * sizeof(char *));
                env->n--;
            }
            return;
        }
    }
    if (eq)
        strv_push(env, xstrdup(item));
}

/* ---- environment and databases ---- */

static void die_env(const char *name)
{
    fprintf(stderr,
            "integration tests: %s is not set. These tests need a PostgreSQL cluster, a Redis "
            "server and the statushawk-api executable: run scripts/test.\n",
            name);
    exit(1);
}

void harness_require_env(void)
{
    static int done;
    if (done)
        return;
    g_pg_url = getenv("TEST_PG_URL");
    g_redis_url = getenv("TEST_REDIS_URL");
    g_api_bin = getenv("SH_API_BIN");
    if (!g_pg_url || !*g_pg_url)
        die_env("TEST_PG_URL");
    if (!g_redis_url || !*g_redis_url)
        die_env("TEST_REDIS_URL");
    if (!g_api_bin || !*g_api_bin)
        die_env("SH_API_BIN");
    if (access(g_api_bin, X_OK) != 0) {
        fprintf(stderr, "integration tests: SH_API_BIN=%s is not executable: %s\n", g_api_bin,
                strerror(errno));
        exit(1);
    }

    char *err = NULL;
    PQconninfoOption *opts = PQconninfoParse(g_pg_url, &err);
    if (!opts) {
        fprintf(stderr, "integration tests: TEST_PG_URL does not parse: %s\n",
                err ? err : "out of memory");
        PQfreemem(err);
        exit(1);
    }
    snprintf(g_pg_host, sizeof(g_pg_host), "127.0.0.1");
    g_pg_port = 5432;
    snprintf(g_pg_user, sizeof(g_pg_user), "postgres");
    for (PQconninfoOption *o = opts; o->keyword; o++) {
        if (!o->val || !*o->val)
            continue;
        if (strcmp(o->keyword, "host") == 0 || strcmp(o->keyword, "hostaddr") == 0)
            snprintf(g_pg_host, sizeof(g_pg_host), "%s", o->val);
        else if (strcmp(o->keyword, "port") == 0)
            g_pg_port = atoi(o->val);
        else if (strcmp(o->keyword, "user") == 0)
            snprintf(g_pg_user, sizeof(g_pg_user), "%s", o->val);
        else if (strcmp(o->keyword, "password") == 0)
            g_pg_password = xstrdup(o->val);
    }
    PQconninfoFree(opts);

    snprintf(g_prefix, sizeof(g_prefix), "sh:it:%ld:", (long)getpid());
    /* The apis of this process listen on an address derived from the pid (any 127/8
     * address is local): the api binds with SO_REUSEPORT, so two test processes that
     * happened to pick the same free port on one address would share connections. */
    long pid = (long)getpid();
    snprintf(g_listen_addr, sizeof(g_listen_addr), "127.%ld.%ld.%ld", 128 + ((pid >> 16) & 0x7f),
             (pid >> 8) & 0xff, pid & 0xff);
    snprintf(g_tmpdir, sizeof(g_tmpdir), "/tmp/sh_it_%ld_XXXXXX", (long)getpid());
    if (!mkdtemp(g_tmpdir)) {
        fprintf(stderr, "integration tests: mkdtemp: %s\n", strerror(errno));
        exit(1);
    }
    if (curl_global_init(CURL_GLOBAL_ALL) != CURLE_OK) {
        fprintf(stderr, "integration tests: curl_global_init failed\n");
        exit(1);
    }
    /* A peer closing a socket must not kill the test process. */
    signal(SIGPIPE, SIG_IGN);
    done = 1;
}

const char *harness_redis_prefix(void)
{
    return g_prefix;
}

const char *harness_redis_url(void)
{
    return g_redis_url;
}

const char *harness_pg_host(void)
{
    return g_pg_host;
}

int harness_pg_port(void)
{
    return g_pg_port;
}

const char *harness_pg_user(void)
{
    return g_pg_user;
}

const char *harness_pg_password(void)
{
    return g_pg_password;
}

const char *harness_db_name(void)
{
    return g_ndbs > 0 ? g_dbs[0] : "postgres";
}

/* Percent-encodes everything but unreserved characters. */
static void pct_append(char *out, size_t outsz, const char *s)
{
    size_t len = strlen(out);
    for (; *s && len + 4 < outsz; s++) {
        unsigned char c = (unsigned char)*s;
        if (isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
            out[len++] = (char)c;
        } else {
            snprintf(out + len, outsz - len, "%%%02X", c);
            len += 3;
        }
    }
    out[len] = '\0';
}

char *harness_pg_url(const char *dbname, const char *host, int port)
{
    char url[2048] = "postgresql://";
    if (!dbname)
        dbname = harness_db_name();
    if (!host)
        host = g_pg_host;
    if (port <= 0)
        port = g_pg_port;
    pct_append(url, sizeof(url), g_pg_user);
    if (g_pg_password) {
        strcat(url, ":");
        pct_append(url, sizeof(url), g_pg_password);
    }
    strcat(url, "@");
    if (host[0] == '/') {
        char tail[1024] = "";
        strcat(url, "/");
        pct_append(url, sizeof(url), dbname);
        strcat(url, "?host=");
        pct_append(url, sizeof(url), host);
        snprintf(tail, sizeof(tail), "&port=%d", port);
        strcat(url, tail);
    } else {
        char hp[300];
        if (strchr(host, ':'))
            snprintf(hp, sizeof(hp), "[%s]:%d/", host, port);
        else
            snprintf(hp, sizeof(hp), "%s:%d/", host, port);
        strcat(url, hp);
        pct_append(url, sizeof(url), dbname);
    }
    return xstrdup(url);
}

/* Appends key='value' with libpq's quoting. */
static void kv_append(char *out, size_t outsz, const char *key, const char *val)
{
    size_t len = strlen(out);
    len += (size_t)snprintf(out + len, outsz - len, "%s%s='", len ? " " : "", key);
    for (; *val && len + 4 < outsz; val++) {
        if (*val == '\'' || *val == '\\')
            out[len++] = '\\';
        out[len++] = *val;
    }
    out[len++] = '\'';
    out[len] = '\0';
}

char *harness_pg_conninfo(const char *dbname)
{
    char ci[2048] = "";
    char port[16];
    snprintf(port, sizeof(port), "%d", g_pg_port);
    kv_append(ci, sizeof(ci), "host", g_pg_host);
    kv_append(ci, sizeof(ci), "port", port);
    kv_append(ci, sizeof(ci), "user", g_pg_user);
    if (g_pg_password)
        kv_append(ci, sizeof(ci), "password", g_pg_password);
    kv_append(ci, sizeof(ci), "dbname", dbname ? dbname : harness_db_name());
    return xstrdup(ci);
}

static PGconn *admin_conn(void)
{
    if (!g_admin) {
        g_admin = PQconnectdb(g_pg_url);
        if (PQstatus(g_admin) != CONNECTION_OK) {
            fprintf(stderr, "integration tests: cannot connect to TEST_PG_URL: %s",
                    PQerrorMessage(g_admin));
            PQfinish(g_admin);
            g_admin = NULL;
        }
    }
    return g_admin;
}

static int admin_exec(const char *sql)
{
    PGconn *c = admin_conn();
    if (!c)
        return -1;
    PGresult *r = PQexec(c, sql);
    int ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    if (!ok)
        fprintf(stderr, "integration tests: %s: %s", sql, PQerrorMessage(c));
    PQclear(r);
    return ok ? 0 : -1;
}

const char *harness_db_create(void)
{
    char sql[160];
    if (g_ndbs >= MAX_DBS)
        fail_msg("too many test databases");
    snprintf(g_dbs[g_ndbs], sizeof(g_dbs[0]), "sh_it_%ld_%u", (long)getpid(), g_seq++);
    snprintf(sql, sizeof(sql), "CREATE DATABASE %s", g_dbs[g_ndbs]);
    if (admin_exec(sql) != 0)
        return NULL;
    return g_dbs[g_ndbs++];
}

static PGconn *db_conn_at(const char *dbname, const char *file, int line)
{
    if (!dbname)
        dbname = harness_db_name();
    for (int i = 0; i < MAX_DBS; i++)
        if (g_conns[i].conn && strcmp(g_conns[i].name, dbname) == 0)
            return g_conns[i].conn;
    char *ci = harness_pg_conninfo(dbname);
    PGconn *c = PQconnectdb(ci);
    free(ci);
    if (PQstatus(c) != CONNECTION_OK) {
        char msg[512];
        snprintf(msg, sizeof(msg), "%s", PQerrorMessage(c));
        PQfinish(c);
        fail_at(file, line, "cannot connect to test database %s: %s", dbname, msg);
    }
    for (int i = 0; i < MAX_DBS; i++) {
        if (!g_conns[i].conn) {
            snprintf(g_conns[i].name, sizeof(g_conns[i].name), "%s", dbname);
            g_conns[i].conn = c;
            return c;
        }
    }
    PQfinish(c);
    fail_at(file, line, "too many database connections");
}

PGconn *db_conn(const char *dbname)
{
    return db_conn_at(dbname, __FILE__, __LINE__);
}

static void db_close(const char *dbname)
{
    for (int i = 0; i < MAX_DBS; i++) {
        if (g_conns[i].conn && (!dbname || strcmp(g_conns[i].name, dbname) == 0)) {
            PQfinish(g_conns[i].conn);
            g_conns[i].conn = NULL;
        }
    }
}

static PGresult *db_vquery(const char *file, int line, const char *dbname, const char *sql,
                           va_list ap)
{
    const char *params[16];
    int n = 0;
    const char *p;
    while ((p = va_arg(ap, const char *)) != NULL) {
        if (n == 16)
            fail_at(file, line, "db_query: too many parameters");
        params[n++] = p;
    }
    PGconn *c = db_conn_at(dbname, file, line);
    PGresult *r = PQexecParams(c, sql, n, NULL, params, NULL, NULL, 0);
    ExecStatusType st = PQresultStatus(r);
    if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) {
        char msg[1024];
        snprintf(msg, sizeof(msg), "%s", PQerrorMessage(c));
        PQclear(r);
        fail_at(file, line, "SQL failed: %s\n  %s", sql, msg);
    }
    return r;
}

PGresult *db_query_at(const char *file, int line, const char *sql, ...)
{
    va_list ap;
    va_start(ap, sql);
    PGresult *r = db_vquery(file, line, NULL, sql, ap);
    va_end(ap);
    return r;
}

PGresult *db_query_on_at(const char *file, int line, const char *dbname, const char *sql, ...)
{
    va_list ap;
    va_start(ap, sql);
    PGresult *r = db_vquery(file, line, dbname, sql, ap);
    va_end(ap);
    return r;
}

char *db_scalar_at(const char *file, int line, const char *sql, ...)
{
    va_list ap;
    va_start(ap, sql);
    PGresult *r = db_vquery(file, line, NULL, sql, ap);
    va_end(ap);
    char *out = NULL;
    if (PQntuples(r) > 0 && PQnfields(r) > 0 && !PQgetisnull(r, 0, 0))
        out = xstrdup(PQgetvalue(r, 0, 0));
    PQclear(r);
    return out;
}

static long long scalar_int(const char *file, int line, PGresult *r, const char *sql)
{
    if (PQntuples(r) < 1 || PQnfields(r) < 1 || PQgetisnull(r, 0, 0)) {
        PQclear(r);
        fail_at(file, line, "SQL returned no value: %s", sql);
    }
    long long v = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
    PQclear(r);
    return v;
}

long long db_scalar_int_at(const char *file, int line, const char *sql, ...)
{
    va_list ap;
    va_start(ap, sql);
    PGresult *r = db_vquery(file, line, NULL, sql, ap);
    va_end(ap);
    return scalar_int(file, line, r, sql);
}

long long db_scalar_int_on_at(const char *file, int line, const char *dbname, const char *sql, ...)
{
    va_list ap;
    va_start(ap, sql);
    PGresult *r = db_vquery(file, line, dbname, sql, ap);
    va_end(ap);
    return scalar_int(file, line, r, sql);
}

/* ---- processes ---- */

const char *harness_listen_addr(void)
{
    return g_listen_addr;
}

static int free_port_on(const char *addr)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in sa = {0};
    socklen_t len = sizeof(sa);
    if (fd < 0)
        return -1;
    sa.sin_family = AF_INET;
    if (inet_pton(AF_INET, addr, &sa.sin_addr) != 1 ||
        bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
        getsockname(fd, (struct sockaddr *)&sa, &len) != 0) {
        close(fd);
        return -1;
    }
    close(fd);
    return ntohs(sa.sin_port);
}

int harness_free_port(void)
{
    return free_port_on("127.0.0.1");
}

/* The default environment of every api/CLI process. New vector. */
static void default_env(struct strv *env, int port)
{
    static const char *const pass[] = {
        "PATH",         "ASAN_OPTIONS",    "UBSAN_OPTIONS", "LSAN_OPTIONS",
        "TSAN_OPTIONS", "LD_LIBRARY_PATH", "TMPDIR",        NULL};
    for (int i = 0; pass[i]; i++) {
        const char *v = getenv(pass[i]);
        if (v)
            strv_push(env, xasprintf("%s=%s", pass[i], v));
    }
    char *url = harness_pg_url(NULL, NULL, 0);
    strv_push(env, xasprintf("DATABASE_URL=%s", url));
    free(url);
    strv_push(env, xasprintf("REDIS_URL=%s", g_redis_url));
    strv_push(env, xasprintf("STATUSHAWK_REDIS_PREFIX=%s", g_prefix));
    strv_push(env, xasprintf("STATUSHAWK_LISTEN=%s:%d", g_listen_addr, port));
    strv_push(env, xstrdup("STATUSHAWK_API_THREADS=4"));
    strv_push(env, xstrdup("STATUSHAWK_PBKDF2_ITERATIONS=1000"));
    strv_push(env, xstrdup("SECRET_KEY=integration-tests-secret-key-not-for-production"));
    strv_push(env, xstrdup("LOG_LEVEL=info"));
    strv_push(env, xstrdup("LOG_FORMAT=text"));
}

/* Finds prog on PATH when it has no slash. New string. */
static char *which(const char *prog)
{
    if (strchr(prog, '/'))
        return xstrdup(prog);
    const char *path = getenv("PATH");
    char *copy = xstrdup(path ? path : "/usr/bin:/bin");
    char *save = NULL;
    for (char *d = strtok_r(copy, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
        char *cand = xasprintf("%s/%s", d, prog);
        if (access(cand, X_OK) == 0) {
            free(copy);
            return cand;
        }
        free(cand);
    }
    free(copy);
    return xstrdup(prog);
}

/* argv: SH_API_PREFIX words, SH_API_BIN, args. */
static void build_argv(struct strv *argv, const char *const *args)
{
    const char *prefix = getenv("SH_API_PREFIX");
    if (prefix && *prefix) {
        char *copy = xstrdup(prefix);
        char *save = NULL;
        int first = 1;
        for (char *w = strtok_r(copy, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
            strv_push(argv, first ? which(w) : xstrdup(w));
            first = 0;
        }
        free(copy);
    }
    strv_push(argv, xstrdup(g_api_bin));
    for (int i = 0; args && args[i]; i++)
        strv_push(argv, xstrdup(args[i]));
}

static int scaled_ms(int ms)
{
    const char *prefix = getenv("SH_API_PREFIX");
    return (prefix && *prefix) ? ms * 4 : ms;
}

/* fork + execve with stdin from /dev/null and stdout/stderr to the given files.
 * Only async-signal-safe calls happen in the child. */
static pid_t spawn(char **argv, char **envp, int out_fd, int err_fd)
{
    int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid != 0) {
        if (devnull >= 0)
            close(devnull);
        return pid;
    }
    /* child */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent)
        _exit(127);
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = SIG_DFL;
    sigaction(SIGPIPE, &sa, NULL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    if (devnull >= 0)
        dup2(devnull, 0);
    dup2(out_fd, 1);
    dup2(err_fd, 2);
#ifdef SYS_close_range
    if (syscall(SYS_close_range, 3U, ~0U, 0U) != 0)
#endif
    {
        for (int fd = 3; fd < 4096; fd++)
            close(fd);
    }
    execve(argv[0], argv, envp);
    static const char msg[] = "integration harness: execve failed\n";
    ssize_t ignored = write(2, msg, sizeof(msg) - 1);
    (void)ignored;
    _exit(127);
}

static int status_code(int st)
{
    if (WIFEXITED(st))
        return WEXITSTATUS(st);
    if (WIFSIGNALED(st))
        return 128 + WTERMSIG(st);
    return -1;
}

/* Waits up to timeout_ms for pid; SIGKILLs it after that. Exit status or -1. */
static int wait_pid(pid_t pid, int timeout_ms, int *timed_out)
{
    int64_t deadline = mono_ms() + timeout_ms;
    int st;
    *timed_out = 0;
    for (;;) {
        pid_t r = waitpid(pid, &st, WNOHANG);
        if (r == pid)
            return status_code(st);
        if (r < 0 && errno != EINTR)
            return -1;
        if (mono_ms() > deadline) {
            *timed_out = 1;
            kill(pid, SIGKILL);
            while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
                ;
            return -1;
        }
        sleep_ms(10);
    }
}

static void api_register(struct api *api)
{
    for (int i = 0; i < MAX_APIS; i++) {
        if (!g_apis[i]) {
            g_apis[i] = api;
            return;
        }
    }
}

static void api_unregister(struct api *api)
{
    for (int i = 0; i < MAX_APIS; i++)
        if (g_apis[i] == api)
            g_apis[i] = NULL;
}

char *api_log(const struct api *api)
{
    return harness_read_file(api->log_path);
}

void api_print_log(const struct api *api, const char *why)
{
    char *log = api_log(api);
    size_t len = strlen(log);
    const char *from = len > 12000 ? log + len - 12000 : log;
    fprintf(stderr, "---- api on port %d (%s); log %s%s ----\n%s\n---- end of api log ----\n",
            api->port, why, api->log_path, from != log ? ", last 12000 bytes" : "", from);
    free(log);
}

int api_alive(struct api *api)
{
    int st;
    if (!api->running)
        return 0;
    pid_t r = waitpid(api->pid, &st, WNOHANG);
    if (r == api->pid) {
        api->running = 0;
        api->exit_status = status_code(st);
        return 0;
    }
    return 1;
}

static int wait_healthy(struct api *api, int timeout_ms)
{
    int64_t deadline = mono_ms() + timeout_ms;
    while (mono_ms() < deadline) {
        if (!api_alive(api))
            return -1;
        struct http_req req = {.path = "/health/", .src_ip = "127.0.0.1", .timeout_ms = 1000};
        struct http_resp resp;
        int rc = http_request(api, &req, &resp);
        long status = resp.status;
        http_resp_free(&resp);
        if (rc == 0 && status == 200)
            return 0;
        sleep_ms(50);
    }
    return -1;
}

struct api *api_try_start(const char *const *env)
{
    static unsigned nlog;
    for (int attempt = 0; attempt < 3; attempt++) {
        struct api *api = calloc(1, sizeof(*api));
        struct strv envv = {0}, argv = {0};
        if (!api)
            abort();
        unsigned n = nlog++;
        api->port = free_port_on(g_listen_addr);
        snprintf(api->base_url, sizeof(api->base_url), "http://%s:%d", g_listen_addr, api->port);
        snprintf(api->log_path, sizeof(api->log_path), "%s/api-%u.log", g_tmpdir, n);
        snprintf(api->out_path, sizeof(api->out_path), "%s/api-%u.out", g_tmpdir, n);
        default_env(&envv, api->port);
        for (int i = 0; env && env[i]; i++)
            env_apply(&envv, env[i]);
        build_argv(&argv, NULL);
        int fd = open(api->log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        int ofd = open(api->out_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0 || ofd < 0)
            abort();
        api->pid = spawn(argv.v, envv.v, ofd, fd);
        close(fd);
        close(ofd);
        strv_free(&envv);
        strv_free(&argv);
        if (api->pid < 0) {
            free(api);
            return NULL;
        }
        api->running = 1;
        api_register(api);
        if (wait_healthy(api, scaled_ms(HEALTH_WAIT_MS)) == 0)
            return api;
        char *log = api_log(api);
        int port_taken = strstr(log, "in use") != NULL;
        free(log);
        if (api->running) {
            api_stop(api, 5000);
            api_print_log(api, "did not answer GET /health/ with 200 in time");
        } else {
            char why[96];
            snprintf(why, sizeof(why), "exited with status %d before it was healthy",
                     api->exit_status);
            api_print_log(api, why);
        }
        api_free(api);
        if (!port_taken)
            return NULL;
    }
    return NULL;
}

struct api *api_start_at(const char *const *env, const char *file, int line)
{
    struct api *api = api_try_start(env);
    if (!api)
        fail_at(file, line, "statushawk-api did not start (see its log above)");
    return api;
}

static int api_reap(struct api *api, int timeout_ms)
{
    int timed_out;
    api->exit_status = wait_pid(api->pid, scaled_ms(timeout_ms), &timed_out);
    api->running = 0;
    if (timed_out)
        api_print_log(api, "did not exit within the timeout after SIGTERM; killed");
    else if (api->exit_status != 0 || getenv("SH_IT_VERBOSE"))
        api_print_log(api, "stopped");
    return timed_out ? -1 : api->exit_status;
}

int api_wait(struct api *api, int timeout_ms)
{
    if (!api->running)
        return api->exit_status;
    return api_reap(api, timeout_ms > 0 ? timeout_ms : 30000);
}

int api_stop(struct api *api, int timeout_ms)
{
    if (!api->running)
        return api->exit_status;
    kill(api->pid, SIGTERM);
    return api_reap(api, timeout_ms > 0 ? timeout_ms : 30000);
}

void api_free(struct api *api)
{
    if (!api)
        return;
    if (api->running)
        api_stop(api, 5000);
    api_unregister(api);
    free(api);
}

void cli_start(const char *const *args, const char *const *env, struct cli_proc *proc)
{
    static unsigned ncli;
    struct strv envv = {0}, argv = {0};
    unsigned n = ncli++;
    snprintf(proc->out_path, sizeof(proc->out_path), "%s/cli-%u.out", g_tmpdir, n);
    snprintf(proc->err_path, sizeof(proc->err_path), "%s/cli-%u.err", g_tmpdir, n);
    default_env(&envv, free_port_on(g_listen_addr));
    for (int i = 0; env && env[i]; i++)
        env_apply(&envv, env[i]);
    build_argv(&argv, args);
    int out = open(proc->out_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    int err = open(proc->err_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (out < 0 || err < 0)
        abort();
    proc->pid = spawn(argv.v, envv.v, out, err);
    close(out);
    close(err);
    strv_free(&envv);
    strv_free(&argv);
    if (proc->pid < 0)
        fail_msg("fork: %s", strerror(errno));
}

int cli_finish(struct cli_proc *proc, int timeout_ms, struct cli_result *res)
{
    int timed_out;
    if (timeout_ms <= 0)
        timeout_ms = 60000;
    res->exit_status = wait_pid(proc->pid, scaled_ms(timeout_ms), &timed_out);
    res->out = harness_read_file(proc->out_path);
    res->err = harness_read_file(proc->err_path);
    unlink(proc->out_path);
    unlink(proc->err_path);
    if (timed_out)
        fprintf(stderr, "statushawk-api subcommand did not finish in %d ms; killed\n", timeout_ms);
    return res->exit_status;
}

int cli_run(const char *const *args, const char *const *env, int timeout_ms, struct cli_result *res)
{
    struct cli_proc proc;
    cli_start(args, env, &proc);
    return cli_finish(&proc, timeout_ms, res);
}

void cli_result_free(struct cli_result *res)
{
    free(res->out);
    free(res->err);
    res->out = res->err = NULL;
}

/* ---- group fixtures ---- */

static int group_setup(int migrate)
{
    harness_require_env();
    if (!admin_conn())
        return -1;
    const char *db = harness_db_create();
    if (!db)
        return -1;
    if (!migrate)
        return 0;
    const char *args[] = {"migrate", NULL};
    struct cli_result res = {0};
    int rc = cli_run(args, NULL, 0, &res);
    if (rc != 0)
        fprintf(stderr,
                "integration tests: `statushawk-api migrate` on %s exited with %d\n"
                "stdout:\n%s\nstderr:\n%s\n",
                db, rc, res.out, res.err);
    cli_result_free(&res);
    return rc == 0 ? 0 : -1;
}

int harness_group_setup(void **state)
{
    (void)state;
    return group_setup(1);
}

int harness_group_setup_nomigrate(void **state)
{
    (void)state;
    return group_setup(0);
}

static void stop_leftovers(void)
{
    for (int i = 0; i < MAX_APIS; i++) {
        struct api *api = g_apis[i];
        if (!api)
            continue;
        if (api->running) {
            int rc = api_stop(api, 10000);
            char why[128];
            snprintf(why, sizeof(why), "left running by the test; exit status %d", rc);
            if (rc == 0 && !getenv("SH_IT_VERBOSE"))
                api_print_log(api, why);
        }
        api_free(api);
    }
    tcp_proxy_stop_all();
}

int harness_finish(int failures)
{
    if (failures) {
        fflush(NULL);
        _exit(failures > 255 ? 255 : failures);
    }
    return 0;
}

int harness_test_teardown(void **state)
{
    (void)state;
    stop_leftovers();
    return 0;
}

static void rm_tmpdir(void)
{
    DIR *d = opendir(g_tmpdir);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        char path[512];
        snprintf(path, sizeof(path), "%s/%s", g_tmpdir, e->d_name);
        unlink(path);
    }
    closedir(d);
    rmdir(g_tmpdir);
}

int harness_group_teardown(void **state)
{
    (void)state;
    int rc = 0;
    stop_leftovers();
    db_close(NULL);
    for (int i = 0; i < g_ndbs; i++) {
        char sql[160];
        snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS %s WITH (FORCE)", g_dbs[i]);
        if (admin_exec(sql) != 0)
            rc = -1;
    }
    g_ndbs = 0;
    if (g_admin)
        PQfinish(g_admin);
    g_admin = NULL;
    free(g_pg_password);
    g_pg_password = NULL;
    rm_tmpdir();
    curl_global_cleanup();
    return rc;
}

/* ---- HTTP ---- */

const char *harness_next_ip(void)
{
    unsigned n = atomic_fetch_add(&g_nips, 1);
    if (n >= MAX_IPS)
        fail_msg("harness_next_ip: ran out of addresses");
    snprintf(g_ips[n], sizeof(g_ips[n]), "127.%ld.%u.%u", 10 + (long)getpid() % 200, n / 250,
             2 + n % 250);
    return g_ips[n];
}

struct buf {
    char *data;
    size_t len, cap;
    int overflow;
};

static void buf_append(struct buf *b, const char *p, size_t n)
{
    if (b->len + n + 1 > RESP_BODY_MAX) {
        b->overflow = 1;
        return;
    }
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + n + 1)
            cap *= 2;
        b->data = realloc(b->data, cap);
        if (!b->data)
            abort();
        b->cap = cap;
    }
    memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
}

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
    buf_append(ud, p, size * n);
    return size * n;
}

static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
    struct buf *b = ud;
    if (n * size >= 5 && strncmp(p, "HTTP/", 5) == 0)
        b->len = 0; /* a new header block (after 1xx) replaces the previous one */
    buf_append(b, p, size * n);
    return size * n;
}

struct upload {
    const char *data;
    size_t len, off;
};

static size_t on_read(char *p, size_t size, size_t n, void *ud)
{
    struct upload *u = ud;
    size_t want = size * n;
    /* Hand the data over in pieces so that the chunks are many. */
    if (want > 16384)
        want = 16384;
    if (want > u->len - u->off)
        want = u->len - u->off;
    memcpy(p, u->data + u->off, want);
    u->off += want;
    return want;
}

/* Progress callback: marks the request sent once its body (if any) is all out. */
struct progress {
    volatile int *sent;
    curl_off_t body_len;
};

static int on_progress(void *ud, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                       curl_off_t ulnow)
{
    struct progress *p = ud;
    (void)dltotal;
    (void)dlnow;
    (void)ultotal;
    if (p->sent && p->body_len > 0 && ulnow >= p->body_len)
        __atomic_store_n(p->sent, 1, __ATOMIC_SEQ_CST);
    return 0;
}

static int has_header(const char *const *headers, const char *name)
{
    size_t len = strlen(name);
    for (int i = 0; headers && headers[i]; i++)
        if (strncasecmp(headers[i], name, len) == 0 && headers[i][len] == ':')
            return 1;
    return 0;
}

int http_request(const struct api *api, const struct http_req *req, struct http_resp *resp)
{
    struct buf body = {0}, hdrs = {0};
    struct curl_slist *hl = NULL;
    struct upload up = {0};
    char url[2048], iface[64], auth[256];
    int rc = -1;

    memset(resp, 0, sizeof(*resp));
    CURL *c = curl_easy_init();
    if (!c) {
        snprintf(resp->error, sizeof(resp->error), "curl_easy_init failed");
        return -1;
    }
    const char *method = req->method ? req->method : (req->body ? "POST" : "GET");
    size_t blen = req->body ? (req->body_len ? req->body_len : strlen(req->body)) : 0;
    const char *src = req->src_ip ? req->src_ip : harness_next_ip();

    snprintf(url, sizeof(url), "%s%s", api->base_url, req->path);
    snprintf(iface, sizeof(iface), "host!%s", src);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_INTERFACE, iface);
    curl_easy_setopt(c, CURLOPT_PROXY, "");
    curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, req->timeout_ms > 0 ? req->timeout_ms : 30000L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &hdrs);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, resp->error);
    curl_easy_setopt(c, CURLOPT_FORBID_REUSE, 1L);
    struct progress prog = {.sent = req->sent, .body_len = (curl_off_t)blen};
    if (req->sent) {
        curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
        curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
        curl_easy_setopt(c, CURLOPT_XFERINFODATA, &prog);
    }

    hl = curl_slist_append(hl, "Expect:");
    if (req->body && !has_header(req->headers, "Content-Type"))
        hl = curl_slist_append(hl, "Content-Type: application/json");
    if (req->token) {
        snprintf(auth, sizeof(auth), "Authorization: Token %s", req->token);
        hl = curl_slist_append(hl, auth);
    }
    for (int i = 0; req->headers && req->headers[i]; i++)
        hl = curl_slist_append(hl, req->headers[i]);

    if (strcmp(method, "HEAD") == 0) {
        curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    } else if (req->body && req->chunked) {
        up.data = req->body;
        up.len = blen;
        curl_easy_setopt(c, CURLOPT_POST, 1L);
        curl_easy_setopt(c, CURLOPT_READFUNCTION, on_read);
        curl_easy_setopt(c, CURLOPT_READDATA, &up);
        hl = curl_slist_append(hl, "Transfer-Encoding: chunked");
        if (strcmp(method, "POST") != 0)
            curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    } else if (req->body) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, req->body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)blen);
        if (strcmp(method, "POST") != 0)
            curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    } else if (strcmp(method, "GET") != 0) {
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
        if (strcmp(method, "POST") == 0 || strcmp(method, "PUT") == 0 ||
            strcmp(method, "PATCH") == 0) {
            curl_easy_setopt(c, CURLOPT_POSTFIELDS, "");
            curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)0);
        }
    }
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);

    CURLcode cc = curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &resp->status);
    if (cc != CURLE_OK) {
        if (!resp->error[0])
            snprintf(resp->error, sizeof(resp->error), "%s", curl_easy_strerror(cc));
        char tmp[1024];
        snprintf(tmp, sizeof(tmp), "%s %.200s from %s: %s", method, req->path, src, resp->error);
        memcpy(resp->error, tmp, sizeof(resp->error) - 1);
        resp->error[sizeof(resp->error) - 1] = '\0';
    } else if (body.overflow) {
        snprintf(resp->error, sizeof(resp->error), "response body over %u bytes", RESP_BODY_MAX);
    } else {
        rc = 0;
    }
    if (!body.data)
        buf_append(&body, "", 0);
    if (!hdrs.data)
        buf_append(&hdrs, "", 0);
    resp->body = body.data;
    resp->body_len = body.len;
    resp->headers = hdrs.data;
    if (resp->body_len > 0)
        resp->json = json_loadb(resp->body, resp->body_len, JSON_DECODE_ANY, NULL);
    curl_slist_free_all(hl);
    curl_easy_cleanup(c);
    return rc;
}

void http_resp_free(struct http_resp *resp)
{
    free(resp->body);
    free(resp->headers);
    if (resp->json)
        json_decref(resp->json);
    resp->body = resp->headers = NULL;
    resp->json = NULL;
}

char *http_header(const struct http_resp *resp, const char *name)
{
    size_t nlen = strlen(name);
    char *found = NULL;
    const char *p = resp->headers;
    while (p && *p) {
        const char *eol = strchr(p, '\n');
        size_t llen = eol ? (size_t)(eol - p) : strlen(p);
        if (llen > nlen && strncasecmp(p, name, nlen) == 0 && p[nlen] == ':') {
            const char *v = p + nlen + 1;
            const char *end = p + llen;
            while (v < end && (*v == ' ' || *v == '\t'))
                v++;
            while (end > v && (end[-1] == '\r' || end[-1] == ' ' || end[-1] == '\t'))
                end--;
            free(found);
            found = strndup(v, (size_t)(end - v));
        }
        p = eol ? eol + 1 : NULL;
    }
    return found;
}

void http_get_at(const struct api *api, const char *path, const char *token, struct http_resp *resp,
                 const char *file, int line)
{
    struct http_req req = {.path = path, .token = token};
    if (http_request(api, &req, resp) != 0)
        fail_at(file, line, "GET %s: no response: %s", path, resp->error);
}

void http_send_at(const struct api *api, const char *method, const char *path, const char *token,
                  const char *body, const char *src_ip, struct http_resp *resp, const char *file,
                  int line)
{
    struct http_req req = {
        .method = method, .path = path, .token = token, .body = body, .src_ip = src_ip};
    if (http_request(api, &req, resp) != 0)
        fail_at(file, line, "%s %s: no response: %s", method, path, resp->error);
}

/* ---- JSON assertions ---- */

json_t *resp_get(const struct http_resp *resp, const char *path)
{
    json_t *cur = resp->json;
    char seg[128];
    const char *p = path;
    while (cur && *p) {
        const char *dot = strchr(p, '.');
        size_t len = dot ? (size_t)(dot - p) : strlen(p);
        if (len >= sizeof(seg))
            return NULL;
        memcpy(seg, p, len);
        seg[len] = '\0';
        if (json_is_array(cur) && isdigit((unsigned char)seg[0]))
            cur = json_array_get(cur, (size_t)atoi(seg));
        else if (json_is_object(cur))
            cur = json_object_get(cur, seg);
        else
            cur = NULL;
        p = dot ? dot + 1 : p + len;
    }
    return cur;
}

const char *expect_json_string_at(const struct http_resp *resp, const char *path, const char *file,
                                  int line)
{
    json_t *v = resp_get(resp, path);
    if (!json_is_string(v)) {
        print_error("%s:%d: expected a string at %s in: %.2000s\n", file, line, path,
                    resp->body ? resp->body : "");
        _fail(file, line);
    }
    return json_string_value(v);
}

void expect_json_msgs_at(const struct http_resp *resp, const char *path, const char *file, int line)
{
    json_t *v = resp_get(resp, path);
    int ok = json_is_array(v) && json_array_size(v) > 0;
    for (size_t i = 0; ok && i < json_array_size(v); i++) {
        json_t *m = json_array_get(v, i);
        ok = json_is_string(m) && json_string_length(m) > 0;
    }
    if (!ok) {
        print_error("%s:%d: expected a non-empty array of messages at %s in: %.2000s\n", file, line,
                    path, resp->body ? resp->body : "");
        _fail(file, line);
    }
}

void expect_detail_at(const struct http_resp *resp, long status, const char *want, const char *file,
                      int line)
{
    if (resp->status != status) {
        print_error("%s:%d: expected HTTP %ld, got %ld (%s); body: %.2000s\n", file, line, status,
                    resp->status, resp->error, resp->body ? resp->body : "");
        _fail(file, line);
    }
    json_t *d = json_is_object(resp->json) ? json_object_get(resp->json, "detail") : NULL;
    if (!json_is_string(d) || json_string_length(d) == 0 ||
        (want && strcmp(json_string_value(d), want) != 0)) {
        print_error("%s:%d: expected {\"detail\": %s%s%s} with HTTP %ld, got: %.2000s\n", file,
                    line, want ? "\"" : "<a message>", want ? want : "", want ? "\"" : "", status,
                    resp->body ? resp->body : "");
        _fail(file, line);
    }
}

int iso_ms_utc_recent(const char *s)
{
    int y, mo, d, h, mi, sec, ms, n = 0;
    if (!s || strlen(s) != 24)
        return 0;
    for (int i = 0; i < 24; i++) {
        char c = s[i];
        int want_digit = !(i == 4 || i == 7 || i == 10 || i == 13 || i == 16 || i == 19 || i == 23);
        if (want_digit != (isdigit((unsigned char)c) != 0))
            return 0;
    }
    if (s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':' ||
        s[19] != '.' || s[23] != 'Z')
        return 0;
    if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d.%3d%n", &y, &mo, &d, &h, &mi, &sec, &ms, &n) != 7)
        return 0;
    struct tm tm = {0};
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = sec;
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
        return 0;
    time_t t = timegm(&tm);
    time_t now = time(NULL);
    return t > now - 120 && t < now + 120;
}

/* ---- accounts shorthands ---- */

char *unique_email(const char *tag)
{
    return xasprintf("%s-%ld-%u@example.com", tag, (long)getpid(), g_seq++);
}

int is_token_hex40(const char *s)
{
    if (!s || strlen(s) != 40)
        return 0;
    for (int i = 0; i < 40; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return 0;
    return 1;
}

char *json_body(const char *fmt, ...)
{
    va_list ap;
    json_error_t err;
    va_start(ap, fmt);
    json_t *j = json_vpack_ex(&err, 0, fmt, ap);
    va_end(ap);
    if (!j)
        fail_msg("json_body(%s): %s", fmt, err.text);
    char *s = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    if (!s)
        abort();
    return s;
}

long long signup_ok_at(const struct api *api, const char *email, const char *password,
                       const char *file, int line)
{
    struct http_resp resp;
    char *body = json_body("{s:s, s:s, s:s, s:s}", "email", email, "password", password,
                           "first_name", "Test", "last_name", "User");
    http_send_at(api, "POST", "/api/v1/accounts/signup", NULL, body, NULL, &resp, file, line);
    free(body);
    json_t *id = resp_get(&resp, "data.id");
    if (resp.status != 201 || !json_is_integer(id) || json_integer_value(id) <= 0)
        fail_at(file, line, "signup %s: expected 201 and a positive integer data.id, got %ld: %s",
                email, resp.status, resp.body);
    long long v = json_integer_value(id);
    http_resp_free(&resp);
    return v;
}

char *login_ok_at(const struct api *api, const char *email, const char *password, const char *file,
                  int line)
{
    struct http_resp resp;
    char *body = json_body("{s:s, s:s}", "email", email, "password", password);
    http_send_at(api, "POST", "/api/v1/accounts/login", NULL, body, NULL, &resp, file, line);
    free(body);
    json_t *tok = resp_get(&resp, "data.token");
    if (resp.status != 201 || !is_token_hex40(json_string_value(tok)))
        fail_at(file, line, "login %s: expected 201 and a 40-hex data.token, got %ld: %s", email,
                resp.status, resp.body);
    char *out = xstrdup(json_string_value(tok));
    http_resp_free(&resp);
    return out;
}
