/* owned: reading one object of the signed-in user — a monitor or a channel — the way
 * every route on /monitors/{id}/ and /notifications/channels/{id}/ begins: the query,
 * then 503/500 when the database failed and 404 when the object is not there or belongs
 * to someone else (the two are told apart to nobody). */
#ifndef STATUSHAWK_API_OWNED_H
#define STATUSHAWK_API_OWNED_H

#include <libpq-fe.h>

struct api_request;

/* Runs sql (a literal: it is prepared, see db_exec_prepared) with its nparams text
 * parameters on the request's connection. Returns the result when it has a row (the
 * caller PQclear()s it), or NULL after replying. */
PGresult *owned_query(struct api_request *r, const char *sql, int nparams,
                      const char *const *params);

#endif
