/* webroot: the dashboard's built files (STATUSHAWK_WEB_ROOT, normally web/dist) for every
 * GET that no API route takes. A path without a file extension that names no file is a
 * client-side route and gets index.html. Nothing outside the root is ever served. */
#ifndef STATUSHAWK_API_WEBROOT_H
#define STATUSHAWK_API_WEBROOT_H

struct api_request;

/* Answers r (GET or HEAD) from the web root: the file, index.html, or 404. */
void webroot_serve(struct api_request *r);

#endif
