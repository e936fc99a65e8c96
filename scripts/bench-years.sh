#!/usr/bin/env bash
# A full simulated year through every step (`retention run`), at each scale given, each on a
# freshly created database, with /usr/bin/time -v. BENCHMARKS.md quotes its output.
#
#   CARGO_TARGET_DIR=/var/tmp/retention-ci-target cargo build --release --locked -p retention-cli
#   cp -r config /tmp/bench-cfg          # a private copy: edits during the run cannot change it
#   BIN=/var/tmp/retention-ci-target/release/retention bash scripts/bench-years.sh 1 10
#
# Per scale S: database yearS (dropped and re-created), landing files in /tmp/yearS, the run's
# JSON line in /tmp/yearS.json, its stderr (with the time -v figures) in /tmp/yearS.err.
set -euo pipefail
BIN=${BIN:-target/release/retention}
CONFIG=${CONFIG:-/tmp/bench-cfg/retention.yaml}
ADMIN_URL=${ADMIN_URL:-postgres://postgres@127.0.0.1:5432/postgres}
[ -x "$BIN" ] || { echo "build first: cargo build --release -p retention-cli" >&2; exit 1; }
[ -f "$CONFIG" ] || { echo "copy the config first: cp -r config ${CONFIG%/*}" >&2; exit 1; }
for scale in "${@:-1}"; do
    db=year$scale
    psql -qX "$ADMIN_URL" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db"
    rm -rf "/tmp/$db"
    echo "scale $scale: start $(uptime)"
    status=0
    DATABASE_URL=${ADMIN_URL%/*}/$db /usr/bin/time -v "$BIN" run --from 2026-01-01 --to 2026-12-31 \
        --scale "$scale" --data-dir "/tmp/$db" --config "$CONFIG" --log-format json \
        >"/tmp/$db.json" 2>"/tmp/$db.err" || status=$?
    echo "scale $scale: exit $status, $(grep -E 'Elapsed' "/tmp/$db.err" | sed 's/^\s*//'), end $(uptime)"
    python3 - "/tmp/$db.json" <<'PY'
import json, statistics, sys
run = json.loads(open(sys.argv[1]).read().strip().splitlines()[-1])
print({k: run[k] for k in ("rows_in", "rows_out", "rows_rejected", "duration_ms")})
steps = {}
for d in run["days"]:
    for s in d["steps"]:
        steps.setdefault(s["step"], []).append(s["duration_ms"])
for name, ms in steps.items():
    o = sorted(ms)
    print(f"{name:<9} mean {statistics.mean(ms):7.1f}  median {statistics.median(ms):6}  "
          f"p95 {o[int(len(o) * 0.95)]:6}  max {max(ms):6}  total {sum(ms) / 1000:7.1f} s")
PY
done
