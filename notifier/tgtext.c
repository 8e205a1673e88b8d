/* tgtext: see tgtext.h. */
#include "notifier/tgtext.h"

#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 16 /* nesting kept across a break; deeper tags are closed there and lost */

/* Decodes one UTF-8 character at s (n bytes left). Returns its length in bytes and
 * stores the code point, or returns 0 for an invalid sequence. */
static size_t utf8_decode(const unsigned char *s, size_t n, unsigned *cp)
{
    if (s[0] < 0x80) {
        *cp = s[0];
        return 1;
    }
    size_t len = s[0] >= 0xF0 ? 4 : s[0] >= 0xE0 ? 3 : s[0] >= 0xC2 ? 2 : 0;
    if (len == 0 || s[0] > 0xF4 || len > n)
        return 0;
    unsigned v = s[0] & (0x7F >> len);
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        v = (v << 6) | (s[i] & 0x3F);
    }
    /* Overlong forms, surrogates and values past U+10FFFF are invalid. */
    if ((len == 3 && v < 0x800) || (len == 4 && (v < 0x10000 || v > 0x10FFFF)) ||
        (v >= 0xD800 && v <= 0xDFFF))
        return 0;
    *cp = v;
    return len;
}

void tgtext_escape(struct strbuf *b, const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t n = strlen(s);

    while (n > 0) {
        unsigned cp;
        size_t len = utf8_decode(p, n, &cp);
        if (len == 0) {
            strbuf_puts(b, "\xEF\xBF\xBD");
            p++;
            n--;
            continue;
        }
        switch (cp) {
        case '&':
            strbuf_puts(b, "&amp;");
            break;
        case '<':
            strbuf_puts(b, "&lt;");
            break;
        case '>':
            strbuf_puts(b, "&gt;");
            break;
        case '"':
            strbuf_puts(b, "&quot;");
            break;
        default:
            if (cp < 0x20 && cp != '\n' && cp != '\t')
                strbuf_puts(b, " "); /* control characters: Telegram strips or refuses them */
            else
                strbuf_append(b, (const char *)p, len);
        }
        p += len;
        n -= len;
    }
}

/* The kinds of token a message is made of. */
enum tok { TOK_CHAR, TOK_ENTITY, TOK_OPEN, TOK_CLOSE };

/* Reads one token at html[i]: its kind, byte length and visible units. */
static enum tok next_token(const char *html, size_t i, size_t *len, size_t *units)
{
    const char *p = html + i;
    if (*p == '<') {
        const char *end = strchr(p, '>');
        if (end) {
            *len = (size_t)(end - p) + 1;
            *units = 0;
            return p[1] == '/' ? TOK_CLOSE : TOK_OPEN;
        }
    } else if (*p == '&') {
        size_t k = 1;
        while (k < 12 && p[k] && p[k] != ';' && p[k] != '&' && p[k] != '<' && p[k] != ' ')
            k++;
        if (p[k] == ';') {
            *len = k + 1;
            *units = 1;
            return TOK_ENTITY;
        }
    }
    unsigned cp;
    size_t n = utf8_decode((const unsigned char *)p, strlen(p), &cp);
    if (n == 0) {
        *len = 1;
        *units = 1;
    } else {
        *len = n;
        *units = cp >= 0x10000 ? 2 : 1;
    }
    return TOK_CHAR;
}

size_t tgtext_visible_len(const char *html)
{
    size_t i = 0, total = 0, len, units;
    while (html[i]) {
        next_token(html, i, &len, &units);
        total += units;
        i += len;
    }
    return total;
}

/* Open tags, as offsets into the message: enough to close and reopen them at a break. */
struct tag_stack {
    size_t off[MAX_DEPTH];
    size_t len[MAX_DEPTH];
    int depth;
};

static void stack_push(struct tag_stack *st, size_t off, size_t len)
{
    if (st->depth < MAX_DEPTH) {
        st->off[st->depth] = off;
        st->len[st->depth] = len;
    }
    st->depth++;
}

static void stack_pop(struct tag_stack *st)
{
    if (st->depth > 0)
        st->depth--;
}

/* The tag's name: after '<' (or "</"), up to a space or '>'. */
static size_t tag_name(const char *tag, size_t len, const char **name)
{
    size_t a = tag[1] == '/' ? 2 : 1, b = a;
    while (b < len && tag[b] != ' ' && tag[b] != '>')
        b++;
    *name = tag + a;
    return b - a;
}

static void close_tags(struct strbuf *b, const char *html, const struct tag_stack *st)
{
    int depth = st->depth < MAX_DEPTH ? st->depth : MAX_DEPTH;
    for (int k = depth - 1; k >= 0; k--) {
        const char *name;
        size_t n = tag_name(html + st->off[k], st->len[k], &name);
        strbuf_puts(b, "</");
        strbuf_append(b, name, n);
        strbuf_puts(b, ">");
    }
}

static void reopen_tags(struct strbuf *b, const char *html, const struct tag_stack *st)
{
    int depth = st->depth < MAX_DEPTH ? st->depth : MAX_DEPTH;
    for (int k = 0; k < depth; k++)
        strbuf_append(b, html + st->off[k], st->len[k]);
}

/* Scans html from start (with the tags of *st open) until limit units are used up.
 * Returns the offset to break at (strlen(html) when the rest fits), updating *st to the
 * tags open there. */
static size_t find_break(const char *html, size_t start, size_t limit, struct tag_stack *st)
{
    struct tag_stack cur = *st, at_nl = *st, at_sp = *st, at_any = *st;
    size_t i = start, used = 0, len, units;
    size_t brk_nl = 0, brk_sp = 0, brk_any = start, used_nl = 0, used_sp = 0;

    while (html[i]) {
        enum tok t = next_token(html, i, &len, &units);
        if (units && used + units > limit)
            break;
        used += units;
        if (t == TOK_OPEN) {
            stack_push(&cur, i, len);
        } else if (t == TOK_CLOSE) {
            stack_pop(&cur);
        }
        i += len;
        if (t == TOK_CHAR && html[i - 1] == '\n') {
            brk_nl = i;
            used_nl = used;
            at_nl = cur;
        } else if (t == TOK_CHAR && html[i - 1] == ' ') {
            brk_sp = i;
            used_sp = used;
            at_sp = cur;
        }
        if (t == TOK_CHAR || t == TOK_ENTITY) {
            brk_any = i;
            at_any = cur;
        }
    }
    if (!html[i]) {
        *st = cur;
        return i;
    }
    /* Prefer a newline, then a space, as long as the part keeps at least half its room:
     * a break far back would only make more parts. */
    if (brk_nl > start && used_nl >= limit / 2) {
        *st = at_nl;
        return brk_nl;
    }
    if (brk_sp > start && used_sp >= limit / 2) {
        *st = at_sp;
        return brk_sp;
    }
    if (brk_any == start) {
        /* Not even one character fits (limit 0 or a tag-only prefix): take one token so
         * the split always progresses. */
        next_token(html, start, &len, &units);
        brk_any = start + len;
    }
    *st = at_any;
    return brk_any;
}

int tgtext_split(const char *html, size_t limit, char *parts[TGTEXT_MAX_PARTS])
{
    struct tag_stack st = {.depth = 0};
    size_t start = 0, total = strlen(html);
    int n = 0;

    if (limit == 0)
        limit = 1;
    do {
        struct tag_stack open_at_start = st;
        size_t brk = find_break(html, start, limit, &st);
        struct strbuf b;
        strbuf_init(&b, total + 64 * MAX_DEPTH * 2 + 16);
        reopen_tags(&b, html, &open_at_start);
        if (n == TGTEXT_MAX_PARTS - 1 && brk < total) {
            /* The last part allowed: what does not fit is dropped, visibly. */
            size_t ell_limit = limit > 1 ? limit - 1 : 1;
            st = open_at_start;
            brk = find_break(html, start, ell_limit, &st);
            strbuf_append(&b, html + start, brk - start);
            close_tags(&b, html, &st);
            strbuf_puts(&b, "\xE2\x80\xA6"); /* … */
            brk = total;
        } else {
            strbuf_append(&b, html + start, brk - start);
            if (brk < total)
                close_tags(&b, html, &st);
        }
        if (b.oom) {
            strbuf_free(&b);
            for (int k = 0; k < n; k++)
                free(parts[k]);
            return -1;
        }
        parts[n++] = strbuf_take(&b);
        start = brk;
    } while (start < total);
    return n;
}

static int decode_entity(const char *p, size_t len, struct strbuf *b)
{
    static const struct {
        const char *name;
        const char *text;
    } known[] = {{"&lt;", "<"}, {"&gt;", ">"}, {"&amp;", "&"}, {"&quot;", "\""}};
    for (size_t k = 0; k < sizeof(known) / sizeof(known[0]); k++) {
        if (strlen(known[k].name) == len && memcmp(p, known[k].name, len) == 0) {
            strbuf_puts(b, known[k].text);
            return 0;
        }
    }
    return -1;
}

char *tgtext_to_plain(const char *html)
{
    struct strbuf b;
    size_t i = 0, len, units, total = strlen(html);

    strbuf_init(&b, total + 1);
    while (html[i]) {
        enum tok t = next_token(html, i, &len, &units);
        if (t == TOK_CHAR || (t == TOK_ENTITY && decode_entity(html + i, len, &b) != 0))
            strbuf_append(&b, html + i, len);
        i += len;
    }
    if (b.oom) {
        strbuf_free(&b);
        return NULL;
    }
    return strbuf_take(&b);
}
