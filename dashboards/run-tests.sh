#!/usr/bin/env bash
# Runs the dashboard tests (dashboards/tests) in a virtualenv outside the repository: the
# Grafana and Looker files checked structurally, and every dashboard, variable, alert and LookML
# query run as the read-only BI role against a warehouse filled by `retention run`.
#
#   dashboards/run-tests.sh [pytest args...]
#
# The virtualenv is /tmp/retention-dashboards-venv-<hash of requirements.txt and the Python
# version> (RETENTION_DASHBOARDS_VENV overrides): reused while the pins stay the same, rebuilt
# when they change. Inputs:
#   RETENTION_BIN  the retention binary (default $CARGO_TARGET_DIR/release/retention, else
#                  .../debug/retention; CARGO_TARGET_DIR defaults to target)
#   DATABASE_URL   the PostgreSQL server the tests create their databases on
#                  (default postgres://postgres@127.0.0.1:5432/postgres)
#   PYTHON         the interpreter that makes the virtualenv (default python3)
# No Grafana server or Looker instance is involved: nothing is rendered.
# Exit code: pytest's (non-zero on any failure).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(dirname "$here")
python=${PYTHON:-python3}

hash=$({ cat "$here/requirements.txt"; "$python" --version 2>&1; } | sha256sum | cut -c1-16)
venv=${RETENTION_DASHBOARDS_VENV:-/tmp/retention-dashboards-venv-$hash}
if [[ ! -f $venv/.installed ]]; then
    echo "dashboard tests: creating $venv (pins changed or first run)"
    rm -rf "$venv"
    "$python" -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$here/requirements.txt"
    touch "$venv/.installed"
else
    echo "dashboard tests: reusing $venv"
fi

if [[ -z ${RETENTION_BIN:-} ]]; then
    target=${CARGO_TARGET_DIR:-$repo/target}
    [[ $target = /* ]] || target=$repo/$target
    for candidate in "$target/release/retention" "$target/debug/retention"; do
        if [[ -x $candidate ]]; then
            RETENTION_BIN=$candidate
            break
        fi
    done
fi
if [[ -z ${RETENTION_BIN:-} || ! -x ${RETENTION_BIN} ]]; then
    echo "dashboard tests: no retention binary; build it (cargo build --release -p retention-cli) or set RETENTION_BIN" >&2
    exit 2
fi
# Absolute: the tests run from dashboards/.
RETENTION_BIN=$(cd "$(dirname "$RETENTION_BIN")" && pwd)/$(basename "$RETENTION_BIN")
export RETENTION_BIN
export DATABASE_URL=${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}
echo "dashboard tests: binary $RETENTION_BIN, server ${DATABASE_URL%%\?*}"

cd "$here"
# pytest.ini: testpaths = tests.
"$venv/bin/python" -m pytest "$@"
