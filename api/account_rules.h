/* account_rules: what makes an e-mail address and a password acceptable, shared by the
 * signup endpoint and the createsuperuser command. */
#ifndef STATUSHAWK_API_ACCOUNT_RULES_H
#define STATUSHAWK_API_ACCOUNT_RULES_H

#include <jansson.h>
#include <stddef.h>

#define ACCOUNT_EMAIL_MAX 254
#define ACCOUNT_NAME_MAX 150
#define ACCOUNT_PASSWORD_MIN 8
#define ACCOUNT_PASSWORD_MAX 4096

/* 1 when email looks like an address: local@domain.tld, printable ASCII, no spaces. */
int account_email_valid(const char *email);

/* Copies email lower-cased into out (ACCOUNT_EMAIL_MAX + 1 bytes). 0, or -1 if too long. */
int account_email_normalize(const char *email, char *out, size_t outsize);

/* Adds DRF-style messages under "password" to errors for each rule the password
 * breaks: too short, entirely numeric, the same as the e-mail. Returns how many. */
int account_password_check(const char *password, const char *email, json_t *errors);

#endif
