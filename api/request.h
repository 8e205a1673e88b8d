/* request: one HTTP request's life in the api, from the evhttp callback to the single
 * reply that ends it. Handlers receive a struct api_request and must finish it exactly
 * once with one of the api_reply_* functions, which send the response, write the access
 * log line and free the request — possibly later, from a completion callback. */
#ifndef STATUSHAWK_API_REQUEST_H
#define STATUSHAWK_API_REQUEST_H

#include <arpa/inet.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <sys/queue.h>
#include <jansson.h>
#include <stdint.h>

#include "api/router.h"
#include "api/server.h"

struct auth_user {
    int64_t id;
    char email[256];
    char first_name[152];
    char last_name[152];
    int is_staff;
    char token_hash[65]; /* the SHA-256 hex of the token this request came with */
};

struct api_request {
    struct evhttp_request *req;
    struct worker *worker;
    enum evhttp_cmd_type method;
    const char *path; /* borrowed from req */
    const struct route *route;
    int64_t params[ROUTE_MAX_PARAMS]; /* {id}-style path parameters, in order */
    int nparams;
    struct auth_user user; /* valid on routes that require authentication */
    char client_ip[INET6_ADDRSTRLEN];
    const char *cors_origin; /* the Access-Control-Allow-Origin to send, or NULL */
    json_t *body;            /* the parsed body, once api_request_json_body succeeded */
    struct evkeyvalq query;  /* the parsed query string, once api_request_query parsed it */
    int query_parsed;
    int64_t start_us;
};

/* The evhttp callback every request enters through; arg is the worker. */
void request_dispatch(struct evhttp_request *req, void *arg);

/* The request body as a JSON object (owned by r). On malformed JSON or a body that is
 * not an object, replies 400 {"detail": ...} itself and returns NULL. */
json_t *api_request_json_body(struct api_request *r);

/* A query-string parameter (decoded), borrowed from r, or NULL when absent. */
const char *api_request_query(struct api_request *r, const char *name);

/* A request header, borrowed from the request, or NULL. */
const char *api_request_header(struct api_request *r, const char *name);

/* Replies; each ends the request (r is freed). body is stolen. */
void api_reply_json(struct api_request *r, int status, json_t *body);
void api_reply_detail(struct api_request *r, int status, const char *detail);
void api_reply_empty(struct api_request *r, int status);
/* Sends the contents of body (drained, not freed) with the given Content-Type. */
void api_reply_buffer(struct api_request *r, int status, const char *content_type,
                      struct evbuffer *body);
/* 503 naming what is down, e.g. "database". */
void api_reply_unavailable(struct api_request *r, const char *what);
/* For a failed query: 503 when the database is unreachable, else 500. */
void api_reply_db_error(struct api_request *r, int db_status);
/* 429 with Retry-After. */
void api_reply_throttled(struct api_request *r, int wait_s);

/* Adds a response header before the reply. */
void api_reply_header(struct api_request *r, const char *name, const char *value);

#endif
