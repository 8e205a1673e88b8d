/* prov_webhook: the "webhook" provider — the alert POSTed as JSON to the channel's URL.
 *
 *   POST <url>
 *   Content-Type: application/json
 *   User-Agent: StatusHawk/<version>
 *   X-StatusHawk-Event: <kind>
 *   X-StatusHawk-Delivery: <alert_id>
 *   X-StatusHawk-Signature: sha256=<hex HMAC-SHA256 of the body with the channel's secret>
 *
 *   {"alert_id", "kind", "time", "monitor": {"id", "name", "url"} | null, "details": {...},
 *    "text": "<the rendered message>"}
 *
 * The signature header is sent when the channel has a secret (config.secret); receivers
 * check it in constant time. The URL is held to the monitors' SSRF rules
 * (common/target_guard.h) for the address actually connected to, so a name that resolves to
 * a private address is refused unless STATUSHAWK_ALLOW_PRIVATE_TARGETS is set. Redirects are
 * not followed. 2xx is success; 408, 429 and 5xx, timeouts and connection errors are retried;
 * any other answer, a refused address or a malformed URL fails at once. */
#ifndef STATUSHAWK_NOTIFIER_PROV_WEBHOOK_H
#define STATUSHAWK_NOTIFIER_PROV_WEBHOOK_H

#include "notifier/alertmsg.h"
#include "notifier/deliver.h"

struct notifier;

typedef void (*webhook_done_fn)(struct delivery *d, const struct send_outcome *o, void *arg);

/* Starts the POST of d->body to d->target. 0 (done runs later, exactly once), or -1. */
int webhook_send(struct notifier *n, struct delivery *d, webhook_done_fn done, void *arg);

/* The JSON body for ev with the rendered text. New string, NULL on out of memory. */
char *webhook_body(const struct alert_event *ev, const char *text);

/* "sha256=" + hex HMAC-SHA256(secret, body): out needs 7 + 64 + 1 bytes. */
void webhook_signature(const char *secret, const char *body, size_t len, char out[72]);

#endif
