/* digest: see digest.h. */
#include "notifier/digest.h"

#include <stdio.h>
#include <string.h>

#include "notifier/strbuf.h"
#include "notifier/tgtext.h"

enum { K_DOWN, K_UP, K_ANOMALY, K_CERT, K_TEST, K_COUNT };

static int kind_index(const char *kind)
{
    static const char *const names[K_COUNT] = {"down", "up", "anomaly", "cert_expiry", "test"};
    for (int i = 0; i < K_COUNT; i++)
        if (strcmp(kind, names[i]) == 0)
            return i;
    return K_TEST;
}

/* "27 monitors DOWN", "1 monitor UP", "3 slow", "2 certificates expiring", "1 test". */
static void count_phrase(char *out, size_t outsz, int kind, size_t n, int first)
{
    const char *s = n == 1 ? "" : "s";
    switch (kind) {
    case K_DOWN:
        snprintf(out, outsz, "%zu monitor%s DOWN", n, s);
        break;
    case K_UP:
        snprintf(out, outsz, first ? "%zu monitor%s UP" : "%zu UP", n, s);
        break;
    case K_ANOMALY:
        snprintf(out, outsz, first ? "%zu monitor%s SLOW" : "%zu slow", n, s);
        break;
    case K_CERT:
        snprintf(out, outsz, "%zu certificate%s expiring", n, s);
        break;
    default:
        snprintf(out, outsz, "%zu test%s", n, s);
    }
}

static void headline(struct strbuf *b, const struct digest_item *items, size_t n)
{
    size_t counts[K_COUNT] = {0};
    int first = 1;

    for (size_t i = 0; i < n; i++)
        counts[kind_index(items[i].kind)]++;
    strbuf_puts(b, "\xF0\x9F\x9A\xA8 "); /* 🚨 */
    for (int k = 0; k < K_COUNT; k++) {
        char phrase[64];
        if (!counts[k])
            continue;
        count_phrase(phrase, sizeof(phrase), k, counts[k], first);
        if (first)
            strbuf_printf(b, "<b>%s</b>", phrase);
        else
            strbuf_printf(b, ", %s", phrase);
        first = 0;
    }
    strbuf_puts(b, ":");
}

char *digest_build(const struct digest_item *items, size_t n, size_t limit)
{
    struct strbuf b;
    size_t used, i;

    /* Bytes bound the visible length from above, so limit * 4 bytes (UTF-8) suffice. */
    strbuf_init(&b, limit * 4 + 64);
    headline(&b, items, n);
    used = tgtext_visible_len(strbuf_str(&b));
    for (i = 0; i < n; i++) {
        size_t line_units = 1 + tgtext_visible_len(items[i].line); /* "\n" + line */
        /* Keep room for the "… and N more" line whenever lines remain after this one. */
        size_t reserve = (i + 1 < n) ? 32 : 0;
        if (used + line_units + reserve > limit)
            break;
        strbuf_puts(&b, "\n");
        strbuf_puts(&b, items[i].line);
        used += line_units;
    }
    if (i < n)
        strbuf_printf(&b, "\n\xE2\x80\xA6 and %zu more", n - i);
    if (b.oom) {
        strbuf_free(&b);
        return NULL;
    }
    return strbuf_take(&b);
}
