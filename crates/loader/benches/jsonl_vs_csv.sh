#!/usr/bin/env bash
# JSON Lines vs CSV load speed on the same events: `retention load --no-manifest` of one day
# whose events are events.csv, and of the same day with events.jsonl (and .gz of each),
# interleaved, each timed whole by /usr/bin/time after a CHECKPOINT.
#
#   ROWS=1000000 RUNS=3 crates/loader/benches/jsonl_vs_csv.sh   # from the workspace root
#
# The events come from make_events.py (the CSV loader benchmark's, generator-independent) and
# are converted by csv_to_jsonl.py: one object per record, the contract's column names as
# keys (the default mapping), 1 in 1000 rows unparseable in both.
set -euo pipefail
ROWS=${ROWS:-1000000}
RUNS=${RUNS:-3}
DAY=${DAY:-2026-06-01}
WORK=${WORK:-/tmp/retention-jsonl-bench}
ADMIN_URL=${ADMIN_URL:-postgres://postgres@127.0.0.1:5432/postgres}
BENCH_DB=${BENCH_DB:-jsonl_bench}
URL=${ADMIN_URL%/*}/$BENCH_DB
BIN=${RETENTION_BIN:-target/release/retention}
HERE=$(cd "$(dirname "$0")" && pwd)

[ -x "$BIN" ] || { echo "build first: cargo build --release -p retention-cli" >&2; exit 1; }
if [ ! -f "$WORK/jsonl/dt=$DAY/events.jsonl.gz" ]; then
  rm -rf "$WORK" && mkdir -p "$WORK"
  python3 "$HERE/make_events.py" "$WORK/csv" "$DAY" "$ROWS" /dev/null /dev/null
  rm -f "$WORK/csv/dt=$DAY/_manifest.json"
  for form in jsonl csvgz jsonlgz; do
    mkdir -p "$WORK/$form/dt=$DAY"
    cp "$WORK/csv/dt=$DAY/users.csv" "$WORK/csv/dt=$DAY/products.csv" "$WORK/$form/dt=$DAY/"
  done
  python3 "$HERE/csv_to_jsonl.py" "$WORK/csv/dt=$DAY/events.csv" "$WORK/jsonl/dt=$DAY/events.jsonl"
  gzip -c "$WORK/csv/dt=$DAY/events.csv" > "$WORK/csvgz/dt=$DAY/events.csv.gz"
  gzip -c "$WORK/jsonl/dt=$DAY/events.jsonl" > "$WORK/jsonlgz/dt=$DAY/events.jsonl.gz"
fi
ls -l "$WORK"/*/dt=$DAY/events.* >&2

psql -qX "$ADMIN_URL" -c "DROP DATABASE IF EXISTS $BENCH_DB WITH (FORCE)" -c "CREATE DATABASE $BENCH_DB"
DATABASE_URL=$URL "$BIN" init >/dev/null 2>&1

for run in $(seq 1 "$RUNS"); do
  for form in csv jsonl csvgz jsonlgz; do
    psql -qX "$URL" -c CHECKPOINT
    /usr/bin/time -f "$form run $run: %e s wall, %M KB peak RSS" \
      "$BIN" load --date "$DAY" --no-manifest --data-dir "$WORK/$form" --database-url "$URL" \
      2>&1 >"$WORK/last.json" | grep "run $run" || true
    python3 -c "import json,sys; l=json.loads(open('$WORK/last.json').read().splitlines()[-1]); f=l['files'][0]; print('   ', f['file'], f['read'], 'read', f['staged'], 'staged', f['rejected_by_reason'])"
  done
done
psql -qX "$ADMIN_URL" -c "DROP DATABASE IF EXISTS $BENCH_DB WITH (FORCE)"
