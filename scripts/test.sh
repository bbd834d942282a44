#!/usr/bin/env bash
# Install gamehub with its test dependencies into .venv and run the whole test suite.
# Usage: ./scripts/test.sh [pytest args...]; the fast layer alone: ./scripts/test.sh -m "not slow"
set -euo pipefail
cd "$(dirname "$0")/.."

# Installed again only when pyproject.toml (the dependencies) changed since: the editable
# install follows the sources by itself, and a run of the fast layer starts at once.
if [ ! -f .venv/.installed ] || [ pyproject.toml -nt .venv/.installed ]; then
    python3 -m venv .venv
    .venv/bin/python -m pip install --quiet --upgrade pip
    .venv/bin/python -m pip install --quiet -e ".[test]"
    touch .venv/.installed
fi

# The browser tests drive Debian's Chromium; a browser download does not work on these machines.
if [ ! -x /usr/bin/chromium ]; then
    sudo_=""; [ "$(id -u)" -eq 0 ] || sudo_="sudo"
    $sudo_ apt-get update -qq && $sudo_ apt-get install -y -qq chromium
fi
# The scale-out tests (tests/cluster/test_scale_out.py) start their own nginx and redis-server, from
# Debian's packages, on free loopback ports; they never touch a system service.
if [ ! -x /usr/sbin/nginx ] || [ ! -e /usr/bin/redis-server ]; then
    sudo_=""; [ "$(id -u)" -eq 0 ] || sudo_="sudo"
    $sudo_ apt-get update -qq && $sudo_ apt-get install -y -qq nginx redis-server
fi
# axe-core checks the pages' accessibility; the tests inject it from the npm registry's package.
if [ ! -f .cache/axe/node_modules/axe-core/axe.min.js ]; then
    npm install --silent --no-audit --no-fund --prefix .cache/axe axe-core@4 >/dev/null
fi

set +e
.venv/bin/python -m pytest "$@"
status=$?
set -e
if [ "$status" -eq 5 ]; then
    echo "scripts/test.sh: pytest collected no tests; that is a failure here" >&2
    exit 1
fi
exit "$status"
