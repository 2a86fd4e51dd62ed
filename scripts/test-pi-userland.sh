#!/usr/bin/env bash
# The station on a Raspberry Pi's own userland, without a Pi: builds (and caches) a minimal
# Debian root for arm64 or armhf, enters it under QEMU user-mode emulation, installs the station
# there as a technician does, runs the station's tests inside it (brokers on the host's
# loopback), then runs a simulated station inside it that does three runs against a scorer on
# the host and prints the verdicts as the scorer stored them.
#
# Usage: scripts/test-pi-userland.sh --arch arm64|armhf --release bookworm|trixie
#                                    [--keep] [--cache DIR] [-- PYTEST_ARGS...]
# Needs root (chroot, mounts, binfmt registration); installs mmdebstrap, qemu-user-static,
# arch-test and binfmt-support from Debian when missing. Roots are cached as tarballs in
# ${XDG_CACHE_HOME:-$HOME/.cache}/benchscore/pi-roots; the scratch root of a run is removed at
# the end unless --keep.
set -euo pipefail

usage="usage: test-pi-userland.sh --arch arm64|armhf --release bookworm|trixie [--keep] [--cache DIR]"
die_usage() { echo "test-pi-userland: $1" >&2; exit 2; }

arch="" release="" keep=0 cache="${XDG_CACHE_HOME:-$HOME/.cache}/benchscore/pi-roots"
pytest_args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --arch) [ $# -ge 2 ] || die_usage "--arch needs a value (arm64 or armhf)"; arch=$2; shift 2 ;;
    --arch=*) arch=${1#*=}; shift ;;
    --release) [ $# -ge 2 ] || die_usage "--release needs a value (bookworm or trixie)"; release=$2; shift 2 ;;
    --release=*) release=${1#*=}; shift ;;
    --cache) [ $# -ge 2 ] || die_usage "--cache needs a directory"; cache=$2; shift 2 ;;
    --cache=*) cache=${1#*=}; shift ;;
    --keep) keep=1; shift ;;
    -h|--help) echo "$usage"; exit 0 ;;
    --) shift; pytest_args=("$@"); break ;;
    *) die_usage "unknown argument '$1' ($usage)" ;;
  esac
done
case "$arch" in
  arm64|armhf) ;;
  "") die_usage "--arch is required (arm64 or armhf)" ;;
  *) die_usage "--arch must be arm64 or armhf, got '$arch'" ;;
esac
case "$release" in
  bookworm|trixie) ;;
  "") die_usage "--release is required (bookworm or trixie)" ;;
  *) die_usage "--release must be bookworm or trixie, got '$release'" ;;
esac
[ -n "$cache" ] || die_usage "--cache must not be empty"
repo=$(cd "$(dirname "$0")/.." && pwd)
helpers="$repo/scripts/pi-userland"
case "$(realpath -m "$cache")/" in
  "$repo"/*) die_usage "--cache must be outside the repository ($cache)" ;;
esac
if [ "$(id -u)" -ne 0 ]; then
  echo "test-pi-userland: needs root (chroot, mounts, binfmt): run it with sudo" >&2
  exit 1
fi
# the scorer the emulated station reports to runs on the host, from the checkout's .venv
if [ ! -x "$repo/.venv/bin/benchscore" ]; then
  echo "test-pi-userland: $repo/.venv/bin/benchscore is missing: run scripts/setup.sh first" >&2
  exit 2
fi

# Every mount below lives in a private mount namespace of this script: whatever happens, none
# outlives it or shows on the host.
if [ -z "${BENCHSCORE_PI_UNSHARED:-}" ]; then
  BENCHSCORE_PI_UNSHARED=1 exec unshare --mount --propagation private -- "$0" \
    --arch "$arch" --release "$release" --cache "$cache" \
    $([ "$keep" = 1 ] && echo --keep) -- "${pytest_args[@]}"
fi

timings=()
step() {  # step NAME COMMAND...: run, time, remember the wall time
  local name=$1 t0 t1
  shift
  echo "== $name"
  t0=$(date +%s.%N)
  "$@"
  t1=$(date +%s.%N)
  timings+=("$(awk -v a="$t0" -v b="$t1" -v n="$name" 'BEGIN { printf "%-28s %7.1f s", n, b - a }')")
}

scratch="" host_pids=() mounts=()
cleanup() {
  local rc=$? pid i
  for pid in "${host_pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${host_pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  for ((i = ${#mounts[@]} - 1; i >= 0; i--)); do umount -l "${mounts[i]}" 2>/dev/null || true; done
  if [ -n "$scratch" ] && [ -d "$scratch" ]; then
    if [ "$keep" = 1 ]; then
      echo "pi-userland: kept the root in $scratch/root"
    elif ! grep -q " $scratch/" /proc/self/mounts; then
      rm -rf --one-file-system "$scratch"
    else
      echo "pi-userland: $scratch still has mounts; not removed" >&2
    fi
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

bind() {  # bind SRC DEST [ro]
  mkdir -p "$2"
  mount --bind "$1" "$2"
  mounts+=("$2")
  if [ "${3:-}" = ro ]; then mount -o remount,bind,ro "$2"; fi
}

in_root_exec() {  # in_root_exec COMMAND...: run inside the root as root, with a clean environment
  local env=(PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root
             LANG=C.UTF-8 TERM=dumb PYTHONDONTWRITEBYTECODE=1)
  # QEMU's default "max" arm64 CPU emulates pointer authentication, which trixie's binaries use
  # (branch protection), very slowly: Python 3.13 ran ~40x slower than as a Pi 4's Cortex-A72
  # (no pointer authentication), which is what runs it here
  [ "$arch" = arm64 ] && env+=(QEMU_CPU=cortex-a72)
  local var
  while IFS= read -r var; do env+=("$var=${!var}"); done < <(compgen -e | grep '^PIP_' || true)
  exec env -i "${env[@]}" "${extra_env[@]}" chroot "$root" "$@"
}
extra_env=()
in_root() { (in_root_exec "$@"); }  # in_root_exec replaces its shell: "in_root_exec ... &" gives
                                    # the process itself in $!

# -- the root ------------------------------------------------------------------------------------
prepare_root() {
  tar -x -C "$root" -f "$tarball"
  # name resolution and the host's CA bundle, so pip reaches the index the way the host does
  cp -L /etc/resolv.conf "$root/etc/resolv.conf"
  cp -L /etc/hosts "$root/etc/hosts"
  cp -L /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/ca-certificates.crt"
  share_pip_config
  mount -t proc proc "$root/proc"; mounts+=("$root/proc")
  bind /sys "$root/sys" ro
  bind /dev "$root/dev"
  bind /dev/pts "$root/dev/pts"
  bind /dev/shm "$root/dev/shm"
  # the checkout as git knows it (tracked and new files, not .venv or caches)
  mkdir -p "$root/usr/src/benchscore"
  (cd "$repo" && git ls-files -z --cached --others --exclude-standard \
     | while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done \
     | tar --null -T - -c) | tar -x -C "$root/usr/src/benchscore"
}

# The host's pip configuration (files and PIP_* variables), and the local paths it names
# (find-links directories, file:// indexes, constraint files), so pip inside the root uses the
# same package index and the same local wheels the host does.
share_pip_config() {
  local files=() f tok path var
  for f in /etc/pip.conf /etc/xdg/pip/pip.conf "${PIP_CONFIG_FILE:-}"; do
    [ -n "$f" ] && [ -f "$f" ] && files+=("$f")
  done
  [ -d /etc/xdg/pip ] && { mkdir -p "$root/etc/xdg"; cp -rL /etc/xdg/pip "$root/etc/xdg/"; }
  [ -f /etc/pip.conf ] && cp -L /etc/pip.conf "$root/etc/pip.conf"
  if [ -n "${PIP_CONFIG_FILE:-}" ] && [ -f "$PIP_CONFIG_FILE" ]; then
    mkdir -p "$root$(dirname "$PIP_CONFIG_FILE")"; cp -L "$PIP_CONFIG_FILE" "$root$PIP_CONFIG_FILE"
  fi
  for f in "$HOME/.config/pip/pip.conf" "$HOME/.pip/pip.conf"; do
    if [ -f "$f" ]; then
      files+=("$f")
      mkdir -p "$(dirname "$root/root/${f#"$HOME"/}")"
      cp -L "$f" "$root/root/${f#"$HOME"/}"
    fi
  done
  {
    cat "${files[@]}" /dev/null
    while IFS= read -r var; do printf '%s\n' "${!var}"; done < <(compgen -e | grep '^PIP_' || true)
  } | tr '=,' '  ' | tr -s ' \t' '\n\n' | sort -u | while IFS= read -r tok; do
    case "$tok" in file:///*) path=${tok#file://} ;; /*) path=$tok ;; *) continue ;; esac
    path=${path%/}
    # a PEP 503 index directory ".../simple" links to its files beside it: share its parent
    [ "${path##*/}" = simple ] && [ "${tok#file://}" != "$tok" ] && path=${path%/simple}
    if [ -d "$path" ]; then
      echo "$path"
    elif [ -f "$path" ] && [ ! -e "$root$path" ]; then
      mkdir -p "$root$(dirname "$path")"; cp -L "$path" "$root$path"
    fi
  done > "$scratch/pip-dirs"
  while IFS= read -r path; do bind "$path" "$root$path" ro; done < "$scratch/pip-dirs"
}

# -- the station against a scorer on the host ------------------------------------------------------
# Today: the host scorer takes unsigned records (require_signatures = false) and the station is
# configured with its id, event and task. When stations are adopted over MQTT, this is the one
# function to re-point: start the station unconfigured, adopt it from the host, then wait.
station_three_runs() {
  local work="$scratch/host" mqtt_port http_port station=pi01 station_pid scorer_pid broker_pid
  local rc=0
  mkdir -p "$work"
  read -r mqtt_port http_port < <(python3 -c '
import socket
ss = [socket.socket() for _ in range(2)]
for s in ss: s.bind(("127.0.0.1", 0))
print(*(s.getsockname()[1] for s in ss))')
  printf 'listener %s 127.0.0.1\nallow_anonymous true\npersistence false\n' "$mqtt_port" \
    > "$work/mosquitto.conf"
  "$(command -v mosquitto || echo /usr/sbin/mosquitto)" -c "$work/mosquitto.conf" \
    > "$work/mosquitto.log" 2>&1 &
  broker_pid=$!
  host_pids+=("$broker_pid")
  cat > "$work/scorer.toml" <<EOF
event = "pi"
[broker]
host = "127.0.0.1"
port = $mqtt_port
protocol = "5"
[storage]
path = "scorer.db"
[http]
host = "127.0.0.1"
port = $http_port
[security]
require_signatures = false
EOF
  "$repo/.venv/bin/benchscore" scorer --config "$work/scorer.toml" > "$work/scorer.log" 2>&1 &
  scorer_pid=$!
  host_pids+=("$scorer_pid")
  mkdir -p "$root/etc/benchscore"
  cat > "$root/etc/benchscore/station.toml" <<EOF
[station]
id = "$station"
event = "pi"
task = "/usr/src/benchscore/config/tasks/led_assembly.toml"
state_dir = "/var/lib/benchscore"
[broker]
host = "127.0.0.1"
port = $mqtt_port
protocol = "5"
[hardware]
backend = "sim"
[simulation]
fault = "none"
auto_start_s = 2.0
EOF
  in_root_exec env GPIOZERO_PIN_FACTORY=mock benchscore station --config /etc/benchscore/station.toml \
    > "$work/station.log" 2>&1 &
  station_pid=$!
  host_pids+=("$station_pid")
  python3 "$helpers/wait_verdicts.py" "$http_port" "$station" 3 "${PI_RUNS_TIMEOUT_S:-300}" || rc=$?
  kill "$station_pid" 2>/dev/null || true
  wait "$station_pid" 2>/dev/null || true
  kill "$scorer_pid" "$broker_pid" 2>/dev/null || true
  wait "$scorer_pid" "$broker_pid" 2>/dev/null || true
  if [ "$rc" != 0 ]; then
    echo "--- station log (last lines)"; tail -n 20 "$work/station.log"
    echo "--- scorer log (last lines)"; tail -n 10 "$work/scorer.log"
  fi
  runs_rc=$rc
}

# -- the station's tests -------------------------------------------------------------------------
station_tests() {
  local factory_port
  mkdir -p "$scratch/brokers"
  coproc FACTORY { exec python3 "$helpers/broker_factory.py" "$scratch/brokers"; }
  host_pids+=("$FACTORY_PID")
  read -r factory_port <&"${FACTORY[0]}"
  extra_env=(BENCHSCORE_TEST_BROKER="127.0.0.1:$factory_port")
  set +e
  in_root bash /usr/src/benchscore/scripts/pi-userland/in-root.sh pytest "${pytest_args[@]}" 2>&1 \
    | tee "$scratch/pytest.log" | grep -v -E '^[.sxFE]+ *(\[ *[0-9]+%\])?$'
  tests_rc=${PIPESTATUS[0]}
  set -e
  extra_env=()
  kill "$FACTORY_PID" 2>/dev/null || true
  # pytest's closing line: "834 passed, 18 skipped in 350.84s (0:05:50)" (with -q)
  closing_line=$(grep -E '[0-9]+ (passed|failed|error|errors|skipped|deselected)' \
    "$scratch/pytest.log" | tail -n 1)
}

# -- main ------------------------------------------------------------------------------------------
echo "pi-userland: Debian $release $arch (cache $cache)"
step "host setup" "$helpers/host-setup.sh" "$arch"
tarball=""
build() { tarball=$("$helpers/build-root.sh" "$arch" "$release" "$cache"); }
step "root (build or cache)" build
scratch=$(mktemp -d "${TMPDIR:-/var/tmp}/benchscore-pi-XXXXXX")
root="$scratch/root"
mkdir -p "$root"
step "unpack + copy checkout" prepare_root
step "station install" in_root bash /usr/src/benchscore/scripts/pi-userland/in-root.sh install
closing_line="" runs_rc=1 tests_rc=1
step "simulated station: 3 runs" station_three_runs
step "test tools" in_root bash /usr/src/benchscore/scripts/pi-userland/in-root.sh test-tools
step "station tests" station_tests
echo "pi-userland: Debian $release $arch, pytest inside the root: ${closing_line:-no summary}"
echo "pi-userland: wall times ($arch $release)"
printf '  %s\n' "${timings[@]}"
if [ "$runs_rc" != 0 ] || [ "$tests_rc" != 0 ]; then
  echo "pi-userland: FAILED ($([ "$runs_rc" != 0 ] && echo "station runs ")$([ "$tests_rc" != 0 ] && echo "tests"))" >&2
  exit 1
fi
echo "pi-userland: Debian $release $arch passed"
