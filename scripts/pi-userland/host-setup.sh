#!/usr/bin/env bash
# Host side of scripts/test-pi-userland.sh: installs what building and entering a foreign
# Debian root needs (Debian packages mmdebstrap, qemu-user-static, arch-test, binfmt-support)
# and registers QEMU's user-mode emulation for one architecture with flag F, without systemd.
# Usage: host-setup.sh arm64|armhf    (root; idempotent)
set -euo pipefail

arch=${1:?usage: host-setup.sh arm64|armhf}
case "$arch" in
  arm64) qemu=aarch64 ;;
  armhf) qemu=arm ;;
  *) echo "host-setup: unknown architecture '$arch' (arm64 or armhf)" >&2; exit 2 ;;
esac

need=()
command -v mmdebstrap >/dev/null || need+=(mmdebstrap)
[ -e "/usr/lib/binfmt.d/qemu-$qemu.conf" ] || need+=(qemu-user-static)
command -v arch-test >/dev/null || need+=(arch-test)
command -v update-binfmts >/dev/null || need+=(binfmt-support)
command -v git >/dev/null || need+=(git)
if [ "${#need[@]}" -gt 0 ]; then
  echo "pi-userland: installing Debian packages: ${need[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

# binfmt_misc: mount it if the kernel has it but nothing mounted it (containers, no systemd).
misc=/proc/sys/fs/binfmt_misc
if [ ! -e "$misc/register" ]; then
  mount -t binfmt_misc binfmt_misc "$misc" || {
    echo "pi-userland: cannot mount binfmt_misc on $misc (needs a privileged container)" >&2
    exit 1
  }
fi

entry="$misc/qemu-$qemu"
if [ -e "$entry" ] && ! grep -q '^flags:.*F' "$entry"; then
  # registered without F (the interpreter would have to exist inside the root): re-register
  echo -1 > "$entry"
fi
if [ ! -e "$entry" ]; then
  conf="/usr/lib/binfmt.d/qemu-$qemu.conf"
  line=$(grep -v '^[#;]' "$conf" | head -n 1)
  flags=${line##*:}
  [[ $flags == *F* ]] || line="${line}F"
  printf '%s' "$line" > "$misc/register"
fi
grep -q '^enabled' "$entry" || echo 1 > "$entry"
grep -q '^flags:.*F' "$entry" || { echo "pi-userland: $entry lacks flag F" >&2; exit 1; }
