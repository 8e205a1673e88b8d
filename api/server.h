/* server: the api's HTTP server. One event base, evhttp, PostgreSQL connection and
 * Redis connection per worker thread; each worker has its own SO_REUSEPORT listener so
 * the kernel spreads connections. SIGTERM stops accepting, lets every worker finish the
 * requests in flight (bounded by STATUSHAWK_SHUTDOWN_TIMEOUT), then exits 0. */
#ifndef STATUSHAWK_API_SERVER_H
#define STATUSHAWK_API_SERVER_H

#include <event2/event.h>
#include <event2/http.h>
#include <pthread.h>

#include "api/api_config.h"

struct server;

struct worker {
    int index;
    struct server *server;
    const struct api_config *cfg;
    struct event_base *base;
    struct evhttp *http;
    struct evhttp_bound_socket *bound;
    struct db *db;
    struct redis *redis;
    int inflight; /* requests accepted and not yet answered; touched on this thread only */
    int draining; /* SIGTERM seen: answer what is in flight, then stop */
    int64_t drain_deadline_us;
    int drain_quiet_ticks; /* drain checks in a row that found nothing in flight */
    struct event *drain_timer;
    long token_generation; /* of w->db's connection when the token cache last synced */
    pthread_t thread;
};

/* Runs the server until SIGTERM/SIGINT. Returns the process exit status. */
int server_run(const struct api_config *cfg);

#endif
