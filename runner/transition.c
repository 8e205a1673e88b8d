/* transition: see transition.h. */
#include "runner/transition.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "common/alert.h"
#include "common/log.h"
#include "common/timeutil.h"
#include "runner/alert_queue.h"
#include "runner/cert.h"
#include "runner/persist.h"

static const char *col(PGresult *res, int row, int c)
{
    return PQgetisnull(res, row, c) ? NULL : PQgetvalue(res, row, c);
}

static int64_t col_i64(PGresult *res, int row, int c)
{
    const char *v = col(res, row, c);
    return v ? strtoll(v, NULL, 10) : 0;
}

static void status_alert(struct alert_queue *q, PGresult *res, int row, const char *kind)
{
    struct alert a = {0};
    json_t *details = json_object();
    const char *err = col(res, row, PC_ERROR), *rt = col(res, row, PC_RESPONSE_MS);
    const char *incident = col(res, row, PC_INCIDENT_STARTED);

    a.kind = kind;
    a.user_id = col_i64(res, row, PC_USER_ID);
    a.monitor_id = col_i64(res, row, PC_ID);
    a.monitor_name = col(res, row, PC_NAME);
    a.url = col(res, row, PC_URL);
    a.time_ms = col_i64(res, row, PC_CONFIRMED_MS);
    if (details) {
        json_object_set_new(details, "status_code",
                            json_integer(col_i64(res, row, PC_STATUS_CODE)));
        json_object_set_new(details, "reason", err ? json_string(err) : json_null());
        json_object_set_new(details, "latency_ms", rt ? json_real(strtod(rt, NULL)) : json_null());
        if (incident)
            json_object_set_new(details, "incident_started_at", json_string(incident));
    }
    a.details = details;
    log_info("monitor %lld (%s): %s -> %s%s%s", (long long)a.monitor_id, a.monitor_name,
             col(res, row, PC_OLD_STATUS), col(res, row, PC_NEW_STATUS), err ? ": " : "",
             err ? err : "");
    alert_queue_push(q, &a);
    json_decref(details);
}

static void cert_alert(struct alert_queue *q, PGresult *res, int row)
{
    struct alert a = {0};
    json_t *details = json_object();
    int64_t cert_ms = col_i64(res, row, PC_CERT_MS), at = col_i64(res, row, PC_CERT_CHECKED_MS);
    char iso[TIME_ISO_BUFSZ];

    a.kind = "cert_expiry";
    a.user_id = col_i64(res, row, PC_USER_ID);
    a.monitor_id = col_i64(res, row, PC_ID);
    a.monitor_name = col(res, row, PC_NAME);
    a.url = col(res, row, PC_URL);
    a.time_ms = at;
    time_format_iso(cert_ms, iso);
    if (details) {
        json_object_set_new(details, "days_left", json_integer(cert_days_left(cert_ms, at)));
        json_object_set_new(details, "level", json_integer(col_i64(res, row, PC_CERT_ALERT)));
        json_object_set_new(details, "cert_expires_at", json_string(iso));
    }
    a.details = details;
    log_info("monitor %lld (%s): certificate expires %s (%d days left)", (long long)a.monitor_id,
             a.monitor_name, iso, cert_days_left(cert_ms, at));
    alert_queue_push(q, &a);
    json_decref(details);
}

void transition_handle_rows(struct alert_queue *q, PGresult *res)
{
    for (int row = 0; row < PQntuples(res); row++) {
        const char *t = col(res, row, PC_TRANSITION);
        if (t && (strcmp(t, "down") == 0 || strcmp(t, "up") == 0))
            status_alert(q, res, row, t);
        if (col(res, row, PC_CERT_ALERT))
            cert_alert(q, res, row);
    }
}
