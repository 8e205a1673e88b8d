# shellcheck shell=bash
# StatusHawk — shared shell functions for scripts/stack, scripts/test and bench/*.
#
# Source it from bash scripts running with `set -euo pipefail`:
#   . "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# Every function is safe under `set -euo pipefail`. Functions are prefixed `sh_`.
#
# What is in here:
#   logging          sh_log, sh_warn, sh_die
#   packages         sh_require_packages PKG... (PKG may be "a|b" = any of them)
#   ports            sh_free_port [EXCLUDED_PORT...], sh_port_in_use PORT
#   waiting          sh_wait_until DESC TIMEOUT CMD..., sh_wait_http_ready URL [TIMEOUT]
#   PostgreSQL       sh_pg_bindir, sh_pg_as, sh_pg_init, sh_pg_start, sh_pg_stop,
#                    sh_pg_is_running, sh_pg_wait_ready, sh_psql
#   Redis            sh_redis_start, sh_redis_stop, sh_redis_is_running, sh_redis_wait_ready
#   misc             sh_random_hex, sh_pid_alive, sh_pid_matches, sh_stop_pid

# ----------------------------------------------------------------------------------------
# Logging
# ----------------------------------------------------------------------------------------
: "${SH_LOG_TAG:=statushawk}"

sh_log()  { printf '[%s] %s\n' "$SH_LOG_TAG" "$*" >&2; }
sh_warn() { printf '[%s] WARNING: %s\n' "$SH_LOG_TAG" "$*" >&2; }
sh_die()  { printf '[%s] ERROR: %s\n' "$SH_LOG_TAG" "$*" >&2; exit 1; }

# ----------------------------------------------------------------------------------------
# Packages
# ----------------------------------------------------------------------------------------

# The packages needed to build and run the test suite (see README / CI).
# shellcheck disable=SC2034  # used by the scripts that source this file
SH_BUILD_PACKAGES=(build-essential cmake pkg-config libevent-dev libcurl4-openssl-dev
                   libhiredis-dev libpq-dev libjansson-dev libssl-dev libcmocka-dev)
# shellcheck disable=SC2034
SH_SERVICE_PACKAGES=(postgresql redis-server)

# 0 when the dpkg database says PKG is installed ("ii"), non-zero otherwise.
# (`dpkg -s` alone also succeeds for removed packages whose config files remain.)
sh_pkg_installed() {
    local status
    status=$(dpkg-query -W -f='${db:Status-Abbrev}' "$1" 2>/dev/null) || return 1
    [[ $status == ii* ]]
}

# 0 when /etc/os-release says Debian or a derivative (Ubuntu, ...).
sh_is_debian_like() {
    [[ -r /etc/os-release ]] || return 1
    local id="" id_like=""
    # shellcheck disable=SC1091
    id=$(. /etc/os-release && printf '%s' "${ID:-}")
    # shellcheck disable=SC1091
    id_like=$(. /etc/os-release && printf '%s' "${ID_LIKE:-}")
    [[ $id == debian || $id == ubuntu || " $id_like " == *" debian "* || " $id_like " == *" ubuntu "* ]]
}

# sh_require_packages PKG...
# Each PKG is a package name or alternatives "a|b|c" (satisfied by any of them; the first
# one is installed when none is). Installs what is missing when we are root on
# Debian/Ubuntu (apt-get update only when something is missing); otherwise prints the
# exact command to run and exits 1.
sh_require_packages() {
    local missing=() alts=() spec alt found
    for spec in "$@"; do
        found=0
        IFS='|' read -r -a alts <<<"$spec"
        for alt in "${alts[@]}"; do
            if sh_pkg_installed "$alt"; then found=1; break; fi
        done
        ((found)) || missing+=("${alts[0]}")
    done
    ((${#missing[@]} == 0)) && return 0

    if ! command -v dpkg-query >/dev/null 2>&1 || ! sh_is_debian_like; then
        sh_log "this script installs its dependencies only on Debian/Ubuntu; on this system install the equivalents of:"
        sh_log "  ${missing[*]}"
        exit 1
    fi
    if [[ $(id -u) -ne 0 ]]; then
        sh_log "missing packages: ${missing[*]}"
        sh_log "install them with:"
        printf '  sudo apt-get update && sudo apt-get install -y --no-install-recommends %s\n' "${missing[*]}" >&2
        exit 1
    fi
    sh_log "installing missing packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q || sh_die "apt-get update failed"
    apt-get install -y -q --no-install-recommends "${missing[@]}" ||
        sh_die "apt-get install failed for: ${missing[*]}"
}

# ----------------------------------------------------------------------------------------
# Small helpers
# ----------------------------------------------------------------------------------------

# sh_random_hex NBYTES -> 2*NBYTES lowercase hex characters on stdout.
sh_random_hex() {
    local n=${1:-32}
    od -An -N"$n" -tx1 /dev/urandom | tr -d ' \n'
}

sh_pid_alive() { [[ -n ${1:-} ]] && kill -0 "$1" 2>/dev/null; }

# sh_pid_matches PID WORD: the process is alive and its command line contains WORD
# (protects against acting on a recycled pid from a stale pid file).
sh_pid_matches() {
    local pid=$1 word=$2 cmdline
    sh_pid_alive "$pid" || return 1
    [[ -r /proc/$pid/cmdline ]] || return 0   # no /proc: trust kill -0
    cmdline=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) || return 1
    [[ $cmdline == *"$word"* ]]
}

# sh_stop_pid PID [TIMEOUT_SECONDS] [NAME]: SIGTERM, wait, SIGKILL as a last resort.
# Returns 0 when the process is gone.
sh_stop_pid() {
    local pid=$1 timeout=${2:-30} name=${3:-process} i
    sh_pid_alive "$pid" || return 0
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < timeout * 10; i++)); do
        sh_pid_alive "$pid" || return 0
        sleep 0.1
    done
    sh_warn "$name (pid $pid) did not exit ${timeout}s after SIGTERM; sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    for ((i = 0; i < 50; i++)); do
        sh_pid_alive "$pid" || return 0
        sleep 0.1
    done
    return 1
}

# ----------------------------------------------------------------------------------------
# Ports
# ----------------------------------------------------------------------------------------

# 0 when something listens on 127.0.0.1:PORT (or the port is bound on any address).
sh_port_in_use() {
    local port=$1
    if command -v ss >/dev/null 2>&1; then
        [[ -n $(ss -Htan "( sport = :$port )" 2>/dev/null) ]] && return 0
        return 1
    fi
    # No ss: a successful connect means in use.
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null
}

# sh_free_port [EXCLUDED...]: print a free TCP port on 127.0.0.1, different from the
# excluded ones. Lets the kernel pick (bind port 0) via python3 when available, otherwise
# probes random ports in 20000-60999.
sh_free_port() {
    local port i excluded=" $* "
    for ((i = 0; i < 200; i++)); do
        port=""
        if command -v python3 >/dev/null 2>&1; then
            port=$(python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])' 2>/dev/null) || port=""
        fi
        if [[ -z $port ]]; then
            port=$((20000 + (RANDOM * 32768 + RANDOM) % 41000))
        fi
        [[ $excluded == *" $port "* ]] && continue
        sh_port_in_use "$port" && continue
        printf '%s\n' "$port"
        return 0
    done
    sh_die "could not find a free TCP port on 127.0.0.1"
}

# ----------------------------------------------------------------------------------------
# Waiting
# ----------------------------------------------------------------------------------------

# sh_wait_until DESCRIPTION TIMEOUT_SECONDS CMD...: run CMD every 0.2 s until it succeeds.
# Returns 1 (with a message) on timeout.
sh_wait_until() {
    local desc=$1 timeout=$2 i
    shift 2
    for ((i = 0; i < timeout * 5; i++)); do
        if "$@" >/dev/null 2>&1; then return 0; fi
        sleep 0.2
    done
    sh_warn "timed out after ${timeout}s waiting for $desc"
    return 1
}

sh__http_ok() { curl -fsS -o /dev/null -m 2 "$1"; }

# sh_wait_http_ready URL [TIMEOUT]: wait until URL answers 2xx (e.g. http://127.0.0.1:8000/ready).
sh_wait_http_ready() {
    sh_wait_until "$1 to answer 2xx" "${2:-60}" sh__http_ok "$1"
}

# ----------------------------------------------------------------------------------------
# PostgreSQL
# ----------------------------------------------------------------------------------------
# PostgreSQL refuses to run as root. When we are root every pg command runs as the
# `postgres` system user (created by the postgresql package) and the data directory is
# owned by it; as a normal user everything runs as ourselves.
# Layout: DIR is the data directory (PGDATA); the Unix socket lives inside DIR, so only
# the owner of DIR (and root) can use it.

# Print the highest /usr/lib/postgresql/<version>/bin (or the dir of pg_ctl on PATH).
sh_pg_bindir() {
    local d best=""
    best=$(for d in /usr/lib/postgresql/*/bin; do [[ -x $d/pg_ctl ]] && printf '%s\n' "$d"; done |
        sort -V | tail -n 1) || true
    if [[ -z $best || ! -x $best/pg_ctl ]]; then
        d=$(command -v pg_ctl 2>/dev/null) || sh_die "PostgreSQL server binaries not found (install the postgresql package)"
        best=$(dirname "$d")
    fi
    printf '%s\n' "$best"
}

sh_is_root() { [[ $(id -u) -eq 0 ]]; }

# sh_pg_as CMD...: run CMD as the user owning the cluster (postgres when we are root).
# Runs from / so the postgres user never trips over an unreadable current directory.
sh_pg_as() {
    if sh_is_root; then
        (cd / && runuser -u postgres -- "$@")
    else
        "$@"
    fi
}

# Make sure the postgres user can reach DIR (only matters when we are root).
sh_pg_check_access() {
    local dir=$1 p=""
    sh_is_root || return 0
    id postgres >/dev/null 2>&1 ||
        sh_die "running as root, PostgreSQL must run as the 'postgres' user, which does not exist (install the postgresql package)"
    local IFS=/ part
    for part in $dir; do
        [[ -z $part ]] && continue
        p="$p/$part"
        [[ -d $p ]] || break
        if ! runuser -u postgres -- test -x "$p" 2>/dev/null; then
            sh_die "PostgreSQL refuses to run as root, so it runs as the 'postgres' user, but 'postgres' cannot enter $p (mode $(stat -c %A "$p")). Make the path traversable (e.g. chmod o+x $p) or use a checkout/temp dir outside it."
        fi
    done
}

sh_pg_is_running() {
    local dir=$1
    [[ -f $dir/PG_VERSION ]] || return 1
    sh_pg_as "$(sh_pg_bindir)/pg_ctl" -D "$dir" status >/dev/null 2>&1
}

# sh_pg_init DIR MODE
#   MODE=test : trust everywhere, fsync/full_page_writes/synchronous_commit off
#   MODE=stack: durable; local (socket, owner-only) trust, TCP needs a password (scram)
# Creates DIR if needed; does nothing if DIR already holds a cluster.
sh_pg_init() {
    local dir=$1 mode=${2:-test} bindir locale=C
    bindir=$(sh_pg_bindir)
    [[ -f $dir/PG_VERSION ]] && return 0
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd -P)
    sh_pg_check_access "$dir"
    if sh_is_root; then chown postgres:postgres "$dir"; fi
    chmod 700 "$dir"
    if locale -a 2>/dev/null | grep -qix 'c.utf-\?8'; then locale=C.UTF-8; fi
    sh_pg_as "$bindir/initdb" -D "$dir" -U postgres -A trust --nosync -E UTF8 \
        --locale="$locale" >"$dir.initdb.log" 2>&1 || {
        cat "$dir.initdb.log" >&2
        sh_die "initdb failed in $dir"
    }
    rm -f "$dir.initdb.log"
    # Per-start settings (port, socket dir) go to statushawk.conf, rewritten by sh_pg_start.
    {
        printf '\n# --- StatusHawk ---\n'
        printf "include_if_exists = 'statushawk.conf'\n"
        printf 'max_connections = 200\n'
        if [[ $mode == test ]]; then
            printf 'fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n'
        fi
    } | sh_pg_as tee -a "$dir/postgresql.conf" >/dev/null
    if [[ $mode == stack ]]; then
        # The socket sits in the 0700 data dir, so "local trust" only admits the cluster
        # owner (and root). Everything over TCP must present a password.
        printf '%s\n' \
            '# TYPE  DATABASE  USER  ADDRESS        METHOD' \
            'local   all       all                  trust' \
            'host    all       all   127.0.0.1/32   scram-sha-256' |
            sh_pg_as tee "$dir/pg_hba.conf" >/dev/null
    fi
}

# sh_pg_start DIR PORT LOGFILE: start the cluster on 127.0.0.1:PORT (no-op if running).
sh_pg_start() {
    local dir=$1 port=$2 log=$3 bindir
    bindir=$(sh_pg_bindir)
    dir=$(cd "$dir" && pwd -P)
    sh_pg_check_access "$dir"
    if sh_pg_is_running "$dir"; then return 0; fi
    mkdir -p "$(dirname "$log")"
    touch "$log"
    if sh_is_root; then
        sh_pg_check_access "$(dirname "$log")"
        chown postgres:postgres "$log"
    fi
    local sockpath="$dir/.s.PGSQL.$port"
    ((${#sockpath} < 100)) ||
        sh_die "Unix socket path too long for PostgreSQL (${#sockpath} chars): $sockpath; use a shorter directory"
    printf "listen_addresses = '127.0.0.1'\nport = %s\nunix_socket_directories = '%s'\n" \
        "$port" "${dir//\'/\'\'}" | sh_pg_as tee "$dir/statushawk.conf" >/dev/null
    if ! sh_pg_as "$bindir/pg_ctl" -D "$dir" -l "$log" -w -t 60 start >/dev/null; then
        tail -n 30 "$log" >&2 || true
        sh_die "PostgreSQL failed to start in $dir on port $port (log: $log)"
    fi
}

# sh_pg_stop DIR: fast shutdown (rolls back open transactions, flushes, exits). Data stays.
sh_pg_stop() {
    local dir=$1
    [[ -d $dir ]] || return 0
    sh_pg_is_running "$dir" || return 0
    sh_pg_as "$(sh_pg_bindir)/pg_ctl" -D "$dir" -m fast -w -t 60 stop >/dev/null ||
        sh_warn "pg_ctl stop failed for $dir"
}

# sh_pg_wait_ready PORT [TIMEOUT]
sh_pg_wait_ready() {
    local port=$1 timeout=${2:-60}
    sh_wait_until "PostgreSQL on 127.0.0.1:$port" "$timeout" \
        "$(sh_pg_bindir)/pg_isready" -q -h 127.0.0.1 -p "$port" -t 2
}

# sh_psql DIR PORT DB SQL: run SQL as the postgres superuser over the cluster's socket.
# Prints unaligned, tuples-only output.
sh_psql() {
    local dir=$1 port=$2 db=$3 sql=$4
    sh_pg_as "$(sh_pg_bindir)/psql" -X -q -A -t -v ON_ERROR_STOP=1 \
        -h "$dir" -p "$port" -U postgres -d "$db" -c "$sql"
}

# ----------------------------------------------------------------------------------------
# Redis
# ----------------------------------------------------------------------------------------
# Layout: DIR holds redis.conf, redis.pid and the data files (AOF/RDB when persistent).

# sh_redis_start DIR PORT MODE LOGFILE
#   MODE=persist  : appendonly yes (everysec) — data survives restarts
#   MODE=ephemeral: no AOF, no RDB snapshots
# No-op when the Redis of DIR is already running.
sh_redis_start() {
    local dir=$1 port=$2 mode=$3 log=$4
    mkdir -p "$dir" "$(dirname "$log")"
    dir=$(cd "$dir" && pwd -P)
    if sh_redis_is_running "$dir"; then return 0; fi
    {
        printf '# written by scripts/lib.sh — regenerated on every start\n'
        printf 'bind 127.0.0.1\nprotected-mode yes\nport %s\n' "$port"
        printf 'daemonize yes\npidfile "%s/redis.pid"\nlogfile "%s"\ndir "%s"\n' "$dir" "$log" "$dir"
        printf 'databases 16\n'
        if [[ $mode == persist ]]; then
            printf 'appendonly yes\nappendfsync everysec\nappendfilename "appendonly.aof"\n'
            printf 'save 3600 1 300 100 60 10000\n'
        else
            printf 'appendonly no\nsave ""\n'
        fi
    } >"$dir/redis.conf"
    if ! redis-server "$dir/redis.conf"; then
        tail -n 30 "$log" >&2 || true
        sh_die "Redis failed to start on port $port (log: $log)"
    fi
}

# Prints the pid of DIR's redis if it is running.
sh_redis_pid() {
    local dir=$1 pid
    [[ -f $dir/redis.pid ]] || return 1
    pid=$(<"$dir/redis.pid")
    sh_pid_matches "$pid" redis-server || return 1
    printf '%s\n' "$pid"
}

sh_redis_is_running() { sh_redis_pid "$1" >/dev/null; }

# sh_redis_wait_ready PORT [TIMEOUT]
sh_redis_wait_ready() {
    local port=$1 timeout=${2:-30}
    sh_wait_until "Redis on 127.0.0.1:$port" "$timeout" sh__redis_ping "$port"
}
sh__redis_ping() { [[ $(redis-cli -h 127.0.0.1 -p "$1" ping 2>/dev/null) == PONG ]]; }

# sh_redis_stop DIR PORT [MODE]: graceful SHUTDOWN (flushes the AOF when persistent;
# NOSAVE when ephemeral), then the pid file as a fallback.
sh_redis_stop() {
    local dir=$1 port=$2 mode=${3:-persist} pid
    pid=$(sh_redis_pid "$dir") || return 0
    if [[ $mode == persist ]]; then
        redis-cli -h 127.0.0.1 -p "$port" shutdown >/dev/null 2>&1 || true
    else
        redis-cli -h 127.0.0.1 -p "$port" shutdown nosave >/dev/null 2>&1 || true
    fi
    sh_stop_pid "$pid" 30 redis-server || sh_warn "could not stop redis-server (pid $pid)"
}
