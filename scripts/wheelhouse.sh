#!/usr/bin/env bash
# Builds a wheelhouse for a hall without internet: this checkout's benchscore wheel plus every
# wheel the role needs on the target platform, downloaded with this machine's pip configuration.
# Use it with `scripts/install.sh --role ROLE --wheelhouse DIR` (pip then reads only DIR) or
# `scripts/update-stations.sh --wheelhouse DIR`.
#
# Platforms: linux_aarch64 (Pi 3B+/4/5, Zero 2 W on 64-bit Raspberry Pi OS), linux_armv7l
# (32-bit armhf), linux_x86_64, or a manylinux tag such as manylinux_2_17_x86_64.
# On armv7l PyPI has no numpy or PyNaCl wheels: the station takes Debian's python3-numpy and
# python3-nacl (install.sh installs them and builds the venv with --system-site-packages), so
# they are left out here. Trixie's numpy satisfies benchscore; bookworm's (1.24) does not, so a
# bookworm armhf hall also needs an armv7l numpy>=1.26 wheel (with libopenblas0) put in DIR.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ROLE="" PLATFORM="" OUT="" PYVER="3.11" GLIBC_MAX=36

say() { echo "wheelhouse.sh: $*"; }
die() { echo "wheelhouse.sh: $*" >&2; exit 2; }
usage() {
  cat <<'EOF'
usage: scripts/wheelhouse.sh --role station|scorer --platform PLATFORM --out DIR
                             [--python-version 3.11|3.13]
  PLATFORM: linux_aarch64, linux_armv7l, linux_x86_64 or a manylinux_2_NN_ARCH tag
  --python-version: the target's Python (bookworm 3.11, trixie 3.13; default 3.11)
EOF
}
value() {   # value OPTION ARG...: OPTION must be followed by a value
  if [ $# -lt 2 ] || [ -z "$2" ] || [[ "$2" == --* ]]; then die "$1 needs a value (see --help)"; fi
}
while [ $# -gt 0 ]; do
  case "$1" in
    --role) value "$@"; ROLE="$2"; shift 2 ;;
    --platform) value "$@"; PLATFORM="$2"; shift 2 ;;
    --out) value "$@"; OUT="$2"; shift 2 ;;
    --python-version) value "$@"; PYVER="$2"; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) die "unknown argument '$1' (see --help)" ;;
  esac
done
case "$ROLE" in station|scorer) ;; *) die "--role '${ROLE}': expected station or scorer" ;; esac
[ -n "$OUT" ] || die "--out DIR is required"
[[ "$PYVER" =~ ^3\.[0-9]+$ ]] || die "--python-version '$PYVER': expected e.g. 3.11"
case "$PLATFORM" in
  linux_aarch64|linux_armv7l|linux_x86_64) ARCH="${PLATFORM#linux_}" ;;
  manylinux*_aarch64|manylinux*_armv7l|manylinux*_x86_64) ARCH="${PLATFORM##*_}"
    [ "$ARCH" = 64 ] && ARCH=x86_64 ;;
  "") die "--platform is required (linux_aarch64, linux_armv7l, linux_x86_64, manylinux_...)" ;;
  *) die "--platform '$PLATFORM': expected linux_aarch64, linux_armv7l, linux_x86_64 or manylinux_2_NN_ARCH" ;;
esac
[[ "$PLATFORM" == *x86_64 ]] && ARCH=x86_64

# every glibc-based tag a Debian bookworm/trixie system of that architecture accepts
PLATFORM_ARGS=()
for n in $(seq "$GLIBC_MAX" -1 17); do PLATFORM_ARGS+=(--platform "manylinux_2_${n}_${ARCH}"); done
PLATFORM_ARGS+=(--platform "manylinux2014_${ARCH}" --platform "linux_${ARCH}")
TARGET_ARGS=(--only-binary=:all: --python-version "$PYVER" --implementation cp "${PLATFORM_ARGS[@]}")

mkdir -p "$OUT"
OUT="$(realpath "$OUT")"
PY="${PYTHON:-python3}"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

say "building the benchscore wheel from $HERE"
# shellcheck source=scripts/clean-source.sh
. "$HERE/scripts/clean-source.sh"
copy_source "$HERE" "$WORK/src"
"$PY" -m pip wheel -q --disable-pip-version-check --no-deps -w "$WORK/self" "$WORK/src" \
  || die "pip could not build the benchscore wheel"
SELF="$(ls "$WORK"/self/benchscore-*.whl)"
cp "$SELF" "$OUT/"
WHEEL="$OUT/$(basename "$SELF")"

if [ "$ARCH" != armv7l ]; then
  say "downloading what benchscore[$ROLE] needs for $ARCH, Python $PYVER"
  "$PY" -m pip download -q --disable-pip-version-check "${TARGET_ARGS[@]}" -d "$OUT" "${WHEEL}[$ROLE]" \
    || die "pip could not download benchscore[$ROLE] for $PLATFORM (Python $PYVER)"
else
  # Resolve on this machine, then fetch each distribution for armv7l one by one, leaving out
  # those that Debian provides on armhf.
  say "resolving benchscore[$ROLE] (numpy and PyNaCl come from Debian on armhf)"
  "$PY" -m pip download -q --disable-pip-version-check -d "$WORK/resolve" "${WHEEL}[$ROLE]" \
    || die "pip could not resolve benchscore[$ROLE]"
  for f in "$WORK"/resolve/*; do
    name="$(basename "$f")"
    dist="${name%%-[0-9]*}"
    version="$(echo "${name#"$dist"-}" | sed -E 's/(-py|-cp|\.tar\.gz|\.zip).*//')"
    case "${dist,,}" in
      benchscore|numpy|pynacl|cffi|pycparser) continue ;;
    esac
    "$PY" -m pip download -q --disable-pip-version-check --no-deps "${TARGET_ARGS[@]}" \
      -d "$OUT" "${dist}==${version}" \
      || die "no $ARCH wheel of $dist $version for Python $PYVER: add one to $OUT by hand"
  done
fi
count="$(find "$OUT" -maxdepth 1 -name '*.whl' | wc -l)"
say "$count wheels in $OUT for $ROLE on $ARCH (Python $PYVER)"
[ "$ARCH" = armv7l ] && say "armhf: install python3-numpy, python3-nacl and python3-cffi from Debian (install.sh does)"
exit 0
