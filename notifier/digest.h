/* digest: one message standing for many alerts to the same chat (an outage that takes
 * 200 monitors down at once): a headline counting them by kind, then one line per alert,
 * cut to fit a single Telegram message with "… and N more". Every alert it stands for is
 * still logged on its own; this is only the text. */
#ifndef STATUSHAWK_NOTIFIER_DIGEST_H
#define STATUSHAWK_NOTIFIER_DIGEST_H

#include <stddef.h>

struct digest_item {
    const char *kind; /* down | up | anomaly | cert_expiry | test */
    const char *line; /* from template_line, HTML; borrowed */
};

/* The digest of items[0..n) in Telegram HTML, at most limit visible characters (see
 * tgtext.h). New string, NULL on out of memory. */
char *digest_build(const struct digest_item *items, size_t n, size_t limit);

#endif
