/* webroot: see webroot.h. */
#include "api/webroot.h"

#include <errno.h>
#include <event2/buffer.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api/request.h"
#include "common/log.h"

#define WEB_FILE_MAX (64L * 1024 * 1024) /* the largest file this will send */

static const struct {
    const char *ext, *type;
} content_types[] = {
    {".html", "text/html; charset=utf-8"},
    {".js", "text/javascript; charset=utf-8"},
    {".mjs", "text/javascript; charset=utf-8"},
    {".css", "text/css; charset=utf-8"},
    {".json", "application/json; charset=utf-8"},
    {".map", "application/json; charset=utf-8"},
    {".webmanifest", "application/manifest+json"},
    {".svg", "image/svg+xml"},
    {".png", "image/png"},
    {".jpg", "image/jpeg"},
    {".jpeg", "image/jpeg"},
    {".gif", "image/gif"},
    {".webp", "image/webp"},
    {".ico", "image/x-icon"},
    {".woff", "font/woff"},
    {".woff2", "font/woff2"},
    {".txt", "text/plain; charset=utf-8"},
    {".wasm", "application/wasm"},
};

static const char *content_type(const char *path)
{
    const char *dot = strrchr(path, '.');
    if (dot && !strchr(dot, '/'))
        for (size_t i = 0; i < sizeof(content_types) / sizeof(content_types[0]); i++)
            if (strcmp(dot, content_types[i].ext) == 0)
                return content_types[i].type;
    return "application/octet-stream";
}

/* 1 when the decoded path is safe to append to the root: absolute, no NUL, no
 * backslash, and no "." or ".." segment. */
static int path_is_clean(const char *p, size_t len)
{
    if (len == 0 || p[0] != '/' || memchr(p, '\0', len) || memchr(p, '\\', len))
        return 0;
    for (size_t i = 0; i < len; i++) {
        if (p[i] != '/')
            continue;
        size_t seg = strcspn(p + i + 1, "/");
        if ((seg == 1 && p[i + 1] == '.') || (seg == 2 && p[i + 1] == '.' && p[i + 2] == '.'))
            return 0;
    }
    return 1;
}

/* Opens root + rel if it is a regular file whose real path is still under the root (a
 * symlink out of it is refused). Returns the fd and fills st, or -1. */
static int open_under_root(const char *root, const char *rel, struct stat *st)
{
    char joined[PATH_MAX], real_root[PATH_MAX], real_file[PATH_MAX];
    size_t rlen;
    int fd;

    if (snprintf(joined, sizeof(joined), "%s%s", root, rel) >= (int)sizeof(joined) ||
        !realpath(root, real_root) || !realpath(joined, real_file))
        return -1;
    rlen = strlen(real_root);
    if (strncmp(real_file, real_root, rlen) != 0 || real_file[rlen] != '/')
        return -1;
    fd = open(real_file, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    if (fstat(fd, st) != 0 || !S_ISREG(st->st_mode) || st->st_size > WEB_FILE_MAX) {
        close(fd);
        return -1;
    }
    return fd;
}

static void send_file(struct api_request *r, int fd, const struct stat *st, const char *name,
                      int immutable)
{
    struct evbuffer *b = evbuffer_new();

    if (!b) {
        close(fd);
        api_reply_detail(r, 500, "Internal server error.");
        return;
    }
    /* Vite puts content-hashed names under /assets/: they never change, cache them for a
     * year. index.html must be revalidated so a deploy is seen at once. */
    api_reply_header(r, "Cache-Control",
                     immutable ? "public, max-age=31536000, immutable" : "no-cache");
    api_reply_header(r, "X-Content-Type-Options", "nosniff");
    if (st->st_size == 0 || evbuffer_add_file(b, fd, 0, st->st_size) != 0) {
        if (st->st_size != 0)
            log_error("webroot: cannot send %s", name);
        close(fd); /* evbuffer_add_file owns fd only on success */
    }
    api_reply_buffer(r, 200, content_type(name), b);
    evbuffer_free(b);
}

void webroot_serve(struct api_request *r)
{
    const char *root = r->worker->cfg->web_root;
    char *decoded = NULL;
    size_t len = 0;
    const char *last;
    struct stat st;
    int fd;

    decoded = evhttp_uridecode(r->path, 0, &len);
    if (!decoded || !path_is_clean(decoded, len)) {
        free(decoded);
        api_reply_detail(r, 404, "Not found.");
        return;
    }
    fd = strcmp(decoded, "/") == 0 ? -1 : open_under_root(root, decoded, &st);
    if (fd >= 0) {
        send_file(r, fd, &st, decoded, strncmp(decoded, "/assets/", 8) == 0);
        free(decoded);
        return;
    }
    /* No such file: a client-side route (no extension) gets the app; a missing asset 404. */
    last = strrchr(decoded, '/');
    if (strchr(last, '.')) {
        free(decoded);
        api_reply_detail(r, 404, "Not found.");
        return;
    }
    free(decoded);
    fd = open_under_root(root, "/index.html", &st);
    if (fd < 0) {
        api_reply_detail(r, 404, "Not found.");
        return;
    }
    send_file(r, fd, &st, "/index.html", 0);
}
