/* alertmsg: see alertmsg.h. Everything on the stream is treated as untrusted input: any
 * process with access to Redis can write to it. */
#include "notifier/alertmsg.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/timeutil.h"

static const char *const kinds[] = {"down", "up", "anomaly", "cert_expiry", "test"};

int alertmsg_kind_valid(const char *kind)
{
    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
        if (strcmp(kind, kinds[i]) == 0)
            return 1;
    return 0;
}

void alertmsg_clear(struct alert_event *ev)
{
    free(ev->monitor_name);
    free(ev->url);
    json_decref(ev->details);
    memset(ev, 0, sizeof(*ev));
}

static int parse_id(const char *s, int64_t min, int64_t *out)
{
    char *end;
    long long v;
    if (!s || !*s)
        return -1;
    errno = 0;
    v = strtoll(s, &end, 10);
    if (errno || *end || v < min)
        return -1;
    *out = v;
    return 0;
}

static int id_chars_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > ALERTMSG_ID_MAX)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              c == '-' || c == '_'))
            return 0;
    }
    return 1;
}

int alertmsg_from_values(struct alert_event *ev, const char *alert_id, const char *kind,
                         const char *user_id, const char *channel_id, const char *monitor_id,
                         const char *monitor_name, const char *url, const char *time,
                         const char *details, char *err, size_t errlen)
{
    json_error_t jerr;

    memset(ev, 0, sizeof(*ev));
    if (!alert_id || !id_chars_ok(alert_id)) {
        snprintf(err, errlen, "alert_id missing or malformed");
        goto fail;
    }
    strcpy(ev->alert_id, alert_id);
    if (!kind || !alertmsg_kind_valid(kind)) {
        snprintf(err, errlen, "kind missing or unknown");
        goto fail;
    }
    strcpy(ev->kind, kind);
    if (parse_id(user_id, 1, &ev->user_id) != 0) {
        snprintf(err, errlen, "user_id missing or not a positive integer");
        goto fail;
    }
    if (!channel_id || !*channel_id)
        ev->channel_id = 0;
    else if (parse_id(channel_id, 0, &ev->channel_id) != 0) {
        snprintf(err, errlen, "channel_id not an integer >= 0");
        goto fail;
    }
    if (!monitor_id || !*monitor_id)
        ev->monitor_id = 0;
    else if (parse_id(monitor_id, 0, &ev->monitor_id) != 0) {
        snprintf(err, errlen, "monitor_id not an integer >= 0");
        goto fail;
    }
    if (strlen(monitor_name ? monitor_name : "") > ALERTMSG_NAME_MAX ||
        strlen(url ? url : "") > ALERTMSG_URL_MAX) {
        snprintf(err, errlen, "monitor_name or url too long");
        goto fail;
    }
    ev->monitor_name = strdup(monitor_name ? monitor_name : "");
    ev->url = strdup(url ? url : "");
    if (!ev->monitor_name || !ev->url) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    if (!time || time_parse_iso(time, &ev->time_ms) != 0) {
        snprintf(err, errlen, "time missing or not ISO-8601");
        goto fail;
    }
    if (!details || !*details) {
        ev->details = json_object();
    } else if (strlen(details) > ALERTMSG_DETAILS_MAX) {
        snprintf(err, errlen, "details longer than %d bytes", ALERTMSG_DETAILS_MAX);
        goto fail;
    } else {
        ev->details = json_loads(details, JSON_REJECT_DUPLICATES, &jerr);
        if (!json_is_object(ev->details)) {
            snprintf(err, errlen, "details is not a JSON object");
            goto fail;
        }
    }
    if (!ev->details) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    return 0;
fail:
    alertmsg_clear(ev);
    return -1;
}

int alertmsg_parse(const redisReply *fields, struct alert_event *ev, char *err, size_t errlen)
{
    static const char *const names[] = {"alert_id",   "kind",       "user_id",
                                        "channel_id", "monitor_id", "monitor_name",
                                        "url",        "time",       "details"};
    const char *values[9] = {NULL};

    memset(ev, 0, sizeof(*ev));
    if (!fields || fields->type != REDIS_REPLY_ARRAY || fields->elements % 2 != 0) {
        snprintf(err, errlen, "entry has no field list");
        return -1;
    }
    for (size_t i = 0; i + 1 < fields->elements; i += 2) {
        const redisReply *k = fields->element[i], *v = fields->element[i + 1];
        if (k->type != REDIS_REPLY_STRING || v->type != REDIS_REPLY_STRING)
            continue;
        /* An embedded NUL would make the C string differ from what was sent. */
        if (strlen(v->str) != v->len) {
            snprintf(err, errlen, "field %.32s holds a NUL byte", k->str);
            return -1;
        }
        for (size_t n = 0; n < 9; n++)
            if (strcmp(k->str, names[n]) == 0)
                values[n] = v->str;
    }
    return alertmsg_from_values(ev, values[0], values[1], values[2], values[3], values[4],
                                values[5], values[6], values[7], values[8], err, errlen);
}

int alertmsg_detail_number(const struct alert_event *ev, const char *key, double *out)
{
    json_t *v = ev->details ? json_object_get(ev->details, key) : NULL;
    if (json_is_number(v)) {
        *out = json_number_value(v);
        return 1;
    }
    if (json_is_string(v)) {
        char *end;
        double d = strtod(json_string_value(v), &end);
        if (end != json_string_value(v) && *end == '\0') {
            *out = d;
            return 1;
        }
    }
    return 0;
}

const char *alertmsg_detail_string(const struct alert_event *ev, const char *key)
{
    json_t *v = ev->details ? json_object_get(ev->details, key) : NULL;
    return json_is_string(v) ? json_string_value(v) : NULL;
}
