/* request: see request.h. */
#include "api/request.h"

#include <event2/buffer.h>
#include <event2/keyvalq_struct.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/auth.h"
#include "api/cors.h"
#include "api/metrics.h"
#include "api/router.h"
#include "api/webroot.h"
#include "common/db.h"
#include "common/jsonutil.h"
#include "common/log.h"
#include "common/timeutil.h"

#define CORS_ALLOWED_HEADERS "Authorization, Content-Type"
#define CORS_MAX_AGE "86400"

const char *api_request_header(struct api_request *r, const char *name)
{
    return evhttp_find_header(evhttp_request_get_input_headers(r->req), name);
}

void api_reply_header(struct api_request *r, const char *name, const char *value)
{
    evhttp_add_header(evhttp_request_get_output_headers(r->req), name, value);
}

const char *api_request_query(struct api_request *r, const char *name)
{
    if (!r->query_parsed) {
        const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(r->req);
        const char *q = uri ? evhttp_uri_get_query(uri) : NULL;
        TAILQ_INIT(&r->query);
        /* A malformed query string reads as an empty one. */
        if (q && evhttp_parse_query_str(q, &r->query) != 0)
            evhttp_clear_headers(&r->query);
        r->query_parsed = 1;
    }
    return evhttp_find_header(&r->query, name);
}

static void request_free(struct api_request *r)
{
    if (r->query_parsed)
        evhttp_clear_headers(&r->query);
    json_decref(r->body);
    free(r);
}

/* The one place a request ends: headers common to every answer, the reply, the
 * access log line, and the bookkeeping the graceful shutdown waits on. */
static void reply_send(struct api_request *r, int status, struct evbuffer *buf)
{
    struct worker *w = r->worker;
    int64_t elapsed_us;
    double ms;

    if (r->cors_origin) {
        api_reply_header(r, "Access-Control-Allow-Origin", r->cors_origin);
        api_reply_header(r, "Vary", "Origin");
    }
    if (w->draining)
        api_reply_header(r, "Connection", "close");
    evhttp_send_reply(r->req, status, NULL, buf);
    elapsed_us = time_mono_us() - r->start_us;
    metrics_observe_request(r->route ? (int)(r->route - api_routes) : -1, status, elapsed_us);
    ms = (double)elapsed_us / 1000.0;
    log_info("%s %s %d %.2fms %s", router_method_name(r->method), r->path, status, ms,
             r->client_ip);
    w->inflight--;
    request_free(r);
}

void api_reply_json(struct api_request *r, int status, json_t *body)
{
    struct evbuffer *buf = evbuffer_new();
    char *text = jsonutil_dump(body);

    json_decref(body);
    if (!buf || !text) {
        /* Out of memory: still answer, without a body. */
        free(text);
        if (buf)
            evbuffer_free(buf);
        reply_send(r, 500, NULL);
        return;
    }
    api_reply_header(r, "Content-Type", "application/json; charset=utf-8");
    evbuffer_add(buf, text, strlen(text));
    free(text);
    reply_send(r, status, buf);
    evbuffer_free(buf);
}

void api_reply_detail(struct api_request *r, int status, const char *detail)
{
    api_reply_json(r, status, json_pack("{s:s}", "detail", detail));
}

void api_reply_buffer(struct api_request *r, int status, const char *content_type,
                      struct evbuffer *body)
{
    api_reply_header(r, "Content-Type", content_type);
    reply_send(r, status, body);
}

void api_reply_empty(struct api_request *r, int status)
{
    reply_send(r, status, NULL);
}

void api_reply_unavailable(struct api_request *r, const char *what)
{
    char detail[128];
    snprintf(detail, sizeof(detail), "Service temporarily unavailable: %s unreachable.", what);
    api_reply_header(r, "Retry-After", "5");
    api_reply_detail(r, 503, detail);
}

void api_reply_db_error(struct api_request *r, int db_status)
{
    if (db_status == DB_UNAVAILABLE)
        api_reply_unavailable(r, "database");
    else
        api_reply_detail(r, 500, "Internal server error.");
}

void api_reply_throttled(struct api_request *r, int wait_s)
{
    char detail[96], after[16];
    snprintf(after, sizeof(after), "%d", wait_s);
    snprintf(detail, sizeof(detail), "Request was throttled. Expected available in %d second%s.",
             wait_s, wait_s == 1 ? "" : "s");
    api_reply_header(r, "Retry-After", after);
    api_reply_detail(r, 429, detail);
}

json_t *api_request_json_body(struct api_request *r)
{
    struct evbuffer *in = evhttp_request_get_input_buffer(r->req);
    size_t len = evbuffer_get_length(in);
    char err[256];
    /* evbuffer_pullup makes the body contiguous; its size was bounded on entry. */
    const char *data = len ? (const char *)evbuffer_pullup(in, -1) : "";

    r->body = jsonutil_parse_object(data, len, err, sizeof(err));
    if (!r->body) {
        api_reply_detail(r, 400, err); /* ends r: nothing of it may be read after */
        return NULL;
    }
    return r->body;
}

/* The client's address: the TCP peer, or behind a trusted proxy the first address of
 * X-Forwarded-For when it parses as one. */
static void client_ip(struct api_request *r)
{
    char *peer = NULL;
    ev_uint16_t port;
    const char *xff;

    evhttp_connection_get_peer(evhttp_request_get_connection(r->req), &peer, &port);
    snprintf(r->client_ip, sizeof(r->client_ip), "%s", peer ? peer : "unknown");
    if (!r->worker->cfg->trust_proxy)
        return;
    xff = api_request_header(r, "X-Forwarded-For");
    if (xff) {
        char first[INET6_ADDRSTRLEN];
        unsigned char probe[sizeof(struct in6_addr)];
        size_t len = strcspn(xff, ", ");
        if (len > 0 && len < sizeof(first)) {
            memcpy(first, xff, len);
            first[len] = '\0';
            if (inet_pton(AF_INET, first, probe) == 1 || inet_pton(AF_INET6, first, probe) == 1)
                memcpy(r->client_ip, first, len + 1);
        }
    }
}

static void reply_preflight(struct api_request *r, unsigned allowed)
{
    char methods[96];
    router_methods_list(allowed | EVHTTP_REQ_OPTIONS, methods, sizeof(methods));
    api_reply_header(r, "Allow", methods);
    if (r->cors_origin) {
        api_reply_header(r, "Access-Control-Allow-Methods", methods);
        api_reply_header(r, "Access-Control-Allow-Headers", CORS_ALLOWED_HEADERS);
        api_reply_header(r, "Access-Control-Max-Age", CORS_MAX_AGE);
    }
    api_reply_empty(r, 204);
}

static void reply_method_not_allowed(struct api_request *r, unsigned allowed)
{
    char methods[96], detail[64];
    router_methods_list(allowed | EVHTTP_REQ_OPTIONS, methods, sizeof(methods));
    api_reply_header(r, "Allow", methods);
    snprintf(detail, sizeof(detail), "Method \"%s\" not allowed.", router_method_name(r->method));
    api_reply_detail(r, 405, detail);
}

/* "/" and unknown non-API paths are the dashboard's, when one is configured. */
static int serves_dashboard(struct api_request *r)
{
    return r->worker->cfg->web_root[0] &&
           (r->method == EVHTTP_REQ_GET || r->method == EVHTTP_REQ_HEAD) &&
           strncmp(r->path, "/api/", 5) != 0 && strcmp(r->path, "/api") != 0;
}

void request_dispatch(struct evhttp_request *req, void *arg)
{
    struct worker *w = arg;
    struct api_request *r = calloc(1, sizeof(*r));
    const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
    enum evhttp_cmd_type lookup;
    unsigned allowed;

    if (!r) {
        evhttp_send_error(req, 500, NULL);
        return;
    }
    r->req = req;
    r->worker = w;
    r->start_us = time_mono_us();
    r->method = evhttp_request_get_command(req);
    r->path = (uri && evhttp_uri_get_path(uri)) ? evhttp_uri_get_path(uri) : "/";
    w->inflight++;
    client_ip(r);
    r->cors_origin = cors_allow_origin(w->cfg->cors_origins, api_request_header(r, "Origin"));

    lookup = r->method == EVHTTP_REQ_HEAD ? EVHTTP_REQ_GET : r->method;
    r->route = router_match(api_routes, api_routes_count, lookup, r->path, r->params, &r->nparams,
                            &allowed);
    if (!r->route) {
        if (!allowed && serves_dashboard(r))
            webroot_serve(r);
        else if (!allowed)
            api_reply_detail(r, 404, "Not found.");
        else if (r->method == EVHTTP_REQ_OPTIONS)
            reply_preflight(r, allowed);
        else
            reply_method_not_allowed(r, allowed);
        return;
    }
    /* evhttp bounds what it buffers (see server.c); the API's own limit is lower so the
     * answer can be a JSON 413 rather than evhttp's HTML one. */
    if (evbuffer_get_length(evhttp_request_get_input_buffer(req)) > API_MAX_BODY) {
        api_reply_detail(r, 413, "Request body too large: the limit is 65536 bytes.");
        return;
    }
    if ((r->route->flags & ROUTE_AUTH) && auth_authenticate(r) != 0)
        return;
    r->route->handler(r);
}
