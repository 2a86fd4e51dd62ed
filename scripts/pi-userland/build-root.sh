#!/usr/bin/env bash
# Builds (once) a minimal Debian root for one architecture and release, as a tarball in the
# cache: Debian's Python with venv, and Debian's numpy, PyNaCl and cryptography for the
# platforms PyPI has no wheels for (armhf). Prints the tarball's path.
# Usage: build-root.sh ARCH RELEASE CACHE_DIR    (root)
set -euo pipefail

arch=$1 release=$2 cache=$3
# What a Raspberry Pi OS Lite image already has, or what the station's install takes from Debian.
packages=python3,python3-venv,python3-pip,ca-certificates,python3-numpy,python3-nacl,python3-cryptography
tarball="$cache/debian-$release-$arch-minbase.tar"
stamp="$tarball.packages"
if [ -s "$tarball" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$packages" ]; then
  echo "$tarball"
  exit 0
fi
mkdir -p "$cache"
tmp="$tarball.partial"
rm -f "$tmp"
mmdebstrap --quiet --variant=minbase --arch="$arch" --include="$packages" \
  --format=tar "$release" "$tmp" >&2
mv "$tmp" "$tarball"
printf '%s' "$packages" > "$stamp"
echo "$tarball"
