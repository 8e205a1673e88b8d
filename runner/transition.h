/* transition: what the runner does with the changes its batch statement made (see
 * persist.h): a status transition (UP -> DOWN, PENDING -> DOWN: "down"; DOWN -> UP:
 * "up") or a certificate reaching an alert level ("cert_expiry") becomes one alert on
 * the stream. Only the runner whose statement made the change gets the row, so each
 * change is alerted once; the row is also in the alert outbox (outbox.h), so the alert
 * outlives this runner until it is published. */
#ifndef STATUSHAWK_RUNNER_TRANSITION_H
#define STATUSHAWK_RUNNER_TRANSITION_H

#include <libpq-fe.h>

struct alert_queue;

/* res: the alerts the batch statement wrote to the outbox (OUTBOX_COLUMNS), borrowed. */
void transition_handle_rows(struct alert_queue *q, PGresult *res);

#endif
