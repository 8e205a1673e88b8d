/* alert: the alert event carried on the <prefix>alerts stream from the runner (and the
 * api's "test" action) to the notifiers. One stream entry, flat string fields:
 *
 *   alert_id      32 hex chars, unique: the idempotency key of every delivery
 *   kind          down | up | anomaly | cert_expiry | test
 *   user_id       the owner; the notifier sends to that user's active channels
 *   channel_id    "0" for all of them, else only this channel (used by "test")
 *   monitor_id, monitor_name, url     ("0", "" and "" for a test alert)
 *   time          ISO-8601 UTC with ms, when it happened
 *   details       JSON object: status_code, reason, latency_ms, mean_ms, z, days_left,
 *                 incident_started_at, cert_expires_at — whichever apply to the kind
 */
#ifndef STATUSHAWK_COMMON_ALERT_H
#define STATUSHAWK_COMMON_ALERT_H

#include <jansson.h>
#include <stdint.h>

#define ALERT_ID_LEN 32
#define ALERT_STREAM_MAXLEN "1000000" /* approximate cap, XADD MAXLEN ~ */
#define ALERT_MAX_FIELDS 9

struct redis;

struct alert {
    char alert_id[ALERT_ID_LEN + 1];
    const char *kind;
    int64_t user_id;
    int64_t channel_id; /* 0: every active channel of the user */
    int64_t monitor_id; /* 0 for a test alert */
    const char *monitor_name;
    const char *url;
    int64_t time_ms;
    json_t *details; /* borrowed; NULL means {} */
};

/* A fresh random alert_id. 0, or -1 when randomness fails. */
int alert_new_id(char out[ALERT_ID_LEN + 1]);

/* The XADD command for a, as argv/lens for hiredis (sync or async). The strings live in
 * cmd, which the caller frees with alert_xadd_free after sending. 0 or -1. */
struct alert_xadd {
    int argc;
    const char *argv[6 + 2 * ALERT_MAX_FIELDS];
    size_t lens[6 + 2 * ALERT_MAX_FIELDS];
    char stream[96];
    char numbers[4][24];
    char time[32];
    char *details_json;
};
int alert_xadd_build(const struct alert *a, const char *prefix, struct alert_xadd *cmd);
void alert_xadd_free(struct alert_xadd *cmd);

/* Publishes a on a synchronous connection. 0, or -1 when Redis is unreachable. */
int alert_publish(struct redis *redis, const char *prefix, const struct alert *a);

#endif
