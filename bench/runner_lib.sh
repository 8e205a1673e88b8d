# shellcheck shell=bash
# Shared parts of the runner benchmarks (bench/runner_throughput.sh, bench/runner_scale.sh):
# a RelWithDebInfo build in build-bench-runner/, a throwaway PostgreSQL and Redis, a local
# nginx answering `return 200`, monitors made with SQL, the Redis schedule loaded in one
# pipe, and readers for the runner's /metrics. Source it after scripts/lib.sh; it sources
# bench/lib.sh, whose EXIT trap (installed by rb_setup) stops everything started, including
# the processes a benchmark adds to BENCH_PIDS.

# shellcheck source=bench/lib.sh
. "$ROOT/bench/lib.sh"

# rb_setup: packages, temp dir and traps, build, PostgreSQL, Redis, migrations; sets API_BIN
# and RUNNER_BIN, exports DATABASE_URL and REDIS_URL.
rb_setup() {
    local build="$ROOT/build-bench-runner"
    sh_require_packages "${SH_BUILD_PACKAGES[@]}" "${SH_SERVICE_PACKAGES[@]}" curl wrk "nginx-light|nginx"
    bench_init statushawk-bench-runner
    sh_log "building statushawk-api and statushawk-runner (RelWithDebInfo) in build-bench-runner/"
    if [[ ! -f $build/CMakeCache.txt ]]; then
        cmake -S "$ROOT" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSTATUSHAWK_TESTS=OFF >/dev/null
    fi
    cmake --build "$build" -j2 --target statushawk-api statushawk-runner >/dev/null || sh_die "build failed"
    API_BIN="$build/api/statushawk-api"
    # shellcheck disable=SC2034  # used by the scripts that source this file
    RUNNER_BIN="$build/runner/statushawk-runner"

    bench_start_pg_redis test statushawk_bench
    export DATABASE_URL="postgresql://postgres@127.0.0.1:$PG_PORT/statushawk_bench"
    export REDIS_URL="redis://127.0.0.1:$REDIS_PORT/0"
    export LOG_LEVEL=${LOG_LEVEL:-warn}
    "$API_BIN" migrate >"$TMP/migrate.log" 2>&1 || { cat "$TMP/migrate.log" >&2; sh_die "migrate failed"; }
}

# rb_psql SQL: runs SQL on the bench database, unaligned tuples only.
rb_psql() { psql "$DATABASE_URL" -X -q -A -t -v ON_ERROR_STOP=1 -c "$1"; }

# rb_nginx WORKERS: bench_start_nginx on a free port, tuned for a new connection per
# check; sets NGINX_URL.
rb_nginx() {
    local port
    port=$(sh_free_port)
    bench_start_nginx "$TMP/nginx" "$port" "$1" close
    # shellcheck disable=SC2034  # used by the scripts that source this file
    NGINX_URL="$NGINX/"
}

# rb_monitors N INTERVAL URL: a user and N active monitors of URL (timeout 5 s, retries 0).
rb_monitors() {
    local n=$1 interval=$2 url=$3
    rb_psql "INSERT INTO users (email, password) VALUES ('bench@example.com', 'x')
             ON CONFLICT DO NOTHING" >/dev/null
    rb_psql "INSERT INTO monitors (user_id, name, url, \"interval\", timeout_ms, retries)
             SELECT (SELECT id FROM users WHERE email = 'bench@example.com'), 'bench ' || g,
                    '$url', $interval, 5000, 0 FROM generate_series(1, $n) g" >/dev/null
}

# rb_schedule_all DUE_MS: writes every active monitor's spec (MONITOR_SPEC_SQL, read from
# common/schedule.h so it is the api's) and its schedule entry, in one redis-cli pipe.
rb_schedule_all() {
    local due=$1 spec prefix=${STATUSHAWK_REDIS_PREFIX:-sh:}
    spec=$(sed -n '/#define MONITOR_SPEC_SQL/,/::text"/p' "$ROOT/common/schedule.h" | sed '1d' |
        sed 's/^ *"//; s/" *\\\{0,1\} *$//; s/\\"/"/g' | tr -d '\n')
    [[ $spec == json_build_object* ]] || sh_die "could not read MONITOR_SPEC_SQL"
    psql "$DATABASE_URL" -X -q -A -t -F $'\t' -c "SELECT m.id, $spec FROM monitors m WHERE m.is_active" |
        LC_ALL=C awk -F'\t' -v p="$prefix" -v due="$due" '
            function bulk(s) { printf "$%d\r\n%s\r\n", length(s), s }
            { printf "*3\r\n"; bulk("SET"); bulk(p "monitor:" $1); bulk($2)
              printf "*4\r\n"; bulk("ZADD"); bulk(p "schedule"); bulk(due); bulk($1) }' |
        redis-cli -p "$REDIS_PORT" --pipe >"$TMP/pipe.log" 2>&1 ||
        { cat "$TMP/pipe.log" >&2; sh_die "loading the schedule failed"; }
}

now_ms() { date +%s%3N; }

# rb_metric URL NAME: a sample's value from a /metrics page (0 when absent).
rb_metric() {
    curl -fsS -m 5 "$1" 2>/dev/null | awk -v n="$2" '$1 == n { v = $2 } END { print v + 0 }'
}

# rb_hist_snapshot URL NAME FILE: the histogram's cumulative buckets "le count" into FILE.
rb_hist_snapshot() {
    curl -fsS -m 5 "$1" | sed -n "s/^$2_bucket{le=\"\([^\"]*\)\"} \([0-9]*\)$/\1 \2/p" >"$3"
}

# rb_hist_quantile BEFORE AFTER Q: the upper bound of the bucket holding quantile Q of the
# observations made between the two snapshots ("+Inf" when beyond the last bound).
rb_hist_quantile() {
    paste -d' ' "$1" "$2" | awk -v q="$3" '
        { le[NR] = $1; c[NR] = $4 - $2 } END {
            total = c[NR]; if (total == 0) { print "n/a"; exit }
            for (i = 1; i <= NR; i++) if (c[i] >= q * total) { print le[i]; exit } }'
}

# rb_cpu_ticks PID: utime + stime in clock ticks.
rb_cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
