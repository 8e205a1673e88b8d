/* monitor_input: a monitor's writable fields, and the validation that turns a request body
 * into them, DRF-style: every field's errors collected as {"field": ["message", ...]},
 * unknown and read-only fields ignored, the object-level rules (url against monitor_type,
 * timeout against interval) checked only once every field is valid on its own.
 *
 * The same function serves the three writes: POST starts from the defaults, PUT and PATCH
 * from the stored row; POST and PUT require name and url, PATCH checks only what it is
 * given. As in DRF, a field PUT leaves out keeps its stored value. */
#ifndef STATUSHAWK_API_MONITOR_INPUT_H
#define STATUSHAWK_API_MONITOR_INPUT_H

#include <jansson.h>
#include <libpq-fe.h>
#include <stdint.h>

#include "common/expected_status.h"

enum monitor_type { MONITOR_HTTP = 0, MONITOR_TCP, MONITOR_PING };

#define MONITOR_NAME_MAX 255 /* characters */
#define MONITOR_URL_MAX 2048 /* characters; a URL is printable ASCII (punycode for IDNs) */
#define MONITOR_HOST_MAX 255 /* the host part of the url */
#define MONITOR_HEADERS_MAX 32
#define MONITOR_HEADER_NAME_MAX 128   /* bytes (a token is ASCII) */
#define MONITOR_HEADER_VALUE_MAX 4096 /* bytes */
#define MONITOR_BODY_MAX 16384        /* characters */
#define MONITOR_INTERVAL_MAX 86400
#define MONITOR_INTERVAL_DEFAULT 300
#define MONITOR_TIMEOUT_MIN 100
#define MONITOR_TIMEOUT_MAX 120000
#define MONITOR_TIMEOUT_DEFAULT 10000
#define MONITOR_RETRIES_MAX 10
#define MONITOR_RETRIES_DEFAULT 1
#define MONITOR_THRESHOLD_MAX 100.0
#define MONITOR_THRESHOLD_DEFAULT 2.0
#define MONITOR_WINDOW_MIN 10
#define MONITOR_WINDOW_MAX 1000
#define MONITOR_WINDOW_DEFAULT 50

/* Bits of monitor_fields.given: the fields a body set. */
enum {
    MF_NAME = 1u << 0,
    MF_URL = 1u << 1,
    MF_TYPE = 1u << 2,
    MF_INTERVAL = 1u << 3,
    MF_ACTIVE = 1u << 4,
    MF_METHOD = 1u << 5,
    MF_HEADERS = 1u << 6,
    MF_BODY = 1u << 7,
    MF_EXPECTED = 1u << 8,
    MF_TIMEOUT = 1u << 9,
    MF_REDIRECTS = 1u << 10,
    MF_TLS = 1u << 11,
    MF_RETRIES = 1u << 12,
    MF_THRESHOLD = 1u << 13,
    MF_WINDOW = 1u << 14,
};

struct monitor_fields {
    unsigned given;  /* MF_* set by monitor_input_parse */
    int64_t version; /* of the row they were loaded from (0 for defaults) */
    char name[MONITOR_NAME_MAX * 4 + 1];
    char url[MONITOR_URL_MAX + 1];
    enum monitor_type type;
    int interval;
    int is_active;
    char method[8];
    char *headers; /* the headers object as JSON text, owned; NULL means {} */
    char *body;    /* owned; NULL is SQL NULL */
    char expected_status[EXPECTED_STATUS_TEXT_MAX + 1];
    int timeout_ms;
    int follow_redirects;
    int verify_tls;
    int retries;
    double anomaly_threshold;
    int anomaly_window;
    /* Set by a successful monitor_input_parse: the url's host as the target guard must
     * resolve it (brackets of an IPv6 literal removed). */
    char host[MONITOR_HOST_MAX + 1];
};

enum monitor_input_mode {
    MONITOR_INPUT_CREATE,  /* POST: name and url required; an unset timeout fits the interval */
    MONITOR_INPUT_REPLACE, /* PUT: name and url required */
    MONITOR_INPUT_PARTIAL, /* PATCH: only what is given */
};

/* The columns monitor_fields_load reads, in its order, from the monitors row aliased m. */
#define MONITOR_FIELDS_SQL                                                                         \
    "m.name, m.url, m.monitor_type, m.\"interval\", m.is_active, m.method, m.headers::text,"       \
    " m.body, m.expected_status, m.timeout_ms, m.follow_redirects, m.verify_tls, m.retries,"       \
    " m.anomaly_threshold, m.anomaly_window, m.version"
#define MONITOR_FIELDS_COUNT 16

/* Fills f with the defaults of a new monitor. */
void monitor_fields_init(struct monitor_fields *f);

/* Fills f from row of res, whose columns from col on are MONITOR_FIELDS_SQL. 0, or -1 on
 * out of memory or a value that does not fit (f is then as after monitor_fields_init). */
int monitor_fields_load(struct monitor_fields *f, const PGresult *res, int row, int col);

/* Frees what f owns; f is then as after monitor_fields_init. */
void monitor_fields_free(struct monitor_fields *f);

/* "HTTP", "TCP" or "PING". */
const char *monitor_type_name(enum monitor_type type);

/* Applies body (a JSON object, borrowed) to f, which holds the defaults or the stored row,
 * validating as mode asks against min_interval (STATUSHAWK_MIN_INTERVAL). Errors go to
 * errors (DRF shape); f is valid to write only when errors stays empty. Returns 0, or -1
 * on out of memory. */
int monitor_input_parse(json_t *body, enum monitor_input_mode mode, int min_interval,
                        struct monitor_fields *f, json_t *errors);

#endif
