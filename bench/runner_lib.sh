# shellcheck shell=bash
# Shared parts of the runner benchmarks (bench/runner_throughput.sh, bench/runner_scale.sh):
# a RelWithDebInfo build in build-bench-runner/, a throwaway PostgreSQL and Redis, a local
# nginx answering `return 200`, monitors made with SQL, the Redis schedule loaded in one
# pipe, and readers for the runner's /metrics. Source it after scripts/lib.sh; call
# rb_cleanup from the EXIT trap.

RB_TMP=""
RB_PG_DIR=""
RB_REDIS_DIR=""
RB_REDIS_PORT=""
RB_NGINX_PID=""
RB_PIDS=()

# rb_cleanup: stops everything this file started (processes in RB_PIDS first).
rb_cleanup() {
    local pid
    for pid in "${RB_PIDS[@]}"; do sh_stop_pid "$pid" 30 "pid $pid"; done
    [[ -n $RB_NGINX_PID ]] && sh_stop_pid "$RB_NGINX_PID" 10 nginx
    [[ -n $RB_REDIS_DIR ]] && sh_redis_stop "$RB_REDIS_DIR" "$RB_REDIS_PORT" ephemeral
    [[ -n $RB_PG_DIR ]] && sh_pg_stop "$RB_PG_DIR"
    [[ -n $RB_TMP && -d $RB_TMP ]] && rm -rf "$RB_TMP"
    return 0
}

# rb_setup: build, temp dir, PostgreSQL, Redis, migrations; exports DATABASE_URL, REDIS_URL.
rb_setup() {
    local build="$ROOT/build-bench-runner"
    sh_require_packages "${SH_BUILD_PACKAGES[@]}" "${SH_SERVICE_PACKAGES[@]}" curl wrk "nginx-light|nginx"
    RB_TMP=$(mktemp -d "${TMPDIR:-/tmp}/statushawk-bench-runner.XXXXXX")
    chmod 755 "$RB_TMP"
    sh_log "building statushawk-api and statushawk-runner (RelWithDebInfo) in build-bench-runner/"
    if [[ ! -f $build/CMakeCache.txt ]]; then
        cmake -S "$ROOT" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSTATUSHAWK_TESTS=OFF >/dev/null
    fi
    cmake --build "$build" -j2 --target statushawk-api statushawk-runner >/dev/null || sh_die "build failed"
    API_BIN="$build/api/statushawk-api"
    RUNNER_BIN="$build/runner/statushawk-runner"

    local pg_port
    pg_port=$(sh_free_port)
    RB_REDIS_PORT=$(sh_free_port "$pg_port")
    RB_PG_DIR="$RB_TMP/pg"
    sh_pg_init "$RB_PG_DIR" test
    sh_pg_start "$RB_PG_DIR" "$pg_port" "$RB_TMP/postgres.log"
    sh_pg_wait_ready "$pg_port" 60 || sh_die "PostgreSQL did not become ready"
    sh_psql "$RB_PG_DIR" "$pg_port" postgres "CREATE DATABASE statushawk_bench" >/dev/null
    RB_REDIS_DIR="$RB_TMP/redis"
    sh_redis_start "$RB_REDIS_DIR" "$RB_REDIS_PORT" ephemeral "$RB_TMP/redis.log"
    sh_redis_wait_ready "$RB_REDIS_PORT" 30 || sh_die "Redis did not become ready"
    export DATABASE_URL="postgresql://postgres@127.0.0.1:$pg_port/statushawk_bench"
    export REDIS_URL="redis://127.0.0.1:$RB_REDIS_PORT/0"
    export LOG_LEVEL=${LOG_LEVEL:-warn}
    "$API_BIN" migrate >"$RB_TMP/migrate.log" 2>&1 || { cat "$RB_TMP/migrate.log" >&2; sh_die "migrate failed"; }
}

# rb_psql SQL: runs SQL on the bench database, unaligned tuples only.
rb_psql() { psql "$DATABASE_URL" -X -q -A -t -v ON_ERROR_STOP=1 -c "$1"; }

# rb_nginx WORKERS: starts nginx on a free port; sets NGINX_URL.
rb_nginx() {
    local workers=$1 ng="$RB_TMP/nginx" port v
    port=$(sh_free_port)
    mkdir -p "$ng"
    v=$(nginx -V 2>&1)
    {
        if sh_is_root; then
            if getent group nogroup >/dev/null; then echo 'user nobody nogroup;'; else echo 'user nobody nobody;'; fi
        fi
        echo "worker_processes $workers;"
        echo "worker_rlimit_nofile 65536;"
        echo "pid $ng/nginx.pid;"
        echo "error_log $ng/error.log warn;"
        echo 'daemon off;'
        echo 'events { worker_connections 16384; }'
        echo 'http {'
        echo '    access_log off;'
        echo "    client_body_temp_path $ng/client_body;"
        echo "    proxy_temp_path $ng/proxy;"
        for m in fastcgi uwsgi scgi; do
            [[ $v == *"--without-http_${m}_module"* ]] || echo "    ${m}_temp_path $ng/$m;"
        done
        echo '    server {'
        echo "        listen 127.0.0.1:$port backlog=8192;"
        echo '        location / { default_type text/plain; return 200 "ok"; }'
        echo '    }'
        echo '}'
    } >"$ng/nginx.conf"
    nginx -t -q -p "$ng" -c "$ng/nginx.conf" -e "$ng/error.log" || sh_die "nginx rejected its configuration"
    nginx -p "$ng" -c "$ng/nginx.conf" -e "$ng/error.log" >"$ng/stdout.log" 2>&1 &
    RB_NGINX_PID=$!
    NGINX_URL="http://127.0.0.1:$port/"
    sh_wait_http_ready "$NGINX_URL" 20 || sh_die "nginx did not start"
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
        redis-cli -p "$RB_REDIS_PORT" --pipe >"$RB_TMP/pipe.log" 2>&1 ||
        { cat "$RB_TMP/pipe.log" >&2; sh_die "loading the schedule failed"; }
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
