#!/usr/bin/env bash
# Sets up benchscore on Debian or Raspberry Pi OS: system packages (Python venv, Mosquitto),
# then a virtual environment in .venv with the project and its development tools.
# Safe to run again: it installs only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

need=()
command -v python3 >/dev/null || need+=(python3)
python3 -c 'import venv, ensurepip' 2>/dev/null || need+=(python3-venv)
if ! command -v mosquitto >/dev/null && [ ! -x /usr/sbin/mosquitto ]; then need+=(mosquitto); fi
command -v mosquitto_sub >/dev/null || need+=(mosquitto-clients)
command -v systemd-analyze >/dev/null || need+=(systemd)   # unit files are verified in tests
if [ "${#need[@]}" -gt 0 ]; then
  echo "setup: installing Debian packages: ${need[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}"
fi

python3 - <<'PY'
import sys
if sys.version_info < (3, 11):
    sys.exit(f"setup: benchscore needs Python 3.11 or newer, this is {sys.version.split()[0]}")
PY

if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e ".[dev]"
echo "setup: ready (.venv)"
