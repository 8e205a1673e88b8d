/* targets: see targets.h. */
#include "targets.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/thread.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <setjmp.h>
#include <cmocka.h>

#define MAX_ROUTES 64
#define PATH_MAX_LEN 128
#define TCP_MAX_CONNS 256

struct route_slot {
    int used;
    char path[PATH_MAX_LEN];
    struct target_route r;
    unsigned hits;
    struct target_request last;
};

struct target {
    struct event_base *base;
    struct evhttp *http;
    SSL_CTX *ssl;
    int port;
    pthread_t thread;
    pthread_mutex_t mu;
    struct route_slot routes[MAX_ROUTES];
};

/* A reply waiting for its delay, or a body being sent slowly. */
struct pending {
    struct target *t;
    struct evhttp_request *req;
    struct evhttp_connection *conn;
    struct target_route r;
    struct event *timer;
    int body_started;
};

/* libevent must know about threads before the first base is made: the test thread
 * stops a target's loop from outside it. */
static void use_threads(void)
{
    evthread_use_pthreads();
}

static void threads_once(void)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, use_threads);
}

static struct route_slot *find_route(struct target *t, const char *path)
{
    for (int i = 0; i < MAX_ROUTES; i++)
        if (t->routes[i].used && strcmp(t->routes[i].path, path) == 0)
            return &t->routes[i];
    return NULL;
}

static void pending_free(struct pending *p)
{
    if (p->conn)
        evhttp_connection_set_closecb(p->conn, NULL, NULL);
    if (p->timer)
        event_free(p->timer);
    free(p);
}

/* The connection is going away before the answer was sent. When the client closed it,
 * libevent has already detached the request and left it to us (it would be freed by
 * the reply we will now never send); when the target is being stopped, the request is
 * still attached and goes with the connection. */
static void on_conn_close(struct evhttp_connection *conn, void *arg)
{
    struct pending *p = arg;
    if (evhttp_request_get_connection(p->req) == NULL)
        evhttp_request_free(p->req);
    p->conn = NULL;
    pending_free(p);
}

static void send_answer(struct pending *p);

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
    struct pending *p = arg;
    send_answer(p);
}

static void send_answer(struct pending *p)
{
    struct evbuffer *buf;
    int status = p->r.status ? p->r.status : 200;

    if (p->r.slow_body_ms > 0) {
        struct timeval tv = {p->r.slow_body_ms / 1000, (p->r.slow_body_ms % 1000) * 1000};
        if (!p->body_started) {
            p->body_started = 1;
            evhttp_send_reply_start(p->req, status, "OK");
            event_free(p->timer);
            p->timer = event_new(p->t->base, -1, EV_PERSIST, on_timer, p);
            evtimer_add(p->timer, &tv);
        }
        buf = evbuffer_new();
        evbuffer_add(buf, "x", 1);
        evhttp_send_reply_chunk(p->req, buf);
        evbuffer_free(buf);
        return; /* for ever, until the client gives up (on_conn_close) */
    }
    if (p->r.location)
        evhttp_add_header(evhttp_request_get_output_headers(p->req), "Location", p->r.location);
    buf = evbuffer_new();
    evbuffer_add_printf(buf, "status %d\n", status);
    evhttp_send_reply(p->req, status, "Test", buf);
    evbuffer_free(buf);
    pending_free(p);
}

static void copy_header(struct evhttp_request *req, const char *name, char *out, size_t outlen)
{
    const char *v = evhttp_find_header(evhttp_request_get_input_headers(req), name);
    snprintf(out, outlen, "%s", v ? v : "");
}

static const char *method_name(enum evhttp_cmd_type cmd)
{
    switch (cmd) {
    case EVHTTP_REQ_GET:
        return "GET";
    case EVHTTP_REQ_POST:
        return "POST";
    case EVHTTP_REQ_HEAD:
        return "HEAD";
    case EVHTTP_REQ_PUT:
        return "PUT";
    case EVHTTP_REQ_DELETE:
        return "DELETE";
    case EVHTTP_REQ_OPTIONS:
        return "OPTIONS";
    case EVHTTP_REQ_PATCH:
        return "PATCH";
    default:
        return "OTHER";
    }
}

static void on_request(struct evhttp_request *req, void *arg)
{
    struct target *t = arg;
    const char *uri = evhttp_request_get_uri(req);
    char path[PATH_MAX_LEN];
    struct route_slot *slot;
    struct pending *p = calloc(1, sizeof(*p));
    struct evbuffer *in = evhttp_request_get_input_buffer(req);
    int delay = 0;

    if (!p)
        abort();
    snprintf(path, sizeof(path), "%.*s", (int)strcspn(uri, "?"), uri);
    pthread_mutex_lock(&t->mu);
    slot = find_route(t, path);
    for (int i = 0; !slot && i < MAX_ROUTES; i++) {
        if (!t->routes[i].used) {
            /* A path nobody configured answers 200 and is counted like the others. */
            slot = &t->routes[i];
            slot->used = 1;
            snprintf(slot->path, sizeof(slot->path), "%s", path);
        }
    }
    if (!slot)
        abort();
    slot->hits++;
    snprintf(slot->last.method, sizeof(slot->last.method), "%s",
             method_name(evhttp_request_get_command(req)));
    copy_header(req, "User-Agent", slot->last.user_agent, sizeof(slot->last.user_agent));
    copy_header(req, "X-Test", slot->last.x_test, sizeof(slot->last.x_test));
    {
        size_t n = evbuffer_get_length(in);
        if (n >= sizeof(slot->last.body))
            n = sizeof(slot->last.body) - 1;
        evbuffer_copyout(in, slot->last.body, n);
        slot->last.body[n] = '\0';
    }
    p->r = slot->r;
    if (p->r.ndelays > 0)
        delay = p->r.delays_ms[(slot->hits - 1) % (unsigned)p->r.ndelays];
    pthread_mutex_unlock(&t->mu);

    p->t = t;
    p->req = req;
    p->conn = evhttp_request_get_connection(req);
    evhttp_connection_set_closecb(p->conn, on_conn_close, p);
    p->timer = evtimer_new(t->base, on_timer, p);
    if (delay > 0) {
        struct timeval tv = {delay / 1000, (delay % 1000) * 1000};
        evtimer_add(p->timer, &tv);
    } else {
        send_answer(p);
    }
}

static struct bufferevent *on_bev(struct event_base *base, void *arg)
{
    SSL_CTX *ctx = arg;
    return bufferevent_openssl_socket_new(base, -1, SSL_new(ctx), BUFFEREVENT_SSL_ACCEPTING,
                                          BEV_OPT_CLOSE_ON_FREE);
}

static void *target_thread(void *arg)
{
    struct target *t = arg;
    event_base_dispatch(t->base);
    return NULL;
}

static struct target *start(const char *cert, const char *key)
{
    struct target *t = calloc(1, sizeof(*t));
    struct evhttp_bound_socket *bound;
    struct sockaddr_in sa;
    socklen_t len = sizeof(sa);

    if (!t)
        abort();
    threads_once();
    pthread_mutex_init(&t->mu, NULL);
    t->base = event_base_new();
    t->http = evhttp_new(t->base);
    if (!t->base || !t->http)
        fail_msg("target: cannot create the event base");
    evhttp_set_allowed_methods(t->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD |
                                            EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE |
                                            EVHTTP_REQ_OPTIONS | EVHTTP_REQ_PATCH);
    if (cert) {
        t->ssl = SSL_CTX_new(TLS_server_method());
        if (!t->ssl || SSL_CTX_use_certificate_chain_file(t->ssl, cert) != 1 ||
            SSL_CTX_use_PrivateKey_file(t->ssl, key, SSL_FILETYPE_PEM) != 1)
            fail_msg("target: cannot load %s / %s", cert, key);
        evhttp_set_bevcb(t->http, on_bev, t->ssl);
    }
    evhttp_set_gencb(t->http, on_request, t);
    bound = evhttp_bind_socket_with_handle(t->http, "127.0.0.1", 0);
    if (!bound)
        fail_msg("target: cannot listen");
    if (getsockname(evhttp_bound_socket_get_fd(bound), (struct sockaddr *)&sa, &len) != 0)
        fail_msg("target: getsockname: %s", strerror(errno));
    t->port = ntohs(sa.sin_port);
    if (pthread_create(&t->thread, NULL, target_thread, t) != 0)
        fail_msg("target: cannot start its thread");
    return t;
}

struct target *target_http_start(void)
{
    return start(NULL, NULL);
}

struct target *target_https_start(const char *cert_path, const char *key_path)
{
    return start(cert_path, key_path);
}

int target_port(const struct target *t)
{
    return t->port;
}

char *target_url(const struct target *t, const char *path)
{
    char *s = NULL;
    if (asprintf(&s, "%s://127.0.0.1:%d%s", t->ssl ? "https" : "http", t->port, path) < 0)
        abort();
    return s;
}

void target_route(struct target *t, const char *path, const struct target_route *route)
{
    struct route_slot *slot;

    pthread_mutex_lock(&t->mu);
    slot = find_route(t, path);
    for (int i = 0; !slot && i < MAX_ROUTES; i++) {
        if (!t->routes[i].used) {
            slot = &t->routes[i];
            slot->used = 1;
            snprintf(slot->path, sizeof(slot->path), "%s", path);
        }
    }
    if (slot)
        slot->r = *route;
    pthread_mutex_unlock(&t->mu);
    if (!slot)
        fail_msg("target: too many routes");
}

unsigned target_hits(struct target *t, const char *path)
{
    struct route_slot *slot;
    unsigned n;

    pthread_mutex_lock(&t->mu);
    slot = find_route(t, path);
    n = slot ? slot->hits : 0;
    pthread_mutex_unlock(&t->mu);
    return n;
}

void target_last_request(struct target *t, const char *path, struct target_request *out)
{
    struct route_slot *slot;

    pthread_mutex_lock(&t->mu);
    slot = find_route(t, path);
    if (slot)
        *out = slot->last;
    else
        memset(out, 0, sizeof(*out));
    pthread_mutex_unlock(&t->mu);
}

void target_stop(struct target *t)
{
    if (!t)
        return;
    event_base_loopbreak(t->base);
    pthread_join(t->thread, NULL);
    evhttp_free(t->http); /* closes connections: on_conn_close frees what waits */
    event_base_free(t->base);
    if (t->ssl)
        SSL_CTX_free(t->ssl);
    pthread_mutex_destroy(&t->mu);
    free(t);
}

/* ---- TCP targets ---- */

struct tcp_target {
    int listen_fd;
    int stop_pipe[2];
    int reset;
    int port;
    pthread_t thread;
    pthread_mutex_t mu;
    unsigned accepted;
    int conns[TCP_MAX_CONNS];
    int nconns;
};

static void *tcp_thread(void *arg)
{
    struct tcp_target *t = arg;
    struct pollfd pfd[2] = {{t->listen_fd, POLLIN, 0}, {t->stop_pipe[0], POLLIN, 0}};

    for (;;) {
        if (poll(pfd, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        if (pfd[1].revents)
            break;
        if (pfd[0].revents & POLLIN) {
            int fd = accept4(t->listen_fd, NULL, NULL, SOCK_CLOEXEC);
            if (fd < 0)
                continue;
            pthread_mutex_lock(&t->mu);
            t->accepted++;
            pthread_mutex_unlock(&t->mu);
            if (t->reset || t->nconns == TCP_MAX_CONNS) {
                struct linger lg = {1, 0};
                setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
                close(fd);
            } else {
                t->conns[t->nconns++] = fd;
            }
        }
    }
    return NULL;
}

struct tcp_target *tcp_target_start(int reset)
{
    struct tcp_target *t = calloc(1, sizeof(*t));
    struct sockaddr_in sa = {0};
    socklen_t len = sizeof(sa);

    if (!t)
        abort();
    t->reset = reset;
    pthread_mutex_init(&t->mu, NULL);
    t->listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (t->listen_fd < 0 || bind(t->listen_fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
        listen(t->listen_fd, 128) != 0 ||
        getsockname(t->listen_fd, (struct sockaddr *)&sa, &len) != 0 ||
        pipe2(t->stop_pipe, O_CLOEXEC) != 0)
        fail_msg("tcp target: %s", strerror(errno));
    t->port = ntohs(sa.sin_port);
    if (pthread_create(&t->thread, NULL, tcp_thread, t) != 0)
        fail_msg("tcp target: cannot start its thread");
    return t;
}

int tcp_target_port(const struct tcp_target *t)
{
    return t->port;
}

unsigned tcp_target_accepted(struct tcp_target *t)
{
    unsigned n;
    pthread_mutex_lock(&t->mu);
    n = t->accepted;
    pthread_mutex_unlock(&t->mu);
    return n;
}

void tcp_target_stop(struct tcp_target *t)
{
    if (!t)
        return;
    if (write(t->stop_pipe[1], "x", 1) != 1)
        abort();
    pthread_join(t->thread, NULL);
    for (int i = 0; i < t->nconns; i++)
        close(t->conns[i]);
    close(t->listen_fd);
    close(t->stop_pipe[0]);
    close(t->stop_pipe[1]);
    pthread_mutex_destroy(&t->mu);
    free(t);
}

/* ---- certificates ---- */

static struct test_certs g_certs;
static int g_certs_made;

static void run_openssl(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void run_openssl(const char *fmt, ...)
{
    char cmd[2048];
    va_list ap;
    int rc;

    va_start(ap, fmt);
    vsnprintf(cmd, sizeof(cmd), fmt, ap);
    va_end(ap);
    rc = system(cmd);
    if (rc != 0)
        fail_msg("certificate setup failed (%d): %s", rc, cmd);
}

static void make_leaf(const char *name, int days, char *crt, char *key)
{
    const char *d = g_certs.dir;

    snprintf(crt, 192, "%s/%s.crt", d, name);
    snprintf(key, 192, "%s/%s.key", d, name);
    run_openssl("openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes "
                "-keyout %s -out %s/%s.csr -subj /CN=localhost 2>/dev/null",
                key, d, name);
    run_openssl("openssl x509 -req -in %s/%s.csr -CA %s -CAkey %s/ca.key -CAcreateserial "
                "-days %d -out %s -extfile %s/san.cnf 2>/dev/null",
                d, name, g_certs.ca, d, days, crt, d);
}

const struct test_certs *test_certs(void)
{
    FILE *f;
    const char *d;

    if (g_certs_made)
        return &g_certs;
    snprintf(g_certs.dir, sizeof(g_certs.dir), "/tmp/sh_it_certs_%ld_XXXXXX", (long)getpid());
    if (!mkdtemp(g_certs.dir))
        fail_msg("mkdtemp: %s", strerror(errno));
    d = g_certs.dir;
    snprintf(g_certs.ca, sizeof(g_certs.ca), "%s/ca.crt", d);
    run_openssl("openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes "
                "-keyout %s/ca.key -out %s -days 30 -subj /CN=StatusHawk-Test-CA "
                "-addext basicConstraints=critical,CA:TRUE -addext keyUsage=keyCertSign,cRLSign "
                "2>/dev/null",
                d, g_certs.ca);
    {
        char path[256];
        snprintf(path, sizeof(path), "%s/san.cnf", d);
        f = fopen(path, "w");
        if (!f)
            fail_msg("%s: %s", path, strerror(errno));
        fputs("subjectAltName=IP:127.0.0.1,DNS:localhost\n", f);
        fclose(f);
    }
    make_leaf("valid", 365, g_certs.valid_crt, g_certs.valid_key);
    make_leaf("soon", 5, g_certs.soon_crt, g_certs.soon_key);
    make_leaf("expired", -1, g_certs.expired_crt, g_certs.expired_key);
    snprintf(g_certs.self_crt, sizeof(g_certs.self_crt), "%s/self.crt", d);
    snprintf(g_certs.self_key, sizeof(g_certs.self_key), "%s/self.key", d);
    run_openssl("openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes "
                "-keyout %s -out %s -days 30 -subj /CN=localhost "
                "-addext subjectAltName=IP:127.0.0.1,DNS:localhost 2>/dev/null",
                g_certs.self_key, g_certs.self_crt);
    g_certs_made = 1;
    return &g_certs;
}

void test_certs_cleanup(void)
{
    char cmd[256];

    if (!g_certs_made)
        return;
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", g_certs.dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", g_certs.dir);
    g_certs_made = 0;
}
