/* api_config: the api's settings, from the environment (see README's table). */
#ifndef STATUSHAWK_API_CONFIG_H
#define STATUSHAWK_API_CONFIG_H

#include "common/config.h"

#define API_MAX_BODY (64 * 1024)

struct api_config {
    struct common_config common;
    const char *listen;       /* STATUSHAWK_LISTEN, "host:port" */
    char listen_host[256];    /* parsed from listen; brackets of IPv6 removed */
    int listen_port;          /* 0: any free port */
    int threads;              /* STATUSHAWK_API_THREADS */
    int work_threads;         /* STATUSHAWK_WORK_THREADS */
    const char *cors_origins; /* STATUSHAWK_CORS_ORIGINS, comma list or "*" */
    int pbkdf2_iterations;    /* STATUSHAWK_PBKDF2_ITERATIONS, for new hashes */
    int trust_proxy;          /* STATUSHAWK_TRUST_PROXY: client IP from X-Forwarded-For */
    int shutdown_timeout;     /* STATUSHAWK_SHUTDOWN_TIMEOUT, seconds to drain on SIGTERM */
    int token_cache_seconds;  /* STATUSHAWK_TOKEN_CACHE_SECONDS, 0 = off */
    const char *secret_key;   /* SECRET_KEY: signs Telegram link tokens */
    const char *web_root;     /* STATUSHAWK_WEB_ROOT: the dashboard's built files, or "" */
    int allow_private_targets; /* STATUSHAWK_ALLOW_PRIVATE_TARGETS */
    int min_interval;          /* STATUSHAWK_MIN_INTERVAL, seconds */
    const char *telegram_bot_token;      /* TELEGRAM_BOT_TOKEN, or "" */
    const char *telegram_bot_name;       /* TELEGRAM_BOT_NAME, or "" */
    const char *telegram_api_base;       /* TELEGRAM_API_BASE */
    const char *telegram_webhook_secret; /* TELEGRAM_WEBHOOK_SECRET, or "" */
};

/* 0, or -1 with "NAME: what is wrong" in err. flags as for config_load_common_opts. */
int api_config_load(struct api_config *cfg, unsigned flags, char *err, size_t errlen);

#endif
