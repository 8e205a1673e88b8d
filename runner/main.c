/* statushawk-runner: executes the checks. Any number of runners may run at once, on one
 * machine or many; they share the work through the Redis schedule (see runner.h and
 * docs/runner.md). */
#include <curl/curl.h>
#include <stdio.h>
#include <string.h>

#include "common/log.h"
#include "runner/runner.h"
#include "runner/runner_config.h"

static void usage(FILE *out)
{
    fprintf(out, "usage: statushawk-runner [run | version]\n"
                 "  run      claim and execute checks until SIGTERM (the default)\n"
                 "Configuration comes from the environment; see README.md.\n");
}

int main(int argc, char **argv)
{
    const char *cmd = argc > 1 ? argv[1] : "run";
    struct runner_config cfg;
    char err[CONFIG_ERR_MAX];
    int rc;

    if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0) {
        printf("statushawk-runner %s\n", STATUSHAWK_VERSION);
        return 0;
    }
    if (strcmp(cmd, "run") != 0) {
        usage(stderr);
        return 2;
    }
    if (runner_config_load(&cfg, err, sizeof(err)) != 0)
        config_die("statushawk-runner", err);
    log_init("runner", cfg.common.log_level, cfg.common.log_format);
    if (curl_global_init(CURL_GLOBAL_ALL) != CURLE_OK) {
        log_error("curl_global_init failed");
        return 1;
    }
    rc = runner_run(&cfg);
    curl_global_cleanup();
    return rc;
}
