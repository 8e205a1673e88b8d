/* transition: what the runner does with the changes its batch statement made (see
 * persist.h): a status transition (UP -> DOWN, PENDING -> DOWN: "down"; DOWN -> UP:
 * "up") or a certificate reaching an alert level ("cert_expiry") becomes one alert on
 * the stream. Only the runner whose statement made the change gets the row, so each
 * change is alerted once. */
#ifndef STATUSHAWK_RUNNER_TRANSITION_H
#define STATUSHAWK_RUNNER_TRANSITION_H

#include <libpq-fe.h>

struct alert_queue;

/* res: the rows the batch statement returned (persist_col columns), borrowed. */
void transition_handle_rows(struct alert_queue *q, PGresult *res);

#endif
