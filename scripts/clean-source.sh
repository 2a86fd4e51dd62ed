# Sourced by install.sh and wheelhouse.sh: copy_source SRC DEST copies the checkout's own files
# (git's list when SRC is a clone, else everything but build output and virtual environments)
# to DEST, so a stale build/ directory in the checkout never ends up in a release.
copy_source() {
  local src="$1" dest="$2"
  mkdir -p "$dest"
  if git -C "$src" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    (cd "$src" && git ls-files -z --cached --others --exclude-standard \
      | xargs -0 -I{} cp --parents -p {} "$dest"/ 2>/dev/null || true)
  else
    tar -C "$src" --exclude=./build --exclude=./.venv --exclude='./*.egg-info' -cf - . \
      | tar -C "$dest" -xf -
  fi
}
