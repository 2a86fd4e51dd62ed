#!/usr/bin/env bash
# Updates stations one after another to the benchscore wheel given, over ssh:
#   for each host in --hosts FILE (one a line; blank lines and # comments skipped):
#     1. send a small kit (this checkout's install.sh, rollback.sh, unit, example config, the
#        wheel, the wheelhouse if given) and run `install.sh --role station --from-wheel` there;
#        install.sh builds the new release beside the old one, switches to it and restarts the
#        station when it was running;
#     2. check the host: `benchscore --version` must say the new version and `benchscore station
#        status` must run (its "version", if any, the new one); under systemd the station unit
#        must be active again and its retained status must carry the new version ("sw");
#     3. on failure roll that host back (scripts/rollback.sh, sent the same way) and stop, or go on
#        to the next host with --keep-going.
# Exits 0 only if every host is on the new version.
#
# --ssh-command CMD runs each remote step: CMD is split on spaces, {host} is replaced by the host
# (appended when CMD has no {host}), and the remote shell command comes last as one argument.
# The remote side installs into ${BENCHSCORE_PREFIX:-/}, so a test can run every step locally
# against scratch roots: --ssh-command 'env BENCHSCORE_PREFIX={host} bash -c'.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
HOSTS="" WHEEL="" WHEELHOUSE="" KEEP_GOING=0 NO_APT=0 CHECK_TIMEOUT=60
SSH_COMMAND="ssh -o BatchMode=yes -o ConnectTimeout=10 {host}"

say() { echo "update-stations: $*"; }
die() { echo "update-stations: $*" >&2; exit 2; }
usage() {
  cat <<'EOF'
usage: scripts/update-stations.sh --hosts FILE --wheel PATH [--wheelhouse DIR] [--keep-going]
                                  [--no-apt] [--check-timeout S] [--ssh-command CMD]
EOF
}
value() {   # value OPTION ARG...: OPTION must be followed by a value
  if [ $# -lt 2 ] || [ -z "$2" ] || [[ "$2" == --* ]]; then die "$1 needs a value (see --help)"; fi
}
while [ $# -gt 0 ]; do
  case "$1" in
    --hosts) value "$@"; HOSTS="$2"; shift 2 ;;
    --wheel) value "$@"; WHEEL="$2"; shift 2 ;;
    --wheelhouse) value "$@"; WHEELHOUSE="$2"; shift 2 ;;
    --ssh-command) value "$@"; SSH_COMMAND="$2"; shift 2 ;;
    --check-timeout) value "$@"; CHECK_TIMEOUT="$2"; shift 2 ;;
    --keep-going) KEEP_GOING=1; shift ;;
    --no-apt) NO_APT=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) die "unknown argument '$1' (see --help)" ;;
  esac
done
[ -n "$HOSTS" ] || die "--hosts FILE is required"
[ -n "$WHEEL" ] || die "--wheel PATH is required"
[ -f "$HOSTS" ] || die "--hosts $HOSTS: no such file"
[ -f "$WHEEL" ] || die "--wheel $WHEEL: no such file"
[[ "$(basename "$WHEEL")" =~ ^benchscore-([^-]+)-.*\.whl$ ]] \
  || die "--wheel $WHEEL: not a benchscore wheel (benchscore-VERSION-...whl)"
VERSION="${BASH_REMATCH[1]}"
[[ "$CHECK_TIMEOUT" =~ ^[0-9]+$ ]] || die "--check-timeout '$CHECK_TIMEOUT': expected whole seconds"
[ -z "$WHEELHOUSE" ] || [ -d "$WHEELHOUSE" ] || die "--wheelhouse $WHEELHOUSE: no such directory"
mapfile -t HOST_LIST < <(sed -e 's/#.*//' -e 's/[[:space:]]*$//' -e 's/^[[:space:]]*//' "$HOSTS" | grep -v '^$' || true)
[ "${#HOST_LIST[@]}" -gt 0 ] || die "--hosts $HOSTS lists no host"

# -- the kit every host gets --------------------------------------------------------------------
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$WORK/kit/scripts" "$WORK/kit/systemd" "$WORK/kit/config/stations"
cp "$HERE/scripts/install.sh" "$HERE/scripts/rollback.sh" "$WORK/kit/scripts/"
cp "$HERE/systemd/benchscore-station.service" "$WORK/kit/systemd/"
cp "$HERE/config/stations/pi-station.toml" "$WORK/kit/config/stations/"
cp "$WHEEL" "$WORK/kit/"
INSTALL_ARGS="--role station --from-wheel \"\$kit/$(basename "$WHEEL")\" --prefix \"\$prefix\""
if [ -n "$WHEELHOUSE" ]; then
  cp -r "$WHEELHOUSE" "$WORK/kit/wheelhouse"
  INSTALL_ARGS+=" --wheelhouse \"\$kit/wheelhouse\""
fi
[ "$NO_APT" = 1 ] && INSTALL_ARGS+=" --no-apt"
tar -czf "$WORK/kit.tgz" -C "$WORK/kit" .

# Remote steps. Each runs in the host's shell; stdin carries the kit or rollback.sh.
# shellcheck disable=SC2016  # expanded on the host
PRELUDE='set -eu; prefix="${BENCHSCORE_PREFIX:-/}"; root="${prefix%/}"; sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo -n";'
R_CURRENT="$PRELUDE readlink \"\$root/opt/benchscore/current\" || true"
R_INSTALL="$PRELUDE kit=\"\$(mktemp -d)\"; trap 'rm -rf \"\$kit\"' EXIT; tar -xzf - -C \"\$kit\"; \$sudo \"\$kit/scripts/install.sh\" $INSTALL_ARGS"
R_ROLLBACK="$PRELUDE \$sudo bash -s -- --prefix \"\$prefix\""
# shellcheck disable=SC2016  # expanded on the host
R_CHECK="$PRELUDE"'
bin="$root/usr/local/bin/benchscore"; py="$root/opt/benchscore/current/venv/bin/python"
want="'"$VERSION"'"; unit=benchscore-station.service
got="$("$bin" --version 2>&1)" || true
[ "$got" = "benchscore $want" ] || { echo "benchscore --version says: ${got:0:200}"; exit 1; }
systemd=0; if [ -z "$root" ] && [ -d /run/systemd/system ] && systemctl is-enabled --quiet $unit; then systemd=1; fi
deadline=$(( $(date +%s) + '"$CHECK_TIMEOUT"' ))
while :; do
  problem=""
  if [ $systemd = 1 ] && ! systemctl is-active --quiet $unit; then problem="$unit is not active"; fi
  if [ -z "$problem" ]; then
    if out="$($sudo "$bin" station status --config "$root/etc/benchscore/station.toml" 2>&1)"; then
      problem="$(printf "%s" "$out" | "$py" -c "
import json, sys
want = sys.argv[1]
status = json.load(sys.stdin)
seen = {\"version\": status.get(\"version\")}
if sys.argv[2] == \"1\":  # the daemon was restarted: its retained status must say so too
    seen[\"status.sw\"] = (status.get(\"status\") or {}).get(\"sw\")
bad = [f\"{k} {v}\" for k, v in seen.items() if v and v != want]
print(\"station status says \" + \", \".join(bad) if bad else \"\")
" "$want" "$systemd" 2>&1)" || problem="station status printed no JSON: ${out:0:200}"
    else
      problem="station status failed: ${out:0:300}"
    fi
  fi
  [ -z "$problem" ] && { echo "ok"; exit 0; }
  # only a restarting daemon is worth waiting for
  if [ $systemd = 0 ] || [ "$(date +%s)" -ge $deadline ]; then echo "$problem"; exit 1; fi
  sleep 2
done'

remote() {   # remote HOST COMMAND: run COMMAND on HOST (stdin passes through)
  local host="$1" cmd="$2" words=() w
  read -r -a words <<<"$SSH_COMMAND"
  local argv=() placed=0
  for w in "${words[@]}"; do
    [[ "$w" == *"{host}"* ]] && placed=1
    argv+=("${w//\{host\}/$host}")
  done
  [ "$placed" = 1 ] || argv+=("$host")
  "${argv[@]}" "$cmd"
}

updated=() failed=() skipped=()
for i in "${!HOST_LIST[@]}"; do
  host="${HOST_LIST[$i]}"
  if [ "${#failed[@]}" -gt 0 ] && [ "$KEEP_GOING" = 0 ]; then
    skipped=("${HOST_LIST[@]:$i}")
    break
  fi
  say "$host: updating to $VERSION"
  before="$(remote "$host" "$R_CURRENT" </dev/null 2>/dev/null)" || before="?"
  reason=""
  if ! out="$(remote "$host" "$R_INSTALL" <"$WORK/kit.tgz" 2>&1)"; then
    reason="install failed: $(printf '%s\n' "$out" | grep -v '^ *$' | tail -n 1)"
  elif ! out="$(remote "$host" "$R_CHECK" </dev/null 2>&1)"; then
    reason="check failed: $(printf '%s\n' "$out" | tail -n 1)"
  fi
  if [ -z "$reason" ]; then
    say "$host: on $VERSION"
    updated+=("$host")
    continue
  fi
  say "$host: $reason"
  failed+=("$host")
  now="$(remote "$host" "$R_CURRENT" </dev/null 2>/dev/null)" || now="?"
  if [ "$now" = "releases/$VERSION" ] && [ "$before" != "$now" ]; then
    if out="$(remote "$host" "$R_ROLLBACK" <"$HERE/scripts/rollback.sh" 2>&1)"; then
      say "$host: rolled back ($(printf '%s\n' "$out" | tail -n 1 | sed 's/^rollback.sh: //'))"
    else
      say "$host: ROLLBACK FAILED: $(printf '%s\n' "$out" | tail -n 1)"
    fi
  else
    say "$host: still on ${before:-nothing} (nothing to roll back)"
  fi
done

say "updated ${#updated[@]} of ${#HOST_LIST[@]} to $VERSION${failed[*]:+; failed: ${failed[*]}}${skipped[*]:+; not tried (stopped after the first failure, --keep-going goes on): ${skipped[*]}}"
[ "${#failed[@]}" -eq 0 ] && [ "${#skipped[@]}" -eq 0 ]
