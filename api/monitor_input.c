/* monitor_input: see monitor_input.h. Messages follow Django REST framework's wording,
 * which the original dashboard shows next to its form fields. */
#include "api/monitor_input.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/db.h"
#include "common/jsonutil.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
/* How much of a user's value an error message quotes. */
#define QUOTE_MAX 48

static const char *const type_names[] = {"HTTP", "TCP", "PING"};
static const char *const method_names[] = {"GET",   "HEAD",   "POST",   "PUT",
                                           "PATCH", "DELETE", "OPTIONS"};

void monitor_fields_init(struct monitor_fields *f)
{
    memset(f, 0, sizeof(*f));
    f->type = MONITOR_HTTP;
    f->interval = MONITOR_INTERVAL_DEFAULT;
    f->is_active = 1;
    strcpy(f->method, "GET");
    strcpy(f->expected_status, EXPECTED_STATUS_DEFAULT);
    f->timeout_ms = MONITOR_TIMEOUT_DEFAULT;
    f->follow_redirects = 1;
    f->verify_tls = 1;
    f->retries = MONITOR_RETRIES_DEFAULT;
    f->anomaly_threshold = MONITOR_THRESHOLD_DEFAULT;
    f->anomaly_window = MONITOR_WINDOW_DEFAULT;
}

void monitor_fields_free(struct monitor_fields *f)
{
    free(f->headers);
    free(f->body);
    monitor_fields_init(f);
}

const char *monitor_type_name(enum monitor_type type)
{
    return type_names[type];
}

/* ---- loading a stored row ------------------------------------------------------- */

static int copy_text(char *dst, size_t size, const char *src)
{
    size_t n = src ? strlen(src) : 0;
    if (!src || n >= size)
        return -1;
    memcpy(dst, src, n + 1);
    return 0;
}

static int index_of(const char *s, const char *const *names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(s, names[i]) == 0)
            return (int)i;
    return -1;
}

int monitor_fields_load(struct monitor_fields *f, const PGresult *res, int row, int col)
{
    const char *headers, *body, *threshold, *type;
    int t;

    monitor_fields_init(f);
    if (PQnfields(res) < col + MONITOR_FIELDS_COUNT || row >= PQntuples(res))
        goto fail;
    type = db_text(res, row, col + 2);
    threshold = db_text(res, row, col + 13);
    if (copy_text(f->name, sizeof(f->name), db_text(res, row, col)) != 0 ||
        copy_text(f->url, sizeof(f->url), db_text(res, row, col + 1)) != 0 || !type ||
        (t = index_of(type, type_names, ARRAY_LEN(type_names))) < 0 ||
        copy_text(f->method, sizeof(f->method), db_text(res, row, col + 5)) != 0 ||
        copy_text(f->expected_status, sizeof(f->expected_status), db_text(res, row, col + 8)) !=
            0 ||
        !threshold)
        goto fail;
    f->type = (enum monitor_type)t;
    f->interval = (int)db_int64(res, row, col + 3);
    f->is_active = db_bool(res, row, col + 4);
    headers = db_text(res, row, col + 6);
    body = db_text(res, row, col + 7);
    if ((headers && !(f->headers = strdup(headers))) || (body && !(f->body = strdup(body))))
        goto fail;
    f->timeout_ms = (int)db_int64(res, row, col + 9);
    f->follow_redirects = db_bool(res, row, col + 10);
    f->verify_tls = db_bool(res, row, col + 11);
    f->retries = (int)db_int64(res, row, col + 12);
    f->anomaly_threshold = strtod(threshold, NULL);
    f->anomaly_window = (int)db_int64(res, row, col + 14);
    f->version = db_int64(res, row, col + 15);
    return 0;
fail:
    monitor_fields_free(f);
    return -1;
}

/* ---- reading one field ---------------------------------------------------------- */

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* Characters in s[0..len): the input is valid UTF-8 (jansson checked it). */
static size_t utf8_chars(const char *s, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        n += ((unsigned char)s[i] & 0xC0) != 0x80;
    return n;
}

/* Copies at most QUOTE_MAX bytes of s into out (QUOTE_MAX + 4 bytes), cut at a character
 * boundary so the message stays valid UTF-8, with "..." when cut. */
static void quote_clip(const char *s, char out[QUOTE_MAX + 4])
{
    size_t n = strlen(s);
    if (n <= QUOTE_MAX) {
        memcpy(out, s, n + 1);
        return;
    }
    n = QUOTE_MAX;
    while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
        n--;
    memcpy(out, s, n);
    memcpy(out + n, "...", 4);
}

/* The value of key, or NULL when it is absent (an error when required) or null (always
 * an error: no writable field is nullable but body, which reads its value itself). */
static json_t *field_value(json_t *body, const char *key, int required, json_t *errors)
{
    json_t *v = json_object_get(body, key);
    if (!v) {
        if (required)
            jsonutil_field_error(errors, key, "This field is required.");
        return NULL;
    }
    if (json_is_null(v)) {
        jsonutil_field_error(errors, key, "This field may not be null.");
        return NULL;
    }
    return v;
}

/* A string without NUL characters, or NULL with the error recorded. */
static const char *string_value(json_t *v, const char *key, json_t *errors)
{
    if (!json_is_string(v)) {
        jsonutil_field_error(errors, key, "Not a valid string.");
        return NULL;
    }
    if (strlen(json_string_value(v)) != json_string_length(v)) {
        jsonutil_field_error(errors, key, "Null characters are not allowed.");
        return NULL;
    }
    return json_string_value(v);
}

/* A string field trimmed of surrounding whitespace (as DRF's CharField does), not blank
 * and of at most maxchars characters, copied into out. 0 when set, -1 when absent or
 * invalid (errors tells which). */
static int text_field(json_t *body, const char *key, int required, size_t maxchars, char *out,
                      size_t outsize, json_t *errors)
{
    json_t *v = field_value(body, key, required, errors);
    const char *s = v ? string_value(v, key, errors) : NULL;
    const char *end;
    size_t len;
    char msg[96];

    if (!s)
        return -1;
    while (is_space(*s))
        s++;
    end = s + strlen(s);
    while (end > s && is_space(end[-1]))
        end--;
    len = (size_t)(end - s);
    if (len == 0) {
        jsonutil_field_error(errors, key, "This field may not be blank.");
        return -1;
    }
    if (len >= outsize || utf8_chars(s, len) > maxchars) {
        snprintf(msg, sizeof(msg), "Ensure this field has no more than %zu characters.", maxchars);
        jsonutil_field_error(errors, key, msg);
        return -1;
    }
    memcpy(out, s, len);
    out[len] = '\0';
    return 0;
}

/* DRF's IntegerField: a JSON integer, a number without a fraction (60.0) or a string of
 * one (" 60 ", "60.0"). 0 with *out, or -1. */
static int int_value(json_t *v, long long *out)
{
    if (json_is_integer(v)) {
        *out = json_integer_value(v);
        return 0;
    }
    if (json_is_real(v)) {
        double d = json_real_value(v);
        if (!isfinite(d) || d != floor(d) || fabs(d) > 1e15)
            return -1;
        *out = (long long)d;
        return 0;
    }
    if (json_is_string(v) && json_string_length(v) <= 32 &&
        strlen(json_string_value(v)) == json_string_length(v)) {
        const char *s = json_string_value(v);
        char *end;
        long long x;

        while (is_space(*s))
            s++;
        if (!((*s >= '0' && *s <= '9') || *s == '-' || *s == '+'))
            return -1;
        errno = 0;
        x = strtoll(s, &end, 10);
        if (end == s || errno != 0)
            return -1;
        if (*end == '.')
            for (end++; *end == '0'; end++)
                ;
        while (is_space(*end))
            end++;
        if (*end != '\0')
            return -1;
        *out = x;
        return 0;
    }
    return -1;
}

/* An integer field within [min, max]. 0 with *out set, or -1. */
static int int_field(json_t *body, const char *key, long long min, long long max, int *out,
                     json_t *errors)
{
    json_t *v = field_value(body, key, 0, errors);
    long long x;
    char msg[96];

    if (!v)
        return -1;
    if (int_value(v, &x) != 0) {
        jsonutil_field_error(errors, key, "A valid integer is required.");
        return -1;
    }
    if (x < min || x > max) {
        snprintf(msg, sizeof(msg), "Ensure this value is %s than or equal to %lld.",
                 x < min ? "greater" : "less", x < min ? min : max);
        jsonutil_field_error(errors, key, msg);
        return -1;
    }
    *out = (int)x;
    return 0;
}

/* DRF's FloatField: a JSON number or a decimal string. Infinities and NaN are refused. */
static int number_value(json_t *v, double *out)
{
    if (json_is_number(v)) {
        *out = json_number_value(v);
        return isfinite(*out) ? 0 : -1;
    }
    if (json_is_string(v) && json_string_length(v) <= 64 &&
        strlen(json_string_value(v)) == json_string_length(v)) {
        const char *s = json_string_value(v);
        char *end;

        while (is_space(*s))
            s++;
        /* strtod also reads "inf", "nan" and hex floats: only plain decimals here. */
        if (s[strspn(s, "0123456789+-.eE \t\r\n")] != '\0')
            return -1;
        errno = 0;
        *out = strtod(s, &end);
        if (end == s || errno != 0)
            return -1;
        while (is_space(*end))
            end++;
        return *end == '\0' && isfinite(*out) ? 0 : -1;
    }
    return -1;
}

/* DRF's BooleanField: true/false, 1/0, and the strings it knows. */
static int bool_value(json_t *v, int *out)
{
    static const char *const yes[] = {"true", "t", "yes", "y", "on", "1"};
    static const char *const no[] = {"false", "f", "no", "n", "off", "0"};

    if (json_is_boolean(v)) {
        *out = json_is_true(v);
        return 0;
    }
    if (json_is_integer(v) && (json_integer_value(v) == 0 || json_integer_value(v) == 1)) {
        *out = (int)json_integer_value(v);
        return 0;
    }
    if (json_is_string(v)) {
        for (size_t i = 0; i < ARRAY_LEN(yes); i++) {
            if (strcasecmp(json_string_value(v), yes[i]) == 0) {
                *out = 1;
                return 0;
            }
            if (strcasecmp(json_string_value(v), no[i]) == 0) {
                *out = 0;
                return 0;
            }
        }
    }
    return -1;
}

static int bool_field(json_t *body, const char *key, int *out, json_t *errors)
{
    json_t *v = field_value(body, key, 0, errors);
    if (!v)
        return -1;
    if (bool_value(v, out) != 0) {
        jsonutil_field_error(errors, key, "Must be a valid boolean.");
        return -1;
    }
    return 0;
}

/* One of names (exact, as DRF's ChoiceField): its index, or -1. */
static int choice_field(json_t *body, const char *key, const char *const *names, size_t n,
                        json_t *errors)
{
    json_t *v = field_value(body, key, 0, errors);
    const char *s = v ? string_value(v, key, errors) : NULL;
    char quoted[QUOTE_MAX + 4], msg[QUOTE_MAX + 64];
    int i;

    if (!s)
        return -1;
    i = index_of(s, names, n);
    if (i < 0) {
        quote_clip(s, quoted);
        snprintf(msg, sizeof(msg), "\"%s\" is not a valid choice.", quoted);
        jsonutil_field_error(errors, key, msg);
    }
    return i;
}

/* ---- headers, body, expected_status --------------------------------------------- */

/* RFC 9110 token characters. */
static int header_name_valid(const char *name)
{
    static const char tchar[] = "!#$%&'*+-.^_`|~0123456789"
                                "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    size_t n = strlen(name);
    return n > 0 && n <= MONITOR_HEADER_NAME_MAX && strspn(name, tchar) == n;
}

/* No CR, LF or other control characters (a tab is fine): a value that could end its line
 * would let a monitor inject headers into the runner's requests. */
static int header_value_valid(const char *value, size_t len)
{
    if (len > MONITOR_HEADER_VALUE_MAX || strlen(value) != len)
        return 0;
    for (; *value; value++) {
        unsigned char c = (unsigned char)*value;
        if ((c < 0x20 && c != '\t') || c == 0x7f)
            return 0;
    }
    return 1;
}

/* 0 when headers was set, 1 when absent or invalid, -1 on out of memory. */
static int headers_field(json_t *body, struct monitor_fields *f, json_t *errors)
{
    json_t *v = field_value(body, "headers", 0, errors), *value;
    char quoted[QUOTE_MAX + 4], msg[QUOTE_MAX + 128];
    const char *name;
    char *text;
    int bad = 0;

    if (!v)
        return 1;
    if (!json_is_object(v)) {
        jsonutil_field_error(errors, "headers",
                             "Expected an object of header names and string values.");
        return 1;
    }
    if (json_object_size(v) > MONITOR_HEADERS_MAX) {
        snprintf(msg, sizeof(msg), "Ensure there are no more than %d headers.",
                 MONITOR_HEADERS_MAX);
        jsonutil_field_error(errors, "headers", msg);
        return 1;
    }
    json_object_foreach(v, name, value)
    {
        quote_clip(name, quoted);
        msg[0] = '\0';
        if (!header_name_valid(name))
            snprintf(msg, sizeof(msg), "\"%s\" is not a valid header name.", quoted);
        else if (strcasecmp(name, "Content-Length") == 0 ||
                 strcasecmp(name, "Transfer-Encoding") == 0)
            snprintf(msg, sizeof(msg), "\"%s\" is set from the body; leave it out.", quoted);
        else if (!json_is_string(value))
            snprintf(msg, sizeof(msg), "The value of \"%s\" must be a string.", quoted);
        else if (!header_value_valid(json_string_value(value), json_string_length(value)))
            snprintf(msg, sizeof(msg),
                     "The value of \"%s\" must be at most %d bytes, without line breaks or "
                     "control characters.",
                     quoted, MONITOR_HEADER_VALUE_MAX);
        if (msg[0]) {
            jsonutil_field_error(errors, "headers", msg);
            bad = 1;
        }
    }
    if (bad)
        return 1;
    text = json_dumps(v, JSON_COMPACT);
    if (!text)
        return -1;
    free(f->headers);
    f->headers = text;
    f->given |= MF_HEADERS;
    return 0;
}

/* body: a string or null. 0 when set, 1 when absent or invalid, -1 on out of memory. */
static int body_field(json_t *body, struct monitor_fields *f, json_t *errors)
{
    json_t *v = json_object_get(body, "body");
    const char *s;
    char *copy = NULL;
    char msg[96];

    if (!v)
        return 1;
    if (!json_is_null(v)) {
        if (!(s = string_value(v, "body", errors)))
            return 1;
        if (utf8_chars(s, strlen(s)) > MONITOR_BODY_MAX) {
            snprintf(msg, sizeof(msg), "Ensure this field has no more than %d characters.",
                     MONITOR_BODY_MAX);
            jsonutil_field_error(errors, "body", msg);
            return 1;
        }
        if (!(copy = strdup(s)))
            return -1;
    }
    free(f->body);
    f->body = copy;
    f->given |= MF_BODY;
    return 0;
}

/* Stored in canonical form, so the runner and the dashboard read one spelling. */
static void expected_status_field(json_t *body, struct monitor_fields *f, json_t *errors)
{
    char text[EXPECTED_STATUS_TEXT_MAX + 1], err[128];
    struct expected_status es;

    if (text_field(body, "expected_status", 0, EXPECTED_STATUS_TEXT_MAX, text, sizeof(text),
                   errors) != 0)
        return;
    if (expected_status_parse(text, &es, err, sizeof(err)) != 0 ||
        expected_status_format(&es, f->expected_status, sizeof(f->expected_status)) != 0) {
        jsonutil_field_error(errors, "expected_status", err);
        return;
    }
    f->given |= MF_EXPECTED;
}

/* ---- the url and its host ------------------------------------------------------- */

/* Printable ASCII without spaces: what a URL is once IDNs are in punycode. */
static int url_chars_valid(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s <= 0x20 || (unsigned char)*s >= 0x7f)
            return 0;
    return 1;
}

/* Sets f->host from host, removing an IPv6 literal's brackets. 0 or -1 (empty or too long). */
static int set_host(struct monitor_fields *f, const char *host)
{
    size_t n = strlen(host);
    if (n >= 2 && host[0] == '[' && host[n - 1] == ']') {
        host++;
        n -= 2;
    }
    if (n == 0 || n > MONITOR_HOST_MAX)
        return -1;
    memcpy(f->host, host, n);
    f->host[n] = '\0';
    return 0;
}

/* RFC 1123 host name: dot-separated labels of letters, digits and inner hyphens. */
static int hostname_valid(const char *s)
{
    size_t n = strlen(s), label = 0;

    if (n > 0 && s[n - 1] == '.')
        n--; /* the root's dot */
    if (n == 0 || n > 253)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '.') {
            if (label == 0 || s[i - 1] == '-')
                return 0;
            label = 0;
        } else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                   (c == '-' && label > 0)) {
            if (++label > 63)
                return 0;
        } else {
            return 0;
        }
    }
    return label > 0 && s[n - 1] != '-';
}

/* A PING monitor's url is the host itself: a name or an address. */
static const char *check_ping_host(struct monitor_fields *f)
{
    static const char msg[] = "A PING monitor's url must be a host name or an IP address.";
    unsigned char addr[sizeof(struct in6_addr)];

    if (set_host(f, f->url) != 0)
        return msg;
    if (inet_pton(AF_INET6, f->host, addr) == 1)
        return NULL;
    if (f->url[0] == '[')
        return msg; /* brackets hold only IPv6 */
    return hostname_valid(f->host) ? NULL : msg;
}

/* Whether a TCP url's port is a decimal in 1..65535. */
static int port_valid(const char *port)
{
    char *end;
    long p;
    errno = 0;
    p = strtol(port, &end, 10);
    return errno == 0 && *end == '\0' && end != port && p >= 1 && p <= 65535;
}

/* Parses the url with libcurl's URL API (the parser the runner's probes use, so both read
 * the same host) and checks it against the monitor type. Sets f->host. NULL when fine,
 * else the message. */
static const char *check_url(struct monitor_fields *f)
{
    static const char invalid[] = "Enter a valid URL.";
    CURLU *u;
    char *scheme = NULL, *host = NULL, *port = NULL, *path = NULL, *extra = NULL;
    const char *why = NULL;

    if (f->type == MONITOR_PING)
        return check_ping_host(f);
    u = curl_url();
    if (!u)
        return invalid;
    if (curl_url_set(u, CURLUPART_URL, f->url, CURLU_NON_SUPPORT_SCHEME) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK || !host[0]) {
        why = invalid;
        goto out;
    }
    if (f->type == MONITOR_HTTP) {
        if (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0)
            why = "An HTTP monitor's url must start with http:// or https://.";
    } else if (strcmp(scheme, "tcp") != 0) {
        why = "A TCP monitor's url must look like tcp://host:port.";
    } else if (curl_url_get(u, CURLUPART_PORT, &port, 0) != CURLUE_OK) {
        why = "A TCP monitor's url needs a port: tcp://host:port.";
    } else if (!port_valid(port)) {
        why = "The port must be between 1 and 65535.";
    } else if (curl_url_get(u, CURLUPART_USER, &extra, 0) != CURLUE_NO_USER ||
               curl_url_get(u, CURLUPART_QUERY, &extra, 0) != CURLUE_NO_QUERY ||
               curl_url_get(u, CURLUPART_FRAGMENT, &extra, 0) != CURLUE_NO_FRAGMENT ||
               curl_url_get(u, CURLUPART_PATH, &path, 0) != CURLUE_OK || strcmp(path, "/") != 0) {
        why = "A TCP monitor's url must be tcp://host:port with nothing after the port.";
    }
    if (!why && set_host(f, host) != 0)
        why = invalid;
out:
    curl_free(scheme);
    curl_free(host);
    curl_free(port);
    curl_free(path);
    curl_free(extra);
    curl_url_cleanup(u);
    return why;
}

/* Whether this kernel lets an unprivileged process send ICMP echo (a datagram ICMP socket,
 * allowed by net.ipv4.ping_group_range). Asked each time: the setting can change. */
static int ping_available(void)
{
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, IPPROTO_ICMP);
    if (fd < 0)
        return 0;
    close(fd);
    return 1;
}

/* The rules between fields, checked once each field is valid on its own (DRF's
 * validate()). */
static void check_object(struct monitor_fields *f, enum monitor_input_mode mode, json_t *errors)
{
    const char *why;
    char msg[160];

    if ((f->given & MF_TYPE) && f->type == MONITOR_PING && !ping_available())
        jsonutil_field_error(errors, "monitor_type",
                             "PING monitors are unavailable on this server: the kernel does not "
                             "allow unprivileged ICMP sockets (net.ipv4.ping_group_range).");
    /* A stored url is re-read only when the type it must fit changes. */
    if (mode != MONITOR_INPUT_PARTIAL || (f->given & (MF_URL | MF_TYPE))) {
        if ((why = check_url(f)) != NULL)
            jsonutil_field_error(errors, "url", why);
    }
    /* The default timeout must not make a short interval invalid: it shrinks to half. */
    if (mode == MONITOR_INPUT_CREATE && !(f->given & MF_TIMEOUT) &&
        (long long)f->timeout_ms >= (long long)f->interval * 1000)
        f->timeout_ms = f->interval * 500;
    if ((long long)f->timeout_ms >= (long long)f->interval * 1000) {
        if (f->given & MF_TIMEOUT) {
            snprintf(msg, sizeof(msg), "Ensure this value is less than the interval (%lld ms).",
                     (long long)f->interval * 1000);
            jsonutil_field_error(errors, "timeout_ms", msg);
        } else {
            snprintf(msg, sizeof(msg),
                     "Ensure the interval is longer than timeout_ms (%d ms), or lower timeout_ms "
                     "with it.",
                     f->timeout_ms);
            jsonutil_field_error(errors, "interval", msg);
        }
    }
}

int monitor_input_parse(json_t *body, enum monitor_input_mode mode, int min_interval,
                        struct monitor_fields *f, json_t *errors)
{
    int required = mode != MONITOR_INPUT_PARTIAL;
    int i;
    double d;
    json_t *v;

    if (text_field(body, "name", required, MONITOR_NAME_MAX, f->name, sizeof(f->name), errors) == 0)
        f->given |= MF_NAME;
    if (text_field(body, "url", required, MONITOR_URL_MAX, f->url, sizeof(f->url), errors) == 0) {
        if (url_chars_valid(f->url))
            f->given |= MF_URL;
        else
            jsonutil_field_error(errors, "url", "Enter a valid URL.");
    }
    if ((i = choice_field(body, "monitor_type", type_names, ARRAY_LEN(type_names), errors)) >= 0) {
        f->type = (enum monitor_type)i;
        f->given |= MF_TYPE;
    }
    if (int_field(body, "interval", min_interval, MONITOR_INTERVAL_MAX, &f->interval, errors) == 0)
        f->given |= MF_INTERVAL;
    if (bool_field(body, "is_active", &f->is_active, errors) == 0)
        f->given |= MF_ACTIVE;
    if ((i = choice_field(body, "method", method_names, ARRAY_LEN(method_names), errors)) >= 0) {
        strcpy(f->method, method_names[i]);
        f->given |= MF_METHOD;
    }
    if (headers_field(body, f, errors) < 0 || body_field(body, f, errors) < 0)
        return -1;
    expected_status_field(body, f, errors);
    if (int_field(body, "timeout_ms", MONITOR_TIMEOUT_MIN, MONITOR_TIMEOUT_MAX, &f->timeout_ms,
                  errors) == 0)
        f->given |= MF_TIMEOUT;
    if (bool_field(body, "follow_redirects", &f->follow_redirects, errors) == 0)
        f->given |= MF_REDIRECTS;
    if (bool_field(body, "verify_tls", &f->verify_tls, errors) == 0)
        f->given |= MF_TLS;
    if (int_field(body, "retries", 0, MONITOR_RETRIES_MAX, &f->retries, errors) == 0)
        f->given |= MF_RETRIES;
    if ((v = field_value(body, "anomaly_threshold", 0, errors)) != NULL) {
        if (number_value(v, &d) != 0)
            jsonutil_field_error(errors, "anomaly_threshold", "A valid number is required.");
        else if (d <= 0)
            jsonutil_field_error(errors, "anomaly_threshold",
                                 "Ensure this value is greater than 0.");
        else if (d > MONITOR_THRESHOLD_MAX)
            jsonutil_field_error(errors, "anomaly_threshold",
                                 "Ensure this value is less than or equal to 100.");
        else {
            f->anomaly_threshold = d;
            f->given |= MF_THRESHOLD;
        }
    }
    if (int_field(body, "anomaly_window", MONITOR_WINDOW_MIN, MONITOR_WINDOW_MAX,
                  &f->anomaly_window, errors) == 0)
        f->given |= MF_WINDOW;
    if (json_object_size(errors) == 0)
        check_object(f, mode, errors);
    return 0;
}
