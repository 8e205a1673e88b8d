/* tgapi: a Bot API call on the event loop — common/telegram's request pieces (method URL,
 * parameters) and answer classification, with the transfer on the notifier's libcurl multi
 * handle instead of the blocking one. The token is in the URL: nothing here logs it. */
#ifndef STATUSHAWK_NOTIFIER_TGAPI_H
#define STATUSHAWK_NOTIFIER_TGAPI_H

#include <jansson.h>

#include "common/telegram.h"

struct notifier;

/* res is borrowed for the call (cleared afterwards). Not called when cancelled. */
typedef void (*tgapi_done_fn)(struct telegram_result *res, void *arg);

/* POSTs params (borrowed, NULL = {}) to method, the whole request bounded by timeout_ms.
 * Returns an id for tgapi_cancel (> 0), or 0 when it could not start (fn does not run). */
unsigned long tgapi_call(struct notifier *n, const char *method, const json_t *params,
                         long timeout_ms, tgapi_done_fn fn, void *arg);

void tgapi_cancel(struct notifier *n, unsigned long id);

#endif
