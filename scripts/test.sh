#!/usr/bin/env bash
# Sets everything up, then runs the whole test suite: lint (ruff), types (mypy), pytest.
# Extra arguments go to pytest (e.g. scripts/test.sh -k ina226).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
echo "== ruff"; .venv/bin/ruff check .
echo "== mypy"; .venv/bin/mypy
echo "== pytest"; .venv/bin/python -m pytest -q "$@"
