/* config: settings come from the environment only. Each executable describes its
 * settings as a table (name, type, target, default, bounds) applied in one place;
 * the first bad or missing value stops the process with one line naming it. */
#ifndef STATUSHAWK_COMMON_CONFIG_H
#define STATUSHAWK_COMMON_CONFIG_H

#include <stddef.h>

#include "common/log.h"
#include "common/redis.h"

#define CONFIG_ERR_MAX 512

enum config_type {
    CONFIG_STRING,     /* const char *: borrowed from the environment or the default */
    CONFIG_INT,        /* int within [min, max] */
    CONFIG_BOOL,       /* int 0/1 from true/false, 1/0, yes/no, on/off */
    CONFIG_LOG_LEVEL,  /* enum log_level */
    CONFIG_LOG_FORMAT, /* enum log_format */
};

struct config_entry {
    const char *name;
    enum config_type type;
    size_t offset;             /* of the target field in the struct passed to config_apply */
    const char *default_value; /* used when unset; NULL keeps what the caller put there */
    long min, max;             /* bounds for CONFIG_INT */
};

/* Applies every entry of table to target. On the first bad value writes
 * "NAME: what is wrong" to err and returns -1; 0 otherwise. An empty variable counts
 * as unset. */
int config_apply(void *target, const struct config_entry *table, size_t n, char *err,
                 size_t errlen);

/* What every StatusHawk process needs: where PostgreSQL and Redis are, and logging. */
struct common_config {
    char database_url[2048]; /* libpq conninfo: DATABASE_URL, or built from DB_* */
    struct redis_target redis;
    const char *redis_prefix;
    enum log_level log_level;
    enum log_format log_format;
    int db_timeout_ms; /* STATUSHAWK_DB_TIMEOUT_MS: the longest one query may take */
    int has_redis;     /* 0 only when loaded with CONFIG_REDIS_OPTIONAL and none is set */
};

/* DATABASE_URL (or DB_HOST, DB_PORT, DB_NAME, DB_USER, DB_PASSWORD), REDIS_URL (or
 * CELERY_BROKER_URL), STATUSHAWK_REDIS_PREFIX, STATUSHAWK_DB_TIMEOUT_MS, LOG_LEVEL,
 * LOG_FORMAT. 0 or -1 + err. */
int config_load_common(struct common_config *c, char *err, size_t errlen);

/* For commands that never touch Redis (migrate, createsuperuser): a missing REDIS_URL is
 * not an error then, though a malformed one still is. */
#define CONFIG_REDIS_OPTIONAL 1u
int config_load_common_opts(struct common_config *c, unsigned flags, char *err, size_t errlen);

/* Parses a listen address for the setting name: "host:port", "[ipv6]:port" or ":port"
 * (all interfaces: host becomes ""). 0, or -1 with "NAME: what is wrong" in err. */
int config_parse_listen(const char *name, const char *value, char *host, size_t hostsz,
                        int *port, char *err, size_t errlen);

/* Prints "<prog>: <err>" to stderr and exits with status 2. */
void config_die(const char *prog, const char *err) __attribute__((noreturn));

/* The number of online CPUs, at least 1: the default for thread counts. */
int config_cpu_count(void);

#endif
