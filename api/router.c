/* router: see router.h. */
#include "api/router.h"

#include <stdio.h>
#include <string.h>

#include "api/request.h"

static const struct {
    enum evhttp_cmd_type method;
    const char *name;
} method_names[] = {
    {EVHTTP_REQ_GET, "GET"},         {EVHTTP_REQ_POST, "POST"},     {EVHTTP_REQ_PUT, "PUT"},
    {EVHTTP_REQ_PATCH, "PATCH"},     {EVHTTP_REQ_DELETE, "DELETE"}, {EVHTTP_REQ_HEAD, "HEAD"},
    {EVHTTP_REQ_OPTIONS, "OPTIONS"}, {EVHTTP_REQ_TRACE, "TRACE"},   {EVHTTP_REQ_CONNECT, "CONNECT"},
};

const char *router_method_name(enum evhttp_cmd_type method)
{
    for (size_t i = 0; i < sizeof(method_names) / sizeof(method_names[0]); i++)
        if (method_names[i].method == method)
            return method_names[i].name;
    return "UNKNOWN";
}

void router_methods_list(unsigned mask, char *out, size_t outsize)
{
    size_t len = 0;
    out[0] = '\0';
    for (size_t i = 0; i < sizeof(method_names) / sizeof(method_names[0]); i++) {
        if (!(mask & (unsigned)method_names[i].method))
            continue;
        int n = snprintf(out + len, outsize - len, "%s%s", len ? ", " : "", method_names[i].name);
        if (n < 0 || (size_t)n >= outsize - len)
            return;
        len += (size_t)n;
    }
}

/* Takes the next non-empty segment of *p: its start and length; 0 at the end. */
static size_t next_segment(const char **p, const char **seg)
{
    while (**p == '/')
        (*p)++;
    *seg = *p;
    while (**p && **p != '/')
        (*p)++;
    return (size_t)(*p - *seg);
}

static int parse_id(const char *s, size_t len, int64_t *out)
{
    int64_t v = 0;
    if (len == 0 || len > 18 || s[0] == '0')
        return -1;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 0;
}

static int path_matches(const char *pattern, const char *path, int64_t *params, int *nparams)
{
    const char *pseg, *sseg;
    size_t plen, slen;

    *nparams = 0;
    for (;;) {
        plen = next_segment(&pattern, &pseg);
        slen = next_segment(&path, &sseg);
        if (plen == 0 || slen == 0)
            return plen == slen;
        if (plen == 4 && memcmp(pseg, "{id}", 4) == 0) {
            if (*nparams == ROUTE_MAX_PARAMS || parse_id(sseg, slen, &params[*nparams]) != 0)
                return 0;
            (*nparams)++;
        } else if (plen != slen || memcmp(pseg, sseg, plen) != 0) {
            return 0;
        }
    }
}

const struct route *router_match(const struct route *routes, size_t n, enum evhttp_cmd_type method,
                                 const char *path, int64_t *params, int *nparams, unsigned *allowed)
{
    int64_t scratch[ROUTE_MAX_PARAMS];
    int nscratch;

    *allowed = 0;
    for (size_t i = 0; i < n; i++) {
        if (!path_matches(routes[i].pattern, path, scratch, &nscratch))
            continue;
        if (routes[i].method == method) {
            memcpy(params, scratch, sizeof(scratch));
            *nparams = nscratch;
            return &routes[i];
        }
        *allowed |= (unsigned)routes[i].method;
    }
    return NULL;
}
