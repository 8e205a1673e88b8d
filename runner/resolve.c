/* resolve: see resolve.h. evdns answers numeric hosts and /etc/hosts entries inside
 * evdns_getaddrinfo itself; those answers are held and delivered from a zero timer, so a
 * caller never sees its callback before resolve_start has returned. */
#include "runner/resolve.h"

#include <curl/curl.h>
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct resolve {
    resolve_fn fn;
    void *arg;
    struct evdns_getaddrinfo_request *req; /* while evdns holds the look-up */
    struct event *deliver;                 /* for answers given at once */
    int starting;
    int answered_at_once;
    int cancelled;
    int err;
    struct evutil_addrinfo *ai;
};

/* Handles not yet freed, on the loop thread only: shutdown waits for evdns to hand back
 * the cancelled ones before it frees the DNS base. */
static int live_handles;

int resolve_live(void)
{
    return live_handles;
}

static void resolve_free(struct resolve *r)
{
    live_handles--;
    if (r->deliver)
        event_free(r->deliver);
    if (r->ai)
        evutil_freeaddrinfo(r->ai);
    free(r);
}

static void on_deliver(evutil_socket_t fd, short what, void *arg)
{
    struct resolve *r = arg;
    struct evutil_addrinfo *ai = r->ai;

    r->ai = NULL;
    r->fn(r->err, ai, r->arg);
    resolve_free(r);
}

static void on_answer(int err, struct evutil_addrinfo *ai, void *arg)
{
    struct resolve *r = arg;

    if (r->starting) {
        r->answered_at_once = 1;
        r->err = err;
        r->ai = ai;
        return;
    }
    r->req = NULL;
    if (r->cancelled) {
        /* resolve_cancel could not free it while evdns still held it. */
        if (ai)
            evutil_freeaddrinfo(ai);
        resolve_free(r);
        return;
    }
    r->fn(err, ai, r->arg);
    resolve_free(r);
}

struct resolve *resolve_start(struct event_base *base, struct evdns_base *dns, const char *host,
                              int port, int family, int socktype, resolve_fn fn, void *arg)
{
    struct resolve *r = calloc(1, sizeof(*r));
    struct evutil_addrinfo hints;
    char service[16];

    if (!r)
        return NULL;
    live_handles++;
    r->fn = fn;
    r->arg = arg;
    r->deliver = evtimer_new(base, on_deliver, r);
    if (!r->deliver) {
        resolve_free(r);
        return NULL;
    }
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = family;
    hints.ai_socktype = socktype;
    snprintf(service, sizeof(service), "%d", port);
    r->starting = 1;
    r->req = evdns_getaddrinfo(dns, host, service, &hints, on_answer, r);
    r->starting = 0;
    if (r->answered_at_once) {
        struct timeval now = {0, 0};
        r->req = NULL;
        if (evtimer_add(r->deliver, &now) != 0) {
            resolve_free(r);
            return NULL;
        }
    }
    return r;
}

void resolve_cancel(struct resolve *r)
{
    if (!r)
        return;
    if (r->req) {
        /* evdns answers a cancelled look-up later, with EVUTIL_EAI_CANCEL; on_answer
         * frees the handle then. */
        r->cancelled = 1;
        evdns_getaddrinfo_cancel(r->req);
        return;
    }
    resolve_free(r);
}

int resolve_parse_url(const char *url, int allow_bare, int default_port, char *host, size_t hostlen,
                      int *port)
{
    CURLU *u = curl_url();
    char *h = NULL, *p = NULL;
    unsigned flags = CURLU_NON_SUPPORT_SCHEME | (allow_bare ? CURLU_GUESS_SCHEME : 0);
    int rc = -1;
    size_t n;

    if (!u)
        return -1;
    if (curl_url_set(u, CURLUPART_URL, url, flags) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_HOST, &h, 0) != CURLUE_OK || !h[0])
        goto out;
    if (curl_url_get(u, CURLUPART_PORT, &p, 0) == CURLUE_OK) {
        long v = strtol(p, NULL, 10);
        if (v < 1 || v > 65535)
            goto out;
        *port = (int)v;
    } else if (default_port > 0) {
        *port = default_port;
    } else {
        goto out;
    }
    n = strlen(h);
    if (n >= 2 && h[0] == '[' && h[n - 1] == ']') {
        memmove(h, h + 1, n - 2);
        h[n - 2] = '\0';
        n -= 2;
    }
    if (n >= hostlen)
        goto out;
    memcpy(host, h, n + 1);
    rc = 0;
out:
    curl_free(h);
    curl_free(p);
    curl_url_cleanup(u);
    return rc;
}
