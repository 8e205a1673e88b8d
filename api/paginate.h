/* paginate: DRF's page-number pagination as the original dashboard reads it:
 * ?page=N&size=M in, {"count","next","previous","results"} out, with absolute URLs. */
#ifndef STATUSHAWK_API_PAGINATE_H
#define STATUSHAWK_API_PAGINATE_H

#include <jansson.h>
#include <stdint.h>

struct api_request;

#define PAGINATE_DEFAULT_SIZE 10
#define PAGINATE_MAX_SIZE 100

struct page {
    int64_t number; /* 1-based */
    int size;
    int64_t offset; /* (number - 1) * size: for SQL OFFSET */
};

/* Reads ?page (default 1) and ?size (default PAGINATE_DEFAULT_SIZE, at most
 * PAGINATE_MAX_SIZE; an invalid size falls back to the default, as in DRF). A page that
 * is not a positive integer answers 404 {"detail":"Invalid page."} and returns -1. */
int paginate_parse(struct api_request *r, struct page *p);

/* Answers 200 with the page, or 404 "Invalid page." when p is past the last page (page 1
 * always exists, empty or not). results is stolen. */
void paginate_reply(struct api_request *r, const struct page *p, int64_t count, json_t *results);

/* The same for results already rendered as a JSON array (by PostgreSQL, say): no parse
 * and re-print of every row. results_json is borrowed. */
void paginate_reply_text(struct api_request *r, const struct page *p, int64_t count,
                         const char *results_json);

#endif
