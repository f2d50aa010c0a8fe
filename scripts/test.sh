#!/usr/bin/env bash
# Install everything into .venv and run the whole test suite. Used by the README and .ci/run.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e '.[test]'
.venv/bin/ruff check --quiet .
.venv/bin/python -m mypy  # lineage/ and connectors/, strictly (configuration in pyproject.toml)
set +e
# one worker per core (pytest-xdist), each test file on one worker in its order (module
# fixtures are built once, and the --help examples run in turn); `-n 0`: one process. Tests
# that time a signal or a deadline (-m serial) run afterwards, alone on the machine.
.venv/bin/python -m pytest -n auto --dist loadfile -m "not serial" "$@"
rc=$?
.venv/bin/python -m pytest -m serial "$@"
rc_serial=$?
set -e
if [ "$rc" -eq 5 ] && [ "$rc_serial" -eq 5 ]; then
  echo "error: pytest collected no tests" >&2
  exit 1
fi
# a phase that selected nothing (5) is not a failure when the other ran tests
if [ "$rc" -eq 5 ]; then rc=0; fi
if [ "$rc_serial" -eq 5 ]; then rc_serial=0; fi
if [ "$rc" -ne 0 ]; then exit "$rc"; fi
exit "$rc_serial"
