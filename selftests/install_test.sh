#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
#
# `make install` and `make install-dkms` into a staging directory, as a
# package build does: the layout Documentation/operators.md documents,
# tools that run, man pages that render, completion that parses, a module
# modprobe finds (depmod ran) with no alias that could capture devices, and
# a DKMS build of the module for the test VM's kernel; the Debian packages
# built from debian/ hold the same files.  The DKMS-built module is left in
# build/dkms/ for the VM test t_dkms_module_loads.  Ends with "N passed,
# N failed".
set -uo pipefail
cd "$(dirname "$0")/.." || exit

KVER=$(cat .cache/kernel-version)
VERSION=$(sed -n 's/^#define VFMIG_VERSION[^"]*"\(.*\)"/\1/p' include/vfmig.h)
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
passed=0 failed=0

check() {	# check NAME CMD...: one result line
	local name=$1 out
	shift
	if out=$("$@" 2>&1); then
		echo "ok   $name"
		passed=$((passed + 1))
	else
		echo "FAIL $name"
		# shellcheck disable=SC2001 # every line indented
		[ -n "$out" ] && sed 's/^/    /' <<<"$out"
		failed=$((failed + 1))
	fi
}

install_all() {
	make -s install DESTDIR="$T/root" PREFIX=/usr KVER="$KVER" &&
		make -s install-dkms DESTDIR="$T/root"
}

layout() {
	local want got
	want=$(cat <<-END
	etc/vfmig/devices.conf
	lib/modules/$KVER/updates/vfmig.ko
	lib/modules/$KVER/updates/vfmig_igb_pf.ko
	usr/include/vfmig/vfmig.bpf.h
	usr/include/vfmig/vfmig.h
	usr/include/vfmig/vfmig_stream.h
	usr/include/vfmig/vmlinux.h
	usr/lib/modprobe.d/vfmig.conf
	usr/lib/modules-load.d/vfmig.conf
	usr/lib/udev/rules.d/90-vfmig.rules
	usr/lib/vfmig/edu.bpf.o
	usr/lib/vfmig/igbvf.bpf.o
	usr/sbin/vfmig-ctl
	usr/sbin/vfmig-load
	usr/share/bash-completion/completions/vfmig-ctl
	usr/share/bash-completion/completions/vfmig-load
	usr/share/man/man7/vfmig-programs.7
	usr/share/man/man8/vfmig-ctl.8
	usr/share/man/man8/vfmig-load.8
	usr/share/vfmig/template/Makefile
	usr/share/vfmig/template/mydev.bpf.c
	usr/src/vfmig-$VERSION/dkms.conf
	END
	)
	# depmod's index files aside, and the module sources listed apart.
	got=$(cd "$T/root" && find . \( -type f -o -type l \) | sed 's|^\./||' |
	      grep -v "^lib/modules/$KVER/modules\." |
	      grep -v "^usr/src/vfmig-$VERSION/\(kernel\|include\|lib\)/" | sort)
	[ "$want" = "$got" ] || { diff <(echo "$want") <(echo "$got"); return 1; }
	# The module source is complete: what Kbuild builds, with the stream
	# parser it shares with the tools.
	[ -e "$T/root/usr/src/vfmig-$VERSION/kernel/Kbuild" ] &&
		[ -e "$T/root/usr/src/vfmig-$VERSION/include/vfmig_stream.h" ] &&
		[ -e "$T/root/usr/src/vfmig-$VERSION/lib/vfmig_stream.c" ] &&
		[ -e "$T/root/usr/src/vfmig-$VERSION/lib/vfmig_stream_env.h" ]
}

versions() {
	local tool
	for tool in vfmig-load vfmig-ctl; do
		[ "$("$T/root/usr/sbin/$tool" --version)" = "$tool $VERSION" ] ||
			{ echo "$tool --version: $("$T/root/usr/sbin/$tool" --version)"; return 1; }
	done
	[ "$(/sbin/modinfo -F version "$T/root/lib/modules/$KVER/updates/vfmig.ko")" = "$VERSION" ]
}

man_pages() {
	local page warn
	for page in "$T"/root/usr/share/man/man*/*; do
		warn=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$page" 2>&1 >/dev/null)
		[ -z "$warn" ] || { echo "$page: $warn"; return 1; }
		LC_ALL=C.UTF-8 MANWIDTH=80 man -l "$page" 2>/dev/null | grep -q "^NAME" ||
			{ echo "$page does not render"; return 1; }
		grep -q "^\.TH .*\"vfmig $VERSION\"" "$page" ||
			{ echo "$page: not version $VERSION"; return 1; }
	done
}

completion() {
	bash -c ". '$T/root/usr/share/bash-completion/completions/vfmig-load'
		COMP_WORDS=(vfmig-load ins); COMP_CWORD=1; _vfmig_load
		[ \"\${COMPREPLY[*]}\" = inspect ] || exit 1
		COMP_WORDS=(vfmig-ctl res); COMP_CWORD=1; _vfmig_ctl
		[ \"\${COMPREPLY[*]}\" = restore ]"
}

# depmod ran: modprobe would find it, under its name and libvirt's.
module_index() {
	grep -q "^updates/vfmig.ko:" "$T/root/lib/modules/$KVER/modules.dep" &&
		grep -q "^alias vfmig_pci vfmig$" "$T/root/lib/modules/$KVER/modules.alias" &&
		! grep -q " vfmig$" <(grep -v "^alias vfmig_pci " "$T/root/lib/modules/$KVER/modules.alias")
}

# (The VM test t_config_attaches_on_bind runs the same rule under udevd.)
udev_rule() {
	local rules=$T/root/usr/lib/udev/rules.d/90-vfmig.rules
	# shellcheck disable=SC2016 # udev's $kernel, literally
	[ "$(grep -c 'RUN+="/usr/sbin/vfmig-load apply --bdf $kernel"' "$rules")" = 2 ] &&
		! grep -q @ "$rules"
}

# DKMS on its own trees (only the signing key it makes on first use goes to
# /var/lib/dkms, as on any host); the module may come out compressed.
dkms_build() {
	local ko
	mkdir -p "$T/dkms"
	dkms build -m vfmig -v "$VERSION" -k "$KVER" --dkmstree "$T/dkms" \
		--sourcetree "$T/root/usr/src" --kernelsourcedir "/usr/src/linux-headers-$KVER" ||
		{ tail -20 "$T/dkms/vfmig/$VERSION/build/make.log" 2>/dev/null; return 1; }
	ko=$(find "$T/dkms/vfmig/$VERSION/$KVER" -name 'vfmig.ko*' | head -n1)
	[ -n "$ko" ] || { echo "no vfmig.ko in $T/dkms"; return 1; }
	mkdir -p build/dkms
	case $ko in
	*.xz) xz -dc "$ko" >build/dkms/vfmig.ko ;;
	*.zst) zstd -qdc "$ko" >build/dkms/vfmig.ko ;;
	*) cp "$ko" build/dkms/vfmig.ko ;;
	esac
	[ "$(/sbin/modinfo -F vermagic build/dkms/vfmig.ko | cut -d' ' -f1)" = "$KVER" ]
}

# dpkg-buildpackage in a copy of the tree (it writes beside it): three
# packages that hold, between them, what make install does (the module as
# DKMS source, built on the host), /etc/vfmig/devices.conf a conffile.
debs() {
	local got want
	mkdir -p "$T/deb/src"
	{ git ls-files -co --exclude-standard | tar -cf - -T - | tar -xf - -C "$T/deb/src" &&
		(cd "$T/deb/src" && dpkg-buildpackage -b -us -uc >"$T/deb/build.log" 2>&1); } ||
		{ tail -n 30 "$T/deb/build.log"; return 1; }
	for want in vfmig_"$VERSION"_amd64 vfmig-dkms_"$VERSION"_all vfmig-dev_"$VERSION"_all; do
		[ -e "$T/deb/$want.deb" ] || { echo "no $want.deb"; ls "$T/deb"; return 1; }
	done
	got=$(for d in vfmig_"$VERSION"_amd64 vfmig-dkms_"$VERSION"_all vfmig-dev_"$VERSION"_all; do
		dpkg-deb -c "$T/deb/$d.deb"
	      done | awk '$1 !~ /^d/ { print substr($6, 3) }' | grep -v '^usr/share/doc/' | sort)
	want=$(cd "$T/root" && find . \( -type f -o -type l \) | sed 's|^\./||' |
	       grep -v "^lib/modules/" | sed 's|^\(usr/share/man/.*\)|\1.gz|' | sort)
	[ "$want" = "$got" ] || { diff <(echo "$want") <(echo "$got"); return 1; }
	dpkg-deb --ctrl-tarfile "$T/deb/vfmig_${VERSION}_amd64.deb" | tar -xOf - ./conffiles |
		grep -qx /etc/vfmig/devices.conf || { echo "devices.conf not a conffile"; return 1; }
	dpkg-deb -f "$T/deb/vfmig-dkms_${VERSION}_all.deb" Depends | grep -q dkms ||
		{ echo "vfmig-dkms does not depend on dkms"; return 1; }
}

rm -f build/dkms/vfmig.ko
check "make install and install-dkms with DESTDIR" install_all
check "installed layout" layout
check "--version of the tools and the module" versions
check "man pages render without warnings" man_pages
check "bash completion" completion
check "depmod ran; no catch-all alias" module_index
check "udev rule runs the installed vfmig-load" udev_rule
check "DKMS builds the module for $KVER" dkms_build
check "dpkg-buildpackage builds the .debs of that layout" debs
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
