#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
#
# The initramfs of the Linux guest the NIC tests migrate: busybox, ethtool
# (it reads the VF's hardware counters) and, from the cached Debian kernel
# the guest boots, the kernel's own igbvf driver with macvlan and 802.1Q,
# loaded by selftests/guest/init.
#
# Usage: selftests/guest/build.sh MODULES_DIR OUTPUT
#   MODULES_DIR  the kernel's lib/modules/KVER (modules.dep beside them)
#   OUTPUT       the gzip-compressed cpio archive to write
set -euo pipefail

MODDIR=${1:?usage: build.sh MODULES_DIR OUTPUT}
OUT=${2:?usage: build.sh MODULES_DIR OUTPUT}
HERE=$(cd "$(dirname "$0")" && pwd)
# What the guest loads, each after what it depends on (modules.dep).
MODULES=(igbvf macvlan 8021q)

root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/{bin,sbin,lib,lib64,proc,sys,dev,tmp,modules}
cp /bin/busybox "$root/bin/busybox"
install -m 0755 "$HERE/init" "$root/init"

# ethtool and the libraries it links.
cp /usr/sbin/ethtool "$root/sbin/"
ldd /usr/sbin/ethtool | awk '$3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }' |
while read -r lib; do
	mkdir -p "$root$(dirname "$lib")"
	cp -L "$lib" "$root$lib"
done

# Modules with their dependencies, in load order, decompressed (busybox
# insmod reads no .xz).
deps() {	# deps NAME: the module's path and its dependencies', deepest first
	local line
	line=$(grep -E "(^|/)$1\.ko(\.xz|\.zst)?:" "$MODDIR/modules.dep") ||
		{ echo "build.sh: no module $1 in $MODDIR" >&2; exit 1; }
	# modules.dep lists a module's dependencies last-loaded first.
	# shellcheck disable=SC2086 # one word a dependency
	printf '%s\n' ${line#*:} | tac
	echo "${line%%:*}"
}
order=()
for m in "${MODULES[@]}"; do
	while read -r p; do
		[ -z "$p" ] || [[ " ${order[*]} " == *" $p "* ]] || order+=("$p")
	done < <(deps "$m")
done
for p in "${order[@]}"; do
	name=$(basename "$p")
	case $name in
	*.xz) xz -dc "$MODDIR/$p" >"$root/modules/${name%.xz}" ;;
	*.zst) zstd -qdc "$MODDIR/$p" >"$root/modules/${name%.zst}" ;;
	*) cp "$MODDIR/$p" "$root/modules/$name" ;;
	esac
	echo "${name%.ko*}" >>"$root/modules/order"
done

(cd "$root" && find . | cpio -o -H newc --quiet) | gzip -9 >"$OUT.tmp"
mv "$OUT.tmp" "$OUT"
