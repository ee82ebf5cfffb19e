#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
#
# Build a kernel from Debian's linux-source-6.12: x86_64 defconfig +
# kvm_guest.config + selftests/testkernel/vfmig.config (IOMMUFD, so the VFIO
# core has DMA logging; lockdep, DEBUG_ATOMIC_SLEEP and KASAN).  Two kinds:
#   test   the second test tier, as above;
#   bench  the same with bench.config on top: no lockdep, KASAN or kmemleak,
#          whose costs would swamp the figures `make bench` takes on it;
#   guest  tinyconfig + guest.config, no modules: the Linux guest the NIC
#          tests run nested, with igbvf built in (a few minutes).
#
# The result is cached by source version and a hash of the configuration
# (and of this script, the recipe) in CACHE/<kind>kernel/<version>-<hash>/:
#   boot/vmlinuz-<release>, lib/modules/<release>/  what vmtest.sh --kernel-dir boots
#   build/                                          the O= tree modules build against
# and CACHE/<kind>kernel-dir names the current one.  A second run with
# nothing changed takes well under a second.  Both kinds build from the one
# unpacked source in CACHE/testkernel/src.
#
# Usage: selftests/testkernel/build.sh CACHE_DIR [test|bench|guest]
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
CACHE=${1:?usage: build.sh CACHE_DIR [test|bench|guest]}
KIND=${2:-test}
mkdir -p "$CACHE/testkernel" "$CACHE/${KIND}kernel"
CACHE=$(cd "$CACHE" && pwd -P)
TOP=$CACHE/${KIND}kernel
SRCTOP=$CACHE/testkernel
PKG=linux-source-6.12
# Options that must come out of olddefconfig as asked, or the kernel is
# useless; and the debug options only the test tier has.
REQUIRED=(IOMMUFD IOMMUFD_DRIVER VFIO_DEVICE_CDEV VFIO_PCI_CORE DEBUG_INFO_BTF_MODULES
	  INTEL_IOMMU 9P_FS PCI_IOV SECURITY_LOCKDOWN_LSM SECURITYFS)
DEBUG=(PROVE_LOCKING DEBUG_ATOMIC_SLEEP KASAN DEBUG_KMEMLEAK)
case $KIND in
test)	FRAGMENTS=("$HERE/vfmig.config")
	REQUIRED+=("${DEBUG[@]}") ABSENT=() ;;
bench)	FRAGMENTS=("$HERE/vfmig.config" "$HERE/bench.config")
	ABSENT=("${DEBUG[@]}") ;;
guest)	FRAGMENTS=("$HERE/guest.config")
	REQUIRED=(IGBVF MACVLAN VLAN_8021Q IPV6 PCI_MSI SERIAL_8250_CONSOLE BLK_DEV_INITRD
		  DEVTMPFS) ABSENT=(MODULES) ;;
*)	echo "usage: build.sh CACHE_DIR [test|bench|guest]" >&2; exit 2 ;;
esac
BASE=(x86_64_defconfig kvm_guest.config) TARGETS=(bzImage modules)
[ "$KIND" = guest ] && BASE=(tinyconfig) TARGETS=(bzImage)

msg() { echo "testkernel: $*" >&2; }
die() { msg "ERROR: $*"; exit 1; }

# The source package version: the one already unpacked, else the mirror's.
SRCVER=$(sed -n 's/^version=//p' "$SRCTOP/src/version" 2>/dev/null || true)
if [ -z "$SRCVER" ] || [ ! -d "$SRCTOP/src/$SRCVER/linux" ]; then
	SRCVER=$(apt-cache policy "$PKG" 2>/dev/null | sed -n 's/^ *Candidate: //p')
	[ -n "$SRCVER" ] && [ "$SRCVER" != "(none)" ] ||
		die "no $PKG on the configured mirrors (run 'apt-get update'?)"
fi
SRC=$SRCTOP/src/$SRCVER/linux

HASH=$(cat "${FRAGMENTS[@]}" "${BASH_SOURCE[0]}" | sha256sum | cut -c1-12)
OUT=$TOP/${SRCVER//[^0-9A-Za-z.+-]/_}-$HASH
if [ -e "$OUT/.done" ]; then
	echo "$OUT" >"$CACHE/${KIND}kernel-dir"
	msg "ready: $(cat "$OUT/.done")"
	exit 0
fi

if [ ! -d "$SRC" ]; then
	msg "fetching $PKG $SRCVER"
	rm -rf "$SRCTOP/src"
	mkdir -p "$SRCTOP/src/$SRCVER"
	tmp=$(mktemp -d "$SRCTOP/src/fetch.XXXXXX")
	(cd "$tmp" && apt-get download -q -o APT::Sandbox::User=root "$PKG=$SRCVER" >/dev/null) ||
		die "cannot download $PKG=$SRCVER"
	dpkg-deb --fsys-tarfile "$tmp"/"$PKG"_*.deb |
		tar -xO --wildcards "./usr/src/$PKG.tar.xz" |
		tar -xJ -C "$tmp" || die "cannot unpack $PKG"
	mv "$tmp/$PKG" "$SRC"
	rm -rf "$tmp"
	echo "version=$SRCVER" >"$SRCTOP/src/version"
fi

rm -rf "$OUT"
mkdir -p "$OUT/build"
LOG=$OUT/build.log
JOBS=$(($(nproc) + 1))
kmake() { make -C "$SRC" O="$OUT/build" -j"$JOBS" "$@" >>"$LOG" 2>&1; }

start=$(date +%s)
msg "configuring $SRCVER (config $HASH), log in $LOG"
kmake "${BASE[@]}" || die "${BASE[*]} failed: see $LOG"
"$SRC/scripts/kconfig/merge_config.sh" -m -O "$OUT/build" "$OUT/build/.config" "${FRAGMENTS[@]}" \
	>>"$LOG" 2>&1 || die "merging ${FRAGMENTS[*]} failed: see $LOG"
kmake olddefconfig || die "olddefconfig failed: see $LOG"
for opt in "${REQUIRED[@]}"; do
	grep -q "^CONFIG_$opt=y" "$OUT/build/.config" ||
		die "CONFIG_$opt is not =y after olddefconfig: fix ${FRAGMENTS[*]}"
done
for opt in "${ABSENT[@]}"; do
	! grep -q "^CONFIG_$opt=y" "$OUT/build/.config" ||
		die "CONFIG_$opt is still =y after olddefconfig: fix ${FRAGMENTS[*]}"
done

msg "building ${TARGETS[*]} with $JOBS jobs (test, bench: about 20 min on 2 cores)"
if ! kmake "${TARGETS[@]}"; then
	tail -n 30 "$LOG" >&2
	die "kernel build failed: see $LOG"
fi
REL=$(cat "$OUT/build/include/config/kernel.release")
if [[ " ${TARGETS[*]} " == *" modules "* ]]; then
	kmake INSTALL_MOD_PATH="$OUT" INSTALL_MOD_STRIP=1 modules_install ||
		die "modules_install failed: see $LOG"
	rm -f "$OUT/lib/modules/$REL/build" "$OUT/lib/modules/$REL/source"
fi
install -D -m 0644 "$OUT/build/arch/x86/boot/bzImage" "$OUT/boot/vmlinuz-$REL"
end=$(date +%s)

echo "$REL from $PKG $SRCVER, config $HASH, built in $((end - start)) s" >"$OUT/.done"
echo "$OUT" >"$CACHE/${KIND}kernel-dir"
# Older builds of the same kind only take disk space.
find "$TOP" -mindepth 1 -maxdepth 1 -type d ! -name src ! -path "$OUT" -exec rm -rf {} +
msg "ready: $(cat "$OUT/.done")"
