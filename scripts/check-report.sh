#!/usr/bin/env bash
# Checks a `retention report` HTML file in headless Chromium (scripts/check-report.py): no
# console errors, no network request, every chart drawn; screenshots under OUT_DIR.
#
#   scripts/check-report.sh REPORT.html OUT_DIR [--readme-shot PNG]
#
# Needs `chromium` (Debian: apt-get install chromium; .ci/run installs it). The Python
# packages (pinned in scripts/check-report.requirements.txt) live in a virtualenv under /tmp,
# named after the pins and the Python version, reused while they stay the same.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
python=${PYTHON:-python3}
reqs=$here/check-report.requirements.txt
hash=$({ cat "$reqs"; "$python" --version 2>&1; } | sha256sum | cut -c1-16)
venv=${RETENTION_REPORT_VENV:-/tmp/retention-report-venv-$hash}
if [[ ! -f $venv/.installed ]]; then
    echo "check-report: creating $venv"
    rm -rf "$venv"
    "$python" -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$reqs"
    touch "$venv/.installed"
fi
exec "$venv/bin/python" "$here/check-report.py" "$@"
