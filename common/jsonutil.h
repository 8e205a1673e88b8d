/* jsonutil: the jansson idioms the API repeats — parsing a request body into an
 * object and collecting DRF-style field errors ({"field": ["message", ...]}). */
#ifndef STATUSHAWK_COMMON_JSONUTIL_H
#define STATUSHAWK_COMMON_JSONUTIL_H

#include <jansson.h>
#include <stddef.h>

/* Parses data[0..len) as a JSON object. Returns a new reference, or NULL with a
 * message for the client in err ("JSON parse error - ..." or "Expected a JSON object"). */
json_t *jsonutil_parse_object(const char *data, size_t len, char *err, size_t errlen);

/* Appends msg to the array errors[field], creating it when needed. */
void jsonutil_field_error(json_t *errors, const char *field, const char *msg);

enum jsonutil_req { JSONUTIL_OPTIONAL = 0, JSONUTIL_REQUIRED = 1 };

/* Reads obj[key] as a string of at most maxlen characters, recording DRF's messages in
 * errors when it is missing (if required), null, not a string, blank (if required) or
 * too long. Returns the borrowed string, or NULL when absent or invalid (*ok tells which:
 * 1 when there was no error). */
const char *jsonutil_string_field(json_t *obj, const char *key, enum jsonutil_req req,
                                  size_t maxlen, json_t *errors, int *ok);

/* json_dumps with the compact settings every response uses. New string; free() it. */
char *jsonutil_dump(const json_t *value);

#endif
