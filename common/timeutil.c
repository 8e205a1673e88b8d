/* timeutil: clocks and the one timestamp format StatusHawk writes and reads. */
#include "common/timeutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

/* Timestamps past 2038 are ordinary here (certificate expiry, scheduled checks). */
_Static_assert(sizeof(time_t) >= 8, "time_t must be 64-bit");

/* The instants whose year has four digits, the range "YYYY" can show. Formatting
 * clamps to it, so the output is always 24 characters and always parses back. */
#define ISO_MIN_MS (-62167219200000LL) /* 0000-01-01T00:00:00.000Z */
#define ISO_MAX_MS 253402300799999LL   /* 9999-12-31T23:59:59.999Z */

/* POSIX guarantees both clocks; clock_gettime fails only for an unknown clock id, so
 * a failure is a broken platform, not a condition to carry on from. */
static void clock_read(clockid_t id, struct timespec *ts)
{
    if (clock_gettime(id, ts) != 0)
        abort();
}

int64_t time_now_ms(void)
{
    struct timespec ts;

    clock_read(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t time_mono_us(void)
{
    struct timespec ts;

    clock_read(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void time_format_iso(int64_t ms, char out[TIME_ISO_BUFSZ])
{
    int64_t sec;
    int milli, n;
    time_t t;
    struct tm tm;

    if (ms < ISO_MIN_MS)
        ms = ISO_MIN_MS;
    if (ms > ISO_MAX_MS)
        ms = ISO_MAX_MS;
    /* Floor, not truncation: -1 ms is 23:59:59.999 of the day before the epoch. */
    sec = ms / 1000;
    milli = (int)(ms % 1000);
    if (milli < 0) {
        milli += 1000;
        sec--;
    }
    t = (time_t)sec;
    if (gmtime_r(&t, &tm) == NULL) {
        /* Unreachable within the clamped range; an empty string claims no time. */
        out[0] = '\0';
        return;
    }
    n = snprintf(out, TIME_ISO_BUFSZ, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, milli);
    if (n < 0 || n >= TIME_ISO_BUFSZ)
        out[0] = '\0';
}

/* Reads exactly count decimal digits. Stops at the first non-digit, so it never
 * reads past a string's NUL. */
static int parse_digits(const char **p, int count, int *out)
{
    int v = 0, i;

    for (i = 0; i < count; i++) {
        char c = (*p)[i];

        if (c < '0' || c > '9')
            return -1;
        v = v * 10 + (c - '0');
    }
    *p += count;
    *out = v;
    return 0;
}

static int parse_char(const char **p, char c)
{
    if (**p != c)
        return -1;
    (*p)++;
    return 0;
}

static int is_leap(int year)
{
    return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

static int days_in_month(int year, int month)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

    return month == 2 && is_leap(year) ? 29 : days[month - 1];
}

/* Fractional seconds: one or more digits, of which the first three count. */
static int parse_fraction(const char **p, int *milli)
{
    int v = 0, used = 0, seen = 0;

    while (**p >= '0' && **p <= '9') {
        if (used < 3) {
            v = v * 10 + (**p - '0');
            used++;
        }
        seen = 1;
        (*p)++;
    }
    if (!seen)
        return -1;
    for (; used < 3; used++)
        v *= 10;
    *milli = v;
    return 0;
}

/* "Z", or a sign and hh, hh:mm or hhmm. Returns the offset east of UTC in minutes. */
static int parse_offset(const char **p, int *minutes)
{
    int sign, hh, mm = 0;

    if (**p == 'Z') {
        (*p)++;
        *minutes = 0;
        return 0;
    }
    if (**p != '+' && **p != '-')
        return -1;
    sign = **p == '-' ? -1 : 1;
    (*p)++;
    if (parse_digits(p, 2, &hh) != 0)
        return -1;
    if (**p == ':') {
        (*p)++;
        if (parse_digits(p, 2, &mm) != 0)
            return -1;
    } else if (**p >= '0' && **p <= '9') {
        if (parse_digits(p, 2, &mm) != 0)
            return -1;
    }
    if (hh > 23 || mm > 59)
        return -1;
    *minutes = sign * (hh * 60 + mm);
    return 0;
}

int time_parse_iso(const char *s, int64_t *ms)
{
    struct tm tm = {0};
    int year, month, day, hour, minute, second, milli = 0, offset;
    time_t t;

    if (s == NULL || ms == NULL)
        return -1;
    if (parse_digits(&s, 4, &year) != 0 || parse_char(&s, '-') != 0 ||
        parse_digits(&s, 2, &month) != 0 || parse_char(&s, '-') != 0 ||
        parse_digits(&s, 2, &day) != 0)
        return -1;
    if (*s != 'T' && *s != ' ')
        return -1;
    s++;
    if (parse_digits(&s, 2, &hour) != 0 || parse_char(&s, ':') != 0 ||
        parse_digits(&s, 2, &minute) != 0 || parse_char(&s, ':') != 0 ||
        parse_digits(&s, 2, &second) != 0)
        return -1;
    if (*s == '.') {
        s++;
        if (parse_fraction(&s, &milli) != 0)
            return -1;
    }
    if (parse_offset(&s, &offset) != 0 || *s != '\0')
        return -1;

    /* timegm would quietly roll "Feb 30" into March; refuse it instead. Leap seconds
     * (:60) are refused too: nothing StatusHawk reads writes them. */
    if (month < 1 || month > 12 || day < 1 || day > days_in_month(year, month) || hour > 23 ||
        minute > 59 || second > 59)
        return -1;

    tm.tm_year = year - 1900;
    tm.tm_mon = month - 1;
    tm.tm_mday = day;
    tm.tm_hour = hour;
    tm.tm_min = minute;
    tm.tm_sec = second;
    /* With the fields validated and a 64-bit time_t, timegm cannot fail; -1 is then
     * the real 1969-12-31T23:59:59, not an error. */
    t = timegm(&tm);
    *ms = (int64_t)t * 1000 + milli - (int64_t)offset * 60000;
    return 0;
}
