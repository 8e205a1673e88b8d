/* createsuperuser: `statushawk-api createsuperuser` creates the admin account, or
 * brings an existing one to the given state (staff, active, that password). Running it
 * again with the same arguments changes nothing. */
#ifndef STATUSHAWK_API_CREATESUPERUSER_H
#define STATUSHAWK_API_CREATESUPERUSER_H

#include "api/api_config.h"

/* argv holds the arguments after the subcommand. Returns the process exit status. */
int createsuperuser_main(const struct api_config *cfg, int argc, char **argv);

#endif
