/* template: the text of an alert. A channel may carry its own template in
 * config.template — one string for every kind, or an object with a string per kind
 * ({"down": "...", "up": "..."}; kinds it does not name use the default). Placeholders:
 *
 *   {{monitor}} {{url}} {{kind}} {{status}} {{time}} {{reason}} {{status_code}}
 *   {{latency_ms}} {{mean_ms}} {{z}} {{days_left}} {{expires}} {{since}} {{duration}}
 *
 * ({{status}} is DOWN, UP, SLOW, CERTIFICATE or TEST; {{duration}} the incident's length on
 * recovery; {{since}} when it started; {{expires}} the certificate's expiry.) Values are
 * escaped for the output: in HTML mode (Telegram) a monitor named "<b>" stays text, and
 * the template's own text is the channel owner's HTML. An unknown placeholder is left as
 * written, so a typo shows in the message instead of vanishing. Without a template each
 * kind has a default written to read well on a phone. */
#ifndef STATUSHAWK_NOTIFIER_TEMPLATE_H
#define STATUSHAWK_NOTIFIER_TEMPLATE_H

#include <jansson.h>

#include "notifier/alertmsg.h"

enum template_mode {
    TEMPLATE_HTML,  /* Telegram parse_mode=HTML */
    TEMPLATE_PLAIN, /* console, webhook */
};

/* Rendered messages are cut at this many bytes (Telegram splits at 4,096 characters;
 * beyond a few parts a message is no longer read). */
#define TEMPLATE_MAX_BYTES (16 * 1024)
#define TEMPLATE_LINE_MAX_BYTES 512 /* one entry of a digest */

/* The message for ev, with tmpl (borrowed; NULL, a string, or an object of strings per
 * kind; anything else or an empty string means the default). New string, or NULL on out of
 * memory. */
char *template_render(const json_t *tmpl, const struct alert_event *ev, enum template_mode mode);

/* The one-line summary of ev used in a digest ("🔴 <b>Shop</b> — HTTP 503"). New string. */
char *template_line(const struct alert_event *ev, enum template_mode mode);

/* "3d 4h", "1h 5m", "12m 5s", "45s" for a duration in seconds (negative counts as 0). */
void template_format_duration(int64_t seconds, char out[32]);

/* "2026-11-24 10:15:30 UTC" for ms since the epoch. */
void template_format_time(int64_t ms, char out[32]);

#endif
