/* telegram: see telegram.h. */
#include "common/telegram.h"

#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/jsonutil.h"

#define DEFAULT_TIMEOUT_MS 10000L
#define DEFAULT_CONNECT_TIMEOUT_MS 5000L
#define POLL_TIMEOUT_MAX_S 600
/* How much longer than its long-poll time a getUpdates request may take. */
#define POLL_MARGIN_MS 10000L

void telegram_result_clear(struct telegram_result *res)
{
    if (!res)
        return;
    json_decref(res->result);
    res->result = NULL;
}

int telegram_outcome_retryable(enum telegram_outcome o)
{
    return o == TELEGRAM_TRANSPORT || o == TELEGRAM_RETRY_AFTER || o == TELEGRAM_CONFLICT ||
           o == TELEGRAM_SERVER_ERROR;
}

const char *telegram_outcome_name(enum telegram_outcome o)
{
    switch (o) {
    case TELEGRAM_OK:
        return "ok";
    case TELEGRAM_TRANSPORT:
        return "transport";
    case TELEGRAM_RETRY_AFTER:
        return "retry_after";
    case TELEGRAM_BLOCKED:
        return "blocked";
    case TELEGRAM_CHAT_NOT_FOUND:
        return "chat_not_found";
    case TELEGRAM_MIGRATED:
        return "migrated";
    case TELEGRAM_BAD_REQUEST:
        return "bad_request";
    case TELEGRAM_UNAUTHORIZED:
        return "unauthorized";
    case TELEGRAM_CONFLICT:
        return "conflict";
    case TELEGRAM_SERVER_ERROR:
        break;
    }
    return "server_error";
}

static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static int global_rc = -1;

static void global_init_once(void)
{
    global_rc = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -1;
}

int telegram_global_init(void)
{
    pthread_once(&global_once, global_init_once);
    return global_rc;
}

/* Characters a bot token or method name may hold in a URL path without escaping. */
static int path_safe(const char *s)
{
    if (!s || !*s)
        return 0;
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == ':' || c == '_' || c == '-'))
            return 0;
    }
    return 1;
}

int telegram_method_url(const struct telegram_api *api, const char *method, char *out,
                        size_t outsize)
{
    const char *base = api->base && api->base[0] ? api->base : TELEGRAM_DEFAULT_BASE;
    size_t blen = strlen(base);
    int n;

    while (blen > 0 && base[blen - 1] == '/')
        blen--;
    if (blen == 0 || blen > 2048 || !path_safe(api->token) || !path_safe(method))
        return -1;
    n = snprintf(out, outsize, "%.*s/bot%s/%s", (int)blen, base, api->token, method);
    return n > 0 && (size_t)n < outsize ? 0 : -1;
}

json_t *telegram_send_message_params(const char *chat_id, const char *text, const char *parse_mode)
{
    json_t *p = json_object(), *id;
    char *end;
    long long num;

    if (!p)
        return NULL;
    errno = 0;
    num = strtoll(chat_id, &end, 10);
    if (chat_id[0] != '\0' && *end == '\0' && errno == 0)
        id = json_integer((json_int_t)num);
    else
        id = json_string(chat_id);
    if (json_object_set_new(p, "chat_id", id) != 0 ||
        json_object_set_new(p, "text", json_string(text)) != 0 ||
        (parse_mode && json_object_set_new(p, "parse_mode", json_string(parse_mode)) != 0)) {
        json_decref(p);
        return NULL;
    }
    return p;
}

static void set_description(struct telegram_result *res, const char *s)
{
    snprintf(res->description, sizeof(res->description), "%s", s);
}

/* The outcome of an {"ok":false} answer. */
static enum telegram_outcome classify_error(struct telegram_result *res)
{
    int code = res->error_code ? res->error_code : (int)res->http_status;

    if (code == 429) {
        if (res->retry_after < 1)
            res->retry_after = 1;
        return TELEGRAM_RETRY_AFTER;
    }
    if (code == 403)
        return TELEGRAM_BLOCKED;
    if (code == 401)
        return TELEGRAM_UNAUTHORIZED;
    if (code == 409)
        return TELEGRAM_CONFLICT;
    if (code == 400 && res->migrate_to_chat_id != 0)
        return TELEGRAM_MIGRATED;
    if (code == 400 && strcasestr(res->description, "chat not found"))
        return TELEGRAM_CHAT_NOT_FOUND;
    if (code >= 400 && code < 500)
        return TELEGRAM_BAD_REQUEST;
    return TELEGRAM_SERVER_ERROR;
}

void telegram_parse_response(long http_status, const char *body, size_t len,
                             struct telegram_result *res)
{
    json_t *root = NULL, *v, *params;

    memset(res, 0, sizeof(*res));
    res->http_status = http_status;
    if (body && len > 0)
        root = json_loadb(body, len, 0, NULL);
    if (!json_is_object(root) || !json_is_boolean(json_object_get(root, "ok"))) {
        /* A proxy's error page, an empty body: judge by the status alone. */
        snprintf(res->description, sizeof(res->description), "HTTP %ld without a Bot API answer",
                 http_status);
        if (http_status == 429) {
            res->retry_after = 1;
            res->outcome = TELEGRAM_RETRY_AFTER;
        } else {
            res->outcome = http_status >= 500 ? TELEGRAM_SERVER_ERROR : TELEGRAM_TRANSPORT;
        }
        goto out;
    }
    if (json_is_true(json_object_get(root, "ok"))) {
        v = json_object_get(root, "result");
        res->result = v ? json_incref(v) : json_null();
        res->outcome = TELEGRAM_OK;
        goto out;
    }
    v = json_object_get(root, "error_code");
    if (json_is_integer(v) && json_integer_value(v) > 0 && json_integer_value(v) < 1000)
        res->error_code = (int)json_integer_value(v);
    v = json_object_get(root, "description");
    set_description(res, json_is_string(v) ? json_string_value(v) : "no description");
    params = json_object_get(root, "parameters");
    v = json_object_get(params, "retry_after");
    if (json_is_integer(v) && json_integer_value(v) > 0)
        res->retry_after = json_integer_value(v) > 86400 ? 86400 : (int)json_integer_value(v);
    v = json_object_get(params, "migrate_to_chat_id");
    if (json_is_integer(v))
        res->migrate_to_chat_id = (int64_t)json_integer_value(v);
    res->outcome = classify_error(res);
out:
    json_decref(root);
}

/* ---- the blocking transport ------------------------------------------------------- */

struct body_buf {
    char *data;
    size_t len;
    int overflow;
};

static size_t body_write(char *ptr, size_t size, size_t nmemb, void *arg)
{
    struct body_buf *b = arg;
    size_t n = size * nmemb;
    char *grown;

    if (n > TELEGRAM_RESPONSE_MAX - b->len) {
        b->overflow = 1;
        return 0; /* aborts the transfer with CURLE_WRITE_ERROR */
    }
    grown = realloc(b->data, b->len + n + 1);
    if (!grown)
        return 0;
    b->data = grown;
    memcpy(b->data + b->len, ptr, n);
    b->len += n;
    b->data[b->len] = '\0';
    return n;
}

static enum telegram_outcome transport_failure(struct telegram_result *res, const char *why)
{
    memset(res, 0, sizeof(*res));
    res->outcome = TELEGRAM_TRANSPORT;
    set_description(res, why);
    return res->outcome;
}

static enum telegram_outcome call_with_timeout(const struct telegram_api *api, const char *method,
                                               const json_t *params, long timeout_ms,
                                               struct telegram_result *res)
{
    char url[TELEGRAM_URL_MAX], errbuf[CURL_ERROR_SIZE] = "";
    struct body_buf body = {0};
    struct curl_slist *headers = NULL;
    char *payload = NULL;
    CURL *easy = NULL;
    CURLcode cc;
    long status = 0;

    memset(res, 0, sizeof(*res));
    if (telegram_global_init() != 0) {
        transport_failure(res, "libcurl could not be initialised");
        goto out;
    }
    if (telegram_method_url(api, method, url, sizeof(url)) != 0) {
        transport_failure(res, "TELEGRAM_API_BASE, the bot token or the method is not usable");
        goto out;
    }
    payload = params ? jsonutil_dump(params) : strdup("{}");
    headers = curl_slist_append(NULL, "Content-Type: application/json");
    easy = curl_easy_init();
    if (!payload || !headers || !easy) {
        transport_failure(res, "out of memory");
        goto out;
    }
    curl_easy_setopt(easy, CURLOPT_URL, url);
#if LIBCURL_VERSION_NUM >= 0x075500
    curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
#else
    curl_easy_setopt(easy, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
    curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(easy, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(easy, CURLOPT_POSTFIELDS, payload);
    curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE, (long)strlen(payload));
    curl_easy_setopt(easy, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(easy, CURLOPT_USERAGENT, "StatusHawk/" STATUSHAWK_VERSION);
    curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS,
                     api->connect_timeout_ms > 0 ? api->connect_timeout_ms
                                                 : DEFAULT_CONNECT_TIMEOUT_MS);
    curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, body_write);
    curl_easy_setopt(easy, CURLOPT_WRITEDATA, &body);
    curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, errbuf);

    cc = curl_easy_perform(easy);
    if (body.overflow) {
        transport_failure(res, "the answer exceeded the size limit");
        goto out;
    }
    if (cc != CURLE_OK) {
        /* The error buffer names the host at most, never the path with the token. */
        transport_failure(res, errbuf[0] ? errbuf : curl_easy_strerror(cc));
        goto out;
    }
    curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
    telegram_parse_response(status, body.data, body.len, res);
out:
    curl_easy_cleanup(easy);
    curl_slist_free_all(headers);
    free(payload);
    free(body.data);
    return res->outcome;
}

enum telegram_outcome telegram_call(const struct telegram_api *api, const char *method,
                                    const json_t *params, struct telegram_result *res)
{
    return call_with_timeout(api, method, params,
                             api->timeout_ms > 0 ? api->timeout_ms : DEFAULT_TIMEOUT_MS, res);
}

enum telegram_outcome telegram_send_message(const struct telegram_api *api, const char *chat_id,
                                            const char *text, const char *parse_mode,
                                            struct telegram_result *res)
{
    json_t *params = telegram_send_message_params(chat_id, text, parse_mode);
    enum telegram_outcome o;

    if (!params)
        return transport_failure(res, "out of memory");
    o = telegram_call(api, "sendMessage", params, res);
    json_decref(params);
    return o;
}

enum telegram_outcome telegram_get_updates(const struct telegram_api *api, int64_t offset,
                                           int timeout_s, struct telegram_result *res)
{
    json_t *params;
    enum telegram_outcome o;
    long base_ms = api->timeout_ms > 0 ? api->timeout_ms : DEFAULT_TIMEOUT_MS;

    if (timeout_s < 0)
        timeout_s = 0;
    if (timeout_s > POLL_TIMEOUT_MAX_S)
        timeout_s = POLL_TIMEOUT_MAX_S;
    params = json_pack("{s:I, s:i, s:[s]}", "offset", (json_int_t)offset, "timeout", timeout_s,
                       "allowed_updates", "message");
    if (!params)
        return transport_failure(res, "out of memory");
    o = call_with_timeout(api, "getUpdates", params,
                          base_ms + (long)timeout_s * 1000L + POLL_MARGIN_MS, res);
    if (o == TELEGRAM_OK && !json_is_array(res->result)) {
        telegram_result_clear(res);
        res->outcome = TELEGRAM_SERVER_ERROR;
        set_description(res, "getUpdates answered without an array of updates");
        o = res->outcome;
    }
    json_decref(params);
    return o;
}

int telegram_update_message(const json_t *update, struct telegram_message *m)
{
    const json_t *msg, *chat, *from, *v;

    memset(m, 0, sizeof(*m));
    if (!json_is_object(update))
        return 0;
    v = json_object_get(update, "update_id");
    if (json_is_integer(v))
        m->update_id = (int64_t)json_integer_value(v);
    msg = json_object_get(update, "message");
    chat = json_object_get(msg, "chat");
    v = json_object_get(chat, "id");
    if (!json_is_object(msg) || !json_is_integer(v))
        return 0;
    m->chat_id = (int64_t)json_integer_value(v);
    v = json_object_get(chat, "title");
    m->chat_title = json_is_string(v) ? json_string_value(v) : NULL;
    from = json_object_get(msg, "from");
    v = json_object_get(from, "first_name");
    m->first_name = json_is_string(v) ? json_string_value(v) : NULL;
    v = json_object_get(from, "username");
    m->username = json_is_string(v) ? json_string_value(v) : NULL;
    v = json_object_get(msg, "text");
    m->text = json_is_string(v) ? json_string_value(v) : NULL;
    return 1;
}
