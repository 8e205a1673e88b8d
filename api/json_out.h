/* json_out: JSON text written straight into an evbuffer, for answers with hundreds of
 * values (a 30-day heatmap has 720 buckets). Building a jansson tree for them costs more
 * than the query: an allocation per value, and every real printed with 17 significant
 * digits (99.86 becomes 99.859999999999999). Here numbers are copied as PostgreSQL printed
 * them — the exact decimal a numeric was rounded to — and strings are escaped to ASCII as
 * jsonutil_dump does.
 *
 * Usage: json_out_init, then values (json_out_key before each member of an object), then
 * json_out_reply, which sends it and frees the buffer. A failure (out of memory, more than
 * max bytes, nesting deeper than JSON_OUT_DEPTH) is remembered and answered as a 500. */
#ifndef STATUSHAWK_API_JSON_OUT_H
#define STATUSHAWK_API_JSON_OUT_H

#include <event2/buffer.h>
#include <stddef.h>
#include <stdint.h>

struct api_request;

#define JSON_OUT_DEPTH 8

#define JSON_OUT_CHUNK 4096

struct json_out {
    struct evbuffer *buf; /* owned; receives the text a chunk at a time */
    char chunk[JSON_OUT_CHUNK];
    size_t used; /* bytes in chunk */
    size_t size; /* bytes written in all */
    size_t max;  /* the longest text allowed */
    int failed;
    int depth;
    int after_key;                          /* the next value follows a key: no comma */
    unsigned char more[JSON_OUT_DEPTH + 1]; /* a value was written at this depth */
};

/* 0, or -1 when out of memory (o is then safe to free or reply with: a 500). */
int json_out_init(struct json_out *o, size_t max);
void json_out_free(struct json_out *o);

void json_out_object(struct json_out *o);
void json_out_end_object(struct json_out *o);
void json_out_array(struct json_out *o);
void json_out_end_array(struct json_out *o);
/* A member's name: plain ASCII without quotes or backslashes (the callers' literals). */
void json_out_key(struct json_out *o, const char *key);

void json_out_null(struct json_out *o);
void json_out_bool(struct json_out *o, int value);
void json_out_int(struct json_out *o, int64_t value);
/* A string (UTF-8; invalid bytes become U+FFFD), or null for NULL. */
void json_out_string(struct json_out *o, const char *s);
/* A number as PostgreSQL printed it (integer, numeric or float8 text), or null for NULL
 * and for NaN or infinities. As a real: trailing zeros of the fraction dropped down to one
 * ("350.00" -> 350.0) and ".0" added to a whole number ("100" -> 100.0). */
void json_out_real_text(struct json_out *o, const char *text);

/* Answers status with the text (500 {"detail"} if writing failed) and frees o. */
void json_out_reply(struct api_request *r, int status, struct json_out *o);

#endif
