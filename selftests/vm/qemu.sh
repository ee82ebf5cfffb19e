# SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
# shellcheck shell=bash disable=SC2034  # sourced by tests.sh: variables are shared
#
# The real client: QEMU 10 migrates a VM that owns a vfmig device (nested
# QEMU, qemu_lib.sh).  Sourced by tests.sh; listed in manifest.sh
# (QEMU_TESTS); refuse.sh uses its helpers.

# Start the source VM on A and wait until its payload programmed the device;
# give B another state, so the destination has something to overwrite.
qemu_source_ready() {
	vm_start src "$A"
	vm_wait src READY 60 || fail "source VM did not start: $(cat "$VMDIR/src.err")"
	$OPS "$B" 'wr 0 4 4 0x4321' 'wr 0 8 4 3' 'wr 0 0x64 4 0xffffffff' \
		'wr 0 0x80 8 0x40800' >/dev/null
}

# A destination VM on B, listening for the migration stream.
qemu_start_dst() {
	local i
	rm -f "$VMDIR/mig.sock"
	vm_start dst "$B" -incoming "unix:$VMDIR/mig.sock"
	for i in $(seq 100); do
		[ -S "$VMDIR/mig.sock" ] && return
		sleep 0.1
	done
	fail "destination QEMU does not listen: $(cat "$VMDIR/dst.err")"
}

# Migrate src to a new dst on B; print QEMU's query-migrate result.
qemu_migrate_to_b() {
	qemu_start_dst
	vm_migrate src "unix:$VMDIR/mig.sock" \
		'{"downtime-limit": 20000, "max-bandwidth": 1000000000}'
	vm_qmp src --wait-migration 120
}

# The destination continues the source: same device state, no new boot.
assert_vm_continued() {
	local src_regs
	src_regs=$(vm_last_regs src)
	vm_wait dst TICK 30 || fail "destination prints nothing: $(cat "$VMDIR/dst.err")"
	sleep 1
	assert_eq "destination did not boot again" 0 "$(grep -c BOOT "$VMDIR/dst.log")"
	[ "$(vm_first_tick dst)" -gt 0 ] || fail "destination counts from 0"
	[ "$(vm_first_tick dst)" -ge "$(vm_last_tick src)" ] ||
		fail "destination tick $(vm_first_tick dst) before source's $(vm_last_tick src)"
	assert_eq "device state seen by the destination guest" "$src_regs" \
		"$(vm_last_regs dst)"
	assert_eq "destination runs" '{"return": {"status": "running", "running": true}}' \
		"$(vm_qmp dst query-status)"
}

t_qemu_stop_and_copy_migration() {
	local info
	load selftests/progs/edu_stop_copy.bpf.o --bdf "$A"
	load selftests/progs/edu_stop_copy.bpf.o --bdf "$B"
	qemu_source_ready
	info=$(qemu_migrate_to_b) || fail "migration: $info"
	assert_has "device state sent" '"vfio": {"transferred": 120}' "$info"
	assert_vm_continued
	assert_has "stop-copy" "new state STOP_COPY" "$(cat "$VMDIR/src.trace")"
	grep -q "new state PRE_COPY" "$VMDIR/src.trace" && fail "pre-copy without the flag"
	vm_stop src
	vm_stop dst
}

t_qemu_pre_copy_migration() {
	local info
	load bpf/edu.bpf.o --bdf "$A"
	load bpf/edu.bpf.o --bdf "$B"
	qemu_source_ready
	info=$(qemu_migrate_to_b) || fail "migration: $info"
	assert_vm_continued
	assert_has "QEMU used pre-copy" "new state PRE_COPY" "$(cat "$VMDIR/src.trace")"
	assert_has "then stop-copy" "new state STOP_COPY" "$(cat "$VMDIR/src.trace")"
	assert_has "initial + final unit" '"vfio": {"transferred": 240}' "$info"
	# With the DMA logging uAPI (IOMMUFD) QEMU logs the device's writes
	# instead of taking all guest RAM as dirty.
	if [ -e /dev/iommu ]; then
		assert_has "QEMU used device dirty tracking" vfio_device_dirty_tracking_start \
			"$(cat "$VMDIR/src.trace")"
	elif grep -q vfio_device_dirty_tracking_start "$VMDIR/src.trace"; then
		fail "device dirty tracking without the uAPI"
	fi
	vm_stop src
	vm_stop dst
}

# QEMU's iommufd backend (the VFIO device cdev): where the kernel has
# IOMMUFD it migrates the VM, with the device's dirty tracking; where it
# has not, QEMU says why it cannot start.
t_qemu_iommufd_backend() {
	local info i
	load bpf/edu.bpf.o --bdf "$A"
	load bpf/edu.bpf.o --bdf "$B"
	export VM_IOMMUFD=1
	if [ ! -e /dev/iommu ]; then
		vm_start src "$A"
		for i in $(seq 100); do vm_alive src || break; sleep 0.1; done
		vm_alive src && fail "QEMU runs with an iommufd object and no /dev/iommu"
		assert_has "QEMU says why: no VFIO device cdev" "vfio-dev" "$(cat "$VMDIR/src.err")"
		return
	fi
	qemu_source_ready
	info=$(qemu_migrate_to_b) || fail "migration: $info"
	assert_vm_continued
	assert_has "device state moved" '"vfio": {"transferred": 240}' "$info"
	assert_has "device dirty tracking" vfio_device_dirty_tracking_start \
		"$(cat "$VMDIR/src.trace")"
	vm_stop src
	vm_stop dst
}

t_qemu_stock_vfio_pci_cannot_migrate() {
	bind vfio-pci "$A"
	vm_start plain "$A"
	sleep 1
	local i
	for i in $(seq 50); do vm_alive plain || break; sleep 0.2; done
	vm_alive plain && { vm_stop plain; fail "QEMU started with a vfio-pci device and enable-migration=on"; }
	assert_has "QEMU's reason" "VFIO migration is not supported in kernel" \
		"$(cat "$VMDIR/plain.err")"
}

t_qemu_migrate_cancel() {
	local info before i VM_RETURN_PATH=false	# qemu_lib.sh: QEMU's cancel race
	load bpf/edu.bpf.o --bdf "$A"
	load bpf/edu.bpf.o --bdf "$B"
	qemu_source_ready
	qemu_start_dst
	# 64 KiB/s and 1 ms of downtime allowed: the ticking guest dirties
	# more than that, so pre-copy never ends (with device dirty tracking,
	# on the IOMMUFD kernel, the bandwidth limit alone lets it converge).
	vm_migrate src "unix:$VMDIR/mig.sock" '{"max-bandwidth": 65536, "downtime-limit": 1}'
	for i in $(seq 50); do
		[ "$(sysattr "$A" migration_state)" = pre-copy ] && break
		sleep 0.1
	done
	assert_eq "pre-copy under way" pre-copy "$(sysattr "$A" migration_state)"
	sleep 1
	vm_qmp src migrate_cancel >/dev/null
	info=$(vm_qmp src --wait-migration 60)
	assert_has "cancelled" '"status": "cancelled"' "$info"
	assert_eq "device back to running" running "$(sysattr "$A" migration_state)"
	before=$(vm_last_tick src)
	sleep 3
	[ "$(vm_last_tick src)" -gt "$before" ] || fail "source VM stopped after cancel"
	assert_eq "source sees its device as before" \
		"$(grep '^READY' "$VMDIR/src.log" | cut -d' ' -f3-)" "$(vm_last_regs src)"
	vm_stop dst
	# ... and can still migrate.
	info=$(qemu_migrate_to_b) || fail "migration after cancel: $info"
	assert_vm_continued
	vm_stop src
	vm_stop dst
}

t_qemu_incoming_from_another_program_refused() {
	local info before i
	load bpf/edu.bpf.o --bdf "$A"
	load selftests/progs/test_mig.bpf.o --bdf "$B"
	qemu_source_ready
	info=$(qemu_migrate_to_b) && fail "migration into another program completed"
	assert_has "source sees the failure" '"status": "failed"' "$info"
	assert_has "B says why" "saved by another program" "$(sysattr "$B" last_error)"
	# Refused as the first header arrives: QEMU fails the incoming side.
	for _ in $(seq 50); do vm_alive dst || break; sleep 0.2; done
	vm_alive dst && fail "destination QEMU still runs"
	assert_has "destination QEMU says so" "error while loading state" \
		"$(cat "$VMDIR/dst.err")"
	before=$(vm_last_tick src)
	sleep 3
	[ "$(vm_last_tick src)" -gt "$before" ] || fail "source VM did not resume"
	assert_eq "source device intact" \
		"$(grep '^READY' "$VMDIR/src.log" | cut -d' ' -f3-)" "$(vm_last_regs src)"
	assert_eq "source device running" running "$(sysattr "$A" migration_state)"
	vm_stop src
}
