/* prov_console: the "console" provider — the alert printed on the notifier's standard
 * output, one block per alert. For debugging and for a local stack without Telegram. */
#ifndef STATUSHAWK_NOTIFIER_PROV_CONSOLE_H
#define STATUSHAWK_NOTIFIER_PROV_CONSOLE_H

#include "notifier/deliver.h"

/* Writes d and fills o (success, or a retry when standard output refuses the write). */
void console_send(const struct delivery *d, struct send_outcome *o);

#endif
