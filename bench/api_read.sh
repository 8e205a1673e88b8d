#!/usr/bin/env bash
# Benchmark: the api's read paths with 10 million check results, beside a minimal nginx
# (`return 200 "ok";`) on the same machine with the same wrk settings.
#
#   bench/api_read.sh
#
# Builds statushawk-api (RelWithDebInfo, $BENCH_BUILD_DIR), starts a throwaway PostgreSQL
# and Redis on free loopback ports, migrates, starts the api, signs up + logs in one user
# through the API, then seeds with SQL: BENCH_MONITORS monitors for that user (interval
# 300 s, the default) and BENCH_RESULTS check results spread evenly over them, one every
# 300 s back from now (2 % failed, 1 in 4 of those without a response time), with the daily
# partitions of the default 90-day retention; runs the hourly rollup (CALL
# sh_rollup_advance()) and VACUUM ANALYZE. Then, for each target,
#   wrk -t$BENCH_THREADS -c$BENCH_CONNECTIONS -d$BENCH_DURATION --latency
# against the api and against nginx (worker_processes = api threads):
#   list       GET /api/v1/monitors/?page=1            (skipped when the route is absent)
#   stats      GET /api/v1/monitors/{id}/stats/?period=30d
#   dashboard  GET /api/v1/monitors/dashboard_stats/
#   heatmap    GET /api/v1/monitors/{id}/heatmap/
# {id} is a different monitor on each request (a wrk Lua script picks one of the user's at
# random), so the figures are not those of one hot monitor. Prints req/s, p99 and the
# api/nginx ratios, and checks the floors: list p99 < 20 ms; stats, dashboard and heatmap
# p99 < 50 ms. Exits 1 when a floor is missed or wrk saw non-2xx answers or socket errors
# on the api. Everything it started is stopped on exit; the database is thrown away.
#
# Environment: BENCH_DURATION (10s), BENCH_WARMUP (2s, 0 to skip), BENCH_CONNECTIONS (50),
#   BENCH_THREADS (2, wrk threads), BENCH_MONITORS (10000), BENCH_RESULTS (10000000),
#   BENCH_BUILD_DIR (build-bench), STATUSHAWK_API_THREADS (2; also nginx workers),
#   LOG_LEVEL (warn) are passed to the api.
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
MONITORS=${BENCH_MONITORS:-10000}
RESULTS=${BENCH_RESULTS:-10000000}
BUILD_DIR="$ROOT/${BENCH_BUILD_DIR:-build-bench}"
RETENTION_DAYS=90 # STATUSHAWK_RETENTION_DAYS' default: the partitions a real install has
INTERVAL_S=300
FLOOR_LIST_MS=20
FLOOR_STATS_MS=50

[[ $MONITORS =~ ^[1-9][0-9]*$ && $RESULTS =~ ^[1-9][0-9]*$ ]] ||
    sh_die "BENCH_MONITORS and BENCH_RESULTS must be positive integers"
PER_MONITOR=$(((RESULTS + MONITORS - 1) / MONITORS))

sh_require_packages "${SH_BUILD_PACKAGES[@]}" "${SH_SERVICE_PACKAGES[@]}" curl wrk "nginx-light|nginx"

bench_init statushawk-bench

# ----------------------------------------------------------------------------------------
sh_log "building statushawk-api (RelWithDebInfo) in ${BUILD_DIR#"$ROOT"/}/"
if [[ ! -f $BUILD_DIR/CMakeCache.txt ]]; then
    cmake -S "$ROOT" -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSTATUSHAWK_TESTS=OFF >/dev/null
fi
cmake --build "$BUILD_DIR" -j2 --target statushawk-api >/dev/null || sh_die "build failed"
API_BIN="$BUILD_DIR/api/statushawk-api"

DB=statushawk_bench
bench_start_stack "$DB" "$API_BIN"

# ----------------------------------------------------------------------------------------
# A user and a token, through the API.
bench_user_token
USER_ID=$(sh_psql "$PG_DIR" "$PG_PORT" "$DB" "SELECT id FROM users WHERE email = '$EMAIL'")
[[ $USER_ID =~ ^[0-9]+$ ]] || sh_die "could not read the user's id"

# ----------------------------------------------------------------------------------------
# The data set. One statement per 1,000 monitors, so each transaction (and the statement
# trigger's transition table) stays bounded.
psql_db() { sh_psql "$PG_DIR" "$PG_PORT" "$DB" "$1"; }
SECONDS=0
psql_db "SELECT sh_ensure_result_partitions($RETENTION_DAYS, 7)" >/dev/null
psql_db "INSERT INTO monitors (user_id, name, url, \"interval\", status, is_active, last_checked_at)
         SELECT $USER_ID, 'bench-' || g, 'https://m' || g || '.example.com/health', $INTERVAL_S,
                CASE WHEN g % 50 = 0 THEN 'DOWN' WHEN g % 97 = 0 THEN 'PAUSED' ELSE 'UP' END,
                g % 97 <> 0, now()
         FROM generate_series(1, $MONITORS) g" >/dev/null
read -r FIRST_ID LAST_ID < <(psql_db "SELECT min(id) || ' ' || max(id) FROM monitors WHERE user_id = $USER_ID")
sh_log "seeding $MONITORS monitors x $PER_MONITOR results (ids $FIRST_ID..$LAST_ID)"
for ((lo = FIRST_ID; lo <= LAST_ID; lo += 1000)); do
    hi=$((lo + 999 < LAST_ID ? lo + 999 : LAST_ID))
    psql_db "INSERT INTO check_results (monitor_id, checked_at, status_code, response_time_ms, is_up, error)
             SELECT m, now() - (k * $INTERVAL_S + m % $INTERVAL_S) * interval '1 second',
                    CASE WHEN f THEN (ARRAY[0, 500, 502, 503])[1 + k % 4] ELSE 200 END,
                    CASE WHEN f AND k % 4 = 0 THEN NULL
                         ELSE 40 + ((m * 7919 + k * 104729) % 4600) / 10.0 END,
                    NOT f,
                    CASE WHEN f THEN (ARRAY['timeout', 'status 500', 'status 502',
                                            'status 503'])[1 + k % 4] END
             FROM generate_series($lo, $hi) m, generate_series(0, $PER_MONITOR - 1) k,
                  LATERAL (SELECT (m * 31 + k * 17) % 100 < 2 AS f) x" >/dev/null
done
ROWS=$(psql_db "SELECT count(*) FROM check_results")
sh_log "seeded $ROWS results in ${SECONDS}s; rolling up"
SECONDS=0
psql_db "CALL sh_rollup_advance()" >/dev/null
psql_db "VACUUM ANALYZE" >/dev/null
ROLLED=$(psql_db "SELECT count(*) || ' rollup rows, watermark ' || sh_iso(rolled_until) FROM check_rollup_hourly, rollup_state GROUP BY rolled_until")
sh_log "rolled up and vacuumed in ${SECONDS}s: $ROLLED"

# ----------------------------------------------------------------------------------------
# nginx: the reference for what this machine can do with an HTTP server doing nothing.
NGINX_PORT=$(sh_free_port "$PG_PORT" "$REDIS_PORT" "$API_PORT")
bench_start_nginx "$TMP/nginx" "$NGINX_PORT" "$API_THREADS"

# ----------------------------------------------------------------------------------------
# wrk: a Lua script so that {id} in the path is a different monitor on each request.
cat >"$TMP/paths.lua" <<'EOF'
local fmt = os.getenv("BENCH_PATH")
local first = tonumber(os.getenv("BENCH_FIRST_ID"))
local count = tonumber(os.getenv("BENCH_COUNT"))
local headers = { ["Authorization"] = "Token " .. os.getenv("BENCH_TOKEN") }
local seeded = false
request = function()
    if not seeded then
        math.randomseed(os.time() + tonumber(tostring({}):match("0x(%x+)"), 16) % 100000)
        seeded = true
    end
    return wrk.format("GET", string.format(fmt, first + math.random(count) - 1), headers)
end
EOF


# run_wrk NAME BASE PATH: runs wrk (PATH may hold one %d for a monitor id) and fills
# R[NAME.rps|p99|reqs|non2xx|errs|sockerr|out].
declare -A R=()
run_wrk() {
    local name=$1 base=$2 path=$3 out="$TMP/wrk-$1.txt"
    local -a args=(-t"$WRK_THREADS" -c"$CONNS" --latency -s "$TMP/paths.lua" "$base/")
    export BENCH_PATH=$path BENCH_FIRST_ID=$FIRST_ID BENCH_COUNT=$((LAST_ID - FIRST_ID + 1))
    export BENCH_TOKEN=$TOKEN
    if [[ $WARMUP != 0 && $WARMUP != 0s ]]; then
        wrk -d"$WARMUP" "${args[@]}" >/dev/null 2>&1 || true
    fi
    sh_log "wrk -t$WRK_THREADS -c$CONNS -d$DURATION --latency $base$path"
    wrk -d"$DURATION" "${args[@]}" >"$out" 2>&1 || {
        cat "$out" >&2
        sh_die "wrk failed against $base$path"
    }
    bench_parse_wrk "$name" "$out"
}

# name|path|floor (ms)
TARGETS=()
code=$(curl -sS -o /dev/null -w '%{http_code}' -H "Authorization: Token $TOKEN" "$API/api/v1/monitors/?page=1")
if [[ $code == 200 ]]; then
    TARGETS+=("list|/api/v1/monitors/?page=1|$FLOOR_LIST_MS")
else
    sh_warn "GET /api/v1/monitors/?page=1 answered $code: the monitors list route is not there yet; skipping it"
fi
TARGETS+=("stats|/api/v1/monitors/%d/stats/?period=30d|$FLOOR_STATS_MS"
    "dashboard|/api/v1/monitors/dashboard_stats/|$FLOOR_STATS_MS"
    "heatmap|/api/v1/monitors/%d/heatmap/|$FLOOR_STATS_MS")

# Other work on the machine shows in every figure (the nginx row is there to see it); the
# load average before and after the runs is printed with them.
LOAD_BEFORE=$(cut -d' ' -f1 /proc/loadavg)
for t in "${TARGETS[@]}"; do
    IFS='|' read -r name path _ <<<"$t"
    probe=${path//%d/$FIRST_ID}
    code=$(curl -sS -o "$TMP/probe.json" -w '%{http_code}' -H "Authorization: Token $TOKEN" "$API$probe")
    [[ $code == 200 ]] || sh_die "GET $probe answered $code: $(head -c 500 "$TMP/probe.json")"
    run_wrk "$name" "$API" "$path"
done
run_wrk nginx "$NGINX" "/"
LOAD_AFTER=$(cut -d' ' -f1 /proc/loadavg)

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b + 0 == 0) print "n/a"; else printf "%.2fx", a / b }'; }

# ----------------------------------------------------------------------------------------
report() {
    local name path floor verdict
    echo
    echo "api read paths, $ROWS check results over $MONITORS monitors of one user ($ROLLED)"
    echo "(wrk -t$WRK_THREADS -c$CONNS -d$DURATION, api threads = nginx workers = $API_THREADS, $(nproc) CPUs;" \
        "load average $LOAD_BEFORE before the runs, $LOAD_AFTER after)"
    printf '%-11s %-44s %10s %9s %9s %8s %8s %8s %s\n' target path req/s "p99 ms" requests \
        non-2xx "rps/ngx" "p99/ngx" "floor"
    for t in "${TARGETS[@]}"; do
        IFS='|' read -r name path floor <<<"$t"
        if awk -v p="${R[$name.p99]}" -v f="$floor" 'BEGIN { exit !(p < f) }'; then
            verdict="p99 < $floor ms: ok"
        else
            verdict="p99 < $floor ms: MISSED"
        fi
        printf '%-11s %-44s %10s %9s %9s %8s %8s %8s %s\n' "$name" "${path//%d/{id\}}" \
            "${R[$name.rps]}" "${R[$name.p99]}" "${R[$name.reqs]}" "${R[$name.non2xx]}" \
            "$(ratio "${R[$name.rps]}" "${R[nginx.rps]}")" \
            "$(ratio "${R[$name.p99]}" "${R[nginx.p99]}")" "$verdict"
    done
    printf '%-11s %-44s %10s %9s %9s %8s\n' nginx 'return 200 "ok"' "${R[nginx.rps]}" \
        "${R[nginx.p99]}" "${R[nginx.reqs]}" "${R[nginx.non2xx]}"
}
report

status=0
for t in "${TARGETS[@]}"; do
    IFS='|' read -r name _ floor <<<"$t"
    if ! awk -v p="${R[$name.p99]}" -v f="$floor" 'BEGIN { exit !(p < f) }'; then
        status=1
    fi
    if [[ ${R[$name.non2xx]} != 0 || ${R[$name.errs]} != 0 ]]; then
        echo
        echo "WARNING: $name: non-2xx responses: ${R[$name.non2xx]}; socket errors: ${R[$name.sockerr]}"
        sed 's/^/    /' "${R[$name.out]}"
        status=1
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
    for t in "${TARGETS[@]}" "nginx||"; do
        IFS='|' read -r name _ _ <<<"$t"
        echo
        echo "--- wrk $name"
        cat "${R[$name.out]}"
    done
} >"$ROOT/bench/out/api_read.txt"
echo
echo "(full wrk output saved in bench/out/api_read.txt)"
exit "$status"
