#!/usr/bin/env bash
# `npm test` runs real NBD clients and a peer server (qemu-img, qemu-io, nbdinfo, nbdcopy,
# nbdkit). Make sure their Debian packages are there: as root install what is missing
# (apt-get update once, then one install); otherwise stop and say exactly what to install.
set -euo pipefail

# package -> a program it provides
declare -A probe=([qemu-utils]=qemu-img [libnbd-bin]=nbdcopy [nbdkit]=nbdkit)

missing=()
for package in qemu-utils libnbd-bin nbdkit; do
  command -v "${probe[$package]}" >/dev/null 2>&1 || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "the tests need the Debian packages: ${missing[*]}" >&2
  echo "install them with: sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
