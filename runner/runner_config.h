/* runner_config: the runner's settings, from the environment (see README's table and
 * docs/runner.md). Every value is checked at start; the first bad one stops the process
 * with one line naming it. */
#ifndef STATUSHAWK_RUNNER_CONFIG_H
#define STATUSHAWK_RUNNER_CONFIG_H

#include "common/config.h"

struct runner_config {
    struct common_config common;
    int max_inflight;           /* RUNNER_MAX_INFLIGHT: checks claimed and not finished */
    int claim_batch;            /* RUNNER_CLAIM_BATCH: most monitors taken by one claim */
    int retry_delay_s;          /* RETRY_DELAY: seconds before a failed check is re-checked */
    int anomaly_cooldown_s;     /* ANOMALY_COOLDOWN: seconds between anomaly alerts */
    int anomaly_min_delta_ms;   /* ANOMALY_MIN_DELTA_MS: smaller slow-downs are noise */
    int buffer_max;             /* RUNNER_BUFFER_MAX: results held while PostgreSQL is away */
    int batch_rows;             /* RUNNER_BATCH_ROWS: a batch is written at this many rows */
    int batch_interval_ms;      /* RUNNER_BATCH_INTERVAL_MS: ... or after this long */
    int lease_margin_ms;        /* RUNNER_LEASE_MARGIN_MS: lease = check timeout + this */
    int alert_queue_max;        /* RUNNER_ALERT_QUEUE_MAX: alerts held while Redis is away */
    const char *http_listen;    /* RUNNER_HTTP_LISTEN: "host:port", "" = no endpoint */
    char listen_host[256];      /* parsed from http_listen */
    int listen_port;            /* 0: any free port (logged) */
    int allow_private_targets;  /* STATUSHAWK_ALLOW_PRIVATE_TARGETS */
    int retention_days;         /* STATUSHAWK_RETENTION_DAYS: check_results kept this long */
    int reconcile_interval_s;   /* RUNNER_RECONCILE_INTERVAL */
    int maintenance_interval_s; /* RUNNER_MAINTENANCE_INTERVAL */
    int shutdown_timeout_s;     /* RUNNER_SHUTDOWN_TIMEOUT: SIGTERM to exit, at most */
    const char *ca_bundle;      /* RUNNER_CA_BUNDLE: PEM file of trusted CAs, "" = system */
};

/* 0, or -1 with "NAME: what is wrong" in err. */
int runner_config_load(struct runner_config *cfg, char *err, size_t errlen);

#endif
