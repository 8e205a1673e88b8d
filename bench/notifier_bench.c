/* notifier_bench: statushawk-notifier under an alert storm, against the Telegram stand-in
 * (tests/fakes/telegram_fake) with the real default limits. bench/notifier.sh builds it
 * and runs it on a throwaway PostgreSQL and Redis.
 *
 *   BENCH_CHATS (1000) users, each with one linked private chat;
 *   BENCH_ALERTS (10000) DOWN alerts, round-robin over them, XADDed at once (pipelined);
 *
 * then waits until every notification_log row is finished and prints: the time to drain
 * (first XADD to the last message's arrival at the stand-in), the delivery latency of each
 * alert from its XADD (the stream id's time) to the arrival of the message that carried it
 * (p50, p99, max), how many messages and digests that took, and the highest rates the
 * stand-in saw: per chat (most messages to one chat in any 1 s and any 60 s window) and per
 * bot (most messages in any 1 s window).
 *
 * Environment: BENCH_DATABASE_URL (a migrated database), BENCH_REDIS_URL, SH_NOTIFIER_BIN;
 * optional BENCH_CHATS, BENCH_ALERTS, BENCH_NOTIFIERS (1), BENCH_TIMEOUT_S (900). */
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <hiredis/hiredis.h>
#include <jansson.h>
#include <libpq-fe.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <time.h>
#include <unistd.h>

#include "common/redis.h"
#include "telegram_fake.h"

#define TOKEN "7000000001:BENCH-token"
#define PREFIX "sh:bench:"
#define MAX_NOTIFIERS 8

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "notifier_bench: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    exit(1);
}

static const char *env_or(const char *name, const char *dflt)
{
    const char *v = getenv(name);
    return v && *v ? v : dflt;
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET};
    socklen_t len = sizeof(sa);
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
        getsockname(fd, (struct sockaddr *)&sa, &len) != 0)
        die("no free port");
    close(fd);
    return ntohs(sa.sin_port);
}

static PGresult *sql(PGconn *pg, const char *q)
{
    PGresult *r = PQexec(pg, q);
    if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK)
        die("SQL failed: %s\n%s", PQerrorMessage(pg), q);
    return r;
}

static long long scalar(PGconn *pg, const char *q)
{
    PGresult *r = sql(pg, q);
    long long v = PQntuples(r) ? atoll(PQgetvalue(r, 0, 0)) : 0;
    PQclear(r);
    return v;
}

static pid_t start_notifier(int port, const char *base, int k)
{
    char log[64], listen[64], api[256], db[2048], rd[512];
    snprintf(log, sizeof(log), "notifier-bench-%d.log", k);
    snprintf(listen, sizeof(listen), "NOTIFIER_HTTP_LISTEN=127.0.0.1:%d", port);
    snprintf(api, sizeof(api), "TELEGRAM_API_BASE=%s", base);
    snprintf(db, sizeof(db), "DATABASE_URL=%s", getenv("BENCH_DATABASE_URL"));
    snprintf(rd, sizeof(rd), "REDIS_URL=%s", getenv("BENCH_REDIS_URL"));
    char *envp[] = {db,
                    rd,
                    listen,
                    api,
                    "STATUSHAWK_REDIS_PREFIX=" PREFIX,
                    "TELEGRAM_BOT_TOKEN=" TOKEN,
                    "TELEGRAM_MODE=off",
                    "LOG_LEVEL=warn",
                    NULL};
    pid_t pid = fork();
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
        }
        char *argv[] = {(char *)getenv("SH_NOTIFIER_BIN"), NULL};
        execve(argv[0], argv, envp);
        _exit(127);
    }
    return pid;
}

static size_t discard(char *p, size_t s, size_t n, void *u)
{
    return s * n;
}

static int ready(int port)
{
    char url[64];
    long code = 0;
    CURL *c = curl_easy_init();
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/ready", port);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 1000L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
    if (curl_easy_perform(c) == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
    curl_easy_cleanup(c);
    return code == 200;
}

static int cmp_ll(const void *a, const void *b)
{
    long long x = *(const long long *)a, y = *(const long long *)b;
    return x < y ? -1 : x > y;
}

/* The most timestamps of t[0..n) (sorted) in any window [t, t + w). */
static int max_window(const long long *t, size_t n, long long w)
{
    int best = 0;
    size_t j = 0;
    for (size_t i = 0; i < n; i++) {
        while (t[i] - t[j] >= w)
            j++;
        if ((int)(i - j + 1) > best)
            best = (int)(i - j + 1);
    }
    return best;
}

struct msg {
    long long chat;
    long long at;
    const char *text;
};

static int cmp_msg(const void *a, const void *b)
{
    const struct msg *x = a, *y = b;
    if (x->chat != y->chat)
        return x->chat < y->chat ? -1 : 1;
    return x->at < y->at ? -1 : x->at > y->at;
}

int main(void)
{
    int chats = atoi(env_or("BENCH_CHATS", "1000"));
    int alerts = atoi(env_or("BENCH_ALERTS", "10000"));
    int nnotifiers = atoi(env_or("BENCH_NOTIFIERS", "1"));
    int timeout_s = atoi(env_or("BENCH_TIMEOUT_S", "900"));
    struct redis_target rt;
    char err[256], q[1024];

    if (!getenv("BENCH_DATABASE_URL") || !getenv("BENCH_REDIS_URL") || !getenv("SH_NOTIFIER_BIN"))
        die("BENCH_DATABASE_URL, BENCH_REDIS_URL and SH_NOTIFIER_BIN are required (run "
            "bench/notifier.sh)");
    if (nnotifiers < 1 || nnotifiers > MAX_NOTIFIERS)
        die("BENCH_NOTIFIERS: 1..%d", MAX_NOTIFIERS);
    signal(SIGPIPE, SIG_IGN);
    curl_global_init(CURL_GLOBAL_ALL);

    PGconn *pg = PQconnectdb(getenv("BENCH_DATABASE_URL"));
    if (PQstatus(pg) != CONNECTION_OK)
        die("PostgreSQL: %s", PQerrorMessage(pg));
    PQclear(sql(pg, "SET client_min_messages = warning"));
    if (redis_url_parse(getenv("BENCH_REDIS_URL"), &rt, err, sizeof(err)) != 0)
        die("BENCH_REDIS_URL: %s", err);
    redisContext *rd = redisConnect(rt.host, rt.port);
    if (!rd || rd->err || redis_handshake(rd, &rt) != 0)
        die("Redis: cannot connect");

    /* Users 1..chats, each with chat 100000 + n. */
    PQclear(sql(pg, "TRUNCATE users, notification_channels, notification_log CASCADE"));
    snprintf(q, sizeof(q),
             "WITH u AS (INSERT INTO users (email, password) SELECT 'bench' || g ||"
             " '@example.com', 'x' FROM generate_series(1, %d) g RETURNING id, email)"
             " INSERT INTO notification_channels (user_id, provider, name, config)"
             " SELECT id, 'telegram', 'bench', jsonb_build_object('chat_id',"
             " (100000 + split_part(substr(email, 6), '@', 1)::int)::text) FROM u",
             chats);
    PQclear(sql(pg, q));
    PGresult *users = sql(pg, "SELECT u.id, c.config->>'chat_id' FROM users u JOIN"
                              " notification_channels c ON c.user_id = u.id ORDER BY u.id");
    if (PQntuples(users) != chats)
        die("expected %d users", chats);
    redisReply *r = redisCommand(rd, "DEL %salerts %salerts:retry", PREFIX, PREFIX);
    freeReplyObject(r);
    r = redisCommand(rd, "EVAL %s 0",
                     "for _, k in ipairs(redis.call('KEYS', 'sh:bench:*')) do "
                     "redis.call('DEL', k) end return 0");
    freeReplyObject(r);

    struct telegram_fake *fake = telegram_fake_start(TOKEN);
    if (!fake)
        die("stand-in did not start");
    pid_t pids[MAX_NOTIFIERS];
    int ports[MAX_NOTIFIERS];
    for (int k = 0; k < nnotifiers; k++) {
        ports[k] = free_port();
        pids[k] = start_notifier(ports[k], telegram_fake_base(fake), k);
    }
    for (int k = 0; k < nnotifiers; k++) {
        int64_t deadline = now_ms() + 15000;
        while (!ready(ports[k])) {
            if (now_ms() > deadline)
                die("notifier %d not ready (see notifier-bench-%d.log)", k, k);
            sleep_ms(50);
        }
    }

    /* The storm: every alert in one pipeline. */
    long long *xadd_ms = calloc((size_t)alerts, sizeof(long long));
    char stream[64];
    snprintf(stream, sizeof(stream), "%salerts", PREFIX);
    char when[32];
    time_t t = time(NULL);
    strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S.000Z", gmtime(&t));
    for (int i = 0; i < alerts; i++) {
        char id[40], uid[24], name[32];
        snprintf(id, sizeof(id), "bench%027d", i);
        snprintf(uid, sizeof(uid), "%s", PQgetvalue(users, i % chats, 0));
        snprintf(name, sizeof(name), "bench-%05d", i);
        const char *argv[] = {"XADD",
                              stream,
                              "*",
                              "alert_id",
                              id,
                              "kind",
                              "down",
                              "user_id",
                              uid,
                              "channel_id",
                              "0",
                              "monitor_id",
                              "0",
                              "monitor_name",
                              name,
                              "url",
                              "https://bench.example.com/",
                              "time",
                              when,
                              "details",
                              "{\"status_code\":503}"};
        redisAppendCommandArgv(rd, 21, argv, NULL);
    }
    int64_t t_sent = now_ms();
    for (int i = 0; i < alerts; i++) {
        if (redisGetReply(rd, (void **)&r) != REDIS_OK || r->type != REDIS_REPLY_STRING)
            die("XADD failed");
        xadd_ms[i] = atoll(r->str);
        freeReplyObject(r);
    }
    int64_t t_added = now_ms();

    /* Until every row is finished. */
    long long done = 0, failed = 0;
    int64_t deadline = now_ms() + (int64_t)timeout_s * 1000;
    for (;;) {
        done = scalar(pg, "SELECT count(*) FROM notification_log WHERE status <> 'pending'");
        if (done >= alerts || now_ms() > deadline)
            break;
        sleep_ms(200);
    }
    int64_t t_done = now_ms();
    failed = scalar(pg, "SELECT count(*) FROM notification_log WHERE status = 'failure'");

    /* What the stand-in saw. */
    json_t *reqs = telegram_fake_requests(fake), *req;
    size_t nreq = json_array_size(reqs), nmsg = 0, i;
    struct msg *msgs = calloc(nreq ? nreq : 1, sizeof(*msgs));
    long long *times = calloc(nreq ? nreq : 1, sizeof(long long));
    size_t ndigest = 0, nbad = 0;
    json_array_foreach(reqs, i, req)
    {
        if (strcmp(json_string_value(json_object_get(req, "method")), "sendMessage") != 0)
            continue;
        if (json_integer_value(json_object_get(req, "status")) != 200) {
            nbad++;
            continue;
        }
        json_t *p = json_object_get(req, "params");
        json_t *c = json_object_get(p, "chat_id");
        msgs[nmsg].chat = json_is_integer(c) ? json_integer_value(c) : atoll(json_string_value(c));
        msgs[nmsg].at = json_integer_value(json_object_get(req, "at_ms"));
        msgs[nmsg].text = json_string_value(json_object_get(p, "text"));
        if (strstr(msgs[nmsg].text, "monitors DOWN"))
            ndigest++;
        times[nmsg] = msgs[nmsg].at;
        nmsg++;
    }
    qsort(times, nmsg, sizeof(long long), cmp_ll);
    qsort(msgs, nmsg, sizeof(*msgs), cmp_msg);

    /* Per chat: the busiest second and minute. */
    int chat_max_1s = 0, chat_max_60s = 0;
    for (size_t a = 0; a < nmsg;) {
        size_t b = a;
        long long ct[4096];
        size_t n = 0;
        while (b < nmsg && msgs[b].chat == msgs[a].chat) {
            if (n < 4096)
                ct[n++] = msgs[b].at;
            b++;
        }
        int m1 = max_window(ct, n, 1000), m60 = max_window(ct, n, 60000);
        if (m1 > chat_max_1s)
            chat_max_1s = m1;
        if (m60 > chat_max_60s)
            chat_max_60s = m60;
        a = b;
    }
    int bot_max_1s = max_window(times, nmsg, 1000);

    /* Each alert's latency: to the first message to its chat that names it. */
    long long *lat = calloc((size_t)alerts, sizeof(long long));
    int nlat = 0, missing = 0;
    for (int k = 0; k < alerts; k++) {
        long long chat = atoll(PQgetvalue(users, k % chats, 1));
        char name[32];
        snprintf(name, sizeof(name), "bench-%05d", k);
        struct msg key = {.chat = chat, .at = -1};
        size_t lo = 0, hi = nmsg;
        while (lo < hi) { /* first message of chat */
            size_t mid = (lo + hi) / 2;
            if (cmp_msg(&msgs[mid], &key) < 0)
                lo = mid + 1;
            else
                hi = mid;
        }
        int found = 0;
        for (size_t m = lo; m < nmsg && msgs[m].chat == chat; m++) {
            if (strstr(msgs[m].text, name)) {
                lat[nlat++] = msgs[m].at - xadd_ms[k];
                found = 1;
                break;
            }
        }
        if (!found)
            missing++; /* cut from a digest ("... and N more"): delivered, not named */
    }
    qsort(lat, (size_t)nlat, sizeof(long long), cmp_ll);

    double drain_s = nmsg ? (double)(times[nmsg - 1] - xadd_ms[0]) / 1000.0 : 0;
    printf("notifier delivery benchmark: %d alerts for %d linked chats, %d notifier(s), real "
           "default limits (1/s per private chat, burst 3; 30/s per bot)\n",
           alerts, chats, nnotifiers);
    printf("  XADD of the storm (pipelined):   %lld ms\n", (long long)(t_added - t_sent));
    printf("  log rows finished:               %lld of %d (%lld failure)%s\n", done, alerts, failed,
           done < alerts ? "  TIMED OUT" : "");
    printf("  time to drain:                   %.1f s (first XADD to the last message's "
           "arrival; rows all final after %.1f s)\n",
           drain_s, (double)(t_done - t_sent) / 1000.0);
    printf("  messages sent:                   %zu (%zu digests, %zu single alerts); %zu "
           "refused by the stand-in\n",
           nmsg, ndigest, nmsg - ndigest, nbad);
    printf("  delivery latency XADD->arrival:  p50 %lld ms, p90 %lld ms, p99 %lld ms, max %lld "
           "ms (%d alerts named in a message%s)\n",
           nlat ? lat[nlat / 2] : 0, nlat ? lat[(nlat * 9) / 10] : 0,
           nlat ? lat[(nlat * 99) / 100] : 0, nlat ? lat[nlat - 1] : 0, nlat,
           missing ? ", the rest counted in a digest's \"and N more\"" : "");
    printf("  highest per-chat rate:           %d msg in any 1 s, %d in any 60 s\n", chat_max_1s,
           chat_max_60s);
    printf("  highest per-bot rate:            %d msg in any 1 s\n", bot_max_1s);

    for (int k = 0; k < nnotifiers; k++)
        kill(pids[k], SIGTERM);
    int rc = 0;
    for (int k = 0; k < nnotifiers; k++) {
        int st = 0;
        waitpid(pids[k], &st, 0);
        if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
            printf("  notifier %d exited with status %d\n", k,
                   WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
            rc = 1;
        }
    }
    telegram_fake_stop(fake);
    json_decref(reqs);
    free(msgs);
    free(times);
    free(lat);
    free(xadd_ms);
    PQclear(users);
    PQfinish(pg);
    redisFree(rd);
    curl_global_cleanup();
    return rc || done < alerts;
}
