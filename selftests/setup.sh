#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
#
# Install everything vfmig needs to build and test on Debian 12 (bookworm),
# and fetch the target kernel image into the cache without installing it.
# Idempotent: a second run on a ready machine takes about a second.
#
# Usage: selftests/setup.sh CACHE_DIR
set -euo pipefail

CACHE=${1:?usage: setup.sh CACHE_DIR}
export DEBIAN_FRONTEND=noninteractive
APT_OPTS=(-y -q -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold)
BPO=bookworm-backports
BPO_LIST=/etc/apt/sources.list.d/bookworm-backports.sources

# Build tools from bookworm; the BPF userspace and QEMU 10 from backports
# (libbpf 1.1 cannot load module struct_ops, QEMU 7.2 has no VFIO migration v2).
# libclang-rt-14-dev: libFuzzer and the sanitizers of bookworm's clang (14),
# only recommended by clang, for `make -C user fuzz`.  flex, bison, bc and
# libssl-dev build the second kernel tier (selftests/testkernel).  dkms and
# man-db: what the install test checks (a DKMS build, man pages that render);
# debhelper, dh-dkms and linux-headers-amd64 (6.12, from backports) build
# the .debs (debian/control).  libvirt 11 (backports: 9.0 knows no VFIO
# variant drivers) for the libvirt tests; Debian packs its QEMU driver as a
# plug-in of the monolithic libvirtd.  ethtool goes into the Linux guest
# of the NIC tests (selftests/guest), which reads its VF's counters with it;
# iputils-ping is how the PF pings that guest (the test VM runs this host's
# userland, and Debian's minimal images have no ping).
BASE_PKGS=(make gcc clang llvm dwarves pkg-config libelf-dev zlib1g-dev
	   flex bison bc libssl-dev
	   libclang-rt-14-dev busybox-static cpio xz-utils zstd kmod python3
	   dkms man-db debhelper dh-dkms ethtool iputils-ping)
BPO_PKGS=(libbpf-dev bpftool qemu-system-x86 linux-headers-amd64
	  libvirt-daemon libvirt-daemon-driver-qemu libvirt-clients)

if [ "$(id -u)" != 0 ]; then
	echo "setup: needs root to install packages (run: sudo make setup)" >&2
	exit 1
fi

updated=
apt_update() {
	[ -n "$updated" ] && return
	apt-get update -q >/dev/null
	updated=1
}

if [ ! -e "$BPO_LIST" ] && ! grep -rqs "$BPO" /etc/apt/sources.list /etc/apt/sources.list.d/; then
	cat >"$BPO_LIST" <<SRC
Types: deb
URIs: http://deb.debian.org/debian
Suites: $BPO
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
	apt_update
fi

# The kernel version: keep the one already prepared, else the newest
# 6.12 point release the mirror has (old ones leave it).
mkdir -p "$CACHE"
CACHE=$(cd "$CACHE" && pwd)
KVER=
if [ -s "$CACHE/kernel-version" ]; then
	KVER=$(cat "$CACHE/kernel-version")
	[ -e "$CACHE/kernel/$KVER/boot/vmlinuz-$KVER" ] &&
		[ -d "/usr/src/linux-headers-$KVER" ] || KVER=
fi
if [ -z "$KVER" ]; then
	apt_update
	KVER=$(apt-cache search --names-only '^linux-image-6\.12\.[0-9.]+\+deb12[.0-9]*-amd64$' |
	       sed -n 's/^linux-image-\(6\.12\.[^ ]*-amd64\) .*/\1/p' | sort -V | tail -n1)
	[ -n "$KVER" ] || { echo "setup: no linux-image-6.12.*-amd64 on the mirror" >&2; exit 1; }
fi

missing=()
for p in "${BASE_PKGS[@]}" "${BPO_PKGS[@]}" "linux-headers-$KVER"; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed' ||
		missing+=("$p")
done
# An installed but too old libbpf/bpftool/qemu (from bookworm) also needs the upgrade.
if ! dpkg --compare-versions "$(dpkg-query -W -f='${Version}' libbpf-dev 2>/dev/null || echo 0)" ge 1:1.4 ||
   ! dpkg --compare-versions "$(dpkg-query -W -f='${Version}' qemu-system-x86 2>/dev/null || echo 0)" ge 1:10; then
	missing+=("${BPO_PKGS[@]}")
fi
if [ ${#missing[@]} -gt 0 ]; then
	apt_update
	echo "setup: installing ${missing[*]}"
	apt-get install "${APT_OPTS[@]}" --no-install-recommends "${BASE_PKGS[@]}" "linux-headers-$KVER" >/dev/null
	apt-get install "${APT_OPTS[@]}" --no-install-recommends -t "$BPO" "${BPO_PKGS[@]}" >/dev/null
fi

# The guest kernel: unpacked into the cache, never installed on the host.
KDIR="$CACHE/kernel/$KVER"
if [ ! -e "$KDIR/boot/vmlinuz-$KVER" ]; then
	apt_update
	tmp=$(mktemp -d)
	(cd "$tmp" && apt-get download -q -o APT::Sandbox::User=root "linux-image-$KVER" >/dev/null)
	rm -rf "$KDIR.tmp"; mkdir -p "$CACHE/kernel"
	dpkg-deb -x "$tmp"/linux-image-*.deb "$KDIR.tmp"
	rm -rf "$tmp" "$KDIR"
	mv "$KDIR.tmp" "$KDIR"
fi
echo "$KVER" >"$CACHE/kernel-version"
echo "setup: ready (kernel $KVER, $(clang --version | head -n1), libbpf $(dpkg-query -W -f='${Version}' libbpf-dev), $(qemu-system-x86_64 --version | head -n1))"
