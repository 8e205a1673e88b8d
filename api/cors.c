/* cors: see cors.h. */
#include "api/cors.h"

#include <string.h>
#include <strings.h>

const char *cors_allow_origin(const char *allowed_list, const char *origin)
{
    const char *p = allowed_list;
    size_t olen;

    if (!origin || !*origin || !allowed_list)
        return NULL;
    olen = strlen(origin);
    while (*p) {
        size_t len;
        while (*p == ',' || *p == ' ')
            p++;
        len = strcspn(p, ", ");
        if (len == 1 && *p == '*')
            return "*";
        /* Scheme and host are case-insensitive; a listed origin is compared whole. */
        if (len == olen && len > 0 && strncasecmp(p, origin, len) == 0)
            return origin;
        p += len;
    }
    return NULL;
}
