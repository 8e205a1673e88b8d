/* runner_config: see runner_config.h. */
#include "runner/runner_config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int runner_config_load(struct runner_config *cfg, char *err, size_t errlen)
{
#define RC(name, type, field, def, min, max)                                                       \
    {                                                                                              \
        name, type, offsetof(struct runner_config, field), def, min, max                           \
    }
    static const struct config_entry table[] = {
        RC("RUNNER_MAX_INFLIGHT", CONFIG_INT, max_inflight, "1000", 1, 100000),
        RC("RUNNER_CLAIM_BATCH", CONFIG_INT, claim_batch, "250", 1, 10000),
        RC("RETRY_DELAY", CONFIG_INT, retry_delay_s, "5", 0, 3600),
        RC("ANOMALY_COOLDOWN", CONFIG_INT, anomaly_cooldown_s, "900", 0, 7 * 86400),
        RC("ANOMALY_MIN_DELTA_MS", CONFIG_INT, anomaly_min_delta_ms, "5", 0, 600000),
        RC("RUNNER_BUFFER_MAX", CONFIG_INT, buffer_max, "100000", 100, 10000000),
        RC("RUNNER_BATCH_ROWS", CONFIG_INT, batch_rows, "1000", 1, 10000),
        RC("RUNNER_BATCH_INTERVAL_MS", CONFIG_INT, batch_interval_ms, "200", 10, 60000),
        RC("RUNNER_LEASE_MARGIN_MS", CONFIG_INT, lease_margin_ms, "5000", 100, 600000),
        RC("RUNNER_ALERT_QUEUE_MAX", CONFIG_INT, alert_queue_max, "10000", 10, 1000000),
        RC("RUNNER_HTTP_LISTEN", CONFIG_STRING, http_listen, "0.0.0.0:9100", 0, 0),
        RC("STATUSHAWK_ALLOW_PRIVATE_TARGETS", CONFIG_BOOL, allow_private_targets, "false", 0, 0),
        RC("STATUSHAWK_RETENTION_DAYS", CONFIG_INT, retention_days, "90", 1, 36500),
        RC("RUNNER_RECONCILE_INTERVAL", CONFIG_INT, reconcile_interval_s, "30", 1, 3600),
        RC("RUNNER_MAINTENANCE_INTERVAL", CONFIG_INT, maintenance_interval_s, "300", 5, 86400),
        RC("RUNNER_SHUTDOWN_TIMEOUT", CONFIG_INT, shutdown_timeout_s, "20", 1, 3600),
        RC("RUNNER_CA_BUNDLE", CONFIG_STRING, ca_bundle, "", 0, 0),
    };
#undef RC

    memset(cfg, 0, sizeof(*cfg));
    if (config_load_common(&cfg->common, err, errlen) != 0)
        return -1;
    if (config_apply(cfg, table, sizeof(table) / sizeof(table[0]), err, errlen) != 0)
        return -1;
    if (cfg->claim_batch > cfg->max_inflight)
        cfg->claim_batch = cfg->max_inflight;
    /* "" turns the endpoint off. */
    if (cfg->http_listen[0] == '\0')
        return 0;
    if (config_parse_listen("RUNNER_HTTP_LISTEN", cfg->http_listen, cfg->listen_host,
                            sizeof(cfg->listen_host), &cfg->listen_port, err, errlen) != 0)
        return -1;
    if (cfg->listen_host[0] == '\0')
        strcpy(cfg->listen_host, "0.0.0.0");
    return 0;
}
