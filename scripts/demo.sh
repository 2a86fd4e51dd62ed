#!/usr/bin/env bash
# Sets everything up, then runs the demo: a broker, the scorer and simulated stations.
# Extra arguments go to `benchscore demo` (e.g. scripts/demo.sh --http-port 8081).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/benchscore demo "$@"
