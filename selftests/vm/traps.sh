# SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
# shellcheck shell=bash disable=SC2034  # sourced by tests.sh: variables are shared
#
# Ways around a program's trap windows that vfio-pci offers its user, or
# that an unbind opens, each closed.  Sourced by tests.sh; listed in manifest.sh.

# An ioeventfd makes vfio-pci write the BAR itself (KVM signals it on a
# guest's MMIO write): vfmig-pci takes none, so a swallowed write stays
# swallowed, whether the window came before or after.
t_ioeventfd_cannot_bypass_window() {
	local out
	out=$($OPS "$A" 'wr 0 4 4 0x0' 'ioeventfd 0 4 4 0xa5a5a5a5' 'rd 0 4 4')
	assert_eq "refused with no program" "error: ENOTTY" "$(answer 2 "$out")"
	load selftests/progs/test_swallow.bpf.o --bdf "$A" >/dev/null
	out=$($OPS "$A" 'wr 0 4 4 0x12345678' 'ioeventfd 0 4 4 0xa5a5a5a5' 'rd 0 4 4')
	assert_eq "refused under a window" "error: ENOTTY" "$(answer 2 "$out")"
	assert_eq "the register never took a write" 0xffffffff "$(answer 3 "$out")"
	$LOAD unload --bdf "$A" >/dev/null
}

# An unbind waits for the device's user to close it (a guest may ignore
# the unplug request): meanwhile the program's windows hold and its hook
# answers; it goes once the device is closed.
t_unbind_keeps_traps_until_close() {
	local out i
	load selftests/progs/test_region.bpf.o --bdf "$A"
	rm -f "$TMP/unbound"
	# The unbind runs beside vfio-ops without its fds: sh children inherit
	# the device fd, which would hold the unbind forever.
	cat >"$TMP/unbind.sh" <<-EOF
		for fd in /proc/\$\$/fd/*; do
			n=\${fd##*/}
			[ "\$n" -gt 2 ] && [ "\$n" -lt 255 ] && eval "exec \$n>&-"
		done 2>/dev/null
		echo $A >$SYS/$A/driver/unbind
		touch $TMP/unbound
	EOF
	out=$($OPS "$A" 'mmap 0 0 0x100000' \
		"sh bash $TMP/unbind.sh </dev/null >/dev/null 2>&1 &" \
		'sleep 2000' 'mrd 0' 'mrd 0x1000' 'rd 0 0 4' 'wr 0 0x20 4 0x80' \
		"sh test -e $TMP/unbound && echo unbound || echo waiting")
	# sleep prints nothing: answers 3-7 are the five after it.
	assert_eq "unbind started" "exit 0" "$(answer 2 "$out")"
	assert_eq "trapped page still not mapped" SIGBUS "$(answer 3 "$out")"
	assert_eq "untrapped page mapped" 0xffffffff "$(answer 4 "$out")"
	assert_eq "hook still answers" 0xfeedf00d "$(answer 5 "$out")"
	assert_eq "trapped write still refused" "error: EPERM" "$(answer 6 "$out")"
	assert_has "unbind waits for the close" waiting "$(answer 7 "$out")"
	for _ in $(seq 100); do
		[ -e "$TMP/unbound" ] && break
		sleep 0.1
	done
	[ -e "$TMP/unbound" ] || fail "unbind did not end after the close"
	assert_eq "unbound" no "$([ -e "$SYS/$A/driver" ] && echo yes || echo no)"
	assert_has "program went after the close" "device unbound" "$(dmesg | tail -n 20)"
	$LOAD unload --bdf "$A" >/dev/null 2>&1
	bind vfmig-pci "$A"
	assert_eq "no program after rebind" "" "$(sysattr "$A" program)"
	assert_eq "device works" 0x10000ed "$(answer 1 "$($OPS "$A" 'rd 0 0 4')")"
}
