/* endpoint: see endpoint.h. Every handler ends in exactly one evhttp_send_reply. */
#include "notifier/endpoint.h"

#include <arpa/inet.h>
#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "common/log.h"
#include "common/redis_async.h"
#include "notifier/consume.h"
#include "notifier/metrics.h"
#include "notifier/notifier.h"
#include "notifier/pgq.h"
#include "notifier/retry.h"
#include "notifier/tg_poll.h"
#include "notifier/tgqueue.h"

struct endpoint {
    struct notifier *n;
    struct evhttp *http;
    int port;
};

static void reply(struct evhttp_request *req, int code, const char *type, const char *body,
                  size_t len)
{
    struct evbuffer *buf = evbuffer_new();
    evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", type);
    if (buf)
        evbuffer_add(buf, body, len);
    evhttp_send_reply(req, code,
                      code == 200   ? "OK"
                      : code == 404 ? "Not Found"
                      : code == 405 ? "Method Not Allowed"
                                    : "Service Unavailable",
                      buf);
    if (buf)
        evbuffer_free(buf);
}

static void handle(struct evhttp_request *req, void *arg)
{
    struct endpoint *e = arg;
    struct notifier *n = e->n;
    const char *path = evhttp_uri_get_path(evhttp_request_get_evhttp_uri(req));
    static const char json[] = "application/json";

    if (!path)
        path = "/";
    if (evhttp_request_get_command(req) != EVHTTP_REQ_GET &&
        evhttp_request_get_command(req) != EVHTTP_REQ_HEAD) {
        static const char body[] = "{\"detail\":\"Method not allowed.\"}";
        reply(req, 405, json, body, sizeof(body) - 1);
        return;
    }
    if (strcmp(path, "/health") == 0 || strcmp(path, "/health/") == 0) {
        static const char body[] = "{\"status\":\"ok\"}";
        reply(req, 200, json, body, sizeof(body) - 1);
        return;
    }
    if (strcmp(path, "/ready") == 0 || strcmp(path, "/ready/") == 0) {
        int pg = pgq_connected(n->pg);
        int rd = redis_async_connected(n->redis) && redis_async_connected(n->redis_read);
        int ok = pg && rd && !n->stopping;
        char body[160];
        int len =
            snprintf(body, sizeof(body), "{\"status\":\"%s\",\"postgres\":\"%s\",\"redis\":\"%s\"}",
                     n->stopping ? "stopping"
                     : ok        ? "ok"
                                 : "unavailable",
                     pg ? "ok" : "unavailable", rd ? "ok" : "unavailable");
        reply(req, ok ? 200 : 503, json, body, (size_t)len);
        return;
    }
    if (strcmp(path, "/metrics") == 0 || strcmp(path, "/metrics/") == 0) {
        struct strbuf b;
        struct metrics_gauges g = {
            .inflight = notifier_inflight(n),
            .waiting_telegram = tgqueue_waiting(n->tgqueue),
            .retry_queue = retryq_depth(n->retry),
            .stream_pending = consume_stream_pending(n->consume),
            .tg_poll_holder = n->tg_poll ? tg_poll_holder(n->tg_poll) : 0,
        };
        strbuf_init(&b, 1024 * 1024);
        metrics_render(&b, &g);
        reply(req, 200, "text/plain; version=0.0.4; charset=utf-8", strbuf_str(&b), b.len);
        strbuf_free(&b);
        return;
    }
    static const char body[] = "{\"detail\":\"Not found.\"}";
    reply(req, 404, json, body, sizeof(body) - 1);
}

struct endpoint *endpoint_new(struct notifier *n)
{
    struct endpoint *e = calloc(1, sizeof(*e));
    struct evhttp_bound_socket *sock;

    if (!e)
        return NULL;
    e->n = n;
    e->http = evhttp_new(n->base);
    if (!e->http)
        goto fail;
    evhttp_set_max_body_size(e->http, 4096); /* read, then refused with 405 */
    evhttp_set_max_headers_size(e->http, 16 * 1024);
    evhttp_set_timeout(e->http, 10);
    evhttp_set_allowed_methods(e->http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD | EVHTTP_REQ_POST |
                                            EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE | EVHTTP_REQ_PATCH |
                                            EVHTTP_REQ_OPTIONS);
    evhttp_set_gencb(e->http, handle, e);
    sock =
        evhttp_bind_socket_with_handle(e->http, n->cfg->http_host, (ev_uint16_t)n->cfg->http_port);
    if (!sock) {
        log_error("NOTIFIER_HTTP_LISTEN %s:%d: cannot listen (address in use?)", n->cfg->http_host,
                  n->cfg->http_port);
        goto fail;
    }
    {
        struct sockaddr_storage ss;
        socklen_t len = sizeof(ss);
        evutil_socket_t fd = evhttp_bound_socket_get_fd(sock);
        if (getsockname(fd, (struct sockaddr *)&ss, &len) == 0)
            e->port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                                     : ((struct sockaddr_in *)&ss)->sin_port);
    }
    log_info("listening on %s:%d (/health, /ready, /metrics)", n->cfg->http_host, e->port);
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

int endpoint_port(const struct endpoint *e)
{
    return e->port;
}
