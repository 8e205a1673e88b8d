/* httpc: HTTP requests on the event loop — libcurl's multi-socket interface driven by
 * libevent, in the shape of curl's hiperfifo.c example: one socket event per socket
 * libcurl asks about (attached with curl_multi_assign), one timer for its timeouts, and
 * CURLMSG_DONE messages read after every curl_multi_socket_action. A failed transfer
 * fails that one request; the loop goes on. */
#ifndef STATUSHAWK_NOTIFIER_HTTPC_H
#define STATUSHAWK_NOTIFIER_HTTPC_H

#include <curl/curl.h>
#include <event2/event.h>
#include <stddef.h>

struct httpc;

struct httpc_result {
    CURLcode code;    /* CURLE_OK when an HTTP answer arrived */
    long status;      /* HTTP status, 0 without an answer */
    const char *body; /* NUL-terminated, borrowed for the callback */
    size_t body_len;
    int truncated;     /* the body exceeded the request's limit (the transfer was ended) */
    const char *error; /* libcurl's message when code != CURLE_OK, else "" */
    double total_s;    /* transfer time */
};

/* Runs once per request on the loop, after the transfer is removed from the multi
 * handle; the easy handle is cleaned up after it returns. Not called when the request is
 * cancelled. */
typedef void (*httpc_done_fn)(const struct httpc_result *r, void *arg);

struct httpc *httpc_new(struct event_base *base);
/* Ends every transfer still running; each callback runs once with
 * CURLE_ABORTED_BY_CALLBACK ("shutting down"), so its owner can let go of its state. */
void httpc_free(struct httpc *h);

/* Starts easy (taken over, also on failure; configured by the caller: URL, method,
 * body, headers, timeouts) with a response body limit of max_body bytes. headers (may be
 * NULL) is taken over too and freed with the handle. Returns a request id > 0, or 0 when
 * it could not be started (done does not run). */
unsigned long httpc_start(struct httpc *h, CURL *easy, struct curl_slist *headers, size_t max_body,
                          httpc_done_fn done, void *arg);

/* Ends request id without calling its callback, and returns the callback's argument (for
 * the caller to free), or NULL when it is not running. May be called from an
 * httpc_done_fn, never from a libcurl callback (such as an open-socket hook). */
void *httpc_cancel(struct httpc *h, unsigned long id);

/* Transfers running. */
size_t httpc_running(const struct httpc *h);

#endif
