/* alert_template: the syntax of a channel's alert template, shared by the api (which
 * checks a template when it is saved) and the notifier (which fills it in), and the same
 * as the dashboard's preview (web/src/lib/template.ts):
 *
 *   a placeholder is "{{", optional whitespace, a name [A-Za-z_][A-Za-z0-9_]*, optional
 *   whitespace, "}}"; anything else ("{{}}", "{{1x}}", a lone "{{") is plain text.
 *
 * Known names: monitor url status kind time latency_ms reason z days_left (DESIGN.md's),
 * status_code mean_ms since duration expires (what the default messages also tell);
 * notifier/template.c fills each of them. */
#ifndef STATUSHAWK_COMMON_ALERT_TEMPLATE_H
#define STATUSHAWK_COMMON_ALERT_TEMPLATE_H

#include <stddef.h>

#define ALERT_TEMPLATE_MAX 2048 /* characters of a template */

/* The known placeholder names, without braces, and how many there are. */
extern const char *const alert_template_placeholders[];
extern const size_t alert_template_placeholder_count;

/* One step through a template: the plain text up to the next placeholder, then that
 * placeholder (name NULL when the text runs to the end). Pointers borrow the template. */
struct alert_template_part {
    const char *text;
    size_t textlen;
    const char *name; /* the placeholder's name without braces or spaces, or NULL */
    size_t namelen;
    const char *known; /* the entry of alert_template_placeholders it names, or NULL */
};

/* Reads the part at *cursor and advances it. 0 when *cursor is at the end of the
 * template (nothing read), else 1. Start with *cursor = the template:
 *     const char *p = tpl; struct alert_template_part part;
 *     while (alert_template_next(&p, &part)) { text, then the placeholder if any } */
int alert_template_next(const char **cursor, struct alert_template_part *part);

/* 0 when every placeholder in tpl is known; otherwise -1 and a message for the user in
 * err naming the unknown ones: "Unknown placeholders: {{foo}}, {{bar}}. Known
 * placeholders: {{monitor}}, ...". */
int alert_template_check(const char *tpl, char *err, size_t errlen);

#endif
