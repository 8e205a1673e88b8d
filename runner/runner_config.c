/* runner_config: see runner_config.h. */
#include "runner/runner_config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* "host:port", "[v6addr]:port" or ":port" (all interfaces); "" turns the endpoint off. */
static int parse_listen(struct runner_config *cfg, char *err, size_t errlen)
{
    const char *s = cfg->http_listen, *colon = strrchr(s, ':');
    const char *host = s;
    size_t hostlen;
    long port;
    char *end;

    if (s[0] == '\0')
        return 0;
    if (!colon)
        goto bad;
    hostlen = (size_t)(colon - s);
    if (hostlen >= 2 && s[0] == '[' && s[hostlen - 1] == ']') {
        host++;
        hostlen -= 2;
    } else if (memchr(s, ':', hostlen)) {
        goto bad; /* an IPv6 address must be bracketed */
    }
    if (hostlen >= sizeof(cfg->listen_host))
        goto bad;
    port = strtol(colon + 1, &end, 10);
    if (colon[1] == '\0' || *end != '\0' || port < 0 || port > 65535)
        goto bad;
    memcpy(cfg->listen_host, host, hostlen);
    cfg->listen_host[hostlen] = '\0';
    if (hostlen == 0)
        strcpy(cfg->listen_host, "0.0.0.0");
    cfg->listen_port = (int)port;
    return 0;
bad:
    snprintf(err, errlen, "RUNNER_HTTP_LISTEN: must be host:port or [ipv6]:port, got \"%.64s\"", s);
    return -1;
}

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
    return parse_listen(cfg, err, errlen);
}
