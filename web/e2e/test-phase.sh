# shellcheck shell=bash
# The dashboard's phase of scripts/test, sourced by it after the ctest runs.
# Uses (from scripts/test): ROOT, BUILD_OK, TEST_PG_URL, TEST_REDIS_URL, SUMMARY,
# TOTAL_PASSED, TOTAL_FAILED, FAILED_RUNS, sh_* from scripts/lib.sh.
# Runs, in web/: npm ci (when node_modules is missing or package-lock.json changed),
# typecheck (1 test), vitest (its test count), production build (1 test), and the
# end-to-end test in Chromium against the plain build's api + runner (its step count).

web_phase_count() { # web_phase_count NAME PASSED FAILED [NOTE]
    TOTAL_PASSED=$((TOTAL_PASSED + $2))
    TOTAL_FAILED=$((TOTAL_FAILED + $3))
    (($3 > 0)) && FAILED_RUNS=$((FAILED_RUNS + 1))
    SUMMARY+=("$(printf '%-6s %s passed, %s failed%s' "$1:" "$2" "$3" "${4:+ ($4)}")")
}

web_phase() {
    local web=$ROOT/web log=$ROOT/build-test/web rc major hash line p f s
    mkdir -p "$log"
    if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
        sh_warn "web: node/npm not found (the dashboard needs Node.js >= 20.19 with npm)"
        web_phase_count web 0 1 "node/npm missing"
        return 0
    fi
    major=$(node -p 'process.versions.node.split(".")[0]')
    if ((major < 20)); then
        sh_warn "web: Node.js $(node -v) is too old (need >= 20.19)"
        web_phase_count web 0 1 "Node.js too old"
        return 0
    fi
    sh_require_packages chromium

    # npm ci only when needed: node_modules missing or the lock file changed since.
    hash=$(sha256sum "$web/package-lock.json" | cut -d' ' -f1)
    if [[ ! -d $web/node_modules || $(cat "$web/node_modules/.statushawk-lock" 2>/dev/null) != "$hash" ]]; then
        sh_log "web: npm ci"
        if (cd "$web" && npm ci --no-audit --no-fund) >"$log/npm-ci.log" 2>&1; then
            printf '%s\n' "$hash" >"$web/node_modules/.statushawk-lock"
        else
            tail -n 30 "$log/npm-ci.log" >&2
            web_phase_count web 0 1 "npm ci failed; log build-test/web/npm-ci.log"
            return 0
        fi
    fi

    sh_log "web: typecheck"
    if (cd "$web" && npm run --silent typecheck) >"$log/typecheck.log" 2>&1; then
        web_phase_count tsc 1 0
    else
        cat "$log/typecheck.log" >&2
        web_phase_count tsc 0 1 "log build-test/web/typecheck.log"
    fi

    sh_log "web: vitest"
    rc=0
    (cd "$web" && NO_COLOR=1 npx vitest run) >"$log/vitest.log" 2>&1 || rc=$?
    line=$(sed 's/\x1b\[[0-9;]*m//g' "$log/vitest.log" | grep -E '^ *Tests +' | tail -n 1) || true
    p=$(grep -oE '[0-9]+ passed' <<<"$line" | grep -oE '[0-9]+') || p=0
    f=$(grep -oE '[0-9]+ failed' <<<"$line" | grep -oE '[0-9]+') || f=0
    if ((rc != 0 && f == 0)); then f=1; fi
    ((rc != 0)) && cat "$log/vitest.log" >&2
    web_phase_count vitest "$p" "$f" "log build-test/web/vitest.log"

    sh_log "web: production build"
    if (cd "$web" && npx vite build) >"$log/build.log" 2>&1; then
        web_phase_count build 1 0 "$(cd "$web" && node scripts/bundle-size.mjs | tail -n 1)"
    else
        cat "$log/build.log" >&2
        web_phase_count build 0 1 "log build-test/web/build.log"
        return 0
    fi

    if [[ ${BUILD_OK[plain]:-0} != 1 ]]; then
        web_phase_count e2e 0 1 "plain build failed, e2e not run"
        return 0
    fi
    sh_log "web: end-to-end test in Chromium (api + runner from build-test/plain)"
    rc=0
    (cd "$web" && E2E_BUILD_DIR=${WEB_E2E_BUILD_DIR:-$ROOT/build-test/plain} E2E_OUT=$log/e2e bash e2e/stack.sh) 2>&1 |
        tee "$log/e2e.log" || rc=$?
    line=$(grep -E '^e2e: [0-9]+ passed, [0-9]+ failed' "$log/e2e.log" | tail -n 1) || true
    p=$(sed -E 's/^e2e: ([0-9]+) passed.*/\1/' <<<"$line")
    f=$(sed -E 's/^e2e: [0-9]+ passed, ([0-9]+) failed.*/\1/' <<<"$line")
    s=$(sed -nE 's/.* ([0-9]+) skipped.*/\1/p' <<<"$line")
    [[ -n $line ]] || { p=0; f=0; }
    if ((rc != 0 && f == 0)); then f=1; fi
    web_phase_count e2e "$p" "$f" "${s:-0} skipped; screenshots build-test/web/e2e/screenshots"
}
