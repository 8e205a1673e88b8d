/* monitors: the /api/v1/monitors routes — list, create, read, replace, update, delete and
 * "check now" of the caller's monitors. PostgreSQL is written first; the schedule in Redis
 * follows (see common/schedule.h), and when Redis is down the write still succeeds: the
 * runner's reconciler repairs the schedule from PostgreSQL. Another user's monitor is
 * answered exactly like a missing one, 404 {"detail":"Not found."}. */
#ifndef STATUSHAWK_API_MONITORS_H
#define STATUSHAWK_API_MONITORS_H

struct api_request;

/* GET /monitors/?page=&size=&status=&search= */
void monitors_list(struct api_request *r);
/* POST /monitors/ -> 201 Monitor */
void monitors_create(struct api_request *r);
/* GET /monitors/{id}/ */
void monitors_get(struct api_request *r);
/* PUT /monitors/{id}/ (name and url required; omitted fields keep their values) */
void monitors_replace(struct api_request *r);
/* PATCH /monitors/{id}/ */
void monitors_patch(struct api_request *r);
/* DELETE /monitors/{id}/ -> 204, with its check results */
void monitors_delete(struct api_request *r);
/* POST /monitors/{id}/check/ -> 202 {"status":"scheduled"}; 409 when paused */
void monitors_check(struct api_request *r);

#endif
