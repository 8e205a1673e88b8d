#!/usr/bin/env bash
# Benchmark: from a target's failure to the DOWN message in Telegram, end to end, split
# into its parts (waiting for the check, the confirmation re-check, the stream, the send).
#
#   bench/notifier_e2e.sh
#
# Builds statushawk-api (migrations), statushawk-runner, statushawk-notifier and
# notifier_e2e_bench (RelWithDebInfo, build-notifier-bench/), starts a throwaway PostgreSQL
# and Redis on free loopback ports and runs bench/notifier_e2e_bench.c: BENCH_MONITORS (20)
# monitors at BENCH_INTERVAL (10 s) with retries 1 and the runner's default RETRY_DELAY
# (5 s), failing BENCH_STAGGER_MS (600 ms) apart. Output also goes to
# bench/out/notifier_e2e.txt. Everything started is stopped on exit.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
SH_LOG_TAG="bench"
# shellcheck source=scripts/lib.sh
. "$ROOT/scripts/lib.sh"
# shellcheck source=bench/lib.sh
. "$ROOT/bench/lib.sh"

BUILD_DIR="$ROOT/build-notifier-bench"
sh_require_packages "${SH_BUILD_PACKAGES[@]}" "${SH_SERVICE_PACKAGES[@]}"

sh_log "building in build-notifier-bench/"
cmake -S "$ROOT" -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$BUILD_DIR" -j2 --target statushawk-api statushawk-runner statushawk-notifier \
    notifier_e2e_bench >/dev/null

bench_init statushawk-bench-e2e
bench_start_pg_redis bench

export TEST_PG_URL="postgresql://postgres@127.0.0.1:$PG_PORT/postgres"
export TEST_REDIS_URL="redis://127.0.0.1:$REDIS_PORT/0"
export SH_API_BIN="$BUILD_DIR/api/statushawk-api"
export SH_RUNNER_BIN="$BUILD_DIR/runner/statushawk-runner"
export SH_NOTIFIER_BIN="$BUILD_DIR/notifier/statushawk-notifier"

mkdir -p "$ROOT/bench/out"
sh_log "running (about a minute)"
"$BUILD_DIR/notifier/notifier_e2e_bench" | grep -v '^\[' | tee "$ROOT/bench/out/notifier_e2e.txt"
