# shellcheck shell=bash
# The deployment phase of scripts/test, sourced by it after the ctest runs.
# Uses (from scripts/test): ROOT, SUMMARY, TOTAL_PASSED, TOTAL_FAILED, FAILED_RUNS, sh_*.
# Runs tests/deploy/run.sh (docker-compose.yaml, .env.example, deploy/Dockerfile and the
# Helm chart, checked without Docker or Kubernetes; see docs/deploy.md) and counts its
# checks: every PASS/FAIL line is one test.
deploy_phase() {
    local log=$ROOT/build-test/deploy.log rc=0 line p f
    mkdir -p "$ROOT/build-test"
    sh_log "deploy: compose, Dockerfile and Helm chart checks (tests/deploy/run.sh)"
    "$ROOT/tests/deploy/run.sh" 2>&1 | tee "$log" || rc=$?
    line=$(grep -E '^deploy: [0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1) || true
    p=$(sed -nE 's/^deploy: ([0-9]+) passed.*/\1/p' <<<"$line")
    f=$(sed -nE 's/^deploy: [0-9]+ passed, ([0-9]+) failed.*/\1/p' <<<"$line")
    p=${p:-0}
    f=${f:-0}
    if ((rc != 0 && f == 0)); then f=1; fi
    TOTAL_PASSED=$((TOTAL_PASSED + p))
    TOTAL_FAILED=$((TOTAL_FAILED + f))
    ((f > 0)) && FAILED_RUNS=$((FAILED_RUNS + 1))
    SUMMARY+=("$(printf '%-6s %s passed, %s failed (log build-test/deploy.log)' "deploy:" "$p" "$f")")
}
