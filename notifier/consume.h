/* consume: the notifier's side of the <prefix>alerts stream. It reads new entries with
 * XREADGROUP in group "notifiers" (created, from the start of the stream, if missing)
 * under this process's consumer name, takes over entries other notifiers left pending for
 * NOTIFIER_CLAIM_IDLE with XAUTOCLAIM, keeps its own entries from looking idle while they
 * wait (XCLAIM ... JUSTID on them every third of that time), and XACKs an entry once every
 * delivery of its alert is done or queued for retry.
 *
 * An entry whose outcome is not certain (the database could not say whether a delivery
 * was taken, say) is not acknowledged: it stays pending, and after NOTIFIER_CLAIM_IDLE
 * any notifier — this one too — takes it over and the audit log decides what is left. */
#ifndef STATUSHAWK_NOTIFIER_CONSUME_H
#define STATUSHAWK_NOTIFIER_CONSUME_H

#include <stdint.h>

#include "notifier/alertmsg.h"

struct notifier;

#define JOB_ID_MAX 48

/* One alert event in flight. Owned by consume; fanout and deliver hold references. */
struct job {
    char id[JOB_ID_MAX]; /* stream entry id */
    int64_t xadd_ms;     /* its time part: when the alert was added */
    struct alert_event ev;
    int refs;                /* fan-out (1) + deliveries not finished */
    int uncertain;           /* do not acknowledge */
    struct job *prev, *next; /* in flight */
    struct job *hnext;       /* id hash chain */
    struct job *qnext;       /* the fan-out queue */
};

struct consume *consume_new(struct notifier *n);
void consume_free(struct consume *c);

/* Starts (or resumes) reading; called when Redis connects and when capacity frees up. */
void consume_kick(struct consume *c);

/* Stops reading and claiming (shutdown). Entries in flight are still finished. */
void consume_stop(struct consume *c);

void job_ref(struct job *j);
/* Drops one reference; certain = 0 marks the job uncertain. At zero the entry is
 * acknowledged (unless uncertain) and the job freed. */
void consume_job_release(struct consume *c, struct job *j, int certain);

/* Jobs in flight. */
long consume_jobs(const struct consume *c);

/* 1 when nothing is in flight: no job, no read or claim outstanding, no XACK unsent. */
int consume_idle(const struct consume *c);

/* The group's pending count, as last seen (for /metrics). */
long consume_stream_pending(const struct consume *c);

/* The ms part of a stream id ("1700000000000-0"), 0 when malformed. */
int64_t consume_id_ms(const char *id);

#endif
