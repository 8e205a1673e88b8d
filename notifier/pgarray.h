/* pgarray: PostgreSQL array literals ('{1,2,3}', '{"a","b\"c"}') built to be passed as ONE
 * text parameter and cast in SQL ($1::bigint[]), so a batch of any size is still a
 * parameterised statement. Text elements are always double-quoted with \ and " escaped,
 * which is the array input syntax's own quoting: no element can end the literal early. */
#ifndef STATUSHAWK_NOTIFIER_PGARRAY_H
#define STATUSHAWK_NOTIFIER_PGARRAY_H

#include <stdint.h>

#include "notifier/strbuf.h"

/* Start with strbuf_init(&b, cap) and pgarray_begin; add elements; pgarray_end. */
void pgarray_begin(struct strbuf *b);
void pgarray_int(struct strbuf *b, int64_t v);
void pgarray_text(struct strbuf *b, const char *s); /* NULL adds NULL */
void pgarray_end(struct strbuf *b);

#endif
