/* auth: token authentication. "Authorization: Token <key>" (or "Bearer <key>"); the
 * key is looked up by its SHA-256, the only form in which tokens are stored. */
#ifndef STATUSHAWK_API_AUTH_H
#define STATUSHAWK_API_AUTH_H

struct api_request;

/* Fills r->user and returns 0; otherwise answers 401 (or 503 when the database is
 * unreachable) itself and returns -1. */
int auth_authenticate(struct api_request *r);

#endif
