#!/usr/bin/env bash
# Runs the Airflow DAG tests (airflow/tests) in a virtualenv outside the repository.
#
#   airflow/run-tests.sh [pytest args...]
#
# The virtualenv is /tmp/retention-airflow-venv-<hash of requirements.txt and the Python
# version> (RETENTION_AIRFLOW_VENV overrides): reused while the pins stay the same, rebuilt
# when they change. Inputs:
#   RETENTION_BIN  the retention binary (default target/release/retention, else target/debug/retention)
#   DATABASE_URL   the PostgreSQL server the tests create their databases on
#                  (default postgres://postgres@127.0.0.1:5432/postgres)
#   PYTHON         the interpreter that makes the virtualenv (default python3)
# The Docker-path test needs a Docker engine: without one it is left out with the line
# "DOCKER PATH NOT TESTED: <reason>", or fails the run when RETENTION_REQUIRE_DOCKER=1.
# Exit code: pytest's (non-zero on any failure).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(dirname "$here")
python=${PYTHON:-python3}

hash=$({ cat "$here/requirements.txt"; "$python" --version 2>&1; } | sha256sum | cut -c1-16)
venv=${RETENTION_AIRFLOW_VENV:-/tmp/retention-airflow-venv-$hash}
if [[ ! -f $venv/.installed ]]; then
    echo "airflow tests: creating $venv (pins changed or first run)"
    rm -rf "$venv"
    "$python" -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$here/requirements.txt"
    touch "$venv/.installed"
else
    echo "airflow tests: reusing $venv"
fi

if [[ -z ${RETENTION_BIN:-} ]]; then
    for candidate in "$repo/target/release/retention" "$repo/target/debug/retention"; do
        if [[ -x $candidate ]]; then
            RETENTION_BIN=$candidate
            break
        fi
    done
fi
if [[ -z ${RETENTION_BIN:-} || ! -x ${RETENTION_BIN} ]]; then
    echo "airflow tests: no retention binary; build it (cargo build --release -p retention-cli) or set RETENTION_BIN" >&2
    exit 2
fi
# Absolute: the tests run from airflow/.
RETENTION_BIN=$(cd "$(dirname "$RETENTION_BIN")" && pwd)/$(basename "$RETENTION_BIN")
export RETENTION_BIN
export DATABASE_URL=${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}
echo "airflow tests: binary $RETENTION_BIN, server ${DATABASE_URL%%\?*}"

# A step another issue has not delivered yet answers "`retention STEP` is not built yet"
# before touching the database: the tests that need the whole pipeline are then left out,
# loudly, rather than failing CI for work that is not there.
missing=()
probe_dir=$(mktemp -d)
trap 'rm -rf "$probe_dir"' EXIT
for step in generate load validate scd transform; do
    answer=$(cd "$probe_dir" && DATABASE_URL=postgres://probe@127.0.0.1:1/probe \
        RETENTION_DATA_DIR="$probe_dir/data" timeout 60 "$RETENTION_BIN" "$step" --date 2026-01-01 2>/dev/null | tail -n 1 || true)
    if [[ $answer == *"is not built yet"* ]]; then
        missing+=("$step")
    fi
done
markers=()
if (( ${#missing[@]} )); then
    echo "REAL PIPELINE RUNS NOT TESTED: the binary has no ${missing[*]} yet (tests marked 'pipeline' left out)"
    markers+=("not pipeline")
fi

if ! docker_error=$(docker info --format '{{.ServerVersion}}' 2>&1); then
    reason=$(printf '%s' "$docker_error" | tail -n 1)
    if [[ ${RETENTION_REQUIRE_DOCKER:-0} == 1 ]]; then
        echo "airflow tests: RETENTION_REQUIRE_DOCKER=1 but no Docker engine answers: $reason" >&2
        exit 1
    fi
    echo "DOCKER PATH NOT TESTED: no Docker engine answers (docker info: $reason)"
    markers+=("not docker")
else
    echo "airflow tests: Docker engine $docker_error"
fi

select=()
if (( ${#markers[@]} )); then
    joined=$(printf ' and %s' "${markers[@]}")
    select=(-m "${joined# and }")
fi

cd "$here"
# `${select[@]+...}`: an empty array is an unbound variable under `set -u` in bash < 4.4.
"$venv/bin/python" -m pytest ${select[@]+"${select[@]}"} "$@"
