/* json_out: see json_out.h. */
#include "api/json_out.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "api/request.h"

int json_out_init(struct json_out *o, size_t max)
{
    o->used = 0;
    o->size = 0;
    o->depth = 0;
    o->after_key = 0;
    o->more[0] = 0;
    o->max = max;
    o->buf = evbuffer_new();
    o->failed = o->buf == NULL;
    return o->failed ? -1 : 0;
}

void json_out_free(struct json_out *o)
{
    if (o->buf)
        evbuffer_free(o->buf);
    o->buf = NULL;
}

static void flush(struct json_out *o)
{
    if (!o->failed && o->used > 0 && evbuffer_add(o->buf, o->chunk, o->used) != 0)
        o->failed = 1;
    o->used = 0;
}

/* Values are a few bytes each: they are gathered in chunk and handed to the evbuffer a
 * chunk at a time, not one evbuffer_add per comma. */
static void put(struct json_out *o, const char *s, size_t n)
{
    if (o->failed)
        return;
    if (n > o->max - o->size) {
        o->failed = 1;
        return;
    }
    o->size += n;
    if (n > sizeof(o->chunk) - o->used) {
        flush(o);
        if (n > sizeof(o->chunk)) {
            if (!o->failed && evbuffer_add(o->buf, s, n) != 0)
                o->failed = 1;
            return;
        }
    }
    memcpy(o->chunk + o->used, s, n);
    o->used += n;
}

/* Before any value: the comma that separates it from the previous one at this depth. */
static void value_start(struct json_out *o)
{
    if (o->after_key)
        o->after_key = 0;
    else if (o->more[o->depth])
        put(o, ",", 1);
    o->more[o->depth] = 1;
}

static void open_scope(struct json_out *o, const char *bracket)
{
    value_start(o);
    put(o, bracket, 1);
    if (o->depth >= JSON_OUT_DEPTH) {
        o->failed = 1;
        return;
    }
    o->more[++o->depth] = 0;
}

static void close_scope(struct json_out *o, const char *bracket)
{
    put(o, bracket, 1);
    if (o->depth > 0)
        o->depth--;
    else
        o->failed = 1; /* unbalanced: a bug of the caller */
}

void json_out_object(struct json_out *o)
{
    open_scope(o, "{");
}

void json_out_end_object(struct json_out *o)
{
    close_scope(o, "}");
}

void json_out_array(struct json_out *o)
{
    open_scope(o, "[");
}

void json_out_end_array(struct json_out *o)
{
    close_scope(o, "]");
}

void json_out_key(struct json_out *o, const char *key)
{
    value_start(o);
    put(o, "\"", 1);
    put(o, key, strlen(key));
    put(o, "\":", 2);
    o->after_key = 1;
}

void json_out_null(struct json_out *o)
{
    value_start(o);
    put(o, "null", 4);
}

void json_out_bool(struct json_out *o, int value)
{
    value_start(o);
    if (value)
        put(o, "true", 4);
    else
        put(o, "false", 5);
}

void json_out_int(struct json_out *o, int64_t value)
{
    char text[24];
    int n = snprintf(text, sizeof(text), "%" PRId64, value);

    value_start(o);
    put(o, text, (size_t)n);
}

/* The code point of the UTF-8 sequence at s (NUL-terminated) and its length in *len, or
 * -1 (with *len 1) for a byte that does not start a valid, shortest sequence. */
static long utf8_decode(const unsigned char *s, int *len)
{
    static const long min[] = {0, 0, 0x80, 0x800, 0x10000};
    long cp;
    int n;

    *len = 1;
    if (s[0] < 0x80)
        return s[0];
    if ((s[0] & 0xe0) == 0xc0) {
        n = 2;
        cp = s[0] & 0x1f;
    } else if ((s[0] & 0xf0) == 0xe0) {
        n = 3;
        cp = s[0] & 0x0f;
    } else if ((s[0] & 0xf8) == 0xf0) {
        n = 4;
        cp = s[0] & 0x07;
    } else {
        return -1;
    }
    for (int i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80) /* also stops at the NUL */
            return -1;
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    if (cp < min[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return -1;
    *len = n;
    return cp;
}

static void put_u(struct json_out *o, long unit)
{
    char esc[8];
    snprintf(esc, sizeof(esc), "\\u%04lx", unit);
    put(o, esc, 6);
}

void json_out_string(struct json_out *o, const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    const unsigned char *run;

    if (!s) {
        json_out_null(o);
        return;
    }
    value_start(o);
    put(o, "\"", 1);
    while (*p) {
        /* Copy the longest run that needs no escaping in one go. */
        run = p;
        while (*p >= 0x20 && *p < 0x7f && *p != '"' && *p != '\\')
            p++;
        put(o, (const char *)run, (size_t)(p - run));
        if (!*p)
            break;
        if (*p == '"' || *p == '\\') {
            char esc[2] = {'\\', (char)*p};
            put(o, esc, 2);
            p++;
        } else if (*p == '\n') {
            put(o, "\\n", 2);
            p++;
        } else if (*p == '\t') {
            put(o, "\\t", 2);
            p++;
        } else if (*p == '\r') {
            put(o, "\\r", 2);
            p++;
        } else if (*p < 0x80) {
            put_u(o, *p++);
        } else {
            int len;
            long cp = utf8_decode(p, &len);
            if (cp < 0) {
                cp = 0xfffd;
            } else if (cp > 0xffff) { /* a surrogate pair */
                cp -= 0x10000;
                put_u(o, 0xd800 | (cp >> 10));
                cp = 0xdc00 | (cp & 0x3ff);
            }
            put_u(o, cp);
            p += len;
        }
    }
    put(o, "\"", 1);
}

/* PostgreSQL's text of a finite number: [-]digits[.digits][(e|E)[+|-]digits]. */
static int is_number_text(const char *t)
{
    const char *p = t;

    if (*p == '-')
        p++;
    if (*p < '0' || *p > '9')
        return 0;
    p += strspn(p, "0123456789");
    if (*p == '.') {
        p++;
        if (*p < '0' || *p > '9')
            return 0;
        p += strspn(p, "0123456789");
    }
    if (*p == 'e' || *p == 'E') {
        p++;
        if (*p == '+' || *p == '-')
            p++;
        if (*p < '0' || *p > '9')
            return 0;
        p += strspn(p, "0123456789");
    }
    return *p == '\0';
}

void json_out_real_text(struct json_out *o, const char *text)
{
    size_t n;
    const char *dot;

    if (!text || !is_number_text(text)) {
        json_out_null(o);
        return;
    }
    value_start(o);
    n = strlen(text);
    dot = strchr(text, '.');
    if (strpbrk(text, "eE")) {
        put(o, text, n);
    } else if (dot) {
        size_t keep = (size_t)(dot - text) + 2; /* at least one digit after the point */
        while (n > keep && text[n - 1] == '0')
            n--;
        put(o, text, n);
    } else {
        put(o, text, n);
        put(o, ".0", 2);
    }
}

void json_out_reply(struct api_request *r, int status, struct json_out *o)
{
    if (o->buf)
        flush(o);
    if (o->failed || o->depth != 0 || !o->buf)
        api_reply_detail(r, 500, "Internal server error.");
    else
        api_reply_buffer(r, status, "application/json; charset=utf-8", o->buf);
    json_out_free(o);
}
