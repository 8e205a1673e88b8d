/* persist: check results on their way to PostgreSQL. Results are appended to a bounded
 * in-memory buffer (RUNNER_BUFFER_MAX rows) and written in batches — every
 * RUNNER_BATCH_INTERVAL_MS or as soon as RUNNER_BATCH_ROWS are waiting — each batch one
 * statement that, in one transaction:
 *
 *   - locks the batch's monitors in id order (two runners never deadlock on them),
 *   - inserts the results (and the anomalies flagged among them),
 *   - sets last_checked_at, the confirmed status (only where it differs, the monitor is
 *     still active, and no later check is written already: a check that finished late —
 *     another runner's, overlapping — cannot undo a newer transition), cert_expires_at
 *     and cert_alert_level,
 *   - opens or closes incidents for the status changes it made,
 *   - writes the alerts those changes call for (transitions, certificate levels) to the
 *     alert outbox and returns them (outbox.h), and deletes the outbox rows of the alerts
 *     published since the previous batch.
 *
 * Because the status change and its alert come from the same conditional update, the
 * runner whose statement changed the row is the only one that alerts: duplicate checks
 * cannot double-alert, and a batch retried after an error cannot either (it rolled
 * back whole). On an error the batch stays in the buffer and is retried with backoff;
 * when the buffer is full new results are dropped, counted and logged. */
#ifndef STATUSHAWK_RUNNER_PERSIST_H
#define STATUSHAWK_RUNNER_PERSIST_H

#include <libpq-fe.h>
#include <stdint.h>

#include "runner/check.h"
#include "runner/runner_config.h"

struct result_row {
    int64_t monitor_id;
    int64_t checked_ms;
    int64_t since_ms; /* the first failure of the streak a confirmed DOWN ends; 0: none */
    int64_t cert_ms;  /* the peer certificate's expiry; 0: none seen */
    double response_ms;
    double an_mean, an_stdev, an_z;
    int status_code;
    int cert_level; /* 14, 7, 1 or 0 */
    char confirmed; /* 'U', 'D' or 0: the status to write, if any */
    char is_up;
    char has_time;
    char anomaly;
    char error[CHECK_ERROR_MAX];
};

/* The alerts the batch statement wrote to the outbox (OUTBOX_COLUMNS), borrowed. */
typedef void (*persist_rows_fn)(PGresult *res, void *arg);

struct event_base;
struct pgconn;
struct persist;

struct persist *persist_new(struct event_base *base, const struct runner_config *cfg,
                            struct pgconn *pg, persist_rows_fn on_rows, void *arg);
void persist_free(struct persist *p);

/* Copies row into the buffer. 0, or -1 when the buffer is full (the row is dropped and
 * counted). */
int persist_add(struct persist *p, const struct result_row *row);

/* The connection came up: write what is waiting. */
void persist_kick(struct persist *p);

/* alert_id (one the batch statement returned) is on the stream: the next batch deletes
 * its outbox row. Should that list be full, the row stays and the sweep publishes it
 * again under the same id. */
void persist_forget_alert(struct persist *p, const char *alert_id);

/* Rows not yet written (including a batch in flight). */
int persist_pending(const struct persist *p);
/* Published alerts whose outbox rows are not deleted yet. */
int persist_outbox_pending(const struct persist *p);

/* Gives up on what is still buffered (at exit): counts and logs it as dropped. */
void persist_abandon(struct persist *p);

#endif
