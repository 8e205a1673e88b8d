/* pgarray: see pgarray.h. */
#include "notifier/pgarray.h"

#include <inttypes.h>

static void sep(struct strbuf *b)
{
    if (b->len > 1)
        strbuf_puts(b, ",");
}

void pgarray_begin(struct strbuf *b)
{
    strbuf_puts(b, "{");
}

void pgarray_int(struct strbuf *b, int64_t v)
{
    sep(b);
    strbuf_printf(b, "%" PRId64, v);
}

void pgarray_text(struct strbuf *b, const char *s)
{
    sep(b);
    if (!s) {
        strbuf_puts(b, "NULL");
        return;
    }
    strbuf_puts(b, "\"");
    for (const char *p = s; *p; p++) {
        if (*p == '"' || *p == '\\')
            strbuf_append(b, "\\", 1);
        strbuf_append(b, p, 1);
    }
    strbuf_puts(b, "\"");
}

void pgarray_end(struct strbuf *b)
{
    strbuf_puts(b, "}");
}
