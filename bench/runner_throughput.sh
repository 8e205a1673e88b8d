#!/usr/bin/env bash
# Benchmark: how many HTTP checks per second one statushawk-runner process completes,
# results persisted, against a local nginx with a new connection per check — beside what
# `wrk -H 'Connection: close'` gets from the same nginx in the same run.
#
#   bench/runner_throughput.sh
#
# N monitors (BENCH_MONITORS, default 50000) are made with SQL and all put on the schedule
# due now; one runner (RUNNER_MAX_INFLIGHT, default 1000) starts and the clock runs until
# PostgreSQL holds N results. Prints checks/s, the ratio to wrk, batch write times, the
# runner's CPU time and peak RSS. Floor (DESIGN.md): >= 5,000 checks/s.
#
# Environment: BENCH_MONITORS (50000), BENCH_NGINX_WORKERS (1), BENCH_WRK_DURATION (10s),
#   BENCH_WRK_CONNECTIONS (50), RUNNER_MAX_INFLIGHT (1000), LOG_LEVEL (warn).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
SH_LOG_TAG="bench"
# shellcheck source=scripts/lib.sh
. "$ROOT/scripts/lib.sh"
# shellcheck source=bench/runner_lib.sh
. "$ROOT/bench/runner_lib.sh"

N=${BENCH_MONITORS:-50000}
WORKERS=${BENCH_NGINX_WORKERS:-1}
WRK_DURATION=${BENCH_WRK_DURATION:-10s}
WRK_CONNS=${BENCH_WRK_CONNECTIONS:-50}
export RUNNER_MAX_INFLIGHT=${RUNNER_MAX_INFLIGHT:-1000}

rb_setup
rb_nginx "$WORKERS"

# ---- wrk on the same target -------------------------------------------------------------
sh_log "wrk -t1 -c$WRK_CONNS -d$WRK_DURATION -H 'Connection: close' $NGINX_URL"
wrk -t1 -c"$WRK_CONNS" -d"$WRK_DURATION" -H 'Connection: close' "$NGINX_URL" >"$TMP/wrk.txt" 2>&1 ||
    { cat "$TMP/wrk.txt" >&2; sh_die "wrk failed"; }
WRK_RPS=$(awk '/^Requests\/sec:/ { print $2 }' "$TMP/wrk.txt")
[[ -n $WRK_RPS ]] || { cat "$TMP/wrk.txt" >&2; sh_die "could not parse wrk's output"; }

# ---- the runner ---------------------------------------------------------------------------
sh_log "making $N monitors and putting them all on the schedule, due now"
rb_monitors "$N" 86400 "$NGINX_URL"
rb_schedule_all "$(now_ms)"
sleep 1 # every monitor is now overdue: the runner starts with a full backlog

RPORT=$(sh_free_port)
export RUNNER_HTTP_LISTEN="127.0.0.1:$RPORT" STATUSHAWK_ALLOW_PRIVATE_TARGETS=true
METRICS="http://127.0.0.1:$RPORT/metrics"
T0=$(now_ms)
"$RUNNER_BIN" >"$TMP/runner.log" 2>&1 &
RUNNER_PID=$!
BENCH_PIDS+=("$RUNNER_PID")
DONE=0
DEADLINE=$((T0 + 600000))
while :; do
    DONE=$(rb_psql "SELECT count(*) FROM check_results")
    ((DONE >= N)) && break
    sh_pid_alive "$RUNNER_PID" || { tail -n 30 "$TMP/runner.log" >&2; sh_die "the runner exited"; }
    (($(now_ms) > DEADLINE)) && sh_die "only $DONE of $N results after 10 minutes"
    sleep 0.05
done
T1=$(now_ms)
CPU=$(rb_cpu_ticks "$RUNNER_PID")
HZ=$(getconf CLK_TCK)
RSS_KB=$(awk '/^VmHWM:/ { print $2 }' "/proc/$RUNNER_PID/status")
FLUSH_SUM=$(rb_metric "$METRICS" statushawk_runner_batch_flush_seconds_sum)
FLUSH_N=$(rb_metric "$METRICS" statushawk_runner_batch_flush_seconds_count)
UP=$(rb_metric "$METRICS" 'statushawk_runner_checks_total{type="HTTP",outcome="up"}')
DROPPED=$(rb_metric "$METRICS" statushawk_runner_results_dropped_total)
SPAN=$(rb_psql "SELECT round(extract(epoch FROM max(checked_at) - min(checked_at))::numeric, 3)
                FROM check_results")
sh_stop_pid "$RUNNER_PID" 30 statushawk-runner
BENCH_PIDS=()

ELAPSED_MS=$((T1 - T0))
report() {
    awk -v n="$N" -v ms="$ELAPSED_MS" -v wrk="$WRK_RPS" -v span="$SPAN" -v cpu="$CPU" -v hz="$HZ" \
        -v rss="$RSS_KB" -v fs="$FLUSH_SUM" -v fn="$FLUSH_N" -v up="$UP" -v dropped="$DROPPED" \
        -v inflight="$RUNNER_MAX_INFLIGHT" -v cpus="$(nproc)" 'BEGIN {
        rate = n / (ms / 1000)
        printf "runner throughput: %d HTTP checks against nginx (Connection: close), %d CPUs\n", n, cpus
        printf "  %-44s %10.0f checks/s  (%d results persisted in %.2f s, from process start)\n", \
            "statushawk-runner (1 process, inflight " inflight ")", rate, n, ms / 1000
        printf "  %-44s %10.0f checks/s  (first to last check started: %.2f s)\n", \
            "  probing alone", n / span, span
        printf "  %-44s %10.0f req/s\n", "wrk -t1 -c" ENVIRON["WRK_CONNS"] " -H \"Connection: close\"", wrk
        printf "  %-44s %10.2f\n", "ratio runner / wrk", rate / wrk
        printf "  checks up: %d, results dropped: %d\n", up, dropped
        printf "  batches: %d, mean write time %.1f ms\n", fn, fn ? fs / fn * 1000 : 0
        printf "  runner CPU: %.2f s (%.0f us per check), peak RSS %.1f MiB\n", cpu / hz, \
            cpu / hz / n * 1e6, rss / 1024
        printf "  floor: >= 5000 checks/s -> %s\n", (rate >= 5000 ? "met" : "NOT met")
    }'
}
export WRK_CONNS
report
mkdir -p "$ROOT/bench/out"
{
    bench_stamp
    report
    echo "--- wrk"
    cat "$TMP/wrk.txt"
} >"$ROOT/bench/out/runner_throughput.txt"
echo "(saved in bench/out/runner_throughput.txt)"
