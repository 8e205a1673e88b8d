/* accounts: see accounts.h. */
#include "api/accounts.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/account_rules.h"
#include "api/work_pool.h"
#include "common/password.h"
#include "api/request.h"
#include "api/throttle.h"
#include "api/token_cache.h"
#include "common/crypto.h"
#include "common/db.h"
#include "common/jsonutil.h"
#include "common/timeutil.h"

/* API.md: 5 per minute per client IP, and per e-mail on login. */
#define THROTTLE_LIMIT 5
#define THROTTLE_WINDOW_S 60

static unsigned new_hash_iterations;
static char dummy_hash[PASSWORD_HASH_MAX];

int accounts_init(const struct api_config *cfg)
{
    unsigned char secret[24];
    char password[sizeof(secret) * 2 + 1];

    new_hash_iterations = (unsigned)cfg->pbkdf2_iterations;
    if (crypto_random_bytes(secret, sizeof(secret)) != 0)
        return -1;
    crypto_hex_encode(secret, sizeof(secret), password);
    return password_hash(password, new_hash_iterations, dummy_hash, sizeof(dummy_hash));
}

/* The accounts envelope of the original backend: {"status","timestamp","data"}. */
static json_t *envelope(const char *status, json_t *data)
{
    char ts[TIME_ISO_BUFSZ];
    time_format_iso(time_now_ms(), ts);
    return json_pack("{s:s, s:s, s:o}", "status", status, "timestamp", ts, "data",
                     data ? data : json_null());
}

static void reply_ok(struct api_request *r, int status, json_t *data)
{
    api_reply_json(r, status, envelope("ok", data));
}

/* Signup reports field errors in "data"; login in "error", with "data" null. */
static void reply_signup_errors(struct api_request *r, json_t *errors)
{
    api_reply_json(r, 400, envelope("error", errors));
}

static void reply_login_error(struct api_request *r, int status, json_t *error)
{
    json_t *body = envelope("error", NULL);
    json_object_set_new(body, "error", error);
    api_reply_json(r, status, body);
}

static int throttled(struct api_request *r, const char *scope, const char *key)
{
    const struct api_config *cfg = r->worker->cfg;
    int wait = throttle_hit(r->worker->redis, cfg->common.redis_prefix, scope, key, THROTTLE_LIMIT,
                            THROTTLE_WINDOW_S);
    if (wait > 0)
        api_reply_throttled(r, wait);
    return wait > 0;
}

/* ---- signup ------------------------------------------------------------------- */

struct signup {
    struct work_job job; /* first: the job is the signup */
    struct api_request *r;
    const char *password; /* borrowed from r->body */
    int ok;               /* hash made */
    char hash[PASSWORD_HASH_MAX];
    char email[ACCOUNT_EMAIL_MAX + 1];
    const char *first_name, *last_name; /* borrowed from r->body */
};

struct signup_fields {
    const char *email, *password, *password2, *first_name, *last_name;
};

/* Reads and checks the body's fields; errors collects what is wrong. */
static void signup_validate(json_t *body, struct signup_fields *f, char *email_lower,
                            json_t *errors)
{
    int ok;

    f->email =
        jsonutil_string_field(body, "email", JSONUTIL_REQUIRED, ACCOUNT_EMAIL_MAX, errors, &ok);
    f->password = jsonutil_string_field(body, "password", JSONUTIL_REQUIRED, ACCOUNT_PASSWORD_MAX,
                                        errors, &ok);
    f->password2 = jsonutil_string_field(body, "password2", JSONUTIL_OPTIONAL, ACCOUNT_PASSWORD_MAX,
                                         errors, &ok);
    f->first_name =
        jsonutil_string_field(body, "first_name", JSONUTIL_OPTIONAL, ACCOUNT_NAME_MAX, errors, &ok);
    f->last_name =
        jsonutil_string_field(body, "last_name", JSONUTIL_OPTIONAL, ACCOUNT_NAME_MAX, errors, &ok);
    email_lower[0] = '\0';
    if (f->email) {
        if (!account_email_valid(f->email))
            jsonutil_field_error(errors, "email", "Enter a valid email address.");
        else
            account_email_normalize(f->email, email_lower, ACCOUNT_EMAIL_MAX + 1);
    }
    if (f->password)
        account_password_check(f->password, f->email, errors);
    if (f->password && f->password2 && strcmp(f->password, f->password2) != 0)
        jsonutil_field_error(errors, "password2", "Passwords do not match.");
}

static void reply_duplicate_email(struct api_request *r)
{
    json_t *errors = json_object();
    jsonutil_field_error(errors, "email", "user with this email already exists.");
    reply_signup_errors(r, errors);
}

static void signup_hash(struct work_job *job)
{
    struct signup *s = (struct signup *)job;
    s->ok = password_hash(s->password, new_hash_iterations, s->hash, sizeof(s->hash)) == 0;
}

static void signup_hashed(struct work_job *job)
{
    static const char sql[] =
        "INSERT INTO users (email, password, first_name, last_name) VALUES ($1, $2, $3, $4)"
        " ON CONFLICT (email) DO NOTHING RETURNING id";
    struct signup *s = (struct signup *)job;
    struct api_request *r = s->r;
    const char *params[] = {s->email, s->hash, s->first_name ? s->first_name : "",
                            s->last_name ? s->last_name : ""};
    PGresult *res = NULL;
    enum db_status st;

    if (!s->ok) {
        api_reply_detail(r, 500, "Internal server error.");
        goto out;
    }
    st = db_exec(r->worker->db, &res, sql, 4, params);
    if (st != DB_OK) {
        api_reply_db_error(r, st);
        goto out;
    }
    if (PQntuples(res) == 0) {
        reply_duplicate_email(r); /* registered meanwhile by a concurrent signup */
        goto out;
    }
    reply_ok(r, 201,
             json_pack("{s:I, s:s, s:s, s:s}", "id", (json_int_t)db_int64(res, 0, 0), "email",
                       s->email, "first_name", params[2], "last_name", params[3]));
out:
    PQclear(res);
    free(s);
}

void accounts_signup(struct api_request *r)
{
    struct signup_fields f;
    char email[ACCOUNT_EMAIL_MAX + 1];
    json_t *body, *errors;
    PGresult *res = NULL;
    const char *params[1];
    struct signup *s;
    enum db_status st;

    if (throttled(r, "signup", r->client_ip) || !(body = api_request_json_body(r)))
        return;
    errors = json_object();
    signup_validate(body, &f, email, errors);
    if (json_object_size(errors) > 0) {
        reply_signup_errors(r, errors);
        return;
    }
    json_decref(errors);
    /* Checked before hashing so a taken address costs no PBKDF2; the insert re-checks. */
    params[0] = email;
    st = db_exec(r->worker->db, &res, "SELECT 1 FROM users WHERE email = $1", 1, params);
    if (st != DB_OK) {
        api_reply_db_error(r, st);
        return;
    }
    if (PQntuples(res) > 0) {
        PQclear(res);
        reply_duplicate_email(r);
        return;
    }
    PQclear(res);
    s = calloc(1, sizeof(*s));
    if (!s) {
        api_reply_detail(r, 500, "Internal server error.");
        return;
    }
    s->r = r;
    memcpy(s->email, email, sizeof(email));
    s->first_name = f.first_name;
    s->last_name = f.last_name;
    s->password = f.password;
    s->job = (struct work_job){.run = signup_hash, .done = signup_hashed};
    if (work_pool_submit(r->worker->base, &s->job) != 0) {
        free(s);
        api_reply_unavailable(r, "password hashing (busy)");
    }
}

/* ---- login -------------------------------------------------------------------- */

struct login {
    struct work_job job; /* first: the job is the login */
    struct api_request *r;
    const char *password; /* borrowed from r->body */
    int64_t user_id;      /* 0 when the e-mail is unknown */
    char stored[PASSWORD_HASH_MAX];
    int ok; /* the password matched stored */
};

static void login_verify(struct work_job *job)
{
    struct login *l = (struct login *)job;
    l->ok = password_verify(l->password, l->stored);
}

static void reply_bad_credentials(struct api_request *r)
{
    json_t *error = json_object();
    jsonutil_field_error(error, "non_field_errors", "Unable to log in with provided credentials.");
    reply_login_error(r, 401, error);
}

static void login_verified(struct work_job *job)
{
    /* One round trip: the token row and last_login together. */
    static const char sql[] = "WITH t AS (INSERT INTO api_tokens (user_id, key_hash)"
                              " VALUES ($1, $2)) UPDATE users SET last_login = now() WHERE id = $1";
    struct login *l = (struct login *)job;
    struct api_request *r = l->r;
    char token[CRYPTO_TOKEN_LEN + 1], hash[CRYPTO_SHA256_HEX_LEN + 1], id[24];
    const char *params[] = {id, hash};
    enum db_status st;

    if (!l->user_id || !l->ok) {
        reply_bad_credentials(r);
        goto out;
    }
    if (crypto_token_new(token) != 0) {
        api_reply_detail(r, 500, "Internal server error.");
        goto out;
    }
    crypto_token_hash(token, hash);
    snprintf(id, sizeof(id), "%lld", (long long)l->user_id);
    st = db_exec(r->worker->db, NULL, sql, 2, params);
    if (st != DB_OK)
        api_reply_db_error(r, st);
    else
        reply_ok(r, 201, json_pack("{s:s}", "token", token));
out:
    free(l);
}

void accounts_login(struct api_request *r)
{
    char email[ACCOUNT_EMAIL_MAX + 1], email_key[CRYPTO_SHA256_HEX_LEN + 1];
    const char *given_email, *password, *params[1];
    json_t *body, *errors;
    PGresult *res = NULL;
    struct login *l;
    enum db_status st;
    int ok;

    if (throttled(r, "login", r->client_ip) || !(body = api_request_json_body(r)))
        return;
    errors = json_object();
    given_email =
        jsonutil_string_field(body, "email", JSONUTIL_REQUIRED, ACCOUNT_EMAIL_MAX, errors, &ok);
    password = jsonutil_string_field(body, "password", JSONUTIL_REQUIRED, ACCOUNT_PASSWORD_MAX,
                                     errors, &ok);
    if (json_object_size(errors) > 0) {
        reply_login_error(r, 400, errors);
        return;
    }
    json_decref(errors);
    account_email_normalize(given_email, email, sizeof(email));
    /* Keyed by a hash: no addresses in Redis, and any length fits the key. */
    crypto_sha256_hex(email, strlen(email), email_key);
    if (throttled(r, "login-email", email_key))
        return;

    params[0] = email;
    st = db_exec(r->worker->db, &res,
                 "SELECT id, password FROM users WHERE email = $1 AND is_active", 1, params);
    if (st != DB_OK) {
        api_reply_db_error(r, st);
        return;
    }
    l = calloc(1, sizeof(*l));
    if (!l) {
        PQclear(res);
        api_reply_detail(r, 500, "Internal server error.");
        return;
    }
    l->r = r;
    if (PQntuples(res) == 1 && strlen(PQgetvalue(res, 0, 1)) < sizeof(l->stored)) {
        l->user_id = db_int64(res, 0, 0);
        strcpy(l->stored, PQgetvalue(res, 0, 1));
    } else {
        strcpy(l->stored, dummy_hash); /* same work whether or not the user exists */
    }
    PQclear(res);
    l->password = password;
    l->job = (struct work_job){.run = login_verify, .done = login_verified};
    if (work_pool_submit(r->worker->base, &l->job) != 0) {
        free(l);
        api_reply_unavailable(r, "password hashing (busy)");
    }
}

/* ---- logout, me --------------------------------------------------------------- */

void accounts_logout(struct api_request *r)
{
    const char *params[] = {r->user.token_hash};
    /* The NOTIFY reaches every api worker's token cache (see token_cache.h). */
    static const char sql[] =
        "WITH d AS (DELETE FROM api_tokens WHERE key_hash = $1 RETURNING key_hash)"
        " SELECT pg_notify('" TOKEN_CACHE_CHANNEL "', key_hash) FROM d";
    enum db_status st = db_exec(r->worker->db, NULL, sql, 1, params);
    if (st != DB_OK) {
        api_reply_db_error(r, st);
        return;
    }
    token_cache_forget(r->user.token_hash);
    reply_ok(r, 200, json_pack("{s:s}", "message", "Successfully logged out."));
}

void accounts_me(struct api_request *r)
{
    api_reply_json(r, 200,
                   json_pack("{s:I, s:s, s:s, s:s, s:b}", "id", (json_int_t)r->user.id, "email",
                             r->user.email, "first_name", r->user.first_name, "last_name",
                             r->user.last_name, "is_staff", r->user.is_staff));
}
