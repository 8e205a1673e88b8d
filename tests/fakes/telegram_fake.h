/* telegram_fake: a stand-in for the Telegram Bot API on loopback, for the api's and the
 * notifier's tests. An evhttp server on its own thread and event base, on a free port of
 * 127.0.0.1, answering /bot<token>/<method> with the real API's shapes:
 *
 *   sendMessage  {"ok":true,"result":Message}; 400 "Bad Request: chat_id is empty",
 *                "... message text is empty", "... message is too long" (> 4096 UTF-16
 *                units), "... unsupported parse_mode"
 *   getUpdates   pending Updates (offset confirms, limit, long polling with timeout; a
 *                second concurrent call ends the first with 409 Conflict)
 *   getMe        the bot
 *   setWebhook   {"ok":true,"result":true}; while a webhook URL is set, pushed updates are
 *                POSTed to it (X-Telegram-Bot-Api-Secret-Token: the secret_token given; each
 *                recorded as method "webhook" with the status it got) and getUpdates
 *                answers 409 "Conflict: can't use getUpdates method while webhook is
 *                active", as Telegram does; url "" removes it  [notifier]
 *   other        404 {"ok":false,"error_code":404,"description":"Not Found"}
 *   wrong token  401 {"ok":false,"error_code":401,"description":"Unauthorized"}
 *
 * Parameters are read from a JSON body, a form body or the query string, as Telegram
 * does. Every request is recorded (method, parameters, the status answered, and "at_ms":
 * when it arrived — when it was answered, for held and long-polled requests — in ms since
 * the epoch, for latency and rate measurements). A test can
 * make the next requests fail the ways the notifier must handle: 429 with retry_after,
 * 403 blocked, 400 chat not found, 400 with migrate_to_chat_id, a 502 from a proxy, or a
 * slow answer.
 *
 * All functions are thread-safe; start and stop from the same thread. */
#ifndef STATUSHAWK_TESTS_FAKES_TELEGRAM_FAKE_H
#define STATUSHAWK_TESTS_FAKES_TELEGRAM_FAKE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#define TELEGRAM_FAKE_BOT_ID 7000000001LL
#define TELEGRAM_FAKE_BOT_USERNAME "statushawk_test_bot"

struct telegram_fake;

enum telegram_fake_fault {
    TELEGRAM_FAKE_RETRY_AFTER,    /* 429 "Too Many Requests: retry after N", retry_after=param */
    TELEGRAM_FAKE_BLOCKED,        /* 403 "Forbidden: bot was blocked by the user" */
    TELEGRAM_FAKE_CHAT_NOT_FOUND, /* 400 "Bad Request: chat not found" */
    TELEGRAM_FAKE_MIGRATE, /* 400 "... upgraded to a supergroup chat", migrate_to_chat_id=param */
    TELEGRAM_FAKE_BAD_GATEWAY, /* 502 with an HTML body, as from a proxy in front */
    TELEGRAM_FAKE_DELAY,       /* the normal answer, param milliseconds late */
    /* notifier additions: */
    TELEGRAM_FAKE_SERVER_ERROR, /* 500 {"ok":false,"error_code":500,...} */
    TELEGRAM_FAKE_HANG,         /* no answer at all (until the stand-in stops) */
};

/* Starts the stand-in accepting token (e.g. "123456:TEST-token"). NULL on failure. */
struct telegram_fake *telegram_fake_start(const char *token);
/* Stops the server, answers nothing more, frees everything. NULL is fine. */
void telegram_fake_stop(struct telegram_fake *f);

/* "http://127.0.0.1:<port>": what TELEGRAM_API_BASE should be. Borrowed. */
const char *telegram_fake_base(const struct telegram_fake *f);
int telegram_fake_port(const struct telegram_fake *f);

/* The next `times` requests (-1: every one until cleared) of method (NULL: any; case
 * does not matter, as for Telegram) for chat_id (NULL: any chat) get fault. Faults are
 * matched in the order they were added. */
void telegram_fake_fail(struct telegram_fake *f, const char *method, const char *chat_id,
                        enum telegram_fake_fault fault, int64_t param, int times);
void telegram_fake_clear_faults(struct telegram_fake *f);

/* Forgets the recorded requests, the faults and the pending updates. */
void telegram_fake_reset(struct telegram_fake *f);

/* How many requests of method (NULL: any) were answered so far. */
size_t telegram_fake_count(struct telegram_fake *f, const char *method);
/* Waits up to timeout_ms for at least n requests of method; returns the count then. */
size_t telegram_fake_wait(struct telegram_fake *f, const char *method, size_t n, int timeout_ms);
/* Request i (0 = the first) as {"method": "...", "params": {...}, "status": 200,
 * "at_ms": <arrival>}; new
 * reference, NULL when there is no such request. */
json_t *telegram_fake_request(struct telegram_fake *f, size_t i);
/* Every request so far, in order, as an array of those objects. New reference. */
json_t *telegram_fake_requests(struct telegram_fake *f);
/* The text of the n-th (0-based) sendMessage to chat_id, or NULL. New string (free()). */
char *telegram_fake_sent_text(struct telegram_fake *f, const char *chat_id, size_t n);

/* Queues an Update for getUpdates (stolen; an update_id is assigned when it has none)
 * and wakes a waiting long poll. Returns the update_id. */
int64_t telegram_fake_push_update(struct telegram_fake *f, json_t *update);
/* The webhook URL setWebhook set, "" when none. New string (free()). [notifier] */
char *telegram_fake_webhook(struct telegram_fake *f);
/* A text message Update from a private chat (chat id = user id), as Telegram sends it.
 * username may be NULL. New reference. */
json_t *telegram_fake_text_update(int64_t chat_id, const char *first_name, const char *username,
                                  const char *text);

#endif
