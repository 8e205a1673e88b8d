/* tgtext: text for Telegram's HTML parse mode. User text (monitor names, URLs, reasons)
 * is escaped; a message longer than Telegram's limit is split into parts that each stay
 * within it and each remain valid HTML.
 *
 * Telegram counts the limit (4,096) in characters after entity parsing: tags count for
 * nothing and an entity such as &lt; for one. It measures in UTF-16 code units, so a
 * character outside the Basic Multilingual Plane (most emoji) counts as two; so do we. */
#ifndef STATUSHAWK_NOTIFIER_TGTEXT_H
#define STATUSHAWK_NOTIFIER_TGTEXT_H

#include <stddef.h>

#include "notifier/strbuf.h"

#define TGTEXT_LIMIT 4096
#define TGTEXT_MAX_PARTS 16 /* longer messages are cut at the end of the last part */

/* Appends s with &, < and > (and " for attribute values) escaped. Bytes that are not
 * valid UTF-8 become U+FFFD so Telegram never rejects the message for encoding. */
void tgtext_escape(struct strbuf *b, const char *s);

/* The number of UTF-16 code units Telegram counts for html (tags ignored, entities one). */
size_t tgtext_visible_len(const char *html);

/* Splits html into at most TGTEXT_MAX_PARTS parts of at most limit visible units each,
 * breaking after the last newline that fits, else after the last space, else between two
 * characters. Tags open at a break are closed at the end of the part and reopened at the
 * start of the next. Returns the number of parts (>= 1) with new strings in parts[], or
 * -1 on out of memory (nothing to free then). */
int tgtext_split(const char *html, size_t limit, char *parts[TGTEXT_MAX_PARTS]);

/* The same text without tags and with the entities &lt; &gt; &amp; &quot; decoded: the
 * fallback when Telegram refuses a template's HTML. New string or NULL. */
char *tgtext_to_plain(const char *html);

#endif
