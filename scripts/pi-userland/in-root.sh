#!/usr/bin/env bash
# Runs INSIDE the Debian root (chroot under QEMU) that scripts/test-pi-userland.sh prepared,
# from the copied checkout. Subcommands:
#   install        the station's install, as a technician runs it (station_install below)
#   test-tools     pytest and the test libraries, into the station's venv (after install)
#   pytest         the station's tests listed in tests/pi_userland.txt; prints pytest's summary
set -euo pipefail
cd "$(dirname "$0")/../.."

PREFIX=/opt/benchscore

# The station's install. scripts/install.sh --role station is the per-role install from the
# README (docs: /opt/benchscore/releases/<version>/venv, /usr/local/bin/benchscore); until a
# checkout has it, the same layout is made here the way it does: a venv that sees Debian's
# packages (numpy, PyNaCl, cryptography: PyPI has no armhf wheels for them) and the station's
# PyPI dependencies (paho-mqtt 2, smbus2, pyserial, gpiozero) on top.
station_install() {
  if [ -f scripts/install.sh ]; then
    bash scripts/install.sh --role station
    return
  fi
  local version release
  version=$(python3 -c 'import tomllib; print(tomllib.load(open("pyproject.toml", "rb"))["project"]["version"])')
  release="$PREFIX/releases/$version"
  python3 -m venv --system-site-packages "$release/venv"
  "$release/venv/bin/python" -m pip install -q --no-cache-dir ".[station]"
  ln -sfn "$release" "$PREFIX/current"
  ln -sfn "$PREFIX/current/venv/bin/benchscore" /usr/local/bin/benchscore
}

venv_python() {
  local bin
  bin=$(readlink -f /usr/local/bin/benchscore)
  echo "$(dirname "$bin")/python"
}

case "${1:-}" in
  install)
    station_install
    echo "pi-userland: installed $(benchscore --version) with $(python3 --version) on $(dpkg --print-architecture)"
    ;;
  test-tools)
    # the requirements of pyproject's pi-test extra, without building the project again
    python3 -c 'import tomllib; print("\n".join(tomllib.load(open("pyproject.toml", "rb"))["project"]["optional-dependencies"]["pi-test"]))' > /tmp/pi-test.txt
    "$(venv_python)" -m pip install -q --no-cache-dir --no-compile -r /tmp/pi-test.txt
    ;;
  pytest)
    shift
    mapfile -t files < <(grep -v -e '^#' -e '^[[:space:]]*$' tests/pi_userland.txt)
    # no /dev/i2c-* and no GPIO under emulation: gpiozero's mock pins, as in every test
    export GPIOZERO_PIN_FACTORY=mock
    # wall-clock allowances of tests/support/emulation.py: Python runs several times slower here
    export BENCHSCORE_TEST_EMULATED=1
    exec "$(venv_python)" -m pytest -q -p no:cacheprovider "${files[@]}" "$@"
    ;;
  *)
    echo "in-root.sh: expected install, test-tools or pytest, got '${1:-}'" >&2
    exit 2
    ;;
esac
