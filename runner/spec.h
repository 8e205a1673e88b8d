/* spec: a monitor's check spec as the runner uses it, parsed from the JSON that
 * MONITOR_SPEC_SQL builds (common/schedule.h). Strings are borrowed from the parsed
 * document, which the spec owns. */
#ifndef STATUSHAWK_RUNNER_SPEC_H
#define STATUSHAWK_RUNNER_SPEC_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "common/expected_status.h"

enum check_type { CHECK_HTTP, CHECK_TCP, CHECK_PING };

struct check_spec {
    json_t *root; /* owned: the parsed document the strings below live in */
    int64_t id;
    int64_t user_id;
    int64_t version;
    enum check_type type;
    const char *name;
    const char *url;
    const char *method; /* upper case, "GET" when absent */
    json_t *headers;    /* borrowed object of strings, or NULL */
    const char *body;   /* NULL: no body */
    size_t body_len;
    int timeout_ms;
    int follow_redirects;
    int verify_tls;
    int retries;
    int interval_s;
    double anomaly_threshold;
    int anomaly_window;
    struct expected_status expected;
};

/* Parses text[0..len). Returns a new spec (free with spec_free), or NULL with a reason in
 * err. Missing optional fields take the api's defaults; out-of-range ones are clamped to
 * what the schema allows. */
struct check_spec *spec_parse(const char *text, size_t len, char *err, size_t errlen);
void spec_free(struct check_spec *spec);

const char *spec_type_name(enum check_type type);

#endif
