# shellcheck shell=bash
# bench/lib.sh — what the benchmarks share; sourced after scripts/lib.sh, with ROOT set to
# the checkout.
#
#   bench_init NAME                  the temp dir $TMP and the traps that clean up on exit
#   bench_start_pg_redis MODE [DB]   a throwaway PostgreSQL and Redis on free loopback ports
#   bench_start_stack DB API_BIN     the above, migrated, and statushawk-api
#   bench_start_nginx DIR PORT WORKERS [PROFILE]   nginx doing nothing, the reference
#   bench_user_token                 a user signed up and logged in through the api
#   bench_parse_wrk, bench_to_ms     reading wrk's output
#   bench_stamp                      the date and commit atop a report in bench/out/
#
# The functions below record what they start in these variables and bench_cleanup stops
# it; a benchmark adds the processes it starts itself to BENCH_PIDS.
TMP=""
PG_DIR=""
PG_PORT=""
REDIS_DIR=""
REDIS_PORT=""
API_PID=""
NGINX_PID=""
BENCH_PIDS=()

# bench_cleanup: the EXIT trap set by bench_init. Stops what was started — BENCH_PIDS in
# their order, nginx, the api, Redis, PostgreSQL — removes $TMP and exits with the status
# the script was leaving with.
# shellcheck disable=SC2317  # invoked through trap
bench_cleanup() {
    local rc=$? pid
    set +e
    trap - EXIT INT TERM
    for pid in "${BENCH_PIDS[@]}"; do sh_stop_pid "$pid" 30 "pid $pid"; done
    [[ -n $NGINX_PID ]] && sh_stop_pid "$NGINX_PID" 10 nginx
    [[ -n $API_PID ]] && sh_stop_pid "$API_PID" 30 statushawk-api
    [[ -n $REDIS_DIR ]] && sh_redis_stop "$REDIS_DIR" "$REDIS_PORT" ephemeral
    [[ -n $PG_DIR ]] && sh_pg_stop "$PG_DIR"
    [[ -n $TMP && -d $TMP ]] && rm -rf "$TMP"
    exit "$rc"
}

# bench_init NAME: installs bench_cleanup on EXIT (INT and TERM exit 130 and 143, so it
# runs then too) and creates TMP, a new ${TMPDIR:-/tmp}/NAME.XXXXXX.
bench_init() {
    trap bench_cleanup EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    TMP=$(mktemp -d "${TMPDIR:-/tmp}/$1.XXXXXX")
    chmod 755 "$TMP" # the postgres user (when we are root) must traverse it
}

# bench_start_pg_redis MODE [DB]: a throwaway PostgreSQL with database DB when given, and an
# ephemeral Redis, both under $TMP on free loopback ports; waits until both answer. MODE
# goes to sh_pg_init: "test" turns fsync off; the notifier benches pass "bench", which
# sh_pg_init does not name, so PostgreSQL keeps its durable defaults there. Sets PG_DIR,
# PG_PORT, REDIS_DIR and REDIS_PORT.
bench_start_pg_redis() {
    local mode=$1 db=${2:-}
    PG_PORT=$(sh_free_port)
    REDIS_PORT=$(sh_free_port "$PG_PORT")
    PG_DIR="$TMP/pg"
    sh_pg_init "$PG_DIR" "$mode" >/dev/null
    sh_pg_start "$PG_DIR" "$PG_PORT" "$TMP/postgres.log"
    sh_pg_wait_ready "$PG_PORT" 60 || sh_die "PostgreSQL did not become ready"
    [[ -z $db ]] || sh_psql "$PG_DIR" "$PG_PORT" postgres "CREATE DATABASE $db" >/dev/null
    REDIS_DIR="$TMP/redis"
    sh_redis_start "$REDIS_DIR" "$REDIS_PORT" ephemeral "$TMP/redis.log"
    sh_redis_wait_ready "$REDIS_PORT" 30 || sh_die "Redis did not become ready"
}

# bench_start_nginx DIR PORT WORKERS [PROFILE]: starts nginx answering `return 200 "ok"` on
# 127.0.0.1:PORT, the reference for what this machine can do with an HTTP server doing
# nothing. PROFILE "keepalive" (the default) suits wrk's kept-alive connections; "close"
# suits the runner's new connection per check, thousands at once: more connections and
# open files per worker and a longer listen backlog. Sets NGINX_PID and NGINX (its base URL);
# bench_cleanup stops it.
bench_start_nginx() {
    local ng=$1 port=$2 workers=$3 profile=${4:-keepalive} nginx_v
    local connections=4096 listen="127.0.0.1:$port"
    case $profile in
        keepalive) ;;
        close) connections=16384 listen+=" backlog=8192" ;;
        *) sh_die "bench_start_nginx: unknown profile '$profile'" ;;
    esac
    mkdir -p "$ng"
    nginx_v=$(nginx -V 2>&1)
    {
        if sh_is_root; then
            if getent group nogroup >/dev/null; then echo 'user nobody nogroup;'; else echo 'user nobody nobody;'; fi
        fi
        echo "worker_processes $workers;"
        if [[ $profile == close ]]; then echo 'worker_rlimit_nofile 65536;'; fi
        echo "pid $ng/nginx.pid;"
        echo "error_log $ng/error.log warn;"
        echo 'daemon off;'
        echo "events { worker_connections $connections; }"
        echo 'http {'
        echo '    access_log off;'
        echo "    client_body_temp_path $ng/client_body;"
        echo "    proxy_temp_path $ng/proxy;"
        for m in fastcgi uwsgi scgi; do
            [[ $nginx_v == *"--without-http_${m}_module"* ]] || echo "    ${m}_temp_path $ng/$m;"
        done
        if [[ $profile == keepalive ]]; then echo '    keepalive_requests 1000000;'; fi
        echo '    server {'
        echo "        listen $listen;"
        echo '        location / { default_type text/plain; return 200 "ok"; }'
        echo '    }'
        echo '}'
    } >"$ng/nginx.conf"
    nginx -t -q -p "$ng" -c "$ng/nginx.conf" -e "$ng/error.log" || sh_die "nginx rejected $ng/nginx.conf"
    nginx -p "$ng" -c "$ng/nginx.conf" -e "$ng/error.log" >"$ng/stdout.log" 2>&1 &
    NGINX_PID=$!
    NGINX="http://127.0.0.1:$port"
    if ! sh_wait_http_ready "$NGINX/" 20; then
        cat "$ng/error.log" >&2 || true
        sh_die "nginx did not start"
    fi
    sh_log "nginx ready on $NGINX (pid $NGINX_PID, $workers workers)"
}

# bench_stamp: the date (UTC) and commit lines at the top of a report saved in bench/out/.
bench_stamp() {
    printf 'date: %s\ncommit: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
        "$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)"
}

# bench_to_ms LATENCY: wrk's latency (812.00us, 3.21ms, 1.02s, 2.00m) in milliseconds.
bench_to_ms() {
    awk -v v="$1" 'BEGIN {
        n = v + 0; u = v; sub(/^[0-9.]+/, "", u)
        if (u == "us") n = n / 1000; else if (u == "s") n = n * 1000;
        else if (u == "m") n = n * 60000; else if (u == "h") n = n * 3600000;
        printf "%.3f", n }'
}

# bench_parse_wrk NAME OUT: reads wrk --latency output OUT into the caller's associative
# array R: R[NAME.rps|p99|reqs|non2xx|sockerr|errs|out].
# shellcheck disable=SC2034  # R belongs to the caller
bench_parse_wrk() {
    local name=$1 out=$2 rps p99 reqs non2xx sockerr
    rps=$(awk '/^Requests\/sec:/ { print $2 }' "$out")
    p99=$(awk '$1 == "99%" { print $2 }' "$out")
    reqs=$(awk '/requests in/ { print $1 }' "$out")
    non2xx=$(awk -F': *' '/Non-2xx or 3xx responses/ { print $2 }' "$out")
    # "Socket errors: connect 0, read 0, write 0, timeout 0" (absent when all are 0)
    sockerr=$(sed -n 's/.*Socket errors: *//p' "$out")
    [[ -n $rps && -n $p99 ]] || { cat "$out" >&2; sh_die "could not parse wrk output for $name"; }
    R[$name.rps]=$rps
    R[$name.p99]=$(bench_to_ms "$p99")
    R[$name.reqs]=${reqs:-?}
    R[$name.non2xx]=${non2xx:-0}
    R[$name.sockerr]=${sockerr:-none}
    R[$name.errs]=$(grep -oE '[0-9]+' <<<"${sockerr:-0}" | awk '{ s += $1 } END { print s + 0 }')
    R[$name.out]=$out
}

# bench_start_stack DB API_BIN: bench_start_pg_redis (test mode) with database DB, migrated,
# and statushawk-api with $API_THREADS threads on a free loopback port. Exports the api's
# environment; sets API_PORT, API_PID and API (its base URL).
bench_start_stack() {
    local db=$1 api_bin=$2
    bench_start_pg_redis test "$db"
    API_PORT=$(sh_free_port "$PG_PORT" "$REDIS_PORT")

    export DATABASE_URL="postgresql://postgres@127.0.0.1:$PG_PORT/$db"
    export REDIS_URL="redis://127.0.0.1:$REDIS_PORT/0"
    export SECRET_KEY
    SECRET_KEY=$(sh_random_hex 32)
    export STATUSHAWK_LISTEN="127.0.0.1:$API_PORT"
    export STATUSHAWK_API_THREADS=$API_THREADS
    export LOG_LEVEL=${LOG_LEVEL:-warn}

    "$api_bin" migrate >"$TMP/migrate.log" 2>&1 || { cat "$TMP/migrate.log" >&2; sh_die "migrate failed"; }
    "$api_bin" >"$TMP/api.log" 2>&1 &
    API_PID=$!
    API="http://127.0.0.1:$API_PORT"
    if ! sh_wait_http_ready "$API/ready" 60; then
        tail -n 30 "$TMP/api.log" >&2
        sh_die "statushawk-api did not become ready"
    fi
    sh_log "statushawk-api ready on $API (pid $API_PID, $API_THREADS threads)"
}

# bench_user_token: signs a new user up and logs in through $API; sets EMAIL, PASSWORD and
# TOKEN.
bench_user_token() {
    local code
    EMAIL="bench-$(sh_random_hex 4)@example.com"
    PASSWORD="bench-$(sh_random_hex 8)"
    code=$(curl -sS -o "$TMP/signup.json" -w '%{http_code}' -X POST "$API/api/v1/accounts/signup" \
        -H 'Content-Type: application/json' \
        -d "{\"email\":\"$EMAIL\",\"password\":\"$PASSWORD\",\"first_name\":\"Bench\",\"last_name\":\"Mark\"}")
    [[ $code == 201 ]] || sh_die "signup answered $code: $(head -c 500 "$TMP/signup.json")"
    code=$(curl -sS -o "$TMP/login.json" -w '%{http_code}' -X POST "$API/api/v1/accounts/login" \
        -H 'Content-Type: application/json' -d "{\"email\":\"$EMAIL\",\"password\":\"$PASSWORD\"}")
    [[ $code == 201 ]] || sh_die "login answered $code: $(head -c 500 "$TMP/login.json")"
    TOKEN=$(tr -d '\n' <"$TMP/login.json" |
        sed -n 's/.*"token"[[:space:]]*:[[:space:]]*"\([0-9a-fA-F]\{40\}\)".*/\1/p')
    [[ -n $TOKEN ]] || sh_die "no 40-hex token in the login answer: $(head -c 500 "$TMP/login.json")"
}
