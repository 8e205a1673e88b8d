/* api_config: see api_config.h. */
#include "api/api_config.h"

#include <string.h>

int api_config_load(struct api_config *cfg, unsigned flags, char *err, size_t errlen)
{
    static const struct config_entry table[] = {
        {"STATUSHAWK_LISTEN", CONFIG_STRING, offsetof(struct api_config, listen), "0.0.0.0:8000", 0,
         0},
        {"STATUSHAWK_API_THREADS", CONFIG_INT, offsetof(struct api_config, threads), NULL, 1, 256},
        {"STATUSHAWK_WORK_THREADS", CONFIG_INT, offsetof(struct api_config, work_threads), NULL, 1,
         64},
        {"STATUSHAWK_CORS_ORIGINS", CONFIG_STRING, offsetof(struct api_config, cors_origins), "", 0,
         0},
        {"STATUSHAWK_PBKDF2_ITERATIONS", CONFIG_INT, offsetof(struct api_config, pbkdf2_iterations),
         "600000", 1000, 10000000},
        {"STATUSHAWK_TRUST_PROXY", CONFIG_BOOL, offsetof(struct api_config, trust_proxy), "false",
         0, 0},
        {"STATUSHAWK_SHUTDOWN_TIMEOUT", CONFIG_INT, offsetof(struct api_config, shutdown_timeout),
         "30", 1, 3600},
        {"STATUSHAWK_TOKEN_CACHE_SECONDS", CONFIG_INT,
         offsetof(struct api_config, token_cache_seconds), "5", 0, 60},
        {"SECRET_KEY", CONFIG_STRING, offsetof(struct api_config, secret_key), "", 0, 0},
        {"STATUSHAWK_WEB_ROOT", CONFIG_STRING, offsetof(struct api_config, web_root), "", 0, 0},
        {"STATUSHAWK_ALLOW_PRIVATE_TARGETS", CONFIG_BOOL,
         offsetof(struct api_config, allow_private_targets), "false", 0, 0},
        {"STATUSHAWK_MIN_INTERVAL", CONFIG_INT, offsetof(struct api_config, min_interval), "10", 1,
         86400},
        {"TELEGRAM_BOT_TOKEN", CONFIG_STRING, offsetof(struct api_config, telegram_bot_token), "",
         0, 0},
        {"TELEGRAM_BOT_NAME", CONFIG_STRING, offsetof(struct api_config, telegram_bot_name), "", 0,
         0},
        {"TELEGRAM_API_BASE", CONFIG_STRING, offsetof(struct api_config, telegram_api_base),
         "https://api.telegram.org", 0, 0},
        {"TELEGRAM_WEBHOOK_SECRET", CONFIG_STRING,
         offsetof(struct api_config, telegram_webhook_secret), "", 0, 0},
    };

    memset(cfg, 0, sizeof(*cfg));
    if (config_load_common_opts(&cfg->common, flags, err, errlen) != 0)
        return -1;
    cfg->threads = config_cpu_count();
    cfg->work_threads = config_cpu_count();
    if (config_apply(cfg, table, sizeof(table) / sizeof(table[0]), err, errlen) != 0)
        return -1;
    return config_parse_listen("STATUSHAWK_LISTEN", cfg->listen, cfg->listen_host,
                               sizeof(cfg->listen_host), &cfg->listen_port, err, errlen);
}
