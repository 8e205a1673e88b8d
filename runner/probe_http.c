/* probe_http: see probe_http.h. */
#include "runner/probe_http.h"

#include <curl/curl.h>
#include <errno.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/log.h"
#include "common/target_guard.h"
#include "common/timeutil.h"
#include "runner/cert.h"

#define METHOD_MAX 16
#define HEADER_LINE_MAX 8192
#define MAX_REDIRECTS 10

/* One libcurl socket watched by libevent. */
struct sock_ctx {
    struct probe_http *ph;
    curl_socket_t fd;
    struct event *ev;
    struct sock_ctx *prev, *next; /* every context not yet freed */
    struct sock_ctx *next_dead;
};

/* One check in flight. */
struct xfer {
    struct probe_http *ph;
    struct check *check;
    CURL *easy;
    struct curl_slist *headers;
    const char *blocked; /* target_guard's reason when a connect was refused */
    size_t body_bytes;
    int body_capped;
    int cert_seen;
    int is_https;
    char errbuf[CURL_ERROR_SIZE];
};

struct probe_http {
    struct event_base *base;
    const struct runner_config *cfg;
    CURLM *multi;
    struct event *timer;
    struct event *sweep;        /* frees the graveyard after the current callback */
    struct sock_ctx *graveyard; /* socket contexts libcurl is done with */
    struct sock_ctx *live;      /* all contexts, so none is lost at shutdown */
    CURL **pool;                /* idle easy handles, reset before reuse */
    int npool, pool_cap;
    char user_agent[64];
};

/* ---- the libcurl <-> libevent glue ---- */

static void check_multi_info(struct probe_http *ph);

static void on_socket_event(evutil_socket_t fd, short what, void *arg)
{
    struct probe_http *ph = arg;
    int action =
        ((what & EV_READ) ? CURL_CSELECT_IN : 0) | ((what & EV_WRITE) ? CURL_CSELECT_OUT : 0);
    int running = 0;

    curl_multi_socket_action(ph->multi, fd, action, &running);
    check_multi_info(ph);
    if (running <= 0)
        evtimer_del(ph->timer);
}

static void on_timer_event(evutil_socket_t fd, short what, void *arg)
{
    struct probe_http *ph = arg;
    int running = 0;

    curl_multi_socket_action(ph->multi, CURL_SOCKET_TIMEOUT, 0, &running);
    check_multi_info(ph);
}

/* CURLMOPT_TIMERFUNCTION: only arms the libevent timer. Calling libcurl from here (even
 * for a 0 ms timeout) would re-enter it; the timer event does that on the next turn. */
static int on_curl_timer(CURLM *multi, long timeout_ms, void *arg)
{
    struct probe_http *ph = arg;
    struct timeval tv;

    if (timeout_ms < 0) {
        evtimer_del(ph->timer);
        return 0;
    }
    tv.tv_sec = timeout_ms / 1000;
    tv.tv_usec = (timeout_ms % 1000) * 1000;
    if (evtimer_add(ph->timer, &tv) != 0) {
        log_error("probe_http: cannot arm the libcurl timer");
        return -1;
    }
    return 0;
}

static void sock_ctx_free(struct probe_http *ph, struct sock_ctx *sc)
{
    if (sc->prev)
        sc->prev->next = sc->next;
    else
        ph->live = sc->next;
    if (sc->next)
        sc->next->prev = sc->prev;
    event_free(sc->ev);
    free(sc);
}

static void on_sweep(evutil_socket_t fd, short what, void *arg)
{
    struct probe_http *ph = arg;

    while (ph->graveyard) {
        struct sock_ctx *sc = ph->graveyard;
        ph->graveyard = sc->next_dead;
        sock_ctx_free(ph, sc);
    }
}

/* CURLMOPT_SOCKETFUNCTION. A context libcurl no longer needs may be the one whose event
 * is running right now, so it is only disarmed here and freed after this callback. */
static int on_curl_socket(CURL *easy, curl_socket_t s, int what, void *arg, void *sockp)
{
    struct probe_http *ph = arg;
    struct sock_ctx *sc = sockp;
    short kind;

    if (what == CURL_POLL_REMOVE) {
        if (sc) {
            event_del(sc->ev);
            sc->next_dead = ph->graveyard;
            ph->graveyard = sc;
            event_active(ph->sweep, EV_TIMEOUT, 0);
        }
        return 0;
    }
    kind = (short)(((what & CURL_POLL_IN) ? EV_READ : 0) | ((what & CURL_POLL_OUT) ? EV_WRITE : 0) |
                   EV_PERSIST);
    if (!sc) {
        sc = calloc(1, sizeof(*sc));
        if (!sc)
            return -1;
        sc->ph = ph;
        sc->fd = s;
        sc->ev = event_new(ph->base, s, kind, on_socket_event, ph);
        if (!sc->ev) {
            free(sc);
            return -1;
        }
        sc->next = ph->live;
        if (ph->live)
            ph->live->prev = sc;
        ph->live = sc;
        curl_multi_assign(ph->multi, s, sc);
    } else {
        event_del(sc->ev);
        event_assign(sc->ev, ph->base, s, kind, on_socket_event, ph);
    }
    if (event_add(sc->ev, NULL) != 0) {
        log_error("probe_http: cannot watch socket %d", (int)s);
        return -1;
    }
    return 0;
}

/* ---- per-transfer callbacks ---- */

static curl_socket_t on_open_socket(void *arg, curlsocktype purpose, struct curl_sockaddr *addr)
{
    struct xfer *x = arg;
    const char *why = target_guard_blocked(&addr->addr);

    if (why) {
        x->blocked = why;
        return CURL_SOCKET_BAD;
    }
    return socket(addr->family, addr->socktype | SOCK_CLOEXEC, addr->protocol);
}

static size_t on_body(char *data, size_t size, size_t n, void *arg)
{
    struct xfer *x = arg;

    /* The body is not kept: a check is about status and time. A body that goes on and
     * on is cut off here rather than read to the timeout. */
    x->body_bytes += size * n;
    if (x->body_bytes > PROBE_HTTP_BODY_MAX) {
        x->body_capped = 1;
        return 0;
    }
    return size * n;
}

/* The peer certificate is read during the handshake, from OpenSSL's verify callback, so
 * its expiry is known even when verification then fails (an expired or self-signed
 * certificate). libcurl (OpenSSL backend) makes an SSL_CTX per connection and hands it
 * to on_ssl_ctx before the handshake: the transfer rides in its app data, and the
 * callback keeps libcurl's verify mode. Only the first connection's certificate counts —
 * the monitored URL's own host, not a redirect's. */
static int on_verify(int preverify_ok, X509_STORE_CTX *store)
{
    SSL *ssl = X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx());
    struct xfer *x = ssl ? SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl)) : NULL;

    if (x && !x->cert_seen && X509_STORE_CTX_get_error_depth(store) == 0) {
        x->cert_seen = 1;
        x->check->result.cert_not_after_ms =
            cert_not_after_ms(X509_STORE_CTX_get_current_cert(store));
    }
    return preverify_ok;
}

static CURLcode on_ssl_ctx(CURL *easy, void *ssl_ctx, void *arg)
{
    SSL_CTX *ctx = ssl_ctx;

    SSL_CTX_set_app_data(ctx, arg);
    SSL_CTX_set_verify(ctx, SSL_CTX_get_verify_mode(ctx), on_verify);
    return CURLE_OK;
}

/* The first header line arrives after the TLS handshake, while the connection is still
 * open: the certificate of a resumed session (no verification ran) is read here (it is
 * gone once the transfer ends). */
static size_t on_header(char *data, size_t size, size_t n, void *arg)
{
    struct xfer *x = arg;
    struct curl_tlssessioninfo *info = NULL;

    if (x->is_https && !x->cert_seen) {
        x->cert_seen = 1;
        if (curl_easy_getinfo(x->easy, CURLINFO_TLS_SSL_PTR, &info) == CURLE_OK && info &&
            info->backend == CURLSSLBACKEND_OPENSSL && info->internals) {
            X509 *cert = SSL_get0_peer_certificate((SSL *)info->internals);
            x->check->result.cert_not_after_ms = cert_not_after_ms(cert);
        }
    }
    return size * n;
}

/* ---- results ---- */

const char *probe_http_reason(int curl_code, long os_errno)
{
    switch ((CURLcode)curl_code) {
    case CURLE_OPERATION_TIMEDOUT:
        return "timeout";
    case CURLE_COULDNT_RESOLVE_HOST:
        return "dns";
    case CURLE_COULDNT_CONNECT:
        switch (os_errno) {
        case ECONNREFUSED:
            return "connection refused";
        case ENETUNREACH:
            return "network unreachable";
        case EHOSTUNREACH:
            return "host unreachable";
        case ETIMEDOUT:
            return "timeout";
        case ECONNRESET:
            return "connection reset";
        default:
            return "connection failed";
        }
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_USE_SSL_FAILED:
        return "tls";
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
        return (os_errno == ECONNRESET || os_errno == EPIPE) ? "connection reset"
                                                             : "connection error";
    case CURLE_GOT_NOTHING:
        return "empty reply";
    case CURLE_TOO_MANY_REDIRECTS:
        return "too many redirects";
    case CURLE_WEIRD_SERVER_REPLY:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_PARTIAL_FILE:
    case CURLE_BAD_CONTENT_ENCODING:
        return "invalid response";
    case CURLE_UNSUPPORTED_PROTOCOL:
        return "unsupported protocol";
    case CURLE_URL_MALFORMAT:
        return "invalid url";
    case CURLE_OUT_OF_MEMORY:
        return "out of memory";
    default:
        return NULL;
    }
}

static void pool_put(struct probe_http *ph, CURL *easy)
{
    if (ph->npool < ph->pool_cap) {
        curl_easy_reset(easy);
        ph->pool[ph->npool++] = easy;
    } else {
        curl_easy_cleanup(easy);
    }
}

static CURL *pool_get(struct probe_http *ph)
{
    return ph->npool > 0 ? ph->pool[--ph->npool] : curl_easy_init();
}

static void xfer_free(struct xfer *x)
{
    if (!x)
        return;
    if (x->easy) {
        curl_multi_remove_handle(x->ph->multi, x->easy);
        pool_put(x->ph, x->easy);
    }
    curl_slist_free_all(x->headers);
    free(x);
}

static void finish(struct xfer *x, CURLcode rc)
{
    struct check *c = x->check;
    struct probe_result *res = &c->result;
    long code = 0, os_errno = 0;
    curl_off_t total_us = 0;

    if (rc == CURLE_OK || (rc == CURLE_WRITE_ERROR && x->body_capped)) {
        curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &code);
        curl_easy_getinfo(x->easy, CURLINFO_TOTAL_TIME_T, &total_us);
        res->transport_ok = 1;
        res->status_code = (int)code;
        res->has_time = 1;
        res->response_ms = (double)total_us / 1000.0;
        if (!expected_status_match(&c->spec->expected, (int)code))
            snprintf(res->error, sizeof(res->error), "status %ld", code);
    } else if (x->blocked) {
        check_fail(c, "blocked: %s", x->blocked);
    } else {
        const char *why;
        long verify = X509_V_OK;
        curl_easy_getinfo(x->easy, CURLINFO_OS_ERRNO, &os_errno);
        why = probe_http_reason(rc, os_errno);
        /* Which certificate check failed is what the owner needs to know ("certificate has
         * expired", "self-signed certificate", ...). A host name mismatch is curl's own
         * check and leaves OpenSSL's result at OK: plain "tls" then. */
        if (rc == CURLE_PEER_FAILED_VERIFICATION &&
            curl_easy_getinfo(x->easy, CURLINFO_SSL_VERIFYRESULT, &verify) == CURLE_OK &&
            verify != X509_V_OK)
            check_fail(c, "tls: %s", X509_verify_cert_error_string(verify));
        else if (why)
            check_fail(c, "%s", why);
        else
            check_fail(c, "%s", x->errbuf[0] ? x->errbuf : curl_easy_strerror(rc));
    }
    c->probe = NULL;
    xfer_free(x);
    check_probe_done(c);
}

static void check_multi_info(struct probe_http *ph)
{
    CURLMsg *msg;
    int left;

    while ((msg = curl_multi_info_read(ph->multi, &left)) != NULL) {
        struct xfer *x = NULL;
        CURLcode rc = msg->data.result;
        if (msg->msg != CURLMSG_DONE)
            continue;
        curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&x);
        if (x)
            finish(x, rc);
    }
}

/* ---- starting a check ---- */

static int valid_method(const char *m)
{
    size_t n = strlen(m);

    if (n == 0 || n > METHOD_MAX)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((m[i] >= 'A' && m[i] <= 'Z') || m[i] == '-' || m[i] == '_'))
            return 0;
    return 1;
}

/* "Name: value" lines from the spec. A name or value that could split the request
 * (CR, LF) is refused: the api validates headers, this keeps a bad key harmless. */
static int build_headers(struct xfer *x, const struct check_spec *spec)
{
    const char *name;
    json_t *value;
    char line[HEADER_LINE_MAX];
    struct curl_slist *l;

    /* No "100 Continue" round trip for bodies. */
    l = curl_slist_append(NULL, "Expect:");
    if (!l)
        return -1;
    x->headers = l;
    if (!spec->headers)
        return 0;
    json_object_foreach(spec->headers, name, value)
    {
        const char *v = json_string_value(value);
        if (!v || !name[0] || strpbrk(name, "\r\n: \t") || strpbrk(v, "\r\n"))
            continue;
        if ((size_t)snprintf(line, sizeof(line), "%s: %s", name, v) >= sizeof(line))
            continue;
        l = curl_slist_append(x->headers, line);
        if (!l)
            return -1;
        x->headers = l;
    }
    return 0;
}

void probe_http_start(struct probe_http *ph, struct check *c)
{
    const struct check_spec *spec = c->spec;
    struct xfer *x = calloc(1, sizeof(*x));
    CURL *e;

    if (!x) {
        check_fail(c, "out of memory");
        check_probe_done(c);
        return;
    }
    x->ph = ph;
    x->check = c;
    x->is_https = strncasecmp(spec->url, "https://", 8) == 0;
    if (!valid_method(spec->method)) {
        check_fail(c, "invalid method");
        goto fail;
    }
    if (build_headers(x, spec) != 0) {
        check_fail(c, "out of memory");
        goto fail;
    }
    x->easy = e = pool_get(ph);
    if (!e) {
        check_fail(c, "out of memory");
        goto fail;
    }
    curl_easy_setopt(e, CURLOPT_PRIVATE, x);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, x->errbuf);
    if (curl_easy_setopt(e, CURLOPT_URL, spec->url) != CURLE_OK) {
        check_fail(c, "invalid url");
        goto fail;
    }
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)spec->timeout_ms);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long)spec->timeout_ms);
    curl_easy_setopt(e, CURLOPT_USERAGENT, ph->user_agent);
    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, spec->follow_redirects ? 1L : 0L);
    curl_easy_setopt(e, CURLOPT_MAXREDIRS, (long)MAX_REDIRECTS);
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, spec->verify_tls ? 1L : 0L);
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, spec->verify_tls ? 2L : 0L);
    if (ph->cfg->ca_bundle[0])
        curl_easy_setopt(e, CURLOPT_CAINFO, ph->cfg->ca_bundle);
    if (x->is_https) {
        curl_easy_setopt(e, CURLOPT_SSL_CTX_FUNCTION, on_ssl_ctx);
        curl_easy_setopt(e, CURLOPT_SSL_CTX_DATA, x);
    }
    /* A proxy from the environment would make the guard check the proxy, not the
     * target; checks go direct. */
    curl_easy_setopt(e, CURLOPT_PROXY, "");
    curl_easy_setopt(e, CURLOPT_FRESH_CONNECT, 1L);
    curl_easy_setopt(e, CURLOPT_FORBID_REUSE, 1L);
    if (!ph->cfg->allow_private_targets) {
        curl_easy_setopt(e, CURLOPT_OPENSOCKETFUNCTION, on_open_socket);
        curl_easy_setopt(e, CURLOPT_OPENSOCKETDATA, x);
    }
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, x);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, x);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, x->headers);

    if (spec->body) {
        curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)spec->body_len);
        curl_easy_setopt(e, CURLOPT_POSTFIELDS, spec->body);
        if (strcmp(spec->method, "POST") != 0)
            curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, spec->method);
    } else if (strcmp(spec->method, "HEAD") == 0) {
        curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
    } else if (strcmp(spec->method, "GET") != 0) {
        curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, spec->method);
    }

    c->probe = x;
    if (curl_multi_add_handle(ph->multi, e) != CURLM_OK) {
        c->probe = NULL;
        check_fail(c, "cannot start the transfer");
        goto fail;
    }
    return;
fail:
    xfer_free(x);
    check_probe_done(c);
}

void probe_http_cancel(struct probe_http *ph, struct check *c)
{
    struct xfer *x = c->probe;

    if (!x)
        return;
    c->probe = NULL;
    c->cancelled = 1;
    xfer_free(x);
    check_probe_done(c);
}

/* ---- lifecycle ---- */

struct probe_http *probe_http_new(struct event_base *base, const struct runner_config *cfg)
{
    struct probe_http *ph = calloc(1, sizeof(*ph));

    if (!ph)
        return NULL;
    ph->base = base;
    ph->cfg = cfg;
    snprintf(ph->user_agent, sizeof(ph->user_agent), "StatusHawk/%s", STATUSHAWK_VERSION);
    ph->pool_cap = cfg->max_inflight < 256 ? cfg->max_inflight : 256;
    ph->pool = calloc((size_t)ph->pool_cap, sizeof(CURL *));
    ph->multi = curl_multi_init();
    ph->timer = evtimer_new(base, on_timer_event, ph);
    ph->sweep = event_new(base, -1, 0, on_sweep, ph);
    if (!ph->pool || !ph->multi || !ph->timer || !ph->sweep) {
        log_error("probe_http: out of memory");
        probe_http_free(ph);
        return NULL;
    }
    curl_multi_setopt(ph->multi, CURLMOPT_SOCKETFUNCTION, on_curl_socket);
    curl_multi_setopt(ph->multi, CURLMOPT_SOCKETDATA, ph);
    curl_multi_setopt(ph->multi, CURLMOPT_TIMERFUNCTION, on_curl_timer);
    curl_multi_setopt(ph->multi, CURLMOPT_TIMERDATA, ph);
    return ph;
}

void probe_http_free(struct probe_http *ph)
{
    if (!ph)
        return;
    /* The runner cancels every check first; what libcurl still watches (it may keep a
     * socket while closing it) goes with the multi handle. */
    if (ph->multi)
        curl_multi_cleanup(ph->multi);
    ph->graveyard = NULL;
    while (ph->live)
        sock_ctx_free(ph, ph->live);
    for (int i = 0; i < ph->npool; i++)
        curl_easy_cleanup(ph->pool[i]);
    free(ph->pool);
    if (ph->timer)
        event_free(ph->timer);
    if (ph->sweep)
        event_free(ph->sweep);
    free(ph);
}
