/* server: see server.h. */
#include "api/server.h"

#include <errno.h>
#include <event2/thread.h>
#include <netdb.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "api/accounts.h"
#include "api/metrics.h"
#include "api/router.h"
#include "api/token_cache.h"
#include "api/work_pool.h"
#include "api/request.h"
#include "common/db.h"
#include "common/log.h"
#include "common/migrate.h"
#include "common/redis.h"
#include "common/timeutil.h"

/* evhttp buffers at most this much of a body. Bodies between API_MAX_BODY and this get
 * the API's JSON 413; larger ones evhttp's own 413, so memory stays bounded. */
#define TRANSPORT_MAX_BODY (API_MAX_BODY * 17)
#define MAX_HEADERS_SIZE (32 * 1024)
#define CONNECTION_TIMEOUT_S 30
#define WORK_QUEUE_MAX 1024
#define REDIS_TIMEOUT_MS 2000
#define DRAIN_POLL_MS 20

struct server {
    const struct api_config *cfg;
    struct worker *workers;
    int nworkers;
    struct event_base *main_base;
    int workers_running; /* touched on the main thread only */
    int stopping;
};

/* A listening socket of its own for each worker: SO_REUSEPORT lets them share the
 * port, and the kernel balances accepted connections across them. */
static evutil_socket_t listen_socket(const char *host, int port, int *bound_port)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC,
                             .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
    struct addrinfo *ai = NULL;
    char portstr[8];
    evutil_socket_t fd = -1;
    int one = 1;

    snprintf(portstr, sizeof(portstr), "%d", port);
    if (getaddrinfo(host[0] ? host : NULL, portstr, &hints, &ai) != 0 || !ai) {
        log_error("listen: cannot resolve %s", host);
        return -1;
    }
    fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
        setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) != 0 ||
        bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, 1024) != 0) {
        log_error("listen on %s:%d: %s", host, port, strerror(errno));
        if (fd >= 0)
            close(fd);
        freeaddrinfo(ai);
        return -1;
    }
    freeaddrinfo(ai);
    if (bound_port) {
        struct sockaddr_storage ss;
        socklen_t len = sizeof(ss);
        getsockname(fd, (struct sockaddr *)&ss, &len);
        *bound_port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                                     : ((struct sockaddr_in *)&ss)->sin_port);
    }
    return fd;
}

static int worker_init(struct worker *w, struct server *s, int index, int port)
{
    evutil_socket_t fd;

    w->index = index;
    w->server = s;
    w->cfg = s->cfg;
    w->base = event_base_new();
    w->http = w->base ? evhttp_new(w->base) : NULL;
    w->db = db_new(s->cfg->common.database_url, "statushawk-api");
    w->redis = redis_new(&s->cfg->common.redis, REDIS_TIMEOUT_MS);
    if (!w->http || !w->db || !w->redis)
        return -1;
    db_set_timeout(w->db, s->cfg->common.db_timeout_ms);
    db_listen(w->db, TOKEN_CACHE_CHANNEL);
    evhttp_set_allowed_methods(w->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_PUT |
                                            EVHTTP_REQ_PATCH | EVHTTP_REQ_DELETE | EVHTTP_REQ_HEAD |
                                            EVHTTP_REQ_OPTIONS);
    evhttp_set_max_body_size(w->http, TRANSPORT_MAX_BODY);
    evhttp_set_max_headers_size(w->http, MAX_HEADERS_SIZE);
    evhttp_set_timeout(w->http, CONNECTION_TIMEOUT_S);
    evhttp_set_gencb(w->http, request_dispatch, w);
    fd = listen_socket(s->cfg->listen_host, port, NULL);
    if (fd < 0)
        return -1;
    w->bound = evhttp_accept_socket_with_handle(w->http, fd);
    if (!w->bound) {
        close(fd);
        return -1;
    }
    return 0;
}

static void worker_free(struct worker *w)
{
    if (w->drain_timer)
        event_free(w->drain_timer);
    if (w->http)
        evhttp_free(w->http); /* closes the listener and idle connections */
    if (w->base)
        event_base_free(w->base);
    db_free(w->db);
    redis_free(w->redis);
}

static void worker_exited(evutil_socket_t fd, short what, void *arg)
{
    struct server *s = arg;
    if (--s->workers_running == 0)
        event_base_loopexit(s->main_base, NULL);
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    event_base_loop(w->base, EVLOOP_NO_EXIT_ON_EMPTY);
    event_base_once(w->server->main_base, -1, EV_TIMEOUT, worker_exited, w->server, NULL);
    return NULL;
}

/* An answered request's bytes are written by the loop after its handler returns: exiting
 * on the tick that saw the last answer could close the connection before they leave.
 * Only a count of zero seen on several ticks in a row, with loop turns between them,
 * lets the worker stop. */
#define DRAIN_QUIET_TICKS 3

static void drain_check(evutil_socket_t fd, short what, void *arg)
{
    struct worker *w = arg;

    w->drain_quiet_ticks = w->inflight == 0 ? w->drain_quiet_ticks + 1 : 0;
    if (w->drain_quiet_ticks >= DRAIN_QUIET_TICKS || time_mono_us() >= w->drain_deadline_us) {
        if (w->inflight)
            log_warn("worker %d: shutdown timeout with %d requests unanswered", w->index,
                     w->inflight);
        event_base_loopexit(w->base, NULL);
    }
}

/* Runs on the worker's own loop: stop accepting, then wait for the requests in flight. */
static void worker_begin_drain(evutil_socket_t fd, short what, void *arg)
{
    struct worker *w = arg;
    struct timeval tv = {0, DRAIN_POLL_MS * 1000};

    w->draining = 1;
    w->drain_deadline_us = time_mono_us() + (int64_t)w->cfg->shutdown_timeout * 1000000;
    if (w->bound) {
        evhttp_del_accept_socket(w->http, w->bound);
        w->bound = NULL;
    }
    w->drain_timer = event_new(w->base, -1, EV_PERSIST, drain_check, w);
    if (!w->drain_timer || event_add(w->drain_timer, &tv) != 0) {
        log_error("worker %d: cannot arm the drain timer; stopping now", w->index);
        event_base_loopexit(w->base, NULL);
    }
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
    struct server *s = arg;
    struct timeval now = {0, 0};

    if (s->stopping) {
        log_warn("second signal: exiting without waiting");
        _exit(1);
    }
    s->stopping = 1;
    log_info("%s: finishing the requests in flight, then exiting", strsignal((int)sig));
    for (int i = 0; i < s->nworkers; i++)
        event_base_once(s->workers[i].base, -1, EV_TIMEOUT, worker_begin_drain, &s->workers[i],
                        &now);
}

/* Not fatal: the api serves /health and /ready (which will say why) either way. */
static void check_schema(const struct api_config *cfg)
{
    struct db *db = db_new(cfg->common.database_url, "statushawk-api");
    int pending;

    if (!db)
        return;
    if (migrate_pending(db, &pending) != 0)
        log_warn("database unreachable at start (%s); serving anyway", db_last_error(db));
    else if (pending > 0)
        log_error("the database lacks %d migration(s): run 'statushawk-api migrate'", pending);
    db_free(db);
}

static int start_workers(struct server *s, int *port)
{
    for (int i = 0; i < s->nworkers; i++) {
        if (worker_init(&s->workers[i], s, i, *port) != 0)
            return -1;
        if (i == 0 && *port == 0) {
            /* Port 0: the first listener picks one; the others join it there. */
            evutil_socket_t fd = evhttp_bound_socket_get_fd(s->workers[0].bound);
            struct sockaddr_storage ss;
            socklen_t len = sizeof(ss);
            getsockname(fd, (struct sockaddr *)&ss, &len);
            *port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                                   : ((struct sockaddr_in *)&ss)->sin_port);
        }
    }
    for (int i = 0; i < s->nworkers; i++) {
        if (pthread_create(&s->workers[i].thread, NULL, worker_main, &s->workers[i]) != 0)
            return -1;
        s->workers_running++;
    }
    return 0;
}

int server_run(const struct api_config *cfg)
{
    struct server s = {.cfg = cfg, .nworkers = cfg->threads};
    struct event *sigterm = NULL, *sigint = NULL;
    int port = cfg->listen_port, started, rc = 1;

    if (api_routes_count > METRICS_MAX_ROUTES) {
        log_error("%zu routes: raise METRICS_MAX_ROUTES", api_routes_count);
        return 1;
    }
    token_cache_configure(cfg->token_cache_seconds);
    evthread_use_pthreads();
    signal(SIGPIPE, SIG_IGN);
    check_schema(cfg);
    if (accounts_init(cfg) != 0 || work_pool_start(cfg->work_threads, WORK_QUEUE_MAX) != 0) {
        log_error("cannot start the work pool");
        return 1;
    }
    s.main_base = event_base_new();
    s.workers = calloc((size_t)s.nworkers, sizeof(*s.workers));
    if (!s.main_base || !s.workers)
        goto out;
    sigterm = evsignal_new(s.main_base, SIGTERM, on_signal, &s);
    sigint = evsignal_new(s.main_base, SIGINT, on_signal, &s);
    if (!sigterm || !sigint || evsignal_add(sigterm, NULL) != 0 || evsignal_add(sigint, NULL) != 0)
        goto out;
    started = start_workers(&s, &port) == 0;
    if (!started) {
        log_error("cannot start the HTTP workers on %s", cfg->listen);
        if (s.workers_running)
            on_signal(SIGTERM, 0, &s);
    } else {
        log_info("listening on %s:%d with %d worker threads", cfg->listen_host, port, s.nworkers);
    }
    if (s.workers_running)
        event_base_dispatch(s.main_base);
    for (int i = 0; i < s.nworkers; i++)
        if (s.workers[i].thread)
            pthread_join(s.workers[i].thread, NULL);
    rc = started ? 0 : 1;
out:
    work_pool_stop();
    if (s.workers)
        for (int i = 0; i < s.nworkers; i++)
            worker_free(&s.workers[i]);
    free(s.workers);
    if (sigterm)
        event_free(sigterm);
    if (sigint)
        event_free(sigint);
    if (s.main_base)
        event_base_free(s.main_base);
    libevent_global_shutdown();
    log_info("stopped");
    return rc;
}
