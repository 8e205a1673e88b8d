/* alert_template: see alert_template.h. */
#include "common/alert_template.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

/* DESIGN.md's nine, then what the defaults say and a custom template could not
 * otherwise: the status code, the usual latency, the incident's start and length, and the
 * certificate's expiry date. */
const char *const alert_template_placeholders[] = {
    "monitor", "url",       "status",      "kind",    "time",  "latency_ms", "reason",
    "z",       "days_left", "status_code", "mean_ms", "since", "duration",   "expires",
};
const size_t alert_template_placeholder_count =
    sizeof(alert_template_placeholders) / sizeof(alert_template_placeholders[0]);

/* Characters of an unknown name shown in a message. */
#define NAME_SHOWN_MAX 40

static int name_start(unsigned char c)
{
    return isalpha(c) || c == '_';
}

static int name_char(unsigned char c)
{
    return isalnum(c) || c == '_';
}

/* When a placeholder starts at p ("{{"), its name and its end; else 0. */
static int placeholder_at(const char *p, const char **name, size_t *namelen, const char **end)
{
    const char *q = p + 2, *n;
    size_t len;

    if (p[0] != '{' || p[1] != '{')
        return 0;
    while (isspace((unsigned char)*q))
        q++;
    if (!name_start((unsigned char)*q))
        return 0;
    n = q;
    while (name_char((unsigned char)*q))
        q++;
    len = (size_t)(q - n);
    while (isspace((unsigned char)*q))
        q++;
    if (q[0] != '}' || q[1] != '}')
        return 0;
    *name = n;
    *namelen = len;
    *end = q + 2;
    return 1;
}

static const char *known_name(const char *name, size_t len)
{
    for (size_t i = 0; i < alert_template_placeholder_count; i++) {
        const char *k = alert_template_placeholders[i];
        if (strlen(k) == len && memcmp(k, name, len) == 0)
            return k;
    }
    return NULL;
}

int alert_template_next(const char **cursor, struct alert_template_part *part)
{
    const char *p = *cursor, *s = p, *end;

    memset(part, 0, sizeof(*part));
    if (!p || *p == '\0')
        return 0;
    for (; *s; s++) {
        if (s[0] == '{' && placeholder_at(s, &part->name, &part->namelen, &end)) {
            part->text = p;
            part->textlen = (size_t)(s - p);
            part->known = known_name(part->name, part->namelen);
            *cursor = end;
            return 1;
        }
    }
    part->text = p;
    part->textlen = (size_t)(s - p);
    *cursor = s;
    return 1;
}

int alert_template_check(const char *tpl, char *err, size_t errlen)
{
    char unknown[512] = "", item[NAME_SHOWN_MAX + 8], known[256] = "";
    struct alert_template_part part;
    const char *p = tpl;
    size_t used = 0;
    int count = 0;

    while (alert_template_next(&p, &part)) {
        if (!part.name || part.known)
            continue;
        snprintf(item, sizeof(item), "{{%.*s}}",
                 (int)(part.namelen > NAME_SHOWN_MAX ? NAME_SHOWN_MAX : part.namelen), part.name);
        if (count == 0 || !strstr(unknown, item)) {
            count++;
            if (used + strlen(item) + 3 < sizeof(unknown))
                used += (size_t)snprintf(unknown + used, sizeof(unknown) - used, "%s%s",
                                         used ? ", " : "", item);
        }
    }
    if (count == 0)
        return 0;
    used = 0;
    for (size_t i = 0; i < alert_template_placeholder_count; i++)
        used += (size_t)snprintf(known + used, sizeof(known) - used, "%s{{%s}}", i ? ", " : "",
                                 alert_template_placeholders[i]);
    snprintf(err, errlen, "Unknown placeholder%s: %s. Known placeholders: %s.",
             count > 1 ? "s" : "", unknown, known);
    return -1;
}
