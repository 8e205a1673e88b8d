/* spec: see spec.h. The api and the reconciler write specs with one SQL expression, so a
 * malformed one means a bug or a hand-edited key: it is refused whole, never guessed at. */
#include "runner/spec.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SPEC_MAX_TEXT (1024 * 1024)

static int clamp_int(json_t *v, int def, int lo, int hi)
{
    json_int_t n;

    if (!json_is_integer(v))
        return def;
    n = json_integer_value(v);
    return n < lo ? lo : (n > hi ? hi : (int)n);
}

static int get_bool(json_t *v, int def)
{
    return json_is_boolean(v) ? json_is_true(v) : def;
}

const char *spec_type_name(enum check_type type)
{
    switch (type) {
    case CHECK_HTTP:
        return "HTTP";
    case CHECK_TCP:
        return "TCP";
    case CHECK_PING:
        return "PING";
    }
    return "?";
}

struct check_spec *spec_parse(const char *text, size_t len, char *err, size_t errlen)
{
    struct check_spec *spec = NULL;
    json_error_t jerr;
    json_t *root = NULL, *v;
    const char *type, *expected;
    char why[128];

    if (len > SPEC_MAX_TEXT) {
        snprintf(err, errlen, "spec of %zu bytes is over the limit", len);
        goto fail;
    }
    root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!json_is_object(root)) {
        snprintf(err, errlen, "spec is not a JSON object: %s", root ? "wrong type" : jerr.text);
        goto fail;
    }
    spec = calloc(1, sizeof(*spec));
    if (!spec) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    spec->root = root;
    root = NULL;

    v = json_object_get(spec->root, "id");
    if (!json_is_integer(v) || json_integer_value(v) <= 0) {
        snprintf(err, errlen, "spec has no positive integer id");
        goto fail;
    }
    spec->id = json_integer_value(v);
    v = json_object_get(spec->root, "user_id");
    spec->user_id = json_is_integer(v) ? json_integer_value(v) : 0;
    v = json_object_get(spec->root, "version");
    spec->version = json_is_integer(v) ? json_integer_value(v) : 0;

    type = json_string_value(json_object_get(spec->root, "type"));
    if (!type || strcmp(type, "HTTP") == 0) {
        spec->type = CHECK_HTTP;
    } else if (strcmp(type, "TCP") == 0) {
        spec->type = CHECK_TCP;
    } else if (strcmp(type, "PING") == 0) {
        spec->type = CHECK_PING;
    } else {
        snprintf(err, errlen, "unknown monitor type \"%.32s\"", type);
        goto fail;
    }
    spec->url = json_string_value(json_object_get(spec->root, "url"));
    if (!spec->url || !spec->url[0]) {
        snprintf(err, errlen, "spec has no url");
        goto fail;
    }
    spec->name = json_string_value(json_object_get(spec->root, "name"));
    if (!spec->name)
        spec->name = "";
    spec->method = json_string_value(json_object_get(spec->root, "method"));
    if (!spec->method || !spec->method[0])
        spec->method = "GET";
    v = json_object_get(spec->root, "headers");
    spec->headers = json_is_object(v) ? v : NULL;
    v = json_object_get(spec->root, "body");
    if (json_is_string(v)) {
        spec->body = json_string_value(v);
        spec->body_len = json_string_length(v);
    }
    /* The bounds are the monitors table's CHECK constraints. */
    spec->timeout_ms = clamp_int(json_object_get(spec->root, "timeout_ms"), 10000, 100, 120000);
    spec->retries = clamp_int(json_object_get(spec->root, "retries"), 1, 0, 10);
    spec->interval_s = clamp_int(json_object_get(spec->root, "interval"), 300, 1, 86400);
    spec->anomaly_window = clamp_int(json_object_get(spec->root, "anomaly_window"), 50, 10, 1000);
    spec->follow_redirects = get_bool(json_object_get(spec->root, "follow_redirects"), 1);
    spec->verify_tls = get_bool(json_object_get(spec->root, "verify_tls"), 1);
    v = json_object_get(spec->root, "anomaly_threshold");
    spec->anomaly_threshold = json_is_number(v) ? json_number_value(v) : 2.0;
    if (!(spec->anomaly_threshold > 0))
        spec->anomaly_threshold = 2.0;

    expected = json_string_value(json_object_get(spec->root, "expected_status"));
    if (!expected || !expected[0])
        expected = EXPECTED_STATUS_DEFAULT;
    if (expected_status_parse(expected, &spec->expected, why, sizeof(why)) != 0) {
        snprintf(err, errlen, "expected_status \"%.64s\": %s", expected, why);
        goto fail;
    }
    return spec;
fail:
    json_decref(root);
    spec_free(spec);
    return NULL;
}

void spec_free(struct check_spec *spec)
{
    if (!spec)
        return;
    json_decref(spec->root);
    free(spec);
}
