/* outbox: the alerts a batch statement decided, kept in PostgreSQL's alert_outbox
 * (migration 0007) until they are on the stream. The batch that changes a monitor's
 * status writes its alert there in the same transaction (persist.c), so an alert exists
 * exactly when its change was committed:
 *
 *   - normally the runner publishes it at once (alert_queue) and its next batch deletes
 *     the row (persist_forget_alert);
 *   - if the runner dies, or Redis stays away, between the commit and the XADD, the row
 *     stays; the reconciler's lease holder publishes rows older than OUTBOX_GRACE_S with
 *     their stored alert_id and deletes them (outbox_sweep). Published twice at worst, the
 *     alert is still delivered once: the notifiers key every delivery on alert_id. */
#ifndef STATUSHAWK_RUNNER_OUTBOX_H
#define STATUSHAWK_RUNNER_OUTBOX_H

#include <jansson.h>
#include <libpq-fe.h>

#include "common/alert.h"

/* Longer than a runner takes to publish and forget an alert in any healthy moment (one
 * batch interval plus a round trip), so the sweep only picks up what was abandoned. */
#define OUTBOX_GRACE_S 30
/* Rows published per sweep query. */
#define OUTBOX_SWEEP_PAGE 500

/* The columns an outbox row is read with, in enum outbox_col's order: the batch
 * statement's RETURNING list and the sweep's SELECT list. */
#define OUTBOX_COLUMNS                                                                             \
    "alert_id, kind, monitor_id, user_id, monitor_name, url, old_status, new_status, at_ms, "      \
    "error, status_code, response_ms, incident_started, cert_level, cert_ms"

enum outbox_col {
    OC_ALERT_ID,
    OC_KIND, /* down, up or cert_expiry */
    OC_MONITOR_ID,
    OC_USER_ID,
    OC_NAME,
    OC_URL,
    OC_OLD_STATUS,
    OC_NEW_STATUS,
    OC_AT_MS, /* when it happened: the confirming check, or the certificate's check */
    OC_ERROR,
    OC_STATUS_CODE,
    OC_RESPONSE_MS,
    OC_INCIDENT_STARTED, /* ISO: the incident opened (down) or closed (up) */
    OC_CERT_LEVEL,       /* 14, 7 or 1 (cert_expiry) */
    OC_CERT_MS,          /* the certificate's expiry (cert_expiry) */
};

/* The alert of row `row` of res (OUTBOX_COLUMNS). Strings borrow res; a->details is a
 * new reference the caller releases. 0, or -1 when the row is not an alert (unknown
 * kind, bad id). */
int outbox_alert_from_row(PGresult *res, int row, struct alert *a);

struct db;
struct redis;

/* One pass of the sweep: publishes the rows older than OUTBOX_GRACE_S, oldest first, a
 * page at a time, deleting each page once it is on the stream. Returns how many were
 * published, or -1 when PostgreSQL or Redis failed (what was not deleted is tried again
 * next pass; a failed read of the outbox is only logged at debug level, since it repeats
 * every second while the database is away). */
int outbox_sweep(struct db *db, struct redis *redis, const char *prefix);

#endif
