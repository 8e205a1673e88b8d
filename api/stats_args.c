/* stats_args: see stats_args.h. */
#include "api/stats_args.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/request.h"
#include "common/jsonutil.h"

/* A message quotes the value it refuses; longer values are cut there. */
#define QUOTED_MAX 64

static const struct stats_period periods[] = {
    {"24h", "24 hours", 24},
    {"7d", "168 hours", 168},
    {"30d", "720 hours", 720},
};

/* DRF's ChoiceField message: "\"<value>\" is not a valid choice." The value is
 * client-chosen bytes: only printable ASCII is quoted (anything else becomes '?'), so the
 * message is always valid UTF-8 and cutting it cannot split a character. */
static void invalid_choice(json_t *errors, const char *name, const char *value)
{
    char quoted[QUOTED_MAX + 1], msg[QUOTED_MAX + 32];
    size_t n = 0;

    for (; value[n] && n < QUOTED_MAX; n++)
        quoted[n] = value[n] >= 0x20 && value[n] < 0x7f ? value[n] : '?';
    quoted[n] = '\0';
    snprintf(msg, sizeof(msg), "\"%s\" is not a valid choice.", quoted);
    jsonutil_field_error(errors, name, msg);
}

const struct stats_period *stats_args_period(struct api_request *r, json_t *errors)
{
    const char *v = api_request_query(r, "period");

    if (!v)
        return &periods[0];
    for (size_t i = 0; i < sizeof(periods) / sizeof(periods[0]); i++)
        if (strcmp(v, periods[i].name) == 0)
            return &periods[i];
    invalid_choice(errors, "period", v);
    return NULL;
}

/* A plain decimal integer: optional sign, digits only, no spaces (as DRF reads it). */
static int parse_long(const char *s, long *out)
{
    const char *p = s;
    char *end;
    long v;

    if (*p == '-' || *p == '+')
        p++;
    if (*p < '0' || *p > '9' || strspn(p, "0123456789") != strlen(p))
        return -1;
    errno = 0;
    v = strtol(s, &end, 10);
    if (errno || *end)
        return -1;
    *out = v;
    return 0;
}

long stats_args_int(struct api_request *r, const char *name, long def, long min, long max,
                    json_t *errors)
{
    const char *v = api_request_query(r, name);
    char msg[96];
    long n;

    if (!v)
        return def;
    if (parse_long(v, &n) != 0) {
        jsonutil_field_error(errors, name, "A valid integer is required.");
        return def;
    }
    if (n < min) {
        snprintf(msg, sizeof(msg), "Ensure this value is greater than or equal to %ld.", min);
        jsonutil_field_error(errors, name, msg);
        return def;
    }
    if (n > max) {
        snprintf(msg, sizeof(msg), "Ensure this value is less than or equal to %ld.", max);
        jsonutil_field_error(errors, name, msg);
        return def;
    }
    return n;
}

const char *stats_args_choice(struct api_request *r, const char *name, const char *const *choices,
                              json_t *errors)
{
    const char *v = api_request_query(r, name);

    if (!v)
        return choices[0];
    for (size_t i = 0; choices[i]; i++)
        if (strcmp(v, choices[i]) == 0)
            return choices[i];
    invalid_choice(errors, name, v);
    return NULL;
}

int stats_args_failed(struct api_request *r, json_t *errors)
{
    if (json_object_size(errors) == 0) {
        json_decref(errors);
        return 0;
    }
    api_reply_json(r, 400, errors);
    return 1;
}
