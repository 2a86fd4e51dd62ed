#!/usr/bin/env bash
# Rolls benchscore back one step: /opt/benchscore/current goes back to the release that was live
# before it (opt/benchscore/history, written by scripts/install.sh; install keeps 3 releases, so
# two steps back at most), and the role's unit restarts when systemd runs and it was active.
set -euo pipefail
PREFIX="/"
say() { echo "rollback.sh: $*"; }
die() { echo "rollback.sh: $*" >&2; exit 2; }
trap 'echo "rollback.sh: failed at line $LINENO: $BASH_COMMAND" >&2' ERR
while [ $# -gt 0 ]; do
  case "$1" in
    --prefix)
      if [ -z "${2:-}" ] || [[ "$2" == --* ]]; then die "--prefix needs a value"; fi
      PREFIX="$2"; shift 2 ;;
    -h|--help) echo "usage: scripts/rollback.sh [--prefix DIR]"; exit 0 ;;
    *) die "unknown argument '$1' (usage: scripts/rollback.sh [--prefix DIR])" ;;
  esac
done
PREFIX="$(realpath -m "$PREFIX")"
ROOT="${PREFIX%/}"
BASE="$ROOT/opt/benchscore"
HISTORY="$BASE/history"
cur="$(readlink "$BASE/current" 2>/dev/null)" || die "nothing is installed in $BASE"
[ -s "$HISTORY" ] || die "$HISTORY is missing: no earlier release to go back to"
[ "releases/$(tail -n 1 "$HISTORY")" = "$cur" ] \
  || die "current ($cur) is not the last line of $HISTORY: fix the link by hand"
[ "$(wc -l <"$HISTORY")" -ge 2 ] || die "$cur is the only release in $HISTORY: nothing to go back to"
prev="$(tail -n 2 "$HISTORY" | head -n 1)"
stamp="$BASE/releases/$prev/.complete"
[ -f "$stamp" ] || die "the earlier release $prev is missing or unfinished"
version="$(sed -n 's/^version=//p' "$stamp")"
role="$(sed -n 's/^role=//p' "$stamp")"
got="$("$BASE/releases/$prev/venv/bin/benchscore" --version 2>&1)" || true
[ "$got" = "benchscore $version" ] || die "the earlier release $prev does not run ('${got:0:200}'): not switching"

ln -sfn "releases/$prev" "$BASE/current.new"
mv -Tf "$BASE/current.new" "$BASE/current"
head -n -1 "$HISTORY" >"$HISTORY.new" && mv -f "$HISTORY.new" "$HISTORY"
if [ "$(wc -l <"$HISTORY")" -ge 2 ]; then
  ln -sfn "releases/$(tail -n 2 "$HISTORY" | head -n 1)" "$BASE/previous"
else
  rm -f "$BASE/previous"
fi
say "current -> releases/$prev (benchscore $version); left $cur"

unit="benchscore-$role.service"
if [ -z "$ROOT" ] && [ -d /run/systemd/system ] && systemctl is-active --quiet "$unit"; then
  systemctl restart "$unit"
  say "restarted $unit"
fi
