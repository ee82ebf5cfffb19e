# SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
# shellcheck shell=bash disable=SC2034  # sourced by tests.sh: variables are shared
#
# What an operator does: replace a device's program in one step, move a
# stream through a pipe, have programs attached from the configuration as
# devices bind (udev, with the shipped rule), give a device back.  Sourced
# by tests.sh; listed in manifest.sh.

WAIT_PARAM=/sys/module/vfmig/parameters/wait_for_program_ms

# Unbind @bdf and let the kernel probe it again (its driver_override says
# which driver), as driverctl or libvirt do, and return at once.
rebind_now() {	# rebind_now BDF
	[ -e "$SYS/$1/driver" ] && echo "$1" >"$SYS/$1/driver/unbind"
	echo "$1" >/sys/bus/pci/drivers_probe
}

# Wait up to 10 s for CMD to succeed.
wait_for() {	# wait_for WHAT CMD...
	local what=$1 i
	shift
	for i in $(seq 100); do
		"$@" && return
		sleep 0.1
	done
	fail "$what: not after 10 s"
}

# While a reader hammers a trapped register, the program flips between
# test_region (which answers 0xfeedf00d there) and edu (which passes it
# to the device: 0x10000ed): every read gets one of the two, never an
# error.
t_replace_under_load() {
	local reads=() i out bad n_region n_edu
	out=$($LOAD replace bpf/edu.bpf.o --bdf "$A" 2>&1) && fail "replace with nothing attached"
	assert_has "says what to do" "runs no program to replace" "$out"
	load selftests/progs/test_region.bpf.o --bdf "$A" >/dev/null
	for i in $(seq 200); do reads+=('rd 0 0 4'); done
	rm -f "$TMP/stop"
	(while [ ! -e "$TMP/stop" ]; do $OPS "$A" "${reads[@]}"; done) >"$TMP/reads" &
	for i in $(seq 5); do
		$LOAD replace bpf/edu.bpf.o --bdf "$A" >/dev/null || fail "replace $i with edu"
		assert_eq "edu serves" edu "$(sysattr "$A" program)"
		$LOAD replace selftests/progs/test_region.bpf.o --bdf "$A" >/dev/null ||
			fail "replace $i with test_region"
	done
	touch "$TMP/stop"
	wait
	bad=$(grep -v -e ': 0xfeedf00d$' -e ': 0x10000ed$' "$TMP/reads" | head -3)
	[ -z "$bad" ] || fail "reads served by neither program: $bad"
	n_region=$(grep -c ': 0xfeedf00d$' "$TMP/reads")
	n_edu=$(grep -c ': 0x10000ed$' "$TMP/reads")
	echo "    reads: $n_region answered by test_region, $n_edu passed by edu"
	{ [ "$n_region" -gt 0 ] && [ "$n_edu" -gt 0 ]; } || fail "the reads did not overlap both programs"
	assert_eq "test_region serves" test_region "$(sysattr "$A" program)"
	assert_eq "its answer" 0xfeedf00d "$(answer 1 "$($OPS "$A" 'rd 0 0 4')")"

	out=$($LOAD replace bpf/edu.bpf.o --bdf "$A") || fail "replace with edu"
	assert_eq "says so" "replaced test_region with edu on $A" "$out"
	[ -e "$(pindir "$A")/edu_shadow" ] || fail "edu's maps not pinned"
	out=$($LOAD replace bpf/igbvf.bpf.o --bdf "$A" 2>&1) && fail "replaced with igbvf"
	assert_has "ids checked" "serves 8086:10ca only" "$out"
	assert_eq "edu still serves" edu "$(sysattr "$A" program)"
	load unload --bdf "$A" >/dev/null
	[ ! -e "$(pindir "$A")" ] || fail "pins left: $(ls "$(pindir "$A")")"
	load bpf/edu.bpf.o --bdf "$A" >/dev/null
}

# A stream straight from one device to another, as over ssh: save to
# stdout, restore from stdin; a cut stream is refused and loses nothing.
t_ctl_stream_through_a_pipe() {
	local a before out
	load bpf/edu.bpf.o --bdf "$A" >/dev/null
	load bpf/edu.bpf.o --bdf "$B" >/dev/null
	$OPS "$A" 'wr 0 4 4 0x3c3c' 'wr 0 0x80 8 0x50000' >/dev/null
	$OPS "$B" 'wr 0 4 4 0x1111' >/dev/null
	a=$(edu_regs "$A")
	before=$(edu_regs "$B")
	out=$($CTL save --bdf "$A" -o - | head -c 60 | $CTL restore --bdf "$B" -i - 2>&1) &&
		fail "a cut stream was taken"
	assert_has "why" "refused the stream" "$out"
	assert_eq "B unchanged" "$before" "$(edu_regs "$B")"
	$CTL save --bdf "$A" -o - | $CTL restore --bdf "$B" -i - >/dev/null ||
		fail "save | restore"
	assert_eq "B has A's state" "$a" "$(edu_regs "$B")"
}

# The configuration, applied by udevd running the shipped rule: a device is
# served from its first open (which waits for the program) by BDF and by
# ids, across a "reboot" (module out and in), unbind and rebind leave no
# pins that block, an unconfigured device does not wait, and a program
# that never comes fails the open with the reason.
t_config_attaches_on_bind() {
	local conf=$TMP/devices.conf rules=/run/udev/rules.d out start
	cat >"$conf" <<-END
	# the test's devices
	$A	$PWD/bpf/edu.bpf.o
	1234:11e8	$PWD/selftests/progs/test_region.bpf.o
	END
	mkdir -p "$rules"
	sed -e "s|@SBINDIR@|$PWD/user|g" -e "s|@CONFIG_ARG@| --config $conf|g" \
		user/udev/90-vfmig.rules.in >"$rules/90-vfmig.rules"
	/lib/systemd/systemd-udevd --daemon --resolve-names=never || fail "cannot start udevd"
	# (udevadm control ignores requests in the VM's chroot: signals do.)
	trap 'pkill -x systemd-udevd; echo 0 >"$WAIT_PARAM"' EXIT
	echo 10000 >"$WAIT_PARAM"

	# Bind and open at once, as libvirt does before anyone could attach.
	rebind_now "$A"
	assert_eq "A's first open finds edu" "stop-copy p2p pre-copy" \
		"$(answer 1 "$($OPS "$A" mfeat)")"
	rebind_now "$B"
	assert_eq "B (by ids) finds test_region at once" 0xfeedf00d \
		"$(answer 1 "$($OPS "$B" 'rd 0 0 4')")"

	# A reboot, as far as vfmig goes: every program and the module gone.
	{ $LOAD unload --bdf "$A" >/dev/null && $LOAD unload --bdf "$B" >/dev/null; } ||
		fail "unload"
	rmmod_vfmig || fail "rmmod"
	insmod "$KO" || fail "insmod"
	echo 10000 >"$WAIT_PARAM"
	rebind_now "$A"
	assert_eq "A served after the reboot" "stop-copy p2p pre-copy" \
		"$(answer 1 "$($OPS "$A" mfeat)")"

	# Unbound, its program's pins go; bound again, it is served again.
	echo "$A" >"$SYS/$A/driver/unbind"
	wait_for "pins of unbound $A removed" test ! -e "$(pindir "$A")"
	echo "$A" >/sys/bus/pci/drivers_probe
	assert_eq "A served after a rebind" "stop-copy p2p pre-copy" \
		"$(answer 1 "$($OPS "$A" mfeat)")"

	# No line for B: its open does not wait.
	sed -i '/^1234:11e8/d' "$conf"
	rebind_now "$B"
	start=$SECONDS
	assert_eq "B unconfigured: plain vfio-pci" 0x10000ed \
		"$(answer 1 "$($OPS "$B" 'rd 0 0 4')")"
	[ $((SECONDS - start)) -lt 8 ] || fail "B's open waited $((SECONDS - start)) s"
	assert_eq "B has no program" "" "$(sysattr "$B" program)"

	# No program comes (udevd gone): the open fails, saying why.
	pkill -x systemd-udevd
	wait_for "udevd gone" eval '! pgrep -x systemd-udevd >/dev/null'
	echo 1000 >"$WAIT_PARAM"
	rebind_now "$A"
	out=$($OPS "$A" 'rd 0 0 4' 2>&1) && fail "opened with no program: $out"
	assert_has "why" "no program attached within wait_for_program_ms=1000" \
		"$(sysattr "$A" last_error)"
	echo 0 >"$SYS/$A/vfmig/awaiting_program"
	assert_eq "told none comes: opens" 0x10000ed "$(answer 1 "$($OPS "$A" 'rd 0 0 4')")"
}

# release gives a device back to the driver it had before bind.
t_release_to_previous_driver() {
	local out
	bind vfio-pci "$A"
	echo >"$SYS/$A/driver_override"
	out=$($LOAD bind --bdf "$A") || fail "bind: $out"
	assert_has "bound" "was vfio-pci" "$out"
	load bpf/edu.bpf.o --bdf "$A" >/dev/null
	out=$($LOAD release --bdf "$A") || fail "release: $out"
	assert_eq "says so" "released $A to vfio-pci" "$out"
	assert_eq "back on vfio-pci" vfio-pci "$(basename "$(readlink "$SYS/$A/driver")")"
	assert_eq "no override left" "(null)" "$(cat "$SYS/$A/driver_override")"
	[ ! -e "$(pindir "$A")" ] || fail "pins left"
}

# vfmig-ctl opens a device as QEMU's iommufd backend does (the device cdev
# bound to an iommufd) where the kernel has it, else through its group.
t_ctl_backends() {
	local a out
	load bpf/edu.bpf.o --bdf "$A" >/dev/null
	load bpf/edu.bpf.o --bdf "$B" >/dev/null
	$OPS "$A" 'wr 0 4 4 0x4242' >/dev/null
	a=$(edu_regs "$A")
	if [ -e /dev/iommu ]; then
		out=$($CTL save --bdf "$A" -o "$TMP/i.state" -v 2>&1) || fail "save: $out"
		assert_has "auto is iommufd" "opened through /dev/vfio/devices/vfio" "$out"
		$CTL restore --bdf "$B" -i "$TMP/i.state" --backend iommufd >/dev/null ||
			fail "restore through iommufd"
		assert_eq "B has A's state (iommufd)" "$a" "$(edu_regs "$B")"
	else
		out=$($CTL features --bdf "$A" --backend iommufd 2>&1) &&
			fail "iommufd without /dev/iommu"
		assert_has "says why" "this kernel has no IOMMUFD (use --backend container)" "$out"
		out=$($CTL features --bdf "$A" -v 2>&1) || fail "features: $out"
		assert_has "auto is the group" "opened through IOMMU group" "$out"
	fi
	$OPS "$B" 'wr 0 4 4 0x5151' >/dev/null
	$CTL save --bdf "$A" -o "$TMP/c.state" --backend container >/dev/null || fail "save (group)"
	$CTL restore --bdf "$B" -i "$TMP/c.state" --backend container >/dev/null ||
		fail "restore (group)"
	assert_eq "B has A's state (group)" "$a" "$(edu_regs "$B")"
}
