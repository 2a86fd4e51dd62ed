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
# PostgreSQL: the scorer's storage tests run on it (and halls with several scorer workers do)
pg_fresh=0
command -v pg_ctlcluster >/dev/null || { need+=(postgresql); pg_fresh=1; }
command -v systemd-analyze >/dev/null || need+=(systemd)   # unit files are verified in tests
# the console's browser tests and PDF reports: headless Chromium from Debian (never a download),
# poppler to look at a PDF, CJK fonts for the Chinese interface
[ -x /usr/bin/chromium ] || need+=(chromium)
[ -x /usr/bin/chromedriver ] || need+=(chromium-driver)
command -v pdftoppm >/dev/null || need+=(poppler-utils)
[ -d /usr/share/fonts/opentype/noto ] || need+=(fonts-noto-cjk)
if [ "${#need[@]}" -gt 0 ]; then
  echo "setup: installing Debian packages: ${need[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}"
fi

# Start the PostgreSQL cluster if it is down (no systemd in containers and CI); a cluster this
# script installed trusts loopback connections, which the tests use (postgres@127.0.0.1).
pg_version=$(ls /etc/postgresql 2>/dev/null | sort -V | tail -n 1)
if [ -n "$pg_version" ]; then
  [ -d "/etc/postgresql/$pg_version/main" ] || $SUDO pg_createcluster "$pg_version" main
  if [ "$pg_fresh" = 1 ]; then
    $SUDO sed -i -E 's/^(host[[:space:]]+all[[:space:]]+all[[:space:]]+(127\.0\.0\.1\/32|::1\/128)[[:space:]]+)[^[:space:]]+/\1trust/' \
      "/etc/postgresql/$pg_version/main/pg_hba.conf"
  fi
  if ! pg_lsclusters -h | awk -v v="$pg_version" '$1 == v && $2 == "main" { print $4 }' | grep -q online; then
    echo "setup: starting PostgreSQL $pg_version"
    $SUDO pg_ctlcluster --skip-systemctl-redirect "$pg_version" main start
  elif [ "$pg_fresh" = 1 ]; then
    $SUDO pg_ctlcluster --skip-systemctl-redirect "$pg_version" main reload
  fi
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
