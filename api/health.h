/* health: GET /health/ (the process is alive) and GET /ready (it can reach PostgreSQL
 * and Redis) for load balancers and Kubernetes probes. */
#ifndef STATUSHAWK_API_HEALTH_H
#define STATUSHAWK_API_HEALTH_H

struct api_request;

void health_live(struct api_request *r);
void health_ready(struct api_request *r);

#endif
