/* jsonutil: see jsonutil.h. */
#include "common/jsonutil.h"

#include <stdio.h>
#include <string.h>

json_t *jsonutil_parse_object(const char *data, size_t len, char *err, size_t errlen)
{
    json_error_t jerr;
    json_t *v = json_loadb(data, len, JSON_REJECT_DUPLICATES, &jerr);

    if (!v) {
        snprintf(err, errlen, "JSON parse error - %s (line %d, column %d)", jerr.text, jerr.line,
                 jerr.column);
        return NULL;
    }
    if (!json_is_object(v)) {
        json_decref(v);
        snprintf(err, errlen, "Expected a JSON object.");
        return NULL;
    }
    return v;
}

/* Characters, not bytes: the limits are the ones users see. Input is valid UTF-8
 * (jansson rejects anything else), so counting non-continuation bytes is exact. */
static size_t utf8_length(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

void jsonutil_field_error(json_t *errors, const char *field, const char *msg)
{
    json_t *list = json_object_get(errors, field);
    if (!json_is_array(list)) {
        list = json_array();
        json_object_set_new(errors, field, list);
    }
    json_array_append_new(list, json_string(msg));
}

const char *jsonutil_string_field(json_t *obj, const char *key, enum jsonutil_req req,
                                  size_t maxlen, json_t *errors, int *ok)
{
    json_t *v = json_object_get(obj, key);
    const char *s;
    char msg[96];

    *ok = 0;
    if (!v) {
        if (req == JSONUTIL_REQUIRED) {
            jsonutil_field_error(errors, key, "This field is required.");
            return NULL;
        }
        *ok = 1;
        return NULL;
    }
    if (json_is_null(v)) {
        jsonutil_field_error(errors, key, "This field may not be null.");
        return NULL;
    }
    if (!json_is_string(v)) {
        jsonutil_field_error(errors, key, "Not a valid string.");
        return NULL;
    }
    s = json_string_value(v);
    if (strlen(s) != json_string_length(v)) {
        jsonutil_field_error(errors, key, "Null characters are not allowed.");
        return NULL;
    }
    if (req == JSONUTIL_REQUIRED && s[0] == '\0') {
        jsonutil_field_error(errors, key, "This field may not be blank.");
        return NULL;
    }
    if (utf8_length(s) > maxlen) {
        snprintf(msg, sizeof(msg), "Ensure this field has no more than %zu characters.", maxlen);
        jsonutil_field_error(errors, key, msg);
        return NULL;
    }
    *ok = 1;
    return s;
}

char *jsonutil_dump(const json_t *value)
{
    /* 15 significant digits: 359.9 stays 359.9, not 359.89999999999998. */
    return json_dumps(value, JSON_COMPACT | JSON_ENSURE_ASCII | JSON_ENCODE_ANY |
                                 JSON_REAL_PRECISION(15));
}
