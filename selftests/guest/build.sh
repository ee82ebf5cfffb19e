#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
#
# The initramfs of the Linux guest the NIC tests migrate: busybox, ethtool
# (it reads the VF's hardware counters) and selftests/guest/init.  The
# guest's kernel (make guestkernel) has igbvf, macvlan and 802.1Q built in.
#
# Usage: selftests/guest/build.sh OUTPUT
#   OUTPUT       the gzip-compressed cpio archive to write
set -euo pipefail

OUT=${1:?usage: build.sh OUTPUT}
HERE=$(cd "$(dirname "$0")" && pwd)

root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/{bin,sbin,lib,lib64,proc,sys,dev,tmp}
cp /bin/busybox "$root/bin/busybox"
install -m 0755 "$HERE/init" "$root/init"

# ethtool and the libraries it links (Debian's busybox is static).
cp /usr/sbin/ethtool "$root/sbin/"
ldd /usr/sbin/ethtool | awk '$3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }' |
while read -r lib; do
	mkdir -p "$root$(dirname "$lib")"
	cp -L "$lib" "$root$lib"
done

(cd "$root" && find . | cpio -o -H newc --quiet) | gzip -9 >"$OUT.tmp"
mv "$OUT.tmp" "$OUT"
