/* telegram_fake: see telegram_fake.h. */
#include "telegram_fake.h"

#include <arpa/inet.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/thread.h>
#include <sys/queue.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>

#define MAX_FAULTS 32
#define MAX_DELAYED 64
#define POLL_TIMEOUT_MAX_S 60
#define MESSAGE_MAX_UNITS 4096
#define BODY_MAX (1024 * 1024)

struct fault {
    char method[64]; /* "" = any */
    char chat[64];   /* "" = any */
    enum telegram_fake_fault kind;
    int64_t param;
    int times; /* -1 = until cleared */
};

/* A getUpdates waiting for updates (at most one; touched on the loop thread only). */
struct poll {
    struct evhttp_request *req;
    struct event *timer;
    json_t *params; /* owned */
    char method[64];
    int64_t offset;
    int limit;
};

/* An answer held back by TELEGRAM_FAKE_DELAY (loop thread only). */
struct delayed {
    struct telegram_fake *f;
    struct evhttp_request *req;
    struct event *timer;
    char method[64];
    json_t *params; /* owned */
    int status;
    char *body; /* owned */
    int used;
};

struct telegram_fake {
    char token[256];
    char base_url[64];
    int port;
    struct event_base *base;
    struct evhttp *http;
    struct event *wake; /* activated by push_update from any thread */
    pthread_t thread;
    int running;

    pthread_mutex_t lock; /* guards what follows */
    pthread_cond_t changed;
    json_t *requests; /* array of {"method","params","status"} */
    struct fault faults[MAX_FAULTS];
    int nfaults;
    json_t *updates; /* array of Updates not yet confirmed */
    int64_t next_update_id;
    int64_t next_message_id;

    struct poll *poll; /* loop thread only */
    struct delayed delayed[MAX_DELAYED];
    char webhook[512];   /* [notifier] set by setWebhook, under lock */
    char webhook_secret[256]; /* [notifier] its secret_token, under lock */
    int64_t arrival_ms;  /* [notifier] of the request being handled (loop thread only) */
};

static int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- answering ------------------------------------------------------------------------ */

static void record(struct telegram_fake *f, const char *method, json_t *params, int status)
{
    pthread_mutex_lock(&f->lock);
    json_array_append_new(f->requests,
                          json_pack("{s:s, s:o, s:i, s:I}", "method", method, "params",
                                    params ? json_incref(params) : json_object(), "status",
                                    status, "at_ms",
                                    (json_int_t)(f->arrival_ms ? f->arrival_ms : wall_ms())));
    pthread_cond_broadcast(&f->changed);
    pthread_mutex_unlock(&f->lock);
}

static void send_raw(struct evhttp_request *req, int status, const char *content_type,
                     const char *body)
{
    struct evbuffer *buf = evbuffer_new();
    evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", content_type);
    if (buf)
        evbuffer_add(buf, body, strlen(body));
    evhttp_send_reply(req, status, NULL, buf);
    if (buf)
        evbuffer_free(buf);
}

/* Sends answer (stolen) as JSON and records the request. */
static void answer(struct telegram_fake *f, struct evhttp_request *req, const char *method,
                   json_t *params, int status, json_t *body)
{
    char *text = json_dumps(body, JSON_COMPACT);
    send_raw(req, status, "application/json", text ? text : "{}");
    free(text);
    json_decref(body);
    record(f, method, params, status);
}

static json_t *ok_body(json_t *result)
{
    return json_pack("{s:b, s:o}", "ok", 1, "result", result);
}

static json_t *error_body(int code, const char *description, json_t *parameters)
{
    json_t *b =
        json_pack("{s:b, s:i, s:s}", "ok", 0, "error_code", code, "description", description);
    if (parameters)
        json_object_set_new(b, "parameters", parameters);
    return b;
}

static json_t *bot_user(void)
{
    return json_pack("{s:I, s:b, s:s, s:s}", "id", (json_int_t)TELEGRAM_FAKE_BOT_ID, "is_bot", 1,
                     "first_name", "StatusHawk Test", "username", TELEGRAM_FAKE_BOT_USERNAME);
}

/* ---- parameters --------------------------------------------------------------------- */

static void merge_query(json_t *params, const char *q)
{
    struct evkeyvalq kv;
    struct evkeyval *e;

    TAILQ_INIT(&kv);
    if (evhttp_parse_query_str(q, &kv) == 0) {
        TAILQ_FOREACH(e, &kv, next)
        json_object_set_new(params, e->key, json_string(e->value));
    }
    evhttp_clear_headers(&kv);
}

/* The request's parameters: query string, then a JSON or form body. New reference. */
static json_t *request_params(struct evhttp_request *req)
{
    json_t *params = json_object();
    const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
    const char *q = uri ? evhttp_uri_get_query(uri) : NULL;
    const char *ctype = evhttp_find_header(evhttp_request_get_input_headers(req), "Content-Type");
    struct evbuffer *in = evhttp_request_get_input_buffer(req);
    size_t len = evbuffer_get_length(in);
    char *body;

    if (q)
        merge_query(params, q);
    if (len == 0 || len > BODY_MAX)
        return params;
    body = malloc(len + 1);
    if (!body)
        return params;
    evbuffer_copyout(in, body, len);
    body[len] = '\0';
    if (ctype && strncasecmp(ctype, "application/json", 16) == 0) {
        json_t *j = json_loadb(body, len, 0, NULL);
        if (json_is_object(j))
            json_object_update(params, j);
        json_decref(j);
    } else {
        merge_query(params, body);
    }
    free(body);
    return params;
}

/* params[key] as text ("" when absent): numbers and strings alike. */
static void param_text(const json_t *params, const char *key, char *out, size_t outsize)
{
    const json_t *v = json_object_get(params, key);
    if (json_is_integer(v))
        snprintf(out, outsize, "%lld", (long long)json_integer_value(v));
    else if (json_is_string(v))
        snprintf(out, outsize, "%s", json_string_value(v));
    else
        out[0] = '\0';
}

static int64_t param_int(const json_t *params, const char *key, int64_t dflt)
{
    char text[64], *end;
    long long v;

    param_text(params, key, text, sizeof(text));
    if (!text[0])
        return dflt;
    v = strtoll(text, &end, 10);
    return *end == '\0' ? v : dflt;
}

/* ---- faults --------------------------------------------------------------------------- */

/* The fault for this request, consumed; 0 when none applies. */
static int take_fault(struct telegram_fake *f, const char *method, const json_t *params,
                      struct fault *out)
{
    char chat[64];
    int found = 0;

    param_text(params, "chat_id", chat, sizeof(chat));
    pthread_mutex_lock(&f->lock);
    for (int i = 0; i < f->nfaults; i++) {
        struct fault *x = &f->faults[i];
        if ((x->method[0] && strcasecmp(x->method, method) != 0) ||
            (x->chat[0] && strcmp(x->chat, chat) != 0))
            continue;
        *out = *x;
        found = 1;
        if (x->times > 0 && --x->times == 0) {
            memmove(x, x + 1, (size_t)(f->nfaults - i - 1) * sizeof(*x));
            f->nfaults--;
        }
        break;
    }
    pthread_mutex_unlock(&f->lock);
    return found;
}

/* Answers with the fault; 1 when it did (DELAY does not answer by itself). */
static int apply_fault(struct telegram_fake *f, struct evhttp_request *req, const char *method,
                       json_t *params, const struct fault *x)
{
    char desc[128];

    switch (x->kind) {
    case TELEGRAM_FAKE_RETRY_AFTER:
        snprintf(desc, sizeof(desc), "Too Many Requests: retry after %lld", (long long)x->param);
        answer(f, req, method, params, 429,
               error_body(429, desc, json_pack("{s:I}", "retry_after", (json_int_t)x->param)));
        return 1;
    case TELEGRAM_FAKE_BLOCKED:
        answer(f, req, method, params, 403,
               error_body(403, "Forbidden: bot was blocked by the user", NULL));
        return 1;
    case TELEGRAM_FAKE_CHAT_NOT_FOUND:
        answer(f, req, method, params, 400, error_body(400, "Bad Request: chat not found", NULL));
        return 1;
    case TELEGRAM_FAKE_MIGRATE:
        answer(f, req, method, params, 400,
               error_body(400, "Bad Request: group chat was upgraded to a supergroup chat",
                          json_pack("{s:I}", "migrate_to_chat_id", (json_int_t)x->param)));
        return 1;
    case TELEGRAM_FAKE_BAD_GATEWAY:
        send_raw(req, 502, "text/html",
                 "<html><head><title>502 Bad Gateway</title></head><body>"
                 "<center><h1>502 Bad Gateway</h1></center></body></html>");
        record(f, method, params, 502);
        return 1;
    case TELEGRAM_FAKE_SERVER_ERROR:
        answer(f, req, method, params, 500, error_body(500, "Internal Server Error", NULL));
        return 1;
    case TELEGRAM_FAKE_DELAY:
    case TELEGRAM_FAKE_HANG:
        break;
    }
    return 0;
}

/* ---- methods ------------------------------------------------------------------------ */

/* UTF-16 code units of UTF-8 text, as Telegram counts message length. */
static size_t utf16_units(const char *s)
{
    size_t n = 0;
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if ((c & 0xC0) != 0x80)
            n += c >= 0xF0 ? 2 : 1;
    }
    return n;
}

/* [notifier] With parse_mode HTML Telegram counts the text after entity parsing: tags
 * count nothing, an entity such as &amp; one character. */
static size_t html_units(const char *s)
{
    size_t n = 0;
    while (*s) {
        const char *end;
        if (*s == '<' && (end = strchr(s, '>')) != NULL) {
            s = end + 1;
            continue;
        }
        if (*s == '&' && (end = strchr(s, ';')) != NULL && end - s <= 10 &&
            !memchr(s + 1, ' ', (size_t)(end - s - 1))) {
            n++;
            s = end + 1;
            continue;
        }
        unsigned char c = (unsigned char)*s++;
        if ((c & 0xC0) != 0x80)
            n += c >= 0xF0 ? 2 : 1;
    }
    return n;
}

/* The status and body sendMessage answers with. */
static int send_message(struct telegram_fake *f, const json_t *params, json_t **body)
{
    const json_t *text = json_object_get(params, "text");
    const json_t *mode = json_object_get(params, "parse_mode");
    const json_t *chat_id = json_object_get(params, "chat_id");
    char chat[64];
    json_t *chat_obj;
    int64_t id;

    param_text(params, "chat_id", chat, sizeof(chat));
    if (!chat[0]) {
        *body = error_body(400, "Bad Request: chat_id is empty", NULL);
        return 400;
    }
    if (!json_is_string(text) || json_string_length(text) == 0) {
        *body = error_body(400, "Bad Request: message text is empty", NULL);
        return 400;
    }
    if ((json_is_string(mode) && strcmp(json_string_value(mode), "HTML") == 0
             ? html_units(json_string_value(text))
             : utf16_units(json_string_value(text))) > MESSAGE_MAX_UNITS) {
        *body = error_body(400, "Bad Request: message is too long", NULL);
        return 400;
    }
    if (mode && (!json_is_string(mode) || (strcmp(json_string_value(mode), "HTML") != 0 &&
                                           strcmp(json_string_value(mode), "MarkdownV2") != 0 &&
                                           strcmp(json_string_value(mode), "Markdown") != 0 &&
                                           json_string_length(mode) != 0))) {
        *body = error_body(400, "Bad Request: unsupported parse_mode", NULL);
        return 400;
    }
    if (json_is_integer(chat_id) || chat[0] != '@')
        chat_obj = json_pack("{s:I, s:s}", "id", (json_int_t)strtoll(chat, NULL, 10), "type",
                             strtoll(chat, NULL, 10) < 0 ? "supergroup" : "private");
    else
        chat_obj = json_pack("{s:I, s:s, s:s}", "id", (json_int_t)-1001000000001LL, "type",
                             "channel", "username", chat + 1);
    pthread_mutex_lock(&f->lock);
    id = ++f->next_message_id;
    pthread_mutex_unlock(&f->lock);
    *body = ok_body(json_pack("{s:I, s:o, s:o, s:I, s:s}", "message_id", (json_int_t)id, "from",
                              bot_user(), "chat", chat_obj, "date", (json_int_t)time(NULL), "text",
                              json_string_value(text)));
    return 200;
}

/* Drops the updates before offset (Telegram's confirmation) and returns up to limit of
 * the rest. New reference. */
static json_t *take_updates(struct telegram_fake *f, int64_t offset, int limit)
{
    json_t *out = json_array();
    size_t i = 0;

    pthread_mutex_lock(&f->lock);
    while (i < json_array_size(f->updates)) {
        json_t *u = json_array_get(f->updates, i);
        if (json_integer_value(json_object_get(u, "update_id")) < offset) {
            json_array_remove(f->updates, i);
            continue;
        }
        if ((int)json_array_size(out) < limit)
            json_array_append(out, u);
        i++;
    }
    pthread_mutex_unlock(&f->lock);
    return out;
}

static void poll_free(struct poll *p)
{
    if (!p)
        return;
    if (p->timer)
        event_free(p->timer);
    json_decref(p->params);
    free(p);
}

/* Ends the waiting poll with what there is (possibly nothing). */
static void poll_finish(struct telegram_fake *f, int conflict)
{
    struct poll *p = f->poll;

    if (!p)
        return;
    f->poll = NULL;
    if (conflict)
        answer(f, p->req, p->method, p->params, 409,
               error_body(409,
                          "Conflict: terminated by other getUpdates request; make sure that only "
                          "one bot instance is running",
                          NULL));
    else
        answer(f, p->req, p->method, p->params, 200, ok_body(take_updates(f, p->offset, p->limit)));
    poll_free(p);
}

static void poll_timeout(evutil_socket_t fd, short what, void *arg)
{
    ((struct telegram_fake *)arg)->arrival_ms = 0; /* recorded at the answer [notifier] */
    poll_finish(arg, 0);
}

/* [notifier] Webhook delivery: while a webhook is set, Telegram POSTs each update to it
 * (with the secret token header) instead of keeping it for getUpdates. One attempt each;
 * recorded as {"method":"webhook","params":<update>,"status":<the answer's status>}. */
struct hook_call {
    struct telegram_fake *f;
    json_t *update;
};

static void on_hook_answer(struct evhttp_request *req, void *arg)
{
    struct hook_call *c = arg;
    c->f->arrival_ms = 0;
    record(c->f, "webhook", c->update, req ? evhttp_request_get_response_code(req) : 0);
    json_decref(c->update);
    free(c);
}

static void deliver_to_webhook(struct telegram_fake *f)
{
    char url[sizeof(f->webhook)], secret[sizeof(f->webhook_secret)];
    json_t *updates;

    pthread_mutex_lock(&f->lock);
    snprintf(url, sizeof(url), "%s", f->webhook);
    snprintf(secret, sizeof(secret), "%s", f->webhook_secret);
    updates = url[0] ? f->updates : NULL;
    if (updates)
        f->updates = json_array();
    pthread_mutex_unlock(&f->lock);
    if (!updates)
        return;
    struct evhttp_uri *uri = evhttp_uri_parse(url);
    size_t i;
    json_t *u;
    json_array_foreach(updates, i, u)
    {
        struct hook_call *c = calloc(1, sizeof(*c));
        const char *host = uri ? evhttp_uri_get_host(uri) : NULL;
        const char *path = uri ? evhttp_uri_get_path(uri) : NULL;
        int port = uri ? evhttp_uri_get_port(uri) : -1;
        char *body = json_dumps(u, JSON_COMPACT);
        struct evhttp_connection *conn =
            host ? evhttp_connection_base_new(f->base, NULL, host, (ev_uint16_t)(port > 0 ? port : 80))
                 : NULL;
        struct evhttp_request *req = c ? evhttp_request_new(on_hook_answer, c) : NULL;
        if (!c || !conn || !req || !body) {
            if (c) {
                record(f, "webhook", u, 0);
                free(c);
            }
            if (req)
                evhttp_request_free(req);
            if (conn)
                evhttp_connection_free(conn);
            free(body);
            continue;
        }
        c->f = f;
        c->update = json_incref(u);
        struct evkeyvalq *h = evhttp_request_get_output_headers(req);
        evhttp_add_header(h, "Host", host);
        evhttp_add_header(h, "Content-Type", "application/json");
        if (secret[0])
            evhttp_add_header(h, "X-Telegram-Bot-Api-Secret-Token", secret);
        evbuffer_add(evhttp_request_get_output_buffer(req), body, strlen(body));
        free(body);
        evhttp_connection_free_on_completion(conn);
        evhttp_connection_set_timeout(conn, 10);
        if (evhttp_make_request(conn, req, EVHTTP_REQ_POST, path && *path ? path : "/") != 0) {
            json_decref(c->update);
            free(c);
            record(f, "webhook", u, 0);
        }
    }
    if (uri)
        evhttp_uri_free(uri);
    json_decref(updates);
}

/* An update was pushed: a waiting poll that now has something answers. */
static void wake_cb(evutil_socket_t fd, short what, void *arg)
{
    struct telegram_fake *f = arg;
    json_t *ready;

    f->arrival_ms = 0; /* recorded at the answer [notifier] */
    deliver_to_webhook(f);

    if (!f->poll)
        return;
    ready = take_updates(f, f->poll->offset, f->poll->limit);
    if (json_array_size(ready) > 0)
        poll_finish(f, 0);
    json_decref(ready);
}

/* getUpdates: answers at once, or parks the request (params is taken over). */
static void get_updates(struct telegram_fake *f, struct evhttp_request *req, const char *method,
                        json_t *params)
{
    int64_t offset = param_int(params, "offset", 0);
    int64_t limit = param_int(params, "limit", 100);
    int64_t timeout = param_int(params, "timeout", 0);
    json_t *ready;
    struct poll *p;
    struct timeval tv;

    if (limit < 1 || limit > 100)
        limit = 100;
    if (timeout > POLL_TIMEOUT_MAX_S)
        timeout = POLL_TIMEOUT_MAX_S;
    /* A new call ends the one waiting, as Telegram does. */
    poll_finish(f, 1);
    ready = take_updates(f, offset, (int)limit);
    if (json_array_size(ready) > 0 || timeout <= 0) {
        answer(f, req, method, params, 200, ok_body(ready));
        json_decref(params);
        return;
    }
    json_decref(ready);
    p = calloc(1, sizeof(*p));
    if (!p) {
        answer(f, req, method, params, 500, error_body(500, "Internal Server Error", NULL));
        json_decref(params);
        return;
    }
    p->req = req;
    p->params = params;
    snprintf(p->method, sizeof(p->method), "%s", method);
    p->offset = offset;
    p->limit = (int)limit;
    p->timer = evtimer_new(f->base, poll_timeout, f);
    tv.tv_sec = (time_t)timeout;
    tv.tv_usec = 0;
    if (!p->timer || evtimer_add(p->timer, &tv) != 0) {
        p->params = NULL;
        poll_free(p);
        answer(f, req, method, params, 500, error_body(500, "Internal Server Error", NULL));
        json_decref(params);
        return;
    }
    f->poll = p;
}

/* ---- delayed answers ------------------------------------------------------------------ */

static void delayed_clear(struct delayed *d)
{
    if (d->timer)
        event_free(d->timer);
    json_decref(d->params);
    free(d->body);
    memset(d, 0, sizeof(*d));
}

static void delayed_fire(evutil_socket_t fd, short what, void *arg)
{
    struct delayed *d = arg;
    d->f->arrival_ms = 0; /* recorded at the answer [notifier] */
    send_raw(d->req, d->status, "application/json", d->body);
    record(d->f, d->method, d->params, d->status);
    delayed_clear(d);
}

/* Holds the answer back for ms; answers at once when no slot is free. */
static void answer_later(struct telegram_fake *f, struct evhttp_request *req, const char *method,
                         json_t *params, int status, json_t *body, int64_t ms)
{
    struct delayed *d = NULL;
    struct timeval tv = {.tv_sec = (time_t)(ms / 1000), .tv_usec = (suseconds_t)(ms % 1000) * 1000};

    for (int i = 0; i < MAX_DELAYED && !d; i++)
        if (!f->delayed[i].used)
            d = &f->delayed[i];
    if (d) {
        d->f = f;
        d->req = req;
        d->status = status;
        d->body = json_dumps(body, JSON_COMPACT);
        d->params = json_incref(params);
        snprintf(d->method, sizeof(d->method), "%s", method);
        d->timer = evtimer_new(f->base, delayed_fire, d);
        d->used = 1;
        if (d->body && d->timer && evtimer_add(d->timer, &tv) == 0) {
            json_decref(body);
            return;
        }
        delayed_clear(d);
    }
    answer(f, req, method, params, status, body);
}

/* ---- setWebhook [notifier] -------------------------------------------------------------- */

static int webhook_is_set(struct telegram_fake *f)
{
    pthread_mutex_lock(&f->lock);
    int set = f->webhook[0] != '\0';
    pthread_mutex_unlock(&f->lock);
    return set;
}

/* setWebhook url (or deleteWebhook): "" removes the webhook. */
static int set_webhook(struct telegram_fake *f, const char *method, const json_t *params,
                       json_t **body)
{
    char url[sizeof(f->webhook)], secret[sizeof(f->webhook_secret)] = "";
    if (strcasecmp(method, "deleteWebhook") == 0)
        url[0] = '\0';
    else
        param_text(params, "url", url, sizeof(url));
    param_text(params, "secret_token", secret, sizeof(secret));
    pthread_mutex_lock(&f->lock);
    snprintf(f->webhook, sizeof(f->webhook), "%s", url);
    snprintf(f->webhook_secret, sizeof(f->webhook_secret), "%s", url[0] ? secret : "");
    pthread_mutex_unlock(&f->lock);
    *body = json_pack("{s:b, s:b, s:s}", "ok", 1, "result", 1, "description",
                      url[0] ? "Webhook was set" : "Webhook was deleted");
    return 200;
}

char *telegram_fake_webhook(struct telegram_fake *f)
{
    pthread_mutex_lock(&f->lock);
    char *s = strdup(f->webhook);
    pthread_mutex_unlock(&f->lock);
    return s;
}

/* ---- the server ------------------------------------------------------------------------ */

static void handle(struct evhttp_request *req, void *arg)
{
    struct telegram_fake *f = arg;
    const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
    const char *path = uri ? evhttp_uri_get_path(uri) : NULL;
    const char *slash;
    char method[64];
    size_t toklen;
    json_t *params = NULL, *body = NULL;
    struct fault x;
    int status, have_fault;

    f->arrival_ms = wall_ms();
    if (!path || strncmp(path, "/bot", 4) != 0 || !(slash = strchr(path + 4, '/')) ||
        strchr(slash + 1, '/') || strlen(slash + 1) == 0 || strlen(slash + 1) >= sizeof(method)) {
        params = json_object();
        answer(f, req, path ? path : "", params, 404, error_body(404, "Not Found", NULL));
        json_decref(params);
        return;
    }
    snprintf(method, sizeof(method), "%s", slash + 1);
    params = request_params(req);
    toklen = (size_t)(slash - (path + 4));
    if (toklen != strlen(f->token) || strncmp(path + 4, f->token, toklen) != 0) {
        answer(f, req, method, params, 401, error_body(401, "Unauthorized", NULL));
        json_decref(params);
        return;
    }
    have_fault = take_fault(f, method, params, &x);
    if (have_fault && apply_fault(f, req, method, params, &x)) {
        json_decref(params);
        return;
    }
    if (strcasecmp(method, "getUpdates") == 0 && webhook_is_set(f)) {
        answer(f, req, method, params, 409,
               error_body(409,
                          "Conflict: can't use getUpdates method while webhook is active; use "
                          "deleteWebhook to delete the webhook first",
                          NULL));
        json_decref(params);
        return;
    }
    if (strcasecmp(method, "getUpdates") == 0 && !have_fault) {
        get_updates(f, req, method, params);
        return;
    }
    if (strcasecmp(method, "sendMessage") == 0) {
        status = send_message(f, params, &body);
    } else if (strcasecmp(method, "getMe") == 0) {
        status = 200;
        body = ok_body(bot_user());
    } else if (strcasecmp(method, "setWebhook") == 0 ||
               strcasecmp(method, "deleteWebhook") == 0) {
        status = set_webhook(f, method, params, &body);
    } else if (strcasecmp(method, "getUpdates") == 0) {
        status = 200; /* delayed: no long poll, what there is now */
        body = ok_body(take_updates(f, param_int(params, "offset", 0), 100));
    } else {
        status = 404;
        body = error_body(404, "Not Found", NULL);
    }
    if (have_fault)
        answer_later(f, req, method, params, status, body,
                     x.kind == TELEGRAM_FAKE_HANG ? 3600 * 1000 : x.param);
    else
        answer(f, req, method, params, status, body);
    json_decref(params);
}

static void *fake_thread(void *arg)
{
    struct telegram_fake *f = arg;
    event_base_dispatch(f->base);
    return NULL;
}

struct telegram_fake *telegram_fake_start(const char *token)
{
    struct telegram_fake *f = calloc(1, sizeof(*f));
    struct evhttp_bound_socket *bound;
    struct sockaddr_in sin;
    socklen_t slen = sizeof(sin);

    if (!f)
        return NULL;
    pthread_mutex_init(&f->lock, NULL);
    pthread_cond_init(&f->changed, NULL);
    snprintf(f->token, sizeof(f->token), "%s", token);
    f->requests = json_array();
    f->updates = json_array();
    f->next_update_id = 100000;
    if (evthread_use_pthreads() != 0 || !(f->base = event_base_new()) ||
        !(f->http = evhttp_new(f->base)) ||
        !(f->wake = event_new(f->base, -1, EV_PERSIST, wake_cb, f)))
        goto fail;
    evhttp_set_gencb(f->http, handle, f);
    evhttp_set_max_body_size(f->http, BODY_MAX);
    evhttp_set_allowed_methods(f->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST);
    bound = evhttp_bind_socket_with_handle(f->http, "127.0.0.1", 0);
    if (!bound ||
        getsockname(evhttp_bound_socket_get_fd(bound), (struct sockaddr *)&sin, &slen) != 0)
        goto fail;
    f->port = ntohs(sin.sin_port);
    snprintf(f->base_url, sizeof(f->base_url), "http://127.0.0.1:%d", f->port);
    if (pthread_create(&f->thread, NULL, fake_thread, f) != 0)
        goto fail;
    f->running = 1;
    return f;
fail:
    telegram_fake_stop(f);
    return NULL;
}

void telegram_fake_stop(struct telegram_fake *f)
{
    if (!f)
        return;
    if (f->running) {
        event_base_loopexit(f->base, NULL);
        pthread_join(f->thread, NULL);
    }
    /* Requests still held are freed with their connections by evhttp_free. */
    poll_free(f->poll);
    for (int i = 0; i < MAX_DELAYED; i++)
        if (f->delayed[i].used)
            delayed_clear(&f->delayed[i]);
    if (f->http)
        evhttp_free(f->http);
    if (f->wake)
        event_free(f->wake);
    if (f->base)
        event_base_free(f->base);
    json_decref(f->requests);
    json_decref(f->updates);
    pthread_cond_destroy(&f->changed);
    pthread_mutex_destroy(&f->lock);
    free(f);
}

const char *telegram_fake_base(const struct telegram_fake *f)
{
    return f->base_url;
}

int telegram_fake_port(const struct telegram_fake *f)
{
    return f->port;
}

void telegram_fake_fail(struct telegram_fake *f, const char *method, const char *chat_id,
                        enum telegram_fake_fault fault, int64_t param, int times)
{
    pthread_mutex_lock(&f->lock);
    if (f->nfaults < MAX_FAULTS && times != 0) {
        struct fault *x = &f->faults[f->nfaults++];
        snprintf(x->method, sizeof(x->method), "%s", method ? method : "");
        snprintf(x->chat, sizeof(x->chat), "%s", chat_id ? chat_id : "");
        x->kind = fault;
        x->param = param;
        x->times = times;
    }
    pthread_mutex_unlock(&f->lock);
}

void telegram_fake_clear_faults(struct telegram_fake *f)
{
    pthread_mutex_lock(&f->lock);
    f->nfaults = 0;
    pthread_mutex_unlock(&f->lock);
}

void telegram_fake_reset(struct telegram_fake *f)
{
    pthread_mutex_lock(&f->lock);
    f->nfaults = 0;
    json_array_clear(f->requests);
    json_array_clear(f->updates);
    pthread_mutex_unlock(&f->lock);
}

static size_t count_locked(struct telegram_fake *f, const char *method)
{
    size_t n = 0, i;
    json_t *r;

    json_array_foreach(f->requests, i, r)
    {
        if (!method || strcasecmp(json_string_value(json_object_get(r, "method")), method) == 0)
            n++;
    }
    return n;
}

size_t telegram_fake_count(struct telegram_fake *f, const char *method)
{
    size_t n;
    pthread_mutex_lock(&f->lock);
    n = count_locked(f, method);
    pthread_mutex_unlock(&f->lock);
    return n;
}

size_t telegram_fake_wait(struct telegram_fake *f, const char *method, size_t n, int timeout_ms)
{
    struct timespec deadline;
    size_t have;

    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += timeout_ms / 1000;
    deadline.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (deadline.tv_nsec >= 1000000000L) {
        deadline.tv_sec++;
        deadline.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&f->lock);
    while ((have = count_locked(f, method)) < n &&
           pthread_cond_timedwait(&f->changed, &f->lock, &deadline) == 0)
        ;
    have = count_locked(f, method);
    pthread_mutex_unlock(&f->lock);
    return have;
}

json_t *telegram_fake_request(struct telegram_fake *f, size_t i)
{
    json_t *r;
    pthread_mutex_lock(&f->lock);
    r = json_deep_copy(json_array_get(f->requests, i));
    pthread_mutex_unlock(&f->lock);
    return r;
}

json_t *telegram_fake_requests(struct telegram_fake *f)
{
    json_t *r;
    pthread_mutex_lock(&f->lock);
    r = json_deep_copy(f->requests);
    pthread_mutex_unlock(&f->lock);
    return r;
}

char *telegram_fake_sent_text(struct telegram_fake *f, const char *chat_id, size_t n)
{
    char *out = NULL, chat[64];
    size_t i, seen = 0;
    json_t *r;

    pthread_mutex_lock(&f->lock);
    json_array_foreach(f->requests, i, r)
    {
        json_t *params = json_object_get(r, "params");
        if (strcasecmp(json_string_value(json_object_get(r, "method")), "sendMessage") != 0)
            continue;
        param_text(params, "chat_id", chat, sizeof(chat));
        if (strcmp(chat, chat_id) != 0 || seen++ != n)
            continue;
        if (json_is_string(json_object_get(params, "text")))
            out = strdup(json_string_value(json_object_get(params, "text")));
        break;
    }
    pthread_mutex_unlock(&f->lock);
    return out;
}

int64_t telegram_fake_push_update(struct telegram_fake *f, json_t *update)
{
    int64_t id;
    json_t *v;

    pthread_mutex_lock(&f->lock);
    v = json_object_get(update, "update_id");
    if (json_is_integer(v)) {
        id = (int64_t)json_integer_value(v);
        if (id >= f->next_update_id)
            f->next_update_id = id + 1;
    } else {
        id = f->next_update_id++;
        json_object_set_new(update, "update_id", json_integer((json_int_t)id));
    }
    json_array_append_new(f->updates, update);
    pthread_mutex_unlock(&f->lock);
    event_active(f->wake, EV_TIMEOUT, 0);
    return id;
}

json_t *telegram_fake_text_update(int64_t chat_id, const char *first_name, const char *username,
                                  const char *text)
{
    static _Atomic int64_t message_id = 1;
    json_t *from = json_pack("{s:I, s:b, s:s, s:s}", "id", (json_int_t)chat_id, "is_bot", 0,
                             "first_name", first_name, "language_code", "en");
    json_t *chat = json_pack("{s:I, s:s, s:s}", "id", (json_int_t)chat_id, "type", "private",
                             "first_name", first_name);
    if (username) {
        json_object_set_new(from, "username", json_string(username));
        json_object_set_new(chat, "username", json_string(username));
    }
    return json_pack("{s:{s:I, s:o, s:o, s:I, s:s}}", "message", "message_id",
                     (json_int_t)atomic_fetch_add(&message_id, 1), "from", from, "chat", chat,
                     "date", (json_int_t)time(NULL), "text", text);
}
