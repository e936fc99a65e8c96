#!/usr/bin/env bash
# Loader benchmark: `retention load` vs psql \copy of the same >= 1,000,000-row events file,
# side by side in one run, interleaved, on one server.
#
#   crates/loader/benches/loader_vs_copy.sh            # from the workspace root
#   ROWS=1000000 RUNS=3 BENCH_DB=loader_bench ADMIN_URL=postgres://postgres@127.0.0.1:5432/postgres
#
# A: retention load --date D           typed, quarantining bad rows, one transaction, audit
# B: \copy raw_events FROM file (FORMAT csv, HEADER)      all 12 columns text; the file
#    without its bad_field_count rows (0.033%), on which even an all-text COPY aborts
# C: \copy typed_events FROM clean file (FORMAT csv, HEADER)  columns typed as staging.events,
#    the file with its unparseable rows removed (COPY would abort on them)
# Each timed command runs under /usr/bin/time -v (wall clock, peak RSS) after a CHECKPOINT.
set -euo pipefail
ROWS=${ROWS:-1000000}
RUNS=${RUNS:-3}
DAY=${DAY:-2026-06-01}
WORK=${WORK:-/tmp/retention-loader-bench}
ADMIN_URL=${ADMIN_URL:-postgres://postgres@127.0.0.1:5432/postgres}
BENCH_DB=${BENCH_DB:-loader_bench}
URL=${ADMIN_URL%/*}/$BENCH_DB
BIN=${RETENTION_BIN:-target/release/retention}
HERE=$(cd "$(dirname "$0")" && pwd)

[ -x "$BIN" ] || { echo "build first: cargo build --release -p retention-cli" >&2; exit 1; }
if ! grep -q "\"rows\": $ROWS," "$WORK/data/dt=$DAY/_manifest.json" 2>/dev/null || [ ! -f "$WORK/events_text.csv" ]; then
  rm -rf "$WORK" && mkdir -p "$WORK"
  python3 "$HERE/make_events.py" "$WORK/data" "$DAY" "$ROWS" "$WORK/events_clean.csv" "$WORK/events_text.csv"
fi
FILE=$WORK/data/dt=$DAY/events.csv

psql -qX "$ADMIN_URL" -c "DROP DATABASE IF EXISTS $BENCH_DB WITH (FORCE)" -c "CREATE DATABASE $BENCH_DB"
DATABASE_URL=$URL "$BIN" init 2>/dev/null >/dev/null
psql -qX "$URL" <<'SQL'
CREATE TABLE raw_events (event_id text, event_ts text, user_id text, session_id text, event_type text,
  page_url text, product_id text, quantity text, unit_price text, order_id text, device text, country text);
CREATE TABLE typed_events (event_id text COLLATE "C", event_ts timestamptz, user_id bigint,
  session_id text COLLATE "C", event_type text, page_url text, product_id bigint, quantity bigint,
  unit_price numeric(12,2), order_id text COLLATE "C", device text, country text);
SQL

measure() { # label, command...: prints "label wall_s max_rss_kb"
  local label=$1; shift
  psql -qX "$URL" -c CHECKPOINT
  /usr/bin/time -v "$@" > /dev/null 2> "$WORK/time.txt"
  local wall rss
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,a,":"); s=0; for(i=1;i<=n;i++) s=s*60+a[i]; print s}' "$WORK/time.txt")
  rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$WORK/time.txt")
  echo "$label $wall $rss"
}

echo "file: $FILE ($(stat -c %s "$FILE") bytes, $ROWS records); server: $(psql -qXtA "$URL" -c 'SHOW server_version')"
for run in $(seq 1 "$RUNS"); do
  measure "run$run retention_load" env DATABASE_URL="$URL" RUST_LOG=warn "$BIN" --data-dir "$WORK/data" load --date "$DAY"
  psql -qX "$URL" -c "TRUNCATE raw_events"
  measure "run$run copy_text" psql -qX "$URL" -c "\\copy raw_events FROM '$WORK/events_text.csv' (FORMAT csv, HEADER)"
  psql -qX "$URL" -c "TRUNCATE typed_events"
  measure "run$run copy_typed_clean" psql -qX "$URL" -c "\\copy typed_events FROM '$WORK/events_clean.csv' (FORMAT csv, HEADER)"
done | tee "$WORK/runs.txt"
# Median wall time per command, rows/s over the file's records, and the loader's time
# relative to each (load/this <= 1.0: the loader is no slower).
awk -v rows="$ROWS" '
  { split($1, r, " "); wall[$2] = wall[$2] " " $3; if ($4 > rss[$2]) rss[$2] = $4 }
  function median(list,   a, n, i, j, t) {
    n = split(list, a, " ")
    for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
    return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
  }
  END {
    base = median(wall["retention_load"])
    for (k in wall) {
      m = median(wall[k])
      printf "median %-17s %5.2f s %8.0f rows/s  peak RSS %5.1f MB  load/this %.2f\n", k, m, rows / m, rss[k] / 1024, base / m
    }
  }' "$WORK/runs.txt"
psql -qXtA "$URL" -c "SELECT 'check: staged=' || (SELECT count(*) FROM staging.events) || ' rejected=' || (SELECT count(*) FROM quarantine.rejected_rows) || ' raw=' || (SELECT count(*) FROM raw_events) || ' typed=' || (SELECT count(*) FROM typed_events)"
