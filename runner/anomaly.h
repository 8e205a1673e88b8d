/* anomaly: is a successful response time out of line with the ones before it? Pure. The
 * baseline is the monitor's previous successful times (<prefix>lat:<id>, newest first,
 * at most anomaly_window of them, not including this one). With at least
 * ANOMALY_MIN_SAMPLES values and a standard deviation above zero,
 * z = (t - mean) / stdev; the time is anomalous when z is above the monitor's threshold.
 * Only slow outliers count: a response faster than usual is not a problem to report.
 * And a response less than min_delta_ms slower than the mean never counts: on a target
 * that answers in a fraction of a millisecond the standard deviation is tiny, and a
 * z-score of 10 then measures the scheduler, not the target (ANOMALY_MIN_DELTA_MS;
 * 0 gives the bare rule). */
#ifndef STATUSHAWK_RUNNER_ANOMALY_H
#define STATUSHAWK_RUNNER_ANOMALY_H

#define ANOMALY_MIN_SAMPLES 10

struct anomaly_eval {
    int evaluated; /* 1 when the baseline was usable */
    int flagged;   /* 1 when z > threshold */
    double mean, stdev, z;
};

/* Population mean and standard deviation of window[0..n). */
void anomaly_evaluate(const double *window, int n, double t, double threshold, double min_delta_ms,
                      struct anomaly_eval *out);

#endif
