/* config: see config.h. */
#include "common/config.h"

#include <errno.h>
#include <libpq-fe.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

static const char *env_value(const char *name)
{
    const char *v = getenv(name);
    return (v && *v) ? v : NULL;
}

static int parse_long(const char *s, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end != '\0')
        return -1;
    *out = v;
    return 0;
}

static int parse_bool(const char *s, int *out)
{
    static const char *const yes[] = {"true", "1", "yes", "on"};
    static const char *const no[] = {"false", "0", "no", "off"};
    for (size_t i = 0; i < 4; i++) {
        if (strcasecmp(s, yes[i]) == 0) {
            *out = 1;
            return 0;
        }
        if (strcasecmp(s, no[i]) == 0) {
            *out = 0;
            return 0;
        }
    }
    return -1;
}

static int apply_entry(void *target, const struct config_entry *e, const char *value, char *err,
                       size_t errlen)
{
    void *field = (char *)target + e->offset;
    long l;

    switch (e->type) {
    case CONFIG_STRING:
        *(const char **)field = value;
        return 0;
    case CONFIG_INT:
        if (parse_long(value, &l) != 0 || l < e->min || l > e->max) {
            snprintf(err, errlen, "%s: must be an integer from %ld to %ld, got \"%.64s\"", e->name,
                     e->min, e->max, value);
            return -1;
        }
        *(int *)field = (int)l;
        return 0;
    case CONFIG_BOOL:
        if (parse_bool(value, (int *)field) != 0) {
            snprintf(err, errlen, "%s: must be true or false, got \"%.64s\"", e->name, value);
            return -1;
        }
        return 0;
    case CONFIG_LOG_LEVEL:
        if (log_parse_level(value, (enum log_level *)field) != 0) {
            snprintf(err, errlen, "%s: must be one of debug, info, warn, error, got \"%.64s\"",
                     e->name, value);
            return -1;
        }
        return 0;
    case CONFIG_LOG_FORMAT:
        if (log_parse_format(value, (enum log_format *)field) != 0) {
            snprintf(err, errlen, "%s: must be text or json, got \"%.64s\"", e->name, value);
            return -1;
        }
        return 0;
    }
    snprintf(err, errlen, "%s: unknown setting type", e->name);
    return -1;
}

int config_apply(void *target, const struct config_entry *table, size_t n, char *err, size_t errlen)
{
    for (size_t i = 0; i < n; i++) {
        const char *value = env_value(table[i].name);
        if (!value)
            value = table[i].default_value;
        if (value && apply_entry(target, &table[i], value, err, errlen) != 0)
            return -1;
    }
    return 0;
}

/* Appends "key='value' " to a libpq keyword conninfo, quoting as libpq requires. */
static int conninfo_append(char *buf, size_t cap, const char *key, const char *value)
{
    size_t len = strlen(buf);
    int n = snprintf(buf + len, cap - len, "%s%s='", len ? " " : "", key);
    if (n < 0 || (size_t)n >= cap - len)
        return -1;
    len += (size_t)n;
    for (const char *p = value; *p; p++) {
        if (len + 3 >= cap)
            return -1;
        if (*p == '\'' || *p == '\\')
            buf[len++] = '\\';
        buf[len++] = *p;
    }
    buf[len++] = '\'';
    buf[len] = '\0';
    return 0;
}

/* The seed's DB_* variables, turned into a keyword conninfo. */
static int database_from_parts(struct common_config *c, char *err, size_t errlen)
{
    static const char *const keys[][2] = {{"DB_HOST", "host"},
                                          {"DB_PORT", "port"},
                                          {"DB_NAME", "dbname"},
                                          {"DB_USER", "user"},
                                          {"DB_PASSWORD", "password"}};
    long port;

    if (!env_value("DB_NAME")) {
        snprintf(err, errlen, "DB_NAME: must be set when DB_HOST is used instead of DATABASE_URL");
        return -1;
    }
    if (env_value("DB_PORT") &&
        (parse_long(env_value("DB_PORT"), &port) != 0 || port < 1 || port > 65535)) {
        snprintf(err, errlen, "DB_PORT: must be a port number from 1 to 65535, got \"%.64s\"",
                 env_value("DB_PORT"));
        return -1;
    }
    c->database_url[0] = '\0';
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        const char *v = env_value(keys[i][0]);
        if (v && conninfo_append(c->database_url, sizeof(c->database_url), keys[i][1], v) != 0) {
            snprintf(err, errlen, "%s: value too long", keys[i][0]);
            return -1;
        }
    }
    return 0;
}

static int load_database(struct common_config *c, char *err, size_t errlen)
{
    const char *url = env_value("DATABASE_URL");
    char *pqerr = NULL;
    PQconninfoOption *opts;

    if (!url) {
        if (!env_value("DB_HOST")) {
            snprintf(err, errlen, "DATABASE_URL: must be set (or DB_HOST and DB_NAME)");
            return -1;
        }
        return database_from_parts(c, err, errlen);
    }
    if (strlen(url) >= sizeof(c->database_url)) {
        snprintf(err, errlen, "DATABASE_URL: longer than %zu characters",
                 sizeof(c->database_url) - 1);
        return -1;
    }
    opts = PQconninfoParse(url, &pqerr);
    if (!opts) {
        /* libpq's message ends in a newline; keep the error to one line. */
        size_t n = pqerr ? strcspn(pqerr, "\n") : 0;
        snprintf(err, errlen, "DATABASE_URL: not a valid PostgreSQL URL or conninfo (%.*s)", (int)n,
                 pqerr ? pqerr : "");
        PQfreemem(pqerr);
        return -1;
    }
    PQconninfoFree(opts);
    strcpy(c->database_url, url);
    return 0;
}

static int load_redis(struct common_config *c, unsigned flags, char *err, size_t errlen)
{
    const char *name = "REDIS_URL";
    const char *url = env_value(name);
    char why[256];

    if (!url) {
        name = "CELERY_BROKER_URL";
        url = env_value(name);
    }
    if (!url && (flags & CONFIG_REDIS_OPTIONAL))
        return 0;
    if (!url) {
        snprintf(err, errlen, "REDIS_URL: must be set (or CELERY_BROKER_URL)");
        return -1;
    }
    if (redis_url_parse(url, &c->redis, why, sizeof(why)) != 0) {
        snprintf(err, errlen, "%s: %s", name, why);
        return -1;
    }
    c->has_redis = 1;
    return 0;
}

int config_load_common(struct common_config *c, char *err, size_t errlen)
{
    return config_load_common_opts(c, 0, err, errlen);
}

int config_load_common_opts(struct common_config *c, unsigned flags, char *err, size_t errlen)
{
    static const struct config_entry table[] = {
        {"STATUSHAWK_REDIS_PREFIX", CONFIG_STRING, offsetof(struct common_config, redis_prefix),
         "sh:", 0, 0},
        {"LOG_LEVEL", CONFIG_LOG_LEVEL, offsetof(struct common_config, log_level), "info", 0, 0},
        {"LOG_FORMAT", CONFIG_LOG_FORMAT, offsetof(struct common_config, log_format), "text", 0, 0},
        {"STATUSHAWK_DB_TIMEOUT_MS", CONFIG_INT, offsetof(struct common_config, db_timeout_ms),
         "5000", 100, 3600000},
    };

    memset(c, 0, sizeof(*c));
    if (config_apply(c, table, sizeof(table) / sizeof(table[0]), err, errlen) != 0)
        return -1;
    if (strlen(c->redis_prefix) > 64 || strpbrk(c->redis_prefix, " \t\r\n")) {
        snprintf(err, errlen, "STATUSHAWK_REDIS_PREFIX: at most 64 characters, no whitespace");
        return -1;
    }
    if (load_database(c, err, errlen) != 0)
        return -1;
    return load_redis(c, flags, err, errlen);
}

int config_parse_listen(const char *name, const char *value, char *host, size_t hostsz,
                        int *port, char *err, size_t errlen)
{
    const char *colon = strrchr(value, ':'), *h = value;
    size_t hostlen;
    long p;

    if (!colon)
        goto bad;
    hostlen = (size_t)(colon - value);
    if (hostlen >= 2 && value[0] == '[' && value[hostlen - 1] == ']') {
        h++;
        hostlen -= 2;
    } else if (memchr(value, ':', hostlen)) {
        goto bad; /* an IPv6 address must be bracketed */
    }
    if (hostlen >= hostsz || parse_long(colon + 1, &p) != 0 || p < 0 || p > 65535)
        goto bad;
    memcpy(host, h, hostlen);
    host[hostlen] = '\0';
    *port = (int)p;
    return 0;
bad:
    snprintf(err, errlen, "%s: must be host:port or [ipv6]:port, got \"%.64s\"", name, value);
    return -1;
}

void config_die(const char *prog, const char *err)
{
    fprintf(stderr, "%s: %s\n", prog, err);
    exit(2);
}

int config_cpu_count(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : (n > 256 ? 256 : (int)n);
}
