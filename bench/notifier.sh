#!/usr/bin/env bash
# Benchmark: statushawk-notifier under an alert storm — 10,000 DOWN alerts for 1,000 linked
# Telegram chats put on the stream at once, delivered to the Bot API stand-in of
# tests/fakes with the real default rate limits.
#
#   bench/notifier.sh
#
# Builds statushawk-notifier, statushawk-api (for `migrate`) and notifier_bench
# (RelWithDebInfo, build-notifier-bench/), starts a throwaway PostgreSQL and Redis on free
# loopback ports, migrates, runs bench/notifier_bench.c (which starts the stand-in and the
# notifier) and prints: time to drain, delivery latency p50/p90/p99/max from XADD to the
# stand-in's receipt, messages and digests, and the highest per-chat and per-bot rates
# observed. Output also goes to bench/out/notifier.txt. Everything started is stopped on exit.
#
# Environment: BENCH_ALERTS (10000), BENCH_CHATS (1000), BENCH_NOTIFIERS (1).
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
cmake --build "$BUILD_DIR" -j2 --target statushawk-notifier statushawk-api notifier_bench >/dev/null

bench_init statushawk-bench-notifier
bench_start_pg_redis bench

export BENCH_DATABASE_URL="postgresql://postgres@127.0.0.1:$PG_PORT/postgres"
export BENCH_REDIS_URL="redis://127.0.0.1:$REDIS_PORT/0"
export SH_NOTIFIER_BIN="$BUILD_DIR/notifier/statushawk-notifier"
DATABASE_URL=$BENCH_DATABASE_URL LOG_LEVEL=warn "$BUILD_DIR/api/statushawk-api" migrate

mkdir -p "$ROOT/bench/out"
sh_log "running (the notifier's log: $TMP/notifier-bench-0.log)"
(cd "$TMP" && "$BUILD_DIR/notifier/notifier_bench") | tee "$ROOT/bench/out/notifier.txt"
