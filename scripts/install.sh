#!/usr/bin/env bash
# Installs benchscore for one role into the system layout (docs: README "A real station on a
# Pi" and "A hall"):
#   /opt/benchscore/releases/<version>/venv   the release, built from this checkout or a wheel
#   /opt/benchscore/current -> releases/<v>    the active release (previous -> the one before)
#   /usr/local/bin/benchscore                  -> /opt/benchscore/current/venv/bin/benchscore
#   /etc/benchscore/<role>.toml                root:benchscore 0640 (copied from the example once)
#   /var/lib/benchscore                        benchscore 0700 (keys, outbox, databases)
#   /etc/systemd/system/benchscore-<role>.service
# and the system user `benchscore`. Safe to run again: an installed release is reused, an
# existing config is kept. Keeps the 3 releases that went live last (opt/benchscore/history);
# scripts/rollback.sh goes back along that history.
#
# Ownership (--owner NAME, default benchscore): with --prefix / the user is created if absent.
# With another prefix no user is created; when run as root and NAME exists, the directories
# are chowned to it all the same, otherwise the owners they need are only recorded in
# PREFIX/opt/benchscore/ownership.txt (which always lists mode, owner and path).
set -euo pipefail
umask 022   # the release must be readable by the service user whatever root's umask is
trap 'echo "install.sh: failed at line $LINENO: $BASH_COMMAND" >&2' ERR

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PYTHON="/usr/bin/python3"   # Debian's, never a python3 of some user's PATH (pyenv, conda)
ROLE="" PREFIX="/" WHEELHOUSE="" FROM_WHEEL="" VERSION_TAG="" OWNER="benchscore" ARCH=""
NO_APT=0 POSTGRESQL=0 PDF_REPORTS=0 PRINT_APT=0 KEEP=3

say() { echo "install.sh: $*"; }
die() { echo "install.sh: $*" >&2; exit 2; }
usage() {
  cat <<'EOF'
usage: scripts/install.sh --role station|scorer [--prefix DIR] [--wheelhouse DIR]
                          [--from-wheel PATH] [--version-tag X] [--owner NAME] [--no-apt]
                          [--postgresql] [--pdf-reports] [--print-apt [--arch ARCH]]
  --role ROLE        station (a Pi at a workstation) or scorer (the hall's central machine)
  --prefix DIR       install under DIR instead of / (test roots, staging); no user is created
  --wheelhouse DIR   pip installs only from DIR (a hall without internet: scripts/wheelhouse.sh)
  --from-wheel PATH  install this benchscore wheel instead of building this checkout (updates)
  --version-tag X    name the release X instead of the package version
  --owner NAME       the service user (default benchscore)
  --no-apt           install no Debian packages (they must be there already)
  --postgresql       scorer: also install PostgreSQL (several scorer workers)
  --pdf-reports      scorer: also install Chromium and CJK fonts for PDF evidence reports
  --python PATH      the interpreter of the release venvs (default /usr/bin/python3)
  --keep N           keep the N releases that went live last (default 3, at least 2)
  --print-apt        print the Debian packages this role needs here (or on --arch) and exit
EOF
}

value() {   # value OPTION ARG...: OPTION must be followed by a value
  if [ $# -lt 2 ] || [ -z "$2" ] || [[ "$2" == --* ]]; then die "$1 needs a value (see --help)"; fi
}
while [ $# -gt 0 ]; do
  case "$1" in
    --role) value "$@"; ROLE="$2"; shift 2 ;;
    --prefix) value "$@"; PREFIX="$2"; shift 2 ;;
    --wheelhouse) value "$@"; WHEELHOUSE="$2"; shift 2 ;;
    --from-wheel) value "$@"; FROM_WHEEL="$2"; shift 2 ;;
    --version-tag) value "$@"; VERSION_TAG="$2"; shift 2 ;;
    --owner) value "$@"; OWNER="$2"; shift 2 ;;
    --arch) value "$@"; ARCH="$2"; shift 2 ;;
    --keep) value "$@"; KEEP="$2"; shift 2 ;;
    --python) value "$@"; PYTHON="$2"; shift 2 ;;
    --no-apt) NO_APT=1; shift ;;
    --postgresql) POSTGRESQL=1; shift ;;
    --pdf-reports) PDF_REPORTS=1; shift ;;
    --print-apt) PRINT_APT=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) die "unknown argument '$1' (see --help)" ;;
  esac
done
case "$ROLE" in
  station|scorer) ;;
  "") die "--role is required: station or scorer" ;;
  *) die "--role '$ROLE': expected station or scorer" ;;
esac
if [ "$ROLE" = station ] && [ $((POSTGRESQL + PDF_REPORTS)) -gt 0 ]; then
  die "--postgresql and --pdf-reports are for --role scorer"
fi
[[ "$OWNER" =~ ^[a-z_][a-z0-9_-]*$ ]] || die "--owner '$OWNER': not a user name"
if ! [[ "$KEEP" =~ ^[0-9]+$ ]] || [ "$KEEP" -lt 2 ]; then
  die "--keep '$KEEP': expected a whole number, 2 or more"
fi
if [ -n "$FROM_WHEEL" ]; then
  [ -f "$FROM_WHEEL" ] || die "--from-wheel $FROM_WHEEL: no such file"
  [[ "$(basename "$FROM_WHEEL")" =~ ^benchscore-([^-]+)-.*\.whl$ ]] \
    || die "--from-wheel $FROM_WHEEL: not a benchscore wheel (benchscore-VERSION-...whl)"
fi
[ -z "$WHEELHOUSE" ] || [ -d "$WHEELHOUSE" ] || die "--wheelhouse $WHEELHOUSE: no such directory"
if [ -n "$VERSION_TAG" ] && ! [[ "$VERSION_TAG" =~ ^[A-Za-z0-9][A-Za-z0-9._+-]*$ ]]; then
  die "--version-tag '$VERSION_TAG': use letters, digits and . _ + -"
fi

# -- Debian packages ------------------------------------------------------------------------
raspberry_pi_os() {
  [ -f /etc/rpi-issue ] || grep -rqs 'archive\.raspberrypi\.' /etc/apt/sources.list /etc/apt/sources.list.d/
}
[ -n "$ARCH" ] || ARCH="$(dpkg --print-architecture 2>/dev/null || uname -m)"
apt_packages() {
  local pkgs=(python3 python3-venv)
  if [ "$ROLE" = station ]; then
    # armhf has no PyPI wheels for numpy and PyNaCl: Debian's, seen through the venv; and
    # python3-cffi, because python3-nacl brings only cffi's backend, not the `cffi`
    # distribution PyNaCl declares (pip would build cffi from source, with no compiler)
    [ "$ARCH" = armhf ] && pkgs+=(python3-numpy python3-nacl python3-cffi libopenblas0)
    # gpiozero's default pin factory on Raspberry Pi OS (not in plain Debian)
    raspberry_pi_os && pkgs+=(python3-lgpio)
  else
    pkgs+=(mosquitto mosquitto-clients)
    [ "$POSTGRESQL" = 1 ] && pkgs+=(postgresql)
    [ "$PDF_REPORTS" = 1 ] && pkgs+=(chromium fonts-noto-cjk)
  fi
  echo "${pkgs[*]}"
}
if [ "$PRINT_APT" = 1 ]; then apt_packages; exit 0; fi

# -- where, what ----------------------------------------------------------------------------
PREFIX="$(realpath -m "$PREFIX")"
ROOT="${PREFIX%/}"   # "" for /
BASE="$ROOT/opt/benchscore"
[ "$(id -u)" = 0 ] || [ -n "$ROOT" ] || die "installing into / needs root (sudo)"

# -- Debian packages ------------------------------------------------------------------------
read -r -a PKGS <<<"$(apt_packages)"
if [ "$NO_APT" = 1 ]; then
  say "--no-apt: not installing Debian packages (${PKGS[*]})"
else
  missing=()
  for p in "${PKGS[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
  done
  if [ "${#missing[@]}" -gt 0 ]; then
    [ -z "$ROOT" ] || say "note: Debian packages go to this machine, not to $PREFIX"
    say "installing Debian packages: ${missing[*]}"
    apt-get update -qq || die "apt-get update failed"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" \
      || die "apt-get install ${missing[*]} failed"
  fi
fi

[ -x "$PYTHON" ] || die "$PYTHON is missing (Debian: apt-get install python3 python3-venv)"
"$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
  || die "benchscore needs Python 3.11 or newer; $PYTHON is $("$PYTHON" -V 2>&1)"
if [ -n "$FROM_WHEEL" ]; then
  [[ "$(basename "$FROM_WHEEL")" =~ ^benchscore-([^-]+)-.*\.whl$ ]]
  VERSION="${BASH_REMATCH[1]}"
  SPEC="$(realpath "$FROM_WHEEL")[$ROLE]"
else
  [ -f "$HERE/pyproject.toml" ] || die "$HERE has no pyproject.toml: run from a checkout or use --from-wheel"
  VERSION="$("$PYTHON" -c 'import sys, tomllib; print(tomllib.load(open(sys.argv[1], "rb"))["project"]["version"])' "$HERE/pyproject.toml")" \
    || die "cannot read the version from $HERE/pyproject.toml"
  # build from a clean copy of the checkout: a stale build/ directory must not be released
  SRC_COPY="$(mktemp -d)"
  trap 'rm -rf "$SRC_COPY"' EXIT
  # shellcheck source=scripts/clean-source.sh
  . "$HERE/scripts/clean-source.sh"
  copy_source "$HERE" "$SRC_COPY"
  SPEC="${SRC_COPY}[$ROLE]"
fi
RELEASE="${VERSION_TAG:-$VERSION}"
if [ -n "$WHEELHOUSE" ]; then
  WHEELHOUSE="$(realpath "$WHEELHOUSE")"
  # the wheelhouse's own benchscore wheel (scripts/wheelhouse.sh puts it there) over a build
  if [ -z "$FROM_WHEEL" ] && [ -f "$WHEELHOUSE/benchscore-$VERSION-py3-none-any.whl" ]; then
    SPEC="$WHEELHOUSE/benchscore-$VERSION-py3-none-any.whl[$ROLE]"
  fi
fi

# -- the release ----------------------------------------------------------------------------
VENV_ARGS=()
if [ "$ROLE" = station ] && { [ "$ARCH" = armhf ] || raspberry_pi_os; }; then
  VENV_ARGS+=(--system-site-packages)   # Debian's numpy/PyNaCl (armhf), lgpio (Pi OS)
fi
REL="$BASE/releases/$RELEASE"
stamp_ok() {
  [ -f "$REL/.complete" ] && grep -qx "role=$ROLE" "$REL/.complete" \
    && [ "$("$REL/venv/bin/benchscore" --version 2>/dev/null)" = "benchscore $VERSION" ]
}
if stamp_ok; then
  say "release $RELEASE ($ROLE) is installed already: reusing it"
else
  rm -rf "$REL"
  mkdir -p "$REL"
  say "building release $RELEASE for the $ROLE in $REL/venv ${VENV_ARGS[*]}"
  "$PYTHON" -m venv "${VENV_ARGS[@]}" "$REL/venv" || { rm -rf "$REL"; die "$PYTHON -m venv failed (Debian: apt-get install python3-venv)"; }
  PIP_ARGS=(install -q --disable-pip-version-check)
  [ -n "$WHEELHOUSE" ] && PIP_ARGS+=(--no-index --find-links "$WHEELHOUSE")
  "$REL/venv/bin/python" -m pip "${PIP_ARGS[@]}" "$SPEC" \
    || { rm -rf "$REL"; die "pip could not install $SPEC (release $RELEASE removed; current unchanged)"; }
  got="$("$REL/venv/bin/benchscore" --version 2>&1)" || true
  if [ "$got" != "benchscore $VERSION" ]; then
    rm -rf "$REL"
    die "the new release does not run: 'benchscore --version' said '${got:0:200}' (removed; current unchanged)"
  fi
  mkdir -p "$REL/scripts"
  cp "$HERE/scripts/install.sh" "$HERE/scripts/rollback.sh" "$REL/scripts/"
  printf 'role=%s\nversion=%s\n' "$ROLE" "$VERSION" >"$REL/.complete"
fi

# -- switch current (atomically); history lists the releases in the order they went live ----
HISTORY="$BASE/history"
old="$(readlink "$BASE/current" 2>/dev/null || true)"
if [ ! -s "$HISTORY" ] && [ -n "$old" ]; then basename "$old" >"$HISTORY"; fi
if [ "$old" != "releases/$RELEASE" ]; then
  echo "$RELEASE" >>"$HISTORY"
  ln -sfn "releases/$RELEASE" "$BASE/current.new"
  mv -Tf "$BASE/current.new" "$BASE/current"
  say "current -> releases/$RELEASE${old:+ (was $old)}"
fi
mkdir -p "$ROOT/usr/local/bin"
ln -sfn ../../../opt/benchscore/current/venv/bin/benchscore "$ROOT/usr/local/bin/benchscore"

# keep the $KEEP releases that went live last (current first); forget the others
keep=("$RELEASE")
while read -r name; do
  [ "${#keep[@]}" -ge "$KEEP" ] && break
  [[ " ${keep[*]} " == *" $name "* ]] || keep+=("$name")
done < <(tac "$HISTORY")
for dir in "$BASE"/releases/*/; do
  name="$(basename "$dir")"
  [[ " ${keep[*]} " == *" $name "* ]] || { rm -rf "$dir" && say "removed old release $name"; }
done
grep -Fx -f <(printf '%s\n' "${keep[@]}") "$HISTORY" >"$HISTORY.new" || true
mv -f "$HISTORY.new" "$HISTORY"
if [ "$(wc -l <"$HISTORY")" -ge 2 ]; then
  ln -sfn "releases/$(tail -n 2 "$HISTORY" | head -n 1)" "$BASE/previous"
else
  rm -f "$BASE/previous"
fi

# -- user, directories, config, unit --------------------------------------------------------
if [ -z "$ROOT" ]; then
  if ! getent passwd "$OWNER" >/dev/null; then
    useradd --system --user-group --home-dir /var/lib/benchscore --no-create-home \
      --shell /usr/sbin/nologin --comment "benchscore service" "$OWNER" \
      || die "useradd $OWNER failed"
    say "created system user $OWNER"
  fi
  if [ "$ROLE" = station ]; then   # the unit's SupplementaryGroups must exist to start
    for g in i2c gpio dialout; do
      getent group "$g" >/dev/null || { groupadd --system "$g" && say "created group $g"; }
    done
  fi
else
  say "--prefix $PREFIX: not creating the user $OWNER (ownership.txt says who must own what)"
fi
APPLY_OWNER=0
if [ "$(id -u)" = 0 ] && getent passwd "$OWNER" >/dev/null; then APPLY_OWNER=1; fi

CONF_DIR="$ROOT/etc/benchscore"
CONF="$CONF_DIR/$ROLE.toml"
STATE="$ROOT/var/lib/benchscore"
mkdir -p "$CONF_DIR" "$STATE"
if [ "$ROLE" = station ] && [ ! -e "$CONF" ]; then
  cp "$HERE/config/stations/pi-station.toml" "$CONF"
  say "wrote $CONF from config/stations/pi-station.toml"
fi
# the scorer's config, key and broker config come from `benchscore hall init`
chmod 0750 "$CONF_DIR"
chmod 0700 "$STATE"
[ -e "$CONF" ] && chmod 0640 "$CONF"
if [ "$APPLY_OWNER" = 1 ]; then
  chown "root:$OWNER" "$CONF_DIR"
  [ -e "$CONF" ] && chown "root:$OWNER" "$CONF"
  chown "$OWNER:$OWNER" "$STATE"
fi
{
  echo "# mode owner:group path (relative to the root); applied=$APPLY_OWNER"
  echo "0750 root:$OWNER /etc/benchscore"
  echo "0640 root:$OWNER /etc/benchscore/$ROLE.toml"
  echo "0700 $OWNER:$OWNER /var/lib/benchscore"
} >"$BASE/ownership.txt"
if [ "$APPLY_OWNER" = 0 ]; then
  if [ "$(id -u)" = 0 ]; then why="there is no user $OWNER here"; else why="not root"; fi
  say "$why: owners not set; chown as $BASE/ownership.txt lists"
fi

UNIT="benchscore-$ROLE.service"
mkdir -p "$ROOT/etc/systemd/system"
sed -e "s/^User=benchscore$/User=$OWNER/" -e "s/^Group=benchscore$/Group=$OWNER/" \
  "$HERE/systemd/$UNIT" >"$ROOT/etc/systemd/system/$UNIT.new"
chmod 0644 "$ROOT/etc/systemd/system/$UNIT.new"
mv -f "$ROOT/etc/systemd/system/$UNIT.new" "$ROOT/etc/systemd/system/$UNIT"

# -- systemd --------------------------------------------------------------------------------
if [ "$ROLE" = station ] && command -v systemctl >/dev/null; then
  # a Pi starts its station at every boot, the first one included (the image is this root)
  systemctl --root="$PREFIX" enable "$UNIT" >/dev/null 2>&1 \
    || say "could not enable $UNIT (systemctl --root=$PREFIX enable $UNIT)"
fi
if [ -z "$ROOT" ] && [ -d /run/systemd/system ]; then
  systemctl daemon-reload
  if systemctl is-active --quiet "$UNIT"; then
    systemctl restart "$UNIT" && say "restarted $UNIT on release $RELEASE"
  fi
fi

say "installed benchscore $VERSION for the $ROLE: $BASE/current -> releases/$RELEASE"
if [ "$ROLE" = station ]; then
  cat <<EOF
next steps:
  1. put the broker address and the enrol credential in /etc/benchscore/station.toml
     (the same file on every Pi of the hall)
  2. making an image: copy this card now, before the station first runs (it then makes its own
     identity key in /var/lib/benchscore); a single Pi: systemctl start $UNIT
     (the unit is enabled: it starts at every boot)
  3. the station shows its pairing code (display, journal, benchscore station status);
     adopt it on the scorer: benchscore stations adopt CODE --as st07 --task led_assembly
EOF
else
  cat <<EOF
next steps:
  1. benchscore hall init /etc/benchscore --event FILE   (broker and scorer config, scorer key)
  2. systemctl enable --now mosquitto $UNIT
  3. power on the stations and adopt them: benchscore stations list
EOF
fi
