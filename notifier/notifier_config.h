/* notifier_config: the notifier's settings, from the environment (table in
 * docs/notifier.md). Every value is checked at start; the first bad one ends the process
 * with a line naming it (exit status 2). */
#ifndef STATUSHAWK_NOTIFIER_CONFIG_H
#define STATUSHAWK_NOTIFIER_CONFIG_H

#include "common/config.h"

#define NOTIFIER_MAX_RETRY_STEPS 16

enum telegram_mode {
    TELEGRAM_MODE_OFF,     /* no bot token: Telegram channels fail with a clear error */
    TELEGRAM_MODE_POLLING, /* this process may long-poll getUpdates (holding the lock) */
    TELEGRAM_MODE_WEBHOOK, /* the api receives updates; the notifier registers the URL */
};

struct notifier_config {
    struct common_config common;

    const char *http_listen; /* NOTIFIER_HTTP_LISTEN, "host:port" */
    char http_host[256];
    int http_port;
    const char *consumer; /* NOTIFIER_CONSUMER; default <hostname>-<pid>-<random> */
    char consumer_buf[128];

    int claim_idle_s;         /* NOTIFIER_CLAIM_IDLE: entries idle this long are taken over */
    int read_batch;           /* NOTIFIER_READ_BATCH: XREADGROUP COUNT */
    int max_inflight;         /* NOTIFIER_MAX_INFLIGHT: events + deliveries held in memory */
    int db_connections;       /* NOTIFIER_DB_CONNECTIONS */
    int max_attempts;         /* NOTIFIER_MAX_ATTEMPTS */
    const char *retry_delays; /* NOTIFIER_RETRY_DELAYS_MS, comma list */
    int retry_delay_ms[NOTIFIER_MAX_RETRY_STEPS];
    int retry_steps;
    int retry_jitter_pct;   /* NOTIFIER_RETRY_JITTER_PCT */
    int retry_poll_ms;      /* NOTIFIER_RETRY_POLL_MS: how often due retries are taken */
    int retry_lease_s;      /* NOTIFIER_RETRY_LEASE: a taken retry comes back after this */
    int sweep_after_s;      /* NOTIFIER_SWEEP_AFTER: pending rows older than this are requeued */
    int send_timeout_ms;    /* NOTIFIER_SEND_TIMEOUT_MS: one HTTP request */
    int shutdown_timeout_s; /* NOTIFIER_SHUTDOWN_TIMEOUT */

    int digest_min;       /* NOTIFIER_DIGEST_MIN: this many waiting for a chat become one */
    int digest_max;       /* NOTIFIER_DIGEST_MAX: alerts in one digest at most */
    int digest_gather_ms; /* NOTIFIER_DIGEST_GATHER_MS: wait this long for more in a storm */

    int tg_private_per_min; /* NOTIFIER_TG_PRIVATE_PER_MIN */
    int tg_private_burst;
    int tg_group_per_min; /* NOTIFIER_TG_GROUP_PER_MIN */
    int tg_group_burst;
    int tg_bot_per_s; /* NOTIFIER_TG_BOT_PER_S */
    int tg_bot_burst;

    const char *telegram_bot_token; /* TELEGRAM_BOT_TOKEN */
    const char *telegram_api_base;  /* TELEGRAM_API_BASE */
    const char *telegram_mode_name; /* TELEGRAM_MODE: auto|polling|webhook|off */
    enum telegram_mode telegram_mode;
    const char *telegram_webhook_url;    /* TELEGRAM_WEBHOOK_URL */
    const char *telegram_webhook_secret; /* TELEGRAM_WEBHOOK_SECRET */
    int tg_poll_timeout_s;               /* NOTIFIER_TG_POLL_TIMEOUT: getUpdates long poll */
    int tg_lock_ttl_s;                   /* NOTIFIER_TG_LOCK_TTL */
    const char *secret_key;              /* SECRET_KEY: verifies /start tokens */

    int allow_private_targets; /* STATUSHAWK_ALLOW_PRIVATE_TARGETS: webhook URLs */
};

/* 0, or -1 with "NAME: what is wrong" in err. */
int notifier_config_load(struct notifier_config *cfg, char *err, size_t errlen);

/* Parses "1000,5000,30000" into ms values (each 1..86400000). Returns the count, or -1. */
int notifier_config_parse_delays(const char *s, int out[NOTIFIER_MAX_RETRY_STEPS]);

#endif
