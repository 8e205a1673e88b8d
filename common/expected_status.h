/* expected_status: which HTTP status codes count as "up" for a monitor. The text form is a
 * comma-separated list of codes and inclusive ranges, "200-299,301"; the api parses it to
 * validate what a user saves (and stores the canonical form), the runner parses it once
 * per spec and matches every response against it. Whitespace around items is allowed. */
#ifndef STATUSHAWK_COMMON_EXPECTED_STATUS_H
#define STATUSHAWK_COMMON_EXPECTED_STATUS_H

#include <stddef.h>

#define EXPECTED_STATUS_MAX_RANGES 32
/* The monitors.expected_status column is varchar(255); 32 ranges of "599-599," fit. */
#define EXPECTED_STATUS_TEXT_MAX 255
#define EXPECTED_STATUS_CODE_MIN 100
#define EXPECTED_STATUS_CODE_MAX 599
#define EXPECTED_STATUS_DEFAULT "200-299"

struct expected_status_range {
    int lo, hi; /* inclusive; lo <= hi */
};

struct expected_status {
    int n;
    struct expected_status_range ranges[EXPECTED_STATUS_MAX_RANGES];
};

/* Parses text into out. 0, or -1 with a message for the user in err (out is then empty,
 * so it matches nothing). text may be NULL (an error). */
int expected_status_parse(const char *text, struct expected_status *out, char *err, size_t errlen);

/* 1 when code is in one of the ranges, else 0. */
int expected_status_match(const struct expected_status *es, int code);

/* Writes the canonical text ("200-299,301": no spaces, a range of one code as the code)
 * into out. 0, or -1 when it does not fit outlen (EXPECTED_STATUS_TEXT_MAX + 1 always
 * fits a parsed value). */
int expected_status_format(const struct expected_status *es, char *out, size_t outlen);

#endif
