/* statushawk-api: the REST API server, and the commands that prepare its database. */
#include <stdio.h>
#include <string.h>

#include "api/api_config.h"
#include "api/createsuperuser.h"
#include "api/server.h"
#include "common/db.h"
#include "common/log.h"
#include "common/migrate.h"

static void usage(FILE *out)
{
    fprintf(out, "usage: statushawk-api [serve | migrate | createsuperuser [options] | version]\n"
                 "  serve            run the HTTP server (the default)\n"
                 "  migrate          apply the database migrations this build carries\n"
                 "  createsuperuser  --email E --password P [--first-name F] [--last-name L]\n"
                 "Configuration comes from the environment; see README.md.\n");
}

static int run_migrate(const struct api_config *cfg)
{
    struct db *db = db_new(cfg->common.database_url, "statushawk-migrate");
    char err[512];
    int applied, rc;

    if (!db)
        return 1;
    rc = migrate_run(db, &applied, err, sizeof(err));
    if (rc != 0)
        log_error("migrate: %s", err);
    else
        log_info("migrate: %d applied, %zu in total, database up to date", applied,
                 migrations_embedded_count);
    db_free(db);
    return rc == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
    const char *cmd = argc > 1 ? argv[1] : "serve";
    struct api_config cfg;
    char err[CONFIG_ERR_MAX];

    if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0) {
        printf("statushawk-api %s\n", STATUSHAWK_VERSION);
        return 0;
    }
    if (strcmp(cmd, "serve") != 0 && strcmp(cmd, "migrate") != 0 &&
        strcmp(cmd, "createsuperuser") != 0) {
        usage(stderr);
        return 2;
    }
    /* migrate and createsuperuser work on PostgreSQL alone: jobs that run them need no
     * Redis settings. */
    if (api_config_load(&cfg, strcmp(cmd, "serve") == 0 ? 0 : CONFIG_REDIS_OPTIONAL, err,
                        sizeof(err)) != 0)
        config_die("statushawk-api", err);
    log_init("api", cfg.common.log_level, cfg.common.log_format);

    if (strcmp(cmd, "migrate") == 0)
        return run_migrate(&cfg);
    if (strcmp(cmd, "createsuperuser") == 0)
        return createsuperuser_main(&cfg, argc - 1, argv + 1);
    return server_run(&cfg);
}
