/* telegram: a client of the Telegram Bot API (https://core.telegram.org/bots/api) on
 * libcurl. Requests go to <base>/bot<token>/<method> as JSON; every answer is parsed into
 * a struct telegram_result that says what a sender has to do next: done, wait retry_after
 * seconds (429), give up on a chat that blocked the bot (403) or does not exist (400),
 * move to the supergroup a group became (400 with migrate_to_chat_id), or retry later
 * (network trouble, 5xx).
 *
 * The blocking calls (telegram_call and its shorthands) suit a thread that may wait:
 * the api's work pool, the notifier's long-polling loop. A sender on an event loop uses
 * the pieces instead: telegram_method_url, telegram_send_message_params and, with the
 * status and body its own transfer got, telegram_parse_response.
 *
 * The bot token is part of every URL: nothing here logs a URL, and callers must not. */
#ifndef STATUSHAWK_COMMON_TELEGRAM_H
#define STATUSHAWK_COMMON_TELEGRAM_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#define TELEGRAM_RESPONSE_MAX (2 * 1024 * 1024) /* bytes of an answer we accept */
#define TELEGRAM_URL_MAX 2304                   /* base (<= 2048) + "/bot<token>/<method>" */
#define TELEGRAM_MESSAGE_MAX 4096               /* sendMessage text limit, in characters */
#define TELEGRAM_DEFAULT_BASE "https://api.telegram.org"

struct telegram_api {
    const char *base;        /* e.g. TELEGRAM_DEFAULT_BASE or a stand-in; NULL = default */
    const char *token;       /* the bot token, "<digits>:<secret>" */
    long timeout_ms;         /* whole request; 0 = 10 s (getUpdates adds its poll time) */
    long connect_timeout_ms; /* 0 = 5 s */
};

enum telegram_outcome {
    TELEGRAM_OK = 0,
    TELEGRAM_TRANSPORT,      /* no usable answer: DNS, connect, TLS, timeout, oversize, not JSON */
    TELEGRAM_RETRY_AFTER,    /* 429: wait retry_after seconds, then send again */
    TELEGRAM_BLOCKED,        /* 403: blocked by the user, kicked from the group, user deleted */
    TELEGRAM_CHAT_NOT_FOUND, /* 400 "chat not found" */
    TELEGRAM_MIGRATED,       /* 400 with migrate_to_chat_id: resend to that chat and keep it */
    TELEGRAM_BAD_REQUEST,    /* another 4xx: this request will never succeed as it is */
    TELEGRAM_UNAUTHORIZED,   /* 401: the bot token is wrong (configuration) */
    TELEGRAM_CONFLICT,       /* 409: another getUpdates poller, or a webhook is set */
    TELEGRAM_SERVER_ERROR,   /* 5xx or an unexplained failure: retry later */
};

struct telegram_result {
    enum telegram_outcome outcome;
    long http_status;           /* 0 when no HTTP answer arrived */
    int error_code;             /* "error_code" of the answer, else 0 */
    char description[256];      /* "description", or the transport error; "" on success */
    int retry_after;            /* seconds, on TELEGRAM_RETRY_AFTER (at least 1) */
    int64_t migrate_to_chat_id; /* on TELEGRAM_MIGRATED */
    json_t *result;             /* on TELEGRAM_OK: "result", a new reference; else NULL */
};

/* Releases res->result (safe on a zeroed or already cleared result). */
void telegram_result_clear(struct telegram_result *res);

/* 1 when sending the same request again later can succeed (transport, 429, 409, 5xx). */
int telegram_outcome_retryable(enum telegram_outcome o);

/* "ok", "transport", "retry_after", "blocked", "chat_not_found", "migrated",
 * "bad_request", "unauthorized", "conflict", "server_error": for logs and
 * notification_log. */
const char *telegram_outcome_name(enum telegram_outcome o);

/* libcurl's global initialisation, once per process (thread-safe; the blocking calls
 * do it themselves). 0 or -1. */
int telegram_global_init(void);

/* Writes <base>/bot<token>/<method> into out. -1 when it does not fit or the token or
 * method holds characters that do not belong in a path. */
int telegram_method_url(const struct telegram_api *api, const char *method, char *out,
                        size_t outsize);

/* The sendMessage parameters: chat_id (a decimal id is sent as a number, anything else,
 * such as "@channel", as a string), text, and parse_mode when not NULL. New reference,
 * NULL on out of memory. */
json_t *telegram_send_message_params(const char *chat_id, const char *text, const char *parse_mode);

/* Classifies an answer: http_status (0 = none) and the body as received. Fills res
 * (res->result is a new reference on success; clear it with telegram_result_clear). */
void telegram_parse_response(long http_status, const char *body, size_t len,
                             struct telegram_result *res);

/* POSTs params (borrowed; NULL = {}) as JSON to method and parses the answer into res.
 * Blocking, bounded by the timeouts. Returns res->outcome. */
enum telegram_outcome telegram_call(const struct telegram_api *api, const char *method,
                                    const json_t *params, struct telegram_result *res);

enum telegram_outcome telegram_send_message(const struct telegram_api *api, const char *chat_id,
                                            const char *text, const char *parse_mode,
                                            struct telegram_result *res);

/* Long polling: waits up to timeout_s for updates after offset (the last update_id
 * handled + 1; 0 for the first call). On success res->result is the array of Updates. */
enum telegram_outcome telegram_get_updates(const struct telegram_api *api, int64_t offset,
                                           int timeout_s, struct telegram_result *res);

/* The parts of an Update the bot acts on. Strings are borrowed from the update. */
struct telegram_message {
    int64_t update_id;
    int64_t chat_id;
    const char *text;       /* NULL when the message has none (a photo, a join, ...) */
    const char *first_name; /* of the sender; NULL when absent */
    const char *username;   /* of the sender, without '@'; NULL when absent */
    const char *chat_title; /* of a group; NULL for private chats */
};

/* Reads update["message"]. 1 when there is a message with a numeric chat id (m filled),
 * 0 otherwise (another kind of update, or a malformed one). */
int telegram_update_message(const json_t *update, struct telegram_message *m);

#endif
