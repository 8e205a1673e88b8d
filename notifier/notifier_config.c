/* notifier_config: see notifier_config.h. */
#include "notifier/notifier_config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/crypto.h"

int notifier_config_parse_delays(const char *s, int out[NOTIFIER_MAX_RETRY_STEPS])
{
    int n = 0;
    const char *p = s;

    while (*p) {
        char *end;
        errno = 0;
        long v = strtol(p, &end, 10);
        if (errno || end == p || v < 1 || v > 86400000L || n == NOTIFIER_MAX_RETRY_STEPS)
            return -1;
        out[n++] = (int)v;
        while (*end == ' ')
            end++;
        if (*end == ',')
            end++;
        else if (*end)
            return -1;
        while (*end == ' ')
            end++;
        p = end;
    }
    return n > 0 ? n : -1;
}

static int default_consumer(struct notifier_config *cfg)
{
    char host[64] = "notifier";
    unsigned char rnd[3];
    char hex[7];

    if (gethostname(host, sizeof(host)) != 0)
        snprintf(host, sizeof(host), "notifier");
    host[sizeof(host) - 1] = '\0';
    if (crypto_random_bytes(rnd, sizeof(rnd)) != 0)
        return -1;
    crypto_hex_encode(rnd, sizeof(rnd), hex);
    /* The random part keeps a restarted process (same host, reused pid) from inheriting
     * the entries its predecessor left pending: those are for XAUTOCLAIM to hand out. */
    snprintf(cfg->consumer_buf, sizeof(cfg->consumer_buf), "%s-%ld-%s", host, (long)getpid(), hex);
    cfg->consumer = cfg->consumer_buf;
    return 0;
}

static int load_telegram_mode(struct notifier_config *cfg, char *err, size_t errlen)
{
    const char *m = cfg->telegram_mode_name;
    int have_token = cfg->telegram_bot_token[0] != '\0';

    if (strcmp(m, "auto") == 0) {
        if (!have_token)
            cfg->telegram_mode = TELEGRAM_MODE_OFF;
        else if (cfg->telegram_webhook_url[0])
            cfg->telegram_mode = TELEGRAM_MODE_WEBHOOK;
        else
            cfg->telegram_mode = TELEGRAM_MODE_POLLING;
    } else if (strcmp(m, "polling") == 0) {
        cfg->telegram_mode = TELEGRAM_MODE_POLLING;
    } else if (strcmp(m, "webhook") == 0) {
        cfg->telegram_mode = TELEGRAM_MODE_WEBHOOK;
    } else if (strcmp(m, "off") == 0) {
        cfg->telegram_mode = TELEGRAM_MODE_OFF;
    } else {
        snprintf(err, errlen, "TELEGRAM_MODE: must be auto, polling, webhook or off, got \"%.32s\"",
                 m);
        return -1;
    }
    if (cfg->telegram_mode != TELEGRAM_MODE_OFF && !have_token) {
        snprintf(err, errlen, "TELEGRAM_MODE: %s needs TELEGRAM_BOT_TOKEN", m);
        return -1;
    }
    if (cfg->telegram_mode == TELEGRAM_MODE_WEBHOOK && !cfg->telegram_webhook_url[0]) {
        snprintf(err, errlen, "TELEGRAM_WEBHOOK_URL: must be set when TELEGRAM_MODE is webhook");
        return -1;
    }
    if (cfg->telegram_mode == TELEGRAM_MODE_POLLING && !cfg->secret_key[0]) {
        snprintf(err, errlen, "SECRET_KEY: must be set for Telegram polling (it verifies links)");
        return -1;
    }
    if (strncmp(cfg->telegram_api_base, "http://", 7) != 0 &&
        strncmp(cfg->telegram_api_base, "https://", 8) != 0) {
        snprintf(err, errlen, "TELEGRAM_API_BASE: must start with http:// or https://");
        return -1;
    }
    /* "<bot id>:<secret>". The token goes into URL paths, so nothing outside its own
     * alphabet may pass; the bot id keys the rate limits and the polling offset. */
    if (have_token) {
        const char *t = cfg->telegram_bot_token, *colon = strchr(t, ':');
        size_t idlen = colon ? (size_t)(colon - t) : 0;
        int ok = idlen >= 1 && idlen <= 18 && strspn(t, "0123456789") == idlen && colon[1] &&
                 strspn(colon + 1, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                   "0123456789_-") == strlen(colon + 1);
        if (!ok) {
            snprintf(err, errlen, "TELEGRAM_BOT_TOKEN: not a bot token (<digits>:<letters>)");
            return -1;
        }
    }
    return 0;
}

int notifier_config_load(struct notifier_config *cfg, char *err, size_t errlen)
{
#define F(field) offsetof(struct notifier_config, field)
    static const struct config_entry table[] = {
        {"NOTIFIER_HTTP_LISTEN", CONFIG_STRING, F(http_listen), "0.0.0.0:8002", 0, 0},
        {"NOTIFIER_CONSUMER", CONFIG_STRING, F(consumer), "", 0, 0},
        {"NOTIFIER_CLAIM_IDLE", CONFIG_INT, F(claim_idle_s), "60", 1, 86400},
        {"NOTIFIER_READ_BATCH", CONFIG_INT, F(read_batch), "200", 1, 10000},
        {"NOTIFIER_MAX_INFLIGHT", CONFIG_INT, F(max_inflight), "20000", 10, 1000000},
        {"NOTIFIER_DB_CONNECTIONS", CONFIG_INT, F(db_connections), "2", 1, 32},
        {"NOTIFIER_MAX_ATTEMPTS", CONFIG_INT, F(max_attempts), "6", 1, 100},
        {"NOTIFIER_RETRY_DELAYS_MS", CONFIG_STRING, F(retry_delays),
         "1000,5000,30000,120000,600000", 0, 0},
        {"NOTIFIER_RETRY_JITTER_PCT", CONFIG_INT, F(retry_jitter_pct), "20", 0, 90},
        {"NOTIFIER_RETRY_POLL_MS", CONFIG_INT, F(retry_poll_ms), "500", 10, 60000},
        {"NOTIFIER_RETRY_LEASE", CONFIG_INT, F(retry_lease_s), "120", 1, 86400},
        {"NOTIFIER_SWEEP_AFTER", CONFIG_INT, F(sweep_after_s), "900", 1, 86400 * 7},
        {"NOTIFIER_SEND_TIMEOUT_MS", CONFIG_INT, F(send_timeout_ms), "15000", 100, 300000},
        {"NOTIFIER_SHUTDOWN_TIMEOUT", CONFIG_INT, F(shutdown_timeout_s), "30", 1, 3600},
        {"NOTIFIER_DIGEST_MIN", CONFIG_INT, F(digest_min), "3", 2, 10000},
        {"NOTIFIER_DIGEST_MAX", CONFIG_INT, F(digest_max), "500", 2, 10000},
        {"NOTIFIER_DIGEST_GATHER_MS", CONFIG_INT, F(digest_gather_ms), "250", 0, 60000},
        {"NOTIFIER_TG_PRIVATE_PER_MIN", CONFIG_INT, F(tg_private_per_min), "60", 1, 60000},
        {"NOTIFIER_TG_PRIVATE_BURST", CONFIG_INT, F(tg_private_burst), "3", 1, 1000},
        {"NOTIFIER_TG_GROUP_PER_MIN", CONFIG_INT, F(tg_group_per_min), "20", 1, 60000},
        {"NOTIFIER_TG_GROUP_BURST", CONFIG_INT, F(tg_group_burst), "1", 1, 1000},
        {"NOTIFIER_TG_BOT_PER_S", CONFIG_INT, F(tg_bot_per_s), "30", 1, 100000},
        {"NOTIFIER_TG_BOT_BURST", CONFIG_INT, F(tg_bot_burst), "1", 1, 100000},
        {"TELEGRAM_BOT_TOKEN", CONFIG_STRING, F(telegram_bot_token), "", 0, 0},
        {"TELEGRAM_API_BASE", CONFIG_STRING, F(telegram_api_base), "https://api.telegram.org", 0,
         0},
        {"TELEGRAM_MODE", CONFIG_STRING, F(telegram_mode_name), "auto", 0, 0},
        {"TELEGRAM_WEBHOOK_URL", CONFIG_STRING, F(telegram_webhook_url), "", 0, 0},
        {"TELEGRAM_WEBHOOK_SECRET", CONFIG_STRING, F(telegram_webhook_secret), "", 0, 0},
        {"NOTIFIER_TG_POLL_TIMEOUT", CONFIG_INT, F(tg_poll_timeout_s), "25", 0, 50},
        {"NOTIFIER_TG_LOCK_TTL", CONFIG_INT, F(tg_lock_ttl_s), "30", 2, 3600},
        {"SECRET_KEY", CONFIG_STRING, F(secret_key), "", 0, 0},
        {"STATUSHAWK_ALLOW_PRIVATE_TARGETS", CONFIG_BOOL, F(allow_private_targets), "false", 0, 0},
    };
#undef F

    memset(cfg, 0, sizeof(*cfg));
    if (config_load_common(&cfg->common, err, errlen) != 0)
        return -1;
    if (config_apply(cfg, table, sizeof(table) / sizeof(table[0]), err, errlen) != 0)
        return -1;
    if (config_parse_listen("NOTIFIER_HTTP_LISTEN", cfg->http_listen, cfg->http_host,
                            sizeof(cfg->http_host), &cfg->http_port, err, errlen) != 0)
        return -1;
    if (!cfg->http_host[0]) /* ":port": every interface */
        snprintf(cfg->http_host, sizeof(cfg->http_host), "0.0.0.0");
    cfg->retry_steps = notifier_config_parse_delays(cfg->retry_delays, cfg->retry_delay_ms);
    if (cfg->retry_steps < 0) {
        snprintf(err, errlen,
                 "NOTIFIER_RETRY_DELAYS_MS: must be a comma list of at most %d delays in ms "
                 "(1..86400000), got \"%.64s\"",
                 NOTIFIER_MAX_RETRY_STEPS, cfg->retry_delays);
        return -1;
    }
    if (!cfg->consumer[0]) {
        if (default_consumer(cfg) != 0) {
            snprintf(err, errlen, "NOTIFIER_CONSUMER: cannot make a default name (no randomness)");
            return -1;
        }
    } else if (strlen(cfg->consumer) > 100 || strpbrk(cfg->consumer, " \t\r\n")) {
        snprintf(err, errlen, "NOTIFIER_CONSUMER: at most 100 characters, no whitespace");
        return -1;
    }
    if (cfg->digest_max < cfg->digest_min) {
        snprintf(err, errlen, "NOTIFIER_DIGEST_MAX: must not be below NOTIFIER_DIGEST_MIN (%d)",
                 cfg->digest_min);
        return -1;
    }
    return load_telegram_mode(cfg, err, errlen);
}
