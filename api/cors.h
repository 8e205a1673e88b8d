/* cors: STATUSHAWK_CORS_ORIGINS, a comma list of origins or "*". */
#ifndef STATUSHAWK_API_CORS_H
#define STATUSHAWK_API_CORS_H

/* The Access-Control-Allow-Origin value for a request from origin under the configured
 * list: "*" when the list allows any origin, origin itself when it is listed, else NULL.
 * The result is borrowed from origin or static. */
const char *cors_allow_origin(const char *allowed_list, const char *origin);

#endif
