/* accounts: sign up, log in, log out, and who am I (API.md, "Accounts"). Passwords are
 * hashed and verified on the hash pool; the event thread only does the SQL. */
#ifndef STATUSHAWK_API_ACCOUNTS_H
#define STATUSHAWK_API_ACCOUNTS_H

#include "api/api_config.h"

struct api_request;

/* Prepares what the handlers share, among it a dummy hash so that a login for an
 * unknown e-mail costs as much as one for a known one. 0 or -1. */
int accounts_init(const struct api_config *cfg);

void accounts_signup(struct api_request *r);
void accounts_login(struct api_request *r);
void accounts_logout(struct api_request *r);
void accounts_me(struct api_request *r);

#endif
