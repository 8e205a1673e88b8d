/* decide: see decide.h. */
#include "runner/decide.h"

#include <string.h>

void decide(const struct mon_state *prev_in, int up, int retries, int64_t checked_ms,
            struct decision *out)
{
    /* A copy: callers may pass the previous decision's state as prev. */
    const struct mon_state copy = *prev_in, *prev = &copy;

    memset(out, 0, sizeof(*out));
    if (up) {
        out->next.status = MON_UP;
        out->confirmed = MON_UP;
        return;
    }
    out->next.fails = prev->fails < DECIDE_MAX_FAILS ? prev->fails + 1 : DECIDE_MAX_FAILS;
    out->next.fail_since_ms =
        (prev->fails > 0 && prev->fail_since_ms > 0) ? prev->fail_since_ms : checked_ms;
    if (prev->status == MON_DOWN || out->next.fails > retries) {
        out->next.status = MON_DOWN;
        out->confirmed = MON_DOWN;
        return;
    }
    out->next.status = prev->status;
    out->confirmed = MON_PENDING;
    out->recheck = 1;
}

int64_t decide_next_due(int64_t due_ms, int64_t now_ms, int interval_s, int recheck,
                        int64_t retry_delay_ms)
{
    int64_t next;

    if (recheck)
        return now_ms + retry_delay_ms;
    next = due_ms + (int64_t)interval_s * 1000;
    return next > now_ms ? next : now_ms + (int64_t)interval_s * 1000;
}

const char *mon_status_name(enum mon_status s)
{
    switch (s) {
    case MON_UP:
        return "UP";
    case MON_DOWN:
        return "DOWN";
    case MON_PENDING:
        break;
    }
    return "PENDING";
}

enum mon_status mon_status_parse(const char *s)
{
    if (s && strcmp(s, "UP") == 0)
        return MON_UP;
    if (s && strcmp(s, "DOWN") == 0)
        return MON_DOWN;
    return MON_PENDING;
}
