/* expected_status: see expected_status.h. */
#include "common/expected_status.h"

#include <stdio.h>
#include <string.h>

#define SYNTAX_MSG "Enter status codes or ranges separated by commas, like \"200-299,301\"."

static const char *skip_spaces(const char *p)
{
    while (*p == ' ' || *p == '\t')
        p++;
    return p;
}

/* Reads a decimal code at *pp and advances past it. A number of more than three digits is
 * read as out of range rather than converted, so no input can overflow. -1 when there
 * are no digits. */
static int read_code(const char **pp, int *code)
{
    const char *p = *pp;
    int v = 0, digits = 0;

    while (*p >= '0' && *p <= '9') {
        if (digits < 3)
            v = v * 10 + (*p - '0');
        digits++;
        p++;
    }
    if (digits == 0)
        return -1;
    *code = digits > 3 ? EXPECTED_STATUS_CODE_MAX + 1 : v;
    *pp = p;
    return 0;
}

static int code_valid(int code)
{
    return code >= EXPECTED_STATUS_CODE_MIN && code <= EXPECTED_STATUS_CODE_MAX;
}

int expected_status_parse(const char *text, struct expected_status *out, char *err, size_t errlen)
{
    const char *p = text;
    int lo, hi;

    out->n = 0;
    if (!text || strlen(text) > EXPECTED_STATUS_TEXT_MAX) {
        snprintf(err, errlen, "%s", text ? "Use at most 255 characters." : SYNTAX_MSG);
        return -1;
    }
    for (;;) {
        p = skip_spaces(p);
        if (read_code(&p, &lo) != 0)
            goto syntax;
        hi = lo;
        p = skip_spaces(p);
        if (*p == '-') {
            p = skip_spaces(p + 1);
            if (read_code(&p, &hi) != 0)
                goto syntax;
            p = skip_spaces(p);
        }
        if (*p != ',' && *p != '\0')
            goto syntax;
        if (!code_valid(lo) || !code_valid(hi)) {
            snprintf(err, errlen, "Status codes must be between %d and %d.",
                     EXPECTED_STATUS_CODE_MIN, EXPECTED_STATUS_CODE_MAX);
            goto fail;
        }
        if (lo > hi) {
            snprintf(err, errlen, "A range must not end before it starts (%d-%d).", lo, hi);
            goto fail;
        }
        if (out->n == EXPECTED_STATUS_MAX_RANGES) {
            snprintf(err, errlen, "Use at most %d codes or ranges.", EXPECTED_STATUS_MAX_RANGES);
            goto fail;
        }
        out->ranges[out->n].lo = lo;
        out->ranges[out->n].hi = hi;
        out->n++;
        if (*p == '\0')
            return 0;
        p++; /* the comma; an item must follow it */
    }
syntax:
    snprintf(err, errlen, "%s", SYNTAX_MSG);
fail:
    out->n = 0;
    return -1;
}

int expected_status_match(const struct expected_status *es, int code)
{
    for (int i = 0; i < es->n; i++)
        if (code >= es->ranges[i].lo && code <= es->ranges[i].hi)
            return 1;
    return 0;
}

int expected_status_format(const struct expected_status *es, char *out, size_t outlen)
{
    size_t used = 0;
    int n;

    if (outlen == 0)
        return -1;
    out[0] = '\0';
    for (int i = 0; i < es->n; i++) {
        const struct expected_status_range *r = &es->ranges[i];
        const char *sep = i ? "," : "";
        if (r->lo == r->hi)
            n = snprintf(out + used, outlen - used, "%s%d", sep, r->lo);
        else
            n = snprintf(out + used, outlen - used, "%s%d-%d", sep, r->lo, r->hi);
        if (n < 0 || (size_t)n >= outlen - used) {
            out[0] = '\0';
            return -1;
        }
        used += (size_t)n;
    }
    return 0;
}
