/* stats_args: the query-string parameters of the statistics routes (?period, ?days, ?by,
 * ?limit), read with DRF's rules and messages. Each reader records what is wrong in a
 * caller's errors object ({"name": ["message"]}) so one 400 can name every bad parameter;
 * stats_args_failed then answers it. */
#ifndef STATUSHAWK_API_STATS_ARGS_H
#define STATUSHAWK_API_STATS_ARGS_H

#include <jansson.h>

struct api_request;

/* A ?period= value and what it means to the SQL functions of migrations/0003. */
struct stats_period {
    const char *name;     /* "24h", "7d", "30d": as the answer echoes it */
    const char *interval; /* a PostgreSQL interval, in hours so no time zone can bend it */
    int hours;
};

/* ?period (absent: 24h). Returns the period, or NULL after recording an error. */
const struct stats_period *stats_args_period(struct api_request *r, json_t *errors);

/* ?name as an integer in [min, max] (absent: def). Returns it, or def after recording an
 * error. */
long stats_args_int(struct api_request *r, const char *name, long def, long min, long max,
                    json_t *errors);

/* ?name as one of choices (a NULL-terminated list; absent: choices[0]). Returns the
 * borrowed choice, or NULL after recording an error. */
const char *stats_args_choice(struct api_request *r, const char *name, const char *const *choices,
                              json_t *errors);

/* When errors holds anything, answers 400 with it and returns 1 (r is finished);
 * otherwise returns 0. Either way errors is taken over. */
int stats_args_failed(struct api_request *r, json_t *errors);

#endif
