#!/usr/bin/env bash
# Benchmark: GET /api/v1/accounts/me (token auth) on statushawk-api, compared with a
# minimal nginx (`return 200 "ok";`) on the same machine with the same wrk settings.
#
#   bench/accounts_me.sh
#
# Builds statushawk-api (RelWithDebInfo, build-bench/), starts a throwaway PostgreSQL and
# Redis on free loopback ports, migrates, starts the api, signs up + logs in a user through
# the API, starts nginx (worker_processes = api threads) on a free loopback port, runs
#   wrk -t2 -c50 -d$BENCH_DURATION --latency -H 'Authorization: Token <token>' URL
# against both and prints req/s, p99 latency and the api/nginx ratios. Everything it
# started is stopped on exit. Exits non-zero if wrk saw non-2xx answers or socket errors
# on the api.
#
# Environment: BENCH_DURATION (10s), BENCH_WARMUP (2s, 0 to skip), BENCH_CONNECTIONS (50),
#   BENCH_THREADS (2, wrk threads), STATUSHAWK_API_THREADS (2; also nginx workers),
#   STATUSHAWK_PBKDF2_ITERATIONS, LOG_LEVEL (warn) are passed to the api.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
SH_LOG_TAG="bench"
# shellcheck source=scripts/lib.sh
. "$ROOT/scripts/lib.sh"
# shellcheck source=bench/lib.sh
. "$ROOT/bench/lib.sh"

DURATION=${BENCH_DURATION:-10s}
WARMUP=${BENCH_WARMUP:-2s}
CONNS=${BENCH_CONNECTIONS:-50}
WRK_THREADS=${BENCH_THREADS:-2}
API_THREADS=${STATUSHAWK_API_THREADS:-2}
BUILD_DIR="$ROOT/build-bench"

sh_require_packages "${SH_BUILD_PACKAGES[@]}" "${SH_SERVICE_PACKAGES[@]}" curl wrk "nginx-light|nginx"

bench_init statushawk-bench

# ----------------------------------------------------------------------------------------
sh_log "building statushawk-api (RelWithDebInfo) in build-bench/"
if [[ ! -f $BUILD_DIR/CMakeCache.txt ]]; then
    cmake -S "$ROOT" -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
fi
cmake --build "$BUILD_DIR" -j2 --target statushawk-api >/dev/null || sh_die "build failed"
API_BIN="$BUILD_DIR/api/statushawk-api"

bench_start_stack statushawk_bench "$API_BIN"

# ----------------------------------------------------------------------------------------
# A user and a token, through the API.
bench_user_token
code=$(curl -sS -o "$TMP/me.json" -w '%{http_code}' -H "Authorization: Token $TOKEN" "$API/api/v1/accounts/me")
[[ $code == 200 ]] || sh_die "GET /api/v1/accounts/me answered $code: $(head -c 500 "$TMP/me.json")"
sh_log "signed up and logged in $EMAIL; /me answers 200"

# ----------------------------------------------------------------------------------------
# nginx: the reference for what this machine can do with an HTTP server doing nothing.
NGINX_PORT=$(sh_free_port "$PG_PORT" "$REDIS_PORT" "$API_PORT")
bench_start_nginx "$TMP/nginx" "$NGINX_PORT" "$API_THREADS"

# ----------------------------------------------------------------------------------------
# wrk runs and parsing.


# run_wrk NAME URL: runs wrk and fills R[NAME.rps|p99|reqs|non2xx|sockerr|errs|out].
declare -A R=()
run_wrk() {
    local name=$1 url=$2 out="$TMP/wrk-$1.txt"
    if [[ $WARMUP != 0 && $WARMUP != 0s ]]; then
        wrk -t"$WRK_THREADS" -c"$CONNS" -d"$WARMUP" -H "Authorization: Token $TOKEN" "$url" >/dev/null 2>&1 || true
    fi
    sh_log "wrk -t$WRK_THREADS -c$CONNS -d$DURATION --latency $url"
    wrk -t"$WRK_THREADS" -c"$CONNS" -d"$DURATION" --latency \
        -H "Authorization: Token $TOKEN" "$url" >"$out" 2>&1 || {
        cat "$out" >&2
        sh_die "wrk failed against $url"
    }
    bench_parse_wrk "$name" "$out"
}

run_wrk api "$API/api/v1/accounts/me"
run_wrk nginx "$NGINX/"

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b + 0 == 0) print "n/a"; else printf "%.2fx", a / b }'; }

# ----------------------------------------------------------------------------------------
report() {
    echo
    echo "GET /api/v1/accounts/me  (wrk -t$WRK_THREADS -c$CONNS -d$DURATION, api threads = nginx workers = $API_THREADS, $(nproc) CPUs)"
    printf '%-24s %12s %12s %12s %10s %14s\n' target req/s "p99 (ms)" requests non-2xx socket-errors
    printf '%-24s %12s %12s %12s %10s %14s\n' "statushawk-api /me" \
        "${R[api.rps]}" "${R[api.p99]}" "${R[api.reqs]}" "${R[api.non2xx]}" "${R[api.errs]}"
    printf '%-24s %12s %12s %12s %10s %14s\n' 'nginx return 200' \
        "${R[nginx.rps]}" "${R[nginx.p99]}" "${R[nginx.reqs]}" "${R[nginx.non2xx]}" "${R[nginx.errs]}"
    printf '%-24s %12s %12s\n' "ratio api / nginx" \
        "$(ratio "${R[api.rps]}" "${R[nginx.rps]}")" "$(ratio "${R[api.p99]}" "${R[nginx.p99]}")"
}
report

status=0
for n in api nginx; do
    if [[ ${R[$n.non2xx]} != 0 || ${R[$n.errs]} != 0 ]]; then
        echo
        echo "WARNING: $n: non-2xx responses: ${R[$n.non2xx]}; socket errors: ${R[$n.sockerr]}"
        sed 's/^/    /' "${R[$n.out]}"
        if [[ $n == api ]]; then status=1; fi
    fi
done
if ((status != 0)); then
    echo
    echo "api log (last 20 lines):"
    tail -n 20 "$TMP/api.log" | sed 's/^/    /'
fi

mkdir -p "$ROOT/bench/out"
{
    bench_stamp
    report
    echo
    echo "--- wrk api"
    cat "${R[api.out]}"
    echo "--- wrk nginx"
    cat "${R[nginx.out]}"
} >"$ROOT/bench/out/accounts_me.txt"
echo
echo "(full wrk output saved in bench/out/accounts_me.txt)"
exit "$status"
