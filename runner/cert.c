/* cert: see cert.h. */
#include "runner/cert.h"

#include <math.h>
#include <openssl/asn1.h>
#include <openssl/x509.h>
#include <time.h>

#define DAY_MS (86400LL * 1000)

int cert_level(int64_t not_after_ms, int64_t now_ms)
{
    int64_t left = not_after_ms - now_ms;

    if (left <= 1 * DAY_MS)
        return 1;
    if (left <= 7 * DAY_MS)
        return 7;
    if (left <= 14 * DAY_MS)
        return 14;
    return 0;
}

int cert_days_left(int64_t not_after_ms, int64_t now_ms)
{
    return (int)floor((double)(not_after_ms - now_ms) / (double)DAY_MS);
}

int64_t cert_not_after_ms(const struct x509_st *cert)
{
    const ASN1_TIME *t;
    struct tm tm;

    if (!cert)
        return 0;
    t = X509_get0_notAfter(cert);
    if (!t || ASN1_TIME_to_tm(t, &tm) != 1)
        return 0;
    return (int64_t)timegm(&tm) * 1000;
}
