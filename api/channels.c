/* channels: see channels.h. */
#include "api/channels.h"

#include <curl/curl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/owned.h"
#include "api/request.h"
#include "api/work_pool.h"
#include "common/alert.h"
#include "common/alert_template.h"
#include "common/db.h"
#include "common/jsonutil.h"
#include "common/log.h"
#include "common/target_guard.h"
#include "common/timeutil.h"

#define NAME_MAX_CHARS 255
#define URL_MAX_CHARS 2048
#define SECRET_MAX_CHARS 256
#define HOST_MAX 256

/* Every read of a channel returns these, in this order (see channel_json). */
#define CHANNEL_COLUMNS "id, provider, name, sh_iso(created_at), is_active, config::text"

/* ---- the channel object ------------------------------------------------------------ */

/* "https://host[:port]/…": where a webhook goes, without the userinfo, path and query
 * that often carry its credentials (Slack and Discord put them in the path). */
static json_t *url_origin(const char *url)
{
    CURLU *u = curl_url();
    char *scheme = NULL, *host = NULL, *port = NULL, *path = NULL, *query = NULL;
    char buf[HOST_MAX + 64];
    json_t *out = NULL;

    if (!u || curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK)
        goto out;
    curl_url_get(u, CURLUPART_PORT, &port, 0);
    curl_url_get(u, CURLUPART_PATH, &path, 0);
    curl_url_get(u, CURLUPART_QUERY, &query, 0);
    snprintf(buf, sizeof(buf), "%s://%.*s%s%s/%s", scheme, HOST_MAX, host, port ? ":" : "",
             port ? port : "", (path && strcmp(path, "/") != 0) || query ? "\u2026" : "");
    out = json_string(buf);
out:
    curl_free(scheme);
    curl_free(host);
    curl_free(port);
    curl_free(path);
    curl_free(query);
    curl_url_cleanup(u);
    return out ? out : json_null();
}

/* What a client may see of a stored configuration: never a secret. */
static json_t *config_view(const char *provider, const char *stored)
{
    json_t *config = json_loads(stored, 0, NULL), *view = json_object(), *v;

    if (!view)
        goto out;
    v = json_object_get(config, "template");
    json_object_set_new(view, "template",
                        json_is_string(v) || json_is_object(v) ? json_deep_copy(v) : json_null());
    if (strcmp(provider, "telegram") == 0) {
        v = json_object_get(config, "chat_id");
        if (json_is_string(v))
            json_object_set_new(view, "chat_id", json_string(json_string_value(v)));
    } else if (strcmp(provider, "webhook") == 0) {
        v = json_object_get(config, "url");
        if (json_is_string(v))
            json_object_set_new(view, "url", url_origin(json_string_value(v)));
        v = json_object_get(config, "secret");
        json_object_set_new(view, "secret_set",
                            json_boolean(json_is_string(v) && json_string_length(v) > 0));
    }
out:
    json_decref(config);
    return view;
}

/* Row i of a result with CHANNEL_COLUMNS. New reference, NULL on out of memory. */
static json_t *channel_json(const PGresult *res, int i)
{
    const char *provider = PQgetvalue(res, i, 1);
    json_t *view = config_view(provider, PQgetvalue(res, i, 5));

    if (!view)
        return NULL;
    return json_pack("{s:I, s:s, s:s, s:s, s:b, s:o}", "id", (json_int_t)db_int64(res, i, 0),
                     "provider", provider, "name", PQgetvalue(res, i, 2), "created_at",
                     PQgetvalue(res, i, 3), "is_active", db_bool(res, i, 4), "config", view);
}

static void reply_channel(struct api_request *r, int status, const PGresult *res)
{
    json_t *body = channel_json(res, 0);
    if (!body)
        api_reply_detail(r, 500, "Internal server error.");
    else
        api_reply_json(r, status, body);
}

static void reply_field_errors(struct api_request *r, json_t *errors)
{
    api_reply_json(r, 400, errors);
}

/* The path's {id} and the caller's id as SQL parameters. */
struct ids {
    char channel[24];
    char user[24];
};

static void ids_of(const struct api_request *r, struct ids *ids)
{
    snprintf(ids->channel, sizeof(ids->channel), "%" PRId64, r->params[0]);
    snprintf(ids->user, sizeof(ids->user), "%" PRId64, r->user.id);
}

/* ---- field checks -------------------------------------------------------------------- */

/* obj[key] as a boolean: -1 when absent, else 0/1; a wrong type is recorded in errors. */
static int bool_field(json_t *obj, const char *key, json_t *errors)
{
    json_t *v = json_object_get(obj, key);
    if (!v)
        return -1;
    if (!json_is_boolean(v)) {
        jsonutil_field_error(errors, key, "Must be a valid boolean.");
        return -1;
    }
    return json_is_true(v);
}

/* The alert kinds a template may be given for, as the notifier names them. */
static const char *const template_kinds[] = {"down", "up", "anomaly", "cert_expiry", "test"};

static int template_kind_known(const char *kind)
{
    for (size_t i = 0; i < sizeof(template_kinds) / sizeof(template_kinds[0]); i++)
        if (strcmp(kind, template_kinds[i]) == 0)
            return 1;
    return 0;
}

/* One template text, obj[key]: a string of at most ALERT_TEMPLATE_MAX characters, not
 * blank, whose placeholders are all known. Its errors go to errors[key]. */
static int template_text_ok(json_t *obj, const char *key, json_t *errors)
{
    char msg[1024];
    int ok;
    const char *t =
        jsonutil_string_field(obj, key, JSONUTIL_REQUIRED, ALERT_TEMPLATE_MAX, errors, &ok);

    if (!t)
        return 0;
    if (alert_template_check(t, msg, sizeof(msg)) != 0) {
        jsonutil_field_error(errors, key, msg);
        return 0;
    }
    return 1;
}

/* config.template (present and not null): one string for every kind of alert, or an
 * object with a string per kind (null or absent: that kind's default message). Returns
 * what to store (a new reference; JSON null when the object names no template), or
 * NULL with the errors in errors["template"] (an object's prefixed with their kind). */
static json_t *template_field(json_t *config, json_t *errors)
{
    json_t *v = json_object_get(config, "template"), *kind_errors, *stored, *t;
    const char *kind;
    char msg[1100];

    if (!json_is_object(v))
        return template_text_ok(config, "template", errors) ? json_incref(v) : NULL;
    kind_errors = json_object();
    stored = json_object();
    if (!kind_errors || !stored)
        goto fail;
    json_object_foreach(v, kind, t)
    {
        if (!template_kind_known(kind)) {
            snprintf(msg, sizeof(msg),
                     "Unknown alert kind \"%.40s\": the kinds are down, up, anomaly, "
                     "cert_expiry and test.",
                     kind);
            jsonutil_field_error(errors, "template", msg);
        } else if (!json_is_null(t) && template_text_ok(v, kind, kind_errors)) {
            json_object_set(stored, kind, t);
        }
    }
    json_object_foreach(kind_errors, kind, t)
    {
        json_t *m;
        size_t i;
        json_array_foreach(t, i, m)
        {
            snprintf(msg, sizeof(msg), "%s: %s", kind, json_string_value(m));
            jsonutil_field_error(errors, "template", msg);
        }
    }
    if (json_object_get(errors, "template"))
        goto fail;
    json_decref(kind_errors);
    if (json_object_size(stored) == 0) {
        json_decref(stored);
        return json_null();
    }
    return stored;
fail:
    json_decref(kind_errors);
    json_decref(stored);
    return NULL;
}

/* A webhook URL, checked as monitor URLs are: http or https, at most 2048 characters,
 * parses, has a host. The host (without IPv6 brackets) is written for the SSRF guard.
 * NULL when fine, else the message for the user. */
static const char *webhook_url_check(const char *url, char *host, size_t hostsize)
{
    CURLU *u = curl_url();
    char *scheme = NULL, *h = NULL;
    const char *err = NULL;
    size_t n;

    if (!u) {
        err = "The URL could not be checked.";
        goto out;
    }
    if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK) {
        err = "Enter a valid URL.";
        goto out;
    }
    if (curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
        (strcasecmp(scheme, "http") != 0 && strcasecmp(scheme, "https") != 0)) {
        err = "Only http:// and https:// URLs are allowed.";
        goto out;
    }
    if (curl_url_get(u, CURLUPART_HOST, &h, 0) != CURLUE_OK || h[0] == '\0') {
        err = "The URL must have a host.";
        goto out;
    }
    n = strlen(h);
    if (n >= 2 && h[0] == '[' && h[n - 1] == ']') {
        memmove(h, h + 1, n - 2);
        h[n - 2] = '\0';
        n -= 2;
    }
    if (n >= hostsize) {
        err = "Enter a valid URL.";
        goto out;
    }
    memcpy(host, h, n + 1);
out:
    curl_free(scheme);
    curl_free(h);
    curl_url_cleanup(u);
    return err;
}

/* Records msg as a field error of config[key]. */
static void config_error(json_t *config_errors, const char *key, const char *msg)
{
    jsonutil_field_error(config_errors, key, msg);
}

/* Moves the config errors under errors["config"] when there are any. */
static void attach_config_errors(json_t *errors, json_t *config_errors)
{
    if (json_object_size(config_errors) > 0)
        json_object_set(errors, "config", config_errors);
}

/* ---- list, get, delete ---------------------------------------------------------------- */

void channels_list(struct api_request *r)
{
    static const char sql[] =
        "SELECT " CHANNEL_COLUMNS " FROM notification_channels WHERE user_id = $1 ORDER BY id";
    struct ids ids;
    const char *params[1];
    PGresult *res = NULL;
    json_t *list = NULL;
    enum db_status st;

    ids_of(r, &ids);
    params[0] = ids.user;
    st = db_exec(r->worker->db, &res, sql, 1, params);
    if (st != DB_OK) {
        api_reply_db_error(r, st);
        return;
    }
    list = json_array();
    for (int i = 0; list && i < PQntuples(res); i++) {
        if (json_array_append_new(list, channel_json(res, i)) != 0) {
            json_decref(list);
            list = NULL;
        }
    }
    PQclear(res);
    if (!list)
        api_reply_detail(r, 500, "Internal server error.");
    else
        api_reply_json(r, 200, list);
}

void channels_get(struct api_request *r)
{
    static const char sql[] =
        "SELECT " CHANNEL_COLUMNS " FROM notification_channels WHERE id = $1 AND user_id = $2";
    struct ids ids;
    PGresult *res;

    ids_of(r, &ids);
    res = owned_query(r, sql, 2, (const char *const[]){ids.channel, ids.user});
    if (res)
        reply_channel(r, 200, res);
    PQclear(res);
}

void channels_delete(struct api_request *r)
{
    static const char sql[] =
        "DELETE FROM notification_channels WHERE id = $1 AND user_id = $2 RETURNING id";
    struct ids ids;
    PGresult *res;

    ids_of(r, &ids);
    res = owned_query(r, sql, 2, (const char *const[]){ids.channel, ids.user});
    if (res)
        api_reply_empty(r, 204);
    PQclear(res);
}

/* ---- create ------------------------------------------------------------------------- */

struct channel_new {
    struct work_job job; /* first: the job is the creation */
    struct api_request *r;
    const char *provider, *name; /* borrowed from r->body */
    int is_active;
    char *config_json; /* owned: what is stored */
    char host[HOST_MAX];
    char guard_err[256];
    int blocked;
};

static void channel_new_free(struct channel_new *c)
{
    if (!c)
        return;
    free(c->config_json);
    free(c);
}

static void channel_insert(struct channel_new *c)
{
    static const char sql[] =
        "INSERT INTO notification_channels (user_id, provider, name, config, is_active)"
        " VALUES ($1, $2, $3, $4::jsonb, $5::boolean) RETURNING " CHANNEL_COLUMNS;
    struct api_request *r = c->r;
    char user[24];
    const char *params[] = {user, c->provider, c->name, c->config_json,
                            c->is_active ? "true" : "false"};
    PGresult *res = NULL;
    enum db_status st;

    snprintf(user, sizeof(user), "%" PRId64, r->user.id);
    st = db_exec(r->worker->db, &res, sql, 5, params);
    if (st != DB_OK)
        api_reply_db_error(r, st);
    else
        reply_channel(r, 201, res);
    PQclear(res);
}

static void guard_run(struct work_job *job)
{
    struct channel_new *c = (struct channel_new *)job;
    c->blocked = target_guard_check_host(c->host, c->guard_err, sizeof(c->guard_err)) != 0;
}

static void guard_done(struct work_job *job)
{
    struct channel_new *c = (struct channel_new *)job;

    if (c->blocked) {
        json_t *errors = json_object(), *config_errors = json_object();
        config_error(config_errors, "url", c->guard_err);
        attach_config_errors(errors, config_errors);
        json_decref(config_errors);
        reply_field_errors(c->r, errors);
    } else {
        channel_insert(c);
    }
    channel_new_free(c);
}

/* Checks config for provider and builds what is stored; errors go to config_errors. The
 * webhook's host is written to c->host. */
static json_t *config_for_create(const char *provider, json_t *config, json_t *config_errors,
                                 struct channel_new *c)
{
    json_t *stored = json_object();
    const char *key, *url = NULL, *secret = NULL;
    json_t *v, *tmpl;
    int ok, webhook = strcmp(provider, "webhook") == 0;

    json_object_foreach(config, key, v)
    {
        if (strcmp(key, "template") != 0 &&
            !(webhook && (strcmp(key, "url") == 0 || strcmp(key, "secret") == 0)))
            config_error(config_errors, key, "Unknown field.");
    }
    v = json_object_get(config, "template");
    if (v && !json_is_null(v) && (tmpl = template_field(config, config_errors)) != NULL) {
        if (!json_is_null(tmpl))
            json_object_set(stored, "template", tmpl);
        json_decref(tmpl);
    }
    if (webhook) {
        url = jsonutil_string_field(config, "url", JSONUTIL_REQUIRED, URL_MAX_CHARS, config_errors,
                                    &ok);
        secret = jsonutil_string_field(config, "secret", JSONUTIL_OPTIONAL, SECRET_MAX_CHARS,
                                       config_errors, &ok);
    }
    if (url) {
        const char *err = webhook_url_check(url, c->host, sizeof(c->host));
        if (err)
            config_error(config_errors, "url", err);
        else
            json_object_set_new(stored, "url", json_string(url));
    }
    if (secret && secret[0])
        json_object_set_new(stored, "secret", json_string(secret));
    return stored;
}

void channels_create(struct api_request *r)
{
    json_t *body, *errors = NULL, *config_errors = NULL, *config, *stored = NULL;
    struct channel_new *c = NULL;
    int ok, active, config_ok;

    if (!(body = api_request_json_body(r)))
        return;
    c = calloc(1, sizeof(*c));
    errors = json_object();
    config_errors = json_object();
    if (!c || !errors || !config_errors) {
        api_reply_detail(r, 500, "Internal server error.");
        goto out;
    }
    c->r = r;
    c->provider = jsonutil_string_field(body, "provider", JSONUTIL_REQUIRED, 16, errors, &ok);
    c->name = jsonutil_string_field(body, "name", JSONUTIL_REQUIRED, NAME_MAX_CHARS, errors, &ok);
    active = bool_field(body, "is_active", errors);
    c->is_active = active != 0;
    config = json_object_get(body, "config");
    config_ok = !config || json_is_object(config) || json_is_null(config);
    if (!config_ok)
        jsonutil_field_error(errors, "config", "Expected a JSON object.");
    if (c->provider) {
        if (strcmp(c->provider, "telegram") == 0) {
            jsonutil_field_error(errors, "provider",
                                 "Telegram channels are connected from Telegram: open the link "
                                 "from GET /api/v1/notifications/telegram-link/.");
        } else if (strcmp(c->provider, "console") != 0 && strcmp(c->provider, "webhook") != 0) {
            char msg[64];
            snprintf(msg, sizeof(msg), "\"%.16s\" is not a valid choice.", c->provider);
            jsonutil_field_error(errors, "provider", msg);
        } else if (config_ok) {
            json_t *empty = json_object();
            stored = config_for_create(c->provider, json_is_object(config) ? config : empty,
                                       config_errors, c);
            json_decref(empty);
        }
    }
    attach_config_errors(errors, config_errors);
    if (json_object_size(errors) > 0) {
        reply_field_errors(r, errors);
        errors = NULL;
        goto out;
    }
    c->config_json = stored ? jsonutil_dump(stored) : NULL;
    if (!c->config_json) {
        api_reply_detail(r, 500, "Internal server error.");
        goto out;
    }
    if (strcmp(c->provider, "webhook") != 0 || r->worker->cfg->allow_private_targets) {
        channel_insert(c);
        goto out;
    }
    /* getaddrinfo blocks: the SSRF guard runs on the work pool. */
    c->job = (struct work_job){.run = guard_run, .done = guard_done};
    if (work_pool_submit(r->worker->base, &c->job) != 0) {
        api_reply_unavailable(r, "address check (busy)");
        goto out;
    }
    c = NULL; /* the job owns it now */
out:
    channel_new_free(c);
    json_decref(stored);
    json_decref(config_errors);
    json_decref(errors);
}

/* ---- update ------------------------------------------------------------------------- */

void channels_update(struct api_request *r)
{
    static const char sql[] =
        "UPDATE notification_channels SET name = COALESCE($3, name),"
        " is_active = COALESCE($4::boolean, is_active),"
        " config = CASE $5 WHEN 'set' THEN jsonb_set(config, '{template}', $6::jsonb)"
        "  WHEN 'clear' THEN config - 'template' ELSE config END,"
        " updated_at = now() WHERE id = $1 AND user_id = $2 RETURNING " CHANNEL_COLUMNS;
    json_t *body, *errors = NULL, *config_errors = NULL, *config, *tmpl = NULL;
    const char *name, *tpl_op = "keep";
    char *tpl = NULL;
    struct ids ids;
    PGresult *res = NULL;
    int ok, active;

    if (!(body = api_request_json_body(r)))
        return;
    errors = json_object();
    config_errors = json_object();
    if (!errors || !config_errors) {
        api_reply_detail(r, 500, "Internal server error.");
        goto out;
    }
    name = jsonutil_string_field(body, "name", JSONUTIL_OPTIONAL, NAME_MAX_CHARS, errors, &ok);
    if (name && name[0] == '\0') {
        jsonutil_field_error(errors, "name", "This field may not be blank.");
        name = NULL;
    }
    active = bool_field(body, "is_active", errors);
    config = json_object_get(body, "config");
    if (config && !json_is_object(config)) {
        jsonutil_field_error(errors, "config", "Expected a JSON object.");
    } else if (config) {
        const char *key;
        json_t *v;
        json_object_foreach(config, key, v)
        {
            if (strcmp(key, "template") != 0)
                config_error(config_errors, key,
                             "Only the template can be changed; create a new channel instead.");
        }
        v = json_object_get(config, "template");
        if (v && !json_is_null(v))
            tmpl = template_field(config, config_errors);
        if (json_is_null(v) || json_is_null(tmpl)) {
            tpl_op = "clear"; /* back to the notifier's default texts */
        } else if (tmpl) {
            tpl = jsonutil_dump(tmpl);
            if (!tpl) {
                api_reply_detail(r, 500, "Internal server error.");
                goto out;
            }
            tpl_op = "set";
        }
    }
    attach_config_errors(errors, config_errors);
    if (json_object_size(errors) > 0) {
        reply_field_errors(r, errors);
        errors = NULL;
        goto out;
    }

    ids_of(r, &ids);
    {
        const char *params[] = {ids.channel, ids.user,
                                name,        active < 0 ? NULL : (active ? "true" : "false"),
                                tpl_op,      tpl};
        res = owned_query(r, sql, 6, params);
    }
    if (res)
        reply_channel(r, 200, res);
out:
    PQclear(res);
    free(tpl);
    json_decref(tmpl);
    json_decref(config_errors);
    json_decref(errors);
}

/* ---- test ----------------------------------------------------------------------------- */

void channels_test(struct api_request *r)
{
    static const char sql[] = "SELECT id FROM notification_channels WHERE id = $1 AND user_id = $2";
    struct ids ids;
    PGresult *res;
    struct alert a = {0};

    ids_of(r, &ids);
    res = owned_query(r, sql, 2, (const char *const[]){ids.channel, ids.user});
    if (!res)
        return;
    PQclear(res);
    if (alert_new_id(a.alert_id) != 0) {
        api_reply_detail(r, 500, "Internal server error.");
        return;
    }
    a.kind = "test";
    a.user_id = r->user.id;
    a.channel_id = r->params[0];
    a.monitor_id = 0;
    a.monitor_name = "";
    a.url = "";
    a.time_ms = time_now_ms();
    if (alert_publish(r->worker->redis, r->worker->cfg->common.redis_prefix, &a) != 0) {
        api_reply_unavailable(r, "redis");
        return;
    }
    api_reply_json(r, 202, json_pack("{s:s, s:s}", "status", "queued", "alert_id", a.alert_id));
}
