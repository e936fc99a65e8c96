#!/usr/bin/env bash
# Checks on a real warehouse that the day-by-day transform equals a one-pass recomputation:
# an order-free checksum of every table and view of dw, quarantine, marts and mart_state
# (audit columns out, the change queue out), then `retention rebuild`, then the checksums
# again; exits 1 if any relation differs. Usage:
#   scripts/incremental-equals-full.sh postgres://postgres@127.0.0.1:5432/year10 [RETENTION_BIN]
# (a per-row md5 summed, not one string: a year at --scale 10 is 4.8 M facts).
set -euo pipefail
url=${1:?usage: $0 DATABASE_URL [RETENTION_BIN]}
bin=${2:-target/release/retention}
checksums() {
    psql "$url" -Atc "SELECT format('%I.%I', n.nspname, c.relname) FROM pg_class c
        JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname IN ('dw', 'quarantine', 'marts', 'mart_state') AND c.relkind IN ('r', 'p', 'v')
          AND NOT c.relispartition AND c.relname <> 'user_changes' ORDER BY 1" |
    while read -r rel; do
        psql "$url" -Atc "SELECT '$rel', count(*), coalesce(sum(('x' || substr(md5(
            (to_jsonb(t) - ARRAY['rejected_at', 'loaded_at', 'updated_at'])::text), 1, 15))::bit(60)::bigint), 0)
            FROM $rel t"
    done
}
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
