/* log: see log.h. One line per call, assembled in a stack buffer and written with a
 * single write(2) so lines from different threads never interleave. */
#include "common/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "common/timeutil.h"

#define LOG_LINE_MAX 8192

static const char *log_component = "statushawk";
static enum log_level log_min_level = SH_LOG_INFO;
static enum log_format log_fmt = SH_LOG_TEXT;

static const char *const level_names[] = {"debug", "info", "warn", "error"};

void log_init(const char *component, enum log_level level, enum log_format format)
{
    log_component = component;
    log_min_level = level;
    log_fmt = format;
}

int log_enabled(enum log_level level)
{
    return level >= log_min_level;
}

int log_parse_level(const char *s, enum log_level *out)
{
    static const struct {
        const char *name;
        enum log_level level;
    } names[] = {{"debug", SH_LOG_DEBUG},
                 {"info", SH_LOG_INFO},
                 {"warn", SH_LOG_WARN},
                 {"warning", SH_LOG_WARN},
                 {"error", SH_LOG_ERROR}};
    for (size_t i = 0; s && i < sizeof(names) / sizeof(names[0]); i++) {
        if (strcasecmp(s, names[i].name) == 0) {
            *out = names[i].level;
            return 0;
        }
    }
    return -1;
}

int log_parse_format(const char *s, enum log_format *out)
{
    if (s && strcasecmp(s, "text") == 0) {
        *out = SH_LOG_TEXT;
        return 0;
    }
    if (s && strcasecmp(s, "json") == 0) {
        *out = SH_LOG_JSON;
        return 0;
    }
    return -1;
}

/* Appends s to buf[*len..cap) as the inside of a JSON string, stopping when full. */
static void append_json_escaped(char *buf, size_t *len, size_t cap, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    for (; *s && *len + 7 < cap; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') {
            buf[(*len)++] = '\\';
            buf[(*len)++] = (char)c;
        } else if (c == '\n') {
            buf[(*len)++] = '\\';
            buf[(*len)++] = 'n';
        } else if (c < 0x20) {
            *len += (size_t)snprintf(buf + *len, cap - *len, "\\u00%c%c", hex[c >> 4], hex[c & 15]);
        } else {
            buf[(*len)++] = (char)c;
        }
    }
}

void log_write(enum log_level level, const char *fmt, ...)
{
    char msg[LOG_LINE_MAX / 2];
    char line[LOG_LINE_MAX];
    char ts[TIME_ISO_BUFSZ];
    va_list ap;
    size_t len;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    time_format_iso(time_now_ms(), ts);

    if (log_fmt == SH_LOG_JSON) {
        len = (size_t)snprintf(line, sizeof(line),
                               "{\"time\":\"%s\",\"level\":\"%s\",\"component\":\"", ts,
                               level_names[level]);
        append_json_escaped(line, &len, sizeof(line), log_component);
        len += (size_t)snprintf(line + len, sizeof(line) - len, "\",\"msg\":\"");
        append_json_escaped(line, &len, sizeof(line), msg);
        len += (size_t)snprintf(line + len, sizeof(line) - len, "\"}\n");
    } else {
        int n = snprintf(line, sizeof(line), "%s %-5s %s: %s\n", ts, level_names[level],
                         log_component, msg);
        len = n < 0 ? 0 : (size_t)n;
    }
    if (len >= sizeof(line)) {
        len = sizeof(line) - 1;
        line[len - 1] = '\n';
    }
    /* A failed log write has nowhere to be reported. */
    ssize_t ignored = write(STDERR_FILENO, line, len);
    (void)ignored;
}
