/* decide: from a monitor's working state and one check's outcome to its next state.
 * Pure: no I/O, so every rule is unit-tested.
 *
 *   up                      -> UP at once, failures forgotten
 *   down while UP/PENDING   -> re-check after RETRY_DELAY until `retries` re-checks have
 *                              failed too; then DOWN (no alert on one blip)
 *   down while DOWN         -> stays DOWN
 *
 * A new monitor (PENDING) goes through the same confirmation, so its first DOWN is as
 * certain as any other. Only a confirmed status is written to PostgreSQL, where the
 * conditional update decides whether it is a transition (see persist.c). */
#ifndef STATUSHAWK_RUNNER_DECIDE_H
#define STATUSHAWK_RUNNER_DECIDE_H

#include <stdint.h>

enum mon_status { MON_PENDING = 0, MON_UP, MON_DOWN };

#define DECIDE_MAX_FAILS 1000000 /* the counter stops here; only "more than retries" matters */

/* The working state kept in <prefix>state:<id>. */
struct mon_state {
    enum mon_status status;
    int fails;             /* consecutive failed checks */
    int64_t fail_since_ms; /* when the first of them ran; 0 when fails is 0 */
};

struct decision {
    struct mon_state next;
    enum mon_status confirmed; /* MON_UP or MON_DOWN to write; MON_PENDING: nothing yet */
    int recheck;               /* 1: check again after the retry delay, not the interval */
};

void decide(const struct mon_state *prev, int up, int retries, int64_t checked_ms,
            struct decision *out);

/* The next due time: a re-check after retry_delay_ms; otherwise due + interval, or
 * now + interval when that is already past, so the cadence does not drift. */
int64_t decide_next_due(int64_t due_ms, int64_t now_ms, int interval_s, int recheck,
                        int64_t retry_delay_ms);

const char *mon_status_name(enum mon_status s);
/* "UP", "DOWN", "PENDING" (anything else reads as PENDING). */
enum mon_status mon_status_parse(const char *s);

#endif
