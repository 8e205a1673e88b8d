/* httpc: see httpc.h. libcurl is never called from inside the timer callback for a
 * zero timeout (hiperfifo's rule): the timer is armed with a zero delay instead, so the
 * action runs from the loop. A finished request is unlinked before its callback runs, so
 * the callback may start or cancel other requests. */
#include "notifier/httpc.h"

#include <stdlib.h>
#include <string.h>

#include "common/log.h"

struct req {
    struct httpc *h;
    unsigned long id;
    CURL *easy;
    struct curl_slist *headers;
    char *body;
    size_t len, cap, max;
    int truncated;
    httpc_done_fn done;
    void *arg;
    char errbuf[CURL_ERROR_SIZE];
    struct req *next, *prev;
};

struct sock {
    struct event *ev;
    curl_socket_t fd;
};

struct httpc {
    struct event_base *base;
    CURLM *multi;
    struct event *timer;
    int still_running;
    unsigned long next_id;
    struct req *reqs; /* running, doubly linked */
    size_t nreqs;
};

static void check_done(struct httpc *h);

static void req_free(struct req *r)
{
    if (!r)
        return;
    if (r->easy)
        curl_easy_cleanup(r->easy);
    curl_slist_free_all(r->headers);
    free(r->body);
    free(r);
}

static void req_unlink(struct httpc *h, struct req *r)
{
    if (r->prev)
        r->prev->next = r->next;
    else
        h->reqs = r->next;
    if (r->next)
        r->next->prev = r->prev;
    r->next = r->prev = NULL;
    h->nreqs--;
}

static size_t on_write(char *ptr, size_t size, size_t nmemb, void *arg)
{
    struct req *r = arg;
    size_t n = size * nmemb;

    if (r->len + n > r->max) {
        r->truncated = 1;
        return 0; /* ends the transfer with CURLE_WRITE_ERROR */
    }
    if (r->len + n + 1 > r->cap) {
        size_t cap = r->cap ? r->cap : 1024;
        while (cap < r->len + n + 1)
            cap *= 2;
        if (cap > r->max + 1)
            cap = r->max + 1;
        char *p = realloc(r->body, cap);
        if (!p)
            return 0;
        r->body = p;
        r->cap = cap;
    }
    memcpy(r->body + r->len, ptr, n);
    r->len += n;
    r->body[r->len] = '\0';
    return n;
}

static void socket_action(struct httpc *h, curl_socket_t fd, int what)
{
    CURLMcode rc = curl_multi_socket_action(h->multi, fd, what, &h->still_running);
    if (rc != CURLM_OK)
        log_error("http client: curl_multi_socket_action: %s", curl_multi_strerror(rc));
    check_done(h);
}

static void on_socket_event(evutil_socket_t fd, short kind, void *arg)
{
    struct httpc *h = arg;
    int what =
        ((kind & EV_READ) ? CURL_CSELECT_IN : 0) | ((kind & EV_WRITE) ? CURL_CSELECT_OUT : 0);
    /* hiperfifo deletes the timer here when nothing runs; not here: a callback may have
     * just added a transfer whose first step is that very timer. libcurl clears it itself
     * (timeout -1) when it has nothing to time. */
    socket_action(h, fd, what);
}

static void on_timer(evutil_socket_t fd, short kind, void *arg)
{
    socket_action(arg, CURL_SOCKET_TIMEOUT, 0);
}

static int multi_timer_cb(CURLM *multi, long timeout_ms, void *arg)
{
    struct httpc *h = arg;
    if (timeout_ms < 0) {
        evtimer_del(h->timer);
        return 0;
    }
    struct timeval tv = {timeout_ms / 1000, (timeout_ms % 1000) * 1000};
    if (evtimer_add(h->timer, &tv) != 0) {
        log_error("http client: cannot arm the timer");
        return -1;
    }
    return 0;
}

static int multi_socket_cb(CURL *easy, curl_socket_t fd, int what, void *arg, void *sockp)
{
    struct httpc *h = arg;
    struct sock *s = sockp;

    if (what == CURL_POLL_REMOVE) {
        if (s) {
            event_free(s->ev);
            free(s);
            curl_multi_assign(h->multi, fd, NULL);
        }
        return 0;
    }
    short kind = EV_PERSIST | ((what & CURL_POLL_IN) ? EV_READ : 0) |
                 ((what & CURL_POLL_OUT) ? EV_WRITE : 0);
    if (!s) {
        s = calloc(1, sizeof(*s));
        if (!s)
            return -1;
        s->fd = fd;
        curl_multi_assign(h->multi, fd, s);
    } else {
        event_free(s->ev);
        s->ev = NULL;
    }
    s->ev = event_new(h->base, fd, kind, on_socket_event, h);
    if (!s->ev || event_add(s->ev, NULL) != 0) {
        log_error("http client: cannot watch a socket");
        return -1;
    }
    return 0;
}

static void check_done(struct httpc *h)
{
    CURLMsg *msg;
    int left;

    while ((msg = curl_multi_info_read(h->multi, &left)) != NULL) {
        if (msg->msg != CURLMSG_DONE)
            continue;
        struct req *r = NULL;
        curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&r);
        CURLcode code = msg->data.result;
        curl_multi_remove_handle(h->multi, msg->easy_handle);
        if (!r)
            continue;
        req_unlink(h, r);
        struct httpc_result res = {.code = code};
        curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &res.status);
        curl_easy_getinfo(r->easy, CURLINFO_TOTAL_TIME, &res.total_s);
        res.body = r->body ? r->body : "";
        res.body_len = r->len;
        res.truncated = r->truncated;
        res.error = code == CURLE_OK ? ""
                    : r->truncated   ? "response too large"
                    : r->errbuf[0]   ? r->errbuf
                                     : curl_easy_strerror(code);
        r->done(&res, r->arg);
        req_free(r);
    }
}

struct httpc *httpc_new(struct event_base *base)
{
    struct httpc *h = calloc(1, sizeof(*h));
    if (!h)
        return NULL;
    h->base = base;
    h->multi = curl_multi_init();
    h->timer = evtimer_new(base, on_timer, h);
    if (!h->multi || !h->timer) {
        httpc_free(h);
        return NULL;
    }
    curl_multi_setopt(h->multi, CURLMOPT_SOCKETFUNCTION, multi_socket_cb);
    curl_multi_setopt(h->multi, CURLMOPT_SOCKETDATA, h);
    curl_multi_setopt(h->multi, CURLMOPT_TIMERFUNCTION, multi_timer_cb);
    curl_multi_setopt(h->multi, CURLMOPT_TIMERDATA, h);
    /* Keep connections to the Bot API warm; many chats share one host. */
    curl_multi_setopt(h->multi, CURLMOPT_MAX_HOST_CONNECTIONS, 64L);
    curl_multi_setopt(h->multi, CURLMOPT_MAXCONNECTS, 128L);
    return h;
}

void httpc_free(struct httpc *h)
{
    if (!h)
        return;
    while (h->reqs) {
        struct req *r = h->reqs;
        struct httpc_result res = {
            .code = CURLE_ABORTED_BY_CALLBACK, .body = "", .error = "shutting down"};
        req_unlink(h, r);
        curl_multi_remove_handle(h->multi, r->easy);
        r->done(&res, r->arg);
        req_free(r);
    }
    if (h->multi)
        curl_multi_cleanup(h->multi); /* removes the sockets through multi_socket_cb */
    if (h->timer)
        event_free(h->timer);
    free(h);
}

unsigned long httpc_start(struct httpc *h, CURL *easy, struct curl_slist *headers, size_t max_body,
                          httpc_done_fn done, void *arg)
{
    struct req *r = calloc(1, sizeof(*r));
    if (!r) {
        curl_easy_cleanup(easy);
        curl_slist_free_all(headers);
        return 0;
    }
    r->h = h;
    r->easy = easy;
    r->headers = headers;
    r->max = max_body;
    r->done = done;
    r->arg = arg;
    r->id = ++h->next_id;
    curl_easy_setopt(easy, CURLOPT_PRIVATE, (char *)r);
    curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, on_write);
    curl_easy_setopt(easy, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, r->errbuf);
    curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
    if (headers)
        curl_easy_setopt(easy, CURLOPT_HTTPHEADER, headers);
    if (curl_multi_add_handle(h->multi, easy) != CURLM_OK) {
        req_free(r);
        return 0;
    }
    r->next = h->reqs;
    if (h->reqs)
        h->reqs->prev = r;
    h->reqs = r;
    h->nreqs++;
    return r->id;
}

void *httpc_cancel(struct httpc *h, unsigned long id)
{
    for (struct req *r = h->reqs; r; r = r->next) {
        if (r->id != id)
            continue;
        void *arg = r->arg;
        req_unlink(h, r);
        curl_multi_remove_handle(h->multi, r->easy);
        req_free(r);
        return arg;
    }
    return NULL;
}

size_t httpc_running(const struct httpc *h)
{
    return h->nreqs;
}
