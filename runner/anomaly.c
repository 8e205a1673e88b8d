/* anomaly: see anomaly.h. */
#include "runner/anomaly.h"

#include <math.h>
#include <string.h>

void anomaly_evaluate(const double *window, int n, double t, double threshold, double min_delta_ms,
                      struct anomaly_eval *out)
{
    double sum = 0, sq = 0, mean;

    memset(out, 0, sizeof(*out));
    if (n < ANOMALY_MIN_SAMPLES)
        return;
    for (int i = 0; i < n; i++)
        sum += window[i];
    mean = sum / n;
    /* Two passes: the textbook one-pass formula loses precision when the times are
     * large and close together, which is exactly the steady case. */
    for (int i = 0; i < n; i++)
        sq += (window[i] - mean) * (window[i] - mean);
    out->mean = mean;
    out->stdev = sqrt(sq / n);
    if (!(out->stdev > 1e-9))
        return;
    out->evaluated = 1;
    out->z = (t - mean) / out->stdev;
    out->flagged = out->z > threshold && t - mean >= min_delta_ms;
}
