/* auth: see auth.h. */
#include "api/auth.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "api/request.h"
#include "api/token_cache.h"
#include "common/crypto.h"
#include "common/db.h"

static int reply_unauthorized(struct api_request *r, const char *detail)
{
    api_reply_header(r, "WWW-Authenticate", "Token");
    api_reply_detail(r, 401, detail);
    return -1;
}

/* The key after a "Token " or "Bearer " keyword, or NULL when there is none. */
static const char *token_from_header(const char *header)
{
    static const char *const keywords[] = {"Token", "Bearer"};
    for (size_t i = 0; i < 2; i++) {
        size_t n = strlen(keywords[i]);
        if (strncasecmp(header, keywords[i], n) == 0 && header[n] == ' ') {
            header += n;
            while (*header == ' ')
                header++;
            return header;
        }
    }
    return NULL;
}

int auth_authenticate(struct api_request *r)
{
    static const char sql[] = "SELECT u.id, u.email, u.first_name, u.last_name, u.is_staff"
                              " FROM api_tokens t JOIN users u ON u.id = t.user_id"
                              " WHERE t.key_hash = $1 AND u.is_active";
    const char *header = api_request_header(r, "Authorization");
    const char *key;
    const char *params[1];
    PGresult *res = NULL;
    enum db_status st;

    if (!header || !*header)
        return reply_unauthorized(r, "Authentication credentials were not provided.");
    key = token_from_header(header);
    if (!key || !crypto_token_well_formed(key))
        return reply_unauthorized(r, "Invalid token.");
    crypto_token_hash(key, r->user.token_hash);
    if (token_cache_get(r->worker, r->user.token_hash, &r->user))
        return 0;
    params[0] = r->user.token_hash;
    st = db_exec_prepared(r->worker->db, &res, sql, 1, params);
    if (st != DB_OK) {
        api_reply_db_error(r, st);
        return -1;
    }
    if (PQntuples(res) != 1) {
        PQclear(res);
        return reply_unauthorized(r, "Invalid token.");
    }
    r->user.id = db_int64(res, 0, 0);
    snprintf(r->user.email, sizeof(r->user.email), "%s", PQgetvalue(res, 0, 1));
    snprintf(r->user.first_name, sizeof(r->user.first_name), "%s", PQgetvalue(res, 0, 2));
    snprintf(r->user.last_name, sizeof(r->user.last_name), "%s", PQgetvalue(res, 0, 3));
    r->user.is_staff = db_bool(res, 0, 4);
    PQclear(res);
    token_cache_put(&r->user);
    return 0;
}
