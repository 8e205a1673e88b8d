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

BUILD_DIR="$ROOT/build-notifier-bench"
sh_require_packages "${SH_BUILD_PACKAGES[@]}" "${SH_SERVICE_PACKAGES[@]}"

TMP=""
PG_DIR=""
REDIS_DIR=""
REDIS_PORT=""
cleanup() {
    local rc=$?
    set +e
    [[ -n $REDIS_DIR ]] && sh_redis_stop "$REDIS_DIR" "$REDIS_PORT" ephemeral
    [[ -n $PG_DIR ]] && sh_pg_stop "$PG_DIR"
    [[ -n $TMP && -d $TMP ]] && rm -rf "$TMP"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

sh_log "building in build-notifier-bench/"
cmake -S "$ROOT" -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$BUILD_DIR" -j2 --target statushawk-notifier statushawk-api notifier_bench >/dev/null

TMP=$(mktemp -d "${TMPDIR:-/tmp}/statushawk-bench-notifier.XXXXXX")
chmod 755 "$TMP"
PG_PORT=$(sh_free_port)
REDIS_PORT=$(sh_free_port "$PG_PORT")
PG_DIR="$TMP/pg"
sh_pg_init "$PG_DIR" bench >/dev/null
sh_pg_start "$PG_DIR" "$PG_PORT" "$TMP/postgres.log"
sh_pg_wait_ready "$PG_PORT" 60 || sh_die "PostgreSQL did not become ready"
REDIS_DIR="$TMP/redis"
sh_redis_start "$REDIS_DIR" "$REDIS_PORT" ephemeral "$TMP/redis.log"
sh_redis_wait_ready "$REDIS_PORT" 30 || sh_die "Redis did not become ready"

export BENCH_DATABASE_URL="postgresql://postgres@127.0.0.1:$PG_PORT/postgres"
export BENCH_REDIS_URL="redis://127.0.0.1:$REDIS_PORT/0"
export SH_NOTIFIER_BIN="$BUILD_DIR/notifier/statushawk-notifier"
DATABASE_URL=$BENCH_DATABASE_URL LOG_LEVEL=warn "$BUILD_DIR/api/statushawk-api" migrate

mkdir -p "$ROOT/bench/out"
sh_log "running (the notifier's log: $TMP/notifier-bench-0.log)"
(cd "$TMP" && "$BUILD_DIR/notifier/notifier_bench") | tee "$ROOT/bench/out/notifier.txt"
