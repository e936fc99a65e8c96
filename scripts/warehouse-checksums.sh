#!/usr/bin/env bash
# Prints an order-free checksum of every table and view of the warehouse's schemas, one line
# each: relation|rows|sum of a per-row md5 (audit columns out, the change queue out; a sum, not
# one string, so a year at --scale 10, 4.8 M facts, fits). Two warehouses built by different
# binaries, or one before and after `retention rebuild`, hold the same rows when the outputs are
# equal. Usage:
#   scripts/warehouse-checksums.sh DATABASE_URL [SCHEMA ...]
# SCHEMAS default to dw quarantine marts mart_state; name staging (and ops, for ops.erasures
# only: the run history differs by design) to compare what scd erased in the feeds as well.
set -euo pipefail
url=${1:?usage: $0 DATABASE_URL [SCHEMA ...]}
shift
schemas=("${@:-dw quarantine marts mart_state}")
list=$(printf "'%s'," ${schemas[*]})
psql "$url" -Atc "SELECT format('%I.%I', n.nspname, c.relname) FROM pg_class c
    JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname IN (${list%,}) AND c.relkind IN ('r', 'p', 'v')
      AND NOT c.relispartition AND c.relname <> 'user_changes'
      AND (n.nspname <> 'ops' OR c.relname = 'erasures') ORDER BY 1" |
while read -r rel; do
    psql "$url" -Atc "SELECT '$rel', count(*), coalesce(sum(('x' || substr(md5(
        (to_jsonb(t) - ARRAY['rejected_at', 'loaded_at', 'updated_at', 'erased_at'])::text), 1, 15))::bit(60)::bigint), 0)
        FROM $rel t"
done
