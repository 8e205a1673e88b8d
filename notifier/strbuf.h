/* strbuf: a growable string with a ceiling. Appends past the ceiling are cut (at a UTF-8
 * character boundary) and remembered in `truncated`, so a hostile monitor name or template
 * can make a message shorter, never make the process allocate without bound. */
#ifndef STATUSHAWK_NOTIFIER_STRBUF_H
#define STATUSHAWK_NOTIFIER_STRBUF_H

#include <stdarg.h>
#include <stddef.h>

struct strbuf {
    char *s;       /* NUL-terminated; NULL until the first append */
    size_t len;    /* bytes, without the NUL */
    size_t cap;    /* bytes allocated */
    size_t max;    /* ceiling on len */
    int truncated; /* an append was cut */
    int oom;       /* an allocation failed; the content stays valid but short */
};

/* An empty buffer that never holds more than max bytes. */
void strbuf_init(struct strbuf *b, size_t max);
void strbuf_free(struct strbuf *b);

void strbuf_append(struct strbuf *b, const char *s, size_t n);
void strbuf_puts(struct strbuf *b, const char *s);
void strbuf_printf(struct strbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Takes the string out (never NULL unless out of memory: an empty buffer gives "");
 * the buffer is empty afterwards. The caller free()s it. */
char *strbuf_take(struct strbuf *b);

/* The content so far, "" when empty. Borrowed. */
const char *strbuf_str(const struct strbuf *b);

/* Length of the longest prefix of s[0..n) that ends on a UTF-8 character boundary. */
size_t strbuf_utf8_cut(const char *s, size_t n);

#endif
