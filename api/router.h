/* router: the route table's matching. Patterns are slash-separated segments where
 * "{id}" matches a positive decimal integer; empty segments are ignored, so every route
 * answers with and without a trailing slash. */
#ifndef STATUSHAWK_API_ROUTER_H
#define STATUSHAWK_API_ROUTER_H

#include <event2/http.h>
#include <stddef.h>
#include <stdint.h>

struct api_request;

typedef void (*route_handler)(struct api_request *r);

#define ROUTE_MAX_PARAMS 4
#define ROUTE_AUTH 1u /* the handler needs an authenticated user */

struct route {
    enum evhttp_cmd_type method;
    const char *pattern;
    unsigned flags;
    route_handler handler;
};

/* The route for method and path, with its parameters in params (room for
 * ROUTE_MAX_PARAMS) and their count in *nparams. NULL when none: *allowed then holds
 * the methods that path does accept (0 when the path is unknown). */
const struct route *router_match(const struct route *routes, size_t n, enum evhttp_cmd_type method,
                                 const char *path, int64_t *params, int *nparams,
                                 unsigned *allowed);

/* "GET", "POST", ... for a method. */
const char *router_method_name(enum evhttp_cmd_type method);

/* Writes the methods in mask as "GET, POST, OPTIONS" into out. */
void router_methods_list(unsigned mask, char *out, size_t outsize);

extern const struct route api_routes[];
extern const size_t api_routes_count;

#endif
