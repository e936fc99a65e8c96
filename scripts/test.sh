#!/usr/bin/env bash
# The project's test command (README "Run the tests"): formatting, lints, every Rust test
# against a real PostgreSQL, then the Airflow DAG tests and the dashboard tests. Exits non-zero
# on any failure and ends with one line "tests: N passed, M failed".
#
# The database: DATABASE_URL if set (a server on which each test creates its own database),
# else a Testcontainers postgres:15 when Docker answers, else a throwaway local cluster.
set -uo pipefail
cd "$(dirname "$0")/.."

target=${CARGO_TARGET_DIR:-target}
log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0

step() { echo; echo "== $*"; }

step "cargo fmt --check"
cargo fmt --all --check || status=1

step "cargo clippy (all targets, all features, warnings are errors)"
cargo clippy --workspace --all-targets --all-features --locked -- -D warnings || status=1

step "cargo test (workspace)"
RUST_TEST_THREADS=${RUST_TEST_THREADS:-4} cargo test --workspace --locked --no-fail-fast 2>&1 | tee "$log"
[[ ${PIPESTATUS[0]} -eq 0 ]] || status=1

step "The pipeline library from another program (crates/pipeline/examples/week.rs)"
if [[ -n ${DATABASE_URL:-} ]] && command -v psql >/dev/null; then
    example_db="retention_example_$$"
    example_url="${DATABASE_URL%/*}/$example_db"
    if psql "$DATABASE_URL" -qc "CREATE DATABASE $example_db" \
        && DATABASE_URL=$example_url cargo run --locked -q -p retention-pipeline --example week >"$log.example" \
        && grep -q '"status":"ok"' "$log.example"; then
        echo "pipeline example: a week ran through the library: $(cut -c1-120 "$log.example")..."
    else
        echo "pipeline example FAILED"
        status=1
    fi
    psql "$DATABASE_URL" -qc "DROP DATABASE IF EXISTS $example_db" || true
    rm -f "$log.example"
else
    echo "PIPELINE EXAMPLE NOT RUN: it needs DATABASE_URL and psql"
fi

step "Airflow DAG tests"
if [[ ${RETENTION_SKIP_AIRFLOW:-0} == 1 ]]; then
    echo "AIRFLOW TESTS NOT RUN: RETENTION_SKIP_AIRFLOW=1"
else
    RETENTION_BIN=${RETENTION_BIN:-$target/debug/retention} bash airflow/run-tests.sh 2>&1 | tee -a "$log"
    [[ ${PIPESTATUS[0]} -eq 0 ]] || status=1
fi

step "Dashboard tests (Grafana and Looker files, every query against a warehouse)"
RETENTION_BIN=${RETENTION_BIN:-$target/debug/retention} bash dashboards/run-tests.sh 2>&1 | tee -a "$log"
[[ ${PIPESTATUS[0]} -eq 0 ]] || status=1

step "HTML report in headless Chromium (no console errors, no network, every chart drawn)"
# The report the CLI test wrote (crates/cli/tests/report.rs) for a fixed seed.
report_html=$target/tmp/report/retention-report.html
if [[ -f $report_html ]]; then
    bash scripts/check-report.sh "$report_html" "$target/report" || status=1
else
    echo "check-report: $report_html missing: the report test (retention-cli --test report) did not run"
    status=1
fi

passed=$(grep -oE '^test result: [a-zA-Z]+\. [0-9]+ passed; [0-9]+ failed' "$log" | awk '{p+=$4; f+=$6} END {print p+0}')
failed=$(grep -oE '^test result: [a-zA-Z]+\. [0-9]+ passed; [0-9]+ failed' "$log" | awk '{p+=$4; f+=$6} END {print f+0}')
# Every pytest summary line (one per Python suite), errors counted as failures.
while IFS= read -r py; do
    passed=$((passed + $(grep -oE '[0-9]+ passed' <<<"$py" | grep -oE '[0-9]+' || echo 0)))
    failed=$((failed + $(grep -oE '[0-9]+ failed' <<<"$py" | grep -oE '[0-9]+' || echo 0)))
    failed=$((failed + $(grep -oE '[0-9]+ errors?' <<<"$py" | grep -oE '[0-9]+' || echo 0)))
done < <(grep -oE '=+ .*[0-9]+ (passed|failed|errors?).* in [0-9.]+s' "$log" || true)
echo
echo "tests: $passed passed, $failed failed"
exit $status
