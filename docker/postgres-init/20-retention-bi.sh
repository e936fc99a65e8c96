#!/usr/bin/env bash
# docker-compose, first start of the postgres container only (docker-entrypoint-initdb.d):
# the read-only BI role and Grafana's login user.
#
#   retention_bi  NOLOGIN; `retention init` grants it USAGE/SELECT on the schemas marts and
#                 ops (and default privileges for what later migrations create). It may
#                 already exist when init runs: init only creates it when missing.
#   grafana       LOGIN, member of retention_bi; its password is GRAFANA_DB_PASSWORD (the
#                 compose file passes ${GRAFANA_DB_PASSWORD:-grafana} to both containers).
#
# Idempotent: an existing role is left as it is (its password is not reset).
set -euo pipefail

psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
    -v grafana_password="${GRAFANA_DB_PASSWORD:-grafana}" <<'SQL'
SELECT 'CREATE ROLE retention_bi NOLOGIN'
WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'retention_bi')
\gexec
SELECT format('CREATE ROLE grafana LOGIN PASSWORD %L IN ROLE retention_bi', :'grafana_password')
WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'grafana')
\gexec
-- The login user may have existed before (a re-used volume): make sure of the membership.
GRANT retention_bi TO grafana;
SQL
