/* endpoint: see endpoint.h. */
#include "runner/endpoint.h"

#include <arpa/inet.h>
#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "common/log.h"
#include "runner/alert_queue.h"
#include "runner/metrics.h"
#include "runner/persist.h"
#include "runner/runner.h"

#define MAX_HEADERS_SIZE 8192
#define MAX_BODY_SIZE 1024
#define CONN_TIMEOUT_S 10

struct endpoint {
    struct runner *r;
    struct evhttp *http;
};

static void reply(struct evhttp_request *req, int code, const char *type, struct evbuffer *body)
{
    evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", type);
    evhttp_add_header(evhttp_request_get_output_headers(req), "Cache-Control", "no-store");
    evhttp_send_reply(req, code,
                      code == 200 ? "OK" : (code == 503 ? "Service Unavailable" : "Error"), body);
}

static void on_request(struct evhttp_request *req, void *arg)
{
    struct endpoint *e = arg;
    struct runner *r = e->r;
    struct evbuffer *body = evbuffer_new();
    const char *uri = evhttp_request_get_uri(req);
    size_t plen = strcspn(uri, "?");
    enum evhttp_cmd_type cmd = evhttp_request_get_command(req);

    if (!body) {
        evhttp_send_error(req, 500, "out of memory");
        return;
    }
    /* Routes work with and without a trailing slash, as the api's do. */
    if (plen > 1 && uri[plen - 1] == '/')
        plen--;
    if (cmd != EVHTTP_REQ_GET && cmd != EVHTTP_REQ_HEAD) {
        evhttp_add_header(evhttp_request_get_output_headers(req), "Allow", "GET, HEAD");
        evbuffer_add_printf(body, "{\"detail\":\"Method not allowed.\"}");
        reply(req, 405, "application/json", body);
    } else if (plen == 7 && strncmp(uri, "/health", 7) == 0) {
        evbuffer_add_printf(body, "{\"status\":\"ok\"}");
        reply(req, 200, "application/json", body);
    } else if (plen == 6 && strncmp(uri, "/ready", 6) == 0) {
        int pg, rd, ok = runner_ready(r, &pg, &rd);
        evbuffer_add_printf(body, "{\"status\":\"%s\",\"postgres\":\"%s\",\"redis\":\"%s\"%s}",
                            ok ? "ok" : "unavailable", pg ? "ok" : "unavailable",
                            rd ? "ok" : "unavailable", r->stopping ? ",\"stopping\":true" : "");
        reply(req, ok ? 200 : 503, "application/json", body);
    } else if (plen == 8 && strncmp(uri, "/metrics", 8) == 0) {
        struct metrics_gauges g;
        int pg, rd;
        memset(&g, 0, sizeof(g));
        runner_ready(r, &pg, &rd);
        g.inflight = r->inflight;
        g.max_inflight = r->cfg->max_inflight;
        g.buffered_results = persist_pending(r->persist);
        g.buffer_max = r->cfg->buffer_max;
        g.alerts_queued = alert_queue_pending(r->alerts);
        g.pg_connected = pg;
        g.redis_connected = rd;
        g.stopping = r->stopping;
        metrics_render(body, &g);
        reply(req, 200, "text/plain; version=0.0.4; charset=utf-8", body);
    } else {
        evbuffer_add_printf(body, "{\"detail\":\"Not found.\"}");
        reply(req, 404, "application/json", body);
    }
    evbuffer_free(body);
}

struct endpoint *endpoint_new(struct runner *r)
{
    struct endpoint *e = calloc(1, sizeof(*e));
    struct evhttp_bound_socket *bound;
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    char addr[INET6_ADDRSTRLEN] = "?";
    int port = r->cfg->listen_port;

    if (!e)
        return NULL;
    e->r = r;
    e->http = evhttp_new(r->base);
    if (!e->http)
        goto fail;
    evhttp_set_max_headers_size(e->http, MAX_HEADERS_SIZE);
    evhttp_set_max_body_size(e->http, MAX_BODY_SIZE);
    evhttp_set_timeout(e->http, CONN_TIMEOUT_S);
    evhttp_set_allowed_methods(e->http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD | EVHTTP_REQ_POST |
                                            EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE | EVHTTP_REQ_PATCH |
                                            EVHTTP_REQ_OPTIONS);
    evhttp_set_gencb(e->http, on_request, e);
    bound = evhttp_bind_socket_with_handle(e->http, r->cfg->listen_host, (ev_uint16_t)port);
    if (!bound) {
        log_error("RUNNER_HTTP_LISTEN %s: cannot listen (address in use?)", r->cfg->http_listen);
        goto fail;
    }
    if (getsockname(evhttp_bound_socket_get_fd(bound), (struct sockaddr *)&ss, &len) == 0) {
        if (ss.ss_family == AF_INET) {
            struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
            inet_ntop(AF_INET, &sin->sin_addr, addr, sizeof(addr));
            port = ntohs(sin->sin_port);
        } else if (ss.ss_family == AF_INET6) {
            struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
            inet_ntop(AF_INET6, &sin6->sin6_addr, addr, sizeof(addr));
            port = ntohs(sin6->sin6_port);
        }
    }
    log_info("endpoint: /health, /ready and /metrics on %s:%d", addr, port);
    return e;
fail:
    endpoint_free(e);
    return NULL;
}

void endpoint_free(struct endpoint *e)
{
    if (!e)
        return;
    if (e->http)
        evhttp_free(e->http);
    free(e);
}
