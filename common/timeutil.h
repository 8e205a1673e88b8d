/* timeutil: wall-clock and monotonic time, ISO-8601 UTC with milliseconds. */
#ifndef STATUSHAWK_COMMON_TIMEUTIL_H
#define STATUSHAWK_COMMON_TIMEUTIL_H

#include <stdint.h>

#define TIME_ISO_BUFSZ 32 /* "2026-11-24T10:15:30.123Z" is 24 chars */

int64_t time_now_ms(void);   /* milliseconds since the Unix epoch */
int64_t time_mono_us(void);  /* monotonic microseconds, for durations */

/* Formats ms since the epoch as "YYYY-MM-DDTHH:MM:SS.mmmZ". */
void time_format_iso(int64_t ms, char out[TIME_ISO_BUFSZ]);

/* Parses "YYYY-MM-DDTHH:MM:SS[.fff...](Z|+hh:mm|-hh:mm)" (a space is accepted in place
 * of the T, and "+hh"/"+hhmm" offsets, as PostgreSQL prints them) into ms since the
 * epoch. Returns 0, or -1 on anything malformed or out of range. */
int time_parse_iso(const char *s, int64_t *ms);

#endif
