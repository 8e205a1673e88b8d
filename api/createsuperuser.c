/* createsuperuser: see createsuperuser.h. */
#include "api/createsuperuser.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/account_rules.h"
#include "common/db.h"
#include "common/password.h"

struct admin {
    const char *email, *password, *first_name, *last_name;
};

static int parse_args(int argc, char **argv, struct admin *a)
{
    static const struct option opts[] = {{"email", required_argument, NULL, 'e'},
                                         {"password", required_argument, NULL, 'p'},
                                         {"first-name", required_argument, NULL, 'f'},
                                         {"last-name", required_argument, NULL, 'l'},
                                         {NULL, 0, NULL, 0}};
    int c;

    a->email = getenv("STATUSHAWK_ADMIN_EMAIL");
    a->password = getenv("STATUSHAWK_ADMIN_PASSWORD");
    a->first_name = "";
    a->last_name = "";
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'e':
            a->email = optarg;
            break;
        case 'p':
            a->password = optarg;
            break;
        case 'f':
            a->first_name = optarg;
            break;
        case 'l':
            a->last_name = optarg;
            break;
        default:
            return -1;
        }
    }
    return optind == argc ? 0 : -1;
}

/* Prints each broken rule; returns the number broken. */
static int check_admin(const struct admin *a)
{
    json_t *errors = json_object();
    const char *key;
    json_t *list, *msg;
    size_t i;
    int broken = 0;

    if (!account_email_valid(a->email)) {
        fprintf(stderr, "createsuperuser: email: Enter a valid email address.\n");
        broken++;
    }
    if (strlen(a->first_name) > ACCOUNT_NAME_MAX || strlen(a->last_name) > ACCOUNT_NAME_MAX) {
        fprintf(stderr, "createsuperuser: names are at most %d characters\n", ACCOUNT_NAME_MAX);
        broken++;
    }
    broken += account_password_check(a->password, a->email, errors);
    json_object_foreach(errors, key, list) json_array_foreach(list, i, msg)
        fprintf(stderr, "createsuperuser: %s: %s\n", key, json_string_value(msg));
    json_decref(errors);
    return broken;
}

/* The stored hash when it already verifies the password (so a rerun keeps it), else
 * a new one. 0, or -1 on failure. */
static int choose_hash(struct db *db, const char *email, const struct admin *a, unsigned iterations,
                       char *out, size_t outsize)
{
    const char *params[] = {email};
    PGresult *res = NULL;

    if (db_exec(db, &res, "SELECT password FROM users WHERE email = $1", 1, params) != DB_OK)
        return -1;
    if (PQntuples(res) == 1 && password_verify(a->password, PQgetvalue(res, 0, 0)) &&
        strlen(PQgetvalue(res, 0, 0)) < outsize) {
        strcpy(out, PQgetvalue(res, 0, 0));
        PQclear(res);
        return 0;
    }
    PQclear(res);
    return password_hash(a->password, iterations, out, outsize);
}

int createsuperuser_main(const struct api_config *cfg, int argc, char **argv)
{
    static const char sql[] =
        "INSERT INTO users (email, password, first_name, last_name, is_staff, is_superuser)"
        " VALUES ($1, $2, $3, $4, true, true)"
        " ON CONFLICT (email) DO UPDATE SET password = EXCLUDED.password,"
        "  first_name = CASE WHEN EXCLUDED.first_name = '' THEN users.first_name"
        "               ELSE EXCLUDED.first_name END,"
        "  last_name = CASE WHEN EXCLUDED.last_name = '' THEN users.last_name"
        "              ELSE EXCLUDED.last_name END,"
        "  is_staff = true, is_superuser = true, is_active = true"
        " RETURNING id, (xmax = 0) AS created";
    struct admin a;
    char email[ACCOUNT_EMAIL_MAX + 1], hash[PASSWORD_HASH_MAX];
    struct db *db = NULL;
    PGresult *res = NULL;
    int rc = 1;

    if (parse_args(argc, argv, &a) != 0 || !a.email || !a.password) {
        fprintf(stderr, "usage: statushawk-api createsuperuser --email E --password P"
                        " [--first-name F] [--last-name L]\n"
                        "  (or STATUSHAWK_ADMIN_EMAIL and STATUSHAWK_ADMIN_PASSWORD)\n");
        return 2;
    }
    if (check_admin(&a) > 0 || account_email_normalize(a.email, email, sizeof(email)) != 0)
        return 2;
    db = db_new(cfg->common.database_url, "statushawk-createsuperuser");
    if (!db)
        goto out;
    if (choose_hash(db, email, &a, (unsigned)cfg->pbkdf2_iterations, hash, sizeof(hash)) != 0) {
        fprintf(stderr, "createsuperuser: %s\n", db_last_error(db));
        goto out;
    }
    {
        const char *params[] = {email, hash, a.first_name, a.last_name};
        if (db_exec(db, &res, sql, 4, params) != DB_OK) {
            fprintf(stderr, "createsuperuser: %s\n", db_last_error(db));
            goto out;
        }
    }
    printf("%s admin %s (id %s)\n", db_bool(res, 0, 1) ? "created" : "updated", email,
           PQgetvalue(res, 0, 0));
    rc = 0;
out:
    PQclear(res);
    db_free(db);
    return rc;
}
