#!/usr/bin/env bash
# StatusHawk dashboard end-to-end test against the real stack (`npm run e2e`).
#
# Starts what the test needs, runs e2e/run.mjs in headless Chromium, stops what it started:
#   - PostgreSQL and Redis: reuses TEST_PG_URL / TEST_REDIS_URL when set (scripts/test sets
#     them; the test gets its own database and Redis key prefix), else starts throwaway ones;
#   - statushawk-api (migrate, then serve web/dist) and statushawk-runner when it is built,
#     from E2E_BUILD_DIR (default: build-test/plain if built, else build), with
#     STATUSHAWK_ALLOW_PRIVATE_TARGETS=true so the runner may check the test's local target.
# With E2E_BASE_URL set nothing is started: the test runs against that server as it is.
# Builds web/dist first when it is missing. Output: web/e2e-output/ (screenshots, report).
set -euo pipefail

WEB=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
ROOT=$(cd "$WEB/.." && pwd -P)
SH_LOG_TAG=e2e
# shellcheck source=../../scripts/lib.sh
. "$ROOT/scripts/lib.sh"

cd "$WEB"
if [[ ! -f dist/index.html ]]; then
    sh_log "web/dist missing: building it"
    npm run build >/dev/null
fi

if [[ -n ${E2E_BASE_URL:-} ]]; then
    exec node e2e/run.mjs
fi

if [[ -z ${E2E_BUILD_DIR:-} ]]; then
    if [[ -x $ROOT/build-test/plain/api/statushawk-api ]]; then E2E_BUILD_DIR=$ROOT/build-test/plain; else E2E_BUILD_DIR=$ROOT/build; fi
fi
API_BIN=$E2E_BUILD_DIR/api/statushawk-api
RUNNER_BIN=$E2E_BUILD_DIR/runner/statushawk-runner
[[ -x $API_BIN ]] || sh_die "$API_BIN not built (set E2E_BUILD_DIR to a build directory)"

TMP=$(mktemp -d "${TMPDIR:-/tmp}/statushawk-e2e.XXXXXX")
chmod 755 "$TMP"
PG_DIR="" REDIS_DIR="" REDIS_PORT="" API_PID="" RUNNER_PID="" DB_CREATED="" ADMIN_PG_URL=""
OUT=${E2E_OUT:-$WEB/e2e-output}
mkdir -p "$OUT"

cleanup() {
    local rc=$?
    set +e
    trap - EXIT INT TERM
    [[ -n $RUNNER_PID ]] && sh_stop_pid "$RUNNER_PID" 15 statushawk-runner
    [[ -n $API_PID ]] && sh_stop_pid "$API_PID" 15 statushawk-api
    if [[ -n $DB_CREATED ]]; then
        psql -X -q "$ADMIN_PG_URL" -c "DROP DATABASE IF EXISTS $DB_CREATED WITH (FORCE)" >/dev/null 2>&1
    fi
    [[ -n $REDIS_DIR ]] && sh_redis_stop "$REDIS_DIR" "$REDIS_PORT" ephemeral
    [[ -n $PG_DIR ]] && sh_pg_stop "$PG_DIR"
    for f in api runner; do [[ -f $TMP/$f.log ]] && cp -f "$TMP/$f.log" "$OUT/$f.log"; done
    rm -rf "$TMP"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if [[ -n ${TEST_PG_URL:-} && -n ${TEST_REDIS_URL:-} ]]; then
    ADMIN_PG_URL=$TEST_PG_URL
    REDIS_URL=$TEST_REDIS_URL
else
    PG_PORT=$(sh_free_port)
    REDIS_PORT=$(sh_free_port "$PG_PORT")
    PG_DIR=$TMP/pg
    sh_pg_init "$PG_DIR" test
    sh_pg_start "$PG_DIR" "$PG_PORT" "$TMP/postgres.log"
    sh_pg_wait_ready "$PG_PORT" 60 || sh_die "PostgreSQL did not become ready"
    REDIS_DIR=$TMP/redis
    sh_redis_start "$REDIS_DIR" "$REDIS_PORT" ephemeral "$TMP/redis.log"
    sh_redis_wait_ready "$REDIS_PORT" 30 || sh_die "Redis did not become ready"
    ADMIN_PG_URL="postgresql://postgres@127.0.0.1:$PG_PORT/postgres"
    REDIS_URL="redis://127.0.0.1:$REDIS_PORT/0"
fi

# A database and a Redis key prefix of our own, so we never meet another test's data.
DB="statushawk_e2e_$(sh_random_hex 4)"
psql -X -q "$ADMIN_PG_URL" -c "CREATE DATABASE $DB" >/dev/null || sh_die "cannot create database $DB"
DB_CREATED=$DB
DATABASE_URL=$(sed -E "s#/[^/?]*(\?.*)?\$#/$DB\1#" <<<"$ADMIN_PG_URL")
API_PORT=$(sh_free_port)

export DATABASE_URL REDIS_URL
export STATUSHAWK_REDIS_PREFIX="e2e$(sh_random_hex 3):"
export STATUSHAWK_LISTEN="127.0.0.1:$API_PORT"
export STATUSHAWK_WEB_ROOT="$WEB/dist"
export STATUSHAWK_ALLOW_PRIVATE_TARGETS=true
export STATUSHAWK_PBKDF2_ITERATIONS=${STATUSHAWK_PBKDF2_ITERATIONS:-20000}
export SECRET_KEY=${SECRET_KEY:-$(sh_random_hex 32)}
export TELEGRAM_BOT_NAME=${TELEGRAM_BOT_NAME:-StatusHawkE2EBot}
export TELEGRAM_BOT_TOKEN=${TELEGRAM_BOT_TOKEN:-123456:e2e-not-a-real-token}
export TELEGRAM_API_BASE=${TELEGRAM_API_BASE:-http://127.0.0.1:9}
export RETRY_DELAY=${RETRY_DELAY:-1}
export LOG_LEVEL=${LOG_LEVEL:-info}

"$API_BIN" migrate >>"$TMP/api.log" 2>&1 || { tail -n 20 "$TMP/api.log" >&2; sh_die "migrate failed"; }
"$API_BIN" >>"$TMP/api.log" 2>&1 </dev/null &
API_PID=$!
E2E_BASE_URL="http://127.0.0.1:$API_PORT"
sh_wait_http_ready "$E2E_BASE_URL/ready" 60 || { tail -n 30 "$TMP/api.log" >&2; sh_die "the api did not become ready"; }
sh_log "api on $E2E_BASE_URL (build $E2E_BUILD_DIR, database $DB)"

if [[ -x $RUNNER_BIN ]]; then
    "$RUNNER_BIN" >>"$TMP/runner.log" 2>&1 </dev/null &
    RUNNER_PID=$!
    sleep 0.5
    sh_pid_alive "$RUNNER_PID" || { tail -n 30 "$TMP/runner.log" >&2; sh_die "the runner exited at start"; }
    export E2E_RUNNER=${E2E_RUNNER:-1}
    sh_log "runner started (pid $RUNNER_PID)"
else
    export E2E_RUNNER=0
    sh_warn "$RUNNER_BIN is not built: the steps that need checks to run will be skipped"
fi

export E2E_BASE_URL E2E_OUT=$OUT
node e2e/run.mjs
