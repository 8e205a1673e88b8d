#!/usr/bin/env bash
# Benchmark: 100,000 monitors at a 60 s interval, held for 10 minutes on this machine with
# every process running (PostgreSQL, Redis, statushawk-api, one statushawk-runner, the
# notifier when this checkout builds one, and a local nginx as the target).
#
#   bench/runner_scale.sh
#
# The monitors are made with SQL and put on the schedule by the runner's own reconciler
# (spread over one interval, as after a first start or a Redis flush). After a warm-up of
# one interval and a half, the measurement window starts. Printed:
#   - lateness of checks against their due time, p50 and p99 (the runner's
#     statushawk_runner_claim_lag_seconds histogram over the window; bucket bounds),
#   - results written in the window vs expected (monitors x window / interval),
#   - results lost: the runner's own count of checks done at exit vs rows in PostgreSQL,
#   - the runner's peak RSS and CPU use over the window.
# Floors: p99 lateness < 1 s, no result lost.
#
# Environment: BENCH_MONITORS (100000), BENCH_INTERVAL (60), BENCH_DURATION (600, seconds),
#   BENCH_WARMUP (90, seconds), BENCH_NGINX_WORKERS (1), RUNNER_MAX_INFLIGHT (1000).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
SH_LOG_TAG="bench"
# shellcheck source=scripts/lib.sh
. "$ROOT/scripts/lib.sh"
# shellcheck source=bench/runner_lib.sh
. "$ROOT/bench/runner_lib.sh"

N=${BENCH_MONITORS:-100000}
INTERVAL=${BENCH_INTERVAL:-60}
DURATION=${BENCH_DURATION:-600}
WARMUP=${BENCH_WARMUP:-90}
WORKERS=${BENCH_NGINX_WORKERS:-1}
export RUNNER_MAX_INFLIGHT=${RUNNER_MAX_INFLIGHT:-1000}

rb_setup
rb_nginx "$WORKERS"
sh_log "making $N monitors (interval ${INTERVAL}s) against $NGINX_URL"
rb_monitors "$N" "$INTERVAL" "$NGINX_URL"

export SECRET_KEY
SECRET_KEY=$(sh_random_hex 32)
export STATUSHAWK_ALLOW_PRIVATE_TARGETS=true
API_PORT=$(sh_free_port)
STATUSHAWK_LISTEN="127.0.0.1:$API_PORT" "$API_BIN" >"$TMP/api.log" 2>&1 &
BENCH_PIDS+=("$!")
sh_wait_http_ready "http://127.0.0.1:$API_PORT/health/" 60 || sh_die "statushawk-api did not start"
NOTIFIER_BIN="$ROOT/build-bench-runner/notifier/statushawk-notifier"
if cmake --build "$ROOT/build-bench-runner" -j2 --target statushawk-notifier >/dev/null 2>&1 &&
    [[ -x $NOTIFIER_BIN ]]; then
    "$NOTIFIER_BIN" >"$TMP/notifier.log" 2>&1 &
    BENCH_PIDS+=("$!")
    PROCS="postgres, redis, nginx, statushawk-api, statushawk-notifier, statushawk-runner"
else
    PROCS="postgres, redis, nginx, statushawk-api, statushawk-runner (no notifier in this checkout)"
fi

RPORT=$(sh_free_port "$API_PORT")
METRICS="http://127.0.0.1:$RPORT/metrics"
LOG_LEVEL=info RUNNER_HTTP_LISTEN="127.0.0.1:$RPORT" "$RUNNER_BIN" >"$TMP/runner.log" 2>&1 &
RUNNER_PID=$!
BENCH_PIDS=("$RUNNER_PID" "${BENCH_PIDS[@]}")
sh_wait_http_ready "http://127.0.0.1:$RPORT/health" 30 || sh_die "the runner did not start"
sh_log "running: $PROCS; warm-up ${WARMUP}s, then a ${DURATION}s window"
sleep "$WARMUP"
SCHEDULED=$(redis-cli -p "$REDIS_PORT" ZCARD sh:schedule)
((SCHEDULED == N)) || sh_warn "only $SCHEDULED of $N monitors on the schedule after the warm-up"

HZ=$(getconf CLK_TCK)
rb_hist_snapshot "$METRICS" statushawk_runner_claim_lag_seconds "$TMP/h0"
CPU0=$(rb_cpu_ticks "$RUNNER_PID")
T0=$(now_ms)
RSS_MAX=0
while (($(now_ms) < T0 + DURATION * 1000)); do
    sleep 5
    sh_pid_alive "$RUNNER_PID" || { tail -n 30 "$TMP/runner.log" >&2; sh_die "the runner exited"; }
    rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$RUNNER_PID/status")
    ((rss > RSS_MAX)) && RSS_MAX=$rss
done
T1=$(now_ms)
CPU1=$(rb_cpu_ticks "$RUNNER_PID")
rb_hist_snapshot "$METRICS" statushawk_runner_claim_lag_seconds "$TMP/h1"
P50=$(rb_hist_quantile "$TMP/h0" "$TMP/h1" 0.50)
P99=$(rb_hist_quantile "$TMP/h0" "$TMP/h1" 0.99)
P999=$(rb_hist_quantile "$TMP/h0" "$TMP/h1" 0.999)
sleep 2 # the window's last results reach PostgreSQL
WRITTEN=$(rb_psql "SELECT count(*) FROM check_results
                   WHERE checked_at >= to_timestamp($T0 / 1000.0)
                     AND checked_at < to_timestamp($T1 / 1000.0)")
FLUSH_SUM=$(rb_metric "$METRICS" statushawk_runner_batch_flush_seconds_sum)
FLUSH_N=$(rb_metric "$METRICS" statushawk_runner_batch_flush_seconds_count)

# Stop the runner: it finishes its checks and writes everything, then reports its totals.
sh_stop_pid "$RUNNER_PID" 60 statushawk-runner
BENCH_PIDS=("${BENCH_PIDS[@]:1}")
EXIT_LINE=$(grep -E 'exit: [0-9]+ checks done' "$TMP/runner.log" | tail -n 1)
DONE=$(sed -E 's/.*exit: ([0-9]+) checks done.*/\1/' <<<"$EXIT_LINE")
DROPPED=$(sed -E 's/.*results written, ([0-9]+) dropped.*/\1/' <<<"$EXIT_LINE")
ROWS=$(rb_psql "SELECT count(*) FROM check_results")

report() {
    awk -v n="$N" -v iv="$INTERVAL" -v t0="$T0" -v t1="$T1" -v written="$WRITTEN" \
        -v p50="$P50" -v p99="$P99" -v p999="$P999" -v cpu0="$CPU0" -v cpu1="$CPU1" -v hz="$HZ" \
        -v rss="$RSS_MAX" -v done_="$DONE" -v rows="$ROWS" -v dropped="$DROPPED" \
        -v fs="$FLUSH_SUM" -v fn="$FLUSH_N" -v procs="$PROCS" -v cpus="$(nproc)" 'BEGIN {
        secs = (t1 - t0) / 1000; expected = n * secs / iv
        printf "runner scale: %d monitors every %d s, %.0f s window, %d CPUs\n", n, iv, secs, cpus
        printf "  processes: %s\n", procs
        printf "  check lateness vs due time: p50 <= %s s, p99 <= %s s, p99.9 <= %s s\n", p50, p99, p999
        printf "  results written in the window: %d of %.0f expected (%.2f%%)\n", written, expected, \
            100 * written / expected
        printf "  checks done by the runner: %d; rows in PostgreSQL: %d; dropped: %d -> %s\n", \
            done_, rows, dropped, (done_ == rows && dropped == 0 ? "no result lost" : "RESULTS LOST")
        printf "  runner: peak RSS %.1f MiB, CPU %.1f%% of one core (%.0f us per check)\n", \
            rss / 1024, 100 * (cpu1 - cpu0) / hz / secs, (cpu1 - cpu0) / hz / (expected ? expected : 1) * 1e6
        printf "  batches: %d, mean write time %.1f ms\n", fn, fn ? fs / fn * 1000 : 0
        p99v = (p99 == "+Inf" || p99 == "n/a") ? 1e9 : p99 + 0
        printf "  floors: p99 lateness < 1 s -> %s; no result lost -> %s\n", \
            (p99v < 1 ? "met" : "NOT met"), (done_ == rows && dropped == 0 ? "met" : "NOT met")
    }'
}
report
mkdir -p "$ROOT/bench/out"
{
    bench_stamp
    report
    echo "--- lateness histogram over the window (le, count)"
    paste -d' ' "$TMP/h0" "$TMP/h1" | awk '{ print $1, $4 - $2 }'
    echo "--- $EXIT_LINE"
} >"$ROOT/bench/out/runner_scale.txt"
echo "(saved in bench/out/runner_scale.txt)"
