/* prov_console: see prov_console.h. */
#include "notifier/prov_console.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/timeutil.h"
#include "notifier/strbuf.h"

void console_send(const struct delivery *d, struct send_outcome *o)
{
    struct strbuf b;
    char when[TIME_ISO_BUFSZ];
    size_t off = 0;

    memset(o, 0, sizeof(*o));
    time_format_iso(time_now_ms(), when);
    strbuf_init(&b, 64 * 1024);
    /* One header line a script can grep for, then the message, then a blank line. */
    strbuf_printf(&b, "[%s] alert %s kind=%s channel=%" PRId64 "\n", when, d->alert_id, d->kind,
                  d->channel_id);
    strbuf_puts(&b, d->text ? d->text : "");
    strbuf_puts(&b, "\n\n");
    /* Standard output is a file or a terminal in every setup this channel is meant for
     * (the stack sends it to .run/logs); its writes do not wait. It is left blocking on
     * purpose: O_NONBLOCK would change the terminal the process shares with its shell. */
    while (off < b.len) {
        ssize_t w = write(STDOUT_FILENO, strbuf_str(&b) + off, b.len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            o->kind = OUTCOME_RETRY;
            snprintf(o->error, sizeof(o->error), "standard output: %s",
                     w < 0 ? strerror(errno) : "closed");
            strbuf_free(&b);
            return;
        }
        off += (size_t)w;
    }
    strbuf_free(&b);
    o->kind = OUTCOME_SUCCESS;
}
