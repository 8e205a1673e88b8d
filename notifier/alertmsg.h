/* alertmsg: one alert event read from the <prefix>alerts stream (the format of
 * common/alert.h), checked and copied out of the Redis reply so it can outlive it. */
#ifndef STATUSHAWK_NOTIFIER_ALERTMSG_H
#define STATUSHAWK_NOTIFIER_ALERTMSG_H

#include <hiredis/hiredis.h>
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#define ALERTMSG_ID_MAX 64 /* notification_log.alert_id is varchar(64) */
#define ALERTMSG_NAME_MAX 1024
#define ALERTMSG_URL_MAX 4096
#define ALERTMSG_DETAILS_MAX (16 * 1024)

struct alert_event {
    char alert_id[ALERTMSG_ID_MAX + 1];
    char kind[16]; /* down | up | anomaly | cert_expiry | test */
    int64_t user_id;
    int64_t channel_id; /* 0: every active channel of the user */
    int64_t monitor_id; /* 0: none (a test alert) */
    char *monitor_name; /* owned, never NULL after a successful parse */
    char *url;          /* owned, never NULL */
    int64_t time_ms;
    json_t *details; /* owned reference, always an object */
};

/* Fills ev from a stream entry's field list (an array reply of name, value, ...).
 * 0, or -1 with a reason in err (ev is then cleared). */
int alertmsg_parse(const redisReply *fields, struct alert_event *ev, char *err, size_t errlen);

/* Builds ev from already separated values (used by tests). Same checks. */
int alertmsg_from_values(struct alert_event *ev, const char *alert_id, const char *kind,
                         const char *user_id, const char *channel_id, const char *monitor_id,
                         const char *monitor_name, const char *url, const char *time,
                         const char *details, char *err, size_t errlen);

void alertmsg_clear(struct alert_event *ev);

/* 1 when kind is one of the five kinds. */
int alertmsg_kind_valid(const char *kind);

/* Reading details: 1 with the number at key in *out (a JSON number or a numeric
 * string), 0 when absent or not a number. */
int alertmsg_detail_number(const struct alert_event *ev, const char *key, double *out);
/* The string at key, or NULL. Borrowed from ev. */
const char *alertmsg_detail_string(const struct alert_event *ev, const char *key);

#endif
