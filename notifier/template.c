/* template: see template.h. */
#include "notifier/template.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "common/alert_template.h"
#include "common/timeutil.h"
#include "notifier/strbuf.h"
#include "notifier/tgtext.h"

#define NAME_IN_LINE_MAX 120 /* bytes of a monitor name in a digest line */

void template_format_duration(int64_t s, char out[32])
{
    if (s < 0)
        s = 0;
    if (s >= 86400)
        snprintf(out, 32, "%" PRId64 "d %" PRId64 "h", s / 86400, (s % 86400) / 3600);
    else if (s >= 3600)
        snprintf(out, 32, "%" PRId64 "h %" PRId64 "m", s / 3600, (s % 3600) / 60);
    else if (s >= 60)
        snprintf(out, 32, "%" PRId64 "m %" PRId64 "s", s / 60, s % 60);
    else
        snprintf(out, 32, "%" PRId64 "s", s);
}

void template_format_time(int64_t ms, char out[32])
{
    char iso[TIME_ISO_BUFSZ];
    time_format_iso(ms, iso);
    /* "2026-11-24T10:15:30.123Z" -> "2026-11-24 10:15:30 UTC" */
    snprintf(out, 32, "%.10s %.8s UTC", iso, iso + 11);
}

/* Appends user-controlled text escaped for the mode. */
static void put_value(struct strbuf *b, const char *s, enum template_mode mode)
{
    if (mode == TEMPLATE_HTML)
        tgtext_escape(b, s);
    else
        strbuf_puts(b, s);
}

/* Appends markup: HTML as written in HTML mode; in plain mode only the text between
 * the tags (the defaults are written once, in HTML). */
static void put_markup(struct strbuf *b, const char *html, enum template_mode mode)
{
    if (mode == TEMPLATE_HTML) {
        strbuf_puts(b, html);
        return;
    }
    for (const char *p = html; *p; p++) {
        if (*p == '<') {
            const char *end = strchr(p, '>');
            if (end) {
                p = end;
                continue;
            }
        }
        strbuf_append(b, p, 1);
    }
}

static const char *status_word(const char *kind)
{
    if (strcmp(kind, "down") == 0)
        return "DOWN";
    if (strcmp(kind, "up") == 0)
        return "UP";
    if (strcmp(kind, "anomaly") == 0)
        return "SLOW";
    if (strcmp(kind, "cert_expiry") == 0)
        return "CERTIFICATE";
    return "TEST";
}

/* Why it is down: the runner's reason, else the status code. "" when neither. */
static void reason_text(const struct alert_event *ev, char *out, size_t outsz)
{
    const char *reason = alertmsg_detail_string(ev, "reason");
    double code;
    if (reason && *reason)
        snprintf(out, outsz, "%s", reason);
    else if (alertmsg_detail_number(ev, "status_code", &code) && code > 0)
        snprintf(out, outsz, "HTTP %.0f", code);
    else
        out[0] = '\0';
}

/* A time found in details (ISO-8601), formatted; 0 when absent or malformed. */
static int detail_time(const struct alert_event *ev, const char *key, int64_t *ms)
{
    const char *s = alertmsg_detail_string(ev, key);
    return s && time_parse_iso(s, ms) == 0;
}

/* The value of placeholder name (len bytes) for ev, into out. 0, or -1 when the name is
 * not a placeholder. */
static int placeholder(const char *name, size_t len, const struct alert_event *ev, char *out,
                       size_t outsz, const char **big)
{
    double d;
    int64_t t;

    *big = NULL;
    out[0] = '\0';
#define IS(lit) (len == sizeof(lit) - 1 && memcmp(name, lit, len) == 0)
    if (IS("monitor"))
        *big = ev->monitor_name;
    else if (IS("url"))
        *big = ev->url;
    else if (IS("kind"))
        snprintf(out, outsz, "%s", ev->kind);
    else if (IS("status"))
        snprintf(out, outsz, "%s", status_word(ev->kind));
    else if (IS("time"))
        template_format_time(ev->time_ms, out);
    else if (IS("reason"))
        reason_text(ev, out, outsz);
    else if (IS("status_code")) {
        if (alertmsg_detail_number(ev, "status_code", &d) && d > 0)
            snprintf(out, outsz, "%.0f", d);
    } else if (IS("latency_ms")) {
        if (alertmsg_detail_number(ev, "latency_ms", &d))
            snprintf(out, outsz, "%.0f", d);
    } else if (IS("mean_ms")) {
        if (alertmsg_detail_number(ev, "mean_ms", &d))
            snprintf(out, outsz, "%.0f", d);
    } else if (IS("z")) {
        if (alertmsg_detail_number(ev, "z", &d))
            snprintf(out, outsz, "%.1f", d);
    } else if (IS("days_left")) {
        if (alertmsg_detail_number(ev, "days_left", &d))
            snprintf(out, outsz, "%.0f", floor(d));
    } else if (IS("expires")) {
        if (detail_time(ev, "cert_expires_at", &t))
            template_format_time(t, out);
    } else if (IS("since")) {
        if (detail_time(ev, "incident_started_at", &t))
            template_format_time(t, out);
    } else if (IS("duration")) {
        if (detail_time(ev, "incident_started_at", &t))
            template_format_duration((ev->time_ms - t) / 1000, out);
    } else
        return -1;
#undef IS
    return 0;
}

/* The placeholder syntax is common/alert_template's, the one the api checks a template
 * against when it is saved and the dashboard previews with. */
static void render_custom(struct strbuf *b, const char *tmpl, const struct alert_event *ev,
                          enum template_mode mode)
{
    const char *cursor = tmpl;
    struct alert_template_part part;

    while (alert_template_next(&cursor, &part)) {
        strbuf_append(b, part.text, part.textlen);
        if (!part.name)
            continue;
        char val[64];
        const char *big;
        if (placeholder(part.name, part.namelen, ev, val, sizeof(val), &big) == 0) {
            put_value(b, big ? big : val, mode);
        } else {
            /* Left as written, so a typo shows in the message instead of vanishing. */
            strbuf_puts(b, "{{");
            strbuf_append(b, part.name, part.namelen);
            strbuf_puts(b, "}}");
        }
    }
}

/* " · <b>name</b>" after the headline, or nothing for a test. */
static void put_name(struct strbuf *b, const struct alert_event *ev, enum template_mode mode)
{
    if (!ev->monitor_name[0])
        return;
    put_markup(b, " \xC2\xB7 <b>", mode);
    put_value(b, ev->monitor_name, mode);
    put_markup(b, "</b>", mode);
}

static void put_url_line(struct strbuf *b, const struct alert_event *ev, enum template_mode mode)
{
    if (!ev->url[0])
        return;
    strbuf_puts(b, "\n");
    put_value(b, ev->url, mode);
}

static void render_default(struct strbuf *b, const struct alert_event *ev, enum template_mode mode)
{
    char when[32], reason[256], dur[32], t2[32];
    double lat, mean, z, days;
    int64_t started, expires;

    template_format_time(ev->time_ms, when);
    reason_text(ev, reason, sizeof(reason));
    if (strcmp(ev->kind, "down") == 0) {
        put_markup(b, "\xF0\x9F\x94\xB4 <b>DOWN</b>", mode); /* 🔴 */
        put_name(b, ev, mode);
        put_url_line(b, ev, mode);
        if (reason[0]) {
            strbuf_puts(b, "\nWhy: ");
            put_value(b, reason, mode);
        }
        /* Since the first failed check (the incident's start), not the confirming one. */
        if (detail_time(ev, "incident_started_at", &started))
            template_format_time(started, when);
        strbuf_printf(b, "\nSince %s", when);
    } else if (strcmp(ev->kind, "up") == 0) {
        put_markup(b, "\xE2\x9C\x85 <b>UP</b>", mode); /* ✅ */
        put_name(b, ev, mode);
        put_url_line(b, ev, mode);
        if (detail_time(ev, "incident_started_at", &started)) {
            template_format_duration((ev->time_ms - started) / 1000, dur);
            template_format_time(started, t2);
            strbuf_printf(b, "\nDown for %s (since %s)", dur, t2);
        }
        strbuf_printf(b, "\nRecovered %s", when);
    } else if (strcmp(ev->kind, "anomaly") == 0) {
        put_markup(b, "\xF0\x9F\x90\xA2 <b>SLOW</b>", mode); /* 🐢 */
        put_name(b, ev, mode);
        if (alertmsg_detail_number(ev, "latency_ms", &lat)) {
            strbuf_printf(b, "\nResponse %.0f ms", lat);
            if (alertmsg_detail_number(ev, "mean_ms", &mean))
                strbuf_printf(b, " vs usual %.0f ms", mean);
            if (alertmsg_detail_number(ev, "z", &z))
                strbuf_printf(b, " (z = %.1f)", z);
        }
        put_url_line(b, ev, mode);
        strbuf_printf(b, "\nAt %s", when);
    } else if (strcmp(ev->kind, "cert_expiry") == 0) {
        if (alertmsg_detail_number(ev, "days_left", &days)) {
            long n = (long)floor(days);
            char head[96];
            if (n <= 0)
                snprintf(head, sizeof(head), "<b>Certificate expires today</b>");
            else
                snprintf(head, sizeof(head), "<b>Certificate expires in %ld day%s</b>", n,
                         n == 1 ? "" : "s");
            put_markup(b, "\xF0\x9F\x94\x92 ", mode); /* 🔒 */
            put_markup(b, head, mode);
        } else {
            put_markup(b, "\xF0\x9F\x94\x92 <b>Certificate expiring</b>", mode);
        }
        put_name(b, ev, mode);
        put_url_line(b, ev, mode);
        if (detail_time(ev, "cert_expires_at", &expires)) {
            template_format_time(expires, t2);
            strbuf_printf(b, "\nExpires %s", t2);
        }
    } else {
        put_markup(b, "\xF0\x9F\x94\x94 <b>StatusHawk test</b>", mode); /* 🔔 */
        strbuf_puts(b, "\nThis channel is connected: alerts for your monitors arrive here.");
        strbuf_printf(b, "\nSent %s", when);
    }
}

/* The template string that applies to ev's kind, or NULL for the default. */
static const char *pick_template(const json_t *tmpl, const char *kind)
{
    const json_t *s = tmpl;
    if (json_is_object(tmpl))
        s = json_object_get(tmpl, kind);
    if (!json_is_string(s) || json_string_length(s) == 0)
        return NULL;
    /* A NUL inside the JSON string would silently cut the template; refuse it. */
    if (strlen(json_string_value(s)) != json_string_length(s))
        return NULL;
    return json_string_value(s);
}

char *template_render(const json_t *tmpl, const struct alert_event *ev, enum template_mode mode)
{
    struct strbuf b;
    const char *custom = pick_template(tmpl, ev->kind);

    strbuf_init(&b, TEMPLATE_MAX_BYTES);
    if (custom)
        render_custom(&b, custom, ev, mode);
    /* A template that renders to blanks only would be refused by Telegram: use the default. */
    if (!custom || strspn(strbuf_str(&b), " \t\r\n") == b.len) {
        strbuf_free(&b);
        strbuf_init(&b, TEMPLATE_MAX_BYTES);
        render_default(&b, ev, mode);
    }
    if (b.oom) {
        strbuf_free(&b);
        return NULL;
    }
    return strbuf_take(&b);
}

char *template_line(const struct alert_event *ev, enum template_mode mode)
{
    struct strbuf b;
    char reason[256], dur[32], name[NAME_IN_LINE_MAX + 4];
    double d, z;
    int64_t started;
    size_t n = strlen(ev->monitor_name);

    if (n > NAME_IN_LINE_MAX) {
        n = strbuf_utf8_cut(ev->monitor_name, NAME_IN_LINE_MAX);
        snprintf(name, sizeof(name), "%.*s\xE2\x80\xA6", (int)n, ev->monitor_name);
    } else {
        snprintf(name, sizeof(name), "%s", ev->monitor_name);
    }
    strbuf_init(&b, TEMPLATE_LINE_MAX_BYTES);
    if (strcmp(ev->kind, "down") == 0)
        put_markup(&b, "\xF0\x9F\x94\xB4 ", mode);
    else if (strcmp(ev->kind, "up") == 0)
        put_markup(&b, "\xE2\x9C\x85 ", mode);
    else if (strcmp(ev->kind, "anomaly") == 0)
        put_markup(&b, "\xF0\x9F\x90\xA2 ", mode);
    else if (strcmp(ev->kind, "cert_expiry") == 0)
        put_markup(&b, "\xF0\x9F\x94\x92 ", mode);
    else
        put_markup(&b, "\xF0\x9F\x94\x94 ", mode);
    if (strcmp(ev->kind, "test") == 0) {
        strbuf_puts(&b, "test message");
    } else {
        put_markup(&b, "<b>", mode);
        put_value(&b, name[0] ? name : "(unnamed)", mode);
        put_markup(&b, "</b>", mode);
    }
    if (strcmp(ev->kind, "down") == 0) {
        reason_text(ev, reason, sizeof(reason));
        if (reason[0]) {
            strbuf_puts(&b, " \xE2\x80\x94 ");
            put_value(&b, reason, mode);
        }
    } else if (strcmp(ev->kind, "up") == 0) {
        if (detail_time(ev, "incident_started_at", &started)) {
            template_format_duration((ev->time_ms - started) / 1000, dur);
            strbuf_printf(&b, " \xE2\x80\x94 up after %s", dur);
        } else {
            strbuf_puts(&b, " \xE2\x80\x94 up");
        }
    } else if (strcmp(ev->kind, "anomaly") == 0) {
        if (alertmsg_detail_number(ev, "latency_ms", &d)) {
            strbuf_printf(&b, " \xE2\x80\x94 %.0f ms", d);
            if (alertmsg_detail_number(ev, "z", &z))
                strbuf_printf(&b, " (z %.1f)", z);
        }
    } else if (strcmp(ev->kind, "cert_expiry") == 0) {
        if (alertmsg_detail_number(ev, "days_left", &d))
            strbuf_printf(&b, " \xE2\x80\x94 certificate, %.0f days left", floor(d));
    }
    if (b.oom) {
        strbuf_free(&b);
        return NULL;
    }
    return strbuf_take(&b);
}
