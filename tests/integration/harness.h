/* harness: what the integration tests stand on. Each test executable gets a fresh
 * PostgreSQL database (created and migrated by harness_group_setup, dropped with FORCE
 * by harness_group_teardown), its own Redis key prefix, and helpers to start the real
 * statushawk-api on a free loopback port, call it over HTTP (libcurl), run its
 * subcommands, and query the test database (libpq).
 *
 * Environment: TEST_PG_URL (superuser libpq URL), TEST_REDIS_URL (redis://host:port/db)
 * and SH_API_BIN (the executable) are required; without them the tests fail, never skip.
 * Optional: SH_API_PREFIX (e.g. "valgrind --error-exitcode=1"), SH_IT_VERBOSE=1 (print
 * every api's log when it stops).
 *
 * Every api started here is also recorded, so harness_test_teardown can stop whatever a
 * failed test left running and print its log. Processes are forked from the calling
 * thread with PR_SET_PDEATHSIG, so call the start/run functions from the main thread. */
#ifndef STATUSHAWK_TESTS_INTEGRATION_HARNESS_H
#define STATUSHAWK_TESTS_INTEGRATION_HARNESS_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <sys/types.h>
#include <cmocka.h>
#include <jansson.h>
#include <libpq-fe.h>

/* ---- test-file lifecycle (cmocka group fixtures) ---- */

/* Exits with status 1 and a message naming scripts/test when TEST_PG_URL, TEST_REDIS_URL
 * or SH_API_BIN is missing. Call first in main(). Also initialises libcurl. */
void harness_require_env(void);
/* Creates the database sh_it_<pid>_<n> and runs `statushawk-api migrate` on it. */
int harness_group_setup(void **state);
/* Same without the migration (test_migrate.c wants an empty database). */
int harness_group_setup_nomigrate(void **state);
/* Stops leftover apis and proxies, drops every database made by this process. */
int harness_group_teardown(void **state);
/* Returns from main: when tests failed, exits at once with that count so a leak checker
 * does not add the memory failed tests left behind to the report. */
int harness_finish(int failures);
/* Per-test teardown: stops any api the test left running (printing its log) and any
 * proxy it left open. */
int harness_test_teardown(void **state);

/* ---- PostgreSQL ---- */

/* The name of this file's test database. Borrowed. */
const char *harness_db_name(void);
/* Creates another empty database and returns its name (borrowed; dropped at group
 * teardown). */
const char *harness_db_create(void);
/* A postgresql:// URL for dbname (NULL = the test database). host/port NULL/0 keep the
 * cluster's. New string, free() it. */
char *harness_pg_url(const char *dbname, const char *host, int port);
/* Keyword/value conninfo ("host=... port=... dbname=...") for dbname. New string. */
char *harness_pg_conninfo(const char *dbname);
/* The cluster's host, port, user, password (for DB_* variables and the proxy). Borrowed. */
const char *harness_pg_host(void);
int harness_pg_port(void);
const char *harness_pg_user(void);
const char *harness_pg_password(void); /* may be NULL */

/* A connection to dbname (NULL = the test database), cached until group teardown.
 * Fails the test when it cannot connect. Borrowed. */
PGconn *db_conn(const char *dbname);
/* Runs sql with nparams text parameters (NULL-terminated variadic const char *) on the
 * test database; fails the test on an error. New PGresult, PQclear() it. */
#define db_query(...) db_query_at(__FILE__, __LINE__, __VA_ARGS__)
#define db_query_on(...) db_query_on_at(__FILE__, __LINE__, __VA_ARGS__)
/* First column of the first row as a new string (NULL when no row or SQL NULL). */
#define db_scalar(...) db_scalar_at(__FILE__, __LINE__, __VA_ARGS__)
/* First column of the first row as an integer; fails the test when there is none. */
#define db_scalar_int(...) db_scalar_int_at(__FILE__, __LINE__, __VA_ARGS__)
#define db_scalar_int_on(...) db_scalar_int_on_at(__FILE__, __LINE__, __VA_ARGS__)

PGresult *db_query_at(const char *file, int line, const char *sql, ...) __attribute__((sentinel));
PGresult *db_query_on_at(const char *file, int line, const char *dbname, const char *sql, ...)
    __attribute__((sentinel));
char *db_scalar_at(const char *file, int line, const char *sql, ...) __attribute__((sentinel));
long long db_scalar_int_at(const char *file, int line, const char *sql, ...)
    __attribute__((sentinel));
long long db_scalar_int_on_at(const char *file, int line, const char *dbname, const char *sql, ...)
    __attribute__((sentinel));

/* ---- Redis ---- */
/* This process's key prefix, "sh:it:<pid>:". Borrowed. */
const char *harness_redis_prefix(void);
const char *harness_redis_url(void);

/* ---- processes ---- */

struct api {
    pid_t pid;
    int port;
    char base_url[64];
    char log_path[256]; /* the process's stderr (its log) */
    char out_path[256]; /* its stdout */
    int running;
    int exit_status; /* after api_stop: exit code, 128+signal, or -1 on timeout */
};

/* Starts the api with the default environment (test database, Redis, own prefix, free
 * loopback port, 4 threads, PBKDF2 1000 iterations) changed by env: a NULL-terminated
 * list of "NAME=value" (set) or "NAME" (unset). Waits up to 15 s for GET /health/ to
 * answer 200. Fails the test (printing the log) when it does not come up. */
#define api_start(env) api_start_at((env), __FILE__, __LINE__)
struct api *api_start_at(const char *const *env, const char *file, int line);
/* The same, returns NULL instead of failing. */
struct api *api_try_start(const char *const *env);
/* SIGTERM, then waits up to timeout_ms (0 = 30 s) for the exit; SIGKILL after that.
 * Returns the exit status (see struct api). Prints the log when it is not 0 or when
 * SH_IT_VERBOSE is set. Does not free. */
int api_stop(struct api *api, int timeout_ms);
/* Waits up to timeout_ms (0 = 30 s) for the api to exit by itself (after a signal the
 * test sent); SIGKILL after that. Returns the exit status, -1 on timeout. */
int api_wait(struct api *api, int timeout_ms);
/* 1 while the process has not exited (does not reap it otherwise). */
int api_alive(struct api *api);
/* The captured log so far. New string. */
char *api_log(const struct api *api);
void api_print_log(const struct api *api, const char *why);
/* Stops it if still running, forgets and frees it. */
void api_free(struct api *api);

/* Stops the api with SIGTERM and asserts it exits with status 0, then frees it. */
#define api_stop_clean(a)                                                                          \
    do {                                                                                           \
        int api_stop_rc_ = api_stop((a), 0);                                                       \
        if (api_stop_rc_ != 0)                                                                     \
            fail_msg("api exited with status %d after SIGTERM (expected 0)", api_stop_rc_);        \
        api_free(a);                                                                               \
    } while (0)

struct cli_result {
    int exit_status; /* exit code, 128+signal, or -1 on timeout */
    char *out;       /* stdout, NUL-terminated */
    char *err;       /* stderr, NUL-terminated */
};

/* Runs SH_API_BIN with args (NULL-terminated) in the default environment changed by env
 * (as for api_start; the listen address is a fresh free port in case it serves).
 * Waits up to timeout_ms (0 = 60 s), then kills it. Returns res->exit_status. */
int cli_run(const char *const *args, const char *const *env, int timeout_ms,
            struct cli_result *res);
void cli_result_free(struct cli_result *res);

/* cli_run in two halves, to run several at once. cli_start fails the test when it
 * cannot fork; cli_finish waits (timeout as for cli_run) and fills res. */
struct cli_proc {
    pid_t pid;
    char out_path[256];
    char err_path[256];
};
void cli_start(const char *const *args, const char *const *env, struct cli_proc *proc);
int cli_finish(struct cli_proc *proc, int timeout_ms, struct cli_result *res);

/* A TCP port nothing listens on right now on 127.0.0.1. */
int harness_free_port(void);
/* The loopback address the apis of this process listen on (127.128+.x.y, from the pid). */
const char *harness_listen_addr(void);

/* ---- HTTP ---- */

struct http_req {
    const char *method;         /* NULL = GET, or POST when body is set */
    const char *path;           /* "/api/v1/..." */
    const char *token;          /* adds "Authorization: Token <token>" */
    const char *const *headers; /* extra header lines, NULL-terminated */
    const char *body;           /* NULL = none */
    size_t body_len;            /* 0 = strlen(body) */
    const char *src_ip;         /* source address; NULL = a fresh one */
    int chunked;                /* send the body with chunked transfer encoding */
    long timeout_ms;            /* 0 = 30 s */
    volatile int *sent;         /* when set: becomes 1 once the whole body is sent */
};

struct http_resp {
    long status; /* 0 when the request failed */
    char *body;  /* NUL-terminated */
    size_t body_len;
    char *headers;   /* the final header block, raw */
    json_t *json;    /* the body parsed, or NULL */
    char error[256]; /* the libcurl error when the request failed */
};

/* Performs req against api. Returns 0 when a response arrived, -1 otherwise
 * (resp->error says why). resp must be freed with http_resp_free either way. */
int http_request(const struct api *api, const struct http_req *req, struct http_resp *resp);
void http_resp_free(struct http_resp *resp);
/* Value of the last header called name (case-insensitive), trimmed. New string or NULL. */
char *http_header(const struct http_resp *resp, const char *name);

/* Shorthands that fail the test when no response arrives (src_ip NULL: a fresh one). */
#define http_get(api, path, token, resp)                                                           \
    http_get_at((api), (path), (token), (resp), __FILE__, __LINE__)
#define http_send(api, method, path, token, body, src_ip, resp)                                    \
    http_send_at((api), (method), (path), (token), (body), (src_ip), (resp), __FILE__, __LINE__)
void http_get_at(const struct api *api, const char *path, const char *token, struct http_resp *resp,
                 const char *file, int line);
void http_send_at(const struct api *api, const char *method, const char *path, const char *token,
                  const char *body, const char *src_ip, struct http_resp *resp, const char *file,
                  int line);

/* A source address 127.x.y.z not handed out before by this process (the throttles key
 * on the client address). Stays valid until the process exits. */
const char *harness_next_ip(void);

/* ---- assertions on responses (they print the body when they fail) ---- */

#define expect_status(resp, code)                                                                  \
    do {                                                                                           \
        if ((resp)->status != (long)(code))                                                        \
            fail_msg("expected HTTP %ld, got %ld (%s); body: %.2000s", (long)(code),               \
                     (resp)->status, (resp)->error, (resp)->body ? (resp)->body : "");             \
    } while (0)

/* The body is a JSON object. */
#define expect_json_object(resp)                                                                   \
    do {                                                                                           \
        if (!json_is_object((resp)->json))                                                         \
            fail_msg("expected a JSON object body, got: %.2000s",                                  \
                     (resp)->body ? (resp)->body : "");                                            \
    } while (0)

/* Looks up a dotted path ("data.token", "error.email") in resp's JSON. Borrowed. */
json_t *resp_get(const struct http_resp *resp, const char *path);

/* Field at path is the string want. */
#define expect_json_str(resp, path, want)                                                          \
    do {                                                                                           \
        json_t *ejs_ = resp_get((resp), (path));                                                   \
        if (!json_is_string(ejs_) || strcmp(json_string_value(ejs_), (want)) != 0)                 \
            fail_msg("expected %s == \"%s\" in: %.2000s", (path), (want),                          \
                     (resp)->body ? (resp)->body : "");                                            \
    } while (0)

/* Field at path is a string; returns it (borrowed). */
const char *expect_json_string_at(const struct http_resp *resp, const char *path, const char *file,
                                  int line);
#define expect_json_string(resp, path) expect_json_string_at((resp), (path), __FILE__, __LINE__)

/* Field at path is a non-empty array of non-empty strings. */
void expect_json_msgs_at(const struct http_resp *resp, const char *path, const char *file,
                         int line);
#define expect_json_msgs(resp, path) expect_json_msgs_at((resp), (path), __FILE__, __LINE__)

/* Field at path is absent. */
#define expect_json_absent(resp, path)                                                             \
    do {                                                                                           \
        if (resp_get((resp), (path)) != NULL)                                                      \
            fail_msg("expected no %s in: %.2000s", (path), (resp)->body ? (resp)->body : "");      \
    } while (0)

/* A {"detail": "<want>"} body (want NULL: any non-empty string) with the given status. */
void expect_detail_at(const struct http_resp *resp, long status, const char *want, const char *file,
                      int line);
#define expect_detail(resp, status, want)                                                          \
    expect_detail_at((resp), (status), (want), __FILE__, __LINE__)

/* "YYYY-MM-DDTHH:MM:SS.mmmZ" within two minutes of now. */
int iso_ms_utc_recent(const char *s);
#define expect_timestamp(resp, path)                                                               \
    do {                                                                                           \
        const char *ets_ = expect_json_string((resp), (path));                                     \
        if (!iso_ms_utc_recent(ets_))                                                              \
            fail_msg("%s: \"%s\" is not a recent ISO-8601 UTC time with ms and Z", (path), ets_);  \
    } while (0)

/* ---- accounts shorthands ---- */

/* A new lower-case address "<tag>-<pid>-<n>@example.com". New string. */
char *unique_email(const char *tag);
/* Signs up (from a fresh source address) and asserts 201; returns the new user's id. */
#define signup_ok(api, email, password) signup_ok_at((api), (email), (password), __FILE__, __LINE__)
long long signup_ok_at(const struct api *api, const char *email, const char *password,
                       const char *file, int line);
/* Logs in (fresh source address), asserts 201 and a 40-hex token; returns it (new). */
#define login_ok(api, email, password) login_ok_at((api), (email), (password), __FILE__, __LINE__)
char *login_ok_at(const struct api *api, const char *email, const char *password, const char *file,
                  int line);
/* 1 when s is exactly 40 lowercase hex characters. */
int is_token_hex40(const char *s);

/* Milliseconds on a monotonic clock. */
int64_t mono_ms(void);
void sleep_ms(long ms);

/* A whole file; a missing file reads as "". New string (free() it). */
char *harness_read_file(const char *path);

/* A new string formatted like printf (free() it); aborts when out of memory. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A JSON body built with jansson's json_pack format. New string. */
char *json_body(const char *fmt, ...);

#endif
