/* outbox: see outbox.h. */
#include "runner/outbox.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/db.h"
#include "common/log.h"
#include "common/redis.h"
#include "common/timeutil.h"
#include "runner/cert.h"

static const char sweep_sql[] = "SELECT " OUTBOX_COLUMNS " FROM alert_outbox"
                                " WHERE created_at < now() - make_interval(secs => $1::int)"
                                " ORDER BY created_at LIMIT $2::int";
static const char delete_sql[] = "DELETE FROM alert_outbox WHERE alert_id = ANY($1::text[])";

static int64_t col_i64(PGresult *res, int row, int c)
{
    const char *v = db_text(res, row, c);
    return v ? strtoll(v, NULL, 10) : 0;
}

static json_t *status_details(PGresult *res, int row)
{
    json_t *d = json_object();
    const char *err = db_text(res, row, OC_ERROR), *rt = db_text(res, row, OC_RESPONSE_MS);
    const char *incident = db_text(res, row, OC_INCIDENT_STARTED);

    if (!d)
        return NULL;
    json_object_set_new(d, "status_code", json_integer(col_i64(res, row, OC_STATUS_CODE)));
    json_object_set_new(d, "reason", err ? json_string(err) : json_null());
    json_object_set_new(d, "latency_ms", rt ? json_real(strtod(rt, NULL)) : json_null());
    if (incident)
        json_object_set_new(d, "incident_started_at", json_string(incident));
    return d;
}

static json_t *cert_details(PGresult *res, int row, int64_t at_ms)
{
    json_t *d = json_object();
    int64_t cert_ms = col_i64(res, row, OC_CERT_MS);
    char iso[TIME_ISO_BUFSZ];

    if (!d)
        return NULL;
    time_format_iso(cert_ms, iso);
    json_object_set_new(d, "days_left", json_integer(cert_days_left(cert_ms, at_ms)));
    json_object_set_new(d, "level", json_integer(col_i64(res, row, OC_CERT_LEVEL)));
    json_object_set_new(d, "cert_expires_at", json_string(iso));
    return d;
}

int outbox_alert_from_row(PGresult *res, int row, struct alert *a)
{
    const char *id = db_text(res, row, OC_ALERT_ID), *kind = db_text(res, row, OC_KIND);

    memset(a, 0, sizeof(*a));
    if (!id || strlen(id) != ALERT_ID_LEN)
        return -1;
    memcpy(a->alert_id, id, ALERT_ID_LEN + 1);
    if (!kind)
        return -1;
    a->user_id = col_i64(res, row, OC_USER_ID);
    a->monitor_id = col_i64(res, row, OC_MONITOR_ID);
    a->monitor_name = db_text(res, row, OC_NAME);
    a->url = db_text(res, row, OC_URL);
    a->time_ms = col_i64(res, row, OC_AT_MS);
    if (strcmp(kind, "down") == 0 || strcmp(kind, "up") == 0) {
        a->kind = strcmp(kind, "down") == 0 ? "down" : "up";
        a->details = status_details(res, row);
    } else if (strcmp(kind, "cert_expiry") == 0) {
        a->kind = "cert_expiry";
        a->details = cert_details(res, row, a->time_ms);
    } else {
        return -1;
    }
    return 0;
}

/* Publishes the page's rows and deletes those published. Returns how many, or -1. */
static int publish_page(struct db *db, struct redis *redis, const char *prefix, PGresult *res)
{
    int n = PQntuples(res), published = 0, failed = 0;
    char *ids = malloc((size_t)n * (ALERT_ID_LEN + 1) + 3);
    size_t len = 1;

    if (!ids)
        return -1;
    ids[0] = '{';
    for (int row = 0; row < n; row++) {
        struct alert a;
        if (outbox_alert_from_row(res, row, &a) != 0) {
            /* The table's CHECKs rule this out; such a row could never be sent. */
            log_error("outbox: a row that is not an alert (%s); deleting it",
                      a.alert_id[0] ? a.alert_id : "no id");
        } else if (alert_publish(redis, prefix, &a) != 0) {
            json_decref(a.details);
            failed = 1; /* Redis is away: the rest waits for the next pass */
            break;
        } else {
            json_decref(a.details);
            published++;
        }
        if (a.alert_id[0])
            len += (size_t)sprintf(ids + len, "%s%s", len > 1 ? "," : "", a.alert_id);
    }
    memcpy(ids + len, "}", 2);
    if (published)
        log_warn("outbox: %d alert(s) left unpublished by their runner (it died or lost Redis "
                 "after the change was committed) published now",
                 published);
    if (len > 1) {
        const char *params[1] = {ids};
        if (db_exec(db, NULL, delete_sql, 1, params) != DB_OK) {
            log_warn("outbox: cannot delete %d published alert(s) (%s); they will be published "
                     "again under the same alert_id, and still delivered once",
                     published, db_last_error(db));
            failed = 1;
        }
    }
    free(ids);
    return failed ? -1 : published;
}

int outbox_sweep(struct db *db, struct redis *redis, const char *prefix)
{
    char grace[16], page[16];
    const char *params[2] = {grace, page};
    int total = 0;

    snprintf(grace, sizeof(grace), "%d", OUTBOX_GRACE_S);
    snprintf(page, sizeof(page), "%d", OUTBOX_SWEEP_PAGE);
    for (;;) {
        PGresult *res = NULL;
        int n, rc;
        if (db_exec_prepared(db, &res, sweep_sql, 2, params) != DB_OK) {
            /* Every second while the database is away: the caller reports the streak. */
            log_debug("outbox: cannot read the outbox: %s", db_last_error(db));
            return -1;
        }
        n = PQntuples(res);
        rc = n > 0 ? publish_page(db, redis, prefix, res) : 0;
        PQclear(res);
        if (rc < 0)
            return -1;
        total += rc;
        if (n < OUTBOX_SWEEP_PAGE)
            return total;
    }
}
