/* monitors: see monitors.h. Each request is one statement where it can be: PostgreSQL
 * builds the Monitor JSON (MONITOR_JSON_SQL) and the runner's spec (MONITOR_SPEC_SQL) in the
 * statement that reads or writes the row, so the answer and the schedule both show exactly
 * what was stored. */
#include "api/monitors.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/metrics.h"
#include "api/monitor_input.h"
#include "api/owned.h"
#include "api/paginate.h"
#include "api/request.h"
#include "api/work_pool.h"
#include "common/db.h"
#include "common/jsonutil.h"
#include "common/log.h"
#include "common/schedule.h"
#include "common/target_guard.h"
#include "common/timeutil.h"

/* anomaly_threshold always as a JSON real (2.0, not 2), as the original backend sends it:
 * PostgreSQL prints a whole float8 without a fraction. */
#define ANOMALY_THRESHOLD_JSON                                                                     \
    "(CASE WHEN m.anomaly_threshold = trunc(m.anomaly_threshold)"                                  \
    " THEN (trunc(m.anomaly_threshold)::bigint || '.0')::json"                                     \
    " ELSE to_json(m.anomaly_threshold) END)"

/* The Monitor object of API.md, from the monitors row aliased m. */
#define MONITOR_JSON_SQL                                                                           \
    "json_build_object('id', m.id, 'name', m.name, 'url', m.url, 'interval', m.\"interval\","      \
    " 'monitor_type', m.monitor_type, 'status', m.status, 'is_active', m.is_active,"               \
    " 'created_at', sh_iso(m.created_at), 'updated_at', sh_iso(m.updated_at),"                     \
    " 'last_checked_at', sh_iso(m.last_checked_at), 'method', m.method, 'headers', m.headers,"     \
    " 'body', m.body, 'expected_status', m.expected_status, 'timeout_ms', m.timeout_ms,"           \
    " 'follow_redirects', m.follow_redirects, 'verify_tls', m.verify_tls,"                         \
    " 'retries', m.retries, 'anomaly_threshold', " ANOMALY_THRESHOLD_JSON ","                      \
    " 'anomaly_window', m.anomaly_window, 'cert_expires_at', sh_iso(m.cert_expires_at))"

/* The list's filters: $1 user, $2 status or NULL, $3 ILIKE pattern or NULL. */
#define LIST_WHERE                                                                                 \
    "m.user_id = $1 AND ($2::text IS NULL OR m.status = $2)"                                       \
    " AND ($3::text IS NULL OR m.name ILIKE $3 ESCAPE '\\' OR m.url ILIKE $3 ESCAPE '\\')"

#define SEARCH_MAX 255 /* characters of ?search= */
/* A write that keeps finding the row changed under it gives up after this many tries. */
#define UPDATE_ATTEMPTS 5
#define WRITE_PARAMS 15

/* ---- helpers ---------------------------------------------------------------------- */

static void id_text(int64_t id, char out[24])
{
    snprintf(out, 24, "%lld", (long long)id);
}

static void reply_not_found(struct api_request *r)
{
    api_reply_detail(r, 404, "Not found.");
}

static void reply_internal(struct api_request *r)
{
    api_reply_detail(r, 500, "Internal server error.");
}

/* The Monitor object from the text MONITOR_JSON_SQL made. New reference, or NULL. */
static json_t *monitor_json(const char *text)
{
    json_t *m = text ? json_loads(text, 0, NULL) : NULL;

    if (!json_is_object(m)) {
        json_decref(m);
        return NULL;
    }
    return m;
}

static void reply_monitor(struct api_request *r, int status, const char *text)
{
    json_t *m = monitor_json(text);
    if (!m) {
        reply_internal(r);
        return;
    }
    api_reply_json(r, status, m);
}

/* Brings the schedule in line with a row just written: on it and due now when active, off
 * it when paused or deleted. A failure is not the client's: PostgreSQL has the change and
 * the runner's reconciler copies it to Redis on its next pass. */
static void schedule_sync(struct api_request *r, int64_t id, int active, const char *spec)
{
    const char *prefix = r->worker->cfg->common.redis_prefix;
    int rc = active ? schedule_put(r->worker->redis, prefix, id, spec, time_now_ms())
                    : schedule_remove(r->worker->redis, prefix, id);
    if (rc != 0) {
        log_warn("monitors: monitor %lld: schedule not updated in Redis; the reconciler will "
                 "repair it",
                 (long long)id);
        metrics_schedule_write_failed();
    }
}

/* The writable columns as text parameters, in the order the INSERT and UPDATE use. */
struct write_params {
    char interval[16], timeout[16], retries[16], window[16], threshold[40];
    const char *v[WRITE_PARAMS];
};

static void write_params_fill(struct write_params *p, const struct monitor_fields *f)
{
    snprintf(p->interval, sizeof(p->interval), "%d", f->interval);
    snprintf(p->timeout, sizeof(p->timeout), "%d", f->timeout_ms);
    snprintf(p->retries, sizeof(p->retries), "%d", f->retries);
    snprintf(p->window, sizeof(p->window), "%d", f->anomaly_window);
    snprintf(p->threshold, sizeof(p->threshold), "%.17g", f->anomaly_threshold);
    p->v[0] = f->name;
    p->v[1] = f->url;
    p->v[2] = monitor_type_name(f->type);
    p->v[3] = p->interval;
    p->v[4] = f->is_active ? "true" : "false";
    p->v[5] = f->method;
    p->v[6] = f->headers ? f->headers : "{}";
    p->v[7] = f->body;
    p->v[8] = f->expected_status;
    p->v[9] = p->timeout;
    p->v[10] = f->follow_redirects ? "true" : "false";
    p->v[11] = f->verify_tls ? "true" : "false";
    p->v[12] = p->retries;
    p->v[13] = p->threshold;
    p->v[14] = p->window;
}

/* ---- writes: the job that carries one through the target guard -------------------- */

struct monitor_job {
    struct work_job job; /* first: the job is the write */
    struct api_request *r;
    int64_t id; /* 0 on create */
    enum monitor_input_mode mode;
    struct monitor_fields f;
    int guard_failed;
    char guard_err[256];
};

static struct monitor_job *job_new(struct api_request *r, int64_t id, enum monitor_input_mode mode)
{
    struct monitor_job *job = calloc(1, sizeof(*job));
    if (!job)
        return NULL;
    job->r = r;
    job->id = id;
    job->mode = mode;
    monitor_fields_init(&job->f);
    return job;
}

static void job_free(struct monitor_job *job)
{
    if (!job)
        return;
    monitor_fields_free(&job->f);
    free(job);
}

/* On a pool thread: the DNS look-up and the address rules. */
static void guard_run(struct work_job *wj)
{
    struct monitor_job *job = (struct monitor_job *)wj;
    job->guard_failed =
        target_guard_check_host(job->f.host, job->guard_err, sizeof(job->guard_err)) != 0;
}

/* Calls next once the url's host has passed the target guard: at once when there is
 * nothing to check (private targets allowed, url unchanged), else after the look-up on the
 * work pool, since getaddrinfo blocks. next owns job from then on. */
static void guard_then(struct monitor_job *job, work_fn next)
{
    struct api_request *r = job->r;

    if (r->worker->cfg->allow_private_targets || !(job->f.given & (MF_URL | MF_TYPE))) {
        next(&job->job);
        return;
    }
    job->job = (struct work_job){.run = guard_run, .done = next};
    if (work_pool_submit(r->worker->base, &job->job) != 0) {
        job_free(job);
        api_reply_unavailable(r, "address checks (busy)");
    }
}

/* 1 and a 400 sent when the guard refused the url. */
static int guard_refused(struct monitor_job *job)
{
    json_t *errors;
    if (!job->guard_failed)
        return 0;
    errors = json_object();
    jsonutil_field_error(errors, "url", job->guard_err);
    api_reply_json(job->r, 400, errors);
    return 1;
}

/* Validates body into job->f. 0, or -1 when it replied (400 or 500). */
static int job_parse(struct monitor_job *job, json_t *body)
{
    struct api_request *r = job->r;
    json_t *errors = json_object();

    if (!errors ||
        monitor_input_parse(body, job->mode, r->worker->cfg->min_interval, &job->f, errors) != 0) {
        json_decref(errors);
        reply_internal(r);
        return -1;
    }
    if (json_object_size(errors) > 0) {
        api_reply_json(r, 400, errors);
        return -1;
    }
    json_decref(errors);
    return 0;
}

/* ---- POST /monitors/ -------------------------------------------------------------- */

static void create_write(struct work_job *wj)
{
    static const char sql[] =
        "INSERT INTO monitors AS m (user_id, name, url, monitor_type, \"interval\", is_active,"
        " method, headers, body, expected_status, timeout_ms, follow_redirects, verify_tls,"
        " retries, anomaly_threshold, anomaly_window, status)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9, $10, $11, $12, $13, $14, $15, $16,"
        " CASE WHEN $6::boolean THEN 'PENDING' ELSE 'PAUSED' END)"
        " RETURNING " MONITOR_JSON_SQL "::text, " MONITOR_SPEC_SQL ", m.id, m.is_active";
    struct monitor_job *job = (struct monitor_job *)wj;
    struct api_request *r = job->r;
    struct write_params p;
    const char *params[1 + WRITE_PARAMS];
    char uid[24];
    PGresult *res = NULL;
    enum db_status st;

    if (guard_refused(job))
        goto out;
    id_text(r->user.id, uid);
    write_params_fill(&p, &job->f);
    params[0] = uid;
    memcpy(params + 1, p.v, sizeof(p.v));
    st = db_exec_prepared(r->worker->db, &res, sql, 1 + WRITE_PARAMS, params);
    if (st != DB_OK) {
        api_reply_db_error(r, st);
        goto out;
    }
    if (db_bool(res, 0, 3))
        schedule_sync(r, db_int64(res, 0, 2), 1, db_text(res, 0, 1));
    reply_monitor(r, 201, db_text(res, 0, 0));
out:
    PQclear(res);
    job_free(job);
}

void monitors_create(struct api_request *r)
{
    struct monitor_job *job;
    json_t *body;

    if (!(body = api_request_json_body(r)))
        return;
    if (!(job = job_new(r, 0, MONITOR_INPUT_CREATE))) {
        reply_internal(r);
        return;
    }
    if (job_parse(job, body) != 0) {
        job_free(job);
        return;
    }
    guard_then(job, create_write);
}

/* ---- PUT, PATCH /monitors/{id}/ --------------------------------------------------- */

/* Loads the caller's row, applies the body to it and validates the result. 404 comes
 * before any complaint about the body, as in DRF (the object is looked up first). 0 with
 * job->f ready, or -1 when it replied. */
static int update_prepare(struct monitor_job *job)
{
    static const char sql[] =
        "SELECT " MONITOR_FIELDS_SQL " FROM monitors m WHERE m.id = $1 AND m.user_id = $2";
    struct api_request *r = job->r;
    char id[24], uid[24];
    const char *params[] = {id, uid};
    PGresult *res;
    json_t *body;
    int rc = -1;

    id_text(job->id, id);
    id_text(r->user.id, uid);
    if (!(res = owned_query(r, sql, 2, params)))
        return -1;
    monitor_fields_free(&job->f);
    if (monitor_fields_load(&job->f, res, 0, 0) != 0) {
        reply_internal(r);
        goto out;
    }
    /* A retry after a concurrent change re-reads the body parsed the first time. */
    body = r->body ? r->body : api_request_json_body(r);
    if (!body || job_parse(job, body) != 0)
        goto out;
    rc = 0;
out:
    PQclear(res);
    return rc;
}

/* Writes job->f if the row is still the version it was validated against; when another
 * write got there first, validates again on the new row (the guard's verdict stands: it
 * depends only on the url in the body). */
static void update_write(struct work_job *wj)
{
    static const char sql[] =
        "UPDATE monitors AS m SET name = $4, url = $5, monitor_type = $6, \"interval\" = $7,"
        " is_active = $8, method = $9, headers = $10::jsonb, body = $11, expected_status = $12,"
        " timeout_ms = $13, follow_redirects = $14, verify_tls = $15, retries = $16,"
        " anomaly_threshold = $17, anomaly_window = $18,"
        " status = CASE WHEN NOT $8::boolean THEN 'PAUSED' WHEN NOT m.is_active THEN 'PENDING'"
        " ELSE m.status END,"
        " version = m.version + 1, updated_at = now()"
        " WHERE m.id = $1 AND m.user_id = $2 AND m.version = $3"
        " RETURNING " MONITOR_JSON_SQL "::text, " MONITOR_SPEC_SQL ", m.is_active";
    struct monitor_job *job = (struct monitor_job *)wj;
    struct api_request *r = job->r;
    struct write_params p;
    const char *params[3 + WRITE_PARAMS];
    char id[24], uid[24], version[24];
    PGresult *res = NULL;
    enum db_status st;

    if (guard_refused(job))
        goto out;
    id_text(job->id, id);
    id_text(r->user.id, uid);
    for (int attempt = 1;; attempt++) {
        id_text(job->f.version, version);
        write_params_fill(&p, &job->f);
        params[0] = id;
        params[1] = uid;
        params[2] = version;
        memcpy(params + 3, p.v, sizeof(p.v));
        st = db_exec_prepared(r->worker->db, &res, sql, 3 + WRITE_PARAMS, params);
        if (st != DB_OK) {
            api_reply_db_error(r, st);
            goto out;
        }
        if (PQntuples(res) == 1)
            break;
        PQclear(res);
        res = NULL;
        if (attempt == UPDATE_ATTEMPTS) {
            api_reply_detail(r, 409, "The monitor is being changed by another request; retry.");
            goto out;
        }
        if (update_prepare(job) != 0)
            goto out;
    }
    schedule_sync(r, job->id, db_bool(res, 0, 2), db_text(res, 0, 1));
    reply_monitor(r, 200, db_text(res, 0, 0));
out:
    PQclear(res);
    job_free(job);
}

static void update(struct api_request *r, enum monitor_input_mode mode)
{
    struct monitor_job *job = job_new(r, r->params[0], mode);

    if (!job) {
        reply_internal(r);
        return;
    }
    if (update_prepare(job) != 0) {
        job_free(job);
        return;
    }
    guard_then(job, update_write);
}

void monitors_replace(struct api_request *r)
{
    update(r, MONITOR_INPUT_REPLACE);
}

void monitors_patch(struct api_request *r)
{
    update(r, MONITOR_INPUT_PARTIAL);
}

/* ---- GET /monitors/{id}/, DELETE, check ----------------------------------------- */

void monitors_get(struct api_request *r)
{
    static const char sql[] =
        "SELECT " MONITOR_JSON_SQL "::text FROM monitors m WHERE m.id = $1 AND m.user_id = $2";
    char id[24], uid[24];
    const char *params[] = {id, uid};
    PGresult *res;

    id_text(r->params[0], id);
    id_text(r->user.id, uid);
    res = owned_query(r, sql, 2, params);
    if (res)
        reply_monitor(r, 200, db_text(res, 0, 0));
    PQclear(res);
}

void monitors_delete(struct api_request *r)
{
    /* One statement is one transaction: the monitor and its results go together
     * (check_results has no foreign key to cascade; see migrations/0001). */
    static const char sql[] =
        "WITH d AS (DELETE FROM monitors WHERE id = $1 AND user_id = $2 RETURNING id),"
        " r AS (DELETE FROM check_results WHERE monitor_id IN (SELECT id FROM d))"
        " SELECT count(*) FROM d";
    char id[24], uid[24];
    const char *params[] = {id, uid};
    PGresult *res = NULL;
    enum db_status st;

    id_text(r->params[0], id);
    id_text(r->user.id, uid);
    st = db_exec_prepared(r->worker->db, &res, sql, 2, params);
    if (st != DB_OK) {
        api_reply_db_error(r, st);
    } else if (db_int64(res, 0, 0) == 0) {
        reply_not_found(r);
    } else {
        schedule_sync(r, r->params[0], 0, NULL);
        api_reply_empty(r, 204);
    }
    PQclear(res);
}

void monitors_check(struct api_request *r)
{
    static const char sql[] = "SELECT m.is_active, " MONITOR_SPEC_SQL
                              " FROM monitors m WHERE m.id = $1 AND m.user_id = $2";
    const struct api_config *cfg = r->worker->cfg;
    char id[24], uid[24];
    const char *params[] = {id, uid};
    PGresult *res;
    int64_t now = time_now_ms();
    int rc;

    id_text(r->params[0], id);
    id_text(r->user.id, uid);
    if (!(res = owned_query(r, sql, 2, params)))
        return;
    if (!db_bool(res, 0, 0)) {
        api_reply_detail(r, 409,
                         "The monitor is paused: resume it (is_active true) before asking for "
                         "a check.");
        goto out;
    }
    rc = schedule_due(r->worker->redis, cfg->common.redis_prefix, r->params[0], now);
    /* No spec in Redis (it was down when the monitor was saved): put the whole entry. */
    if (rc == 0)
        rc = schedule_put(r->worker->redis, cfg->common.redis_prefix, r->params[0],
                          db_text(res, 0, 1), now) == 0
                 ? 1
                 : -1;
    if (rc < 0) {
        /* Scheduling is all this request does: claiming success would be a lie. */
        metrics_schedule_write_failed();
        api_reply_unavailable(r, "redis");
        goto out;
    }
    api_reply_json(r, 202, json_pack("{s:s}", "status", "scheduled"));
out:
    PQclear(res);
}

/* ---- GET /monitors/ --------------------------------------------------------------- */

/* Strict UTF-8 (no overlong forms, surrogates or code points past U+10FFFF): PostgreSQL
 * refuses anything else with an error, and bad input must be a 400, not a 500. */
static int utf8_valid(const unsigned char *s)
{
    while (*s) {
        unsigned c = *s, need, cp;
        if (c < 0x80) {
            s++;
            continue;
        }
        if (c >= 0xC2 && c <= 0xDF)
            need = 1, cp = c & 0x1F;
        else if (c >= 0xE0 && c <= 0xEF)
            need = 2, cp = c & 0x0F;
        else if (c >= 0xF0 && c <= 0xF4)
            need = 3, cp = c & 0x07;
        else
            return 0;
        for (unsigned i = 1; i <= need; i++) {
            if ((s[i] & 0xC0) != 0x80)
                return 0;
            cp = (cp << 6) | (s[i] & 0x3F);
        }
        if ((need == 2 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
            (need == 3 && (cp < 0x10000 || cp > 0x10FFFF)))
            return 0;
        s += need + 1;
    }
    return 1;
}

/* The ILIKE pattern matching search anywhere: "%" + search with \ % _ escaped + "%".
 * 0, or -1 with the error recorded. out must hold SEARCH_MAX * 8 + 3 bytes. */
static int search_pattern(const char *search, char *out, json_t *errors)
{
    size_t chars = 0, n = 0;

    if (!utf8_valid((const unsigned char *)search)) {
        jsonutil_field_error(errors, "search", "Enter valid UTF-8 text.");
        return -1;
    }
    for (const char *s = search; *s; s++)
        chars += ((unsigned char)*s & 0xC0) != 0x80;
    if (chars > SEARCH_MAX) {
        jsonutil_field_error(errors, "search", "Ensure this value has at most 255 characters.");
        return -1;
    }
    out[n++] = '%';
    for (const char *s = search; *s; s++) {
        if (*s == '\\' || *s == '%' || *s == '_')
            out[n++] = '\\';
        out[n++] = *s;
    }
    out[n++] = '%';
    out[n] = '\0';
    return 0;
}

static int status_valid(const char *s)
{
    return strcmp(s, "UP") == 0 || strcmp(s, "DOWN") == 0 || strcmp(s, "PAUSED") == 0 ||
           strcmp(s, "PENDING") == 0;
}

void monitors_list(struct api_request *r)
{
    /* Two scalar subqueries, so the count and the page each use the (user_id, created_at,
     * id) index rather than one materialised set of every matching row. Unfiltered, the
     * count is the one the monitors triggers keep (migration 0003): counting a large
     * account's rows on every page view was most of this route's cost. The page picks its
     * ids first and builds JSON for those alone: with the JSON in the sorted select list a
     * plan that sorts instead of walking the index would build it for every row. */
    static const char sql[] = "SELECT CASE WHEN $2::text IS NULL AND $3::text IS NULL"
                              " THEN COALESCE((SELECT c.total FROM monitor_counts c"
                              " WHERE c.user_id = $1), 0)"
                              " ELSE (SELECT count(*) FROM monitors m WHERE " LIST_WHERE ") END,"
                              " (SELECT COALESCE(json_agg(" MONITOR_JSON_SQL
                              " ORDER BY m.created_at DESC, m.id DESC), '[]'::json)::text"
                              " FROM (SELECT m.id FROM monitors m WHERE " LIST_WHERE
                              " ORDER BY m.created_at DESC, m.id DESC LIMIT $4 OFFSET $5) k"
                              " JOIN monitors m ON m.id = k.id)";
    const char *status = api_request_query(r, "status");
    const char *search = api_request_query(r, "search");
    char pattern[SEARCH_MAX * 8 + 3], uid[24], limit[24], offset[24];
    const char *params[] = {uid, NULL, NULL, limit, offset};
    json_t *errors = json_object();
    PGresult *res = NULL;
    enum db_status st;
    struct page p;

    /* An empty filter is no filter, as in django-filter. */
    if (status && *status) {
        if (status_valid(status))
            params[1] = status;
        else
            jsonutil_field_error(errors, "status",
                                 "Select a valid choice: UP, DOWN, PAUSED or PENDING.");
    }
    if (search && *search && search_pattern(search, pattern, errors) == 0)
        params[2] = pattern;
    if (json_object_size(errors) > 0) {
        api_reply_json(r, 400, errors);
        errors = NULL;
        goto out;
    }
    if (paginate_parse(r, &p) != 0)
        goto out;
    id_text(r->user.id, uid);
    snprintf(limit, sizeof(limit), "%d", p.size);
    snprintf(offset, sizeof(offset), "%lld", (long long)p.offset);
    st = db_exec_prepared(r->worker->db, &res, sql, 5, params);
    if (st != DB_OK) {
        api_reply_db_error(r, st);
        goto out;
    }
    if (!db_text(res, 0, 1)) {
        reply_internal(r);
        goto out;
    }
    /* PostgreSQL rendered the rows (MONITOR_JSON_SQL); they go out as they are. */
    paginate_reply_text(r, &p, db_int64(res, 0, 0), db_text(res, 0, 1));
out:
    json_decref(errors);
    PQclear(res);
}
