/* paginate: see paginate.h. */
#include "api/paginate.h"

#include <errno.h>
#include <event2/buffer.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/request.h"
#include "common/jsonutil.h"

static int parse_positive(const char *s, int64_t *out)
{
    char *end;
    long long v;
    if (!s || !*s)
        return -1;
    errno = 0;
    v = strtoll(s, &end, 10);
    if (errno || *end || v < 1)
        return -1;
    *out = v;
    return 0;
}

int paginate_parse(struct api_request *r, struct page *p)
{
    const char *page = api_request_query(r, "page");
    int64_t size;

    p->number = 1;
    if (page && parse_positive(page, &p->number) != 0) {
        api_reply_detail(r, 404, "Invalid page.");
        return -1;
    }
    p->size = PAGINATE_DEFAULT_SIZE;
    if (parse_positive(api_request_query(r, "size"), &size) == 0)
        p->size = size > PAGINATE_MAX_SIZE ? PAGINATE_MAX_SIZE : (int)size;
    if (p->number > INT64_MAX / p->size) {
        api_reply_detail(r, 404, "Invalid page.");
        return -1;
    }
    p->offset = (p->number - 1) * p->size;
    return 0;
}

/* A Host header fit to be echoed in a URL: host name or address and an optional port. */
static int host_is_safe(const char *host)
{
    size_t n = host ? strlen(host) : 0;
    if (n == 0 || n > 255)
        return 0;
    return strspn(host, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:[]") == n;
}

/* This request's absolute URL with page set to number (removed when number is 1, as DRF
 * does), other parameters kept. NULL on failure. New string. */
static char *page_url(struct api_request *r, int64_t number)
{
    const char *host = api_request_header(r, "Host");
    const char *proto =
        r->worker->cfg->trust_proxy ? api_request_header(r, "X-Forwarded-Proto") : NULL;
    struct evbuffer *b = evbuffer_new();
    struct evkeyval *kv;
    char sep = '?';
    char *url = NULL;
    size_t len;

    api_request_query(r, "page"); /* parses the query if nothing did yet */
    if (!b)
        return NULL;
    evbuffer_add_printf(b, "%s://%s%s", proto && strcmp(proto, "https") == 0 ? "https" : "http",
                        host_is_safe(host) ? host : "localhost", r->path);
    TAILQ_FOREACH(kv, &r->query, next)
    {
        char *k, *v;
        if (strcmp(kv->key, "page") == 0)
            continue;
        k = evhttp_encode_uri(kv->key);
        v = evhttp_encode_uri(kv->value);
        if (k && v)
            evbuffer_add_printf(b, "%c%s=%s", sep, k, v);
        free(k);
        free(v);
        sep = '&';
    }
    if (number > 1)
        evbuffer_add_printf(b, "%cpage=%lld", sep, (long long)number);
    len = evbuffer_get_length(b);
    url = malloc(len + 1);
    if (url) {
        evbuffer_remove(b, url, len);
        url[len] = '\0';
    }
    evbuffer_free(b);
    return url;
}

static json_t *url_or_null(char *url)
{
    json_t *v = url ? json_string(url) : json_null();
    free(url);
    return v;
}

static int64_t last_page(const struct page *p, int64_t count)
{
    return count == 0 ? 1 : (count + p->size - 1) / p->size;
}

/* Appends ,"name":<url or null> to b; url is taken over. */
static void add_link(struct evbuffer *b, const char *name, char *url)
{
    json_t *v = url_or_null(url);
    char *text = jsonutil_dump(v);
    evbuffer_add_printf(b, ",\"%s\":%s", name, text ? text : "null");
    free(text);
    json_decref(v);
}

void paginate_reply_text(struct api_request *r, const struct page *p, int64_t count,
                         const char *results_json)
{
    int64_t last = last_page(p, count);
    struct evbuffer *b;

    if (p->number > last) {
        api_reply_detail(r, 404, "Invalid page.");
        return;
    }
    b = evbuffer_new();
    if (!b) {
        api_reply_detail(r, 500, "Internal server error.");
        return;
    }
    evbuffer_add_printf(b, "{\"count\":%lld", (long long)count);
    add_link(b, "next", p->number < last ? page_url(r, p->number + 1) : NULL);
    add_link(b, "previous", p->number > 1 ? page_url(r, p->number - 1) : NULL);
    evbuffer_add_printf(b, ",\"results\":%s}", results_json);
    api_reply_buffer(r, 200, "application/json; charset=utf-8", b);
    evbuffer_free(b);
}

void paginate_reply(struct api_request *r, const struct page *p, int64_t count, json_t *results)
{
    int64_t last = last_page(p, count);

    if (p->number > last) {
        json_decref(results);
        api_reply_detail(r, 404, "Invalid page.");
        return;
    }
    api_reply_json(
        r, 200,
        json_pack("{s:I, s:o, s:o, s:o}", "count", (json_int_t)count, "next",
                  p->number < last ? url_or_null(page_url(r, p->number + 1)) : json_null(),
                  "previous", p->number > 1 ? url_or_null(page_url(r, p->number - 1)) : json_null(),
                  "results", results));
}
