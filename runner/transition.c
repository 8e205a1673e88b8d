/* transition: see transition.h. */
#include "runner/transition.h"

#include <jansson.h>
#include <string.h>

#include "common/alert.h"
#include "common/db.h"
#include "common/log.h"
#include "runner/alert_queue.h"
#include "runner/outbox.h"

static void log_alert(PGresult *res, int row, const struct alert *a)
{
    if (strcmp(a->kind, "cert_expiry") == 0) {
        json_t *d = a->details;
        log_info("monitor %lld (%s): certificate expires %s (%lld days left)",
                 (long long)a->monitor_id, a->monitor_name,
                 json_string_value(json_object_get(d, "cert_expires_at")),
                 (long long)json_integer_value(json_object_get(d, "days_left")));
        return;
    }
    const char *err = db_text(res, row, OC_ERROR);
    log_info("monitor %lld (%s): %s -> %s%s%s", (long long)a->monitor_id, a->monitor_name,
             db_text(res, row, OC_OLD_STATUS), db_text(res, row, OC_NEW_STATUS), err ? ": " : "",
             err ? err : "");
}

void transition_handle_rows(struct alert_queue *q, PGresult *res)
{
    for (int row = 0; row < PQntuples(res); row++) {
        struct alert a;
        if (outbox_alert_from_row(res, row, &a) != 0) {
            log_error("transition: row %d of the batch is not an alert; the outbox sweep will "
                      "deal with it",
                      row);
            continue;
        }
        log_alert(res, row, &a);
        alert_queue_push(q, &a);
        json_decref(a.details);
    }
}
