/* cert: certificate expiry. A monitor's HTTPS checks record the peer certificate's
 * notAfter; one cert_expiry alert is sent when 14, 7 and 1 days are left, each level
 * once per certificate (a renewed certificate starts over). Which levels were alerted is
 * kept in PostgreSQL (monitors.cert_alert_level), decided in the same conditional update
 * as transitions, so neither a Redis flush nor two runners can repeat an alert. */
#ifndef STATUSHAWK_RUNNER_CERT_H
#define STATUSHAWK_RUNNER_CERT_H

#include <stdint.h>

struct x509_st;

/* The alert level for a certificate expiring at not_after_ms: 1, 7 or 14 (the smallest
 * level whose days it is within, an expired certificate counting as 1), or 0. */
int cert_level(int64_t not_after_ms, int64_t now_ms);

/* Whole days left, rounded down (negative once expired). */
int cert_days_left(int64_t not_after_ms, int64_t now_ms);

/* The certificate's notAfter in ms since the epoch; 0 when it cannot be read. */
int64_t cert_not_after_ms(const struct x509_st *cert);

#endif
