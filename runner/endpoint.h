/* endpoint: the runner's small HTTP server on RUNNER_HTTP_LISTEN, on the runner's own
 * loop (evhttp): GET /health (the process runs), /ready (PostgreSQL and Redis connected
 * and not shutting down; else 503 naming what is missing) and /metrics (Prometheus text,
 * see metrics.h). Every answer is built from in-memory state, so a scrape never waits
 * for a database. */
#ifndef STATUSHAWK_RUNNER_ENDPOINT_H
#define STATUSHAWK_RUNNER_ENDPOINT_H

struct runner;
struct endpoint;

/* Listens on cfg->listen_host:listen_port. NULL (logged) when it cannot. */
struct endpoint *endpoint_new(struct runner *r);
void endpoint_free(struct endpoint *e);

#endif
