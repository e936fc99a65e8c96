#!/usr/bin/env bash
# Checks on a real warehouse that the day-by-day transform equals a one-pass recomputation:
# an order-free checksum of every table and view of dw, quarantine, marts and mart_state
# (scripts/warehouse-checksums.sh), then `retention rebuild`, then the checksums
# again; exits 1 if any relation differs. Usage:
#   scripts/incremental-equals-full.sh postgres://postgres@127.0.0.1:5432/year10 [RETENTION_BIN]
set -euo pipefail
url=${1:?usage: $0 DATABASE_URL [RETENTION_BIN]}
bin=${2:-target/release/retention}
checksums() { "$(dirname "$0")/warehouse-checksums.sh" "$url"; }
before=$(mktemp) after=$(mktemp)
trap 'rm -f "$before" "$after"' EXIT
checksums >"$before"
echo "incremental: $(wc -l <"$before") relations checksummed; rebuilding" >&2
"$bin" --database-url "$url" rebuild
checksums >"$after"
if diff "$before" "$after"; then
    echo "incremental equals full: $(wc -l <"$after") relations identical" >&2
else
    echo "incremental DIFFERS from full (above: < incremental, > rebuilt)" >&2
    exit 1
fi
