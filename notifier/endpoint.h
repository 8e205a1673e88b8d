/* endpoint: the notifier's operations listener on NOTIFIER_HTTP_LISTEN, on the same loop:
 *   GET /health   200 {"status":"ok"} while the process runs
 *   GET /ready    200 when PostgreSQL and Redis are connected and it is not shutting down,
 *                 else 503 naming what is missing
 *   GET /metrics  Prometheus text (metrics.h)
 * Anything else is 404; bodies are not accepted. */
#ifndef STATUSHAWK_NOTIFIER_ENDPOINT_H
#define STATUSHAWK_NOTIFIER_ENDPOINT_H

struct notifier;

/* Binds the listener. NULL (logged) when the address cannot be bound. */
struct endpoint *endpoint_new(struct notifier *n);
void endpoint_free(struct endpoint *e);

/* The port bound (useful with port 0). */
int endpoint_port(const struct endpoint *e);

#endif
