/* account_rules: see account_rules.h. */
#include "api/account_rules.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "common/jsonutil.h"

static int domain_valid(const char *d)
{
    size_t label = 0;
    int dots = 0;

    if (*d == '.' || *d == '-' || *d == '\0')
        return 0;
    for (; *d; d++) {
        if (*d == '.') {
            if (label == 0 || d[-1] == '-')
                return 0;
            label = 0;
            dots++;
        } else if (isalnum((unsigned char)*d) || *d == '-') {
            if (++label > 63 || (label == 1 && *d == '-'))
                return 0;
        } else {
            return 0;
        }
    }
    return dots > 0 && label > 0;
}

int account_email_valid(const char *email)
{
    const char *at = strchr(email, '@');
    size_t local;

    if (!at || strchr(at + 1, '@') || strlen(email) > ACCOUNT_EMAIL_MAX)
        return 0;
    local = (size_t)(at - email);
    if (local == 0 || local > 64 || email[0] == '.' || at[-1] == '.')
        return 0;
    for (const char *p = email; p < at; p++) {
        unsigned char c = (unsigned char)*p;
        if (c <= ' ' || c >= 0x7f || strchr("()<>[]\\,;:\"", c) || (c == '.' && p[1] == '.'))
            return 0;
    }
    return domain_valid(at + 1);
}

int account_email_normalize(const char *email, char *out, size_t outsize)
{
    size_t n = strlen(email);
    if (n >= outsize)
        return -1;
    for (size_t i = 0; i <= n; i++)
        out[i] = (char)tolower((unsigned char)email[i]);
    return 0;
}

int account_password_check(const char *password, const char *email, json_t *errors)
{
    size_t chars = 0;
    int digits_only = 1, broken = 0;

    for (const char *p = password; *p; p++) {
        chars += ((unsigned char)*p & 0xC0) != 0x80; /* UTF-8 characters, not bytes */
        digits_only &= isdigit((unsigned char)*p) != 0;
    }
    if (chars < ACCOUNT_PASSWORD_MIN) {
        jsonutil_field_error(errors, "password",
                             "This password is too short. It must contain at least 8 characters.");
        broken++;
    }
    if (digits_only && *password) {
        jsonutil_field_error(errors, "password", "This password is entirely numeric.");
        broken++;
    }
    if (email && strcasecmp(password, email) == 0) {
        jsonutil_field_error(errors, "password", "The password is too similar to the email.");
        broken++;
    }
    return broken;
}
